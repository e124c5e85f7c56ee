//! The roster (teams and people) and how findings are routed to them.

use serde::Deserialize;
use std::ops::Range;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
    pub champion: Option<String>,
    pub lead: Option<String>,
    /// Other names the team goes by in CODEOWNERS and catalogs (`@acme/payments`,
    /// `group:billing`), including the names of teams merged into it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where the team's tickets go.
    pub tickets: Option<Tickets>,
    /// The team's board (Jira board, GitHub project), for planning.
    pub board: Option<String>,
}

/// A ticket destination: a tracker and the project or repo in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tickets {
    /// `github`, `gitlab` or `jira`.
    pub tracker: String,
    /// `org/repo` (GitHub), `group/project` (GitLab), a project key (Jira).
    pub project: String,
}

impl std::fmt::Display for Tickets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.tracker, self.project)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub handle: String,
    pub name: Option<String>,
    #[serde(default)]
    pub emails: Vec<String>,
    /// Other names: tracker and forge logins, the name in old commits.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub team: Option<String>,
    /// The day they left (YYYY-MM-DD); absent while they are here.
    pub left: Option<String>,
    /// Free-form roles such as `champion`, `lead`, `security`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Their GitHub login: how an assignment reaches a GitHub issue.
    pub github: Option<String>,
}

/// A source of ownership, in the order `[routing].order` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// git blame of the finding's lines in the repo's local clone.
    Blame,
    /// A Backstage catalog-info.yaml in the clone.
    Catalog,
    /// The clone's CODEOWNERS file.
    Codeowners,
    /// The repo's `team` in this config.
    Repo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Blame => "blame",
            Source::Catalog => "catalog",
            Source::Codeowners => "codeowners",
            Source::Repo => "repo",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Sources asked in turn; the first that names an active person (or a team) decides.
    #[serde(default = "default_order")]
    pub order: Vec<Source>,
    /// A team name or person handle for findings nothing else claims.
    pub catch_all: Option<String>,
    /// Authors whose newest line in the finding is older than this are not taken as its
    /// owner: they have likely lost the context (their team still counts).
    #[serde(default = "default_blame_days")]
    pub blame_max_age_days: i64,
}

impl Default for Routing {
    fn default() -> Self {
        Routing {
            order: default_order(),
            catch_all: None,
            blame_max_age_days: default_blame_days(),
        }
    }
}

/// Blame first (who wrote the lines), then CODEOWNERS before catalogs: its folder rules are
/// finer than a service's, and a repository with a root catalog-info.yaml would otherwise never
/// reach them.
fn default_order() -> Vec<Source> {
    vec![
        Source::Blame,
        Source::Codeowners,
        Source::Catalog,
        Source::Repo,
    ]
}

fn default_blame_days() -> i64 {
    730
}

/// One problem: where (the span of the table it is in), the key, and what.
pub(super) type Problem = (Range<usize>, String, String);

pub(super) fn validate(config: &super::Config) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    let team_names: Vec<&str> = config
        .teams
        .iter()
        .map(|t| t.get_ref().name.as_str())
        .collect();
    let handles: Vec<&str> = config
        .people
        .iter()
        .map(|p| p.get_ref().handle.as_str())
        .collect();

    let mut seen = std::collections::HashSet::new();
    for (i, t) in config.teams.iter().enumerate() {
        let team = t.get_ref();
        if !seen.insert(team.name.clone()) {
            out.push((
                t.span(),
                format!("teams[{i}].name"),
                format!("team '{}' is defined twice", team.name),
            ));
        }
        for (field, who) in [("champion", &team.champion), ("lead", &team.lead)] {
            if let Some(h) = who
                && !handles.contains(&h.as_str())
            {
                out.push((
                    t.span(),
                    format!("teams[{i}].{field}"),
                    format!("'{h}' is not in [[people]]"),
                ));
            }
        }
        for m in &team.members {
            if !handles.contains(&m.as_str()) {
                out.push((
                    t.span(),
                    format!("teams[{i}].members"),
                    format!("'{m}' is not in [[people]]"),
                ));
            }
        }
        if let Some(dest) = &team.tickets {
            if !["github", "gitlab", "jira"].contains(&dest.tracker.as_str()) {
                out.push((
                    t.span(),
                    format!("teams[{i}].tickets.tracker"),
                    format!(
                        "unknown tracker '{}' (github, gitlab or jira)",
                        dest.tracker
                    ),
                ));
            }
            if dest.project.trim().is_empty() {
                out.push((
                    t.span(),
                    format!("teams[{i}].tickets.project"),
                    "must not be empty".into(),
                ));
            }
        }
    }
    // An alias that two teams claim would route by file order, silently.
    let mut alias_owner = std::collections::HashMap::new();
    for (i, t) in config.teams.iter().enumerate() {
        let team = t.get_ref();
        for a in &team.aliases {
            let key = a.to_lowercase();
            match alias_owner.get(&key) {
                Some(other) if other != &team.name => out.push((
                    t.span(),
                    format!("teams[{i}].aliases"),
                    format!("'{a}' is also an alias of team '{other}'"),
                )),
                _ => {
                    alias_owner.insert(key, team.name.clone());
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in config.people.iter().enumerate() {
        let person = p.get_ref();
        if !seen.insert(person.handle.clone()) {
            out.push((
                p.span(),
                format!("people[{i}].handle"),
                format!("'{}' is defined twice", person.handle),
            ));
        }
        if let Some(t) = &person.team
            && !team_names.contains(&t.as_str())
        {
            out.push((
                p.span(),
                format!("people[{i}].team"),
                format!("team '{t}' is not defined in [[teams]]"),
            ));
        }
        if let Some(d) = &person.left
            && crate::clock::parse_day(d).is_none()
        {
            out.push((
                p.span(),
                format!("people[{i}].left"),
                format!("'{d}' is not a date (YYYY-MM-DD)"),
            ));
        }
    }
    if let Some(c) = &config.routing.catch_all
        && !handles.contains(&c.as_str())
        && !team_names.contains(&c.as_str())
    {
        out.push((
            0..0,
            "routing.catch_all".into(),
            format!("'{c}' is neither in [[people]] nor in [[teams]]"),
        ));
    }
    if config.routing.blame_max_age_days <= 0 {
        out.push((
            0..0,
            "routing.blame_max_age_days".into(),
            "must be a positive number of days".into(),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for s in &config.routing.order {
        if !seen.insert(*s) {
            out.push((
                0..0,
                "routing.order".into(),
                format!("'{}' is listed twice", s.as_str()),
            ));
        }
    }
    out
}
