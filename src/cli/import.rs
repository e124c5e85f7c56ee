use super::Context;
use crate::clock::SystemClock;
use crate::store::{ImportOptions, ImportOutcome, ScanSummary, Store};
use color_eyre::eyre::{WrapErr, eyre};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// SARIF files; `-` reads standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The repository these reports are about (default: what the report names, else "default").
    #[arg(long)]
    pub repo: Option<String>,
    /// The commit that was scanned (default: what the report names).
    #[arg(long)]
    pub commit: Option<String>,
    /// These reports are older than what was imported before: add new findings, but close and
    /// reopen nothing (also assumed when a report's run started over a day before the latest scan).
    #[arg(long)]
    pub backfill: bool,
    /// `json` prints one object per file: {source, outcome, scans}.
    #[arg(long, value_enum, default_value_t = ImportFormat::Text)]
    pub format: ImportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    Text,
    Json,
}

/// Opens an input the way a user named it, with an error that says which and why.
fn open_input(path: &PathBuf) -> color_eyre::Result<Box<dyn Read + Send>> {
    if is_stdin(path) {
        return Ok(Box::new(std::io::stdin()));
    }
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| eyre!("{shown}: cannot read: {e}"))?;
    if meta.is_dir() {
        return Err(eyre!("{shown}: is a directory, not a report"));
    }
    let file = std::fs::File::open(path).wrap_err_with(|| format!("{shown}: cannot open"))?;
    Ok(Box::new(file))
}

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

pub fn summary_line(source: &str, s: &ScanSummary) -> String {
    let mut notes = Vec::new();
    if !s.complete {
        notes.push("analysis incomplete: nothing closed");
    }
    if s.out_of_order {
        notes.push("backfill, older than the latest scan: nothing closed or reopened");
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    let dups = if s.duplicates > 0 {
        format!(", {} duplicate results", s.duplicates)
    } else {
        String::new()
    };
    let commit = s
        .commit
        .as_deref()
        .map(|c| format!(" @ {c}"))
        .unwrap_or_default();
    format!(
        "{source}: {} on {}{commit}, scan #{}: {} results, {} new, {} seen again, {} closed, {} reopened, {} updated{dups}{notes}",
        crate::sanitize::line(&s.tool),
        crate::sanitize::line(&s.repo),
        s.scan_id,
        s.results,
        s.new,
        s.seen,
        s.closed,
        s.reopened,
        s.updated,
    )
}

pub fn run(ctx: &Context, args: Args) -> color_eyre::Result<ExitCode> {
    let config = ctx.config()?;
    let actor = ctx.actor(&config);
    // Open every input first: a missing file is reported before anything is written.
    let mut inputs = Vec::new();
    for path in &args.files {
        inputs.push((path, open_input(path)?));
    }
    let (mut store, policy) = ctx.open_triaged(&config, &actor)?;
    for (path, reader) in inputs {
        let source = path.display().to_string();
        // A file can be hashed before it is parsed, so the same report again costs one read;
        // that read is a tenth of a large import, so it is made only when the file's probe
        // says it may be a report already imported.
        // Only a regular file reads the same twice: stdin, or a pipe given by name (`<(...)`),
        // is neither probed nor read ahead, as the first read would take bytes from the import.
        let regular = !is_stdin(path) && std::fs::metadata(path).is_ok_and(|m| m.is_file());
        let probe = if !regular {
            None
        } else {
            let cannot_read = || format!("{source}: cannot read");
            let probe = crate::store::file_probe(path).wrap_err_with(cannot_read)?;
            if store.may_be_unchanged(&probe, args.repo.as_deref())? {
                let digest = crate::store::file_digest(path).wrap_err_with(cannot_read)?;
                if let Some(scan_ids) = store.unchanged_report(&digest, args.repo.as_deref())? {
                    report(&source, args.format, ImportOutcome::Unchanged { scan_ids });
                    continue;
                }
            }
            Some(probe)
        };
        let opts = ImportOptions {
            source: source.clone(),
            repo: args.repo.clone(),
            commit: args.commit.clone(),
            actor: actor.clone(),
            backfill: args.backfill,
            policy: policy.clone(),
            probe,
        };
        let reread = regular.then_some(path.as_path());
        let outcome = import_one(&mut store, reader, reread, &opts)?;
        tracing::info!(%source, ?outcome, "import");
        report(&source, args.format, outcome);
    }
    Ok(ExitCode::SUCCESS)
}

fn report(source: &str, format: ImportFormat, outcome: ImportOutcome) {
    if format == ImportFormat::Json {
        let v = match &outcome {
            ImportOutcome::Imported(scans) => {
                serde_json::json!({ "source": source, "outcome": "imported", "scans": scans })
            }
            ImportOutcome::Unchanged { scan_ids } => {
                serde_json::json!({ "source": source, "outcome": "unchanged", "same_as": scan_ids })
            }
        };
        println!("{v}");
        return;
    }
    match outcome {
        ImportOutcome::Imported(scans) if scans.is_empty() => {
            println!("{source}: no runs in this report; nothing to import");
        }
        ImportOutcome::Imported(scans) => {
            for s in scans {
                println!("{}", summary_line(source, &s));
            }
        }
        ImportOutcome::Unchanged { scan_ids } => {
            let ids: Vec<String> = scan_ids.iter().map(|i| format!("#{i}")).collect();
            println!(
                "{source}: identical to the latest scan ({}); nothing changed",
                ids.join(", ")
            );
        }
    }
}

/// Imports one report; `reread` is its path when it is a file the parser may read again
/// (results-first reports are then streamed rather than held, see `ingest::sarif`).
pub fn import_one(
    store: &mut Store,
    reader: Box<dyn Read + Send>,
    reread: Option<&Path>,
    opts: &ImportOptions,
) -> color_eyre::Result<ImportOutcome> {
    let reread = reread.map(Path::to_path_buf);
    Ok(store.import_report(
        reader,
        move |r: &mut dyn Read, f: &str, e: &mut dyn FnMut(_) -> _| match reread {
            Some(path) => {
                let reopen = move || -> std::io::Result<Box<dyn Read>> {
                    Ok(Box::new(std::fs::File::open(&path)?))
                };
                crate::ingest::sarif::parse_rereadable(r, f, &reopen, e)
            }
            None => crate::ingest::sarif::parse(r, f, e),
        },
        opts,
        &SystemClock,
    )?)
}
