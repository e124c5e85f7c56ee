//! The connector on GitHub's real recorded payloads (PyGithub's api.github.com recordings and
//! GitHub's own OpenAPI examples, in `shared/trackers/github`, read at run time).

use super::push::{self, Returns};
use super::wire::{CodeScanningAlert, DependabotAlert, Issue};
use super::*;
use crate::model::{Severity, Status};
use crate::trackers::RemoteState;
use serde_json::json;

fn data(rel: &str) -> Value {
    let path = format!(
        "{}/../shared/trackers/github/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The exchanges of a nock-format scenario.
fn scenario(name: &str) -> Vec<Value> {
    match data(&format!("scenarios/pygithub/{name}.json")) {
        Value::Array(a) => a,
        other => panic!("{name}: not a list: {other}"),
    }
}

/// The one exchange with this method and path.
fn exchange(name: &str, method: &str, path: &str) -> Value {
    let found: Vec<Value> = scenario(name)
        .into_iter()
        .filter(|x| x["method"] == method && x["path"] == path)
        .collect();
    assert_eq!(found.len(), 1, "{name}: {method} {path}");
    found.into_iter().next().expect("one")
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().expect("a JSON list")
}

fn github() -> GitHub {
    GitHub::new(GithubSettings {
        api: "http://127.0.0.1:9/api/v3".into(),
        repos: vec!["o/r".into()],
        ..GithubSettings::default()
    })
    .expect("settings")
}

fn endpoint(kind: RemoteKind) -> Endpoint {
    github()
        .endpoints()
        .into_iter()
        .find(|e| e.kind == kind)
        .expect("endpoint")
}

fn dismissed(item: &RemoteItem) -> (Option<&str>, Option<&str>, Option<&str>, Status) {
    match &item.state {
        RemoteState::Dismissed {
            reason,
            comment,
            by,
            status,
        } => (
            reason.as_deref(),
            comment.as_deref(),
            by.as_deref(),
            *status,
        ),
        other => panic!("not dismissed: {other:?}"),
    }
}

fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("timestamp")
        .with_timezone(&Utc)
}

// ---- code scanning ----

#[test]
fn every_recorded_code_scanning_alert_maps() {
    let page = exchange(
        "CodeScanAlert.testMultipleAlerts",
        "get",
        "/repos/matt-davis27/PyGithub/code-scanning/alerts",
    );
    let raw = list(&page["response"]);
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::CodeScanning), raw.clone());
    assert_eq!((items.len(), skipped), (14, 0));
    // States, item by item, as the recording has them.
    for (item, r) in items.iter().zip(&raw) {
        assert_eq!(item.at.number, r["number"].as_i64().expect("number"));
        assert_eq!(item.state.label(), r["state"].as_str().expect("state"));
        assert_eq!(item.updated_at, ts(r["updated_at"].as_str().expect("ts")));
    }
    let open: Vec<i64> = items
        .iter()
        .filter(|i| i.state == RemoteState::Open)
        .map(|i| i.at.number)
        .collect();
    assert_eq!(open, vec![13, 10, 9, 4]);
    let first = &items[0];
    assert_eq!(first.at.repo, "o/r");
    assert_eq!(first.at.kind, RemoteKind::CodeScanning);
    assert_eq!(first.state, RemoteState::Fixed);
    assert_eq!(first.tool.as_deref(), Some("CodeQL"));
    assert_eq!(
        first.rule.as_deref(),
        Some("actions/missing-workflow-permissions")
    );
    assert_eq!(first.title, "Workflow does not contain permissions");
    assert!(
        first
            .message
            .starts_with("Actions job or workflow does not limit")
    );
    // security_severity_level "medium" wins over the rule's SARIF level "warning".
    assert_eq!(first.severity, Severity::Medium);
    assert_eq!(first.cwe.as_deref(), Some("CWE-275"));
    assert_eq!(first.path.as_deref(), Some(".github/workflows/ci.yml"));
    assert_eq!((first.start_line, first.end_line), (Some(169), Some(176)));
    assert_eq!(
        first.url.as_deref(),
        Some("https://github.com/matt-davis27/PyGithub/security/code-scanning/14")
    );
    assert_eq!(first.created_at, Some(ts("2025-08-22T23:38:23Z")));
    assert!(first.marker.is_none() && first.labels.is_empty());
}

