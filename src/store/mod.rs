//! The SQLite store: the only module that speaks SQL. Every change of state goes through a
//! command here that updates the current-state tables and appends its event in one transaction.

pub mod blame_cache;
pub mod conflicts;
pub mod counters;
mod decisions;
pub mod enrichment;
pub mod events;
mod flags;
mod import;
pub mod links;
pub mod matching;
mod migrations;
pub mod notify;
pub mod outbox;
mod queries;
pub mod routing;
pub mod sync;
mod sync_item;
mod teams;
mod triage;

pub use blame_cache::BlameBatch;
pub use conflicts::Conflict;
pub use decisions::{DecisionFilter, DecisionRequest, DecisionResult, DecisionRow, Outcome};
pub use enrichment::{EnrichReport, Source as EnrichSource};
pub use events::ChainReport;
pub use flags::Flags;
pub use import::{ImportOptions, ImportOutcome, Parser, ScanSummary, file_digest, file_probe};
pub use links::Link;
pub use matching::Matcher;
pub use migrations::CURRENT as SCHEMA_VERSION;
pub use notify::TicketOutcome;
pub use outbox::{OutboxFilter, OutboxRow};
pub use queries::{Anchor, Counts, EventRow, Page, PageRequest, SortField, SortKey, Stats};
pub use routing::{Assigned, Assignment, Current as CurrentAssignment, How as AssignHow};
pub use sync::{Advance, PullCounts, PulledPage, SyncMark};
pub use teams::TeamLoad;
pub use triage::{LaneSummary, Recomputed, TickReport};

use crate::ingest::IngestError;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "{path}: database schema version {found} is newer than this lastmile understands ({supported}); upgrade lastmile"
    )]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    /// Another process held the database for longer than the busy timeout: usually a large
    /// import, which has it to itself until it commits (see store/import/journal.rs).
    #[error(
        "{path}: another lastmile is writing to this database (a large import holds it until it commits); try again when it has finished"
    )]
    Busy { path: String },
    /// Not named `source`, so the message stands alone on one line.
    #[error("{path}: cannot open database: {error}")]
    Open {
        path: String,
        error: rusqlite::Error,
    },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Query(#[from] crate::query::QueryError),
    #[error("{0}")]
    Invalid(String),
}

impl StoreError {
    /// The query was stopped through an `interrupt_handle`.
    pub fn is_interrupted(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::OperationInterrupted)
    }
}

/// Page cache (negative: KiB) for ordinary work, and while an import writes: an import's
/// random inserts into the identity index thrash a smaller cache (1M results: 16 s at 64 MiB,
/// 12.7 s at 128 MiB, peak memory 190 -> 260 MB).
pub(crate) const NORMAL_CACHE_KIB: i64 = -65536;
const IMPORT_CACHE_MIB: i64 = 128;

/// The import's page cache as `cache_size` takes it: `LASTMILE_IMPORT_CACHE_MIB` (2-4096) for
/// machines with less memory to spare (a smaller cache is slower, not wrong), else 128 MiB.
pub(crate) fn import_cache_kib() -> Result<i64, StoreError> {
    const VAR: &str = "LASTMILE_IMPORT_CACHE_MIB";
    let Some(value) = std::env::var_os(VAR) else {
        return Ok(-IMPORT_CACHE_MIB * 1024);
    };
    let mib = value
        .to_str()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|m| (2..=4096).contains(m))
        .ok_or_else(|| {
            StoreError::Invalid(format!(
                "{VAR}={}: expected a whole number of MiB from 2 to 4096",
                crate::sanitize::line(&value.to_string_lossy())
            ))
        })?;
    Ok(-mib * 1024)
}

/// How long a writer waits for another process's lock before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Invalid(format!(
                    "{}: cannot create directory: {e}",
                    parent.display()
                ))
            })?;
        }
        let display = path.display().to_string();
        let opening = |error| StoreError::Open {
            path: display.clone(),
            error,
        };
        process_setup();
        let mut conn = Connection::open(path).map_err(opening)?;
        // A file that is not a database (or is damaged) fails here: say which file.
        let named = |e: StoreError| match e {
            StoreError::Sqlite(error) if is_busy(&error) => StoreError::Busy {
                path: display.clone(),
            },
            StoreError::Sqlite(error) => opening(error),
            other => other,
        };
        configure(&conn).map_err(named)?;
        migrations::migrate(&mut conn, &display).map_err(named)?;
        Ok(Store { conn })
    }

    /// A second, read-only connection for a reader thread (WAL lets it read while the writer writes).
    pub fn open_reader(path: &Path) -> Result<Store, StoreError> {
        let display = path.display().to_string();
        process_setup();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|error| StoreError::Open {
            path: display.clone(),
            error,
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: display,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(Store { conn })
    }

    /// Lets another thread abort this connection's running query (a count nobody waits for).
    pub fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// Walks the event chain; see `events::verify`.
    pub fn verify_chain(&self) -> Result<ChainReport, StoreError> {
        events::verify(&self.conn)
    }

    #[doc(hidden)]
    /// Raw access for tests that must tamper with the file the way an attacker would.
    pub fn raw_connection(&self) -> &Connection {
        &self.conn
    }
}

/// SQLite's process-wide settings, made before its first connection (later calls would be
/// refused, harmlessly). Memory statistics are off: lastmile never reads them, and keeping
/// them takes a global mutex on every allocation SQLite makes (measured: ~5% of a 1M import).
fn process_setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int; sqlite3_config is only called here,
        // once, and returns SQLITE_MISUSE (ignored) if SQLite was already initialized.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                std::ffi::c_int::from(0u8),
            );
        }
    });
}

/// Another connection holds the lock this one needs.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Larger pages halve B-tree rebalancing for rows of ~600 bytes; only takes effect on a new
    // database (before WAL is switched on), which is when it matters.
    conn.pragma_update(None, "page_size", 16384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 64 MiB of page cache keeps the identity index hot during large imports.
    conn.pragma_update(None, "cache_size", NORMAL_CACHE_KIB)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}
