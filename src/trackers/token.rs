//! Where a tracker token comes from: the environment, the OS keyring, or a command the user
//! configured (`gh auth token`). A token is held as a `Secret` and never stored by lastmile.

use crate::trackers::http::Secret;
use std::io::Read;
use std::process::{Command, Stdio};

/// Where the token in use came from, for `sync --verbose` (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    Env(String),
    Keyring,
    Command,
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "${name}"),
            TokenSource::Keyring => f.write_str("the OS keyring"),
            TokenSource::Command => f.write_str("token_command"),
        }
    }
}

/// The keyring entry for a tracker at an API base: one per host, so GitHub.com and an
/// Enterprise server keep separate tokens.
fn entry(tracker: &str, api: &str) -> Result<keyring::Entry, String> {
    let host = reqwest::Url::parse(api)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| api.to_string());
    keyring::Entry::new("lastmile", &format!("{tracker}@{host}"))
        .map_err(|e| format!("OS keyring: {e}"))
}

/// Stores `token` in the OS keyring for `tracker` at `api`.
pub fn store_in_keyring(tracker: &str, api: &str, token: &Secret) -> Result<(), String> {
    entry(tracker, api)?
        .set_password(token.expose())
        .map_err(|e| format!("OS keyring: {e}"))
}

fn from_keyring(tracker: &str, api: &str) -> Option<Secret> {
    let e = entry(tracker, api).ok()?;
    match e.get_password() {
        Ok(t) if !t.trim().is_empty() => Some(Secret::new(t.trim())),
        // No entry, or no keyring on this machine (a server over SSH): not an error, the
        // next source is tried.
        _ => None,
    }
}

/// The longest output taken from `token_command`: tokens are short; a runaway command is not.
const MAX_COMMAND_OUTPUT: u64 = 64 * 1024;

fn from_command(command: &str) -> Result<Secret, String> {
    let shown = crate::sanitize::line(command).into_owned();
    #[cfg(windows)]
    let mut cmd = {
        let mut c = Command::new("cmd");
        c.args(["/C", command]);
        c
    };
    #[cfg(not(windows))]
    let mut cmd = {
        let mut c = Command::new("sh");
        c.args(["-c", command]);
        c
    };
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("token_command `{shown}`: cannot run: {e}"))?;
    let mut out = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = stdout.take(MAX_COMMAND_OUTPUT).read_to_string(&mut out);
    }
    let mut err = String::new();
    if let Some(stderr) = child.stderr.take() {
        let _ = stderr.take(MAX_COMMAND_OUTPUT).read_to_string(&mut err);
    }
    let status = child
        .wait()
        .map_err(|e| format!("token_command `{shown}`: {e}"))?;
    let token = out.trim();
    if !status.success() {
        // The command's own complaint helps ("not logged in"); it must not carry the token.
        let mut why = err.lines().next().unwrap_or("").trim().to_string();
        if !token.is_empty() {
            why = why.replace(token, "<redacted>");
        }
        return Err(format!(
            "token_command `{shown}` failed ({status}){}",
            if why.is_empty() {
                String::new()
            } else {
                format!(": {}", crate::sanitize::line(&why))
            }
        ));
    }
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(format!(
            "token_command `{shown}` printed no single token on its standard output"
        ));
    }
    Ok(Secret::new(token))
}

/// The token for `tracker`: the first of the environment variables `env` that is set, then the
/// OS keyring, then `command`. `None` when none gives one (public data may still be pulled).
pub fn resolve(
    tracker: &str,
    api: &str,
    env: &[&str],
    command: Option<&str>,
) -> Result<Option<(Secret, TokenSource)>, String> {
    for name in env {
        if let Ok(v) = std::env::var(name)
            && !v.trim().is_empty()
        {
            return Ok(Some((
                Secret::new(v.trim()),
                TokenSource::Env(name.to_string()),
            )));
        }
    }
    if let Some(t) = from_keyring(tracker, api) {
        return Ok(Some((t, TokenSource::Keyring)));
    }
    match command {
        Some(c) => Ok(Some((from_command(c)?, TokenSource::Command))),
        None => Ok(None),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_command_token_is_trimmed_and_a_failure_names_the_command_not_the_output() {
        let t = from_command("printf ' tok-abc\\n'").unwrap();
        assert_eq!(t.expose(), "tok-abc");
        // The token is assembled at run time so the command text shown does not contain it.
        let e = from_command("printf 'tok-%s' leak; echo 'not logged in' >&2; exit 3").unwrap_err();
        assert!(e.contains("not logged in"), "{e}");
        assert!(!e.contains("tok-leak"), "{e}");
        let e = from_command("true").unwrap_err();
        assert!(e.contains("printed no single token"), "{e}");
    }
}