#[test]
fn single_recorded_alert_maps() {
    let x = exchange(
        "CodeScanAlert.testAttributes",
        "get",
        "/repos/matt-davis27/PyGithub/code-scanning/alerts/1",
    );
    let a: CodeScanningAlert = serde_json::from_value(x["response"].clone()).expect("wire");
    let item = map::code_scanning("github", "matt-davis27/PyGithub", a).expect("map");
    assert_eq!(item.at.number, 1);
    assert_eq!(item.state, RemoteState::Fixed);
    assert_eq!(item.path.as_deref(), Some(".github/workflows/lint.yml"));
    assert_eq!((item.start_line, item.end_line), (Some(12), Some(29)));
    assert_eq!(item.help_uri, None);
}

#[test]
fn openapi_code_scanning_examples_map_without_updated_at() {
    let raw = list(&data("openapi-examples/code-scanning__list-alerts-for-repo.200.json")["body"]);
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::CodeScanning), raw.clone());
    assert_eq!((items.len(), skipped), (2, 0));
    let (open, dismissed_one) = (&items[0], &items[1]);
    assert_eq!((open.at.number, &open.state), (4, &RemoteState::Open));
    // No security_severity_level: SARIF "error" reads as high.
    assert_eq!(open.severity, Severity::High);
    // GitHub's own example has no updated_at: the latest timestamp it has stands in.
    assert!(raw[0].get("updated_at").is_none());
    assert_eq!(
        open.updated_at,
        ts(raw[0]["created_at"].as_str().expect("created"))
    );
    assert_eq!(dismissed_one.at.number, 3);
    let (reason, _, by, status) = dismissed(dismissed_one);
    assert_eq!(reason, Some("false positive"));
    assert_eq!(by, Some("octocat"));
    assert_eq!(status, Status::FalsePositive);
    assert_eq!(
        dismissed_one.updated_at,
        ts(raw[1]["dismissed_at"].as_str().expect("dismissed_at"))
    );
}

fn alert_with(patch: Value) -> CodeScanningAlert {
    let x = exchange(
        "CodeScanAlert.testAttributes",
        "get",
        "/repos/matt-davis27/PyGithub/code-scanning/alerts/1",
    );
    let mut v = x["response"].clone();
    merge(&mut v, patch);
    serde_json::from_value(v).expect("wire")
}

fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(&k) {
                    Some(slot) if v.is_object() && slot.is_object() => merge(slot, v),
                    _ => {
                        t.insert(k, v);
                    }
                }
            }
        }
        (t, p) => *t = p,
    }
}

#[test]
fn code_scanning_dismissal_reasons() {
    for (reason, status) in [
        ("false positive", Status::FalsePositive),
        ("used in tests", Status::FalsePositive),
        ("won't fix", Status::AcceptedRisk),
        ("mitigated", Status::AcceptedRisk),
    ] {
        let a = alert_with(json!({
            "state": "dismissed",
            "dismissed_reason": reason,
            "dismissed_comment": "why",
            "dismissed_by": {"login": "carol"},
        }));
        let item = map::code_scanning("github", "o/r", a).expect("map");
        assert_eq!(
            dismissed(&item),
            (Some(reason), Some("why"), Some("carol"), status),
            "{reason}"
        );
    }
}

#[test]
fn code_scanning_severity_falls_back_to_the_sarif_level() {
    for (level, sev) in [
        ("error", Severity::High),
        ("warning", Severity::Medium),
        ("note", Severity::Low),
        ("none", Severity::Info),
        ("bogus", Severity::Medium),
    ] {
        let a = alert_with(json!({"rule": {"security_severity_level": null, "severity": level}}));
        assert_eq!(map::code_scanning_severity(&a), sev, "{level}");
    }
    for (level, sev) in [("critical", Severity::Critical), ("low", Severity::Low)] {
        let a = alert_with(json!({"rule": {"security_severity_level": level, "severity": "note"}}));
        assert_eq!(map::code_scanning_severity(&a), sev, "{level}");
    }
}

