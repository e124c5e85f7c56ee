//! The real binary in a pseudo-terminal, read back through a terminal emulator (vt100): the few
//! flows that must work end to end — start, move, filter, help, hostile text, quit and restore.

mod support;

use std::time::{Duration, Instant};
use support::pty::Term;

#[test]
fn the_console_runs_filters_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    lastmile::demo::build(&db, chrono::Utc::now(), 7).unwrap();
    let mut t = Term::spawn(dir.path(), &["--db", db.to_str().unwrap()], 24, 80);

    t.wait_for("row 1 of", 20);
    assert!(
        t.screen.lock().unwrap().screen().alternate_screen(),
        "the console draws on the alternate screen"
    );
    t.keys("j");
    t.wait_for("row 2 of", 20);

    t.keys("/sev:critical is:active\r");
    t.wait_for("filter: sev:critical is:active", 20);
    assert!(t.contents().contains("CRIT"));
    assert!(!t.contents().contains("HIGH "), "{}", t.contents());

    t.keys("?");
    t.wait_for("move_down", 20);
    t.keys("\x1b");
    t.wait_for("row 1 of", 20);

    // Hostile text arrives escaped: the emulator would have obeyed a real escape sequence.
    t.keys("/\x15repo:untrusted\r");
    t.wait_for("filter: repo:untrusted", 20);
    t.wait_for("\\e[31mRED", 20);

    t.keys("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = t.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "lastmile did not quit on 'q'");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    std::thread::sleep(Duration::from_millis(200));
    let parser = t.screen.lock().unwrap();
    assert!(
        !parser.screen().alternate_screen(),
        "the alternate screen was left"
    );
    assert!(
        !parser.screen().hide_cursor(),
        "the cursor is visible again"
    );
}

#[test]
fn a_decision_typed_in_the_console_reaches_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    lastmile::demo::build(&db, chrono::Utc::now(), 7).unwrap();
    let mut t = Term::spawn(
        dir.path(),
        &["--db", db.to_str().unwrap(), "--as", "tester"],
        24,
        80,
    );
    t.wait_for("row 1 of", 20);
    // Escalation is never gated nor skipped: the outcome does not depend on the demo's data.
    t.keys("de");
    t.wait_for("(•) escalate", 20);
    t.keys("\tsecurity review\rneeded\tteam-x");
    t.keys("\x13");
    t.wait_for("1 applied", 20);
    t.keys("q");
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "lastmile did not quit on 'q'");
        std::thread::sleep(Duration::from_millis(50));
    }
    let store = lastmile::store::Store::open_reader(&db).unwrap();
    let (reason, target): (String, String) = store
        .raw_connection()
        .query_row(
            "SELECT reason, target FROM decisions WHERE actor = 'tester' AND kind = 'escalate'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (reason.as_str(), target.as_str()),
        ("security review\nneeded", "team-x")
    );
}
