fn main() -> std::process::ExitCode {
    lastmile::cli::main()
}
