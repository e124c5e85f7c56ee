//! Import: a parser thread streams events from the report while this thread applies them to
//! SQLite, all in one transaction, so a killed or failed import leaves the database as it was.
//!
//! Rescan rules, per scope (repo, tool): a finding seen again gets `last_seen` (and refreshed
//! details); an active finding absent from a complete, newer scan is closed as fixed; a fixed
//! finding that comes back is reopened; a person's decision is never changed by a scan. A report
//! identical to the latest scan of every scope it covers changes nothing.

use super::StoreError;
use super::events::{EventWriter, NewEvent};
use crate::clock::{Clock, stamp};
use crate::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use crate::model::Status;
use crossbeam_channel::bounded;
use rusqlite::{OptionalExtension, Transaction, params};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;

/// A streaming report parser, e.g. `|r, f, e| ingest::sarif::parse(r, f, e)`.
pub trait Parser:
    FnOnce(&mut dyn Read, &str, &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>) -> Result<(), IngestError>
    + Send
{
}

impl<F> Parser for F where
    F: FnOnce(&mut dyn Read, &str, &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>) -> Result<(), IngestError>
        + Send
{
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Shown in messages and stored on the scan (a file path, or "-" for stdin).
    pub source: String,
    /// Overrides the repository the report names; otherwise the report's, else "default".
    pub repo: Option<String>,
    /// Overrides the commit the report names.
    pub commit: Option<String>,
    /// Who imported (recorded on every event).
    pub actor: String,
    /// An older report imported late: add what is new, close and reopen nothing.
    pub backfill: bool,
}

/// A report whose run started this much before the latest scan of its scope is treated as a
/// backfill even when not marked as one. Scans of different commits run minutes apart in CI
/// are common, so the run time alone cannot order them; a day apart it can.
const BACKFILL_GAP: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// What one import did to one scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScanSummary {
    pub scan_id: i64,
    pub repo: String,
    pub tool: String,
    pub commit: Option<String>,
    /// The report says the analysis ran to the end; only then are absent findings closed.
    pub complete: bool,
    /// Older than the latest scan of its scope: new findings are added, nothing closes or reopens.
    pub out_of_order: bool,
    pub results: u64,
    pub new: u64,
    pub seen: u64,
    pub closed: u64,
    pub reopened: u64,
    pub updated: u64,
    /// Results that repeated a finding already seen in this scan (counted once).
    pub duplicates: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported(Vec<ScanSummary>),
    /// Byte-for-byte the report already recorded as the latest scan of each scope: nothing written.
    Unchanged { scan_ids: Vec<i64> },
}

/// Events travel in batches: one channel message per result would cost more than parsing it.
const BATCH: usize = 512;

enum Msg {
    Batch(Vec<ImportEvent>),
    Done { digest: String },
}

/// Feeds everything it reads into SHA-256, so the report's identity costs no second pass.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl super::Store {
    /// Imports one report. The parser runs on its own thread; this one writes.
    pub fn import_report<R: Read + Send>(
        &mut self,
        reader: R,
        parse: impl Parser,
        opts: &ImportOptions,
        clock: &dyn Clock,
    ) -> Result<ImportOutcome, StoreError> {
        let (tx, rx) = bounded::<Msg>(64);
        let source = opts.source.clone();
        let conn = &mut self.conn;
        std::thread::scope(|s| {
            let parser = s.spawn(move || -> Result<(), IngestError> {
                let mut hashing = HashingReader {
                    inner: reader,
                    hasher: Sha256::new(),
                };
                let mut batch = Vec::with_capacity(BATCH);
                let stopped = || IngestError {
                    file: source.clone(),
                    location: String::new(),
                    message: "import stopped".into(),
                };
                let mut emit = |ev: ImportEvent| -> Result<(), IngestError> {
                    batch.push(ev);
                    if batch.len() >= BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        tx.send(Msg::Batch(full)).map_err(|_| stopped())?;
                    }
                    Ok(())
                };
                parse(&mut hashing, &source, &mut emit)?;
                if !batch.is_empty() {
                    tx.send(Msg::Batch(batch)).map_err(|_| stopped())?;
                }
                let digest = hex::encode(hashing.hasher.finalize());
                tx.send(Msg::Done { digest }).map_err(|_| stopped())?;
                Ok(())
            });

            let written = (|| -> Result<Option<ImportOutcome>, StoreError> {
                let txn = conn.transaction()?;
                let mut w = Writer::new(&txn, opts, stamp(clock.now()))?;
                for msg in rx.iter() {
                    match msg {
                        Msg::Batch(events) => {
                            for ev in events {
                                w.apply(&txn, ev)?;
                            }
                        }
                        Msg::Done { digest } => {
                            let outcome = w.finish(&txn, &digest)?;
                            if matches!(outcome, ImportOutcome::Imported(_)) {
                                txn.commit()?;
                            }
                            return Ok(Some(outcome));
                        }
                    }
                }
                // The parser hung up without `Done`: it failed, and says why below.
                Ok(None)
            })();
            // Closing our end makes a still-running parser stop at its next send.
            drop(rx);
            let parsed = parser.join().unwrap_or_else(|_| {
                Err(IngestError {
                    file: opts.source.clone(),
                    location: String::new(),
                    message: "the parser crashed".into(),
                })
            });
            match (written, parsed) {
                (Err(e), _) => Err(e),
                (Ok(_), Err(e)) => Err(e.into()),
                (Ok(Some(outcome)), Ok(())) => Ok(outcome),
                (Ok(None), Ok(())) => Err(StoreError::Invalid(format!(
                    "{}: the parser ended without finishing the report",
                    opts.source
                ))),
            }
        })
    }
}

