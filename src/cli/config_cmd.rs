use super::Context;
use crate::config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a config file (default: the one lastmile would use); every problem gets its line and key.
    Check { file: Option<PathBuf> },
    /// Print where lastmile keeps its database, config and logs.
    Paths,
}

pub fn run(ctx: &Context, cmd: Command) -> color_eyre::Result<ExitCode> {
    match cmd {
        Command::Check { file } => {
            if file.is_none() && !ctx.paths.config_explicit && !ctx.paths.config.exists() {
                println!(
                    "no config at {}: lastmile runs on its defaults (see config.example.toml)",
                    ctx.paths.config.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let path = file.unwrap_or_else(|| ctx.paths.config.clone());
            match Config::load(&path) {
                Ok(_) => {
                    println!("{}: ok", path.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Paths => {
            println!("database  {}", ctx.paths.db.display());
            println!("config    {}", ctx.paths.config.display());
            println!("logs      {}", ctx.paths.cache.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
