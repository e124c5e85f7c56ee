//! The console's state and its pure update: keys and worker answers in, requests to the
//! database worker out. No terminal, no SQLite, no clock here, so all of it is testable.

use super::action::{Action, Context};
use super::backlog::{Backlog, Fetch};
use super::columns::Column;
use super::decisions::Triage;
use super::editor::Editor;
use super::keymap::{Key, Keymap};
pub use super::msg::{DetailData, Effect, Failed, Response};
use super::owners::Owners;
pub use super::prompt::{Prompt, PromptKind};
use super::selection::Selection;
use super::sync::SyncState;
use super::theme::Theme;
use super::views::{self, Tab};
use super::{
    approvals, assign, decisions, detail, dialog, flags, help, layout, owners, prompt, sync,
    sync_view, teams,
};
use crate::config::View;
use crate::store::SortKey;
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent};

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
    /// The `/` or `:` line while it is being typed.
    pub input: Option<Prompt>,
    /// Findings picked for a bulk action (see `selected_ids`).
    pub selection: Selection,
    /// Saved views; `tabs[0]` is always there ("all").
    pub tabs: Vec<Tab>,
    pub tab: usize,
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
    /// The day deadlines are measured against; None shows due dates as stored, without SLA
    /// state. The console sets it before every draw.
    pub today: Option<NaiveDate>,
    /// Decisions: who acts, the policy, the dialog and the approvals view.
    pub triage: Triage,
    /// Owners: the roster, the assign dialog and the teams view.
    pub owners: Owners,
    /// Syncing with the trackers: the one running, the last one's end, the sync view.
    pub sync: SyncState,
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
            selection: Selection::default(),
            tabs: vec![Tab::all()],
            tab: 0,
            error: None,
            detail: None,
            detail_scroll: 0,
            detail_requested: None,
            width,
            height,
            quit: false,
            utc_offset: chrono::Offset::fix(&chrono::Utc),
            today: None,
            triage: Triage::default(),
            owners: Owners::default(),
            sync: SyncState::default(),
        }
    }

    /// Installs the config's saved views as tabs and opens the first; call before `init`.
    pub fn set_views(&mut self, config_views: &[View]) {
        self.tabs = views::tabs(config_views);
        self.tab = 0;
        self.query = self.tabs[0].query.clone();
        self.sort = self.tabs[0].sort;
        self.error = self.tabs[0].problem.clone();
    }

    /// The findings a bulk action applies to: the selection, ascending, or else the row under
    /// the cursor (none while the list is empty).
    pub fn selected_ids(&self) -> Vec<i64> {
        if !self.selection.is_empty() {
            return self.selection.ids();
        }
        self.backlog
            .selected()
            .map(|r| vec![r.id])
            .unwrap_or_default()
    }

    /// The findings a dialog acts on as `me` (see `selected_ids`); `None`, with the reason in
    /// the status bar, when nobody is acting or nothing is there to act on.
    pub fn acting_on(&mut self, verb: &str) -> Option<Vec<i64>> {
        if self.triage.me.is_none() {
            self.error = Some(crate::tui::decisions::NO_ACTOR.into());
            return None;
        }
        let ids = self.selected_ids();
        if ids.is_empty() {
            self.error = Some(format!("no finding to {verb}"));
            return None;
        }
        self.error = None;
        Some(ids)
    }

    /// The list's columns: the current view's, or the defaults.
    pub fn columns(&self) -> &[Column] {
        match self.tabs.get(self.tab) {
            Some(t) if !t.columns.is_empty() => &t.columns,
            _ => &Column::DEFAULT,
        }
    }

    pub fn context(&self) -> Context {
        if self.help.is_some() {
            Context::Help
        } else if let Some(c) = self.triage.context() {
            c
        } else if let Some(c) = self.owners.context() {
            c
        } else if self.sync.view.is_some() {
            Context::SyncView
        } else if let Some(p) = &self.input {
            match p.kind {
                PromptKind::Filter => Context::Filter,
                PromptKind::Command => Context::Command,
            }
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

    pub(super) fn set_query(&mut self, query: String) -> Vec<Effect> {
        self.query = query;
        // Other rows now: a bulk action must not reach findings the list no longer shows.
        self.selection.clear();
        let fetch = self.backlog.restart(self.list_height());
        vec![self.page_effect(fetch), self.recount()]
    }

    /// Reads the rows on screen, the count and the detail again (the database changed).
    pub(super) fn reload(&mut self) -> Vec<Effect> {
        self.selection.end_range();
        self.detail = None;
        self.detail_requested = None;
        let h = self.list_height();
        let fetch = self.backlog.reload(h, self.known_total());
        vec![self.page_effect(fetch), self.recount()]
    }

    /// Sorts the list anew from its first row; the count and the selection stay.
    pub fn set_sort(&mut self, sort: SortKey) -> Vec<Effect> {
        self.sort = sort;
        // A range runs in display order, which just changed.
        self.selection.end_range();
        let fetch = self.backlog.restart(self.list_height());
        vec![self.page_effect(fetch)]
    }

    /// Opens a tab: its query and sort replace the current ones.
    pub fn switch_tab(&mut self, tab: usize) -> Vec<Effect> {
        let Some(t) = self.tabs.get(tab).cloned() else {
            return Vec::new();
        };
        self.tab = tab;
        self.sort = t.sort;
        self.error = t.problem;
        self.set_query(t.query)
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

/// A key press: through the keymap to an action, or into the line being typed.
pub fn on_key(state: &mut State, ev: &KeyEvent) -> Vec<Effect> {
    let key = Key::from_event(ev);
    let ctx = state.context();
    // A write's summary answers the key before this one.
    state.triage.notice = None;
    let typed = match ctx {
        Context::Dialog => Some(dialog::key_action(state, key)),
        Context::Review => Some(approvals::key_action(state, key)),
        Context::Flags => Some(flags::key_action(state, key)),
        Context::Assign => Some(assign::key_action(state, key)),
        _ => None,
    };
    if let Some(action) = typed {
        return action.map(|a| update(state, a)).unwrap_or_default();
    }
    if ctx.is_input() {
        // In the input, characters type themselves whatever they are bound to elsewhere.
        let bound = match key.text() {
            Some(_) => None,
            None => state.keymap.action_for(ctx, key),
        };
        let submit = if ctx == Context::Filter {
            Action::ApplyFilter
        } else {
            Action::RunCommand
        };
        let fallback = match key.code {
            KeyCode::Esc if key.mods.is_empty() => Some(Action::Back),
            KeyCode::Enter if key.mods.is_empty() => Some(submit),
            _ => None,
        };
        if let Some(action) = bound.or(fallback) {
            return update(state, action);
        }
        if let Some(p) = &mut state.input {
            p.editor.edit(key);
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
        Context::Filter => out.extend(prompt::filter_action(state, action)),
        Context::Command => out.extend(prompt::command_action(state, action)),
        Context::Detail => out.extend(detail_action(state, action)),
        Context::List => out.extend(list_action(state, action)),
        Context::Dialog => out.extend(dialog::action(state, action)),
        Context::Approvals => out.extend(approvals::action(state, action)),
        Context::Review => out.extend(approvals::review_action(state, action)),
        Context::Flags => out.extend(flags::action(state, action)),
        Context::Assign => out.extend(assign::action(state, action)),
        Context::Teams => out.extend(teams::action(state, action)),
        Context::SyncView => out.extend(sync_view::action(state, action)),
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

/// Actions the list and the detail pane share.
fn common_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Filter => {
            state.input = Some(Prompt {
                kind: PromptKind::Filter,
                editor: Editor::single_line(&state.query),
            });
        }
        Action::Command => {
            state.input = Some(Prompt {
                kind: PromptKind::Command,
                editor: Editor::single_line(""),
            });
        }
        Action::SortNext => return state.set_sort(views::next_sort(state.sort)),
        Action::SortReverse => {
            let sort = SortKey {
                descending: !state.sort.descending,
                ..state.sort
            };
            return state.set_sort(sort);
        }
        Action::NextView | Action::PrevView if state.tabs.len() > 1 => {
            let n = state.tabs.len();
            let step = if action == Action::NextView { 1 } else { n - 1 };
            return state.switch_tab((state.tab + step) % n);
        }
        Action::Help => state.help = Some(0),
        Action::Quit => state.quit = true,
        Action::Refresh => {
            state.error = None;
            return state.reload();
        }
        Action::Decide => return dialog::open(state),
        Action::Flags => return flags::open(state),
        Action::Approvals => return approvals::open(state),
        Action::Assign => return assign::open(state),
        Action::Teams => return teams::open(state),
        Action::Sync => return sync::start(state),
        Action::SyncView => return sync_view::open(state),
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
                // A jump skips rows a range would have to hold: the range ends where it was.
                state.selection.end_range();
                return vec![state.page_effect(f)];
            }
        }
        Action::Bottom => {
            if let Some(f) = state.backlog.bottom(h) {
                state.selection.end_range();
                return vec![state.page_effect(f)];
            }
        }
        Action::ToggleSelect => {
            if state.selection.in_range() {
                state.selection.end_range();
            } else if let Some(id) = state.backlog.selected().map(|r| r.id) {
                state.selection.toggle(id);
            }
        }
        Action::SelectRange => {
            if state.selection.in_range() {
                state.selection.end_range();
            } else if let Some(id) = state.backlog.selected().map(|r| r.id) {
                state.selection.start_range(id);
            }
        }
        Action::ToggleDetail => {
            if state.backlog.selected().is_some() {
                state.focus = Focus::Detail;
            }
        }
        Action::Back => {
            state.error = None;
            if !state.selection.is_empty() || state.selection.in_range() {
                state.selection.clear();
                return Vec::new();
            }
            // Backing out of a filter: the view's own rows again.
            let own = state.tabs.get(state.tab).map_or("", |t| t.query.as_str());
            if state.query != own {
                return state.set_query(own.to_string());
            }
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
        Response::Triage(r) => {
            let mut out = decisions::on_response(state, r);
            out.extend(settle(state));
            return out;
        }
        Response::Route(r) => {
            let mut out = owners::on_response(state, r);
            out.extend(settle(state));
            return out;
        }
        Response::Teams { generation, result } => owners::on_teams(state, generation, result),
        Response::Sync(event) => {
            let mut out = sync::on_event(state, event);
            out.extend(settle(state));
            return out;
        }
        Response::SyncView { generation, result } => {
            sync_view::on_data(state, generation, result);
        }
        Response::Retried(result) => {
            let mut out = sync_view::on_retried(state, result);
            out.extend(settle(state));
            return out;
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
        state.selection.end_range();
        let fetch = state.backlog.restart(h);
        out.push(state.page_effect(fetch));
    }
    for fetch in state.backlog.wants(h) {
        out.push(state.page_effect(fetch));
    }
    state
        .selection
        .follow(&state.backlog.rows, state.backlog.cursor);
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
