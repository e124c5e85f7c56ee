//! Drawing the flags dialog: two three-way choices and the reason. The focused field is marked
//! with `▸` and each choice is written out ("(•) yes"), never shown by colour alone.

use super::action::Action;
use super::app::State;
use super::flags::{Choice, FlagField, FlagsDialog};
use super::text;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const LABEL: usize = 20;

fn title(d: &FlagsDialog) -> String {
    let ids: Vec<String> = d.ids.iter().take(8).map(|i| format!("#{i}")).collect();
    let more = if d.ids.len() > 8 { " …" } else { "" };
    match d.ids.len() {
        1 => format!(" flags of {} ", ids[0]),
        n => format!(" flags of {n} findings: {}{more} ", ids.join(" ")),
    }
}

fn choice_line(state: &State, name: &str, c: Choice, focused: bool) -> Line<'static> {
    let mark = if focused { "▸ " } else { "  " };
    let mut spans = vec![Span::styled(
        text::fit(&format!("{mark}{name}"), LABEL),
        state.theme.label,
    )];
    for option in [Choice::Leave, Choice::Yes, Choice::No] {
        let radio = if option == c { "(•)" } else { "( )" };
        let style = if option == c && focused {
            state.theme.selected
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!("{radio} {}", option.word()), style));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

pub fn draw(state: &State, frame: &mut Frame, d: &FlagsDialog) {
    let theme = &state.theme;
    let Some(inner) = super::layout::modal(frame, theme, &title(d), 72, 16) else {
        return;
    };
    if inner.height < 6 || inner.width < 30 {
        frame.render_widget(Paragraph::new("enlarge the terminal to set flags"), inner);
        return;
    }
    let line = |y: u16| Rect::new(inner.x, inner.y + y, inner.width, 1);
    let room = inner.width as usize;
    let focus = d.field;
    frame.render_widget(
        choice_line(
            state,
            "Exploit validated",
            d.validated,
            focus == FlagField::Validated,
        ),
        line(0),
    );
    frame.render_widget(
        choice_line(
            state,
            "Reachable",
            d.reachable,
            focus == FlagField::Reachable,
        ),
        line(1),
    );
    let mark = if focus == FlagField::Reason {
        "▸ "
    } else {
        "  "
    };
    frame.render_widget(
        Line::styled(
            text::clip(
                &format!("{mark}Reason (required; enter starts a new line)"),
                room,
            ),
            theme.header,
        ),
        line(3),
    );
    // The reason box takes what is left above the last line (the mistake, or a hint).
    let box_h = inner.height - 5;
    let reason_box = Rect::new(inner.x, inner.y + 4, inner.width, box_h);
    let border = if focus == FlagField::Reason {
        theme.key
    } else {
        theme.border
    };
    let b = Block::bordered().border_style(border);
    let reason_inner = b.inner(reason_box);
    frame.render_widget(b, reason_box);
    d.reason.render_field(
        frame,
        reason_inner,
        Style::new(),
        focus == FlagField::Reason,
    );
    let last = if d.sending {
        Line::styled("recording…", theme.dim)
    } else if let Some(e) = &d.error {
        Line::styled(
            text::clip(&format!("error: {}", sanitize::line(e)), room),
            theme.error,
        )
    } else {
        Line::styled(
            text::clip("risk, lane and due date follow the flags", room),
            theme.dim,
        )
    };
    frame.render_widget(last, line(inner.height - 1));
}

/// The keys of the dialog, for the console's hint line.
pub const HINTS: &[(Action, &str)] = &[
    (Action::NextField, "next field"),
    (Action::CycleFlag, "leave/yes/no"),
    (Action::Submit, "record"),
    (Action::Back, "cancel"),
];
