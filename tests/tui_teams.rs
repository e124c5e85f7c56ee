//! The teams view on ratatui's TestBackend over a small store with known numbers: each roster
//! team with its active findings by lane, overdue, without a person and per person (people who
//! left flagged), a team only findings name, and Enter showing a team's findings.

mod tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::config::Config;
use lastmile::triage::policy::Policy;
use lastmile::tui::roster_search::Directory;
use lastmile::tui::{Action, Context, Keymap};
use std::sync::Arc;
use tui_support::{Db, Harness, db_with, exec, synthetic};

const CONFIG: &str = r#"
me = "ann"

[[lanes]]
name = "urgent"
query = "sev>=high"
sla_days = 7

[[lanes]]
name = "later"
query = ""
sla_days = 90

[[teams]]
name = "payments"
members = ["lee", "cam"]

[[teams]]
name = "web"

[[people]]
handle = "lee"
team = "payments"

[[people]]
handle = "cam"
team = "payments"
left = "2026-03-01"

[[people]]
handle = "ann"
team = "web"
"#;

fn console(db: &Db, width: u16, height: u16) -> Harness {
    let config = Config::parse(CONFIG, "test").unwrap();
    let policy = Policy::from_config(&config).unwrap();
    let directory = Arc::new(Directory::from_config(&config));
    let shared = Arc::new(policy.clone());
    let mut h = Harness::new_with(db, Keymap::default(), width, height, |s| {
        s.today = Some("2026-05-01".parse().unwrap());
        s.triage.me = Some("ann".into());
        s.triage.policy = shared;
        s.owners.directory = directory;
    });
    h.policy = policy;
    h
}

/// Ten findings given known owners, lanes and deadlines (2026-05-01 is today):
///
/// | ids | team | owner | lane | due | status |
/// |---|---|---|---|---|---|
/// | 1-3 | payments | lee | urgent | 04-20 (late) | open |
/// | 4 | payments | cam (left) | later | 06-01 | triaged |
/// | 5 | payments | - | later | 04-30 (late) | open |
/// | 6 | payments | lee | urgent | - | fixed (not counted) |
/// | 7-8 | legacy (not in roster) | zed | later | 05-01 (not late) | in_progress |
/// | 9 | - | - | urgent | 04-01 (late) | open |
/// | 10 | web | ann | - | - | false_positive (not counted) |
fn known_store() -> Db {
    let db = db_with(synthetic(10));
    exec(
        &db,
        "UPDATE findings SET team = NULL, owner = NULL, lane = NULL, due = NULL, status = 'open';
         UPDATE findings SET team = 'payments', owner = 'lee', lane = 'urgent', due = '2026-04-20'
            WHERE id <= 3;
         UPDATE findings SET team = 'payments', owner = 'cam', lane = 'later', due = '2026-06-01',
            status = 'triaged' WHERE id = 4;
         UPDATE findings SET team = 'payments', lane = 'later', due = '2026-04-30' WHERE id = 5;
         UPDATE findings SET team = 'payments', owner = 'lee', lane = 'urgent', status = 'fixed'
            WHERE id = 6;
         UPDATE findings SET team = 'legacy', owner = 'zed', lane = 'later', due = '2026-05-01',
            status = 'in_progress' WHERE id IN (7, 8);
         UPDATE findings SET lane = 'urgent', due = '2026-04-01' WHERE id = 9;
         UPDATE findings SET team = 'web', owner = 'ann', status = 'false_positive' WHERE id = 10;",
    );
    db
}

fn line_with<'a>(screen: &'a str, start: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.trim_start().starts_with(start))
        .unwrap_or_else(|| panic!("no line starting {start:?}:\n{screen}"))
}

