//! What the demo's GitHub stand-in knows and how it answers: repositories with their code
//! scanning alerts, Dependabot alerts and issues, as GitHub's JSON. Pure: a request and the time
//! in, a reply out, so it is tested without sockets.
//!
//! It checks what GitHub documents and lastmile could get wrong (a dismissal needs one of the
//! reasons GitHub lists, an issue needs a title, a comment a body) and answers 422 as GitHub
//! does; it does not check tokens or permissions.

use super::{Reply, Request};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use sha2::Digest;

/// Who the stand-in says made a change through the API: GitHub's examples' user.
pub const LOGIN: &str = "octocat";

/// The largest page the stand-in serves, whatever `per_page` asks: small, so the demo's lists
/// take more than one page.
pub const PAGE_SIZE: usize = 5;

/// GitHub's limit on dismissal comments (both alert kinds).
const DISMISS_COMMENT_LIMIT: usize = 280;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    CodeScanning,
    Dependabot,
}

impl AlertKind {
    /// The alert kind's segment in GitHub's API paths.
    pub fn segment(self) -> &'static str {
        match self {
            AlertKind::CodeScanning => "code-scanning",
            AlertKind::Dependabot => "dependabot",
        }
    }

    /// The dismissal reasons GitHub accepts.
    fn reasons(self) -> &'static [&'static str] {
        match self {
            AlertKind::CodeScanning => &["false positive", "won't fix", "used in tests"],
            AlertKind::Dependabot => &[
                "fix_started",
                "inaccurate",
                "no_bandwidth",
                "not_used",
                "tolerable_risk",
            ],
        }
    }
}

/// One repository and what is in it, as GitHub sends it.
#[derive(Debug, Clone, Default)]
pub struct Repo {
    pub id: i64,
    /// `owner/name`.
    pub full_name: String,
    pub code_scanning: Vec<Value>,
    pub dependabot: Vec<Value>,
    pub issues: Vec<Value>,
    pub comments: Vec<Value>,
    /// Alerts whose update the stand-in refuses with 422, so the demo has a row that failed
    /// for good.
    pub refuse: Vec<(AlertKind, i64)>,
}

impl Repo {
    pub fn new(id: i64, full_name: &str) -> Repo {
        Repo {
            id,
            full_name: full_name.to_string(),
            ..Repo::default()
        }
    }

    pub fn alerts(&self, kind: AlertKind) -> &Vec<Value> {
        match kind {
            AlertKind::CodeScanning => &self.code_scanning,
            AlertKind::Dependabot => &self.dependabot,
        }
    }

    pub fn alerts_mut(&mut self, kind: AlertKind) -> &mut Vec<Value> {
        match kind {
            AlertKind::CodeScanning => &mut self.code_scanning,
            AlertKind::Dependabot => &mut self.dependabot,
        }
    }

    pub fn alert_mut(&mut self, kind: AlertKind, number: i64) -> Option<&mut Value> {
        self.alerts_mut(kind)
            .iter_mut()
            .find(|a| number_of(a) == Some(number))
    }

    pub(super) fn issue_mut(&mut self, number: i64) -> Option<&mut Value> {
        self.issues
            .iter_mut()
            .find(|a| number_of(a) == Some(number))
    }

    /// The page a person would open: github.com, as the examples have it.
    pub fn html_url(&self, rest: &str) -> String {
        format!("https://github.com/{}/{rest}", self.full_name)
    }

    pub(super) fn api_url(&self, rest: &str) -> String {
        format!("https://api.github.com/repos/{}/{rest}", self.full_name)
    }
}

/// Everything the stand-in serves.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub repos: Vec<Repo>,
    /// The shapes of what `POST` creates, from GitHub's examples.
    pub issue_template: Value,
    pub comment_template: Value,
}

/// A timestamp as GitHub writes it.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn number_of(v: &Value) -> Option<i64> {
    v.get("number").and_then(Value::as_i64)
}

/// Sets `key` on `v` when it is an object; a template that is not one stays as it is.
pub fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}

