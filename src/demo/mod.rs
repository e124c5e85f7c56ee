//! The built-in demo: a backlog with months of weekly rescans across several repos and tools,
//! plus real scanner reports, all imported through the real importer; and a stand-in for GitHub
//! on loopback that the demo syncs with through the real connector.

pub mod generator;
pub mod github;
mod repo;
pub mod sync;

use crate::clock::{FixedClock, stamp};
use crate::config::Config;
use crate::model::DecisionKind;
use crate::store::{
    DecisionRequest, EnrichSource, ImportOptions, ImportOutcome, Outcome, Store, StoreError,
};
use crate::triage::policy::Policy;
use chrono::{DateTime, Duration, Utc};
use generator::{GenResult, ToolProfile, WriteOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

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
    /// What routing did, and whether the demo clone could be built.
    pub routing: String,
    /// What the syncs with the GitHub stand-in left: links, outbox rows, conflicts.
    pub github: String,
}

fn import_bytes(
    store: &mut Store,
    bytes: &[u8],
    source: &str,
    repo: &str,
    policy: &Policy,
    clock: &FixedClock,
) -> Result<ImportOutcome, StoreError> {
    let opts = ImportOptions {
        source: source.to_string(),
        repo: Some(repo.to_string()),
        commit: None,
        actor: "demo-scanner".into(),
        backfill: false,
        policy: policy.clone(),
        probe: None,
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
    build_live(db, now, seed).map(|(summary, _)| summary)
}

/// Builds the demo database and hands back the GitHub stand-in it synced with, still serving
/// (its times now run on from `now`), so the console can go on syncing with it. `None` when it
/// could not start (no loopback): the demo is built without tracker links then.
pub fn build_live(
    db: &Path,
    now: DateTime<Utc>,
    seed: u64,
) -> Result<(DemoSummary, Option<github::Replay>), StoreError> {
    let mut store = Store::open(db)?;
    let policy = Policy::from_config(&config()?).map_err(StoreError::Invalid)?;
    // Shared with the GitHub stand-in, so both sides of a sync tell the same time.
    let clock = Arc::new(FixedClock::new(now));
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
                &policy,
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
            &policy,
            &clock,
        )?;
        summary.scans += 1;
    }
    clock.set(now - Duration::days(20));
    let kev = crate::enrich::kev::parse_kev(KEV_EXCERPT, "assets/demo/kev-excerpt.json")?;
    store.load_enrichment(
        EnrichSource::Kev(&kev),
        "assets/demo/kev-excerpt.json",
        "alice",
        &policy,
        clock.as_ref(),
    )?;
    decide(&mut store, &policy, &clock, now, &mut rng)?;
    let base = db.parent().unwrap_or(Path::new("."));
    summary.routing = route(&mut store, base, &policy, &clock, now)?;
    let live = |api: &str| config_with(base, Some(api));
    let (note, replay) = sync::record(&mut store, live, &policy, &clock, now)?;
    summary.github = note;
    if let Some(r) = &replay {
        r.set_clock(Arc::new(github::RunningFrom::new(now)));
    }
    clock.set(now);
    store.tick(&policy, "lastmile", clock.as_ref())?;
    summary.findings = store.counts()?.total;
    Ok((summary, replay))
}

/// The demo config with its clone paths (relative in the file) resolved against `base`, the
/// folder the demo database and config live in.
pub fn config_in(base: &Path) -> Result<Config, StoreError> {
    config_with(base, None)
}

/// The demo config as `config_in`, syncing with the GitHub stand-in at `github_api` if given.
pub fn config_with(base: &Path, github_api: Option<&str>) -> Result<Config, StoreError> {
    let mut c = Config::parse(&config_text(github_api), "assets/demo/config.toml")
        .map_err(|e| StoreError::Invalid(format!("demo config: {e}")))?;
    c.resolve_paths(base);
    Ok(c)
}

