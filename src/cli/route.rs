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
    let scoped = |q: &str| -> color_eyre::Result<String> {
        let names_status = crate::query::parse(q)?
            .fields()
            .iter()
            .any(|f| f == "status");
        Ok(if q.trim().is_empty() {
            "status:active".to_string()
        } else if names_status {
            q.to_string()
        } else {
            format!("status:active ({q})")
        })
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
        let base = scoped(args.query.as_deref().unwrap_or(""))?;
        Some(format!("({base}) ({})", owners.join(" OR ")))
    } else {
        args.query.as_deref().map(scoped).transpose()?
    };
    let ids = select(
        ctx,
        &store,
        &config,
        &args.ids,
        query.as_deref(),
        Some("status:active"),
    )?;
    // In chunks, so a million findings never sit in memory at once; with --apply each chunk
    // is its own transaction (a run stopped half-way keeps what it applied, with its events,
    // and the next run carries on).
    let mut printer = Printer::new(args.format, args.apply)?;
    for chunk in ids.chunks(CHUNK) {
        let planned = planner.suggest(&mut store, chunk, args.force)?;
        let mut changed = 0;
        if args.apply {
            let items: Vec<(i64, Assignment)> = planned
                .iter()
                .filter_map(|p| Some((p.target.id, p.assignment()?)))
                .collect();
            let done =
                store.assign(&items, &actor, args.force, &departed, &policy, &SystemClock)?;
            changed = done.iter().filter(|(_, a)| *a == Assigned::Changed).count();
        }
        printer.chunk(&planned, changed)?;
    }
    for w in planner.warnings() {
        eprintln!("warning: {}", sanitize::line(&w));
    }
    printer.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// Findings routed (and applied) at a time.
const CHUNK: usize = 20_000;

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

/// Writes the plan as it comes, chunk by chunk: JSON as one array, CSV with one header, the
/// table with the reasons under each row and a summary at the end.
struct Printer {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    format: Format,
    apply: bool,
    /// CSV rows of the chunk being written (the csv writer borrows `out` per chunk).
    csv_rows: Vec<[String; 7]>,
    rows: usize,
    assign: usize,
    changed: usize,
    unchanged: usize,
    kept: usize,
    unrouted: usize,
}

impl Printer {
    fn new(format: Format, apply: bool) -> color_eyre::Result<Printer> {
        let mut out = output::stdout();
        match format {
            Format::Json => write!(out, "[")?,
            Format::Csv => {
                let mut w = ::csv::Writer::from_writer(&mut out);
                w.write_record([
                    "id",
                    "path",
                    "person",
                    "team",
                    "confidence",
                    "action",
                    "why",
                ])?;
                w.flush()?;
            }
            Format::Table => {}
        }
        Ok(Printer {
            out,
            format,
            apply,
            csv_rows: Vec::new(),
            rows: 0,
            assign: 0,
            changed: 0,
            unchanged: 0,
            kept: 0,
            unrouted: 0,
        })
    }

    fn chunk(&mut self, planned: &[Planned], changed: usize) -> color_eyre::Result<()> {
        self.changed += changed;
        for p in planned {
            match p.action {
                Action::Assign => self.assign += 1,
                Action::Unchanged => self.unchanged += 1,
                Action::KeepManual { .. } => self.kept += 1,
                Action::Unrouted => self.unrouted += 1,
            }
            self.row(p)?;
            self.rows += 1;
        }
        if !self.csv_rows.is_empty() {
            let mut w = ::csv::Writer::from_writer(&mut self.out);
            for r in self.csv_rows.drain(..) {
                w.write_record(&r)?;
            }
            w.flush()?;
        }
        Ok(())
    }

    fn row(&mut self, p: &Planned) -> color_eyre::Result<()> {
        let s = &p.suggestion;
        let apply = self.apply;
        match self.format {
            Format::Json => {
                let v = serde_json::json!({
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
                });
                if self.rows > 0 {
                    write!(self.out, ",")?;
                }
                write!(self.out, "\n  ")?;
                serde_json::to_writer(&mut self.out, &v)?;
            }
            Format::Table | Format::Csv => {
                let at = match (&p.target.path, p.target.start_line) {
                    (Some(path), Some(l)) => format!("{}:{path}:{l}", p.target.repo),
                    (Some(path), None) => format!("{}:{path}", p.target.repo),
                    _ => p.target.repo.clone(),
                };
                let person = s.person.as_deref().map(|h| format!("@{h}"));
                let confidence = s.confidence.map(|c| c.as_str()).unwrap_or("-");
                if self.format == Format::Csv {
                    self.csv_rows.push([
                        p.target.id.to_string(),
                        at,
                        person.unwrap_or_default(),
                        s.team.clone().unwrap_or_default(),
                        confidence.into(),
                        action_text(p, apply),
                        s.chain(),
                    ]);
                } else {
                    // The reasons are the point: a table would clip them, so they go on their
                    // own line under each row.
                    writeln!(
                        self.out,
                        "#{:<6} {}  {} {}  [{confidence}]  {}",
                        p.target.id,
                        sanitize::line(&at),
                        sanitize::line(person.as_deref().unwrap_or("-")),
                        sanitize::line(s.team.as_deref().unwrap_or("-")),
                        action_text(p, apply)
                    )?;
                    writeln!(self.out, "        {}", sanitize::line(&s.chain()))?;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self) -> color_eyre::Result<()> {
        match self.format {
            Format::Json => writeln!(self.out, "\n]")?,
            Format::Csv => {}
            Format::Table => writeln!(
                self.out,
                "{} findings: {} {}, {} unchanged, {} kept (assigned by hand), {} unrouted",
                self.rows,
                if self.apply {
                    self.changed
                } else {
                    self.assign
                },
                if self.apply {
                    "assigned"
                } else {
                    "to assign (--apply)"
                },
                self.unchanged,
                self.kept,
                self.unrouted,
            )?,
        }
        self.out.flush()?;
        Ok(())
    }
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
