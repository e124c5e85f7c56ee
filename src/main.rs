// Imports free on one thread what the parser allocated on another; glibc's allocator makes that
// a visible share of import time, mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    lastmile::cli::main()
}
