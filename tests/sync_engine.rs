//! The sync engine's rules through the real store: matching, conflicts, the outbox's order,
//! retries and permanent failures, watermarks, and a ticket whose creation was interrupted.
//! The tracker here is a scripted in-memory one, so each rule is pinned on its own; the GitHub
//! connector is tested on recorded traffic and loopback servers elsewhere.

use chrono::{DateTime, Utc};
use lastmile::model::{DecisionKind, Severity, Status};
use lastmile::store::outbox::OutboxRow;
use lastmile::store::{AssignHow, Assignment, DecisionRequest, OutboxFilter, Store};
use lastmile::trackers::engine::{self, Context, Plan, Summary};
use lastmile::trackers::http::HttpError;
use lastmile::trackers::{
    Capabilities, Cursor, Endpoint, NewTicket, Operation, Pulled, RemoteItem, RemoteKind,
    RemoteRef, RemoteState, Tracker, TrackerError,
};
use std::collections::HashMap;
use std::sync::Mutex;

mod support;
use support::script::{Fixture, at, fixture};

const REPO: &str = "acme/app";

/// A tracker held in memory: alerts and issues, failures to inject, and every call recorded.
#[derive(Default)]
struct Scripted {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    alerts: Vec<RemoteItem>,
    issues: Vec<RemoteItem>,
    /// Operations applied, in order.
    applied: Vec<(RemoteRef, Operation)>,
    created: Vec<NewTicket>,
    /// The next pull of this page number fails (transiently).
    fail_page: Option<u32>,
    /// The next `apply` calls fail with these (None: succeed).
    apply_failures: Vec<Option<TrackerError>>,
    /// Create the ticket, then report a timeout: the response is lost after the POST.
    lose_create_response: bool,
    page_size: usize,
}

fn transient() -> TrackerError {
    TrackerError::Transient(HttpError::Status {
        method: "PATCH".into(),
        url: "https://tracker/x".into(),
        status: 502,
        excerpt: String::new(),
    })
}

fn permanent() -> TrackerError {
    TrackerError::Permanent(HttpError::Status {
        method: "PATCH".into(),
        url: "https://tracker/x".into(),
        status: 422,
        excerpt: "Validation Failed".into(),
    })
}

fn alert(number: i64, rule: &str, line: i64, updated: &str, state: RemoteState) -> RemoteItem {
    RemoteItem {
        at: RemoteRef {
            tracker: "github".into(),
            kind: RemoteKind::CodeScanning,
            repo: REPO.into(),
            number,
        },
        repo_id: Some(42),
        url: Some(format!(
            "https://github.com/{REPO}/security/code-scanning/{number}"
        )),
        state,
        created_at: None,
        updated_at: at(updated),
        assignees: vec![],
        labels: vec![],
        title: format!("alert {number}"),
        message: "from the tracker".into(),
        tool: Some("CodeQL".into()),
        rule: Some(rule.into()),
        severity: Severity::High,
        score: None,
        cwe: None,
        cve: None,
        ghsa: None,
        path: Some("src/app.py".into()),
        start_line: Some(line),
        end_line: Some(line),
        help_uri: None,
        marker: None,
    }
}

fn issue_of(number: i64, marker: &str, updated: &str, assignees: &[&str]) -> RemoteItem {
    let mut i = alert(number, "-", 0, updated, RemoteState::Open);
    i.at.kind = RemoteKind::Issue;
    i.rule = None;
    i.path = None;
    i.start_line = None;
    i.marker = Some(marker.into());
    i.assignees = assignees.iter().map(|s| s.to_string()).collect();
    i
}

fn page_url(n: u32) -> reqwest::Url {
    reqwest::Url::parse(&format!("https://tracker.test/page/{n}")).unwrap()
}

