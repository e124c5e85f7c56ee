//! Flags and the daily tick from the console on ratatui's TestBackend, written to a real SQLite
//! store through the writer's `serve` (the same `Store::set_flags` / `Store::tick` the CLI
//! uses): the flags dialog, and a console left open past the end of an acceptance.

mod tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::model::{DecisionKind, Status};
use lastmile::store::DecisionRequest;
use lastmile::triage::policy::Policy;
use lastmile::tui::{Action, Context, Keymap};
use std::sync::Arc;
use tui_support::{Db, Harness, db_with, exec, synthetic};

/// A console acting as `me` on 2026-05-01 12:00 UTC, with `policy` in the UI and the writer.
fn console(db: &Db, me: Option<&str>, policy: Policy, width: u16, height: u16) -> Harness {
    let shared = Arc::new(policy.clone());
    let mut h = Harness::new_with(db, Keymap::default(), width, height, |s| {
        s.today = Some("2026-05-01".parse().unwrap());
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

fn flags_of(db: &Db, id: i64) -> (bool, bool) {
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.query_row(
        "SELECT validated, reachable FROM findings WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn risk_in_list(h: &Harness, id: i64) -> f64 {
    let row = h.state.backlog.rows.iter().find(|r| r.id == id).unwrap();
    row.risk.unwrap_or(0.0)
}

#[test]
fn the_flags_dialog_sets_validated_on_the_selection_and_risk_follows() {
    let db = db_with(synthetic(10));
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    h.act(Action::ToggleSelect);
    h.act(Action::MoveDown);
    h.act(Action::ToggleSelect);
    h.act(Action::MoveDown);
    h.act(Action::ToggleSelect);
    let ids = h.state.selected_ids();
    assert_eq!(ids.len(), 3);
    // One of them is validated already: the store leaves it, and the summary counts it out.
    exec(
        &db,
        &format!("UPDATE findings SET validated = 1 WHERE id = {}", ids[2]),
    );
    let before: Vec<f64> = ids[..2].iter().map(|id| risk_in_list(&h, *id)).collect();

    press(&mut h, KeyCode::Char('F'));
    assert_eq!(h.state.context(), Context::Flags);
    let screen = h.screen();
    assert!(
        screen.contains(&format!(
            "flags of 3 findings: #{} #{} #{}",
            ids[0], ids[1], ids[2]
        )),
        "{screen}"
    );
    assert!(screen.contains("▸ Exploit validated"), "{screen}");
    // space goes leave -> yes; y would pick it straight away.
    press(&mut h, KeyCode::Char(' '));
    assert!(h.screen().contains("(•) yes"), "{}", h.screen());
    press(&mut h, KeyCode::Tab);
    press(&mut h, KeyCode::Tab);
    h.type_text("poc reproduced; see ticket 7");
    ctrl(&mut h, 's');

    assert!(h.state.triage.flags.is_none(), "closed once recorded");
    assert!(
        status_line(&h).contains("flags changed on 2 of 3 findings │"),
        "{}",
        status_line(&h)
    );
    for (i, id) in ids[..2].iter().enumerate() {
        assert_eq!(
            flags_of(&db, *id),
            (true, false),
            "reachable left as it was"
        );
        let after = risk_in_list(&h, *id);
        assert!(after > before[i], "#{id}: risk {} -> {after}", before[i]);
    }
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let events: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'flags' AND actor = 'ann'
             AND reason = 'poc reproduced; see ticket 7'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(events, 2, "one event per finding that changed");
    assert!(h.state.selection.is_empty(), "the selection was used up");
}

#[test]
fn the_flags_dialog_refuses_without_a_reason_or_a_name() {
    let db = db_with(synthetic(5));
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    let id = h.selected().unwrap();
    press(&mut h, KeyCode::Char('F'));
    ctrl(&mut h, 's');
    assert!(
        h.screen()
            .contains("error: nothing to change: set a flag to yes or no"),
        "{}",
        h.screen()
    );
    press(&mut h, KeyCode::Tab);
    press(&mut h, KeyCode::Char('n'));
    ctrl(&mut h, 's');
    let screen = h.screen();
    assert!(
        screen.contains("error: a flag change needs a reason: say why"),
        "{screen}"
    );
    assert!(
        screen.contains("▸ Reason"),
        "the focus moves to the field: {screen}"
    );
    assert_eq!(h.state.triage.flags.as_ref().unwrap().reachable, flags_no());
    press(&mut h, KeyCode::Esc);
    assert!(h.state.triage.flags.is_none());
    assert_eq!(flags_of(&db, id), (false, false), "nothing was written");

    let mut h = console(&db, None, Policy::default(), 80, 24);
    press(&mut h, KeyCode::Char('F'));
    assert!(h.state.triage.flags.is_none());
    assert!(
        h.screen()
            .contains("error: decisions need to know who you are"),
        "{}",
        h.screen()
    );
}

fn flags_no() -> lastmile::tui::flags::Choice {
    lastmile::tui::flags::Choice::No
}

#[test]
fn a_console_open_past_the_end_of_an_acceptance_reopens_it_on_the_new_day() {
    use lastmile::tui::daily;
    let db = db_with(synthetic(5));
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    let id = h.selected().unwrap();
    let req = DecisionRequest {
        kind: DecisionKind::AcceptRisk,
        reason: "behind the VPN".into(),
        until: Some("2026-05-10".parse().unwrap()),
        control: Some("WAF rule 12".into()),
        target: None,
    };
    let r = h
        .writer
        .decide(&[id], &req, "ann", &h.policy, &h.clock)
        .unwrap();
    if r[0].outcome == lastmile::store::Outcome::Pending {
        h.writer
            .review(&[id], None, None, "bob", &h.policy, &h.clock)
            .unwrap();
    }
    h.act(Action::Refresh);
    let status = |h: &Harness| {
        h.state
            .backlog
            .rows
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .status
    };
    assert_eq!(status(&h), Status::AcceptedRisk);

    let utc = chrono::FixedOffset::east_opt(0).unwrap();
    // At start the console brings triage up to date: nothing has expired yet.
    let first = daily::check(&mut h.state, "2026-05-01T12:00:00Z".parse().unwrap(), utc);
    assert_eq!(first.len(), 1, "a tick at start");
    h.run(first);
    assert_eq!(status(&h), Status::AcceptedRisk);
    assert!(
        daily::check(&mut h.state, "2026-05-01T18:00:00Z".parse().unwrap(), utc).is_empty(),
        "the same day again asks for nothing"
    );
    // Ten days later, the console still open: the writer's clock has moved too.
    let later = "2026-05-11T00:05:00Z".parse().unwrap();
    h.clock.set(later);
    let effects = daily::check(&mut h.state, later, utc);
    assert_eq!(effects.len(), 1);
    h.run(effects);

    assert!(
        status_line(&h).contains("1 expired decision reopened │"),
        "{}",
        status_line(&h)
    );
    assert_eq!(status(&h), Status::Open, "the list was read again");
    assert_eq!(h.state.today, Some("2026-05-11".parse().unwrap()));
    assert!(
        daily::check(&mut h.state, later, utc).is_empty(),
        "once a day"
    );
}

#[test]
fn a_snapshot_of_the_flags_dialog_and_small_screens() {
    let db = db_with(synthetic(12));
    tui_support::set_triage(&db);
    exec(&db, "UPDATE findings SET pending_id = NULL");
    let mut h = console(&db, Some("ann"), Policy::default(), 80, 24);
    h.act(Action::ToggleSelect);
    h.act(Action::MoveDown);
    h.act(Action::ToggleSelect);
    press(&mut h, KeyCode::Char('F'));
    press(&mut h, KeyCode::Tab);
    press(&mut h, KeyCode::Char('y'));
    press(&mut h, KeyCode::Tab);
    h.type_text("Called from the public checkout handler.");
    insta::assert_snapshot!("flags_dialog_80x24", h.screen());
    for (w, ht) in [
        (1, 1),
        (3, 3),
        (10, 5),
        (20, 8),
        (34, 12),
        (50, 14),
        (200, 60),
    ] {
        h.state.width = w;
        h.state.height = ht;
        h.screen();
    }
}
