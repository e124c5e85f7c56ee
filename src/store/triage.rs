//! Keeping risk, lanes and due dates current: after imports and decisions (for the findings
//! they touched), when the triage policy changes (all findings, one event), and on `tick`
//! (expired acceptances and deferrals reopen; age moves risk).

use super::counters::CounterDeltas;
use super::events::{EventWriter, NewEvent};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::ingest::ImportedFinding;
use crate::model::{Severity, Status};
use crate::query::Record;
use crate::store::enrichment::Exploit;
use crate::triage::assess::{Assessor, Facts};
use crate::triage::policy::Policy;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

/// The columns `read_record` reads, in its order.
pub(crate) const RECORD_COLUMNS: &str = "id, status, pending_id IS NOT NULL, severity, tool, rule,
    repo, path, start_line, title, message, cwe, cve, lane, owner, team, campaign, sprint,
    decided_by, kev, epss, epss_pct, risk, validated, reachable, exposed, tier, first_seen, due,
    score, kev_due, reopened_at";

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn parse_day(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(crate::clock::parse_day)
}

/// A row selected with `RECORD_COLUMNS`, borrowed from the statement.
pub(crate) fn read_record<'r>(row: &'r Row<'_>) -> rusqlite::Result<(Record<'r>, Facts)> {
    let text = |i: usize| -> rusqlite::Result<&'r str> { Ok(row.get_ref(i)?.as_str()?) };
    let opt =
        |i: usize| -> rusqlite::Result<Option<&'r str>> { Ok(row.get_ref(i)?.as_str_or_null()?) };
    let status: Status = text(1)?.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
    })?;
    let rec = Record {
        id: row.get(0)?,
        status,
        pending: row.get(2)?,
        severity: Severity::from_rank(row.get(3)?).unwrap_or_default(),
        tool: text(4)?,
        rule: text(5)?,
        repo: text(6)?,
        path: opt(7)?,
        line: row.get(8)?,
        title: text(9)?,
        message: text(10)?,
        cwe: opt(11)?,
        cve: opt(12)?,
        lane: opt(13)?,
        owner: opt(14)?,
        team: opt(15)?,
        campaign: opt(16)?,
        sprint: opt(17)?,
        decided_by: opt(18)?,
        kev: row.get(19)?,
        epss: row.get(20)?,
        epss_pct: row.get(21)?,
        risk: row.get(22)?,
        validated: row.get(23)?,
        reachable: row.get(24)?,
        exposed: row.get(25)?,
        tier: row.get(26)?,
        first_seen: text(27)?,
        due: opt(28)?,
    };
    let facts = Facts {
        score: row.get(29)?,
        kev_due: parse_day(opt(30)?),
        first_seen: parse_time(Some(rec.first_seen)),
        reopened_at: parse_time(opt(31)?),
    };
    Ok((rec, facts))
}

/// A finding a scan reports for the first time, as lane rules see it: open, nothing decided,
/// no owner yet.
pub(crate) fn new_record<'a>(
    f: &'a ImportedFinding,
    tool: &'a str,
    repo: &'a str,
    first_seen: &'a str,
    x: &Exploit,
) -> Record<'a> {
    Record {
        id: 0,
        status: Status::Open,
        pending: false,
        severity: f.severity,
        tool,
        rule: &f.rule,
        repo,
        path: f.path.as_deref(),
        line: f.start_line,
        title: &f.title,
        message: &f.message,
        cwe: f.cwe.as_deref(),
        cve: f.cve.as_deref(),
        lane: None,
        owner: None,
        team: None,
        campaign: None,
        sprint: None,
        decided_by: None,
        kev: x.kev,
        epss: x.epss,
        epss_pct: x.epss_pct,
        risk: None,
        validated: false,
        reachable: false,
        exposed: false,
        tier: None,
        first_seen,
        due: None,
    }
}

/// Which findings to reassess.
pub(crate) enum Scope<'a> {
    All,
    Ids(&'a [i64]),
}

