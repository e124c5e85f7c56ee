//! The request for each operation lastmile pushes, as pure builders (method, path, JSON body)
//! so each is compared with GitHub's recorded requests without a server.
//!
//! Decisions worth knowing:
//! - Code scanning dismissal: false positive -> "false positive"; accepted risk and deferred ->
//!   "won't fix". Not "mitigated" for accepted risk: GitHub's "mitigated" says the risk is gone
//!   (a control removes it), while lastmile's accepted risk means it is still there and someone
//!   owns it; "won't fix" is the honest word for both a kept risk and a postponed fix.
//! - Dependabot: false positive -> inaccurate, accepted risk -> tolerable_risk, deferred ->
//!   no_bandwidth. Other statuses are not dismissals: `Invalid`.
//! - Only additive label and assignee endpoints: `labels`/`assignees` in a PATCH replace the
//!   whole set and would undo what people did on GitHub since the last sync.
//! - Labels are added as `{"labels": [...]}` (GitHub's recommended form, what its OpenAPI
//!   description accepts and octokit sends); PyGithub's recording sends a bare array, which
//!   GitHub also takes, so that one recording cannot be replayed body-for-body.
//! - Comments and bodies are cut to their limits here too, whatever the caller passed, always
//!   on a character boundary.

use crate::model::Status;
use crate::trackers::packet;
use crate::trackers::{NewTicket, Operation, RemoteKind, RemoteRef, TrackerError};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::{Value, json};

/// GitHub's limit on a dismissal comment.
pub const DISMISS_COMMENT_LIMIT: usize = packet::COMMENT_LIMIT;

/// What a successful response carries back, for the link's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    Alert(RemoteKind),
    Issue,
    /// A comment, a label list: nothing the link stores.
    Nothing,
}

/// One request, relative to the API base.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: Method,
    /// `/repos/o/r/...`, percent-encoded.
    pub path: String,
    pub body: Option<Value>,
    /// A 404 means the change is already there (a label already removed).
    pub missing_ok: bool,
    pub returns: Returns,
}

fn invalid(msg: impl Into<String>) -> TrackerError {
    TrackerError::Invalid(msg.into())
}

/// A path segment GitHub allows in owner and repository names. Anything else (a slash, `..`,
/// a percent sign) could step out of `/repos/{owner}/{repo}`, so it is refused, not encoded.
fn name_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `/repos/{owner}/{name}` for a configured `owner/name`.
pub fn repo_path(repo: &str) -> Result<String, TrackerError> {
    match repo.split_once('/') {
        Some((owner, name)) if name_segment(owner) && name_segment(name) => {
            Ok(format!("/repos/{owner}/{name}"))
        }
        _ => Err(invalid(format!(
            "{:?} is not a GitHub repository (owner/name)",
            crate::sanitize::line(repo)
        ))),
    }
}

/// Everything but unreserved characters; `.` too, so a label can never be a dot segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

fn label_segment(label: &str) -> Result<String, TrackerError> {
    // A URL parser folds "." and ".." (even encoded) into the path; such a label cannot be
    // addressed by name.
    if label.is_empty() || label == "." || label == ".." {
        return Err(invalid(format!(
            "label {:?} cannot be removed by name",
            crate::sanitize::line(label)
        )));
    }
    Ok(utf8_percent_encode(label, SEGMENT).to_string())
}

pub fn code_scanning_reason(status: Status) -> Result<&'static str, TrackerError> {
    match status {
        Status::FalsePositive => Ok("false positive"),
        Status::AcceptedRisk | Status::Deferred => Ok("won't fix"),
        other => Err(invalid(format!(
            "a code scanning alert cannot be dismissed as {}",
            other.as_str()
        ))),
    }
}

pub fn dependabot_reason(status: Status) -> Result<&'static str, TrackerError> {
    match status {
        Status::FalsePositive => Ok("inaccurate"),
        Status::AcceptedRisk => Ok("tolerable_risk"),
        Status::Deferred => Ok("no_bandwidth"),
        other => Err(invalid(format!(
            "a Dependabot alert cannot be dismissed as {}",
            other.as_str()
        ))),
    }
}

fn non_empty<'a>(what: &str, items: &'a [String]) -> Result<&'a [String], TrackerError> {
    if items.is_empty() || items.iter().any(|s| s.trim().is_empty()) {
        return Err(invalid(format!("no {what} to send (or an empty one)")));
    }
    Ok(items)
}

