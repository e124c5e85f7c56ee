//! Versioned schema. `PRAGMA user_version` holds the version; each step runs in its own transaction.

use super::StoreError;
use rusqlite::Connection;

/// Each entry upgrades the schema from version `i` to `i + 1`. Append only; never edit a shipped step.
const STEPS: &[&str] = &[r#"
CREATE TABLE scopes (
    id    INTEGER PRIMARY KEY,
    repo  TEXT NOT NULL,
    tool  TEXT NOT NULL,
    UNIQUE (repo, tool)
);

CREATE TABLE scans (
    id             INTEGER PRIMARY KEY,
    scope_id       INTEGER NOT NULL REFERENCES scopes(id),
    source         TEXT NOT NULL,
    tool_version   TEXT,
    commit_sha     TEXT,
    started_at     TEXT,
    imported_at    TEXT NOT NULL,
    actor          TEXT NOT NULL,
    -- SHA-256 of the report's bytes, and the --repo it was imported with (NULL: the report's
    -- own): together they recognize a report imported again without reading it twice.
    digest         TEXT NOT NULL,
    requested_repo TEXT,
    complete       INTEGER NOT NULL,
    out_of_order   INTEGER NOT NULL DEFAULT 0,
    result_count   INTEGER NOT NULL DEFAULT 0,
    new_count      INTEGER NOT NULL DEFAULT 0,
    seen_count     INTEGER NOT NULL DEFAULT 0,
    closed_count   INTEGER NOT NULL DEFAULT 0,
    reopened_count INTEGER NOT NULL DEFAULT 0,
    updated_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_scope ON scans(scope_id, id);

CREATE TABLE findings (
    id             INTEGER PRIMARY KEY,
    scope_id       INTEGER NOT NULL REFERENCES scopes(id),
    repo           TEXT NOT NULL,
    tool           TEXT NOT NULL,
    -- The identity of a finding within its scope; `fp_key` is its 64-bit FNV-1a, indexed in
    -- its place because a million 64-character keys outgrow the page cache during imports.
    fingerprint    TEXT NOT NULL,
    fp_key         INTEGER NOT NULL,
    rule           TEXT NOT NULL,
    title          TEXT NOT NULL,
    message        TEXT NOT NULL,
    severity       INTEGER NOT NULL,
    cwe            TEXT,
    cve            TEXT,
    path           TEXT,
    start_line     INTEGER,
    end_line       INTEGER,
    snippet        TEXT,
    help_uri       TEXT,
    suppressed     INTEGER NOT NULL DEFAULT 0,
    baseline_state TEXT,
    fixes          TEXT,
    content_hash   BLOB NOT NULL,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    last_scan_id   INTEGER REFERENCES scans(id),
    status         TEXT NOT NULL,
    lane           TEXT,
    risk           REAL,
    owner          TEXT,
    team           TEXT,
    tracker_ref    TEXT,
    due            TEXT,
    estimate       REAL,
    sprint         TEXT,
    campaign       TEXT
);
CREATE INDEX findings_identity ON findings(scope_id, fp_key);
CREATE INDEX findings_by_severity ON findings(severity, id);
-- Covers "the active findings of a scope" (rowids included) for closing what a scan no longer reports.
CREATE INDEX findings_scope_status ON findings(scope_id, status, severity);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT,
    payload    TEXT NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL
);
CREATE INDEX events_by_finding ON events(finding_id, id);

-- History is append-only: the chain detects edits made behind lastmile's back, these triggers
-- stop honest mistakes made through SQLite itself.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Counts by status and severity, kept by the store's commands (see counters.rs).
CREATE TABLE counters (
    status   TEXT NOT NULL,
    severity INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (status, severity)
) WITHOUT ROWID;
"#];

/// The schema version this binary writes.
pub const CURRENT: i64 = STEPS.len() as i64;

pub fn migrate(conn: &mut Connection, path_for_errors: &str) -> Result<(), StoreError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT {
        return Err(StoreError::TooNew {
            path: path_for_errors.to_string(),
            found,
            supported: CURRENT,
        });
    }
    for (i, step) in STEPS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
