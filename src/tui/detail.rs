//! The detail pane: everything known of the selected finding and its history. Text is wrapped
//! here (not by the widget) so scrolling can be clamped to what exists.

use super::app::{Focus, State};
use super::{columns, layout, text, view};
use crate::model::Finding;
use crate::model::FindingRow;
use crate::sanitize;
use crate::store::{CurrentAssignment, DecisionRow, EventRow, Link};
use crate::triage::risk::{self, RiskInputs};
use crate::triage::sla::SlaState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const LABEL: usize = 11;

fn pane(state: &State) -> Option<Rect> {
    layout::areas(state, Rect::new(0, 0, state.width, state.height)).detail
}

/// Text rows inside the pane's border.
pub fn visible_rows(state: &State) -> usize {
    pane(state).map_or(0, |r| r.height.saturating_sub(2) as usize)
}

pub fn line_count(state: &State) -> usize {
    let width = pane(state).map_or(1, |r| r.width.saturating_sub(2) as usize);
    lines(state, width).len()
}

/// An RFC 3339 UTC stamp in the display offset; anything else shown as it is (sanitized).
pub(super) fn when(state: &State, stamp: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stamp) {
        Ok(t) => t
            .with_timezone(&state.utc_offset)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => sanitize::line(stamp).into_owned(),
    }
}

struct Out<'s> {
    lines: Vec<Line<'static>>,
    width: usize,
    state: &'s State,
}

impl Out<'_> {
    fn push(&mut self, line: Line<'static>) {
        self.lines.push(line);
    }

    /// `text` wrapped to the pane, continuation lines indented under the first.
    fn wrapped(&mut self, text: String, style: Style) {
        let width = self.width.max(8);
        for (i, chunk) in text::wrap(&text, width).into_iter().enumerate() {
            let chunk = if i == 0 {
                chunk
            } else {
                format!("      {chunk}")
            };
            self.push(Line::styled(chunk, style));
        }
    }

    /// "Label      value", the value wrapped under itself; skipped when there is no value.
    fn field(&mut self, label: &str, value: Option<&str>, style: Style) {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            return;
        };
        let value = sanitize::line(value);
        let label_style = self.state.theme.label;
        let avail = self.width.saturating_sub(LABEL).max(8);
        for (i, chunk) in text::wrap(&value, avail).into_iter().enumerate() {
            let head = if i == 0 {
                text::fit(label, LABEL)
            } else {
                " ".repeat(LABEL)
            };
            self.push(Line::from(vec![
                Span::styled(head, label_style),
                Span::styled(chunk, style),
            ]));
        }
    }

    /// A heading and multi-line text below it, indented.
    fn block(&mut self, heading: &str, body: &str) {
        self.push(Line::default());
        self.push(Line::styled(heading.to_string(), self.state.theme.header));
        let body = sanitize::block(body);
        for chunk in text::wrap(&body, self.width.saturating_sub(2).max(8)) {
            self.push(Line::raw(format!("  {chunk}")));
        }
    }
}

/// The pane's content at a given inner width.
pub fn lines(state: &State, width: usize) -> Vec<Line<'static>> {
    let mut out = Out {
        lines: Vec::new(),
        width,
        state,
    };
    let Some(row) = state.backlog.selected() else {
        out.push(Line::raw("no finding selected"));
        return out.lines;
    };
    let Some(data) = state.selected_detail() else {
        out.push(Line::raw(format!("loading finding #{}…", row.id)));
        return out.lines;
    };
    let Some(f) = &data.finding else {
        out.push(Line::raw(format!(
            "finding #{} is no longer in the database",
            row.id
        )));
        return out.lines;
    };
    finding_lines(&mut out, f, data.assignment.as_ref());
    link_lines(&mut out, f, &data.links);
    risk_lines(&mut out, f);
    decision_lines(&mut out, &data.decisions);
    history_lines(&mut out, &data.history);
    out.lines
}