#[test]
fn hostile_or_broken_alerts_are_skipped_not_fatal() {
    let good = exchange(
        "CodeScanAlert.testAttributes",
        "get",
        "/repos/matt-davis27/PyGithub/code-scanning/alerts/1",
    )["response"]
        .clone();
    let mut no_number = good.clone();
    no_number.as_object_mut().expect("object").remove("number");
    let mut bad_time = good.clone();
    bad_time["updated_at"] = json!("yesterday");
    let mut odd_state = good.clone();
    odd_state["state"] = json!("\u{1b}[31mexploded");
    let mut nul = good.clone();
    nul["most_recent_instance"]["message"]["text"] = json!("a\u{0}b");
    nul["rule"]["tags"] = Value::Null;
    nul["assignees"] = json!([{"login": "dave"}, {"login": null}, 7]);
    let raw = vec![no_number, bad_time, odd_state, json!("a string"), nul];
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::CodeScanning), raw);
    assert_eq!(skipped, 5 - items.len());
    // `assignees` holding a number is not an alert we can read either; a null tag list is.
    assert_eq!(items.len(), 0);
    let mut nul = good;
    nul["most_recent_instance"]["message"]["text"] = json!("a\u{0}b");
    nul["rule"]["tags"] = Value::Null;
    nul["assignees"] = json!([{"login": "dave"}, {"login": null}]);
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::CodeScanning), vec![nul]);
    assert_eq!((items.len(), skipped), (1, 0));
    assert_eq!(items[0].message, "ab");
    assert_eq!(items[0].cwe, None);
    assert_eq!(items[0].assignees, vec!["dave".to_string()]);
}

#[test]
fn cwe_tags_read_as_sarif_import_writes_them() {
    assert_eq!(
        map::cwes(["security", "external/cwe/cwe-079", "External/CWE/CWE-1333"]).as_deref(),
        Some("CWE-79,CWE-1333")
    );
    assert_eq!(map::cwes(["CWE-79", "cwe-079"]).as_deref(), Some("CWE-79"));
    for bad in ["security", "external/cwe/cwe-", "external/cwe/é", ""] {
        assert_eq!(map::cwes([bad]), None, "{bad}");
    }
}

// ---- Dependabot ----

#[test]
fn recorded_dependabot_alert_maps() {
    let x = exchange(
        "DependabotAlert.testMultipleAlerts",
        "get",
        "/repos/coopernetes/PyGithub/dependabot/alerts",
    );
    let (items, skipped) =
        github().map_page(&endpoint(RemoteKind::Dependabot), list(&x["response"]));
    assert_eq!((items.len(), skipped), (1, 0));
    let a = &items[0];
    assert_eq!((a.at.number, a.at.kind), (1, RemoteKind::Dependabot));
    assert_eq!(
        dismissed(a),
        (
            Some("tolerable_risk"),
            Some("Example comment"),
            Some("coopernetes"),
            Status::AcceptedRisk
        )
    );
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.score, Some(5.4));
    assert_eq!(a.cwe.as_deref(), Some("CWE-79"));
    assert_eq!(a.cve.as_deref(), Some("CVE-2024-22195"));
    assert_eq!(a.ghsa.as_deref(), Some("GHSA-h5c8-rqwp-cp95"));
    assert_eq!(a.rule, a.ghsa);
    assert_eq!(a.tool.as_deref(), Some("dependabot"));
    assert_eq!(a.path.as_deref(), Some("requirements/docs.txt"));
    assert_eq!(
        a.help_uri.as_deref(),
        Some("https://github.com/advisories/GHSA-h5c8-rqwp-cp95")
    );
    assert!(
        a.title
            .starts_with("Jinja vulnerable to HTML attribute injection")
    );
    assert!(
        a.message.starts_with(
            "jinja2 (pip), in requirements/docs.txt, patched in 3.1.3\n\nThe `xmlattr` filter"
        ),
        "{}",
        a.message
    );
    assert_eq!(a.updated_at, ts("2024-01-20T22:04:00Z"));
}

#[test]
fn openapi_and_org_dependabot_examples_map() {
    let raw = list(&data("openapi-examples/dependabot__list-alerts-for-repo.200.json")["body"]);
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::Dependabot), raw);
    assert_eq!((items.len(), skipped), (2, 0));
    assert_eq!(dismissed(&items[0]).3, Status::AcceptedRisk);
    assert_eq!(items[0].severity, Severity::High);
    // CVSS v3 first (what SARIF security-severity carries), though v4 is also given.
    assert_eq!(items[0].score, Some(7.5));
    assert_eq!(items[1].state, RemoteState::Open);
    assert_eq!(items[1].score, Some(5.5));

    let x = exchange(
        "OrganizationDependabotAlert.testMultipleAlerts",
        "get",
        "/orgs/github/dependabot/alerts",
    );
    let raw = list(&x["response"]);
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::Dependabot), raw.clone());
    assert_eq!((items.len(), skipped), (2, 0));
    for (item, r) in items.iter().zip(&raw) {
        assert_eq!(item.at.number, r["number"].as_i64().expect("number"));
        assert_eq!(
            item.ghsa.as_deref(),
            r["security_advisory"]["ghsa_id"].as_str()
        );
    }
}

