//! What the trackers must hear of each change: the outbox rows a decision, an approval, an
//! assignment, an expiry, a scan's closure, a comment, a label change or a ticket request
//! writes, in that change's transaction.

use super::events::{EventWriter, NewEvent};
use super::links::{Link, links_of};
use super::outbox::{Intent, Origin, TicketRequest, insert, to_link};
use super::{Store, StoreError};
use crate::clock::{Clock, stamp};
use crate::model::{DecisionKind, Status};
use crate::trackers::{Operation, RemoteKind};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// A decision just put into force on a finding: what each linked tracker must hear.
pub(crate) struct DecisionChange<'a> {
    pub kind: DecisionKind,
    pub from: Status,
    pub to: Status,
    pub actor: &'a str,
    pub reason: &'a str,
    pub decision_id: i64,
}

pub(crate) fn on_decision(
    conn: &Connection,
    origin: &Origin<'_>,
    change: &DecisionChange<'_>,
) -> Result<(), StoreError> {
    let links = links_of(conn, origin.finding_id)?;
    if links.is_empty() {
        return Ok(());
    }
    let note = crate::trackers::packet::decision_comment(
        change.actor,
        &change.kind.to_string(),
        change.reason,
        &change.decision_id.to_string(),
    );
    // Closed by a person's decision (not by the code being fixed): dismiss alerts, close
    // tickets as not planned. A duplicate leaves alerts alone: the original carries them.
    let dismissing = matches!(
        change.to,
        Status::FalsePositive | Status::AcceptedRisk | Status::Deferred
    );
    let closing = dismissing || change.to == Status::Duplicate;
    let reopening = !change.from.is_active() && change.to.is_active();
    for link in &links {
        let state = link.state.as_str();
        if link.at.kind.is_alert() {
            // A fixed alert is closed by the tracker's analysis: nothing to dismiss.
            if dismissing && state != "fixed" {
                to_link(
                    conn,
                    origin,
                    link,
                    Operation::Dismiss {
                        status: change.to,
                        comment: note.clone(),
                    },
                )?;
            } else if reopening && state == "dismissed" {
                to_link(conn, origin, link, Operation::Reopen)?;
            }
            continue;
        }
        let comment = Operation::Comment {
            body: format!(
                "**{}** by {}: {}\n\n(lastmile decision {})",
                change.kind,
                change.actor,
                change.reason.trim(),
                change.decision_id
            ),
        };
        if closing && state == "open" {
            to_link(conn, origin, link, comment)?;
            to_link(conn, origin, link, Operation::Close { completed: false })?;
        } else if reopening && state != "open" {
            to_link(conn, origin, link, Operation::Reopen)?;
            to_link(conn, origin, link, comment)?;
        } else if matches!(change.kind, DecisionKind::Escalate | DecisionKind::Confirm) {
            to_link(conn, origin, link, comment)?;
        }
    }
    Ok(())
}

/// An acceptance or deferral ran out and the finding is open again: what it had closed on
/// the trackers opens again too.
pub(crate) fn on_expired(
    conn: &Connection,
    origin: &Origin<'_>,
    reason: &str,
) -> Result<(), StoreError> {
    for link in links_of(conn, origin.finding_id)? {
        if link.at.kind.is_alert() {
            if link.state == "dismissed" {
                to_link(conn, origin, &link, Operation::Reopen)?;
            }
        } else if link.state != "open" {
            to_link(conn, origin, &link, Operation::Reopen)?;
            let body = format!("Reopened by lastmile: {reason}.");
            to_link(conn, origin, &link, Operation::Comment { body })?;
        }
    }
    Ok(())
}

/// The owner changed: tickets gain the new person and lose the old one. lastmile handles are
/// stored; the engine turns them into tracker logins when it pushes.
pub(crate) fn on_assign(
    conn: &Connection,
    origin: &Origin<'_>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), StoreError> {
    if from == to {
        return Ok(());
    }
    for link in links_of(conn, origin.finding_id)? {
        if link.at.kind.is_alert() {
            continue;
        }
        if let Some(to) = to {
            let op = Operation::AddAssignees {
                logins: vec![to.to_string()],
            };
            to_link(conn, origin, &link, op)?;
        }
        if let Some(from) = from {
            let op = Operation::RemoveAssignees {
                logins: vec![from.to_string()],
            };
            to_link(conn, origin, &link, op)?;
        }
    }
    Ok(())
}

/// A scan found the code fixed: open tickets close as completed. Alerts close themselves when
/// the tracker's own analysis sees the fix.
pub(crate) fn on_fixed(conn: &Connection, origin: &Origin<'_>) -> Result<(), StoreError> {
    for link in links_of(conn, origin.finding_id)? {
        if link.at.kind == RemoteKind::Issue && link.state == "open" {
            to_link(conn, origin, &link, Operation::Close { completed: true })?;
        }
    }
    Ok(())
}

/// The finding's open tickets: the ones a change of its deadline is worth a comment on.
pub(crate) fn open_tickets(conn: &Connection, finding_id: i64) -> Result<Vec<Link>, StoreError> {
    let mut links = links_of(conn, finding_id)?;
    links.retain(|l| l.at.kind == RemoteKind::Issue && l.state == "open");
    Ok(links)
}

/// A finding's lane or due date moved (a KEV listing, a policy change, age): its open tickets
/// hear it, since their body states the lane and deadline as they were when they were opened.
pub(crate) fn on_deadline(
    conn: &Connection,
    origin: &Origin<'_>,
    tickets: &[Link],
    change: &str,
) -> Result<(), StoreError> {
    for link in tickets {
        let body = format!("SLA update from lastmile: {change}.");
        to_link(conn, origin, link, Operation::Comment { body })?;
    }
    Ok(())
}