fn finding_lines(out: &mut Out<'_>, f: &Finding, assignment: Option<&CurrentAssignment>) {
    let theme = &out.state.theme;
    let r = &f.row;
    let mut head = vec![
        Span::styled(
            view::severity_label(r.severity).to_string(),
            theme.severity(r.severity),
        ),
        Span::raw("  "),
        Span::styled(r.status.as_str().to_string(), theme.status(r.status)),
        Span::raw(format!("  #{}", r.id)),
    ];
    if f.suppressed {
        head.push(Span::styled("  [suppressed in source]", theme.dim));
    }
    out.push(Line::from(head));
    let title = sanitize::line(&r.title).into_owned();
    for chunk in text::wrap(&title, out.width.max(8)) {
        out.push(Line::styled(
            chunk,
            Style::new().add_modifier(Modifier::BOLD),
        ));
    }
    out.push(Line::default());
    let plain = Style::new();
    out.field("Repo", Some(&r.repo), plain);
    out.field("Tool", Some(&r.tool), plain);
    out.field("Rule", Some(&r.rule), plain);
    let lines = match (r.line, f.end_line) {
        (Some(a), Some(b)) if b > a => format!(":{a}-{b}"),
        (Some(a), _) => format!(":{a}"),
        _ => String::new(),
    };
    let location = r.path.as_ref().map(|p| format!("{p}{lines}"));
    out.field("Location", location.as_deref(), plain);
    out.field("CWE", f.cwe.as_deref(), plain);
    out.field("CVE", f.cve.as_deref(), plain);
    assignment_lines(out, r, assignment);
    out.field("Lane", r.lane.as_deref(), plain);
    let risk = r.risk.map(|v| format!("{v:.0} of 100"));
    out.field("Risk", risk.as_deref(), plain);
    if let Some(d) = &r.due {
        let sla = columns::sla(r, out.state.today);
        let due = match sla {
            SlaState::None => when(out.state, d),
            s => format!(
                "{}  {} {} ({})",
                when(out.state, d),
                s.symbol(),
                s.word(),
                s.relative()
            ),
        };
        let style = match sla {
            SlaState::Overdue(_) => theme.overdue,
            SlaState::DueSoon(_) => theme.due_soon,
            _ => plain,
        };
        out.field("Due", Some(&due), style);
    }
    if r.pending {
        let pending = format!("{} a decision waits for approval", columns::PENDING_MARK);
        out.field("Decision", Some(&pending), theme.mark);
    }
    out.field("Decided by", f.decided_by.as_deref(), plain);
    out.field("Until", f.until.as_deref(), plain);
    out.field("Escalated", f.escalated_to.as_deref(), plain);
    let duplicate = f.duplicate_of.map(|id| format!("#{id}"));
    out.field("Duplicate", duplicate.as_deref(), plain);
    let first = when(out.state, &r.first_seen);
    let last = when(out.state, &r.last_seen);
    out.field("First seen", Some(&first), plain);
    out.field("Last seen", Some(&last), plain);
    out.field("Baseline", f.baseline_state.as_deref(), plain);
    let fixes = match &f.fixes {
        Some(serde_json::Value::Array(a)) if !a.is_empty() => {
            format!("{} suggested by the tool", a.len())
        }
        Some(serde_json::Value::Array(_)) | None => "none".to_string(),
        Some(_) => "present".to_string(),
    };
    out.field("Fixes", Some(&fixes), plain);
    out.field("Help", f.help_uri.as_deref(), theme.key);
    if !f.message.is_empty() {
        out.block("Message", &f.message);
    }
    if let Some(snippet) = f.snippet.as_deref().filter(|s| !s.is_empty()) {
        out.block("Snippet", snippet);
    }
}

