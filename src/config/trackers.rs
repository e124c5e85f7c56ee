//! `[trackers.*]`: how lastmile reaches each tracker. Tokens are never in this file: they come
//! from the environment, or from `token_command` (for example `gh auth token`).

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trackers {
    pub github: Option<toml::Spanned<Github>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Github {
    /// The REST base: `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise
    /// Server. Plain http is refused except on loopback (test servers).
    #[serde(default = "default_api")]
    pub api: String,
    /// Issues carrying any of these labels are pulled as findings (besides lastmile's own
    /// tickets, found by their marker).
    #[serde(default = "default_issue_labels")]
    pub issue_labels: Vec<String>,
    /// Labels on the tickets lastmile opens, besides `issue_labels` (which every ticket gets,
    /// so the next pull finds it).
    #[serde(default = "default_ticket_labels")]
    pub ticket_labels: Vec<String>,
    /// Run to print a token when GITHUB_TOKEN / GH_TOKEN are not set: `gh auth token`.
    pub token_command: Option<String>,
    /// Never read or send a token (public repositories, or a local stand-in such as the
    /// demo's).
    #[serde(default)]
    pub anonymous: bool,
    /// Pull code scanning and Dependabot alerts (needs the security_events scope).
    #[serde(default = "yes")]
    pub alerts: bool,
}

fn default_api() -> String {
    "https://api.github.com".into()
}

fn default_issue_labels() -> Vec<String> {
    vec!["security".into()]
}

fn default_ticket_labels() -> Vec<String> {
    vec!["lastmile".into()]
}

fn yes() -> bool {
    true
}
