//! Fingerprints: the dedup key of a finding within its (repo, tool) scope.
//!
//! The algorithm is described for users in FINGERPRINT.md; keep the two in step. Changing what is
//! hashed changes every stored fingerprint, so bump the version tag when you do.
//!
//! A fingerprint is the lowercase hex SHA-256 of a versioned, NUL-separated tuple:
//! - tool:    `lastmile-fp-tool/v1 \0 rule \0 key1 \0 value1 \0 key2 \0 value2 ...` when the tool's own
//!   `fingerprints` (else `partialFingerprints`) hold trustworthy entries, sorted by key;
//! - derived: `lastmile-fp-derived/v1 \0 rule \0 path \0 context \0 occurrence` otherwise.
//!
//! Line numbers are never hashed, so a finding that only moved keeps its fingerprint.

use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher, RandomState};

/// Version tag of fingerprints built from the tool's own fingerprint entries.
pub const TOOL_TAG: &str = "lastmile-fp-tool/v1";
/// Version tag of fingerprints derived from rule, path and code context.
pub const DERIVED_TAG: &str = "lastmile-fp-derived/v1";
/// Tool fingerprint values shorter than this (in characters, after trimming) are not trusted.
pub const MIN_TOOL_VALUE_CHARS: usize = 8;
/// Values some tools write on every result; they identify nothing.
const PLACEHOLDERS: &[&str] = &["requires login"];

/// Which recipe produced a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FingerprintKind {
    Tool,
    Derived,
}

/// What the fingerprint of one result is computed from.
#[derive(Debug, Clone, Copy)]
pub struct FingerprintInput<'a> {
    /// The rule id as reported (e.g. "py/sql-injection"), "" when the result names none.
    pub rule: &'a str,
    /// Normalized repo-relative path, "" when the result has no location.
    pub path: &'a str,
    /// Region snippet, else context-region snippet, else message text; raw (normalized here).
    pub context: &'a str,
    /// `result.fingerprints`, string values only (object values already unwrapped).
    pub fingerprints: &'a [(String, String)],
    /// `result.partialFingerprints`, same shape.
    pub partial_fingerprints: &'a [(String, String)],
}

/// False for values that cannot tell results apart: known placeholders, values shorter than
/// [`MIN_TOOL_VALUE_CHARS`], and runs of one repeated character ("aaaaaaaa", "00000000").
pub fn is_trustworthy(value: &str) -> bool {
    let v = value.trim();
    if v.chars().count() < MIN_TOOL_VALUE_CHARS {
        return false;
    }
    if PLACEHOLDERS.iter().any(|p| v.eq_ignore_ascii_case(p)) {
        return false;
    }
    let mut chars = v.chars();
    let first = chars.next();
    !chars.all(|c| Some(c) == first)
}

/// The trustworthy entries the tool fingerprint is built from, sorted by key: those of
/// `fingerprints` if it has any, else those of `partialFingerprints`, else none.
pub fn trusted_entries<'a>(
    fingerprints: &'a [(String, String)],
    partial: &'a [(String, String)],
) -> Vec<(&'a str, &'a str)> {
    for source in [fingerprints, partial] {
        let mut entries: Vec<(&str, &str)> = source
            .iter()
            .filter(|(_, v)| is_trustworthy(v))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if !entries.is_empty() {
            entries.sort_unstable();
            return entries;
        }
    }
    Vec::new()
}

/// Whitespace runs collapsed to one space, trimmed: the form of the code context that is hashed.
pub fn normalize_context(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Fingerprint from the tool's own (trusted, sorted) entries. Pure: no per-run state.
pub fn tool_fingerprint(rule: &str, entries: &[(&str, &str)]) -> String {
    let mut tuple = Vec::new();
    tool_tuple(&mut tuple, rule, entries);
    sha256_hex(&tuple)
}

/// Derived fingerprint. Pure: the caller supplies the occurrence index.
pub fn derived_fingerprint(rule: &str, path: &str, context: &str, occurrence: u32) -> String {
    let mut tuple = Vec::new();
    derived_tuple(&mut tuple, rule, path, context);
    push_decimal(&mut tuple, occurrence);
    sha256_hex(&tuple)
}

fn tool_tuple(out: &mut Vec<u8>, rule: &str, entries: &[(&str, &str)]) {
    push_field(out, TOOL_TAG);
    push_field(out, rule);
    for (k, v) in entries {
        push_field(out, k);
        push_field(out, v);
    }
}

/// Everything but the occurrence index, which is appended once it is known.
fn derived_tuple(out: &mut Vec<u8>, rule: &str, path: &str, context: &str) {
    push_field(out, DERIVED_TAG);
    push_field(out, rule);
    push_field(out, path);
    push_context(out, context);
    out.push(0);
}

/// A field and its NUL separator. A NUL inside a field (possible via JSON "\u0000") is written
/// as U+FFFD, so no field can forge a separator.
fn push_field(out: &mut Vec<u8>, s: &str) {
    push_without_nul(out, s);
    out.push(0);
}

fn push_without_nul(out: &mut Vec<u8>, s: &str) {
    if s.as_bytes().contains(&0) {
        out.extend_from_slice(s.replace('\0', "\u{FFFD}").as_bytes());
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// `text` with whitespace runs collapsed to one space and trimmed (as `normalize_context`).
fn push_context(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    if text.is_ascii() && !bytes.contains(&0) {
        // Same result as `split_whitespace`, which for ASCII means these six bytes, without
        // decoding chars.
        let start = out.len();
        let mut pending_space = false;
        for &b in bytes {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r') {
                pending_space = out.len() > start;
            } else {
                if pending_space {
                    out.push(b' ');
                    pending_space = false;
                }
                out.push(b);
            }
        }
        return;
    }
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        push_without_nul(out, word);
    }
}

fn push_decimal(out: &mut Vec<u8>, n: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

fn sha256_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = Vec::with_capacity(64);
    for b in digest {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
    // Always ASCII, so this never takes the fallback.
    String::from_utf8(out).unwrap_or_default()
}

/// A 128-bit key for per-run sets: two independently keyed SipHashes, so a crafted report cannot
/// aim for collisions, and 16 bytes instead of a stored string.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Key(u64, u64);

impl std::hash::Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Both halves are uniformly random; one is plenty for a table index.
        state.write_u64(self.0);
    }
}

