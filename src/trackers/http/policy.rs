//! When to retry, how long to wait, when to give up: a pure function of what came back, the
//! attempt count and the time, so every rule is tested without a network or a clock.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::HeaderMap;
use std::time::Duration;

/// How a request is retried. `max_wait` bounds the time one request may spend sleeping in
/// total: a sync told to wait an hour reports "rate limited until HH:MM" instead of hanging.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled each time, never above `cap`.
    pub base: Duration,
    pub cap: Duration,
    /// The longest total sleep for one request (rate limits and backoff together).
    pub max_wait: Duration,
    /// GitHub's secondary limits: "wait at least a minute" when the server names no time.
    pub secondary_min: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_wait: Duration::from_secs(300),
            secondary_min: Duration::from_secs(60),
        }
    }
}

/// A failure below HTTP: retried with backoff like a 5xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Connect,
    Timeout,
    /// The body ended before its announced length, or the connection dropped mid-response.
    Body,
    /// Anything else reqwest reports while sending (reset, protocol error).
    Other,
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Transport::Connect => "connection failed",
            Transport::Timeout => "timed out",
            Transport::Body => "response body cut short",
            Transport::Other => "connection error",
        })
    }
}

/// What one attempt produced.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Response {
        status: u16,
        headers: &'a HeaderMap,
        body: &'a [u8],
    },
    Transport(Transport),
}

/// Where the retry loop stands when it asks.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// Time already slept for this request.
    pub waited: Duration,
    pub now: DateTime<Utc>,
    /// In [0, 1): drawn by the caller so this function stays pure.
    pub jitter: f64,
    /// False for POST: after a timeout, a cut-short body or a 5xx the item may exist already,
    /// so only failures that prove nothing happened (refused connection, rate limit) retry.
    pub idempotent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Succeed,
    Retry {
        after: Duration,
        why: Why,
    },
    /// Not worth retrying (4xx) or out of attempts/budget for a non-limit failure.
    Fail,
    /// A rate limit that lasts beyond the budget: report when it lifts.
    RateLimited {
        until: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// `Retry-After`, or a reset header, or a secondary limit.
    RateLimit,
    /// 5xx or a transport failure.
    Backoff,
}

/// The rules, in order: success; a rate limit (Retry-After first, then the tracker's reset
/// headers, then GitHub's secondary limit); 5xx and transport failures back off; other 4xx fail.
pub fn decide(policy: &RetryPolicy, outcome: Outcome<'_>, at: Attempt) -> Decision {
    let (status, headers, body) = match outcome {
        Outcome::Transport(kind) => {
            if !at.idempotent && kind != Transport::Connect {
                return Decision::Fail;
            }
            return backoff(policy, at);
        }
        Outcome::Response {
            status,
            headers,
            body,
        } => (status, headers, body),
    };
    if status < 400 {
        return Decision::Succeed;
    }
    if let Some(wait) = rate_limit_wait(policy, status, headers, body, at.now) {
        let until = chrono::Duration::from_std(wait)
            .ok()
            .and_then(|d| at.now.checked_add_signed(d))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if at.number >= policy.max_attempts || at.waited.saturating_add(wait) > policy.max_wait {
            return Decision::RateLimited { until };
        }
        return Decision::Retry {
            after: wait,
            why: Why::RateLimit,
        };
    }
    if status >= 500 && at.idempotent {
        return backoff(policy, at);
    }
    Decision::Fail
}

fn backoff(policy: &RetryPolicy, at: Attempt) -> Decision {
    let wait = backoff_delay(policy, at.number, at.jitter);
    if at.number >= policy.max_attempts || at.waited.saturating_add(wait) > policy.max_wait {
        return Decision::Fail;
    }
    Decision::Retry {
        after: wait,
        why: Why::Backoff,
    }
}

/// Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so
/// clients that failed together spread out yet never retry at once.
pub fn backoff_delay(policy: &RetryPolicy, attempt: u32, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let full = policy
        .base
        .saturating_mul(1u32 << exp)
        .min(policy.cap)
        .as_secs_f64();
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    Duration::try_from_secs_f64(full / 2.0 + full / 2.0 * jitter).unwrap_or(policy.cap)
}

