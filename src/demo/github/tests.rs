use super::*;
use crate::clock::FixedClock;
use serde_json::{Value, json};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn alert(n: i64, updated: &str) -> Value {
    json!({
        "number": n,
        "state": "open",
        "created_at": updated,
        "updated_at": updated,
        "rule": { "id": "py/sql-injection" },
        "most_recent_instance": { "location": { "path": "app.py", "start_line": n } },
    })
}

fn world() -> World {
    let mut repo = Repo::new(42, "acme/app");
    for n in 1..=7 {
        repo.code_scanning
            .push(alert(n, &format!("2026-10-0{n}T00:00:00Z")));
    }
    repo.dependabot.push(json!({
        "number": 1, "state": "open", "updated_at": "2026-10-01T00:00:00Z",
    }));
    repo.refuse.push((AlertKind::Dependabot, 1));
    World {
        repos: vec![repo],
        issue_template: json!({ "pull_request": { "url": "x" }, "milestone": { "title": "v1" } }),
        comment_template: json!({}),
    }
}

fn request(method: &str, target: &str, body: Option<Value>) -> Request {
    let url = reqwest::Url::parse(&format!("http://replay{target}")).unwrap();
    Request {
        method: method.into(),
        segments: url.path_segments().unwrap().map(str::to_string).collect(),
        query: url.query_pairs().into_owned().collect(),
        headers: Vec::new(),
        body: body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default(),
    }
}

const NOW: &str = "2026-11-01T12:00:00Z";
const BASE: &str = "http://127.0.0.1:9";

fn handle(w: &mut World, req: &Request) -> Reply {
    w.handle(req, BASE, at(NOW))
}

