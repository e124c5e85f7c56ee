//! The sync view: what waits in the outbox, what failed for good (and why), recent conflicts,
//! and where each tracker endpoint's pull left off. Read on the reader thread; retries go
//! through the writer; `Enter` shows the finding under the cursor in the backlog.

use super::action::Action;
use super::app::{Effect, Focus, State};
use super::msg::SyncData;
use super::sync_view_draw;
use crate::store::{OutboxFilter, Store, StoreError, outbox::RowState};

/// Outbox rows of each kind the view holds; a bulk decision can queue thousands, and the
/// totals say how many more there are.
pub const ROW_LIMIT: usize = 500;
/// Conflicts shown, newest first.
pub const CONFLICT_LIMIT: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct SyncView {
    pub generation: u64,
    /// None until first read; the last answer while a newer read is on its way.
    pub data: Option<SyncData>,
    pub reading: bool,
    /// The item under the cursor (see `SyncData::items`), and the first line on screen.
    pub cursor: usize,
    pub offset: usize,
}

/// What the cursor can rest on: a row with a finding behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Failed(usize),
    Pending(usize),
    Conflict(usize),
}

impl SyncData {
    /// The items in the order the view shows them: failed rows first (they wait for a
    /// person), then pending rows, then conflicts.
    pub fn items(&self) -> Vec<Item> {
        (0..self.failed.len())
            .map(Item::Failed)
            .chain((0..self.pending.len()).map(Item::Pending))
            .chain((0..self.conflicts.len()).map(Item::Conflict))
            .collect()
    }

    pub fn finding_of(&self, item: Item) -> Option<i64> {
        match item {
            Item::Failed(i) => self.failed.get(i)?.finding_id,
            Item::Pending(i) => self.pending.get(i)?.finding_id,
            Item::Conflict(i) => self.conflicts.get(i)?.finding_id,
        }
    }
}

/// Reads what the view shows (on a reader thread).
pub fn read(store: &Store) -> Result<SyncData, StoreError> {
    let mut data = SyncData::default();
    for row in store.outbox(OutboxFilter::Open)? {
        let (list, total) = match row.state {
            RowState::Failed => (&mut data.failed, &mut data.failed_total),
            _ => (&mut data.pending, &mut data.pending_total),
        };
        *total += 1;
        if list.len() < ROW_LIMIT {
            list.push(row);
        }
    }
    data.conflicts = store.recent_conflicts(CONFLICT_LIMIT)?;
    data.endpoints = store.sync_marks()?;
    Ok(data)
}

/// A request for the view's rows (`None` when it is closed).
pub fn load(state: &mut State) -> Option<Effect> {
    let generation = state.sync.next_generation();
    let view = state.sync.view.as_mut()?;
    view.generation = generation;
    view.reading = true;
    Some(Effect::SyncView { generation })
}

/// Opens the view and reads it.
pub fn open(state: &mut State) -> Vec<Effect> {
    state.error = None;
    state.sync.view = Some(SyncView::default());
    load(state).into_iter().collect()
}

/// The reader's answer.
pub fn on_data(state: &mut State, generation: u64, result: Result<SyncData, String>) {
    let Some(view) = state
        .sync
        .view
        .as_mut()
        .filter(|v| v.generation == generation)
    else {
        return;
    };
    view.reading = false;
    match result {
        Ok(data) => {
            // Rows come and go between reads (a retry, a sync): the cursor stays in range.
            view.cursor = view.cursor.min(data.items().len().saturating_sub(1));
            view.data = Some(data);
        }
        Err(message) => {
            view.data.get_or_insert_with(SyncData::default);
            state.error = Some(message);
        }
    }
}

/// The writer put failed rows back in the queue.
pub fn on_retried(state: &mut State, result: Result<usize, String>) -> Vec<Effect> {
    match result {
        Ok(n) => {
            let key = state
                .keymap
                .first(Action::Sync)
                .map_or_else(|| Action::Sync.name().to_string(), |k| k.to_string());
            let rows = if n == 1 { "row" } else { "rows" };
            state.triage.notice = Some(format!(
                "{n} {rows} back in the queue; the next sync ({key}) sends them"
            ));
        }
        Err(message) => state.error = Some(message),
    }
    load(state).into_iter().collect()
}

/// An action while the view has the keyboard.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let items = state
        .sync
        .view
        .as_ref()
        .and_then(|v| v.data.as_ref())
        .map(SyncData::items)
        .unwrap_or_default();
    let page = sync_view_draw::visible_lines(state).max(1) as i64;
    let Some(view) = state.sync.view.as_mut() else {
        return Vec::new();
    };
    let at = view.cursor as i64;
    let here = items.get(view.cursor).copied();
    let target = match action {
        Action::MoveDown => at + 1,
        Action::MoveUp => at - 1,
        Action::PageDown => at + page,
        Action::PageUp => at - page,
        Action::HalfPageDown => at + (page / 2).max(1),
        Action::HalfPageUp => at - (page / 2).max(1),
        Action::Top => 0,
        Action::Bottom => items.len() as i64,
        Action::SyncView | Action::Back => {
            state.sync.view = None;
            return Vec::new();
        }
        Action::Sync => return super::sync::start(state),
        Action::RetryRow => return retry_row(state, here),
        Action::RetryAll => return retry_all(state),
        Action::GoToFinding => {
            let data = view.data.as_ref();
            let Some(id) = here.and_then(|i| data.and_then(|d| d.finding_of(i))) else {
                return Vec::new();
            };
            state.sync.view = None;
            state.focus = Focus::Detail;
            return state.set_query(format!("id:{id}"));
        }
        Action::Help => {
            state.help = Some(0);
            return Vec::new();
        }
        Action::Quit => {
            state.quit = true;
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    view.cursor = target.clamp(0, (items.len() as i64 - 1).max(0)) as usize;
    follow(state);
    Vec::new()
}

/// Scrolls so that the item under the cursor is on screen, whole.
fn follow(state: &mut State) {
    let h = sync_view_draw::visible_lines(state);
    let spans = sync_view_draw::item_spans(state);
    let Some(view) = state.sync.view.as_mut() else {
        return;
    };
    let Some(&(start, end)) = spans.get(view.cursor) else {
        view.offset = 0;
        return;
    };
    // The first item brings its heading and the view's summary line with it.
    let start = if view.cursor == 0 { 0 } else { start };
    if start < view.offset {
        view.offset = start;
    } else if end > view.offset + h {
        view.offset = end.saturating_sub(h);
    }
}

fn retry_row(state: &mut State, item: Option<Item>) -> Vec<Effect> {
    let data = state.sync.view.as_ref().and_then(|v| v.data.as_ref());
    match (item, data) {
        (Some(Item::Failed(i)), Some(d)) if i < d.failed.len() => {
            vec![Effect::RetryOutbox {
                ids: vec![d.failed[i].id],
            }]
        }
        _ => {
            let all = state
                .keymap
                .first(Action::RetryAll)
                .map_or_else(|| Action::RetryAll.name().to_string(), |k| k.to_string());
            state.triage.notice = Some(format!(
                "the row under the cursor has not failed; {all} retries every failed row"
            ));
            Vec::new()
        }
    }
}

fn retry_all(state: &mut State) -> Vec<Effect> {
    let failed = state
        .sync
        .view
        .as_ref()
        .and_then(|v| v.data.as_ref())
        .map_or(0, |d| d.failed_total);
    if failed == 0 {
        state.triage.notice = Some("no failed rows to retry".into());
        return Vec::new();
    }
    // Empty: every failed row, the ones past the view's limit too.
    vec![Effect::RetryOutbox { ids: Vec::new() }]
}