/// The demo config as written beside the demo database: the shipped file, and with
/// `github_api` the `[trackers.github]` table that points at the demo's GitHub stand-in.
pub fn config_text(github_api: Option<&str>) -> String {
    match github_api {
        None => CONFIG.to_string(),
        Some(api) => format!(
            "{CONFIG}
# The demo's stand-in for GitHub (src/demo/github): it answers only while `lastmile demo`
# keeps its console open. It needs no token and reads none (GITHUB_TOKEN, if set, is still sent).
[trackers.github]
api = {}
anonymous = true
",
            toml_string(api)
        ),
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Builds payments-api's clone and routes the backlog through it: a few findings were given
/// to Carol by hand before she left (so `route --left` and the teams view have something to
/// show), routing assigns the rest, and Alice hands some Stripe findings to Erik.
fn route(
    store: &mut Store,
    base: &Path,
    policy: &Policy,
    clock: &FixedClock,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let config = config_in(base)?;
    let ctx = crate::query::Context::new(now, None);
    let payments = store.ids_matching("repo:payments-api", &ctx)?;
    let mut files: std::collections::BTreeMap<String, usize> = Default::default();
    for t in store.routing_targets(&payments)? {
        if let Some(path) = t.path {
            let end = t.end_line.or(t.start_line).unwrap_or(1).max(1) as usize;
            let n = files.entry(path).or_default();
            *n = (*n).max(end);
        }
    }
    let files: Vec<(String, usize)> = files.into_iter().collect();
    let clone = base.join("repos/payments-api");
    let _ = std::fs::remove_dir_all(&clone);
    let note = match repo::build(&clone, &files, now) {
        Ok(()) => format!("payments-api clone with history in {}", clone.display()),
        Err(e) => format!("no payments-api clone ({e}): routing without blame"),
    };
    let manual = |store: &mut Store, ids: &[i64], who: &str, team: &str, by: &str, why: &str| {
        let a = crate::store::Assignment {
            owner: Some(who.into()),
            team: Some(team.into()),
            how: crate::store::AssignHow::Manual,
            reason: why.into(),
        };
        let items: Vec<(i64, _)> = ids.iter().map(|&id| (id, a.clone())).collect();
        store.assign(&items, by, false, &[], policy, clock)
    };
    clock.set(now - Duration::days(100));
    let carols: Vec<i64> = store
        .ids_matching("repo:web-frontend status:open path:web/components/*", &ctx)?
        .into_iter()
        .take(6)
        .collect();
    manual(
        store,
        &carols,
        "carol",
        "web",
        "bob",
        "Carol wrote these components.",
    )?;

    clock.set(now - Duration::days(2));
    let active: Vec<i64> = store
        .ids_matching("status:active", &ctx)?
        .into_iter()
        .filter(|id| !carols.contains(id))
        .collect();
    let planner = crate::owners::plan::Planner::new(&config, now.date_naive());
    let planned = planner.suggest(store, &active, false)?;
    let items: Vec<(i64, crate::store::Assignment)> = planned
        .iter()
        .filter_map(|p| Some((p.target.id, p.assignment()?)))
        .collect();
    store.assign(&items, "alice", false, &[], policy, clock)?;

    clock.set(now - Duration::days(1));
    let stripe: Vec<i64> = store
        .ids_matching(
            "repo:payments-api status:active path:src/integrations/stripe/*",
            &ctx,
        )?
        .into_iter()
        .take(4)
        .collect();
    manual(
        store,
        &stripe,
        "erik",
        "payments",
        "alice",
        "Erik built the Stripe client.",
    )?;
    Ok(format!("{note}; {} findings routed", items.len()))
}

/// The demo's configuration (people, teams, repos, lanes, views), shipped in assets.
pub const CONFIG: &str = include_str!("../../assets/demo/config.toml");

/// Two real CISA KEV entries whose CVEs the demo's Trivy findings carry.
const KEV_EXCERPT: &[u8] = include_bytes!("../../assets/demo/kev-excerpt.json");

pub fn config() -> Result<Config, StoreError> {
    Config::parse(CONFIG, "assets/demo/config.toml")
        .map_err(|e| StoreError::Invalid(format!("demo config: {e}")))
}

/// People's decisions on part of the open backlog: (decision, share, who, days until it ends
/// (0: no end), reasons). Gated lanes make some wait for approval; some acceptances have
/// already run out, so the demo shows them reopened.
type DemoDecision = (
    DecisionKind,
    f64,
    &'static str,
    i64,
    &'static [&'static str],
);
const DECISIONS: &[DemoDecision] = &[
    (
        DecisionKind::Confirm,
        0.12,
        "dana",
        0,
        &[
            "Confirmed: reachable from the public API.",
            "Reproduced locally; real issue.",
        ],
    ),
    (
        DecisionKind::FalsePositive,
        0.04,
        "alice",
        0,
        &[
            "Test fixture, never deployed.",
            "Input is a constant; not user-controlled.",
            "Sanitized by the ORM layer above.",
        ],
    ),
    (
        DecisionKind::AcceptRisk,
        0.03,
        "bob",
        45,
        &[
            "Internal admin tool behind VPN. Revisit next quarter.",
            "Only reachable by operators with hardware keys.",
        ],
    ),
    (
        DecisionKind::Defer,
        0.02,
        "bob",
        60,
        &["Blocked on the vendor upgrade; revisit after the release freeze."],
    ),
    (
        DecisionKind::Escalate,
        0.01,
        "dana",
        0,
        &["Needs a platform change; the service team cannot fix it alone."],
    ),
];

fn decide(
    store: &mut Store,
    policy: &Policy,
    clock: &FixedClock,
    now: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) -> Result<(), StoreError> {
    let open = store.ids_matching(
        "status:open -repo:untrusted-input",
        &crate::query::Context::new(now, None),
    )?;
    let mut taken = std::collections::HashSet::new();
    for (kind, share, actor, days, reasons) in DECISIONS {
        let picks: Vec<i64> = open
            .iter()
            .copied()
            .filter(|id| !taken.contains(id) && rng.random_bool(*share))
            .collect();
        for chunk in picks.chunks(7) {
            let at = now - Duration::hours(rng.random_range(2..24 * 70));
            clock.set(at);
            let req = DecisionRequest {
                kind: *kind,
                reason: reasons[rng.random_range(0..reasons.len())].to_string(),
                until: (*days > 0).then(|| (at + Duration::days(*days)).date_naive()),
                control: (*kind == DecisionKind::AcceptRisk)
                    .then(|| "SSO + IP allow-list in front of it".to_string()),
                target: (*kind == DecisionKind::Escalate).then(|| "platform".to_string()),
            };
            let results = store.decide(chunk, &req, actor, policy, clock)?;
            // A second person reviews most of what waits: approves, now and then rejects.
            let pending: Vec<i64> = results
                .iter()
                .filter(|r| r.outcome == Outcome::Pending)
                .map(|r| r.finding_id)
                .collect();
            if pending.is_empty() || rng.random_bool(0.3) {
                continue;
            }
            clock.set(at + Duration::hours(rng.random_range(1..48)));
            let reviewer = if *actor == "alice" { "bob" } else { "alice" };
            if rng.random_bool(0.15) {
                store.review(
                    &pending,
                    Some("Not convinced; fix it instead."),
                    None,
                    reviewer,
                    policy,
                    clock,
                )?;
            } else {
                store.review(&pending, None, Some("Agreed."), reviewer, policy, clock)?;
            }
        }
        taken.extend(picks);
    }
    clock.set(now);
    store.tick(policy, "lastmile", clock)?;
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
        // Routing ran through the demo clone: blame, CODEOWNERS and catalogs all decided some.
        assert!(s.routing.contains("clone with history"), "{}", s.routing);
        let reasons: Vec<String> = store
            .routing_targets(
                &store
                    .ids_matching("repo:payments-api status:active", &ctx)
                    .unwrap(),
            )
            .unwrap()
            .into_iter()
            .filter_map(|t| t.current.reason)
            .collect();
        for part in [
            "blame @dana",
            "(left 2026-06-30)",
            "not in the roster",
            "CODEOWNERS",
            "catalog",
        ] {
            assert!(
                reasons.iter().any(|r| r.contains(part)),
                "{part}: {reasons:?}"
            );
        }
        assert_eq!(store.count("owner:carol status:active", &ctx).unwrap(), 6);
        assert!(store.count("owner:erik repo:payments-api", &ctx).unwrap() >= 1);
        assert!(matches!(
            store.verify_chain().unwrap(),
            crate::store::ChainReport::Intact { .. }
        ));
    }
}
