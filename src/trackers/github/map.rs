//! GitHub's objects in lastmile's terms. Pure: no I/O, so every mapping rule is tested on the
//! recorded payloads.
//!
//! Decisions worth knowing:
//! - Code scanning severity: `rule.security_severity_level` (critical/high/medium/low) when the
//!   rule has one, else the SARIF level in `rule.severity` the way SARIF import reads it
//!   (error -> high, warning -> medium, note -> low, none -> info), else medium. GitHub exposes
//!   no numeric security-severity on alerts, so `score` stays empty.
//! - Dependabot severity: the advisory's (`moderate` read as medium), else the vulnerability's;
//!   `score` is CVSS v3 (what SARIF `security-severity` carries), else v4.
//! - Dismissal reasons: "false positive" and "used in tests" are false positives; "won't fix"
//!   and "mitigated" accepted risk (someone chose to live with the code as it is). Dependabot
//!   inaccurate/not_used -> false positive, tolerable_risk -> accepted risk, no_bandwidth ->
//!   deferred, fix_started -> in progress (the alert is closed on GitHub but the work is not
//!   done: the finding stays active). Auto-triage (`auto_dismissed`) is accepted risk by
//!   "github (auto-triage)". A reason GitHub adds later reads as accepted risk, the least
//!   presumptuous closed status.
//! - Issues: closed as completed (or before GitHub recorded reasons) -> fixed; not_planned ->
//!   dismissed as accepted risk (the ticket was dropped: nobody will fix it); duplicate ->
//!   dismissed as duplicate.
//! - Text is kept as GitHub sent it (display sanitizes) except NUL, which SQLite text and C
//!   strings cannot carry.

use super::wire::{CodeScanningAlert, DependabotAlert, Issue, User};
use crate::model::{Severity, Status};
use crate::trackers::packet;
use crate::trackers::{RemoteItem, RemoteKind, RemoteRef, RemoteState};
use std::str::FromStr;

/// Who dismissed an alert GitHub's auto-triage rules closed.
pub const AUTO_TRIAGE: &str = "github (auto-triage)";

/// Why an object could not be read; the page skips it and says so in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError(pub String);

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn text(s: Option<String>) -> Option<String> {
    s.map(|s| {
        if s.contains('\0') {
            s.replace('\0', "")
        } else {
            s
        }
    })
}

fn logins(users: Vec<User>) -> Vec<String> {
    users
        .into_iter()
        .filter_map(|u| text(u.login))
        .filter(|l| !l.is_empty())
        .collect()
}

fn login(user: Option<User>) -> Option<String> {
    user.and_then(|u| text(u.login))
}

fn at(tracker: &str, repo: &str, kind: RemoteKind, number: i64) -> RemoteRef {
    RemoteRef {
        tracker: tracker.to_string(),
        kind,
        repo: repo.to_string(),
        number,
    }
}

/// "CWE-79,CWE-89" from tags such as CodeQL's "external/cwe/cwe-079" or advisory ids
/// "CWE-79", written as SARIF import writes them.
pub fn cwes<'a>(texts: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut nums = Vec::new();
    for t in texts {
        crate::ingest::sarif::collect_cwes(t, &mut nums);
    }
    crate::ingest::sarif::cwe_text(&nums)
}

fn level_severity(level: Option<&str>) -> Option<Severity> {
    let level = level?.trim().to_ascii_lowercase();
    match level.as_str() {
        "moderate" => Some(Severity::Medium),
        "critical" | "high" | "medium" | "low" => Severity::from_str(&level).ok(),
        _ => None,
    }
}

pub fn code_scanning_severity(a: &CodeScanningAlert) -> Severity {
    level_severity(a.rule.security_severity_level.as_deref())
        .or_else(|| {
            a.rule
                .severity
                .as_deref()
                .map(|s| s.trim().to_ascii_lowercase())
                .and_then(|s| Severity::from_sarif_level(&s))
        })
        .unwrap_or_default()
}

/// The status a code scanning dismissal reason means here.
pub fn code_scanning_dismissal(reason: Option<&str>) -> Status {
    match reason {
        Some("false positive") | Some("used in tests") => Status::FalsePositive,
        _ => Status::AcceptedRisk,
    }
}

/// The status a Dependabot dismissal reason means here.
pub fn dependabot_dismissal(reason: Option<&str>) -> Status {
    match reason {
        Some("inaccurate") | Some("not_used") => Status::FalsePositive,
        Some("no_bandwidth") => Status::Deferred,
        Some("fix_started") => Status::InProgress,
        _ => Status::AcceptedRisk,
    }
}

