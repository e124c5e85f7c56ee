//! What the parser's thread works out for each finding before it crosses to the writer: the
//! writer's thread is the import's bottleneck (SQLite's inserts), the parser's has time to spare.

use super::writer::{content_hash, fp_key, scope_of};
use crate::ingest::ImportEvent;
use crate::prehashed::BuildPassThrough;
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