fn dependabot_with(patch: Value) -> DependabotAlert {
    let x = exchange(
        "DependabotAlert.testMultipleAlerts",
        "get",
        "/repos/coopernetes/PyGithub/dependabot/alerts",
    );
    let mut v = x["response"][0].clone();
    merge(&mut v, patch);
    serde_json::from_value(v).expect("wire")
}

#[test]
fn dependabot_dismissal_reasons() {
    for (reason, status) in [
        ("inaccurate", Status::FalsePositive),
        ("not_used", Status::FalsePositive),
        ("tolerable_risk", Status::AcceptedRisk),
        ("no_bandwidth", Status::Deferred),
        ("fix_started", Status::InProgress),
    ] {
        let a = dependabot_with(json!({"dismissed_reason": reason}));
        let item = map::dependabot("github", "o/r", a).expect("map");
        assert_eq!(dismissed(&item).3, status, "{reason}");
    }
    let a = dependabot_with(json!({
        "state": "auto_dismissed",
        "dismissed_reason": null,
        "dismissed_by": null,
        "dismissed_comment": null,
    }));
    let item = map::dependabot("github", "o/r", a).expect("map");
    assert_eq!(
        dismissed(&item),
        (
            Some("auto_dismissed"),
            None,
            Some(map::AUTO_TRIAGE),
            Status::AcceptedRisk
        )
    );
    let item =
        map::dependabot("github", "o/r", dependabot_with(json!({"state": "fixed"}))).expect("map");
    assert_eq!(item.state, RemoteState::Fixed);
}

#[test]
fn dependabot_severity_and_score_fallbacks() {
    let a = dependabot_with(json!({
        "security_advisory": {"severity": "moderate", "cvss": {"score": 0.0, "vector_string": null}},
    }));
    assert_eq!(map::dependabot_severity(&a), Severity::Medium);
    let item = map::dependabot("github", "o/r", a).expect("map");
    assert_eq!(item.score, None, "a 0 score means not scored");
    let a = dependabot_with(json!({
        "security_advisory": {"severity": null},
        "security_vulnerability": {"severity": "critical"},
    }));
    assert_eq!(map::dependabot_severity(&a), Severity::Critical);
    // updated_at is what the watermark rests on: without it the alert is not read.
    let x = exchange(
        "DependabotAlert.testMultipleAlerts",
        "get",
        "/repos/coopernetes/PyGithub/dependabot/alerts",
    );
    let mut v = x["response"][0].clone();
    v["updated_at"] = Value::Null;
    assert!(serde_json::from_value::<DependabotAlert>(v).is_err());
}

// ---- issues ----

#[test]
fn pull_requests_in_issue_lists_are_skipped() {
    let raw = list(&data("openapi-examples/issues__list-for-repo.200.json")["body"]);
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::Issue), raw);
    assert_eq!((items.len(), skipped), (0, 1));
}

#[test]
fn old_issues_with_null_pull_request_urls_are_issues() {
    let x = exchange(
        "Repository.testGetIssues",
        "get",
        "/repos/PyGithub/PyGithub/issues",
    );
    let raw = list(&x["response"]);
    assert!(raw.iter().all(|i| i["pull_request"].is_object()));
    let (items, skipped) = github().map_page(&endpoint(RemoteKind::Issue), raw.clone());
    assert_eq!((items.len(), skipped), (16, 0));
    for (item, r) in items.iter().zip(&raw) {
        assert_eq!(item.at.number, r["number"].as_i64().expect("number"));
        assert_eq!(item.title, r["title"].as_str().expect("title"));
        assert_eq!(item.state, RemoteState::Open);
        let labels: Vec<&str> = r["labels"]
            .as_array()
            .expect("labels")
            .iter()
            .filter_map(|l| l["name"].as_str())
            .collect();
        assert_eq!(item.labels, labels);
    }
    assert!(items.iter().any(|i| !i.labels.is_empty()));
    assert!(items.iter().any(|i| !i.assignees.is_empty()));
}

#[test]
fn issue_states_and_reasons() {
    let x = exchange(
        "Issue.testEditWithStateReasonNotPlanned",
        "patch",
        "/repos/PyGithub/PyGithub/issues/28",
    );
    let recorded: Issue = serde_json::from_value(x["response"].clone()).expect("wire");
    let item = map::issue("github", "PyGithub/PyGithub", recorded.clone()).expect("map");
    let (reason, _, _, status) = dismissed(&item);
    assert_eq!(
        (reason, status),
        (Some("not_planned"), Status::AcceptedRisk)
    );
    let with = |state: &str, reason: Option<&str>| {
        let mut i = recorded.clone();
        i.state = state.into();
        i.state_reason = reason.map(str::to_string);
        map::issue("github", "o/r", i).map(|m| m.state)
    };
    assert_eq!(with("closed", Some("completed")), Ok(RemoteState::Fixed));
    assert_eq!(with("closed", None), Ok(RemoteState::Fixed));
    assert_eq!(with("open", Some("reopened")), Ok(RemoteState::Open));
    assert!(matches!(
        with("closed", Some("duplicate")),
        Ok(RemoteState::Dismissed {
            status: Status::Duplicate,
            ..
        })
    ));
    assert!(with("locked", None).is_err());
}

