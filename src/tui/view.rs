//! Drawing: the backlog table, the status bar and the key hints; the detail pane and help
//! overlay live in their own modules. Every string from the database goes through `sanitize`
//! before it reaches a `Span`.

use super::action::Action;
use super::app::{Focus, State};
use super::{detail, help, layout, text};
use crate::model::{FindingRow, Severity, Status};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn view(state: &State, frame: &mut Frame) {
    let a = layout::areas(state, frame.area());
    draw_list(state, frame, a.list);
    if let Some(d) = a.detail {
        detail::draw(state, frame, d);
    }
    draw_status(state, frame, a.status);
    draw_hints(state, frame, a.hints);
    if let Some(scroll) = state.help {
        help::draw(state, frame, scroll);
    }
}

/// Severity as a word, so it reads without colour.
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRIT",
        Severity::High => "HIGH",
        Severity::Medium => "MED",
        Severity::Low => "LOW",
        Severity::Info => "INFO",
    }
}

/// Statuses cut to fit a 9-column cell and still tell apart.
pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Open => "open",
        Status::Triaged => "triaged",
        Status::InProgress => "in_prog",
        Status::FixProposed => "fix_prop",
        Status::Fixed => "fixed",
        Status::Verified => "verified",
        Status::FalsePositive => "false_pos",
        Status::AcceptedRisk => "accepted",
        Status::Duplicate => "duplicate",
        Status::Deferred => "deferred",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Severity,
    Status,
    Id,
    Repo,
    Tool,
    Rule,
    Path,
    Title,
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::Severity => "SEV",
            Column::Status => "STATUS",
            Column::Id => "ID",
            Column::Repo => "REPO",
            Column::Tool => "TOOL",
            Column::Rule => "RULE",
            Column::Path => "PATH:LINE",
            Column::Title => "TITLE",
        }
    }

    fn cell(self, r: &FindingRow) -> String {
        match self {
            Column::Severity => severity_label(r.severity).into(),
            Column::Status => status_label(r.status).into(),
            Column::Id => r.id.to_string(),
            Column::Repo => sanitize::line(&r.repo).into_owned(),
            Column::Tool => sanitize::line(&r.tool).into_owned(),
            Column::Rule => sanitize::line(&r.rule).into_owned(),
            Column::Path => match (&r.path, r.line) {
                (Some(p), Some(l)) => format!("{}:{l}", sanitize::line(p)),
                (Some(p), None) => sanitize::line(p).into_owned(),
                (None, _) => "-".into(),
            },
            Column::Title => sanitize::line(&r.title).into_owned(),
        }
    }
}

/// Columns and widths for a table `width` wide: the fixed ones, then as many of title, path,
/// repo, rule, tool (in that order of value) as fit at their minimum, grown to their content.
pub fn columns(width: usize, rows: &[FindingRow]) -> Vec<(Column, usize)> {
    let id_w = rows
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(2)
        .max(2);
    let mut fixed = vec![
        (Column::Severity, 4),
        (Column::Status, 9),
        (Column::Id, id_w),
    ];
    if width < 50 {
        fixed.retain(|(c, _)| *c != Column::Status);
    }
    let fixed_w: usize = fixed.iter().map(|(_, w)| w + 1).sum();
    let avail = width.saturating_sub(fixed_w);
    let mut flex = vec![
        (Column::Title, 24, usize::MAX),
        (Column::Path, 14, 36),
        (Column::Repo, 10, 20),
        (Column::Rule, 12, 32),
        (Column::Tool, 8, 16),
    ];
    let need =
        |f: &[(Column, usize, usize)]| f.iter().map(|(_, min, _)| min).sum::<usize>() + f.len() - 1;
    while flex.len() > 1 && need(&flex) > avail {
        flex.pop();
    }
    let mut spare = avail.saturating_sub(need(&flex));
    // The title is what people read: the others grow only while it keeps half the room (or
    // all it needs, when less).
    let natural = |col: Column| {
        rows.iter()
            .map(|r| text::width(&col.cell(r)))
            .max()
            .unwrap_or(0)
    };
    let title_floor = (avail / 2).min(natural(Column::Title)).max(flex[0].1);
    let mut spare_for_others = spare.saturating_sub(title_floor - flex[0].1);
    let mut widths: Vec<(Column, usize)> = Vec::new();
    for &(col, min, max) in flex.iter().skip(1) {
        let grow = natural(col)
            .min(max)
            .saturating_sub(min)
            .min(spare_for_others);
        spare_for_others -= grow;
        spare -= grow;
        widths.push((col, min + grow));
    }
    let title_w = if need(&flex) > avail {
        avail
    } else {
        flex[0].1 + spare
    };
    widths.push((Column::Title, title_w));
    let order = [
        Column::Severity,
        Column::Status,
        Column::Id,
        Column::Repo,
        Column::Tool,
        Column::Rule,
        Column::Path,
        Column::Title,
    ];
    order
        .into_iter()
        .filter_map(|c| {
            fixed
                .iter()
                .chain(widths.iter())
                .find(|(col, _)| *col == c)
                .copied()
        })
        .collect()
}

