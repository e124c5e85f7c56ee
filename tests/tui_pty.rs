//! The real binary in a pseudo-terminal, read back through a terminal emulator (vt100): the few
//! flows that must work end to end — start, move, filter, help, hostile text, quit and restore.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Term {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Term {
    fn spawn(db: &std::path::Path, home: &std::path::Path) -> Term {
        Term::spawn_with(db, home, &[])
    }

    fn spawn_with(db: &std::path::Path, home: &std::path::Path, args: &[&str]) -> Term {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lastmile"));
        cmd.arg("--db");
        cmd.arg(db);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("LASTMILE_CONFIG");
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_CACHE_HOME", home.join("cache"));
        cmd.env("HOME", home);
        let child = pair.slave.spawn_command(cmd).expect("spawn lastmile");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
        let feed = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        // Keep the master alive as long as the child runs.
        std::mem::forget(pair.master);
        Term {
            screen,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.contents().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("'{what}' never appeared; the screen:\n{}", self.contents());
    }

    /// Keys one at a time with a pause, as a person types (an ESC followed at once by a key is
    /// Alt+key to every terminal program).
    fn keys(&mut self, keys: &str) {
        for b in keys.bytes() {
            self.writer.write_all(&[b]).unwrap();
            self.writer.flush().unwrap();
            std::thread::sleep(Duration::from_millis(if b == 0x1b { 200 } else { 20 }));
        }
    }
}

#[test]
fn the_console_runs_filters_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    lastmile::demo::build(&db, chrono::Utc::now(), 7).unwrap();
    let mut t = Term::spawn(&db, dir.path());

    t.wait_for("row 1 of");
    assert!(
        t.screen.lock().unwrap().screen().alternate_screen(),
        "the console draws on the alternate screen"
    );
    t.keys("j");
    t.wait_for("row 2 of");

    t.keys("/sev:critical is:active\r");
    t.wait_for("filter: sev:critical is:active");
    assert!(t.contents().contains("CRIT"));
    assert!(!t.contents().contains("HIGH "), "{}", t.contents());

    t.keys("?");
    t.wait_for("move_down");
    t.keys("\x1b");
    t.wait_for("row 1 of");

    // Hostile text arrives escaped: the emulator would have obeyed a real escape sequence.
    t.keys("/\x15repo:untrusted\r");
    t.wait_for("filter: repo:untrusted");
    t.wait_for("\\e[31mRED");

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
    let mut t = Term::spawn_with(&db, dir.path(), &["--as", "tester"]);
    t.wait_for("row 1 of");
    // Escalation is never gated nor skipped: the outcome does not depend on the demo's data.
    t.keys("de");
    t.wait_for("(•) escalate");
    t.keys("\tsecurity review\rneeded\tteam-x");
    t.keys("\x13");
    t.wait_for("1 applied");
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