#[test]
fn labels_as_strings_or_objects_and_single_assignee() {
    let v = json!({
        "number": 5, "state": "open", "updated_at": "2025-01-01T00:00:00Z",
        "labels": ["security", {"name": "lastmile"}, {"name": null}, 3],
        "assignees": null, "assignee": {"login": "erin"},
        "body": "text\n\n<!-- lastmile:00ABcdef -->\n",
        "repository": {"id": 42, "full_name": "o/r"},
    });
    let i: Issue = serde_json::from_value(v).expect("wire");
    let item = map::issue("github", "o/r", i).expect("map");
    assert_eq!(item.labels, vec!["security", "lastmile"]);
    assert_eq!(item.assignees, vec!["erin"]);
    assert_eq!(item.marker.as_deref(), Some("lastmile:00abcdef"));
    assert_eq!(item.repo_id, Some(42));
    assert_eq!(item.severity, Severity::default());
}

#[test]
fn marker_is_read_from_the_recorded_issue_body_shape() {
    // A created issue as GitHub answers it, with lastmile's footer in the body.
    let x = exchange(
        "Repository.testCreateIssueWithAllArguments",
        "post",
        "/repos/PyGithub/PyGithub/issues",
    );
    let mut v = x["response"].clone();
    v["body"] = json!(
        "Body\n\n---\n<sub>Tracked by lastmile, finding 7</sub>\n\n<!-- lastmile:9f86d081884c7d65 -->\n"
    );
    let i: Issue = serde_json::from_value(v).expect("wire");
    let item = map::issue("github", "PyGithub/PyGithub", i).expect("map");
    assert_eq!(item.marker.as_deref(), Some("lastmile:9f86d081884c7d65"));
    assert_eq!(item.title, "Issue also created by PyGithub");
}

// ---- requests ----

fn target(kind: RemoteKind, repo: &str, number: i64) -> RemoteRef {
    RemoteRef {
        tracker: "github".into(),
        kind,
        repo: repo.into(),
        number,
    }
}

/// Our request for `op` is the recorded one: method, path and a JSON-equal body.
fn assert_recorded(name: &str, method: &str, path: &str, at: &RemoteRef, op: Operation) {
    let x = exchange(name, method, path);
    let call = push::operation(at, &op).expect("call");
    assert_eq!(call.method.as_str().to_ascii_lowercase(), method, "{name}");
    assert_eq!(call.path, path, "{name}");
    let recorded = match &x["body"] {
        Value::String(s) if s.is_empty() => None,
        b => Some(b.clone()),
    };
    assert_eq!(call.body, recorded, "{name}");
}

#[test]
fn bodies_equal_the_recorded_requests() {
    let dep = target(RemoteKind::Dependabot, "coopernetes/PyGithub", 1);
    assert_recorded(
        "DependabotAlert.testUpdateAlertDismissed",
        "patch",
        "/repos/coopernetes/PyGithub/dependabot/alerts/1",
        &dep,
        Operation::Dismiss {
            status: Status::AcceptedRisk,
            comment: "Example comment".into(),
        },
    );
    assert_recorded(
        "DependabotAlert.testUpdateAlertOpen",
        "patch",
        "/repos/coopernetes/PyGithub/dependabot/alerts/1",
        &dep,
        Operation::Reopen,
    );
    let issue = target(RemoteKind::Issue, "PyGithub/PyGithub", 28);
    assert_recorded(
        "Issue.testEditWithStateReasonNotPlanned",
        "patch",
        "/repos/PyGithub/PyGithub/issues/28",
        &issue,
        Operation::Close { completed: false },
    );
    assert_recorded(
        "Issue.testCreateComment",
        "post",
        "/repos/PyGithub/PyGithub/issues/28/comments",
        &issue,
        Operation::Comment {
            body: "Comment created by PyGithub".into(),
        },
    );
    let logins = vec!["jayfk".to_string(), "jzelinskie".to_string()];
    assert_recorded(
        "Issue.testAddAndRemoveAssignees",
        "post",
        "/repos/PyGithub/PyGithub/issues/28/assignees",
        &issue,
        Operation::AddAssignees {
            logins: logins.clone(),
        },
    );
    assert_recorded(
        "Issue.testAddAndRemoveAssignees",
        "delete",
        "/repos/PyGithub/PyGithub/issues/28/assignees",
        &issue,
        Operation::RemoveAssignees { logins },
    );
    for label in ["Bug", "Question"] {
        assert_recorded(
            "Issue.testAddAndRemoveLabels",
            "delete",
            &format!("/repos/PyGithub/PyGithub/issues/28/labels/{label}"),
            &issue,
            Operation::RemoveLabel {
                label: label.into(),
            },
        );
    }
}

