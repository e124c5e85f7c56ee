//! The console's state and its pure update: keys and worker answers in, requests to the
//! database worker out. No terminal, no SQLite, no clock here, so all of it is testable.

use super::action::{Action, Context};
use super::backlog::{Backlog, Fetch, FetchTag};
use super::input::LineInput;
use super::keymap::{Key, Keymap};
use super::theme::Theme;
use super::{detail, help, layout};
use crate::model::{Finding, FindingRow};
use crate::query;
use crate::store::{EventRow, SortKey};
use crossterm::event::{KeyCode, KeyEvent};

/// A request to the database worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Page {
        fetch: Fetch,
        query: String,
        sort: SortKey,
    },
    /// Rows matching a query (the whole table when it is empty: counters, no scan).
    Count {
        generation: u64,
        query: String,
    },
    Detail {
        id: i64,
    },
}

/// What the worker sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Page {
        generation: u64,
        tag: FetchTag,
        limit: usize,
        rows: Vec<FindingRow>,
    },
    Count {
        generation: u64,
        total: u64,
    },
    Detail(Box<DetailData>),
    Failed {
        request: Failed,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    Page { generation: u64 },
    Count { generation: u64 },
    Detail { id: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailData {
    pub id: i64,
    /// None when the finding is gone (deleted since the list was read).
    pub finding: Option<Finding>,
    pub history: Vec<EventRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

#[derive(Debug, Clone)]
pub struct State {
    pub keymap: Keymap,
    pub theme: Theme,
    /// The applied filter (what the rows match), not what is being typed.
    pub query: String,
    pub sort: SortKey,
    pub backlog: Backlog,
    /// Rows matching the query, once counted.
    pub total: Option<u64>,
    /// A count is on its way (the status bar says "counting…").
    pub counting: bool,
    pub count_generation: u64,
    pub focus: Focus,
    /// Scroll offset of the help overlay while it is open.
    pub help: Option<usize>,
    pub input: Option<LineInput>,
    /// The last error, shown in the status bar until the next successful step.
    pub error: Option<String>,
    pub detail: Option<DetailData>,
    pub detail_scroll: usize,
    detail_requested: Option<i64>,
    pub width: u16,
    pub height: u16,
    pub quit: bool,
    /// Timestamps are stored in UTC and shown in this offset (the local one in the console).
    pub utc_offset: chrono::FixedOffset,
    /// Who `owner:me` means; a filter that needs it is refused without it.
    pub me: Option<String>,
}

impl State {
    pub fn new(keymap: Keymap, theme: Theme, width: u16, height: u16) -> State {
        State {
            keymap,
            theme,
            query: String::new(),
            sort: SortKey::DEFAULT,
            backlog: Backlog::default(),
            total: None,
            counting: false,
            count_generation: 0,
            focus: Focus::List,
            help: None,
            input: None,
            error: None,
            detail: None,
            detail_scroll: 0,
            detail_requested: None,
            width,
            height,
            quit: false,
            utc_offset: chrono::Offset::fix(&chrono::Utc),
            me: None,
        }
    }

    pub fn context(&self) -> Context {
        if self.help.is_some() {
            Context::Help
        } else if self.input.is_some() {
            Context::Filter
        } else if self.focus == Focus::Detail {
            Context::Detail
        } else {
            Context::List
        }
    }

    /// Rows of findings on screen (the list area without its header).
    pub fn list_height(&self) -> usize {
        let l = layout::areas(
            self,
            ratatui::layout::Rect::new(0, 0, self.width, self.height),
        );
        l.list.height.saturating_sub(1).max(1) as usize
    }

    /// The detail pane shows when it has focus, or always on a terminal with room for both.
    pub fn detail_visible(&self) -> bool {
        self.focus == Focus::Detail || layout::roomy(self.width, self.height)
    }

    /// The total to show: counted, or proven by the buffer holding both ends.
    pub fn known_total(&self) -> Option<u64> {
        self.total.or_else(|| self.backlog.exact_total())
    }

    /// The detail for the selected row, once loaded.
    pub fn selected_detail(&self) -> Option<&DetailData> {
        let id = self.backlog.selected()?.id;
        self.detail.as_ref().filter(|d| d.id == id)
    }

    fn page_effect(&self, fetch: Fetch) -> Effect {
        Effect::Page {
            fetch,
            query: self.query.clone(),
            sort: self.sort,
        }
    }

    fn recount(&mut self) -> Effect {
        self.count_generation += 1;
        self.total = None;
        self.counting = true;
        Effect::Count {
            generation: self.count_generation,
            query: self.query.clone(),
        }
    }

    fn set_query(&mut self, query: String) -> Vec<Effect> {
        self.query = query;
        let fetch = self.backlog.restart(self.list_height());
        vec![self.page_effect(fetch), self.recount()]
    }
}

/// The requests the console makes when it opens.
pub fn init(state: &mut State) -> Vec<Effect> {
    let q = state.query.clone();
    let mut out = state.set_query(q);
    out.extend(settle(state));
    out
}

pub fn on_resize(state: &mut State, width: u16, height: u16) -> Vec<Effect> {
    state.width = width;
    state.height = height;
    let h = state.list_height();
    state.backlog.follow(h);
    settle(state)
}

/// A key press: through the keymap to an action, or into the filter input.
pub fn on_key(state: &mut State, ev: &KeyEvent) -> Vec<Effect> {
    let key = Key::from_event(ev);
    let ctx = state.context();
    if ctx == Context::Filter {
        // In the input, characters type themselves whatever they are bound to elsewhere.
        let bound = match key.text() {
            Some(_) => None,
            None => state.keymap.action_for(ctx, key),
        };
        let fallback = match key.code {
            KeyCode::Esc if key.mods.is_empty() => Some(Action::Back),
            KeyCode::Enter if key.mods.is_empty() => Some(Action::ApplyFilter),
            _ => None,
        };
        if let Some(action) = bound.or(fallback) {
            return update(state, action);
        }
        if let Some(input) = &mut state.input {
            input.edit(key);
        }
        return Vec::new();
    }
    match state.keymap.action_for(ctx, key) {
        Some(action) => update(state, action),
        None => Vec::new(),
    }
}

/// Applies a named action.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut out = Vec::new();
    match state.context() {
        Context::Help => help_action(state, action),
        Context::Filter => out.extend(filter_action(state, action)),
        Context::Detail => out.extend(detail_action(state, action)),
        Context::List => out.extend(list_action(state, action)),
    }
    out.extend(settle(state));
    out
}

fn help_action(state: &mut State, action: Action) {
    let max = help::line_count(state).saturating_sub(help::visible_rows(state));
    let page = help::visible_rows(state).max(1);
    let Some(scroll) = state.help.as_mut() else {
        return;
    };
    match action {
        Action::Help | Action::Back => state.help = None,
        Action::Quit => state.quit = true,
        other => *scroll = scrolled(*scroll, other, page, max),
    }
}

/// A scroll offset after a movement action (for panes that scroll by line).
fn scrolled(at: usize, action: Action, page: usize, max: usize) -> usize {
    let at = at as i64;
    let next = match action {
        Action::MoveDown => at + 1,
        Action::MoveUp => at - 1,
        Action::PageDown => at + page as i64,
        Action::PageUp => at - page as i64,
        Action::HalfPageDown => at + (page / 2).max(1) as i64,
        Action::HalfPageUp => at - (page / 2).max(1) as i64,
        Action::Top => 0,
        Action::Bottom => max as i64,
        _ => at,
    };
    next.clamp(0, max as i64) as usize
}

fn filter_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::ApplyFilter => {
            let Some(input) = state.input.as_mut() else {
                return Vec::new();
            };
            let text = input.text().trim().to_string();
            // Whether a filter is valid depends on who asks, never on the time: any instant does.
            let ctx = query::Context::new(chrono::DateTime::UNIX_EPOCH, state.me.clone());
            if let Err(e) = query::to_sql(&text, &ctx) {
                // Keep the input open on the mistake; the rows stay those of the old filter.
                input.set_column(e.column);
                state.error = Some(e.to_string());
                return Vec::new();
            }
            state.input = None;
            state.error = None;
            state.set_query(text)
        }
        Action::Back => {
            state.input = None;
            state.error = None;
            Vec::new()
        }
        Action::Quit => {
            state.quit = true;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Actions the list and the detail pane share.
fn common_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Filter => {
            state.input = Some(LineInput::new(&state.query));
        }
        Action::Help => state.help = Some(0),
        Action::Quit => state.quit = true,
        Action::Refresh => {
            state.error = None;
            state.detail = None;
            state.detail_requested = None;
            let h = state.list_height();
            let fetch = state.backlog.reload(h, state.known_total());
            return vec![state.page_effect(fetch), state.recount()];
        }
        _ => {}
    }
    Vec::new()
}

fn detail_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::ToggleDetail | Action::Back => {
            state.focus = Focus::List;
            Vec::new()
        }
        Action::MoveDown
        | Action::MoveUp
        | Action::PageDown
        | Action::PageUp
        | Action::HalfPageDown
        | Action::HalfPageUp
        | Action::Top
        | Action::Bottom => {
            let rows = detail::visible_rows(state).max(1);
            let max = detail::line_count(state).saturating_sub(rows);
            state.detail_scroll = scrolled(state.detail_scroll, action, rows, max);
            Vec::new()
        }
        other => common_action(state, other),
    }
}