/// Sets `path` (keys of nested objects, created as needed) on `v`.
pub fn set_path(v: &mut Value, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for p in parents {
        let Some(o) = cur.as_object_mut() else {
            return;
        };
        let next = o
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        cur = next;
    }
    set(cur, last, value);
}

pub(super) fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub(super) fn user(login: &str) -> Value {
    json!({
        "login": login,
        "type": "User",
        "html_url": format!("https://github.com/{login}"),
    })
}

pub(super) fn not_found() -> Reply {
    Reply::error(404, "Not Found")
}

/// GitHub's 422: "Validation Failed" and what was wrong.
pub(super) fn invalid(resource: &str, field: &str, code: &str, message: &str) -> Reply {
    Reply::json(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{ "resource": resource, "field": field, "code": code, "message": message }],
            "documentation_url": "https://docs.github.com/rest",
            "status": "422",
        }),
    )
}

pub(super) fn body_json(req: &Request) -> Result<Value, Reply> {
    if req.body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(&req.body).map_err(|_| Reply::error(400, "Problems parsing JSON"))
}

/// Names from `["a", "b"]` or `[{"name": "a"}]`: GitHub takes either for labels.
pub(super) fn names(v: Option<&Value>) -> Option<Vec<String>> {
    let items = v?.as_array()?;
    items
        .iter()
        .map(|i| match i {
            Value::String(s) => Some(s.clone()),
            other => str_of(other, "name").map(str::to_string),
        })
        .collect()
}

