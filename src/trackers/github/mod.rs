//! The GitHub connector: code scanning and Dependabot alerts, and issues, over the shared HTTP
//! client. `wire` is what GitHub sends, `map` turns it into lastmile's terms, `push` builds
//! the requests for lastmile's operations; this file walks the endpoints.
//!
//! Which issues are pulled: those carrying every tracking label. The tracking labels are
//! `issue_labels` from the settings, or `lastmile` when none are set, and `create_ticket` puts
//! them on every issue it opens, so the issues lastmile opened are exactly what it pulls back
//! (GitHub's `labels=a,b` filter means "all of"). An issue someone strips of a tracking label
//! drops out of the pull; its link keeps the last state seen.

pub mod map;
pub mod push;
pub mod wire;

use crate::clock::stamp;
use crate::trackers::http::{self, Client, HttpError, Request, Response, Secret, same_origin};
use crate::trackers::packet;
use crate::trackers::{
    Capabilities, Cursor, Endpoint, NewTicket, Operation, Pulled, RemoteItem, RemoteKind,
    RemoteRef, Tracker, TrackerError,
};
use chrono::{DateTime, Utc};
use push::{Call, Returns};
use reqwest::{Method, Url};
use serde_json::Value;

pub const DEFAULT_API: &str = "https://api.github.com";
pub const DEFAULT_LABEL: &str = "lastmile";
/// GitHub's largest page.
const PER_PAGE: u32 = 100;

/// How to reach one GitHub (github.com or a GHES `https://HOST/api/v3`) and what to sync.
#[derive(Debug, Clone)]
pub struct GithubSettings {
    /// The tracker's name in refs and sync keys ("github"); two GitHubs need two names.
    pub name: String,
    pub api: String,
    /// `owner/name`, as config gives them.
    pub repos: Vec<String>,
    /// Labels lastmile puts on the issues it opens and pulls issues by; empty: `lastmile`.
    pub issue_labels: Vec<String>,
    pub token: Option<Secret>,
    /// How far before the stored watermark a pull starts again: GitHub's `updated_at` is
    /// written before the object is visible to lists, and clocks differ.
    pub overlap: chrono::Duration,
    /// What to pull per repository; a repository without code scanning answers 404 (no
    /// analysis found) and one without Dependabot 403, so those can be left out.
    pub kinds: Vec<RemoteKind>,
    pub timeout: std::time::Duration,
}

impl Default for GithubSettings {
    fn default() -> Self {
        GithubSettings {
            name: "github".into(),
            api: DEFAULT_API.into(),
            repos: Vec::new(),
            issue_labels: Vec::new(),
            token: None,
            overlap: chrono::Duration::minutes(5),
            kinds: vec![
                RemoteKind::CodeScanning,
                RemoteKind::Dependabot,
                RemoteKind::Issue,
            ],
            timeout: std::time::Duration::from_secs(30),
        }
    }
}

impl GithubSettings {
    /// The HTTP client configuration these settings mean. Adjust it (retries, concurrency)
    /// and pass the client to `GitHub::with_client` when the defaults don't fit.
    pub fn http_config(&self) -> http::Config {
        let mut c = http::Config::new(self.api.clone());
        c.token = self.token.clone();
        c.timeout = self.timeout;
        c.headers = vec![
            // Prism (and any server that only knows the spec's media type) answers 406 to
            // the vendor type alone; GitHub accepts either.
            (
                "Accept".into(),
                "application/vnd.github+json, application/json".into(),
            ),
            ("X-GitHub-Api-Version".into(), "2022-11-28".into()),
        ];
        c
    }

    /// The labels issues are pulled by and created with.
    pub fn tracking_labels(&self) -> Vec<String> {
        if self.issue_labels.is_empty() {
            vec![DEFAULT_LABEL.to_string()]
        } else {
            self.issue_labels.clone()
        }
    }
}

pub struct GitHub {
    settings: GithubSettings,
    labels: Vec<String>,
    client: Client,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHub")
            .field("name", &self.settings.name)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

fn invalid(msg: impl Into<String>) -> TrackerError {
    TrackerError::Invalid(msg.into())
}

impl GitHub {
    pub fn new(settings: GithubSettings) -> Result<Self, TrackerError> {
        let client = Client::new(settings.http_config())?;
        GitHub::with_client(settings, client)
    }