fn numbers(line: &str) -> Vec<u64> {
    line.split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn each_team_shows_its_active_work_by_lane_overdue_unassigned_and_per_person() {
    let db = known_store();
    let mut h = console(&db, 100, 30);
    h.act_later(Action::Teams);
    assert_eq!(h.state.context(), Context::Teams);
    assert!(h.screen().contains("reading each team's work…"));
    h.pump();
    let screen = h.screen();
    let header = line_with(&screen, "TEAM");
    assert!(
        header.contains("ACTIVE") && header.contains("urgent") && header.contains("later"),
        "{header}"
    );
    assert!(
        header.find("urgent") < header.find("later") && !header.contains("none"),
        "lanes in the policy's order (every active finding has one): {header}"
    );
    // ACTIVE, urgent, later, OVERDUE, NOBODY.
    assert_eq!(numbers(line_with(&screen, "> payments")), [5, 3, 2, 4, 1]);
    assert_eq!(numbers(line_with(&screen, "web")), [0, 0, 0, 0, 0]);
    // Due today is not late yet.
    assert_eq!(numbers(line_with(&screen, "legacy")), [2, 0, 2, 0, 0]);
    assert_eq!(numbers(line_with(&screen, "(no team)")), [1, 1, 0, 1, 1]);
    assert!(
        screen.contains("@lee 3 · @cam 1 left 2026-03-01: reroute"),
        "{screen}"
    );
    assert!(
        screen.contains("@ann 0"),
        "roster members without work: {screen}"
    );
    assert!(screen.contains("(not in roster) · @zed 2"), "{screen}");
    assert!(
        h.screen().lines().nth(28).unwrap().contains("team 1 of 4"),
        "{}",
        h.screen()
    );

    // Enter shows the team's active findings in the backlog.
    h.act(Action::MoveDown);
    h.act(Action::MoveDown);
    assert!(h.screen().contains("> legacy"), "{}", h.screen());
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert!(h.state.owners.teams.is_none());
    assert_eq!(h.state.query, "team=\"legacy\" is:active");
    let mut ids: Vec<i64> = h.state.backlog.rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [7, 8]);
}

#[test]
fn the_view_is_read_again_after_an_assignment_and_closes_with_t_or_esc() {
    let db = known_store();
    let mut h = console(&db, 100, 30);
    h.key(KeyCode::Char('T'), KeyModifiers::NONE);
    assert!(h.state.owners.teams.is_some());
    exec(
        &db,
        "UPDATE findings SET owner = 'lee' WHERE id = 5;
         UPDATE findings SET lane = NULL WHERE id = 9",
    );
    h.key(KeyCode::Char('r'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(line_with(&screen, "TEAM").contains("none"), "{screen}");
    // ACTIVE, urgent, later, none, OVERDUE, NOBODY.
    assert_eq!(
        numbers(line_with(&screen, "> payments")),
        [5, 3, 2, 0, 4, 0]
    );
    assert_eq!(numbers(line_with(&screen, "(no team)")), [1, 0, 0, 1, 1, 1]);
    assert!(screen.contains("@lee 4 · @cam 1"), "{screen}");
    h.key(KeyCode::Char('T'), KeyModifiers::NONE);
    assert!(h.state.owners.teams.is_none());
    // Opened again, it shows the last numbers at once while it reads them anew.
    h.act_later(Action::Teams);
    let screen = h.screen();
    assert!(screen.contains("> payments"), "{screen}");
    assert!(screen.contains("team 1 of 4 (reading again…)"), "{screen}");
    h.pump();
    assert!(!h.screen().contains("reading again"));
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.state.context(), Context::List);
}

#[test]
fn the_teams_view_fits_80x24_and_reads_without_colour() {
    let db = known_store();
    let mut h = console(&db, 80, 24);
    h.key(KeyCode::Char('T'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(
        screen
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) == 80)
    );
    // The cursor and who left are in the text, not only in colour.
    assert!(screen.contains("> payments"), "{screen}");
    assert!(screen.contains("left 2026-03-01: reroute"), "{screen}");
    insta::assert_snapshot!("teams_view_80x24", screen);
}
