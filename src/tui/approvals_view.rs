//! Drawing the approvals view: which list, a table of pending decisions, and a panel on the
//! one under the cursor saying who may review it. Every handle, lane, reason and title is
//! sanitized here.

use super::action::Action;
use super::app::State;
use super::approvals::{self, ApprovalsView};
use super::{columns, layout, text};
use crate::sanitize;
use crate::store::DecisionRow;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const LABEL: usize = 11;
/// Rows of the panel under the table.
const PANEL: u16 = 8;

/// Where the view goes: the list's and the detail pane's room together.
fn area(state: &State, screen: Rect) -> Rect {
    let a = layout::areas(state, screen);
    Rect::new(a.list.x, a.list.y, a.list.width, a.status.y - a.list.y)
}

/// (table rows, panel) within the view's area: the panel gives way on a short screen.
fn split(area: Rect) -> (Rect, Rect) {
    let body = area.height.saturating_sub(2);
    let panel = PANEL.min(body / 2);
    let rows = Rect::new(area.x, area.y + 2, area.width, body - panel);
    let panel = Rect::new(area.x, rows.y + rows.height, area.width, panel);
    (rows, panel)
}

/// Decisions on screen at once.
pub fn list_rows(state: &State) -> usize {
    let screen = Rect::new(0, 0, state.width, state.height);
    split(area(state, screen)).0.height.max(1) as usize
}

/// A stored stamp as local "YYYY-MM-DD HH:MM" (or the day alone), sanitized if unreadable.
fn when(state: &State, stamp: &str, day_only: bool) -> String {
    match chrono::DateTime::parse_from_rfc3339(stamp) {
        Ok(t) => t
            .with_timezone(&state.utc_offset)
            .format(if day_only {
                "%Y-%m-%d"
            } else {
                "%Y-%m-%d %H:%M"
            })
            .to_string(),
        Err(_) => sanitize::line(stamp).into_owned(),
    }
}

/// The columns and their widths at a width: the reason takes what is left, and shares it with
/// the title when there is enough.
fn widths(width: usize) -> Vec<(&'static str, usize)> {
    let fixed = [
        ("FINDING", 7),
        ("KIND", 14),
        ("BY", 8),
        ("WHEN", 10),
        ("LANE", 11),
        ("UNTIL", 10),
    ];
    let used: usize = fixed.iter().map(|(_, w)| w + 1).sum();
    let left = width.saturating_sub(used + 1);
    let mut out: Vec<(&str, usize)> = fixed.to_vec();
    if left >= 40 {
        out.push(("REASON", left / 2));
        out.push(("TITLE", left - left / 2 - 1));
    } else {
        out.push(("REASON", left));
    }
    out
}

fn cells(state: &State, d: &DecisionRow) -> Vec<String> {
    let opt = |v: &Option<String>| sanitize::line(v.as_deref().unwrap_or("-")).into_owned();
    vec![
        format!("#{}", d.finding_id),
        d.kind.to_string(),
        sanitize::line(&d.actor).into_owned(),
        when(state, &d.at, true),
        opt(&d.lane),
        opt(&d.until),
        sanitize::line(&d.reason).into_owned(),
        sanitize::line(&d.title).into_owned(),
    ]
}

pub fn draw(state: &State, frame: &mut Frame, view: &ApprovalsView) {
    let area = area(state, frame.area());
    if area.height < 3 {
        return;
    }
    let theme = &state.theme;
    let me = sanitize::line(state.triage.me.as_deref().unwrap_or("-")).into_owned();
    let count = |mine: bool| match (view.mine == mine, view.loading) {
        (true, false) => format!(": {}", view.rows.len()),
        _ => String::new(),
    };
    let tab = |mine: bool, label: &str| {
        let label = format!("{label}{}", count(mine));
        if view.mine == mine {
            Span::styled(format!("[{label}]"), theme.selected)
        } else {
            Span::styled(format!(" {label} "), theme.dim)
        }
    };
    let top = Line::from(vec![
        Span::raw(" "),
        tab(false, "waiting for me"),
        Span::raw(" "),
        tab(true, "I asked for"),
        Span::styled(format!("   acting as {me}"), theme.dim),
    ]);
    frame.render_widget(Paragraph::new(top), Rect { height: 1, ..area });

    let w = area.width as usize;
    let cols = widths(w);
    let header: String = cols
        .iter()
        .map(|(name, cw)| text::fit(name, *cw))
        .collect::<Vec<_>>()
        .join(" ");
    let header_area = Rect::new(area.x, area.y + 1, area.width, 1);
    frame.render_widget(
        Paragraph::new(Line::styled(format!(" {header}"), theme.header)),
        header_area,
    );

    let (rows_area, panel) = split(area);
    let mut lines = Vec::new();
    let shown = view.rows.iter().enumerate().skip(view.offset);
    for (i, d) in shown.take(rows_area.height as usize) {
        let row: String = cells(state, d)
            .iter()
            .zip(&cols)
            .map(|(c, (_, cw))| text::fit(c, *cw))
            .collect::<Vec<_>>()
            .join(" ");
        let style = if i == view.cursor {
            theme.selected
        } else {
            Style::new()
        };
        lines.push(Line::styled(format!(" {row}"), style));
    }
    if view.rows.is_empty() {
        let msg = match (view.loading, view.mine) {
            (true, _) => "loading…",
            (false, false) => "nothing waits for your approval",
            (false, true) => "you have no decisions waiting for approval",
        };
        lines.push(Line::styled(format!(" {msg}"), theme.dim));
    }
    frame.render_widget(Paragraph::new(lines), rows_area);
    if let Some(d) = view.selected() {
        draw_panel(state, frame, panel, d, &me);
    }
}