impl Tracker for Scripted {
    fn name(&self) -> &str {
        "github"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            pull_alerts: true,
            pull_issues: true,
            dismiss_alerts: true,
            create_tickets: true,
        }
    }
    fn endpoints(&self) -> Vec<Endpoint> {
        [RemoteKind::CodeScanning, RemoteKind::Issue]
            .into_iter()
            .map(|kind| Endpoint {
                tracker: "github".into(),
                repo: REPO.into(),
                kind,
                key: format!("github:{REPO}:{}", kind.as_str()),
            })
            .collect()
    }
    async fn pull_page(&self, ep: &Endpoint, cursor: &Cursor) -> Result<Pulled, TrackerError> {
        let mut s = self.state.lock().unwrap();
        let page: u32 = cursor
            .next
            .as_ref()
            .map_or(1, |u| u.path().rsplit('/').next().unwrap().parse().unwrap());
        if s.fail_page == Some(page) {
            s.fail_page = None;
            return Err(transient());
        }
        let mut items = match ep.kind {
            RemoteKind::Issue => s.issues.clone(),
            _ => s.alerts.clone(),
        };
        // Alerts newest first, issues oldest first, as GitHub is asked for them.
        items.sort_by_key(|i| i.updated_at);
        if ep.kind != RemoteKind::Issue {
            items.reverse();
        }
        if let Some(w) = cursor.watermark {
            items.retain(|i| i.updated_at >= w);
        }
        let size = s.page_size.max(1);
        let start = (page as usize - 1) * size;
        let chunk: Vec<_> = items.iter().skip(start).take(size).cloned().collect();
        let more = items.len() > start + size;
        Ok(Pulled {
            items: chunk,
            next: more.then(|| page_url(page + 1)),
            etag: None,
            not_modified: false,
            skipped: 0,
        })
    }
    async fn apply(
        &self,
        target: &RemoteRef,
        op: &Operation,
    ) -> Result<Option<RemoteItem>, TrackerError> {
        let mut s = self.state.lock().unwrap();
        if !s.apply_failures.is_empty()
            && let Some(e) = s.apply_failures.remove(0)
        {
            return Err(e);
        }
        s.applied.push((target.clone(), op.clone()));
        // Alerts answer with their new state, as GitHub does.
        let Some(a) = s.alerts.iter_mut().find(|a| a.at == *target) else {
            return Ok(None);
        };
        match op {
            Operation::Dismiss { status, .. } => {
                a.state = RemoteState::Dismissed {
                    reason: Some("won't fix".into()),
                    comment: None,
                    by: Some("lastmile-bot".into()),
                    status: *status,
                }
            }
            Operation::Reopen => a.state = RemoteState::Open,
            _ => return Ok(None),
        }
        Ok(Some(a.clone()))
    }
    async fn find_ticket(
        &self,
        repo: &str,
        marker: &str,
        _since: DateTime<Utc>,
    ) -> Result<Option<RemoteItem>, TrackerError> {
        let s = self.state.lock().unwrap();
        Ok(s.issues
            .iter()
            .find(|i| i.at.repo == repo && i.marker.as_deref() == Some(marker))
            .cloned())
    }
    async fn create_ticket(&self, t: &NewTicket) -> Result<RemoteItem, TrackerError> {
        let mut s = self.state.lock().unwrap();
        s.created.push(t.clone());
        let number = 100 + s.created.len() as i64;
        let item = issue_of(number, &t.marker, "2026-01-02T00:00:00Z", &[]);
        s.issues.push(item.clone());
        if std::mem::take(&mut s.lose_create_response) {
            return Err(transient());
        }
        Ok(item)
    }
}

fn ticket_for(store: &Store, row: &OutboxRow) -> Result<NewTicket, String> {
    let f = store
        .finding(row.finding_id.unwrap())
        .map_err(|e| e.to_string())?
        .unwrap();
    let lastmile::store::outbox::Intent::Ticket { create_ticket } = &row.intent else {
        return Err("not a ticket".into());
    };
    Ok(NewTicket {
        repo: row.repo.clone(),
        title: f.row.title.clone(),
        body: format!("<!-- {} -->", create_ticket.marker),
        labels: create_ticket.labels.clone(),
        assignees: vec![],
        marker: create_ticket.marker.clone(),
    })
}

