//! Import: a parser thread streams events from the report while this thread applies them to
//! SQLite, all in one transaction, so a killed or failed import leaves the database as it was.
//!
//! Rescan rules, per scope (repo, tool): a finding seen again gets `last_seen` (and refreshed
//! details); an active finding absent from a complete, newer scan is closed as fixed; a fixed
//! finding that comes back is reopened; a person's decision is never changed by a scan. A report
//! identical to the latest scan of every scope it covers changes nothing.

mod journal;
mod prepare;
mod writer;

use super::StoreError;
use crate::clock::Clock;
use crate::ingest::{ImportEvent, IngestError};
use crossbeam_channel::bounded;
pub(crate) use prepare::fp_key;
use sha2::{Digest, Sha256};
use std::io::Read;
use writer::Writer;

/// A streaming report parser, e.g. `|r, f, e| ingest::sarif::parse(r, f, e)`.
pub trait Parser:
    FnOnce(
        &mut dyn Read,
        &str,
        &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
    ) -> Result<(), IngestError>
    + Send
{
}

impl<F> Parser for F where
    F: FnOnce(
            &mut dyn Read,
            &str,
            &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
        ) -> Result<(), IngestError>
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
    /// Lanes, risk and due dates for what the import adds or changes.
    pub policy: crate::triage::policy::Policy,
    /// The report's `file_probe`, stored on its scans (a file's; stdin has none).
    pub probe: Option<String>,
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
    Unchanged {
        scan_ids: Vec<i64>,
    },
}

/// Events travel in batches: one channel message per result would cost more than parsing it.
const BATCH: usize = 512;
/// Batches in flight: enough to keep the writer busy, few enough to bound memory (~10 MB).
const IN_FLIGHT: usize = 16;

/// An event with its finding's keys (`prepare`).
type Prepared = (ImportEvent, Option<prepare::Keys>);

