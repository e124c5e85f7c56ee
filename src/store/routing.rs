//! Assigning findings to a person and a team: by hand, or by applying the router's suggestion.
//! A person's choice stands against routing unless forced, except when the person it named has
//! left (then the assignment is void and rerouting is the point).

use super::events::{EventWriter, NewEvent};
use super::notify::on_assign;
use super::outbox::Origin;
use super::triage::{Scope, reassess};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::triage::assess::Assessor;
use crate::triage::policy::Policy;
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// A person chose.
    Manual,
    /// The router's suggestion, applied.
    Routed,
}

impl How {
    pub fn as_str(self) -> &'static str {
        match self {
            How::Manual => "manual",
            How::Routed => "routed",
        }
    }
}

/// Who a finding should go to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub owner: Option<String>,
    pub team: Option<String>,
    pub how: How,
    /// The router's chain of reasons, or a person's note (may be empty for a manual one).
    pub reason: String,
}

/// What happened to one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assigned {
    Changed,
    /// Already assigned so.
    Unchanged,
    /// Routing left a person's assignment alone.
    KeptManual {
        by: String,
        at: String,
    },
}

/// The current assignment of a finding, as the router and the console need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Current {
    pub owner: Option<String>,
    pub team: Option<String>,
    /// `manual` or `routed`; `None` when never assigned (or assigned at import, before routing).
    pub how: Option<String>,
    pub by: Option<String>,
    pub at: Option<String>,
    pub reason: Option<String>,
}

const CURRENT_SQL: &str = "SELECT owner, team, assignment, assigned_by, assigned_at, route_reason
     FROM findings WHERE id = ?1";

fn read_current(r: &rusqlite::Row<'_>) -> rusqlite::Result<Current> {
    Ok(Current {
        owner: r.get(0)?,
        team: r.get(1)?,
        how: r.get(2)?,
        by: r.get(3)?,
        at: r.get(4)?,
        reason: r.get(5)?,
    })
}

impl Store {
    pub fn assignment(&self, id: i64) -> Result<Option<Current>, StoreError> {
        Ok(self
            .conn
            .query_row(CURRENT_SQL, [id], read_current)
            .optional()?)
    }

    /// Assigns each finding, with an `assigned` event for each one that changed, in one
    /// transaction. `force` lets routing replace a person's choice; `void_owners` are people
    /// whose manual assignments no longer stand (they left).
    pub fn assign(
        &mut self,
        items: &[(i64, Assignment)],
        actor: &str,
        force: bool,
        void_owners: &[String],
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<Vec<(i64, Assigned)>, StoreError> {
        let now = clock.now();
        let at = stamp(now);
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut out = Vec::with_capacity(items.len());
        let mut changed = Vec::new();
        {
            let mut read = txn.prepare_cached(CURRENT_SQL)?;
            let mut write = txn.prepare_cached(
                "UPDATE findings SET owner = ?2, team = ?3, assignment = ?4, assigned_by = ?5,
                 assigned_at = ?6, route_reason = ?7 WHERE id = ?1",
            )?;
            for (id, a) in items {
                let Some(Current {
                    owner,
                    team,
                    how,
                    by,
                    at: when,
                    ..
                }) = read.query_row([id], read_current).optional()?
                else {
                    return Err(StoreError::Invalid(format!("no finding with id {id}")));
                };
                let manual = how.as_deref() == Some("manual");
                let void = owner.as_ref().is_some_and(|o| void_owners.contains(o));
                if a.how == How::Routed && manual && !force && !void {
                    out.push((
                        *id,
                        Assigned::KeptManual {
                            by: by.unwrap_or_default(),
                            at: when.unwrap_or_default(),
                        },
                    ));
                    continue;
                }
                // Re-routing to the same place is not news; a person confirming a routed
                // assignment is (it now stands against routing).
                if owner == a.owner && team == a.team && (a.how == How::Routed || manual) {
                    out.push((*id, Assigned::Unchanged));
                    continue;
                }
                let route_reason = (a.how == How::Routed).then_some(a.reason.as_str());
                write.execute(params![
                    id,
                    a.owner,
                    a.team,
                    a.how.as_str(),
                    actor,
                    at,
                    route_reason
                ])?;
                let payload = serde_json::json!({
                    "owner": { "from": owner, "to": a.owner },
                    "team": { "from": team, "to": a.team },
                    "how": a.how.as_str(),
                })
                .to_string();
                let reason = (!a.reason.trim().is_empty()).then_some(a.reason.as_str());
                let event_id = events.append(
                    &txn,
                    &NewEvent {
                        finding_id: Some(*id),
                        at: &at,
                        actor,
                        kind: "assigned",
                        reason,
                        payload: &payload,
                    },
                )?;
                let origin = Origin {
                    finding_id: *id,
                    event_id,
                    at: &at,
                };
                on_assign(&txn, &origin, owner.as_deref(), a.owner.as_deref())?;
                changed.push(*id);
                out.push((*id, Assigned::Changed));
            }
        }
        // Lane rules may name an owner or a team.
        reassess(&txn, &assessor, Scope::Ids(&changed))?;
        txn.commit()?;
        Ok(out)
    }
}

/// A finding as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub id: i64,
    pub repo: String,
    pub path: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    /// The commit its latest scan ran on, if the report said.
    pub commit: Option<String>,
    pub current: Current,
}

impl Store {
    /// The findings with these ids, in id order, for routing.
    pub fn routing_targets(&self, ids: &[i64]) -> Result<Vec<Target>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.id, f.repo, f.path, f.start_line, f.end_line, s.commit_sha, f.owner,
                    f.team, f.assignment, f.assigned_by, f.assigned_at, f.route_reason
             FROM findings f LEFT JOIN scans s ON s.id = f.last_scan_id
             WHERE f.id = ?1",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let t = stmt
                .query_row([id], |r| {
                    Ok(Target {
                        id: r.get(0)?,
                        repo: r.get(1)?,
                        path: r.get(2)?,
                        start_line: r.get(3)?,
                        end_line: r.get(4)?,
                        commit: r.get(5)?,
                        current: Current {
                            owner: r.get(6)?,
                            team: r.get(7)?,
                            how: r.get(8)?,
                            by: r.get(9)?,
                            at: r.get(10)?,
                            reason: r.get(11)?,
                        },
                    })
                })
                .optional()?;
            out.extend(t);
        }
        Ok(out)
    }
}
