//! Exploitability facts for findings that carry CVE ids, from the KEV and EPSS tables.

use super::StoreError;
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Statement};
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
            kev.insert(
                r.get(0)?,
                due.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            );
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
