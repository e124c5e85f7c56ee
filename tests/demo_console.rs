//! `lastmile demo` end to end in a pseudo-terminal: the sync view shows what the build
//! recorded, `U` syncs with the demo's GitHub stand-in, and `lastmile sync` from another
//! process reaches the same stand-in while the console is open.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};
use support::pty::Term;

const ROWS: u16 = 40;
const COLS: u16 = 140;

fn isolate(cmd: &mut std::process::Command, home: &Path) {
    cmd.env_remove("LASTMILE_CONFIG")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("HOME", home);
}

#[test]
fn the_demo_console_shows_the_recorded_sync_state_and_syncs_live() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let dir_arg = dir.display().to_string();
    let mut t = Term::spawn(home.path(), &["demo", "--dir", &dir_arg], ROWS, COLS);
    // The build runs first; under a loaded test run it takes a while.
    t.wait_for("row 1 of", 120);

    t.keys("Y");
    t.wait_for("Failed (1)", 20);
    t.wait_for("Pending (3)", 20);
    t.wait_for("Conflicts (latest 1)", 20);
    t.wait_for("github:acme/payments-api:code_scanning", 20);

    t.keys("U");
    t.wait_for("synced: ", 60);
    t.wait_for("Pending (0)", 20);
    let screen = t.contents();
    assert!(screen.contains("3 pushed"), "{screen}");
    assert!(
        screen.contains("Failed (1)"),
        "the refused row stays: {screen}"
    );

    // Another process, the config the demo wrote: the same stand-in answers it.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lastmile"));
    isolate(&mut cmd, home.path());
    let out = cmd
        .arg("--db")
        .arg(dir.join("demo.db"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(["sync", "--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"tracker\""), "{stdout}");

    t.keys("Y");
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
}
