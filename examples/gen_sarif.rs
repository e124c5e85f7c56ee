//! Writes a synthetic SARIF report for benchmarks: `gen_sarif RESULTS OUT [--results-first] [--no-tool-fingerprints] [--seed N] [--started RFC3339]`.
//! Uses the same seeded generator as the demo.

use lastmile::demo::generator::{self, WriteOptions};
use std::io::BufWriter;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen_sarif RESULTS OUT [--results-first] [--seed N]");
        std::process::exit(2);
    }
    let count: u64 = args[1].parse().unwrap_or_else(|_| {
        eprintln!("gen_sarif: RESULTS must be a number, not '{}'", args[1]);
        std::process::exit(2)
    });
    let seed = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let opts = WriteOptions {
        results_first: args.iter().any(|a| a == "--results-first"),
        tool_fingerprints: !args.iter().any(|a| a == "--no-tool-fingerprints"),
        started_at: Some(
            args.iter()
                .position(|a| a == "--started")
                .and_then(|i| args.get(i + 1))
                .cloned()
                .unwrap_or_else(|| "2026-11-01T00:00:00Z".into()),
        ),
        repository_uri: Some("https://github.com/acme/bench".into()),
        revision: Some("0123456789abcdef0123456789abcdef01234567".into()),
    };
    let file = std::fs::File::create(&args[2]).unwrap_or_else(|e| {
        eprintln!("gen_sarif: {}: {e}", args[2]);
        std::process::exit(1)
    });
    let results = generator::synthetic(&generator::SEMGREP, seed, count, 5000);
    if let Err(e) = generator::write_sarif(
        BufWriter::with_capacity(1 << 20, file),
        &generator::SEMGREP,
        results,
        &opts,
    ) {
        eprintln!("gen_sarif: {}: {e}", args[2]);
        std::process::exit(1);
    }
}
