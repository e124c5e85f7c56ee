//! The console's triage side on ratatui's TestBackend: risk, lane and deadline columns that read
//! without colour, sorting from the key table, selecting rows for a bulk action, saved views as
//! tabs and the `:` command line.

mod tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::config::View;
use lastmile::store::{SortField, SortKey};
use lastmile::tui::{Action, Keymap};
use ratatui::style::Modifier;
use std::collections::BTreeMap;
use tui_support::{Harness, db_with, exec, synthetic};

fn today() -> chrono::NaiveDate {
    "2026-05-01".parse().unwrap()
}

fn harness(db: &tui_support::Db, width: u16, height: u16) -> Harness {
    Harness::new_with(db, Keymap::default(), width, height, |s| {
        s.today = Some(today())
    })
}

/// The screen line showing finding `id` (synthetic finding `id` is titled "Finding number
/// {id - 1}").
fn row_of(screen: &str, id: i64) -> String {
    let title = format!("Finding number {} ", id - 1);
    screen
        .lines()
        .find(|l| l.contains(&title))
        .unwrap_or_else(|| panic!("#{id} not on screen:\n{screen}"))
        .to_string()
}

#[test]
fn triage_columns_show_risk_lane_and_deadline_in_words_and_symbols() {
    let db = db_with(synthetic(6));
    // #1 three days late, #2 pending and due in five days, #3 on track, #4 closed but late.
    exec(
        &db,
        "UPDATE findings SET risk = 92.4, lane = 'critical', due = '2026-04-28' WHERE id = 1;
         UPDATE findings SET risk = 40, lane = 'high', due = '2026-05-06', pending_id = 9
            WHERE id = 2;
         UPDATE findings SET lane = 'backlog', due = '2026-07-01' WHERE id = 3;
         UPDATE findings SET status = 'fixed', due = '2026-04-01' WHERE id = 4;",
    );
    let mut h = harness(&db, 80, 24);
    let screen = h.screen();
    let header = screen.lines().next().unwrap();
    for col in ["SEV", "RISK", "LANE", "DUE", "ID", "TITLE"] {
        assert!(header.contains(col), "{col} missing from {header:?}");
    }
    let late = row_of(&screen, 1);
    assert!(late.contains("!3d late"), "{late:?}");
    assert!(
        late.contains(" 92 ") && late.contains("critical"),
        "{late:?}"
    );
    let pending = row_of(&screen, 2);
    assert!(pending.starts_with(" ?"), "pending mark: {pending:?}");
    assert!(pending.contains("~in 5d"), "{pending:?}");
    assert!(row_of(&screen, 3).contains(" in 61d"));
    let fixed = row_of(&screen, 4);
    assert!(
        !fixed.contains("late"),
        "a fixed finding has no deadline: {fixed:?}"
    );
    assert_eq!(screen.lines().count(), 24);

    // The colour only repeats what the words say; the theme here has none, so the late cell
    // stands out by weight.
    let t = h.render();
    let buf = t.backend().buffer();
    let y = screen.lines().position(|l| l.contains("!3d late")).unwrap() as u16;
    let x = screen.lines().nth(y as usize).unwrap().find('!').unwrap() as u16;
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));

    // The detail pane says it in full.
    while h.selected() != Some(1) {
        h.act(Action::MoveDown);
    }
    h.act(Action::ToggleDetail);
    let detail = h.screen();
    assert!(
        detail.contains("2026-04-28  ! overdue (3d late)"),
        "{detail}"
    );
    assert!(detail.contains("Risk       92 of 100"), "{detail}");
    assert!(detail.contains("Lane       critical"), "{detail}");

    // Narrow screens keep the deadline longer than the status and the lane.
    h.act(Action::Back);
    h.state.width = 56;
    let header = h.screen().lines().next().unwrap().to_string();
    assert!(
        header.contains("DUE") && header.contains("TITLE"),
        "{header}"
    );
    assert!(
        !header.contains("LANE") && !header.contains("STATUS"),
        "{header}"
    );
}

