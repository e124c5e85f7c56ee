//! `lastmile triage`, `approve`, `reject`, `approvals` and `tick`: decisions from the command
//! line, each printing what changed.

use super::Context;
use super::output::{self, Format};
use crate::clock::SystemClock;
use crate::model::DecisionKind;
use crate::sanitize;
use crate::store::{DecisionFilter, DecisionRequest, DecisionResult, Flags, Outcome};
use chrono::NaiveDate;
use color_eyre::eyre::bail;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Finding ids to act on (or use --query).
    pub ids: Vec<i64>,
    /// Act on every finding this filter matches.
    #[arg(long, short)]
    pub query: Option<String>,
    /// The decision: confirm, false-positive, accept-risk, defer, escalate, duplicate, reopen.
    #[arg(long, value_name = "DECISION")]
    pub decide: Option<DecisionKind>,
    /// Why (required for every decision and flag).
    #[arg(long)]
    pub reason: Option<String>,
    /// accept-risk: expiry; defer: when it comes back (YYYY-MM-DD). It reopens on that day.
    #[arg(long, value_parser = parse_day)]
    pub until: Option<NaiveDate>,
    /// accept-risk: the compensating control.
    #[arg(long)]
    pub control: Option<String>,
    /// escalate: a person or team; duplicate: the original finding's id.
    #[arg(long = "to", value_name = "TARGET")]
    pub target: Option<String>,
    /// Set the exploit-validated flag (yes/no).
    #[arg(long, value_parser = parse_yes_no, value_name = "yes|no")]
    pub validated: Option<bool>,
    /// Set the reachable flag (yes/no).
    #[arg(long, value_parser = parse_yes_no, value_name = "yes|no")]
    pub reachable: Option<bool>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// Findings whose pending decision to review.
    #[arg(required = true)]
    pub ids: Vec<i64>,
    /// A note (approve) or the reason (reject, required).
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct ApprovalsArgs {
    /// What I asked for, instead of what waits for me.
    #[arg(long)]
    pub mine: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct TickArgs {
    /// Recompute risk, lanes and due dates for every finding even if nothing changed.
    #[arg(long)]
    pub recompute: bool,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a date (YYYY-MM-DD)"))
}

fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => Ok(true),
        "no" | "false" | "0" | "off" => Ok(false),
        _ => Err(format!("'{s}' is not yes or no")),
    }
}

fn outcome_text(r: &DecisionResult) -> String {
    match &r.outcome {
        Outcome::Applied { from, to } if from == to => "applied".into(),
        Outcome::Applied { from, to } => format!("{from} -> {to}"),
        Outcome::Pending => format!(
            "waits for approval (decision #{})",
            r.decision_id.unwrap_or_default()
        ),
        Outcome::Skipped { why } => format!("skipped: {why}"),
    }
}

