//! Syncing from the console on ratatui's TestBackend: the sync view over a real store whose
//! outbox, conflicts and endpoint marks were written through the store's own API (a pull that
//! links alerts, decisions that queue dismissals, a failure, a conflicting pull), tracker text
//! shown escaped, retries, the jump to a finding and its links in the detail pane; and a sync
//! running on its own thread while keys keep working.

mod tui_support;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::clock::FixedClock;
use lastmile::model::{DecisionKind, Severity, Status};
use lastmile::store::{Advance, DecisionRequest, OutboxFilter, PulledPage, Store};
use lastmile::trackers::engine::{Progress, Summary};
use lastmile::trackers::{Endpoint, RemoteItem, RemoteKind, RemoteRef, RemoteState};
use lastmile::triage::policy::Policy;
use lastmile::tui::app::Response;
use lastmile::tui::msg::SyncEvent;
use lastmile::tui::{Action, ColorDepth, Context, Keymap, SyncRunner, Theme};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tui_support::{Db, Harness, db_with, synthetic};

const HOSTILE: &str = "HTTP 422: \u{1b}[31mValidation\u{1b}]8;;https://evil.test\u{7} Failed";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn clock() -> FixedClock {
    FixedClock::new(at("2026-05-01T12:00:00Z"))
}

fn endpoint() -> Endpoint {
    Endpoint {
        tracker: "github".into(),
        repo: "acme/app".into(),
        kind: RemoteKind::CodeScanning,
        key: "github:acme/app:code_scanning".into(),
    }
}

/// The code-scanning alert GitHub would hold for synthetic finding `id` (same rule, path and
/// line, so the store links the two), or a new alert when `id` is past the imported ones.
fn alert(id: i64, updated: &str, state: RemoteState) -> RemoteItem {
    let i = (id - 1) as usize;
    RemoteItem {
        at: RemoteRef {
            tracker: "github".into(),
            kind: RemoteKind::CodeScanning,
            repo: "acme/app".into(),
            number: id,
        },
        repo_id: Some(42),
        url: Some(format!(
            "https://github.com/acme/app/security/code-scanning/{id}"
        )),
        state,
        created_at: None,
        updated_at: at(updated),
        assignees: vec![],
        labels: vec![],
        title: format!("alert {id}"),
        message: "from the tracker".into(),
        tool: Some("CodeQL".into()),
        rule: Some(format!("rule-{}", i % 7)),
        severity: Severity::High,
        score: None,
        cwe: None,
        cve: None,
        ghsa: None,
        path: Some(format!("src/mod{}/file{i}.rs", i % 13)),
        start_line: Some((i % 500) as i64 + 1),
        end_line: None,
        help_uri: None,
        marker: None,
    }
}

/// One pulled page, stored as the engine stores it (with the endpoint's new watermark).
fn pull(path: &Path, items: &[RemoteItem]) {
    let mut store = Store::open(path).unwrap();
    let matcher = store
        .matcher("payments-api", RemoteKind::CodeScanning)
        .unwrap();
    let advance = Advance {
        watermark: items.iter().map(|i| i.updated_at).max(),
        etag: None,
    };
    store
        .apply_pulled(
            &PulledPage {
                endpoint: &endpoint(),
                local_repo: "payments-api",
                items,
                matcher: &matcher,
            },
            Some(&advance),
            &Policy::default(),
            &clock(),
        )
        .unwrap();
}

fn false_positive(path: &Path, ids: &[i64]) {
    let req = DecisionRequest {
        kind: DecisionKind::FalsePositive,
        reason: "sanitized by the ORM".into(),
        until: None,
        control: None,
        target: None,
    };
    Store::open(path)
        .unwrap()
        .decide(ids, &req, "ann", &Policy::default(), &clock())
        .unwrap();
}

