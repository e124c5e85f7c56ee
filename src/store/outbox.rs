//! The outbox: every change a tracker must hear of is a row here, written in the transaction
//! that makes the change. `sync` drains it in id order; a row is done, waiting to retry, failed
//! for good (kept for a person to see), or superseded by the tracker's own newer change.
//!
//! Rows name one remote object and one operation, so a row is one request: retrying a row
//! never repeats a request that already succeeded for another.

use super::events::{EventWriter, NewEvent};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::{DecisionKind, Status};
use crate::trackers::{Operation, RemoteItem, RemoteKind, RemoteRef};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

/// A finding's link to one remote object, as last synced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub finding_id: i64,
    #[serde(flatten)]
    pub at: RemoteRef,
    pub repo_id: Option<i64>,
    pub url: Option<String>,
    pub state: String,
    pub reason: Option<String>,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub remote_updated: String,
    pub synced_at: String,
}

pub(crate) const LINK_COLUMNS: &str =
    "finding_id, tracker, kind, repo, number, repo_id, url, state,
    reason, assignees, labels, remote_updated, synced_at";

pub(crate) fn read_link(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
    let kind: String = r.get(2)?;
    let json_list = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    Ok(Link {
        finding_id: r.get(0)?,
        at: RemoteRef {
            tracker: r.get(1)?,
            kind: RemoteKind::parse(&kind).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("unknown link kind {kind}").into(),
                )
            })?,
            repo: r.get(3)?,
            number: r.get(4)?,
        },
        repo_id: r.get(5)?,
        url: r.get(6)?,
        state: r.get(7)?,
        reason: r.get(8)?,
        assignees: json_list(9)?,
        labels: json_list(10)?,
        remote_updated: r.get(11)?,
        synced_at: r.get(12)?,
    })
}

pub(crate) fn links_of(conn: &Connection, finding_id: i64) -> Result<Vec<Link>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM tracker_links WHERE finding_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([finding_id], read_link)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A ticket to open for a finding; the issue is written from the finding when the row is
/// pushed, so it says what is true then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRequest {
    pub marker: String,
    pub labels: Vec<String>,
    pub requested_by: String,
}

/// What an outbox row asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Intent {
    Operation(Operation),
    Ticket { create_ticket: TicketRequest },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    Pending,
    Done,
    Failed,
    Superseded,
}

impl RowState {
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Pending => "pending",
            RowState::Done => "done",
            RowState::Failed => "failed",
            RowState::Superseded => "superseded",
        }
    }

    fn parse(s: &str) -> RowState {
        match s {
            "done" => RowState::Done,
            "failed" => RowState::Failed,
            "superseded" => RowState::Superseded,
            _ => RowState::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub finding_id: Option<i64>,
    pub tracker: String,
    pub kind: Option<RemoteKind>,
    pub repo: String,
    pub number: Option<i64>,
    pub intent: Intent,
    pub state: RowState,
    pub attempts: i64,
    pub next_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub done_at: Option<String>,
}

impl OutboxRow {
    /// The remote object the row acts on; `None` for a ticket not created yet.
    pub fn target(&self) -> Option<RemoteRef> {
        Some(RemoteRef {
            tracker: self.tracker.clone(),
            kind: self.kind?,
            repo: self.repo.clone(),
            number: self.number?,
        })
    }

    /// "dismiss", "create ticket", ...
    pub fn describe(&self) -> String {
        match &self.intent {
            Intent::Ticket { .. } => "create ticket".into(),
            Intent::Operation(op) => match op {
                Operation::Dismiss { status, .. } => format!("dismiss ({status})"),
                Operation::Reopen => "reopen".into(),
                Operation::Close { completed: true } => "close (completed)".into(),
                Operation::Close { completed: false } => "close (not planned)".into(),
                Operation::Comment { .. } => "comment".into(),
                Operation::AddAssignees { logins } => format!("assign {}", logins.join(", ")),
                Operation::RemoveAssignees { logins } => {
                    format!("unassign {}", logins.join(", "))
                }
                Operation::AddLabels { labels } => format!("label {}", labels.join(", ")),
                Operation::RemoveLabel { label } => format!("unlabel {label}"),
            },
        }
    }
}

const ROW_COLUMNS: &str = "id, finding_id, tracker, kind, repo, number, op, state, attempts,
    next_at, last_error, created_at, done_at";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    let op: String = r.get(6)?;
    let intent = serde_json::from_str(&op).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
    })?;
    let kind: Option<String> = r.get(3)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        finding_id: r.get(1)?,
        tracker: r.get(2)?,
        kind: kind.as_deref().and_then(RemoteKind::parse),
        repo: r.get(4)?,
        number: r.get(5)?,
        intent,
        state: RowState::parse(&r.get::<_, String>(7)?),
        attempts: r.get(8)?,
        next_at: r.get(9)?,
        last_error: r.get(10)?,
        created_at: r.get(11)?,
        done_at: r.get(12)?,
    })
}

