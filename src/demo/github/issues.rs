//! The stand-in's issues: created, edited, commented, labelled and assigned as GitHub does,
//! with 422 for what GitHub refuses.

use super::world::{
    LOGIN, Repo, World, body_json, invalid, names, not_found, number_of, set, stamp, str_of, user,
};
use super::{Reply, Request};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

impl World {
    pub(super) fn create_issue(&mut self, i: usize, req: &Request, now: DateTime<Utc>) -> Reply {
        let body = match body_json(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(title) = str_of(&body, "title").filter(|t| !t.trim().is_empty()) else {
            return invalid("Issue", "title", "missing_field", "title is required");
        };
        let text = match body.get("body") {
            None | Some(Value::Null) => Value::Null,
            Some(Value::String(s)) => json!(s),
            Some(_) => return invalid("Issue", "body", "invalid", "must be a string"),
        };
        let labels = match body.get("labels") {
            None | Some(Value::Null) => Vec::new(),
            v => match names(v) {
                Some(l) => l,
                None => return invalid("Issue", "labels", "invalid", "must be a list of names"),
            },
        };
        let assignees = match body.get("assignees") {
            None | Some(Value::Null) => Vec::new(),
            v => match names(v) {
                Some(a) => a,
                None => {
                    return invalid("Issue", "assignees", "invalid", "must be a list of logins");
                }
            },
        };
        let mut issue = self.issue_template.clone();
        let repo = &mut self.repos[i];
        // Numbers are shared with pull requests on GitHub; here only issues take them.
        let n = repo.issues.iter().filter_map(number_of).max().unwrap_or(0) + 1;
        fill_issue(&mut issue, repo, n);
        set(&mut issue, "title", json!(title));
        set(&mut issue, "body", text);
        set(&mut issue, "labels", label_objects(repo, &labels));
        set_assignees(&mut issue, &assignees);
        set(&mut issue, "state", json!("open"));
        set(&mut issue, "state_reason", Value::Null);
        set(&mut issue, "comments", json!(0));
        set(&mut issue, "created_at", json!(stamp(now)));
        set(&mut issue, "updated_at", json!(stamp(now)));
        set(&mut issue, "closed_at", Value::Null);
        set(&mut issue, "closed_by", Value::Null);
        set(&mut issue, "user", user(LOGIN));
        repo.issues.push(issue.clone());
        Reply::json(201, issue)
    }

    pub(super) fn update_issue(
        &mut self,
        i: usize,
        n: i64,
        req: &Request,
        now: DateTime<Utc>,
    ) -> Reply {
        let body = match body_json(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(issue) = self.repos[i].issue_mut(n) else {
            return not_found();
        };
        if let Some(t) = body.get("title") {
            match t.as_str().filter(|t| !t.trim().is_empty()) {
                Some(t) => set(issue, "title", json!(t)),
                None => return invalid("Issue", "title", "invalid", "must not be empty"),
            }
        }
        if let Some(b) = body.get("body") {
            set(issue, "body", b.clone());
        }
        let reason = str_of(&body, "state_reason");
        if reason
            .is_some_and(|r| !["completed", "not_planned", "duplicate", "reopened"].contains(&r))
        {
            return invalid("Issue", "state_reason", "invalid", "unknown state reason");
        }
        match str_of(&body, "state") {
            Some("closed") => {
                set(issue, "state", json!("closed"));
                set(issue, "state_reason", json!(reason.unwrap_or("completed")));
                set(issue, "closed_at", json!(stamp(now)));
                set(issue, "closed_by", user(LOGIN));
            }
            Some("open") => {
                set(issue, "state", json!("open"));
                set(issue, "state_reason", json!(reason.unwrap_or("reopened")));
                set(issue, "closed_at", Value::Null);
                set(issue, "closed_by", Value::Null);
            }
            Some(_) => return invalid("Issue", "state", "invalid", "must be open or closed"),
            None => {}
        }
        set(issue, "updated_at", json!(stamp(now)));
        Reply::json(200, issue.clone())
    }

    pub(super) fn comment(&mut self, i: usize, n: i64, req: &Request, now: DateTime<Utc>) -> Reply {
        let body = match body_json(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(text) = str_of(&body, "body").filter(|t| !t.trim().is_empty()) else {
            return invalid("IssueComment", "body", "missing_field", "body is required");
        };
        let mut comment = self.comment_template.clone();
        let repo = &mut self.repos[i];
        let id = repo.comments.len() as i64 + 1;
        let issue_url = repo.api_url(&format!("issues/{n}"));
        let html = repo.html_url(&format!("issues/{n}#issuecomment-{id}"));
        let url = repo.api_url(&format!("issues/comments/{id}"));
        let Some(issue) = repo.issue_mut(n) else {
            return not_found();
        };
        let count = issue.get("comments").and_then(Value::as_i64).unwrap_or(0);
        set(issue, "comments", json!(count + 1));
        set(issue, "updated_at", json!(stamp(now)));
        set(&mut comment, "id", json!(id));
        set(&mut comment, "body", json!(text));
        set(&mut comment, "url", json!(url));
        set(&mut comment, "html_url", json!(html));
        set(&mut comment, "issue_url", json!(issue_url));
        set(&mut comment, "user", user(LOGIN));
        set(&mut comment, "created_at", json!(stamp(now)));
        set(&mut comment, "updated_at", json!(stamp(now)));
        repo.comments.push(comment.clone());
        Reply::json(201, comment)
    }

    pub(super) fn add_labels(
        &mut self,
        i: usize,
        n: i64,
        req: &Request,
        now: DateTime<Utc>,
    ) -> Reply {
        let body = match body_json(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        // `{"labels": [...]}` is what GitHub recommends; a bare list is what it also takes.
        let Some(wanted) = names(body.get("labels").or(Some(&body))) else {
            return invalid("Label", "labels", "invalid", "must be a list of names");
        };
        let repo = &mut self.repos[i];
        let Some(issue) = repo.issues.iter().position(|x| number_of(x) == Some(n)) else {
            return not_found();
        };
        let mut have = names(repo.issues[issue].get("labels")).unwrap_or_default();
        for l in wanted {
            if !l.trim().is_empty() && !have.contains(&l) {
                have.push(l);
            }
        }
        let labels = label_objects(repo, &have);
        let issue = &mut repo.issues[issue];
        set(issue, "labels", labels.clone());
        set(issue, "updated_at", json!(stamp(now)));
        Reply::json(200, labels)
    }

    pub(super) fn remove_label(
        &mut self,
        i: usize,
        n: i64,
        label: &str,
        now: DateTime<Utc>,
    ) -> Reply {
        let repo = &mut self.repos[i];
        let Some(issue) = repo.issues.iter().position(|x| number_of(x) == Some(n)) else {
            return not_found();
        };
        let mut have = names(repo.issues[issue].get("labels")).unwrap_or_default();
        let before = have.len();
        have.retain(|l| l != label);
        if have.len() == before {
            return Reply::error(404, "Label does not exist");
        }
        let labels = label_objects(repo, &have);
        let issue = &mut repo.issues[issue];
        set(issue, "labels", labels.clone());
        set(issue, "updated_at", json!(stamp(now)));
        Reply::json(200, labels)
    }

    pub(super) fn assignees(
        &mut self,
        i: usize,
        n: i64,
        add: bool,
        req: &Request,
        now: DateTime<Utc>,
    ) -> Reply {
        let body = match body_json(req) {
            Ok(b) => b,
            Err(r) => return r,
        };
        let Some(logins) = names(body.get("assignees")) else {
            return invalid("Issue", "assignees", "invalid", "must be a list of logins");
        };
        let Some(issue) = self.repos[i].issue_mut(n) else {
            return not_found();
        };
        let mut have: Vec<String> = issue
            .get("assignees")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|u| str_of(u, "login").map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if add {
            for l in logins {
                if !have.contains(&l) {
                    have.push(l);
                }
            }
        } else {
            have.retain(|h| !logins.contains(h));
        }
        set_assignees(issue, &have);
        set(issue, "updated_at", json!(stamp(now)));
        Reply::json(if add { 201 } else { 200 }, issue.clone())
    }
}

/// Points a template issue at `repo`'s issue `n`. The examples are pull-request shaped
/// (`pull_request` set) and name octocat's milestone; an issue lastmile opens has neither.
pub fn fill_issue(issue: &mut Value, repo: &Repo, n: i64) {
    set(issue, "id", json!(repo.id * 10_000 + n));
    set(issue, "number", json!(n));
    set(issue, "url", json!(repo.api_url(&format!("issues/{n}"))));
    set(
        issue,
        "repository_url",
        json!(format!("https://api.github.com/repos/{}", repo.full_name)),
    );
    set(
        issue,
        "comments_url",
        json!(repo.api_url(&format!("issues/{n}/comments"))),
    );
    set(
        issue,
        "labels_url",
        json!(repo.api_url(&format!("issues/{n}/labels{{/name}}"))),
    );
    set(
        issue,
        "events_url",
        json!(repo.api_url(&format!("issues/{n}/events"))),
    );
    set(
        issue,
        "html_url",
        json!(repo.html_url(&format!("issues/{n}"))),
    );
    set(issue, "milestone", Value::Null);
    if let Some(o) = issue.as_object_mut() {
        o.remove("pull_request");
        o.remove("repository");
    }
}

/// Label objects as GitHub lists them on an issue.
pub fn label_objects(repo: &Repo, names: &[String]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|name| {
                let encoded =
                    percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
                json!({
                    "name": name,
                    "url": format!("https://api.github.com/repos/{}/labels/{encoded}", repo.full_name),
                    "color": if name == "security" { "d73a4a" } else { "ededed" },
                    "default": false,
                    "description": null,
                })
            })
            .collect(),
    )
}

fn set_assignees(issue: &mut Value, logins: &[String]) {
    let users: Vec<Value> = logins.iter().map(|l| user(l)).collect();
    set(
        issue,
        "assignee",
        users.first().cloned().unwrap_or(Value::Null),
    );
    set(issue, "assignees", Value::Array(users));
}