/// Findings 1-3 linked to alerts 1-3; false positives on 1 and 2 queue their dismissals; the
/// dismissal of 2 failed for good with hostile text in its error; then GitHub reports alert 1
/// dismissed by someone there: a conflict lastmile's decision wins.
fn synced_store() -> Db {
    let db = db_with(synthetic(3));
    pull(
        &db.path,
        &[
            alert(1, "2026-05-01T10:00:00Z", RemoteState::Open),
            alert(2, "2026-05-01T10:00:00Z", RemoteState::Open),
            alert(3, "2026-05-01T10:00:00Z", RemoteState::Open),
        ],
    );
    false_positive(&db.path, &[1, 2]);
    let mut store = Store::open(&db.path).unwrap();
    let rows = store.outbox(OutboxFilter::Open).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let of_two = rows.iter().find(|r| r.finding_id == Some(2)).unwrap().id;
    store.outbox_failed(of_two, HOSTILE, None).unwrap();
    pull(
        &db.path,
        &[alert(
            1,
            "2026-05-01T11:00:00Z",
            RemoteState::Dismissed {
                reason: Some("won't fix".into()),
                comment: None,
                by: Some("mallory".into()),
                status: Status::AcceptedRisk,
            },
        )],
    );
    db
}

fn console(db: &Db, width: u16, height: u16) -> Harness {
    let mut h = Harness::new(db, Keymap::default(), width, height);
    h.state.triage.me = Some("ann".into());
    h
}

fn line_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}:\n{screen}"))
}

#[test]
fn the_sync_view_lists_failed_and_pending_rows_conflicts_and_endpoints_at_80x24() {
    let db = synced_store();
    let mut h = console(&db, 80, 24);
    h.act_later(Action::SyncView);
    assert_eq!(h.state.context(), Context::SyncView);
    assert!(h.screen().contains("reading the outbox"), "{}", h.screen());
    h.pump();
    let screen = h.screen();
    assert!(
        screen
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) == 80)
    );
    assert!(screen.contains("outbox: 1 pending, 1 failed"), "{screen}");
    // The failed row comes first, under the cursor, its error on the next line.
    let failed = line_with(&screen, "> #");
    assert!(
        failed.contains("finding #2") && failed.contains("dismiss (false_positive)"),
        "{failed}"
    );
    assert!(failed.contains("acme/app code-scanning #2"), "{failed}");
    // The tracker's escape sequences are shown, never sent to the terminal.
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{7}'));
    let error = line_with(&screen, "error: HTTP 422");
    assert!(
        error.contains("\\e[31mValidation\\e]8;;https://evil.test\\x07 Failed"),
        "{error}"
    );
    let pending = line_with(&screen, "finding #1  acme/app code-scanning #1  dismiss");
    assert!(pending.starts_with("  #"), "{pending}");
    let conflict = line_with(&screen, "finding #1  acme/app code-scanning #1  state");
    assert!(conflict.contains("2026-05-01 12:00"), "{conflict}");
    assert!(
        screen.contains("lastmile: false_positive · tracker: dismissed · winner: lastmile, pushed"),
        "{screen}"
    );
    let ep = line_with(&screen, "github:acme/app:code_scanning");
    // Last sync, watermark (the newest alert pulled), items pulled over both pulls.
    assert!(
        ep.contains("2026-05-01 12:00") && ep.contains("2026-05-01 11:00"),
        "{ep}"
    );
    assert!(ep.trim_end().ends_with(" 4"), "{ep}");
    assert!(
        screen
            .lines()
            .nth(22)
            .unwrap()
            .contains("row 1 of 3 (failed)"),
        "{screen}"
    );
    insta::assert_snapshot!("sync_view_80x24", screen);
}

