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
    digest         TEXT NOT NULL,
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
    fingerprint    TEXT NOT NULL,
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
    content_hash   TEXT NOT NULL,
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
CREATE UNIQUE INDEX findings_identity ON findings(scope_id, fingerprint);
CREATE INDEX findings_by_severity ON findings(severity, id);
CREATE INDEX findings_scope_status ON findings(scope_id, status);

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    reason     TEXT,
    payload    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX events_by_finding ON events(finding_id, id);

-- History is append-only: the chain detects edits made behind lastmile's back, these triggers
-- stop honest mistakes made through SQLite itself.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Counts by status and severity, kept by triggers so no view recounts a million rows.
CREATE TABLE counters (
    status   TEXT NOT NULL,
    severity INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (status, severity)
) WITHOUT ROWID;
CREATE TRIGGER findings_count_insert AFTER INSERT ON findings
BEGIN
    INSERT INTO counters(status, severity, n) VALUES (new.status, new.severity, 1)
    ON CONFLICT(status, severity) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER findings_count_delete AFTER DELETE ON findings
BEGIN
    UPDATE counters SET n = n - 1 WHERE status = old.status AND severity = old.severity;
END;
CREATE TRIGGER findings_count_update AFTER UPDATE OF status, severity ON findings
WHEN old.status IS NOT new.status OR old.severity IS NOT new.severity
BEGIN
    UPDATE counters SET n = n - 1 WHERE status = old.status AND severity = old.severity;
    INSERT INTO counters(status, severity, n) VALUES (new.status, new.severity, 1)
    ON CONFLICT(status, severity) DO UPDATE SET n = n + 1;
END;
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
