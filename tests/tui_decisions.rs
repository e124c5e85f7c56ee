//! Decisions from the console on ratatui's TestBackend, written to a real SQLite store through
//! the writer's `serve` (the same `Store::decide` / `Store::review` the CLI uses): the decision
//! dialog, the pending mark, the approvals view, and the detail pane's risk breakdown and
//! decision history.

mod tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::config::Config;
use lastmile::model::{DecisionKind, DecisionState, Status};
use lastmile::store::{DecisionFilter, DecisionRequest, DecisionRow};
use lastmile::triage::policy::Policy;
use lastmile::tui::{Action, Context, Keymap};
use std::sync::Arc;
use tui_support::{Db, F, Harness, db_with, exec, synthetic};

fn today() -> chrono::NaiveDate {
    "2026-05-01".parse().unwrap()
}

/// A console acting as `me` on 2026-05-01 12:00 UTC, with `policy` in the UI and the writer.
fn console(db: &Db, me: Option<&str>, policy: Policy, width: u16, height: u16) -> Harness {
    let shared = Arc::new(policy.clone());
    let mut h = Harness::new_with(db, Keymap::default(), width, height, |s| {
        s.today = Some(today());
        s.triage.now = Some("2026-05-01T12:00:00Z".parse().unwrap());
        s.triage.me = me.map(Into::into);
        s.triage.policy = shared;
    });
    h.policy = policy;
    h
}

fn ctrl(h: &mut Harness, c: char) {
    h.key(KeyCode::Char(c), KeyModifiers::CONTROL);
}

fn press(h: &mut Harness, code: KeyCode) {
    h.key(code, KeyModifiers::NONE);
}

fn status_line(h: &Harness) -> String {
    let rows = h.state.height as usize;
    h.screen().lines().nth(rows - 2).unwrap().to_string()
}

fn decisions(h: &Harness, id: i64) -> Vec<DecisionRow> {
    h.writer.decisions(DecisionFilter::Finding(id)).unwrap()
}

fn defer_by(h: &mut Harness, who: &str, id: i64, reason: &str) {
    let req = DecisionRequest {
        kind: DecisionKind::Defer,
        reason: reason.into(),
        until: Some("2026-06-15".parse().unwrap()),
        control: None,
        target: None,
    };
    let r = h
        .writer
        .decide(&[id], &req, who, &h.policy, &h.clock)
        .unwrap();
    assert_eq!(r[0].outcome, lastmile::store::Outcome::Pending, "{r:?}");
}

#[test]
fn the_dialog_decides_on_a_two_row_selection_and_the_status_bar_says_so() {
    let db = db_with(synthetic(10));
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    h.act(Action::ToggleSelect);
    h.act(Action::MoveDown);
    h.act(Action::ToggleSelect);
    let ids = h.state.selected_ids();
    assert_eq!(ids.len(), 2);

    press(&mut h, KeyCode::Char('d'));
    assert_eq!(h.state.context(), Context::Dialog);
    let screen = h.screen();
    assert!(
        screen.contains(&format!("decide on 2 findings: #{} #{}", ids[0], ids[1])),
        "{screen}"
    );
    // j and k pick the kind; so does its first letter.
    press(&mut h, KeyCode::Char('j'));
    press(&mut h, KeyCode::Char('j'));
    press(&mut h, KeyCode::Char('k'));
    assert!(h.screen().contains("(•) false-positive"), "{}", h.screen());
    press(&mut h, KeyCode::Char('c'));
    press(&mut h, KeyCode::Char('f'));
    press(&mut h, KeyCode::Tab);
    h.type_text("the sanitizer runs first");
    press(&mut h, KeyCode::Enter);
    h.type_text("see ticket 12; q and j type themselves");
    ctrl(&mut h, 's');

    assert!(h.state.triage.dialog.is_none(), "closed once recorded");
    assert!(
        status_line(&h).contains("2 applied │"),
        "{}",
        status_line(&h)
    );
    for id in &ids {
        let d = decisions(&h, *id);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].kind, d[0].state, d[0].actor.as_str()),
            (DecisionKind::FalsePositive, DecisionState::Applied, "ann")
        );
        assert_eq!(
            d[0].reason,
            "the sanitizer runs first\nsee ticket 12; q and j type themselves"
        );
    }
    assert!(h.state.selection.is_empty(), "the selection was used up");
    // The list was read again: the rows show their new status.
    let decided: Vec<Status> = h
        .state
        .backlog
        .rows
        .iter()
        .filter(|r| ids.contains(&r.id))
        .map(|r| r.status)
        .collect();
    assert_eq!(decided, [Status::FalsePositive, Status::FalsePositive]);
    assert!(!h.state.quit);

    // The summary lasts until the next key.
    press(&mut h, KeyCode::Char('j'));
    assert!(!status_line(&h).contains("applied"));

    // Deciding again on one of them: the store skips it, and says why.
    while h.selected() != Some(ids[0]) {
        h.act(Action::MoveUp);
    }
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('f'));
    press(&mut h, KeyCode::Tab);
    h.type_text("again");
    ctrl(&mut h, 's');
    assert!(
        status_line(&h).contains("1 skipped: already false_positive"),
        "{}",
        status_line(&h)
    );
}