fn run(f: &mut Fixture, t: &Scripted, plan: Plan) -> Summary {
    let policy = f.policy.clone();
    let ctx = Context {
        local_repos: HashMap::from([(REPO.to_string(), "repo".to_string())]),
        logins: HashMap::from([
            ("alice".to_string(), "alice-gh".to_string()),
            ("bob".to_string(), "bob-gh".to_string()),
        ]),
        policy: &policy,
        clock: &f.clock,
        ticket: &ticket_for,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(engine::sync(t, &mut f.store, &ctx, plan, &mut |_| {}))
        .unwrap()
}

const BOTH: Plan = Plan {
    pull: true,
    push: true,
    dry_run: false,
};

fn scripted(alerts: Vec<RemoteItem>) -> Scripted {
    Scripted {
        state: Mutex::new(State {
            alerts,
            page_size: 100,
            ..State::default()
        }),
    }
}

fn decide(f: &mut Fixture, id: i64, kind: DecisionKind, reason: &str) {
    let req = DecisionRequest {
        kind,
        reason: reason.into(),
        until: None,
        control: None,
        target: None,
    };
    let policy = f.policy.clone();
    f.store
        .decide(&[id], &req, "alice", &policy, &f.clock)
        .unwrap();
}

/// Imports `report` (a row a1 at least) and syncs with GitHub holding issue #7 whose marker
/// is a1's, so a1 has a ticket and nothing else does.
fn ticket_on_a1(f: &mut Fixture, report: &str) -> (Scripted, i64) {
    f.scan(report);
    let a = f.id_of("a1");
    f.store
        .raw_connection()
        .execute("UPDATE findings SET fp_key = 0 WHERE id = ?1", [a])
        .unwrap();
    let t = scripted(vec![]);
    t.state.lock().unwrap().issues = vec![issue_of(
        7,
        "lastmile:0000000000000000",
        "2026-01-01T00:00:00Z",
        &[],
    )];
    run(f, &t, BOTH);
    (t, a)
}

fn count(f: &Fixture, sql: &str) -> i64 {
    f.store
        .raw_connection()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn an_alert_for_an_imported_finding_links_to_it_and_a_new_one_becomes_a_finding() {
    let mut f = fixture();
    // The script parser gives rule "rule-a" at src/app.py line 10 for fingerprint a1.
    f.scan("a1 10\nb2 20\n");
    let t = scripted(vec![
        alert(1, "rule-a", 10, "2026-01-01T10:00:00Z", RemoteState::Open),
        alert(2, "rule-z", 99, "2026-01-01T11:00:00Z", RemoteState::Open),
    ]);
    let s = run(&mut f, &t, BOTH);
    assert_eq!(
        (s.pulled.pulled, s.pulled.linked, s.pulled.created),
        (2, 1, 1)
    );
    let links = f.store.links(f.id_of("a1")).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].at.number, 1);
    assert_eq!(
        f.store
            .finding(f.id_of("a1"))
            .unwrap()
            .unwrap()
            .tracker_ref
            .as_deref(),
        Some("acme/app code-scanning #1")
    );
    // The new one lives in its own scope: a rescan of the SARIF tool cannot close it.
    let tool: String = f
        .store
        .raw_connection()
        .query_row(
            "SELECT tool FROM findings WHERE fingerprint LIKE 'github:%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tool, "github code scanning");
    f.clock.set(at("2026-01-03T00:00:00Z"));
    f.scan("a1 10\n");
    assert_eq!(
        count(
            &f,
            "SELECT COUNT(*) FROM findings WHERE tool = 'github code scanning' AND status = 'open'"
        ),
        1
    );

    // Pulling the same again (the overlap window) changes nothing.
    let events = count(&f, "SELECT COUNT(*) FROM events");
    let s = run(&mut f, &t, BOTH);
    assert_eq!(
        (s.pulled.linked, s.pulled.created, s.pulled.updated),
        (0, 0, 0)
    );
    assert_eq!(count(&f, "SELECT COUNT(*) FROM events"), events);
    assert_eq!(count(&f, "SELECT COUNT(*) FROM tracker_links"), 2);
    assert!(matches!(
        f.store.verify_chain().unwrap(),
        lastmile::store::ChainReport::Intact { .. }
    ));
}

#[test]
fn a_decision_is_pushed_once_in_order_and_recorded() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let t = scripted(vec![alert(
        1,
        "rule-a",
        10,
        "2026-01-01T10:00:00Z",
        RemoteState::Open,
    )]);
    run(&mut f, &t, BOTH);
    let id = f.id_of("a1");
    decide(
        &mut f,
        id,
        DecisionKind::FalsePositive,
        "sanitized by the ORM",
    );
    let open = f.store.outbox(OutboxFilter::Open).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let s = run(&mut f, &t, BOTH);
    assert_eq!((s.pushed, s.failed, s.pending), (1, 0, 0));
    let applied = t.state.lock().unwrap().applied.clone();
    assert_eq!(applied.len(), 1);
    match &applied[0].1 {
        Operation::Dismiss { status, comment } => {
            assert_eq!(*status, Status::FalsePositive);
            assert!(comment.contains("sanitized by the ORM") && comment.contains("decision"));
            assert!(comment.chars().count() <= 280);
        }
        other => panic!("{other:?}"),
    }
    // Done rows are never sent again.
    run(&mut f, &t, BOTH);
    assert_eq!(t.state.lock().unwrap().applied.len(), 1);
    assert!(
        f.store
            .history(id)
            .unwrap()
            .iter()
            .any(|e| e.kind == "pushed")
    );
}

#[test]
fn a_long_justification_is_cut_to_280_characters_keeping_the_decision_id() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let t = scripted(vec![alert(
        1,
        "rule-a",
        10,
        "2026-01-01T10:00:00Z",
        RemoteState::Open,
    )]);
    run(&mut f, &t, BOTH);
    let id = f.id_of("a1");
    decide(&mut f, id, DecisionKind::FalsePositive, &"é".repeat(1000));
    run(&mut f, &t, BOTH);
    let applied = t.state.lock().unwrap().applied.clone();
    let Operation::Dismiss { comment, .. } = &applied[0].1 else {
        panic!()
    };
    assert_eq!(comment.chars().count(), 280);
    assert!(
        comment.ends_with(")") && comment.contains("(decision "),
        "{comment}"
    );
}

