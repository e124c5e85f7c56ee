//! `lastmile route` (suggest owners, and with --apply assign them) and `lastmile assign` (by
//! hand).

use super::Context;
use super::output::{self, Format};
use crate::clock::{Clock, SystemClock};
use crate::owners::plan::{Action, Planned, Planner};
use crate::sanitize;
use crate::store::{AssignHow, Assigned, Assignment};
use color_eyre::eyre::bail;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Finding ids to route (or use --query; neither: every active finding).
    pub ids: Vec<i64>,
    /// Route the active findings this filter matches (all of them if it names a status).
    #[arg(long, short)]
    pub query: Option<String>,
    /// Only active findings whose owner has left, for rerouting.
    #[arg(long)]
    pub left: bool,
    /// Assign the suggestions (an event each); without it nothing is written.
    #[arg(long)]
    pub apply: bool,
    /// Let routing replace assignments a person made.
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// Findings to assign (or use --query).
    pub ids: Vec<i64>,
    #[arg(long, short)]
    pub query: Option<String>,
    /// The person (handle, alias or e-mail from the roster); their team unless --team says.
    #[arg(long, value_name = "PERSON")]
    pub to: Option<String>,
    /// The team (name or alias from the roster).
    #[arg(long)]
    pub team: Option<String>,
    /// Remove the assignment (it then stands against routing until routed with --force).
    #[arg(long, conflicts_with_all = ["to", "team"])]
    pub clear: bool,
    /// Why, for the audit trail.
    #[arg(long)]
    pub reason: Option<String>,
}