#[test]
fn sort_keys_cycle_and_reverse_and_the_status_bar_says_so() {
    let db = db_with(synthetic(60));
    tui_support::set_triage(&db);
    let overrides = BTreeMap::from([("sort_next".to_string(), vec!["x".to_string()])]);
    let mut h = Harness::new_with(
        &db,
        Keymap::with_overrides(&overrides).unwrap(),
        80,
        24,
        |s| s.today = Some(today()),
    );
    let status = |h: &Harness| h.screen().lines().nth(22).unwrap().to_string();
    assert!(status(&h).contains("sort: severity desc"), "{}", status(&h));

    h.key(KeyCode::Char('x'), KeyModifiers::NONE);
    let by_risk = SortKey {
        field: SortField::Risk,
        descending: true,
    };
    assert_eq!(h.state.sort, by_risk);
    assert!(status(&h).contains("sort: risk desc"), "{}", status(&h));
    let expected = tui_support::expected_sorted(&db, by_risk);
    assert_eq!(h.visible(), expected[..21]);

    h.key(KeyCode::Char('S'), KeyModifiers::SHIFT);
    assert!(status(&h).contains("sort: risk asc"), "{}", status(&h));
    let asc = tui_support::expected_sorted(
        &db,
        SortKey {
            descending: false,
            ..by_risk
        },
    );
    assert_eq!(h.visible(), asc[..21]);
    // NULLs stay last either way: the end of the list has no risk.
    h.act(Action::Bottom);
    let last = h.screen().lines().nth(21).unwrap().to_string();
    assert!(
        last.split_whitespace().any(|w| w == "-"),
        "no risk at the end: {last:?}"
    );

    h.key(KeyCode::Char('x'), KeyModifiers::NONE);
    assert!(status(&h).contains("sort: due asc"), "{}", status(&h));
    assert!(h.screen().lines().next().unwrap().contains("DUE↑"));
    h.key(KeyCode::Char('s'), KeyModifiers::NONE);
    assert!(
        status(&h).contains("sort: due asc"),
        "the replaced default no longer sorts"
    );
    for _ in 0..SortField::ALL.len() - 2 {
        h.key(KeyCode::Char('x'), KeyModifiers::NONE);
    }
    assert_eq!(h.state.sort, SortKey::DEFAULT, "the cycle comes round");
}

#[test]
fn rows_are_selected_one_by_one_and_by_range_and_esc_clears_them() {
    let db = db_with(synthetic(200));
    let mut h = harness(&db, 80, 24);
    let first = h.selected().unwrap();
    assert_eq!(
        h.state.selected_ids(),
        [first],
        "nothing selected: the cursor row"
    );

    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    h.act(Action::MoveDown);
    h.act(Action::MoveDown);
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    let third = h.selected().unwrap();
    let screen = h.screen();
    assert!(
        screen.lines().nth(22).unwrap().contains("2 selected"),
        "{screen}"
    );
    assert!(row_of(&screen, first).starts_with("* "), "{screen}");
    assert!(row_of(&screen, third).starts_with("* "));
    assert!(!screen.lines().nth(2).unwrap().starts_with('*'));
    let mut two = vec![first, third];
    two.sort();
    assert_eq!(h.state.selected_ids(), two);

    // A range from the third row, over three pages: the buffer trims rows behind the cursor
    // but the range keeps them.
    h.key(KeyCode::Char('V'), KeyModifiers::SHIFT);
    for _ in 0..3 {
        h.act(Action::PageDown);
    }
    let status = h.screen().lines().nth(22).unwrap().to_string();
    assert!(status.contains("65 selected (range)"), "{status}");
    h.act(Action::MoveUp);
    assert!(h.screen().contains("64 selected (range)"));
    h.key(KeyCode::Char('V'), KeyModifiers::SHIFT);
    assert!(h.screen().contains("64 selected │"));
    let ids = h.state.selected_ids();
    assert_eq!(ids.len(), 64);
    let expected = tui_support::expected_order(&db, "1");
    let mut want: Vec<i64> = expected[2..2 + 63].to_vec();
    want.push(first);
    want.sort();
    assert_eq!(ids, want);

    // Space on a selected row unselects it.
    h.key(KeyCode::Char(' '), KeyModifiers::NONE);
    assert_eq!(h.state.selected_ids().len(), 63);

    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(!h.screen().contains("selected"));
    assert_eq!(h.state.selected_ids(), [h.selected().unwrap()]);
}