impl World {
    pub(super) fn repo_index(&self, owner: &str, name: &str) -> Option<usize> {
        let full = format!("{owner}/{name}");
        self.repos
            .iter()
            .position(|r| r.full_name.eq_ignore_ascii_case(&full))
    }

    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos
            .iter_mut()
            .find(|r| r.full_name.eq_ignore_ascii_case(full_name))
    }

    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos
            .iter()
            .find(|r| r.full_name.eq_ignore_ascii_case(full_name))
    }

    /// Answers `req`; `base` is the stand-in's own address (for `Link`), `now` the time of
    /// whatever the request changes.
    pub fn handle(&mut self, req: &Request, base: &str, now: DateTime<Utc>) -> Reply {
        let segs: Vec<&str> = req.segments.iter().map(String::as_str).collect();
        let method = req.method.as_str();
        let ["repos", owner, name, rest @ ..] = segs.as_slice() else {
            return not_found();
        };
        let Some(i) = self.repo_index(owner, name) else {
            return not_found();
        };
        let path = format!("/{}", segs.join("/"));
        let number = |s: &str| s.parse::<i64>().ok().filter(|n| *n > 0);
        let alert_kind = |s: &str| match s {
            "code-scanning" => Some(AlertKind::CodeScanning),
            "dependabot" => Some(AlertKind::Dependabot),
            _ => None,
        };
        match (method, rest) {
            ("GET", []) => {
                let r = &self.repos[i];
                let (owner, short) = r.full_name.split_once('/').unwrap_or(("", ""));
                Reply::json(
                    200,
                    json!({
                        "id": r.id,
                        "name": short,
                        "full_name": r.full_name,
                        "owner": { "login": owner, "type": "Organization" },
                        "private": true,
                        "html_url": r.html_url("").trim_end_matches('/'),
                        "default_branch": "main",
                    }),
                )
            }
            ("GET", [k, "alerts"]) => match alert_kind(k) {
                Some(kind) => {
                    let items = self.list_alerts(i, kind, req);
                    page(items, req, base, &path)
                }
                None => not_found(),
            },
            ("GET", [k, "alerts", n]) => match (alert_kind(k), number(n)) {
                (Some(kind), Some(n)) => match self.repos[i].alert_mut(kind, n) {
                    Some(a) => Reply::json(200, a.clone()),
                    None => Reply::error(404, "No alert found for alert number"),
                },
                _ => not_found(),
            },
            ("PATCH", [k, "alerts", n]) => match (alert_kind(k), number(n)) {
                (Some(kind), Some(n)) => self.update_alert(i, kind, n, req, now),
                _ => not_found(),
            },
            ("GET", ["issues"]) => {
                let items = self.list_issues(i, req);
                page(items, req, base, &path)
            }
            ("POST", ["issues"]) => self.create_issue(i, req, now),
            ("GET", ["issues", n]) => match number(n).and_then(|n| self.repos[i].issue_mut(n)) {
                Some(issue) => Reply::json(200, issue.clone()),
                None => not_found(),
            },
            ("PATCH", ["issues", n]) => match number(n) {
                Some(n) => self.update_issue(i, n, req, now),
                None => not_found(),
            },
            ("GET", ["issues", n, "comments"]) => match number(n) {
                Some(n) => {
                    let url = self.repos[i].api_url(&format!("issues/{n}"));
                    let items: Vec<Value> = self.repos[i]
                        .comments
                        .iter()
                        .filter(|c| str_of(c, "issue_url") == Some(url.as_str()))
                        .cloned()
                        .collect();
                    page(items, req, base, &path)
                }
                None => not_found(),
            },
            ("POST", ["issues", n, "comments"]) => match number(n) {
                Some(n) => self.comment(i, n, req, now),
                None => not_found(),
            },
            ("POST", ["issues", n, "labels"]) => match number(n) {
                Some(n) => self.add_labels(i, n, req, now),
                None => not_found(),
            },
            ("DELETE", ["issues", n, "labels", label]) => match number(n) {
                Some(n) => self.remove_label(i, n, label, now),
                None => not_found(),
            },
            (m @ ("POST" | "DELETE"), ["issues", n, "assignees"]) => match number(n) {
                Some(n) => self.assignees(i, n, m == "POST", req, now),
                None => not_found(),
            },
            _ => not_found(),
        }
    }

    fn list_alerts(&self, i: usize, kind: AlertKind, req: &Request) -> Vec<Value> {
        let states: Option<Vec<&str>> = req.param("state").map(|s| {
            s.split(',')
                .map(str::trim)
                .flat_map(|s| match s {
                    // Code scanning's "closed" is every way an alert stops being open.
                    "closed" => vec!["dismissed", "fixed", "auto_dismissed"],
                    other => vec![other],
                })
                .collect()
        });
        let mut items: Vec<Value> = self.repos[i]
            .alerts(kind)
            .iter()
            .filter(|a| {
                states
                    .as_ref()
                    .is_none_or(|s| str_of(a, "state").is_some_and(|st| s.contains(&st)))
            })
            .cloned()
            .collect();
        sort(&mut items, req, "created");
        items
    }

    fn list_issues(&self, i: usize, req: &Request) -> Vec<Value> {
        let state = req.param("state").unwrap_or("open");
        let labels: Vec<&str> = req
            .param("labels")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let since = req
            .param("since")
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        let mut items: Vec<Value> = self.repos[i]
            .issues
            .iter()
            .filter(|issue| state == "all" || str_of(issue, "state") == Some(state))
            .filter(|issue| {
                let have = names(issue.get("labels")).unwrap_or_default();
                labels.iter().all(|l| have.iter().any(|h| h == l))
            })
            .filter(|issue| {
                since.is_none_or(|s| {
                    str_of(issue, "updated_at")
                        .and_then(|u| DateTime::parse_from_rfc3339(u).ok())
                        .is_some_and(|u| u >= s)
                })
            })
            .cloned()
            .collect();
        sort(&mut items, req, "created");
        items
    }

    fn update_alert(
        &mut self,
        i: usize,
        kind: AlertKind,
        n: i64,
        req: &Request,
        now: DateTime<Utc>,
    ) -> Reply {
        let body = match body_json(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let resource = match kind {
            AlertKind::CodeScanning => "CodeScanningAlert",
            AlertKind::Dependabot => "DependabotAlert",
        };
        let repo = &mut self.repos[i];
        if repo.refuse.contains(&(kind, n)) {
            return invalid(
                resource,
                "state",
                "invalid",
                "the alert cannot be updated (the demo's stand-in refuses this one on purpose)",
            );
        }
        let Some(alert) = repo.alert_mut(kind, n) else {
            return Reply::error(404, "No alert found for alert number");
        };
        match str_of(&body, "state") {
            Some("dismissed") => {
                let reason = str_of(&body, "dismissed_reason");
                if !reason.is_some_and(|r| kind.reasons().contains(&r)) {
                    return invalid(
                        resource,
                        "dismissed_reason",
                        "invalid",
                        &format!("must be one of: {}", kind.reasons().join(", ")),
                    );
                }
                let comment = body
                    .get("dismissed_comment")
                    .cloned()
                    .unwrap_or(Value::Null);
                if comment
                    .as_str()
                    .is_some_and(|c| c.chars().count() > DISMISS_COMMENT_LIMIT)
                {
                    return invalid(
                        resource,
                        "dismissed_comment",
                        "too_long",
                        "is too long (maximum is 280 characters)",
                    );
                }
                set(alert, "state", json!("dismissed"));
                set(alert, "dismissed_reason", json!(reason));
                set(alert, "dismissed_comment", comment);
                set(alert, "dismissed_by", user(LOGIN));
                set(alert, "dismissed_at", json!(stamp(now)));
            }
            Some("open") => {
                set(alert, "state", json!("open"));
                for k in [
                    "dismissed_reason",
                    "dismissed_comment",
                    "dismissed_by",
                    "dismissed_at",
                ] {
                    set(alert, k, Value::Null);
                }
            }
            _ => {
                return invalid(resource, "state", "invalid", "must be open or dismissed");
            }
        }
        set(alert, "updated_at", json!(stamp(now)));
        Reply::json(200, alert.clone())
    }
}