/// How long a 403/429/5xx asks us to wait, or None when it is not a rate limit.
fn rate_limit_wait(
    policy: &RetryPolicy,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Option<Duration> {
    let limit_status = status == 403 || status == 429;
    if (limit_status || status >= 500)
        && let Some(wait) = header(headers, "retry-after").and_then(|v| retry_after(v, now))
    {
        // A secondary limit that names a time shorter than a minute is still honoured as
        // given: GitHub documents retry-after as authoritative.
        return Some(wait);
    }
    if !limit_status {
        return None;
    }
    // Primary limits: GitHub `x-ratelimit-*`, GitLab `ratelimit-*`; resets are epoch seconds
    // (GitHub, GitLab) or ISO-8601 (Jira).
    for (remaining, reset) in [
        ("x-ratelimit-remaining", "x-ratelimit-reset"),
        ("ratelimit-remaining", "ratelimit-reset"),
    ] {
        if header(headers, remaining).map(str::trim) == Some("0")
            && let Some(at) = header(headers, reset).and_then(parse_reset)
        {
            // One second of slack: the reset is rounded down to the second.
            let wait = (at - now).to_std().unwrap_or(Duration::ZERO);
            return Some(wait + Duration::from_secs(1));
        }
    }
    // Exhausted with no usable reset: GitHub sent this in 2013 (PyGithub's recording of a 403
    // "API Rate Limit Exceeded"); retrying at once only burns the attempts, so wait as for a
    // secondary limit.
    let exhausted = ["x-ratelimit-remaining", "ratelimit-remaining"]
        .iter()
        .any(|name| header(headers, name).map(str::trim) == Some("0"));
    if exhausted || is_secondary(status, headers, body) {
        return Some(policy.secondary_min);
    }
    None
}

/// GitHub says "secondary rate limit" in the message; a 429 with no limit headers at all is
/// the same thing from a server that says less.
fn is_secondary(status: u16, headers: &HeaderMap, body: &[u8]) -> bool {
    let excerpt = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(excerpt).to_ascii_lowercase();
    if text.contains("secondary rate limit") {
        return true;
    }
    status == 429
        && !headers.keys().any(|k| {
            let k = k.as_str();
            k.contains("ratelimit") || k == "retry-after"
        })
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 10.2.3). A date in the past means now.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// A reset time: epoch seconds, or ISO-8601 (Jira's `X-RateLimit-Reset`).
pub fn parse_reset(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<i64>() {
        return Utc.timestamp_opt(secs, 0).single();
    }
    DateTime::parse_from_rfc3339(value)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("date")
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    fn at(number: u32) -> Attempt {
        Attempt {
            number,
            waited: Duration::ZERO,
            now: now(),
            jitter: 0.0,
            idempotent: true,
        }
    }

    fn run(status: u16, h: &[(&str, &str)], body: &str, a: Attempt) -> Decision {
        let h = headers(h);
        decide(
            &RetryPolicy::default(),
            Outcome::Response {
                status,
                headers: &h,
                body: body.as_bytes(),
            },
            a,
        )
    }

    fn limit(secs: u64) -> Decision {
        Decision::Retry {
            after: Duration::from_secs(secs),
            why: Why::RateLimit,
        }
    }

    #[test]
    fn success_and_permanent_failures() {
        for s in [200, 201, 204, 304] {
            assert_eq!(run(s, &[], "", at(1)), Decision::Succeed, "{s}");
        }
        for s in [400, 401, 404, 409, 410, 422] {
            assert_eq!(run(s, &[], "", at(1)), Decision::Fail, "{s}");
        }
        // A 403 without any limit signal is a permission problem, not a limit.
        assert_eq!(
            run(
                403,
                &[("x-ratelimit-remaining", "12")],
                "{\"message\":\"Resource not accessible by integration\"}",
                at(1)
            ),
            Decision::Fail
        );
    }

    #[test]
    fn retry_after_seconds_and_http_date_come_first() {
        assert_eq!(run(429, &[("retry-after", "7")], "", at(1)), limit(7));
        assert_eq!(run(503, &[("retry-after", "3")], "", at(1)), limit(3));
        // Retry-After wins over a reset header that says something else.
        let reset = (now().timestamp() + 600).to_string();
        let h = [
            ("retry-after", "5"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset.as_str()),
        ];
        assert_eq!(run(403, &h, "", at(1)), limit(5));
        assert_eq!(
            run(
                429,
                &[("retry-after", "Sun, 01 Mar 2026 12:00:42 GMT")],
                "",
                at(1)
            ),
            limit(42)
        );
        // A date in the past: retry now.
        assert_eq!(
            run(
                429,
                &[("retry-after", "Sun, 01 Mar 2026 11:00:00 GMT")],
                "",
                at(1)
            ),
            limit(0)
        );
    }

    #[test]
    fn github_primary_limit_on_403_or_429_waits_for_reset() {
        let reset = (now().timestamp() + 90).to_string();
        for s in [403, 429] {
            let h = [
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", reset.as_str()),
            ];
            assert_eq!(run(s, &h, "", at(1)), limit(91), "{s}");
        }
        // GitLab spelling, and Jira's ISO-8601 reset.
        let h = [
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", reset.as_str()),
        ];
        assert_eq!(run(429, &h, "", at(1)), limit(91));
        let h = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "2026-03-01T12:00:30Z"),
        ];
        assert_eq!(run(429, &h, "", at(1)), limit(31));
    }

    #[test]
    fn exhausted_limit_without_a_reset_waits_a_minute() {
        let body = r#"{"message":"API Rate Limit Exceeded for 92.104.200.119"}"#;
        let h = [("x-ratelimit-remaining", "0"), ("x-ratelimit-limit", "60")];
        assert_eq!(run(403, &h, body, at(1)), limit(60));
        // An unparsable reset is no reset.
        let h = [("ratelimit-remaining", "0"), ("ratelimit-reset", "soon")];
        assert_eq!(run(429, &h, "", at(1)), limit(60));
        // Remaining 0 on a success is only information.
        assert_eq!(
            run(200, &[("x-ratelimit-remaining", "0")], "{}", at(1)),
            Decision::Succeed
        );
    }

    #[test]
    fn secondary_limits_wait_at_least_a_minute() {
        let body = r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        assert_eq!(
            run(403, &[("x-ratelimit-remaining", "4000")], body, at(1)),
            limit(60)
        );
        // A bare 429 is a limit too; a bare 403 is not.
        assert_eq!(run(429, &[], "", at(1)), limit(60));
        assert_eq!(run(403, &[], "", at(1)), Decision::Fail);
    }

    #[test]
    fn limits_past_the_budget_report_when_they_lift() {
        let reset = (now().timestamp() + 3600).to_string();
        let h = [
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", reset.as_str()),
        ];
        let until = now() + chrono::Duration::seconds(3601);
        assert_eq!(run(403, &h, "", at(1)), Decision::RateLimited { until });
        // Within budget alone, but not with what was already slept.
        let mut a = at(2);
        a.waited = Duration::from_secs(250);
        assert_eq!(
            run(429, &[("retry-after", "60")], "", a),
            Decision::RateLimited {
                until: now() + chrono::Duration::seconds(60)
            }
        );
        // Out of attempts: report too.
        assert!(matches!(
            run(429, &[("retry-after", "1")], "", at(5)),
            Decision::RateLimited { .. }
        ));
    }

    #[test]
    fn server_errors_and_transport_failures_back_off() {
        let p = RetryPolicy::default();
        for s in [500, 502, 503, 504] {
            assert_eq!(
                run(s, &[], "", at(1)),
                Decision::Retry {
                    after: Duration::from_millis(250),
                    why: Why::Backoff
                }
            );
        }
        for t in [
            Transport::Connect,
            Transport::Timeout,
            Transport::Body,
            Transport::Other,
        ] {
            assert!(matches!(
                decide(&p, Outcome::Transport(t), at(2)),
                Decision::Retry {
                    why: Why::Backoff,
                    ..
                }
            ));
            assert_eq!(decide(&p, Outcome::Transport(t), at(5)), Decision::Fail);
        }
        assert_eq!(run(502, &[], "", at(5)), Decision::Fail);
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let p = RetryPolicy::default();
        assert_eq!(backoff_delay(&p, 1, 0.0), Duration::from_millis(250));
        assert_eq!(backoff_delay(&p, 1, 1.0), Duration::from_millis(500));
        assert_eq!(backoff_delay(&p, 3, 0.0), Duration::from_millis(1000));
        assert_eq!(backoff_delay(&p, 20, 1.0), p.cap);
        assert_eq!(backoff_delay(&p, 20, 0.0), p.cap / 2);
        let mid = backoff_delay(&p, 2, 0.5);
        assert!(mid > Duration::from_millis(500) && mid < Duration::from_millis(1000));
        assert_eq!(backoff_delay(&p, 1, f64::NAN), Duration::from_millis(250));
    }

    #[test]
    fn post_only_retries_what_proves_nothing_happened() {
        let mut a = at(1);
        a.idempotent = false;
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, Outcome::Transport(Transport::Timeout), a),
            Decision::Fail
        );
        assert_eq!(
            decide(&p, Outcome::Transport(Transport::Body), a),
            Decision::Fail
        );
        assert!(matches!(
            decide(&p, Outcome::Transport(Transport::Connect), a),
            Decision::Retry { .. }
        ));
        assert_eq!(run(502, &[], "", a), Decision::Fail);
        assert_eq!(run(429, &[("retry-after", "2")], "", a), limit(2));
    }

    #[test]
    fn header_value_parsers() {
        assert_eq!(retry_after(" 12 ", now()), Some(Duration::from_secs(12)));
        assert_eq!(retry_after("soon", now()), None);
        assert_eq!(retry_after("-1", now()), None);
        assert_eq!(parse_reset("0"), Utc.timestamp_opt(0, 0).single());
        assert_eq!(parse_reset("later"), None);
    }
}