#[test]
fn validation_names_the_missing_until_and_the_store_refusal_keeps_the_text() {
    let db = db_with(synthetic(5));
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    let id = h.selected().unwrap();
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('d'));
    ctrl(&mut h, 's');
    let screen = h.screen();
    assert!(
        screen.contains("error: defer needs a justification"),
        "{screen}"
    );
    assert!(
        screen.contains("▸ Justification"),
        "the focus moves to the field: {screen}"
    );
    h.type_text("next quarter");
    ctrl(&mut h, 's');
    let screen = h.screen();
    assert!(
        screen.contains("error: defer needs an end date: YYYY-MM-DD, or +30d / +90d"),
        "{screen}"
    );
    assert!(screen.contains("▸ Until"), "{screen}");
    h.type_text("2026-13-01");
    ctrl(&mut h, 's');
    assert!(h.screen().contains("'2026-13-01' is not a date"));
    assert!(decisions(&h, id).is_empty(), "nothing was written");

    // The store's own refusal: a duplicate of a finding that does not exist.
    press(&mut h, KeyCode::BackTab);
    press(&mut h, KeyCode::BackTab);
    assert!(h.screen().contains("▸ Decision"), "{}", h.screen());
    press(&mut h, KeyCode::Char('d'));
    assert!(h.screen().contains("(•) duplicate"));
    press(&mut h, KeyCode::Tab);
    press(&mut h, KeyCode::Tab);
    assert!(h.screen().contains("▸ Target"), "{}", h.screen());
    h.type_text("#999");
    ctrl(&mut h, 's');
    let screen = h.screen();
    assert!(
        screen.contains("error: duplicate of 999: no finding with that id"),
        "{screen}"
    );
    let d = h.state.triage.dialog.as_ref().expect("still open");
    assert_eq!(d.reason.text(), "next quarter", "the justification is kept");

    press(&mut h, KeyCode::Esc);
    assert!(h.state.triage.dialog.is_none());
    assert!(decisions(&h, id).is_empty());
}

#[test]
fn without_a_name_nothing_is_written() {
    let db = db_with(synthetic(3));
    let mut h = console(&db, None, Policy::default(), 80, 24);
    press(&mut h, KeyCode::Char('d'));
    assert!(h.state.triage.dialog.is_none());
    assert!(
        h.screen()
            .contains("error: decisions need to know who you are"),
        "{}",
        h.screen()
    );
    press(&mut h, KeyCode::Char('A'));
    assert!(h.state.triage.approvals.is_none());
}

#[test]
fn a_gated_decision_waits_for_approval_and_shows_the_pending_mark() {
    let db = db_with(synthetic(6));
    exec(&db, "UPDATE findings SET lane = 'exploitable'");
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    let id = h.selected().unwrap();
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('a'));
    let screen = h.screen();
    assert!(
        screen.contains("lane exploitable (1): waits for a second person's approval"),
        "{screen}"
    );
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Tab);
    h.type_text("after the freeze");
    press(&mut h, KeyCode::Tab);
    h.type_text("+30d");
    assert!(h.screen().contains("= 2026-05-31"), "{}", h.screen());
    ctrl(&mut h, 's');

    assert!(
        status_line(&h).contains("1 waiting for approval"),
        "{}",
        status_line(&h)
    );
    let d = decisions(&h, id);
    assert_eq!(
        (d[0].state, d[0].until.as_deref()),
        (DecisionState::Pending, Some("2026-05-31"))
    );
    let screen = h.screen();
    let title = format!("Finding number {} ", id - 1);
    let row = screen.lines().find(|l| l.contains(&title)).unwrap();
    assert!(row.starts_with(" ?"), "pending mark: {row:?}");
}