/// Who owns it, how that was decided (by a person or the router), by whom and when, and the
/// router's reasons, as `lastmile show` says it.
fn assignment_lines(out: &mut Out<'_>, r: &FindingRow, a: Option<&CurrentAssignment>) {
    let plain = Style::new();
    let (owner, team) = match a {
        Some(a) => (a.owner.as_deref(), a.team.as_deref()),
        None => (r.owner.as_deref(), r.team.as_deref()),
    };
    out.field("Owner", owner.map(|o| format!("@{o}")).as_deref(), plain);
    out.field("Team", team, plain);
    let Some(a) = a.filter(|_| owner.is_some() || team.is_some()) else {
        return;
    };
    if let Some(how) = &a.how {
        let mut said = match how.as_str() {
            "manual" => "by hand".to_string(),
            "routed" => "routed".to_string(),
            other => other.to_string(),
        };
        if let Some(by) = &a.by {
            said.push_str(&format!(" by {by}"));
        }
        if let Some(at) = &a.at {
            said.push_str(&format!(", {}", when(out.state, at)));
        }
        out.field("Assigned", Some(&said), plain);
    }
    out.field("Why", a.reason.as_deref(), plain);
}

/// The finding's tracker objects as last synced: reference, remote state, people and labels
/// on a ticket, and the address. All of it is the tracker's text.
fn link_lines(out: &mut Out<'_>, f: &Finding, links: &[Link]) {
    if links.is_empty() {
        // A reference without a link row: stored by an older sync, or the link was removed.
        if let Some(r) = &f.tracker_ref {
            out.push(Line::default());
            out.field("Tracker", Some(r), Style::new());
        }
        return;
    }
    let state = out.state;
    out.push(Line::default());
    out.push(Line::styled(
        format!("Tracker links ({})", links.len()),
        state.theme.header,
    ));
    for l in links {
        let mut head = format!(
            "  {}  {}",
            sanitize::line(&l.at.to_string()),
            sanitize::line(&l.state)
        );
        if let Some(reason) = l.reason.as_deref().filter(|r| !r.is_empty()) {
            head.push_str(&format!(" ({})", sanitize::line(reason)));
        }
        head.push_str(&format!("  synced {}", when(state, &l.synced_at)));
        out.wrapped(head, Style::new());
        let mut people = Vec::new();
        if !l.assignees.is_empty() {
            let who: Vec<String> = l
                .assignees
                .iter()
                .map(|a| format!("@{}", sanitize::line(a)))
                .collect();
            people.push(who.join(", "));
        }
        if !l.labels.is_empty() {
            let labels: Vec<String> = l
                .labels
                .iter()
                .map(|a| sanitize::line(a).into_owned())
                .collect();
            people.push(format!("labels {}", labels.join(", ")));
        }
        if !people.is_empty() {
            out.wrapped(format!("    {}", people.join("; ")), Style::new());
        }
        if let Some(url) = l.url.as_deref() {
            out.wrapped(format!("    {}", sanitize::line(url)), state.theme.key);
        }
    }
}

/// What the risk score is made of, computed now with the policy's weights: each term's points
/// of its most, and where its input came from.
fn risk_lines(out: &mut Out<'_>, f: &Finding) {
    let state = out.state;
    let Some(now) = state.triage.moment(state.today) else {
        return;
    };
    let r = &f.row;
    let first_seen = chrono::DateTime::parse_from_rfc3339(&r.first_seen)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc));
    let inputs = RiskInputs {
        severity: r.severity,
        score: f.score,
        kev: f.kev,
        epss: f.epss,
        epss_pct: f.epss_pct,
        validated: f.validated,
        reachable: f.reachable,
        exposed: f.exposed,
        tier: f.tier,
        first_seen,
    };
    let b = risk::breakdown(&inputs, &state.triage.policy.weights, now);
    out.push(Line::default());
    out.push(Line::styled(
        format!("Risk breakdown: {:.0} of 100 now", b.total),
        state.theme.header,
    ));
    for t in &b.terms {
        let mut source = t.source.clone();
        if t.name == "kev"
            && let Some(due) = &f.kev_due
        {
            source.push_str(&format!(", fix by {}", sanitize::line(due)));
        }
        let line = format!(
            "  {} {:>4.1}/{:<3.0} {}",
            text::fit(t.name, 11),
            t.points,
            t.max,
            source
        );
        for (i, chunk) in text::wrap(&line, out.width.max(8)).into_iter().enumerate() {
            out.push(Line::raw(if i == 0 {
                chunk
            } else {
                format!("{}{chunk}", " ".repeat(24))
            }));
        }
    }
}

