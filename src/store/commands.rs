//! Commands a person issues. Each runs in one transaction: the change and its event together.

use super::events::{EventWriter, NewEvent};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::Status;
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
        for &id in ids {
            let from: Option<String> = txn
                .query_row("SELECT status FROM findings WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            let from: Status = from
                .ok_or_else(|| StoreError::Invalid(format!("no finding with id {id}")))?
                .parse()
                .map_err(StoreError::Invalid)?;
            if from == to {
                continue;
            }
            txn.execute("UPDATE findings SET status = ?2 WHERE id = ?1", params![id, to.as_str()])?;
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
        txn.commit()?;
        Ok(changes)
    }
}
