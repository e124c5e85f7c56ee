//! The writer: a thread beside the readers that owns the console's one writable connection and
//! runs decisions and reviews through the same `Store` API as the CLI, so the UI never waits
//! on a write. The approvals list is read here too: asked for right after a review, it is then
//! read after that review committed.

use super::msg::{Effect, Response, RouteEffect, RouteResponse, TriageEffect, TriageResponse};
use super::route_desk::{self, Routes};
use crate::clock::Clock;
use crate::store::{DecisionFilter, Store};
use crate::triage::policy::Policy;
use crossbeam_channel::{Sender, unbounded};
use std::path::Path;

/// The writer's connection, with why it may only read when it could not open for writing (a
/// shared copy of the database): the console still shows approvals, and says why it refuses.
pub struct Desk {
    pub store: Store,
    pub read_only: Option<String>,
    pub policy: Policy,
    pub clock: Box<dyn Clock>,
    pub routes: Routes,
}

impl Desk {
    pub fn open(
        db: &Path,
        policy: Policy,
        clock: Box<dyn Clock>,
        routes: Routes,
    ) -> Result<Desk, String> {
        let (store, read_only) = match Store::open(db) {
            Ok(s) => (s, None),
            Err(e) => {
                let reader = Store::open_reader(db).map_err(|e| e.to_string())?;
                (reader, Some(e.to_string()))
            }
        };
        Ok(Desk {
            store,
            read_only,
            policy,
            clock,
            routes,
        })
    }

    /// Answers one request about owners. Suggestions only read (today), so a read-only
    /// database still shows them.
    pub fn serve_route(&mut self, effect: RouteEffect) -> RouteResponse {
        if let Some(why) = &self.read_only
            && !matches!(effect, RouteEffect::Suggest { .. })
        {
            return RouteResponse::Refused(format!("the database cannot be written: {why}"));
        }
        route_desk::serve(
            &mut self.store,
            &mut self.routes,
            &self.policy,
            &*self.clock,
            effect,
        )
    }

    /// Puts failed outbox rows back in the queue (`retry`).
    pub fn serve_retry(&mut self, ids: &[i64]) -> Result<usize, String> {
        if let Some(why) = &self.read_only {
            return Err(format!("the database cannot be written: {why}"));
        }
        retry(&mut self.store, ids)
    }

    /// Answers one request.
    pub fn serve(&mut self, effect: TriageEffect) -> TriageResponse {
        if let Some(why) = &self.read_only
            && !matches!(effect, TriageEffect::Approvals { .. })
        {
            let message = format!("the database cannot be written: {why}");
            return match effect {
                TriageEffect::Tick { .. } => TriageResponse::TickFailed(message),
                _ => TriageResponse::Refused(message),
            };
        }
        serve(&mut self.store, &self.policy, &*self.clock, effect)
    }
}

