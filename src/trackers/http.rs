//! The HTTP client every tracker connector uses: timeouts, retries with backoff, rate limits,
//! a concurrency cap, serialized mutations, redirects that never carry a token to another host,
//! and pagination that follows what the server returns.

mod error;
pub mod link;
pub mod policy;
mod secret;
mod sleep;

pub use error::HttpError;
pub use policy::{Attempt, Decision, Outcome, RetryPolicy, Transport, Why, decide};
pub use secret::{Secret, check_transport, redact, same_origin};
pub use sleep::{RecordingSleeper, Sleeper, TokioSleeper};

use crate::clock::{Clock, SystemClock};
use chrono::{DateTime, Utc};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, Url};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How a tracker is reached. `Config::new` gives working defaults.
#[derive(Clone)]
pub struct Config {
    pub base_url: String,
    /// Sent as `Authorization: Bearer <token>`, to the base URL's origin only.
    pub token: Option<Secret>,
    pub user_agent: String,
    /// Headers on every request (Accept, X-GitHub-Api-Version, ...).
    pub headers: Vec<(String, String)>,
    /// Per attempt, connect to last body byte.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    pub max_concurrency: usize,
    pub max_redirects: u8,
    pub max_body_bytes: usize,
    /// Pause between mutations: GitHub asks for at least a second between writes.
    pub mutation_gap: Duration,
    /// Pagination stops with an error past this many pages (a server looping on us).
    pub max_pages: usize,
}

impl Config {
    pub fn new(base_url: impl Into<String>) -> Self {
        Config {
            base_url: base_url.into(),
            token: None,
            user_agent: concat!("lastmile/", env!("CARGO_PKG_VERSION")).to_string(),
            headers: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_concurrency: 4,
            max_redirects: 5,
            max_body_bytes: 32 * 1024 * 1024,
            mutation_gap: Duration::from_secs(1),
            max_pages: 10_000,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The base URL may carry a credential in its query (GitLab `private_token`).
        let base =
            Url::parse(&self.base_url).map_or_else(|_| "<unparsable>".into(), |u| redact(&u));
        f.debug_struct("Config")
            .field("base_url", &base)
            .field("token", &self.token)
            .field("user_agent", &self.user_agent)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_concurrency", &self.max_concurrency)
            .finish_non_exhaustive()
    }
}

/// A request before it is sent; the body is bytes so a retry can send it again.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &redact(&self.url))
            .finish_non_exhaustive()
    }
}

impl Request {
    pub fn new(method: Method, url: Url) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }

    pub fn json<T: serde::Serialize>(mut self, value: &T) -> Result<Self, HttpError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| HttpError::Config(format!("request body: {e}")))?;
        self.headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.body = Some(body);
        Ok(self)
    }

    pub fn header(mut self, name: &str, value: &str) -> Result<Self, HttpError> {
        let (n, v) = header_pair(name, value)?;
        self.headers.insert(n, v);
        Ok(self)
    }
}

fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), HttpError> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| HttpError::Config(format!("invalid header name {name:?}")))?;
    let v = HeaderValue::from_str(value)
        .map_err(|_| HttpError::Config(format!("invalid value for header {name}")))?;
    Ok((n, v))
}

/// A complete response. `url` is where it finally came from after redirects: a renamed or
/// transferred repository shows up here, for the caller to store.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub url: Url,
    pub redirected: bool,
    method: Method,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("method", &self.method)
            .field("url", &redact(&self.url))
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Decode {
            method: self.method.to_string(),
            url: redact(&self.url),
            // serde_json quotes offending input: sanitize it like any tracker text.
            detail: crate::sanitize::line(&e.to_string()).into_owned(),
        })
    }

    /// The `rel="next"` target of the `Link` header(s), resolved against this response's URL.
    pub fn next_link(&self) -> Option<Url> {
        self.headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(link::next)
            .and_then(|target| self.url.join(&target).ok())
    }
}

