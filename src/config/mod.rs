//! Typed configuration (TOML) and where things live on disk.
//!
//! Every problem found by `load`/`check` names its line and key, and all of them are reported
//! at once, so a user fixes a file in one pass.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use toml::Spanned;

mod roster;
mod trackers;
mod triage;
pub use roster::{Person, Routing, Source, Team, Tickets};
pub use trackers::{Github, Trackers};
pub use triage::{Lane, RiskWeights, Sla, View};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The handle of the person using this copy of lastmile (recorded on every event).
    pub me: Option<String>,
    #[serde(default)]
    pub repos: Vec<Spanned<Repo>>,
    #[serde(default)]
    pub teams: Vec<Spanned<Team>>,
    #[serde(default)]
    pub people: Vec<Spanned<Person>>,
    /// Severity lanes in order; empty: the built-in lanes (see `triage::lanes`).
    #[serde(default)]
    pub lanes: Vec<Spanned<Lane>>,
    #[serde(default)]
    pub risk: RiskWeights,
    #[serde(default)]
    pub sla: Sla,
    #[serde(default)]
    pub views: Vec<Spanned<View>>,
    #[serde(default)]
    pub routing: Routing,
    /// Action name -> keys, replacing that action's default keys.
    #[serde(default)]
    pub keys: BTreeMap<String, Spanned<Vec<String>>>,
    #[serde(default)]
    pub ui: Ui,
    #[serde(default)]
    pub trackers: Trackers,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repo {
    pub name: String,
    /// A local clone, for blame and fix verification.
    pub path: Option<PathBuf>,
    pub url: Option<String>,
    /// The team that owns the repo when nothing finer says otherwise.
    pub team: Option<String>,
    /// Reachable from the internet: raises the risk of its findings.
    #[serde(default)]
    pub internet_facing: bool,
    /// Business criticality: 1 (crown jewels), 2, or 3 (least critical).
    pub tier: Option<i64>,
    /// The repository on GitHub, `owner/name`: its alerts and labelled issues are synced.
    pub github: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    /// "default" or "mono"; colour depth itself comes from the terminal.
    #[serde(default = "default_theme")]
    pub theme: String,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            theme: default_theme(),
        }
    }
}

fn default_theme() -> String {
    "default".into()
}

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The key path, e.g. `teams[1].champion`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}")?,
            (Some(l), None) => write!(f, "line {l}")?,
            _ => {}
        }
        if !self.key.is_empty() {
            if self.line.is_some() {
                f.write_str(": ")?;
            }
            write!(f, "{}", self.key)?;
        }
        if self.line.is_none() && self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, ": {}", self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {d}", self.file)?;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