#[test]
fn retrying_the_failed_row_queues_it_again_and_the_view_reads_again() {
    let db = synced_store();
    let mut h = console(&db, 80, 24);
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    // On a pending row, `r` says what it would need and writes nothing.
    h.act(Action::MoveDown);
    h.key(KeyCode::Char('r'), KeyModifiers::NONE);
    assert!(
        h.screen()
            .contains("the row under the cursor has not failed; R retries"),
        "{}",
        h.screen()
    );
    h.act(Action::Top);
    h.key(KeyCode::Char('r'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(
        screen.contains("1 row back in the queue; the next sync (U) sends them"),
        "{screen}"
    );
    assert!(screen.contains("outbox: 2 pending, 0 failed"), "{screen}");
    assert!(!screen.contains("error: HTTP 422"), "{screen}");
    let store = Store::open_reader(&db.path).unwrap();
    assert!(store.outbox(OutboxFilter::Failed).unwrap().is_empty());
    assert_eq!(store.outbox_counts().unwrap(), (2, 0));
    // Nothing failed now: `R` has nothing to do.
    h.key(KeyCode::Char('R'), KeyModifiers::NONE);
    assert!(h.screen().contains("no failed rows to retry"));
}

#[test]
fn retry_all_queues_every_failed_row() {
    let db = synced_store();
    let mut h = console(&db, 80, 24);
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    h.key(KeyCode::Char('R'), KeyModifiers::NONE);
    assert!(h.screen().contains("outbox: 2 pending, 0 failed"));
    let store = Store::open_reader(&db.path).unwrap();
    assert_eq!(store.outbox_counts().unwrap(), (2, 0));
}

#[test]
fn enter_shows_the_finding_with_its_tracker_links_in_the_detail_pane() {
    let db = synced_store();
    let mut h = console(&db, 80, 24);
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    h.act(Action::MoveDown);
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.state.sync.view.is_none());
    assert_eq!(h.state.query, "id:1");
    assert_eq!(h.state.context(), Context::Detail);
    let mut screen = h.screen();
    // The detail pane scrolls: gather it down to the links.
    for _ in 0..10 {
        if screen.contains("https://github.com/acme/app/security/code-scanning/1") {
            break;
        }
        h.key(KeyCode::Char('j'), KeyModifiers::NONE);
        screen = h.screen();
    }
    assert!(screen.contains("Tracker links (1)"), "{screen}");
    assert!(
        screen.contains("acme/app code-scanning #1  dismissed (won't fix)"),
        "{screen}"
    );
    assert!(
        screen.contains("https://github.com/acme/app/security/code-scanning/1"),
        "{screen}"
    );
    // Esc from the detail, `Y` again, `Y` (or esc) closes it.
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    assert_eq!(h.state.context(), Context::SyncView);
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    assert_eq!(h.state.context(), Context::List);
}

#[test]
fn state_in_the_view_is_in_the_text_with_256_colours_too() {
    let db = synced_store();
    let mut h = console(&db, 80, 24);
    h.state.theme = Theme::new("default", ColorDepth::Ansi256);
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    let t = h.render();
    let screen = tui_support::screen_text(&t);
    let buf = t.backend().buffer();
    let y = screen
        .lines()
        .position(|l| l.contains("error: HTTP 422"))
        .unwrap() as u16;
    let x = screen
        .lines()
        .nth(y as usize)
        .unwrap()
        .find("error")
        .unwrap() as u16;
    assert_ne!(
        buf[(x, y)].fg,
        ratatui::style::Color::Reset,
        "the error line is coloured"
    );
    // ...and says "error:", and the cursor is a `>`, for a terminal without colour.
    assert!(line_with(&screen, "> #").contains("finding #2"));
}

#[test]
fn the_sync_key_without_a_tracker_says_how_to_configure_one() {
    let db = db_with(synthetic(3));
    let mut h = console(&db, 120, 24);
    h.key(KeyCode::Char('U'), KeyModifiers::NONE);
    assert!(h.queued.is_empty() && h.state.sync.running.is_none());
    let screen = h.screen();
    let bar = screen.lines().nth(22).unwrap();
    assert!(
        bar.contains("error: no tracker is configured: add [trackers.github]"),
        "{screen}"
    );
    // The sync view opens all the same, on an empty outbox.
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(screen.contains("outbox: 0 pending, 0 failed"), "{screen}");
    assert!(screen.contains("none synced yet (U syncs)"), "{screen}");
}

/// A runner that reports a page, then waits for the test to let it go, then stores a pull
/// (linking finding 2, creating a new finding from alert 9) as a real sync would.
fn held_runner(path: &Path) -> (SyncRunner, mpsc::Sender<()>) {
    let (go, wait) = mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let path = path.to_path_buf();
    let runner: SyncRunner = Arc::new(move |plan, progress| {
        assert!(plan.pull && plan.push && !plan.dry_run);
        progress(Progress::Page {
            endpoint: "github:acme/app:code_scanning".into(),
            page: 3,
            items: 250,
        });
        // Not forever: a console that waited on the sync would stall here, and the test fail.
        if wait
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(20))
            .is_err()
        {
            return Err("the test never let the sync go".into());
        }
        pull(
            &path,
            &[
                alert(2, "2026-05-01T10:00:00Z", RemoteState::Open),
                alert(9, "2026-05-01T10:00:00Z", RemoteState::Open),
            ],
        );
        let mut s = Summary {
            tracker: "github".into(),
            pushed: 3,
            ..Summary::default()
        };
        s.pulled.pulled = 12;
        s.pulled.created = 2;
        s.pulled.conflicts = 1;
        Ok(vec![s])
    });
    (runner, go)
}