/// One tracker's client. Cheap to share behind an `Arc`; the concurrency cap and the mutation
/// lock are per client, so give each tracker (host + credentials) its own.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<Secret>,
    /// `Bearer <token>`, marked sensitive (kept out of hyper's debug output and HPACK tables).
    auth: Option<HeaderValue>,
    headers: HeaderMap,
    retry: RetryPolicy,
    max_redirects: u8,
    max_body: usize,
    mutation_gap: Duration,
    max_pages: usize,
    permits: Arc<Semaphore>,
    /// Held for a whole mutation (retries included); remembers when the last one ended.
    mutations: tokio::sync::Mutex<Option<DateTime<Utc>>>,
    sleeper: Arc<dyn Sleeper>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &redact(&self.base))
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: Config) -> Result<Self, HttpError> {
        let mut base = Url::parse(config.base_url.trim())
            .map_err(|e| HttpError::Config(format!("tracker URL: {e}")))?;
        secret::check_transport(&base).map_err(HttpError::Config)?;
        if base.cannot_be_a_base() {
            return Err(HttpError::Config(format!(
                "{}: not a base URL",
                redact(&base)
            )));
        }
        // `join` replaces the last segment unless the path ends in '/' (GHES: /api/v3).
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let (n, v) = header_pair(name, value)?;
            headers.insert(n, v);
        }
        let auth = match &config.token {
            None => None,
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| {
                        HttpError::Config("the token has characters a header cannot carry".into())
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = reqwest::Client::builder()
            // Redirects are ours to follow: reqwest would keep the token on some cross-host hops
            // and hide the final URL of a renamed repository.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| HttpError::Config(error::describe(e)))?;
        Ok(Client {
            http,
            base,
            token: config.token,
            auth,
            headers,
            retry: config.retry,
            max_redirects: config.max_redirects,
            max_body: config.max_body_bytes,
            mutation_gap: config.mutation_gap,
            max_pages: config.max_pages.max(1),
            permits: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
            mutations: tokio::sync::Mutex::new(None),
            sleeper: Arc::new(TokioSleeper),
            clock: Arc::new(SystemClock),
        })
    }

    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    /// A URL under the base: `url("repos/o/r/issues?state=all")`.
    pub fn url(&self, path: &str) -> Result<Url, HttpError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| HttpError::Config(format!("{path:?}: {e}")))
    }

    pub async fn get(&self, url: Url) -> Result<Response, HttpError> {
        self.send(Request::new(Method::GET, url)).await
    }

    /// Walk a paginated list from `first`, following `Link: rel="next"`.
    pub fn pages(&self, first: Url) -> Pages<'_> {
        Pages {
            client: self,
            next: Some(first),
            seen: HashSet::new(),
        }
    }

    /// Send with retries, rate limits and redirects. Mutations wait for each other.
    pub async fn send(&self, req: Request) -> Result<Response, HttpError> {
        let mutation = !matches!(req.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !mutation {
            return self.send_inner(req).await;
        }
        let mut last = self.mutations.lock().await;
        if let Some(prev) = *last {
            let since = (self.clock.now() - prev).to_std().unwrap_or(Duration::ZERO);
            if since < self.mutation_gap {
                self.sleeper.sleep(self.mutation_gap - since).await;
            }
        }
        let result = self.send_inner(req).await;
        *last = Some(self.clock.now());
        result
    }

    async fn send_inner(&self, req: Request) -> Result<Response, HttpError> {
        let Request {
            method,
            mut url,
            headers,
            body,
        } = req;
        // POST creates: after a timeout or a 5xx it may have happened, so only a refused
        // connection or an explicit rate limit is retried (the outbox dedupes the rest).
        let idempotent = method != Method::POST;
        let mut with_token = same_origin(&url, &self.base);
        let mut redirects = 0u8;
        let mut redirected = false;
        let mut number = 1u32;
        let mut waited = Duration::ZERO;
        loop {
            if let Err(reason) = secret::check_transport(&url) {
                return Err(HttpError::Config(reason));
            }
            let sent = {
                let _permit = self.permits.acquire().await;
                self.attempt(&method, &url, &headers, body.as_deref(), with_token)
                    .await
            };
            let now = self.clock.now();
            let at = Attempt {
                number,
                waited,
                now,
                jitter: rand::random::<f64>(),
                idempotent,
            };
            let decision = match &sent {
                Ok(r) if is_redirect(r.status) => {
                    let next = self.redirect_target(&method, &url, r, redirects)?;
                    redirects += 1;
                    redirected = true;
                    // Once a hop leaves the base origin the token stays off, even if a later
                    // hop comes back: the other host chose where we go next.
                    with_token = with_token && same_origin(&next, &self.base);
                    tracing::debug!(method = %method, from = %redact(&url), to = %redact(&next), "redirect");
                    url = next;
                    continue;
                }
                Ok(r) => decide(
                    &self.retry,
                    Outcome::Response {
                        status: r.status,
                        headers: &r.headers,
                        body: &r.body,
                    },
                    at,
                ),
                Err(Failure::Transport(kind, _)) => {
                    decide(&self.retry, Outcome::Transport(*kind), at)
                }
                Err(Failure::Fatal(_)) => Decision::Fail,
            };
            match (decision, sent) {
                (Decision::Succeed, Ok(raw)) => {
                    tracing::debug!(method = %method, url = %redact(&url), status = raw.status, attempt = number, "tracker response");
                    return Ok(Response {
                        status: raw.status,
                        headers: raw.headers,
                        body: raw.body,
                        url,
                        redirected,
                        method,
                    });
                }
                (Decision::Retry { after, why }, _) => {
                    tracing::info!(method = %method, url = %redact(&url), attempt = number, wait_ms = after.as_millis() as u64, why = ?why, "retrying tracker request");
                    self.sleeper.sleep(after).await;
                    waited += after;
                    number += 1;
                }
                (Decision::RateLimited { until }, _) => {
                    tracing::warn!(method = %method, url = %redact(&url), until = %until, "tracker rate limit outlasts the retry budget");
                    return Err(HttpError::RateLimited {
                        method: method.to_string(),
                        url: redact(&url),
                        until,
                    });
                }
                (Decision::Fail | Decision::Succeed, sent) => {
                    return Err(self.failure(&method, &url, sent, number));
                }
            }
        }
    }

    fn failure(
        &self,
        method: &Method,
        url: &Url,
        sent: Result<Raw, Failure>,
        attempts: u32,
    ) -> HttpError {
        let (method, url) = (method.to_string(), redact(url));
        match sent {
            Ok(r) => HttpError::Status {
                method,
                url,
                status: r.status,
                excerpt: error::excerpt(&r.body, self.token.as_ref().map(Secret::expose)),
            },
            Err(Failure::Transport(kind, detail)) => HttpError::Transport {
                method,
                url,
                kind,
                attempts,
                detail,
            },
            Err(Failure::Fatal(limit)) => HttpError::TooLarge { method, url, limit },
        }
    }

    fn redirect_target(
        &self,
        method: &Method,
        url: &Url,
        r: &Raw,
        redirects: u8,
    ) -> Result<Url, HttpError> {
        let refuse = |reason: String| HttpError::Redirect {
            method: method.to_string(),
            url: redact(url),
            reason,
        };
        if redirects >= self.max_redirects {
            return Err(refuse(format!(
                "more than {} redirects",
                self.max_redirects
            )));
        }
        let location = r
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| refuse(format!("HTTP {} without a Location", r.status)))?;
        let next = url
            .join(location)
            .map_err(|e| refuse(format!("bad Location: {e}")))?;
        secret::check_transport(&next).map_err(refuse)?;
        Ok(next)
    }

    /// One try: send, then read the whole body under the size cap (a body cut short is a
    /// transport failure the policy retries, not a parse error later).
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<&[u8]>,
        with_token: bool,
    ) -> Result<Raw, Failure> {
        let mut rb = self
            .http
            .request(method.clone(), url.clone())
            .headers(self.headers.clone())
            .headers(headers.clone());
        if let (true, Some(value)) = (with_token, &self.auth) {
            rb = rb.header(AUTHORIZATION, value.clone());
        }
        if let Some(b) = body {
            rb = rb.body(b.to_vec());
        }
        let mut resp = rb.send().await.map_err(Failure::from_reqwest)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(Failure::Fatal(self.max_body));
        }
        let mut buf = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(Failure::from_reqwest)? {
            if buf.len() + chunk.len() > self.max_body {
                return Err(Failure::Fatal(self.max_body));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Raw {
            status,
            headers,
            body: buf,
        })
    }
}

