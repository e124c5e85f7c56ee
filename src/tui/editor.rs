//! The one text-editing component: `ratatui-textarea` with shell-style keys, single-line (the
//! `/` filter, the `:` command line) or multi-line (a justification). Editing keys are fixed,
//! like a shell's line editor; only entering and leaving an editor go through the keymap.
//!
//! It never holds a character `sanitize` would change (control characters, bidi overrides,
//! zero-width marks), newlines of a multi-line editor aside: what is typed is shown as typed,
//! and the cursor stays in step with the text.

use super::keymap::Key;
use crate::sanitize;
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{CursorMove, TextArea};

#[derive(Debug, Clone)]
pub struct Editor {
    area: TextArea<'static>,
    multi_line: bool,
}

/// A character the editor takes: one `sanitize` leaves alone.
fn allowed(c: char) -> bool {
    let mut buf = [0; 4];
    let s: &str = c.encode_utf8(&mut buf);
    matches!(sanitize::line(s), std::borrow::Cow::Borrowed(_))
}

/// `text` as the editor may hold it: refused characters dropped, tabs (and newlines on a
/// single line) as spaces, CRLF as LF.
fn clean(text: &str, multi_line: bool) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' if multi_line => Some('\n'),
            '\n' | '\t' => Some(' '),
            c if allowed(c) => Some(c),
            _ => None,
        })
        .collect()
}

impl Editor {
    /// One line, holding `text` (what it may not hold dropped) with the cursor at its end.
    pub fn single_line(text: &str) -> Editor {
        Editor::new(text, false)
    }

    /// Several lines; Enter starts a new one, so the caller binds another key to finish.
    pub fn multi_line(text: &str) -> Editor {
        Editor::new(text, true)
    }

    fn new(text: &str, multi_line: bool) -> Editor {
        // Built from the lines rather than typed in, so undo cannot take the initial text away.
        let kept = clean(text, multi_line);
        let mut area = TextArea::from(kept.split('\n'));
        // The cursor is drawn reversed, which reads without colour; no underline on its line.
        area.set_cursor_line_style(Style::new());
        area.set_cursor_style(Style::new().add_modifier(Modifier::REVERSED));
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        Editor { area, multi_line }
    }

    pub fn is_multi_line(&self) -> bool {
        self.multi_line
    }

