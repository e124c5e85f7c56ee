//! Drawing the sync view: failed outbox rows with their errors, pending rows, recent
//! conflicts with both values and who won, and each endpoint's last sync, watermark and items
//! pulled. The row under the cursor is marked `>`, not only highlighted. Everything here came
//! from a tracker or was written for one, so every string is sanitized.

use super::action::Action;
use super::app::State;
use super::detail::when;
use super::sync_view::{Item, SyncView};
use super::{layout, text};
use crate::sanitize;
use crate::store::{Conflict, OutboxRow, SyncMark};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// Where the view goes: the list's and the detail pane's room together.
fn area(state: &State, screen: Rect) -> Rect {
    let a = layout::areas(state, screen);
    Rect::new(a.list.x, a.list.y, a.list.width, a.status.y - a.list.y)
}

/// Lines on screen at once.
pub fn visible_lines(state: &State) -> usize {
    area(state, Rect::new(0, 0, state.width, state.height)).height as usize
}

/// The view's lines, and the lines each item takes (start, end).
pub struct Body {
    pub lines: Vec<Line<'static>>,
    pub items: Vec<(usize, usize)>,
}

/// Each item's lines at the screen's width, for scrolling.
pub fn item_spans(state: &State) -> Vec<(usize, usize)> {
    body(state, state.width as usize).items
}

fn target(row: &OutboxRow) -> String {
    let t = row
        .target()
        .map(|t| t.to_string())
        .unwrap_or_else(|| format!("{} (new ticket)", row.repo));
    sanitize::line(&t).into_owned()
}

fn finding(id: Option<i64>) -> String {
    id.map_or_else(|| "no finding".into(), |id| format!("finding #{id}"))
}

fn row_text(state: &State, row: &OutboxRow) -> String {
    let mut s = format!(
        "#{}  {}  {}  {}",
        row.id,
        finding(row.finding_id),
        target(row),
        sanitize::line(&row.describe())
    );
    if row.attempts > 0 {
        s.push_str(&format!("  tries {}", row.attempts));
    }
    if let Some(next) = &row.next_at {
        s.push_str(&format!("  next {}", when(state, next)));
    }
    s
}

fn winner(c: &Conflict) -> &'static str {
    match c.winner.as_str() {
        "tracker" => "winner: tracker",
        "lastmile" => "winner: lastmile, pushed",
        _ => "winner: unknown",
    }
}

struct Builder<'s> {
    state: &'s State,
    view: &'s SyncView,
    width: usize,
    lines: Vec<Line<'static>>,
    items: Vec<(usize, usize)>,
}

impl Builder<'_> {
    fn plain(&mut self, s: String, style: Style) {
        self.lines
            .push(Line::styled(text::clip(&s, self.width), style));
    }

    fn heading(&mut self, s: String) {
        if !self.lines.is_empty() {
            self.lines.push(Line::default());
        }
        let style = self.state.theme.header;
        self.plain(s, style);
    }

    /// An item's lines: the first carries the cursor mark.
    fn item(&mut self, first: String, more: &[(String, Style)]) {
        let here = self.items.len() == self.view.cursor;
        let start = self.lines.len();
        let pointer = if here { "> " } else { "  " };
        let style = if here {
            self.state.theme.selected
        } else {
            Style::new()
        };
        self.plain(format!("{pointer}{first}"), style);
        for (s, style) in more {
            self.plain(format!("      {s}"), *style);
        }
        self.items.push((start, self.lines.len()));
    }

    fn more(&mut self, shown: usize, total: u64) {
        if total > shown as u64 {
            let rest = text::thousands(total - shown as u64);
            let dim = self.state.theme.dim;
            self.plain(format!("  … and {rest} more (lastmile outbox)"), dim);
        }
    }

    fn none(&mut self, s: &str) {
        let dim = self.state.theme.dim;
        self.plain(format!("  {s}"), dim);
    }
}

fn key(state: &State, action: Action) -> String {
    state
        .keymap
        .first(action)
        .map_or_else(|| action.name().to_string(), |k| k.to_string())
}

/// The view's first line: the outbox's size and how the last sync went.
fn summary(state: &State, data: &super::msg::SyncData) -> String {
    let mut s = format!(
        "outbox: {} pending, {} failed",
        text::thousands(data.pending_total),
        text::thousands(data.failed_total)
    );
    match (&state.sync.running, &state.sync.last) {
        (Some(_), _) => s.push_str(" · a sync is running"),
        (None, Some(Ok(summaries))) => {
            s.push_str(&format!(
                " · last: {}",
                super::sync::summary_text(summaries)
            ));
        }
        (None, Some(Err(e))) => s.push_str(&format!(" · last sync failed: {}", sanitize::line(e))),
        (None, None) => s.push_str(&format!(" · {} syncs", key(state, Action::Sync))),
    }
    s
}

