fn main() -> std::process::ExitCode {
    // Wired to lastmile::cli::main() once the SARIF parser lands.
    std::process::ExitCode::SUCCESS
}