    /// The text; lines joined with `\n`.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.area.is_empty()
    }

    /// (line, column), 0-based, in chars.
    pub fn cursor(&self) -> (usize, usize) {
        let c = self.area.cursor();
        (c.0, c.1)
    }

    /// Puts the cursor on a 1-based column of the first line (where a query error points).
    pub fn set_column(&mut self, column: usize) {
        let col = column.saturating_sub(1).min(u16::MAX as usize) as u16;
        self.area.move_cursor(CursorMove::Jump(0, col));
    }

    /// Inserts text at the cursor (a paste): refused characters are dropped, and newlines
    /// become spaces on a single line. True when something was inserted.
    pub fn insert_text(&mut self, text: &str) -> bool {
        let kept = clean(text, self.multi_line);
        !kept.is_empty() && self.area.insert_str(kept)
    }

    /// Applies an editing key; false when it is not one (the caller may give it a meaning).
    pub fn edit(&mut self, key: Key) -> bool {
        if let Some(c) = key.text() {
            // A refused character is still consumed: it must not fall through to an action.
            if allowed(c) {
                self.area.insert_char(c);
            }
            return true;
        }
        let ctrl = key.mods == KeyModifiers::CONTROL;
        let alt = key.mods == KeyModifiers::ALT;
        let plain = key.mods.is_empty();
        let a = &mut self.area;
        match key.code {
            KeyCode::Backspace if plain => _ = a.delete_char(),
            KeyCode::Char('h') if ctrl => _ = a.delete_char(),
            KeyCode::Delete if plain => _ = a.delete_next_char(),
            KeyCode::Char('d') if ctrl => _ = a.delete_next_char(),
            KeyCode::Left if plain => a.move_cursor(CursorMove::Back),
            KeyCode::Char('b') if ctrl => a.move_cursor(CursorMove::Back),
            KeyCode::Right if plain => a.move_cursor(CursorMove::Forward),
            KeyCode::Char('f') if ctrl => a.move_cursor(CursorMove::Forward),
            KeyCode::Left if ctrl => a.move_cursor(CursorMove::WordBack),
            KeyCode::Char('b') if alt => a.move_cursor(CursorMove::WordBack),
            KeyCode::Right if ctrl => a.move_cursor(CursorMove::WordForward),
            KeyCode::Char('f') if alt => a.move_cursor(CursorMove::WordForward),
            KeyCode::Home if plain => a.move_cursor(CursorMove::Head),
            KeyCode::Char('a') if ctrl => a.move_cursor(CursorMove::Head),
            KeyCode::End if plain => a.move_cursor(CursorMove::End),
            KeyCode::Char('e') if ctrl => a.move_cursor(CursorMove::End),
            // Shell habits rather than the widget's own defaults (there ctrl-u is undo).
            KeyCode::Char('u') if ctrl => _ = a.delete_line_by_head(),
            KeyCode::Char('k') if ctrl => _ = a.delete_line_by_end(),
            KeyCode::Char('w') if ctrl => _ = a.delete_word(),
            KeyCode::Backspace if alt => _ = a.delete_word(),
            KeyCode::Char('d') if alt => _ = a.delete_next_word(),
            KeyCode::Char('y') if ctrl => _ = a.paste(),
            KeyCode::Char('z') if ctrl => _ = a.undo(),
            KeyCode::Char('r') if ctrl => _ = a.redo(),
            KeyCode::Enter if plain && self.multi_line => a.insert_newline(),
            KeyCode::Up if plain && self.multi_line => a.move_cursor(CursorMove::Up),
            KeyCode::Down if plain && self.multi_line => a.move_cursor(CursorMove::Down),
            KeyCode::PageUp if plain && self.multi_line => {
                a.scroll(ratatui_textarea::Scrolling::PageUp)
            }
            KeyCode::PageDown if plain && self.multi_line => {
                a.scroll(ratatui_textarea::Scrolling::PageDown)
            }
            _ => return false,
        }
        true
    }

    /// Draws the text in `area`, scrolled to keep the cursor in view, and puts the terminal's
    /// cursor on it.
    pub fn render(&self, frame: &mut Frame, area: Rect, style: Style) {
        self.render_field(frame, area, style, true);
    }

    /// As `render`, for one of several fields: only the focused one shows its cursor.
    pub fn render_field(&self, frame: &mut Frame, area: Rect, style: Style, focused: bool) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        // The style is per draw (the theme may differ), the text area keeps the rest.
        let mut shown = self.area.clone();
        shown.set_style(style);
        if !focused {
            shown.set_cursor_style(style);
            frame.render_widget(&shown, area);
            return;
        }
        frame.render_widget(&shown, area);
        let cursor = shown.screen_cursor();
        let (top_row, top_col) = shown.scroll_offset();
        let x = (cursor.col as u16).saturating_sub(top_col);
        let y = (cursor.row as u16).saturating_sub(top_row);
        if x < area.width && y < area.height {
            frame.set_cursor_position(Position::new(area.x + x, area.y + y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> Key {
        Key::plain(code)
    }

    fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut e = Editor::single_line("sév:high");
        assert_eq!(e.cursor(), (0, 8));
        assert!(e.edit(k(KeyCode::Home)));
        e.edit(k(KeyCode::Char('-')));
        assert_eq!(e.text(), "-sév:high");
        e.edit(k(KeyCode::Right));
        e.edit(k(KeyCode::Right));
        e.edit(k(KeyCode::Backspace));
        assert_eq!((e.text().as_str(), e.cursor()), ("-sv:high", (0, 2)));
        e.edit(k(KeyCode::Delete));
        assert_eq!((e.text().as_str(), e.cursor()), ("-s:high", (0, 2)));
        assert!(
            e.edit(k(KeyCode::Char('\u{202e}'))),
            "a refused character is still taken"
        );
        assert_eq!(e.text(), "-s:high", "bidi overrides are refused");
        e.edit(k(KeyCode::End));
        e.edit(ctrl('u'));
        assert_eq!((e.text().as_str(), e.cursor()), ("", (0, 0)));
        assert!(!e.edit(k(KeyCode::F(2))));
        assert!(
            !e.edit(k(KeyCode::Enter)),
            "enter is the caller's on one line"
        );
    }

    #[test]
    fn shell_keys_delete_words_and_ends() {
        let mut e = Editor::single_line("sev:high repo:api");
        e.edit(ctrl('w'));
        assert_eq!(e.text(), "sev:high repo:");
        e.edit(ctrl('a'));
        e.edit(ctrl('f'));
        e.edit(ctrl('k'));
        assert_eq!(e.text(), "s");
        e.edit(ctrl('z'));
        assert_eq!(e.text(), "sev:high repo:", "undo");
        e.set_column(5);
        assert_eq!(e.cursor(), (0, 4));
    }

    #[test]
    fn control_and_bidi_characters_never_get_in() {
        for bad in [
            '\u{1b}', '\u{7}', '\u{9b}', '\u{200b}', '\u{2066}', '\u{feff}',
        ] {
            let mut e = Editor::single_line("a");
            e.edit(k(KeyCode::Char(bad)));
            assert_eq!(e.text(), "a", "{:?}", bad);
        }
        let e = Editor::single_line("x\u{1b}[31my\u{202e}z\nw");
        assert_eq!(e.text(), "x[31myz w");
        let mut m = Editor::multi_line("one\r\ntwo\u{7}");
        assert_eq!(m.text(), "one\ntwo");
        m.edit(k(KeyCode::Enter));
        m.edit(k(KeyCode::Char('3')));
        m.edit(k(KeyCode::Up));
        assert_eq!((m.text().as_str(), m.cursor()), ("one\ntwo\n3", (1, 1)));
        assert!(m.is_multi_line());
        assert!(!m.insert_text("\u{202e}"));
    }
}
