//! Drawing: the tabs, the backlog table, the status bar and the key hints; the detail pane and
//! help overlay live in their own modules, the columns in `columns`. Every string from the
//! database or the config goes through `sanitize` before it reaches a `Span`.

use super::action::Action;
use super::app::{Focus, PromptKind, State};
use super::columns::{self, Column, MARKS_WIDTH, PENDING_MARK, SELECTED_MARK};
use super::{
    approvals_view, assign_view, detail, dialog_view, flags_view, help, layout, sync_view_draw,
    teams_view, text, views,
};
use crate::model::FindingRow;
use crate::sanitize;
use crate::triage::sla::SlaState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub use super::columns::{severity_label, status_label};

pub fn view(state: &State, frame: &mut Frame) {
    let a = layout::areas(state, frame.area());
    draw_tabs(state, frame, a.tabs);
    match &state.triage.approvals {
        Some(v) => approvals_view::draw(state, frame, v),
        None if state.owners.teams.is_some() => teams_view::draw(state, frame),
        None if state.sync.view.is_some() => sync_view_draw::draw(state, frame),
        None => {
            draw_list(state, frame, a.list);
            if let Some(d) = a.detail {
                detail::draw(state, frame, d);
            }
        }
    }
    draw_status(state, frame, a.status);
    draw_hints(state, frame, a.hints);
    if let Some(d) = &state.triage.flags {
        flags_view::draw(state, frame, d);
    }
    if let Some(d) = &state.triage.dialog {
        dialog_view::draw(state, frame, d);
    }
    if let Some(d) = &state.owners.assign {
        assign_view::draw(state, frame, d);
    }
    if let Some(scroll) = state.help {
        help::draw(state, frame, scroll);
    }
}