/// Where the rows of one change come from.
pub(crate) struct Origin<'a> {
    pub finding_id: i64,
    pub event_id: i64,
    pub at: &'a str,
}

fn insert(
    conn: &Connection,
    origin: &Origin<'_>,
    tracker: &str,
    kind: Option<RemoteKind>,
    repo: &str,
    number: Option<i64>,
    intent: &Intent,
) -> Result<(), StoreError> {
    let op = serde_json::to_string(intent)
        .map_err(|e| StoreError::Invalid(format!("cannot encode outbox row: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO outbox(finding_id, event_id, tracker, kind, repo, number, op, state,
            created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8)",
    )?
    .execute(params![
        origin.finding_id,
        origin.event_id,
        tracker,
        kind.map(RemoteKind::as_str),
        repo,
        number,
        op,
        origin.at
    ])?;
    Ok(())
}

fn to_link(
    conn: &Connection,
    origin: &Origin<'_>,
    link: &Link,
    op: Operation,
) -> Result<(), StoreError> {
    insert(
        conn,
        origin,
        &link.at.tracker,
        Some(link.at.kind),
        &link.at.repo,
        Some(link.at.number),
        &Intent::Operation(op),
    )
}

/// A decision just put into force on a finding: what each linked tracker must hear.
pub(crate) struct DecisionChange<'a> {
    pub kind: DecisionKind,
    pub from: Status,
    pub to: Status,
    pub actor: &'a str,
    pub reason: &'a str,
    pub decision_id: i64,
}

pub(crate) fn on_decision(
    conn: &Connection,
    origin: &Origin<'_>,
    change: &DecisionChange<'_>,
) -> Result<(), StoreError> {
    let links = links_of(conn, origin.finding_id)?;
    if links.is_empty() {
        return Ok(());
    }
    let note = crate::trackers::packet::decision_comment(
        change.actor,
        &change.kind.to_string(),
        change.reason,
        &change.decision_id.to_string(),
    );
    // Closed by a person's decision (not by the code being fixed): dismiss alerts, close
    // tickets as not planned. A duplicate leaves alerts alone: the original carries them.
    let dismissing = matches!(
        change.to,
        Status::FalsePositive | Status::AcceptedRisk | Status::Deferred
    );
    let closing = dismissing || change.to == Status::Duplicate;
    let reopening = !change.from.is_active() && change.to.is_active();
    for link in &links {
        let state = link.state.as_str();
        if link.at.kind.is_alert() {
            // A fixed alert is closed by the tracker's analysis: nothing to dismiss.
            if dismissing && state != "fixed" {
                to_link(
                    conn,
                    origin,
                    link,
                    Operation::Dismiss {
                        status: change.to,
                        comment: note.clone(),
                    },
                )?;
            } else if reopening && state == "dismissed" {
                to_link(conn, origin, link, Operation::Reopen)?;
            }
            continue;
        }
        let comment = Operation::Comment {
            body: format!(
                "**{}** by {}: {}\n\n(lastmile decision {})",
                change.kind,
                change.actor,
                change.reason.trim(),
                change.decision_id
            ),
        };
        if closing && state == "open" {
            to_link(conn, origin, link, comment)?;
            to_link(conn, origin, link, Operation::Close { completed: false })?;
        } else if reopening && state != "open" {
            to_link(conn, origin, link, Operation::Reopen)?;
            to_link(conn, origin, link, comment)?;
        } else if matches!(change.kind, DecisionKind::Escalate | DecisionKind::Confirm) {
            to_link(conn, origin, link, comment)?;
        }
    }
    Ok(())
}

