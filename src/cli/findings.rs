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
    /// Sort field; prefix `-` for descending (id, severity, status, tool, rule, repo, path, line, title, first_seen, last_seen, risk, due, lane, owner; empty risk, due, lane and owner sort last).
    #[arg(long, default_value = "-severity", allow_hyphen_values = true)]
    pub sort: String,
    /// At most this many findings.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

const HEADERS: &[&str] = &[
    "id", "severity", "status", "repo", "tool", "rule", "path", "line", "title", "lane", "due",
    "risk", "pending", "owner",
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
    ]
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let sort: SortKey = args
        .sort
        .parse()
        .map_err(|e: String| eyre!("--sort: {e}"))?;
    let config = ctx.config()?;
    let store = ctx.open_store()?;
    let found = store.list(&args.query, &ctx.query_context(&config), sort, args.limit)?;
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
    let store = ctx.open_store()?;
    let finding = store
        .finding(args.id)?
        .ok_or_else(|| eyre!("no finding with id {}", args.id))?;
    let history = store.history(args.id)?;
    let mut out = super::output::stdout();
    if args.format == Format::Json {
        let v = serde_json::json!({ "finding": finding, "history": history });
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
    if finding.suppressed {
        writeln!(out, "  suppressed in source")?;
    }
    writeln!(out, "\n{}", sanitize::block(&finding.message))?;
    if let Some(snippet) = &finding.snippet {
        writeln!(out, "\n{}", sanitize::block(snippet))?;
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
