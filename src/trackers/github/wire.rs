//! What GitHub's REST API returns, as far as lastmile reads it. Lenient where real payloads
//! vary (nulls, fields absent from older or newer API versions, labels as strings or objects);
//! strict on what identity and incremental sync rest on (`number`, `updated_at`). Unknown
//! fields are ignored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// `null` means the same as a missing key: GitHub sends null for lists (`rule.tags`, `cwes`)
/// and objects it has nothing for.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A timestamp nothing depends on (fixed_at, dismissed_at): an unreadable one is dropped
/// rather than losing the whole item over it.
fn lenient_time<'de, D>(d: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw = Option::<serde_json::Value>::deserialize(d)?;
    Ok(raw
        .as_ref()
        .and_then(serde_json::Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// A string field that some payloads fill with another JSON type: kept only when it is a string.
fn lenient_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let raw = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match raw {
        Some(serde_json::Value::String(s)) => Some(s),
        _ => None,
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct User {
    #[serde(default, deserialize_with = "lenient_string")]
    pub login: Option<String>,
}

/// Issue labels come as objects (`{"name": ...}`) from the REST API and as plain strings in
/// some request echoes and older payloads.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Label {
    Name(String),
    Object {
        #[serde(default, deserialize_with = "lenient_string")]
        name: Option<String>,
    },
    Other(serde_json::Value),
}

impl Label {
    pub fn name(&self) -> Option<&str> {
        match self {
            Label::Name(n) => Some(n),
            Label::Object { name } => name.as_deref(),
            Label::Other(_) => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub id: i64,
    pub full_name: String,
}

// ---- code scanning ----

#[derive(Debug, Clone, Deserialize)]
pub struct CodeScanningAlert {
    pub number: i64,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    /// Optional in GitHub's schema (its own examples omit it); present in real responses.
    /// When present it must parse: the watermark stop relies on it.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub fixed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub dismissed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub html_url: Option<String>,
    pub state: String,
    #[serde(default, deserialize_with = "lenient_string")]
    pub dismissed_reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub dismissed_comment: Option<String>,
    #[serde(default)]
    pub dismissed_by: Option<User>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub rule: Rule,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tool: Tool,
    #[serde(default)]
    pub most_recent_instance: Option<Instance>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub assignees: Vec<User>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Rule {
    #[serde(default, deserialize_with = "lenient_string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    /// SARIF level: none, note, warning, error.
    #[serde(default, deserialize_with = "lenient_string")]
    pub severity: Option<String>,
    /// low, medium, high, critical (security queries only).
    #[serde(default, deserialize_with = "lenient_string")]
    pub security_severity_level: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub full_description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<serde_json::Value>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub help_uri: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Tool {
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Instance {
    #[serde(default, rename = "ref", deserialize_with = "lenient_string")]
    pub git_ref: Option<String>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub message: Option<Message>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Location {
    #[serde(default, deserialize_with = "lenient_string")]
    pub path: Option<String>,
    #[serde(default)]
    pub start_line: Option<i64>,
    #[serde(default)]
    pub end_line: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Message {
    #[serde(default, deserialize_with = "lenient_string")]
    pub text: Option<String>,
}

// ---- Dependabot ----

#[derive(Debug, Clone, Deserialize)]
pub struct DependabotAlert {
    pub number: i64,
    /// open, dismissed, fixed, auto_dismissed.
    pub state: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub dependency: Dependency,
    #[serde(default, deserialize_with = "null_as_default")]
    pub security_advisory: Advisory,
    #[serde(default, deserialize_with = "null_as_default")]
    pub security_vulnerability: Vulnerability,
    #[serde(default, deserialize_with = "lenient_string")]
    pub html_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub dismissed_reason: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub dismissed_comment: Option<String>,
    #[serde(default)]
    pub dismissed_by: Option<User>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub assignees: Vec<User>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Dependency {
    #[serde(default)]
    pub package: Option<Package>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub manifest_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Package {
    #[serde(default, deserialize_with = "lenient_string")]
    pub ecosystem: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Advisory {
    #[serde(default, deserialize_with = "lenient_string")]
    pub ghsa_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub cve_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub severity: Option<String>,
    /// Deprecated by GitHub in favour of `cvss_severities`, still sent.
    #[serde(default)]
    pub cvss: Option<Cvss>,
    #[serde(default)]
    pub cvss_severities: Option<CvssSeverities>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub cwes: Vec<Cwe>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Cvss {
    #[serde(default)]
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CvssSeverities {
    #[serde(default)]
    pub cvss_v3: Option<Cvss>,
    #[serde(default)]
    pub cvss_v4: Option<Cvss>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Cwe {
    #[serde(default, deserialize_with = "lenient_string")]
    pub cwe_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Reference {
    #[serde(default, deserialize_with = "lenient_string")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Vulnerability {
    #[serde(default, deserialize_with = "lenient_string")]
    pub severity: Option<String>,
    #[serde(default)]
    pub first_patched_version: Option<PatchedVersion>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatchedVersion {
    #[serde(default, deserialize_with = "lenient_string")]
    pub identifier: Option<String>,
}

// ---- issues ----

#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: i64,
    #[serde(default, deserialize_with = "lenient_string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub body: Option<String>,
    /// open, closed.
    pub state: String,
    /// completed, not_planned, duplicate, reopened, or null (closed before state reasons).
    #[serde(default, deserialize_with = "lenient_string")]
    pub state_reason: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub labels: Vec<Label>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub assignees: Vec<User>,
    /// The single-assignee field older payloads fill when `assignees` is absent.
    #[serde(default)]
    pub assignee: Option<User>,
    /// Set when the "issue" is a pull request: the issues API lists both.
    #[serde(default)]
    pub pull_request: Option<PullRequestRef>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub html_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub closed_by: Option<User>,
    /// Only on cross-repository listings; repository listings leave it out.
    #[serde(default)]
    pub repository: Option<RepoRef>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct RepoRef {
    #[serde(default)]
    pub id: Option<i64>,
}

impl Issue {
    /// The API of 2012 sent plain issues a `pull_request` object with null URLs (PyGithub's
    /// recordings have them), so a pull request is one whose reference points somewhere.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request
            .as_ref()
            .is_some_and(|p| p.url.is_some() || p.html_url.is_some())
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PullRequestRef {
    #[serde(default, deserialize_with = "lenient_string")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub html_url: Option<String>,
}
