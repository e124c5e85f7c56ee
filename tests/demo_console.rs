//! `lastmile demo` end to end in a pseudo-terminal: the sync view shows what the build
//! recorded, `U` syncs with the demo's GitHub stand-in, and `lastmile sync` from another
//! process reaches the same stand-in while the console is open.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 140;

struct Term {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

fn isolate(cmd: &mut std::process::Command, home: &Path) {
    cmd.env_remove("LASTMILE_CONFIG")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("HOME", home);
}

impl Term {
    fn spawn(home: &Path, args: &[&str]) -> Term {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_lastmile"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("LASTMILE_CONFIG");
        cmd.env_remove("GITHUB_TOKEN");
        cmd.env_remove("GH_TOKEN");
        cmd.env("XDG_CONFIG_HOME", home.join("config"));
        cmd.env("XDG_DATA_HOME", home.join("data"));
        cmd.env("XDG_CACHE_HOME", home.join("cache"));
        cmd.env("HOME", home);
        let child = pair.slave.spawn_command(cmd).expect("spawn lastmile");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
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

    fn wait_for(&self, what: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if self.contents().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("'{what}' never appeared; the screen:\n{}", self.contents());
    }

    fn keys(&mut self, keys: &str) {
        for b in keys.bytes() {
            self.writer.write_all(&[b]).unwrap();
            self.writer.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        // A failed assertion must not leave the console (and its stand-in) running.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
    }
}

#[test]
fn the_demo_console_shows_the_recorded_sync_state_and_syncs_live() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let dir_arg = dir.display().to_string();
    let mut t = Term::spawn(home.path(), &["demo", "--dir", &dir_arg]);
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