/// An acceptance or deferral ran out and the finding is open again: what it had closed on
/// the trackers opens again too.
pub(crate) fn on_expired(
    conn: &Connection,
    origin: &Origin<'_>,
    reason: &str,
) -> Result<(), StoreError> {
    for link in links_of(conn, origin.finding_id)? {
        if link.at.kind.is_alert() {
            if link.state == "dismissed" {
                to_link(conn, origin, &link, Operation::Reopen)?;
            }
        } else if link.state != "open" {
            to_link(conn, origin, &link, Operation::Reopen)?;
            let body = format!("Reopened by lastmile: {reason}.");
            to_link(conn, origin, &link, Operation::Comment { body })?;
        }
    }
    Ok(())
}

/// The owner changed: tickets gain the new person and lose the old one. lastmile handles are
/// stored; the engine turns them into tracker logins when it pushes.
pub(crate) fn on_assign(
    conn: &Connection,
    origin: &Origin<'_>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), StoreError> {
    if from == to {
        return Ok(());
    }
    for link in links_of(conn, origin.finding_id)? {
        if link.at.kind.is_alert() {
            continue;
        }
        if let Some(to) = to {
            let op = Operation::AddAssignees {
                logins: vec![to.to_string()],
            };
            to_link(conn, origin, &link, op)?;
        }
        if let Some(from) = from {
            let op = Operation::RemoveAssignees {
                logins: vec![from.to_string()],
            };
            to_link(conn, origin, &link, op)?;
        }
    }
    Ok(())
}

/// A scan found the code fixed: open tickets close as completed. Alerts close themselves when
/// the tracker's own analysis sees the fix.
pub(crate) fn on_fixed(conn: &Connection, origin: &Origin<'_>) -> Result<(), StoreError> {
    for link in links_of(conn, origin.finding_id)? {
        if link.at.kind == RemoteKind::Issue && link.state == "open" {
            to_link(conn, origin, &link, Operation::Close { completed: true })?;
        }
    }
    Ok(())
}

/// The marker that ties an issue to its finding in every replica: the finding's indexed
/// fingerprint key, which is the same wherever the same report was imported.
pub fn marker_for(fp_key: i64) -> String {
    format!("lastmile:{:016x}", fp_key as u64)
}

/// Which rows `outbox` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxFilter {
    /// Pending and failed: everything not yet on the tracker.
    Open,
    Failed,
    All,
}

/// Why a ticket was not requested for a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TicketOutcome {
    Requested,
    AlreadyLinked { reference: String },
    AlreadyRequested,
}

