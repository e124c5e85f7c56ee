use super::Context;
use crate::store::ChainReport;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Walk the hash chain of the event log and report the first broken link.
    Verify,
}

pub fn run(ctx: &Context, cmd: Command) -> color_eyre::Result<ExitCode> {
    match cmd {
        Command::Verify => {
            let store = ctx.open_store()?;
            match store.verify_chain()? {
                ChainReport::Intact { events, head } => {
                    println!("audit trail intact: {events} events, head {head}");
                    Ok(ExitCode::SUCCESS)
                }
                ChainReport::Broken { event_id, problem } => {
                    eprintln!("lastmile: audit trail broken at event #{event_id}: {problem}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