#[test]
fn transient_failures_wait_and_retry_permanent_ones_wait_for_a_person() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\n");
    let t = scripted(vec![
        alert(1, "rule-a", 10, "2026-01-01T10:00:00Z", RemoteState::Open),
        alert(2, "rule-b", 20, "2026-01-01T10:00:00Z", RemoteState::Open),
    ]);
    run(&mut f, &t, BOTH);
    let id = f.id_of("a1");
    decide(&mut f, id, DecisionKind::FalsePositive, "one");
    let id = f.id_of("b2");
    decide(&mut f, id, DecisionKind::FalsePositive, "two");
    t.state.lock().unwrap().apply_failures = vec![Some(transient()), Some(permanent())];
    let s = run(&mut f, &t, BOTH);
    assert_eq!((s.pushed, s.failed, s.pending), (0, 1, 1), "{s:?}");
    let failed = f.store.outbox(OutboxFilter::Failed).unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].last_error.as_deref().unwrap().contains("422"));
    // The transient one waits for its backoff: nothing is sent before.
    let s = run(&mut f, &t, BOTH);
    assert_eq!((s.pushed, s.pending), (0, 1));
    f.clock.set(at("2026-01-01T01:00:00Z"));
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pushed, 1);
    // A person puts the failed one back; it goes through.
    assert_eq!(f.store.outbox_retry(&[]).unwrap(), 1);
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pushed, 1);
    assert!(f.store.outbox(OutboxFilter::Open).unwrap().is_empty());
}

#[test]
fn a_row_waiting_to_retry_holds_back_the_later_rows_of_its_finding() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let id = f.id_of("a1");
    let t = scripted(vec![]);
    t.state.lock().unwrap().issues = vec![issue_of(
        7,
        "lastmile:0000000000000000",
        "2026-01-01T00:00:00Z",
        &[],
    )];
    // Link the issue by requesting a ticket the scripted tracker already has.
    f.store
        .raw_connection()
        .execute("UPDATE findings SET fp_key = 0 WHERE id = ?1", [id])
        .unwrap();
    run(&mut f, &t, BOTH);
    assert_eq!(f.store.links(id).unwrap().len(), 1);
    decide(&mut f, id, DecisionKind::FalsePositive, "not reachable");
    // A comment, then the close it explains.
    let rows = f.store.outbox(OutboxFilter::Open).unwrap();
    assert_eq!(
        rows.iter().map(|r| r.describe()).collect::<Vec<_>>(),
        ["comment", "close (not planned)"]
    );
    t.state.lock().unwrap().apply_failures = vec![Some(transient())];
    let s = run(&mut f, &t, BOTH);
    assert_eq!((s.pushed, s.pending), (0, 2));
    assert!(t.state.lock().unwrap().applied.is_empty());
    f.clock.set(at("2026-01-01T01:00:00Z"));
    run(&mut f, &t, BOTH);
    let ops: Vec<_> = t
        .state
        .lock()
        .unwrap()
        .applied
        .iter()
        .map(|(_, o)| o.clone())
        .collect();
    assert!(matches!(ops[0], Operation::Comment { .. }));
    assert_eq!(ops[1], Operation::Close { completed: false });
}

#[test]
fn conflicts_follow_the_rule_tracker_owns_its_state_and_assignees_lastmile_owns_triage() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\n");
    let t = scripted(vec![
        alert(1, "rule-a", 10, "2026-01-01T10:00:00Z", RemoteState::Open),
        alert(2, "rule-b", 20, "2026-01-01T10:00:00Z", RemoteState::Open),
    ]);
    run(&mut f, &t, BOTH);
    let (a, b) = (f.id_of("a1"), f.id_of("b2"));
    decide(&mut f, a, DecisionKind::FalsePositive, "test code");
    decide(&mut f, b, DecisionKind::FalsePositive, "test code");
    {
        let mut s = t.state.lock().unwrap();
        // On GitHub meanwhile: #1 dismissed with another reason, #2 fixed by the analysis.
        s.alerts[0].state = RemoteState::Dismissed {
            reason: Some("won't fix".into()),
            comment: None,
            by: Some("carol-gh".into()),
            status: Status::AcceptedRisk,
        };
        s.alerts[0].updated_at = at("2026-01-01T12:00:00Z");
        s.alerts[1].state = RemoteState::Fixed;
        s.alerts[1].updated_at = at("2026-01-01T12:00:00Z");
    }
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pulled.conflicts, 2, "{s:?}");
    // lastmile's decision stands on #1 and is pushed; the tracker's fix wins on #2.
    assert_eq!(f.status_of("a1"), Status::FalsePositive);
    let applied = t.state.lock().unwrap().applied.clone();
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].0.number, 1);
    assert_eq!(
        count(&f, "SELECT COUNT(*) FROM outbox WHERE state = 'superseded'"),
        1
    );
    let conflicts: Vec<_> = [a, b]
        .iter()
        .flat_map(|id| f.store.history(*id).unwrap())
        .filter(|e| e.kind == "conflict")
        .collect();
    assert_eq!(conflicts.len(), 2);
    assert!(
        conflicts
            .iter()
            .any(|e| e.payload.contains("\"winner\":\"tracker\""))
    );
    assert!(
        conflicts
            .iter()
            .any(|e| e.payload.contains("\"winner\":\"lastmile\""))
    );
}