/// The marker that ties an issue to its finding in every replica: the finding's indexed
/// fingerprint key, which is the same wherever the same report was imported.
pub fn marker_for(fp_key: i64) -> String {
    format!("lastmile:{:016x}", fp_key as u64)
}

/// Why a ticket was not requested for a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TicketOutcome {
    Requested,
    AlreadyLinked { reference: String },
    AlreadyRequested,
}

impl Store {
    /// Queues a ticket for each finding in `repo` of `tracker`. A finding that already has a
    /// ticket, or one on its way, gets no second.
    pub fn request_tickets(
        &mut self,
        ids: &[i64],
        tracker: &str,
        repo: &str,
        labels: &[String],
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<Vec<(i64, TicketOutcome)>, StoreError> {
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let fp_key: i64 = txn
                .query_row("SELECT fp_key FROM findings WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| StoreError::Invalid(format!("no finding with id {id}")))?;
            if let Some(link) = links_of(&txn, id)?
                .into_iter()
                .find(|l| l.at.kind == RemoteKind::Issue)
            {
                out.push((
                    id,
                    TicketOutcome::AlreadyLinked {
                        reference: link.at.to_string(),
                    },
                ));
                continue;
            }
            let waiting: bool = txn.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE finding_id = ?1
                    AND state IN ('pending', 'failed') AND number IS NULL)",
                [id],
                |r| r.get(0),
            )?;
            if waiting {
                out.push((id, TicketOutcome::AlreadyRequested));
                continue;
            }
            let request = TicketRequest {
                marker: marker_for(fp_key),
                labels: labels.to_vec(),
                requested_by: actor.to_string(),
            };
            let payload =
                serde_json::json!({ "tracker": tracker, "repo": repo, "marker": request.marker })
                    .to_string();
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "ticket_requested",
                    reason: None,
                    payload: &payload,
                },
            )?;
            let origin = Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            insert(
                &txn,
                &origin,
                tracker,
                None,
                repo,
                None,
                &Intent::Ticket {
                    create_ticket: request,
                },
            )?;
            out.push((id, TicketOutcome::Requested));
        }
        txn.commit()?;
        Ok(out)
    }

    /// Records a comment on each finding; its tickets get it on the next sync. Returns how
    /// many outbox rows it queued.
    pub fn comment(
        &mut self,
        ids: &[i64],
        body: &str,
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<usize, StoreError> {
        if body.trim().is_empty() {
            return Err(StoreError::Invalid("a comment needs text".into()));
        }
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut queued = 0;
        for &id in ids {
            let exists: bool = txn.query_row(
                "SELECT EXISTS (SELECT 1 FROM findings WHERE id = ?1)",
                [id],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StoreError::Invalid(format!("no finding with id {id}")));
            }
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "comment",
                    reason: Some(body),
                    payload: "{}",
                },
            )?;
            let origin = Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            for link in links_of(&txn, id)? {
                if link.at.kind == RemoteKind::Issue {
                    let op = Operation::Comment {
                        body: format!("{body}\n\n(by {actor}, via lastmile)"),
                    };
                    to_link(&txn, &origin, &link, op)?;
                    queued += 1;
                }
            }
        }
        txn.commit()?;
        Ok(queued)
    }

    /// Adds and removes labels on the findings' tickets (one event per finding, the rows with
    /// it). Returns how many outbox rows it queued.
    pub fn label(
        &mut self,
        ids: &[i64],
        add: &[String],
        remove: &[String],
        actor: &str,
        clock: &dyn Clock,
    ) -> Result<usize, StoreError> {
        let bad = add
            .iter()
            .chain(remove)
            .find(|l| l.trim().is_empty() || l.contains(','));
        if let Some(l) = bad {
            return Err(StoreError::Invalid(format!(
                "label {l:?}: labels are non-empty and have no commas"
            )));
        }
        if add.is_empty() && remove.is_empty() {
            return Err(StoreError::Invalid(
                "say which labels to --add or --remove".into(),
            ));
        }
        let at = stamp(clock.now());
        let txn = self.conn.transaction()?;
        let mut events = EventWriter::new(&txn)?;
        let mut queued = 0;
        for &id in ids {
            let links: Vec<Link> = links_of(&txn, id)?
                .into_iter()
                .filter(|l| l.at.kind == RemoteKind::Issue)
                .collect();
            if links.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "finding {id} has no ticket to label (`lastmile ticket {id}` opens one)"
                )));
            }
            let payload = serde_json::json!({ "add": add, "remove": remove }).to_string();
            let event_id = events.append(
                &txn,
                &NewEvent {
                    finding_id: Some(id),
                    at: &at,
                    actor,
                    kind: "labels",
                    reason: None,
                    payload: &payload,
                },
            )?;
            let origin = Origin {
                finding_id: id,
                event_id,
                at: &at,
            };
            for link in &links {
                if !add.is_empty() {
                    let op = Operation::AddLabels {
                        labels: add.to_vec(),
                    };
                    to_link(&txn, &origin, link, op)?;
                    queued += 1;
                }
                for label in remove {
                    let op = Operation::RemoveLabel {
                        label: label.clone(),
                    };
                    to_link(&txn, &origin, link, op)?;
                    queued += 1;
                }
            }
        }
        txn.commit()?;
        Ok(queued)
    }
}
