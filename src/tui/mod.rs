//! The console: an Elm-like loop. Terminal events and database answers become messages,
//! `app::update` turns them into a new state and requests for the database worker, and
//! `view::view` draws the state. Only this file touches the real terminal.

pub mod action;
pub mod app;
pub mod approvals;
pub mod approvals_view;
pub mod assign;
pub mod assign_view;
pub mod backlog;
pub mod columns;
pub mod daily;
pub mod decisions;
pub mod detail;
pub mod dialog;
pub mod dialog_view;
pub mod editor;
pub mod flags;
pub mod flags_view;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod msg;
pub mod owners;
pub mod prompt;
pub mod roster_search;
pub mod route_desk;
pub mod selection;
pub mod sync;
pub mod sync_view;
pub mod sync_view_draw;
pub mod teams;
pub mod teams_view;
pub mod text;
pub mod theme;
pub mod view;
pub mod views;
pub mod worker;
pub mod writer;

pub use action::{Action, Context};
pub use app::{Effect, Response, State, init, on_key, on_resize, on_response, update};
pub use keymap::{Key, Keymap};
pub use sync::SyncRunner;
pub use theme::{ColorDepth, Theme, detect_color_depth};
pub use view::view;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::store::Store;
use crate::triage::policy::Policy;
use color_eyre::eyre::{WrapErr, eyre};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use std::path::Path;
use tokio::sync::mpsc;
use worker::Worker;
use writer::{Desk, Writer};

/// Opens the console on the database at `db`, with no tracker to sync with.
/// `me` is who `owner:me` and `decided-by:me` mean.
pub fn run(db: &Path, config: &Config, me: Option<String>) -> color_eyre::Result<()> {
    run_with_sync(db, config, me, None)
}

/// Opens the console; `sync` runs a sync of the configured trackers when the `sync` key is
/// pressed (`None`: no tracker is configured, and the key says how to configure one).
pub fn run_with_sync(
    db: &Path,
    config: &Config,
    me: Option<String>,
    sync: Option<SyncRunner>,
) -> color_eyre::Result<()> {
    let keymap = Keymap::with_overrides(&config.keys_plain()).map_err(|errors| {
        let lines: Vec<String> = errors
            .iter()
            .map(|(action, msg)| format!("keys.{action}: {msg}"))
            .collect();
        eyre!("invalid [keys] in the config:\n{}", lines.join("\n"))
    })?;
    let theme = Theme::new(&config.ui.theme, theme::detect_from_env());
    let policy =
        Policy::from_config(config).map_err(|e| eyre!("the triage policy in the config: {e}"))?;
    let store = open_reader(db)?;
    // Counts get their own connection: a count over a million rows must not hold up scrolling.
    let counter = open_reader(db)?;
    let (reply_tx, replies) = mpsc::unbounded_channel();
    let routes = route_desk::Routes::new(config.clone());
    let desk = Desk::open(db, policy.clone(), Box::new(SystemClock), routes)
        .map_err(|e| eyre!("cannot open {} for decisions: {e}", db.display()))?;
    let sync_tx = reply_tx.clone();
    let available = sync.is_some();
    let syncer = sync::Syncer::new(sync, move |r| {
        let _ = sync_tx.send(r);
    });
    let write_tx = reply_tx.clone();
    let writer = Writer::spawn(desk, move |r| {
        let _ = write_tx.send(r);
    })
    .wrap_err("cannot start the database writer thread")?;
    let asker = worker::Asker::new(std::sync::Arc::new(SystemClock), me.clone());
    let worker = Worker::spawn(store, counter, asker, move |r| {
        // The console may already be closing; then nobody needs the answer.
        let _ = reply_tx.send(r);
    })
    .wrap_err("cannot start the database worker thread")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the console's event loop")?;

    // Restores on every way out of this function, `?` included (even a half-done `try_init`,
    // which can fail after raw mode is on); panics are covered by the hook `try_init` installs.
    let _restore = RestoreOnDrop;
    let mut terminal = ratatui::try_init().wrap_err("cannot set up the terminal")?;
    let size = terminal.size()?;
    let mut state = State::new(keymap, theme, size.width, size.height);
    state.utc_offset = *chrono::Local::now().offset();
    state.today = Some(chrono::Local::now().date_naive());
    state.triage.policy = std::sync::Arc::new(policy);
    let views: Vec<crate::config::View> =
        config.views.iter().map(|v| v.get_ref().clone()).collect();
    state.set_views(&views);
    state.triage.me = me;
    state.owners.directory = std::sync::Arc::new(roster_search::Directory::from_config(config));
    state.sync.available = available;
    let workers = Workers {
        worker,
        writer,
        syncer,
    };
    runtime.block_on(event_loop(&mut terminal, &mut state, &workers, replies))
}

