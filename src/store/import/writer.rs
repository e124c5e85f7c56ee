//! Applies a report's events to SQLite inside the import's transaction. The hot path: one
//! identity lookup (skipped while a scope is empty), one write, one event per changed finding;
//! the findings a scan creates share one `created` event that lists their id ranges (a million
//! per-finding events and their index entries were a fifth of a large import).

use super::prepare::{Keys, scope_of};
use super::{BACKFILL_GAP, ImportOptions, ImportOutcome, ScanSummary};
use crate::ingest::{ImportEvent, ImportedFinding, RunEnd, RunInfo};
use crate::model::{Severity, Status};
use crate::store::StoreError;
use crate::store::counters::CounterDeltas;
use crate::store::enrichment::Exploitability;
use crate::store::events::{EventWriter, NewEvent};
use crate::store::notify::on_fixed;
use crate::store::outbox::Origin;
use crate::store::triage::{Scope, new_record, reassess};
use crate::triage::assess::{Assessor, Facts};
use rusqlite::{OptionalExtension, Statement, Transaction, params};
use std::collections::HashMap;
use std::rc::Rc;

/// Finding ids seen by a scan: a bit per rowid, so a million cost 125 KB.
#[derive(Default)]
struct SeenIds(Vec<u64>);

impl SeenIds {
    /// Marks `id`; returns whether it was already marked.
    fn mark(&mut self, id: i64) -> bool {
        let (word, bit) = ((id as u64 / 64) as usize, id as u64 % 64);
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        let was = self.0[word] & (1 << bit) != 0;
        self.0[word] |= 1 << bit;
        was
    }

    fn contains(&self, id: i64) -> bool {
        let (word, bit) = ((id as u64 / 64) as usize, id as u64 % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}

struct ScopeRun {
    scope_id: i64,
    scan_id: i64,
    seen_ids: SeenIds,
    /// The scope had no findings before this scan: a result whose key did not come earlier in
    /// the report (`Keys::repeat`) cannot be in the table, so its identity probe is skipped.
    fresh: bool,
    /// `{"scan":N,"commit":...}`, the same for every event this scan writes.
    payload: Rc<str>,
    summary: ScanSummary,
    /// The latest scan of this scope before this one: (id, digest).
    previous: Option<(i64, String)>,
    /// Ids of the findings this scan created, as inclusive ranges (ids are consecutive within
    /// a run): recorded as one `created` event rather than one event per finding.
    created: Vec<(i64, i64)>,
}

/// Statements prepared once per import; `prepare_cached` per row cost a hash of the SQL text.
struct Statements<'t> {
    lookup: Statement<'t>,
    insert: Statement<'t>,
    refresh: Statement<'t>,
    seen: Statement<'t>,
    reopen: Statement<'t>,
    close: Statement<'t>,
}

impl<'t> Statements<'t> {
    fn new(txn: &'t Transaction<'_>) -> Result<Self, StoreError> {
        Ok(Statements {
            lookup: txn.prepare(
                "SELECT id, status, severity, content_hash FROM findings
                 WHERE scope_id = ?1 AND fp_key = ?2 AND fingerprint = ?3",
            )?,
            insert: txn.prepare(
                "INSERT INTO findings(scope_id, repo, tool, fingerprint, fp_key, rule, title, message,
                    severity, cwe, cve, path, start_line, end_line, snippet, help_uri, suppressed,
                    baseline_state, fixes, content_hash, first_seen, last_seen, last_scan_id, status,
                    score, kev, kev_due, epss, epss_pct, exposed, tier, risk, lane, due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?21, ?22, 'open', ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31,
                    ?32)",
            )?,
            refresh: txn.prepare(
                "UPDATE findings SET rule = ?2, title = ?3, message = ?4, severity = ?5, cwe = ?6,
                    cve = ?7, path = ?8, start_line = ?9, end_line = ?10, snippet = ?11,
                    help_uri = ?12, suppressed = ?13, fixes = ?14, content_hash = ?15, score = ?16,
                    kev = ?17, kev_due = ?18, epss = ?19, epss_pct = ?20
                 WHERE id = ?1",
            )?,
            seen: txn.prepare(
                "UPDATE findings SET last_seen = ?2, last_scan_id = ?3, baseline_state = ?4 WHERE id = ?1",
            )?,
            reopen: txn.prepare(
                "UPDATE findings SET status = 'open', reopened_at = ?2 WHERE id = ?1",
            )?,
            // A closed finding has no deadline.
            close: txn.prepare("UPDATE findings SET status = 'fixed', due = NULL WHERE id = ?1")?,
        })
    }
}

