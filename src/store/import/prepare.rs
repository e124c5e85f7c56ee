//! What the parser's thread works out for each finding before it crosses to the writer (the
//! writer's thread is the import's bottleneck): its scope, its fingerprint key, the hash of its
//! details, and whether the report repeats it.

use crate::ingest::{ImportEvent, ImportedFinding, RunInfo};
use crate::prehashed::BuildPassThrough;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// A finding's keys, as the writer would otherwise compute them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keys {
    /// `content_hash`: decides whether a rescan refreshes the details.
    pub content: [u8; 16],
    /// `fp_key` of the fingerprint.
    pub fp_key: i64,
    /// An earlier result of this report had the same key in the same scope (a duplicate or a
    /// collision): only such a result needs the writer's identity probe in a scope that was
    /// empty before the scan.
    pub repeat: bool,
}

impl Keys {
    /// A finding's keys with nothing known of the rest of the report: `repeat` is assumed, so
    /// the writer probes for it.
    pub(super) fn of(f: &ImportedFinding) -> Keys {
        Keys {
            content: content_hash(f),
            fp_key: fp_key(&f.fingerprint),
            repeat: true,
        }
    }
}

/// Keys per scope, as the writer groups runs into scans: several runs of one tool are one scope.
pub(super) struct Preparer {
    repo: Option<String>,
    scopes: HashMap<(String, String), usize>,
    seen: Vec<HashSet<i64, BuildPassThrough>>,
    current: Option<usize>,
}

impl Preparer {
    /// `repo` is the import's `--repo`, which overrides what each run names.
    pub(super) fn new(repo: Option<String>) -> Preparer {
        Preparer {
            repo,
            scopes: HashMap::new(),
            seen: Vec::new(),
            current: None,
        }
    }

    pub(super) fn prepare(&mut self, ev: &ImportEvent) -> Option<Keys> {
        match ev {
            ImportEvent::BeginRun(info) => {
                let next = self.seen.len();
                let idx = *self
                    .scopes
                    .entry(scope_of(self.repo.as_deref(), info))
                    .or_insert(next);
                if idx == next {
                    self.seen.push(HashSet::default());
                }
                self.current = Some(idx);
                None
            }
            ImportEvent::EndRun(_) => None,
            ImportEvent::Finding(f) => {
                let fp_key = fp_key(&f.fingerprint);
                // A result outside a run is the writer's error to report.
                let repeat = self
                    .current
                    .is_some_and(|idx| !self.seen[idx].insert(fp_key));
                Some(Keys {
                    content: content_hash(f),
                    fp_key,
                    repeat,
                })
            }
        }
    }
}

/// The indexed stand-in for a fingerprint: 64-bit FNV-1a, stable across versions and platforms
/// (it is stored). Collisions are harmless: lookups compare the full fingerprint too.
pub(crate) fn fp_key(fingerprint: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in fingerprint.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// The scope (repo, tool) a run's findings belong to: `--repo`, else the report's, else
/// "default"; the tool's name, else "unknown".
pub(super) fn scope_of(repo: Option<&str>, info: &RunInfo) -> (String, String) {
    let repo = repo
        .or(info.repo_hint.as_deref())
        .unwrap_or("default")
        .to_string();
    let tool = if info.tool.trim().is_empty() {
        "unknown".to_string()
    } else {
        info.tool.clone()
    };
    (repo, tool)
}

/// Identifies the details a rescan may refresh; `baseline_state` is per scan and left out.
pub(super) fn content_hash(f: &ImportedFinding) -> [u8; 16] {
    let mut h = Sha256::new();
    // Decimal digits as `to_string` writes them (stored hashes must not change), without
    // allocating twice per finding.
    let mut buffers = [itoa::Buffer::new(), itoa::Buffer::new()];
    let [a, b] = &mut buffers;
    let lines = [(a, f.start_line), (b, f.end_line)].map(|(buf, l)| match l {
        Some(v) => buf.format(v),
        None => "",
    });
    for part in [
        f.rule.as_str(),
        &f.title,
        &f.message,
        f.severity.as_str(),
        &f.score.map(|s| s.to_string()).unwrap_or_default(),
        f.cwe.as_deref().unwrap_or(""),
        f.cve.as_deref().unwrap_or(""),
        f.path.as_deref().unwrap_or(""),
        lines[0],
        lines[1],
        f.snippet.as_deref().unwrap_or(""),
        f.help_uri.as_deref().unwrap_or(""),
        if f.suppressed { "1" } else { "0" },
        f.fixes.as_deref().unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let mut out = [0; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::Preparer;
    use crate::ingest::{ImportEvent, ImportedFinding, RunInfo};

    fn run(tool: &str, repo: Option<&str>) -> ImportEvent {
        ImportEvent::BeginRun(RunInfo {
            tool: tool.into(),
            repo_hint: repo.map(str::to_string),
            ..Default::default()
        })
    }

    fn repeat(p: &mut Preparer, fingerprint: &str) -> bool {
        let f = ImportEvent::Finding(Box::new(ImportedFinding {
            fingerprint: fingerprint.into(),
            ..Default::default()
        }));
        p.prepare(&f).unwrap().repeat
    }

    #[test]
    fn repeats_are_counted_per_scope_as_the_writer_groups_runs() {
        let mut p = Preparer::new(None);
        p.prepare(&run("semgrep", Some("a/one")));
        assert!(!repeat(&mut p, "x"));
        assert!(repeat(&mut p, "x"));
        // Another repo, another tool: other scopes.
        p.prepare(&run("semgrep", Some("a/two")));
        assert!(!repeat(&mut p, "x"));
        p.prepare(&run("bandit", Some("a/one")));
        assert!(!repeat(&mut p, "x"));
        // A second run of the first scope is the same scan.
        p.prepare(&run("semgrep", Some("a/one")));
        assert!(repeat(&mut p, "x"));

        // --repo makes runs naming different repos one scope.
        let mut p = Preparer::new(Some("mine".into()));
        p.prepare(&run("semgrep", Some("a/one")));
        assert!(!repeat(&mut p, "x"));
        p.prepare(&run("semgrep", Some("a/two")));
        assert!(repeat(&mut p, "x"));
    }
}
