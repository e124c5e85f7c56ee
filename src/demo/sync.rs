//! The demo's tracker story, recorded through the real sync against the demo's GitHub stand-in
//! (`demo::github`), so the sync view and the detail pane's links have something to show at
//! first sight:
//!
//! - GitHub knows some of payments-api's findings as code scanning and Dependabot alerts (same
//!   rule and place, same advisory): the first sync links them. One was already dismissed on
//!   GitHub ("used in tests"), so lastmile takes that over. GitHub's documentation examples,
//!   re-dated, are alerts and an issue nobody imported: the sync makes findings of them.
//! - Alice dismisses a linked alert as a false positive and asks for a ticket: the second sync
//!   pushes both. She accepts the risk of a Dependabot alert; GitHub refuses that update (the
//!   stand-in answers 422 for that alert), so the row fails for good and waits for a person.
//! - Then she confirms the ticketed finding (a comment for the issue) and marks two more
//!   alerts false positives: those wait in the outbox for the next sync (`U` in the console).
//! - Meanwhile someone dismisses one of those two alerts on GitHub as "won't fix": the third
//!   sync, a pull, records the conflict (lastmile's decision stands and is pushed later).
//! - After that, GitHub's analysis raises alerts for a few more of the findings: the console's
//!   first sync pulls them (two pages) and links them, and pushes what waits.

use super::github::issues::{fill_issue, label_objects};
use super::github::world::{self, set, set_path, stamp};
use super::github::{AlertKind, Replay, Repo, World};
use crate::clock::{Clock, FixedClock};
use crate::config::Config;
use crate::model::{DecisionKind, Finding, Severity, Status};
use crate::store::{DecisionRequest, Outcome, SortKey, Store, StoreError};
use crate::trackers::engine::{self, Plan, Summary};
use crate::trackers::github::GitHub;
use crate::trackers::http::Client;
use crate::trackers::setup;
use crate::triage::policy::Policy;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The demo's GitHub repository; `[[repos]] payments-api` names it.
pub const REPO: &str = "acme/payments-api";
/// Where the demo config's teams send their tickets: issues only, empty until someone files one.
const TICKET_REPOS: &[&str] = &["acme/web-frontend", "acme/mobile-gateway"];

const CODE_SCANNING: &str =
    include_str!("../../assets/demo/github/code-scanning__list-alerts-for-repo.200.json");
const DEPENDABOT: &str =
    include_str!("../../assets/demo/github/dependabot__list-alerts-for-repo.200.json");
const ISSUES: &str = include_str!("../../assets/demo/github/issues__list-for-repo.200.json");
const NEW_ISSUE: &str = include_str!("../../assets/demo/github/issues__create.201.json");
const NEW_COMMENT: &str = include_str!("../../assets/demo/github/issues__create-comment.201.json");

/// Alerts GitHub knows for payments-api's findings at the first sync, at most.
const MATCHED_CODE: usize = 6;
/// Alerts for more of them that GitHub's analysis raises after the last recorded sync, so the
/// console's first sync has something to pull (over two pages) and link.
const LATE_CODE: usize = 6;

/// Advisories for the demo's Trivy CVEs in Python manifests (ids from the GitHub Advisory
/// Database), so Dependabot alerts match Trivy findings by CVE.
struct Advisory {
    cve: &'static str,
    ghsa: &'static str,
    package: &'static str,
    vulnerable: &'static str,
    patched: &'static str,
}

const ADVISORIES: &[Advisory] = &[
    Advisory {
        cve: "CVE-2024-3651",
        ghsa: "GHSA-jjg7-2v4v-x38h",
        package: "idna",
        vulnerable: "< 3.7",
        patched: "3.7",
    },
    Advisory {
        cve: "CVE-2024-24762",
        ghsa: "GHSA-2jv5-9r88-3w3p",
        package: "python-multipart",
        vulnerable: "< 0.0.7",
        patched: "0.0.7",
    },
];

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("demo GitHub stand-in: {what}: {e}"))
}