struct ScopeRun {
    scope_id: i64,
    scan_id: i64,
    repo: String,
    tool: String,
    commit: Option<String>,
    previous_digest: Option<String>,
    out_of_order: bool,
    complete: bool,
    results: u64,
    new: u64,
    seen: u64,
    closed: u64,
    reopened: u64,
    updated: u64,
    duplicates: u64,
}

struct Writer<'o> {
    opts: &'o ImportOptions,
    at: String,
    events: EventWriter,
    scopes: Vec<ScopeRun>,
    by_key: HashMap<(String, String), usize>,
    current: Option<usize>,
}

impl<'o> Writer<'o> {
    fn new(txn: &Transaction<'_>, opts: &'o ImportOptions, at: String) -> Result<Self, StoreError> {
        Ok(Writer {
            opts,
            at,
            events: EventWriter::new(txn)?,
            scopes: Vec::new(),
            by_key: HashMap::new(),
            current: None,
        })
    }

    fn apply(&mut self, txn: &Transaction<'_>, ev: ImportEvent) -> Result<(), StoreError> {
        match ev {
            ImportEvent::BeginRun(info) => self.begin_run(txn, &info),
            ImportEvent::Finding(f) => {
                let idx = self.current.ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "{}: a result came outside of a run",
                        self.opts.source
                    ))
                })?;
                self.finding(txn, idx, &f)
            }
            ImportEvent::EndRun(end) => {
                self.end_run(&end);
                Ok(())
            }
        }
    }

    fn begin_run(&mut self, txn: &Transaction<'_>, info: &RunInfo) -> Result<(), StoreError> {
        let repo = self
            .opts
            .repo
            .clone()
            .or_else(|| info.repo_hint.clone())
            .unwrap_or_else(|| "default".to_string());
        let tool = if info.tool.trim().is_empty() {
            "unknown".to_string()
        } else {
            info.tool.clone()
        };
        // Several runs of one tool in one report are one scan of that scope.
        if let Some(&idx) = self.by_key.get(&(repo.clone(), tool.clone())) {
            self.current = Some(idx);
            return Ok(());
        }
        txn.execute(
            "INSERT INTO scopes(repo, tool) VALUES (?1, ?2) ON CONFLICT(repo, tool) DO NOTHING",
            params![repo, tool],
        )?;
        let scope_id: i64 = txn.query_row(
            "SELECT id FROM scopes WHERE repo = ?1 AND tool = ?2",
            params![repo, tool],
            |r| r.get(0),
        )?;
        let previous: Option<(String, String)> = txn
            .query_row(
                "SELECT digest, COALESCE(started_at, imported_at) FROM scans
                 WHERE scope_id = ?1 ORDER BY id DESC LIMIT 1",
                [scope_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let started = info.started_at.clone().unwrap_or_else(|| self.at.clone());
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        let much_older = previous.as_ref().is_some_and(|(_, prev_time)| {
            match (parse(prev_time), parse(&started)) {
                (Some(prev), Some(this)) => prev - this > BACKFILL_GAP,
                _ => false,
            }
        });
        let out_of_order = self.opts.backfill || much_older;
        let commit = self.opts.commit.clone().or_else(|| info.commit_hint.clone());
        txn.execute(
            "INSERT INTO scans(scope_id, source, tool_version, commit_sha, started_at, imported_at,
                               actor, digest, complete, out_of_order)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', 0, ?8)",
            params![
                scope_id,
                self.opts.source,
                info.tool_version,
                commit,
                info.started_at,
                self.at,
                self.opts.actor,
                out_of_order
            ],
        )?;
        let scan_id = txn.last_insert_rowid();
        self.scopes.push(ScopeRun {
            scope_id,
            scan_id,
            repo: repo.clone(),
            tool: tool.clone(),
            commit,
            previous_digest: previous.map(|(d, _)| d),
            out_of_order,
            complete: true,
            results: 0,
            new: 0,
            seen: 0,
            closed: 0,
            reopened: 0,
            updated: 0,
            duplicates: 0,
        });
        let idx = self.scopes.len() - 1;
        self.by_key.insert((repo, tool), idx);
        self.current = Some(idx);
        Ok(())
    }

    fn end_run(&mut self, end: &RunEnd) {
        if let Some(idx) = self.current.take() {
            let run = &mut self.scopes[idx];
            run.complete &= end.complete();
            run.results += end.result_count;
        }
    }

    fn finding(
        &mut self,
        txn: &Transaction<'_>,
        idx: usize,
        f: &ImportedFinding,
    ) -> Result<(), StoreError> {
        let content = content_hash(f);
        let run = &mut self.scopes[idx];
        let existing: Option<(i64, String, String, Option<i64>)> = txn
            .prepare_cached(
                "SELECT id, status, content_hash, last_scan_id FROM findings
                 WHERE scope_id = ?1 AND fingerprint = ?2",
            )?
            .query_row(params![run.scope_id, f.fingerprint], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((id, status, old_content, last_scan)) = existing else {
            txn.prepare_cached(
                "INSERT INTO findings(scope_id, repo, tool, fingerprint, rule, title, message, severity,
                    cwe, cve, path, start_line, end_line, snippet, help_uri, suppressed, baseline_state,
                    fixes, content_hash, first_seen, last_seen, last_scan_id, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?20, ?21, 'open')",
            )?
            .execute(params![
                run.scope_id,
                run.repo,
                run.tool,
                f.fingerprint,
                f.rule,
                f.title,
                f.message,
                f.severity.rank(),
                f.cwe,
                f.cve,
                f.path,
                f.start_line,
                f.end_line,
                f.snippet,
                f.help_uri,
                f.suppressed,
                f.baseline_state,
                f.fixes,
                content,
                self.at,
                run.scan_id
            ])?;
            let id = txn.last_insert_rowid();
            run.new += 1;
            let payload = format!("{{\"scan\":{}}}", run.scan_id);
            self.events.append(
                txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &self.at,
                    actor: &self.opts.actor,
                    kind: "created",
                    reason: None,
                    payload: &payload,
                },
            )?;
            return Ok(());
        };
        if last_scan == Some(run.scan_id) {
            // The same finding twice in one scan (duplicated results): already counted.
            run.duplicates += 1;
            return Ok(());
        }
        if run.out_of_order {
            // History we already moved past: record nothing but the sighting.
            run.seen += 1;
            return Ok(());
        }
        let status: Status = status.parse().map_err(StoreError::Invalid)?;
        let payload = scan_payload(run.scan_id, run.commit.as_deref());
        if status.is_resolved_by_code() {
            txn.prepare_cached("UPDATE findings SET status = 'open' WHERE id = ?1")?
                .execute([id])?;
            run.reopened += 1;
            self.events.append(
                txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &self.at,
                    actor: &self.opts.actor,
                    kind: "reopened",
                    reason: Some("seen again by a scan after it was fixed"),
                    payload: &payload,
                },
            )?;
        } else {
            run.seen += 1;
        }
        if old_content != content {
            txn.prepare_cached(
                "UPDATE findings SET rule = ?2, title = ?3, message = ?4, severity = ?5, cwe = ?6,
                    cve = ?7, path = ?8, start_line = ?9, end_line = ?10, snippet = ?11,
                    help_uri = ?12, suppressed = ?13, fixes = ?14, content_hash = ?15
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                f.rule,
                f.title,
                f.message,
                f.severity.rank(),
                f.cwe,
                f.cve,
                f.path,
                f.start_line,
                f.end_line,
                f.snippet,
                f.help_uri,
                f.suppressed,
                f.fixes,
                content
            ])?;
            run.updated += 1;
            self.events.append(
                txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &self.at,
                    actor: &self.opts.actor,
                    kind: "updated",
                    reason: Some("details changed in a newer scan"),
                    payload: &payload,
                },
            )?;
        }
        txn.prepare_cached(
            "UPDATE findings SET last_seen = ?2, last_scan_id = ?3, baseline_state = ?4 WHERE id = ?1",
        )?
        .execute(params![id, self.at, run.scan_id, f.baseline_state])?;
        Ok(())
    }

    fn finish(
        &mut self,
        txn: &Transaction<'_>,
        digest: &str,
    ) -> Result<ImportOutcome, StoreError> {
        if !self.scopes.is_empty()
            && self
                .scopes
                .iter()
                .all(|r| r.previous_digest.as_deref() == Some(digest))
        {
            return Ok(ImportOutcome::Unchanged {
                scan_ids: self.scopes.iter().map(|r| r.scan_id).collect(),
            });
        }
        let mut summaries = Vec::with_capacity(self.scopes.len());
        for run in &mut self.scopes {
            if run.complete && !run.out_of_order {
                let absent: Vec<i64> = txn
                    .prepare_cached(&format!(
                        "SELECT id FROM findings WHERE scope_id = ?1 AND status IN ({})
                         AND (last_scan_id IS NULL OR last_scan_id != ?2)",
                        Status::active_sql_list()
                    ))?
                    .query_map(params![run.scope_id, run.scan_id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                let payload = scan_payload(run.scan_id, run.commit.as_deref());
                for id in absent {
                    txn.prepare_cached("UPDATE findings SET status = 'fixed' WHERE id = ?1")?
                        .execute([id])?;
                    self.events.append(
                        txn,
                        &NewEvent {
                            finding_id: Some(id),
                            at: &self.at,
                            actor: &self.opts.actor,
                            kind: "fixed",
                            reason: Some("absent from a newer complete scan"),
                            payload: &payload,
                        },
                    )?;
                    run.closed += 1;
                }
            }
            txn.execute(
                "UPDATE scans SET digest = ?2, complete = ?3, result_count = ?4, new_count = ?5,
                    seen_count = ?6, closed_count = ?7, reopened_count = ?8, updated_count = ?9
                 WHERE id = ?1",
                params![
                    run.scan_id,
                    digest,
                    run.complete,
                    run.results as i64,
                    run.new as i64,
                    run.seen as i64,
                    run.closed as i64,
                    run.reopened as i64,
                    run.updated as i64
                ],
            )?;
            let summary = ScanSummary {
                scan_id: run.scan_id,
                repo: run.repo.clone(),
                tool: run.tool.clone(),
                commit: run.commit.clone(),
                complete: run.complete,
                out_of_order: run.out_of_order,
                results: run.results,
                new: run.new,
                seen: run.seen,
                closed: run.closed,
                reopened: run.reopened,
                updated: run.updated,
                duplicates: run.duplicates,
            };
            let payload = serde_json::to_string(&summary)
                .map_err(|e| StoreError::Invalid(format!("cannot encode scan summary: {e}")))?;
            self.events.append(
                txn,
                &NewEvent {
                    finding_id: None,
                    at: &self.at,
                    actor: &self.opts.actor,
                    kind: "scan",
                    reason: None,
                    payload: &payload,
                },
            )?;
            summaries.push(summary);
        }
        Ok(ImportOutcome::Imported(summaries))
    }
}

fn scan_payload(scan_id: i64, commit: Option<&str>) -> String {
    serde_json::json!({ "scan": scan_id, "commit": commit }).to_string()
}

/// Identifies the details a rescan may refresh; `baseline_state` is per scan and left out.
fn content_hash(f: &ImportedFinding) -> String {
    let mut h = Sha256::new();
    let lines = [f.start_line, f.end_line].map(|l| l.map(|v| v.to_string()).unwrap_or_default());
    for part in [
        f.rule.as_str(),
        &f.title,
        &f.message,
        f.severity.as_str(),
        f.cwe.as_deref().unwrap_or(""),
        f.cve.as_deref().unwrap_or(""),
        f.path.as_deref().unwrap_or(""),
        &lines[0],
        &lines[1],
        f.snippet.as_deref().unwrap_or(""),
        f.help_uri.as_deref().unwrap_or(""),
        if f.suppressed { "1" } else { "0" },
        f.fixes.as_deref().unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}