/// Sorts by `sort` (`created` or `updated`; `default` when not given), in `direction`
/// (descending unless `asc`), the number breaking ties.
fn sort(items: &mut [Value], req: &Request, default: &str) {
    let key = match req.param("sort").unwrap_or(default) {
        "updated" => "updated_at",
        _ => "created_at",
    };
    let time = |v: &Value| {
        str_of(v, key)
            .or_else(|| str_of(v, "created_at"))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
    };
    items.sort_by(|a, b| time(a).cmp(&time(b)).then(number_of(a).cmp(&number_of(b))));
    if req.param("direction") != Some("asc") {
        items.reverse();
    }
}

/// One page of `items` with GitHub's `Link` header, and an `ETag` on the first page for
/// `If-None-Match`.
fn page(items: Vec<Value>, req: &Request, base: &str, path: &str) -> Reply {
    let per_page = req
        .param("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, PAGE_SIZE);
    let page = req
        .param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let body = Value::Array(shown);
    let mut headers = Vec::new();
    let link_to = |p: usize| -> Option<String> {
        let mut url = reqwest::Url::parse(&format!("{base}{path}")).ok()?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &req.query {
                if k != "page" {
                    q.append_pair(k, v);
                }
            }
            q.append_pair("page", &p.to_string());
        }
        Some(url.to_string())
    };
    let mut links = Vec::new();
    let mut rel = |p: usize, name: &str| {
        if let Some(u) = link_to(p) {
            links.push(format!("<{u}>; rel=\"{name}\""));
        }
    };
    if page > 1 {
        rel(page - 1, "prev");
    }
    if page < last {
        rel(page + 1, "next");
        rel(last, "last");
    }
    if page > 1 {
        rel(1, "first");
    }
    if !links.is_empty() {
        headers.push(("Link".to_string(), links.join(", ")));
    }
    if page == 1 {
        let digest = sha2::Sha256::digest(serde_json::to_vec(&body).unwrap_or_default());
        let etag = format!("W/\"{}\"", hex::encode(&digest[..12]));
        let unchanged = req
            .header("if-none-match")
            .is_some_and(|seen| seen.split(',').any(|s| s.trim() == etag));
        headers.push(("ETag".to_string(), etag));
        if unchanged {
            return Reply {
                status: 304,
                headers,
                body: None,
            };
        }
    }
    Reply {
        status: 200,
        headers,
        body: Some(body),
    }
}
