//! A finding as the filter language sees it, for evaluating a query in memory (lane rules at
//! import and recompute) with the same meaning the compiled SQL has over the `findings` table.

use crate::model::{Severity, Status};
use chrono::{DateTime, Utc};

/// What a query is evaluated against besides the finding: the time (`age`, `due`) and who is
/// asking (`owner:me`, `decided-by:me`).
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub now: DateTime<Utc>,
    pub me: Option<String>,
}

impl Context {
    pub fn new(now: DateTime<Utc>, me: Option<String>) -> Context {
        Context { now, me }
    }
}

/// The columns of `findings` the filter language reads. Optional text is `None` where the
/// column is NULL.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    pub id: i64,
    pub status: Status,
    /// A decision waits for approval (`status:pending`).
    pub pending: bool,
    pub severity: Severity,
    pub tool: &'a str,
    pub rule: &'a str,
    pub repo: &'a str,
    pub path: Option<&'a str>,
    pub line: Option<i64>,
    pub title: &'a str,
    pub message: &'a str,
    /// Comma-separated, as stored.
    pub cwe: Option<&'a str>,
    pub cve: Option<&'a str>,
    pub lane: Option<&'a str>,
    pub owner: Option<&'a str>,
    pub team: Option<&'a str>,
    pub campaign: Option<&'a str>,
    pub sprint: Option<&'a str>,
    pub decided_by: Option<&'a str>,
    pub kev: bool,
    pub epss: Option<f64>,
    pub epss_pct: Option<f64>,
    pub risk: Option<f64>,
    pub validated: bool,
    pub reachable: bool,
    pub exposed: bool,
    pub tier: Option<i64>,
    /// RFC 3339 UTC, as stored.
    pub first_seen: &'a str,
    /// YYYY-MM-DD, as stored.
    pub due: Option<&'a str>,
}
