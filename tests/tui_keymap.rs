//! The key table: defaults, `[keys]` overrides, and errors that name the action at fault.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lastmile::config::Config;
use lastmile::tui::{Action, Context, Key, Keymap};
use std::collections::BTreeMap;

fn ev(code: KeyCode, mods: KeyModifiers) -> Key {
    Key::from_event(&KeyEvent::new(code, mods))
}

fn ch(c: char) -> Key {
    ev(KeyCode::Char(c), KeyModifiers::NONE)
}

fn overrides(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(a, keys)| (a.to_string(), keys.iter().map(|k| k.to_string()).collect()))
        .collect()
}

#[test]
fn the_defaults_follow_the_usual_conventions() {
    let km = Keymap::default();
    let list = |k| km.action_for(Context::List, k);
    assert_eq!(list(ch('j')), Some(Action::MoveDown));
    assert_eq!(
        list(ev(KeyCode::Down, KeyModifiers::NONE)),
        Some(Action::MoveDown)
    );
    assert_eq!(list(ch('k')), Some(Action::MoveUp));
    assert_eq!(
        list(ev(KeyCode::Up, KeyModifiers::NONE)),
        Some(Action::MoveUp)
    );
    assert_eq!(
        list(ev(KeyCode::PageDown, KeyModifiers::NONE)),
        Some(Action::PageDown)
    );
    assert_eq!(
        list(ev(KeyCode::PageUp, KeyModifiers::NONE)),
        Some(Action::PageUp)
    );
    assert_eq!(list(ch('g')), Some(Action::Top));
    assert_eq!(
        list(ev(KeyCode::Home, KeyModifiers::NONE)),
        Some(Action::Top)
    );
    // Terminals report G with or without shift; both are G.
    assert_eq!(list(ch('G')), Some(Action::Bottom));
    assert_eq!(
        list(ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
        Some(Action::Bottom)
    );
    assert_eq!(
        list(ev(KeyCode::End, KeyModifiers::NONE)),
        Some(Action::Bottom)
    );
    assert_eq!(
        list(ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
        Some(Action::HalfPageDown)
    );
    assert_eq!(
        list(ev(KeyCode::Char('u'), KeyModifiers::CONTROL)),
        Some(Action::HalfPageUp)
    );
    assert_eq!(list(ch('/')), Some(Action::Filter));
    assert_eq!(list(ch('?')), Some(Action::Help));
    assert_eq!(list(ch('q')), Some(Action::Quit));
    assert_eq!(
        list(ev(KeyCode::Esc, KeyModifiers::NONE)),
        Some(Action::Back)
    );
    assert_eq!(
        list(ev(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Action::ToggleDetail)
    );
    assert_eq!(
        list(ev(KeyCode::Tab, KeyModifiers::NONE)),
        Some(Action::ToggleDetail)
    );
    assert_eq!(list(ch('x')), None);
    // One key, different meanings by context, from the one table.
    assert_eq!(
        km.action_for(Context::Filter, ev(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Action::ApplyFilter)
    );
    assert_eq!(km.action_for(Context::Filter, ch('j')), None);
    assert_eq!(
        km.action_for(Context::Help, ch('j')),
        Some(Action::MoveDown)
    );
    assert_eq!(km.describe(Action::MoveDown), "j, down");
    assert_eq!(km.describe(Action::HalfPageDown), "ctrl-d");
}

#[test]
fn an_override_replaces_that_actions_defaults_only() {
    let km = Keymap::with_overrides(&overrides(&[
        ("move_down", &["n", "ctrl-n"]),
        ("bottom", &["shift-g", "F5"]),
    ]))
    .unwrap();
    let list = |k| km.action_for(Context::List, k);
    assert_eq!(list(ch('n')), Some(Action::MoveDown));
    assert_eq!(
        list(ev(KeyCode::Char('n'), KeyModifiers::CONTROL)),
        Some(Action::MoveDown)
    );
    assert_eq!(list(ch('j')), None, "the replaced default is gone");
    assert_eq!(list(ev(KeyCode::Down, KeyModifiers::NONE)), None);
    assert_eq!(list(ch('G')), Some(Action::Bottom));
    assert_eq!(
        list(ev(KeyCode::F(5), KeyModifiers::NONE)),
        Some(Action::Bottom)
    );
    assert_eq!(
        list(ch('k')),
        Some(Action::MoveUp),
        "other actions keep their defaults"
    );
    assert_eq!(km.describe(Action::MoveDown), "n, ctrl-n");
    assert_eq!(km.describe(Action::Bottom), "G, f5");
}

#[test]
fn every_documented_key_name_parses_and_prints_back() {
    let names = [
        "G",
        "?",
        "/",
        "-",
        "ctrl-d",
        "alt-x",
        "shift-tab",
        "up",
        "down",
        "left",
        "right",
        "pgup",
        "pgdn",
        "home",
        "end",
        "enter",
        "esc",
        "tab",
        "backspace",
        "space",
        "f1",
        "f12",
        "ctrl--",
        "ctrl-alt-x",
        "é",
    ];
    for name in names {
        let key = Key::parse(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.to_string(), name, "round trip of {name}");
        assert_eq!(Key::parse(&key.to_string()), Ok(key));
    }
    assert_eq!(Key::parse("Ctrl-D"), Key::parse("ctrl-d"));
    assert_eq!(Key::parse("PageDown"), Key::parse("pgdn"));
    assert_eq!(
        Key::parse("shift-tab"),
        Ok(ev(KeyCode::BackTab, KeyModifiers::SHIFT))
    );
    assert_eq!(Key::parse("space"), Ok(ch(' ')));
}

#[test]
fn errors_name_the_action_and_the_problem() {
    let err = Keymap::with_overrides(&overrides(&[
        ("jump_around", &["j"]),
        ("move_up", &["ctrl-", "f13", "hyper-k", ""]),
    ]))
    .unwrap_err();
    let names: Vec<&str> = err.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        ["jump_around", "move_up", "move_up", "move_up", "move_up"],
        "{err:?}"
    );
    assert!(
        err[0].1.contains("unknown action 'jump_around'") && err[0].1.contains("move_down"),
        "{err:?}"
    );
    assert!(err[1].1.contains("unknown key 'ctrl-'"), "{err:?}");
    assert!(err[2].1.contains("'f13'"), "{err:?}");
    assert!(err[3].1.contains("'hyper-k'"), "{err:?}");
    assert!(err[4].1.contains("empty"), "{err:?}");
}

#[test]
fn a_key_taken_twice_in_one_context_is_an_error_on_the_changed_action() {
    let err = Keymap::with_overrides(&overrides(&[("move_down", &["k"])])).unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    assert_eq!(err[0].0, "move_down");
    assert!(
        err[0].1.contains("'k'") && err[0].1.contains("move_up"),
        "{err:?}"
    );
    // The same key in different contexts is fine (enter: detail in the list, apply in the input).
    Keymap::with_overrides(&overrides(&[("apply_filter", &["enter", "ctrl-j"])])).unwrap();
    let err = Keymap::with_overrides(&overrides(&[("apply_filter", &["a"])])).unwrap_err();
    assert!(err[0].1.contains("type itself"), "{err:?}");
    let err = Keymap::with_overrides(&overrides(&[("quit", &[])])).unwrap_err();
    assert_eq!(err[0].0, "quit");
}

#[test]
fn config_validation_reports_key_errors_with_their_line() {
    let text =
        "me = \"a\"\n\n[keys]\nmove_down = [\"j\"]\nteleport = [\"t\"]\nmove_up = [\"ctrl-\"]\n";
    let err = Config::parse(text, "c.toml").unwrap_err();
    let keys: Vec<_> = err.diagnostics.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["keys.move_up", "keys.teleport"], "{err}");
    assert!(
        err.to_string().contains("unknown action 'teleport'"),
        "{err}"
    );
    let ok = Config::parse("[keys]\nmove_down = [\"n\", \"down\"]\n", "c.toml").unwrap();
    Keymap::with_overrides(&ok.keys_plain()).unwrap();
}