/// 303 is not followed (trackers don't use it). 301/302 keep the method and body: turning a
/// PATCH into a GET, as browsers do, would drop the write silently.
fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 307 | 308)
}

struct Raw {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

enum Failure {
    Transport(Transport, String),
    /// Body over the size cap: not retried.
    Fatal(usize),
}

impl Failure {
    fn from_reqwest(e: reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            Transport::Timeout
        } else if e.is_connect() {
            Transport::Connect
        } else if e.is_body() || e.is_decode() {
            Transport::Body
        } else {
            Transport::Other
        };
        Failure::Transport(kind, error::describe(e))
    }
}

/// A paginated walk: `while let Some(page) = pages.next_page().await? { ... }`.
pub struct Pages<'c> {
    client: &'c Client,
    next: Option<Url>,
    seen: HashSet<String>,
}

impl Pages<'_> {
    pub async fn next_page(&mut self) -> Result<Option<Response>, HttpError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let stop = |url: &Url, reason: &str| HttpError::Pagination {
            url: redact(url),
            reason: reason.to_string(),
        };
        if !self.seen.insert(url.to_string()) {
            return Err(stop(&url, "the server sent a page twice (a Link loop)"));
        }
        if self.seen.len() > self.client.max_pages {
            return Err(stop(&url, "too many pages"));
        }
        let resp = self.client.get(url).await?;
        if let Some(next) = resp.next_link() {
            // A next page elsewhere would be fetched without the token and mean nothing good.
            if !same_origin(&next, &resp.url) && !same_origin(&next, &self.client.base) {
                return Err(stop(&next, "next page is on another host"));
            }
            self.next = Some(next);
        }
        Ok(Some(resp))
    }
}
