//! SQLite's LIKE and GLOB, reproduced so a query evaluated in memory means what the same query
//! means in SQL.
//!
//! Semantics, from <https://sqlite.org/lang_expr.html#like> and `patternCompare` in SQLite's
//! func.c (3.50):
//! - LIKE: `%` any run of characters, `_` one character, the ESCAPE character makes the next
//!   one literal; case folds for ASCII letters only ("SQLite only understands upper/lower case
//!   for ASCII characters by default").
//! - GLOB: case-sensitive; `*` any run, `?` one character, `[...]` one of a set with `a-z`
//!   ranges, `[^...]` one not in it; `]` first in a set is literal, `-` last is literal.
//! - Both see their arguments as NUL-terminated C strings: an embedded NUL ends the value.
//! - Characters are decoded as `sqlite3Utf8Read` does, which reads U+FFFE and U+FFFF as
//!   U+FFFD.
//!
//! The three results mirror SQLite's: `NoWildcardMatch` lets a failed `*` stop the whole
//! search early instead of retrying from every later position (it changes no answer).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Match,
    NoMatch,
    NoWildcardMatch,
}

#[derive(Debug, Clone, Copy)]
struct Info {
    match_all: u32,
    match_one: u32,
    /// `[` for GLOB; LIKE has no sets.
    glob_sets: bool,
    no_case: bool,
}

const GLOB: Info = Info {
    match_all: b'*' as u32,
    match_one: b'?' as u32,
    glob_sets: true,
    no_case: false,
};

const LIKE: Info = Info {
    match_all: b'%' as u32,
    match_one: b'_' as u32,
    glob_sets: false,
    no_case: true,
};

/// `subject GLOB pattern`.
pub(crate) fn glob(pattern: &str, subject: &str) -> bool {
    compare(
        c_str(pattern.as_bytes()),
        c_str(subject.as_bytes()),
        GLOB,
        u32::from(b'['),
    ) == Outcome::Match
}

/// `subject LIKE pattern ESCAPE '\'`.
pub(crate) fn like(pattern: &str, subject: &str) -> bool {
    compare(
        c_str(pattern.as_bytes()),
        c_str(subject.as_bytes()),
        LIKE,
        u32::from(b'\\'),
    ) == Outcome::Match
}

/// The value up to its first NUL, as SQLite's C string sees it.
pub(crate) fn c_str(s: &[u8]) -> &[u8] {
    match s.iter().position(|&b| b == 0) {
        Some(n) => &s[..n],
        None => s,
    }
}

/// SQLite's `sqlite3Utf8Trans1`: the payload bits of a lead byte 0xc0..=0xff.
const TRANS1: [u8; 64] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x01, 0x02, 0x03, 0x00, 0x01, 0x00, 0x00,
];

/// `sqlite3Utf8Read`: the next character at `*i`, 0 at the end (the C string's terminator).
fn read(s: &[u8], i: &mut usize) -> u32 {
    let Some(&b) = s.get(*i) else { return 0 };
    *i += 1;
    let mut c = u32::from(b);
    if c >= 0xc0 {
        c = u32::from(TRANS1[(c - 0xc0) as usize]);
        while let Some(&n) = s.get(*i)
            && n & 0xc0 == 0x80
        {
            c = (c << 6) + u32::from(n & 0x3f);
            *i += 1;
        }
        if c < 0x80 || (c & 0xFFFF_F800) == 0xD800 || (c & 0xFFFF_FFFE) == 0xFFFE {
            c = 0xFFFD;
        }
    }
    c
}

