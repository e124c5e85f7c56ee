//! The sync commands end to end, as a user runs them: `ticket` queues, `outbox` lists, `sync`
//! opens the issue on a loopback GitHub and links it, `show` lists the link, `comment` and
//! `label` queue what the ticket must hear, bad config names its line and key.

mod http_support;
mod support;

use http_support::{Server, Step, status};
use serde_json::{Value, json};
use support::cli_env::Env;

/// A report with real findings, imported as repo `app`.
fn with_findings(env: &Env) {
    let file = support::corpus().join("sarif/samples/defectdojo__appendix_k.sarif");
    env.import_json(&file, "app");
}

fn config(env: &Env, api: &str) -> String {
    let path = env.dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "me = \"alice\"\n\n[[repos]]\nname = \"app\"\ngithub = \"acme/app\"\n\n[trackers.github]\napi = \"{api}\"\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn outbox(env: &Env, cfg: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["--config", cfg, "outbox", "--format", "json"];
    args.extend(extra);
    serde_json::from_str(&env.ok(&args)).unwrap()
}

fn serve(rt: &tokio::runtime::Runtime, steps: Vec<Step>) -> Server {
    let server = rt.block_on(Server::bind());
    let _in = rt.enter();
    server.run(steps);
    server
}

#[test]
fn a_ticket_is_queued_opened_by_sync_linked_and_then_hears_comments_and_labels() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::new();
    with_findings(&env);
    let cfg = config(&env, "http://127.0.0.1:9");
    let out = env.ok(&["--config", &cfg, "ticket", "1"]);
    assert!(out.contains("#1: ticket queued for acme/app"), "{out}");
    let again = env.ok(&["--config", &cfg, "ticket", "1"]);
    assert!(again.contains("already queued"), "{again}");
    let rows = outbox(&env, &cfg, &[]);
    assert_eq!(rows.len(), 1);
    // A dry run of the push names what it would send and sends nothing (nothing listens on
    // port 9, and a dry run does not try).
    let out = env.ok(&["--config", &cfg, "sync", "--push-only", "--dry-run"]);
    assert!(out.contains("github would sync:"), "{out}");
    assert!(
        out.contains("would send, in this order:\n    outbox 1: "),
        "{out}"
    );
    assert_eq!(outbox(&env, &cfg, &[]).len(), 1);
    let marker = rows[0]["intent"]["create_ticket"]["marker"]
        .as_str()
        .unwrap()
        .to_string();

    // The issue GitHub answers with: it echoes what lastmile sent, marker included.
    let created = json!({
        "number": 12, "title": "t", "state": "open", "labels": [{"name": "lastmile"}],
        "assignees": [], "html_url": "https://github.com/acme/app/issues/12",
        "body": format!("...\n<!-- {marker} -->"),
        "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:00Z",
    });
    let server = serve(
        &rt,
        vec![
            status(200, &[], "[]"),
            status(201, &[], &created.to_string()),
        ],
    );
    let cfg = config(&env, &server.url(""));
    let out = env.ok(&["--config", &cfg, "sync", "--push-only"]);
    assert!(out.contains("1 pushed, 0 failed, 0 pending"), "{out}");
    let requests = server.requests();
    assert!(
        requests[0].starts_with("GET /repos/acme/app/issues?"),
        "{requests:?}"
    );
    assert!(
        requests[1].starts_with("POST /repos/acme/app/issues "),
        "{requests:?}"
    );
    assert!(outbox(&env, &cfg, &[]).is_empty());
    let shown = env.ok(&["--config", &cfg, "show", "1"]);
    assert!(shown.contains("tracker   acme/app#12: open"), "{shown}");

    let out = env.ok(&[
        "--config",
        &cfg,
        "comment",
        "1",
        "--body",
        "fix lands in 2.4",
    ]);
    assert!(out.contains("1 ticket comment(s) queued"), "{out}");
    env.ok(&["--config", &cfg, "label", "1", "--add", "p1"]);
    let kinds: Vec<String> = outbox(&env, &cfg, &[])
        .iter()
        .map(|r| r["intent"]["op"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["comment", "add_labels"]);
    let history = env.ok(&["--config", &cfg, "show", "1"]);
    assert!(
        history.contains("comment") && history.contains("fix lands in 2.4"),
        "{history}"
    );
}

#[test]
fn a_refused_push_is_listed_as_failed_and_can_be_queued_again() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = Env::new();
    with_findings(&env);
    let server = serve(
        &rt,
        vec![
            status(200, &[], "[]"),
            status(422, &[], r#"{"message":"Validation Failed"}"#),
        ],
    );
    let cfg = config(&env, &server.url(""));
    env.ok(&["--config", &cfg, "ticket", "1"]);
    let out = env.run(&["--config", &cfg, "sync", "--push-only"]);
    assert!(
        !out.status.success(),
        "a failed row makes the exit non-zero"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1 failed") && text.contains("HTTP 422"),
        "{text}"
    );
    let failed = outbox(&env, &cfg, &["--failed"]);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["state"], "failed");
    let table = env.ok(&["--config", &cfg, "outbox", "--failed"]);
    assert!(
        table.contains("create ticket") && table.contains("422"),
        "{table}"
    );
    let out = env.ok(&["--config", &cfg, "outbox", "--retry"]);
    assert!(out.contains("1 row(s) back in the queue"), "{out}");
    assert!(outbox(&env, &cfg, &["--failed"]).is_empty());
    assert_eq!(outbox(&env, &cfg, &[]).len(), 1);
}

#[test]
fn sync_without_a_tracker_and_bad_tracker_config_say_what_to_fix() {
    let env = Env::new();
    let cfg = env.dir.path().join("none.toml");
    std::fs::write(&cfg, "me = \"alice\"\n").unwrap();
    let out = env.run(&["--config", cfg.to_str().unwrap(), "sync"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no tracker is configured") && err.contains("[trackers.github]"),
        "{err}"
    );

    let bad = env.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[repos]]\nname = \"app\"\ngithub = \"not a repo\"\n\n[trackers.github]\napi = \"http://tracker.example.com\"\n",
    )
    .unwrap();
    let out = env.run(&["config", "check", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("repos[0].github") && err.contains("not owner/name"),
        "{err}"
    );
    assert!(
        err.contains("trackers.github.api") && err.contains("plain http"),
        "{err}"
    );
}