#[test]
fn a_remote_dismissal_with_no_local_change_is_applied_with_who_and_why() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let t = scripted(vec![alert(
        1,
        "rule-a",
        10,
        "2026-01-01T10:00:00Z",
        RemoteState::Open,
    )]);
    run(&mut f, &t, BOTH);
    {
        let mut s = t.state.lock().unwrap();
        s.alerts[0].state = RemoteState::Dismissed {
            reason: Some("false positive".into()),
            comment: Some("vendored test fixture".into()),
            by: Some("carol-gh".into()),
            status: Status::FalsePositive,
        };
        s.alerts[0].updated_at = at("2026-01-01T12:00:00Z");
    }
    let s = run(&mut f, &t, BOTH);
    assert_eq!((s.pulled.updated, s.pulled.conflicts, s.pushed), (1, 0, 0));
    assert_eq!(f.status_of("a1"), Status::FalsePositive);
    let found = f.store.finding(f.id_of("a1")).unwrap().unwrap();
    assert_eq!(found.decided_by.as_deref(), Some("github:carol-gh"));
    let last = f.store.history(f.id_of("a1")).unwrap().pop().unwrap();
    assert_eq!(last.kind, "remote_change");
    assert_eq!(last.reason.as_deref(), Some("vendored test fixture"));
    // Counters follow the status change.
    assert_eq!(f.store.counts().unwrap().active, 0);
}

#[test]
fn an_assignment_reaches_the_ticket_as_add_and_remove_and_a_tracker_reassignment_wins() {
    let mut f = fixture();
    let (t, id) = ticket_on_a1(&mut f, "a1 10\n");
    let policy = f.policy.clone();
    let to = |who: &str| Assignment {
        owner: Some(who.into()),
        team: None,
        how: AssignHow::Manual,
        reason: String::new(),
    };
    f.store
        .assign(&[(id, to("alice"))], "lead", false, &[], &policy, &f.clock)
        .unwrap();
    run(&mut f, &t, BOTH);
    f.store
        .assign(&[(id, to("bob"))], "lead", false, &[], &policy, &f.clock)
        .unwrap();
    let ops: Vec<_> = t
        .state
        .lock()
        .unwrap()
        .applied
        .iter()
        .map(|(_, o)| o.clone())
        .collect();
    assert_eq!(
        ops,
        [Operation::AddAssignees {
            logins: vec!["alice-gh".into()]
        }]
    );
    // Meanwhile someone reassigns the issue on GitHub: the tracker owns its assignees.
    {
        let mut s = t.state.lock().unwrap();
        s.issues[0].assignees = vec!["dana-gh".into()];
        s.issues[0].updated_at = at("2026-01-01T05:00:00Z");
    }
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pulled.conflicts, 1);
    assert_eq!(
        t.state.lock().unwrap().applied.len(),
        1,
        "the superseded rows were not sent"
    );
    assert_eq!(
        count(&f, "SELECT COUNT(*) FROM outbox WHERE state = 'superseded'"),
        2
    );
}

#[test]
fn a_ticket_whose_create_response_was_lost_is_found_by_its_marker_not_created_twice() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let id = f.id_of("a1");
    let t = scripted(vec![]);
    let out = f
        .store
        .request_tickets(
            &[id],
            "github",
            REPO,
            &["security".into()],
            "alice",
            &f.clock,
        )
        .unwrap();
    assert_eq!(out.len(), 1);
    // A second request while the first waits is refused.
    let again = f
        .store
        .request_tickets(&[id], "github", REPO, &[], "alice", &f.clock)
        .unwrap();
    assert!(matches!(
        again[0].1,
        lastmile::store::TicketOutcome::AlreadyRequested
    ));
    t.state.lock().unwrap().lose_create_response = true;
    let s = run(
        &mut f,
        &t,
        Plan {
            pull: false,
            push: true,
            dry_run: false,
        },
    );
    assert_eq!((s.pushed, s.pending), (0, 1));
    assert!(f.store.links(id).unwrap().is_empty());
    f.clock.set(at("2026-01-01T01:00:00Z"));
    let s = run(
        &mut f,
        &t,
        Plan {
            pull: false,
            push: true,
            dry_run: false,
        },
    );
    assert_eq!(s.pushed, 1);
    assert_eq!(t.state.lock().unwrap().created.len(), 1, "no second ticket");
    let links = f.store.links(id).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].at.number, 101);
    let ev = f.store.history(id).unwrap().pop().unwrap();
    assert_eq!(ev.kind, "ticket_created");
    assert!(ev.payload.contains("\"found_existing\":true"));
    // And a linked finding gets no second ticket either.
    let again = f
        .store
        .request_tickets(&[id], "github", REPO, &[], "alice", &f.clock)
        .unwrap();
    assert!(matches!(
        again[0].1,
        lastmile::store::TicketOutcome::AlreadyLinked { .. }
    ));
}