pub fn code_scanning(
    tracker: &str,
    repo: &str,
    a: CodeScanningAlert,
) -> Result<RemoteItem, MapError> {
    let severity = code_scanning_severity(&a);
    // GitHub's schema makes updated_at optional; the latest thing that happened stands in.
    let updated_at = a
        .updated_at
        .or_else(|| {
            [a.created_at, a.dismissed_at, a.fixed_at]
                .into_iter()
                .flatten()
                .max()
        })
        .ok_or_else(|| MapError(format!("code scanning alert #{}: no timestamps", a.number)))?;
    let state = match a.state.as_str() {
        "open" => RemoteState::Open,
        // "closed" is what older API versions called a fixed alert.
        "fixed" | "closed" => RemoteState::Fixed,
        "dismissed" => {
            let reason = text(a.dismissed_reason);
            RemoteState::Dismissed {
                status: code_scanning_dismissal(reason.as_deref()),
                reason,
                comment: text(a.dismissed_comment),
                by: login(a.dismissed_by),
            }
        }
        other => {
            return Err(MapError(format!(
                "code scanning alert #{}: unknown state {:?}",
                a.number,
                crate::sanitize::line(other)
            )));
        }
    };
    let cwe = cwes(a.rule.tags.iter().filter_map(serde_json::Value::as_str));
    let instance = a.most_recent_instance.unwrap_or_default();
    let location = instance.location.unwrap_or_default();
    let rule = text(a.rule.id.clone().or_else(|| a.rule.name.clone()));
    let title = text(a.rule.description.clone())
        .filter(|t| !t.trim().is_empty())
        .or_else(|| rule.clone())
        .unwrap_or_else(|| format!("Code scanning alert #{}", a.number));
    let message = text(instance.message.and_then(|m| m.text))
        .or_else(|| text(a.rule.full_description))
        .unwrap_or_default();
    Ok(RemoteItem {
        at: at(tracker, repo, RemoteKind::CodeScanning, a.number),
        repo_id: None,
        url: text(a.html_url),
        state,
        created_at: a.created_at,
        updated_at,
        assignees: logins(a.assignees),
        labels: Vec::new(),
        title,
        message,
        tool: text(a.tool.name),
        rule,
        severity,
        score: None,
        cwe,
        cve: None,
        ghsa: None,
        path: text(location.path),
        start_line: location.start_line,
        end_line: location.end_line,
        help_uri: text(a.rule.help_uri),
        marker: None,
    })
}

pub fn dependabot_severity(a: &DependabotAlert) -> Severity {
    level_severity(a.security_advisory.severity.as_deref())
        .or_else(|| level_severity(a.security_vulnerability.severity.as_deref()))
        .unwrap_or_default()
}

fn dependabot_score(a: &DependabotAlert) -> Option<f64> {
    let adv = &a.security_advisory;
    let sev = adv.cvss_severities.as_ref();
    // GitHub sends score 0 with a null vector for "not scored".
    [
        sev.and_then(|s| s.cvss_v3.as_ref()),
        adv.cvss.as_ref(),
        sev.and_then(|s| s.cvss_v4.as_ref()),
    ]
    .into_iter()
    .flatten()
    .filter_map(|c| c.score)
    .find(|s| s.is_finite() && *s > 0.0 && *s <= 10.0)
}

