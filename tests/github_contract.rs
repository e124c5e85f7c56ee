//! What lastmile sends to GitHub, proven two ways:
//! - replayed by @octokit/fixtures-server against real recorded api.github.com exchanges: the
//!   server answers only when the request (method, path, JSON body) is the one recorded, in
//!   order, so a wrong body fails the test;
//! - a whole push (dismissals, reopen, ticket, comment, close, assignees) through the sync
//!   engine against prism serving GitHub's OpenAPI description, which rejects any request the
//!   spec does not allow.

mod node_harness;

use lastmile::model::{DecisionKind, Severity, Status};
use lastmile::store::outbox::OutboxRow;
use lastmile::store::{
    AssignHow, Assignment, DecisionRequest, Matcher, OutboxFilter, PulledPage, Store,
};
use lastmile::trackers::engine::{self, Context, Plan};
use lastmile::trackers::github::{GitHub, GithubSettings};
use lastmile::trackers::http::{Client, RecordingSleeper, Secret};
use lastmile::trackers::{
    Endpoint, NewTicket, Operation, RemoteItem, RemoteKind, RemoteRef, RemoteState, Tracker,
};
use node_harness::{FixturesServer, Prism};
use std::collections::HashMap;
use std::sync::Arc;

fn github(api: &str, repo: &str) -> GitHub {
    let settings = GithubSettings {
        api: api.to_string(),
        repos: vec![repo.to_string()],
        issue_labels: vec!["security".into()],
        token: Some(Secret::new("contract-token")),
        ..GithubSettings::default()
    };
    let client = Client::new(settings.http_config())
        .unwrap()
        .with_sleeper(Arc::new(RecordingSleeper::default()));
    GitHub::with_client(settings, client).unwrap()
}

fn target(repo: &str, kind: RemoteKind, number: i64) -> RemoteRef {
    RemoteRef {
        tracker: "github".into(),
        kind,
        repo: repo.into(),
        number,
    }
}

/// Loads `scenario` on the shared replay server and returns a connector pointed at it.
fn replay(scenario: &str, repo: &str) -> GitHub {
    let url = FixturesServer::github().load(scenario);
    github(&url, repo)
}

