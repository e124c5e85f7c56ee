//! The built-in demo: a backlog with months of weekly rescans across several repos and tools,
//! plus real scanner reports, all imported through the real importer.

pub mod generator;

use crate::clock::{FixedClock, stamp};
use crate::model::Status;
use crate::store::{ImportOptions, ImportOutcome, Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use generator::{GenResult, ToolProfile, WriteOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Read;
use std::path::Path;

/// Which tools scan which repo in the demo.
const SCOPES: &[(&str, &ToolProfile, usize)] = &[
    ("payments-api", &generator::SEMGREP, 180),
    ("payments-api", &generator::BANDIT, 120),
    ("payments-api", &generator::TRIVY, 40),
    ("web-frontend", &generator::ESLINT, 260),
    ("web-frontend", &generator::SEMGREP, 90),
    ("infra-terraform", &generator::CHECKOV, 110),
    ("ledger-service", &generator::SEMGREP, 150),
    ("ledger-service", &generator::TRIVY, 60),
    ("mobile-gateway", &generator::ESLINT, 140),
    ("data-pipeline", &generator::BANDIT, 130),
];

/// Weekly scans over about six months.
const WEEKS: i64 = 26;

/// Real reports shipped in assets/demo (see its SOURCES.md): (file, repo, days ago).
const REAL: &[(&str, &[u8], &str, i64)] = &[
    (
        "bandit-pygoat-7afef1ab.sarif",
        include_bytes!("../../assets/demo/bandit-pygoat-7afef1ab.sarif"),
        "pygoat",
        75,
    ),
    (
        "checkov-pygoat-19d17cc8.sarif",
        include_bytes!("../../assets/demo/checkov-pygoat-19d17cc8.sarif"),
        "pygoat",
        20,
    ),
    (
        "bandit-pygoat-19d17cc8.sarif",
        include_bytes!("../../assets/demo/bandit-pygoat-19d17cc8.sarif"),
        "pygoat",
        20,
    ),
    (
        "hostile.sarif",
        include_bytes!("../../assets/demo/hostile.sarif"),
        "untrusted-input",
        3,
    ),
];

#[derive(Debug, Clone)]
struct Issue {
    result: GenResult,
    alive: bool,
}

/// What the demo built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub scans: u64,
    pub findings: u64,
}

fn import_bytes(
    store: &mut Store,
    bytes: &[u8],
    source: &str,
    repo: &str,
    clock: &FixedClock,
) -> Result<ImportOutcome, StoreError> {
    let opts = ImportOptions {
        source: source.to_string(),
        repo: Some(repo.to_string()),
        commit: None,
        actor: "demo-scanner".into(),
        backfill: false,
    };
    store.import_report(
        bytes,
        |r: &mut dyn Read, f: &str, e: &mut dyn FnMut(_) -> _| crate::ingest::sarif::parse(r, f, e),
        &opts,
        clock,
    )
}

/// Builds the demo database at `db` (which must not exist yet), as of `now`.
pub fn build(db: &Path, now: DateTime<Utc>, seed: u64) -> Result<DemoSummary, StoreError> {
    let mut store = Store::open(db)?;
    let clock = FixedClock::new(now);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut summary = DemoSummary::default();
    let mut populations: Vec<Vec<Issue>> = SCOPES.iter().map(|_| Vec::new()).collect();
    let mut serial = 0u64;
    for week in (0..=WEEKS).rev() {
        for (s, (repo, tool, size)) in SCOPES.iter().enumerate() {
            let at = now - Duration::weeks(week) - Duration::hours(s as i64 * 3 + 9);
            let pop = &mut populations[s];
            evolve(pop, tool, *size, week == WEEKS, &mut rng, &mut serial);
            let mut buf = Vec::new();
            let opts = WriteOptions {
                results_first: tool.name.starts_with("Semgrep"),
                started_at: Some(stamp(at)),
                repository_uri: Some(format!("https://github.com/acme/{repo}")),
                revision: Some(format!("{:040x}", rng.random::<u128>())),
                // Half the scopes carry the tool's fingerprints, half leave them to lastmile.
                tool_fingerprints: s % 2 == 0,
            };
            let live = pop.iter().filter(|i| i.alive).map(|i| i.result.clone());
            generator::write_sarif(&mut buf, tool, live, &opts)
                .map_err(|e| StoreError::Invalid(format!("demo generator: {e}")))?;
            clock.set(at);
            import_bytes(
                &mut store,
                &buf,
                &format!("demo/{repo}/{}-week{}.sarif", tool.name, WEEKS - week),
                repo,
                &clock,
            )?;
            summary.scans += 1;
        }
    }
    for (name, bytes, repo, days) in REAL {
        clock.set(now - Duration::days(*days));
        import_bytes(
            &mut store,
            bytes,
            &format!("assets/demo/{name}"),
            repo,
            &clock,
        )?;
        summary.scans += 1;
    }
    decide(&mut store, &clock, now, &mut rng)?;
    summary.findings = store.counts()?.total;
    Ok(summary)
}

/// People's decisions on part of the open backlog, so the audit trail has someone in it.
const DECISIONS: &[(Status, f64, &str, &[&str])] = &[
    (
        Status::Triaged,
        0.12,
        "dana",
        &[
            "Confirmed: reachable from the public API.",
            "Reproduced locally; real issue.",
        ],
    ),
    (
        Status::InProgress,
        0.05,
        "erik",
        &["Fix in progress on a branch.", "Picked up this sprint."],
    ),
    (
        Status::FalsePositive,
        0.04,
        "alice",
        &[
            "Test fixture, never deployed.",
            "Input is a constant; not user-controlled.",
            "Sanitized by the ORM layer above.",
        ],
    ),
    (
        Status::AcceptedRisk,
        0.02,
        "bob",
        &[
            "Internal admin tool behind VPN; compensating control: SSO + IP allow-list. Revisit next quarter.",
        ],
    ),
    (
        Status::Deferred,
        0.02,
        "bob",
        &["Blocked on the vendor upgrade; revisit after the release freeze."],
    ),
];

fn decide(
    store: &mut Store,
    clock: &FixedClock,
    now: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) -> Result<(), StoreError> {
    let open: Vec<i64> = store
        .list(
            "status:open -repo:untrusted-input",
            &crate::query::Context::new(now, None),
            crate::store::SortKey::DEFAULT,
            usize::MAX >> 1,
        )?
        .iter()
        .map(|f| f.row.id)
        .collect();
    let mut taken = std::collections::HashSet::new();
    for (status, share, actor, reasons) in DECISIONS {
        let picks: Vec<i64> = open
            .iter()
            .copied()
            .filter(|id| !taken.contains(id) && rng.random_bool(*share))
            .collect();
        for chunk in picks.chunks(7) {
            clock.set(now - Duration::hours(rng.random_range(2..24 * 40)));
            let reason = reasons[rng.random_range(0..reasons.len())];
            store.set_status(chunk, *status, actor, reason, clock)?;
        }
        taken.extend(picks);
    }
    Ok(())
}

/// One week of a codebase's life: some findings fixed, some new, now and then one comes back.
fn evolve(
    pop: &mut Vec<Issue>,
    tool: &ToolProfile,
    size: usize,
    first: bool,
    rng: &mut ChaCha8Rng,
    serial: &mut u64,
) {
    let files = (size as u64 / 3).max(5);
    let mut add = |pop: &mut Vec<Issue>, rng: &mut ChaCha8Rng| {
        *serial += 1;
        let result = generator::synthetic_result(tool, *serial, files, rng);
        pop.push(Issue {
            result,
            alive: true,
        });
    };
    if first {
        for _ in 0..size * 2 / 3 {
            add(pop, rng);
        }
        return;
    }
    for issue in pop.iter_mut() {
        if issue.alive {
            // Worse findings get fixed a little faster, as they should.
            let p = if issue.result.message.contains("SQL") {
                0.06
            } else {
                0.035
            };
            if rng.random_bool(p) {
                issue.alive = false;
            } else if rng.random_bool(0.1) {
                // Edits above the finding move it; its fingerprint must not change.
                issue.result.line = issue.result.line.saturating_add(rng.random_range(1..12));
            }
        } else if rng.random_bool(0.004) {
            issue.alive = true;
        }
    }
    let new = rng.random_range(size / 40..=size / 15 + 1);
    for _ in 0..new {
        add(pop, rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_history_several_repos_and_tools() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let now = DateTime::parse_from_rfc3339("2026-11-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = build(&db, now, 42).unwrap();
        assert!(s.findings > 2000, "{s:?}");
        let store = Store::open(&db).unwrap();
        let ctx = crate::query::Context::new(now, None);
        let stats = store.stats("", &ctx).unwrap();
        assert!(stats.by_repo.len() >= 6, "{stats:?}");
        assert!(stats.by_tool.len() >= 5, "{stats:?}");
        let statuses: Vec<_> = stats.by_status.iter().map(|(s, _)| s.as_str()).collect();
        for expected in [
            "open",
            "fixed",
            "triaged",
            "false_positive",
            "accepted_risk",
        ] {
            assert!(
                statuses.contains(&expected),
                "{expected} missing: {statuses:?}"
            );
        }
        assert!(store.count("status:open path:src/admin*", &ctx).is_ok());
        assert!(matches!(
            store.verify_chain().unwrap(),
            crate::store::ChainReport::Intact { .. }
        ));
    }
}