#[test]
fn the_approvals_view_lists_what_waits_for_me_and_approving_applies_it() {
    let mut findings = synthetic(4);
    findings[1].title = "Hostile \u{1b}[31mtitle".into();
    let db = db_with(findings);
    exec(&db, "UPDATE findings SET lane = 'exploitable'");
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    defer_by(&mut h, "bob", 2, "waits on \u{1b}[2Jvendor");
    defer_by(&mut h, "ann", 3, "mine to ask");

    press(&mut h, KeyCode::Char('A'));
    assert_eq!(h.state.context(), Context::Approvals);
    let screen = h.screen();
    assert!(screen.contains("[waiting for me: 1]"), "{screen}");
    let row = screen.lines().find(|l| l.contains("#2 ")).expect(&screen);
    for cell in [
        "defer",
        "bob",
        "2026-05-01",
        "exploitable",
        "2026-06-15",
        "waits on",
    ] {
        assert!(row.contains(cell), "{cell} missing from {row:?}");
    }
    assert!(
        screen.contains("waits on \\e[2Jvendor"),
        "sanitized: {screen}"
    );
    assert!(screen.contains("Hostile \\e[31mtitle"), "{screen}");
    assert!(screen.contains("Reviewers  anyone but bob"), "{screen}");
    assert!(
        screen.contains("You (ann)  may approve or reject"),
        "{screen}"
    );
    assert!(!screen.contains("#3 "), "my own is not waiting for me");

    press(&mut h, KeyCode::Char('a'));
    assert_eq!(h.state.context(), Context::Review);
    assert!(h.screen().contains("approve #2, note (optional):"));
    h.type_text("fine until June");
    press(&mut h, KeyCode::Enter);
    assert!(
        status_line(&h).contains("1 approved"),
        "{}",
        status_line(&h)
    );
    let d = decisions(&h, 2);
    assert_eq!(d[0].state, DecisionState::Applied);
    assert_eq!(d[0].reviewer.as_deref(), Some("ann"));
    assert_eq!(d[0].review_reason.as_deref(), Some("fine until June"));
    assert!(
        h.screen().contains("nothing waits for your approval"),
        "{}",
        h.screen()
    );

    // Enter on a decision shows its finding in the backlog.
    press(&mut h, KeyCode::Tab);
    assert!(h.screen().contains("[I asked for: 1]"), "{}", h.screen());
    press(&mut h, KeyCode::Enter);
    assert!(h.state.triage.approvals.is_none());
    assert_eq!(h.state.query, "id:3");
    assert_eq!(h.selected(), Some(3));
}

#[test]
fn self_approval_and_accept_by_are_refused_with_the_reason() {
    let db = db_with(synthetic(4));
    exec(&db, "UPDATE findings SET lane = 'hot'");
    let config = Config::parse(
        r#"
[[people]]
handle = "lee"
[[people]]
handle = "max"
[[people]]
handle = "ann"
[[teams]]
name = "sec"
members = ["lee"]
[[lanes]]
name = "hot"
query = ""
sla_days = 7
accept_by = ["sec"]
approval = ["accept-risk", "defer"]
"#,
        "t.toml",
    )
    .unwrap();
    let policy = Policy::from_config(&config).unwrap();
    let mut h = console(&db, Some("max"), policy, 80, 24);
    defer_by(&mut h, "max", 1, "my own");
    let req = DecisionRequest {
        kind: DecisionKind::AcceptRisk,
        reason: "legacy endpoint".into(),
        until: Some("2026-08-01".parse().unwrap()),
        control: Some("behind the VPN".into()),
        target: None,
    };
    h.writer
        .decide(&[2], &req, "ann", &h.policy, &h.clock)
        .unwrap();

    press(&mut h, KeyCode::Char('A'));
    let screen = h.screen();
    assert!(
        screen.contains("anyone but ann; approving needs one of sec"),
        "{screen}"
    );
    assert!(
        screen.contains("may reject, not approve: max may not accept risk in lane hot"),
        "{screen}"
    );
    press(&mut h, KeyCode::Char('a'));
    assert!(
        h.screen()
            .contains("error: cannot approve #2: max may not accept risk in lane hot"),
        "{}",
        h.screen()
    );
    // Rejecting is open to anyone but the author, and needs a reason.
    press(&mut h, KeyCode::Char('r'));
    assert!(h.screen().contains("reject #2, reason:"));
    press(&mut h, KeyCode::Enter);
    assert!(h.screen().contains("error: a rejection needs a reason"));
    h.type_text("no compensating control in place");
    press(&mut h, KeyCode::Enter);
    assert!(
        status_line(&h).contains("1 rejected"),
        "{}",
        status_line(&h)
    );
    assert_eq!(decisions(&h, 2)[0].state, DecisionState::Rejected);

    press(&mut h, KeyCode::Tab);
    let screen = h.screen();
    assert!(screen.contains("[I asked for: 1]"), "{screen}");
    assert!(
        screen.contains("cannot review: you cannot review your own decision"),
        "{screen}"
    );
    press(&mut h, KeyCode::Char('a'));
    assert!(
        h.screen()
            .contains("error: cannot approve #1: you cannot review your own decision"),
        "{}",
        h.screen()
    );
    assert_eq!(decisions(&h, 1)[0].state, DecisionState::Pending);
    press(&mut h, KeyCode::Esc);
    assert!(h.state.triage.approvals.is_none());
}