type KeyBuild = crate::prehashed::BuildPassThrough;

/// Per-run fingerprint state. Memory: one 16-byte key per distinct tool fingerprint and one
/// 16-byte key + u32 count per distinct (rule, path, context) of derived results; a million
/// results stay well under 100 MB.
pub struct RunFingerprinter {
    seen_tool: HashSet<Key, KeyBuild>,
    occurrences: HashMap<Key, u32, KeyBuild>,
    keys: (RandomState, RandomState),
    /// The tuple being hashed, reused so a result costs no allocation here.
    tuple: Vec<u8>,
}

impl Default for RunFingerprinter {
    fn default() -> Self {
        Self::new()
    }
}

impl RunFingerprinter {
    pub fn new() -> Self {
        RunFingerprinter {
            seen_tool: HashSet::default(),
            occurrences: HashMap::default(),
            keys: (RandomState::new(), RandomState::new()),
            tuple: Vec::with_capacity(512),
        }
    }

    fn key(&self) -> Key {
        Key(
            self.keys.0.hash_one(&self.tuple),
            self.keys.1.hash_one(&self.tuple),
        )
    }

    /// The fingerprint of the next result of the run. Results must be given in report order:
    /// the first result with a given tool fingerprint keeps it, later repeats fall back to the
    /// derived recipe, and occurrence indices count earlier derived results.
    pub fn fingerprint(&mut self, input: &FingerprintInput<'_>) -> (String, FingerprintKind) {
        let entries = trusted_entries(input.fingerprints, input.partial_fingerprints);
        if !entries.is_empty() {
            self.tuple.clear();
            tool_tuple(&mut self.tuple, input.rule, &entries);
            let key = self.key();
            if self.seen_tool.insert(key) {
                return (sha256_hex(&self.tuple), FingerprintKind::Tool);
            }
        }
        self.tuple.clear();
        derived_tuple(&mut self.tuple, input.rule, input.path, input.context);
        let key = self.key();
        let count = self.occurrences.entry(key).or_insert(0);
        let occurrence = *count;
        *count = count.saturating_add(1);
        push_decimal(&mut self.tuple, occurrence);
        (sha256_hex(&self.tuple), FingerprintKind::Derived)
    }

