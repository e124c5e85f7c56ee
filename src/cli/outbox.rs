//! `lastmile outbox` (what waits to reach the trackers, and what failed), `lastmile ticket`
//! (queue a ticket for findings) and `lastmile auth` (keep a tracker token in the OS keyring).

use super::Context;
use super::output::{self, Format};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::store::{OutboxFilter, TicketOutcome};
use crate::trackers::http::Secret;
use color_eyre::eyre::{bail, eyre};
use std::io::{BufRead, Write};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the rows that failed for good (they wait for a person).
    #[arg(long)]
    pub failed: bool,
    /// Every row, done and superseded ones too.
    #[arg(long, conflicts_with = "failed")]
    pub all: bool,
    /// Put failed rows back in the queue (these ids, or all failed ones).
    #[arg(long, value_name = "ID", num_args = 0.., conflicts_with = "all")]
    pub retry: Option<Vec<i64>>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn outbox(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let mut store = ctx.open_store()?;
    if let Some(ids) = &args.retry {
        let n = store.outbox_retry(ids)?;
        println!("{n} row(s) back in the queue; `lastmile sync --push-only` sends them");
        return Ok(ExitCode::SUCCESS);
    }
    let filter = if args.failed {
        OutboxFilter::Failed
    } else if args.all {
        OutboxFilter::All
    } else {
        OutboxFilter::Open
    };
    let rows = store.outbox(filter)?;
    let mut out = output::stdout();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Csv | Format::Table => {
            let headers = [
                "id", "finding", "state", "tries", "target", "op", "next", "error",
            ];
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.finding_id.map(|f| f.to_string()).unwrap_or_default(),
                        r.state.as_str().to_string(),
                        r.attempts.to_string(),
                        r.target()
                            .map(|t| t.to_string())
                            .unwrap_or_else(|| format!("{} (new)", r.repo)),
                        r.describe(),
                        r.next_at.clone().unwrap_or_default(),
                        r.last_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if args.format == Format::Csv {
                output::csv(&mut out, &headers, &cells)?;
            } else if cells.is_empty() {
                writeln!(
                    out,
                    "{}",
                    match filter {
                        OutboxFilter::Failed => "no failed rows",
                        _ => "the outbox is empty: every change has reached its tracker",
                    }
                )?;
            } else {
                output::table(&mut out, &headers, &cells)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct TicketArgs {
    /// Findings to open tickets for (or use --query).
    pub ids: Vec<i64>,
    #[arg(long, short)]
    pub query: Option<String>,
    /// The GitHub repo (owner/name) to open them in; default: the team's `tickets`, else the
    /// finding's own repo's `github`.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
}

/// Where a finding's ticket goes: `--repo`, its team's ticket project on GitHub, or the
/// GitHub repo of its own repository.
fn destination(
    config: &Config,
    repo: &str,
    team: Option<&str>,
    flag: Option<&str>,
) -> Option<String> {
    if let Some(f) = flag {
        return Some(f.to_string());
    }
    let from_team = team.and_then(|t| {
        config
            .teams
            .iter()
            .map(|s| s.get_ref())
            .find(|x| x.name == t)
            .and_then(|x| x.tickets.as_ref())
            .filter(|k| k.tracker == "github")
            .map(|k| k.project.clone())
    });
    from_team.or_else(|| {
        config
            .repos
            .iter()
            .map(|r| r.get_ref())
            .find(|r| r.name == repo)
            .and_then(|r| r.github.clone())
    })
}

pub fn ticket(ctx: &Context, args: TicketArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let mut store = ctx.open_store()?;
    let mut ids = args.ids.clone();
    if let Some(q) = &args.query {
        ids.extend(store.ids_matching(q, &ctx.query_context(&config))?);
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        bail!("name the findings: ids, or --query");
    }
    let labels = config
        .trackers
        .github
        .as_ref()
        .map(|g| g.get_ref().ticket_labels.clone())
        .unwrap_or_else(|| vec!["lastmile".into()]);
    let mut by_repo: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    for id in &ids {
        let f = store
            .finding(*id)?
            .ok_or_else(|| eyre!("no finding with id {id}"))?;
        let dest = destination(
            &config,
            &f.row.repo,
            f.row.team.as_deref(),
            args.repo.as_deref(),
        )
        .ok_or_else(|| {
            eyre!(
                "finding {id}: no place for its ticket: give its team `tickets = {{ tracker = \"github\", project = \"owner/name\" }}`, its repo `github = \"owner/name\"`, or pass --repo"
            )
        })?;
        by_repo.entry(dest).or_default().push(*id);
    }
    let mut requested = 0;
    for (repo, ids) in by_repo {
        for (id, outcome) in
            store.request_tickets(&ids, "github", &repo, &labels, &actor, &SystemClock)?
        {
            match outcome {
                TicketOutcome::Requested => {
                    requested += 1;
                    println!("#{id}: ticket queued for {repo}");
                }
                TicketOutcome::AlreadyLinked { reference } => {
                    println!("#{id}: already has {reference}")
                }
                TicketOutcome::AlreadyRequested => println!("#{id}: a ticket is already queued"),
            }
        }
    }
    if requested > 0 {
        println!("{requested} ticket(s) queued; `lastmile sync` opens them");
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct CommentArgs {
    /// Findings to comment on.
    #[arg(required = true)]
    pub ids: Vec<i64>,
    /// The comment; recorded in the audit trail, and posted on the findings' tickets.
    #[arg(long, short)]
    pub body: String,
}

pub fn comment(ctx: &Context, args: CommentArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let mut store = ctx.open_store()?;
    let queued = store.comment(&args.ids, &args.body, &actor, &SystemClock)?;
    println!(
        "comment recorded on {} finding(s); {queued} ticket comment(s) queued for the next sync",
        args.ids.len()
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct LabelArgs {
    /// Findings whose tickets to label.
    #[arg(required = true)]
    pub ids: Vec<i64>,
    /// Labels to add (repeat the flag for several).
    #[arg(long)]
    pub add: Vec<String>,
    /// Labels to remove.
    #[arg(long)]
    pub remove: Vec<String>,
}

pub fn label(ctx: &Context, args: LabelArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let mut store = ctx.open_store()?;
    let queued = store.label(&args.ids, &args.add, &args.remove, &actor, &SystemClock)?;
    println!("{queued} label change(s) queued for the next sync");
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    /// The tracker: github.
    pub tracker: String,
}

/// Reads a token from standard input (`gh auth token | lastmile auth github`) into the OS
/// keyring; it is never echoed, logged or stored by lastmile itself.
pub fn auth(ctx: &Context, args: AuthArgs) -> color_eyre::Result<ExitCode> {
    if args.tracker != "github" {
        bail!(
            "unknown tracker '{}': lastmile syncs with github",
            args.tracker
        );
    }
    let config = ctx.config()?;
    let api = config
        .trackers
        .github
        .as_ref()
        .map(|g| g.get_ref().api.clone())
        .unwrap_or_else(|| "https://api.github.com".into());
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let token = line.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        bail!(
            "expected one token on standard input (for example `gh auth token | lastmile auth github`)"
        );
    }
    crate::trackers::token::store_in_keyring("github", &api, &Secret::new(token))
        .map_err(color_eyre::eyre::Report::msg)?;
    println!("token for {api} stored in the OS keyring");
    Ok(ExitCode::SUCCESS)
}
