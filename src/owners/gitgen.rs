//! A seeded generator of realistic git repositories, for the blame benchmark, tests and the
//! demo: files spread over a service tree, commits by authors of uneven activity (some with
//! several e-mails and spellings, as in real life), edits of line ranges, blocks moved within
//! and across files, and renames.
//!
//! Built through one `git fast-import` stream: thousands of commits take seconds, where a
//! `git commit` per step would take minutes. Deterministic from the seed (fixed dates, no wall
//! clock, no user config), so the same spec gives the same commit ids and the same figures.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Stdio;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::blame::git_command;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenSpec {
    pub seed: u64,
    /// Files at the end (renames keep the count; none is deleted).
    pub files: usize,
    /// Commits on `main`, at least one.
    pub commits: usize,
    /// People; each commits under one of their identities.
    pub authors: usize,
    /// Populate the work tree (the index and files), as a clone has; blame does not need it.
    pub checkout: bool,
    /// Write a commit-graph with changed-path Bloom filters, as `git gc` does with
    /// `gc.writeCommitGraph` and `commitGraph.changedPathsVersion` set.
    pub commit_graph: bool,
}

impl GenSpec {
    /// A repository of the size the routing budget is stated for: 5,000 files, 3,000 commits.
    pub fn benchmark(seed: u64) -> GenSpec {
        GenSpec {
            seed,
            files: 5_000,
            commits: 3_000,
            authors: 60,
            checkout: false,
            commit_graph: false,
        }
    }

    /// Small enough for a unit test or the demo.
    pub fn small(seed: u64) -> GenSpec {
        GenSpec {
            seed,
            files: 40,
            commits: 120,
            authors: 6,
            checkout: true,
            commit_graph: false,
        }
    }
}

/// A person and the identities they commit under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenAuthor {
    /// (name, e-mail) pairs; the first is the canonical one.
    pub identities: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct GenOutcome {
    /// Full id of the last commit (`main`).
    pub head: String,
    /// Every file at `head`, sorted.
    pub files: Vec<String>,
    pub authors: Vec<GenAuthor>,
    pub commits: usize,
    pub moved_blocks: usize,
    pub renames: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("{dir}: {step} failed: {detail}")]
    Git {
        dir: String,
        step: &'static str,
        detail: String,
    },
    #[error("{dir}: {detail}")]
    Invalid { dir: String, detail: String },
}

/// 2020-09-13T12:26:40Z: a fixed origin, so dates (and so commit ids) never depend on today.
const EPOCH: i64 = 1_600_000_000;

const FIRST: &[&str] = &[
    "Alice", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Gustav", "Hana", "Ivan", "Jules", "Kofi",
    "Lena", "Mateo", "Noor", "Olga", "Priya", "Quinn", "Rafael", "Sofia", "Tariq",
];
const LAST: &[&str] = &[
    "Nakamura",
    "Silva",
    "Okafor",
    "Kowalski",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Petrov",
    "Garcia",
    "Mensah",
    "Novak",
    "Rossi",
    "Tanaka",
    "Weber",
    "Yilmaz",
    "Fischer",
];
const SERVICES: &[&str] = &[
    "payments",
    "ledger",
    "checkout",
    "identity",
    "search",
    "catalog",
    "billing",
    "gateway",
    "notifications",
    "inventory",
    "shipping",
    "reports",
];
const MODULES: &[&str] = &[
    "api", "db", "auth", "handlers", "models", "util", "client", "jobs", "config", "metrics",
];
const WORDS: &[&str] = &[
    "account", "amount", "balance", "buffer", "cache", "config", "context", "cursor", "digest",
    "entry", "event", "filter", "handle", "header", "index", "ledger", "limit", "order", "payload",
    "query", "record", "request", "result", "session", "token", "user", "value",
];
const EXTS: &[&str] = &["rs", "py", "go", "ts", "java"];

struct Gen {
    rng: ChaCha8Rng,
    /// Makes every generated line unique, so diffs and move detection behave as on real code.
    counter: u64,
}

impl Gen {
    fn word(&mut self) -> &'static str {
        WORDS[self.rng.random_range(0..WORDS.len())]
    }

    fn line(&mut self) -> String {
        self.counter += 1;
        let (a, b, c) = (self.word(), self.word(), self.word());
        let n = self.counter;
        match self.rng.random_range(0..4) {
            0 => format!("    let {a}_{n} = {b}.{c}_checked({a}, {});", n % 97),
            1 => format!("    if {a}.{b}_{n}() {{ return {c}_error({n}); }}"),
            2 => format!("    // {a} {b} before {c}: see ticket {n}"),
            _ => format!("    {a}_{b}.push({c}_{n}.clone());"),
        }
    }

    fn lines(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.line()).collect()
    }

    /// Zipf-like: a few people write most of the code, as in real teams.
    fn author(&mut self, weights: &[f64], total: f64) -> usize {
        let mut x = self.rng.random_range(0.0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

fn authors(g: &mut Gen, n: usize) -> Vec<GenAuthor> {
    (0..n)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len() + i * 7) % LAST.len()];
            // Suffix past the name lists' product so every person stays distinct.
            let tag = if i >= FIRST.len() * LAST.len() / 4 {
                format!("{}", i)
            } else {
                String::new()
            };
            let (lf, ll) = (first.to_lowercase(), last.to_lowercase());
            let mut ids = vec![(
                format!("{first} {last}{tag}"),
                format!("{lf}.{ll}{tag}@corp.example"),
            )];
            // Real people commit from a second machine or the web UI, often as a handle.
            if g.rng.random_bool(0.4) {
                ids.push((
                    format!("{lf}{}{tag}", &ll[..1]),
                    format!("{}+{lf}{tag}@users.noreply.github.com", 1000 + i),
                ));
            }
            if g.rng.random_bool(0.15) {
                ids.push((
                    format!("{first} {last}{tag}"),
                    format!("{lf}{tag}@personal.example"),
                ));
            }
            GenAuthor { identities: ids }
        })
        .collect()
}

