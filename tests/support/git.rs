//! Building repositories with real `git` commands, as a given author at a given time, untouched
//! by the machine's git config.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` as `who` (name, e-mail) at unix time `when`; its trimmed output.
pub fn git(dir: &Path, who: (&str, &str), when: i64, args: &[&str]) -> String {
    let date = format!("{when} +0000");
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_COMMITTER_DATE", &date)
        .output()
        .expect("run git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string()
}