impl Store {
    pub fn outbox(&self, filter: OutboxFilter) -> Result<Vec<OutboxRow>, StoreError> {
        let cond = match filter {
            OutboxFilter::Open => "state IN ('pending', 'failed')",
            OutboxFilter::Failed => "state = 'failed'",
            OutboxFilter::All => "1",
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM outbox WHERE {cond} ORDER BY id"
        ))?;
        let rows = stmt.query_map([], read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pending rows of `tracker` in the order they were written.
    pub fn outbox_pending(&self, tracker: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM outbox WHERE state = 'pending' AND tracker = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([tracker], read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Counts of rows by state, for the status bar and the sync summary.
    pub fn outbox_counts(&self) -> Result<(u64, u64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'failed'), 0)
             FROM outbox WHERE state IN ('pending', 'failed')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    pub fn links(&self, finding_id: i64) -> Result<Vec<Link>, StoreError> {
        links_of(&self.conn, finding_id)
    }

    /// Queues a ticket for each finding in `repo` of `tracker`. A finding that already has a
    /// ticket, or one on its way, gets no second.
    pub fn request_tickets(
        &mut self,
        ids: &[i64],
        tracker: &str,
        repo: &str,
        labels: &[String],
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<Vec<(i64, TicketOutcome)>, StoreError> {
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let fp_key: i64 = txn
                .query_row("SELECT fp_key FROM findings WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| StoreError::Invalid(format!("no finding with id {id}")))?;
            if let Some(link) = links_of(&txn, id)?
                .into_iter()
                .find(|l| l.at.kind == RemoteKind::Issue)
            {
                out.push((
                    id,
                    TicketOutcome::AlreadyLinked {
                        reference: link.at.to_string(),
                    },
                ));
                continue;
            }
            let waiting: bool = txn.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE finding_id = ?1
                    AND state IN ('pending', 'failed') AND number IS NULL)",
                [id],
                |r| r.get(0),
            )?;
            if waiting {
                out.push((id, TicketOutcome::AlreadyRequested));
                continue;
            }
            let request = TicketRequest {
                marker: marker_for(fp_key),
                labels: labels.to_vec(),
                requested_by: actor.to_string(),
            };
            let payload =
                serde_json::json!({ "tracker": tracker, "repo": repo, "marker": request.marker })
                    .to_string();
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "ticket_requested",
                    reason: None,
                    payload: &payload,
                },
            )?;
            let origin = Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            insert(
                &txn,
                &origin,
                tracker,
                None,
                repo,
                None,
                &Intent::Ticket {
                    create_ticket: request,
                },
            )?;
            out.push((id, TicketOutcome::Requested));
        }
        txn.commit()?;
        Ok(out)
    }

    /// Records a comment on each finding; its tickets get it on the next sync. Returns how
    /// many outbox rows it queued.
    pub fn comment(
        &mut self,
        ids: &[i64],
        body: &str,
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<usize, StoreError> {
        if body.trim().is_empty() {
            return Err(StoreError::Invalid("a comment needs text".into()));
        }
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut queued = 0;
        for &id in ids {
            let exists: bool = txn.query_row(
                "SELECT EXISTS (SELECT 1 FROM findings WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::Invalid(format!("no finding with id {id}")));
            }
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "comment",
                    reason: Some(body),
                    payload: "{}",
                },
            )?;
            let origin = Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            for link in links_of(&txn, id)? {
                if link.at.kind == RemoteKind::Issue {
                    let op = Operation::Comment {
                        body: format!("{body}\n\n(by {actor}, via lastmile)"),
                    };
                    to_link(&txn, &origin, &link, op)?;
                    queued += 1;
                }
            }
        }
        txn.commit()?;
        Ok(queued)
    }

    /// Adds and removes labels on the findings' tickets (one event per finding, the rows with
    /// it). Returns how many outbox rows it queued.
    pub fn label(
        &mut self,
        ids: &[i64],
        add: &[String],
        remove: &[String],
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<usize, StoreError> {
        let bad = add
            .iter()
            .chain(remove)
            .find(|l| l.trim().is_empty() || l.contains(','));
        if let Some(l) = bad {
            return Err(StoreError::Invalid(format!(
                "label {l:?}: labels are non-empty and have no commas"
            )));
        }
        if add.is_empty() && remove.is_empty() {
            return Err(StoreError::Invalid(
                "say which labels to --add or --remove".into(),
            ));
        }
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut queued = 0;
        for &id in ids {
            let links: Vec<Link> = links_of(&txn, id)?
                .into_iter()
                .filter(|l| l.at.kind == RemoteKind::Issue)
                .collect();
            if links.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "finding {id} has no ticket to label (`lastmile ticket {id}` opens one)"
                )));
            }
            let payload = serde_json::json!({ "add": add, "remove": remove }).to_string();
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "labels",
                    reason: None,
                    payload: &payload,
                },
            )?;
            let origin = Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            for link in &links {
                if !add.is_empty() {
                    let op = Operation::AddLabels {
                        labels: add.to_vec(),
                    };
                    to_link(&txn, &origin, link, op)?;
                    queued += 1;
                }
                for label in remove {
                    let op = Operation::RemoveLabel {
                        label: label.clone(),
                    };
                    to_link(&txn, &origin, link, op)?;
                    queued += 1;
                }
            }
        }
        txn.commit()?;
        Ok(queued)
    }

    /// A row reached the tracker: mark it done and, when the tracker said how the object looks
    /// now, store that as the link's synced state, all in one transaction.
    pub fn outbox_done(
        &mut self,
        row: &OutboxRow,
        now_remote: Option<&RemoteItem>,
        clock: &dyn Clock,
    ) -> Result<(), StoreError> {
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        txn.execute(
            "UPDATE outbox SET state = 'done', done_at = ?2, last_error = NULL WHERE id = ?1",
            params![row.id, at],
        )?;
        if let (Some(item), Some(finding_id)) = (now_remote, row.finding_id) {
            super::sync::upsert_link(&txn, finding_id, item, &at)?;
        }
        let mut events = EventWriter::new(&txn)?;
        let payload = serde_json::json!({
            "outbox": row.id,
            "target": row.target().map(|t| t.to_string()),
            "op": row.describe(),
        })
        .to_string();
        events.append(
            &txn,
            &NewEvent {
                finding_id: row.finding_id,
                at: &at,
                actor: "sync",
                kind: "pushed",
                reason: None,
                payload: &payload,
            },
        )?;
        txn.commit()?;
        Ok(())
    }

    /// A ticket exists for the row's finding (just created, or found by its marker after an
    /// interrupted attempt): link it and mark the row done in the same transaction, so the
    /// next sync never creates a second one.
    pub fn ticket_linked(
        &mut self,
        row: &OutboxRow,
        ticket: &RemoteItem,
        found_existing: bool,
        clock: &dyn Clock,
    ) -> Result<(), StoreError> {
        let finding_id = row
            .finding_id
            .ok_or_else(|| StoreError::Invalid(format!("outbox row {} has no finding", row.id)))?;
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        super::sync::upsert_link(&txn, finding_id, ticket, &at)?;
        let reference = ticket.at.to_string();
        txn.execute(
            "UPDATE findings SET tracker_ref = ?2 WHERE id = ?1",
            params![finding_id, reference],
        )?;
        txn.execute(
            "UPDATE outbox SET state = 'done', done_at = ?2, last_error = NULL, number = ?3,
                kind = 'issue', result = ?4 WHERE id = ?1",
            params![row.id, at, ticket.at.number, ticket.url],
        )?;
        let mut events = EventWriter::new(&txn)?;
        let payload = serde_json::json!({
            "outbox": row.id,
            "ticket": reference,
            "url": ticket.url,
            "found_existing": found_existing,
        })
        .to_string();
        events.append(
            &txn,
            &NewEvent {
                finding_id: Some(finding_id),
                at: &at,
                actor: "sync",
                kind: "ticket_created",
                reason: found_existing
                    .then_some("an earlier, interrupted sync had created it; found by its marker"),
                payload: &payload,
            },
        )?;
        txn.commit()?;
        Ok(())
    }

    /// A push failed. `retry_at: None` means for good: the row waits for a person.
    pub fn outbox_failed(
        &mut self,
        row_id: i64,
        error: &str,
        retry_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(), StoreError> {
        let state = if retry_at.is_some() {
            RowState::Pending
        } else {
            RowState::Failed
        };
        self.conn.execute(
            "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_at = ?3, last_error = ?4
             WHERE id = ?1",
            params![row_id, state.as_str(), retry_at.map(stamp), error],
        )?;
        Ok(())
    }

    /// Puts failed rows (all, or these ids) back in the queue.
    pub fn outbox_retry(&mut self, ids: &[i64]) -> Result<usize, StoreError> {
        let txn = self.conn.transaction()?;
        let mut n = 0;
        if ids.is_empty() {
            n += txn.execute(
                "UPDATE outbox SET state = 'pending', next_at = NULL WHERE state = 'failed'",
                [],
            )?;
        } else {
            for id in ids {
                n += txn.execute(
                    "UPDATE outbox SET state = 'pending', next_at = NULL
                     WHERE id = ?1 AND state = 'failed'",
                    [id],
                )?;
            }
        }
        txn.commit()?;
        Ok(n)
    }
}