fn file_path(g: &mut Gen, taken: &BTreeMap<String, Vec<String>>) -> String {
    loop {
        let svc = SERVICES[g.rng.random_range(0..SERVICES.len())];
        let svc_n = g.rng.random_range(0..6);
        let module = MODULES[g.rng.random_range(0..MODULES.len())];
        let ext = EXTS[(svc.len() + svc_n) % EXTS.len()];
        let (a, b) = (g.word(), g.word());
        let n = g.rng.random_range(0..100);
        let path = match g.rng.random_range(0..10) {
            0 => format!("libs/{module}/{a}_{b}{n}.{ext}"),
            1 => format!("services/{svc}{svc_n}/tests/{a}_{b}{n}_test.{ext}"),
            _ => format!("services/{svc}{svc_n}/src/{module}/{a}_{b}{n}.{ext}"),
        };
        if !taken.contains_key(&path) {
            return path;
        }
    }
}

/// Builds the repository in `dir` (created if missing; must not already be a repository).
pub fn generate(dir: &Path, spec: &GenSpec) -> Result<GenOutcome, GenError> {
    let shown = dir.display().to_string();
    if spec.commits == 0 || spec.authors == 0 {
        return Err(GenError::Invalid {
            dir: shown,
            detail: "a repository needs at least one commit and one author".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| GenError::Invalid {
        dir: shown.clone(),
        detail: format!("cannot create: {e}"),
    })?;
    if dir.join(".git").exists() {
        return Err(GenError::Invalid {
            dir: shown,
            detail: "already a git repository".into(),
        });
    }
    run(dir, "git init", &["init", "-q", "-b", "main"])?;

    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(spec.seed),
        counter: 0,
    };
    let people = authors(&mut g, spec.authors);
    let weights: Vec<f64> = (0..people.len()).map(|i| 1.0 / (i as f64 + 1.0)).collect();
    let total: f64 = weights.iter().sum();

    let mut child = git_command(None, dir)
        .args(["fast-import", "--quiet", "--done"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| git_failed(&shown, "git fast-import", e.to_string()))?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| git_failed(&shown, "git fast-import", "no stdin".into()))?;
    let mut out = BufWriter::with_capacity(1 << 20, stdin);
    let written = write_history(&mut g, spec, &people, &weights, total, &mut out);
    // Close stdin whatever happened, so fast-import ends and its error (if any) is readable.
    let flushed = out.into_inner().map_err(|e| e.into_error());
    let (moved_blocks, renames, files) = match (written, flushed) {
        (Ok(stats), Ok(stdin)) => {
            drop(stdin);
            stats
        }
        (Err(e), _) | (_, Err(e)) => {
            let output = child.wait_with_output();
            let stderr = output
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            return Err(git_failed(
                &shown,
                "git fast-import",
                format!("{e}; {stderr}"),
            ));
        }
    };
    let output = child
        .wait_with_output()
        .map_err(|e| git_failed(&shown, "git fast-import", e.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        return Err(git_failed(&shown, "git fast-import", stderr));
    }
    if spec.checkout {
        run(dir, "git reset", &["reset", "-q", "--hard", "main"])?;
    }
    if spec.commit_graph {
        run(
            dir,
            "git commit-graph",
            &[
                "-c",
                "commitGraph.changedPathsVersion=2",
                "commit-graph",
                "write",
                "--reachable",
                "--changed-paths",
            ],
        )?;
    }
    let head = run(dir, "git rev-parse", &["rev-parse", "--verify", "main"])?;
    Ok(GenOutcome {
        head: head.trim().to_string(),
        files,
        authors: people,
        commits: spec.commits,
        moved_blocks,
        renames,
    })
}

/// Writes the fast-import stream; returns (moved blocks, renames, files at the end).
fn write_history(
    g: &mut Gen,
    spec: &GenSpec,
    people: &[GenAuthor],
    weights: &[f64],
    total: f64,
    out: &mut impl Write,
) -> std::io::Result<(usize, usize, Vec<String>)> {
    // Ordered, so the same seed always picks the same files.
    let mut tree: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    // Files appear over the first half of history; the rest of it edits them.
    let growth = (spec.commits / 2).max(1);
    let (mut moved, mut renamed) = (0, 0);
    let mut time = EPOCH;
    for c in 0..spec.commits {
        time += g.rng.random_range(600..36 * 3600);
        let person = &people[g.author(weights, total)];
        let (name, email) = &person.identities[g.rng.random_range(0..person.identities.len())];
        let mut changed: Vec<String> = Vec::new();
        let mut gone: Vec<(String, String)> = Vec::new();

        let target = if c < growth {
            spec.files * (c + 1) / growth
        } else {
            spec.files
        };
        while tree.len() < target {
            let path = file_path(g, &tree);
            let len = 30 + g.rng.random_range(0..120) + g.rng.random_range(0..120);
            tree.insert(path.clone(), g.lines(len));
            order.push(path.clone());
            changed.push(path);
        }
        let mut message = format!("Add {} files", changed.len());
        if c >= growth / 4 && !order.is_empty() {
            for _ in 0..g.rng.random_range(1..5) {
                let path = order[pick_hot(g, order.len())].clone();
                if let Some(lines) = tree.get_mut(&path) {
                    edit(g, lines);
                    changed.push(path);
                }
            }
            message = format!(
                "Update {}",
                changed.last().map(String::as_str).unwrap_or("")
            );
            if order.len() > 1 && g.rng.random_bool(0.03) {
                moved += 1;
                let from = order[g.rng.random_range(0..order.len())].clone();
                let to = if g.rng.random_bool(0.5) {
                    from.clone()
                } else {
                    order[g.rng.random_range(0..order.len())].clone()
                };
                move_block(g, &mut tree, &from, &to);
                changed.push(from);
                changed.push(to);
                message = "Move a block".into();
            }
            if g.rng.random_bool(0.01) {
                let i = g.rng.random_range(0..order.len());
                let old = order[i].clone();
                let new = file_path(g, &tree);
                if let Some(lines) = tree.remove(&old) {
                    tree.insert(new.clone(), lines);
                    order[i] = new.clone();
                    changed.retain(|p| p != &old);
                    gone.push((old, new));
                    renamed += 1;
                }
            }
        }

        writeln!(out, "commit refs/heads/main")?;
        writeln!(out, "author {name} <{email}> {time} +0000")?;
        writeln!(out, "committer {name} <{email}> {time} +0000")?;
        data(out, message.as_bytes())?;
        for (old, new) in &gone {
            writeln!(out, "R {old} {new}")?;
        }
        changed.sort();
        changed.dedup();
        for path in &changed {
            if let Some(lines) = tree.get(path) {
                writeln!(out, "M 100644 inline {path}")?;
                let mut body = lines.join("\n");
                body.push('\n');
                data(out, body.as_bytes())?;
            }
        }
        writeln!(out)?;
    }
    writeln!(out, "done")?;
    let files: Vec<String> = tree.into_keys().collect();
    Ok((moved, renamed, files))
}

/// Most edits land on a small, busy part of the code base.
fn pick_hot(g: &mut Gen, n: usize) -> usize {
    if g.rng.random_bool(0.6) {
        g.rng.random_range(0..n.div_ceil(10))
    } else {
        g.rng.random_range(0..n)
    }
}

fn edit(g: &mut Gen, lines: &mut Vec<String>) {
    let at = g.rng.random_range(0..=lines.len());
    let cut = g.rng.random_range(0..=8).min(lines.len() - at);
    let add = match g.rng.random_range(0..4) {
        0 => 0,
        _ => g.rng.random_range(1..=10),
    };
    let new = g.lines(add);
    lines.splice(at..at + cut, new);
    if lines.is_empty() {
        lines.push(g.line());
    }
}

fn move_block(g: &mut Gen, tree: &mut BTreeMap<String, Vec<String>>, from: &str, to: &str) {
    let Some(src) = tree.get_mut(from) else {
        return;
    };
    if src.len() < 12 {
        return;
    }
    let len = g.rng.random_range(5..=10);
    let at = g.rng.random_range(0..src.len() - len);
    let block: Vec<String> = src.drain(at..at + len).collect();
    if let Some(dst) = tree.get_mut(to) {
        let at = g.rng.random_range(0..=dst.len());
        dst.splice(at..at, block);
    }
}

fn data(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    writeln!(out, "data {}", bytes.len())?;
    out.write_all(bytes)?;
    writeln!(out)
}

fn run(dir: &Path, step: &'static str, args: &[&str]) -> Result<String, GenError> {
    let shown = dir.display().to_string();
    let output = git_command(None, dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| git_failed(&shown, step, e.to_string()))?;
    if !output.status.success() {
        return Err(git_failed(
            &shown,
            step,
            String::from_utf8_lossy(&output.stderr).trim().to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn git_failed(dir: &str, step: &'static str, detail: String) -> GenError {
    GenError::Git {
        dir: dir.to_string(),
        step,
        detail,
    }
}