#[test]
fn add_labels_sends_the_object_form_octokit_recorded() {
    let issue = target(RemoteKind::Issue, "PyGithub/PyGithub", 28);
    let call = push::operation(
        &issue,
        &Operation::AddLabels {
            labels: vec!["Bug".into(), "Question".into()],
        },
    )
    .expect("call");
    let pygithub = exchange(
        "Issue.testAddAndRemoveLabels",
        "post",
        "/repos/PyGithub/PyGithub/issues/28/labels",
    );
    // Same labels; PyGithub sends them as a bare array (see push.rs).
    assert_eq!(
        call.body.as_ref().map(|b| &b["labels"]),
        Some(&pygithub["body"])
    );
    assert_eq!(call.path, "/repos/PyGithub/PyGithub/issues/28/labels");
    let octokit: Vec<Value> = list(&data("octokit-fixtures/add-labels-to-issue.json"));
    let recorded = octokit
        .iter()
        .find(|x| {
            x["method"] == "post" && x["path"].as_str().is_some_and(|p| p.ends_with("/labels"))
        })
        .expect("octokit add labels");
    let ours = push::operation(
        &issue,
        &Operation::AddLabels {
            labels: vec!["Foo".into(), "bAr".into(), "baZ".into()],
        },
    )
    .expect("call");
    assert_eq!(ours.body.as_ref(), Some(&recorded["body"]));
}

#[test]
fn create_issue_body_matches_the_recording_but_for_what_we_never_send() {
    let x = exchange(
        "Repository.testCreateIssueWithAllArguments",
        "post",
        "/repos/PyGithub/PyGithub/issues",
    );
    let mut recorded = x["body"].clone();
    // The legacy single `assignee` and a milestone: lastmile sets neither.
    let obj = recorded.as_object_mut().expect("object");
    assert!(obj.remove("assignee").is_some() && obj.remove("milestone").is_some());
    let body = format!(
        "{}\n\n<!-- lastmile:abc123 -->",
        recorded["body"].as_str().expect("body")
    );
    recorded["body"] = json!(body);
    let ticket = NewTicket {
        repo: "PyGithub/PyGithub".into(),
        title: "Issue also created by PyGithub".into(),
        body: "Body created by PyGithub".into(),
        labels: vec!["Question".into()],
        assignees: vec!["jacquev6".into(), "stuglaser".into()],
        marker: "lastmile:abc123".into(),
    };
    let call = push::create_issue(&ticket, &[]).expect("call");
    assert_eq!(call.method, Method::POST);
    assert_eq!(call.path, "/repos/PyGithub/PyGithub/issues");
    assert_eq!(call.body, Some(recorded));
    assert_eq!(call.returns, Returns::Issue);
}

#[test]
fn create_issue_adds_tracking_labels_once_and_keeps_a_present_marker() {
    let ticket = NewTicket {
        repo: "o/r".into(),
        title: "t\u{0}".repeat(300),
        body: "packet\n\n<!-- lastmile:ab -->\n".into(),
        labels: vec!["security".into(), "lastmile".into()],
        assignees: vec![],
        marker: "ab".into(),
    };
    let call = push::create_issue(&ticket, &["lastmile".into(), "sec-bot".into()]).expect("call");
    let body = call.body.expect("body");
    assert_eq!(body["labels"], json!(["security", "lastmile", "sec-bot"]));
    assert_eq!(body["body"], json!("packet\n\n<!-- lastmile:ab -->\n"));
    assert!(body.get("assignees").is_none());
    let title = body["title"].as_str().expect("title");
    assert_eq!(title.chars().count(), crate::trackers::packet::TITLE_LIMIT);
    assert!(!title.contains('\0'));
    let bad = NewTicket {
        marker: "not hex".into(),
        ..ticket
    };
    assert!(matches!(
        push::create_issue(&bad, &[]),
        Err(TrackerError::Invalid(_))
    ));
}

