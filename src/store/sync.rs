//! What a pull stores: remote objects linked to findings (matched to imported findings where
//! they are the same problem, created where they are new), the tracker's changes applied, and
//! conflicts recorded. One page is one transaction, together with the endpoint's watermark.
//!
//! Conflict rule (README, "Sync"): a field changed on both sides since the last sync is a
//! `conflict` event. The tracker wins for what it owns: an alert the tracker's analysis found
//! fixed, and a ticket's state and assignees (the pending pushes are superseded). lastmile wins
//! for triage: a person's decision to dismiss or reopen an alert stands, and is pushed.

use super::counters::CounterDeltas;
use super::events::{EventWriter, NewEvent};
use super::import::fp_key;
use super::links::{Link, dismissed_reason, find_link, upsert_link};
use super::matching::{Matcher, remote_tool};
use super::triage::{Scope, reassess};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::{Severity, Status};
use crate::trackers::{Endpoint, Operation, RemoteItem, RemoteKind, RemoteState};
use crate::triage::assess::Assessor;
use crate::triage::policy::Policy;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// Where an endpoint's last complete pull left off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncMark {
    pub watermark: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub synced_at: Option<String>,
    pub pulled: i64,
}

/// What to store with a page: the new watermark and ETag, when the pull got that far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advance {
    pub watermark: Option<DateTime<Utc>>,
    pub etag: Option<String>,
}

/// What one page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullCounts {
    pub pulled: u64,
    /// New findings, for remote objects no imported finding matched.
    pub created: u64,
    /// Remote objects linked to a finding that was already here (imported, or by marker).
    pub linked: u64,
    /// Linked findings whose remote object changed.
    pub updated: u64,
    pub conflicts: u64,
}

/// One page of pulled items and where they go: the endpoint, the local repo its alerts and
/// issues belong to, and the matcher that links them to imported findings.
#[derive(Clone, Copy)]
pub struct PulledPage<'a> {
    pub endpoint: &'a Endpoint,
    pub local_repo: &'a str,
    pub items: &'a [RemoteItem],
    pub matcher: &'a Matcher,
}

impl std::ops::AddAssign for PullCounts {
    fn add_assign(&mut self, o: Self) {
        self.pulled += o.pulled;
        self.created += o.created;
        self.linked += o.linked;
        self.updated += o.updated;
        self.conflicts += o.conflicts;
    }
}

/// The finding an issue's marker names, in any scope.
fn by_marker(conn: &Connection, marker: &str) -> Result<Option<i64>, StoreError> {
    let Some(key) = marker
        .strip_prefix("lastmile:")
        .and_then(|h| u64::from_str_radix(h, 16).ok())
    else {
        return Ok(None);
    };
    // One index range per scope (findings_identity is (scope_id, fp_key)).
    Ok(conn
        .query_row(
            "SELECT f.id FROM scopes s JOIN findings f ON f.scope_id = s.id AND f.fp_key = ?1
             ORDER BY f.id LIMIT 1",
            [key as i64],
            |r| r.get(0),
        )
        .optional()?)
}

/// Pending pushes to the item's remote object that touch its state, or its assignees.
fn pending_for(
    conn: &Connection,
    item: &RemoteItem,
    assignees: bool,
) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, op FROM outbox WHERE state = 'pending' AND tracker = ?1 AND kind = ?2
            AND repo = ?3 AND number = ?4 ORDER BY id",
    )?;
    let rows = stmt.query_map(
        params![
            item.at.tracker,
            item.at.kind.as_str(),
            item.at.repo,
            item.at.number
        ],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, op) = row?;
        let Ok(op) = serde_json::from_str::<Operation>(&op) else {
            continue;
        };
        let touches = match op {
            Operation::AddAssignees { .. } | Operation::RemoveAssignees { .. } => assignees,
            Operation::Dismiss { .. } | Operation::Reopen | Operation::Close { .. } => !assignees,
            _ => false,
        };
        if touches {
            out.push(id);
        }
    }
    Ok(out)
}

