//! The database workers: threads that own read-only connections and answer the console's
//! requests, so the UI never waits on SQLite. Requests superseded while queued are skipped.
//! Counts run on a thread of their own, and a count for a filter that has since changed is
//! interrupted, so typing a new filter never waits behind the old one's count.

use super::app::{DetailData, Effect, Failed, Response};
use crate::clock::Clock;
use crate::query::Context;
use crate::store::{DecisionFilter, PageRequest, Store};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::collections::VecDeque;
use std::sync::Arc;

/// Who the console's filters are read for (`owner:me`) and the clock that dates each request
/// (`age`, `due`): a request is answered for the moment it is served.
#[derive(Clone)]
pub struct Asker {
    pub clock: Arc<dyn Clock>,
    pub me: Option<String>,
}

impl Asker {
    pub fn new(clock: Arc<dyn Clock>, me: Option<String>) -> Asker {
        Asker { clock, me }
    }

    pub fn context(&self) -> Context {
        Context::new(self.clock.now(), self.me.clone())
    }
}

pub struct Worker {
    tx: Sender<Effect>,
    counts: Sender<Effect>,
    interrupt_count: rusqlite::InterruptHandle,
}

impl Worker {
    /// Starts the threads; `reply` is called on them with each answer.
    pub fn spawn(
        store: Store,
        counter: Store,
        asker: Asker,
        reply: impl Fn(Response) + Send + Sync + 'static,
    ) -> std::io::Result<Worker> {
        let reply = Arc::new(reply);
        let (tx, rx) = unbounded();
        let r = reply.clone();
        let a = asker.clone();
        std::thread::Builder::new()
            .name("lastmile-db".into())
            .spawn(move || serve_loop(&store, &a, &rx, &*r))?;
        let (counts, count_rx) = unbounded();
        let interrupt_count = counter.interrupt_handle();
        std::thread::Builder::new()
            .name("lastmile-count".into())
            .spawn(move || count_loop(&counter, &asker, &count_rx, &*reply))?;
        Ok(Worker {
            tx,
            counts,
            interrupt_count,
        })
    }

    /// False once the worker is gone.
    pub fn send(&self, effect: Effect) -> bool {
        if matches!(effect, Effect::Count { .. }) {
            // Whatever count is running is for an older filter now.
            self.interrupt_count.interrupt();
            return self.counts.send(effect).is_ok();
        }
        self.tx.send(effect).is_ok()
    }
}

fn count_loop(store: &Store, asker: &Asker, rx: &Receiver<Effect>, reply: &dyn Fn(Response)) {
    while let Ok(mut effect) = rx.recv() {
        // Only the newest count matters.
        if let Some(newer) = rx.try_iter().last() {
            effect = newer;
        }
        let Effect::Count { generation, query } = effect else {
            continue;
        };
        let ctx = asker.context();
        let mut total = count(store, &ctx, &query);
        if total.as_ref().is_err_and(|e| e.is_interrupted()) && rx.is_empty() {
            // Interrupted as it started, with nothing newer queued: this count is current.
            total = count(store, &ctx, &query);
        }
        match total {
            Err(e) if e.is_interrupted() => {}
            Ok(total) => reply(Response::Count { generation, total }),
            Err(e) => reply(failed(Failed::Count { generation }, e)),
        }
    }
}

fn count(store: &Store, ctx: &Context, query: &str) -> Result<u64, crate::store::StoreError> {
    if query.trim().is_empty() {
        store.counts().map(|c| c.total)
    } else {
        store.count(query, ctx)
    }
}

fn serve_loop(store: &Store, asker: &Asker, rx: &Receiver<Effect>, reply: &dyn Fn(Response)) {
    let mut queue: VecDeque<Effect> = VecDeque::new();
    loop {
        if queue.is_empty() {
            match rx.recv() {
                Ok(e) => queue.push_back(e),
                // The console closed its end: nothing more to do.
                Err(_) => return,
            }
        }
        queue.extend(rx.try_iter());
        queue = coalesce(queue);
        if let Some(effect) = queue.pop_front() {
            reply(serve(store, &asker.context(), effect));
        }
    }
}

