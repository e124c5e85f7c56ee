//! Syncing with the trackers from the console: the sync runs on a thread of its own and reports
//! each page and each pushed row through the console's message channel, so keys keep working
//! while it runs. How trackers are built is not the console's business: the caller hands in a
//! `SyncRunner`.

use super::app::{Effect, State};
use super::msg::{Response, SyncEvent};
use crate::sanitize;
use crate::trackers::engine::{Plan, Progress, Summary};
use std::sync::Arc;

/// Runs one sync of every configured tracker and reports progress as it goes. It opens its
/// own connection to the database (WAL lets the console read meanwhile). The error is one
/// line for the status bar.
pub type SyncRunner =
    Arc<dyn Fn(Plan, &mut dyn FnMut(Progress)) -> Result<Vec<Summary>, String> + Send + Sync>;

/// What the console's `sync` runs: pull, then push, for real.
pub const PLAN: Plan = Plan {
    pull: true,
    push: true,
    dry_run: false,
};

/// Said when there is no runner (no tracker in the config).
pub const NOT_CONFIGURED: &str = "no tracker is configured: add [trackers.github] and `github = \"owner/name\"` to a [[repos]] entry in the config, then start lastmile again";

pub const ALREADY_RUNNING: &str = "a sync is already running; its progress is in the status bar";

#[derive(Debug, Clone, Default)]
pub struct SyncState {
    /// A runner was given; without one the `sync` key says how to configure a tracker.
    pub available: bool,
    /// While a sync runs: what it is doing now, for the status bar.
    pub running: Option<String>,
    /// How the last sync ended (per tracker), for the sync view.
    pub last: Option<Result<Vec<Summary>, String>>,
    /// The sync view, while it is open.
    pub view: Option<super::sync_view::SyncView>,
    pub(super) generation: u64,
}

impl SyncState {
    /// A number for the next read of the sync view, so a late answer to an older one is dropped.
    pub(super) fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }
}

/// The `sync` action: starts one, unless one is running or there is nothing to run.
pub fn start(state: &mut State) -> Vec<Effect> {
    if !state.sync.available {
        state.error = Some(NOT_CONFIGURED.into());
        return Vec::new();
    }
    if state.sync.running.is_some() {
        state.triage.notice = Some(ALREADY_RUNNING.into());
        return Vec::new();
    }
    state.error = None;
    state.sync.running = Some("sync: starting…".into());
    vec![Effect::Sync(PLAN)]
}

/// A report from the sync thread. When the sync ends, everything it may have changed is read
/// again: the list, the count, the detail (its links), and the sync view if it is open.
pub fn on_event(state: &mut State, event: SyncEvent) -> Vec<Effect> {
    match event {
        SyncEvent::Progress(p) => {
            // A report arriving after the end (it cannot, but a stale line would stick).
            if state.sync.running.is_some() {
                state.sync.running = Some(progress_text(&p));
            }
            Vec::new()
        }
        SyncEvent::Finished(result) => {
            state.sync.running = None;
            match &result {
                Ok(summaries) => state.triage.notice = Some(summary_text(summaries)),
                Err(e) => state.error = Some(format!("sync failed: {e}")),
            }
            state.sync.last = Some(result);
            let mut out = state.reload();
            out.extend(super::sync_view::load(state));
            out
        }
    }
}

