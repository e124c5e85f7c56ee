//! The node harness (tests/node_harness) with our tracker HTTP client: real api.github.com
//! recordings replayed by @octokit/fixtures-server, and prism mocking and validating against
//! GitHub's OpenAPI description. Expected numbers come from the recordings themselves.

mod node_harness;

use lastmile::trackers::http::{Client, Config, HttpError, RecordingSleeper, Request, Secret};
use node_harness::{FixturesServer, Prism};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What GitHub recommends plus `application/json`: prism answers 406 to the vendor type alone
/// (the spec only lists application/json), and real GitHub accepts the pair.
const ACCEPT: &str = "application/vnd.github+json, application/json";

fn github_client(base: &str) -> (Client, Arc<RecordingSleeper>) {
    let mut c = Config::new(base);
    c.token = Some(Secret::new("harness-token"));
    c.headers = vec![
        ("Accept".into(), ACCEPT.into()),
        ("X-GitHub-Api-Version".into(), "2022-11-28".into()),
    ];
    // Below GitHub's one-minute secondary wait, so a limit is reported, not waited out.
    c.retry.max_wait = Duration::from_secs(10);
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::new(c)
        .expect("client")
        .with_sleeper(sleeper.clone());
    (client, sleeper)
}

async fn get(client: &Client, path: &str) -> Result<lastmile::trackers::http::Response, HttpError> {
    client.get(client.url(path).expect("url")).await
}

