//! The `?` overlay, built from the keymap itself: every action with its name (what `[keys]`
//! calls it), the keys as configured, and what it does.

use super::action::Action;
use super::app::State;
use super::text;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

const NAME: usize = 15;
const KEYS: usize = 18;

/// The overlay's box: nearly the whole screen on a small terminal, centred on a big one.
fn area(state: &State, screen: Rect) -> Rect {
    let w = screen.width.min(96);
    let h = (line_count(state) as u16 + 2).min(screen.height);
    Rect::new(
        screen.x + (screen.width - w) / 2,
        screen.y + (screen.height - h) / 2,
        w,
        h,
    )
}

pub fn visible_rows(state: &State) -> usize {
    area(state, Rect::new(0, 0, state.width, state.height))
        .height
        .saturating_sub(2) as usize
}

pub fn line_count(state: &State) -> usize {
    lines(state, 80).len()
}

pub fn lines(state: &State, width: usize) -> Vec<Line<'static>> {
    let theme = &state.theme;
    let mut out = vec![Line::from(vec![
        Span::styled(text::fit("action", NAME), theme.header),
        Span::styled(text::fit("keys", KEYS), theme.header),
        Span::styled("what it does", theme.header),
    ])];
    let desc_w = width.saturating_sub(NAME + KEYS).max(10);
    for action in Action::all() {
        let keys = state.keymap.describe(action);
        out.push(Line::from(vec![
            Span::raw(text::fit(action.name(), NAME)),
            Span::styled(text::fit(&keys, KEYS), theme.key),
            Span::raw(text::clip(action.description(), desc_w)),
        ]));
    }
    out.push(Line::default());
    out.push(Line::styled("Marks", theme.header));
    for mark in [
        "* selected   ? a decision waits for approval",
        "! overdue    ~ due within a week   (in the DUE column)",
    ] {
        out.push(Line::raw(format!(
            "  {}",
            text::clip(mark, width.saturating_sub(2))
        )));
    }
    out.push(Line::default());
    out.push(Line::styled("Filter language", theme.header));
    for example in [
        "sev:high status:open tool:semgrep \"sql injection\"",
        "-path:tests/* (repo:api OR repo:web) cwe:89 id:42",
        "Keys are set in the config's [keys] table: action = [\"key\", ...]",
    ] {
        out.push(Line::raw(format!(
            "  {}",
            text::clip(example, width.saturating_sub(2))
        )));
    }
    out
}

pub fn draw(state: &State, frame: &mut Frame, scroll: usize) {
    let screen = frame.area();
    let rect = area(state, screen);
    let block = Block::bordered()
        .title(" keys — esc closes ")
        .border_style(state.theme.key);
    let inner = block.inner(rect);
    frame.render_widget(Clear, rect);
    frame.render_widget(block, rect);
    let all = lines(state, inner.width as usize);
    let max = all.len().saturating_sub(inner.height as usize);
    let shown: Vec<Line> = all
        .into_iter()
        .skip(scroll.min(max))
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
