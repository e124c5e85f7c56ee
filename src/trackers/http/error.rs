//! One error type for the tracker HTTP layer. Every message names the method and the URL (shown
//! through `secret::redact`), the status and a sanitized body excerpt; never a token.

use super::policy::Transport;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Bad configuration: a non-https URL, an unparsable base, a header that can't be sent.
    #[error("tracker configuration: {0}")]
    Config(String),
    /// A final non-success status (4xx, or 5xx after the retries).
    #[error("{method} {url}: HTTP {status}{}", excerpt_suffix(.excerpt))]
    Status {
        method: String,
        url: String,
        status: u16,
        excerpt: String,
    },
    #[error("{method} {url}: {kind} after {attempts} attempt(s): {detail}")]
    Transport {
        method: String,
        url: String,
        kind: Transport,
        attempts: u32,
        detail: String,
    },
    /// The tracker asks us to wait longer than the retry budget allows.
    #[error("{method} {url}: rate limited until {} UTC", .until.format("%Y-%m-%d %H:%M:%S"))]
    RateLimited {
        method: String,
        url: String,
        until: DateTime<Utc>,
    },
    #[error("{method} {url}: redirect not followed: {reason}")]
    Redirect {
        method: String,
        url: String,
        reason: String,
    },
    #[error("{method} {url}: response body is larger than {limit} bytes")]
    TooLarge {
        method: String,
        url: String,
        limit: usize,
    },
    #[error("{method} {url}: unexpected response body: {detail}")]
    Decode {
        method: String,
        url: String,
        detail: String,
    },
    #[error("{url}: pagination stopped: {reason}")]
    Pagination { url: String, reason: String },
}

impl HttpError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// When a rate limit lifts, for "rate limited until HH:MM" in the sync report.
    pub fn rate_limited_until(&self) -> Option<DateTime<Utc>> {
        match self {
            HttpError::RateLimited { until, .. } => Some(*until),
            _ => None,
        }
    }
}

fn excerpt_suffix(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

/// The longest body excerpt an error carries.
const EXCERPT_CHARS: usize = 200;

/// A short, display-safe excerpt of a response body. A server that echoes the request back must
/// not leak the token through us, so `token` is masked too.
pub(crate) fn excerpt(body: &[u8], token: Option<&str>) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let mut short: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        short.push('…');
    }
    let mut shown = crate::sanitize::line(short.trim()).into_owned();
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        shown = shown.replace(t, "<redacted>");
    }
    shown
}

/// The cause chain of a reqwest error, without the URL reqwest would otherwise print (its
/// query may hold a credential): "error sending request: client error (Connect): refused".
pub(crate) fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut parts = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    crate::sanitize::line(&parts.join(": ")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_sanitized_and_masks_the_token() {
        let body = format!(
            "{{\"echo\":\"Bearer tok-1\",\"x\":\"\u{1b}[31m{}\"}}",
            "a".repeat(500)
        );
        let e = excerpt(body.as_bytes(), Some("tok-1"));
        assert!(!e.contains("tok-1"));
        assert!(!e.contains('\u{1b}'));
        assert!(e.chars().count() <= EXCERPT_CHARS + 10);
    }

    #[test]
    fn messages_name_method_url_status() {
        let e = HttpError::Status {
            method: "PATCH".into(),
            url: "https://api.github.com/repos/o/r/issues/1".into(),
            status: 422,
            excerpt: "Validation Failed".into(),
        };
        assert_eq!(
            e.to_string(),
            "PATCH https://api.github.com/repos/o/r/issues/1: HTTP 422: Validation Failed"
        );
    }
}