pub(super) struct Writer<'t, 'o> {
    txn: &'t Transaction<'t>,
    opts: &'o ImportOptions,
    at: String,
    events: EventWriter,
    counters: CounterDeltas,
    stmts: Statements<'t>,
    scopes: Vec<ScopeRun>,
    by_key: HashMap<(String, String), usize>,
    current: Option<usize>,
    assessor: Assessor<'o>,
    exploitability: Exploitability<'t>,
    /// Findings reopened or refreshed: reassessed once at the end.
    touched: Vec<i64>,
    /// Any finding is linked to a tracker: only then can closing one owe a tracker a push.
    has_links: bool,
}

impl<'t, 'o> Writer<'t, 'o> {
    pub(super) fn new(
        txn: &'t Transaction<'t>,
        opts: &'o ImportOptions,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self, StoreError> {
        let at = crate::clock::stamp(now);
        Ok(Writer {
            assessor: Assessor::new(&opts.policy, now).map_err(StoreError::Invalid)?,
            exploitability: Exploitability::new(txn)?,
            touched: Vec::new(),
            has_links: txn.query_row(
                "SELECT EXISTS (SELECT 1 FROM tracker_links WHERE kind = 'issue')",
                [],
                |r| r.get(0),
            )?,
            txn,
            opts,
            at,
            events: EventWriter::new(txn)?,
            counters: CounterDeltas::default(),
            stmts: Statements::new(txn)?,
            scopes: Vec::new(),
            by_key: HashMap::new(),
            current: None,
        })
    }