/// Runs one request against a writable store.
pub fn serve(
    store: &mut Store,
    policy: &Policy,
    clock: &dyn Clock,
    effect: TriageEffect,
) -> TriageResponse {
    let refused = |e: crate::store::StoreError| {
        tracing::warn!(error = %e, "console write refused");
        TriageResponse::Refused(e.to_string())
    };
    match effect {
        TriageEffect::Decide {
            ids,
            request,
            actor,
        } => match store.decide(&ids, &request, &actor, policy, clock) {
            Ok(results) => TriageResponse::Decided(results),
            Err(e) => refused(e),
        },
        TriageEffect::Review {
            ids,
            reject,
            note,
            actor,
        } => {
            let done = store.review(
                &ids,
                reject.as_deref(),
                note.as_deref(),
                &actor,
                policy,
                clock,
            );
            match done {
                Ok(results) => TriageResponse::Reviewed {
                    rejected: reject.is_some(),
                    results,
                },
                Err(e) => refused(e),
            }
        }
        TriageEffect::Approvals {
            generation,
            mine,
            me,
        } => {
            let filter = if mine {
                DecisionFilter::RequestedBy(&me)
            } else {
                DecisionFilter::AwaitingReviewBy(&me)
            };
            match store.decisions(filter) {
                Ok(rows) => TriageResponse::Approvals { generation, rows },
                Err(e) => TriageResponse::ApprovalsFailed {
                    generation,
                    message: e.to_string(),
                },
            }
        }
        TriageEffect::SetFlags {
            ids,
            flags,
            reason,
            actor,
        } => match store.set_flags(&ids, flags, &actor, &reason, policy, clock) {
            Ok(changed) => TriageResponse::FlagsSet {
                asked: ids.len(),
                changed,
            },
            Err(e) => refused(e),
        },
        TriageEffect::Tick { actor } => match store.tick(policy, &actor, clock) {
            Ok(report) => TriageResponse::Ticked {
                expired: report.expired.len(),
                recomputed: report.recomputed.is_some(),
            },
            Err(e) => {
                tracing::warn!(error = %e, "console daily tick failed");
                TriageResponse::TickFailed(e.to_string())
            }
        },
    }
}

/// Failed outbox rows (these, or every one when `ids` is empty) back in the queue, as
/// `lastmile outbox --retry` does: the next sync pushes them.
pub fn retry(store: &mut Store, ids: &[i64]) -> Result<usize, String> {
    store.outbox_retry(ids).map_err(|e| {
        tracing::warn!(error = %e, "console outbox retry failed");
        e.to_string()
    })
}

/// The answer to a triage request sent to a reader by mistake: refused, so the UI settles.
pub fn misrouted(effect: TriageEffect) -> Response {
    let message = "internal: a triage request reached a read-only worker".to_string();
    Response::Triage(match effect {
        TriageEffect::Approvals { generation, .. } => TriageResponse::ApprovalsFailed {
            generation,
            message,
        },
        TriageEffect::Tick { .. } => TriageResponse::TickFailed(message),
        _ => TriageResponse::Refused(message),
    })
}

/// What the writer thread is asked to do.
enum Job {
    Triage(TriageEffect),
    Route(RouteEffect),
    Retry(Vec<i64>),
}

/// The same for a routing request: refused (a suggestion's dialog hears it failed).
pub fn misrouted_route(effect: RouteEffect) -> Response {
    let message = "internal: a routing request reached a read-only worker".to_string();
    Response::Route(match effect {
        RouteEffect::Suggest { generation, .. } => RouteResponse::SuggestFailed {
            generation,
            message,
        },
        _ => RouteResponse::Refused(message),
    })
}

pub struct Writer {
    tx: Sender<Job>,
}

impl Writer {
    /// Starts the writer thread; `reply` is called on it with each answer.
    pub fn spawn(desk: Desk, reply: impl Fn(Response) + Send + 'static) -> std::io::Result<Writer> {
        let (tx, rx) = unbounded::<Job>();
        let mut desk = desk;
        std::thread::Builder::new()
            .name("lastmile-write".into())
            .spawn(move || {
                // Writes are never coalesced: each is a person's decision.
                while let Ok(job) = rx.recv() {
                    reply(match job {
                        Job::Triage(t) => Response::Triage(desk.serve(t)),
                        Job::Route(r) => Response::Route(desk.serve_route(r)),
                        Job::Retry(ids) => Response::Retried(desk.serve_retry(&ids)),
                    });
                }
            })?;
        Ok(Writer { tx })
    }

    /// False once the thread is gone; effects for the readers are refused (false).
    pub fn send(&self, effect: Effect) -> bool {
        let job = match effect {
            Effect::Triage(t) => Job::Triage(t),
            Effect::Route(r) => Job::Route(r),
            Effect::RetryOutbox { ids } => Job::Retry(ids),
            _ => return false,
        };
        self.tx.send(job).is_ok()
    }
}
