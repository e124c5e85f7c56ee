//! What a pull stores: remote objects linked to findings (matched to imported findings where
//! they are the same problem, created where they are new), the tracker's changes applied, and
//! conflicts recorded. One page is one transaction, together with the endpoint's watermark.
//!
//! Conflict rule (README, "Sync"): a field changed on both sides since the last sync is a
//! `conflict` event. The tracker wins for what it owns: an alert the tracker's analysis found
//! fixed, and a ticket's state and assignees (the pending pushes are superseded). lastmile wins
//! for triage: a person's decision to dismiss or reopen an alert stands, and is pushed.

use super::counters::CounterDeltas;
use super::events::EventWriter;
use super::links::{find_link, upsert_link};
use super::matching::Matcher;
use super::sync_item::{PageWriter, finding_now, status_from_remote};
use super::triage::{Scope, reassess};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::trackers::{Endpoint, RemoteItem, RemoteKind};
use crate::triage::assess::Assessor;
use crate::triage::policy::Policy;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Where an endpoint's last complete pull left off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncMark {
    pub watermark: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub synced_at: Option<String>,
    pub pulled: i64,
}

/// What to store with a page: the new watermark and ETag, when the pull got that far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advance {
    pub watermark: Option<DateTime<Utc>>,
    pub etag: Option<String>,
}

/// What one page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PullCounts {
    pub pulled: u64,
    /// New findings, for remote objects no imported finding matched.
    pub created: u64,
    /// Remote objects linked to a finding that was already here (imported, or by marker).
    pub linked: u64,
    /// Linked findings whose remote object changed.
    pub updated: u64,
    pub conflicts: u64,
}

/// One page of pulled items and where they go: the endpoint, the local repo its alerts and
/// issues belong to, and the matcher that links them to imported findings.
#[derive(Clone, Copy)]
pub struct PulledPage<'a> {
    pub endpoint: &'a Endpoint,
    pub local_repo: &'a str,
    pub items: &'a [RemoteItem],
    pub matcher: &'a Matcher,
}

impl std::ops::AddAssign for PullCounts {
    fn add_assign(&mut self, o: Self) {
        self.pulled += o.pulled;
        self.created += o.created;
        self.linked += o.linked;
        self.updated += o.updated;
        self.conflicts += o.conflicts;
    }
}

/// The finding an issue's marker names, in any scope.
fn by_marker(conn: &Connection, marker: &str) -> Result<Option<i64>, StoreError> {
    let Some(key) = marker
        .strip_prefix("lastmile:")
        .and_then(|h| u64::from_str_radix(h, 16).ok())
    else {
        return Ok(None);
    };
    // One index range per scope (findings_identity is (scope_id, fp_key)).
    Ok(conn
        .query_row(
            "SELECT f.id FROM scopes s JOIN findings f ON f.scope_id = s.id AND f.fp_key = ?1
             ORDER BY f.id LIMIT 1",
            [key as i64],
            |r| r.get(0),
        )
        .optional()?)
}

