//! Drawing the decision dialog: the kinds as a radio list, the justification, the fields the
//! kind needs, what the decision will do (and where it waits for approval), the last mistake,
//! and the keys. The focused field is marked with `▸`, not by colour alone.

use super::action::Action;
use super::app::State;
use super::decisions::status_word;
use super::dialog::{Dialog, Field, fields, parse_until};
use super::text;
use crate::model::DecisionKind;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// The left column: "  (•) false-positive".
const KINDS_W: u16 = 21;
const LABEL: usize = 12;
/// Rows under the justification kept for the kind's fields (at most two), a gap, what the
/// decision will do (three lines) and the last mistake: the box does not jump between kinds.
const BELOW: u16 = 2 + 1 + 3 + 1;

/// What a kind does, in a few words.
fn meaning(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Confirm => "it is real and needs fixing",
        DecisionKind::FalsePositive => "not a real problem",
        DecisionKind::AcceptRisk => "live with it until a date, under a control",
        DecisionKind::Defer => "not now: back in the backlog on a date",
        DecisionKind::Escalate => "hand it to a person or team",
        DecisionKind::Duplicate => "the same problem as another finding",
        DecisionKind::Reopen => "back to open",
    }
}

fn label(name: &str, focused: bool) -> String {
    let mark = if focused { "▸ " } else { "  " };
    text::fit(&format!("{mark}{name}"), LABEL)
}

fn title(d: &Dialog) -> String {
    let ids: Vec<String> = d.ids.iter().take(8).map(|i| format!("#{i}")).collect();
    let more = if d.ids.len() > 8 { " …" } else { "" };
    match d.ids.len() {
        1 => format!(" decide on {} ", ids[0]),
        n => format!(" decide on {n} findings: {}{more} ", ids.join(" ")),
    }
}

/// Where the decision will wait, or be skipped, by lane (as far as the list shows lanes).
fn lane_notes(state: &State, d: &Dialog) -> Vec<String> {
    let policy = &state.triage.policy;
    let me = state.triage.me.as_deref().unwrap_or("");
    let mut out = Vec::new();
    for (lane, n) in &d.lanes {
        let lane_shown = sanitize::line(lane);
        if policy.needs_approval(Some(lane), d.kind) {
            out.push(format!(
                "lane {lane_shown} ({n}): waits for a second person's approval"
            ));
        } else if d.kind == DecisionKind::AcceptRisk && !policy.may_accept(Some(lane), me) {
            out.push(format!(
                "lane {lane_shown} ({n}): you may not accept risk here; it will be skipped"
            ));
        }
    }
    out
}