pub(crate) struct FindingNow {
    pub status: Status,
    pub severity: Severity,
}

pub(crate) fn finding_now(conn: &Connection, id: i64) -> Result<FindingNow, StoreError> {
    let (status, severity): (String, i64) = conn.query_row(
        "SELECT status, severity FROM findings WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(FindingNow {
        status: status.parse().map_err(StoreError::Invalid)?,
        severity: Severity::from_rank(severity).unwrap_or_default(),
    })
}

/// What the remote state means for the finding's status, if it should change.
fn status_from_remote(state: &RemoteState, now: Status) -> Option<Status> {
    let to = match state {
        RemoteState::Open if !now.is_active() => Status::Open,
        RemoteState::Fixed if now.is_active() => Status::Fixed,
        RemoteState::Dismissed { status, .. } if *status != now => *status,
        _ => return None,
    };
    Some(to)
}

/// Writes a page: every remote object, and the endpoint's new mark.
struct PageWriter<'t> {
    txn: &'t Transaction<'t>,
    at: String,
    events: EventWriter,
    counters: CounterDeltas,
    touched: Vec<i64>,
    counts: PullCounts,
    scan_id: Option<i64>,
    created: Vec<i64>,
}

impl<'t> PageWriter<'t> {
    fn event(
        &mut self,
        finding_id: Option<i64>,
        kind: &str,
        reason: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.events.append(
            self.txn,
            &NewEvent {
                finding_id,
                at: &self.at,
                actor: "sync",
                kind,
                reason,
                payload: &payload.to_string(),
            },
        )?;
        Ok(())
    }

    fn set_status(
        &mut self,
        id: i64,
        now: &FindingNow,
        to: Status,
        item: &RemoteItem,
    ) -> Result<(), StoreError> {
        let by = match &item.state {
            RemoteState::Dismissed { by, .. } => by.as_deref(),
            _ => None,
        };
        let decided_by = by.map(|b| format!("{}:{b}", item.at.tracker));
        if to.is_active() {
            self.txn.execute(
                "UPDATE findings SET status = ?2, reopened_at = ?3, until = NULL WHERE id = ?1",
                params![id, to.as_str(), self.at],
            )?;
        } else if to.is_resolved_by_code() {
            self.txn.execute(
                "UPDATE findings SET status = ?2, due = NULL WHERE id = ?1",
                params![id, to.as_str()],
            )?;
        } else {
            self.txn.execute(
                "UPDATE findings SET status = ?2, decided_by = COALESCE(?3, decided_by),
                    decided_at = ?4 WHERE id = ?1",
                params![id, to.as_str(), decided_by, self.at],
            )?;
        }
        self.counters
            .moved((now.status, now.severity), (to, now.severity));
        self.touched.push(id);
        let (reason, comment) = match &item.state {
            RemoteState::Dismissed {
                reason, comment, ..
            } => (reason.clone(), comment.clone()),
            _ => (None, None),
        };
        self.event(
            Some(id),
            "remote_change",
            comment.as_deref(),
            serde_json::json!({
                "ref": item.at.to_string(),
                "from": now.status,
                "to": to,
                "remote_state": item.state.label(),
                "remote_reason": reason,
                "by": decided_by,
                "updated_at": stamp(item.updated_at),
            }),
        )
    }

    fn scan_id(&mut self, scope_id: i64, endpoint: &Endpoint) -> Result<i64, StoreError> {
        if let Some(id) = self.scan_id {
            return Ok(id);
        }
        self.txn.execute(
            "INSERT INTO scans(scope_id, source, imported_at, actor, digest, complete)
             VALUES (?1, ?2, ?3, 'sync', '', 0)",
            params![scope_id, format!("sync {}", endpoint.key), self.at],
        )?;
        let id = self.txn.last_insert_rowid();
        self.scan_id = Some(id);
        Ok(id)
    }

