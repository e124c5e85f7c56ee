//! Commands a person issues. Each runs in one transaction: the change and its event together.

use super::counters::CounterDeltas;
use super::events::{EventWriter, NewEvent};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::{Severity, Status};
use rusqlite::{OptionalExtension, params};

/// What a status change did to one finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusChange {
    pub id: i64,
    pub from: Status,
    pub to: Status,
}

impl Store {
    /// Sets the status of findings as a person's decision, with a required reason.
    /// Findings already in that status are left alone (and not reported).
    pub fn set_status(
        &mut self,
        ids: &[i64],
        to: Status,
        actor: &str,
        reason: &str,
        clock: &dyn Clock,
    ) -> Result<Vec<StatusChange>, StoreError> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("a decision needs a reason".into()));
        }
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut changes = Vec::new();
        let mut counters = CounterDeltas::default();
        for &id in ids {
            let found: Option<(String, i64)> = txn
                .query_row(
                    "SELECT status, severity FROM findings WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (from, severity) =
                found.ok_or_else(|| StoreError::Invalid(format!("no finding with id {id}")))?;
            let from: Status = from.parse().map_err(StoreError::Invalid)?;
            let severity = Severity::from_rank(severity).unwrap_or_default();
            if from == to {
                continue;
            }
            txn.execute(
                "UPDATE findings SET status = ?2 WHERE id = ?1",
                params![id, to.as_str()],
            )?;
            counters.moved((from, severity), (to, severity));
            let payload = serde_json::json!({ "from": from, "to": to }).to_string();
            events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "status",
                    reason: Some(reason),
                    payload: &payload,
                },
            )?;
            changes.push(StatusChange { id, from, to });
        }
        counters.apply(&txn)?;
        txn.commit()?;
        Ok(changes)
    }
}
