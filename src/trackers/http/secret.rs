//! Keeping tokens out of sight: a secret type that never prints, URLs shown without credentials,
//! and the rules for where a token may be sent.

use reqwest::Url;
use std::net::IpAddr;

/// An API token. Debug and Display print a placeholder; only the request builder reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Query parameters that carry credentials in the wild (GitLab `private_token`, OAuth
/// `access_token`, signed URLs); their values are hidden wherever a URL is shown.
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token",
        "key",
        "secret",
        "password",
        "passwd",
        "sig",
        "signature",
        "code",
        "auth",
        "credential",
        "jwt",
        "session",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// The URL as it may appear in logs and errors: no user:password, secret query values hidden.
pub fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if is_secret_param(&k) {
                    "REDACTED".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

/// Scheme, host and port: a token is only ever sent where this matches the tracker's base URL.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed; reqwest does not re-export `url::Host`.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// https anywhere; plain http only to this machine (tests, local mocks), so a token never
/// crosses a network in clear. Returns why not.
pub fn check_transport(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{}: plain http is only allowed for loopback (127.0.0.0/8, ::1, localhost); use https",
            redact(url)
        )),
        other => Err(format!(
            "{}: unsupported scheme {other:?}; use https",
            redact(url)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("sekret-token-123");
        assert!(!format!("{s} {s:?} {:?}", Some(&s)).contains("sekret"));
    }

    #[test]
    fn redact_hides_credentials_and_secret_params() {
        let shown = redact(&u(
            "https://me:pw@gitlab.test/api?private_token=abc&page=2&access_token=def",
        ));
        assert!(!shown.contains("abc") && !shown.contains("def") && !shown.contains("pw"));
        assert!(shown.contains("page=2"), "{shown}");
    }

    #[test]
    fn transport_rules() {
        for ok in [
            "https://api.github.com",
            "http://127.0.0.1:3000/x",
            "http://127.8.9.1/",
            "http://[::1]:80/",
            "http://localhost:4010",
            "http://LOCALHOST/",
        ] {
            assert!(check_transport(&u(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.github.com",
            "http://10.0.0.1/",
            "http://localhost.evil.test/",
            "ftp://x.test/",
        ] {
            assert!(check_transport(&u(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn origin_includes_port_and_scheme() {
        assert!(same_origin(
            &u("https://a.test/x"),
            &u("https://a.test:443/y")
        ));
        assert!(!same_origin(
            &u("http://127.0.0.1:1/"),
            &u("http://127.0.0.1:2/")
        ));
        assert!(!same_origin(&u("https://a.test/"), &u("http://a.test/")));
    }
}
