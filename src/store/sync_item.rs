//! How one pulled remote object changes the store: a new finding or a linked one, the
//! tracker's state applied with who and why, conflicts recorded, pending pushes superseded
//! where the tracker wins. `sync.rs` runs a page of these in one transaction.

use super::StoreError;
use super::counters::CounterDeltas;
use super::events::{EventWriter, NewEvent};
use super::import::fp_key;
use super::links::{Link, dismissed_reason};
use super::matching::remote_tool;
use super::sync::PullCounts;
use crate::clock::stamp;
use crate::model::{Severity, Status};
use crate::trackers::{Endpoint, Operation, RemoteItem, RemoteKind, RemoteState};
use rusqlite::{Connection, Transaction, params};

/// Pending pushes to the item's remote object that touch its state, or its assignees.
pub(super) fn pending_for(
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
pub(super) fn status_from_remote(state: &RemoteState, now: Status) -> Option<Status> {
    let to = match state {
        RemoteState::Open if !now.is_active() => Status::Open,
        RemoteState::Fixed if now.is_active() => Status::Fixed,
        RemoteState::Dismissed { status, .. } if *status != now => *status,
        _ => return None,
    };
    Some(to)
}

/// Writes a page: every remote object, and the endpoint's new mark.
pub(super) struct PageWriter<'t> {
    pub(super) txn: &'t Transaction<'t>,
    pub(super) at: String,
    pub(super) events: EventWriter,
    pub(super) counters: CounterDeltas,
    pub(super) touched: Vec<i64>,
    pub(super) counts: PullCounts,
    pub(super) scan_id: Option<i64>,
    pub(super) created: Vec<i64>,
}

impl<'t> PageWriter<'t> {
    pub(super) fn event(
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

    pub(super) fn set_status(
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

    pub(super) fn scan_id(
        &mut self,
        scope_id: i64,
        endpoint: &Endpoint,
    ) -> Result<i64, StoreError> {
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

    pub(super) fn create(
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

    pub(super) fn conflict(
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
    pub(super) fn update(&mut self, link: &Link, item: &RemoteItem) -> Result<(), StoreError> {
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
