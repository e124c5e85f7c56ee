//! The assign dialog on ratatui's TestBackend, against a real SQLite store through the writer's
//! routing desk (the same `Planner::suggest` and `Store::assign` the CLI uses): the router's
//! suggestion with its reasons, applying it, a selection grouped, a person's choice kept, the
//! roster searched fuzzily and assigned by hand, and people who left refused.

mod tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::config::Config;
use lastmile::tui::roster_search::Directory;
use lastmile::tui::route_desk::Routes;
use lastmile::tui::{Action, Context, Keymap};
use std::sync::Arc;
use tui_support::{Db, Harness, db_with, exec, synthetic};

/// The findings live in `payments-api` (see `tui_support::import_more`), which the config gives
/// to the payments team: the router suggests its champion.
pub const CONFIG: &str = r#"
me = "ann"

[[repos]]
name = "payments-api"
team = "payments"

[[teams]]
name = "payments"
members = ["lee", "cam"]
champion = "cam"
tickets = { tracker = "jira", project = "PAY" }

[[teams]]
name = "web"
members = ["ann"]

[[people]]
handle = "lee"
name = "Lee Park"
team = "payments"

[[people]]
handle = "cam"
name = "Cam Diaz"
team = "payments"

[[people]]
handle = "olga"
name = "Olga Ortiz"
team = "web"
left = "2026-03-01"

[[people]]
handle = "ann"
name = "Ann Webb"
team = "web"
"#;

/// A console acting as ann on 2026-05-01 12:00 UTC, with the roster above.
fn console(db: &Db, width: u16, height: u16) -> Harness {
    let config = Config::parse(CONFIG, "test").unwrap();
    let directory = Arc::new(Directory::from_config(&config));
    let mut h = Harness::new_with(db, Keymap::default(), width, height, |s| {
        s.today = Some("2026-05-01".parse().unwrap());
        s.triage.now = Some("2026-05-01T12:00:00Z".parse().unwrap());
        s.triage.me = Some("ann".into());
        s.owners.directory = directory;
    });
    h.routes = Routes::new(config);
    h
}

fn press(h: &mut Harness, code: KeyCode) {
    h.key(code, KeyModifiers::NONE);
}

fn ctrl(h: &mut Harness, c: char) {
    h.key(KeyCode::Char(c), KeyModifiers::CONTROL);
}

fn status_line(h: &Harness) -> String {
    let rows = h.state.height as usize;
    h.screen().lines().nth(rows - 2).unwrap().to_string()
}