fn select(
    ctx: &Context,
    store: &crate::store::Store,
    config: &crate::config::Config,
    ids: &[i64],
    query: Option<&str>,
    default: Option<&str>,
) -> color_eyre::Result<Vec<i64>> {
    let mut out = ids.to_vec();
    let q = query.or(if ids.is_empty() { default } else { None });
    if let Some(q) = q {
        out.extend(store.ids_matching(q, &ctx.query_context(config))?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

pub fn route(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let (mut store, policy) = ctx.open_triaged(&config, &actor)?;
    let today = SystemClock.now().date_naive();
    let planner = Planner::new(&config, today);
    let departed = planner.departed();
    // Routing is for work still to do: a query narrows the active findings unless it names
    // a status itself.
    let scoped = |q: &str| {
        if q.trim().is_empty() {
            "status:active".to_string()
        } else if q.contains("status:") || q.contains("is:") {
            q.to_string()
        } else {
            format!("status:active ({q})")
        }
    };
    let query = if args.left {
        if departed.is_empty() {
            println!("nobody in the roster has left");
            return Ok(ExitCode::SUCCESS);
        }
        let owners: Vec<String> = departed
            .iter()
            .map(|h| format!("owner:{}", crate::query::quote(h)))
            .collect();
        let base = scoped(args.query.as_deref().unwrap_or(""));
        Some(format!("({base}) ({})", owners.join(" OR ")))
    } else {
        args.query.as_deref().map(scoped)
    };
    let ids = select(
        ctx,
        &store,
        &config,
        &args.ids,
        query.as_deref(),
        Some("status:active"),
    )?;
    let planned = planner.suggest(&mut store, &ids, args.force)?;
    for w in planner.warnings() {
        eprintln!("warning: {}", sanitize::line(&w));
    }

    let mut applied = Vec::new();
    if args.apply {
        let items: Vec<(i64, Assignment)> = planned
            .iter()
            .filter(|p| p.action == Action::Assign)
            .map(|p| {
                (
                    p.target.id,
                    Assignment {
                        owner: p.suggestion.person.clone(),
                        team: p.suggestion.team.clone(),
                        how: AssignHow::Routed,
                        reason: p.suggestion.chain(),
                    },
                )
            })
            .collect();
        applied = store.assign(&items, &actor, args.force, &departed, &policy, &SystemClock)?;
    }
    print_plan(&planned, &applied, args.apply, args.format)?;
    Ok(ExitCode::SUCCESS)
}

fn action_text(p: &Planned, applied: bool) -> String {
    match &p.action {
        Action::Assign if applied => "assigned".into(),
        Action::Assign => "would assign".into(),
        Action::Unchanged => "unchanged".into(),
        Action::KeepManual { by, at } => {
            format!(
                "kept: assigned by {by} {} (--force)",
                at.get(..10).unwrap_or(at)
            )
        }
        Action::Unrouted => "unrouted".into(),
    }
}

fn print_plan(
    planned: &[Planned],
    applied: &[(i64, Assigned)],
    apply: bool,
    format: Format,
) -> color_eyre::Result<()> {
    let mut out = output::stdout();
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = planned
                .iter()
                .map(|p| {
                    let s = &p.suggestion;
                    serde_json::json!({
                        "id": p.target.id,
                        "repo": p.target.repo,
                        "path": p.target.path,
                        "line": p.target.start_line,
                        "person": s.person,
                        "team": s.team,
                        "tickets": s.tickets.as_ref().map(|t| serde_json::json!({
                            "tracker": t.tracker, "project": t.project,
                        })),
                        "confidence": s.confidence.map(|c| c.as_str()),
                        "reasons": s.reasons,
                        "current": {
                            "owner": p.target.current.owner,
                            "team": p.target.current.team,
                            "how": p.target.current.how,
                        },
                        "action": p.action,
                        "applied": apply && p.action == Action::Assign,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Table | Format::Csv => {
            let headers = [
                "id",
                "path",
                "person",
                "team",
                "confidence",
                "action",
                "why",
            ];
            let rows: Vec<Vec<String>> = planned
                .iter()
                .map(|p| {
                    let s = &p.suggestion;
                    let at = match (&p.target.path, p.target.start_line) {
                        (Some(path), Some(l)) => format!("{}:{path}:{l}", p.target.repo),
                        (Some(path), None) => format!("{}:{path}", p.target.repo),
                        _ => p.target.repo.clone(),
                    };
                    vec![
                        p.target.id.to_string(),
                        at,
                        s.person
                            .as_deref()
                            .map(|h| format!("@{h}"))
                            .unwrap_or_default(),
                        s.team.clone().unwrap_or_default(),
                        s.confidence.map(|c| c.as_str()).unwrap_or("-").into(),
                        action_text(p, apply),
                        s.chain(),
                    ]
                })
                .collect();
            if format == Format::Csv {
                output::csv(&mut out, &headers, &rows)?;
            } else {
                // The reasons are the point: the table clips cells, so they go on their own
                // line under each row.
                for (p, r) in planned.iter().zip(&rows) {
                    writeln!(
                        out,
                        "#{:<6} {}  {} {}  [{}]  {}",
                        r[0],
                        sanitize::line(&r[1]),
                        if r[2].is_empty() { "-" } else { &r[2] },
                        if r[3].is_empty() { "-" } else { &r[3] },
                        r[4],
                        r[5]
                    )?;
                    writeln!(out, "        {}", sanitize::line(&p.suggestion.chain()))?;
                }
                let count =
                    |f: &dyn Fn(&Action) -> bool| planned.iter().filter(|p| f(&p.action)).count();
                let assign = count(&|a| *a == Action::Assign);
                let changed = applied
                    .iter()
                    .filter(|(_, a)| *a == Assigned::Changed)
                    .count();
                writeln!(
                    out,
                    "{} findings: {} {}, {} unchanged, {} kept (assigned by hand), {} unrouted",
                    planned.len(),
                    if apply { changed } else { assign },
                    if apply {
                        "assigned"
                    } else {
                        "to assign (--apply)"
                    },
                    count(&|a| *a == Action::Unchanged),
                    count(&|a| matches!(a, Action::KeepManual { .. })),
                    count(&|a| *a == Action::Unrouted),
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

pub fn assign(ctx: &Context, args: AssignArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    if args.to.is_none() && args.team.is_none() && !args.clear {
        bail!("nothing to do: give --to PERSON, --team TEAM or --clear");
    }
    let planner = Planner::new(&config, SystemClock.now().date_naive());
    let roster = &planner.roster;
    let person = match &args.to {
        None => None,
        Some(name) => {
            let Some(p) = roster.person(name) else {
                bail!(
                    "'{}' is not in the roster ([[people]] in the config)",
                    sanitize::line(name)
                );
            };
            if let Some(day) = roster.left_by(p, planner.today) {
                bail!(
                    "@{} left on {}; assign someone who is here",
                    p.handle,
                    crate::clock::day(day)
                );
            }
            Some(p)
        }
    };
    let team = match &args.team {
        Some(name) => match roster.team(name) {
            Some(t) => Some(t.name.clone()),
            None => bail!(
                "'{}' is not a team in the roster ([[teams]] in the config)",
                sanitize::line(name)
            ),
        },
        None => person.and_then(|p| p.team.clone()),
    };
    let (mut store, policy) = ctx.open_triaged(&config, &actor)?;
    let ids = select(ctx, &store, &config, &args.ids, args.query.as_deref(), None)?;
    if ids.is_empty() {
        bail!("no findings to assign: give ids or a --query that matches some");
    }
    let a = Assignment {
        owner: person.map(|p| p.handle.clone()),
        team,
        how: AssignHow::Manual,
        reason: args.reason.unwrap_or_default(),
    };
    let items: Vec<(i64, Assignment)> = ids.iter().map(|&id| (id, a.clone())).collect();
    let results = store.assign(&items, &actor, false, &[], &policy, &SystemClock)?;
    let changed = results
        .iter()
        .filter(|(_, r)| *r == Assigned::Changed)
        .count();
    let who = match (&a.owner, &a.team) {
        (Some(p), Some(t)) => format!("@{p} ({t})"),
        (Some(p), None) => format!("@{p}"),
        (None, Some(t)) => format!("team {t}"),
        (None, None) => "nobody".into(),
    };
    println!(
        "{changed} of {} findings assigned to {who}; {} already were",
        ids.len(),
        ids.len() - changed
    );
    Ok(ExitCode::SUCCESS)
}
