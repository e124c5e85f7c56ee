//! The sync engine: pull every endpoint of a tracker (each page stored with its watermark),
//! then drain the outbox in order. Pull comes first so that a change made on both sides is seen
//! as a conflict before lastmile's side is pushed over the tracker's.

use super::model::{Cursor, Endpoint, NewTicket, Operation, RemoteKind, Tracker, TrackerError};
use crate::clock::Clock;
use crate::store::outbox::{Intent, OutboxRow};
use crate::store::{Advance, PullCounts, PulledPage, Store, StoreError};
use crate::triage::policy::Policy;
use chrono::{DateTime, Duration, Utc};
use std::collections::{HashMap, HashSet};

/// What a sync does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub pull: bool,
    pub push: bool,
    /// Read from the tracker and report, write nothing anywhere.
    pub dry_run: bool,
}

/// What the engine needs besides the tracker and the store.
pub struct Context<'a> {
    /// Tracker repo (`owner/name`) -> the repo name findings carry locally.
    pub local_repos: HashMap<String, String>,
    /// lastmile handle -> tracker login, for assignments.
    pub logins: HashMap<String, String>,
    pub policy: &'a Policy,
    pub clock: &'a dyn Clock,
    /// Writes the ticket for an outbox row from its finding as it is now.
    pub ticket: &'a dyn Fn(&Store, &OutboxRow) -> Result<NewTicket, String>,
}

/// Progress, for a bar per endpoint on the CLI and the status bar in the console.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    Page {
        endpoint: String,
        page: u32,
        items: u64,
    },
    EndpointDone {
        endpoint: String,
        counts: PullCounts,
        not_modified: bool,
    },
    Pushed {
        row: i64,
        what: String,
        ok: bool,
    },
}

/// The end of a sync, per tracker.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Summary {
    pub tracker: String,
    #[serde(flatten)]
    pub pulled: PullCounts,
    pub pushed: u64,
    /// Rows that failed for good this run (they wait in `lastmile outbox --failed`).
    pub failed: u64,
    /// Rows still waiting (retry later, rate limited, or behind one of those).
    pub pending: u64,
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// Endpoints or rows that could not be done, one line each.
    pub errors: Vec<String>,
    /// Worth a look but nothing failed (a repository that was renamed).
    pub warnings: Vec<String>,
    /// A dry run: the outbox rows a real sync would send now, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_push: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a row that failed `attempts` times waits: 30 s doubling, at most 6 hours.
pub fn retry_delay(attempts: i64) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 10));
    Duration::seconds(secs.min(6 * 3600))
}

/// A ticket lost between its POST and our commit is looked for among issues updated since a
/// little before the row was written.
const TICKET_LOOKBACK: Duration = Duration::hours(1);

pub async fn sync<T: Tracker>(
    tracker: &T,
    store: &mut Store,
    ctx: &Context<'_>,
    plan: Plan,
    progress: &mut dyn FnMut(Progress),
) -> Result<Summary, SyncError> {
    let mut summary = Summary {
        tracker: tracker.name().to_string(),
        ..Summary::default()
    };
    if plan.pull {
        let mut repo_ids: HashMap<String, Option<i64>> = HashMap::new();
        for ep in tracker.endpoints() {
            if !repo_ids.contains_key(&ep.repo) {
                let id = match tracker.repository(&ep.repo).await {
                    Ok(Some((id, now))) => {
                        if !now.eq_ignore_ascii_case(&ep.repo) {
                            // Redirects keep working, but config should say the new name.
                            summary.warnings.push(format!(
                                "{} was renamed or moved to {now}: update `github` in config",
                                ep.repo
                            ));
                        }
                        Some(id)
                    }
                    Ok(None) => None,
                    Err(e) => {
                        note_limit(&mut summary, &e);
                        summary.errors.push(format!("{}: {e}", ep.repo));
                        None
                    }
                };
                repo_ids.insert(ep.repo.clone(), id);
            }
            let repo_id = repo_ids.get(&ep.repo).copied().flatten();
            if let Err(e) = pull_endpoint(
                tracker,
                store,
                ctx,
                &ep,
                repo_id,
                plan,
                progress,
                &mut summary,
            )
            .await
            {
                match e {
                    Stop::Store(e) => return Err(e.into()),
                    Stop::Tracker(e) => {
                        note_limit(&mut summary, &e);
                        summary.errors.push(format!("{}: {e}", ep.key));
                    }
                }
            }
        }
    }
    if plan.push {
        push(tracker, store, ctx, plan, progress, &mut summary).await?;
    }
    Ok(summary)
}

