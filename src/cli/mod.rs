//! The command line: one file per subcommand; this one parses arguments and dispatches.

mod audit;
mod config_cmd;
mod demo;
mod enrich;
mod findings;
mod import;
mod outbox;
mod output;
mod route;
mod stats;
mod sync;
mod triage;

use crate::config::{Config, Paths};
use crate::triage::policy::Policy;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "lastmile",
    version,
    about = "Drive security findings to closure: import, triage, route, fix, plan, watch.",
    long_about = "Drive security findings to closure.\n\nWith no subcommand, opens the console on the database."
)]
pub struct Cli {
    /// The database file (default: the data directory's lastmile.db).
    #[arg(long, env = "LASTMILE_DB", global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file (default: the config directory's config.toml).
    #[arg(long, env = "LASTMILE_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Act as this person (overrides `me` in the config).
    #[arg(long = "as", global = true, value_name = "HANDLE")]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import scanner reports (SARIF 2.1.0); `-` reads standard input.
    Import(import::Args),
    /// List findings.
    Findings(findings::Args),
    /// Show one finding with its history.
    Show(findings::ShowArgs),
    /// Counts by severity, status, tool and repo.
    Stats(stats::Args),
    /// Check the audit trail.
    #[command(subcommand)]
    Audit(audit::Command),
    /// Work with the configuration.
    #[command(subcommand)]
    Config(config_cmd::Command),
    /// Build the demo database (never your real one) and open the console on it.
    Demo(demo::Args),
    /// Decide on findings (by id or --query): confirm, false-positive, accept-risk, defer,
    /// escalate, duplicate, reopen; or set the validated / reachable flags.
    Triage(triage::Args),
    /// Approve the decisions waiting on these findings (someone else's, never your own).
    Approve(triage::ReviewArgs),
    /// Reject the decisions waiting on these findings, with a reason.
    Reject(triage::ReviewArgs),
    /// What waits for your approval (or, with --mine, what you asked for).
    Approvals(triage::ApprovalsArgs),
    /// Reopen expired acceptances and deferrals; bring risk, lanes and due dates up to date.
    Tick(triage::TickArgs),
    /// Load exploitability data from files (CISA KEV catalog, FIRST EPSS daily CSV).
    Enrich(enrich::Args),
    /// The lanes with their open work, deadlines, pending approvals and WIP by team.
    Lanes(triage::LanesArgs),
    /// Suggest an owner for findings (CODEOWNERS, catalogs, git blame, the roster) with the
    /// reasons; --apply assigns them.
    Route(route::Args),
    /// Assign findings to a person or team by hand (routing leaves these alone).
    Assign(route::AssignArgs),
    /// Pull from the trackers (GitHub) and push what changed here: decisions, assignments,
    /// tickets. Changes made offline wait in the outbox until then.
    Sync(sync::Args),
    /// What waits to reach the trackers, what failed (--failed) and putting it back (--retry).
    Outbox(outbox::Args),
    /// Queue a GitHub issue for findings: a defect packet, opened by the next sync.
    Ticket(outbox::TicketArgs),
    /// Comment on findings: kept in the audit trail and posted on their tickets.
    Comment(outbox::CommentArgs),
    /// Add or remove labels on findings' tickets (through the add/remove endpoints).
    Label(outbox::LabelArgs),
    /// Keep a tracker token in the OS keyring, read from standard input.
    Auth(outbox::AuthArgs),
}

/// What a subcommand needs from the environment, resolved once.
pub struct Context {
    pub paths: Paths,
    pub actor_flag: Option<String>,
}

impl Context {
    pub fn config(&self) -> color_eyre::Result<Config> {
        Ok(self.paths.load_config()?)
    }

    /// Who is acting: `--as`, then `me` in the config, then the login name.
    pub fn actor(&self, config: &Config) -> String {
        self.actor_flag
            .clone()
            .or_else(|| config.me.clone())
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .unwrap_or_else(|| "unknown".into())
    }

    /// What a filter is read against: the time now, and `me` as the acting person, so
    /// `decided-by:me` finds the decisions recorded under that same name.
    pub fn query_context(&self, config: &Config) -> crate::query::Context {
        use crate::clock::Clock;
        crate::query::Context::new(crate::clock::SystemClock.now(), Some(self.actor(config)))
    }

    pub fn open_store(&self) -> color_eyre::Result<crate::store::Store> {
        Ok(crate::store::Store::open(&self.paths.db)?)
    }

    pub fn policy(&self, config: &Config) -> color_eyre::Result<Policy> {
        Policy::from_config(config)
            .map_err(|e| color_eyre::eyre::eyre!("{}: {e}", self.paths.config.display()))
    }

    /// Opens the store with triage brought up to date: expired acceptances and deferrals
    /// reopen, and a changed policy (or a new day) recomputes risk, lanes and due dates.
    pub fn open_triaged(
        &self,
        config: &Config,
        actor: &str,
    ) -> color_eyre::Result<(crate::store::Store, Policy)> {
        let policy = self.policy(config)?;
        let mut store = self.open_store()?;
        let report = store.tick(&policy, actor, &crate::clock::SystemClock)?;
        if !report.expired.is_empty() {
            tracing::info!(expired = report.expired.len(), "decisions expired");
        }
        Ok((store, policy))
    }
}

/// The console's background sync: the same entry point as `lastmile sync`, on the console's
/// sync thread with its own connection. `None` when no tracker is configured.
fn sync_runner(ctx: &Context, config: &Config) -> Option<crate::tui::SyncRunner> {
    sync_runner_for(&ctx.paths.db, &ctx.paths.config, config)
}

