//! Which journal a large import writes through.
//!
//! In WAL mode every page of an import is written twice, once into the WAL and once more when the
//! WAL is checkpointed into the database; a million-result import spends about a third of its
//! time doing that. Pages appended beyond the file's old end need no journal at all in SQLite's
//! rollback mode, so an import that is the only user of its database switches to it for its one
//! transaction and back to WAL afterwards. Atomicity is the same (a killed import leaves a hot
//! journal that the next open rolls back); the cost is that another process cannot read the
//! database until the import commits, which is why the switch is made only when no other
//! connection has the database open. With one open, SQLite refuses the switch and the import
//! stays in WAL, where readers keep their snapshot.

use crate::store::StoreError;
use rusqlite::Connection;
use std::time::Duration;

/// The journal an import wrote through; `leave` puts the connection back as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Journal {
    /// Another connection had the database open, or it is not a file: WAL as always.
    Wal,
    /// The database was ours alone: rollback journal until `leave`.
    Rollback,
}

fn mode(conn: &Connection, to: &str) -> rusqlite::Result<String> {
    conn.query_row(&format!("PRAGMA journal_mode = {to}"), [], |r| r.get(0))
}

/// Switches to the rollback journal if nobody else has the database open. Never waits: a busy
/// database means a reader, and readers are what WAL is for.
pub(super) fn enter(conn: &Connection, busy_timeout: Duration) -> Result<Journal, StoreError> {
    if conn.path().is_none_or(str::is_empty) {
        return Ok(Journal::Wal);
    }
    conn.busy_timeout(Duration::ZERO)?;
    let switched = mode(conn, "DELETE");
    conn.busy_timeout(busy_timeout)?;
    match switched {
        Ok(m) if m.eq_ignore_ascii_case("delete") => {
            // NORMAL is safe in WAL mode only; a rollback journal needs FULL to survive a
            // power cut between the journal and the database writes.
            conn.pragma_update(None, "synchronous", "FULL")?;
            Ok(Journal::Rollback)
        }
        Ok(_) => Ok(Journal::Wal),
        Err(e) if crate::store::is_busy(&e) => Ok(Journal::Wal),
        Err(e) => Err(e.into()),
    }
}

/// Back to WAL. If someone opened the database meanwhile and holds it, the switch waits for them
/// (the busy timeout); failing that, the next open switches it, as every open does.
pub(super) fn leave(conn: &Connection, journal: Journal) {
    if journal == Journal::Rollback {
        let back =
            mode(conn, "WAL").and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"));
        if let Err(e) = back {
            tracing::warn!(error = %e, "could not switch the database back to WAL after an import");
        }
    }
}