#[test]
fn dismissal_reasons_sent() {
    let cs = target(RemoteKind::CodeScanning, "o/r", 3);
    let dep = target(RemoteKind::Dependabot, "o/r", 3);
    let reason = |at: &RemoteRef, status| {
        push::operation(
            at,
            &Operation::Dismiss {
                status,
                comment: "c".into(),
            },
        )
        .map(|c| c.body.expect("body")["dismissed_reason"].clone())
    };
    assert_eq!(
        reason(&cs, Status::FalsePositive).ok(),
        Some(json!("false positive"))
    );
    assert_eq!(
        reason(&cs, Status::AcceptedRisk).ok(),
        Some(json!("won't fix"))
    );
    assert_eq!(reason(&cs, Status::Deferred).ok(), Some(json!("won't fix")));
    assert_eq!(
        reason(&dep, Status::FalsePositive).ok(),
        Some(json!("inaccurate"))
    );
    assert_eq!(
        reason(&dep, Status::AcceptedRisk).ok(),
        Some(json!("tolerable_risk"))
    );
    assert_eq!(
        reason(&dep, Status::Deferred).ok(),
        Some(json!("no_bandwidth"))
    );
    for status in [
        Status::Open,
        Status::Fixed,
        Status::InProgress,
        Status::Duplicate,
    ] {
        assert!(
            matches!(reason(&cs, status), Err(TrackerError::Invalid(_))),
            "{status:?}"
        );
        assert!(
            matches!(reason(&dep, status), Err(TrackerError::Invalid(_))),
            "{status:?}"
        );
    }
    let call = push::operation(&cs, &Operation::Reopen).expect("call");
    assert_eq!(
        (call.method, call.path.as_str(), call.body),
        (
            Method::PATCH,
            "/repos/o/r/code-scanning/alerts/3",
            Some(json!({"state": "open"}))
        )
    );
}

#[test]
fn dismiss_comment_is_cut_to_280_characters_on_a_char_boundary() {
    let cs = target(RemoteKind::CodeScanning, "o/r", 3);
    // Four-byte characters: a byte-based cut would split one.
    let comment = "🔒".repeat(500);
    let call = push::operation(
        &cs,
        &Operation::Dismiss {
            status: Status::FalsePositive,
            comment,
        },
    )
    .expect("call");
    let sent = call.body.expect("body")["dismissed_comment"]
        .as_str()
        .expect("comment")
        .to_string();
    assert_eq!(sent.chars().count(), push::DISMISS_COMMENT_LIMIT);
    assert!(sent.starts_with("🔒🔒") && sent.ends_with('…'));
    let short = "ok".to_string();
    let call = push::operation(
        &cs,
        &Operation::Dismiss {
            status: Status::FalsePositive,
            comment: short.clone(),
        },
    )
    .expect("call");
    assert_eq!(call.body.expect("body")["dismissed_comment"], json!(short));
}

#[test]
fn operations_that_do_not_apply_are_invalid() {
    let cs = target(RemoteKind::CodeScanning, "o/r", 3);
    let issue = target(RemoteKind::Issue, "o/r", 3);
    let bad = [
        (&cs, Operation::Comment { body: "x".into() }),
        (
            &cs,
            Operation::AddLabels {
                labels: vec!["a".into()],
            },
        ),
        (&cs, Operation::RemoveLabel { label: "a".into() }),
        (
            &cs,
            Operation::AddAssignees {
                logins: vec!["a".into()],
            },
        ),
        (
            &cs,
            Operation::RemoveAssignees {
                logins: vec!["a".into()],
            },
        ),
        (&cs, Operation::Close { completed: true }),
        (
            &issue,
            Operation::Dismiss {
                status: Status::FalsePositive,
                comment: "x".into(),
            },
        ),
        (&issue, Operation::AddLabels { labels: vec![] }),
        (
            &issue,
            Operation::AddAssignees {
                logins: vec![" ".into()],
            },
        ),
        (&issue, Operation::RemoveLabel { label: "..".into() }),
        (&issue, Operation::Comment { body: "  ".into() }),
    ];
    for (at, op) in bad {
        assert!(
            matches!(push::operation(at, &op), Err(TrackerError::Invalid(_))),
            "{at} {op:?}"
        );
    }
}