    fn create(
        &mut self,
        endpoint: &Endpoint,
        local_repo: &str,
        item: &RemoteItem,
    ) -> Result<i64, StoreError> {
        let tool = remote_tool(item.at.kind);
        self.txn.execute(
            "INSERT INTO scopes(repo, tool) VALUES (?1, ?2) ON CONFLICT(repo, tool) DO NOTHING",
            params![local_repo, tool],
        )?;
        let scope_id: i64 = self.txn.query_row(
            "SELECT id FROM scopes WHERE repo = ?1 AND tool = ?2",
            params![local_repo, tool],
            |r| r.get(0),
        )?;
        let scan_id = self.scan_id(scope_id, endpoint)?;
        let fingerprint = format!("{}:{}", item.at.tracker, item.at);
        let status = match &item.state {
            RemoteState::Open => Status::Open,
            RemoteState::Fixed => Status::Fixed,
            RemoteState::Dismissed { status, .. } => *status,
        };
        let first_seen = stamp(item.created_at.unwrap_or(item.updated_at));
        let rule = item
            .rule
            .clone()
            .or_else(|| item.ghsa.clone())
            .unwrap_or_else(|| item.at.kind.as_str().to_string());
        let decided_by = match &item.state {
            RemoteState::Dismissed { by, .. } => Some(format!(
                "{}:{}",
                item.at.tracker,
                by.as_deref().unwrap_or("?")
            )),
            _ => None,
        };
        self.txn
            .prepare_cached(
                "INSERT INTO findings(scope_id, repo, tool, fingerprint, fp_key, rule, title,
                    message, severity, cwe, cve, path, start_line, end_line, help_uri,
                    content_hash, first_seen, last_seen, last_scan_id, status, score, tracker_ref,
                    decided_by, decided_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, X'', ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?
            .execute(params![
                scope_id,
                local_repo,
                tool,
                fingerprint,
                fp_key(&fingerprint),
                rule,
                item.title,
                item.message,
                item.severity.rank(),
                item.cwe,
                item.cve,
                item.path,
                item.start_line,
                item.end_line,
                item.help_uri,
                first_seen,
                self.at,
                scan_id,
                status.as_str(),
                item.score,
                item.at.to_string(),
                decided_by,
                decided_by.as_ref().map(|_| self.at.clone()),
            ])?;
        let id = self.txn.last_insert_rowid();
        self.counters.add(status, item.severity);
        self.touched.push(id);
        self.created.push(id);
        self.counts.created += 1;
        Ok(id)
    }

    fn conflict(
        &mut self,
        id: i64,
        item: &RemoteItem,
        field: &str,
        local: serde_json::Value,
        winner: &str,
        superseded: &[i64],
    ) -> Result<(), StoreError> {
        for row in superseded {
            self.txn.execute(
                "UPDATE outbox SET state = 'superseded', last_error = 'the tracker changed it too; its change won'
                 WHERE id = ?1",
                [row],
            )?;
        }
        self.counts.conflicts += 1;
        self.event(
            Some(id),
            "conflict",
            Some(match winner {
                "tracker" => "changed on both sides; the tracker owns this field",
                _ => "changed on both sides; lastmile's decision stands and is pushed",
            }),
            serde_json::json!({
                "ref": item.at.to_string(),
                "field": field,
                "local": local,
                "remote": match field {
                    "assignees" => serde_json::json!(item.assignees),
                    _ => serde_json::json!(item.state.label()),
                },
                "winner": winner,
                "superseded": superseded,
            }),
        )
    }

    /// A remote object already linked to a finding changed (or was pulled again in the
    /// overlap window: then nothing happens).
    fn update(&mut self, link: &Link, item: &RemoteItem) -> Result<(), StoreError> {
        let id = link.finding_id;
        let state_changed = link.state != item.state.label()
            || link.reason.as_deref() != dismissed_reason(&item.state);
        let assignees_changed = link.assignees != item.assignees;
        if !state_changed && !assignees_changed && link.labels == item.labels {
            return Ok(());
        }
        self.counts.updated += 1;
        if state_changed {
            let pending = pending_for(self.txn, item, false)?;
            let now = finding_now(self.txn, id)?;
            if item.at.kind == RemoteKind::Issue {
                // The ticket's state is the tracker's.
                if !pending.is_empty() {
                    self.conflict(
                        id,
                        item,
                        "state",
                        serde_json::json!(link.state),
                        "tracker",
                        &pending,
                    )?;
                }
            } else if !pending.is_empty() {
                if item.state == RemoteState::Fixed {
                    // The analysis saw the fix: no dismissal can apply to a fixed alert.
                    self.conflict(
                        id,
                        item,
                        "state",
                        serde_json::json!(now.status),
                        "tracker",
                        &pending,
                    )?;
                    if now.status.is_active() {
                        self.set_status(id, &now, Status::Fixed, item)?;
                    }
                } else {
                    self.conflict(
                        id,
                        item,
                        "state",
                        serde_json::json!(now.status),
                        "lastmile",
                        &[],
                    )?;
                }
            } else if let Some(to) = status_from_remote(&item.state, now.status) {
                self.set_status(id, &now, to, item)?;
            }
        }
        if assignees_changed && item.at.kind == RemoteKind::Issue {
            let pending = pending_for(self.txn, item, true)?;
            if !pending.is_empty() {
                self.conflict(
                    id,
                    item,
                    "assignees",
                    serde_json::json!(link.assignees),
                    "tracker",
                    &pending,
                )?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Where `endpoint` left off.
    pub fn sync_mark(&self, endpoint: &str) -> Result<SyncMark, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT watermark, etag, synced_at, pulled FROM sync_state WHERE endpoint = ?1",
                [endpoint],
                |r| {
                    let wm: Option<String> = r.get(0)?;
                    Ok(SyncMark {
                        watermark: wm
                            .as_deref()
                            .and_then(|w| DateTime::parse_from_rfc3339(w).ok())
                            .map(|t| t.with_timezone(&Utc)),
                        etag: r.get(1)?,
                        synced_at: r.get(2)?,
                        pulled: r.get(3)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// The tracker said nothing changed (304): the endpoint was synced now all the same.
    pub fn sync_unchanged(&mut self, endpoint: &str, clock: &dyn Clock) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state(endpoint, synced_at) VALUES (?1, ?2)
             ON CONFLICT (endpoint) DO UPDATE SET synced_at = excluded.synced_at",
            params![endpoint, stamp(clock.now())],
        )?;
        Ok(())
    }

    /// Every endpoint's mark, for the sync view.
    pub fn sync_marks(&self) -> Result<Vec<(String, SyncMark)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT endpoint, watermark, etag, synced_at, pulled FROM sync_state ORDER BY endpoint",
        )?;
        let rows = stmt.query_map([], |r| {
            let wm: Option<String> = r.get(1)?;
            Ok((
                r.get::<_, String>(0)?,
                SyncMark {
                    watermark: wm
                        .as_deref()
                        .and_then(|w| DateTime::parse_from_rfc3339(w).ok())
                        .map(|t| t.with_timezone(&Utc)),
                    etag: r.get(2)?,
                    synced_at: r.get(3)?,
                    pulled: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores one pulled page and, when given, the endpoint's new mark, in one transaction:
    /// a watermark never gets ahead of what is stored.
    pub fn apply_pulled(
        &mut self,
        page: &PulledPage<'_>,
        advance: Option<&Advance>,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<PullCounts, StoreError> {
        self.apply_page(page, Some(advance), policy, clock)
    }

    /// What `apply_pulled` would do with a page, counted by doing it in a transaction that is
    /// then rolled back: a dry run's figures come from the same code as a real sync's.
    pub fn preview_pulled(
        &mut self,
        page: &PulledPage<'_>,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<PullCounts, StoreError> {
        self.apply_page(page, None, policy, clock)
    }

    /// `keep`: `Some(advance)` commits (moving the mark when given), `None` rolls back.
    fn apply_page(
        &mut self,
        page: &PulledPage<'_>,
        keep: Option<Option<&Advance>>,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<PullCounts, StoreError> {
        let PulledPage {
            endpoint,
            local_repo,
            items,
            matcher,
        } = *page;
        let now = clock.now();
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let mut w = PageWriter {
            events: EventWriter::new(&txn)?,
            txn: &txn,
            at: stamp(now),
            counters: CounterDeltas::default(),
            touched: Vec::new(),
            counts: PullCounts::default(),
            scan_id: None,
            created: Vec::new(),
        };
        for item in items {
            w.counts.pulled += 1;
            if let Some(link) = find_link(w.txn, item)? {
                w.update(&link, item)?;
                upsert_link(w.txn, link.finding_id, item, &w.at)?;
                continue;
            }
            let known = match item.at.kind {
                RemoteKind::Issue => match item.marker.as_deref() {
                    Some(m) => by_marker(w.txn, m)?,
                    None => None,
                },
                _ => matcher.find(item),
            };
            let id = match known {
                Some(id) => {
                    w.counts.linked += 1;
                    w.event(
                        Some(id),
                        "linked",
                        None,
                        serde_json::json!({ "ref": item.at.to_string(), "url": item.url }),
                    )?;
                    if item.at.kind.is_alert() {
                        let now = finding_now(w.txn, id)?;
                        if let Some(to) = status_from_remote(&item.state, now.status) {
                            w.set_status(id, &now, to, item)?;
                        }
                    }
                    id
                }
                None => w.create(endpoint, local_repo, item)?,
            };
            let has_ref: bool = w.txn.query_row(
                "SELECT tracker_ref IS NOT NULL FROM findings WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            if !has_ref {
                w.txn.execute(
                    "UPDATE findings SET tracker_ref = ?2 WHERE id = ?1",
                    params![id, item.at.to_string()],
                )?;
            }
            upsert_link(w.txn, id, item, &w.at)?;
        }
        if let Some(scan_id) = w.scan_id {
            w.txn.execute(
                "UPDATE scans SET result_count = ?2, new_count = ?3 WHERE id = ?1",
                params![scan_id, w.counts.pulled as i64, w.counts.created as i64],
            )?;
            // Ranges of ids, as imports write them (`history` reads them back per finding).
            let mut created: Vec<(i64, i64)> = Vec::new();
            for id in std::mem::take(&mut w.created) {
                match created.last_mut() {
                    Some((_, last)) if *last + 1 == id => *last = id,
                    _ => created.push((id, id)),
                }
            }
            w.event(
                None,
                "created",
                Some("first seen on the tracker"),
                serde_json::json!({ "scan": scan_id, "endpoint": endpoint.key, "findings": created }),
            )?;
        }
        let pulled = w.counts.pulled as i64;
        let counts = w.counts;
        std::mem::take(&mut w.counters).apply(&txn)?;
        reassess(&txn, &assessor, Scope::Ids(&w.touched))?;
        drop(w);
        let Some(advance) = keep else {
            txn.rollback()?;
            return Ok(counts);
        };
        let at = stamp(now);
        match advance {
            Some(a) => txn.execute(
                "INSERT INTO sync_state(endpoint, watermark, etag, synced_at, pulled)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (endpoint) DO UPDATE SET
                    watermark = COALESCE(excluded.watermark, watermark),
                    etag = COALESCE(excluded.etag, etag), synced_at = excluded.synced_at,
                    pulled = pulled + excluded.pulled",
                params![endpoint.key, a.watermark.map(stamp), a.etag, at, pulled],
            )?,
            None => txn.execute(
                "INSERT INTO sync_state(endpoint, synced_at, pulled) VALUES (?1, ?2, ?3)
                 ON CONFLICT (endpoint) DO UPDATE SET pulled = pulled + excluded.pulled",
                params![endpoint.key, at, pulled],
            )?,
        };
        txn.commit()?;
        Ok(counts)
    }
}