/// The decision under the cursor in full, with who may review it and whether I may.
fn draw_panel(state: &State, frame: &mut Frame, area: Rect, d: &DecisionRow, me: &str) {
    if area.height == 0 {
        return;
    }
    let theme = &state.theme;
    let w = area.width as usize;
    let head = format!(
        "─ #{} {} {} ",
        d.finding_id,
        columns::severity_label(d.severity),
        sanitize::line(&d.title)
    );
    let fill = w.saturating_sub(text::width(&head));
    let mut lines = vec![Line::styled(
        text::clip(&format!("{head}{}", "─".repeat(fill)), w),
        theme.border,
    )];
    let mut field = |label: &str, value: String, style: Style| {
        for (i, chunk) in text::wrap(&value, w.saturating_sub(LABEL).max(8))
            .into_iter()
            .enumerate()
        {
            let head = if i == 0 { label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(text::fit(head, LABEL), theme.label),
                Span::styled(chunk, style),
            ]));
        }
    };
    let asks = format!(
        "{} by {}, {}",
        d.kind,
        sanitize::line(&d.actor),
        when(state, &d.at, false)
    );
    field("Decision", asks, Style::new());
    let mut lane = sanitize::line(d.lane.as_deref().unwrap_or("none")).into_owned();
    if let Some(u) = &d.until {
        lane.push_str(&format!(", until {}", sanitize::line(u)));
    }
    field("Lane", lane, Style::new());
    // Who may act comes before the reason: on a short screen it is what must show.
    let policy = &state.triage.policy;
    let who = approvals::who_may_review(d, policy);
    field("Reviewers", sanitize::line(&who).into_owned(), Style::new());
    let raw_me = state.triage.me.as_deref().unwrap_or("");
    let you = match (
        approvals::refusal(d, raw_me, policy, true),
        approvals::refusal(d, raw_me, policy, false),
    ) {
        (None, _) => ("may approve or reject".to_string(), Style::new()),
        (Some(why), None) => (format!("may reject, not approve: {why}"), theme.mark),
        (Some(why), Some(_)) => (format!("cannot review: {why}"), theme.mark),
    };
    field(
        &format!("You ({})", text::clip(me, LABEL - 7)),
        sanitize::line(&you.0).into_owned(),
        you.1,
    );
    field(
        "Reason",
        sanitize::line(&d.reason).into_owned(),
        Style::new(),
    );
    if let Some(c) = &d.control {
        field("Control", sanitize::line(c).into_owned(), Style::new());
    }
    if let Some(t) = &d.target {
        field("Target", sanitize::line(t).into_owned(), Style::new());
    }
    lines.truncate(area.height as usize);
    frame.render_widget(Paragraph::new(lines), area);
}

/// The hint line: the view's keys, or the note being typed.
pub fn draw_hints(state: &State, frame: &mut Frame, area: Rect, view: &ApprovalsView) {
    if let Some(p) = &view.prompt {
        let label = if p.reject {
            format!("reject #{}, reason: ", p.finding_id)
        } else {
            format!("approve #{}, note (optional): ", p.finding_id)
        };
        let lw = (text::width(&label) as u16).min(area.width);
        frame.render_widget(Span::styled(label, state.theme.key), area);
        let rest = Rect::new(area.x + lw, area.y, area.width - lw, area.height);
        p.editor.render(frame, rest, Style::new());
        return;
    }
    let other = if view.mine {
        "waiting for me"
    } else {
        "I asked for"
    };
    let items = [
        (Action::Approve, "approve"),
        (Action::Reject, "reject"),
        (Action::SwitchList, other),
        (Action::GoToFinding, "go to finding"),
        (Action::Back, "back"),
    ];
    super::view::draw_hint_items(state, frame, area, &items);
}
