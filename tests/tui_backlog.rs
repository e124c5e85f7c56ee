//! The virtual backlog over a real SQLite store: pages compose into the right rows in the right
//! order whichever way the view moves, and only windows are ever read.

mod tui_support;

use crossterm::event::{KeyCode, KeyModifiers};
use lastmile::model::Severity;
use lastmile::store::{SortField, SortKey};
use lastmile::tui::backlog::fetch_size;
use lastmile::tui::view::position_text;
use lastmile::tui::{Action, Keymap};
use tui_support::{Harness, db_with, expected_order, synthetic};

const N: usize = 3000;

#[test]
fn pages_g_and_big_g_show_the_right_rows_reading_only_windows() {
    let db = db_with(synthetic(N));
    let expected = expected_order(&db, "1");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    let rows = h.state.list_height();
    assert_eq!(rows, 21, "80x24 leaves 21 rows under the header");
    assert_eq!(h.visible(), expected[..rows]);
    assert_eq!(h.state.total, Some(N as u64));
    assert_eq!(position_text(&h.state), "row 1 of 3,000");

    for page in 1..=3 {
        h.act(Action::PageDown);
        assert_eq!(
            h.selected(),
            Some(expected[page * rows]),
            "after {page} pages down"
        );
    }
    let visible = h.visible();
    let at = expected.iter().position(|id| *id == visible[0]).unwrap();
    assert_eq!(
        visible,
        expected[at..at + rows],
        "the screen is a contiguous window"
    );
    assert_eq!(
        position_text(&h.state),
        format!("row {} of 3,000", 3 * rows + 1)
    );
    assert!(
        h.rows_fetched <= 4 * fetch_size(rows),
        "three pages down read {} rows of {N}",
        h.rows_fetched
    );

    h.act(Action::Bottom);
    assert_eq!(h.selected(), Some(*expected.last().unwrap()));
    assert_eq!(h.visible(), expected[N - rows..]);
    assert_eq!(position_text(&h.state), "row 3,000 of 3,000");

    h.act(Action::Top);
    assert_eq!(h.selected(), Some(expected[0]));
    assert_eq!(h.visible(), expected[..rows]);
    assert!(
        h.rows_fetched < 8 * fetch_size(rows),
        "read {} rows",
        h.rows_fetched
    );
    assert!(h.state.backlog.rows.len() <= 3 * fetch_size(rows) + fetch_size(rows));
}

#[test]
fn every_row_in_order_walking_down_then_up_through_trimmed_buffers() {
    let db = db_with(synthetic(N));
    let expected = expected_order(&db, "1");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    for (i, id) in expected.iter().enumerate() {
        assert_eq!(h.selected(), Some(*id), "row {i} going down");
        assert_eq!(h.state.backlog.position(h.state.total), Some(i as u64 + 1));
        h.act(Action::MoveDown);
    }
    assert_eq!(
        h.selected(),
        expected.last().copied(),
        "stops at the last row"
    );
    // Going down kept trimming the front: the buffer never held more than a few pages.
    assert!(h.state.backlog.rows.len() <= 4 * fetch_size(21));
    assert!(!h.state.backlog.at_start);
    for (i, id) in expected.iter().enumerate().rev().step_by(7) {
        for _ in 0..7 {
            if h.selected() == Some(*id) {
                break;
            }
            h.act(Action::MoveUp);
            let pos = h.state.backlog.position(h.state.total).unwrap() as usize;
            assert_eq!(h.selected(), Some(expected[pos - 1]), "going up near {i}");
        }
        assert_eq!(h.selected(), Some(*id), "row {i} going up");
    }
    h.act(Action::HalfPageUp);
    assert_eq!(h.selected(), Some(expected[0]));
    assert!(h.state.backlog.at_start);
}

#[test]
fn from_the_end_upwards_positions_come_from_the_count() {
    let db = db_with(synthetic(N));
    let expected = expected_order(&db, "1");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    h.act(Action::Bottom);
    for _ in 0..10 {
        h.act(Action::PageUp);
    }
    let idx = N - 1 - 10 * 21;
    assert_eq!(h.selected(), Some(expected[idx]));
    assert_eq!(position_text(&h.state), "row 2,790 of 3,000");
    assert_eq!(idx + 1, 2790);
}

#[test]
fn moves_made_while_pages_are_in_flight_are_not_lost() {
    let db = db_with(synthetic(N));
    let expected = expected_order(&db, "1");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    for _ in 0..7 {
        h.act_later(Action::PageDown);
    }
    h.pump();
    assert_eq!(h.selected(), Some(expected[7 * 21]));
    for _ in 0..3 {
        h.act_later(Action::PageUp);
    }
    h.act_later(Action::MoveDown);
    h.pump();
    assert_eq!(h.selected(), Some(expected[4 * 21 + 1]));
}

