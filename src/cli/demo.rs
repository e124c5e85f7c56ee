use super::Context;
use color_eyre::eyre::{WrapErr, eyre};
use std::path::PathBuf;
use std::process::ExitCode;

/// How long the demo's GitHub stand-in takes to answer while the console is open: long enough
/// to see a sync's pages go by in the status bar.
const LIVE_LATENCY: std::time::Duration = std::time::Duration::from_millis(250);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to build the demo database (default: a `demo` folder in lastmile's data directory;
    /// never your real database).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Build it and print where, without opening the console.
    #[arg(long)]
    pub no_open: bool,
    /// Seed of the generator: the same seed gives the same backlog.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let dir = match args.dir {
        Some(d) => d,
        None => directories::ProjectDirs::from("dev", "lastmile", "lastmile")
            .map(|d| d.data_dir().join("demo"))
            .unwrap_or_else(|| std::env::temp_dir().join("lastmile-demo")),
    };
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("{}: cannot create", dir.display()))?;
    let db = dir.join("demo.db");
    if db == ctx.paths.db {
        return Err(eyre!(
            "{}: refusing to overwrite your database with the demo",
            db.display()
        ));
    }
    // Always rebuilt, so the demo's dates stay relative to today.
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.exists() {
            std::fs::remove_file(&p)
                .wrap_err_with(|| format!("{}: cannot remove old demo", p.display()))?;
        }
    }
    eprintln!("building the demo backlog in {} ...", db.display());
    let started = std::time::Instant::now();
    let (summary, replay) = crate::demo::build_live(&db, chrono::Utc::now(), args.seed)?;
    eprintln!(
        "demo ready: {} findings from {} scans in {:.1}s; {}",
        summary.findings,
        summary.scans,
        started.elapsed().as_secs_f64(),
        summary.routing
    );
    eprintln!("{}", summary.github);
    // The GitHub stand-in lives as long as this process: without a console to keep it up, the
    // config names no tracker (the recorded links and outbox still show).
    let api = replay.as_ref().filter(|_| !args.no_open).map(|r| r.api());
    // The demo's people, lanes and views, beside its database so the CLI can use them too.
    let config_path = dir.join("config.toml");
    std::fs::write(&config_path, crate::demo::config_text(api.as_deref()))
        .wrap_err_with(|| format!("{}: cannot write", config_path.display()))?;
    if args.no_open {
        eprintln!(
            "try: lastmile --db {db} --config {cfg} approvals --as bob\n     lastmile --db {db} --config {cfg} route --left\n     lastmile --db {db} --config {cfg} outbox\n     lastmile --db {db} --config {cfg}   (the console; Y shows the sync view)",
            db = db.display(),
            cfg = config_path.display()
        );
        println!("{}", db.display());
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = crate::demo::config_with(&dir, api.as_deref())?;
    if let Ok(own) = ctx.config() {
        config.keys = own.keys;
        config.ui = own.ui;
    }
    eprintln!(
        "demo config: {} (acting as {})",
        config_path.display(),
        config.me.as_deref().unwrap_or("-")
    );
    let me = Some(ctx.actor(&config));
    config.me = me.clone();
    let runner = super::sync_runner_for(&db, &config_path, &config);
    let keys = crate::tui::Keymap::with_overrides(&config.keys_plain()).ok();
    let key = |a: crate::tui::Action, default: &str| {
        keys.as_ref()
            .map_or_else(|| default.to_string(), |k| k.describe(a))
    };
    eprintln!(
        "in the console: {} shows the sync view (outbox, conflicts, endpoints)",
        key(crate::tui::Action::SyncView, "Y")
    );
    if let (Some(api), Some(_)) = (&api, &runner) {
        eprintln!(
            "                {} syncs with the demo's GitHub stand-in at {api}, which also answers\n                `lastmile --db {} --config {} sync` while the console is open",
            key(crate::tui::Action::Sync, "U"),
            db.display(),
            config_path.display()
        );
    }
    if let Some(r) = &replay {
        r.set_latency(LIVE_LATENCY);
    }
    crate::tui::run_with_sync(&db, &config, me, runner)?;
    drop(replay);
    Ok(ExitCode::SUCCESS)
}