/// "sync: github:acme/app:code_scanning page 3, 250 items". Endpoint keys and what a row does
/// come from the config and the tracker: sanitized here, once, for every place that shows it.
pub fn progress_text(p: &Progress) -> String {
    match p {
        Progress::Page {
            endpoint,
            page,
            items,
        } => format!(
            "sync: {} page {page}, {} items",
            sanitize::line(endpoint),
            super::text::thousands(*items)
        ),
        Progress::EndpointDone {
            endpoint,
            counts,
            not_modified,
        } => {
            let how = if *not_modified {
                "not modified".to_string()
            } else {
                format!("{} pulled", super::text::thousands(counts.pulled))
            };
            format!("sync: {} done, {how}", sanitize::line(endpoint))
        }
        Progress::Pushed { row, what, ok } => {
            let how = if *ok { "pushed" } else { "not pushed" };
            format!("sync: {how} row {row}: {}", sanitize::line(what))
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "synced: 12 pulled, 2 created, 1 conflict, 3 pushed, 0 failed", over every tracker.
pub fn summary_text(summaries: &[Summary]) -> String {
    let mut pulled = crate::store::PullCounts::default();
    let (mut pushed, mut failed, mut pending) = (0, 0, 0);
    for s in summaries {
        pulled += s.pulled;
        pushed += s.pushed;
        failed += s.failed;
        pending += s.pending;
    }
    let mut text = format!(
        "synced: {} pulled, {} created, {}, {} pushed, {} failed",
        pulled.pulled,
        pulled.created,
        plural(pulled.conflicts, "conflict", "conflicts"),
        pushed,
        failed
    );
    if pending > 0 {
        text.push_str(&format!(", {pending} waiting"));
    }
    if let Some(until) = summaries.iter().filter_map(|s| s.rate_limited_until).max() {
        text.push_str(&format!(
            "; rate limited until {} UTC",
            until.format("%H:%M")
        ));
    }
    let errors: usize = summaries.iter().map(|s| s.errors.len()).sum();
    if errors > 0 {
        text.push_str(&format!(
            "; {} (the sync view lists them)",
            plural(errors as u64, "error", "errors")
        ));
    }
    text
}

/// The thread a sync runs on, and the runner it calls.
pub struct Syncer {
    runner: Option<SyncRunner>,
    reply: Arc<dyn Fn(Response) + Send + Sync>,
}

impl Syncer {
    /// `reply` is called on the sync thread with each report.
    pub fn new(
        runner: Option<SyncRunner>,
        reply: impl Fn(Response) + Send + Sync + 'static,
    ) -> Syncer {
        Syncer {
            runner,
            reply: Arc::new(reply),
        }
    }

    /// Starts a sync on a new thread. Whatever happens, its end is reported (no runner, no
    /// thread, a panic), so the console never waits for a sync that is not running.
    pub fn start(&self, plan: Plan) {
        let reply = self.reply.clone();
        let Some(runner) = self.runner.clone() else {
            reply(Response::Sync(SyncEvent::Finished(Err(
                NOT_CONFIGURED.into()
            ))));
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("lastmile-sync".into())
            .spawn(move || {
                let report = reply.clone();
                let mut progress = |p: Progress| report(Response::Sync(SyncEvent::Progress(p)));
                // A panic in a connector must end the sync, not leave the console waiting.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    runner(plan, &mut progress)
                }))
                .unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(panic = %what, "the console's sync panicked");
                    Err("the sync stopped unexpectedly (a bug; the log has it)".into())
                });
                reply(Response::Sync(SyncEvent::Finished(result)));
            });
        if let Err(e) = spawned {
            (self.reply)(Response::Sync(SyncEvent::Finished(Err(format!(
                "cannot start the sync thread: {e}"
            )))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PullCounts;

    #[test]
    fn the_summary_adds_up_every_tracker_and_says_what_needs_a_look() {
        let one = Summary {
            tracker: "github".into(),
            pulled: PullCounts {
                pulled: 10,
                created: 2,
                linked: 0,
                updated: 1,
                conflicts: 1,
            },
            pushed: 3,
            ..Summary::default()
        };
        let two = Summary {
            pulled: PullCounts {
                pulled: 2,
                ..PullCounts::default()
            },
            errors: vec!["github:a/b:issues: 502".into()],
            pending: 4,
            ..Summary::default()
        };
        assert_eq!(
            summary_text(std::slice::from_ref(&one)),
            "synced: 10 pulled, 2 created, 1 conflict, 3 pushed, 0 failed"
        );
        assert_eq!(
            summary_text(&[one, two]),
            "synced: 12 pulled, 2 created, 1 conflict, 3 pushed, 0 failed, 4 waiting; 1 error (the sync view lists them)"
        );
    }

    #[test]
    fn progress_is_one_line_whatever_the_tracker_sent() {
        let p = Progress::Pushed {
            row: 7,
            what: "label \u{1b}[2Jx".into(),
            ok: false,
        };
        assert_eq!(progress_text(&p), "sync: not pushed row 7: label \\e[2Jx");
        let p = Progress::Page {
            endpoint: "github:acme/app:code_scanning".into(),
            page: 3,
            items: 250,
        };
        assert_eq!(
            progress_text(&p),
            "sync: github:acme/app:code_scanning page 3, 250 items"
        );
    }
}
