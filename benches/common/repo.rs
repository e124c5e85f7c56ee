//! The generated repository the blame and route benchmarks share: built once under
//! `$BENCH_DIR` (default `$CARGO_TARGET_DIR/bench` or `target/bench`), reused after; delete it
//! to time the generator again.

use lastmile::owners::gitgen::{self, GenSpec};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn bench_repo(spec: &GenSpec) -> PathBuf {
    let base = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(|t| PathBuf::from(t).join("bench")))
        .unwrap_or_else(|| PathBuf::from("target/bench"));
    let repo = base.join(format!(
        "blame-repo-{}-{}-{}",
        spec.seed, spec.files, spec.commits
    ));
    if !repo.join(".git").exists() {
        let _ = std::fs::remove_dir_all(&repo);
        let t = Instant::now();
        let out = gitgen::generate(&repo, spec).expect("generate the repository");
        println!(
            "generate   {:>7.2} s  {} files, {} commits, {} moved blocks, {} renames",
            t.elapsed().as_secs_f64(),
            out.files.len(),
            out.commits,
            out.moved_blocks,
            out.renames
        );
    }
    repo
}

/// Every file at HEAD.
pub fn files_at_head(repo: &Path) -> Vec<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["ls-tree", "-r", "--name-only", "HEAD"])
        .output()
        .expect("git ls-tree");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}
