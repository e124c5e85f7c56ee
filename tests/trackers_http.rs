//! The tracker HTTP client against a scripted server on 127.0.0.1: retries, rate limits,
//! timeouts, broken bodies, redirects and pagination, with every wait recorded, not slept.

mod http_support;

use http_support::{Server, Step, ok, status};
use lastmile::trackers::http::{
    Client, Config, HttpError, RecordingSleeper, Request, Secret, Transport,
};
use reqwest::Method;
use std::sync::Arc;
use std::time::Duration;

const TOKEN: &str = "sekret-token-123";

fn config(server: &Server) -> Config {
    let mut c = Config::new(server.url("/api/v3"));
    c.token = Some(Secret::new(TOKEN));
    c.timeout = Duration::from_millis(400);
    c.connect_timeout = Duration::from_millis(400);
    c
}

fn client(server: &Server) -> (Client, Arc<RecordingSleeper>) {
    client_with(config(server))
}

fn client_with(c: Config) -> (Client, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::default());
    let client = Client::new(c)
        .expect("client")
        .with_sleeper(sleeper.clone());
    (client, sleeper)
}

async fn get(client: &Client, path: &str) -> Result<lastmile::trackers::http::Response, HttpError> {
    client.get(client.url(path).expect("url")).await
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[tokio::test]
async fn retry_after_on_429_then_success() {
    let server = Server::bind().await;
    server.run(vec![status(429, &["Retry-After: 7"], ""), ok("[1]")]);
    let (client, sleeper) = client(&server);
    let resp = get(&client, "repos/o/r/issues").await.expect("ok");
    assert_eq!(resp.json::<Vec<u32>>().expect("json"), vec![1]);
    assert_eq!(sleeper.waits(), vec![secs(7)]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn exhausted_primary_limit_waits_for_reset() {
    let server = Server::bind().await;
    let reset = chrono::Utc::now().timestamp() + 30;
    let h = [
        "x-ratelimit-remaining: 0".to_string(),
        format!("x-ratelimit-reset: {reset}"),
    ];
    let h: Vec<&str> = h.iter().map(String::as_str).collect();
    server.run(vec![
        status(403, &h, r#"{"message":"API rate limit exceeded"}"#),
        ok("{}"),
    ]);
    let (client, sleeper) = client(&server);
    get(&client, "rate").await.expect("ok");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1);
    // reset - now + 1 s of slack, give or take the second the test started in.
    assert!(waits[0] >= secs(29) && waits[0] <= secs(32), "{waits:?}");
}

#[tokio::test]
async fn secondary_limit_without_headers_waits_a_minute() {
    let server = Server::bind().await;
    server.run(vec![
        status(
            403,
            &[],
            r#"{"message":"You have exceeded a secondary rate limit"}"#,
        ),
        ok("{}"),
    ]);
    let (client, sleeper) = client(&server);
    get(&client, "x").await.expect("ok");
    assert_eq!(sleeper.waits(), vec![secs(60)]);
}

#[tokio::test]
async fn long_limit_reports_when_it_lifts_instead_of_sleeping() {
    let server = Server::bind().await;
    server.run(vec![status(429, &["Retry-After: 7200"], "")]);
    let (client, sleeper) = client(&server);
    let err = get(&client, "x").await.expect_err("limited");
    let until = err.rate_limited_until().expect("until");
    assert!(until > chrono::Utc::now() + chrono::Duration::minutes(119));
    assert!(err.to_string().contains("rate limited until"), "{err}");
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn server_errors_back_off_then_succeed() {
    let server = Server::bind().await;
    server.run(vec![
        status(502, &[], "bad gateway"),
        status(503, &[], ""),
        status(500, &[], ""),
        ok("{}"),
    ]);
    let (client, sleeper) = client(&server);
    get(&client, "x").await.expect("ok");
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 3);
    // Default policy: 0.5 s doubling; equal jitter keeps each in [d/2, d].
    for (w, full) in waits.iter().zip([500u64, 1000, 2000]) {
        let full = Duration::from_millis(full);
        assert!(*w >= full / 2 && *w <= full, "{waits:?}");
    }
}

#[tokio::test]
async fn persistent_server_error_fails_after_max_attempts() {
    let server = Server::bind().await;
    server.run((0..5).map(|_| status(502, &[], "down")).collect());
    let (client, sleeper) = client(&server);
    let err = get(&client, "x").await.expect_err("fails");
    assert_eq!(err.status(), Some(502));
    assert_eq!(sleeper.waits().len(), 4);
    assert_eq!(server.requests().len(), 5);
}

#[tokio::test]
async fn hang_past_the_timeout_is_retried() {
    let server = Server::bind().await;
    server.run(vec![Step::Hang(secs(3)), ok("{}")]);
    let (client, sleeper) = client(&server);
    get(&client, "x").await.expect("ok");
    assert_eq!(sleeper.waits().len(), 1);
}

#[tokio::test]
async fn truncated_body_is_retried() {
    let server = Server::bind().await;
    server.run(vec![
        Step::Truncate {
            announced: 100,
            sent: "[1,2".into(),
        },
        ok("[1,2,3]"),
    ]);
    let (client, sleeper) = client(&server);
    let resp = get(&client, "x").await.expect("ok");
    assert_eq!(resp.json::<Vec<u32>>().expect("json"), vec![1, 2, 3]);
    assert_eq!(sleeper.waits().len(), 1);
}

#[tokio::test]
async fn connection_reset_is_retried() {
    let server = Server::bind().await;
    server.run(vec![Step::Reset, ok("{}")]);
    let (client, sleeper) = client(&server);
    get(&client, "x").await.expect("ok");
    assert_eq!(sleeper.waits().len(), 1);
}

#[tokio::test]
async fn not_found_is_not_retried() {
    let server = Server::bind().await;
    server.run(vec![
        status(404, &[], r#"{"message":"Not Found"}"#),
        ok("{}"),
    ]);
    let (client, sleeper) = client(&server);
    let err = get(&client, "repos/o/r").await.expect_err("404");
    assert_eq!(err.status(), Some(404));
    let text = err.to_string();
    assert!(text.starts_with("GET http://127.0.0.1:"), "{text}");
    assert!(
        text.contains("/api/v3/repos/o/r: HTTP 404: {\"message\":\"Not Found\"}"),
        "{text}"
    );
    assert!(sleeper.waits().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn post_is_not_retried_after_a_timeout() {
    let server = Server::bind().await;
    server.run(vec![Step::Hang(secs(3)), ok("{}")]);
    let (client, _) = client(&server);
    let req = Request::new(Method::POST, client.url("repos/o/r/issues").expect("url"))
        .json(&serde_json::json!({"title": "t"}))
        .expect("body");
    match client.send(req).await {
        Err(HttpError::Transport { kind, attempts, .. }) => {
            assert_eq!(kind, Transport::Timeout);
            assert_eq!(attempts, 1);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}

fn has_auth(head: &str) -> bool {
    head.lines().any(|l| l.starts_with("authorization:"))
}

#[tokio::test]
async fn redirect_to_another_port_drops_the_token() {
    let (a, b) = (Server::bind().await, Server::bind().await);
    let location = format!("Location: {}", b.url("/moved/repo"));
    a.run(vec![status(307, &[location.as_str()], "")]);
    b.run(vec![ok("{}")]);
    let (client, _) = client(&a);
    let resp = get(&client, "repos/o/r").await.expect("ok");
    assert!(resp.redirected);
    assert_eq!(resp.url.as_str(), b.url("/moved/repo"));
    assert!(has_auth(&a.requests()[0]));
    let seen_by_b = &b.requests()[0];
    assert!(!has_auth(seen_by_b), "{seen_by_b}");
    assert!(!seen_by_b.contains(TOKEN));
}

#[tokio::test]
async fn same_host_redirect_keeps_the_token_and_reports_the_new_url() {
    let server = Server::bind().await;
    server.run(vec![
        status(301, &["Location: /api/v3/repositories/42"], ""),
        ok("{}"),
    ]);
    let (client, _) = client(&server);
    let resp = get(&client, "repos/old/name").await.expect("ok");
    assert_eq!(resp.url.path(), "/api/v3/repositories/42");
    let reqs = server.requests();
    assert!(
        reqs[1].starts_with("GET /api/v3/repositories/42 "),
        "{reqs:?}"
    );
    assert!(reqs.iter().all(|r| has_auth(r)));
}

#[tokio::test]
async fn redirect_loop_is_cut() {
    let server = Server::bind().await;
    server.run(
        (0..10)
            .map(|_| status(302, &["Location: /again"], ""))
            .collect(),
    );
    let (client, _) = client(&server);
    let err = get(&client, "x").await.expect_err("loop");
    assert!(matches!(err, HttpError::Redirect { .. }), "{err}");
}

#[tokio::test]
async fn pagination_follows_the_servers_links() {
    let server = Server::bind().await;
    // Page URLs the client could not guess: a cursor, then another path.
    let p2 = server.url("/api/v3/repositories/9/issues?after=Y3Vyc29y&per_page=2");
    let p3 = server.url("/api/v3/repositories/9/issues?after=bGFzdA&per_page=2");
    let link2 = format!(r#"Link: <{p2}>; rel="next", <{p3}>; rel="last""#);
    let link3 = format!(r#"Link: <{p3}>; rel="next""#);
    server.run(vec![
        status(200, &[link2.as_str()], "[1,2]"),
        status(200, &[link3.as_str()], "[3,4]"),
        status(200, &[r#"Link: </api/v3/first>; rel="first""#], "[5]"),
    ]);
    let (client, _) = client(&server);
    let mut pages = client.pages(client.url("repos/o/r/issues?per_page=2").expect("url"));
    let mut all = Vec::new();
    while let Some(page) = pages.next_page().await.expect("page") {
        all.extend(page.json::<Vec<u32>>().expect("json"));
    }
    assert_eq!(all, vec![1, 2, 3, 4, 5]);
    let lines: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.lines().next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        lines,
        vec![
            "GET /api/v3/repos/o/r/issues?per_page=2 HTTP/1.1",
            "GET /api/v3/repositories/9/issues?after=Y3Vyc29y&per_page=2 HTTP/1.1",
            "GET /api/v3/repositories/9/issues?after=bGFzdA&per_page=2 HTTP/1.1",
        ]
    );
}

#[test]
fn plain_http_is_refused_off_loopback() {
    for url in [
        "http://api.github.com",
        "http://192.168.1.10/api/v3",
        "ftp://x.test/",
    ] {
        let err = Client::new(Config::new(url)).expect_err(url);
        assert!(matches!(err, HttpError::Config(_)), "{err}");
        assert!(err.to_string().contains("https"), "{err}");
    }
    assert!(Client::new(Config::new("https://api.github.com")).is_ok());
    assert!(Client::new(Config::new("http://127.0.0.1:9/")).is_ok());
}

#[tokio::test]
async fn redirect_to_plain_http_elsewhere_is_refused() {
    let server = Server::bind().await;
    server.run(vec![status(
        302,
        &["Location: http://example.com/steal"],
        "",
    )]);
    let (client, _) = client(&server);
    let err = get(&client, "x").await.expect_err("refused");
    assert!(matches!(err, HttpError::Redirect { .. }), "{err}");
}

#[tokio::test]
async fn mutations_wait_their_turn_and_keep_a_gap() {
    let server = Server::bind().await;
    server.run(vec![ok("{}"), ok("{}"), ok("{}")]);
    let clock = Arc::new(lastmile::clock::FixedClock::new(chrono::Utc::now()));
    let (client, sleeper) = client(&server);
    let client = client.with_clock(clock.clone());
    let patch = || {
        Request::new(
            Method::PATCH,
            client.url("repos/o/r/issues/1").expect("url"),
        )
        .json(&serde_json::json!({"state": "closed"}))
        .expect("body")
    };
    // Two writes at once: the second waits for the first, then for the gap (the clock stands
    // still, so the whole second).
    let (a, b) = tokio::join!(client.send(patch()), client.send(patch()));
    a.expect("first");
    b.expect("second");
    assert_eq!(sleeper.waits(), vec![secs(1)]);
    // Reads never wait for writes.
    get(&client, "repos/o/r").await.expect("read");
    assert_eq!(sleeper.waits(), vec![secs(1)]);
    let reqs = server.requests();
    assert!(
        reqs[0].starts_with("PATCH ") && reqs[1].starts_with("PATCH "),
        "{reqs:?}"
    );
    assert!(
        reqs[0].contains("content-type: application/json"),
        "{reqs:?}"
    );
}

#[tokio::test]
async fn pagination_stops_on_a_link_loop_and_on_another_host() {
    let server = Server::bind().await;
    let again = format!(r#"Link: <{}>; rel="next""#, server.url("/api/v3/list"));
    let away = r#"Link: <https://elsewhere.test/list?page=2>; rel="next""#;
    server.run(vec![
        status(200, &[again.as_str()], "[]"),
        status(200, &[away], "[]"),
    ]);
    let (client, _) = client(&server);
    let mut pages = client.pages(client.url("list").expect("url"));
    pages.next_page().await.expect("first page");
    let err = pages.next_page().await.expect_err("loop");
    assert!(matches!(err, HttpError::Pagination { .. }), "{err}");

    let mut pages = client.pages(client.url("other").expect("url"));
    let err = pages.next_page().await.expect_err("elsewhere");
    assert!(err.to_string().contains("another host"), "{err}");
}
