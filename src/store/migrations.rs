//! Versioned schema. `PRAGMA user_version` holds the version; each step runs in its own transaction.

use super::StoreError;
use rusqlite::Connection;

/// Each entry upgrades the schema from version `i` to `i + 1`. Append only; never edit a shipped step.
const STEPS: &[&str] = &[
    // 1: the foundation.
    r#"
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
"#,
    // 2: triage. The risk inputs, lane and due date live on the finding so the backlog can be
    // filtered and sorted by them without joins; decisions keep their own rows because a
    // pending one must wait for a second person.
    r#"
-- The tool's numeric score (CVSS / security-severity), when it gave one.
ALTER TABLE findings ADD COLUMN score REAL;
-- Exploitability from enrichment: listed in CISA KEV (and its remediation date), EPSS.
ALTER TABLE findings ADD COLUMN kev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN kev_due TEXT;
ALTER TABLE findings ADD COLUMN epss REAL;
ALTER TABLE findings ADD COLUMN epss_pct REAL;
-- Flags a person (or a tool) sets.
ALTER TABLE findings ADD COLUMN validated INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN reachable INTEGER NOT NULL DEFAULT 0;
-- The asset's exposure and tier as config said when risk was last computed.
ALTER TABLE findings ADD COLUMN exposed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN tier INTEGER;
-- When the finding last reopened: restarts the SLA clock if the config says so.
ALTER TABLE findings ADD COLUMN reopened_at TEXT;
-- The decision in force: who and when, until when (accepted risk, deferral), of what
-- (duplicate), to whom (escalation), and a decision still waiting for approval.
ALTER TABLE findings ADD COLUMN decided_by TEXT;
ALTER TABLE findings ADD COLUMN decided_at TEXT;
ALTER TABLE findings ADD COLUMN until TEXT;
ALTER TABLE findings ADD COLUMN duplicate_of INTEGER;
ALTER TABLE findings ADD COLUMN escalated_to TEXT;
ALTER TABLE findings ADD COLUMN pending_id INTEGER;

CREATE INDEX findings_by_risk ON findings(risk, id);
CREATE INDEX findings_by_due ON findings(due, id);
-- Expiry checks look only at findings that have an end date.
CREATE INDEX findings_until ON findings(until) WHERE until IS NOT NULL;

CREATE TABLE decisions (
    id            INTEGER PRIMARY KEY,
    finding_id    INTEGER NOT NULL REFERENCES findings(id),
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    at            TEXT NOT NULL,
    reason        TEXT NOT NULL,
    until         TEXT,
    control       TEXT,
    target        TEXT,
    lane          TEXT,
    -- pending, applied, rejected, superseded
    state         TEXT NOT NULL,
    reviewer      TEXT,
    reviewed_at   TEXT,
    review_reason TEXT
);
CREATE INDEX decisions_by_finding ON decisions(finding_id, id);
CREATE INDEX decisions_pending ON decisions(actor) WHERE state = 'pending';

-- Enrichment, loaded from files so it works offline.
CREATE TABLE kev (
    cve        TEXT PRIMARY KEY,
    date_added TEXT,
    due_date   TEXT,
    vendor     TEXT,
    product    TEXT,
    name       TEXT,
    ransomware INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE epss (
    cve        TEXT PRIMARY KEY,
    epss       REAL NOT NULL,
    percentile REAL
) WITHOUT ROWID;
-- Which catalog / daily file each enrichment came from.
CREATE TABLE enrichment_sources (
    kind        TEXT PRIMARY KEY,
    version     TEXT,
    released    TEXT,
    file        TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    entries     INTEGER NOT NULL
) WITHOUT ROWID;

-- Small facts about the database: the digest of the triage policy lanes were computed with.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"#,
    // 3: ownership. `owner` and `team` (step 1) say who; these say how they were chosen, so
    // routing never overwrites a person's choice and the reasons stay visible.
    r#"
-- 'manual' (a person chose) or 'routed' (the router suggested and it was applied).
ALTER TABLE findings ADD COLUMN assignment TEXT;
ALTER TABLE findings ADD COLUMN assigned_by TEXT;
ALTER TABLE findings ADD COLUMN assigned_at TEXT;
-- The router's chain of reasons, as plain text, when the assignment was routed.
ALTER TABLE findings ADD COLUMN route_reason TEXT;

-- git blame of one file at one commit, encoded by owners::blame. A commit's blame never
-- changes, so entries are valid forever; they are dropped only to save space.
CREATE TABLE blame_cache (
    repo      TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    path      TEXT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (repo, commit_id, path)
) WITHOUT ROWID;
"#,
    // 4: trackers. A finding may be known to several remote objects (its code scanning alert and
    // the issue filed for it); what a tracker must hear of waits in the outbox; where each pull
    // endpoint left off is in sync_state.
    r#"
CREATE TABLE tracker_links (
    id             INTEGER PRIMARY KEY,
    finding_id     INTEGER NOT NULL REFERENCES findings(id),
    tracker        TEXT NOT NULL,
    -- code_scanning | dependabot | issue
    kind           TEXT NOT NULL,
    -- As config names it (owner/name); repo_id survives renames and transfers.
    repo           TEXT NOT NULL,
    number         INTEGER NOT NULL,
    repo_id        INTEGER,
    url            TEXT,
    -- The remote object as last synced: open | fixed | dismissed, the tracker's reason, its
    -- assignees and labels (JSON arrays). Conflicts are changes on both sides since then.
    state          TEXT NOT NULL,
    reason         TEXT,
    assignees      TEXT NOT NULL DEFAULT '[]',
    labels         TEXT NOT NULL DEFAULT '[]',
    remote_updated TEXT NOT NULL,
    synced_at      TEXT NOT NULL,
    UNIQUE (tracker, kind, repo, number)
);
CREATE INDEX tracker_links_by_finding ON tracker_links(finding_id);

-- One row per pull endpoint ("github:owner/name:code_scanning").
CREATE TABLE sync_state (
    endpoint  TEXT PRIMARY KEY,
    watermark TEXT,
    etag      TEXT,
    synced_at TEXT NOT NULL,
    pulled    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY,
    finding_id INTEGER REFERENCES findings(id),
    -- The event that made the change this row pushes.
    event_id   INTEGER,
    tracker    TEXT NOT NULL,
    -- The remote object: kind and number are NULL for a ticket still to be created.
    kind       TEXT,
    repo       TEXT NOT NULL,
    number     INTEGER,
    -- JSON: a trackers::Operation, or a ticket request.
    op         TEXT NOT NULL,
    -- pending | done | failed (permanent; kept for a person) | superseded (the tracker's newer
    -- change won a conflict)
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    done_at    TEXT,
    result     TEXT
);
CREATE INDEX outbox_open ON outbox(state, id) WHERE state IN ('pending', 'failed');
CREATE INDEX outbox_by_finding ON outbox(finding_id, id);
"#,
    // 5: a cheap stand-in for a report's digest (its size and the SHA-256 of its first and last
    // 64 KiB), so that a report that cannot be one already imported is not read twice.
    r#"
ALTER TABLE scans ADD COLUMN probe TEXT;
"#,
    // 6: one index fewer to maintain per imported finding (each costs about a microsecond, a
    // tenth of a large import): the identity index also covers "the active findings of a scope",
    // which closing what a scan no longer reports reads.
    r#"
DROP INDEX findings_scope_status;
DROP INDEX findings_identity;
CREATE INDEX findings_identity ON findings(scope_id, fp_key, status, severity);
"#,
    // 7: the findings with an open ticket, which hear when their lane or due date moves; asked
    // on every reassessment, so it must not scan the links of tens of thousands of alerts.
    r#"
CREATE INDEX tracker_links_open_issues ON tracker_links(finding_id)
    WHERE kind = 'issue' AND state = 'open';
"#,
];

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
