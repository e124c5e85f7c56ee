//! The real binary with its files isolated in a temporary directory.

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("lm.db")
    }

    /// The binary with its files isolated in this test's directory.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lastmile"));
        let home = self.dir.path();
        c.env("LASTMILE_DB", self.db())
            .env_remove("LASTMILE_CONFIG")
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("HOME", home)
            .env("USER", "tester")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lastmile {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn import_json(&self, file: &Path, repo: &str) -> Value {
        let out = self.ok(&[
            "import",
            "--format",
            "json",
            "--repo",
            repo,
            file.to_str().unwrap(),
        ]);
        serde_json::from_str(out.trim()).unwrap()
    }

    /// `lastmile import --repo REPO -` with the file's bytes on standard input.
    pub fn import_stdin(&self, file: &Path, repo: &str) -> Output {
        let mut child = self
            .cmd()
            .args(["import", "--repo", repo, "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let bytes = std::fs::read(file).unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        child.wait_with_output().unwrap()
    }

    pub fn findings(&self, query: &str) -> Vec<Value> {
        let out = self.ok(&[
            "findings", "--query", query, "--limit", "1000000", "--format", "json",
        ]);
        serde_json::from_str::<Value>(&out)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}
