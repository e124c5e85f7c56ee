//! Drawing the assign dialog: the router's suggestion (one finding: who, team, confidence, where
//! tickets go and the chain of reasons; several: the suggestions grouped, and what would be
//! left alone), then the roster search with its matches and the note. The focused part is
//! marked with `▸`, the highlighted match with `>`, people who left with the word "left":
//! never by colour alone. Every name and reason is sanitized here.

use super::action::Action;
use super::app::State;
use super::assign::{self, AssignDialog, AssignField};
use super::roster_search::{Entry, EntryKind};
use super::route_desk::who;
use super::text;
use crate::owners::plan::{Action as Plan, Planned};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const LABEL: usize = 13;
/// Roster matches shown under the search box.
const MATCHES: u16 = 5;

fn title(d: &AssignDialog) -> String {
    let ids: Vec<String> = d.ids.iter().take(8).map(|i| format!("#{i}")).collect();
    let more = if d.ids.len() > 8 { " …" } else { "" };
    match d.ids.len() {
        1 => format!(" assign {} ", ids[0]),
        n => format!(" assign {n} findings: {}{more} ", ids.join(" ")),
    }
}

fn mark(focused: bool) -> &'static str {
    if focused { "▸ " } else { "  " }
}

/// "Label      value" with the value wrapped under itself.
fn field(lines: &mut Vec<Line<'static>>, state: &State, label: &str, value: &str, width: usize) {
    let avail = width.saturating_sub(LABEL).max(8);
    for (i, chunk) in text::wrap(&sanitize::line(value), avail)
        .into_iter()
        .enumerate()
    {
        let head = if i == 0 { label } else { "" };
        lines.push(Line::from(vec![
            Span::styled(text::fit(&format!("  {head}"), LABEL), state.theme.label),
            Span::raw(chunk),
        ]));
    }
}

/// What the router says about one finding, and what applying would do.
fn one(lines: &mut Vec<Line<'static>>, state: &State, p: &Planned, width: usize) {
    let cur = &p.target.current;
    if cur.owner.is_some() || cur.team.is_some() {
        let mut now = who(cur.owner.as_deref(), cur.team.as_deref());
        if let (Some(how), Some(by)) = (&cur.how, &cur.by) {
            now.push_str(&format!(", {how} by {by}"));
        }
        field(lines, state, "Now", &now, width);
    } else {
        field(lines, state, "Now", "unassigned", width);
    }
    let s = &p.suggestion;
    let person = s.person.as_deref().map_or("-".into(), |h| format!("@{h}"));
    field(lines, state, "Person", &person, width);
    field(
        lines,
        state,
        "Team",
        s.team.as_deref().unwrap_or("-"),
        width,
    );
    let confidence = s.confidence.map_or("none", |c| c.as_str());
    field(lines, state, "Confidence", confidence, width);
    let tickets = s.tickets.as_ref().map_or("-".into(), |t| t.to_string());
    field(lines, state, "Tickets", &tickets, width);
    field(lines, state, "Why", &s.chain(), width);
    let will = match &p.action {
        Plan::Assign => "assigns it".to_string(),
        Plan::Unchanged => "nothing: already assigned so".to_string(),
        Plan::KeepManual { by, at } => format!(
            "keeps it: assigned by hand by {by} {} (reassign by hand below)",
            at.get(..10).unwrap_or(at)
        ),
        Plan::Unrouted => "nothing: nothing claims it; assign by hand below".to_string(),
    };
    field(lines, state, "Applying", &will, width);
}

/// The suggestions for several findings, grouped, and what applying leaves alone.
fn many(lines: &mut Vec<Line<'static>>, plans: &[Planned], width: usize) {
    let (groups, rest) = assign::groups(plans);
    for (person, team, confidence, n) in &groups {
        let noun = if *n == 1 { "finding" } else { "findings" };
        let to = who(person.as_deref(), team.as_deref());
        let c = confidence.map_or("-", |c| c.as_str());
        let line = format!("  {n} {noun} -> {to}, {c}");
        lines.push(Line::raw(text::clip(&sanitize::line(&line), width)));
    }
    if groups.is_empty() {
        lines.push(Line::raw("  nothing for the router to assign"));
    }
    let left_alone = format!(
        "  kept (assigned by hand): {} · unrouted: {} · already so: {}",
        rest.kept, rest.unrouted, rest.unchanged
    );
    lines.push(Line::raw(text::clip(&left_alone, width)));
}

fn suggestion_lines(state: &State, d: &AssignDialog, width: usize) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let focused = d.field == AssignField::Suggestions;
    let head = match d.ids.len() {
        1 => "Suggestion".to_string(),
        n => format!("Suggestions for {n} findings"),
    };
    let mut lines = vec![Line::styled(
        format!("{}{head}", mark(focused)),
        theme.header,
    )];
    match &d.plans {
        None => lines.push(Line::styled("  routing…", theme.dim)),
        Some(_) if d.plan_error.is_some() => {
            let e = d.plan_error.as_deref().unwrap_or_default();
            field(&mut lines, state, "Failed", e, width);
        }
        Some(plans) if d.ids.len() == 1 && plans.len() == 1 => {
            one(&mut lines, state, &plans[0], width)
        }
        Some(plans) => many(&mut lines, plans, width),
    }
    for w in &d.warnings {
        let w = format!("  warning: {}", sanitize::line(w));
        lines.push(Line::styled(text::clip(&w, width), theme.dim));
    }
    lines
}