/// The console's sync for the database at `db` (the demo's is not the user's).
fn sync_runner_for(
    db: &std::path::Path,
    config_path: &std::path::Path,
    config: &Config,
) -> Option<crate::tui::SyncRunner> {
    if !crate::trackers::setup::configured(config) {
        return None;
    }
    let (db, config_path, config) = (db.to_path_buf(), config_path.to_path_buf(), config.clone());
    Some(std::sync::Arc::new(move |plan, progress| {
        crate::trackers::setup::run_blocking(
            &db,
            &config,
            &config_path,
            None,
            plan,
            &crate::clock::SystemClock,
            progress,
        )
        .map_err(|e| e.to_string())
    }))
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Import(_) => "import",
        Command::Findings(_) => "findings",
        Command::Show(_) => "show",
        Command::Stats(_) => "stats",
        Command::Audit(_) => "audit",
        Command::Config(_) => "config",
        Command::Demo(_) => "demo",
        Command::Triage(_) => "triage",
        Command::Approve(_) => "approve",
        Command::Reject(_) => "reject",
        Command::Approvals(_) => "approvals",
        Command::Tick(_) => "tick",
        Command::Enrich(_) => "enrich",
        Command::Lanes(_) => "lanes",
        Command::Route(_) => "route",
        Command::Assign(_) => "assign",
        Command::Sync(_) => "sync",
        Command::Outbox(_) => "outbox",
        Command::Ticket(_) => "ticket",
        Command::Comment(_) => "comment",
        Command::Label(_) => "label",
        Command::Auth(_) => "auth",
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()
    {
        eprintln!("lastmile: {e}");
    }
    match run(cli) {
        Ok(code) => code,
        // `lastmile findings | head`: the reader has what it wanted; not an error to report.
        Err(e)
            if e.chain().any(|c| {
                let pipe = |io: &std::io::Error| io.kind() == std::io::ErrorKind::BrokenPipe;
                c.downcast_ref::<std::io::Error>().is_some_and(pipe)
                    || c.downcast_ref::<::csv::Error>()
                        .is_some_and(|e| match e.kind() {
                            ::csv::ErrorKind::Io(io) => pipe(io),
                            _ => false,
                        })
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One clear line (or one per config problem); the chain, not a backtrace.
            // One line: the message, then any cause it does not already say.
            let mut line = e.to_string();
            for cause in e.chain().skip(1) {
                let cause = cause.to_string();
                if !line.contains(&cause) {
                    line = format!("{line}: {cause}");
                }
            }
            eprintln!("lastmile: {line}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to a file under the cache directory, never to the terminal (the console owns it).
/// Level from `LASTMILE_LOG` (e.g. `debug`, `lastmile=trace`); a log that cannot be opened is
/// not worth failing a command for.
fn init_logging(paths: &Paths) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    std::fs::create_dir_all(&paths.cache).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(paths.cache.join("lastmile.log"))
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("LASTMILE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

fn run(cli: Cli) -> color_eyre::Result<ExitCode> {
    let paths = Paths::resolve(cli.db.clone(), cli.config.clone())
        .map_err(color_eyre::eyre::Report::msg)?;
    let _log = init_logging(&paths);
    tracing::info!(command = ?cli.command.as_ref().map(command_name), "start");
    let ctx = Context {
        paths,
        actor_flag: cli.actor.clone(),
    };
    match cli.command {
        None => {
            // The console creates or migrates the database itself, then reads off its thread.
            let mut config = ctx.config()?;
            // `--as` decides who acts in the console too.
            config.me = Some(ctx.actor(&config));
            // The console brings triage up to date itself, on its writer thread, so a new day's
            // recompute never holds up the first frame (see tui::daily).
            let runner = sync_runner(&ctx, &config);
            crate::tui::run_with_sync(&ctx.paths.db, &config, config.me.clone(), runner)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Import(args)) => import::run(&ctx, args),
        Some(Command::Findings(args)) => findings::run(&ctx, args),
        Some(Command::Show(args)) => findings::show(&ctx, args),
        Some(Command::Stats(args)) => stats::run(&ctx, args),
        Some(Command::Audit(cmd)) => audit::run(&ctx, cmd),
        Some(Command::Config(cmd)) => config_cmd::run(&ctx, cmd),
        Some(Command::Demo(args)) => demo::run(&ctx, args),
        Some(Command::Triage(args)) => triage::run(&ctx, args),
        Some(Command::Approve(args)) => triage::review(&ctx, args, true),
        Some(Command::Reject(args)) => triage::review(&ctx, args, false),
        Some(Command::Approvals(args)) => triage::approvals(&ctx, args),
        Some(Command::Tick(args)) => triage::tick(&ctx, args),
        Some(Command::Enrich(args)) => enrich::run(&ctx, args),
        Some(Command::Lanes(args)) => triage::lanes(&ctx, args),
        Some(Command::Route(args)) => route::route(&ctx, args),
        Some(Command::Assign(args)) => route::assign(&ctx, args),
        Some(Command::Sync(args)) => sync::run(&ctx, args),
        Some(Command::Outbox(args)) => outbox::outbox(&ctx, args),
        Some(Command::Ticket(args)) => outbox::ticket(&ctx, args),
        Some(Command::Comment(args)) => outbox::comment(&ctx, args),
        Some(Command::Label(args)) => outbox::label(&ctx, args),
        Some(Command::Auth(args)) => outbox::auth(&ctx, args),
    }
}