enum Stop {
    Store(StoreError),
    Tracker(TrackerError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

impl From<TrackerError> for Stop {
    fn from(e: TrackerError) -> Self {
        Stop::Tracker(e)
    }
}

fn note_limit(summary: &mut Summary, e: &TrackerError) {
    if let TrackerError::Transient(h) = e
        && let Some(until) = h.rate_limited_until()
    {
        summary.rate_limited_until =
            Some(summary.rate_limited_until.map_or(until, |u| u.max(until)));
    }
}

#[allow(clippy::too_many_arguments)]
async fn pull_endpoint<T: Tracker>(
    tracker: &T,
    store: &mut Store,
    ctx: &Context<'_>,
    ep: &Endpoint,
    repo_id: Option<i64>,
    plan: Plan,
    progress: &mut dyn FnMut(Progress),
    summary: &mut Summary,
) -> Result<(), Stop> {
    let Some(local) = ctx.local_repos.get(&ep.repo) else {
        return Ok(());
    };
    let mark = store.sync_mark(&ep.key)?;
    let mut cursor = Cursor {
        next: None,
        watermark: mark.watermark,
        etag: mark.etag.clone(),
    };
    // Alerts come newest first: their watermark may only move once the walk is complete.
    // Issues come oldest first: every page moves it.
    let ascending = ep.kind == RemoteKind::Issue;
    let mut newest = mark.watermark;
    let mut first_etag = None;
    let mut matcher = None;
    // A dry run leaves imported findings as they are, so it may count as new an alert that a
    // real sync would first merge into the finding a newer scan reports.
    if !plan.dry_run && ep.kind != RemoteKind::Issue {
        // A scan imported since may now report what an alert brought in on its own.
        let m = store.matcher(local, ep.kind)?;
        summary.pulled.linked += store.adopt_imported(ep, &m, ctx.clock)?;
        matcher = Some(m);
    }
    let mut counts = PullCounts::default();
    let mut page_no = 0u32;
    let mut not_modified = false;
    loop {
        let mut page = tracker.pull_page(ep, &cursor).await?;
        for item in &mut page.items {
            item.repo_id = item.repo_id.or(repo_id);
        }
        page_no += 1;
        if page.not_modified {
            not_modified = true;
            if !plan.dry_run {
                store.sync_unchanged(&ep.key, ctx.clock)?;
            }
            break;
        }
        if cursor.next.is_none() {
            first_etag = page.etag.clone();
        }
        for item in &page.items {
            newest = Some(newest.map_or(item.updated_at, |n| n.max(item.updated_at)));
        }
        let last = page.next.is_none();
        progress(Progress::Page {
            endpoint: ep.key.clone(),
            page: page_no,
            items: counts.pulled + page.items.len() as u64,
        });
        if matcher.is_none() {
            matcher = Some(store.matcher(local, ep.kind)?);
        }
        let pulled = PulledPage {
            endpoint: ep,
            local_repo: local,
            items: &page.items,
            matcher: matcher.as_ref().expect("built above"),
        };
        if plan.dry_run {
            let would = store.preview_pulled(&pulled, ctx.policy, ctx.clock)?;
            counts += would;
            summary.pulled += would;
        } else {
            let advance = if last {
                Some(Advance {
                    watermark: newest,
                    etag: first_etag.clone(),
                })
            } else if ascending {
                Some(Advance {
                    watermark: newest,
                    etag: None,
                })
            } else {
                None
            };
            let stored = store.apply_pulled(&pulled, advance.as_ref(), ctx.policy, ctx.clock)?;
            // Counted as stored, so a walk that fails later still reports what it kept.
            counts += stored;
            summary.pulled += stored;
        }
        match page.next {
            Some(next) => cursor.next = Some(next),
            None => break,
        }
    }
    progress(Progress::EndpointDone {
        endpoint: ep.key.clone(),
        counts,
        not_modified,
    });
    Ok(())
}

/// Assignee operations carry lastmile handles; the tracker wants its logins.
fn to_logins(op: &Operation, logins: &HashMap<String, String>) -> Result<Operation, String> {
    let map = |handles: &[String]| -> Result<Vec<String>, String> {
        handles
            .iter()
            .map(|h| {
                logins.get(h).cloned().ok_or_else(|| {
                    format!("{h} has no tracker login in config ([[people]] github = \"...\")")
                })
            })
            .collect()
    };
    Ok(match op {
        Operation::AddAssignees { logins: h } => Operation::AddAssignees { logins: map(h)? },
        Operation::RemoveAssignees { logins: h } => Operation::RemoveAssignees { logins: map(h)? },
        other => other.clone(),
    })
}

async fn push<T: Tracker>(
    tracker: &T,
    store: &mut Store,
    ctx: &Context<'_>,
    plan: Plan,
    progress: &mut dyn FnMut(Progress),
    summary: &mut Summary,
) -> Result<(), SyncError> {
    let rows = store.outbox_pending(tracker.name())?;
    let now = ctx.clock.now();
    // A row that must wait holds back the later rows of its finding: they are pushed in the
    // order they were made (a comment before the close it explains).
    let mut held: HashSet<Option<i64>> = HashSet::new();
    let mut limited = false;
    for row in rows {
        let due = row
            .next_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_none_or(|t| t <= now);
        if limited || !due || held.contains(&row.finding_id) || plan.dry_run {
            if plan.dry_run && !limited && due && !held.contains(&row.finding_id) {
                summary
                    .would_push
                    .push(format!("outbox {}: {}", row.id, row.describe()));
            }
            held.insert(row.finding_id);
            summary.pending += 1;
            continue;
        }
        let what = row.describe();
        let result = push_row(tracker, store, ctx, &row).await;
        match result {
            Ok(()) => {
                summary.pushed += 1;
                progress(Progress::Pushed {
                    row: row.id,
                    what,
                    ok: true,
                });
            }
            Err(Stop::Store(e)) => return Err(e.into()),
            Err(Stop::Tracker(e)) => {
                note_limit(summary, &e);
                let message = e.to_string();
                let retry_at = if let TrackerError::Transient(h) = &e
                    && let Some(until) = h.rate_limited_until()
                {
                    // The whole tracker is limited: stop here, every row waits.
                    limited = true;
                    Some(until)
                } else if e.is_permanent() {
                    None
                } else {
                    Some(now + retry_delay(row.attempts))
                };
                store.outbox_failed(row.id, &message, retry_at)?;
                if retry_at.is_some() {
                    summary.pending += 1;
                    held.insert(row.finding_id);
                } else {
                    summary.failed += 1;
                }
                summary
                    .errors
                    .push(format!("outbox {} ({what}): {message}", row.id));
                progress(Progress::Pushed {
                    row: row.id,
                    what,
                    ok: false,
                });
            }
        }
    }
    Ok(())
}

async fn push_row<T: Tracker>(
    tracker: &T,
    store: &mut Store,
    ctx: &Context<'_>,
    row: &OutboxRow,
) -> Result<(), Stop> {
    match &row.intent {
        Intent::Ticket { create_ticket } => {
            let since = DateTime::parse_from_rfc3339(&row.created_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| ctx.clock.now())
                - TICKET_LOOKBACK;
            if let Some(found) = tracker
                .find_ticket(&row.repo, &create_ticket.marker, since)
                .await?
            {
                store.ticket_linked(row, &found, true, ctx.clock)?;
                return Ok(());
            }
            let ticket = (ctx.ticket)(store, row).map_err(TrackerError::Invalid)?;
            let created = tracker.create_ticket(&ticket).await?;
            store.ticket_linked(row, &created, false, ctx.clock)?;
        }
        Intent::Operation(op) => {
            let target = row.target().ok_or_else(|| {
                TrackerError::Invalid(format!("outbox row {} names no remote object", row.id))
            })?;
            let op = to_logins(op, &ctx.logins).map_err(TrackerError::Invalid)?;
            let after = tracker.apply(&target, &op).await?;
            store.outbox_done(row, after.as_ref(), ctx.clock)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_cap() {
        assert_eq!(retry_delay(0), Duration::seconds(30));
        assert_eq!(retry_delay(1), Duration::seconds(60));
        assert_eq!(retry_delay(40), Duration::hours(6));
    }

    #[test]
    fn assignee_handles_become_logins_or_fail_for_good() {
        let logins = HashMap::from([("alice".to_string(), "alice-gh".to_string())]);
        let op = Operation::AddAssignees {
            logins: vec!["alice".into()],
        };
        assert_eq!(
            to_logins(&op, &logins).unwrap(),
            Operation::AddAssignees {
                logins: vec!["alice-gh".into()]
            }
        );
        let op = Operation::RemoveAssignees {
            logins: vec!["bob".into()],
        };
        assert!(
            to_logins(&op, &logins)
                .unwrap_err()
                .contains("bob has no tracker login")
        );
    }
}