/// " all  [hot]  late ": the current tab bracketed as well as styled, scrolled into view.
fn draw_tabs(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let labels: Vec<String> = state
        .tabs
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let name = text::clip(&sanitize::line(&t.name), 24);
            if i == state.tab {
                format!("[{name}]")
            } else {
                format!(" {name} ")
            }
        })
        .collect();
    let room = area.width as usize;
    // Drop tabs from the left until the current one fits.
    let mut first = 0;
    while first < state.tab
        && labels[first..=state.tab]
            .iter()
            .map(|l| text::width(l) + 1)
            .sum::<usize>()
            + 2
            > room
    {
        first += 1;
    }
    let mut spans = vec![Span::raw(if first > 0 { "…" } else { " " })];
    for (i, label) in labels.iter().enumerate().skip(first) {
        let style = if i == state.tab {
            state.theme.selected
        } else {
            state.theme.dim
        };
        spans.push(Span::styled(label.clone(), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The SLA state's style: overdue loud, due soon marked, the rest plain.
fn sla_style(state: &State, sla: SlaState) -> Style {
    match sla {
        SlaState::Overdue(_) => state.theme.overdue,
        SlaState::DueSoon(_) => state.theme.due_soon,
        SlaState::OnTrack(_) | SlaState::None => Style::new(),
    }
}

fn row_line(state: &State, r: &FindingRow, cols: &[(Column, usize)]) -> Line<'static> {
    let mut spans = Vec::with_capacity(cols.len() * 2 + 2);
    let selected = if state.selection.contains(r.id) {
        SELECTED_MARK
    } else {
        ' '
    };
    let pending = if r.pending { PENDING_MARK } else { ' ' };
    spans.push(Span::styled(
        format!("{selected}{pending}"),
        state.theme.mark,
    ));
    for &(col, w) in cols {
        spans.push(Span::raw(" "));
        let style = match col {
            Column::Severity => state.theme.severity(r.severity),
            Column::Status => state.theme.status(r.status),
            Column::Due => sla_style(state, columns::sla(r, state.today)),
            _ => Style::new(),
        };
        let cell = col.cell(r, state.today);
        spans.push(Span::styled(col.fit(&cell, w), style));
    }
    Line::from(spans)
}

/// A column's header, with the sort's direction when it is sorted on and there is room.
fn header(state: &State, col: Column, w: usize) -> String {
    let name = col.header();
    if col.sort_field() == state.sort.field && text::width(name) < w {
        let arrow = if state.sort.descending { "↓" } else { "↑" };
        return col.fit(&format!("{name}{arrow}"), w);
    }
    col.fit(name, w)
}

fn draw_list(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let b = &state.backlog;
    let h = area.height as usize - 1;
    let from = b.offset.min(b.rows.len());
    let to = (b.offset + h).min(b.rows.len());
    let visible = &b.rows[from..to];
    let room = (area.width as usize).saturating_sub(MARKS_WIDTH + 1);
    let cols = columns::layout(
        state.columns(),
        room,
        visible,
        state.today,
        state.sort.field,
    );
    let mut header_spans = vec![Span::raw(" ".repeat(MARKS_WIDTH))];
    for &(c, w) in &cols {
        header_spans.push(Span::raw(format!(" {}", header(state, c, w))));
    }
    let mut lines = vec![Line::from(header_spans).style(state.theme.header)];
    for (i, r) in visible.iter().enumerate() {
        let line = row_line(state, r, &cols);
        lines.push(if from + i == b.cursor {
            line.style(state.theme.selected)
        } else {
            line
        });
    }
    if !b.loaded {
        lines.push(Line::styled("loading…", state.theme.dim));
    } else if b.rows.is_empty() && !b.is_resetting() {
        let msg = if state.query.is_empty() {
            "no findings yet: lastmile import FILE, or try lastmile demo".to_string()
        } else {
            format!("no findings match {}", sanitize::line(&state.query))
        };
        lines.push(Line::styled(
            text::clip(&msg, area.width as usize),
            state.theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// "row 1,234 of 98,765", or as much of it as is known.
pub fn position_text(state: &State) -> String {
    if let Some(v) = &state.triage.approvals {
        return match v.rows.len() {
            _ if v.loading => "loading…".into(),
            0 => "no decisions".into(),
            n => format!("decision {} of {n}", v.cursor + 1),
        };
    }
    if state.owners.teams.is_some() {
        return teams_view::position_text(state);
    }
    if state.sync.view.is_some() {
        return sync_view_draw::position_text(state);
    }
    let b = &state.backlog;
    let total = state.known_total();
    let of = match total {
        Some(t) => text::thousands(t),
        None if state.counting => "counting…".into(),
        None => "?".into(),
    };
    if !b.loaded {
        return "loading…".into();
    }
    if b.rows.is_empty() {
        return "no rows".into();
    }
    match b.position(total) {
        Some(p) => format!("row {} of {of}", text::thousands(p)),
        None => format!("row ? of {of}"),
    }
}

fn draw_status(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = &state.theme;
    let filter = if state.query.is_empty() {
        "all findings".to_string()
    } else {
        sanitize::line(&state.query).into_owned()
    };
    let mut spans = Vec::new();
    // An error leads: the bar is clipped at the right edge, and the error is what matters now.
    if let Some(err) = &state.error {
        spans.push(Span::styled(
            format!(" error: {} ", sanitize::line(err)),
            theme.error,
        ));
        spans.push(Span::raw("│"));
    }
    // What the last decision or review did: it answers the key just pressed.
    if let Some(notice) = &state.triage.notice {
        spans.push(Span::styled(
            format!(" {} ", sanitize::line(notice)),
            theme.mark,
        ));
        spans.push(Span::raw("│"));
    }
    // A running sync stays in view whatever else is pressed (already sanitized).
    if let Some(progress) = &state.sync.running {
        spans.push(Span::styled(format!(" {progress} "), theme.mark));
        spans.push(Span::raw("│"));
    }
    spans.push(Span::raw(format!(" {} ", position_text(state))));
    let picked = state.selection.len();
    if picked > 0 || state.selection.in_range() {
        let range = if state.selection.in_range() {
            " (range)"
        } else {
            ""
        };
        spans.push(Span::raw("│ "));
        spans.push(Span::styled(
            format!("{} selected{range}", text::thousands(picked as u64)),
            theme.mark,
        ));
        spans.push(Span::raw(" "));
    }
    spans.extend([
        Span::raw(format!("│ sort: {} ", views::sort_label(state.sort))),
        Span::raw("│ filter: "),
        Span::raw(filter),
    ]);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar), area);
}

fn hint(state: &State, action: Action, label: &str) -> Option<Vec<Span<'static>>> {
    let key = state.keymap.first(action)?;
    Some(vec![
        Span::styled(key.to_string(), state.theme.key),
        Span::raw(format!(" {label}  ")),
    ])
}

fn draw_hints(state: &State, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    if state.triage.dialog.is_some() && state.help.is_none() {
        draw_hint_items(state, frame, area, dialog_view::HINTS);
        return;
    }
    if state.triage.flags.is_some() && state.help.is_none() {
        draw_hint_items(state, frame, area, flags_view::HINTS);
        return;
    }
    if let Some(d) = &state.owners.assign
        && state.help.is_none()
    {
        assign_view::draw_hints(state, frame, area, d);
        return;
    }
    if let Some(v) = &state.triage.approvals
        && state.help.is_none()
    {
        approvals_view::draw_hints(state, frame, area, v);
        return;
    }
    if state.owners.teams.is_some() && state.help.is_none() {
        draw_hint_items(state, frame, area, teams_view::HINTS);
        return;
    }
    if state.sync.view.is_some() && state.help.is_none() {
        draw_hint_items(state, frame, area, sync_view_draw::HINTS);
        return;
    }
    if let Some(p) = &state.input {
        let prompt = match p.kind {
            PromptKind::Filter => "/",
            PromptKind::Command => ":",
        };
        frame.render_widget(Span::styled(prompt, state.theme.key), area);
        let rest = Rect::new(
            area.x + 1,
            area.y,
            area.width.saturating_sub(1),
            area.height,
        );
        p.editor.render(frame, rest, Style::new());
        return;
    }
    let items: &[(Action, &str)] = match (state.help.is_some(), state.focus) {
        (true, _) => &[
            (Action::Back, "close"),
            (Action::MoveDown, "scroll"),
            (Action::Quit, "quit"),
        ],
        (false, Focus::Detail) => &[
            (Action::ToggleDetail, "back to list"),
            (Action::MoveDown, "scroll"),
            (Action::Filter, "filter"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        // At 80 columns: the basics, the writes, and how to get help and out.
        (false, Focus::List) => &[
            (Action::ToggleDetail, "detail"),
            (Action::Filter, "filter"),
            (Action::ToggleSelect, "select"),
            (Action::Decide, "decide"),
            (Action::Assign, "assign"),
            (Action::SortNext, "sort"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
    };
    draw_hint_items(state, frame, area, items);
}

/// "j down  enter detail": each action's first key and what it does here.
pub fn draw_hint_items(state: &State, frame: &mut Frame, area: Rect, items: &[(Action, &str)]) {
    let spans: Vec<Span> = items
        .iter()
        .filter_map(|(a, label)| hint(state, *a, label))
        .flatten()
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
