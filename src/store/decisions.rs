//! Decisions: a person's call on a finding, with a required justification. Where the finding's
//! lane demands it, the decision waits (`pending`) until a different person approves or rejects
//! it; the author can never review their own.

use super::counters::CounterDeltas;
use super::events::{EventWriter, NewEvent};
use super::notify::{DecisionChange, on_decision};
use super::outbox::Origin;
use super::triage::{Scope, reassess};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::{DecisionKind, DecisionState, Severity, Status};
use crate::triage::assess::Assessor;
use crate::triage::policy::Policy;
use chrono::NaiveDate;
use rusqlite::{OptionalExtension, Transaction, params};

/// What a person decides, for one or many findings.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRequest {
    pub kind: DecisionKind,
    pub reason: String,
    /// Accept risk: the expiry; defer: when it comes back. The finding reopens on this day.
    pub until: Option<NaiveDate>,
    /// Accept risk: the compensating control.
    pub control: Option<String>,
    /// Escalate: a person or team; duplicate: the id of the finding it duplicates.
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    Applied {
        from: Status,
        to: Status,
    },
    /// Waits for a second person.
    Pending,
    /// Nothing changed for this finding, and why.
    Skipped {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecisionResult {
    pub finding_id: i64,
    pub decision_id: Option<i64>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// A recorded decision, with the finding's title for lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DecisionRow {
    pub id: i64,
    pub finding_id: i64,
    pub kind: DecisionKind,
    pub actor: String,
    pub at: String,
    pub reason: String,
    pub until: Option<String>,
    pub control: Option<String>,
    pub target: Option<String>,
    pub lane: Option<String>,
    pub state: DecisionState,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_reason: Option<String>,
    pub title: String,
    pub severity: Severity,
}

/// Which decisions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionFilter<'a> {
    /// Pending decisions someone else made: what waits for this person.
    AwaitingReviewBy(&'a str),
    /// Pending decisions this person made.
    RequestedBy(&'a str),
    /// Every decision on one finding, oldest first.
    Finding(i64),
}

struct Current {
    status: Status,
    severity: Severity,
    lane: Option<String>,
    pending_id: Option<i64>,
}

fn current(txn: &Transaction<'_>, id: i64) -> Result<Current, StoreError> {
    let row: Option<(String, i64, Option<String>, Option<i64>)> = txn
        .query_row(
            "SELECT status, severity, lane, pending_id FROM findings WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let (status, severity, lane, pending_id) =
        row.ok_or_else(|| StoreError::Invalid(format!("no finding with id {id}")))?;
    Ok(Current {
        status: status.parse().map_err(StoreError::Invalid)?,
        severity: Severity::from_rank(severity).unwrap_or_default(),
        lane,
        pending_id,
    })
}

fn day(d: Option<NaiveDate>) -> Option<String> {
    d.map(crate::clock::day)
}

/// Puts a decision into force on its finding; returns the status it left and took.
fn apply(
    txn: &Transaction<'_>,
    finding_id: i64,
    cur: &Current,
    req: &DecisionRequest,
    author: &str,
    at: &str,
    counters: &mut CounterDeltas,
) -> Result<(Status, Status), StoreError> {
    let to = req.kind.status().unwrap_or(cur.status);
    let until = day(req.until);
    match req.kind {
        DecisionKind::Escalate => txn.execute(
            "UPDATE findings SET escalated_to = ?2, decided_by = ?3, decided_at = ?4,
                pending_id = NULL WHERE id = ?1",
            params![finding_id, req.target, author, at],
        )?,
        DecisionKind::Reopen => txn.execute(
            "UPDATE findings SET status = ?2, decided_by = ?3, decided_at = ?4, until = NULL,
                duplicate_of = NULL, pending_id = NULL, reopened_at = ?4 WHERE id = ?1",
            params![finding_id, to.as_str(), author, at],
        )?,
        _ => {
            let duplicate_of: Option<i64> = match req.kind {
                DecisionKind::Duplicate => req.target.as_deref().and_then(|t| t.parse().ok()),
                _ => None,
            };
            txn.execute(
                "UPDATE findings SET status = ?2, decided_by = ?3, decided_at = ?4, until = ?5,
                    duplicate_of = ?6, pending_id = NULL WHERE id = ?1",
                params![finding_id, to.as_str(), author, at, until, duplicate_of],
            )?
        }
    };
    counters.moved((cur.status, cur.severity), (to, cur.severity));
    Ok((cur.status, to))
}

impl DecisionRequest {
    /// Problems with the request itself (the same for every finding): nothing is written.
    fn validate(&self, today: NaiveDate) -> Result<(), StoreError> {
        let bad = |m: String| Err(StoreError::Invalid(m));
        if self.reason.trim().is_empty() {
            return bad(format!("{} needs a justification (--reason)", self.kind));
        }
        if self.kind.needs_until() {
            match self.until {
                None => {
                    return bad(format!(
                        "{} needs an end date (--until YYYY-MM-DD)",
                        self.kind
                    ));
                }
                Some(u) if u <= today => {
                    return bad(format!("--until {u} is not in the future"));
                }
                _ => {}
            }
        } else if self.until.is_some() {
            return bad(format!("{} takes no end date", self.kind));
        }
        if self.kind == DecisionKind::AcceptRisk
            && self.control.as_deref().is_none_or(|c| c.trim().is_empty())
        {
            return bad("accept-risk needs the compensating control (--control)".into());
        }
        if self.kind.needs_target() && self.target.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return bad(format!(
                "{} needs a target (--to: a person or team; for duplicate, a finding id)",
                self.kind
            ));
        }
        if self.kind == DecisionKind::Duplicate
            && self
                .target
                .as_deref()
                .and_then(|t| t.parse::<i64>().ok())
                .is_none()
        {
            return bad(format!(
                "duplicate needs the id of the original finding, not '{}'",
                self.target.as_deref().unwrap_or("")
            ));
        }
        Ok(())
    }
}

impl Store {
    /// Records `req` on each finding: applied at once, or pending where the lane requires a
    /// second person. A new decision replaces one still pending on the same finding.
    pub fn decide(
        &mut self,
        ids: &[i64],
        req: &DecisionRequest,
        actor: &str,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<Vec<DecisionResult>, StoreError> {
        let now = clock.now();
        req.validate(now.date_naive())?;
        let at = stamp(now);
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        if req.kind == DecisionKind::Duplicate {
            let target: i64 = req.target.as_deref().unwrap_or("").parse().unwrap_or(0);
            let exists: bool = txn.query_row(
                "SELECT EXISTS (SELECT 1 FROM findings WHERE id = ?1)",
                [target],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::Invalid(format!(
                    "duplicate of {target}: no finding with that id"
                )));
            }
        }
        let mut events = EventWriter::new(&txn)?;
        let mut counters = CounterDeltas::default();
        let mut results = Vec::with_capacity(ids.len());
        let mut touched = Vec::new();
        for &id in ids {
            let cur = current(&txn, id)?;
            let lane = cur.lane.as_deref();
            let skip = |why: String| DecisionResult {
                finding_id: id,
                decision_id: None,
                outcome: Outcome::Skipped { why },
            };
            let why_not = match req.kind {
                DecisionKind::Reopen if cur.status.is_active() => Some("already open".to_string()),
                DecisionKind::Escalate => None,
                k if k.status() == Some(cur.status) => Some(format!("already {}", cur.status)),
                DecisionKind::Duplicate if req.target.as_deref() == Some(&id.to_string()) => {
                    Some("cannot duplicate itself".into())
                }
                _ => None,
            };
            if let Some(why) = why_not {
                results.push(skip(why));
                continue;
            }
            let gated = policy.needs_approval(lane, req.kind);
            if req.kind == DecisionKind::AcceptRisk && !gated && !policy.may_accept(lane, actor) {
                results.push(skip(format!(
                    "{actor} may not accept risk in lane {}",
                    lane.unwrap_or("-")
                )));
                continue;
            }
            if let Some(old) = cur.pending_id {
                txn.execute(
                    "UPDATE decisions SET state = 'superseded' WHERE id = ?1",
                    [old],
                )?;
            }
            let state = if gated {
                DecisionState::Pending
            } else {
                DecisionState::Applied
            };
            txn.execute(
                "INSERT INTO decisions(finding_id, kind, actor, at, reason, until, control, target,
                    lane, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    req.kind.as_str(),
                    actor,
                    at,
                    req.reason,
                    day(req.until),
                    req.control,
                    req.target,
                    lane,
                    state.as_str()
                ],
            )?;
            let decision_id = txn.last_insert_rowid();
            let mut payload = serde_json::json!({
                "decision": decision_id,
                "kind": req.kind,
                "state": state,
                "lane": lane,
                "until": day(req.until),
                "control": req.control,
                "target": req.target,
                "supersedes": cur.pending_id,
            });
            let outcome = if gated {
                txn.execute(
                    "UPDATE findings SET pending_id = ?2 WHERE id = ?1",
                    params![id, decision_id],
                )?;
                Outcome::Pending
            } else {
                let (from, to) = apply(&txn, id, &cur, req, actor, &at, &mut counters)?;
                payload["from"] = serde_json::json!(from);
                payload["to"] = serde_json::json!(to);
                touched.push(id);
                Outcome::Applied { from, to }
            };
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "decision",
                    reason: Some(&req.reason),
                    payload: &payload.to_string(),
                },
            )?;
            if let Outcome::Applied { from, to } = outcome {
                let origin = Origin {
                    finding_id: id,
                    event_id,
                    at: &at,
                };
                let change = DecisionChange {
                    kind: req.kind,
                    from,
                    to,
                    actor,
                    reason: &req.reason,
                    decision_id,
                };
                on_decision(&txn, &origin, &change)?;
            }
            results.push(DecisionResult {
                finding_id: id,
                decision_id: Some(decision_id),
                outcome,
            });
        }
        counters.apply(&txn)?;
        reassess(&txn, &assessor, Scope::Ids(&touched))?;
        txn.commit()?;
        Ok(results)
    }

    /// Approves the pending decision on each finding (puts it into force) or, with
    /// `reject = Some(reason)`, rejects it (the finding keeps its status). The author of a
    /// decision cannot review it; accepting risk also needs an approver the lane allows.
    pub fn review(
        &mut self,
        finding_ids: &[i64],
        reject: Option<&str>,
        note: Option<&str>,
        actor: &str,
        policy: &Policy,
        clock: &dyn Clock,
    ) -> Result<Vec<DecisionResult>, StoreError> {
        if let Some(r) = reject
            && r.trim().is_empty()
        {
            return Err(StoreError::Invalid("a rejection needs a reason".into()));
        }
        let now = clock.now();
        let at = stamp(now);
        let assessor = Assessor::new(policy, now).map_err(StoreError::Invalid)?;
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut counters = CounterDeltas::default();
        let mut results = Vec::with_capacity(finding_ids.len());
        let mut touched = Vec::new();
        for &id in finding_ids {
            let cur = current(&txn, id)?;
            let skip = |decision_id: Option<i64>, why: String| DecisionResult {
                finding_id: id,
                decision_id,
                outcome: Outcome::Skipped { why },
            };
            let Some(decision_id) = cur.pending_id else {
                results.push(skip(None, "no decision waits for approval".into()));
                continue;
            };
            let (kind, author, reason, until, control, target): (
                String,
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
            ) = txn.query_row(
                "SELECT kind, actor, reason, until, control, target FROM decisions WHERE id = ?1",
                [decision_id],
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
            )?;
            let kind: DecisionKind = kind.parse().map_err(StoreError::Invalid)?;
            if author == actor {
                results.push(skip(
                    Some(decision_id),
                    "you cannot review your own decision; another person must".into(),
                ));
                continue;
            }
            let until = until.as_deref().and_then(crate::clock::parse_day);
            let mut payload = serde_json::json!({
                "decision": decision_id, "kind": kind, "author": author,
            });
            // What the trackers must hear once the decision is in force: its author's words.
            let mut approved: Option<(Status, Status, String)> = None;
            let (event_kind, outcome) = if let Some(why) = reject {
                txn.execute(
                    "UPDATE decisions SET state = 'rejected', reviewer = ?2, reviewed_at = ?3,
                        review_reason = ?4 WHERE id = ?1",
                    params![decision_id, actor, at, why],
                )?;
                txn.execute("UPDATE findings SET pending_id = NULL WHERE id = ?1", [id])?;
                (
                    "rejected",
                    Outcome::Skipped {
                        why: "rejected".into(),
                    },
                )
            } else {
                if kind == DecisionKind::AcceptRisk
                    && !policy.may_accept(cur.lane.as_deref(), actor)
                {
                    results.push(skip(
                        Some(decision_id),
                        format!(
                            "{actor} may not accept risk in lane {}",
                            cur.lane.as_deref().unwrap_or("-")
                        ),
                    ));
                    continue;
                }
                if until.is_some_and(|u| u <= now.date_naive()) {
                    results.push(skip(
                        Some(decision_id),
                        "its end date has passed; decide again".into(),
                    ));
                    continue;
                }
                let req = DecisionRequest {
                    kind,
                    reason,
                    until,
                    control,
                    target,
                };
                let (from, to) = apply(&txn, id, &cur, &req, &author, &at, &mut counters)?;
                txn.execute(
                    "UPDATE decisions SET state = 'applied', reviewer = ?2, reviewed_at = ?3,
                        review_reason = ?4 WHERE id = ?1",
                    params![decision_id, actor, at, note],
                )?;
                payload["from"] = serde_json::json!(from);
                payload["to"] = serde_json::json!(to);
                touched.push(id);
                approved = Some((from, to, req.reason));
                ("approved", Outcome::Applied { from, to })
            };
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: event_kind,
                    reason: reject.or(note),
                    payload: &payload.to_string(),
                },
            )?;
            if let Some((from, to, reason)) = approved {
                let origin = Origin {
                    finding_id: id,
                    event_id,
                    at: &at,
                };
                let change = DecisionChange {
                    kind,
                    from,
                    to,
                    actor: &author,
                    reason: &reason,
                    decision_id,
                };
                on_decision(&txn, &origin, &change)?;
            }
            results.push(DecisionResult {
                finding_id: id,
                decision_id: Some(decision_id),
                outcome,
            });
        }
        counters.apply(&txn)?;
        reassess(&txn, &assessor, Scope::Ids(&touched))?;
        txn.commit()?;
        Ok(results)
    }

    pub fn decisions(&self, filter: DecisionFilter<'_>) -> Result<Vec<DecisionRow>, StoreError> {
        let (cond, param): (&str, rusqlite::types::Value) = match filter {
            DecisionFilter::AwaitingReviewBy(who) => (
                "d.state = 'pending' AND d.actor != ?1",
                who.to_string().into(),
            ),
            DecisionFilter::RequestedBy(who) => (
                "d.state = 'pending' AND d.actor = ?1",
                who.to_string().into(),
            ),
            DecisionFilter::Finding(id) => ("d.finding_id = ?1", id.into()),
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT d.id, d.finding_id, d.kind, d.actor, d.at, d.reason, d.until, d.control,
                    d.target, d.lane, d.state, d.reviewer, d.reviewed_at, d.review_reason,
                    f.title, f.severity
             FROM decisions d JOIN findings f ON f.id = d.finding_id
             WHERE {cond} ORDER BY d.id"
        ))?;
        let rows = stmt.query_map([param], |r| {
            let kind: String = r.get(2)?;
            let state: String = r.get(10)?;
            Ok((
                DecisionRow {
                    id: r.get(0)?,
                    finding_id: r.get(1)?,
                    kind: DecisionKind::Confirm,
                    actor: r.get(3)?,
                    at: r.get(4)?,
                    reason: r.get(5)?,
                    until: r.get(6)?,
                    control: r.get(7)?,
                    target: r.get(8)?,
                    lane: r.get(9)?,
                    state: DecisionState::Pending,
                    reviewer: r.get(11)?,
                    reviewed_at: r.get(12)?,
                    review_reason: r.get(13)?,
                    title: r.get(14)?,
                    severity: Severity::from_rank(r.get(15)?).unwrap_or_default(),
                },
                kind,
                state,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut d, kind, state) = row?;
            d.kind = kind.parse().map_err(StoreError::Invalid)?;
            d.state = state.parse().map_err(StoreError::Invalid)?;
            out.push(d);
        }
        Ok(out)
    }
}