/// The worker's connection. A database that does not exist yet (or has an older schema) is
/// created or migrated first, since a read-only connection can do neither.
fn open_reader(db: &Path) -> color_eyre::Result<Store> {
    match Store::open(db) {
        Ok(store) => drop(store),
        // A database we may read but not write (a shared copy) is still worth showing.
        Err(e) if db.exists() => tracing::warn!(error = %e, "opening read-only"),
        Err(e) => return Err(e).wrap_err_with(|| format!("cannot open {}", db.display())),
    }
    Store::open_reader(db).wrap_err_with(|| format!("cannot open {}", db.display()))
}

/// The reader threads, the writer and the sync thread: effects go to whichever serves them.
struct Workers {
    worker: Worker,
    writer: Writer,
    syncer: sync::Syncer,
}

impl Workers {
    /// False once the thread that should serve it is gone.
    fn send(&self, effect: Effect) -> bool {
        match effect {
            Effect::Triage(_) | Effect::Route(_) | Effect::RetryOutbox { .. } => {
                self.writer.send(effect)
            }
            // A sync that cannot start says so through its own report.
            Effect::Sync(plan) => {
                self.syncer.start(plan);
                true
            }
            other => self.worker.send(other),
        }
    }
}

struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    state: &mut State,
    worker: &Workers,
    mut replies: mpsc::UnboundedReceiver<Response>,
) -> color_eyre::Result<()> {
    let mut events = EventStream::new();
    let mut worker_alive = true;
    let mut effects = init(state);
    effects.extend(daily::check(
        state,
        chrono::Utc::now(),
        *chrono::Local::now().offset(),
    ));
    // An idle console draws nothing, so midnight has to be looked for: a cheap wake-up that
    // redraws only when the date changed.
    let mut clock_check = tokio::time::interval(std::time::Duration::from_secs(30));
    clock_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    loop {
        for effect in effects.drain(..) {
            if !worker.send(effect) && worker_alive {
                worker_alive = false;
                state.error = Some("the database worker stopped; restart lastmile".into());
                dirty = true;
            }
        }
        if state.quit {
            return Ok(());
        }
        // Draw only when something changed: an idle console costs nothing.
        if dirty {
            // Deadlines count in local days, and a console may stay open past midnight.
            state.today = Some(chrono::Local::now().date_naive());
            state.triage.now = Some(chrono::Utc::now());
            terminal.draw(|frame| view(state, frame))?;
            dirty = false;
        }
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    effects = on_key(state, &key);
                    dirty = true;
                }
                Some(Ok(Event::Resize(w, h))) => {
                    effects = on_resize(state, w, h);
                    dirty = true;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).wrap_err("cannot read from the terminal"),
                None => return Ok(()),
            },
            _ = clock_check.tick() => {
                let day = state.triage.day;
                effects = daily::check(state, chrono::Utc::now(), *chrono::Local::now().offset());
                dirty = state.triage.day != day;
            }
            reply = replies.recv(), if worker_alive => match reply {
                Some(reply) => {
                    effects = on_response(state, reply);
                    dirty = true;
                }
                None => {
                    worker_alive = false;
                    state.error = Some("the database worker stopped; restart lastmile".into());
                    dirty = true;
                }
            },
        }
    }
}