/// Reassesses findings and writes risk, lane, due, exposure and tier where they changed.
/// Returns how many changed. An active finding that had a due date, whose lane or due date
/// moved, and that has an open ticket gets a `deadline` event and a comment for the ticket.
/// So this appends to the event chain: an `EventWriter` made before it must not append after.
pub(crate) fn reassess(
    conn: &Connection,
    assessor: &Assessor<'_>,
    scope: Scope<'_>,
) -> Result<u64, StoreError> {
    let mut update = conn.prepare_cached(
        "UPDATE findings SET risk = ?2, lane = ?3, due = ?4, exposed = ?5, tier = ?6 WHERE id = ?1",
    )?;
    let mut changed = 0;
    // Moves are collected only when some ticket could hear of them: a policy change can move
    // every one of a million findings.
    let tickets_open: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM tracker_links WHERE kind = 'issue' AND state = 'open')",
        [],
        |r| r.get(0),
    )?;
    let mut moved: Vec<(i64, String)> = Vec::new();
    let mut visit = |row: &Row<'_>| -> Result<(), StoreError> {
        let (mut rec, facts) = read_record(row)?;
        let (old_risk, old_lane, old_due) = (rec.risk, rec.lane, rec.due);
        let (old_exposed, old_tier) = (rec.exposed, rec.tier);
        let a = assessor.assess(&mut rec, &facts);
        let lane = a.lane.map(|i| assessor.policy.lanes[i].name.as_str());
        let due = a.due.map(crate::clock::day);
        if old_risk != Some(a.risk)
            || old_lane != lane
            || old_due != due.as_deref()
            || old_exposed != a.exposed
            || old_tier != a.tier
        {
            update.execute(params![rec.id, a.risk, lane, due, a.exposed, a.tier])?;
            changed += 1;
            // A first assessment (no deadline yet: just pulled, just reopened) is no news.
            let moved_deadline =
                old_due.is_some() && (old_lane != lane || old_due != due.as_deref());
            if tickets_open && rec.status.is_active() && moved_deadline {
                moved.push((
                    rec.id,
                    deadline_change(old_lane, lane, old_due, due.as_deref()),
                ));
            }
        }
        Ok(())
    };
    match scope {
        Scope::All => {
            let mut stmt = conn.prepare(&format!("SELECT {RECORD_COLUMNS} FROM findings"))?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                visit(row)?;
            }
        }
        Scope::Ids(ids) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM findings WHERE id = ?1"
            ))?;
            for id in ids {
                let mut rows = stmt.query([id])?;
                if let Some(row) = rows.next()? {
                    visit(row)?;
                }
            }
        }
    }
    tell_tickets(conn, &moved, assessor.now())?;
    Ok(changed)
}

/// "lane high → critical, due 2027-01-06 → 2026-12-14", naming only what moved.
fn deadline_change(
    old_lane: Option<&str>,
    lane: Option<&str>,
    old_due: Option<&str>,
    due: Option<&str>,
) -> String {
    let shown = |v: Option<&str>| v.unwrap_or("none").to_string();
    let mut parts = Vec::new();
    if old_lane != lane {
        parts.push(format!("lane {} → {}", shown(old_lane), shown(lane)));
    }
    if old_due != due {
        parts.push(format!("due {} → {}", shown(old_due), shown(due)));
    }
    parts.join(", ")
}

/// Each moved finding with an open ticket gets a `deadline` event and a comment for the
/// ticket. Appends to the event chain: callers append their own events before reassessing.
fn tell_tickets(
    conn: &Connection,
    moved: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let at = stamp(now);
    let mut events: Option<EventWriter> = None;
    for (id, change) in moved {
        let tickets = super::notify::open_tickets(conn, *id)?;
        if tickets.is_empty() {
            continue;
        }
        let events = match &mut events {
            Some(w) => w,
            None => events.insert(EventWriter::new(conn)?),
        };
        let event_id = events.append(
            conn,
            &NewEvent {
                finding_id: Some(*id),
                at: &at,
                actor: "lastmile",
                kind: "deadline",
                reason: Some(change),
                payload: &serde_json::json!({ "change": change }).to_string(),
            },
        )?;
        let origin = super::outbox::Origin {
            finding_id: *id,
            event_id,
            at: &at,
        };
        super::notify::on_deadline(conn, &origin, &tickets, change)?;
    }
    Ok(())
}

const POLICY_KEY: &str = "triage_policy";
/// The day risk and lanes were last computed: age moves both, so a new day recomputes.
const DAY_KEY: &str = "triage_day";

/// What bringing the database in line with the policy did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recomputed {
    pub findings: u64,
    pub changed: u64,
    pub digest: String,
}

/// What `tick` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Default)]
pub struct TickReport {
    /// Findings whose acceptance or deferral ended, with the status they left.
    pub expired: Vec<(i64, Status)>,
    pub recomputed: Option<Recomputed>,
}