impl Config {
    /// Parses and validates; every problem is reported, each with its line and key.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let (l, c) = line_col(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            ConfigError {
                file: file.to_string(),
                diagnostics: vec![Diagnostic {
                    line,
                    column,
                    key: String::new(),
                    message: e.message().trim().to_string(),
                }],
            }
        })?;
        let diagnostics = cfg.validate(text);
        if diagnostics.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigError {
                file: file.to_string(),
                diagnostics,
            })
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            diagnostics: vec![Diagnostic {
                line: None,
                column: None,
                key: String::new(),
                message: format!("cannot read: {e}"),
            }],
        })?;
        let mut config = Config::parse(&text, &file)?;
        config.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        Ok(config)
    }

    /// Makes repo clone paths usable from anywhere: `~/` is the home directory, and a relative
    /// path is relative to `base` (the config file's folder), not to wherever lastmile runs.
    pub fn resolve_paths(&mut self, base: &Path) {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        for r in &mut self.repos {
            let repo = r.get_mut();
            let Some(p) = &repo.path else { continue };
            let resolved = match (p.strip_prefix("~"), &home) {
                (Ok(rest), Some(home)) => home.join(rest),
                _ if p.is_relative() => base.join(p),
                _ => continue,
            };
            repo.path = Some(resolved);
        }
    }

    fn validate(&self, text: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut at = |span: std::ops::Range<usize>, key: String, message: String| {
            // An empty span at 0 is a top-level key with no table to point at.
            let line = (span != (0..0)).then(|| line_col(text, span.start).0);
            out.push(Diagnostic {
                line,
                column: None,
                key,
                message,
            });
        };
        let team_names: Vec<&str> = self
            .teams
            .iter()
            .map(|t| t.get_ref().name.as_str())
            .collect();
        let handles: Vec<&str> = self
            .people
            .iter()
            .map(|p| p.get_ref().handle.as_str())
            .collect();

        let mut seen = std::collections::HashSet::new();
        for (i, r) in self.repos.iter().enumerate() {
            let repo = r.get_ref();
            if repo.name.trim().is_empty() {
                at(
                    r.span(),
                    format!("repos[{i}].name"),
                    "must not be empty".into(),
                );
            } else if !seen.insert(repo.name.clone()) {
                at(
                    r.span(),
                    format!("repos[{i}].name"),
                    format!("repo '{}' is defined twice", repo.name),
                );
            }
            if let Some(t) = &repo.team
                && !team_names.contains(&t.as_str())
            {
                at(
                    r.span(),
                    format!("repos[{i}].team"),
                    format!("team '{t}' is not defined in [[teams]]"),
                );
            }
        }
        for (span, key, message) in roster::validate(self) {
            at(span, key, message);
        }
        for (i, r) in self.repos.iter().enumerate() {
            if let Some(g) = &r.get_ref().github
                && !is_owner_name(g)
            {
                at(
                    r.span(),
                    format!("repos[{i}].github"),
                    format!("'{g}' is not owner/name"),
                );
            }
        }
        if let Some(gh) = &self.trackers.github {
            let api = &gh.get_ref().api;
            // check_transport names the URL itself; a parse error does not.
            if let Err(e) = reqwest::Url::parse(api)
                .map_err(|e| format!("{api}: {e}"))
                .and_then(|u| crate::trackers::http::check_transport(&u))
            {
                at(gh.span(), "trackers.github.api".into(), e);
            }
        }
        for (i, r) in self.repos.iter().enumerate() {
            if let Some(t) = r.get_ref().tier
                && !(1..=3).contains(&t)
            {
                at(
                    r.span(),
                    format!("repos[{i}].tier"),
                    format!("{t} is not a tier (1, 2 or 3)"),
                );
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, l) in self.lanes.iter().enumerate() {
            let lane = l.get_ref();
            if !seen.insert(lane.name.clone()) {
                at(
                    l.span(),
                    format!("lanes[{i}].name"),
                    format!("lane '{}' is defined twice", lane.name),
                );
            }
            if lane.sla_days <= 0 {
                at(
                    l.span(),
                    format!("lanes[{i}].sla_days"),
                    "must be a positive number of days".into(),
                );
            }
            if let Err(e) = crate::query::parse(&lane.query) {
                at(l.span(), format!("lanes[{i}].query"), e.to_string());
            } else if let Err(e) = crate::triage::policy::lane_policy(lane) {
                let key = if e.contains("approval") || e.contains("decision") {
                    "approval"
                } else {
                    "query"
                };
                at(l.span(), format!("lanes[{i}].{key}"), e);
            }
            for who in &lane.accept_by {
                if !handles.contains(&who.as_str()) && !team_names.contains(&who.as_str()) {
                    at(
                        l.span(),
                        format!("lanes[{i}].accept_by"),
                        format!("'{who}' is neither in [[people]] nor in [[teams]]"),
                    );
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, v) in self.views.iter().enumerate() {
            let view = v.get_ref();
            if view.name.trim().is_empty() {
                at(
                    v.span(),
                    format!("views[{i}].name"),
                    "must not be empty".into(),
                );
            } else if !seen.insert(view.name.clone()) {
                at(
                    v.span(),
                    format!("views[{i}].name"),
                    format!("view '{}' is defined twice", view.name),
                );
            }
            if let Err(e) = crate::query::parse(&view.query) {
                at(v.span(), format!("views[{i}].query"), e.to_string());
            }
            if let Some(sort) = &view.sort
                && let Err(e) = sort.parse::<crate::store::SortKey>()
            {
                at(v.span(), format!("views[{i}].sort"), e);
            }
        }
        if let Err(errors) = crate::tui::keymap::Keymap::with_overrides(&self.keys_plain()) {
            for (action, message) in errors {
                let span = self.keys.get(&action).map(|s| s.span()).unwrap_or(0..0);
                at(span, format!("keys.{action}"), message);
            }
        }
        for (name, w) in self.risk.named() {
            if !(w.is_finite() && (0.0..=100.0).contains(&w)) {
                out.push(Diagnostic {
                    line: None,
                    column: None,
                    key: format!("risk.{name}"),
                    message: format!("{w} is not a weight between 0 and 100"),
                });
            }
        }
        if !["default", "mono"].contains(&self.ui.theme.as_str()) {
            out.push(Diagnostic {
                line: None,
                column: None,
                key: "ui.theme".into(),
                message: format!("unknown theme '{}' (default or mono)", self.ui.theme),
            });
        }
        out
    }

    /// The `[keys]` table without spans, as the keymap takes it.
    pub fn keys_plain(&self) -> BTreeMap<String, Vec<String>> {
        self.keys
            .iter()
            .map(|(k, v)| (k.clone(), v.get_ref().clone()))
            .collect()
    }
}

/// Where the database, config and logs live: XDG (via `directories`) unless overridden.
#[derive(Debug, Clone)]
pub struct Paths {
    pub db: PathBuf,
    pub config: PathBuf,
    /// Whether the config path was named explicitly (then it must exist).
    pub config_explicit: bool,
    pub cache: PathBuf,
}

impl Paths {
    pub fn resolve(db: Option<PathBuf>, config: Option<PathBuf>) -> Result<Paths, String> {
        let dirs = directories::ProjectDirs::from("dev", "lastmile", "lastmile");
        let need = || {
            dirs.clone().ok_or_else(|| {
                "cannot find a home directory for lastmile's files; pass --db and --config"
                    .to_string()
            })
        };
        let config_explicit = config.is_some();
        let db = match db {
            Some(p) => p,
            None => need()?.data_dir().join("lastmile.db"),
        };
        let config = match config {
            Some(p) => p,
            None => need()?.config_dir().join("config.toml"),
        };
        let cache = match &dirs {
            Some(d) => d.cache_dir().to_path_buf(),
            None => std::env::temp_dir().join("lastmile"),
        };
        Ok(Paths {
            db,
            config,
            config_explicit,
            cache,
        })
    }

    /// The config at `self.config`, or the defaults when none was written and none was named.
    pub fn load_config(&self) -> Result<Config, ConfigError> {
        if !self.config_explicit && !self.config.exists() {
            return Ok(Config::default());
        }
        Config::load(&self.config)
    }
}

/// `owner/name` as GitHub spells repositories: two non-empty parts of safe characters.
fn is_owner_name(s: &str) -> bool {
    let mut parts = s.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p != "."
                && p != ".."
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../../config.example.toml");
        Config::parse(text, "config.example.toml").unwrap();
    }

    #[test]
    fn clone_paths_resolve_against_the_config_file_and_home() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[[repos]]\nname = \"a\"\npath = \"clones/a\"\n[[repos]]\nname = \"b\"\npath = \"/abs/b\"\n\
             [[repos]]\nname = \"c\"\npath = \"~/src/c\"\n",
        )
        .unwrap();
        let c = Config::load(&file).unwrap();
        let paths: Vec<_> = c
            .repos
            .iter()
            .map(|r| r.get_ref().path.clone().unwrap())
            .collect();
        assert_eq!(paths[0], dir.path().join("clones/a"));
        assert_eq!(paths[1], PathBuf::from("/abs/b"));
        assert!(
            paths[2].ends_with("src/c") && paths[2].is_absolute(),
            "{paths:?}"
        );
    }

    #[test]
    fn roster_and_routing_problems_are_reported() {
        let text = r#"
[[teams]]
name = "a"
aliases = ["@acme/x"]
tickets = { tracker = "trello", project = "" }
[[teams]]
name = "b"
aliases = ["@ACME/X"]

[routing]
order = ["blame", "blame"]
catch_all = "nobody"
blame_max_age_days = 0
"#;
        let err = Config::parse(text, "c.toml").unwrap_err();
        let keys: Vec<_> = err.diagnostics.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "teams[0].tickets.tracker",
                "teams[0].tickets.project",
                "teams[1].aliases",
                "routing.catch_all",
                "routing.blame_max_age_days",
                "routing.order"
            ],
            "{err}"
        );
        assert_eq!(err.diagnostics[2].line, Some(6), "{err}");
        let bad = Config::parse("[routing]\norder = [\"git\"]\n", "c.toml").unwrap_err();
        assert!(bad.to_string().contains("line 2"), "{bad}");
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let err = Config::parse("me = \"a\"\n[[repos]]\nname = \n", "c.toml").unwrap_err();
        let d = &err.diagnostics[0];
        assert_eq!(d.line, Some(3), "{err}");
        assert!(err.to_string().starts_with("c.toml: line 3"), "{err}");
    }

    #[test]
    fn unknown_keys_are_errors_with_their_line() {
        let err = Config::parse(
            "me = \"a\"\n\n[[teams]]\nname = \"x\"\nchampoin = \"y\"\n",
            "c",
        )
        .unwrap_err();
        assert_eq!(err.diagnostics[0].line, Some(5), "{err}");
        assert!(err.to_string().contains("champoin"), "{err}");
    }

    #[test]
    fn every_semantic_problem_is_reported_with_line_and_key() {
        let text = r#"
[[teams]]
name = "payments"
champion = "ghost"

[[people]]
handle = "ann"
team = "nope"
left = "yesterday"

[[lanes]]
name = "bad"
query = "sev:urgent"
sla_days = 0
"#;
        let err = Config::parse(text, "c.toml").unwrap_err();
        let keys: Vec<_> = err.diagnostics.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "teams[0].champion",
                "people[0].team",
                "people[0].left",
                "lanes[0].sla_days",
                "lanes[0].query"
            ],
            "{err}"
        );
        assert_eq!(err.diagnostics[0].line, Some(2));
        assert_eq!(err.diagnostics[3].line, Some(11));
    }
}
