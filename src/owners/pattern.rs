//! CODEOWNERS patterns: gitignore-like globs translated to `globset` globs, with the hosts'
//! differences from gitignore decided here and nowhere else.
//!
//! Why not the `ignore` crate's gitignore matcher: CODEOWNERS is not gitignore. GitHub rejects
//! `!` and `[...]`, a trailing lone `*` (`docs/*`) must not reach into subdirectories although a
//! directory name without a slash (`/apps/github`) does, GitLab floats every pattern that does
//! not start with `/` (even `ee/docs`), and the router needs the line of the deciding rule in
//! each section. Translating each rule to one glob and matching the path and its parent
//! directories against a single `GlobSet` keeps all of that explicit and fast.

use globset::{Glob, GlobBuilder};

use super::codeowners::Syntax;

/// Longer patterns are refused: no real CODEOWNERS needs them and a huge glob costs memory.
pub const MAX_PATTERN_LEN: usize = 4096;

/// A rule's pattern, ready to go into a `GlobSet`.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub glob: Glob,
    /// Written with a trailing `/`: matches what is below a directory, never a file of that name.
    pub dir_only: bool,
    /// Last segment is a lone `*` (`docs/*`): matches the files directly in the directory only.
    pub lone_star: bool,
}

impl Compiled {
    /// Whether a glob hit on `candidate` counts: `full` is the path itself, otherwise the
    /// candidate is one of its parent directories.
    pub fn accepts(&self, full: bool) -> bool {
        if full {
            !self.dir_only
        } else {
            !self.lone_star
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("`!` negation is not supported in GitHub CODEOWNERS")]
    Negation,
    #[error("`[...]` character ranges are not supported in GitHub CODEOWNERS")]
    CharacterRange,
    #[error("escaping a leading `#` with `\\` is not supported in GitHub CODEOWNERS")]
    EscapedHash,
    #[error("the pattern ends in a lone `\\`")]
    DanglingEscape,
    #[error("the pattern `/` matches nothing (did you mean `*`?)")]
    MatchesNothing,
    #[error("the pattern is longer than {MAX_PATTERN_LEN} bytes")]
    TooLong,
    #[error("invalid pattern: {0}")]
    Invalid(String),
}

/// Compile one pattern as written in the file (escapes still in place).
pub(crate) fn compile(pattern: &str, syntax: Syntax) -> Result<Compiled, PatternError> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(PatternError::TooLong);
    }
    if syntax == Syntax::GitHub {
        if pattern.starts_with('!') {
            return Err(PatternError::Negation);
        }
        if pattern.starts_with("\\#") {
            return Err(PatternError::EscapedHash);
        }
        if has_unescaped(pattern, '[') {
            return Err(PatternError::CharacterRange);
        }
    }
    let rooted = pattern.starts_with('/');
    let trimmed_end = pattern.trim_end_matches('/');
    let dir_only = trimmed_end.len() < pattern.len() && !ends_in_escape(trimmed_end);
    let body = trimmed_end.trim_start_matches('/');
    let segments: Vec<&str> = body.split('/').filter(|s| !s.is_empty()).collect();
    let Some(last) = segments.last() else {
        return Err(PatternError::MatchesNothing);
    };
    let lone_star = *last == "*" && !dir_only;
    // gitignore (and so GitHub): a slash before the end anchors the pattern at the root.
    // GitLab prefixes `/**/` to every pattern that does not start with `/`.
    let anchored = rooted || (syntax == Syntax::GitHub && segments.len() > 1);

    let mut glob = String::with_capacity(body.len() + 8);
    if !anchored && segments[0] != "**" {
        glob.push_str("**/");
    }
    for (i, seg) in segments.iter().enumerate() {
        if i > 0 {
            glob.push('/');
        }
        if *seg == "**" {
            glob.push_str("**");
        } else {
            translate_segment(seg, syntax, &mut glob)?;
        }
    }
    let glob = GlobBuilder::new(&glob)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| PatternError::Invalid(e.kind().to_string()))?;
    Ok(Compiled {
        glob,
        dir_only,
        lone_star,
    })
}