#[test]
fn an_interrupted_newest_first_walk_keeps_its_watermark_until_it_completes() {
    let mut f = fixture();
    let alerts: Vec<_> = (1..=5)
        .map(|n| {
            alert(
                n,
                &format!("r{n}"),
                n,
                &format!("2026-01-01T0{n}:00:00Z"),
                RemoteState::Open,
            )
        })
        .collect();
    let t = scripted(alerts);
    {
        let mut s = t.state.lock().unwrap();
        s.page_size = 2;
        s.fail_page = Some(2);
    }
    let s = run(
        &mut f,
        &t,
        Plan {
            pull: true,
            push: false,
            dry_run: false,
        },
    );
    assert_eq!(s.errors.len(), 1, "{s:?}");
    assert_eq!(s.pulled.created, 2, "the first page is stored");
    let key = format!("github:{REPO}:code_scanning");
    assert_eq!(f.store.sync_mark(&key).unwrap().watermark, None);
    let s = run(
        &mut f,
        &t,
        Plan {
            pull: true,
            push: false,
            dry_run: false,
        },
    );
    assert!(s.errors.is_empty());
    assert_eq!(s.pulled.created, 3);
    assert_eq!(
        f.store.sync_mark(&key).unwrap().watermark,
        Some(at("2026-01-01T05:00:00Z"))
    );
    assert_eq!(count(&f, "SELECT COUNT(*) FROM findings"), 5);
}

#[test]
fn a_dry_run_counts_what_a_sync_would_do_and_writes_and_sends_nothing() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\n");
    let t = scripted(vec![alert(
        1,
        "rule-a",
        10,
        "2026-01-01T10:00:00Z",
        RemoteState::Open,
    )]);
    run(&mut f, &t, BOTH);
    let id = f.id_of("a1");
    decide(
        &mut f,
        id,
        DecisionKind::FalsePositive,
        "sanitized by the ORM",
    );
    // Since then: the linked alert was labelled on GitHub, one alert reports b2, one is new.
    {
        let mut labelled = alert(1, "rule-a", 10, "2026-01-02T10:00:00Z", RemoteState::Open);
        labelled.labels = vec!["needs-triage".into()];
        let mut state = t.state.lock().unwrap();
        state.alerts = vec![
            labelled,
            alert(2, "rule-b", 20, "2026-01-02T11:00:00Z", RemoteState::Open),
            alert(3, "rule-x", 99, "2026-01-02T12:00:00Z", RemoteState::Open),
        ];
    }
    let before = support::dump(&f.dir.path().join("t.db"));
    let dry = Plan {
        pull: true,
        push: true,
        dry_run: true,
    };
    let s = run(&mut f, &t, dry);
    assert_eq!(support::dump(&f.dir.path().join("t.db")), before);
    assert!(t.state.lock().unwrap().applied.is_empty(), "nothing sent");
    assert_eq!(s.pulled.pulled, 3);
    // The same figures a real sync reports: one updated, one linked (b2), one created.
    assert_eq!(
        (s.pulled.updated, s.pulled.linked, s.pulled.created),
        (1, 1, 1),
        "{s:?}"
    );
    assert_eq!(s.would_push.len(), 1, "{s:?}");
    assert!(s.would_push[0].starts_with("outbox "), "{s:?}");
    let real = run(&mut f, &t, BOTH);
    assert_eq!(
        (real.pulled.updated, real.pulled.linked, real.pulled.created),
        (s.pulled.updated, s.pulled.linked, s.pulled.created)
    );
    assert_eq!(real.pushed, 1);
}