/// The `body` of one of GitHub's examples as shipped in assets/demo/github.
fn example(text: &str, name: &str) -> Result<Value, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad(name, e))?;
    v.get("body")
        .cloned()
        .ok_or_else(|| bad(name, "no body in the example"))
}

fn nth(list: &Value, i: usize, name: &str) -> Result<Value, StoreError> {
    list.get(i)
        .cloned()
        .ok_or_else(|| bad(name, format!("no example #{i}")))
}

fn parse_time(s: &str, or: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(or)
}

/// What GitHub would call the finding's severity: the SARIF level and, for security rules,
/// the security severity level.
fn levels(s: Severity) -> (&'static str, Option<&'static str>) {
    match s {
        Severity::Critical => ("error", Some("critical")),
        Severity::High => ("error", Some("high")),
        Severity::Medium => ("warning", Some("medium")),
        Severity::Low => ("note", Some("low")),
        Severity::Info => ("note", None),
    }
}

/// "external/cwe/cwe-089", as CodeQL tags rules.
fn cwe_tag(cwe: &str) -> Option<String> {
    let n: u32 = cwe
        .trim()
        .to_ascii_uppercase()
        .strip_prefix("CWE-")?
        .parse()
        .ok()?;
    Some(format!("external/cwe/cwe-{n:03}"))
}

/// A code scanning alert for `f`, in the shape of GitHub's open example: same rule, tool and
/// place, so the matcher links it to `f`.
fn code_alert(template: &Value, repo: &Repo, n: i64, f: &Finding, now: DateTime<Utc>) -> Value {
    let mut a = template.clone();
    let created = parse_time(&f.row.first_seen, now - Duration::days(30));
    let (level, security) = levels(f.row.severity);
    let mut tags = vec![json!("security")];
    tags.extend(f.cwe.as_deref().and_then(cwe_tag).map(Value::from));
    set(&mut a, "number", json!(n));
    set(&mut a, "created_at", json!(stamp(created)));
    set(&mut a, "updated_at", json!(stamp(created)));
    set(&mut a, "url", json!(alert_api(repo, "code-scanning", n)));
    set(
        &mut a,
        "html_url",
        json!(repo.html_url(&format!("security/code-scanning/{n}"))),
    );
    set(
        &mut a,
        "instances_url",
        json!(format!("{}/instances", alert_api(repo, "code-scanning", n))),
    );
    set(
        &mut a,
        "rule",
        json!({
            "id": f.row.rule,
            "name": f.row.rule,
            "severity": level,
            "security_severity_level": security,
            "tags": tags,
            "description": f.row.title,
        }),
    );
    set(
        &mut a,
        "tool",
        json!({ "name": f.row.tool, "guid": null, "version": null }),
    );
    let line = f.row.line.unwrap_or(1);
    set_path(
        &mut a,
        &["most_recent_instance", "message", "text"],
        json!(f.message),
    );
    set_path(
        &mut a,
        &["most_recent_instance", "location"],
        json!({
            "path": f.row.path,
            "start_line": line,
            "end_line": f.end_line.unwrap_or(line),
        }),
    );
    set_path(
        &mut a,
        &["most_recent_instance", "classifications"],
        json!([]),
    );
    a
}

fn alert_api(repo: &Repo, segment: &str, n: i64) -> String {
    format!(
        "https://api.github.com/repos/{}/{segment}/alerts/{n}",
        repo.full_name
    )
}

/// Moves one of GitHub's example alerts into `repo` as number `n`, created `days` ago.
fn redate_alert(
    a: &mut Value,
    repo: &Repo,
    kind: AlertKind,
    n: i64,
    days: i64,
    now: DateTime<Utc>,
) {
    let created = now - Duration::days(days);
    let segment = kind.segment();
    set(a, "number", json!(n));
    set(a, "url", json!(alert_api(repo, segment, n)));
    let page = match kind {
        AlertKind::CodeScanning => format!("security/code-scanning/{n}"),
        AlertKind::Dependabot => format!("security/dependabot/{n}"),
    };
    set(a, "html_url", json!(repo.html_url(&page)));
    set(a, "created_at", json!(stamp(created)));
    let dismissed = a.get("state").and_then(Value::as_str) == Some("dismissed");
    let updated = if dismissed {
        let at = created + Duration::days(2);
        set(a, "dismissed_at", json!(stamp(at)));
        at
    } else {
        created
    };
    set(a, "updated_at", json!(stamp(updated)));
    if kind == AlertKind::CodeScanning {
        set(
            a,
            "instances_url",
            json!(format!("{}/instances", alert_api(repo, segment, n))),
        );
    }
}