/// (owner, team, how, by) as stored.
fn assignment(
    db: &Db,
    id: i64,
) -> (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
) {
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.query_row(
        "SELECT owner, team, assignment, assigned_by FROM findings WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .unwrap()
}

fn assigned_events(db: &Db) -> i64 {
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.query_row(
        "SELECT COUNT(*) FROM events WHERE kind = 'assigned'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Assigns a finding by hand behind the console's back, as another person would have.
fn assign_by_hand(db: &Db, id: i64, owner: &str) {
    exec(
        db,
        &format!(
            "UPDATE findings SET owner = '{owner}', team = 'payments', assignment = 'manual',
             assigned_by = 'bob', assigned_at = '2026-04-01T09:00:00Z' WHERE id = {id}"
        ),
    );
}

#[test]
fn the_dialog_shows_the_routers_suggestion_with_its_reasons_and_applies_it() {
    let db = db_with(synthetic(10));
    // Tall enough for the detail pane under the list.
    let mut h = console(&db, 100, 40);
    let id = h.selected().unwrap();

    // The suggestion is computed on the writer: until it answers the dialog says so.
    h.act_later(Action::Assign);
    assert_eq!(h.state.context(), Context::Assign);
    assert!(h.screen().contains("routing…"), "{}", h.screen());
    h.pump();
    let screen = h.screen();
    assert!(screen.contains(&format!("assign #{id}")), "{screen}");
    for shown in [
        "Now        unassigned",
        "Person     @cam",
        "Team       payments",
        "Confidence medium",
        "Tickets    jira PAY",
        "champion @cam",
        "Applying   assigns it",
    ] {
        assert!(screen.contains(shown), "{shown} missing:\n{screen}");
    }
    let before = assigned_events(&db);
    ctrl(&mut h, 's');

    assert!(h.state.owners.assign.is_none(), "closed once written");
    assert!(
        status_line(&h).contains("1 assigned by routing │"),
        "{}",
        status_line(&h)
    );
    assert_eq!(
        assignment(&db, id),
        (s("cam"), s("payments"), s("routed"), s("ann"))
    );
    assert_eq!(assigned_events(&db), before + 1);
    // The list and the detail were read again.
    let row = h.state.backlog.rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(
        (row.owner.as_deref(), row.team.as_deref()),
        (Some("cam"), Some("payments"))
    );
    let screen = h.screen();
    assert!(screen.contains("Owner      @cam"), "{screen}");
    assert!(screen.contains("Assigned   routed by ann"), "{screen}");
    assert!(
        screen.contains("champion @cam"),
        "the reasons in the detail: {screen}"
    );
}

#[test]
fn a_selection_is_grouped_and_a_persons_assignment_is_kept() {
    let db = db_with(synthetic(10));
    let mut h = console(&db, 100, 30);
    for _ in 0..3 {
        h.act(Action::ToggleSelect);
        h.act(Action::MoveDown);
    }
    let ids = h.state.selected_ids();
    assert_eq!(ids.len(), 3);
    assign_by_hand(&db, ids[1], "lee");

    press(&mut h, KeyCode::Char('o'));
    let screen = h.screen();
    assert!(screen.contains("assign 3 findings:"), "{screen}");
    assert!(
        screen.contains("2 findings -> @cam (payments), medium"),
        "{screen}"
    );
    assert!(
        screen.contains("kept (assigned by hand): 1 · unrouted: 0 · already so: 0"),
        "{screen}"
    );
    ctrl(&mut h, 's');
    assert!(
        status_line(&h).contains("2 assigned by routing, 1 kept (assigned by hand)"),
        "{}",
        status_line(&h)
    );
    assert_eq!(
        assignment(&db, ids[1]).0,
        s("lee"),
        "a person's choice stands"
    );
    assert_eq!(assignment(&db, ids[0]).0, s("cam"));
    assert_eq!(assignment(&db, ids[2]).0, s("cam"));
    assert!(h.state.selection.is_empty(), "the selection was used up");
}

#[test]
fn the_roster_is_searched_fuzzily_and_a_selection_assigned_by_hand() {
    let db = db_with(synthetic(10));
    let mut h = console(&db, 100, 30);
    for _ in 0..3 {
        h.act(Action::ToggleSelect);
        h.act(Action::MoveDown);
    }
    let ids = h.state.selected_ids();
    assign_by_hand(&db, ids[2], "lee");
    let before = assigned_events(&db);

    press(&mut h, KeyCode::Char('o'));
    // Typing a name goes straight to the search box.
    h.type_text("lpark");
    let screen = h.screen();
    assert!(screen.contains("▸ By hand: lpark"), "{screen}");
    assert!(
        screen.contains("> @lee  Lee Park  (payments)"),
        "the best match is highlighted: {screen}"
    );
    press(&mut h, KeyCode::Tab);
    h.type_text("knows the retry code");
    press(&mut h, KeyCode::Enter);

    assert!(h.state.owners.assign.is_none());
    assert!(
        status_line(&h).contains("2 assigned to @lee (payments), 1 already were"),
        "{}",
        status_line(&h)
    );
    for id in &ids {
        assert_eq!(assignment(&db, *id).0, s("lee"), "#{id} assigned to lee");
    }
    assert_eq!(assignment(&db, ids[0]).2, s("manual"));
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    let noted: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'assigned' AND actor = 'ann'
             AND reason = 'knows the retry code'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        noted, 2,
        "one event per finding that changed, with the note"
    );
    assert_eq!(assigned_events(&db), before + 2);

    // A team by name: the team alone, nobody in particular.
    let id = h.selected().unwrap();
    press(&mut h, KeyCode::Char('o'));
    h.type_text("web");
    let screen = h.screen();
    assert!(
        screen.contains("> team web"),
        "the team before its members: {screen}"
    );
    press(&mut h, KeyCode::Enter);
    assert_eq!(assignment(&db, id), (None, s("web"), s("manual"), s("ann")));
}

#[test]
fn someone_who_left_is_shown_but_cannot_be_chosen() {
    let db = db_with(synthetic(3));
    let mut h = console(&db, 100, 30);
    let id = h.selected().unwrap();
    press(&mut h, KeyCode::Char('o'));
    h.type_text("olga");
    let screen = h.screen();
    assert!(
        screen.contains("@olga  Olga Ortiz  (web)  left 2026-03-01: cannot be assigned"),
        "{screen}"
    );
    press(&mut h, KeyCode::Enter);
    let screen = h.screen();
    assert!(
        screen.contains("error: @olga left on 2026-03-01; pick someone who is here"),
        "{screen}"
    );
    assert!(h.state.owners.assign.is_some(), "the dialog stays open");
    assert_eq!(
        assignment(&db, id),
        (None, None, None, None),
        "nothing written"
    );

    // Enter with an empty search does not assign the first person in the roster.
    for _ in 0..4 {
        press(&mut h, KeyCode::Backspace);
    }
    press(&mut h, KeyCode::Enter);
    assert!(
        h.screen()
            .contains("error: type a name to search the roster"),
        "{}",
        h.screen()
    );
    press(&mut h, KeyCode::Esc);
    assert!(h.state.owners.assign.is_none());
    assert_eq!(assignment(&db, id).0, None);
}

#[test]
fn the_dialog_fits_80x24_and_reads_without_colour() {
    let db = db_with(synthetic(5));
    let mut h = console(&db, 80, 24);
    press(&mut h, KeyCode::Char('o'));
    h.type_text("a");
    let screen = h.screen();
    assert!(
        screen
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) == 80)
    );
    // The harness draws without colour: the focus, the pick and who left are in the text.
    assert!(screen.contains("▸ By hand: a"), "{screen}");
    assert!(screen.contains("> "), "{screen}");
    assert!(screen.contains("Why"), "{screen}");
    assert!(
        screen
            .lines()
            .last()
            .unwrap()
            .contains("enter assign by hand")
    );
    insta::assert_snapshot!("assign_dialog_80x24", screen);
}
