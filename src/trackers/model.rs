//! What every tracker connector speaks: remote objects pulled into lastmile's terms, the
//! operations lastmile pushes, and the `Tracker` trait the sync engine drives. Connectors
//! translate their API to and from these types; the store and the engine never see a
//! tracker's wire format.

use crate::model::{Severity, Status};
use crate::trackers::http::HttpError;
use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// The kinds of remote object a finding can be linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteKind {
    CodeScanning,
    Dependabot,
    Issue,
}

impl RemoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RemoteKind::CodeScanning => "code_scanning",
            RemoteKind::Dependabot => "dependabot",
            RemoteKind::Issue => "issue",
        }
    }

    pub fn parse(s: &str) -> Option<RemoteKind> {
        [
            RemoteKind::CodeScanning,
            RemoteKind::Dependabot,
            RemoteKind::Issue,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Security alerts are the finding itself; an issue is a ticket about one.
    pub fn is_alert(self) -> bool {
        !matches!(self, RemoteKind::Issue)
    }
}

/// Which remote object: `repo` is the name config gives (`owner/name`); `repo_id` the tracker's
/// numeric id, which survives renames and transfers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RemoteRef {
    pub tracker: String,
    pub kind: RemoteKind,
    pub repo: String,
    pub number: i64,
}

impl std::fmt::Display for RemoteRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sep = match self.kind {
            RemoteKind::Issue => "#",
            RemoteKind::CodeScanning => " code-scanning #",
            RemoteKind::Dependabot => " dependabot #",
        };
        write!(f, "{}{sep}{}", self.repo, self.number)
    }
}

/// A remote object's state in lastmile's vocabulary, with what the tracker said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RemoteState {
    Open,
    /// Fixed by the tracker's own analysis (alerts), or an issue closed as completed.
    Fixed,
    /// Dismissed (alerts) or closed as not planned (issues). `reason` is the tracker's word
    /// ("false positive", "tolerable_risk", "not_planned"); `status` what it means here.
    Dismissed {
        reason: Option<String>,
        comment: Option<String>,
        by: Option<String>,
        status: Status,
    },
}

impl RemoteState {
    /// The word shown and stored for this state.
    pub fn label(&self) -> &'static str {
        match self {
            RemoteState::Open => "open",
            RemoteState::Fixed => "fixed",
            RemoteState::Dismissed { .. } => "dismissed",
        }
    }
}

/// One remote object as pulled. The location fields let the store match an alert to a finding
/// imported from SARIF; `marker` is the finding marker found in an issue body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteItem {
    pub at: RemoteRef,
    pub repo_id: Option<i64>,
    pub url: Option<String>,
    pub state: RemoteState,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Tracker logins.
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub title: String,
    pub message: String,
    /// The analysis tool (code scanning: `tool.name`; Dependabot: "dependabot").
    pub tool: Option<String>,
    pub rule: Option<String>,
    pub severity: Severity,
    /// The tool's numeric score (security-severity, CVSS), when given.
    pub score: Option<f64>,
    pub cwe: Option<String>,
    pub cve: Option<String>,
    /// GitHub advisory id (Dependabot): matches findings whose rule or cve names it.
    pub ghsa: Option<String>,
    pub path: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub help_uri: Option<String>,
    /// `lastmile:<finding key>` when an issue body carries lastmile's marker.
    pub marker: Option<String>,
}

/// One pull endpoint of a tracker: per repo and kind. `key` names its row in `sync_state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub tracker: String,
    pub repo: String,
    pub kind: RemoteKind,
    pub key: String,
}

/// Where a pull resumes: the stored watermark and ETag, and the next page when walking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// `None`: the first page. Otherwise exactly the URL the server handed back.
    pub next: Option<Url>,
    /// The newest `updated_at` stored by earlier syncs, less nothing: the connector applies the
    /// overlap window.
    pub watermark: Option<DateTime<Utc>>,
    /// The first page's ETag from the last complete pull, for `If-None-Match`.
    pub etag: Option<String>,
}

