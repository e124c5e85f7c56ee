//! Whole syncs (engine, GitHub connector, HTTP layer, real store) against a scripted loopback
//! server that misbehaves: 429 with Retry-After, 403 with an exhausted limit, 5xx bursts, a
//! hang past the timeout, a truncated body, a reset connection, and a crash between a ticket's
//! POST and the local commit. After each: no duplicate ticket, no lost outbox row, and a
//! watermark that never runs ahead of what was stored.

mod http_support;
mod support;

use http_support::{Server, Step, status};
use lastmile::model::DecisionKind;
use lastmile::store::outbox::OutboxRow;
use lastmile::store::{DecisionRequest, OutboxFilter, Store};
use lastmile::trackers::engine::{self, Context, Plan, Summary};
use lastmile::trackers::github::{GitHub, GithubSettings};
use lastmile::trackers::http::{Client, RecordingSleeper, Secret};
use lastmile::trackers::{NewTicket, RemoteKind};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use support::github::recorded_alerts;
use support::script::{Fixture, at, fixture};

const KEY: &str = "github:o/r:code_scanning";

fn repo() -> Step {
    status(200, &[], r#"{"id":7,"full_name":"o/r"}"#)
}

fn alerts_page() -> Step {
    status(200, &[], &Value::Array(recorded_alerts()).to_string())
}

struct Harness {
    f: Fixture,
    sleeper: Arc<RecordingSleeper>,
}

fn harness() -> Harness {
    Harness {
        f: fixture(),
        sleeper: Arc::new(RecordingSleeper::default()),
    }
}

fn github(server: &Server, kinds: Vec<RemoteKind>, sleeper: Arc<RecordingSleeper>) -> GitHub {
    let settings = GithubSettings {
        api: server.url(""),
        repos: vec!["o/r".into()],
        issue_labels: vec!["security".into()],
        token: Some(Secret::new("tok-fault")),
        kinds,
        timeout: Duration::from_millis(400),
        ..GithubSettings::default()
    };
    let client = Client::new(settings.http_config())
        .unwrap()
        .with_sleeper(sleeper);
    GitHub::with_client(settings, client).unwrap()
}

fn ticket(store: &Store, row: &OutboxRow) -> Result<NewTicket, String> {
    let f = store.finding(row.finding_id.unwrap()).unwrap().unwrap();
    let lastmile::store::outbox::Intent::Ticket { create_ticket } = &row.intent else {
        return Err("not a ticket".into());
    };
    Ok(NewTicket {
        repo: row.repo.clone(),
        title: f.row.title,
        body: format!("what and where\n\n<!-- {} -->", create_ticket.marker),
        labels: create_ticket.labels.clone(),
        assignees: vec![],
        marker: create_ticket.marker.clone(),
    })
}

impl Harness {
    /// One sync against a fresh server playing `steps`; returns the summary and the server.
    fn sync(&mut self, steps: Vec<Step>, kinds: Vec<RemoteKind>, plan: Plan) -> (Summary, Server) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let f = &mut self.f;
        let sleeper = self.sleeper.clone();
        rt.block_on(async {
            let server = Server::bind().await;
            server.run(steps);
            let gh = github(&server, kinds, sleeper);
            let policy = f.policy.clone();
            let ctx = Context {
                local_repos: HashMap::from([("o/r".to_string(), "repo".to_string())]),
                logins: HashMap::new(),
                policy: &policy,
                clock: &f.clock,
                ticket: &ticket,
            };
            let s = engine::sync(&gh, &mut f.store, &ctx, plan, &mut |_| {})
                .await
                .unwrap();
            (s, server)
        })
    }

    fn pull(&mut self, steps: Vec<Step>) -> (Summary, Server) {
        self.sync(steps, vec![RemoteKind::CodeScanning], PULL)
    }

    fn count(&self, sql: &str) -> i64 {
        self.f
            .store
            .raw_connection()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    fn watermark(&self) -> Option<String> {
        self.f
            .store
            .sync_mark(KEY)
            .unwrap()
            .watermark
            .map(lastmile::clock::stamp)
    }
}

const PULL: Plan = Plan {
    pull: true,
    push: false,
    dry_run: false,
};
const PUSH: Plan = Plan {
    pull: false,
    push: true,
    dry_run: false,
};

fn newest_recorded() -> String {
    recorded_alerts()
        .iter()
        .map(|a| a["updated_at"].as_str().unwrap().to_string())
        .max()
        .unwrap()
}

#[test]
fn a_429_with_retry_after_is_waited_out_and_the_pull_completes() {
    let mut h = harness();
    let (s, _) = h.pull(vec![
        repo(),
        status(429, &["Retry-After: 3"], r#"{"message":"slow down"}"#),
        alerts_page(),
    ]);
    assert!(s.errors.is_empty(), "{s:?}");
    assert_eq!(s.pulled.created, 14);
    assert!(
        h.sleeper.waits().contains(&Duration::from_secs(3)),
        "{:?}",
        h.sleeper.waits()
    );
    assert_eq!(h.watermark(), Some(newest_recorded()));
}

#[test]
fn an_exhausted_limit_stops_the_endpoint_with_nothing_half_stored() {
    let mut h = harness();
    let reset = (chrono::Utc::now() + chrono::Duration::hours(2)).timestamp();
    let limited = status(
        403,
        &[
            "x-ratelimit-remaining: 0",
            &format!("x-ratelimit-reset: {reset}"),
        ],
        r#"{"message":"API rate limit exceeded"}"#,
    );
    let (s, _) = h.pull(vec![repo(), limited]);
    assert!(s.rate_limited_until.is_some(), "{s:?}");
    assert!(s.errors[0].contains("rate limited until"), "{s:?}");
    assert_eq!(h.count("SELECT COUNT(*) FROM findings"), 0);
    assert_eq!(h.watermark(), None);
    // Later, the limit has lifted: the pull completes from the start.
    let (s, _) = h.pull(vec![repo(), alerts_page()]);
    assert_eq!(s.pulled.created, 14);
    assert_eq!(h.watermark(), Some(newest_recorded()));
}

#[test]
fn a_5xx_burst_a_hang_a_truncated_body_and_a_reset_are_retried() {
    let mut h = harness();
    let (s, server) = h.pull(vec![
        repo(),
        status(502, &[], "bad gateway"),
        Step::Hang(Duration::from_secs(3)),
        Step::Truncate {
            announced: 5000,
            sent: "[{\"number\":1".into(),
        },
        Step::Reset,
        alerts_page(),
    ]);
    assert!(s.errors.is_empty(), "{s:?}");
    assert_eq!(s.pulled.created, 14);
    assert_eq!(server.requests().len(), 6);
    assert_eq!(h.watermark(), Some(newest_recorded()));
}

#[test]
fn a_pull_that_keeps_failing_leaves_the_watermark_where_it_was() {
    let mut h = harness();
    h.pull(vec![repo(), alerts_page()]);
    let before = h.watermark();
    let events = h.count("SELECT COUNT(*) FROM events");
    let (s, _) = h.pull(vec![
        repo(),
        status(500, &[], "oops"),
        status(502, &[], "oops"),
        status(503, &[], "oops"),
        status(502, &[], "oops"),
        status(500, &[], "oops"),
    ]);
    assert_eq!(s.errors.len(), 1, "{s:?}");
    assert!(s.errors[0].contains("HTTP 500"), "{s:?}");
    assert_eq!(h.watermark(), before);
    assert_eq!(h.count("SELECT COUNT(*) FROM events"), events);
}

fn decide_false_positive(h: &mut Harness) -> i64 {
    let id: i64 =
        h.f.store
            .raw_connection()
            .query_row(
                // An open alert: a fixed one is never sent a dismissal.
                "SELECT finding_id FROM tracker_links WHERE state = 'open' ORDER BY number LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
    let req = DecisionRequest {
        kind: DecisionKind::FalsePositive,
        reason: "test code only".into(),
        until: None,
        control: None,
        target: None,
    };
    let policy = h.f.policy.clone();
    h.f.store
        .decide(&[id], &req, "alice", &policy, &h.f.clock)
        .unwrap();
    id
}

#[test]
fn pushes_survive_faults_without_losing_a_row() {
    let mut h = harness();
    h.pull(vec![repo(), alerts_page()]);
    decide_false_positive(&mut h);
    assert_eq!(h.f.store.outbox(OutboxFilter::Open).unwrap().len(), 1);
    // A PATCH is not idempotent: a 5xx or a reset is not retried inside the request, the row
    // waits for its backoff instead.
    let (s, server) = h.sync(vec![status(502, &[], "bad gateway")], vec![], PUSH);
    assert_eq!((s.pushed, s.pending, s.failed), (0, 1, 0), "{s:?}");
    assert_eq!(server.requests().len(), 1);
    h.f.clock.set(at("2026-01-01T01:00:00Z"));
    let (s, _) = h.sync(vec![Step::Reset], vec![], PUSH);
    assert_eq!((s.pushed, s.pending), (0, 1), "{s:?}");
    h.f.clock.set(at("2026-01-01T02:00:00Z"));
    let reset = (chrono::Utc::now() + chrono::Duration::hours(2)).timestamp();
    let (s, _) = h.sync(
        vec![status(
            429,
            &[
                "x-ratelimit-remaining: 0",
                &format!("x-ratelimit-reset: {reset}"),
            ],
            "{}",
        )],
        vec![],
        PUSH,
    );
    assert!(s.rate_limited_until.is_some());
    assert_eq!(s.pending, 1);
    let row = &h.f.store.outbox(OutboxFilter::Open).unwrap()[0];
    assert_eq!(row.attempts, 3);
    assert!(row.next_at.as_deref().unwrap() > "2026-01-01T03", "{row:?}");
    // The limit lifts; the dismissal goes through with the body GitHub expects.
    h.f.clock.set(at("2099-01-01T00:00:00Z"));
    let dismissed = {
        let mut a = recorded_alerts()[0].clone();
        a["state"] = json!("dismissed");
        a["dismissed_reason"] = json!("false positive");
        a
    };
    let (s, server) = h.sync(vec![status(200, &[], &dismissed.to_string())], vec![], PUSH);
    assert_eq!((s.pushed, s.pending, s.failed), (1, 0, 0), "{s:?}");
    assert!(server.requests()[0].starts_with("PATCH /repos/o/r/code-scanning/alerts/"));
    assert!(h.f.store.outbox(OutboxFilter::Open).unwrap().is_empty());
    assert_eq!(
        h.count("SELECT COUNT(*) FROM tracker_links WHERE state = 'dismissed'"),
        1
    );
}

#[test]
fn a_rejected_push_fails_for_good_and_waits_for_a_person() {
    let mut h = harness();
    h.pull(vec![repo(), alerts_page()]);
    decide_false_positive(&mut h);
    let (s, _) = h.sync(
        vec![status(422, &[], r#"{"message":"Validation Failed"}"#)],
        vec![],
        PUSH,
    );
    assert_eq!((s.pushed, s.failed), (0, 1));
    let failed = h.f.store.outbox(OutboxFilter::Failed).unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("422"));
    // Not sent again by the next sync.
    let (s, server) = h.sync(vec![], vec![], PUSH);
    assert_eq!(s.pushed, 0);
    assert!(server.requests().is_empty());
}

fn issue_with(marker: &str) -> Value {
    json!([{
        "number": 57,
        "title": "finding",
        "body": format!("what and where\n\n<!-- {marker} -->"),
        "state": "open",
        "labels": [{"name": "security"}],
        "assignees": [],
        "html_url": "https://github.com/o/r/issues/57",
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }])
}

#[test]
fn a_crash_between_the_ticket_post_and_the_commit_never_yields_a_second_ticket() {
    let mut h = harness();
    h.f.scan("a1 10\n");
    let id = h.f.id_of("a1");
    h.f.store
        .request_tickets(
            &[id],
            "github",
            "o/r",
            &["lastmile".into()],
            "alice",
            &h.f.clock,
        )
        .unwrap();
    let marker = match &h.f.store.outbox(OutboxFilter::Open).unwrap()[0].intent {
        lastmile::store::outbox::Intent::Ticket { create_ticket } => create_ticket.marker.clone(),
        other => panic!("{other:?}"),
    };
    // First sync: nothing carries the marker yet; the POST reaches the server, which opens
    // the issue, and the connection dies before the answer: lastmile never hears of it.
    let (s, first) = h.sync(vec![status(200, &[], "[]"), Step::Reset], vec![], PUSH);
    assert_eq!((s.pushed, s.pending), (0, 1), "{s:?}");
    assert!(first.requests()[1].starts_with("POST /repos/o/r/issues "));
    assert!(h.f.store.links(id).unwrap().is_empty());
    // Next sync: the issue is found by its marker and linked; no second POST.
    h.f.clock.set(at("2026-01-01T01:00:00Z"));
    let (s, second) = h.sync(
        vec![status(200, &[], &issue_with(&marker).to_string())],
        vec![],
        PUSH,
    );
    assert_eq!((s.pushed, s.pending, s.failed), (1, 0, 0), "{s:?}");
    let posts = second
        .requests()
        .iter()
        .filter(|r| r.starts_with("POST"))
        .count();
    assert_eq!(posts, 0);
    let links = h.f.store.links(id).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].at.number, 57);
    assert!(h.f.store.outbox(OutboxFilter::Open).unwrap().is_empty());
}

#[test]
fn a_renamed_repository_is_reported_and_its_numeric_id_stored_on_every_link() {
    let mut h = harness();
    let (s, _) = h.pull(vec![
        status(200, &[], r#"{"id":7,"full_name":"o/r-renamed"}"#),
        alerts_page(),
    ]);
    assert!(s.errors.is_empty(), "{s:?}");
    assert!(
        s.warnings[0].contains("renamed or moved to o/r-renamed"),
        "{s:?}"
    );
    assert_eq!(
        h.count("SELECT COUNT(*) FROM tracker_links WHERE repo_id = 7"),
        14
    );
}

#[test]
fn a_304_records_the_sync_time_and_keeps_the_watermark() {
    let mut h = harness();
    h.pull(vec![
        repo(),
        status(
            200,
            &[r#"ETag: W/"v1""#],
            &Value::Array(recorded_alerts()).to_string(),
        ),
    ]);
    let first = h.f.store.sync_mark(KEY).unwrap();
    assert_eq!(first.etag.as_deref(), Some(r#"W/"v1""#));
    h.f.clock.set(at("2026-01-05T00:00:00Z"));
    let (s, server) = h.pull(vec![repo(), status(304, &[], "")]);
    assert!(s.errors.is_empty(), "{s:?}");
    assert!(server.requests()[1].contains("if-none-match: W/\"v1\""));
    let after = h.f.store.sync_mark(KEY).unwrap();
    assert_eq!(after.synced_at.as_deref(), Some("2026-01-05T00:00:00Z"));
    assert_eq!((after.watermark, after.etag), (first.watermark, first.etag));
}