/// One path segment other than `**`. Runs of `*` inside a segment are a plain `*` (gitignore),
/// and `{}` have no meaning in CODEOWNERS, so they are escaped before globset sees them.
fn translate_segment(seg: &str, syntax: Syntax, out: &mut String) -> Result<(), PatternError> {
    let mut chars = seg.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    return Err(PatternError::DanglingEscape);
                };
                // GitLab strips the `\` of `\#`; a literal `#` needs no escape in a glob.
                out.push('\\');
                out.push(next);
            }
            '*' if !in_class => {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                out.push('*');
            }
            // Only GitLab reaches here with `[` (GitHub refused it above): fnmatch classes.
            '[' if !in_class && syntax == Syntax::GitLab => {
                in_class = true;
                out.push('[');
                // `[]abc]` and `[!]abc]`: a `]` right after the opening is a member.
                if let Some(&n) = chars.peek()
                    && (n == '!' || n == '^')
                {
                    out.push('!');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' | '}' | '[' | ']' if !in_class => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if in_class {
        return Err(PatternError::Invalid("unclosed `[`".into()));
    }
    Ok(())
}

fn has_unescaped(s: &str, wanted: char) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == wanted {
            return true;
        }
    }
    false
}

/// `foo\/`: the last slash is escaped, so the pattern is not a directory pattern.
fn ends_in_escape(s: &str) -> bool {
    s.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// The candidates a path is matched as: itself first, then each parent directory, deepest
/// last (`a/b/c` -> `a/b/c` (full), `a`, `a/b`).
pub(crate) fn candidates(path: &str) -> impl Iterator<Item = (&str, bool)> {
    std::iter::once((path, true)).chain(
        path.match_indices('/')
            .map(move |(i, _)| (&path[..i], false))
            .filter(|(p, _)| !p.is_empty()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(pattern: &str, syntax: Syntax, path: &str) -> bool {
        let c = compile(pattern, syntax).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        let m = c.glob.compile_matcher();
        candidates(path).any(|(p, full)| m.is_match(p) && c.accepts(full))
    }

    #[test]
    fn globset_behaves_as_the_translation_assumes() {
        let gh = Syntax::GitHub;
        assert!(hit("**/foo", gh, "foo"));
        assert!(hit("a/**/b", gh, "a/b"));
        assert!(hit("a/**/b", gh, "a/x/y/b"));
        assert!(!hit("f?o", gh, "f/o"));
        assert!(!hit("/*", gh, "a/b"));
        assert!(hit("a**b", gh, "axxb"));
        assert!(!hit("a**b", gh, "ax/xb"));
        assert!(hit("{a,b}", gh, "{a,b}"));
        assert!(!hit("{a,b}", gh, "a"));
        assert!(hit("*", gh, ".hidden/x"));
    }

    #[test]
    fn github_rejections() {
        let gh = Syntax::GitHub;
        assert_eq!(compile("!foo", gh).unwrap_err(), PatternError::Negation);
        assert_eq!(
            compile("*.[ch]", gh).unwrap_err(),
            PatternError::CharacterRange
        );
        assert_eq!(compile("\\#x", gh).unwrap_err(), PatternError::EscapedHash);
        assert_eq!(compile("/", gh).unwrap_err(), PatternError::MatchesNothing);
        assert_eq!(
            compile("a\\", gh).unwrap_err(),
            PatternError::DanglingEscape
        );
        assert!(compile(&"a".repeat(MAX_PATTERN_LEN + 1), gh).is_err());
        assert!(compile("\\[x", gh).is_ok());
    }

    #[test]
    fn gitlab_classes_and_escapes() {
        let gl = Syntax::GitLab;
        assert!(hit("*.[ch]", gl, "src/a.c"));
        assert!(!hit("*.[ch]", gl, "src/a.o"));
        assert!(hit("[!a]bc", gl, "xbc"));
        assert!(!hit("[!a]bc", gl, "abc"));
        assert!(hit("\\#file.rb", gl, "#file.rb"));
        assert!(compile("[abc", gl).is_err());
    }

    #[test]
    fn candidates_are_path_then_parents() {
        let got: Vec<_> = candidates("a/b/c").collect();
        assert_eq!(got, vec![("a/b/c", true), ("a", false), ("a/b", false)]);
        assert_eq!(candidates("x").count(), 1);
    }
}
