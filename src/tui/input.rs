//! A one-line text input (the `/` filter). Editing keys are fixed, like a shell's line editor;
//! only entering and leaving the input go through the keymap.

use super::keymap::Key;
use crossterm::event::{KeyCode, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineInput {
    text: String,
    /// In chars, 0..=len.
    cursor: usize,
}

impl LineInput {
    pub fn new(text: &str) -> LineInput {
        LineInput {
            text: text.to_string(),
            cursor: text.chars().count(),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Puts the cursor on a 1-based column (where a query error points).
    pub fn set_column(&mut self, column: usize) {
        self.cursor = column.saturating_sub(1).min(self.len());
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    fn byte(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map(|(b, _)| b)
            .unwrap_or(self.text.len())
    }

    /// Applies an editing key; false when the key is not an editing key.
    pub fn edit(&mut self, key: Key) -> bool {
        if let Some(c) = key.text() {
            // Control and bidi characters (a paste, say) would be shown escaped and move the
            // cursor out of step with the text: refuse them.
            if crate::sanitize::line(c.encode_utf8(&mut [0; 4]))
                .chars()
                .count()
                != 1
            {
                return true;
            }
            let at = self.byte(self.cursor);
            self.text.insert(at, c);
            self.cursor += 1;
            return true;
        }
        let ctrl = key.mods == KeyModifiers::CONTROL;
        match key.code {
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < self.len() => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Backspace | KeyCode::Delete => {}
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.len(),
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.len(),
            KeyCode::Char('u') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.truncate(at);
            }
            KeyCode::Char('w') if ctrl => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut start = self.cursor;
                while start > 0 && chars[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && chars[start - 1] != ' ' {
                    start -= 1;
                }
                let (a, b) = (self.byte(start), self.byte(self.cursor));
                self.text.replace_range(a..b, "");
                self.cursor = start;
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> Key {
        Key::plain(code)
    }

    #[test]
    fn edits_at_the_cursor_with_multibyte_text() {
        let mut i = LineInput::new("sév:high");
        assert!(i.edit(k(KeyCode::Home)));
        i.edit(k(KeyCode::Char('-')));
        assert_eq!(i.text(), "-sév:high");
        i.edit(k(KeyCode::Right));
        i.edit(k(KeyCode::Right));
        i.edit(k(KeyCode::Backspace));
        assert_eq!((i.text(), i.cursor()), ("-sv:high", 2));
        i.edit(k(KeyCode::Delete));
        assert_eq!((i.text(), i.cursor()), ("-s:high", 2));
        i.edit(k(KeyCode::Char('\u{202e}')));
        assert_eq!(i.text(), "-s:high", "bidi overrides are refused");
        i.edit(k(KeyCode::End));
        i.edit(Key::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(i.text(), "");
        assert!(!i.edit(k(KeyCode::F(2))));
    }
}
