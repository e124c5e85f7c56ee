//! What the console draws, on ratatui's TestBackend: rows at 80x24, hostile text shown escaped,
//! help built from the configured keys, columns that give way on narrow screens.

mod tui_support;

use lastmile::model::Severity;
use lastmile::tui::{Action, Keymap};
use ratatui::style::Modifier;
use std::collections::BTreeMap;
use tui_support::{F, Harness, db_with, screen_text, synthetic};

fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

/// No cell may carry a character a terminal would act on rather than show.
fn assert_inert(h: &Harness) {
    let t = h.render();
    for (i, cell) in t.backend().buffer().content().iter().enumerate() {
        for c in cell.symbol().chars() {
            assert!(
                !c.is_control() && !is_bidi_or_invisible(c),
                "cell {i} holds {:?}\n{}",
                c,
                screen_text(&t)
            );
        }
    }
}

#[test]
fn the_backlog_at_80x24_shows_a_header_rows_status_and_hints() {
    let db = db_with(synthetic(50));
    let h = Harness::new(&db, Keymap::default(), 80, 24);
    let screen = h.screen();
    let lines: Vec<&str> = screen.lines().collect();
    assert_eq!(lines.len(), 24);
    // Imports assess every finding, so risk, lane and due take the room repo and path had.
    for col in ["SEV", "STATUS", "RISK", "LANE", "DUE", "ID", "TITLE"] {
        assert!(lines[0].contains(col), "{col} missing from {:?}", lines[0]);
    }
    let rows: Vec<&&str> = lines[1..22]
        .iter()
        .filter(|l| l.contains("Finding number"))
        .collect();
    assert_eq!(rows.len(), 21, "{screen}");
    assert!(lines[1].starts_with("   CRIT open"), "{:?}", lines[1]);
    assert!(lines[22].contains("row 1 of 50"), "{:?}", lines[22]);
    assert!(lines[22].contains("filter: all findings"));
    assert!(
        lines[23].contains("/ filter")
            && lines[23].contains("? help")
            && lines[23].contains("q quit")
    );
    assert!(
        screen
            .lines()
            .all(|l| unicode_width::UnicodeWidthStr::width(l) == 80)
    );
}

#[test]
fn the_selection_is_not_shown_by_colour_alone() {
    let db = db_with(synthetic(5));
    let h = Harness::new(&db, Keymap::default(), 80, 24);
    let t = h.render();
    let buf = t.backend().buffer();
    assert!(
        buf[(10, 1)].modifier.contains(Modifier::REVERSED),
        "selected row"
    );
    assert!(
        !buf[(10, 2)].modifier.contains(Modifier::REVERSED),
        "other row"
    );
}

fn hostile() -> Vec<F> {
    vec![
        F {
            title: "Red \x1b[31mALERT\x1b[0m".into(),
            message:
                "click \x1b]8;;https://evil.test/\x07here\x1b]8;;\x07 now\x07\nadmin\u{202E}txt.exe"
                    .into(),
            rule: "rule\x07bell".into(),
            severity: Severity::Critical,
            path: Some("src/\u{202E}yp.nimda\x1b[2J.py".into()),
            line: Some(3),
            snippet: Some("x = 1 \x1b[31m\r\n\ty = 2\x1b]8;;http://x\x07".into()),
            help_uri: Some("https://e.test/\x1b]8;;https://evil\x07".into()),
            cwe: Some("CWE-79\x1b[0m".into()),
        },
        F {
            title:
                "\u{202E}lanigiro\u{2066} and \x1b]8;;https://evil.test/\x1b\\link\x1b]8;;\x1b\\"
                    .into(),
            message: "plain".into(),
            rule: "r2".into(),
            severity: Severity::High,
            path: Some("ok.py".into()),
            line: Some(1),
            ..Default::default()
        },
    ]
}

#[test]
fn hostile_text_renders_escaped_in_the_list_and_the_detail() {
    let db = db_with(hostile());
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    assert_inert(&h);
    let list = h.screen();
    assert!(list.contains("Red \\e[31mALERT"), "{list}");
    assert!(list.contains("\\u{202e}"), "{list}");

    h.act(Action::ToggleDetail);
    assert!(h.state.selected_detail().is_some(), "detail loaded");
    // The pane scrolls at 80x24: gather every screen of it.
    let mut detail = String::new();
    for _ in 0..40 {
        assert_inert(&h);
        detail.push_str(&h.screen());
        h.act(Action::MoveDown);
    }
    for shown in [
        "Red \\e[31mALERT\\e[0m",
        "click \\e]8;;https://evil.test/\\x07here\\e]8;;\\x07 now\\x07",
        "admin\\u{202e}txt.exe",
        "rule\\x07bell",
        "src/\\u{202e}yp.nimda\\e[2J.py:3-5",
        "CWE-79\\e[0m",
        "x = 1 \\e[31m",
        "https://e.test/\\e]8;;https://evil\\x07",
    ] {
        assert!(detail.contains(shown), "{shown:?} not on screen:\n{detail}");
    }
    assert!(
        detail.contains("      y = 2"),
        "tabs become spaces in blocks:\n{detail}"
    );

    h.act(Action::Back);
    h.act(Action::MoveDown);
    assert_inert(&h);
    assert!(h.screen().contains("\\u{202e}lanigiro"), "{}", h.screen());
    h.act(Action::ToggleDetail);
    assert_inert(&h);
    let full = "\\u{202e}lanigiro\\u{2066} and \\e]8;;https://evil.test/\\e\\link\\e]8;;\\e\\";
    assert!(h.screen().contains(full), "{}", h.screen());
}