/// Everything the detail pane holds, scrolled through at its size.
fn detail_text(h: &mut Harness) -> String {
    let mut seen: Vec<String> = Vec::new();
    h.act(Action::Top);
    for _ in 0..20 {
        for line in h.screen().lines() {
            if line.starts_with('│') && !seen.contains(&line.to_string()) {
                seen.push(line.to_string());
            }
        }
        h.act(Action::PageDown);
    }
    seen.join("\n")
}

#[test]
fn the_detail_shows_the_risk_terms_and_the_decision_history() {
    let db = db_with(vec![F {
        title: "SQL injection".into(),
        rule: "sqli".into(),
        severity: lastmile::model::Severity::High,
        ..Default::default()
    }]);
    exec(
        &db,
        "UPDATE findings SET kev = 1, kev_due = '2026-05-20', epss = 0.42, epss_pct = 0.97,
            lane = 'exploitable', reachable = 1",
    );
    let mut h = console(&db, Some("lee"), Policy::default(), 80, 24);
    defer_by(&mut h, "ann", 1, "vendor patch due");
    h.writer
        .review(&[1], None, Some("agreed"), "lee", &h.policy, &h.clock)
        .unwrap();
    h.act(Action::Refresh);
    h.act(Action::ToggleDetail);
    let text = detail_text(&mut h);
    for want in [
        "Decided by ann",
        "Until      2026-06-15",
        "Risk breakdown:",
        "severity    32.0/40  severity high (typical score 8.0)",
        "kev         25.0/25  listed in CISA KEV, fix by 2026-05-20",
        "epss        14.6/15  EPSS 0.420, percentile 97",
        "reachable    5.0/5   marked reachable",
        "Decisions (1)",
        "2026-05-01 12:00  ann  defer  [applied]  lane exploitable",
        "why: vendor patch due",
        "until 2026-06-15",
        "applied by lee 2026-05-01 12:00: agreed",
        "History (",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
}

#[test]
fn snapshots_of_the_dialog_and_the_approvals_view() {
    let db = db_with(synthetic(12));
    tui_support::set_triage(&db);
    exec(
        &db,
        "UPDATE findings SET pending_id = NULL; UPDATE findings SET lane = 'exploitable' WHERE id IN (3, 5)",
    );
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    while h.selected() != Some(5) {
        h.act(Action::MoveDown);
    }
    h.act(Action::ToggleSelect);
    h.act(Action::MoveDown);
    h.act(Action::ToggleSelect);
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('a'));
    press(&mut h, KeyCode::Tab);
    h.type_text("Legacy endpoint, retired in Q3.");
    press(&mut h, KeyCode::Enter);
    h.type_text("Owner agreed in the weekly review.");
    press(&mut h, KeyCode::Tab);
    h.type_text("+90d");
    press(&mut h, KeyCode::Tab);
    h.type_text("WAF rule 9");
    insta::assert_snapshot!("decision_dialog_80x24", h.screen());

    press(&mut h, KeyCode::Esc);
    defer_by(
        &mut h,
        "bob",
        3,
        "Waiting on the vendor's patch, expected in June.",
    );
    h.writer
        .decide(
            &[5],
            &DecisionRequest {
                kind: DecisionKind::FalsePositive,
                reason: "Test fixture, never deployed.".into(),
                until: None,
                control: None,
                target: None,
            },
            "cy",
            &h.policy,
            &h.clock,
        )
        .unwrap();
    press(&mut h, KeyCode::Char('A'));
    insta::assert_snapshot!("approvals_80x24", h.screen());
}

#[test]
fn small_screens_do_not_break_the_dialog_or_the_approvals_view() {
    let db = db_with(synthetic(5));
    exec(&db, "UPDATE findings SET lane = 'exploitable'");
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    defer_by(
        &mut h,
        "bob",
        2,
        "a reason long enough to wrap on a narrow screen, and then some",
    );
    press(&mut h, KeyCode::Char('d'));
    let sizes = [
        (1, 1),
        (3, 3),
        (10, 5),
        (20, 8),
        (34, 12),
        (50, 14),
        (200, 60),
    ];
    for (w, ht) in sizes {
        h.state.width = w;
        h.state.height = ht;
        h.screen();
    }
    press(&mut h, KeyCode::Esc);
    press(&mut h, KeyCode::Char('A'));
    for (w, ht) in sizes {
        h.state.width = w;
        h.state.height = ht;
        h.screen();
    }
    h.state.width = 40;
    h.state.height = 12;
    assert!(h.screen().contains("#2"), "{}", h.screen());
}
