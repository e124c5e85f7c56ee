//! Drawing the teams view: a table of teams (active findings, one column per lane, overdue,
//! without a person) with each team's people and their load on the line under it. The team
//! under the cursor is marked `>`, people who left with the word "left", a team the roster does
//! not know with "(not in roster)": never by colour alone. Names are sanitized here.

use super::action::Action;
use super::app::State;
use super::teams::{self, TeamRow};
use super::{layout, text};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Lines per team: its numbers, and its people.
const TEAM_LINES: usize = 2;
const NUM: usize = 7;

/// Where the view goes: the list's and the detail pane's room together.
fn area(state: &State, screen: Rect) -> Rect {
    let a = layout::areas(state, screen);
    Rect::new(a.list.x, a.list.y, a.list.width, a.status.y - a.list.y)
}

/// Teams on screen at once (the header takes a line).
pub fn visible_teams(state: &State) -> usize {
    let a = area(state, Rect::new(0, 0, state.width, state.height));
    (a.height.saturating_sub(1) as usize / TEAM_LINES).max(1)
}

fn team_name(r: &TeamRow) -> String {
    match &r.team {
        Some(t) => sanitize::line(t).into_owned(),
        None => "(no team)".into(),
    }
}

/// "@dana 50 · @carol 10 left 2026-09-30: reroute · @erik 0".
fn people_text(r: &TeamRow) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !r.in_roster && r.team.is_some() {
        parts.push("(not in roster)".into());
    }
    for (handle, n, left) in &r.people {
        let mut p = format!("@{} {n}", sanitize::line(handle));
        if let Some(day) = left {
            p.push_str(&format!(" left {}: reroute", crate::clock::day(*day)));
        }
        parts.push(p);
    }
    if parts.is_empty() {
        parts.push("nobody".into());
    }
    parts.join(" · ")
}

pub fn draw(state: &State, frame: &mut Frame) {
    let Some(view) = &state.owners.teams else {
        return;
    };
    let area = area(state, frame.area());
    if area.height < 2 {
        return;
    }
    let theme = &state.theme;
    let w = area.width as usize;
    let rows = state.team_rows();
    let lanes = teams::lanes(&rows, &state.triage.policy);
    // Lane columns as wide as their names up to 9, at least NUM; the team name takes the rest.
    let lane_w: Vec<usize> = lanes
        .iter()
        .map(|l| text::width(l.as_deref().unwrap_or("none")).clamp(4, 9))
        .collect();
    let fixed: usize = 2 + NUM + 1 + lane_w.iter().map(|w| w + 1).sum::<usize>() + 2 * (NUM + 1);
    let name_w = w.saturating_sub(fixed).clamp(6, 24);
    let mut header = vec![
        Span::raw("  "),
        Span::raw(text::fit("TEAM", name_w)),
        Span::raw(format!(" {}", text::fit_right("ACTIVE", NUM))),
    ];
    for (l, lw) in lanes.iter().zip(&lane_w) {
        let name = l.as_deref().map_or("none".into(), sanitize::line);
        header.push(Span::raw(format!(" {}", text::fit_right(&name, *lw))));
    }
    header.push(Span::raw(format!(" {}", text::fit_right("OVERDUE", NUM))));
    header.push(Span::raw(format!(" {}", text::fit_right("NOBODY", NUM))));
    let mut lines = vec![Line::from(header).style(theme.header)];
    match &view.loads {
        None => lines.push(Line::styled(" reading each team's work…", theme.dim)),
        Some(_) if rows.is_empty() => lines.push(Line::styled(
            " no teams: add [[teams]] to the config, or assign findings",
            theme.dim,
        )),
        Some(_) => {}
    }
    let shown = visible_teams(state);
    for (i, r) in rows.iter().enumerate().skip(view.offset).take(shown) {
        let here = i == view.cursor;
        let pointer = if here { "> " } else { "  " };
        let mut cells = format!(
            "{pointer}{} {}",
            text::fit(&team_name(r), name_w),
            text::fit_right(&text::thousands(r.load.active), NUM)
        );
        for (l, lw) in lanes.iter().zip(&lane_w) {
            let n = r
                .load
                .by_lane
                .iter()
                .find(|(lane, _)| lane == l)
                .map_or(0, |(_, n)| *n);
            cells.push_str(&format!(" {}", text::fit_right(&text::thousands(n), *lw)));
        }
        cells.push_str(&format!(
            " {} {}",
            text::fit_right(&text::thousands(r.load.overdue), NUM),
            text::fit_right(&text::thousands(r.load.unassigned), NUM)
        ));
        let style = if here { theme.selected } else { Style::new() };
        lines.push(Line::styled(text::clip(&cells, w), style));
        let people = format!("    {}", people_text(r));
        let has_left = r.people.iter().any(|(_, _, left)| left.is_some());
        let style = if has_left { theme.mark } else { theme.dim };
        lines.push(Line::styled(text::clip(&people, w), style));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// "team 2 of 7", for the status bar.
pub fn position_text(state: &State) -> String {
    let Some(view) = &state.owners.teams else {
        return String::new();
    };
    if view.loads.is_none() {
        return "reading…".into();
    }
    let refreshing = if view.reading {
        " (reading again…)"
    } else {
        ""
    };
    match state.team_rows().len() {
        0 => format!("no teams{refreshing}"),
        n => format!("team {} of {n}{refreshing}", view.cursor.min(n - 1) + 1),
    }
}

/// The keys of the view, for the hint line.
pub const HINTS: &[(Action, &str)] = &[
    (Action::MoveDown, "down"),
    (Action::ShowTeam, "show its findings"),
    (Action::Refresh, "refresh"),
    (Action::Teams, "close"),
    (Action::Help, "help"),
];