fn to_lower(c: u32) -> u32 {
    if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// `patternCompare(zPattern, zString, pInfo, matchOther)`, line by line; `p` and `s` hold no NUL.
fn compare(p: &[u8], s: &[u8], info: Info, match_other: u32) -> Outcome {
    let (mut pi, mut si) = (0usize, 0usize);
    // One past the last escaped pattern character: an escaped `_` is literal.
    let mut escaped: Option<usize> = None;
    loop {
        let mut c = read(p, &mut pi);
        if c == 0 {
            break;
        }
        if c == info.match_all {
            loop {
                c = read(p, &mut pi);
                if c == info.match_all {
                    continue;
                }
                if c == info.match_one {
                    if read(s, &mut si) == 0 {
                        return Outcome::NoWildcardMatch;
                    }
                    continue;
                }
                break;
            }
            if c == 0 {
                return Outcome::Match;
            } else if c == match_other {
                if !info.glob_sets {
                    c = read(p, &mut pi);
                    if c == 0 {
                        return Outcome::NoWildcardMatch;
                    }
                } else {
                    // A set right after `*`: try it at every position.
                    let set_start = pi - 1;
                    while si < s.len() {
                        let r = compare(&p[set_start..], &s[si..], info, match_other);
                        if r != Outcome::NoMatch {
                            return r;
                        }
                        skip_char(s, &mut si);
                    }
                    return Outcome::NoWildcardMatch;
                }
            }
            if c < 0x80 {
                // strcspn for either case of `c`, then continue the match just past it.
                let (up, low) = if info.no_case {
                    (to_upper(c) as u8, to_lower(c) as u8)
                } else {
                    (c as u8, c as u8)
                };
                loop {
                    match s[si..].iter().position(|&b| b == up || b == low) {
                        None => break,
                        Some(n) => si += n + 1,
                    }
                    let r = compare(&p[pi..], &s[si..], info, match_other);
                    if r != Outcome::NoMatch {
                        return r;
                    }
                }
            } else {
                loop {
                    let c2 = read(s, &mut si);
                    if c2 == 0 {
                        break;
                    }
                    if c2 != c {
                        continue;
                    }
                    let r = compare(&p[pi..], &s[si..], info, match_other);
                    if r != Outcome::NoMatch {
                        return r;
                    }
                }
            }
            return Outcome::NoWildcardMatch;
        }
        if c == match_other {
            if !info.glob_sets {
                c = read(p, &mut pi);
                if c == 0 {
                    return Outcome::NoMatch;
                }
                escaped = Some(pi);
            } else {
                let mut prior_c = 0u32;
                let mut seen = false;
                let mut invert = false;
                let c = read(s, &mut si);
                if c == 0 {
                    return Outcome::NoMatch;
                }
                let mut c2 = read(p, &mut pi);
                if c2 == u32::from(b'^') {
                    invert = true;
                    c2 = read(p, &mut pi);
                }
                if c2 == u32::from(b']') {
                    if c == u32::from(b']') {
                        seen = true;
                    }
                    c2 = read(p, &mut pi);
                }
                while c2 != 0 && c2 != u32::from(b']') {
                    let next = p.get(pi).copied().unwrap_or(0);
                    if c2 == u32::from(b'-') && next != b']' && next != 0 && prior_c > 0 {
                        c2 = read(p, &mut pi);
                        if c >= prior_c && c <= c2 {
                            seen = true;
                        }
                        prior_c = 0;
                    } else {
                        if c == c2 {
                            seen = true;
                        }
                        prior_c = c2;
                    }
                    c2 = read(p, &mut pi);
                }
                if c2 == 0 || seen == invert {
                    return Outcome::NoMatch;
                }
                continue;
            }
        }
        let c2 = read(s, &mut si);
        if c == c2 {
            continue;
        }
        if info.no_case && to_lower(c) == to_lower(c2) && c < 0x80 && c2 < 0x80 {
            continue;
        }
        if c == info.match_one && escaped != Some(pi) && c2 != 0 {
            continue;
        }
        return Outcome::NoMatch;
    }
    if si >= s.len() {
        Outcome::Match
    } else {
        Outcome::NoMatch
    }
}

fn to_upper(c: u32) -> u32 {
    if (u32::from(b'a')..=u32::from(b'z')).contains(&c) {
        c - 32
    } else {
        c
    }
}

/// `SQLITE_SKIP_UTF8`: past one character (a lead byte and its continuation bytes).
fn skip_char(s: &[u8], i: &mut usize) {
    let b = s[*i];
    *i += 1;
    if b >= 0xc0 {
        while *i < s.len() && s[*i] & 0xc0 == 0x80 {
            *i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn documented_examples() {
        assert!(glob("abc[*]xyz", "abc*xyz"));
        assert!(!glob("abc[*]xyz", "abcdxyz"));
        assert!(glob("[a-z]*", "hello"));
        assert!(!glob("[a-z]*", "Hello"));
        assert!(glob("[^a-z]*", "Hello"));
        assert!(glob("[]x]", "]"));
        assert!(glob("[a-]", "-"));
        assert!(like("abc%", "ABCdef"));
        assert!(like("a\\%c", "a%c"));
        assert!(!like("a\\%c", "abc"));
        assert!(like("a_c", "aéc"));
        assert!(!like("é", "É"), "only ASCII folds");
        assert!(like("ab", "ab\0cd"), "a NUL ends the value");
    }

    /// The port against the real thing: random patterns and strings from an alphabet of the
    /// characters that matter, plus multi-byte ones and U+FFFE/U+FFFF.
    #[test]
    fn agrees_with_sqlite_on_random_patterns() {
        const ALPHA: &[char] = &[
            'a', 'b', 'A', 'B', 'z', '-', '*', '?', '[', ']', '^', '%', '_', '\\', 'é', 'É', '✓',
            '\u{fffd}', '\u{fffe}', '\u{ffff}', '\0', ',',
        ];
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let mut g = conn
            .prepare("SELECT ?2 GLOB ?1, ?2 LIKE ?1 ESCAPE '\\'")
            .unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let word = |rng: &mut rand_chacha::ChaCha8Rng, n: usize| -> String {
            (0..rng.random_range(0..n))
                .map(|_| ALPHA[rng.random_range(0..ALPHA.len())])
                .collect()
        };
        for _ in 0..40_000 {
            let p = word(&mut rng, 7);
            let s = word(&mut rng, 7);
            let (want_glob, want_like): (Option<bool>, Option<bool>) = g
                .query_row([&p, &s], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap_or_else(|e| panic!("{p:?} {s:?}: {e}"));
            assert_eq!(Some(glob(&p, &s)), want_glob, "{s:?} GLOB {p:?}");
            assert_eq!(Some(like(&p, &s)), want_like, "{s:?} LIKE {p:?}");
        }
    }
}
