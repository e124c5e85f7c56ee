//! Shared by the console's integration tests: a real SQLite store filled through the real
//! importer (with a tiny JSON "report" format standing in for SARIF), and a harness that drives
//! the console's pure update with the worker's `serve`, deterministically, on one thread.
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lastmile::clock::FixedClock;
use lastmile::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use lastmile::model::Severity;
use lastmile::store::{ImportOptions, SortKey, Store};
use lastmile::triage::policy::Policy;
use lastmile::tui::app::{Effect, Response, State};
use lastmile::tui::route_desk::Routes;
use lastmile::tui::sync::Syncer;
use lastmile::tui::{Action, ColorDepth, Keymap, SyncRunner, Theme, route_desk, worker, writer};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct F {
    pub title: String,
    pub message: String,
    pub rule: String,
    pub severity: Severity,
    pub path: Option<String>,
    pub line: Option<i64>,
    pub snippet: Option<String>,
    pub help_uri: Option<String>,
    pub cwe: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Report {
    tool: String,
    findings: Vec<F>,
}

/// A `store::Parser`: the report is JSON of `Report`; fingerprints are the 1-based index.
fn parse_json(
    r: &mut dyn Read,
    source: &str,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let report: Report = serde_json::from_reader(r).map_err(|e| IngestError {
        file: source.into(),
        location: String::new(),
        message: e.to_string(),
    })?;
    emit(ImportEvent::BeginRun(RunInfo {
        tool: report.tool.clone(),
        ..Default::default()
    }))?;
    let n = report.findings.len() as u64;
    for (i, f) in report.findings.into_iter().enumerate() {
        emit(ImportEvent::Finding(Box::new(ImportedFinding {
            fingerprint: format!("{:064x}", i + 1),
            rule: f.rule,
            title: f.title,
            message: f.message,
            severity: f.severity,
            cwe: f.cwe,
            path: f.path,
            start_line: f.line,
            end_line: f.line.map(|l| l + 2),
            snippet: f.snippet,
            help_uri: f.help_uri,
            ..Default::default()
        })))?;
    }
    emit(ImportEvent::EndRun(RunEnd {
        results_present: true,
        execution_successful: true,
        result_count: n,
    }))
}

pub struct Db {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// A fresh database holding `findings` (ids 1..=n in order), imported at a fixed time.
pub fn db_with(findings: Vec<F>) -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lastmile.db");
    let db = Db { _dir: dir, path };
    import_more(&db, "semgrep", findings);
    db
}

/// Imports another report (as another process would) into an existing database.
pub fn import_more(db: &Db, tool: &str, findings: Vec<F>) {
    let mut store = Store::open(&db.path).unwrap();
    let report = serde_json::to_vec(&Report {
        tool: tool.into(),
        findings,
    })
    .unwrap();
    let clock = FixedClock::new("2026-05-01T12:00:00Z".parse().unwrap());
    let opts = ImportOptions {
        source: "test.json".into(),
        repo: Some("payments-api".into()),
        actor: "tester".into(),
        ..Default::default()
    };
    store
        .import_report(std::io::Cursor::new(report), parse_json, &opts, &clock)
        .unwrap();
}

pub const SEVERITIES: [Severity; 5] = [
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
    Severity::Critical,
];

/// The severity of synthetic finding `i` (0-based): mixed so that sorting is not id order.
pub fn synthetic_severity(i: usize) -> Severity {
    SEVERITIES[(i * 7 + i / 3) % 5]
}

pub fn synthetic(n: usize) -> Vec<F> {
    (0..n)
        .map(|i| F {
            title: format!("Finding number {i}"),
            message: format!("Details of finding {i}"),
            rule: format!("rule-{}", i % 7),
            severity: synthetic_severity(i),
            path: Some(format!("src/mod{}/file{i}.rs", i % 13)),
            line: Some((i % 500) as i64 + 1),
            ..Default::default()
        })
        .collect()
}

/// Gives the findings triage state as a pattern of their ids, NULLs and ties included: a
/// third without risk, half without a due date (the others from 20 days late to 19 ahead of
/// 2026-05-01), a quarter without lane, two fifths without owner, every 7th pending.
pub fn set_triage(db: &Db) {
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute_batch(
        "UPDATE findings SET
            risk = CASE WHEN id % 3 = 0 THEN NULL ELSE ((id * 37) % 11) * 9.5 END,
            due = CASE WHEN id % 2 = 0 THEN NULL
                       ELSE date('2026-05-01', ((id * 13) % 40 - 20) || ' days') END,
            lane = CASE id % 4 WHEN 0 THEN NULL WHEN 1 THEN 'critical' WHEN 2 THEN 'high'
                               ELSE 'backlog' END,
            owner = CASE WHEN id % 5 < 2 THEN NULL ELSE 'dev' || (id % 3) END,
            pending_id = CASE WHEN id % 7 = 0 THEN id ELSE NULL END",
    )
    .unwrap();
}

/// Runs SQL against the database (as another process would).
pub fn exec(db: &Db, sql: &str) {
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// Ids in a sort's order straight from SQL, written independently of the store's keyset
/// queries: NULLs of the nullable fields last in both directions.
pub fn expected_sorted(db: &Db, sort: SortKey) -> Vec<i64> {
    let (expr, nullable) = match sort.field.name() {
        "path" => ("IFNULL(path, '')", false),
        "line" => ("IFNULL(start_line, 0)", false),
        "severity" => ("severity", false),
        name @ ("risk" | "due" | "lane" | "owner" | "team") => (name, true),
        name => (name, false),
    };
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let nulls = if nullable {
        format!("({expr}) IS NULL, ")
    } else {
        String::new()
    };
    let store = Store::open_reader(&db.path).unwrap();
    let conn = store.raw_connection();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id FROM findings ORDER BY {nulls}{expr} {dir}, id {dir}"
        ))
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Ids in the console's default order (worst first, then newest id), straight from SQL.
pub fn expected_order(db: &Db, filter_sql: &str) -> Vec<i64> {
    let store = Store::open_reader(&db.path).unwrap();
    let conn = store.raw_connection();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT id FROM findings WHERE {filter_sql} ORDER BY severity DESC, id DESC"
        ))
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub struct Harness {
    pub store: Store,
    /// The writer's connection, policy and clock (2026-05-01 12:00 UTC): decisions and reviews
    /// go through the same `writer::serve` as in the console.
    pub writer: Store,
    pub policy: Policy,
    pub clock: FixedClock,
    /// The config routing reads (`route_desk`); empty unless a test gives one.
    pub routes: Routes,
    pub state: State,
    /// Rows the store returned, and page requests served: the list must read windows only.
    pub rows_fetched: usize,
    pub pages: usize,
    /// Requests made but not yet answered (when driving without `pump`).
    pub queued: VecDeque<Effect>,
    /// The sync thread (`with_sync`) and its reports, which arrive when the runner sends them:
    /// `sync_report` waits for the next one.
    pub syncer: Option<Syncer>,
    pub sync_reports: Option<mpsc::Receiver<Response>>,
}