pub fn body(state: &State, width: usize) -> Body {
    let Some(view) = &state.sync.view else {
        return Body {
            lines: Vec::new(),
            items: Vec::new(),
        };
    };
    let mut b = Builder {
        state,
        view,
        width,
        lines: Vec::new(),
        items: Vec::new(),
    };
    let theme = &state.theme;
    let Some(data) = &view.data else {
        b.plain(
            " reading the outbox and the trackers' marks…".into(),
            theme.dim,
        );
        return Body {
            lines: b.lines,
            items: b.items,
        };
    };
    b.plain(summary(state, data), Style::new());
    b.heading(format!("Failed ({})", text::thousands(data.failed_total)));
    for row in &data.failed {
        let error = row.last_error.as_deref().unwrap_or("no error recorded");
        let error = format!("error: {}", sanitize::line(error));
        b.item(row_text(state, row), &[(error, theme.overdue)]);
    }
    if data.failed.is_empty() {
        b.none("none");
    }
    b.more(data.failed.len(), data.failed_total);
    b.heading(format!("Pending ({})", text::thousands(data.pending_total)));
    for row in &data.pending {
        b.item(row_text(state, row), &[]);
    }
    if data.pending.is_empty() {
        b.none("none: every change has reached its tracker");
    }
    b.more(data.pending.len(), data.pending_total);
    b.heading(format!("Conflicts (latest {})", data.conflicts.len()));
    for c in &data.conflicts {
        let head = format!(
            "{}  {}  {}  {}",
            finding(c.finding_id),
            sanitize::line(&c.reference),
            sanitize::line(&c.field),
            when(state, &c.at)
        );
        let values = format!(
            "lastmile: {} · tracker: {} · {}",
            sanitize::line(&c.local),
            sanitize::line(&c.remote),
            winner(c)
        );
        b.item(head, &[(values, Style::new())]);
    }
    if data.conflicts.is_empty() {
        b.none("none");
    }
    endpoints(&mut b, &data.endpoints);
    if let Some(Ok(summaries)) = &state.sync.last {
        let errors: Vec<&String> = summaries.iter().flat_map(|s| &s.errors).collect();
        if !errors.is_empty() {
            b.heading("Last sync's errors".into());
            for e in errors {
                b.plain(format!("  {}", sanitize::line(e)), theme.overdue);
            }
        }
    }
    Body {
        lines: b.lines,
        items: b.items,
    }
}

const STAMP: usize = 16;
const NUM: usize = 8;

fn endpoints(b: &mut Builder<'_>, marks: &[(String, SyncMark)]) {
    b.heading("Endpoints".into());
    if marks.is_empty() {
        let k = key(b.state, Action::Sync);
        b.none(&format!("none synced yet ({k} syncs)"));
        return;
    }
    let name_w = b
        .width
        .saturating_sub(2 + 2 * (STAMP + 1) + NUM + 1)
        .max(12);
    let header = format!(
        "  {} {} {} {}",
        text::fit("ENDPOINT", name_w),
        text::fit("LAST SYNC", STAMP),
        text::fit("WATERMARK", STAMP),
        text::fit_right("PULLED", NUM)
    );
    let dim = b.state.theme.dim;
    b.plain(header, dim);
    for (endpoint, mark) in marks {
        let synced = mark
            .synced_at
            .as_deref()
            .map_or_else(|| "never".into(), |s| when(b.state, s));
        let watermark = mark
            .watermark
            .map_or_else(|| "none".into(), |w| when(b.state, &crate::clock::stamp(w)));
        let line = format!(
            "  {} {} {} {}",
            text::fit(&sanitize::line(endpoint), name_w),
            text::fit(&synced, STAMP),
            text::fit(&watermark, STAMP),
            text::fit_right(&text::thousands(mark.pulled.max(0) as u64), NUM)
        );
        b.plain(line, Style::new());
    }
}

pub fn draw(state: &State, frame: &mut Frame) {
    let Some(view) = &state.sync.view else {
        return;
    };
    let area = area(state, frame.area());
    if area.height == 0 {
        return;
    }
    let all = body(state, area.width as usize).lines;
    let h = area.height as usize;
    let skip = view.offset.min(all.len().saturating_sub(h));
    let shown: Vec<Line> = all.into_iter().skip(skip).take(h).collect();
    frame.render_widget(Paragraph::new(shown), area);
}

/// "row 2 of 7", for the status bar.
pub fn position_text(state: &State) -> String {
    let Some(view) = &state.sync.view else {
        return String::new();
    };
    let Some(data) = &view.data else {
        return "reading…".into();
    };
    let again = if view.reading {
        " (reading again…)"
    } else {
        ""
    };
    let items = data.items();
    match items.get(view.cursor) {
        None => format!("nothing waiting{again}"),
        Some(item) => {
            let what = match item {
                Item::Failed(_) => "failed",
                Item::Pending(_) => "pending",
                Item::Conflict(_) => "conflict",
            };
            format!("row {} of {} ({what}){again}", view.cursor + 1, items.len())
        }
    }
}

/// The keys of the view, for the hint line.
pub const HINTS: &[(Action, &str)] = &[
    (Action::MoveDown, "down"),
    (Action::GoToFinding, "finding"),
    (Action::RetryRow, "retry"),
    (Action::RetryAll, "retry all"),
    (Action::Sync, "sync"),
    (Action::SyncView, "close"),
    (Action::Help, "help"),
];