#[test]
fn a_comment_is_kept_in_the_trail_and_posted_on_the_ticket() {
    let mut f = fixture();
    let (t, a) = ticket_on_a1(&mut f, "a1 10\nb2 20\n");
    let b = f.id_of("b2");
    // b has no ticket: the comment stays in lastmile's trail only.
    let queued = f
        .store
        .comment(&[a, b], "fix lands in 2.4", "alice", &f.clock)
        .unwrap();
    assert_eq!(queued, 1);
    assert!(f.store.comment(&[a], "  ", "alice", &f.clock).is_err());
    run(&mut f, &t, BOTH);
    let ops: Vec<_> = t.state.lock().unwrap().applied.clone();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].0.number, 7);
    assert!(
        matches!(&ops[0].1, Operation::Comment { body } if body.starts_with("fix lands in 2.4"))
    );
    for id in [a, b] {
        let last = f
            .store
            .history(id)
            .unwrap()
            .into_iter()
            .rev()
            .find(|e| e.kind == "comment");
        assert_eq!(last.unwrap().reason.as_deref(), Some("fix lands in 2.4"));
    }
}

#[test]
fn an_alert_pulled_before_its_scan_was_imported_is_merged_into_the_imported_finding() {
    let mut f = fixture();
    let t = scripted(vec![alert(
        5,
        "rule-z",
        99,
        "2026-01-01T10:00:00Z",
        RemoteState::Open,
    )]);
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pulled.created, 1);
    let alert_only: i64 = count(
        &f,
        "SELECT id FROM findings WHERE tool = 'github code scanning'",
    );
    // The scan that reports the same problem arrives later.
    f.clock.set(at("2026-01-02T00:00:00Z"));
    f.scan("z9 99\n");
    let imported = f.id_of("z9");
    let s = run(&mut f, &t, BOTH);
    assert_eq!((s.pulled.linked, s.pulled.created), (1, 0), "{s:?}");
    let links = f.store.links(imported).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].at.number, 5);
    let old = f.store.finding(alert_only).unwrap().unwrap();
    assert_eq!(old.row.status, Status::Duplicate);
    assert_eq!(old.duplicate_of, Some(imported));
    assert_eq!(
        f.store
            .finding(imported)
            .unwrap()
            .unwrap()
            .tracker_ref
            .as_deref(),
        Some("acme/app code-scanning #5")
    );
    // Counters follow: one active finding, the imported one.
    assert_eq!(f.store.counts().unwrap().active, 1);
    // Nothing more to merge the next time.
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pulled.linked, 0);
}

#[test]
fn an_expired_acceptance_reopens_the_alert_it_dismissed() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let t = scripted(vec![alert(
        1,
        "rule-a",
        10,
        "2026-01-01T10:00:00Z",
        RemoteState::Open,
    )]);
    run(&mut f, &t, BOTH);
    let id = f.id_of("a1");
    let req = DecisionRequest {
        kind: DecisionKind::AcceptRisk,
        reason: "behind the VPN until the rewrite".into(),
        until: Some(chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap()),
        control: Some("VPN only".into()),
        target: None,
    };
    let policy = f.policy.clone();
    f.store
        .decide(&[id], &req, "alice", &policy, &f.clock)
        .unwrap();
    // The high lane wants a second person for accepted risk: nothing reaches GitHub before.
    assert!(f.store.outbox(OutboxFilter::Open).unwrap().is_empty());
    f.store
        .review(&[id], None, None, "bob", &policy, &f.clock)
        .unwrap();
    run(&mut f, &t, BOTH);
    assert_eq!(f.store.links(id).unwrap()[0].state, "dismissed");
    f.clock.set(at("2026-01-11T00:00:00Z"));
    let report = f.store.tick(&policy, "lastmile", &f.clock).unwrap();
    assert_eq!(report.expired.len(), 1);
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pushed, 1, "{s:?}");
    let applied = t.state.lock().unwrap().applied.clone();
    assert_eq!(applied.last().unwrap().1, Operation::Reopen);
    assert_eq!(f.store.links(id).unwrap()[0].state, "open");
}

#[test]
fn labels_reach_the_ticket_through_add_and_remove_and_need_a_ticket() {
    let mut f = fixture();
    let (t, a) = ticket_on_a1(&mut f, "a1 10\nb2 20\n");
    let b = f.id_of("b2");
    let err = f
        .store
        .label(&[b], &["p1".into()], &[], "alice", &f.clock)
        .unwrap_err();
    assert!(err.to_string().contains("no ticket"), "{err}");
    assert!(
        f.store
            .label(&[a], &["a,b".into()], &[], "alice", &f.clock)
            .is_err()
    );
    let n = f
        .store
        .label(
            &[a],
            &["p1".into(), "sprint-9".into()],
            &["triage".into()],
            "alice",
            &f.clock,
        )
        .unwrap();
    assert_eq!(n, 2);
    run(&mut f, &t, BOTH);
    let ops: Vec<_> = t
        .state
        .lock()
        .unwrap()
        .applied
        .iter()
        .map(|(_, o)| o.clone())
        .collect();
    assert_eq!(
        ops,
        [
            Operation::AddLabels {
                labels: vec!["p1".into(), "sprint-9".into()]
            },
            Operation::RemoveLabel {
                label: "triage".into()
            },
        ]
    );
}

