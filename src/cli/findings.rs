use super::Context;
use super::output::{self, Format};
use crate::model::Finding;
use crate::sanitize;
use crate::store::SortKey;
use color_eyre::eyre::eyre;
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Filter, e.g. `sev:high status:open tool:semgrep "sql"` (see README: the filter language).
    #[arg(long, short, default_value = "")]
    pub query: String,
    /// A saved view from the config (`[[views]]`): its query (ANDed with --query) and sort.
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// Sort field; prefix `-` for descending (id, severity, status, tool, rule, repo, path, line, title, first_seen, last_seen, risk, due, lane, owner, team; empty risk, due, lane, owner and team sort last). Default: the view's, else -severity.
    #[arg(long, allow_hyphen_values = true)]
    pub sort: Option<String>,
    /// At most this many findings.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

const HEADERS: &[&str] = &[
    "id", "severity", "status", "repo", "tool", "rule", "path", "line", "title", "lane", "due",
    "risk", "pending", "owner", "team",
];

fn cells(f: &Finding) -> Vec<String> {
    let r = &f.row;
    vec![
        r.id.to_string(),
        r.severity.to_string(),
        r.status.to_string(),
        r.repo.clone(),
        r.tool.clone(),
        r.rule.clone(),
        r.path.clone().unwrap_or_default(),
        r.line.map(|l| l.to_string()).unwrap_or_default(),
        r.title.clone(),
        r.lane.clone().unwrap_or_default(),
        r.due.clone().unwrap_or_default(),
        r.risk.map(|v| v.to_string()).unwrap_or_default(),
        if r.pending {
            "yes".into()
        } else {
            String::new()
        },
        r.owner.clone().unwrap_or_default(),
        r.team.clone().unwrap_or_default(),
    ]
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let view = match &args.view {
        Some(name) => Some(
            config
                .views
                .iter()
                .map(|v| v.get_ref())
                .find(|v| &v.name == name)
                .ok_or_else(|| {
                    let names: Vec<_> = config
                        .views
                        .iter()
                        .map(|v| v.get_ref().name.clone())
                        .collect();
                    eyre!(
                        "--view {name}: no such view in the config (views: {})",
                        if names.is_empty() {
                            "none".into()
                        } else {
                            names.join(", ")
                        }
                    )
                })?,
        ),
        None => None,
    };
    let sort: SortKey = args
        .sort
        .as_deref()
        .or(view.and_then(|v| v.sort.as_deref()))
        .unwrap_or("-severity")
        .parse()
        .map_err(|e: String| eyre!("--sort: {e}"))?;
    let query = match view {
        Some(v) if !v.query.trim().is_empty() && !args.query.trim().is_empty() => {
            format!("({}) ({})", v.query, args.query)
        }
        Some(v) if !v.query.trim().is_empty() => v.query.clone(),
        _ => args.query.clone(),
    };
    let (store, _) = ctx.open_triaged(&config, &ctx.actor(&config))?;
    let found = store.list(&query, &ctx.query_context(&config), sort, args.limit)?;
    let mut out = super::output::stdout();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &found)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let rows: Vec<_> = found.iter().map(cells).collect();
            output::csv(&mut out, HEADERS, &rows)?;
        }
        Format::Table => {
            let rows: Vec<_> = found.iter().map(cells).collect();
            output::table(&mut out, HEADERS, &rows)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    pub id: i64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn show(ctx: &Context, args: ShowArgs) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let (store, _) = ctx.open_triaged(&config, &ctx.actor(&config))?;
    let finding = store
        .finding(args.id)?
        .ok_or_else(|| eyre!("no finding with id {}", args.id))?;
    let history = store.history(args.id)?;
    let mut out = super::output::stdout();
    if args.format == Format::Json {
        let decisions = store.decisions(crate::store::DecisionFilter::Finding(args.id))?;
        let links = store.links(args.id)?;
        let v = serde_json::json!({
            "finding": finding, "decisions": decisions, "links": links, "history": history,
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let r = &finding.row;
    let loc = match (&r.path, r.line) {
        (Some(p), Some(l)) => format!("{p}:{l}"),
        (Some(p), None) => p.clone(),
        _ => "-".into(),
    };
    let s = |v: &str| sanitize::line(v).into_owned();
    writeln!(out, "#{} {}", r.id, s(&r.title))?;
    writeln!(out, "  severity  {}   status {}", r.severity, r.status)?;
    writeln!(out, "  repo      {}   tool {}", s(&r.repo), s(&r.tool))?;
    writeln!(out, "  rule      {}", s(&r.rule))?;
    writeln!(out, "  location  {}", s(&loc))?;
    for (label, v) in [
        ("cwe", &finding.cwe),
        ("cve", &finding.cve),
        ("help", &finding.help_uri),
    ] {
        if let Some(v) = v {
            writeln!(out, "  {label:<9} {}", s(v))?;
        }
    }
    writeln!(out, "  seen      {} .. {}", r.first_seen, r.last_seen)?;
    if let Some(lane) = &r.lane {
        let sla =
            crate::triage::sla::SlaState::of(r.due.as_deref(), chrono::Utc::now().date_naive());
        let due = match &r.due {
            Some(d) => format!("due {d} ({}, {})", sla.word(), sla.relative()),
            None => "no deadline".into(),
        };
        writeln!(out, "  lane      {}   {due}", s(lane))?;
    }
    if let Some(risk) = r.risk {
        writeln!(out, "  risk      {risk:.0} of 100")?;
    }
    if let Some(a) = store.assignment(args.id)?
        && (a.owner.is_some() || a.team.is_some())
    {
        let who = [
            a.owner.as_deref().map(|o| format!("@{}", s(o))),
            a.team.as_deref().map(|t| format!("team {}", s(t))),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        let how = match (a.how.as_deref(), &a.by, &a.at) {
            (Some(how), Some(by), Some(at)) => {
                format!("   {how} by {} {}", s(by), at.get(..10).unwrap_or(at))
            }
            _ => String::new(),
        };
        writeln!(out, "  owner     {who}{how}")?;
        if let Some(reason) = &a.reason {
            writeln!(out, "  routed    {}", s(reason))?;
        }
    }
    for link in store.links(args.id)? {
        let reason = link
            .reason
            .as_deref()
            .map(|r| format!(" ({})", s(r)))
            .unwrap_or_default();
        let url = link
            .url
            .as_deref()
            .map(|u| format!("  {}", s(u)))
            .unwrap_or_default();
        writeln!(
            out,
            "  tracker   {}: {}{reason}{url}",
            s(&link.at.to_string()),
            s(&link.state)
        )?;
    }
    if finding.suppressed {
        writeln!(out, "  suppressed in source")?;
    }
    writeln!(out, "\n{}", sanitize::block(&finding.message))?;
    if let Some(snippet) = &finding.snippet {
        writeln!(out, "\n{}", sanitize::block(snippet))?;
    }
    let decisions = store.decisions(crate::store::DecisionFilter::Finding(args.id))?;
    if !decisions.is_empty() {
        writeln!(out, "\ndecisions:")?;
    }
    for d in &decisions {
        let until = d
            .until
            .as_deref()
            .map(|u| format!(" until {u}"))
            .unwrap_or_default();
        let review = match (&d.reviewer, &d.reviewed_at) {
            (Some(who), Some(at)) => format!(", {} by {} at {at}", d.state.as_str(), s(who)),
            _ => format!(", {}", d.state.as_str()),
        };
        writeln!(
            out,
            "  #{} {} {}{until} by {} at {}{review}: {}",
            d.id,
            d.kind,
            d.lane
                .as_deref()
                .map(|l| format!("[{}]", s(l)))
                .unwrap_or_default(),
            s(&d.actor),
            d.at,
            s(&d.reason)
        )?;
    }
    writeln!(out, "\nhistory:")?;
    for e in history {
        let reason = e
            .reason
            .map(|r| format!(" ({})", s(&r)))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} {} by {}{} {}",
            e.at,
            e.kind,
            s(&e.actor),
            reason,
            s(&e.payload)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