fn view(name: &str, query: &str, sort: &str, columns: &[&str]) -> View {
    View {
        name: name.into(),
        query: query.into(),
        sort: (!sort.is_empty()).then(|| sort.into()),
        columns: columns.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn saved_views_are_tabs_and_the_command_line_switches_and_sorts() {
    let db = db_with(synthetic(120));
    tui_support::set_triage(&db);
    let views = [
        view(
            "hot",
            "sev:critical",
            "-risk",
            &["risk", "lane", "id", "title", "bogus"],
        ),
        view("rule\u{1b}[31m1", "rule:rule-1", "id", &[]),
    ];
    let mut h = Harness::new_with(&db, Keymap::default(), 80, 24, |s| {
        s.today = Some(today());
        s.set_views(&views);
    });
    let screen = h.screen();
    let tabs = screen.lines().next().unwrap();
    assert!(tabs.starts_with(" [all]  hot "), "{tabs:?}");
    assert!(
        tabs.contains("rule\\e[31m1"),
        "view names are sanitized: {tabs:?}"
    );
    assert_eq!(h.state.list_height(), 20, "the tab line takes a row");
    assert!(screen.lines().nth(1).unwrap().contains("SEV↓"));

    h.key(KeyCode::Char(']'), KeyModifiers::NONE);
    let screen = h.screen();
    assert!(screen.lines().next().unwrap().contains("[hot]"));
    let header = screen.lines().nth(1).unwrap();
    let words: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(words, ["RISK", "LANE", "ID", "TITLE"], "the view's columns");
    let status = screen.lines().nth(22).unwrap();
    assert!(
        status.contains("sort: risk desc") && status.contains("filter: sev:critical"),
        "{status}"
    );
    let critical = tui_support::expected_order(&db, "severity = 4").len() as u64;
    assert_eq!(h.state.total, Some(critical));

    // A filter typed in a view, then Esc: back to the view's own rows, not to everything.
    h.key(KeyCode::Char('/'), KeyModifiers::NONE);
    h.type_text(" id<50");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.state.query, "sev:critical id<50");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.state.query, "sev:critical");

    h.key(KeyCode::Char('['), KeyModifiers::NONE);
    assert_eq!((h.state.tab, h.state.query.as_str()), (0, ""));
    h.key(KeyCode::Char('['), KeyModifiers::NONE);
    assert_eq!(h.state.tab, 2, "wraps round");

    let command = |h: &mut Harness, line: &str| {
        h.key(KeyCode::Char(':'), KeyModifiers::NONE);
        assert!(h.screen().lines().nth(23).unwrap().starts_with(':'));
        h.type_text(line);
        h.key(KeyCode::Enter, KeyModifiers::NONE);
    };
    command(&mut h, "view HOT");
    assert_eq!(h.state.tab, 1);
    command(&mut h, "sort due desc");
    assert!(h.screen().contains("sort: due desc"));
    assert_eq!(h.state.tab, 1, "sorting keeps the view");
    command(&mut h, "view nope");
    assert!(
        h.screen()
            .contains("error: no view named 'nope' (views: all, hot,"),
        "{}",
        h.screen()
    );
    command(&mut h, "frobnicate");
    assert!(h.screen().contains("error: unknown command 'frobnicate'"));
    assert!(
        h.state.input.is_none(),
        "the command line closes on a mistake"
    );
    command(&mut h, "sort sideways");
    assert!(h.screen().contains("unknown sort field 'sideways'"));
    // Esc leaves the command line without running it.
    h.key(KeyCode::Char(':'), KeyModifiers::NONE);
    h.type_text("q");
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert!(!h.state.quit && h.state.input.is_none());
    command(&mut h, "q");
    assert!(h.state.quit);
}

#[test]
fn without_views_there_is_no_tab_line_and_unknown_columns_are_ignored() {
    let db = db_with(synthetic(10));
    let h = harness(&db, 80, 24);
    assert_eq!(h.state.list_height(), 21);
    assert!(h.screen().lines().next().unwrap().contains("SEV"));
    let h = Harness::new_with(&db, Keymap::default(), 80, 24, |s| {
        s.set_views(&[view("all", "sev:high", "bogus", &["nope"])])
    });
    assert_eq!(
        h.state.tabs.len(),
        1,
        "a view named all replaces the first tab"
    );
    assert_eq!(h.state.list_height(), 21);
    let screen = h.screen();
    assert!(screen.lines().next().unwrap().contains("TITLE"), "{screen}");
    assert!(
        screen.contains("error: view all: unknown sort field 'bogus'"),
        "{screen}"
    );
    assert_eq!(h.state.query, "sev:high");
}

#[test]
fn snapshot_of_a_triaged_backlog_with_tabs_and_a_selection() {
    let db = db_with(synthetic(40));
    tui_support::set_triage(&db);
    let views = [
        view("hot", "sev:critical", "-risk", &[]),
        view("by due", "", "due", &[]),
    ];
    let mut h = Harness::new_with(&db, Keymap::default(), 80, 24, |s| {
        s.today = Some(today());
        s.set_views(&views);
    });
    h.act(Action::ToggleSelect);
    h.act(Action::MoveDown);
    h.act(Action::MoveDown);
    h.act(Action::ToggleSelect);
    insta::assert_snapshot!("triage_80x24", h.screen());
    h.act(Action::NextView);
    h.act(Action::NextView);
    insta::assert_snapshot!("by_due_80x24", h.screen());
}