    /// With a client built elsewhere (tests: a recording sleeper, a fixed clock).
    pub fn with_client(settings: GithubSettings, client: Client) -> Result<Self, TrackerError> {
        if settings.name.trim().is_empty() {
            return Err(invalid("a GitHub tracker needs a name"));
        }
        for repo in &settings.repos {
            push::repo_path(repo)?;
        }
        let labels = settings.tracking_labels();
        for l in &labels {
            // The list filter takes labels comma-separated: a comma in one can't be said.
            if l.trim().is_empty() || l.contains(',') {
                return Err(invalid(format!(
                    "issue label {:?}: empty or with a comma",
                    crate::sanitize::line(l)
                )));
            }
        }
        if settings.overlap < chrono::Duration::zero() {
            return Err(invalid("overlap must not be negative"));
        }
        Ok(GitHub {
            settings,
            labels,
            client,
        })
    }

    pub fn settings(&self) -> &GithubSettings {
        &self.settings
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The repository's numeric id and current full name. A renamed or transferred repository
    /// answers with a redirect the client follows; the id is what to store, it survives both.
    pub async fn repo_info(&self, repo: &str) -> Result<(i64, String), TrackerError> {
        let resp = self.client.get(self.url(&push::repo_path(repo)?)?).await?;
        expect_success(&resp)?;
        let r: wire::Repository = resp.json()?;
        if resp.redirected {
            tracing::info!(repo = %crate::sanitize::line(repo), now = %crate::sanitize::line(&r.full_name), "GitHub repository moved");
        }
        Ok((r.id, r.full_name))
    }

    fn url(&self, path: &str) -> Result<Url, TrackerError> {
        Ok(self.client.url(path)?)
    }

    fn since(&self, watermark: DateTime<Utc>) -> DateTime<Utc> {
        watermark
            .checked_sub_signed(self.settings.overlap)
            .unwrap_or(watermark)
    }

    fn first_page(
        &self,
        endpoint: &Endpoint,
        watermark: Option<DateTime<Utc>>,
    ) -> Result<Url, TrackerError> {
        let repo = push::repo_path(&endpoint.repo)?;
        let mut url = match endpoint.kind {
            RemoteKind::CodeScanning => self.url(&format!("{repo}/code-scanning/alerts"))?,
            RemoteKind::Dependabot => self.url(&format!("{repo}/dependabot/alerts"))?,
            RemoteKind::Issue => self.url(&format!("{repo}/issues"))?,
        };
        {
            let mut q = url.query_pairs_mut();
            match endpoint.kind {
                // No `since` on alert lists: newest first, and the walk stops at the watermark.
                RemoteKind::CodeScanning | RemoteKind::Dependabot => {
                    q.append_pair("sort", "updated")
                        .append_pair("direction", "desc");
                }
                RemoteKind::Issue => {
                    q.append_pair("state", "all")
                        .append_pair("labels", &self.labels.join(","));
                    if let Some(w) = watermark {
                        q.append_pair("since", &stamp(self.since(w)));
                    }
                    q.append_pair("sort", "updated")
                        .append_pair("direction", "asc");
                }
            }
            q.append_pair("per_page", &PER_PAGE.to_string());
        }
        Ok(url)
    }

    /// The `rel="next"` page, refused when it would leave the API's origin (the token stays
    /// home) or point back at the page just read.
    fn next_page(&self, resp: &Response) -> Result<Option<Url>, TrackerError> {
        let Some(next) = resp.next_link() else {
            return Ok(None);
        };
        if !same_origin(&next, self.client.base()) {
            return Err(HttpError::Pagination {
                url: http::redact(&next),
                reason: "next page is on another host".into(),
            }
            .into());
        }
        if next == resp.url {
            return Err(HttpError::Pagination {
                url: http::redact(&next),
                reason: "the next page is this page (a Link loop)".into(),
            }
            .into());
        }
        Ok(Some(next))
    }

    async fn call(&self, call: &Call) -> Result<Result<Response, HttpError>, TrackerError> {
        let mut req = Request::new(call.method.clone(), self.url(&call.path)?);
        if let Some(body) = &call.body {
            req = req.json(body)?;
        }
        Ok(self.client.send(req).await)
    }

    fn map_page(&self, endpoint: &Endpoint, values: Vec<Value>) -> (Vec<RemoteItem>, usize) {
        let (name, repo) = (self.settings.name.as_str(), endpoint.repo.as_str());
        let mut items = Vec::with_capacity(values.len());
        let mut skipped = 0;
        for v in values {
            let mapped = match endpoint.kind {
                RemoteKind::CodeScanning => serde_json::from_value(v)
                    .map_err(|e| map::MapError(e.to_string()))
                    .and_then(|a| map::code_scanning(name, repo, a)),
                RemoteKind::Dependabot => serde_json::from_value(v)
                    .map_err(|e| map::MapError(e.to_string()))
                    .and_then(|a| map::dependabot(name, repo, a)),
                RemoteKind::Issue => match serde_json::from_value::<wire::Issue>(v) {
                    Ok(i) if i.is_pull_request() => {
                        skipped += 1;
                        continue;
                    }
                    Ok(i) => map::issue(name, repo, i),
                    Err(e) => Err(map::MapError(e.to_string())),
                },
            };
            match mapped {
                Ok(item) => items.push(item),
                Err(e) => {
                    // One unreadable object must not stall the endpoint's sync for good.
                    skipped += 1;
                    tracing::warn!(endpoint = %endpoint.key, error = %crate::sanitize::line(&e.0), "skipped an object GitHub sent");
                }
            }
        }
        (items, skipped)
    }

    fn map_returned(
        &self,
        target: &RemoteRef,
        returns: Returns,
        resp: &Response,
    ) -> Option<RemoteItem> {
        let (name, repo) = (self.settings.name.as_str(), target.repo.as_str());
        let mapped = match returns {
            Returns::Nothing => return None,
            Returns::Alert(RemoteKind::Dependabot) => resp
                .json::<wire::DependabotAlert>()
                .map_err(|e| map::MapError(e.to_string()))
                .and_then(|a| map::dependabot(name, repo, a)),
            Returns::Alert(_) => resp
                .json::<wire::CodeScanningAlert>()
                .map_err(|e| map::MapError(e.to_string()))
                .and_then(|a| map::code_scanning(name, repo, a)),
            Returns::Issue => resp
                .json::<wire::Issue>()
                .map_err(|e| map::MapError(e.to_string()))
                .and_then(|i| map::issue(name, repo, i)),
        };
        // The change is made; an answer we can't read only costs the stored state until the
        // next pull, while an error would have the outbox send it again.
        mapped
            .map_err(|e| tracing::warn!(remote = %target, error = %crate::sanitize::line(&e.0), "could not read GitHub's answer"))
            .ok()
    }
}

/// 2xx; anything else the client let through (304 where none was asked for, 1xx) is unusable.
fn expect_success(resp: &Response) -> Result<(), TrackerError> {
    if (200..300).contains(&resp.status) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{}: unexpected HTTP {}",
            http::redact(&resp.url),
            resp.status
        )))
    }
}