fn list_action(state: &mut State, action: Action) -> Vec<Effect> {
    let h = state.list_height();
    let step = |n: usize| n.max(1) as i64;
    match action {
        Action::MoveDown => state.backlog.move_by(1, h),
        Action::MoveUp => state.backlog.move_by(-1, h),
        Action::PageDown => state.backlog.move_by(step(h), h),
        Action::PageUp => state.backlog.move_by(-step(h), h),
        Action::HalfPageDown => state.backlog.move_by(step(h / 2), h),
        Action::HalfPageUp => state.backlog.move_by(-step(h / 2), h),
        Action::Top => {
            if let Some(f) = state.backlog.top(h) {
                return vec![state.page_effect(f)];
            }
        }
        Action::Bottom => {
            if let Some(f) = state.backlog.bottom(h) {
                return vec![state.page_effect(f)];
            }
        }
        Action::ToggleDetail => {
            if state.backlog.selected().is_some() {
                state.focus = Focus::Detail;
            }
        }
        Action::Back => {
            // Backing out of a filtered view: the whole backlog again.
            if !state.query.is_empty() {
                state.error = None;
                return state.set_query(String::new());
            }
            state.error = None;
        }
        other => return common_action(state, other),
    }
    Vec::new()
}

/// A worker answer.
pub fn on_response(state: &mut State, response: Response) -> Vec<Effect> {
    match response {
        Response::Page {
            generation,
            tag,
            limit,
            rows,
        } => {
            let h = state.list_height();
            state.backlog.receive(generation, tag, rows, limit, h);
        }
        Response::Count { generation, total } => {
            if generation == state.count_generation {
                state.total = Some(total);
                state.counting = false;
            }
        }
        Response::Detail(data) => {
            if state.detail_requested == Some(data.id) {
                state.detail_requested = None;
            }
            if state.backlog.selected().map(|r| r.id) == Some(data.id) {
                if state.detail.as_ref().map(|d| d.id) != Some(data.id) {
                    state.detail_scroll = 0;
                }
                state.detail = Some(*data);
            }
        }
        Response::Failed { request, message } => {
            match request {
                Failed::Page { generation } if generation != state.backlog.generation => {
                    return settle(state);
                }
                Failed::Page { generation } => state.backlog.failed(generation),
                Failed::Count { generation } if generation == state.count_generation => {
                    state.counting = false;
                }
                Failed::Count { .. } => return settle(state),
                Failed::Detail { id } => {
                    if state.detail_requested == Some(id) {
                        state.detail_requested = None;
                    }
                }
            }
            state.error = Some(message);
        }
    }
    settle(state)
}

/// What the state needs after any change: pages around the view, the selected finding's
/// detail, a restart when a reload found its rows gone.
fn settle(state: &mut State) -> Vec<Effect> {
    let h = state.list_height();
    // Focus changes resize the list: keep the selection on screen.
    state.backlog.follow(h);
    let mut out = Vec::new();
    if state.backlog.lost {
        state.backlog.lost = false;
        let fetch = state.backlog.restart(h);
        out.push(state.page_effect(fetch));
    }
    for fetch in state.backlog.wants(h) {
        out.push(state.page_effect(fetch));
    }
    if state.focus == Focus::Detail && state.backlog.selected().is_none() && state.backlog.loaded {
        state.focus = Focus::List;
    }
    if state.detail_visible()
        && let Some(id) = state.backlog.selected().map(|r| r.id)
        && state.detail.as_ref().map(|d| d.id) != Some(id)
        && state.detail_requested != Some(id)
    {
        state.detail_requested = Some(id);
        out.push(Effect::Detail { id });
    }
    out
}
