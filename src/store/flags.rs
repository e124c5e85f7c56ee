//! Flags a person (or a tool) sets on findings: exploit validated, reachable. Both feed risk,
//! so lanes and due dates follow.

use super::events::{EventWriter, NewEvent};
use super::triage::{Scope, reassess};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::triage::assess::Assessor;
use crate::triage::policy::Policy;
use rusqlite::{OptionalExtension, params};

/// Flags a person sets on findings; `None` leaves a flag as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// An exploit was validated.
    pub validated: Option<bool>,
    /// The vulnerable code is reachable.
    pub reachable: Option<bool>,
}

impl Store {
    /// Sets the exploit-validated and reachable flags (each `None` leaves it), with an event
    /// per finding that changed; risk and lanes follow.
    pub fn set_flags(
        &mut self,
        ids: &[i64],
        flags: Flags,
        actor: &str,
        reason: &str,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<Vec<i64>, StoreError> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("setting a flag needs a reason".into()));
        }
        let now = clock.now();
        let at = stamp(now);
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut changed = Vec::new();
        for &id in ids {
            let (v, r): (bool, bool) = txn
                .query_row(
                    "SELECT validated, reachable FROM findings WHERE id = ?1",
                    [id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::Invalid(format!("no finding with id {id}")))?;
            let (nv, nr) = (flags.validated.unwrap_or(v), flags.reachable.unwrap_or(r));
            if (nv, nr) == (v, r) {
                continue;
            }
            txn.execute(
                "UPDATE findings SET validated = ?2, reachable = ?3 WHERE id = ?1",
                params![id, nv, nr],
            )?;
            let payload = serde_json::json!({
                "validated": { "from": v, "to": nv },
                "reachable": { "from": r, "to": nr },
            })
            .to_string();
            events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "flags",
                    reason: Some(reason),
                    payload: &payload,
                },
            )?;
            changed.push(id);
        }
        reassess(&txn, &assessor, Scope::Ids(&changed))?;
        txn.commit()?;
        Ok(changed)
    }
}
