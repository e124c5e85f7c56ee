use super::{Severity, Status};
use serde::Serialize;

/// One row of the backlog as lists show it: small, cheap to read a page of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRow {
    pub id: i64,
    pub status: Status,
    pub severity: Severity,
    pub tool: String,
    pub rule: String,
    pub repo: String,
    pub path: Option<String>,
    pub line: Option<i64>,
    pub title: String,
    pub first_seen: String,
    pub last_seen: String,
    /// The severity lane triage put it in, and the fix deadline that lane gives (YYYY-MM-DD).
    pub lane: Option<String>,
    pub due: Option<String>,
    /// 0..=100 once computed.
    pub risk: Option<f64>,
    /// A decision on it waits for a second person's approval.
    pub pending: bool,
    pub owner: Option<String>,
    pub team: Option<String>,
}

/// Everything the store knows of one finding, for the detail pane and JSON export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(flatten)]
    pub row: FindingRow,
    pub fingerprint: String,
    pub message: String,
    pub cwe: Option<String>,
    pub cve: Option<String>,
    pub end_line: Option<i64>,
    pub snippet: Option<String>,
    pub help_uri: Option<String>,
    pub suppressed: bool,
    pub baseline_state: Option<String>,
    /// The SARIF `fixes` array as the tool wrote it (shown as diffs by the fix view).
    pub fixes: Option<serde_json::Value>,
    pub last_scan_id: Option<i64>,
    /// What the risk score is computed from (see `triage::risk`).
    pub score: Option<f64>,
    pub kev: bool,
    /// CISA's remediation date for a KEV entry (YYYY-MM-DD).
    pub kev_due: Option<String>,
    pub epss: Option<f64>,
    pub epss_pct: Option<f64>,
    pub validated: bool,
    pub reachable: bool,
    pub exposed: bool,
    pub tier: Option<i64>,
    /// The decision in force: who made it, until when it holds (accepted risk, deferral),
    /// whom it was escalated to, which finding it duplicates.
    pub decided_by: Option<String>,
    pub until: Option<String>,
    pub escalated_to: Option<String>,
    pub duplicate_of: Option<i64>,
    /// The first remote object this finding was linked to ("acme/app#12"); `links` has all.
    pub tracker_ref: Option<String>,
}