impl Store {
    /// Where `endpoint` left off.
    pub fn sync_mark(&self, endpoint: &str) -> Result<SyncMark, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT watermark, etag, synced_at, pulled FROM sync_state WHERE endpoint = ?1",
                [endpoint],
                |r| {
                    let wm: Option<String> = r.get(0)?;
                    Ok(SyncMark {
                        watermark: wm
                            .as_deref()
                            .and_then(|w| DateTime::parse_from_rfc3339(w).ok())
                            .map(|t| t.with_timezone(&Utc)),
                        etag: r.get(1)?,
                        synced_at: r.get(2)?,
                        pulled: r.get(3)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// The tracker said nothing changed (304): the endpoint was synced now all the same.
    pub fn sync_unchanged(&mut self, endpoint: &str, clock: &dyn Clock) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_state(endpoint, synced_at) VALUES (?1, ?2)
             ON CONFLICT (endpoint) DO UPDATE SET synced_at = excluded.synced_at",
            params![endpoint, stamp(clock.now())],
        )?;
        Ok(())
    }

    /// Every endpoint's mark, for the sync view.
    pub fn sync_marks(&self) -> Result<Vec<(String, SyncMark)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT endpoint, watermark, etag, synced_at, pulled FROM sync_state ORDER BY endpoint",
        )?;
        let rows = stmt.query_map([], |r| {
            let wm: Option<String> = r.get(1)?;
            Ok((
                r.get::<_, String>(0)?,
                SyncMark {
                    watermark: wm
                        .as_deref()
                        .and_then(|w| DateTime::parse_from_rfc3339(w).ok())
                        .map(|t| t.with_timezone(&Utc)),
                    etag: r.get(2)?,
                    synced_at: r.get(3)?,
                    pulled: r.get(4)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores one pulled page and, when given, the endpoint's new mark, in one transaction:
    /// a watermark never gets ahead of what is stored.
    pub fn apply_pulled(
        &mut self,
        page: &PulledPage<'_>,
        advance: Option<&Advance>,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<PullCounts, StoreError> {
        self.apply_page(page, Some(advance), policy, clock)
    }

    /// What `apply_pulled` would do with a page, counted by doing it in a transaction that is
    /// then rolled back: a dry run's figures come from the same code as a real sync's.
    pub fn preview_pulled(
        &mut self,
        page: &PulledPage<'_>,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<PullCounts, StoreError> {
        self.apply_page(page, None, policy, clock)
    }

    /// `keep`: `Some(advance)` commits (moving the mark when given), `None` rolls back.
    fn apply_page(
        &mut self,
        page: &PulledPage<'_>,
        keep: Option<Option<&Advance>>,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<PullCounts, StoreError> {
        let PulledPage {
            endpoint,
            local_repo,
            items,
            matcher,
        } = *page;
        let now = clock.now();
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let mut w = PageWriter {
            events: EventWriter::new(&txn)?,
            txn: &txn,
            at: stamp(now),
            counters: CounterDeltas::default(),
            touched: Vec::new(),
            counts: PullCounts::default(),
            scan_id: None,
            created: Vec::new(),
        };
        for item in items {
            w.counts.pulled += 1;
            if let Some(link) = find_link(w.txn, item)? {
                w.update(&link, item)?;
                upsert_link(w.txn, link.finding_id, item, &w.at)?;
                continue;
            }
            let known = match item.at.kind {
                RemoteKind::Issue => match item.marker.as_deref() {
                    Some(m) => by_marker(w.txn, m)?,
                    None => None,
                },
                _ => matcher.find(item),
            };
            let id = match known {
                Some(id) => {
                    w.counts.linked += 1;
                    w.event(
                        Some(id),
                        "linked",
                        None,
                        serde_json::json!({ "ref": item.at.to_string(), "url": item.url }),
                    )?;
                    if item.at.kind.is_alert() {
                        let now = finding_now(w.txn, id)?;
                        if let Some(to) = status_from_remote(&item.state, now.status) {
                            w.set_status(id, &now, to, item)?;
                        }
                    }
                    id
                }
                None => w.create(endpoint, local_repo, item)?,
            };
            let has_ref: bool = w.txn.query_row(
                "SELECT tracker_ref IS NOT NULL FROM findings WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            if !has_ref {
                w.txn.execute(
                    "UPDATE findings SET tracker_ref = ?2 WHERE id = ?1",
                    params![id, item.at.to_string()],
                )?;
            }
            upsert_link(w.txn, id, item, &w.at)?;
        }
        if let Some(scan_id) = w.scan_id {
            w.txn.execute(
                "UPDATE scans SET result_count = ?2, new_count = ?3 WHERE id = ?1",
                params![scan_id, w.counts.pulled as i64, w.counts.created as i64],
            )?;
            // Ranges of ids, as imports write them (`history` reads them back per finding).
            let mut created: Vec<(i64, i64)> = Vec::new();
            for id in std::mem::take(&mut w.created) {
                match created.last_mut() {
                    Some((_, last)) if *last + 1 == id => *last = id,
                    _ => created.push((id, id)),
                }
            }
            w.event(
                None,
                "created",
                Some("first seen on the tracker"),
                serde_json::json!({ "scan": scan_id, "endpoint": endpoint.key, "findings": created }),
            )?;
        }
        let pulled = w.counts.pulled as i64;
        let counts = w.counts;
        std::mem::take(&mut w.counters).apply(&txn)?;
        reassess(&txn, &assessor, Scope::Ids(&w.touched))?;
        drop(w);
        let Some(advance) = keep else {
            txn.rollback()?;
            return Ok(counts);
        };
        let at = stamp(now);
        match advance {
            Some(a) => txn.execute(
                "INSERT INTO sync_state(endpoint, watermark, etag, synced_at, pulled)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (endpoint) DO UPDATE SET
                    watermark = COALESCE(excluded.watermark, watermark),
                    etag = COALESCE(excluded.etag, etag), synced_at = excluded.synced_at,
                    pulled = pulled + excluded.pulled",
                params![endpoint.key, a.watermark.map(stamp), a.etag, at, pulled],
            )?,
            None => txn.execute(
                "INSERT INTO sync_state(endpoint, synced_at, pulled) VALUES (?1, ?2, ?3)
                 ON CONFLICT (endpoint) DO UPDATE SET pulled = pulled + excluded.pulled",
                params![endpoint.key, at, pulled],
            )?,
        };
        txn.commit()?;
        Ok(counts)
    }
}