/// Prints the results; returns (applied, pending, skipped).
fn print_results(
    results: &[DecisionResult],
    format: Format,
) -> color_eyre::Result<(usize, usize, usize)> {
    let mut out = output::stdout();
    let tally = results
        .iter()
        .fold((0, 0, 0), |(a, p, s), r| match r.outcome {
            Outcome::Applied { .. } => (a + 1, p, s),
            Outcome::Pending => (a, p + 1, s),
            Outcome::Skipped { .. } => (a, p, s + 1),
        });
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, results)?;
            writeln!(out)?;
        }
        Format::Csv | Format::Table => {
            let rows: Vec<Vec<String>> = results
                .iter()
                .map(|r| vec![r.finding_id.to_string(), outcome_text(r)])
                .collect();
            if format == Format::Csv {
                output::csv(&mut out, &["id", "outcome"], &rows)?;
            } else {
                for r in &rows {
                    writeln!(out, "#{}  {}", r[0], sanitize::line(&r[1]))?;
                }
                writeln!(
                    out,
                    "{} applied, {} waiting for approval, {} skipped",
                    tally.0, tally.1, tally.2
                )?;
            }
        }
    }
    out.flush()?;
    Ok(tally)
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    if args.decide.is_none() && args.validated.is_none() && args.reachable.is_none() {
        bail!("nothing to do: give --decide DECISION, or --validated / --reachable");
    }
    let (mut store, policy) = ctx.open_triaged(&config, &actor)?;
    let mut ids = args.ids.clone();
    if let Some(q) = &args.query {
        ids.extend(store.ids_matching(q, &ctx.query_context(&config))?);
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        bail!("no findings to act on: give ids or a --query that matches some");
    }
    let reason = args.reason.clone().unwrap_or_default();
    if args.validated.is_some() || args.reachable.is_some() {
        let changed = store.set_flags(
            &ids,
            Flags {
                validated: args.validated,
                reachable: args.reachable,
            },
            &actor,
            &reason,
            &policy,
            &SystemClock,
        )?;
        if args.format == Format::Table {
            println!(
                "flags changed on {} of {} findings",
                changed.len(),
                ids.len()
            );
        }
    }
    let Some(kind) = args.decide else {
        return Ok(ExitCode::SUCCESS);
    };
    let req = DecisionRequest {
        kind,
        reason,
        until: args.until,
        control: args.control,
        target: args.target,
    };
    let results = store.decide(&ids, &req, &actor, &policy, &SystemClock)?;
    let (applied, pending, _) = print_results(&results, args.format)?;
    Ok(if applied + pending == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn review(ctx: &Context, args: ReviewArgs, approve: bool) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    if !approve && args.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        bail!("reject needs a reason (--reason)");
    }
    let (mut store, policy) = ctx.open_triaged(&config, &actor)?;
    let reject = (!approve).then(|| args.reason.clone().unwrap_or_default());
    let note = if approve {
        args.reason.as_deref()
    } else {
        None
    };
    let results = store.review(
        &args.ids,
        reject.as_deref(),
        note,
        &actor,
        &policy,
        &SystemClock,
    )?;
    // A rejection is reported as skipped with why "rejected"; count it as done.
    let refused = results
        .iter()
        .any(|r| matches!(&r.outcome, Outcome::Skipped { why } if why != "rejected"));
    print_results(&results, args.format)?;
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn approvals(ctx: &Context, args: ApprovalsArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let (store, _) = ctx.open_triaged(&config, &actor)?;
    let filter = if args.mine {
        DecisionFilter::RequestedBy(&actor)
    } else {
        DecisionFilter::AwaitingReviewBy(&actor)
    };
    let rows = store.decisions(filter)?;
    let mut out = output::stdout();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Csv | Format::Table => {
            let headers = [
                "finding", "decision", "kind", "by", "at", "lane", "until", "reason", "title",
            ];
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|d| {
                    vec![
                        d.finding_id.to_string(),
                        d.id.to_string(),
                        d.kind.to_string(),
                        d.actor.clone(),
                        d.at.clone(),
                        d.lane.clone().unwrap_or_default(),
                        d.until.clone().unwrap_or_default(),
                        d.reason.clone(),
                        d.title.clone(),
                    ]
                })
                .collect();
            if args.format == Format::Csv {
                output::csv(&mut out, &headers, &cells)?;
            } else if cells.is_empty() {
                let what = if args.mine {
                    "you have no decisions waiting for approval"
                } else {
                    "nothing waits for your approval"
                };
                writeln!(out, "{what}")?;
            } else {
                output::table(&mut out, &headers, &cells)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn tick(ctx: &Context, args: TickArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let policy = ctx.policy(&config)?;
    let mut store = ctx.open_store()?;
    let forced = if args.recompute {
        store.apply_policy(&policy, &actor, &SystemClock, true)?
    } else {
        None
    };
    let report = store.tick(&policy, &actor, &SystemClock)?;
    for (id, from) in &report.expired {
        let what = if *from == crate::model::Status::AcceptedRisk {
            "risk acceptance expired"
        } else {
            "deferral ended"
        };
        println!("#{id}  {what}: {from} -> open");
    }
    match forced.or(report.recomputed) {
        Some(r) => println!(
            "risk, lanes and due dates recomputed for {} findings: {} changed",
            r.findings, r.changed
        ),
        None => println!("risk, lanes and due dates already current"),
    }
    println!("{} expired", report.expired.len());
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct LanesArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The lanes in policy order with their open work, deadlines and WIP against each limit.
pub fn lanes(ctx: &Context, args: LanesArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    let (store, policy) = ctx.open_triaged(&config, &actor)?;
    let today = chrono::Utc::now().date_naive();
    let summaries = store.lane_summaries(today)?;
    let mut rows = Vec::new();
    let names = policy
        .lanes
        .iter()
        .map(|l| Some(l.name.as_str()))
        .chain([None]);
    for name in names {
        let lane = name.and_then(|n| policy.lane(n));
        let s = summaries.iter().find(|s| s.lane.as_deref() == name);
        let (active, overdue, soon, pending) = s.map_or((0, 0, 0, 0), |s| {
            (s.active, s.overdue, s.due_soon, s.pending)
        });
        let limit = lane.and_then(|l| l.wip_limit);
        let wip: Vec<String> = s
            .map(|s| &s.in_progress[..])
            .unwrap_or_default()
            .iter()
            .map(|(team, n)| {
                let over = limit.is_some_and(|l| *n > u64::from(l));
                format!(
                    "{} {n}{}{}",
                    team.as_deref().unwrap_or("(no team)"),
                    limit.map(|l| format!("/{l}")).unwrap_or_default(),
                    if over { " OVER" } else { "" }
                )
            })
            .collect();
        if name.is_none() && active == 0 {
            continue;
        }
        rows.push(serde_json::json!({
            "lane": name.unwrap_or("(none)"),
            "sla_days": lane.map(|l| l.sla_days),
            "wip_limit": limit,
            "approval": lane.map(|l| l.approval.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
            "active": active,
            "overdue": overdue,
            "due_soon": soon,
            "pending": pending,
            "in_progress": wip,
        }));
    }
    let mut out = output::stdout();
    if args.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &rows)?;
        writeln!(out)?;
    } else {
        let headers = [
            "lane",
            "sla",
            "active",
            "overdue",
            "due soon",
            "pending",
            "wip by team",
            "approval",
        ];
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::Null => "-".to_string(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        };
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let sla = r["sla_days"]
                    .as_i64()
                    .map_or("-".into(), |d| format!("{d}d"));
                vec![
                    text(&r["lane"]),
                    sla,
                    text(&r["active"]),
                    text(&r["overdue"]),
                    text(&r["due_soon"]),
                    text(&r["pending"]),
                    text(&r["in_progress"]),
                    text(&r["approval"]),
                ]
            })
            .collect();
        if args.format == Format::Csv {
            output::csv(&mut out, &headers, &cells)?;
        } else {
            output::table(&mut out, &headers, &cells)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