#[test]
fn a_filter_pages_its_own_rows_and_a_bad_one_keeps_the_old_results() {
    let db = db_with(synthetic(N));
    let high = expected_order(&db, "severity = 3");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    let before = h.visible();

    h.key(KeyCode::Char('/'), KeyModifiers::NONE);
    h.type_text("sev:urgent");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let err = h.state.error.clone().expect("a query error");
    assert!(err.contains("column 5"), "{err}");
    assert!(
        h.state.input.is_some(),
        "the input stays open to fix the query"
    );
    assert_eq!(h.visible(), before, "old results kept");
    assert!(
        h.screen().contains("error: query error at column 5"),
        "{}",
        h.screen()
    );

    h.key(KeyCode::End, KeyModifiers::NONE);
    h.key(KeyCode::Char('u'), KeyModifiers::CONTROL);
    h.type_text("sev:high");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.state.query, "sev:high");
    assert_eq!(h.state.error, None);
    assert_eq!(h.state.total, Some(high.len() as u64));
    assert_eq!(h.visible(), high[..21]);
    for _ in 0..4 {
        h.act(Action::PageDown);
    }
    assert_eq!(h.selected(), Some(high[4 * 21]));
    h.act(Action::Bottom);
    assert_eq!(h.selected(), high.last().copied());

    // Esc in the list backs out of the filter: the whole backlog again.
    h.key(KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(h.state.query, "");
    assert_eq!(h.state.total, Some(N as u64));
}

#[test]
fn owner_me_needs_to_know_who_is_asking() {
    let db = db_with(synthetic(300));
    rusqlite::Connection::open(&db.path)
        .unwrap()
        .execute("UPDATE findings SET owner = 'alice' WHERE id <= 5", [])
        .unwrap();
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    h.key(KeyCode::Char('/'), KeyModifiers::NONE);
    h.type_text("owner:me");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    let err = h.state.error.clone().expect("a query error");
    assert!(err.contains("column 7") && err.contains("--as"), "{err}");
    assert!(h.state.input.is_some());

    h.state.triage.me = Some("alice".into());
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(h.state.error, None);
    assert_eq!(h.state.total, Some(5));
}

#[test]
fn stale_pages_from_an_older_filter_are_dropped() {
    let db = db_with(synthetic(300));
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    h.key(KeyCode::Char('/'), KeyModifiers::NONE);
    h.type_text("sev:low");
    h.key(KeyCode::Enter, KeyModifiers::NONE);
    // Answer a request made for the old (unfiltered) generation after the new filter landed.
    let stale = lastmile::tui::app::Response::Page {
        generation: 1,
        tag: lastmile::tui::backlog::FetchTag::Start,
        limit: 42,
        rows: h
            .store
            .list(
                "",
                &lastmile::query::Context::new(chrono::Utc::now(), None),
                lastmile::store::SortKey::DEFAULT,
                42,
            )
            .unwrap()
            .into_iter()
            .map(|f| f.row)
            .collect(),
    };
    let low = |h: &Harness| {
        h.state
            .backlog
            .rows
            .iter()
            .all(|r| r.severity == Severity::Low)
    };
    assert!(low(&h));
    let shown = h.visible();
    lastmile::tui::on_response(&mut h.state, stale);
    assert_eq!(h.visible(), shown);
    assert!(low(&h), "a page for the old filter got in");
}

#[test]
fn the_worker_thread_serves_the_same_rows() {
    let db = db_with(synthetic(500));
    let expected = expected_order(&db, "1");
    let store = lastmile::store::Store::open_reader(&db.path).unwrap();
    let counter = lastmile::store::Store::open_reader(&db.path).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let worker = lastmile::tui::worker::Worker::spawn(store, counter, system_asker(), move |r| {
        let _ = tx.send(r);
    })
    .unwrap();
    let theme = lastmile::tui::Theme::new("mono", lastmile::tui::ColorDepth::None);
    let mut state = lastmile::tui::State::new(Keymap::default(), theme, 80, 24);
    let send = |effects: Vec<lastmile::tui::Effect>| {
        for e in effects {
            assert!(worker.send(e));
        }
    };
    send(lastmile::tui::init(&mut state));
    let quiet = std::time::Duration::from_millis(500);
    while let Ok(r) = rx.recv_timeout(quiet) {
        send(lastmile::tui::on_response(&mut state, r));
    }
    assert_eq!(state.backlog.selected().map(|r| r.id), Some(expected[0]));
    // Five pages down without waiting: later pages are asked for while earlier ones travel.
    for _ in 0..5 {
        send(lastmile::tui::update(&mut state, Action::PageDown));
    }
    // The worker may skip superseded requests, so wait for quiet rather than for a number.
    while let Ok(r) = rx.recv_timeout(quiet) {
        send(lastmile::tui::on_response(&mut state, r));
    }
    assert_eq!(
        state.backlog.selected().map(|r| r.id),
        Some(expected[5 * 21])
    );
    assert_eq!(state.total, Some(500));
}

