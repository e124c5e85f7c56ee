//! Everything from outside (scanner text, paths, tracker fields) is hostile: before it reaches a
//! terminal, control characters, escape sequences and bidi overrides are shown escaped, never
//! emitted. One function for the console and the CLI alike.

use std::borrow::Cow;

/// Code points that reorder text on screen (Trojan Source, CVE-2021-42574) or hide it.
fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // LRE, RLE, PDF, LRO, RLO
        | '\u{2066}'..='\u{2069}' // LRI, RLI, FSI, PDI
        | '\u{061C}' // Arabic letter mark
        | '\u{FEFF}' // BOM / zero-width no-break space
    )
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    if keep_newlines && c == '\n' {
        return false;
    }
    c.is_control() || is_invisible_or_bidi(c)
}

fn escape_into(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{1b}' => out.push_str("\\e"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
    }
}

/// One line of display text: every control character (newlines too), ESC and bidi/invisible
/// code point becomes a visible escape such as `\e`, `\x07` or `\u{202e}`.
pub fn line(s: &str) -> Cow<'_, str> {
    clean(s, false)
}

/// Multi-line display text: as `line`, but newlines are kept (tabs become spaces so columns hold).
pub fn block(s: &str) -> Cow<'_, str> {
    clean(s, true)
}

fn clean(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| needs_escape(c, keep_newlines) || (keep_newlines && c == '\t'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if keep_newlines && c == '\t' {
            out.push_str("    ");
        } else if keep_newlines && c == '\r' {
            // CRLF line ends are common in scanner snippets; a lone CR is shown.
            continue;
        } else if needs_escape(c, keep_newlines) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_emitted() {
        let hostile = "x\u{1b}]8;;http://evil\u{7}click\u{1b}[31mred\u{9b}2J";
        let shown = line(hostile);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown}");
        assert_eq!(shown, "x\\e]8;;http://evil\\x07click\\e[31mred\\x9b2J");
    }

    #[test]
    fn bidi_overrides_are_visible() {
        let shown = line("admin\u{202E}txt.exe\u{2066}");
        assert_eq!(shown, "admin\\u{202e}txt.exe\\u{2066}");
    }

    #[test]
    fn clean_text_is_borrowed_and_blocks_keep_lines() {
        assert!(matches!(line("plain text ✓"), Cow::Borrowed(_)));
        assert_eq!(line("a\nb"), "a\\nb");
        assert_eq!(block("a\r\n\tb\u{1b}"), "a\n    b\\e");
    }
}