/// A Dependabot alert for the Trivy finding `f` on `adv`, in the shape of GitHub's open
/// example; its state follows the finding's (open while it is active, else fixed).
fn dependabot_alert(
    template: &Value,
    repo: &Repo,
    n: i64,
    f: &Finding,
    adv: &Advisory,
    now: DateTime<Utc>,
) -> Value {
    let mut a = template.clone();
    let created = parse_time(&f.row.first_seen, now - Duration::days(30));
    let severity = f.row.severity.as_str();
    let package = json!({ "ecosystem": "pip", "name": adv.package });
    let vulnerability = json!({
        "package": package,
        "severity": severity,
        "vulnerable_version_range": adv.vulnerable,
        "first_patched_version": { "identifier": adv.patched },
    });
    set(&mut a, "number", json!(n));
    set(&mut a, "url", json!(alert_api(repo, "dependabot", n)));
    set(
        &mut a,
        "html_url",
        json!(repo.html_url(&format!("security/dependabot/{n}"))),
    );
    set_path(&mut a, &["dependency", "package"], package.clone());
    set_path(&mut a, &["dependency", "manifest_path"], json!(f.row.path));
    set(
        &mut a,
        "security_advisory",
        json!({
            "ghsa_id": adv.ghsa,
            "cve_id": adv.cve,
            "summary": f.row.title,
            "description": f.message,
            "vulnerabilities": [vulnerability],
            "severity": severity,
            "cvss": null,
            "cvss_severities": null,
            "cwes": f.cwe.as_deref().map(|c| json!([{ "cwe_id": c }])).unwrap_or(json!([])),
            "identifiers": [
                { "type": "GHSA", "value": adv.ghsa },
                { "type": "CVE", "value": adv.cve },
            ],
            "references": [
                { "url": format!("https://nvd.nist.gov/vuln/detail/{}", adv.cve) },
                { "url": format!("https://github.com/advisories/{}", adv.ghsa) },
            ],
        }),
    );
    set(&mut a, "security_vulnerability", vulnerability);
    set(&mut a, "created_at", json!(stamp(created)));
    if f.row.status.is_active() {
        set(&mut a, "state", json!("open"));
        set(&mut a, "updated_at", json!(stamp(created)));
    } else {
        let fixed = parse_time(&f.row.last_seen, created);
        set(&mut a, "state", json!("fixed"));
        set(&mut a, "fixed_at", json!(stamp(fixed)));
        set(&mut a, "updated_at", json!(stamp(fixed)));
    }
    a
}

/// What the stand-in holds before the first sync, and who is who in the story.
struct Cast {
    world: World,
    /// Findings GitHub knows as code scanning alerts, with their alert numbers.
    code: Vec<(i64, i64)>,
    /// Alerts that appear on GitHub after the recorded syncs.
    late: Vec<Value>,
    /// The example Dependabot alert that becomes a finding and whose dismissal GitHub refuses.
    refused_ghsa: Option<String>,
}