impl Harness {
    pub fn new(db: &Db, keymap: Keymap, width: u16, height: u16) -> Harness {
        Harness::new_with(db, keymap, width, height, |_| {})
    }

    /// A harness whose state `setup` prepares (views, the day) before the console opens.
    pub fn new_with(
        db: &Db,
        keymap: Keymap,
        width: u16,
        height: u16,
        setup: impl FnOnce(&mut State),
    ) -> Harness {
        let store = Store::open_reader(&db.path).unwrap();
        let theme = Theme::new("default", ColorDepth::None);
        let mut h = Harness {
            store,
            writer: Store::open(&db.path).unwrap(),
            policy: Policy::default(),
            clock: FixedClock::new("2026-05-01T12:00:00Z".parse().unwrap()),
            routes: Routes::new(Default::default()),
            state: State::new(keymap, theme, width, height),
            rows_fetched: 0,
            pages: 0,
            queued: VecDeque::new(),
            syncer: None,
            sync_reports: None,
        };
        setup(&mut h.state);
        let effects = lastmile::tui::init(&mut h.state);
        h.queued.extend(effects);
        h.pump();
        h
    }

    /// Answers every queued request, and those the answers cause, until none is left.
    pub fn pump(&mut self) {
        while let Some(effect) = self.queued.pop_front() {
            if matches!(effect, Effect::Page { .. }) {
                self.pages += 1;
            }
            let ctx =
                lastmile::query::Context::new(chrono::Utc::now(), self.state.triage.me.clone());
            let response = match effect {
                Effect::Triage(t) => Response::Triage(writer::serve(
                    &mut self.writer,
                    &self.policy,
                    &self.clock,
                    t,
                )),
                Effect::Route(r) => Response::Route(route_desk::serve(
                    &mut self.writer,
                    &mut self.routes,
                    &self.policy,
                    &self.clock,
                    r,
                )),
                Effect::RetryOutbox { ids } => {
                    Response::Retried(writer::retry(&mut self.writer, &ids))
                }
                // Started on its own thread, as in the console: its reports come later.
                Effect::Sync(plan) => {
                    let syncer = self.syncer.as_ref().expect("a sync without with_sync");
                    syncer.start(plan);
                    continue;
                }
                other => worker::serve(&self.store, &ctx, other),
            };
            if let Response::Page { rows, .. } = &response {
                self.rows_fetched += rows.len();
            }
            let more = lastmile::tui::on_response(&mut self.state, response);
            self.queued.extend(more);
        }
    }

