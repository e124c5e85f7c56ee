//! git blame for routing 100k findings over 5,000 files of a generated repository (3,000
//! commits by 60 people): blaming every file with an empty cache (cold) and from the SQLite
//! cache (warm), then the per-finding author lookups. One-shot timings, not criterion: a cold
//! run is cold only once.
//!
//!     cargo bench --bench blame
//!
//! The repository is built once under `$BENCH_DIR` (default `$CARGO_TARGET_DIR/bench` or
//! `target/bench`); delete it to time the generator again. Knobs: `BLAME_FILES`,
//! `BLAME_COMMITS`, `BLAME_JOBS` (parallel git processes), `BLAME_ARGS` (extra `git blame`
//! options, space separated), `BLAME_NO_COPIES=1` (no `-C`), `BLAME_NO_GRAPH=1` (blame without writing a commit-graph first).
//! Each run deletes the repository's commit-graph, so "cold" includes writing it, as the
//! first routing over a fresh clone does.

#[path = "common/repo.rs"]
mod common;

use lastmile::owners::blame::{BlameOptions, Blamer};
use lastmile::owners::gitgen::GenSpec;
use lastmile::store::Store;
use rand::{Rng, SeedableRng};
use std::time::Instant;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes `--bench`; a plain run with a filter argument is not ours to parse.
    let mut spec = GenSpec::benchmark(7);
    spec.files = env_or("BLAME_FILES", spec.files);
    spec.commits = env_or("BLAME_COMMITS", spec.commits);
    let repo = common::bench_repo(&spec);
    let files = common::files_at_head(&repo);
    let info = repo.join(".git/objects/info");
    let _ = std::fs::remove_file(info.join("commit-graph"));
    let _ = std::fs::remove_dir_all(info.join("commit-graphs"));

    let options = BlameOptions {
        jobs: env_or("BLAME_JOBS", 0),
        extra_args: std::env::var("BLAME_ARGS")
            .map(|a| a.split_whitespace().map(String::from).collect())
            .unwrap_or_default(),
        commit_graph: env_or("BLAME_NO_GRAPH", 0) != 1,
        copies: env_or("BLAME_NO_COPIES", 0) != 1,
        ..BlameOptions::default()
    };
    let blamer = Blamer::new("bench", &repo, options);
    let head = blamer.resolve(None).expect("resolve HEAD").commit;

    let db_dir = tempfile::tempdir().expect("tempdir");
    let db = db_dir.path().join("bench.db");
    let mut store = Store::open(&db).expect("open store");
    let t = Instant::now();
    let cold = store
        .blame_batch(&blamer, &head, &files)
        .expect("cold batch");
    let cold_s = t.elapsed().as_secs_f64();
    assert!(cold.errors.is_empty(), "{:?}", cold.errors.first());
    let lines: u64 = cold.blames.values().map(|b| u64::from(b.lines())).sum();
    println!(
        "cold       {cold_s:>7.2} s  {} files blamed ({} lines), {:.1} ms a file, {} git runs",
        cold.blamed,
        lines,
        cold_s * 1000.0 / cold.blamed.max(1) as f64,
        blamer.git_runs()
    );
    drop(store);

    let runs = blamer.git_runs();
    let t = Instant::now();
    let mut store = Store::open(&db).expect("reopen store");
    let warm = store
        .blame_batch(&blamer, &head, &files)
        .expect("warm batch");
    let warm_s = t.elapsed().as_secs_f64();
    assert_eq!(blamer.git_runs(), runs, "the warm run must not start git");
    println!(
        "warm       {warm_s:>7.2} s  {} hits, db {:.1} MB",
        warm.hits,
        std::fs::metadata(&db).map_or(0.0, |m| m.len() as f64 / 1e6)
    );

    // 100k findings over the 5,000 files, each a few lines somewhere in its file.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let t = Instant::now();
    let mut found = 0usize;
    for _ in 0..100_000 {
        let path = &files[rng.random_range(0..files.len())];
        let Some(b) = warm.blames.get(path) else {
            continue;
        };
        let start = rng.random_range(1..=b.lines().max(1));
        found += b.authors_of(start, start + rng.random_range(0..5)).len();
    }
    println!(
        "lookups    {:>7.3} s  100000 findings, {found} author entries",
        t.elapsed().as_secs_f64()
    );
}
