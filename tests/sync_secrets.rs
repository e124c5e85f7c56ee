//! The token never lands anywhere: two real `lastmile sync --verbose` runs (a pull, then a
//! push the server rejects with a body that echoes the Authorization header) with trace
//! logging on, then every file lastmile wrote (database, WAL, log) and all output are searched
//! for the token.

mod http_support;
mod support;

use http_support::{Server, status};
use serde_json::Value;
use std::path::Path;
use support::cli_env::Env;

const TOKEN: &str = "ghp_s3cr3tT0kenThatMustNeverLeak0000";

/// Every file under `dir`, recursively, with its bytes.
fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn the_token_is_in_no_file_log_or_output_of_a_sync() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::new();
    let echo = format!(r#"{{"message":"Bad credentials","echo":"Authorization: Bearer {TOKEN}"}}"#);
    let mut outputs = Vec::new();
    let mut requests = Vec::new();
    for (round, steps) in [
        // Pull: the repo, its alerts, a Dependabot refusal that echoes the token, issues.
        vec![
            status(200, &[], r#"{"id":7,"full_name":"o/r"}"#),
            status(
                200,
                &[r#"ETag: W/"abc""#],
                &Value::Array(support::github::recorded_alerts()).to_string(),
            ),
            status(403, &[], &echo),
            status(200, &[], "[]"),
        ],
        // Pull again, then the dismissal is pushed and rejected, echoing the token.
        vec![
            status(200, &[], r#"{"id":7,"full_name":"o/r"}"#),
            status(304, &[], ""),
            status(200, &[], "[]"),
            status(200, &[], "[]"),
            status(401, &[], &echo),
        ],
    ]
    .into_iter()
    .enumerate()
    {
        let server = rt.block_on(Server::bind());
        {
            let _in_runtime = rt.enter();
            server.run(steps);
        }
        let config = env.dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "me = \"alice\"\n[[repos]]\nname = \"app\"\ngithub = \"o/r\"\n\n[trackers.github]\napi = \"{}\"\n",
                server.url("")
            ),
        )
        .unwrap();
        if round == 1 {
            // An open alert's finding: a fixed alert is never sent a dismissal.
            let open = env.findings("status:open");
            let id = open[0]["id"].to_string();
            let out = env.run(&[
                "--config",
                config.to_str().unwrap(),
                "triage",
                &id,
                "--decide",
                "false-positive",
                "--reason",
                "test code",
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = env
            .cmd()
            .env("GITHUB_TOKEN", TOKEN)
            .env("LASTMILE_LOG", "trace")
            .args(["--config", config.to_str().unwrap(), "sync", "--verbose"])
            .output()
            .unwrap();
        // Both runs had a refusal: the exit says so.
        assert!(!out.status.success());
        outputs.push(out);
        requests.extend(server.requests());
    }
    // The token was really sent (so the search below means something)...
    assert!(
        requests
            .iter()
            .any(|r| r.contains(&format!("authorization: Bearer {TOKEN}"))),
        "{requests:?}"
    );
    let all_out: Vec<u8> = outputs
        .iter()
        .flat_map(|o| o.stdout.iter().chain(&o.stderr).copied())
        .collect();
    let text = String::from_utf8_lossy(&all_out);
    // ...the refusals were reported...
    assert!(
        text.contains("HTTP 403") && text.contains("HTTP 401"),
        "{text}"
    );
    assert!(
        text.contains("<redacted>"),
        "the echoed token is masked: {text}"
    );
    // ...and it is nowhere: not in output, the database, its WAL, or the log.
    assert!(!contains(&all_out, TOKEN), "{text}");
    let mut written = Vec::new();
    files(env.dir.path(), &mut written);
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("lastmile.log")),
        "{names:?}"
    );
    assert!(names.iter().any(|n| n.ends_with("lm.db")), "{names:?}");
    for (name, bytes) in &written {
        assert!(!contains(bytes, TOKEN), "the token is in {name}");
    }
    let log = written
        .iter()
        .find(|(n, _)| n.ends_with("lastmile.log"))
        .map(|(_, b)| String::from_utf8_lossy(b).to_string())
        .unwrap();
    assert!(log.contains("GitHub token"), "trace logging was on: {log}");
}