impl Tracker for GitHub {
    fn name(&self) -> &str {
        &self.settings.name
    }

    fn capabilities(&self) -> Capabilities {
        let has = |k| self.settings.kinds.contains(&k);
        Capabilities {
            pull_alerts: has(RemoteKind::CodeScanning) || has(RemoteKind::Dependabot),
            pull_issues: has(RemoteKind::Issue),
            dismiss_alerts: true,
            create_tickets: true,
        }
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        let mut out = Vec::new();
        for repo in &self.settings.repos {
            for kind in [
                RemoteKind::CodeScanning,
                RemoteKind::Dependabot,
                RemoteKind::Issue,
            ] {
                if self.settings.kinds.contains(&kind) {
                    out.push(Endpoint {
                        tracker: self.settings.name.clone(),
                        repo: repo.clone(),
                        kind,
                        key: format!("{}:{repo}:{}", self.settings.name, kind.as_str()),
                    });
                }
            }
        }
        out
    }

    async fn pull_page(
        &self,
        endpoint: &Endpoint,
        cursor: &Cursor,
    ) -> Result<Pulled, TrackerError> {
        if endpoint.tracker != self.settings.name {
            return Err(invalid(format!(
                "endpoint {} is not for {}",
                endpoint.key, self.settings.name
            )));
        }
        let first = cursor.next.is_none();
        let url = match &cursor.next {
            Some(next) => {
                // The cursor comes back from storage: the token goes to the API's origin only.
                if !same_origin(next, self.client.base()) {
                    return Err(invalid(format!(
                        "{}: not this tracker's page",
                        http::redact(next)
                    )));
                }
                next.clone()
            }
            None => self.first_page(endpoint, cursor.watermark)?,
        };
        let mut req = Request::new(Method::GET, url);
        if let (true, Some(etag)) = (first, &cursor.etag) {
            req = req.header("If-None-Match", etag)?;
        }
        let resp = self.client.send(req).await?;
        let etag = first
            .then(|| resp.header("etag").map(str::to_string))
            .flatten();
        if resp.status == 304 {
            return Ok(Pulled {
                not_modified: true,
                etag: etag.or_else(|| cursor.etag.clone()),
                ..Pulled::default()
            });
        }
        expect_success(&resp)?;
        let values: Vec<Value> = resp.json()?;
        let (mut items, skipped) = self.map_page(endpoint, values);
        let mut next = self.next_page(&resp)?;
        if endpoint.kind.is_alert()
            && let Some(w) = cursor.watermark
        {
            // Newest first: past the first item older than the window, every later one is too.
            let cutoff = self.since(w);
            let before = items.len();
            items.retain(|i| i.updated_at >= cutoff);
            if items.len() < before {
                next = None;
            }
        }
        Ok(Pulled {
            items,
            next,
            etag,
            not_modified: false,
            skipped,
        })
    }