fn field(line: &str, from: usize, len: usize) -> String {
    line.chars()
        .skip(from)
        .take(len)
        .collect::<String>()
        .trim()
        .to_string()
}

#[test]
fn help_lists_every_action_with_the_configured_keys() {
    let db = db_with(synthetic(5));
    let overrides = BTreeMap::from([
        ("move_down".to_string(), vec!["n".to_string()]),
        (
            "quit".to_string(),
            vec!["ctrl-q".to_string(), "Q".to_string()],
        ),
    ]);
    let mut h = Harness::new(&db, Keymap::with_overrides(&overrides).unwrap(), 80, 24);
    h.act(Action::Help);
    // The help is longer than 24 rows: gather every screen of it.
    let mut screen = String::new();
    for _ in 0..5 {
        screen.push_str(&h.screen());
        h.act(Action::PageDown);
    }
    let line_of = |name: &str| {
        screen
            .lines()
            .find(|l| field(l, 1, 15) == name)
            .unwrap_or_else(|| panic!("{name} is not in the help:\n{screen}"))
            .to_string()
    };
    for action in Action::all() {
        let line = line_of(action.name());
        let keys = field(&line, 16, 18);
        assert_eq!(keys, h.state.keymap.describe(action), "{line}");
        assert!(!keys.is_empty());
    }
    assert_eq!(
        field(&line_of("move_down"), 16, 18),
        "n",
        "the override shows, the defaults do not"
    );
    assert_eq!(field(&line_of("quit"), 16, 18), "ctrl-q, Q");
    assert_eq!(field(&line_of("move_up"), 16, 18), "k, up");
    // The overridden key works and the replaced default no longer does.
    h.act(Action::Back);
    let first = h.selected();
    h.key(
        crossterm::event::KeyCode::Char('j'),
        crossterm::event::KeyModifiers::NONE,
    );
    assert_eq!(h.selected(), first);
    h.key(
        crossterm::event::KeyCode::Char('n'),
        crossterm::event::KeyModifiers::NONE,
    );
    assert_ne!(h.selected(), first);
    h.key(
        crossterm::event::KeyCode::Char('q'),
        crossterm::event::KeyModifiers::NONE,
    );
    assert!(!h.state.quit);
    h.key(
        crossterm::event::KeyCode::Char('Q'),
        crossterm::event::KeyModifiers::SHIFT,
    );
    assert!(h.state.quit);
}

#[test]
fn narrow_screens_drop_low_value_columns_and_tiny_ones_do_not_panic() {
    let db = db_with(synthetic(40));
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    let header = h.screen().lines().next().unwrap().to_string();
    assert!(
        header.contains("TITLE") && header.contains("DUE") && header.contains("RISK"),
        "{header}"
    );
    assert!(
        !header.contains("TOOL") && !header.contains("RULE"),
        "{header}"
    );
    h.state.width = 60;
    let header = h.screen().lines().next().unwrap().to_string();
    assert!(
        header.contains("DUE") && header.contains("TITLE") && !header.contains("PATH"),
        "{header}"
    );
    h.state.width = 40;
    let header = h.screen().lines().next().unwrap().to_string();
    assert!(
        header.starts_with("   SEV") && header.contains("TITLE"),
        "{header}"
    );
    assert!(!header.contains("STATUS"), "{header}");
    for (w, hgt) in [(1, 1), (10, 3), (20, 5), (200, 60), (80, 2)] {
        h.state.width = w;
        h.state.height = hgt;
        h.act(Action::PageDown);
        h.act(Action::ToggleDetail);
        let _ = h.render();
        h.act(Action::Help);
        let _ = h.render();
        h.act(Action::Back);
        h.act(Action::Back);
    }
}

#[test]
fn a_tall_terminal_shows_the_detail_beside_the_list_without_focus() {
    let db = db_with(synthetic(40));
    let h = Harness::new(&db, Keymap::default(), 100, 48);
    assert_eq!(h.state.focus, lastmile::tui::app::Focus::List);
    assert!(
        h.state.selected_detail().is_some(),
        "detail requested for the selection"
    );
    assert!(
        h.screen().contains("First seen 2026-05-01 12:00"),
        "{}",
        h.screen()
    );
}

#[test]
fn snapshots_of_the_main_screens() {
    let db = db_with(synthetic(30));
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    insta::assert_snapshot!("backlog_80x24", h.screen());
    h.act(Action::MoveDown);
    h.act(Action::ToggleDetail);
    insta::assert_snapshot!("detail_80x24", h.screen());
    h.act(Action::Help);
    insta::assert_snapshot!("help_80x24", h.screen());
}