    /// `keys` are the finding's, worked out on the parser's thread (`prepare`); without them
    /// the writer computes them and probes for every finding, which is slower but as right.
    pub(super) fn apply(&mut self, ev: &ImportEvent, keys: Option<Keys>) -> Result<(), StoreError> {
        match ev {
            ImportEvent::BeginRun(info) => self.begin_run(info),
            ImportEvent::Finding(f) => {
                let idx = self.current.ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "{}: a result came outside of a run",
                        self.opts.source
                    ))
                })?;
                let keys = keys.unwrap_or_else(|| Keys::of(f));
                self.finding(idx, f, &keys)
            }
            ImportEvent::EndRun(end) => {
                self.end_run(end);
                Ok(())
            }
        }
    }

    fn event(
        &mut self,
        finding_id: Option<i64>,
        kind: &str,
        reason: Option<&str>,
        payload: &str,
    ) -> Result<i64, StoreError> {
        self.events.append(
            self.txn,
            &NewEvent {
                finding_id,
                at: &self.at,
                actor: &self.opts.actor,
                kind,
                reason,
                payload,
            },
        )
    }

    fn begin_run(&mut self, info: &RunInfo) -> Result<(), StoreError> {
        let txn = self.txn;
        let (repo, tool) = scope_of(self.opts.repo.as_deref(), info);
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
        let previous: Option<(i64, String, String)> = txn
            .query_row(
                "SELECT id, digest, COALESCE(started_at, imported_at) FROM scans
                 WHERE scope_id = ?1 ORDER BY id DESC LIMIT 1",
                [scope_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let started = info.started_at.clone().unwrap_or_else(|| self.at.clone());
        let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        let much_older =
            previous
                .as_ref()
                .is_some_and(|(_, _, prev)| match (parse(prev), parse(&started)) {
                    (Some(prev), Some(this)) => prev - this > BACKFILL_GAP,
                    _ => false,
                });
        let out_of_order = self.opts.backfill || much_older;
        let was_empty: bool = !txn.query_row(
            "SELECT EXISTS (SELECT 1 FROM findings WHERE scope_id = ?1)",
            [scope_id],
            |r| r.get(0),
        )?;
        let commit = self
            .opts
            .commit
            .clone()
            .or_else(|| info.commit_hint.clone());
        txn.execute(
            "INSERT INTO scans(scope_id, source, tool_version, commit_sha, started_at, imported_at,
                               actor, digest, requested_repo, complete, out_of_order)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', ?8, 0, ?9)",
            params![
                scope_id,
                self.opts.source,
                info.tool_version,
                commit,
                info.started_at,
                self.at,
                self.opts.actor,
                self.opts.repo,
                out_of_order
            ],
        )?;
        let scan_id = txn.last_insert_rowid();
        self.scopes.push(ScopeRun {
            scope_id,
            scan_id,
            seen_ids: SeenIds::default(),
            fresh: was_empty,
            payload: serde_json::json!({ "scan": scan_id, "commit": commit })
                .to_string()
                .into(),
            summary: ScanSummary {
                scan_id,
                repo: repo.clone(),
                tool: tool.clone(),
                commit,
                complete: true,
                out_of_order,
                results: 0,
                new: 0,
                seen: 0,
                closed: 0,
                reopened: 0,
                updated: 0,
                duplicates: 0,
            },
            previous: previous.map(|(id, digest, _)| (id, digest)),
            created: Vec::new(),
        });
        let idx = self.scopes.len() - 1;
        self.by_key.insert((repo, tool), idx);
        self.current = Some(idx);
        Ok(())
    }

    fn end_run(&mut self, end: &RunEnd) {
        if let Some(idx) = self.current.take() {
            let s = &mut self.scopes[idx].summary;
            s.complete &= end.complete();
            s.results += end.result_count;
        }
    }

    fn insert(
        &mut self,
        idx: usize,
        f: &ImportedFinding,
        key: i64,
        content: &[u8],
    ) -> Result<i64, StoreError> {
        let run = &self.scopes[idx];
        let s = &run.summary;
        let x = self.exploitability.of(f.cve.as_deref())?;
        let mut rec = new_record(f, &s.tool, &s.repo, &self.at, &x);
        let facts = Facts {
            score: f.score,
            kev_due: x.kev_due,
            first_seen: Some(self.assessor.now()),
            reopened_at: None,
        };
        let a = self.assessor.assess(&mut rec, &facts);
        let lane = a.lane.map(|i| self.opts.policy.lanes[i].name.as_str());
        self.stmts.insert.execute(params![
            run.scope_id,
            s.repo,
            s.tool,
            f.fingerprint,
            key,
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
            run.scan_id,
            f.score,
            x.kev,
            x.kev_due.map(crate::clock::day),
            x.epss,
            x.epss_pct,
            a.exposed,
            a.tier,
            a.risk,
            lane,
            a.due.map(crate::clock::day)
        ])?;
        Ok(self.txn.last_insert_rowid())
    }

    fn finding(&mut self, idx: usize, f: &ImportedFinding, keys: &Keys) -> Result<(), StoreError> {
        let (key, content) = (keys.fp_key, &keys.content);
        let run = &mut self.scopes[idx];
        let surely_new = run.fresh && !keys.repeat;
        let existing = if surely_new {
            None
        } else {
            self.stmts
                .lookup
                .query_row(params![run.scope_id, key, f.fingerprint], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                })
                .optional()?
        };
        let Some((id, status, severity, old_content)) = existing else {
            let id = self.insert(idx, f, key, content)?;
            let run = &mut self.scopes[idx];
            run.seen_ids.mark(id);
            run.summary.new += 1;
            match run.created.last_mut() {
                Some((_, last)) if *last + 1 == id => *last = id,
                _ => run.created.push((id, id)),
            }
            self.counters.add(Status::Open, f.severity);
            return Ok(());
        };
        let run = &mut self.scopes[idx];
        if run.seen_ids.mark(id) {
            // The same finding twice in one scan (duplicated results): counted once.
            run.summary.duplicates += 1;
            return Ok(());
        }
        if run.summary.out_of_order {
            // History we already moved past: record nothing but the sighting.
            run.summary.seen += 1;
            return Ok(());
        }
        let status: Status = status.parse().map_err(StoreError::Invalid)?;
        let severity = Severity::from_rank(severity).unwrap_or_default();
        let (scan_id, payload) = (run.scan_id, Rc::clone(&run.payload));
        let mut current = status;
        if status.is_resolved_by_code() {
            self.stmts.reopen.execute(params![id, self.at])?;
            self.touched.push(id);
            self.counters
                .moved((status, severity), (Status::Open, severity));
            current = Status::Open;
            self.scopes[idx].summary.reopened += 1;
            self.event(
                Some(id),
                "reopened",
                Some("seen again by a scan after it was fixed"),
                &payload,
            )?;
        } else {
            self.scopes[idx].summary.seen += 1;
        }
        if old_content[..] != content[..] {
            let x = self.exploitability.of(f.cve.as_deref())?;
            self.stmts.refresh.execute(params![
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
                &content[..],
                f.score,
                x.kev,
                x.kev_due.map(crate::clock::day),
                x.epss,
                x.epss_pct
            ])?;
            self.touched.push(id);
            self.counters
                .moved((current, severity), (current, f.severity));
            self.scopes[idx].summary.updated += 1;
            self.event(
                Some(id),
                "updated",
                Some("details changed in a newer scan"),
                &payload,
            )?;
        }
        self.stmts
            .seen
            .execute(params![id, self.at, scan_id, f.baseline_state])?;
        Ok(())
    }

    pub(super) fn finish(mut self, digest: &str) -> Result<ImportOutcome, StoreError> {
        if !self.scopes.is_empty()
            && self
                .scopes
                .iter()
                .all(|r| r.previous.as_ref().is_some_and(|(_, d)| d == digest))
        {
            // Name the scans already recorded, not this import's (which is rolled back).
            let mut scan_ids: Vec<i64> = self
                .scopes
                .iter()
                .filter_map(|r| r.previous.as_ref().map(|(id, _)| *id))
                .collect();
            scan_ids.sort_unstable();
            return Ok(ImportOutcome::Unchanged { scan_ids });
        }
        let mut summaries = Vec::with_capacity(self.scopes.len());
        for idx in 0..self.scopes.len() {
            self.close_absent(idx)?;
            let run = &self.scopes[idx];
            let s = &run.summary;
            self.txn.execute(
                "UPDATE scans SET digest = ?2, complete = ?3, result_count = ?4, new_count = ?5,
                    seen_count = ?6, closed_count = ?7, reopened_count = ?8, updated_count = ?9,
                    probe = ?10
                 WHERE id = ?1",
                params![
                    run.scan_id,
                    digest,
                    s.complete,
                    s.results as i64,
                    s.new as i64,
                    s.seen as i64,
                    s.closed as i64,
                    s.reopened as i64,
                    s.updated as i64,
                    self.opts.probe
                ],
            )?;
            let summary = s.clone();
            if !run.created.is_empty() {
                let payload = serde_json::json!({
                    "scan": run.scan_id,
                    "commit": summary.commit,
                    "findings": run.created,
                })
                .to_string();
                self.event(None, "created", None, &payload)?;
            }
            let payload = serde_json::to_string(&summary)
                .map_err(|e| StoreError::Invalid(format!("cannot encode scan summary: {e}")))?;
            self.event(None, "scan", None, &payload)?;
            summaries.push(summary);
        }
        std::mem::take(&mut self.counters).apply(self.txn)?;
        reassess(self.txn, &self.assessor, Scope::Ids(&self.touched))?;
        Ok(ImportOutcome::Imported(summaries))
    }

    /// Active findings of the scope that this (complete, in-order) scan did not report are fixed.
    fn close_absent(&mut self, idx: usize) -> Result<(), StoreError> {
        let run = &self.scopes[idx];
        // A scope empty before this scan has nothing this scan could have missed.
        if !run.summary.complete || run.summary.out_of_order || run.fresh {
            return Ok(());
        }
        // Read from the covering index alone; the bitset says which of them this scan saw.
        let mut absent: Vec<(i64, String, i64)> = Vec::new();
        let mut stmt = self.txn.prepare(&format!(
            "SELECT id, status, severity FROM findings WHERE scope_id = ?1 AND status IN ({})",
            Status::active_sql_list()
        ))?;
        let mut rows = stmt.query([run.scope_id])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if !run.seen_ids.contains(id) {
                absent.push((id, r.get(1)?, r.get(2)?));
            }
        }
        drop(rows);
        drop(stmt);
        let payload = Rc::clone(&run.payload);
        for (id, status, severity) in absent {
            let status: Status = status.parse().map_err(StoreError::Invalid)?;
            let severity = Severity::from_rank(severity).unwrap_or_default();
            self.stmts.close.execute([id])?;
            self.counters
                .moved((status, severity), (Status::Fixed, severity));
            let event_id = self.event(
                Some(id),
                "fixed",
                Some("absent from a newer complete scan"),
                &payload,
            )?;
            if self.has_links {
                let origin = Origin {
                    finding_id: id,
                    event_id,
                    at: &self.at,
                };
                on_fixed(self.txn, &origin)?;
            }
            self.scopes[idx].summary.closed += 1;
        }
        Ok(())
    }
}
