use super::Context;
use super::output::{self, Format};
use std::io::Write;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Count only findings matching this filter.
    #[arg(long, short, default_value = "")]
    pub query: String,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let (store, _) = ctx.open_triaged(&config, &ctx.actor(&config))?;
    let stats = store.stats(&args.query, &ctx.query_context(&config))?;
    let mut out = super::output::stdout();
    let groups = [
        ("severity", &stats.by_severity),
        ("status", &stats.by_status),
        ("tool", &stats.by_tool),
        ("repo", &stats.by_repo),
    ];
    match args.format {
        Format::Json => {
            let mut obj = serde_json::Map::new();
            obj.insert("total".into(), stats.total.into());
            for (name, rows) in groups {
                let m: serde_json::Map<_, _> =
                    rows.iter().map(|(k, n)| (k.clone(), (*n).into())).collect();
                obj.insert(format!("by_{name}"), m.into());
            }
            serde_json::to_writer_pretty(&mut out, &obj)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let rows: Vec<Vec<String>> = groups
                .iter()
                .flat_map(|(g, rows)| {
                    rows.iter()
                        .map(move |(k, n)| vec![g.to_string(), k.clone(), n.to_string()])
                })
                .collect();
            output::csv(&mut out, &["group", "value", "count"], &rows)?;
        }
        Format::Table => {
            writeln!(out, "{} findings", stats.total)?;
            for (name, rows) in groups {
                writeln!(out)?;
                let rows: Vec<Vec<String>> = rows
                    .iter()
                    .map(|(k, n)| vec![k.clone(), n.to_string()])
                    .collect();
                output::table(&mut out, &[name, "count"], &rows)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
