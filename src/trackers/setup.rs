//! From config to a running sync: which trackers are configured, their tokens, the repo and
//! login maps, and one blocking entry point the CLI and the console's sync thread share.

use super::engine::{self, Context, Plan, Progress, Summary};
use super::github::{GitHub, GithubSettings};
use super::packet::{self, PacketInput};
use super::{NewTicket, RemoteKind, token};
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::store::outbox::Intent;
use crate::store::outbox::OutboxRow;
use crate::triage::policy::Policy;
use std::collections::HashMap;
use std::path::Path;

/// Why a sync could not run at all (a tracker that fails part-way reports in its `Summary`).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "no tracker is configured: add [trackers.github] and `github = \"owner/name\"` to repos in {0}"
    )]
    NothingConfigured(String),
    #[error("unknown tracker '{0}': lastmile syncs with github")]
    UnknownTracker(String),
    #[error("{0}")]
    Tracker(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Sync(#[from] engine::SyncError),
}

/// GitHub repo (`owner/name`) -> the local repo name, from `[[repos]] github`.
pub fn github_repos(config: &Config) -> HashMap<String, String> {
    config
        .repos
        .iter()
        .map(|r| r.get_ref())
        .filter_map(|r| r.github.clone().map(|g| (g, r.name.clone())))
        .collect()
}

/// lastmile handle -> GitHub login, from `[[people]] github`.
pub fn github_logins(config: &Config) -> HashMap<String, String> {
    config
        .people
        .iter()
        .map(|p| p.get_ref())
        .filter_map(|p| p.github.clone().map(|g| (p.handle.clone(), g)))
        .collect()
}

/// Runs one sync of every configured tracker (or `only`) against the database at `db`, on a
/// runtime of its own: the CLI calls it from `main`, the console from its sync thread.
pub fn run_blocking(
    db: &Path,
    config: &Config,
    config_path: &Path,
    only: Option<&str>,
    plan: Plan,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<Summary>, SetupError> {
    if let Some(t) = only.filter(|t| *t != "github") {
        return Err(SetupError::UnknownTracker(t.to_string()));
    }
    let Some(tracker) = github(config).map_err(SetupError::Tracker)? else {
        return Err(SetupError::NothingConfigured(
            config_path.display().to_string(),
        ));
    };
    let policy = Policy::from_config(config).map_err(SetupError::Tracker)?;
    let mut store = Store::open(db)?;
    let ctx = Context {
        local_repos: github_repos(config),
        logins: github_logins(config),
        policy: &policy,
        clock,
        ticket: &ticket_for,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SetupError::Tracker(format!("cannot start the sync runtime: {e}")))?;
    let summary = rt.block_on(engine::sync(&tracker, &mut store, &ctx, plan, progress))?;
    Ok(vec![summary])
}

/// The ticket for an outbox row: the finding as it is now, as a defect packet.
pub(crate) fn ticket_for(store: &Store, row: &OutboxRow) -> Result<NewTicket, String> {
    let Intent::Ticket { create_ticket } = &row.intent else {
        return Err(format!("outbox row {} is not a ticket", row.id));
    };
    let id = row
        .finding_id
        .ok_or_else(|| format!("outbox row {} names no finding", row.id))?;
    let f = store
        .finding(id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("finding {id} is gone"))?;
    let fix = f.fixes.as_ref().and_then(fix_text);
    let input = PacketInput {
        finding_id: id,
        repo: f.row.repo.clone(),
        tool: Some(f.row.tool.clone()),
        rule: Some(f.row.rule.clone()),
        title: f.row.title.clone(),
        message: f.message.clone(),
        severity: f.row.severity,
        lane: f.row.lane.clone(),
        risk: f.row.risk,
        due: f.row.due.clone(),
        path: f.row.path.clone(),
        start_line: f.row.line,
        end_line: f.end_line,
        snippet: f.snippet.clone(),
        cwe: f.cwe.clone(),
        cve: f.cve.clone(),
        help_uri: f.help_uri.clone(),
        fix,
        owner: f.row.owner.clone(),
        team: f.row.team.clone(),
        marker: create_ticket.marker.clone(),
        link: None,
    };
    let packet = packet::build(&input).map_err(|e| e.to_string())?;
    Ok(NewTicket {
        repo: row.repo.clone(),
        title: packet.title,
        body: packet.body,
        labels: create_ticket.labels.clone(),
        assignees: Vec::new(),
        marker: create_ticket.marker.clone(),
    })
}

/// The first SARIF fix as text a reviewer can apply: each replaced region with its new text.
fn fix_text(fixes: &serde_json::Value) -> Option<String> {
    let fix = fixes.as_array()?.first()?;
    let mut out = String::new();
    if let Some(d) = fix.pointer("/description/text").and_then(|v| v.as_str()) {
        out.push_str(&format!("# {d}\n"));
    }
    for change in fix.get("artifactChanges")?.as_array()? {
        let uri = change
            .pointer("/artifactLocation/uri")
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        for r in change.get("replacements")?.as_array()? {
            let line = r
                .pointer("/deletedRegion/startLine")
                .and_then(|v| v.as_i64());
            let text = r
                .pointer("/insertedContent/text")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            out.push_str(&format!(
                "@@ {uri}{} @@\n",
                line.map(|l| format!(":{l}")).unwrap_or_default()
            ));
            for l in text.lines() {
                out.push_str(&format!("+{l}\n"));
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether any tracker is configured: `[trackers.github]` and a repo naming its GitHub repo.
pub fn configured(config: &Config) -> bool {
    config.trackers.github.is_some() && !github_repos(config).is_empty()
}

/// What `[trackers.github]` and the repos that name a GitHub repo configure, token included
/// (unless `anonymous`); `None` when GitHub is not configured.
pub fn github_settings(config: &Config) -> Result<Option<GithubSettings>, String> {
    let Some(conf) = config.trackers.github.as_ref().map(|g| g.get_ref()) else {
        return Ok(None);
    };
    if !configured(config) {
        return Ok(None);
    }
    let mut repos: Vec<String> = github_repos(config).into_keys().collect();
    repos.sort();
    let token = if conf.anonymous {
        None
    } else {
        token::resolve(
            "github",
            &conf.api,
            &["GITHUB_TOKEN", "GH_TOKEN"],
            conf.token_command.as_deref(),
        )?
    };
    if let Some((_, source)) = &token {
        tracing::info!(%source, "GitHub token");
    }
    let mut kinds = vec![RemoteKind::Issue];
    if conf.alerts {
        kinds.splice(0..0, [RemoteKind::CodeScanning, RemoteKind::Dependabot]);
    }
    Ok(Some(GithubSettings {
        api: conf.api.clone(),
        repos,
        issue_labels: conf.issue_labels.clone(),
        token: token.map(|(t, _)| t),
        kinds,
        ..GithubSettings::default()
    }))
}

/// The GitHub connector `github_settings` describes.
pub fn github(config: &Config) -> Result<Option<GitHub>, String> {
    match github_settings(config)? {
        Some(settings) => GitHub::new(settings).map(Some).map_err(|e| e.to_string()),
        None => Ok(None),
    }
}
