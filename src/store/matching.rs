//! Which finding a remote alert is about: the same repo, rule, path and line as an imported
//! finding (code scanning), or the same CVE or GHSA (Dependabot). Alerts that match nothing
//! become findings of their own, in a scope SARIF rescans never close.

use super::counters::CounterDeltas;
use super::events::{EventWriter, NewEvent};
use super::sync_item::finding_now;
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::Status;
use crate::trackers::{Endpoint, RemoteItem, RemoteKind};
use rusqlite::{Connection, params};
use std::collections::HashMap;

/// The scope (tool) findings first seen on a tracker live in: never the SARIF tool's, so a
/// rescan of that tool cannot close what it never reported.
pub fn remote_tool(kind: RemoteKind) -> &'static str {
    match kind {
        RemoteKind::CodeScanning => "github code scanning",
        RemoteKind::Dependabot => "github dependabot",
        RemoteKind::Issue => "github issues",
    }
}

/// Finds the imported finding a remote alert is about, for one local repo. Built once per
/// endpoint pull from the repo's findings (an index range per scope), not per item.
#[derive(Debug, Default)]
pub struct Matcher {
    /// (rule, path, line) -> finding, for code scanning.
    by_location: HashMap<(String, String, i64), i64>,
    /// Advisory id (CVE or GHSA) -> finding, for Dependabot.
    by_advisory: HashMap<String, i64>,
}

impl Matcher {
    fn build(conn: &Connection, repo: &str, kind: RemoteKind) -> Result<Matcher, StoreError> {
        let mut m = Matcher::default();
        if kind == RemoteKind::Issue {
            return Ok(m);
        }
        let mut stmt = conn.prepare(&format!(
            // Several findings may be the same problem over time (a fixed one, then a new
            // one): the active one takes the alert, else the oldest.
            "SELECT f.id, f.rule, f.path, f.start_line, f.cve FROM scopes s
                 JOIN findings f ON f.scope_id = s.id
                 WHERE s.repo = ?1 AND s.tool NOT LIKE 'github %'
                 ORDER BY f.status IN ({}) DESC, f.id",
            Status::active_sql_list()
        ))?;
        let mut rows = stmt.query([repo])?;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let rule: String = r.get(1)?;
            match kind {
                RemoteKind::CodeScanning => {
                    let (Some(path), Some(line)) =
                        (r.get::<_, Option<String>>(2)?, r.get::<_, Option<i64>>(3)?)
                    else {
                        continue;
                    };
                    m.by_location.entry((rule, path, line)).or_insert(id);
                }
                _ => {
                    let cves: Option<String> = r.get(4)?;
                    for id_text in cves
                        .iter()
                        .flat_map(|c| c.split(','))
                        .map(str::trim)
                        .chain(std::iter::once(rule.as_str()))
                        .filter(|t| t.starts_with("CVE-") || t.starts_with("GHSA-"))
                    {
                        m.by_advisory.entry(id_text.to_uppercase()).or_insert(id);
                    }
                }
            }
        }
        Ok(m)
    }

    pub(crate) fn find(&self, item: &RemoteItem) -> Option<i64> {
        self.find_parts(
            item.at.kind,
            item.rule.as_deref(),
            item.path.as_deref(),
            item.start_line,
            &[item.ghsa.as_deref(), item.cve.as_deref()],
        )
    }

    fn find_parts(
        &self,
        kind: RemoteKind,
        rule: Option<&str>,
        path: Option<&str>,
        line: Option<i64>,
        advisories: &[Option<&str>],
    ) -> Option<i64> {
        match kind {
            RemoteKind::CodeScanning => {
                let key = (rule?.to_string(), path?.to_string(), line?);
                self.by_location.get(&key).copied()
            }
            RemoteKind::Dependabot => advisories
                .iter()
                .flatten()
                .flat_map(|a| a.split(','))
                .find_map(|a| self.by_advisory.get(&a.trim().to_uppercase()).copied()),
            RemoteKind::Issue => None,
        }
    }
}

impl Store {
    /// Alerts first seen on the tracker whose problem a scan has since imported: the link moves
    /// to the imported finding and the tracker's copy becomes its duplicate, so one problem is
    /// one finding with both references. Returns how many moved.
    pub fn adopt_imported(
        &mut self,
        endpoint: &Endpoint,
        matcher: &Matcher,
        clock: &dyn Clock,
    ) -> Result<u64, StoreError> {
        if endpoint.kind == RemoteKind::Issue {
            return Ok(0);
        }
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        type Candidate = (
            i64,
            i64,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
        );
        let candidates: Vec<Candidate> = {
            let mut stmt = txn.prepare(
                "SELECT l.id, f.id, f.rule, f.path, f.start_line, f.cve
                 FROM tracker_links l JOIN findings f ON f.id = l.finding_id
                 WHERE l.tracker = ?1 AND l.kind = ?2 AND l.repo = ?3 AND f.tool = ?4
                    AND f.status <> 'duplicate'",
            )?;
            stmt.query_map(
                params![
                    endpoint.tracker,
                    endpoint.kind.as_str(),
                    endpoint.repo,
                    remote_tool(endpoint.kind)
                ],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )?
            .collect::<Result<_, _>>()?
        };
        let mut events = EventWriter::new(&txn)?;
        let mut counters = CounterDeltas::default();
        let mut moved = 0;
        for (link_id, old, rule, path, line, cve) in candidates {
            let Some(new) = matcher.find_parts(
                endpoint.kind,
                Some(&rule),
                path.as_deref(),
                line,
                &[Some(rule.as_str()), cve.as_deref()],
            ) else {
                continue;
            };
            txn.execute(
                "UPDATE tracker_links SET finding_id = ?2 WHERE id = ?1",
                params![link_id, new],
            )?;
            txn.execute(
                "UPDATE findings SET tracker_ref = COALESCE(tracker_ref,
                    (SELECT tracker_ref FROM findings WHERE id = ?2)) WHERE id = ?1",
                params![new, old],
            )?;
            let now = finding_now(&txn, old)?;
            txn.execute(
                "UPDATE findings SET status = 'duplicate', duplicate_of = ?2, due = NULL
                 WHERE id = ?1",
                params![old, new],
            )?;
            counters.moved(
                (now.status, now.severity),
                (Status::Duplicate, now.severity),
            );
            let payload =
                serde_json::json!({ "link": link_id, "from": old, "to": new }).to_string();
            for (finding, kind, reason) in [
                (
                    new,
                    "linked",
                    "the tracker's alert for this problem, first pulled on its own",
                ),
                (
                    old,
                    "merged",
                    "the same problem as a finding imported from a scan",
                ),
            ] {
                events.append(
                    &txn,
                    &NewEvent {
                        finding_id: Some(finding),
                        at: &at,
                        actor: "sync",
                        kind,
                        reason: Some(reason),
                        payload: &payload,
                    },
                )?;
            }
            moved += 1;
        }
        counters.apply(&txn)?;
        txn.commit()?;
        Ok(moved)
    }

    /// The matcher for pulls of `kind` into `local_repo`.
    pub fn matcher(&self, local_repo: &str, kind: RemoteKind) -> Result<Matcher, StoreError> {
        Matcher::build(&self.conn, local_repo, kind)
    }
}
