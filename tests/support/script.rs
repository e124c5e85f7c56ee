//! A tiny line-format "scanner" and a store fixture with an injected clock, so tests pin the
//! store's rules independently of the SARIF parser (tested on the real corpus elsewhere).
//!
//! Report lines: `#tool NAME`, `#started RFC3339`, `#incomplete`, `#fail-after N`, then
//! `fingerprint [line] [severity] [cve,...]` rows.

use chrono::{DateTime, Utc};
use lastmile::clock::FixedClock;
use lastmile::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use lastmile::model::{Severity, Status};
use lastmile::store::{ImportOptions, ImportOutcome, ScanSummary, Store, StoreError};
use lastmile::triage::policy::Policy;
use std::io::Read;

/// `#tool NAME`, `#started RFC3339`, `#incomplete`, `#fail-after N`, then `fingerprint line` rows.
pub fn script_parser(
    r: &mut dyn Read,
    file: &str,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut text = String::new();
    r.read_to_string(&mut text).unwrap();
    let mut info = RunInfo {
        tool: "scanner".into(),
        ..Default::default()
    };
    let mut complete = true;
    let mut fail_after = None;
    let mut rows = Vec::new();
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        match parts.next() {
            Some("#tool") => info.tool = parts.next().unwrap().into(),
            Some("#started") => info.started_at = Some(parts.next().unwrap().into()),
            Some("#incomplete") => complete = false,
            Some("#fail-after") => {
                fail_after = Some(parts.next().unwrap().parse::<usize>().unwrap())
            }
            Some(fp) => rows.push((
                fp.to_string(),
                parts.next().unwrap_or("1").parse::<i64>().unwrap(),
                parts
                    .next()
                    .map(|s| s.parse::<Severity>().unwrap())
                    .unwrap_or(Severity::High),
                parts.next().map(str::to_string),
            )),
            None => {}
        }
    }
    emit(ImportEvent::BeginRun(info))?;
    for (i, (fp, line, severity, cve)) in rows.iter().enumerate() {
        if fail_after == Some(i) {
            return Err(IngestError {
                file: file.into(),
                location: format!("line {}", i + 1),
                message: "bad row".into(),
            });
        }
        emit(ImportEvent::Finding(Box::new(ImportedFinding {
            fingerprint: fp.clone(),
            rule: format!("rule-{}", &fp[..1]),
            title: format!("finding {fp}"),
            message: format!("message for {fp}"),
            severity: *severity,
            cve: cve.clone(),
            path: Some("src/app.py".into()),
            start_line: Some(*line),
            ..Default::default()
        })))?;
    }
    emit(ImportEvent::EndRun(RunEnd {
        results_present: complete,
        execution_successful: true,
        result_count: rows.len() as u64,
    }))
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub clock: FixedClock,
    /// Used by imports (lanes, risk and due dates of what they add).
    pub policy: Policy,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    let clock = FixedClock::new(at("2026-01-01T00:00:00Z"));
    Fixture {
        dir,
        store,
        clock,
        policy: Policy::default(),
    }
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

impl Fixture {
    pub fn import(&mut self, report: &str) -> Result<ImportOutcome, StoreError> {
        self.import_with(report, false)
    }

    pub fn import_with(
        &mut self,
        report: &str,
        backfill: bool,
    ) -> Result<ImportOutcome, StoreError> {
        let opts = ImportOptions {
            source: "test.txt".into(),
            repo: Some("repo".into()),
            commit: Some("abc123".into()),
            actor: "ci".into(),
            backfill,
            policy: self.policy.clone(),
            probe: None,
        };
        self.store
            .import_report(report.as_bytes(), script_parser, &opts, &self.clock)
    }

    pub fn scan(&mut self, report: &str) -> ScanSummary {
        match self.import(report).unwrap() {
            ImportOutcome::Imported(mut s) => s.remove(0),
            other => panic!("expected an import, got {other:?}"),
        }
    }

    pub fn status_of(&self, fp: &str) -> Status {
        let s: String = self
            .store
            .raw_connection()
            .query_row(
                "SELECT status FROM findings WHERE fingerprint = ?1",
                [fp],
                |r| r.get(0),
            )
            .unwrap();
        s.parse().unwrap()
    }

    pub fn id_of(&self, fp: &str) -> i64 {
        self.store
            .raw_connection()
            .query_row(
                "SELECT id FROM findings WHERE fingerprint = ?1",
                [fp],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Every row of every table, as text: "unchanged in content" means this is equal.
    pub fn dump(&self) -> String {
        super::dump(&self.dir.path().join("t.db"))
    }
}

/// One lane, no approvals: decisions apply at once.
pub fn ungated() -> Policy {
    let cfg = lastmile::config::Config::parse(
        "[[lanes]]\nname = \"all\"\nquery = \"\"\nsla_days = 30\n",
        "ungated.toml",
    )
    .unwrap();
    Policy::from_config(&cfg).unwrap()
}

impl Fixture {
    /// A person's decision with no approval gate; accept-risk and defer run for 30 days.
    pub fn decide(
        &mut self,
        ids: &[i64],
        to: Status,
        actor: &str,
        reason: &str,
    ) -> Result<Vec<lastmile::store::DecisionResult>, StoreError> {
        use lastmile::model::DecisionKind as K;
        let kind = match to {
            Status::FalsePositive => K::FalsePositive,
            Status::AcceptedRisk => K::AcceptRisk,
            Status::Deferred => K::Defer,
            Status::Duplicate => K::Duplicate,
            Status::Triaged => K::Confirm,
            Status::Open => K::Reopen,
            other => panic!("no decision leads to {other}"),
        };
        let req = lastmile::store::DecisionRequest {
            kind,
            reason: reason.into(),
            until: kind
                .needs_until()
                .then(|| (self.clock_now() + chrono::Duration::days(30)).date_naive()),
            control: (kind == K::AcceptRisk).then(|| "compensating control".into()),
            target: None,
        };
        self.store.decide(ids, &req, actor, &ungated(), &self.clock)
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use lastmile::clock::Clock;
        self.clock.now()
    }
}