impl Store {
    /// The policy digest the stored lanes were computed with, if any.
    pub fn policy_digest(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [POLICY_KEY], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Recomputes every finding's risk, lane and due date if the policy changed or a day passed
    /// since they were last computed (or `force`), as one event. Returns what it did, `None` if nothing to do.
    pub fn apply_policy(
        &mut self,
        policy: &Policy,
        actor: &str,
        clock: &dyn Clock,
        force: bool,
    ) -> Result<Option<Recomputed>, StoreError> {
        let digest = policy.digest();
        let now = clock.now();
        let today = crate::clock::day(now.date_naive());
        let policy_changed = self.policy_digest()?.as_deref() != Some(digest.as_str());
        let last_day: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [DAY_KEY], |r| {
                r.get(0)
            })
            .optional()?;
        let new_day = last_day.as_deref() != Some(today.as_str());
        if !force && !policy_changed && !new_day {
            return Ok(None);
        }
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let changed = reassess(&txn, &assessor, Scope::All)?;
        let findings: u64 = txn.query_row("SELECT count(*) FROM findings", [], |r| r.get(0))?;
        txn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![POLICY_KEY, digest],
        )?;
        txn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![DAY_KEY, today],
        )?;
        let report = Recomputed {
            findings,
            changed,
            digest,
        };
        let payload = serde_json::json!({
            "digest": report.digest,
            "findings": findings,
            "changed": changed,
            "lanes": policy.lanes.iter().map(|l| serde_json::json!({
                "name": l.name, "query": l.query, "sla_days": l.sla_days
            })).collect::<Vec<_>>(),
        })
        .to_string();
        let mut events = EventWriter::new(&txn)?;
        events.append(
            &txn,
            &NewEvent {
                finding_id: None,
                at: &stamp(now),
                actor,
                kind: "lanes-recomputed",
                reason: Some(if force {
                    "recomputed on request"
                } else if policy_changed {
                    "the triage policy changed"
                } else {
                    "a new day: age-dependent risk and lanes"
                }),
                payload: &payload,
            },
        )?;
        txn.commit()?;
        Ok(Some(report))
    }

    /// Reopens accepted risks and deferrals whose date has come (each with an event), and
    /// brings risk, lanes and due dates up to date. Run when lastmile opens a database and by
    /// `lastmile tick`.
    pub fn tick(
        &mut self,
        policy: &Policy,
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<TickReport, StoreError> {
        let recomputed = self.apply_policy(policy, actor, clock, false)?;
        let now = clock.now();
        let today = crate::clock::day(now.date_naive());
        let at = stamp(now);
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let due: Vec<(i64, String, i64, String)> = {
            let mut stmt = txn.prepare(
                "SELECT id, status, severity, until FROM findings
                 WHERE until IS NOT NULL AND until <= ?1 AND status IN ('accepted_risk', 'deferred')",
            )?;
            stmt.query_map([&today], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?
        };
        let mut events = EventWriter::new(&txn)?;
        let mut counters = CounterDeltas::default();
        let mut expired = Vec::with_capacity(due.len());
        for (id, status, severity, until) in due {
            let from: Status = status.parse().map_err(StoreError::Invalid)?;
            let severity = Severity::from_rank(severity).unwrap_or_default();
            txn.execute(
                "UPDATE findings SET status = 'open', until = NULL, reopened_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            counters.moved((from, severity), (Status::Open, severity));
            let what = if from == Status::AcceptedRisk {
                "the risk acceptance"
            } else {
                "the deferral"
            };
            let reason = format!("{what} ended on {until}");
            let payload =
                serde_json::json!({ "from": from, "to": Status::Open, "until": until }).to_string();
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "expired",
                    reason: Some(&reason),
                    payload: &payload,
                },
            )?;
            let origin = super::outbox::Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            super::notify::on_expired(&txn, &origin, &reason)?;
            expired.push((id, from));
        }
        counters.apply(&txn)?;
        let ids: Vec<i64> = expired.iter().map(|(id, _)| *id).collect();
        reassess(&txn, &assessor, Scope::Ids(&ids))?;
        txn.commit()?;
        Ok(TickReport {
            expired,
            recomputed,
        })
    }
}

/// Where one lane stands: its open work against its deadlines, and work in progress by team.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LaneSummary {
    /// `None`: findings no lane took.
    pub lane: Option<String>,
    pub active: u64,
    pub overdue: u64,
    /// Due within `triage::sla::DUE_SOON_DAYS` days (and not overdue).
    pub due_soon: u64,
    /// Decisions waiting for a second person.
    pub pending: u64,
    /// In-progress findings per team (`None`: no team yet).
    pub in_progress: Vec<(Option<String>, u64)>,
}

impl Store {
    /// Active work per lane as of `today`, for the lanes overview and WIP limits.
    pub fn lane_summaries(&self, today: NaiveDate) -> Result<Vec<LaneSummary>, StoreError> {
        let today_s = crate::clock::day(today);
        let soon =
            crate::clock::day(today + chrono::TimeDelta::days(crate::triage::sla::DUE_SOON_DAYS));
        let active = Status::active_sql_list();
        let mut stmt = self.conn.prepare(&format!(
            "SELECT lane, COUNT(*),
                    SUM(due < ?1),
                    SUM(due >= ?1 AND due <= ?2),
                    SUM(pending_id IS NOT NULL)
             FROM findings WHERE status IN ({active}) GROUP BY lane"
        ))?;
        let mut out: Vec<LaneSummary> = stmt
            .query_map(params![today_s, soon], |r| {
                Ok(LaneSummary {
                    lane: r.get(0)?,
                    active: r.get::<_, i64>(1)? as u64,
                    overdue: r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
                    due_soon: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
                    pending: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
                    in_progress: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut wip = self.conn.prepare(
            "SELECT lane, team, COUNT(*) FROM findings WHERE status = 'in_progress'
             GROUP BY lane, team ORDER BY 3 DESC",
        )?;
        let rows = wip.query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, i64>(2)? as u64,
            ))
        })?;
        for row in rows {
            let (lane, team, n) = row?;
            if let Some(s) = out.iter_mut().find(|s| s.lane == lane) {
                s.in_progress.push((team, n));
            }
        }
        Ok(out)
    }
}
