//! The GitHub connector against a scripted server on 127.0.0.1, fed GitHub's recorded
//! payloads: paging, the watermark stop, conditional requests, pull requests in issue lists,
//! finding a ticket after an interrupted create, creating one, operations, renamed
//! repositories.

mod http_support;

use chrono::{DateTime, Utc};
use http_support::{Server, Step, ok, status};
use lastmile::model::Status;
use lastmile::trackers::github::{GitHub, GithubSettings};
use lastmile::trackers::http::{Client, RecordingSleeper, Secret};
use lastmile::trackers::{
    Cursor, Endpoint, NewTicket, Operation, RemoteKind, RemoteRef, RemoteState, Tracker,
    TrackerError,
};
use serde_json::{Value, json};
use std::sync::Arc;

const TOKEN: &str = "gh-test-token";

fn data(rel: &str) -> Value {
    let path = format!(
        "{}/../shared/trackers/github/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The recorded response of the first exchange with this method and path.
fn recorded(scenario: &str, method: &str, path: &str) -> Value {
    let all = data(&format!("scenarios/pygithub/{scenario}.json"));
    all.as_array()
        .expect("list")
        .iter()
        .find(|x| x["method"] == method && x["path"] == path)
        .unwrap_or_else(|| panic!("{scenario}: {method} {path}"))["response"]
        .clone()
}

fn alerts() -> Vec<Value> {
    recorded(
        "CodeScanAlert.testMultipleAlerts",
        "get",
        "/repos/matt-davis27/PyGithub/code-scanning/alerts",
    )
    .as_array()
    .expect("alerts")
    .clone()
}

fn github(server: &Server, labels: &[&str]) -> GitHub {
    let settings = GithubSettings {
        api: server.url("/api/v3"),
        repos: vec!["o/r".into()],
        issue_labels: labels.iter().map(|l| l.to_string()).collect(),
        token: Some(Secret::new(TOKEN)),
        ..GithubSettings::default()
    };
    // Writes wait a second between each other: recorded, not slept.
    let client = Client::new(settings.http_config())
        .expect("client")
        .with_sleeper(Arc::new(RecordingSleeper::default()));
    GitHub::with_client(settings, client).expect("github")
}

fn endpoint(gh: &GitHub, kind: RemoteKind) -> Endpoint {
    gh.endpoints()
        .into_iter()
        .find(|e| e.kind == kind)
        .expect("endpoint")
}

fn json_ok(v: &Value, headers: &[&str]) -> Step {
    status(200, headers, &v.to_string())
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("timestamp")
        .with_timezone(&Utc)
}

/// The request line of each request, e.g. "GET /api/v3/repos/o/r/issues?... HTTP/1.1".
fn lines(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.lines().next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn alert_pages_follow_the_link_the_server_gives() {
    let server = Server::bind().await;
    let all = alerts();
    let next = server.url("/api/v3/repositories/7/code-scanning/alerts?cursor=Y3Vyc29y");
    let link = format!(r#"Link: <{next}>; rel="next""#);
    server.run(vec![
        json_ok(&json!(all[..7]), &[&link, r#"ETag: W/"first""#]),
        json_ok(&json!(all[7..]), &[r#"ETag: W/"second""#]),
    ]);
    let gh = github(&server, &[]);
    let ep = endpoint(&gh, RemoteKind::CodeScanning);
    let first = gh.pull_page(&ep, &Cursor::default()).await.expect("page 1");
    assert_eq!(first.items.len(), 7);
    assert_eq!(first.next.as_ref().map(|u| u.as_str()), Some(next.as_str()));
    assert_eq!(first.etag.as_deref(), Some(r#"W/"first""#));
    let cursor = Cursor {
        next: first.next.clone(),
        ..Cursor::default()
    };
    let second = gh.pull_page(&ep, &cursor).await.expect("page 2");
    assert_eq!(second.items.len(), 7);
    assert_eq!(second.next, None);
    assert_eq!(second.etag, None, "only the first page's ETag is kept");
    let numbers: Vec<i64> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|i| i.at.number)
        .collect();
    assert_eq!(numbers, (1..=14).rev().collect::<Vec<i64>>());
    let seen = lines(&server);
    assert_eq!(
        seen,
        vec![
            "GET /api/v3/repos/o/r/code-scanning/alerts?sort=updated&direction=desc&per_page=100 HTTP/1.1".to_string(),
            "GET /api/v3/repositories/7/code-scanning/alerts?cursor=Y3Vyc29y HTTP/1.1".to_string(),
        ]
    );
    let head = &server.requests()[0];
    assert!(head.contains("\naccept: application/vnd.github+json, application/json"));
    assert!(head.contains("\nx-github-api-version: 2022-11-28"));
    assert!(head.contains(&format!("\nauthorization: Bearer {TOKEN}")));
}

#[tokio::test]
async fn desc_alert_pull_stops_at_the_watermark_less_the_overlap() {
    let server = Server::bind().await;
    let all = alerts();
    // Ten were updated at 2025-08-25T16:03:10Z, four (the open ones) three days before; the
    // recording is in number order, so an older one comes second.
    let stamps: Vec<DateTime<Utc>> = all
        .iter()
        .map(|a| ts(a["updated_at"].as_str().expect("updated_at")))
        .collect();
    let newest = *stamps.iter().max().expect("max");
    let link = format!(
        r#"Link: <{}>; rel="next""#,
        server.url("/api/v3/repos/o/r/code-scanning/alerts?page=2")
    );
    server.run(vec![json_ok(&json!(all), &[&link])]);
    let gh = github(&server, &[]);
    // The watermark 4 minutes after the newest: the 5-minute overlap still takes it back.
    let cursor = Cursor {
        watermark: Some(newest + chrono::Duration::minutes(4)),
        ..Cursor::default()
    };
    let page = gh
        .pull_page(&endpoint(&gh, RemoteKind::CodeScanning), &cursor)
        .await
        .expect("page");
    let cutoff = newest - chrono::Duration::minutes(1);
    let expected = stamps.iter().filter(|t| **t >= cutoff).count();
    assert!(expected > 0 && expected < all.len(), "{expected}");
    assert_eq!(page.items.len(), expected);
    assert!(page.items.iter().all(|i| i.updated_at >= cutoff));
    assert_eq!(page.next, None, "an older item on the page ends the walk");
}

#[tokio::test]
async fn unchanged_first_page_is_a_304() {
    let server = Server::bind().await;
    server.run(vec![status(304, &[r#"ETag: W/"same""#], "")]);
    let gh = github(&server, &[]);
    let cursor = Cursor {
        etag: Some(r#"W/"same""#.into()),
        watermark: Some(ts("2025-08-25T16:03:10Z")),
        ..Cursor::default()
    };
    let page = gh
        .pull_page(&endpoint(&gh, RemoteKind::Dependabot), &cursor)
        .await
        .expect("304");
    assert!(page.not_modified && page.items.is_empty() && page.next.is_none());
    assert_eq!(page.etag.as_deref(), Some(r#"W/"same""#));
    let head = &server.requests()[0];
    assert!(head.contains("\nif-none-match: W/\"same\""), "{head}");
    assert!(head.starts_with(
        "GET /api/v3/repos/o/r/dependabot/alerts?sort=updated&direction=desc&per_page=100 "
    ));
}

#[tokio::test]
async fn later_pages_never_send_if_none_match() {
    let server = Server::bind().await;
    server.run(vec![ok("[]")]);
    let gh = github(&server, &[]);
    let cursor = Cursor {
        next: Some(
            server
                .url("/api/v3/repos/o/r/dependabot/alerts?after=abc")
                .parse()
                .expect("url"),
        ),
        etag: Some(r#"W/"same""#.into()),
        ..Cursor::default()
    };
    let page = gh
        .pull_page(&endpoint(&gh, RemoteKind::Dependabot), &cursor)
        .await
        .expect("page");
    assert!(!page.not_modified && page.items.is_empty());
    assert!(!server.requests()[0].contains("if-none-match"));
}

#[tokio::test]
async fn issue_pull_filters_by_label_and_since_and_skips_pull_requests() {
    let server = Server::bind().await;
    let pr = data("openapi-examples/issues__list-for-repo.200.json")["body"][0].clone();
    let issue = recorded(
        "Issue.testEditWithStateReasonNotPlanned",
        "patch",
        "/repos/PyGithub/PyGithub/issues/28",
    );
    server.run(vec![json_ok(&json!([pr, issue]), &[])]);
    let gh = github(&server, &["security", "lastmile"]);
    let cursor = Cursor {
        watermark: Some(ts("2025-01-01T00:05:00.900Z")),
        ..Cursor::default()
    };
    let page = gh
        .pull_page(&endpoint(&gh, RemoteKind::Issue), &cursor)
        .await
        .expect("page");
    assert_eq!((page.items.len(), page.skipped), (1, 1));
    assert_eq!(page.items[0].at.number, 28);
    assert!(matches!(
        page.items[0].state,
        RemoteState::Dismissed {
            status: Status::AcceptedRisk,
            ..
        }
    ));
    assert_eq!(
        lines(&server),
        vec![
            "GET /api/v3/repos/o/r/issues?state=all&labels=security%2Clastmile&since=2025-01-01T00%3A00%3A00Z&sort=updated&direction=asc&per_page=100 HTTP/1.1"
        ]
    );
}

#[tokio::test]
async fn a_stored_cursor_for_another_host_is_refused_unsent() {
    let server = Server::bind().await;
    server.run(vec![]);
    let gh = github(&server, &[]);
    let cursor = Cursor {
        next: Some("https://elsewhere.test/steal?page=2".parse().expect("url")),
        ..Cursor::default()
    };
    let err = gh
        .pull_page(&endpoint(&gh, RemoteKind::Issue), &cursor)
        .await
        .expect_err("refused");
    assert!(matches!(err, TrackerError::Invalid(_)), "{err}");
    assert!(server.requests().is_empty());
}

fn issue_json(number: i64, body: &str, created: &str, pr: bool) -> Value {
    let mut v = recorded(
        "Issue.testEditWithStateReasonNotPlanned",
        "patch",
        "/repos/PyGithub/PyGithub/issues/28",
    );
    v["number"] = json!(number);
    v["body"] = json!(body);
    v["created_at"] = json!(created);
    v["updated_at"] = json!(created);
    if pr {
        v["pull_request"] = json!({"url": "https://api.github.com/repos/o/r/pulls/1"});
    }
    v
}

#[tokio::test]
async fn find_ticket_walks_pages_for_the_marker() {
    let server = Server::bind().await;
    let marker = "<!-- lastmile:c0ffee -->";
    let page2 = server.url("/api/v3/repos/o/r/issues?state=all&page=2");
    let link = format!(r#"Link: <{page2}>; rel="next""#);
    server.run(vec![
        json_ok(
            &json!([
                issue_json(1, "no marker", "2026-01-01T10:00:00Z", false),
                // Same marker on a pull request, and on an issue from before the attempt.
                issue_json(2, marker, "2026-01-01T10:00:00Z", true),
                issue_json(3, marker, "2025-12-31T23:00:00Z", false),
                issue_json(
                    4,
                    "<!-- lastmile:c0ffee00 -->",
                    "2026-01-01T10:00:00Z",
                    false
                ),
            ]),
            &[&link],
        ),
        json_ok(
            &json!([issue_json(
                5,
                &format!("packet\n\n{marker}\n"),
                "2026-01-01T09:58:00Z",
                false
            )]),
            &[],
        ),
    ]);
    let gh = github(&server, &[]);
    let found = gh
        .find_ticket("o/r", "lastmile:C0FFEE", ts("2026-01-01T10:00:00Z"))
        .await
        .expect("search")
        .expect("found");
    // 09:58 is inside the 5-minute allowance for clock skew.
    assert_eq!(found.at.number, 5);
    assert_eq!(found.marker.as_deref(), Some("lastmile:c0ffee"));
    assert_eq!(
        lines(&server),
        vec![
            "GET /api/v3/repos/o/r/issues?state=all&since=2026-01-01T09%3A55%3A00Z&per_page=100 HTTP/1.1".to_string(),
            "GET /api/v3/repos/o/r/issues?state=all&page=2 HTTP/1.1".to_string(),
        ]
    );
}

#[tokio::test]
async fn find_ticket_says_none_when_no_issue_carries_the_marker() {
    let server = Server::bind().await;
    server.run(vec![json_ok(
        &json!([issue_json(
            1,
            "<!-- lastmile:ab -->",
            "2026-01-01T10:00:00Z",
            false
        )]),
        &[],
    )]);
    let gh = github(&server, &[]);
    let found = gh
        .find_ticket("o/r", "lastmile:abc", ts("2026-01-01T10:00:00Z"))
        .await
        .expect("search");
    assert!(found.is_none());
}

#[tokio::test]
async fn create_ticket_posts_and_maps_the_answer() {
    let server = Server::bind().await;
    let mut answer = recorded(
        "Repository.testCreateIssueWithAllArguments",
        "post",
        "/repos/PyGithub/PyGithub/issues",
    );
    answer["body"] = json!("packet\n\n<!-- lastmile:abc123 -->\n");
    server.run(vec![status(201, &[], &answer.to_string())]);
    let gh = github(&server, &[]);
    let item = gh
        .create_ticket(&NewTicket {
            repo: "o/r".into(),
            title: "Issue also created by PyGithub".into(),
            body: "packet\n\n<!-- lastmile:abc123 -->\n".into(),
            labels: vec!["Question".into()],
            assignees: vec!["jacquev6".into()],
            marker: "lastmile:abc123".into(),
        })
        .await
        .expect("created");
    assert_eq!(item.at.kind, RemoteKind::Issue);
    assert_eq!(item.at.repo, "o/r");
    assert_eq!(item.at.number, answer["number"].as_i64().expect("number"));
    assert_eq!(item.marker.as_deref(), Some("lastmile:abc123"));
    assert_eq!(item.state, RemoteState::Open);
    let head = &server.requests()[0];
    assert!(
        head.starts_with("POST /api/v3/repos/o/r/issues HTTP/1.1"),
        "{head}"
    );
    assert!(head.contains("\ncontent-type: application/json"));
}

fn issue_ref(number: i64) -> RemoteRef {
    RemoteRef {
        tracker: "github".into(),
        kind: RemoteKind::Issue,
        repo: "o/r".into(),
        number,
    }
}

#[tokio::test]
async fn removing_a_label_already_gone_is_success_but_other_404s_fail() {
    let server = Server::bind().await;
    let not_found = r#"{"message":"Label does not exist"}"#;
    server.run(vec![
        status(404, &[], not_found),
        status(404, &[], r#"{"message":"Not Found"}"#),
    ]);
    let gh = github(&server, &[]);
    let done = gh
        .apply(
            &issue_ref(28),
            &Operation::RemoveLabel {
                label: "needs triage".into(),
            },
        )
        .await
        .expect("already gone");
    assert!(done.is_none());
    let err = gh
        .apply(&issue_ref(28), &Operation::Close { completed: true })
        .await
        .expect_err("404");
    assert!(
        err.is_permanent() && matches!(err, TrackerError::Permanent(_)),
        "{err}"
    );
    assert_eq!(
        lines(&server),
        vec![
            "DELETE /api/v3/repos/o/r/issues/28/labels/needs%20triage HTTP/1.1",
            "PATCH /api/v3/repos/o/r/issues/28 HTTP/1.1",
        ]
    );
}

#[tokio::test]
async fn dismissing_returns_the_alert_as_github_now_has_it() {
    let server = Server::bind().await;
    let answer = recorded(
        "DependabotAlert.testUpdateAlertDismissed",
        "patch",
        "/repos/coopernetes/PyGithub/dependabot/alerts/1",
    );
    server.run(vec![json_ok(&answer, &[])]);
    let gh = github(&server, &[]);
    let at = RemoteRef {
        tracker: "github".into(),
        kind: RemoteKind::Dependabot,
        repo: "o/r".into(),
        number: 1,
    };
    let item = gh
        .apply(
            &at,
            &Operation::Dismiss {
                status: Status::AcceptedRisk,
                comment: "Example comment".into(),
            },
        )
        .await
        .expect("dismissed")
        .expect("the alert");
    assert!(matches!(
        item.state,
        RemoteState::Dismissed {
            status: Status::AcceptedRisk,
            ..
        }
    ));
    assert_eq!(item.at, at);
    assert_eq!(
        lines(&server),
        vec!["PATCH /api/v3/repos/o/r/dependabot/alerts/1 HTTP/1.1"]
    );
}

#[tokio::test]
async fn an_unreadable_answer_to_a_write_is_not_an_error() {
    // The change happened: failing would make the outbox send it again.
    let server = Server::bind().await;
    server.run(vec![ok("{\"surprise\": true}")]);
    let gh = github(&server, &[]);
    let got = gh
        .apply(&issue_ref(3), &Operation::Reopen)
        .await
        .expect("applied");
    assert!(got.is_none());
}

#[tokio::test]
async fn a_renamed_repository_is_followed_to_its_id() {
    let server = Server::bind().await;
    let moved = data("octokit-fixtures/rename-repository.json");
    let final_answer = moved
        .as_array()
        .expect("list")
        .iter()
        .find(|x| x["method"] == "get" && x["path"] == "/repositories/1000")
        .expect("recorded")["response"]
        .clone();
    server.run(vec![
        status(
            301,
            &["Location: /api/v3/repositories/1000"],
            r#"{"message":"Moved Permanently"}"#,
        ),
        json_ok(&final_answer, &[]),
    ]);
    let gh = github(&server, &[]);
    let (id, name) = gh
        .repo_info("octokit-fixture-org/rename-repository")
        .await
        .expect("repository");
    assert_eq!(
        (id, name.as_str()),
        (1000, "octokit-fixture-org/rename-repository-newname")
    );
    assert_eq!(
        lines(&server),
        vec![
            "GET /api/v3/repos/octokit-fixture-org/rename-repository HTTP/1.1",
            "GET /api/v3/repositories/1000 HTTP/1.1",
        ]
    );
}