/// The request that applies `op` to `target`.
pub fn operation(target: &RemoteRef, op: &Operation) -> Result<Call, TrackerError> {
    if target.number <= 0 {
        return Err(invalid(format!("{target}: not a valid number")));
    }
    let repo = repo_path(&target.repo)?;
    let n = target.number;
    let call = |method: Method, path: String, body: Option<Value>, returns: Returns| Call {
        method,
        path,
        body,
        missing_ok: false,
        returns,
    };
    match target.kind {
        RemoteKind::CodeScanning | RemoteKind::Dependabot => {
            let segment = match target.kind {
                RemoteKind::CodeScanning => "code-scanning",
                _ => "dependabot",
            };
            let path = format!("{repo}/{segment}/alerts/{n}");
            let body = match op {
                Operation::Dismiss { status, comment } => {
                    let reason = match target.kind {
                        RemoteKind::CodeScanning => code_scanning_reason(*status)?,
                        _ => dependabot_reason(*status)?,
                    };
                    json!({
                        "state": "dismissed",
                        "dismissed_reason": reason,
                        "dismissed_comment": packet::clip(comment, DISMISS_COMMENT_LIMIT),
                    })
                }
                Operation::Reopen => json!({ "state": "open" }),
                other => {
                    return Err(invalid(format!(
                        "{target}: {} does not apply to an alert",
                        op_name(other)
                    )));
                }
            };
            Ok(call(
                Method::PATCH,
                path,
                Some(body),
                Returns::Alert(target.kind),
            ))
        }
        RemoteKind::Issue => {
            let issue = format!("{repo}/issues/{n}");
            Ok(match op {
                Operation::Close { completed } => {
                    let reason = if *completed {
                        "completed"
                    } else {
                        "not_planned"
                    };
                    call(
                        Method::PATCH,
                        issue,
                        Some(json!({ "state": "closed", "state_reason": reason })),
                        Returns::Issue,
                    )
                }
                Operation::Reopen => call(
                    Method::PATCH,
                    issue,
                    Some(json!({ "state": "open", "state_reason": "reopened" })),
                    Returns::Issue,
                ),
                Operation::Comment { body } => {
                    if body.trim().is_empty() {
                        return Err(invalid(format!("{target}: empty comment")));
                    }
                    call(
                        Method::POST,
                        format!("{issue}/comments"),
                        Some(json!({ "body": packet::clip(body, packet::BODY_LIMIT) })),
                        Returns::Nothing,
                    )
                }
                Operation::AddAssignees { logins } => call(
                    Method::POST,
                    format!("{issue}/assignees"),
                    Some(json!({ "assignees": non_empty("assignee", logins)? })),
                    Returns::Issue,
                ),
                Operation::RemoveAssignees { logins } => call(
                    Method::DELETE,
                    format!("{issue}/assignees"),
                    Some(json!({ "assignees": non_empty("assignee", logins)? })),
                    Returns::Issue,
                ),
                Operation::AddLabels { labels } => call(
                    Method::POST,
                    format!("{issue}/labels"),
                    Some(json!({ "labels": non_empty("label", labels)? })),
                    Returns::Nothing,
                ),
                Operation::RemoveLabel { label } => Call {
                    method: Method::DELETE,
                    path: format!("{issue}/labels/{}", label_segment(label)?),
                    body: None,
                    missing_ok: true,
                    returns: Returns::Nothing,
                },
                Operation::Dismiss { .. } => {
                    return Err(invalid(format!(
                        "{target}: issues are closed, not dismissed"
                    )));
                }
            })
        }
    }
}

fn op_name(op: &Operation) -> &'static str {
    match op {
        Operation::Dismiss { .. } => "dismiss",
        Operation::Reopen => "reopen",
        Operation::Close { .. } => "close",
        Operation::Comment { .. } => "a comment",
        Operation::AddAssignees { .. } => "adding assignees",
        Operation::RemoveAssignees { .. } => "removing assignees",
        Operation::AddLabels { .. } => "adding labels",
        Operation::RemoveLabel { .. } => "removing a label",
    }
}

/// `POST /repos/o/r/issues` for a new ticket. `tracking` labels (the ones lastmile pulls
/// issues by) are added to the ticket's own; the body always ends up carrying the marker,
/// since finding the issue after an interrupted create depends on it.
pub fn create_issue(ticket: &NewTicket, tracking: &[String]) -> Result<Call, TrackerError> {
    let repo = repo_path(&ticket.repo)?;
    let marker = packet::normalize_marker(&ticket.marker).ok_or_else(|| {
        invalid(format!(
            "ticket marker {:?} is not lastmile:<hex>",
            crate::sanitize::line(&ticket.marker)
        ))
    })?;
    let title = packet::clip(
        packet::one_line(&ticket.title).as_str(),
        packet::TITLE_LIMIT,
    );
    if title.is_empty() {
        return Err(invalid("a ticket needs a title"));
    }
    let body = if packet::find_marker(&ticket.body).as_deref() == Some(marker.as_str()) {
        packet::clip(&ticket.body, packet::BODY_LIMIT)
    } else {
        // Unreachable for packets built by `packet::build`; kept so a hand-made body still
        // finds its way back.
        let comment = packet::marker_comment(&marker).map_err(|e| invalid(e.to_string()))?;
        let room = packet::BODY_LIMIT - comment.chars().count() - 2;
        format!("{}\n\n{comment}", packet::clip(&ticket.body, room))
    };
    let mut labels: Vec<String> = Vec::new();
    for l in ticket.labels.iter().chain(tracking) {
        if !l.trim().is_empty() && !labels.contains(l) {
            labels.push(l.clone());
        }
    }
    let mut payload = json!({ "title": title, "body": body, "labels": labels });
    if !ticket.assignees.is_empty() {
        payload["assignees"] = json!(ticket.assignees);
    }
    Ok(Call {
        method: Method::POST,
        path: format!("{repo}/issues"),
        body: Some(payload),
        missing_ok: false,
        returns: Returns::Issue,
    })
}
