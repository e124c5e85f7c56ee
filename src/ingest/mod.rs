//! Scanner reports -> normalized findings.
//!
//! Parsers stream: they call `emit` for each event as they read, never holding a whole report,
//! so a 1 GB file imports in bounded memory. The store consumes the events on another thread.

pub mod fingerprint;
pub mod sarif;

use crate::model::Severity;
use std::fmt;

/// What a parser tells the store, in order: for each run, `BeginRun`, its findings, `EndRun`.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportEvent {
    BeginRun(RunInfo),
    Finding(Box<ImportedFinding>),
    EndRun(RunEnd),
}

/// Who produced a run and where it ran, as far as the report says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunInfo {
    /// `tool.driver.name` as written (e.g. "Semgrep OSS"); the scope of rescans is (repo, tool).
    pub tool: String,
    pub tool_version: Option<String>,
    /// Repository named by the report (`versionControlProvenance[].repositoryUri`, reduced to "owner/name").
    pub repo_hint: Option<String>,
    /// Commit named by the report (`versionControlProvenance[].revisionId`).
    pub commit_hint: Option<String>,
    /// `invocations[0].startTimeUtc` (or endTimeUtc), RFC 3339, when present.
    pub started_at: Option<String>,
}

/// How a run ended: decides whether absent findings may be closed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunEnd {
    /// The run had a `results` array (possibly empty). Without one the analysis did not run.
    pub results_present: bool,
    /// No invocation said `executionSuccessful: false`.
    pub execution_successful: bool,
    /// Number of results in the run (including any that map to the same fingerprint).
    pub result_count: u64,
}

impl RunEnd {
    /// Only a run that really ran and reported its results may auto-close what it did not see.
    pub fn complete(&self) -> bool {
        self.results_present && self.execution_successful
    }
}

/// One result, normalized. Strings are raw (unsanitized): sanitize at display time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportedFinding {
    /// Dedup key within (repo, tool): lowercase hex SHA-256, see `fingerprint`.
    pub fingerprint: String,
    pub rule: String,
    pub title: String,
    pub message: String,
    pub severity: Severity,
    /// The CVSS-like score (`security-severity`, 0-10) the severity came from, when given.
    pub score: Option<f64>,
    pub cwe: Option<String>,
    pub cve: Option<String>,
    pub path: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    pub snippet: Option<String>,
    pub help_uri: Option<String>,
    /// A suppression the tool says is in force (status absent or "accepted").
    pub suppressed: bool,
    pub baseline_state: Option<String>,
    /// The result's `fixes` array, compact JSON, kept verbatim for the fix view.
    pub fixes: Option<String>,
}

/// A report that cannot be imported: which file, where in it, what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct IngestError {
    pub file: String,
    /// "line 12 column 5", or a JSON path such as "$.runs[0].results[3].locations", or empty.
    pub location: String,
    pub message: String,
}

impl fmt::Display for IngestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.location, self.message)
        }
    }
}
