//! Exploitability facts for findings that carry CVE ids, from the KEV and EPSS tables.

use super::events::{EventWriter, NewEvent};
use super::triage::{Scope, reassess};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::triage::assess::Assessor;
use crate::triage::policy::Policy;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Statement, params};
use std::collections::HashMap;

/// What enrichment says of a finding's CVEs: the worst of them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Exploit {
    pub kev: bool,
    /// The earliest KEV remediation date among its CVEs.
    pub kev_due: Option<NaiveDate>,
    pub epss: Option<f64>,
    pub epss_pct: Option<f64>,
}

/// Looks up CVEs: the KEV catalog (about 1,500 entries) is held in memory, EPSS (about 300,000)
/// is read through its primary key.
pub struct Exploitability<'c> {
    kev: HashMap<String, Option<NaiveDate>>,
    epss: Statement<'c>,
    /// No EPSS rows at all: skip the lookups.
    epss_empty: bool,
}

impl<'c> Exploitability<'c> {
    pub fn new(conn: &'c Connection) -> Result<Self, StoreError> {
        let mut kev = HashMap::new();
        let mut stmt = conn.prepare("SELECT cve, due_date FROM kev")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let due: Option<String> = r.get(1)?;
            kev.insert(r.get(0)?, due.as_deref().and_then(crate::clock::parse_day));
        }
        let epss_empty: bool =
            conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM epss)", [], |r| r.get(0))?;
        Ok(Exploitability {
            kev,
            epss: conn.prepare("SELECT epss, percentile FROM epss WHERE cve = ?1")?,
            epss_empty,
        })
    }

    /// `cves` as stored on a finding: comma-separated, upper case.
    pub fn of(&mut self, cves: Option<&str>) -> Result<Exploit, StoreError> {
        let mut x = Exploit::default();
        let Some(cves) = cves else {
            return Ok(x);
        };
        for cve in cves.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if let Some(due) = self.kev.get(cve) {
                x.kev = true;
                x.kev_due = match (x.kev_due, *due) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            if self.epss_empty {
                continue;
            }
            let found: Option<(f64, Option<f64>)> = self
                .epss
                .query_row([cve], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if let Some((p, pct)) = found {
                x.epss = Some(x.epss.map_or(p, |e| e.max(p)));
                if let Some(pct) = pct {
                    x.epss_pct = Some(x.epss_pct.map_or(pct, |e| e.max(pct)));
                }
            }
        }
        Ok(x)
    }
}

/// What loading an enrichment file did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EnrichReport {
    pub kind: &'static str,
    pub file: String,
    pub version: Option<String>,
    pub entries: usize,
    /// Findings whose KEV listing or EPSS score changed.
    pub changed: Vec<i64>,
}

/// A finding's id, CVEs, and exploitability as stored: kev, kev_due, epss, epss_pct.
type StoredExploit = (i64, String, bool, Option<String>, Option<f64>, Option<f64>);

/// The KEV or EPSS rows to load, already parsed.
pub enum Source<'a> {
    Kev(&'a crate::enrich::kev::KevCatalog),
    Epss(&'a crate::enrich::epss::EpssFile),
}

impl Store {
    /// Replaces the KEV catalog or the EPSS scores with a file's, then updates every finding
    /// that carries a CVE: its exploitability, risk, lane and due date, with an event for each
    /// finding that changed and one for the load itself.
    pub fn load_enrichment(
        &mut self,
        source: Source<'_>,
        file: &str,
        actor: &str,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<EnrichReport, StoreError> {
        let now = clock.now();
        let at = stamp(now);
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let (kind, version, released, entries) = match &source {
            Source::Kev(cat) => {
                txn.execute("DELETE FROM kev", [])?;
                let mut ins = txn.prepare(
                    "INSERT OR REPLACE INTO kev(cve, date_added, due_date, vendor, product, name,
                        ransomware) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for e in &cat.entries {
                    ins.execute(params![
                        e.cve,
                        e.date_added,
                        e.due_date,
                        e.vendor,
                        e.product,
                        e.name,
                        e.ransomware
                    ])?;
                }
                (
                    "kev",
                    Some(cat.version.clone()),
                    cat.released.clone(),
                    cat.entries.len(),
                )
            }
            Source::Epss(f) => {
                txn.execute("DELETE FROM epss", [])?;
                let mut ins = txn.prepare(
                    "INSERT OR REPLACE INTO epss(cve, epss, percentile) VALUES (?1, ?2, ?3)",
                )?;
                for s in &f.scores {
                    ins.execute(params![s.cve, s.epss, s.percentile])?;
                }
                (
                    "epss",
                    f.model_version.clone(),
                    f.score_date.clone(),
                    f.scores.len(),
                )
            }
        };
        txn.execute(
            "INSERT OR REPLACE INTO enrichment_sources(kind, version, released, file, imported_at,
                entries) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![kind, version, released, file, at, entries as i64],
        )?;
        let mut events = EventWriter::new(&txn)?;
        let mut changed = Vec::new();
        {
            let mut x = Exploitability::new(&txn)?;
            let mut stmt = txn.prepare(
                "SELECT id, cve, kev, kev_due, epss, epss_pct FROM findings WHERE cve IS NOT NULL",
            )?;
            let rows: Vec<StoredExploit> = stmt
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let mut update = txn.prepare(
                "UPDATE findings SET kev = ?2, kev_due = ?3, epss = ?4, epss_pct = ?5 WHERE id = ?1",
            )?;
            for (id, cves, kev, kev_due, epss, epss_pct) in rows {
                let new = x.of(Some(&cves))?;
                let new_due = new.kev_due.map(crate::clock::day);
                if (kev, &kev_due, epss, epss_pct) == (new.kev, &new_due, new.epss, new.epss_pct) {
                    continue;
                }
                update.execute(params![id, new.kev, new_due, new.epss, new.epss_pct])?;
                let payload = serde_json::json!({
                    "source": kind,
                    "kev": { "from": kev, "to": new.kev },
                    "kev_due": { "from": kev_due, "to": new_due },
                    "epss": { "from": epss, "to": new.epss },
                    "epss_pct": { "from": epss_pct, "to": new.epss_pct },
                })
                .to_string();
                events.append(
                    &txn,
                    &NewEvent {
                        finding_id: Some(id),
                        at: &at,
                        actor,
                        kind: "enriched",
                        reason: Some(file),
                        payload: &payload,
                    },
                )?;
                changed.push(id);
            }
        }
        reassess(&txn, &assessor, Scope::Ids(&changed))?;
        // Reassessing may have appended to the chain (notices for tickets): read its head again.
        let mut events = EventWriter::new(&txn)?;
        let payload = serde_json::json!({
            "kind": kind, "file": file, "version": version, "released": released,
            "entries": entries, "findings_changed": changed.len(),
        })
        .to_string();
        events.append(
            &txn,
            &NewEvent {
                finding_id: None,
                at: &at,
                actor,
                kind: "enrichment",
                reason: None,
                payload: &payload,
            },
        )?;
        txn.commit()?;
        Ok(EnrichReport {
            kind,
            file: file.to_string(),
            version,
            entries,
            changed,
        })
    }
}