#[tokio::test]
async fn a_dependabot_dismissal_sends_the_recorded_body() {
    let gh = replay(
        "DependabotAlert.testUpdateAlertDismissed",
        "coopernetes/PyGithub",
    );
    let op = Operation::Dismiss {
        status: Status::AcceptedRisk,
        comment: "Example comment".into(),
    };
    let after = gh
        .apply(
            &target("coopernetes/PyGithub", RemoteKind::Dependabot, 1),
            &op,
        )
        .await
        .expect("the replay accepts exactly the recorded PATCH");
    let after = after.expect("GitHub answers the alert");
    assert!(
        matches!(after.state, RemoteState::Dismissed { .. }),
        "{after:?}"
    );
    // Replayed in order: the same request again is not in the recording.
    assert!(
        gh.apply(
            &target("coopernetes/PyGithub", RemoteKind::Dependabot, 1),
            &op
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn a_wrong_reason_is_not_what_was_recorded() {
    // The control: a dismissal with another reason is refused by the replay, so the test above
    // proves the body, not just the path.
    let gh = replay(
        "DependabotAlert.testUpdateAlertDismissed",
        "coopernetes/PyGithub",
    );
    let op = Operation::Dismiss {
        status: Status::FalsePositive,
        comment: "Example comment".into(),
    };
    assert!(
        gh.apply(
            &target("coopernetes/PyGithub", RemoteKind::Dependabot, 1),
            &op
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn reopening_a_dependabot_alert_sends_the_recorded_body() {
    let gh = replay(
        "DependabotAlert.testUpdateAlertOpen",
        "coopernetes/PyGithub",
    );
    let after = gh
        .apply(
            &target("coopernetes/PyGithub", RemoteKind::Dependabot, 1),
            &Operation::Reopen,
        )
        .await
        .expect("recorded reopen");
    assert_eq!(after.map(|a| a.state), Some(RemoteState::Open));
}

#[tokio::test]
async fn closing_a_ticket_as_not_planned_and_commenting_send_the_recorded_bodies() {
    let issue = target("PyGithub/PyGithub", RemoteKind::Issue, 28);
    let gh = replay(
        "Issue.testEditWithStateReasonNotPlanned",
        "PyGithub/PyGithub",
    );
    gh.apply(&issue, &Operation::Close { completed: false })
        .await
        .expect("recorded close with state_reason not_planned");
    let gh = replay("Issue.testCreateComment", "PyGithub/PyGithub");
    gh.apply(
        &issue,
        &Operation::Comment {
            body: "Comment created by PyGithub".into(),
        },
    )
    .await
    .expect("recorded comment");
}

#[tokio::test]
async fn assignees_go_through_the_add_and_remove_endpoints() {
    let issue = target("PyGithub/PyGithub", RemoteKind::Issue, 28);
    let gh = replay("Issue.testAddAndRemoveAssignees", "PyGithub/PyGithub");
    // PyGithub looked the user up first; the replay needs that exchange consumed.
    let client = gh.client();
    client
        .get(client.url("/users/jzelinskie").unwrap())
        .await
        .expect("recorded user lookup");
    let logins = vec!["jayfk".to_string(), "jzelinskie".to_string()];
    gh.apply(
        &issue,
        &Operation::AddAssignees {
            logins: logins.clone(),
        },
    )
    .await
    .expect("recorded POST .../assignees");
    gh.apply(&issue, &Operation::RemoveAssignees { logins })
        .await
        .expect("recorded DELETE .../assignees with its body");
}

#[tokio::test]
async fn a_label_is_removed_one_by_one_never_by_replacing_the_set() {
    let issue = target("PyGithub/PyGithub", RemoteKind::Issue, 28);
    let gh = replay("Issue.testAddAndRemoveLabels", "PyGithub/PyGithub");
    let client = gh.client();
    for path in [
        "/repos/PyGithub/PyGithub/labels/Bug",
        "/repos/PyGithub/PyGithub/labels/Question",
        "/repos/PyGithub/PyGithub/issues/28/labels",
    ] {
        client
            .get(client.url(path).unwrap())
            .await
            .expect("recorded lookup");
    }
    gh.apply(
        &issue,
        &Operation::RemoveLabel {
            label: "Bug".into(),
        },
    )
    .await
    .expect("recorded DELETE .../labels/Bug");
}

// ---- The whole push against GitHub's spec -------------------------------------------------

fn item(kind: RemoteKind, number: i64, rule: Option<&str>) -> RemoteItem {
    RemoteItem {
        at: target("o/r", kind, number),
        repo_id: Some(1),
        url: None,
        state: RemoteState::Open,
        created_at: None,
        updated_at: chrono::Utc::now(),
        assignees: vec![],
        labels: vec!["security".into()],
        title: format!("{kind:?} {number}"),
        message: "from the tracker".into(),
        tool: Some("CodeQL".into()),
        rule: rule.map(str::to_string),
        severity: Severity::High,
        score: None,
        cwe: None,
        cve: Some("CVE-2021-44228".into()),
        ghsa: Some("GHSA-jfh8-c2jp-5v3q".into()),
        path: Some("src/app.py".into()),
        start_line: Some(3),
        end_line: Some(3),
        help_uri: None,
        marker: None,
    }
}

fn ticket(store: &Store, row: &OutboxRow) -> Result<NewTicket, String> {
    let f = store.finding(row.finding_id.unwrap()).unwrap().unwrap();
    let lastmile::store::outbox::Intent::Ticket { create_ticket } = &row.intent else {
        return Err("not a ticket".into());
    };
    let input = lastmile::trackers::packet::PacketInput {
        finding_id: f.row.id,
        repo: f.row.repo.clone(),
        title: f.row.title.clone(),
        message: f.message.clone(),
        severity: f.row.severity,
        marker: create_ticket.marker.clone(),
        ..Default::default()
    };
    let p = lastmile::trackers::packet::build(&input).map_err(|e| e.to_string())?;
    Ok(NewTicket {
        repo: row.repo.clone(),
        title: p.title,
        body: p.body,
        labels: create_ticket.labels.clone(),
        assignees: vec![],
        marker: create_ticket.marker.clone(),
    })
}

#[test]
fn every_kind_of_push_is_a_request_githubs_spec_allows() {
    let prism = Prism::github_mock();
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("c.db")).unwrap();
    let clock = lastmile::clock::SystemClock;
    let policy = lastmile::triage::policy::Policy::default();
    let ep = |kind| Endpoint {
        tracker: "github".into(),
        repo: "o/r".into(),
        kind,
        key: format!("github:o/r:{kind:?}"),
    };
    // Three remote objects, pulled in: each becomes a finding with its link.
    for (kind, n, rule) in [
        (RemoteKind::CodeScanning, 42, Some("py/sql-injection")),
        (RemoteKind::Dependabot, 7, None),
        (RemoteKind::Issue, 1347, None),
    ] {
        store
            .apply_pulled(
                &PulledPage {
                    endpoint: &ep(kind),
                    local_repo: "app",
                    items: &[item(kind, n, rule)],
                    matcher: &Matcher::default(),
                },
                None,
                &policy,
                &clock,
            )
            .unwrap();
    }
    let ids: Vec<i64> = (1..=3).collect();
    let decide = |store: &mut Store, id: i64, kind: DecisionKind| {
        let req = DecisionRequest {
            kind,
            reason: "not reachable from any route".into(),
            until: None,
            control: None,
            target: None,
        };
        store.decide(&[id], &req, "alice", &policy, &clock).unwrap();
    };
    // Dismiss the code scanning alert and the Dependabot alert; close the ticket.
    for id in &ids {
        decide(&mut store, *id, DecisionKind::FalsePositive);
    }
    // Reopen the code scanning alert (it was dismissed by the push above, once pushed).
    let assign = |who: &str| Assignment {
        owner: Some(who.into()),
        team: None,
        how: AssignHow::Manual,
        reason: String::new(),
    };
    store
        .assign(&[(3, assign("alice"))], "lead", false, &[], &policy, &clock)
        .unwrap();
    store
        .assign(&[(3, assign("bob"))], "lead", false, &[], &policy, &clock)
        .unwrap();
    // A ticket for the Dependabot finding.
    store
        .request_tickets(&[2], "github", "o/r", &["lastmile".into()], "alice", &clock)
        .unwrap();
    let queued: Vec<String> = store
        .outbox(OutboxFilter::Open)
        .unwrap()
        .iter()
        .map(|r| r.describe())
        .collect();
    assert_eq!(
        queued,
        [
            "dismiss (false_positive)",
            "dismiss (false_positive)",
            "comment",
            "close (not planned)",
            "assign alice",
            "assign bob",
            "unassign alice",
            "create ticket"
        ]
    );
    let gh = github(&prism.url(), "o/r");
    let ctx = Context {
        local_repos: HashMap::from([("o/r".to_string(), "app".to_string())]),
        logins: HashMap::from([
            ("alice".to_string(), "alice-gh".to_string()),
            ("bob".to_string(), "bob-gh".to_string()),
        ]),
        policy: &policy,
        clock: &clock,
        ticket: &ticket,
    };
    let plan = Plan {
        pull: false,
        push: true,
        dry_run: false,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let s = rt
        .block_on(engine::sync(&gh, &mut store, &ctx, plan, &mut |_| {}))
        .unwrap();
    // Seven requests the spec allows. The ticket waits: before creating it lastmile looks for
    // one carrying the finding's marker, and prism's issue list answers with the spec's
    // example `Link` (https://api.github.com/resource?page=2), which lastmile refuses to follow
    // to another host. The POST itself is checked against the spec below.
    assert_eq!(
        (s.pushed, s.failed, s.pending),
        (7, 0, 1),
        "{s:?}\n{}",
        prism.log()
    );
    assert!(s.errors[0].contains("another host"), "{s:?}");
    let row = store.outbox(OutboxFilter::Open).unwrap().remove(0);
    let created = rt
        .block_on(gh.create_ticket(&ticket(&store, &row).unwrap()))
        .expect("POST /repos/o/r/issues as the spec allows it");
    assert_eq!(created.at.kind, RemoteKind::Issue);
    // Reopening: the code scanning alert is now dismissed on "GitHub".
    decide(&mut store, 1, DecisionKind::Reopen);
    let s = rt
        .block_on(engine::sync(&gh, &mut store, &ctx, plan, &mut |_| {}))
        .unwrap();
    assert_eq!((s.pushed, s.failed), (1, 0), "{s:?}\n{}", prism.log());
}