fn cell_text(col: Column, s: &str, w: usize) -> String {
    match col {
        Column::Id => text::fit_right(s, w),
        Column::Path => text::fit(&text::clip_left(s, w), w),
        _ => text::fit(s, w),
    }
}

fn row_line(state: &State, r: &FindingRow, cols: &[(Column, usize)]) -> Line<'static> {
    let mut spans = Vec::with_capacity(cols.len() * 2);
    for (i, &(col, w)) in cols.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let style = match col {
            Column::Severity => state.theme.severity(r.severity),
            Column::Status => state.theme.status(r.status),
            _ => Style::new(),
        };
        spans.push(Span::styled(cell_text(col, &col.cell(r), w), style));
    }
    Line::from(spans)
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
    let cols = columns(area.width as usize, visible);
    let header: Vec<Span> = cols
        .iter()
        .enumerate()
        .map(|(i, &(c, w))| {
            let gap = if i > 0 { " " } else { "" };
            Span::raw(format!("{gap}{}", cell_text(c, c.header(), w)))
        })
        .collect();
    let mut lines = vec![Line::from(header).style(state.theme.header)];
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
    spans.extend([
        Span::raw(format!(" {} ", position_text(state))),
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
    if let Some(input) = &state.input {
        draw_input(state, frame, area, input.text(), input.cursor());
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
        (false, Focus::List) => &[
            (Action::MoveDown, "down"),
            (Action::MoveUp, "up"),
            (Action::ToggleDetail, "detail"),
            (Action::Filter, "filter"),
            (Action::Back, "clear"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
    };
    let spans: Vec<Span> = items
        .iter()
        .filter_map(|(a, label)| hint(state, *a, label))
        .flatten()
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_input(state: &State, frame: &mut Frame, area: Rect, value: &str, cursor: usize) {
    // The input refuses what `sanitize` would change, so this is a no-op kept as a guard.
    let value = sanitize::line(value);
    let chars: Vec<char> = value.chars().collect();
    let cursor = cursor.min(chars.len());
    let cols = |from: usize, to: usize| text::width(&chars[from..to].iter().collect::<String>());
    let prompt = "/";
    let room = (area.width as usize)
        .saturating_sub(prompt.len() + 1)
        .max(1);
    // Scroll so the cursor stays in view on long queries.
    let mut skip = 0;
    while skip < cursor && cols(skip, cursor) >= room {
        skip += 1;
    }
    let shown: String = chars[skip..].iter().collect();
    let line = Line::from(vec![
        Span::styled(prompt, state.theme.key),
        Span::raw(text::clip(&shown, room)),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let x = area.x as usize + prompt.len() + cols(skip, cursor);
    frame.set_cursor_position(Position::new(x as u16, area.y));
}
