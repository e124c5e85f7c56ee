//! `lastmile enrich --kev FILE --epss FILE`: exploitability from files, for offline use.

use super::Context;
use crate::clock::SystemClock;
use crate::enrich::{epss, kev};
use crate::store::{EnrichReport, EnrichSource};
use color_eyre::eyre::bail;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CISA KEV catalog (known_exploited_vulnerabilities.json).
    #[arg(long, value_name = "FILE.json")]
    pub kev: Option<PathBuf>,
    /// A FIRST EPSS daily file (epss_scores-YYYY-MM-DD.csv, or .csv.gz).
    #[arg(long, value_name = "FILE.csv[.gz]")]
    pub epss: Option<PathBuf>,
}

fn print(r: &EnrichReport) {
    println!(
        "{}: {} {} entries{}; {} findings changed",
        crate::sanitize::line(&r.file),
        r.kind.to_uppercase(),
        r.entries,
        r.version
            .as_deref()
            .map(|v| format!(" (version {})", crate::sanitize::line(v)))
            .unwrap_or_default(),
        r.changed.len()
    );
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    if args.kev.is_none() && args.epss.is_none() {
        bail!("nothing to load: give --kev FILE and/or --epss FILE");
    }
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    // Parse every file before writing anything: a bad file changes nothing.
    let kev = args.kev.as_deref().map(kev::read_kev_file).transpose()?;
    let epss = args.epss.as_deref().map(epss::read_epss_file).transpose()?;
    let (mut store, policy) = ctx.open_triaged(&config, &actor)?;
    if let (Some(cat), Some(path)) = (&kev, &args.kev) {
        let file = path.display().to_string();
        let r =
            store.load_enrichment(EnrichSource::Kev(cat), &file, &actor, &policy, &SystemClock)?;
        print(&r);
    }
    if let (Some(scores), Some(path)) = (&epss, &args.epss) {
        let file = path.display().to_string();
        let r = store.load_enrichment(
            EnrichSource::Epss(scores),
            &file,
            &actor,
            &policy,
            &SystemClock,
        )?;
        print(&r);
    }
    Ok(ExitCode::SUCCESS)
}