fn cast(store: &Store, now: DateTime<Utc>) -> Result<Cast, StoreError> {
    let ctx = crate::query::Context::new(now, None);
    let mut findings = store.list("repo:payments-api", &ctx, SortKey::DEFAULT, 100_000)?;
    findings.sort_by_key(|f| f.row.id);
    // The matcher takes the oldest finding of a place or an advisory: so does the story.
    let mut first_at: HashMap<(&str, &str, i64), i64> = HashMap::new();
    for f in &findings {
        if let (Some(path), Some(line)) = (f.row.path.as_deref(), f.row.line) {
            first_at
                .entry((f.row.rule.as_str(), path, line))
                .or_insert(f.row.id);
        }
    }
    let candidates: Vec<&Finding> = findings
        .iter()
        .filter(|f| matches!(f.row.tool.as_str(), "Semgrep OSS" | "Bandit"))
        .filter(|f| f.row.status == Status::Open && !f.row.pending)
        // Dismissing an exploitable finding waits for approval: not what this story shows.
        .filter(|f| f.row.lane.as_deref() != Some("exploitable"))
        .filter(|f| match (f.row.path.as_deref(), f.row.line) {
            (Some(p), Some(l)) => first_at.get(&(f.row.rule.as_str(), p, l)) == Some(&f.row.id),
            _ => false,
        })
        .collect();
    let wanted = MATCHED_CODE + LATE_CODE;
    let step = (candidates.len() / wanted).max(1);
    let chosen: Vec<&Finding> = candidates.into_iter().step_by(step).take(wanted).collect();

    let mut repo = Repo::new(719_204_331, REPO);
    let code_examples = example(CODE_SCANNING, "code scanning alerts")?;
    let open_example = nth(&code_examples, 0, "code scanning alerts")?;
    // GitHub's examples first, as the oldest alerts: one open, one dismissed as a false positive.
    for (i, days) in [(0usize, 45i64), (1, 60)] {
        let mut a = nth(&code_examples, i, "code scanning alerts")?;
        let n = i as i64 + 1;
        redate_alert(&mut a, &repo, AlertKind::CodeScanning, n, days, now);
        repo.code_scanning.push(a);
    }
    let mut code = Vec::new();
    let mut late = Vec::new();
    for (k, f) in chosen.iter().enumerate() {
        let n = 10 + k as i64;
        let mut a = code_alert(&open_example, &repo, n, f, now);
        if k >= MATCHED_CODE {
            // Found by an analysis that ran after the last sync the demo recorded.
            let at = now - Duration::hours(1);
            set(&mut a, "created_at", json!(stamp(at)));
            set(&mut a, "updated_at", json!(stamp(at)));
            late.push(a);
            continue;
        }
        if k == 4 {
            // Someone on GitHub got there first: the sync takes their dismissal over.
            let at = now - Duration::days(3);
            set(&mut a, "state", json!("dismissed"));
            set(&mut a, "dismissed_reason", json!("used in tests"));
            set(
                &mut a,
                "dismissed_comment",
                json!("Only the integration tests reach this code."),
            );
            set(&mut a, "dismissed_by", json!({ "login": world::LOGIN }));
            set(&mut a, "dismissed_at", json!(stamp(at)));
            set(&mut a, "updated_at", json!(stamp(at)));
        }
        repo.code_scanning.push(a);
        code.push((f.row.id, n));
    }

    let dep_examples = example(DEPENDABOT, "Dependabot alerts")?;
    let mut refused_ghsa = None;
    // GitHub's two examples, findings nobody imported: the open one (#1 there) and the one
    // dismissed as a tolerable risk (#2).
    for (i, n, days) in [(1usize, 1i64, 30i64), (0, 2, 90)] {
        let mut a = nth(&dep_examples, i, "Dependabot alerts")?;
        redate_alert(&mut a, &repo, AlertKind::Dependabot, n, days, now);
        set_path(
            &mut a,
            &["dependency", "manifest_path"],
            json!("requirements.txt"),
        );
        if n == 1 {
            refused_ghsa = a
                .pointer("/security_advisory/ghsa_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            repo.refuse.push((AlertKind::Dependabot, n));
        }
        repo.dependabot.push(a);
    }
    let open_dep = nth(&dep_examples, 1, "Dependabot alerts")?;
    for (k, adv) in ADVISORIES.iter().enumerate() {
        let oldest = findings.iter().find(|f| {
            f.row.rule == adv.cve || f.cve.as_deref().is_some_and(|c| c.contains(adv.cve))
        });
        if let Some(f) = oldest {
            let a = dependabot_alert(&open_dep, &repo, 3 + k as i64, f, adv, now);
            repo.dependabot.push(a);
        }
    }

    // An issue someone filed with the label lastmile pulls by: it becomes a finding.
    let mut issue = nth(&example(ISSUES, "issues")?, 0, "issues")?;
    fill_issue(&mut issue, &repo, 1347);
    let filed = now - Duration::days(20);
    set(
        &mut issue,
        "labels",
        label_objects(&repo, &["bug".into(), "security".into()]),
    );
    set(&mut issue, "state_reason", Value::Null);
    set(&mut issue, "created_at", json!(stamp(filed)));
    set(&mut issue, "updated_at", json!(stamp(filed)));
    repo.issues.push(issue);

    let mut repos = vec![repo];
    for (k, name) in TICKET_REPOS.iter().enumerate() {
        repos.push(Repo::new(719_204_340 + k as i64, name));
    }
    Ok(Cast {
        world: World {
            repos,
            issue_template: example(NEW_ISSUE, "new issue")?,
            comment_template: example(NEW_COMMENT, "new comment")?,
        },
        code,
        late,
        refused_ghsa,
    })
}

/// The GitHub connector as `lastmile sync` builds it from `config`, minus the token (the
/// stand-in needs none, and the demo must not send the user's anywhere) and the pause between
/// writes (GitHub's advice against its secondary rate limit; on loopback it only slows the build).
pub fn connector(config: &Config) -> Result<GitHub, StoreError> {
    let mut settings = setup::github_settings(config)
        .map_err(|e| bad("config", e))?
        .ok_or_else(|| bad("config", "no [trackers.github]"))?;
    settings.token = None;
    let mut http = settings.http_config();
    http.mutation_gap = std::time::Duration::ZERO;
    let client = Client::new(http).map_err(|e| bad("client", e))?;
    GitHub::with_client(settings, client).map_err(|e| bad("connector", e))
}

struct Syncer<'a> {
    github: GitHub,
    runtime: tokio::runtime::Runtime,
    config: &'a Config,
    policy: &'a Policy,
    clock: &'a FixedClock,
}

