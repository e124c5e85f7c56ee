//! The outbox: every change a tracker must hear of is a row here, written in the transaction
//! that makes the change (see `notify`). `sync` drains it in id order; a row is done, waiting to
//! retry, failed for good (kept for a person to see), or superseded by the tracker's own newer
//! change.
//!
//! Rows name one remote object and one operation, so a row is one request: retrying a row
//! never repeats a request that already succeeded for another.

use super::events::{EventWriter, NewEvent};
use super::links::{Link, upsert_link};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::trackers::{Operation, RemoteItem, RemoteKind, RemoteRef};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

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

pub(crate) fn insert(
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

pub(crate) fn to_link(
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

/// Which rows `outbox` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxFilter {
    /// Pending and failed: everything not yet on the tracker.
    Open,
    Failed,
    All,
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
            upsert_link(&txn, finding_id, item, &at)?;
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
        upsert_link(&txn, finding_id, ticket, &at)?;
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
