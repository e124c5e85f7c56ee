//! Routing 100,000 findings spread over the 5,000 files of a generated repository (3,000
//! commits by 60 people, some of whom have left): suggestions with an empty blame cache
//! (cold), again from the cache (warm), and applying them. One-shot timings like
//! `benches/blame.rs`, whose repository it shares.
//!
//!     cargo bench --bench route
//!
//! Knobs: `ROUTE_FINDINGS` (default 100000), `BENCH_DIR` (where the repository is kept).

#[path = "common/repo.rs"]
mod common;

use lastmile::clock::SystemClock;
use lastmile::config::Config;
use lastmile::owners::gitgen::GenSpec;
use lastmile::owners::plan::Planner;
use lastmile::store::{Assignment, ImportOptions, Store};
use lastmile::triage::policy::Policy;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::time::Instant;

fn main() {
    let findings: usize = std::env::var("ROUTE_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let spec = GenSpec::benchmark(7);
    let repo = common::bench_repo(&spec);
    let files = common::files_at_head(&repo);
    let dirs = top_dirs(&files);
    // Ownership as a real repo has it: a CODEOWNERS rule per top-level folder.
    let mut codeowners = String::from("*  @acme/team0\n");
    for (i, d) in dirs.iter().enumerate() {
        writeln!(codeowners, "/{d}/  @acme/team{}", i % 10).unwrap();
    }
    std::fs::write(repo.join("CODEOWNERS"), codeowners).expect("write CODEOWNERS");
    let config = roster(&repo);

    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("route.db");
    let mut store = Store::open(&db).expect("open store");
    let t = Instant::now();
    import(&mut store, dir.path(), &files, findings);
    println!(
        "import     {:>7.2} s  {findings} findings over {} files",
        t.elapsed().as_secs_f64(),
        files.len()
    );
    let ctx = lastmile::query::Context::new(chrono::Utc::now(), None);
    let ids = store.ids_matching("", &ctx).expect("ids");
    let today = chrono::Utc::now().date_naive();

    let t = Instant::now();
    let planner = Planner::new(&config, today);
    let planned = planner.suggest(&mut store, &ids, false).expect("cold");
    let cold = t.elapsed().as_secs_f64();
    let mut by_confidence: BTreeMap<&str, usize> = BTreeMap::new();
    let mut from_blame = 0;
    for p in &planned {
        let c = p.suggestion.confidence.map_or("none", |c| c.as_str());
        *by_confidence.entry(c).or_default() += 1;
        from_blame += usize::from(
            p.suggestion
                .reasons
                .iter()
                .any(|r| r.starts_with("blame @")),
        );
    }
    println!(
        "cold       {cold:>7.2} s  {} suggestions {by_confidence:?}, {from_blame} with a blame reason",
        planned.len()
    );
    for w in planner.warnings() {
        println!("  warning: {w}");
    }

    let t = Instant::now();
    let planner = Planner::new(&config, today);
    let again = planner.suggest(&mut store, &ids, false).expect("warm");
    println!(
        "warm       {:>7.2} s  {} suggestions",
        t.elapsed().as_secs_f64(),
        again.len()
    );

    let items: Vec<(i64, Assignment)> = planned
        .iter()
        .filter_map(|p| Some((p.target.id, p.assignment()?)))
        .collect();
    let t = Instant::now();
    let done = store
        .assign(
            &items,
            "bench",
            false,
            &[],
            &Policy::default(),
            &SystemClock,
        )
        .expect("apply");
    println!(
        "apply      {:>7.2} s  {} assigned (one event each)",
        t.elapsed().as_secs_f64(),
        done.len()
    );
}

fn git_lines(repo: &Path, args: &[&str]) -> Vec<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .expect("git");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

fn top_dirs(files: &[String]) -> Vec<String> {
    let mut dirs: Vec<String> = files
        .iter()
        .filter_map(|f| f.split_once('/').map(|(d, _)| d.to_string()))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// People from the repository's authors (one person per name, every e-mail they used), in
/// ten teams; one in six has left.
fn roster(repo: &Path) -> Config {
    let mut people: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for l in git_lines(repo, &["log", "--format=%an%x00%ae"]) {
        if let Some((name, email)) = l.split_once('\0') {
            let emails = people.entry(name.to_string()).or_default();
            if !emails.iter().any(|e| e == email) {
                emails.push(email.to_string());
            }
        }
    }
    let mut text = format!(
        "[[repos]]\nname = \"bench\"\npath = {:?}\n\n[routing]\nblame_max_age_days = 36500\n",
        repo.display().to_string()
    );
    for t in 0..10 {
        writeln!(
            text,
            "[[teams]]\nname = \"team{t}\"\nchampion = \"p{}\"\nlead = \"p{}\"",
            t * 2,
            t * 2 + 1
        )
        .unwrap();
    }
    for (i, (name, emails)) in people.iter().enumerate() {
        let left = if i % 6 == 5 {
            "left = \"2026-01-01\"\n"
        } else {
            ""
        };
        writeln!(
            text,
            "[[people]]\nhandle = \"p{i}\"\nname = {name:?}\nemails = {emails:?}\nteam = \"team{}\"\n{left}",
            i % 10
        )
        .unwrap();
    }
    Config::parse(&text, "bench.toml").expect("bench config")
}

/// A SARIF report of `n` findings a few lines long, spread over `files`, imported.
fn import(store: &mut Store, dir: &Path, files: &[String], n: usize) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut results = Vec::with_capacity(n);
    for i in 0..n {
        let path = &files[rng.random_range(0..files.len())];
        let line: u32 = rng.random_range(1..60);
        results.push(serde_json::json!({
            "ruleId": format!("rule{}", i % 40),
            "level": "warning",
            "message": { "text": format!("finding {i}") },
            "partialFingerprints": { "primaryLocationLineHash": format!("{i:016x}") },
            "locations": [{ "physicalLocation": {
                "artifactLocation": { "uri": path },
                "region": { "startLine": line, "endLine": line + rng.random_range(0..4) }
            }}]
        }));
    }
    let sarif = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "bench" } }, "results": results }]
    });
    let file = dir.join("route.sarif");
    std::fs::write(&file, sarif.to_string()).expect("write sarif");
    let opts = ImportOptions {
        source: "bench".into(),
        repo: Some("bench".into()),
        commit: None,
        actor: "bench".into(),
        backfill: false,
        policy: Default::default(),
        probe: None,
    };
    store
        .import_report(
            std::fs::File::open(&file).expect("open sarif"),
            |r: &mut dyn Read, f: &str, e: &mut dyn FnMut(_) -> _| {
                lastmile::ingest::sarif::parse(r, f, e)
            },
            &opts,
            &SystemClock,
        )
        .expect("import");
}