impl Syncer<'_> {
    fn run(&self, store: &mut Store, push: bool) -> Result<Summary, StoreError> {
        let ctx = engine::Context {
            local_repos: setup::github_repos(self.config),
            logins: setup::github_logins(self.config),
            policy: self.policy,
            clock: self.clock,
            ticket: &setup::ticket_for,
        };
        let plan = Plan {
            pull: true,
            push,
            dry_run: false,
        };
        self.runtime
            .block_on(engine::sync(&self.github, store, &ctx, plan, &mut |_| {}))
            .map_err(|e| match e {
                engine::SyncError::Store(e) => e,
            })
    }
}

/// Decides as Alice; what waits for a second person Bob approves, as the demo's reviewers do.
fn settle(
    store: &mut Store,
    ids: &[i64],
    req: &DecisionRequest,
    policy: &Policy,
    clock: &FixedClock,
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let results = store.decide(ids, req, "alice", policy, clock)?;
    let pending: Vec<i64> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Pending)
        .map(|r| r.finding_id)
        .collect();
    if !pending.is_empty() {
        clock.set(clock.now() + Duration::minutes(20));
        store.review(&pending, None, Some("Agreed."), "bob", policy, clock)?;
    }
    Ok(())
}

fn decision(kind: DecisionKind, reason: &str) -> DecisionRequest {
    DecisionRequest {
        kind,
        reason: reason.into(),
        until: None,
        control: None,
        target: None,
    }
}