#[test]
fn a_sync_runs_in_the_background_while_keys_keep_working_then_everything_is_read_again() {
    let db = db_with(synthetic(3));
    let mut h = console(&db, 100, 24);
    let (runner, go) = held_runner(&db.path);
    h.with_sync(runner);
    let first = h.selected();
    h.key(KeyCode::Char('U'), KeyModifiers::NONE);
    assert!(h.screen().contains("sync: starting…"), "{}", h.screen());
    let report = h.sync_report();
    assert!(matches!(report, Response::Sync(SyncEvent::Progress(_))));
    let bar = |h: &Harness| h.screen().lines().nth(22).unwrap().to_string();
    assert!(
        bar(&h).contains("sync: github:acme/app:code_scanning page 3, 250 items"),
        "{}",
        bar(&h)
    );

    // The runner is blocked until `go`: keys are handled meanwhile, the progress stays.
    h.key(KeyCode::Char('j'), KeyModifiers::NONE);
    h.key(KeyCode::Char('j'), KeyModifiers::NONE);
    assert_ne!(h.selected(), first);
    assert!(bar(&h).contains("page 3, 250 items"), "{}", bar(&h));
    h.key(KeyCode::Char('U'), KeyModifiers::NONE);
    assert!(bar(&h).contains("a sync is already running"), "{}", bar(&h));
    h.key(KeyCode::Char('Y'), KeyModifiers::NONE);
    assert!(h.screen().contains("a sync is running"), "{}", h.screen());
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.state.backlog.rows.len(), 3);

    go.send(()).unwrap();
    let report = h.sync_report();
    assert!(
        matches!(report, Response::Sync(SyncEvent::Finished(Ok(_)))),
        "{report:?}"
    );
    assert!(h.state.sync.running.is_none());
    assert!(
        bar(&h).contains("synced: 12 pulled, 2 created, 1 conflict, 3 pushed, 0 failed"),
        "{}",
        bar(&h)
    );
    // The list was read again: the finding the pull created is there.
    assert_eq!(h.state.backlog.rows.len(), 4);
    assert_eq!(h.state.total, Some(4));
    // And a second sync may start now.
    let (runner, go) = held_runner(&db.path);
    h.with_sync(runner);
    h.key(KeyCode::Char('U'), KeyModifiers::NONE);
    assert!(h.state.sync.running.is_some());
    drop(go);
    h.sync_report();
    let report = h.sync_report();
    assert!(
        matches!(&report, Response::Sync(SyncEvent::Finished(Err(e))) if e.contains("never let")),
        "{report:?}"
    );
    assert!(bar(&h).contains("error: sync failed: the test never let"));
}

#[test]
fn a_panicking_runner_ends_the_sync_instead_of_leaving_it_running() {
    let db = db_with(synthetic(1));
    let mut h = console(&db, 100, 24);
    h.with_sync(Arc::new(|_, _| panic!("connector bug")));
    h.key(KeyCode::Char('U'), KeyModifiers::NONE);
    h.sync_report();
    assert!(h.state.sync.running.is_none());
    assert!(
        h.screen()
            .contains("sync failed: the sync stopped unexpectedly"),
        "{}",
        h.screen()
    );
}

#[test]
fn a_link_with_hostile_text_shows_in_the_detail_escaped() {
    let db = db_with(synthetic(1));
    let mut hostile = alert(1, "2026-05-01T10:00:00Z", RemoteState::Open);
    hostile.url = Some("https://evil.test/\u{1b}]8;;https://x\u{7}click".into());
    hostile.assignees = vec!["mal\u{202e}lory".into()];
    pull(&db.path, &[hostile]);
    let h = console(&db, 100, 40);
    let screen = h.screen();
    assert!(screen.contains("Tracker links (1)"), "{screen}");
    assert!(
        screen.contains("https://evil.test/\\e]8;;https://x\\x07click"),
        "{screen}"
    );
    assert!(screen.contains("@mal\\u{202e}lory"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
}