#[test]
fn issue_operations_use_the_additive_endpoints() {
    let issue = target(RemoteKind::Issue, "o/r", 9);
    let call = push::operation(&issue, &Operation::Reopen).expect("call");
    assert_eq!(
        call.body,
        Some(json!({"state": "open", "state_reason": "reopened"}))
    );
    let call = push::operation(&issue, &Operation::Close { completed: true }).expect("call");
    assert_eq!(
        call.body,
        Some(json!({"state": "closed", "state_reason": "completed"}))
    );
    let call = push::operation(
        &issue,
        &Operation::RemoveLabel {
            label: "needs triage/ü?#%.".into(),
        },
    )
    .expect("call");
    assert_eq!(
        call.path,
        "/repos/o/r/issues/9/labels/needs%20triage%2F%C3%BC%3F%23%25%2E"
    );
    assert!(call.missing_ok && call.body.is_none());
    // No operation ever sends the replacing forms.
    for op in [
        Operation::AddLabels {
            labels: vec!["a".into()],
        },
        Operation::AddAssignees {
            logins: vec!["a".into()],
        },
        Operation::Close { completed: false },
    ] {
        let call = push::operation(&issue, &op).expect("call");
        if call.method == Method::PATCH {
            let body = call.body.expect("body");
            assert!(body.get("labels").is_none() && body.get("assignees").is_none());
        } else {
            assert_eq!(call.method, Method::POST);
        }
    }
}

#[test]
fn repository_names_cannot_leave_their_path() {
    for bad in [
        "o", "o/r/x", "../r", "o/..", "o/.", "/r", "o/", "o/r?x=1", "o/r#f", "o%2f/r", "o /r",
    ] {
        assert!(push::repo_path(bad).is_err(), "{bad}");
    }
    assert_eq!(
        push::repo_path("my-org/repo.js_2").expect("ok"),
        "/repos/my-org/repo.js_2"
    );
    let at = target(RemoteKind::Issue, "o/r", 0);
    assert!(push::operation(&at, &Operation::Reopen).is_err());
}

// ---- the connector itself ----

#[test]
fn settings_endpoints_and_first_pages() {
    let gh = GitHub::new(GithubSettings {
        api: "http://127.0.0.1:9/api/v3".into(),
        repos: vec!["o/r".into(), "o/s".into()],
        issue_labels: vec!["security".into(), "needs fix".into()],
        kinds: vec![RemoteKind::Issue, RemoteKind::Dependabot],
        ..GithubSettings::default()
    })
    .expect("settings");
    let keys: Vec<String> = gh.endpoints().into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        vec![
            "github:o/r:dependabot",
            "github:o/r:issue",
            "github:o/s:dependabot",
            "github:o/s:issue"
        ]
    );
    let issues = gh
        .endpoints()
        .into_iter()
        .find(|e| e.kind == RemoteKind::Issue)
        .expect("issue");
    let w = ts("2025-08-25T16:03:10.750Z");
    let url = gh.first_page(&issues, Some(w)).expect("url");
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:9/api/v3/repos/o/r/issues?state=all&labels=security%2Cneeds+fix&since=2025-08-25T15%3A58%3A10Z&sort=updated&direction=asc&per_page=100"
    );
    let dep = gh
        .endpoints()
        .into_iter()
        .find(|e| e.kind == RemoteKind::Dependabot)
        .expect("dep");
    let url = gh.first_page(&dep, Some(w)).expect("url");
    assert_eq!(
        url.as_str(),
        "http://127.0.0.1:9/api/v3/repos/o/r/dependabot/alerts?sort=updated&direction=desc&per_page=100"
    );
    assert!(!gh.capabilities().pull_alerts || gh.capabilities().pull_issues);

    for bad in [
        GithubSettings {
            repos: vec!["no-slash".into()],
            ..GithubSettings::default()
        },
        GithubSettings {
            issue_labels: vec!["a,b".into()],
            ..GithubSettings::default()
        },
        GithubSettings {
            api: "http://api.github.com".into(),
            ..GithubSettings::default()
        },
    ] {
        assert!(GitHub::new(bad).is_err());
    }
    assert_eq!(
        GithubSettings::default().tracking_labels(),
        vec![DEFAULT_LABEL]
    );
}

#[test]
fn http_config_sends_the_headers_github_and_prism_both_take() {
    let c = GithubSettings::default().http_config();
    assert_eq!(c.base_url, DEFAULT_API);
    assert!(c.headers.contains(&(
        "Accept".to_string(),
        "application/vnd.github+json, application/json".to_string()
    )));
    assert!(
        c.headers
            .contains(&("X-GitHub-Api-Version".to_string(), "2022-11-28".to_string()))
    );
}