/// A roster entry as a match line: "@lee  Lee Park  payments", a team as "team payments".
fn entry_line(state: &State, e: &Entry, picked: bool, width: usize) -> Line<'static> {
    let theme = &state.theme;
    let pointer = if picked { "> " } else { "  " };
    let mut text_ = match e.kind {
        EntryKind::Person => {
            let name = e.full_name.as_deref().unwrap_or("");
            let team = e.team.as_deref().unwrap_or("no team");
            format!("@{}  {name}  ({team})", e.name)
        }
        EntryKind::Team => format!("team {}", e.name),
    };
    let left = e.left_by(state.today);
    if let Some(day) = left {
        text_.push_str(&format!(
            "  left {}: cannot be assigned",
            crate::clock::day(day)
        ));
    }
    let line = text::clip(&format!("  {pointer}{}", sanitize::line(&text_)), width);
    let style = match (picked, left.is_some()) {
        (_, true) => theme.dim.add_modifier(Modifier::CROSSED_OUT),
        (true, false) => theme.selected,
        (false, false) => Style::new(),
    };
    Line::styled(line, style)
}

pub fn draw(state: &State, frame: &mut Frame, d: &AssignDialog) {
    let theme = &state.theme;
    let Some(inner) = super::layout::modal(frame, theme, &title(d), 90, 26) else {
        return;
    };
    // The search part: a gap, its label and box, the matches, the note, the last line.
    let bottom_h = 1 + 1 + MATCHES + 1 + 1;
    if inner.height < bottom_h + 3 || inner.width < 40 {
        frame.render_widget(Paragraph::new("enlarge the terminal to assign"), inner);
        return;
    }
    let width = inner.width as usize;
    let top_h = inner.height - bottom_h;
    let lines = suggestion_lines(state, d, width);
    let max_scroll = lines.len().saturating_sub(top_h as usize);
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(d.scroll.min(max_scroll))
        .take(top_h as usize)
        .collect();
    frame.render_widget(
        Paragraph::new(shown),
        Rect::new(inner.x, inner.y, inner.width, top_h),
    );

    let row = |y: u16| Rect::new(inner.x, inner.y + y, inner.width, 1);
    let input = Style::new().add_modifier(Modifier::UNDERLINED);
    let mut y = top_h + 1;
    let searching = d.field == AssignField::Search;
    let label = format!("{}By hand: ", mark(searching));
    draw_input(state, frame, row(y), &label, &d.search, input, searching);
    y += 1;
    let directory = &state.owners.directory;
    let first = d.pick.saturating_sub(MATCHES as usize - 1);
    let mut match_lines: Vec<Line> = d
        .matches
        .iter()
        .enumerate()
        .skip(first)
        .take(MATCHES as usize)
        .filter_map(|(i, &e)| {
            let picked = i == d.pick && d.field != AssignField::Suggestions;
            Some(entry_line(state, directory.entries.get(e)?, picked, width))
        })
        .collect();
    if d.matches.is_empty() {
        let msg = if directory.entries.is_empty() {
            "  no roster: add [[people]] and [[teams]] to the config"
        } else {
            "  nobody in the roster matches"
        };
        match_lines.push(Line::styled(msg, theme.dim));
    }
    frame.render_widget(
        Paragraph::new(match_lines),
        Rect::new(inner.x, inner.y + y, inner.width, MATCHES),
    );
    y += MATCHES;
    let noting = d.field == AssignField::Note;
    let label = format!("{}Note:    ", mark(noting));
    draw_input(state, frame, row(y), &label, &d.note, input, noting);

    let last = if d.sending {
        Line::styled("  recording…", theme.dim)
    } else if let Some(e) = &d.error {
        Line::styled(
            text::clip(&format!("  error: {}", sanitize::line(e)), width),
            theme.error,
        )
    } else {
        Line::styled(
            text::clip(
                "  routing keeps a hand-made assignment; by hand stands against routing",
                width,
            ),
            theme.dim,
        )
    };
    frame.render_widget(last, row(inner.height - 1));
}

fn draw_input(
    state: &State,
    frame: &mut Frame,
    r: Rect,
    label: &str,
    editor: &super::editor::Editor,
    style: Style,
    focused: bool,
) {
    let lw = (text::width(label) as u16).min(r.width);
    frame.render_widget(Span::styled(label.to_string(), state.theme.label), r);
    let field_w = r.width.saturating_sub(lw + 1).min(40);
    let at = Rect::new(r.x + lw, r.y, field_w, 1);
    editor.render_field(frame, at, style, focused);
}

/// The hint line: what the focused part's keys do. Characters type a name anywhere in the
/// dialog, so the key shown is one that types nothing (`down`, not `j`).
pub fn draw_hints(state: &State, frame: &mut Frame, area: Rect, d: &AssignDialog) {
    let items: &[(Action, &str)] = if d.field != AssignField::Suggestions {
        &[
            (Action::AssignPick, "assign by hand"),
            (Action::MoveDown, "next match"),
            (Action::NextField, "next field"),
            (Action::ApplySuggestions, "apply suggestions"),
            (Action::Back, "cancel"),
        ]
    } else {
        &[
            (Action::ApplySuggestions, "apply suggestions"),
            (Action::NextField, "search roster"),
            (Action::MoveDown, "scroll"),
            (Action::Back, "cancel"),
        ]
    };
    let mut spans = Vec::new();
    for (action, label) in items {
        let key = state
            .keymap
            .keys(*action)
            .iter()
            .find(|k| k.text().is_none());
        if let Some(k) = key {
            spans.push(Span::styled(k.to_string(), state.theme.key));
            spans.push(Span::raw(format!(" {label}  ")));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