/// Every decision on the finding, oldest first, with its review.
fn decision_lines(out: &mut Out<'_>, decisions: &[DecisionRow]) {
    if decisions.is_empty() {
        return;
    }
    let state = out.state;
    out.push(Line::default());
    out.push(Line::styled(
        format!("Decisions ({})", decisions.len()),
        state.theme.header,
    ));
    for d in decisions {
        let mut head = format!(
            "  {}  {}  {}  [{}]",
            when(state, &d.at),
            sanitize::line(&d.actor),
            d.kind,
            d.state.as_str()
        );
        if let Some(l) = &d.lane {
            head.push_str(&format!("  lane {}", sanitize::line(l)));
        }
        let style = if d.state == crate::model::DecisionState::Pending {
            state.theme.mark
        } else {
            Style::new()
        };
        out.wrapped(head, style);
        out.wrapped(
            format!("    why: {}", sanitize::line(&d.reason)),
            Style::new(),
        );
        let mut terms = Vec::new();
        if let Some(u) = &d.until {
            terms.push(format!("until {}", sanitize::line(u)));
        }
        if let Some(c) = &d.control {
            terms.push(format!("control: {}", sanitize::line(c)));
        }
        if let Some(t) = &d.target {
            terms.push(format!("to: {}", sanitize::line(t)));
        }
        if !terms.is_empty() {
            out.wrapped(format!("    {}", terms.join("; ")), Style::new());
        }
        if let Some(who) = &d.reviewer {
            let at = d
                .reviewed_at
                .as_deref()
                .map(|t| when(state, t))
                .unwrap_or_default();
            let mut line = format!("    {} by {} {at}", d.state.as_str(), sanitize::line(who));
            if let Some(r) = d.review_reason.as_deref().filter(|r| !r.is_empty()) {
                line.push_str(&format!(": {}", sanitize::line(r)));
            }
            out.wrapped(line, Style::new());
        }
    }
}

fn history_lines(out: &mut Out<'_>, history: &[EventRow]) {
    out.push(Line::default());
    out.push(Line::styled(
        format!("History ({})", history.len()),
        out.state.theme.header,
    ));
    for ev in history {
        let mut line = format!(
            "  {}  {}  {}",
            when(out.state, &ev.at),
            sanitize::line(&ev.actor),
            sanitize::line(&ev.kind)
        );
        if let Some(reason) = ev.reason.as_deref().filter(|r| !r.is_empty()) {
            line.push_str(": ");
            line.push_str(&sanitize::line(reason));
        }
        for (i, chunk) in text::wrap(&line, out.width.max(8)).into_iter().enumerate() {
            out.push(Line::raw(if i == 0 {
                chunk
            } else {
                format!("    {chunk}")
            }));
        }
    }
}

pub fn draw(state: &State, frame: &mut Frame, area: Rect) {
    let focused = state.focus == Focus::Detail;
    let title = match state.backlog.selected() {
        Some(r) => format!(" finding #{} ", r.id),
        None => " finding ".to_string(),
    };
    let block = Block::bordered().title(title).border_style(if focused {
        state.theme.key
    } else {
        state.theme.border
    });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let all = lines(state, inner.width as usize);
    let max = all.len().saturating_sub(inner.height as usize);
    let skip = state.detail_scroll.min(max);
    let shown: Vec<Line> = all
        .into_iter()
        .skip(skip)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
