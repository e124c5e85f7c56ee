//! Fitting text into cells by display width (not bytes or chars: CJK takes two columns,
//! combining marks none).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` cut to at most `max` columns, ending in `…` when something was cut.
pub fn clip(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut to at most `max` columns from the left (`…/src/db.py:10`): the end of a path says
/// more than its start.
pub fn clip_left(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut tail = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        tail.push(c);
        used += w;
    }
    std::iter::once('…').chain(tail.into_iter().rev()).collect()
}

/// `s` clipped and padded with spaces to exactly `w` columns.
pub fn fit(s: &str, w: usize) -> String {
    let mut out = clip(s, w);
    let pad = w.saturating_sub(width(&out));
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// As `fit`, but aligned right (numbers).
pub fn fit_right(s: &str, w: usize) -> String {
    let clipped = clip(s, w);
    let pad = w.saturating_sub(width(&clipped));
    let mut out: String = std::iter::repeat_n(' ', pad).collect();
    out.push_str(&clipped);
    out
}

/// Hard-wraps each line of `s` at `w` columns (long paths and hashes have no spaces to break
/// at, so breaking at words would still need this).
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for line in s.split('\n') {
        let mut cur = String::new();
        let mut used = 0;
        for c in line.chars() {
            let cw = char_width(c);
            if used + cw > w && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
                used = 0;
            }
            cur.push(c);
            used += cw;
        }
        out.push(cur);
    }
    out
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_counts_columns_not_bytes() {
        assert_eq!(clip("hello", 5), "hello");
        assert_eq!(clip("hello world", 6), "hello…");
        assert_eq!(clip("日本語のテキスト", 5), "日本…");
        assert_eq!(width(&fit("日本語", 5)), 5);
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit_right("7", 3), "  7");
        assert_eq!(clip("abc", 0), "");
        assert_eq!(clip_left("src/deep/db.py:10", 10), "…/db.py:10");
        assert_eq!(clip_left("short", 10), "short");
    }

    #[test]
    fn wrapping_and_numbers() {
        assert_eq!(wrap("abcdef\ngh", 4), ["abcd", "ef", "gh"]);
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(98765432), "98,765,432");
    }
}