/// Drops what newer requests supersede (pages of an older generation, all but the latest
/// count and detail) and puts pages first: scrolling should not wait behind a slow count.
pub fn coalesce(queue: VecDeque<Effect>) -> VecDeque<Effect> {
    let newest_page = queue
        .iter()
        .filter_map(|e| match e {
            Effect::Page { fetch, .. } => Some(fetch.generation),
            _ => None,
        })
        .max();
    let last_detail = queue
        .iter()
        .rposition(|e| matches!(e, Effect::Detail { .. }));
    let last_count = queue
        .iter()
        .rposition(|e| matches!(e, Effect::Count { .. }));
    let last_teams = queue
        .iter()
        .rposition(|e| matches!(e, Effect::Teams { .. }));
    let last_sync_view = queue
        .iter()
        .rposition(|e| matches!(e, Effect::SyncView { .. }));
    let mut pages = VecDeque::new();
    let mut rest = VecDeque::new();
    for (i, e) in queue.into_iter().enumerate() {
        match &e {
            Effect::Page { fetch, .. } if Some(fetch.generation) == newest_page => {
                pages.push_back(e)
            }
            Effect::Detail { .. } if Some(i) == last_detail => rest.push_back(e),
            Effect::Count { .. } if Some(i) == last_count => rest.push_back(e),
            Effect::Teams { .. } if Some(i) == last_teams => rest.push_back(e),
            Effect::SyncView { .. } if Some(i) == last_sync_view => rest.push_back(e),
            Effect::Page { .. } | Effect::Detail { .. } | Effect::Count { .. } => {}
            Effect::Teams { .. } | Effect::SyncView { .. } => {}
            // Not the readers' to skip: `serve` answers them (as misrouted).
            Effect::Triage(_) | Effect::Route(_) | Effect::Sync(_) | Effect::RetryOutbox { .. } => {
                rest.push_back(e)
            }
        }
    }
    pages.extend(rest);
    pages
}

/// Answers one request from the store, reading its filter for `ctx`.
pub fn serve(store: &Store, ctx: &Context, effect: Effect) -> Response {
    match effect {
        Effect::Page { fetch, query, sort } => {
            let req = PageRequest {
                query,
                context: ctx.clone(),
                sort,
                anchor: fetch.anchor(),
                limit: fetch.limit,
            };
            match store.page(&req) {
                Ok(page) => Response::Page {
                    generation: fetch.generation,
                    tag: fetch.tag(),
                    limit: fetch.limit,
                    rows: page.rows,
                },
                Err(e) => failed(
                    Failed::Page {
                        generation: fetch.generation,
                    },
                    e,
                ),
            }
        }
        Effect::Count { generation, query } => match count(store, ctx, &query) {
            Ok(total) => Response::Count { generation, total },
            Err(e) => failed(Failed::Count { generation }, e),
        },
        Effect::Detail { id } => {
            let found = store.finding(id).and_then(|f| {
                Ok((
                    f,
                    store.history(id)?,
                    store.decisions(DecisionFilter::Finding(id))?,
                    store.assignment(id)?,
                    store.links(id)?,
                ))
            });
            match found {
                Ok((finding, history, decisions, assignment, links)) => {
                    Response::Detail(Box::new(DetailData {
                        id,
                        finding,
                        history,
                        decisions,
                        assignment,
                        links,
                    }))
                }
                Err(e) => failed(Failed::Detail { id }, e),
            }
        }
        Effect::Teams { generation, today } => Response::Teams {
            generation,
            result: store.team_load(today).map_err(|e| {
                tracing::warn!(error = %e, "console teams view failed");
                e.to_string()
            }),
        },
        Effect::SyncView { generation } => Response::SyncView {
            generation,
            result: super::sync_view::read(store).map_err(|e| {
                tracing::warn!(error = %e, "console sync view failed");
                e.to_string()
            }),
        },
        // The console sends these to the writer; one arriving here is answered, not lost.
        Effect::Triage(t) => super::writer::misrouted(t),
        Effect::Route(r) => super::writer::misrouted_route(r),
        Effect::RetryOutbox { .. } => Response::Retried(Err(
            "internal: a retry reached a read-only worker".to_string(),
        )),
        Effect::Sync(_) => Response::Sync(super::msg::SyncEvent::Finished(Err(
            "internal: a sync request reached a database worker".to_string(),
        ))),
    }
}

fn failed(request: Failed, e: impl std::fmt::Display) -> Response {
    tracing::warn!(?request, error = %e, "console request failed");
    Response::Failed {
        request,
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SortKey;
    use crate::tui::backlog::{Fetch, FetchKind};

    fn page(generation: u64) -> Effect {
        Effect::Page {
            fetch: Fetch {
                generation,
                kind: FetchKind::Start,
                limit: 10,
            },
            query: String::new(),
            sort: SortKey::DEFAULT,
        }
    }

    #[test]
    fn superseded_requests_are_skipped_and_pages_go_first() {
        let queue = VecDeque::from([
            Effect::Count {
                generation: 1,
                query: "a".into(),
            },
            page(1),
            Effect::Detail { id: 5 },
            page(2),
            Effect::Count {
                generation: 2,
                query: "b".into(),
            },
            Effect::Detail { id: 6 },
            page(2),
        ]);
        let kept: Vec<Effect> = coalesce(queue).into_iter().collect();
        assert_eq!(
            kept,
            [
                page(2),
                page(2),
                Effect::Count {
                    generation: 2,
                    query: "b".into()
                },
                Effect::Detail { id: 6 },
            ]
        );
    }
}