pub fn draw(state: &State, frame: &mut Frame, d: &Dialog) {
    let theme = &state.theme;
    let Some(inner) = super::layout::modal(frame, theme, &title(d), 80, 22) else {
        return;
    };
    if inner.height < 4 || inner.width < KINDS_W + 10 {
        frame.render_widget(Paragraph::new("enlarge the terminal to decide"), inner);
        return;
    }
    let row = |y: u16, x: u16, width: u16| {
        let y = inner.y + y;
        let x = inner.x + x;
        (y < inner.y + inner.height).then(|| Rect::new(x, y, width.min(inner.right() - x), 1))
    };
    let focus = d.field;

    // The kinds, and the justification beside them.
    let mut kinds = vec![Line::styled(
        label("Decision", focus == Field::Kind),
        theme.header,
    )];
    for k in DecisionKind::ALL {
        let chosen = k == d.kind;
        let radio = if chosen { "(•)" } else { "( )" };
        let style = if chosen && focus == Field::Kind {
            theme.selected
        } else {
            Style::new()
        };
        kinds.push(Line::styled(format!("  {radio} {k}"), style));
    }
    // The justification takes the height the rest leaves, and no less than the kinds.
    let box_h = inner
        .height
        .saturating_sub(1 + BELOW)
        .max(kinds.len() as u16 - 1);
    let top_h = (box_h + 1).min(inner.height);
    frame.render_widget(
        Paragraph::new(kinds),
        Rect::new(inner.x, inner.y, KINDS_W, top_h),
    );
    let right_x = KINDS_W + 1;
    let right_w = inner.width - right_x;
    if let Some(r) = row(0, right_x, right_w) {
        let mark = if focus == Field::Reason { "▸ " } else { "  " };
        let head = format!("{mark}Justification (required; enter starts a new line)");
        frame.render_widget(Line::styled(head, theme.header), r);
    }
    let reason_box = Rect::new(inner.x + right_x, inner.y + 1, right_w, top_h - 1);
    let border = if focus == Field::Reason {
        theme.key
    } else {
        theme.border
    };
    let b = Block::bordered().border_style(border);
    let reason_inner = b.inner(reason_box);
    frame.render_widget(b, reason_box);
    d.reason
        .render_field(frame, reason_inner, Style::new(), focus == Field::Reason);

    // The fields the kind needs, one per line.
    let input = Style::new().add_modifier(Modifier::UNDERLINED);
    let mut y = top_h;
    for f in fields(d.kind) {
        let (name, editor, width, hint) = match f {
            Field::Until => (
                "Until",
                &d.until,
                12,
                match parse_until(&d.until.text(), state.today) {
                    Ok(day) if d.until.text().trim().starts_with('+') => format!("= {day}"),
                    _ => "YYYY-MM-DD, or +30d / +90d".to_string(),
                },
            ),
            Field::Control => ("Control", &d.control, 48, String::new()),
            Field::Target => (
                "Target",
                &d.target,
                24,
                if d.kind == DecisionKind::Duplicate {
                    "the original finding's id".to_string()
                } else {
                    "a person or team".to_string()
                },
            ),
            Field::Kind | Field::Reason => continue,
        };
        let Some(r) = row(y, 0, inner.width) else {
            break;
        };
        frame.render_widget(Span::styled(label(name, focus == f), theme.label), r);
        let field_w = (width as u16).min(r.width.saturating_sub(LABEL as u16 + 1));
        let at = Rect::new(r.x + LABEL as u16, r.y, field_w, 1);
        editor.render_field(frame, at, input, focus == f);
        let hint_x = at.right() + 2;
        if hint_x < r.right() && !hint.is_empty() {
            let hr = Rect::new(hint_x, r.y, r.right() - hint_x, 1);
            frame.render_widget(Span::styled(hint, theme.dim), hr);
        }
        y += 1;
    }

    // What it will do, then the last mistake, then the keys, from the bottom up.
    let room = inner.width.saturating_sub(2) as usize;
    let mut notes = vec![Line::raw(text::clip(
        &format!(
            "{}: {} ({})",
            d.kind,
            meaning(d.kind),
            status_word(d.kind.status())
        ),
        room,
    ))];
    if focus == Field::Kind {
        notes.push(Line::styled(
            "a kind's first letter picks it too",
            theme.dim,
        ));
    }
    for n in lane_notes(state, d) {
        notes.push(Line::styled(text::clip(&n, room), theme.mark));
    }
    let bottom = inner.y + inner.height;
    let status = if d.sending {
        Some(Line::styled("recording…", theme.dim))
    } else {
        d.error.as_ref().map(|e| {
            Line::styled(
                text::clip(&format!("error: {}", sanitize::line(e)), room),
                theme.error,
            )
        })
    };
    let tail = u16::from(status.is_some());
    let notes_y = (inner.y + y + 1).min(bottom.saturating_sub(tail));
    let notes_h = bottom.saturating_sub(tail).saturating_sub(notes_y);
    // Indented to line up with the fields' values' labels.
    let text_x = inner.x + 2;
    let text_w = inner.width - 2;
    frame.render_widget(
        Paragraph::new(notes),
        Rect::new(text_x, notes_y, text_w, notes_h),
    );
    if let Some(s) = status {
        frame.render_widget(s, Rect::new(text_x, bottom - 1, text_w, 1));
    }
}

/// The keys of the dialog, for the console's hint line.
pub const HINTS: &[(Action, &str)] = &[
    (Action::NextField, "next field"),
    (Action::PrevField, "back"),
    (Action::MoveDown, "kind"),
    (Action::Submit, "record"),
    (Action::Back, "cancel"),
];
