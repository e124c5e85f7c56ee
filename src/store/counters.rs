//! Counts by (status, severity), so no view recounts a million rows. Every command that changes
//! a finding's status or severity records the change here and applies it in its transaction.
//! (Triggers would do this too, but they force SQLite to keep a statement journal for every
//! insert, which cost a quarter of import time.)

use super::StoreError;
use crate::model::{Severity, Status};
use rusqlite::{Connection, params};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct CounterDeltas(HashMap<(Status, Severity), i64>);

impl CounterDeltas {
    pub fn add(&mut self, status: Status, severity: Severity) {
        *self.0.entry((status, severity)).or_default() += 1;
    }

    pub fn remove(&mut self, status: Status, severity: Severity) {
        *self.0.entry((status, severity)).or_default() -= 1;
    }

    pub fn moved(&mut self, from: (Status, Severity), to: (Status, Severity)) {
        if from != to {
            self.remove(from.0, from.1);
            self.add(to.0, to.1);
        }
    }

    /// Writes the changes; call inside the command's transaction.
    pub fn apply(self, conn: &Connection) -> Result<(), StoreError> {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO counters(status, severity, n) VALUES (?1, ?2, ?3)
             ON CONFLICT(status, severity) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((status, severity), n) in self.0 {
            if n != 0 {
                stmt.execute(params![status.as_str(), severity.rank(), n])?;
            }
        }
        Ok(())
    }
}

/// Recounts from the findings table: for tests that check the counters never drift.
pub fn recount(conn: &Connection) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let mut stmt = conn
        .prepare("SELECT status, severity, COUNT(*) FROM findings GROUP BY 1, 2 ORDER BY 1, 2")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The stored counters in the same shape as `recount`.
pub fn stored(conn: &Connection) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let mut stmt =
        conn.prepare("SELECT status, severity, n FROM counters WHERE n != 0 ORDER BY 1, 2")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