enum Msg {
    Batch(Vec<Prepared>),
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

/// SHA-256 of a file's bytes, as `import_report` computes it while it reads.
pub fn file_digest(path: &std::path::Path) -> std::io::Result<String> {
    let mut reader = HashingReader {
        inner: std::fs::File::open(path)?,
        hasher: Sha256::new(),
    };
    std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok(hex::encode(reader.hasher.finalize()))
}

/// How much of each end of a report `file_probe` reads.
const PROBE_SPAN: u64 = 64 * 1024;

/// A report's size and the SHA-256 of its first and last 64 KiB. Two files with different
/// probes differ; the same probe only says they may be the same, which the full digest decides.
pub fn file_probe(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = Sha256::new();
    hasher.update(size.to_le_bytes());
    let mut buf = Vec::with_capacity(PROBE_SPAN as usize);
    (&mut file).take(PROBE_SPAN).read_to_end(&mut buf)?;
    hasher.update(&buf);
    if size > PROBE_SPAN {
        buf.clear();
        file.seek(SeekFrom::Start(
            size.saturating_sub(PROBE_SPAN).max(PROBE_SPAN),
        ))?;
        file.take(PROBE_SPAN).read_to_end(&mut buf)?;
        hasher.update(&buf);
    }
    Ok(hex::encode(hasher.finalize()))
}

impl super::Store {
    /// Whether a report with this `file_probe` (and this `--repo`) may be the latest import of
    /// its scopes, so that hashing all of it first could save the import. Scans recorded without
    /// a probe (from stdin, or before probes) may be anything.
    pub fn may_be_unchanged(
        &self,
        probe: &str,
        requested_repo: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM scans s
                 WHERE requested_repo IS ?2 AND (probe IS NULL OR probe = ?1)
                   AND id = (SELECT MAX(id) FROM scans WHERE scope_id = s.scope_id))",
            rusqlite::params![probe, requested_repo],
            |r| r.get(0),
        )?)
    }

    /// The scans of the last import of a report with this digest (and this `--repo`), if every
    /// one of them is still the latest scan of its scope: importing it again would change
    /// nothing, so a caller that can hash the file first need not parse it.
    pub fn unchanged_report(
        &self,
        digest: &str,
        requested_repo: Option<&str>,
    ) -> Result<Option<Vec<i64>>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, scope_id, imported_at FROM scans
             WHERE digest = ?1 AND requested_repo IS ?2 ORDER BY id DESC",
        )?;
        let rows: Vec<(i64, i64, String)> = stmt
            .query_map(rusqlite::params![digest, requested_repo], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let Some(last_import) = rows.first().map(|r| r.2.clone()) else {
            return Ok(None);
        };
        let mut ids = Vec::new();
        for (id, scope, _) in rows.iter().filter(|r| r.2 == last_import) {
            let latest: i64 = self.conn.query_row(
                "SELECT MAX(id) FROM scans WHERE scope_id = ?1",
                [scope],
                |r| r.get(0),
            )?;
            if latest != *id {
                return Ok(None);
            }
            ids.push(*id);
        }
        ids.sort_unstable();
        Ok(Some(ids))
    }

    /// Imports one report. The parser runs on its own thread; this one writes.
    pub fn import_report<R: Read + Send>(
        &mut self,
        reader: R,
        parse: impl Parser,
        opts: &ImportOptions,
        clock: &dyn Clock,
    ) -> Result<ImportOutcome, StoreError> {
        let cache = super::import_cache_kib()?;
        let journal = journal::enter(&self.conn, super::BUSY_TIMEOUT)?;
        self.conn.pragma_update(None, "cache_size", cache)?;
        // The writer points findings only at the scope and scan rows it wrote or read in this
        // same transaction; SQLite's two parent lookups per finding would check nothing else
        // (and cost 3-5% of a large import).
        self.conn.pragma_update(None, "foreign_keys", "OFF")?;
        let outcome = self.import_inner(reader, parse, opts, clock);
        let restored = self
            .conn
            .pragma_update(None, "foreign_keys", "ON")
            .and_then(|()| {
                self.conn
                    .pragma_update(None, "cache_size", super::NORMAL_CACHE_KIB)
            });
        journal::leave(&self.conn, journal);
        restored?;
        outcome
    }

    fn import_inner<R: Read + Send>(
        &mut self,
        reader: R,
        parse: impl Parser,
        opts: &ImportOptions,
        clock: &dyn Clock,
    ) -> Result<ImportOutcome, StoreError> {
        let (tx, rx) = bounded::<Msg>(IN_FLIGHT);
        // Batches the writer is done with go back to be dropped on the parser's thread: freeing
        // a million findings' strings is work the writer's thread has no time for.
        let (recycle, recycled) = bounded::<Vec<Prepared>>(IN_FLIGHT);
        let source = opts.source.clone();
        let mut preparer = prepare::Preparer::new(opts.repo.clone());
        let conn = &mut self.conn;
        std::thread::scope(|s| {
            let parser = s.spawn(move || -> Result<(), IngestError> {
                let mut hashing = HashingReader {
                    inner: reader,
                    hasher: Sha256::new(),
                };
                let fresh_batch = || match recycled.try_recv() {
                    Ok(mut old) => {
                        old.clear();
                        old
                    }
                    Err(_) => Vec::with_capacity(BATCH),
                };
                let mut batch = fresh_batch();
                let stopped = || IngestError {
                    file: source.clone(),
                    location: String::new(),
                    message: "import stopped".into(),
                };
                let mut emit = |ev: ImportEvent| -> Result<(), IngestError> {
                    let keys = preparer.prepare(&ev);
                    batch.push((ev, keys));
                    if batch.len() >= BATCH {
                        let full = std::mem::replace(&mut batch, fresh_batch());
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
                let mut w = Writer::new(&txn, opts, clock.now())?;
                for msg in rx.iter() {
                    match msg {
                        Msg::Batch(events) => {
                            for (ev, keys) in &events {
                                w.apply(ev, *keys)?;
                            }
                            // Dropped here after all if the parser has enough in hand.
                            let _ = recycle.try_send(events);
                        }
                        Msg::Done { digest } => {
                            let outcome = w.finish(&digest)?;
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

#[cfg(test)]
mod tests {
    use super::file_probe;

    #[test]
    fn a_probe_tells_files_apart_by_size_and_ends_but_not_by_their_middle() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            file_probe(&p).unwrap()
        };
        let base: Vec<u8> = (0..400_000u32).map(|i| (i % 251) as u8).collect();
        let probe = write("a", &base);
        assert_eq!(write("same", &base), probe);
        let mut head = base.clone();
        head[10] ^= 1;
        assert_ne!(write("head", &head), probe);
        let mut tail = base.clone();
        *tail.last_mut().unwrap() ^= 1;
        assert_ne!(write("tail", &tail), probe);
        assert_ne!(write("short", &base[..base.len() - 1]), probe);
        // The middle is left to the full digest: the probe only says "may be the same".
        let mut middle = base.clone();
        middle[200_000] ^= 1;
        assert_eq!(write("middle", &middle), probe);
        // Small files are read whole.
        assert_ne!(write("s1", b"{}"), write("s2", b"[]"));
    }
}