/// Plays the story against a stand-in started here with `config(its address)`; returns a
/// line for the demo's summary and the stand-in, still serving. Without loopback there is no
/// stand-in and no story: the demo goes on without tracker links.
pub fn record(
    store: &mut Store,
    config: impl Fn(&str) -> Result<Config, StoreError>,
    policy: &Policy,
    clock: &Arc<FixedClock>,
    now: DateTime<Utc>,
) -> Result<(String, Option<Replay>), StoreError> {
    let cast = cast(store, now)?;
    let replay = match Replay::start(cast.world, clock.clone()) {
        Ok(r) => r,
        Err(e) => return Ok((format!("no GitHub stand-in (loopback: {e})"), None)),
    };
    let config = config(&replay.api())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| bad("runtime", e))?;
    let sync = Syncer {
        github: connector(&config)?,
        runtime,
        config: &config,
        policy,
        clock,
    };
    let ctx = crate::query::Context::new(now, None);
    let code = |k: usize| cast.code.get(k).map(|c| c.0);
    let one = |k: usize| code(k).into_iter().collect::<Vec<i64>>();

    clock.set(now - Duration::hours(6));
    let first = sync.run(store, true)?;

    clock.set(now - Duration::hours(5));
    let fp = decision(
        DecisionKind::FalsePositive,
        "The value comes from our own config, never from a request.",
    );
    settle(store, &one(0), &fp, policy, clock)?;
    if let Some(ghsa) = &cast.refused_ghsa {
        let q = format!("repo:payments-api rule:{}", crate::query::quote(ghsa));
        let ids = store.ids_matching(&q, &ctx)?;
        let accept = DecisionRequest {
            until: Some((now + Duration::days(90)).date_naive()),
            control: Some("Runs only in the build image; its logs never leave it.".into()),
            ..decision(
                DecisionKind::AcceptRisk,
                "Build tooling only; the upgrade waits for the CI image refresh.",
            )
        };
        settle(store, &ids, &accept, policy, clock)?;
    }
    let labels = config
        .trackers
        .github
        .as_ref()
        .map(|g| g.get_ref().ticket_labels.clone())
        .unwrap_or_default();
    if let Some(id) = code(1) {
        store.request_tickets(&[id], "github", REPO, &labels, "alice", clock.as_ref())?;
    }

    clock.set(now - Duration::hours(4));
    sync.run(store, true)?;

    clock.set(now - Duration::hours(3));
    let confirm = decision(
        DecisionKind::Confirm,
        "Reproduced against staging; the ticket has the steps.",
    );
    settle(store, &one(1), &confirm, policy, clock)?;
    let later: Vec<i64> = [code(2), code(3)].into_iter().flatten().collect();
    settle(store, &later, &fp, policy, clock)?;

    // Someone on GitHub dismisses one of those alerts their own way before lastmile pushes.
    clock.set(now - Duration::hours(2) - Duration::minutes(30));
    if let Some(&(_, n)) = cast.code.get(3) {
        replay.world(|w, at| {
            let alert = w
                .repo_mut(REPO)
                .and_then(|r| r.alert_mut(AlertKind::CodeScanning, n));
            if let Some(a) = alert {
                set(a, "state", json!("dismissed"));
                set(a, "dismissed_reason", json!("won't fix"));
                set(
                    a,
                    "dismissed_comment",
                    json!("Internal endpoint; we accept this one."),
                );
                set(a, "dismissed_by", json!({ "login": "hubot" }));
                set(a, "dismissed_at", json!(stamp(at)));
                set(a, "updated_at", json!(stamp(at)));
            }
        });
    }
    clock.set(now - Duration::hours(2));
    sync.run(store, false)?;
    let late = cast.late.len();
    replay.world(|w, _| {
        if let Some(r) = w.repo_mut(REPO) {
            r.code_scanning.extend(cast.late);
        }
    });

    let (waiting, failed) = store.outbox_counts()?;
    let conflicts = store.recent_conflicts(50)?.len();
    let note = format!(
        "GitHub stand-in: {} alerts linked to findings, {} new findings from GitHub; outbox {waiting} waiting, {failed} failed; {conflicts} conflict{}; {late} new alerts wait for the next sync",
        first.pulled.linked,
        first.pulled.created,
        if conflicts == 1 { "" } else { "s" }
    );
    Ok((note, Some(replay)))
}