#[test]
fn refresh_keeps_the_view_and_picks_up_what_another_process_imported() {
    let db = db_with(synthetic(N));
    let expected = expected_order(&db, "1");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    for _ in 0..4 {
        h.act(Action::PageDown);
    }
    h.act(Action::MoveUp);
    let (visible, selected) = (h.visible(), h.selected());
    assert_eq!(selected, Some(expected[4 * 21 - 1]));
    h.act(Action::Refresh);
    assert_eq!(h.visible(), visible, "same window after a reload");
    assert_eq!(h.selected(), selected);
    assert_eq!(position_text(&h.state), format!("row {} of 3,000", 4 * 21));

    // Another tool's report lands while the console is open.
    tui_support::import_more(&db, "bandit", synthetic(10));
    h.act(Action::Refresh);
    assert_eq!(h.state.total, Some(N as u64 + 10));
    h.act(Action::Top);
    h.act(Action::Bottom);
    assert_eq!(position_text(&h.state), "row 3,010 of 3,010");
}

#[test]
fn a_newer_count_supersedes_an_older_one_without_a_stale_answer() {
    let db = db_with(synthetic(3000));
    let open = || lastmile::store::Store::open_reader(&db.path).unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let worker = lastmile::tui::worker::Worker::spawn(open(), open(), system_asker(), move |r| {
        let _ = tx.send(r);
    })
    .unwrap();
    // A text search scans every row; the second request makes it stale while it runs.
    for (generation, query) in [(1, "text:zzz-not-there"), (2, "id<=10")] {
        assert!(worker.send(lastmile::tui::Effect::Count {
            generation,
            query: query.into()
        }));
    }
    let quiet = std::time::Duration::from_millis(500);
    let mut answers = Vec::new();
    while let Ok(r) = rx.recv_timeout(quiet) {
        answers.push(r);
    }
    let counts: Vec<_> = answers
        .iter()
        .filter_map(|r| match r {
            lastmile::tui::Response::Count { generation, total } => Some((*generation, *total)),
            _ => None,
        })
        .collect();
    assert_eq!(counts.last(), Some(&(2, 10)), "{answers:?}");
    assert!(
        !answers
            .iter()
            .any(|r| matches!(r, lastmile::tui::Response::Failed { .. })),
        "{answers:?}"
    );
}

#[test]
fn every_sort_field_both_ways_visits_exactly_the_sql_order_nulls_included() {
    let n = 300;
    let db = db_with(synthetic(n));
    tui_support::set_triage(&db);
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    for field in SortField::ALL {
        for descending in [false, true] {
            let sort = SortKey { field, descending };
            let expected = tui_support::expected_sorted(&db, sort);
            assert_eq!(expected.len(), n);
            let effects = h.state.set_sort(sort);
            h.run(effects);
            let name = sort.name();
            // Down through every page (the buffer trims behind), then up from the end, which
            // walks the keyset backwards across the NULLs-to-values boundary.
            for (i, id) in expected.iter().enumerate() {
                assert_eq!(h.selected(), Some(*id), "{name}: row {i} going down");
                h.act(Action::MoveDown);
            }
            h.act(Action::Bottom);
            for (i, id) in expected.iter().enumerate().rev() {
                assert_eq!(h.selected(), Some(*id), "{name}: row {i} going up");
                h.act(Action::MoveUp);
            }
            assert!(h.state.backlog.at_start, "{name}");
            h.act(Action::Bottom);
            h.act(Action::PageUp);
            h.act(Action::Top);
            assert_eq!(h.visible(), expected[..21], "{name}: back at the top");
        }
    }
}

fn system_asker() -> lastmile::tui::worker::Asker {
    lastmile::tui::worker::Asker::new(std::sync::Arc::new(lastmile::clock::SystemClock), None)
}

#[test]
fn a_key_pressed_while_the_list_reloads_is_not_undone_by_the_reload() {
    use lastmile::tui::msg::{Response, TriageResponse};
    let db = db_with(synthetic(200));
    let expected = expected_order(&db, "1");
    let mut h = Harness::new(&db, Keymap::default(), 80, 24);
    // The start-up tick recomputed lanes: the list reads its rows again...
    let effects = lastmile::tui::on_response(
        &mut h.state,
        Response::Triage(TriageResponse::Ticked {
            expired: 0,
            recomputed: true,
        }),
    );
    h.queued.extend(effects);
    // ...and the user moves down twice before that answer arrives.
    h.act_later(Action::MoveDown);
    h.act_later(Action::MoveDown);
    h.pump();
    assert_eq!(h.selected(), Some(expected[2]));
    assert_eq!(position_text(&h.state), "row 3 of 200");
}