fn numbers(r: &Reply) -> Vec<i64> {
    r.body
        .as_ref()
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter_map(world::number_of)
        .collect()
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn lists_page_by_five_with_link_and_answer_304_to_their_etag() {
    let mut w = world();
    let first = handle(
        &mut w,
        &request(
            "GET",
            "/repos/acme/app/code-scanning/alerts?sort=updated&direction=desc&per_page=100",
            None,
        ),
    );
    assert_eq!(first.status, 200);
    assert_eq!(numbers(&first), vec![7, 6, 5, 4, 3]);
    let link = header(&first, "link").unwrap();
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .unwrap();
    let next = next.trim_start_matches('<').split('>').next().unwrap();
    assert!(next.starts_with(BASE), "{next}");
    assert!(
        next.contains("direction=desc") && next.contains("page=2"),
        "{next}"
    );

    let target = next.strip_prefix(BASE).unwrap();
    let second = handle(&mut w, &request("GET", target, None));
    assert_eq!(numbers(&second), vec![2, 1]);
    assert!(!header(&second, "link").unwrap().contains("rel=\"next\""));

    let etag = header(&first, "etag").unwrap().to_string();
    let mut again = request(
        "GET",
        "/repos/acme/app/code-scanning/alerts?sort=updated&direction=desc&per_page=100",
        None,
    );
    again.headers.push(("if-none-match".into(), etag.clone()));
    assert_eq!(handle(&mut w, &again).status, 304);

    // A change makes the first page new again.
    let patch = request(
        "PATCH",
        "/repos/acme/app/code-scanning/alerts/2",
        Some(json!({ "state": "dismissed", "dismissed_reason": "won't fix" })),
    );
    assert_eq!(handle(&mut w, &patch).status, 200);
    let fresh = handle(&mut w, &again);
    assert_eq!(fresh.status, 200);
    assert_eq!(numbers(&fresh)[0], 2, "the dismissal is the newest change");
}

#[test]
fn a_dismissal_stays_and_needs_a_reason_github_knows() {
    let mut w = world();
    let path = "/repos/acme/app/code-scanning/alerts/3";
    let bad = handle(
        &mut w,
        &request(
            "PATCH",
            path,
            Some(json!({ "state": "dismissed", "dismissed_reason": "tolerable_risk" })),
        ),
    );
    assert_eq!(bad.status, 422);
    let ok = handle(
        &mut w,
        &request(
            "PATCH",
            path,
            Some(json!({
                "state": "dismissed",
                "dismissed_reason": "false positive",
                "dismissed_comment": "not reachable",
            })),
        ),
    );
    assert_eq!(ok.status, 200);
    let body = ok.body.unwrap();
    assert_eq!(body["state"], "dismissed");
    assert_eq!(body["dismissed_by"]["login"], world::LOGIN);
    assert_eq!(body["updated_at"], NOW);
    let got = handle(&mut w, &request("GET", path, None)).body.unwrap();
    assert_eq!(got["dismissed_comment"], "not reachable");
    let long = handle(
        &mut w,
        &request(
            "PATCH",
            path,
            Some(
                json!({ "state": "dismissed", "dismissed_reason": "won't fix", "dismissed_comment": "x".repeat(281) }),
            ),
        ),
    );
    assert_eq!(long.status, 422);
    let reopened = handle(
        &mut w,
        &request("PATCH", path, Some(json!({ "state": "open" }))),
    );
    assert_eq!(reopened.body.unwrap()["dismissed_reason"], Value::Null);
}

#[test]
fn the_refused_alert_answers_422() {
    let mut w = world();
    let r = handle(
        &mut w,
        &request(
            "PATCH",
            "/repos/acme/app/dependabot/alerts/1",
            Some(json!({ "state": "dismissed", "dismissed_reason": "tolerable_risk" })),
        ),
    );
    assert_eq!(r.status, 422);
    assert_eq!(r.body.unwrap()["message"], "Validation Failed");
}

#[test]
fn a_created_issue_echoes_what_was_posted_and_is_listed_by_its_labels() {
    let mut w = world();
    let body = "Details\n\n<!-- lastmile:00000000000000ab -->";
    let created = handle(
        &mut w,
        &request(
            "POST",
            "/repos/acme/app/issues",
            Some(
                json!({ "title": "SQL injection", "body": body, "labels": ["lastmile", "security"] }),
            ),
        ),
    );
    assert_eq!(created.status, 201);
    let issue = created.body.unwrap();
    assert_eq!(issue["number"], 1);
    assert_eq!(issue["body"], body);
    assert_eq!(issue["title"], "SQL injection");
    assert_eq!(issue["labels"][1]["name"], "security");
    assert!(
        issue.get("pull_request").is_none(),
        "an issue, not a pull request"
    );
    assert_eq!(issue["milestone"], Value::Null);

    let list = |w: &mut World, q: &str| {
        numbers(&handle(
            w,
            &request("GET", &format!("/repos/acme/app/issues?{q}"), None),
        ))
    };
    assert_eq!(list(&mut w, "state=all&labels=security"), vec![1]);
    assert_eq!(
        list(&mut w, "state=all&labels=security,other"),
        Vec::<i64>::new()
    );
    assert_eq!(
        list(&mut w, "state=all&since=2026-11-02T00:00:00Z"),
        Vec::<i64>::new()
    );

    let missing = handle(
        &mut w,
        &request(
            "POST",
            "/repos/acme/app/issues",
            Some(json!({ "body": "x" })),
        ),
    );
    assert_eq!(missing.status, 422);

    let commented = handle(
        &mut w,
        &request(
            "POST",
            "/repos/acme/app/issues/1/comments",
            Some(json!({ "body": "confirmed" })),
        ),
    );
    assert_eq!(commented.status, 201);
    let closed = handle(
        &mut w,
        &request(
            "PATCH",
            "/repos/acme/app/issues/1",
            Some(json!({ "state": "closed", "state_reason": "not_planned" })),
        ),
    );
    let closed = closed.body.unwrap();
    assert_eq!(closed["state_reason"], "not_planned");
    assert_eq!(closed["comments"], 1);
    assert_eq!(
        list(&mut w, "labels=security"),
        Vec::<i64>::new(),
        "open only by default"
    );

    let labels = handle(
        &mut w,
        &request(
            "POST",
            "/repos/acme/app/issues/1/labels",
            Some(json!({ "labels": ["triaged"] })),
        ),
    );
    assert_eq!(labels.body.unwrap().as_array().unwrap().len(), 3);
    assert_eq!(
        handle(
            &mut w,
            &request("DELETE", "/repos/acme/app/issues/1/labels/triaged", None)
        )
        .status,
        200
    );
    assert_eq!(
        handle(
            &mut w,
            &request("DELETE", "/repos/acme/app/issues/1/labels/triaged", None)
        )
        .status,
        404
    );
    let assigned = handle(
        &mut w,
        &request(
            "POST",
            "/repos/acme/app/issues/1/assignees",
            Some(json!({ "assignees": ["dana"] })),
        ),
    );
    assert_eq!(assigned.body.unwrap()["assignee"]["login"], "dana");
}

#[test]
fn anything_else_is_a_json_404_or_400() {
    let mut w = world();
    for (method, target) in [
        ("GET", "/"),
        ("GET", "/repos/acme/other"),
        ("GET", "/repos/acme/app/secret-scanning/alerts"),
        ("PATCH", "/repos/acme/app/code-scanning/alerts/0"),
        ("PATCH", "/repos/acme/app/code-scanning/alerts/99"),
        ("GET", "/repos/acme/app/issues/-1"),
        ("BREW", "/repos/acme/app/issues"),
    ] {
        let r = handle(&mut w, &request(method, target, None));
        assert_eq!(r.status, 404, "{method} {target}");
        assert!(r.body.unwrap()["message"].is_string());
    }
    let mut garbled = request("POST", "/repos/acme/app/issues", None);
    garbled.body = b"{not json".to_vec();
    assert_eq!(handle(&mut w, &garbled).status, 400);
    let not_object = request("POST", "/repos/acme/app/issues", Some(json!([1, 2])));
    assert_eq!(handle(&mut w, &not_object).status, 422);
}

fn raw(replay: &Replay, bytes: &[u8]) -> String {
    let addr = replay.api().trim_start_matches("http://").to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn the_server_answers_odd_requests_and_keeps_serving() {
    let clock = Arc::new(FixedClock::new(at(NOW)));
    let replay = Replay::start(world(), clock).unwrap();
    for (bytes, status) in [
        (&b"hello\r\n\r\n"[..], "400"),
        (b"GET /repos/acme/app HTTP/2\r\n\r\n", "505"),
        (b"GET http://evil/ HTTP/1.1\r\n\r\n", "404"),
        (
            b"POST /repos/acme/app/issues HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
            "413",
        ),
        (
            b"POST /repos/acme/app/issues HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "411",
        ),
        (
            b"POST /repos/acme/app/issues HTTP/1.1\r\nContent-Length: 10\r\n\r\n{",
            "400",
        ),
        (b"GET /repos/acme/app/%ff%fe HTTP/1.1\r\n\r\n", "404"),
        (b"", "400"),
    ] {
        let answer = raw(&replay, bytes);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{:?} -> {answer}",
            String::from_utf8_lossy(bytes)
        );
        if !answer.is_empty() {
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
            let v: Value = serde_json::from_str(body).unwrap();
            assert!(v["message"].is_string(), "{answer}");
        }
    }
    let huge_head = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEAD + 10));
    assert!(raw(&replay, huge_head.as_bytes()).starts_with("HTTP/1.1 431 "));
    let ok = raw(&replay, b"GET /repos/acme/app HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(ok.starts_with("HTTP/1.1 200 "), "{ok}");
    assert!(ok.contains("\"full_name\":\"acme/app\""), "{ok}");
    let api = replay.api();
    drop(replay);
    let addr = api.trim_start_matches("http://").to_string();
    assert!(
        TcpStream::connect(addr).is_err(),
        "dropping the stand-in stops it"
    );
}

#[test]
fn the_real_connector_walks_both_pages() {
    use crate::trackers::{Cursor, Tracker};
    let clock = Arc::new(FixedClock::new(at(NOW)));
    let replay = Replay::start(world(), clock).unwrap();
    let settings = crate::trackers::github::GithubSettings {
        api: replay.api(),
        repos: vec!["acme/app".into()],
        ..Default::default()
    };
    let gh = crate::trackers::github::GitHub::new(settings).unwrap();
    let ep = gh
        .endpoints()
        .into_iter()
        .find(|e| e.kind == crate::trackers::RemoteKind::CodeScanning)
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (first, second) = rt.block_on(async {
        let first = gh.pull_page(&ep, &Cursor::default()).await.unwrap();
        let cursor = Cursor {
            next: first.next.clone(),
            ..Cursor::default()
        };
        let second = gh.pull_page(&ep, &cursor).await.unwrap();
        (first, second)
    });
    assert_eq!(first.items.len(), 5);
    assert!(first.etag.is_some());
    assert_eq!(second.items.len(), 2);
    assert!(second.next.is_none());
    let info = rt.block_on(gh.repo_info("acme/app")).unwrap();
    assert_eq!(info, (42, "acme/app".to_string()));
}