/// A nock-format scenario from the shared data: the list of recorded exchanges.
fn recording(dir: &Path, scenario: &str) -> Vec<Value> {
    let path = dir.join(format!("{scenario}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The recording keeps only each issue's `id` (PyGithub trimmed the bodies).
fn ids(issues: &[Value]) -> Vec<u64> {
    issues
        .iter()
        .map(|i| i["id"].as_u64().expect("issue id"))
        .collect()
}

#[tokio::test]
async fn link_pagination_walks_every_recorded_page() {
    let scenario = "PaginatedList.testIteration";
    let recorded = recording(&node_harness::pygithub_scenarios(), scenario);
    let want: Vec<Vec<u64>> = recorded
        .iter()
        .map(|e| ids(e["response"].as_array().expect("issue list")))
        .collect();
    // The recording's own counts; pinned so a changed file cannot shrink the test unnoticed.
    assert_eq!(want.len(), 14);
    assert_eq!(want.iter().map(Vec::len).sum::<usize>(), 333);

    let server = FixturesServer::github();
    let (client, sleeper) = github_client(&server.load(scenario));
    let first = recorded[0]["path"].as_str().expect("path");
    let mut pages = client.pages(client.url(first).expect("url"));
    let mut got = Vec::new();
    while let Some(page) = pages.next_page().await.expect("page") {
        assert_eq!(page.status, 200);
        got.push(ids(&page.json::<Vec<Value>>().expect("issues")));
    }
    // Same issues in the same order: no page skipped, repeated, or followed past the last
    // (whose rel="last" points back at page 1, a real GitHub quirk).
    assert_eq!(got, want, "fixtures-server log:\n{}", server.log());
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn octokit_recordings_replay_with_octokits_exact_headers() {
    // @octokit/fixtures match request headers exactly: its token scheme and v3 media type.
    let scenario = "paginate-issues";
    let recorded = recording(&node_harness::octokit_scenarios(), scenario);
    let want: Vec<Vec<u64>> = recorded
        .iter()
        .map(|e| ids(e["response"].as_array().expect("issue list")))
        .collect();
    assert_eq!(want.len(), 5);
    let first = recorded[0]["path"].as_str().expect("path");
    let reqheaders = &recorded[0]["reqheaders"];
    let server = FixturesServer::github();

    let mut c = Config::new(server.load(scenario));
    c.headers = ["accept", "authorization"]
        .iter()
        .map(|h| (h.to_string(), reqheaders[h].as_str().expect(h).to_string()))
        .collect();
    let client = Client::new(c).expect("client");
    let mut pages = client.pages(client.url(first).expect("url"));
    let mut got = Vec::new();
    while let Some(page) = pages.next_page().await.expect("page") {
        got.push(ids(&page.json::<Vec<Value>>().expect("issues")));
    }
    // Links lead from /repos/{owner}/{repo} to /repositories/{id}: followed as given.
    assert_eq!(got, want, "fixtures-server log:\n{}", server.log());

    // Our usual headers (Bearer, vnd.github+json) do not match these recordings.
    let (usual, _) = github_client(&server.load(scenario));
    let err = get(&usual, first).await.expect_err("no match");
    assert_eq!(err.status(), Some(404), "{err}");
}

#[tokio::test]
async fn conditional_request_gets_304_not_an_error() {
    // The nock scenario drops request headers; this copy requires the If-None-Match PyGithub
    // sent (pygithub-replay keeps it), so the 304 proves we sent it.
    let scenario = "ConditionalRequestUpdate.testDidNotUpdate";
    let data = node_harness::github_data();
    let sent = &recording(&data.join("pygithub-replay"), scenario)[0]["request_headers"];
    let etag = sent["If-None-Match"]
        .as_str()
        .expect("If-None-Match")
        .to_string();
    let mut fixture = recording(&node_harness::pygithub_scenarios(), scenario);
    assert_eq!(fixture.len(), 1);
    fixture[0]["reqheaders"] = json!({ "if-none-match": etag });
    let path = fixture[0]["path"].as_str().expect("path").to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("conditional.json"),
        serde_json::to_vec(&fixture).expect("json"),
    )
    .expect("write scenario");
    let server = FixturesServer::start(&[dir.path()]);

    let (client, _) = github_client(&server.load("conditional"));
    let req = Request::new(Method::GET, client.url(&path).expect("url"))
        .header("If-None-Match", &etag)
        .expect("header");
    let resp = client.send(req).await.expect("304 is a response");
    assert_eq!(resp.status, 304, "{}", server.log());
    assert!(resp.body.is_empty());
    assert_eq!(resp.header("etag"), Some(etag.as_str()));

    // Without the header the server has nothing to replay: the check above is real.
    let (bare, _) = github_client(&server.load("conditional"));
    let err = get(&bare, &path).await.expect_err("no match");
    assert_eq!(err.status(), Some(404), "{err}");
}

/// Asserts `err` is a rate limit lifting about `secs` after the request.
fn assert_limited_for(err: &HttpError, secs: i64, sent: chrono::DateTime<chrono::Utc>) {
    let until = err
        .rate_limited_until()
        .unwrap_or_else(|| panic!("expected a rate limit, got: {err}"));
    let after = (until - sent).num_seconds();
    // A second of slack each side for the clock ticking during the request.
    assert!(
        (secs - 1..=secs + 1).contains(&after),
        "limit lifts {after} s after the request, expected {secs}: {err}"
    );
}

#[tokio::test]
async fn exhausted_primary_limit_is_reported() {
    // 2013: 200 with x-ratelimit-remaining 0, then 403 "API Rate Limit Exceeded" with
    // remaining 0 and no reset header.
    let scenario = "SpecificExceptions.testRateLimitExceeded";
    let recorded = recording(&node_harness::pygithub_scenarios(), scenario);
    assert_eq!(recorded[1]["status"], 403);
    assert_eq!(recorded[1]["headers"]["x-ratelimit-remaining"], "0");
    assert!(recorded[1]["headers"].get("x-ratelimit-reset").is_none());
    let path = recorded[0]["path"].as_str().expect("path");

    let (client, sleeper) = github_client(&FixturesServer::github().load(scenario));
    let first = get(&client, path).await.expect("first call");
    assert_eq!(first.header("x-ratelimit-remaining"), Some("0"));
    let sent = chrono::Utc::now();
    let err = get(&client, path).await.expect_err("limited");
    // No reset to wait for: the one-minute fallback, beyond this client's 10 s budget.
    assert_limited_for(&err, 60, sent);
    assert!(sleeper.waits().is_empty(), "{:?}", sleeper.waits());
}

#[tokio::test]
async fn secondary_limit_with_retry_after_is_reported() {
    // 2018: a search, then 403 "abuse detection mechanism" with retry-after: 60.
    let scenario = "SpecificExceptions.testAuthenticatedRateLimitExceeded";
    let recorded = recording(&node_harness::pygithub_scenarios(), scenario);
    assert_eq!(recorded[1]["status"], 403);
    let retry_after: i64 = recorded[1]["headers"]["retry-after"]
        .as_str()
        .expect("retry-after")
        .parse()
        .expect("seconds");
    let path = recorded[0]["path"].as_str().expect("path");

    let (client, sleeper) = github_client(&FixturesServer::github().load(scenario));
    get(&client, path).await.expect("first search");
    let sent = chrono::Utc::now();
    let err = get(&client, path).await.expect_err("limited");
    assert_limited_for(&err, retry_after, sent);
    assert!(err.to_string().contains("rate limited until"), "{err}");
    assert!(sleeper.waits().is_empty(), "{:?}", sleeper.waits());
}

#[tokio::test]
async fn prism_mock_serves_code_scanning_alerts_from_the_spec() {
    let prism = Prism::github_mock();
    let (client, _) = github_client(&prism.url());
    let resp = get(&client, "repos/o/r/code-scanning/alerts")
        .await
        .unwrap_or_else(|e| panic!("{e}\nprism log:\n{}", prism.log()));
    assert_eq!(resp.status, 200);
    // Static mode answers with the spec's example, saved beside the spec.
    let example = node_harness::github_data()
        .join("openapi-examples/code-scanning__list-alerts-for-repo.200.json");
    let example: Value =
        serde_json::from_slice(&std::fs::read(example).expect("example")).expect("json");
    assert_eq!(resp.json::<Value>().expect("json"), example["body"]);
}

/// Waits for prism to log `needle` (it logs just before answering; our reader is a thread).
fn wait_for_log(prism: &Prism, needle: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if prism.log().contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[tokio::test]
async fn prism_mock_rejects_a_dismissed_reason_outside_the_spec() {
    let prism = Prism::github_mock();
    let (client, _) = github_client(&prism.url());
    let patch = |reason: &str| {
        Request::new(
            Method::PATCH,
            client
                .url("repos/o/r/code-scanning/alerts/42")
                .expect("url"),
        )
        .json(&json!({ "state": "dismissed", "dismissed_reason": reason }))
        .expect("body")
    };
    let err = client
        .send(patch("not a bug"))
        .await
        .expect_err("prism rejects the enum");
    let status = err
        .status()
        .unwrap_or_else(|| panic!("not an HTTP status: {err}"));
    assert!((400..500).contains(&status), "{err}");
    assert!(
        wait_for_log(
            prism,
            "Request body property dismissed_reason must be equal to one of the allowed values"
        ),
        "prism log:\n{}",
        prism.log()
    );
    // A reason from the spec passes: prism does not reject every PATCH.
    let resp = client.send(patch("false positive")).await.expect("valid");
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn prism_proxy_validates_requests_and_replays_real_responses() {
    let scenario = "CodeScanAlert.testMultipleAlerts";
    let recorded = recording(&node_harness::pygithub_scenarios(), scenario);
    let path = recorded[0]["path"].as_str().expect("path");
    let alerts = recorded[0]["response"].as_array().expect("alerts").len();
    assert_eq!(alerts, 14);

    let server = FixturesServer::github();
    let prism = Prism::proxy(&node_harness::github_spec(), &server.load(scenario));
    let (client, _) = github_client(&prism.url());
    // An enum the spec lacks ("closed" is in GitHub's prose only) stops at prism: had it been
    // forwarded, the replay's query mismatch would be a 404 and the next request would fail.
    let err = get(&client, &format!("{path}?state=closed"))
        .await
        .expect_err("invalid");
    assert_eq!(err.status(), Some(422), "{err}");
    // The real 2025 response passes the spec's response validation (--errors).
    let resp = get(&client, path)
        .await
        .unwrap_or_else(|e| panic!("{e}\nprism log:\n{}", prism.log()));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json::<Vec<Value>>().expect("alerts").len(), alerts);
}

#[test]
fn dropping_a_server_ends_its_process_group() {
    let dir = node_harness::octokit_scenarios();
    let server = FixturesServer::start(&[&dir]);
    let (port, group) = (server.port(), server.process_group());
    assert!(group_alive(group));
    drop(server);
    // The supervisor's watcher and node both go: nothing is left to orphan.
    let deadline = Instant::now() + Duration::from_secs(5);
    while group_alive(group) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !group_alive(group),
        "process group {group} outlived the drop"
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// `kill -0 -PGID` succeeds while any process of the group exists.
fn group_alive(group: u32) -> bool {
    std::process::Command::new("kill")
        .args(["-0", "--", &format!("-{group}")])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("kill")
        .success()
}