    /// Distinct keys held, for tests and memory estimates.
    pub fn state_len(&self) -> usize {
        self.seen_tool.len() + self.occurrences.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn input<'a>(
        rule: &'a str,
        path: &'a str,
        context: &'a str,
        fps: &'a [(String, String)],
    ) -> FingerprintInput<'a> {
        FingerprintInput {
            rule,
            path,
            context,
            fingerprints: fps,
            partial_fingerprints: &[],
        }
    }

    #[test]
    fn fingerprints_are_lowercase_hex_sha256() {
        let fp = derived_fingerprint("r", "a.py", "x", 0);
        assert_eq!(fp.len(), 64);
        assert!(
            fp.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }

    #[test]
    fn derived_matches_the_documented_tuple() {
        let expected = hex::encode(Sha256::digest(
            b"lastmile-fp-derived/v1\0rule\0src/a.py\0x = 1\x000",
        ));
        assert_eq!(
            derived_fingerprint("rule", "src/a.py", "  x   =\n\t1 ", 0),
            expected
        );
        let tool = hex::encode(Sha256::digest(
            b"lastmile-fp-tool/v1\0rule\0a\0value-one\0b\0value-two\0",
        ));
        assert_eq!(
            tool_fingerprint("rule", &[("a", "value-one"), ("b", "value-two")]),
            tool
        );
    }

    #[test]
    fn context_whitespace_does_not_matter_but_content_does() {
        let a = derived_fingerprint("r", "p", "foo(  bar )\n", 0);
        assert_eq!(a, derived_fingerprint("r", "p", "foo( bar )", 0));
        assert_ne!(a, derived_fingerprint("r", "p", "foo(bar)", 0));
        assert_ne!(a, derived_fingerprint("r", "p", "foo( bar )", 1));
        assert_eq!(normalize_context("  a \n\t b  "), "a b");
    }

    #[test]
    fn fast_context_path_matches_split_whitespace() {
        for text in [
            "",
            " ",
            "a",
            "  a  b\t\tc\n",
            "\x0Bx\x0Cy\r",
            "é  ü\u{a0}z\u{2003}w",
            "a\0b  c",
            "tab\tand\u{85}nel",
        ] {
            let mut fast = Vec::new();
            push_context(&mut fast, text);
            let want = normalize_context(text).replace('\0', "\u{FFFD}");
            assert_eq!(String::from_utf8(fast).unwrap(), want, "{text:?}");
        }
    }

    #[test]
    fn separators_keep_fields_apart() {
        assert_ne!(
            derived_fingerprint("ab", "c", "x", 0),
            derived_fingerprint("a", "bc", "x", 0)
        );
        assert_ne!(
            derived_fingerprint("a\0b", "c", "x", 0),
            derived_fingerprint("a", "b\0c", "x", 0)
        );
    }

    #[test]
    fn trustworthiness() {
        assert!(!is_trustworthy("requires login"));
        assert!(!is_trustworthy("Requires Login"));
        assert!(!is_trustworthy("0"));
        assert!(!is_trustworthy("abc1234"));
        assert!(!is_trustworthy(&"a".repeat(64)));
        assert!(!is_trustworthy("        "));
        assert!(is_trustworthy("9cbc869fbfffeb60:1"));
        assert!(is_trustworthy("abcd1234"));
    }

    #[test]
    fn trusted_entries_prefer_fingerprints_and_sort() {
        let fps = entries(&[
            ("z", "zzzzzzz1"),
            ("a", "requires login"),
            ("m", "m-value-1"),
        ]);
        let partial = entries(&[("p", "partial-value")]);
        assert_eq!(
            trusted_entries(&fps, &partial),
            vec![("m", "m-value-1"), ("z", "zzzzzzz1")]
        );
        let useless = entries(&[("matchBasedId/v1", "requires login")]);
        assert_eq!(
            trusted_entries(&useless, &partial),
            vec![("p", "partial-value")]
        );
        assert!(trusted_entries(&useless, &[]).is_empty());
    }

    #[test]
    fn placeholder_fingerprints_fall_back_to_derived() {
        let mut run = RunFingerprinter::new();
        let fps = entries(&[("matchBasedId/v1", "requires login")]);
        let (a, ka) = run.fingerprint(&input("r", "a.py", "eval(x)", &fps));
        let (b, kb) = run.fingerprint(&input("r", "b.py", "eval(x)", &fps));
        assert_eq!(
            (ka, kb),
            (FingerprintKind::Derived, FingerprintKind::Derived)
        );
        assert_ne!(a, b);
        assert_eq!(a, derived_fingerprint("r", "a.py", "eval(x)", 0));
    }

    #[test]
    fn tool_fingerprint_used_once_per_run_then_derived() {
        let mut run = RunFingerprinter::new();
        let fps = entries(&[("primaryLocationLineHash", "9cbc869fbfffeb60:1")]);
        let (a, ka) = run.fingerprint(&input("r", "a.py", "x", &fps));
        assert_eq!(ka, FingerprintKind::Tool);
        assert_eq!(
            a,
            tool_fingerprint("r", &[("primaryLocationLineHash", "9cbc869fbfffeb60:1")])
        );
        let (b, kb) = run.fingerprint(&input("r", "a.py", "x", &fps));
        assert_eq!(kb, FingerprintKind::Derived);
        assert_ne!(a, b);
        // Same tool value under another rule is another finding (GitHub keys alerts by rule too).
        let (c, kc) = run.fingerprint(&input("other", "a.py", "x", &fps));
        assert_eq!(kc, FingerprintKind::Tool);
        assert_ne!(a, c);
        // A new run starts afresh: the same result gets the same fingerprint as before.
        let mut next = RunFingerprinter::new();
        assert_eq!(next.fingerprint(&input("r", "a.py", "x", &fps)).0, a);
    }

    #[test]
    fn identical_lines_are_distinct_findings_and_stable_across_runs() {
        let mut run = RunFingerprinter::new();
        let first = run.fingerprint(&input("r", "a.py", "eval(x)", &[])).0;
        let second = run.fingerprint(&input("r", "a.py", "eval(x)", &[])).0;
        assert_ne!(first, second);
        assert_eq!(second, derived_fingerprint("r", "a.py", "eval(x)", 1));
        let mut rescan = RunFingerprinter::new();
        assert_eq!(
            rescan
                .fingerprint(&input("r", "a.py", "  eval(x)\n", &[]))
                .0,
            first
        );
        assert_eq!(run.state_len(), 1);
    }
}