/// One page of a pull.
#[derive(Debug, Clone, Default)]
pub struct Pulled {
    pub items: Vec<RemoteItem>,
    /// The next page, as the server gave it; `None` when this was the last one needed.
    pub next: Option<Url>,
    /// The first page's ETag (only on the first page).
    pub etag: Option<String>,
    /// 304: nothing changed since the stored ETag.
    pub not_modified: bool,
    /// Pull requests and other objects the endpoint returns that are not ours, skipped.
    pub skipped: usize,
}

/// What lastmile asks a tracker to do to one remote object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Dismiss an alert for a lastmile decision. `status` is the decided status; the connector
    /// picks the tracker's reason. `comment` is already within the tracker's limit.
    Dismiss {
        status: Status,
        comment: String,
    },
    /// Reopen an alert, or an issue.
    Reopen,
    /// Close an issue: `completed` (the finding is fixed) or not planned.
    Close {
        completed: bool,
    },
    Comment {
        body: String,
    },
    AddAssignees {
        logins: Vec<String>,
    },
    RemoveAssignees {
        logins: Vec<String>,
    },
    AddLabels {
        labels: Vec<String>,
    },
    RemoveLabel {
        label: String,
    },
}

/// An issue to open for a finding. `marker` goes into the body so a retried create can find
/// the issue an earlier attempt opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTicket {
    pub repo: String,
    pub title: String,
    pub body: String,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub marker: String,
}

/// Why an outbound operation failed, as the outbox needs to know it.
#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    /// Try again later (5xx after retries, a timeout, a rate limit, a reset connection).
    #[error("{0}")]
    Transient(HttpError),
    /// The tracker refused (4xx other than limits): retrying the same request cannot help.
    #[error("{0}")]
    Permanent(HttpError),
    /// The tracker answered something lastmile cannot use.
    #[error("{0}")]
    Invalid(String),
}

impl TrackerError {
    pub fn is_permanent(&self) -> bool {
        !matches!(self, TrackerError::Transient(_))
    }
}

impl From<HttpError> for TrackerError {
    fn from(e: HttpError) -> Self {
        match e.status() {
            // Rate limits never reach here as a status: the HTTP layer turns them into
            // `RateLimited`. 408 and 409 are worth another try.
            Some(s) if (400..500).contains(&s) && s != 408 && s != 409 => {
                TrackerError::Permanent(e)
            }
            Some(_) => TrackerError::Transient(e),
            None => match e {
                HttpError::Config(_) | HttpError::Redirect { .. } | HttpError::Decode { .. } => {
                    TrackerError::Permanent(e)
                }
                other => TrackerError::Transient(other),
            },
        }
    }
}

/// What a connector can do, for the sync view and for the engine to skip what it can't.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub pull_alerts: bool,
    pub pull_issues: bool,
    pub dismiss_alerts: bool,
    pub create_tickets: bool,
}

/// A tracker connector. The engine drives it: pages in, one operation out at a time.
pub trait Tracker: Send + Sync {
    fn name(&self) -> &str;
    fn capabilities(&self) -> Capabilities;
    /// Every endpoint to pull, in order.
    fn endpoints(&self) -> Vec<Endpoint>;
    /// One page of `endpoint` from `cursor`.
    fn pull_page(
        &self,
        endpoint: &Endpoint,
        cursor: &Cursor,
    ) -> impl Future<Output = Result<Pulled, TrackerError>> + Send;
    /// Applies `op` to the remote object `target`; returns it as it is afterwards when the
    /// tracker says (for the link's stored state).
    fn apply(
        &self,
        target: &RemoteRef,
        op: &Operation,
    ) -> impl Future<Output = Result<Option<RemoteItem>, TrackerError>> + Send;
    /// An issue in `repo` carrying `marker`, created at or after `since`: how a retried create
    /// finds the ticket an interrupted attempt opened.
    fn find_ticket(
        &self,
        repo: &str,
        marker: &str,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<RemoteItem>, TrackerError>> + Send;
    fn create_ticket(
        &self,
        ticket: &NewTicket,
    ) -> impl Future<Output = Result<RemoteItem, TrackerError>> + Send;
    /// The repo's numeric id and its name now (after a rename or transfer), when the tracker
    /// has such ids: links store the id, which survives both.
    fn repository(
        &self,
        _repo: &str,
    ) -> impl Future<Output = Result<Option<(i64, String)>, TrackerError>> + Send {
        async { Ok(None) }
    }
}