pub fn dependabot(tracker: &str, repo: &str, a: DependabotAlert) -> Result<RemoteItem, MapError> {
    let severity = dependabot_severity(&a);
    let score = dependabot_score(&a);
    let state = match a.state.as_str() {
        "open" => RemoteState::Open,
        "fixed" => RemoteState::Fixed,
        "dismissed" => {
            let reason = text(a.dismissed_reason);
            RemoteState::Dismissed {
                status: dependabot_dismissal(reason.as_deref()),
                reason,
                comment: text(a.dismissed_comment),
                by: login(a.dismissed_by),
            }
        }
        "auto_dismissed" => RemoteState::Dismissed {
            status: Status::AcceptedRisk,
            reason: Some(text(a.dismissed_reason).unwrap_or_else(|| "auto_dismissed".into())),
            comment: text(a.dismissed_comment),
            by: Some(AUTO_TRIAGE.to_string()),
        },
        other => {
            return Err(MapError(format!(
                "Dependabot alert #{}: unknown state {:?}",
                a.number,
                crate::sanitize::line(other)
            )));
        }
    };
    let adv = a.security_advisory;
    let ghsa = text(adv.ghsa_id);
    let cwe = cwes(adv.cwes.iter().filter_map(|c| c.cwe_id.as_deref()));
    // GitHub's advisory page first: it names the ecosystem-specific fix; then any reference.
    let refs: Vec<String> = adv
        .references
        .into_iter()
        .filter_map(|r| text(r.url))
        .collect();
    let help_uri = ghsa
        .as_deref()
        .and_then(|g| {
            let page = format!("https://github.com/advisories/{g}");
            refs.iter()
                .find(|u| **u == page)
                .or_else(|| refs.iter().find(|u| u.ends_with(g)))
        })
        .or_else(|| refs.first())
        .cloned();
    let package = a.dependency.package.unwrap_or_default();
    let name = text(package.name);
    let manifest = text(a.dependency.manifest_path);
    let patched = a
        .security_vulnerability
        .first_patched_version
        .and_then(|p| text(p.identifier));
    // Package, manifest and fix version have no field of their own in the neutral model; a
    // first line keeps them in sight.
    let mut head = Vec::new();
    if let Some(n) = &name {
        match text(package.ecosystem) {
            Some(e) => head.push(format!("{n} ({e})")),
            None => head.push(n.clone()),
        }
    }
    if let Some(m) = &manifest {
        head.push(format!("in {m}"));
    }
    if let Some(p) = &patched {
        head.push(format!("patched in {p}"));
    }
    let description = text(adv.description).unwrap_or_default();
    let message = match (head.is_empty(), description.is_empty()) {
        (true, _) => description,
        (false, true) => head.join(", "),
        (false, false) => format!("{}\n\n{description}", head.join(", ")),
    };
    let title = text(adv.summary)
        .filter(|t| !t.trim().is_empty())
        .or_else(|| ghsa.clone())
        .unwrap_or_else(|| format!("Dependabot alert #{}", a.number));
    Ok(RemoteItem {
        at: at(tracker, repo, RemoteKind::Dependabot, a.number),
        repo_id: None,
        url: text(a.html_url),
        state,
        created_at: a.created_at,
        updated_at: a.updated_at,
        assignees: logins(a.assignees),
        labels: Vec::new(),
        title,
        message,
        tool: Some("dependabot".to_string()),
        rule: ghsa.clone(),
        severity,
        score,
        cwe,
        cve: text(adv.cve_id),
        ghsa,
        path: manifest,
        start_line: None,
        end_line: None,
        help_uri,
        marker: None,
    })
}

/// An issue's state. Pull requests are the caller's to skip.
pub fn issue_state(i: &Issue) -> Result<RemoteState, MapError> {
    let reason = i.state_reason.as_deref();
    match (i.state.as_str(), reason) {
        ("open", _) => Ok(RemoteState::Open),
        ("closed", None | Some("completed")) => Ok(RemoteState::Fixed),
        ("closed", Some(r)) => Ok(RemoteState::Dismissed {
            status: if r == "duplicate" {
                Status::Duplicate
            } else {
                Status::AcceptedRisk
            },
            reason: text(Some(r.to_string())),
            comment: None,
            by: login(i.closed_by.clone()),
        }),
        (other, _) => Err(MapError(format!(
            "issue #{}: unknown state {:?}",
            i.number,
            crate::sanitize::line(other)
        ))),
    }
}

pub fn issue(tracker: &str, repo: &str, i: Issue) -> Result<RemoteItem, MapError> {
    let state = issue_state(&i)?;
    let body = text(i.body).unwrap_or_default();
    let marker = packet::find_marker(&body);
    let mut assignees = logins(i.assignees);
    if assignees.is_empty() {
        assignees.extend(login(i.assignee));
    }
    let labels = i
        .labels
        .iter()
        .filter_map(|l| text(l.name().map(str::to_string)))
        .collect();
    Ok(RemoteItem {
        at: at(tracker, repo, RemoteKind::Issue, i.number),
        repo_id: i.repository.and_then(|r| r.id),
        url: text(i.html_url),
        state,
        created_at: i.created_at,
        updated_at: i.updated_at,
        assignees,
        labels,
        title: text(i.title).unwrap_or_default(),
        message: body,
        tool: None,
        rule: None,
        // Issues carry no severity of their own: the finding's is lastmile's.
        severity: Severity::default(),
        score: None,
        cwe: None,
        cve: None,
        ghsa: None,
        path: None,
        start_line: None,
        end_line: None,
        help_uri: None,
        marker,
    })
}
