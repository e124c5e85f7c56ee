//! `lastmile sync`: pull from the configured trackers and push the outbox, with a progress bar
//! per endpoint on a terminal and a summary at the end.

use super::Context;
use super::output::Format;
use crate::clock::SystemClock;
use crate::trackers::engine::{Plan, Progress, Summary};
use crate::trackers::setup;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only this tracker (github).
    #[arg(long)]
    pub tracker: Option<String>,
    /// Pull only: the outbox waits.
    #[arg(long, conflicts_with = "push_only")]
    pub pull_only: bool,
    /// Push the outbox only.
    #[arg(long)]
    pub push_only: bool,
    /// Read from the trackers and report what would change; write nothing, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Say which endpoints and rows were done (never a token).
    #[arg(long, short)]
    pub verbose: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// One bar per endpoint, on standard error and only on a terminal.
struct Bars {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
    verbose: bool,
}

impl Bars {
    fn new(verbose: bool) -> Bars {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: HashMap::new(),
            verbose,
        }
    }

    fn bar(&mut self, endpoint: &str) -> &ProgressBar {
        let multi = &self.multi;
        self.bars.entry(endpoint.to_string()).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:40} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(crate::sanitize::line(endpoint).into_owned());
            bar
        })
    }

    fn on(&mut self, p: Progress) {
        match p {
            Progress::Page {
                endpoint,
                page,
                items,
            } => {
                let bar = self.bar(&endpoint);
                bar.set_message(format!("page {page}, {items} items"));
                bar.tick();
            }
            Progress::EndpointDone {
                endpoint,
                counts,
                not_modified,
            } => {
                let msg = if not_modified {
                    "not modified".to_string()
                } else {
                    format!(
                        "{} pulled, {} new, {} linked, {} updated, {} conflicts",
                        counts.pulled,
                        counts.created,
                        counts.linked,
                        counts.updated,
                        counts.conflicts
                    )
                };
                let verbose = self.verbose;
                let bar = self.bar(&endpoint);
                bar.finish_with_message(msg.clone());
                if verbose && bar.is_hidden() {
                    eprintln!("{}: {msg}", crate::sanitize::line(&endpoint));
                }
            }
            Progress::Pushed { row, what, ok } => {
                if self.verbose {
                    let line = format!(
                        "outbox {row}: {} {}",
                        crate::sanitize::line(&what),
                        if ok { "sent" } else { "failed" }
                    );
                    let _ = self.multi.println(&line);
                    if self.multi.is_hidden() {
                        eprintln!("{line}");
                    }
                }
            }
        }
    }
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    // Triage first, so a decision that expired today is not pushed as if in force.
    let actor = ctx.actor(&config);
    drop(ctx.open_triaged(&config, &actor)?);
    let plan = Plan {
        pull: !args.push_only,
        push: !args.pull_only,
        dry_run: args.dry_run,
    };
    let mut bars = Bars::new(args.verbose);
    let summaries = setup::run_blocking(
        &ctx.paths.db,
        &config,
        &ctx.paths.config,
        args.tracker.as_deref(),
        plan,
        &SystemClock,
        &mut |p| bars.on(p),
    )?;
    drop(bars);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&summaries)?),
        Format::Table | Format::Csv => {
            for s in &summaries {
                print_summary(s, args.dry_run);
            }
        }
    }
    let failed = summaries
        .iter()
        .any(|s| !s.errors.is_empty() || s.failed > 0);
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_summary(s: &Summary, dry_run: bool) {
    let p = &s.pulled;
    let what = if dry_run { "would sync" } else { "synced" };
    println!(
        "{} {what}: {} pulled, {} created, {} linked, {} updated, {} conflicts; {} pushed, {} failed, {} pending",
        s.tracker,
        p.pulled,
        p.created,
        p.linked,
        p.updated,
        p.conflicts,
        s.pushed,
        s.failed,
        s.pending
    );
    if let Some(until) = s.rate_limited_until {
        println!(
            "  rate limited until {} UTC: the rest waits for the next sync",
            until.format("%Y-%m-%d %H:%M")
        );
    }
    for e in s.errors.iter().chain(&s.warnings) {
        println!("  {}", crate::sanitize::line(e));
    }
    if dry_run && !s.would_push.is_empty() {
        println!("  would send, in this order:");
        for row in &s.would_push {
            println!("    {}", crate::sanitize::line(row));
        }
    }
    if s.failed > 0 {
        println!("  `lastmile outbox --failed` lists what failed; `--retry` queues it again");
    }
}