    async fn apply(
        &self,
        target: &RemoteRef,
        op: &Operation,
    ) -> Result<Option<RemoteItem>, TrackerError> {
        if target.tracker != self.settings.name {
            return Err(invalid(format!(
                "{target} is not on {}",
                self.settings.name
            )));
        }
        let call = push::operation(target, op)?;
        let resp = match self.call(&call).await? {
            Ok(resp) => resp,
            Err(e) if call.missing_ok && e.status() == Some(404) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        expect_success(&resp)?;
        Ok(self.map_returned(target, call.returns, &resp))
    }

    async fn find_ticket(
        &self,
        repo: &str,
        marker: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<RemoteItem>, TrackerError> {
        let wanted = packet::normalize_marker(marker).ok_or_else(|| {
            invalid(format!(
                "{:?} is not a finding marker",
                crate::sanitize::line(marker)
            ))
        })?;
        // The overlap absorbs the difference between our clock and GitHub's.
        let from = self.since(since);
        let mut url = self.url(&format!("{}/issues", push::repo_path(repo)?))?;
        url.query_pairs_mut()
            .append_pair("state", "all")
            .append_pair("since", &stamp(from))
            .append_pair("per_page", &PER_PAGE.to_string());
        let mut pages = self.client.pages(url);
        while let Some(resp) = pages.next_page().await? {
            expect_success(&resp)?;
            let values: Vec<Value> = resp.json()?;
            for v in values {
                let Ok(issue) = serde_json::from_value::<wire::Issue>(v) else {
                    continue;
                };
                let ours = !issue.is_pull_request()
                    && issue.created_at.is_none_or(|c| c >= from)
                    && issue
                        .body
                        .as_deref()
                        .and_then(packet::find_marker)
                        .as_deref()
                        == Some(wanted.as_str());
                if ours {
                    return map::issue(&self.settings.name, repo, issue)
                        .map(Some)
                        .map_err(|e| invalid(e.0));
                }
            }
        }
        Ok(None)
    }

    async fn create_ticket(&self, ticket: &NewTicket) -> Result<RemoteItem, TrackerError> {
        let call = push::create_issue(ticket, &self.labels)?;
        let resp = self.call(&call).await??;
        expect_success(&resp)?;
        // The issue exists now whatever the answer says: point at the way back to it.
        let unreadable = |e: String| {
            invalid(format!(
                "opened an issue in {} but could not read GitHub's answer ({}); find_ticket finds it by its marker",
                crate::sanitize::line(&ticket.repo),
                crate::sanitize::line(&e)
            ))
        };
        let issue: wire::Issue = resp.json().map_err(|e| unreadable(e.to_string()))?;
        map::issue(&self.settings.name, &ticket.repo, issue).map_err(|e| unreadable(e.0))
    }

    async fn repository(&self, repo: &str) -> Result<Option<(i64, String)>, TrackerError> {
        self.repo_info(repo).await.map(Some)
    }
}

#[cfg(test)]
mod tests;