    /// Gives the console a sync runner (the console's `run_with_sync` does the same).
    pub fn with_sync(&mut self, runner: SyncRunner) {
        let (tx, rx) = mpsc::channel();
        self.syncer = Some(Syncer::new(Some(runner), move |r| {
            let _ = tx.send(r);
        }));
        self.sync_reports = Some(rx);
        self.state.sync.available = true;
    }

    /// Waits for the sync thread's next report and lets the console handle it.
    pub fn sync_report(&mut self) -> Response {
        let rx = self.sync_reports.as_ref().expect("with_sync first");
        let report = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the sync thread reported nothing for 30 s");
        let more = lastmile::tui::on_response(&mut self.state, report.clone());
        self.queued.extend(more);
        self.pump();
        report
    }

    /// An action whose requests stay queued (the worker is "slow").
    pub fn act_later(&mut self, a: Action) {
        let effects = lastmile::tui::update(&mut self.state, a);
        self.queued.extend(effects);
    }

    /// Applies effects a state method returned, and everything they cause.
    pub fn run(&mut self, effects: Vec<Effect>) {
        self.queued.extend(effects);
        self.pump();
    }

    pub fn act(&mut self, a: Action) {
        self.act_later(a);
        self.pump();
    }

    pub fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        let effects = lastmile::tui::on_key(&mut self.state, &KeyEvent::new(code, mods));
        self.queued.extend(effects);
        self.pump();
    }

    pub fn type_text(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c), KeyModifiers::NONE);
        }
    }

    pub fn selected(&self) -> Option<i64> {
        self.state.backlog.selected().map(|r| r.id)
    }

    pub fn visible(&self) -> Vec<i64> {
        let b = &self.state.backlog;
        let h = self.state.list_height();
        b.rows.iter().skip(b.offset).take(h).map(|r| r.id).collect()
    }

    pub fn render(&self) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(self.state.width, self.state.height)).unwrap();
        t.draw(|f| lastmile::tui::view(&self.state, f)).unwrap();
        t
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        screen_text(&self.render())
    }
}

pub fn screen_text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}