#[test]
fn an_alert_links_to_the_active_finding_of_its_location_not_an_older_fixed_one() {
    let mut f = fixture();
    f.scan("a1 10\n");
    f.clock.set(at("2026-01-02T00:00:00Z"));
    // a1 fixed; a2 (same rule, same line) is the problem now.
    f.scan("a2 10\n");
    assert_eq!(f.status_of("a1"), Status::Fixed);
    let t = scripted(vec![alert(
        1,
        "rule-a",
        10,
        "2026-01-02T10:00:00Z",
        RemoteState::Open,
    )]);
    let s = run(&mut f, &t, BOTH);
    assert_eq!(s.pulled.linked, 1);
    assert_eq!(f.store.links(f.id_of("a2")).unwrap().len(), 1);
    assert!(f.store.links(f.id_of("a1")).unwrap().is_empty());
    assert_eq!(f.status_of("a1"), Status::Fixed, "the old one stays fixed");
}

#[test]
fn a_ticket_hears_when_its_findings_lane_or_deadline_moves_and_only_then() {
    let mut f = fixture();
    // a1 has a ticket and a CVE; b2 has the same CVE and no ticket.
    let (t, a) = ticket_on_a1(
        &mut f,
        "a1 10 medium CVE-2024-3400\nb2 20 medium CVE-2024-3400\n",
    );
    let b = f.id_of("b2");
    let comments = |t: &Scripted| -> Vec<(i64, String)> {
        t.state
            .lock()
            .unwrap()
            .applied
            .iter()
            .filter_map(|(at, op)| match op {
                Operation::Comment { body } => Some((at.number, body.clone())),
                _ => None,
            })
            .collect()
    };
    assert!(comments(&t).is_empty());
    let before = f.store.finding(a).unwrap().unwrap().row;

    // CISA lists the CVE: both move to the exploitable lane with a nearer deadline.
    let kev = lastmile::enrich::kev::parse_kev(
        &br#"{"catalogVersion": "2026.01.01", "dateReleased": "2026-01-01T00:00:00Z",
              "vulnerabilities": [{"cveID": "CVE-2024-3400", "vendorProject": "Palo Alto",
                "product": "PAN-OS", "vulnerabilityName": "command injection",
                "dateAdded": "2026-01-01", "dueDate": "2026-01-08"}]}"#[..],
        "kev.json",
    )
    .unwrap();
    f.store
        .load_enrichment(
            lastmile::store::EnrichSource::Kev(&kev),
            "kev.json",
            "alice",
            &f.policy,
            &f.clock,
        )
        .unwrap();
    let after = f.store.finding(a).unwrap().unwrap().row;
    assert_ne!((&after.lane, &after.due), (&before.lane, &before.due));
    run(&mut f, &t, BOTH);
    let told = comments(&t);
    assert_eq!(told.len(), 1, "{told:?}");
    let (number, body) = &told[0];
    assert_eq!(*number, 7);
    let lane = |l: &Option<String>| l.clone().unwrap_or("none".into());
    assert!(
        body.contains(&format!(
            "lane {} → {}",
            lane(&before.lane),
            lane(&after.lane)
        )),
        "{body}"
    );
    assert!(body.contains(after.due.as_deref().unwrap()), "{body}");
    let kinds = |id: i64| -> Vec<String> {
        f.store
            .history(id)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    };
    assert!(kinds(a).contains(&"deadline".to_string()));
    assert!(
        !kinds(b).contains(&"deadline".to_string()),
        "no ticket, no notice"
    );

    // Recomputing with nothing changed tells nobody anything.
    f.store
        .apply_policy(&f.policy.clone(), "alice", &f.clock, true)
        .unwrap();
    run(&mut f, &t, BOTH);
    assert_eq!(comments(&t).len(), 1);

    // A shorter SLA moves the deadline of everything active: the ticket hears the new date.
    let mut shorter = f.policy.clone();
    for l in &mut shorter.lanes {
        l.sla_days = (l.sla_days / 2).max(1);
    }
    f.store
        .apply_policy(&shorter, "alice", &f.clock, false)
        .unwrap();
    run(&mut f, &t, BOTH);
    let told = comments(&t);
    assert_eq!(told.len(), 2, "{told:?}");
    let due = f.store.finding(a).unwrap().unwrap().row.due.unwrap();
    assert!(told[1].1.contains(&format!("→ {due}")), "{}", told[1].1);
    assert!(
        !told[1].1.contains("lane "),
        "only what moved: {}",
        told[1].1
    );

    // Every notice is in the hash chain, which still verifies.
    assert!(matches!(
        f.store.verify_chain().unwrap(),
        lastmile::store::events::ChainReport::Intact { .. }
    ));
}
