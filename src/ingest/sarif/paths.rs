//! SARIF artifact URIs -> repo-relative paths with forward slashes.
//!
//! Relative URIs are resolved through `originalUriBaseIds` chains (an unknown or uri-less base
//! is the repository root). Absolute paths lose the first checkout root that matches: a CI
//! checkout layout, then an absolute `originalUriBaseIds` root, then an invocation's working
//! directory. An absolute path no root matches stays absolute ("/x/y" or "C:/x/y"), so it is
//! visibly not repo-relative. `..` never climbs above the root (RFC 3986 clamps the same way),
//! which also keeps a hostile report from pointing outside a checkout.

use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::collections::HashMap;

use super::raw::RawArtifactLocation;

/// A URI reference after decoding and dot-segment removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum UriPath {
    /// Relative, no leading slash; "" for the root itself.
    Rel(String),
    /// Absolute: "/a/b", or "C:/a/b" (drive letter upper-cased).
    Abs(String),
    /// Another scheme (https:, git:, ...), kept as written.
    Foreign(String),
}

/// CI checkout roots: a fixed prefix followed by this many variable segments.
const CI_ROOTS: &[(&str, usize)] = &[
    ("/home/runner/work/", 2),
    ("/Users/runner/work/", 2),
    ("D:/a/", 2),
    ("/__w/", 2),
    ("/github/workspace/", 0),
    ("/builds/", 2),
    ("/drone/src/", 0),
    ("/home/circleci/project/", 0),
    ("/opt/atlassian/pipelines/agent/build/", 0),
    ("/var/lib/jenkins/workspace/", 1),
    ("/workspace/", 0),
];

/// Base ids that by convention name the checkout root; results using them need not wait for an
/// `originalUriBaseIds` that may come later in the run.
pub(super) fn is_conventional_root(id: &str) -> bool {
    let mut core = id
        .bytes()
        .filter(|b| !matches!(b, b'%' | b'$' | b'_' | b'(' | b')'));
    ["SRCROOT", "REPOROOT", "PROJECTROOT", "SOURCEROOT"]
        .iter()
        .any(|name| {
            let mut c = core.clone();
            name.bytes()
                .all(|n| c.next().is_some_and(|b| b.eq_ignore_ascii_case(&n)))
                && c.next().is_none()
        })
        && core.next().is_some()
}

fn has_scheme(s: &str) -> Option<usize> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    // One letter is a Windows drive, not a scheme.
    if scheme.len() < 2 || !scheme.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    scheme
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        .then_some(colon)
}

fn drive_letter(s: &str) -> Option<char> {
    let b = s.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b.len() == 2 || b[2] == b'/'))
        .then(|| char::from(b[0]).to_ascii_uppercase())
}

/// Decodes and normalizes one URI reference.
pub(super) fn parse_uri(uri: &str) -> UriPath {
    let s = uri.trim();
    let mut rest: &str = s;
    if let Some(colon) = has_scheme(s) {
        if !s[..colon].eq_ignore_ascii_case("file") {
            return UriPath::Foreign(s.to_string());
        }
        rest = &s[colon + 1..];
        if let Some(after) = rest.strip_prefix("//") {
            // file://host/path: the host says nothing about the checkout, drop it.
            rest = match after.find('/') {
                Some(i) if i > 0 && !after[..i].contains(':') => &after[i..],
                Some(_) => after,
                None => "/",
            };
        }
    } else if is_plain_relative(s) {
        return UriPath::Rel(s.to_string());
    }
    let decoded: Cow<str> = if rest.contains('%') {
        percent_decode_str(rest).decode_utf8_lossy()
    } else {
        Cow::Borrowed(rest)
    };
    let slashed: Cow<str> = if decoded.contains('\\') {
        Cow::Owned(decoded.replace('\\', "/"))
    } else {
        decoded
    };
    let p = slashed.as_ref();
    let trimmed = p.trim_start_matches('/');
    if let Some(drive) = drive_letter(trimmed) {
        let body = remove_dots(&trimmed[2..]);
        return UriPath::Abs(if body.is_empty() {
            format!("{drive}:/")
        } else {
            format!("{drive}:/{body}")
        });
    }
    let body = remove_dots(p);
    if p.starts_with('/') {
        UriPath::Abs(format!("/{body}"))
    } else {
        UriPath::Rel(body)
    }
}

/// Already in final form: the common case, which then costs one copy.
fn is_plain_relative(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('/')
        && !s.ends_with('/')
        && !s.contains(['%', '\\', ':'])
        && s.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// Joins segments, dropping empty and "." ones; ".." removes the previous one or nothing.
fn remove_dots(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

fn join(base: &str, rel: &str) -> String {
    match (base.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => base.to_string(),
        _ if base.ends_with('/') => format!("{base}{rel}"),
        _ => format!("{base}/{rel}"),
    }
}

/// Where paths of one run are resolved against.
#[derive(Debug, Default)]
pub(super) struct PathResolver {
    base_ids: HashMap<String, RawArtifactLocation>,
    /// Absolute roots from `originalUriBaseIds`, shortest first, each ending in '/'.
    base_roots: Vec<String>,
    /// Working directories of invocations, each ending in '/'.
    work_roots: Vec<String>,
}

impl PathResolver {
    pub fn set_base_ids(&mut self, ids: HashMap<String, RawArtifactLocation>) {
        self.base_ids = ids;
        let mut roots: Vec<String> = Vec::new();
        for id in self.base_ids.keys() {
            if let Some(UriPath::Abs(p)) = self.resolve_base(id, "", 0) {
                roots.push(with_slash(p));
            }
        }
        roots.sort_by_key(|r| (r.len(), r.clone()));
        roots.dedup();
        self.base_roots = roots;
    }

    pub fn add_working_directory(&mut self, loc: &RawArtifactLocation) {
        if let Some(uri) = &loc.uri
            && let UriPath::Abs(p) = parse_uri(uri)
        {
            let root = with_slash(p);
            if !self.work_roots.contains(&root) {
                self.work_roots.push(root);
                self.work_roots.sort_by_key(|r| r.len());
            }
        }
    }

    /// The repo-relative path of `uri` (relative to base `base_id`, if any). `None` when it
    /// names the root itself.
    pub fn resolve(&self, uri: &str, base_id: Option<&str>) -> Option<String> {
        let path = match parse_uri(uri) {
            UriPath::Rel(rel) => match base_id {
                None => UriPath::Rel(rel),
                Some(id) => self.resolve_base(id, &rel, 0).unwrap_or(UriPath::Rel(rel)),
            },
            other => other,
        };
        let out = match path {
            UriPath::Rel(r) => r,
            UriPath::Abs(a) => self.strip_root(&a),
            UriPath::Foreign(f) => f,
        };
        (!out.is_empty()).then_some(out)
    }

    /// Follows `id` up its chain, prefixing `rel` with each relative base. `None` when the id
    /// is not defined (then it is taken as the root).
    fn resolve_base(&self, id: &str, rel: &str, depth: u8) -> Option<UriPath> {
        let base = self.base_ids.get(id)?;
        let Some(base_uri) = base.uri.as_deref() else {
            return Some(UriPath::Rel(rel.to_string()));
        };
        match parse_uri(base_uri) {
            UriPath::Abs(a) => Some(UriPath::Abs(join(&a, rel))),
            UriPath::Foreign(f) => Some(UriPath::Foreign(join(&f, rel))),
            UriPath::Rel(b) => {
                let joined = join(&b, rel);
                match base.uri_base_id.as_deref() {
                    // Bounded, so a cyclic chain ends.
                    Some(next) if depth < 16 => self
                        .resolve_base(next, &joined, depth + 1)
                        .or(Some(UriPath::Rel(joined))),
                    _ => Some(UriPath::Rel(joined)),
                }
            }
        }
    }

    /// Drops the first checkout root that matches; otherwise keeps the absolute path.
    pub fn strip_root(&self, abs: &str) -> String {
        if let Some(rel) = strip_ci_root(abs) {
            return rel.to_string();
        }
        for root in self.base_roots.iter().chain(&self.work_roots) {
            if let Some(rel) = strip_prefix_path(abs, root) {
                return rel.to_string();
            }
        }
        abs.to_string()
    }
}

fn with_slash(mut p: String) -> String {
    if !p.ends_with('/') {
        p.push('/');
    }
    p
}

/// `root` ends in '/'. Windows roots (drive letter) compare without case, as Windows does.
fn strip_prefix_path<'a>(abs: &'a str, root: &str) -> Option<&'a str> {
    if root == "/" || abs.len() < root.len() || !abs.is_char_boundary(root.len()) {
        return None;
    }
    let (head, tail) = abs.split_at(root.len());
    let same = if drive_letter(root).is_some() {
        head.eq_ignore_ascii_case(root)
    } else {
        head == root
    };
    same.then_some(tail)
}

fn strip_ci_root(abs: &str) -> Option<&str> {
    for (prefix, vars) in CI_ROOTS {
        let Some(mut rest) = abs.strip_prefix(prefix) else {
            continue;
        };
        let mut ok = true;
        for _ in 0..*vars {
            match rest.find('/') {
                Some(i) if i > 0 => rest = &rest[i + 1..],
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && !rest.is_empty() {
            return Some(rest);
        }
    }
    None
}

/// "https://github.com/owner/name.git", "git@github.com:owner/name" -> "owner/name".
pub(super) fn repo_hint(uri: &str) -> Option<String> {
    let s = uri.trim().trim_end_matches('/');
    let s = s.strip_suffix(".git").unwrap_or(s);
    let path = if let Some(i) = s.find("://") {
        let after = &s[i + 3..];
        &after[after.find('/')? + 1..]
    } else if let Some(i) = s.find(':') {
        &s[i + 1..]
    } else {
        s
    };
    let segs: Vec<&str> = path
        .split('/')
        .filter(|seg| !seg.is_empty() && *seg != "_git")
        .collect();
    match segs.len() {
        0 => None,
        1 => Some(segs[0].to_string()),
        n => Some(format!("{}/{}", segs[n - 2], segs[n - 1])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(uri: Option<&str>, base: Option<&str>) -> RawArtifactLocation {
        RawArtifactLocation {
            uri: uri.map(str::to_string),
            uri_base_id: base.map(str::to_string),
            index: None,
        }
    }

    #[test]
    fn plain_and_dotted_relative_paths() {
        let r = PathResolver::default();
        assert_eq!(r.resolve("app/app.py", None).as_deref(), Some("app/app.py"));
        assert_eq!(
            r.resolve("./a/./b/../c.py", None).as_deref(),
            Some("a/c.py")
        );
        assert_eq!(r.resolve("../../../x/y.c", None).as_deref(), Some("x/y.c"));
        assert_eq!(r.resolve("a\\b\\c.cs", None).as_deref(), Some("a/b/c.cs"));
        assert_eq!(
            r.resolve("my%20dir/f%C3%A9.py", None).as_deref(),
            Some("my dir/fé.py")
        );
        assert_eq!(
            r.resolve("%2E%2E/%2E%2E/etc/passwd", None).as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(r.resolve("./", None), None);
        assert_eq!(r.resolve("", None), None);
        assert_eq!(
            r.resolve("npm/example-lib@1.0.0", None).as_deref(),
            Some("npm/example-lib@1.0.0")
        );
    }

    #[test]
    fn ci_checkout_roots_are_stripped() {
        let r = PathResolver::default();
        for (uri, want) in [
            (
                "file:///home/runner/work/pygoat/pygoat/introduction/views.py",
                "introduction/views.py",
            ),
            ("file:///github/workspace/src/a.js", "src/a.js"),
            ("/builds/group/project/lib/x.rb", "lib/x.rb"),
            ("file:///__w/repo/repo/main.go", "main.go"),
            ("file:///D:/a/repo/repo/src/x.cs", "src/x.cs"),
        ] {
            assert_eq!(r.resolve(uri, None).as_deref(), Some(want), "{uri}");
        }
        // Not a checkout root: stays absolute, never guessed at.
        assert_eq!(
            r.resolve("file:///src/index.js", None).as_deref(),
            Some("/src/index.js")
        );
        assert_eq!(
            r.resolve("file:///C:/code/file1.c", None).as_deref(),
            Some("C:/code/file1.c")
        );
        assert_eq!(
            r.resolve("file:////src/.venv/x.jar", None).as_deref(),
            Some("/src/.venv/x.jar")
        );
        assert_eq!(
            r.resolve("https://example.com/a.js", None).as_deref(),
            Some("https://example.com/a.js")
        );
    }

    #[test]
    fn base_id_chains_and_roots() {
        let mut r = PathResolver::default();
        let mut ids = HashMap::new();
        ids.insert("REPOROOT".into(), loc(None, None));
        ids.insert("SRCROOT".into(), loc(Some("src/"), Some("REPOROOT")));
        ids.insert("LOGS".into(), loc(Some("file:///C:/logs/"), None));
        ids.insert(
            "PROJ".into(),
            loc(Some("file://build.example.com/work/"), None),
        );
        ids.insert("SUB".into(), loc(Some(" sub/"), Some("PROJ")));
        ids.insert("LOOP".into(), loc(Some("x/"), Some("LOOP")));
        r.set_base_ids(ids);
        assert_eq!(
            r.resolve("io/kb.c", Some("SRCROOT")).as_deref(),
            Some("src/io/kb.c")
        );
        assert_eq!(
            r.resolve("README.md", Some("REPOROOT")).as_deref(),
            Some("README.md")
        );
        assert_eq!(r.resolve(".", Some("REPOROOT")), None);
        assert_eq!(
            r.resolve("list.h", Some("SUB")).as_deref(),
            Some("sub/list.h")
        );
        assert_eq!(r.resolve("a.c", Some("%SRCROOT%")).as_deref(), Some("a.c"));
        assert!(r.resolve("a.c", Some("LOOP")).unwrap().starts_with("x/x/"));
        assert_eq!(
            r.resolve("file:///work/other/b.c", None).as_deref(),
            Some("other/b.c")
        );
        assert_eq!(
            r.resolve("file:///c:/logs/run.txt", None).as_deref(),
            Some("run.txt")
        );
    }

    #[test]
    fn working_directory_is_a_root() {
        let mut r = PathResolver::default();
        r.add_working_directory(&loc(Some("file:///home/damien/dd"), None));
        assert_eq!(
            r.resolve("file:///home/damien/dd/entrypoint.sh", None)
                .as_deref(),
            Some("entrypoint.sh")
        );
        assert_eq!(
            r.resolve("file:///home/damien/ddx/a.sh", None).as_deref(),
            Some("/home/damien/ddx/a.sh")
        );
    }

    #[test]
    fn odd_inputs_never_panic() {
        let r = PathResolver::default();
        for uri in [
            "file:",
            "file://",
            "file:///",
            ":",
            "C:",
            "%",
            "%zz/é",
            "//",
            "\\\\srv\\x",
            "é:/x",
            "a:b",
        ] {
            let _ = r.resolve(uri, Some("X"));
        }
        assert!(is_conventional_root("%SRCROOT%"));
        assert!(is_conventional_root("$srcroot"));
        assert!(!is_conventional_root("TESTROOT"));
    }

    #[test]
    fn repo_hints() {
        assert_eq!(
            repo_hint("https://github.com/owner/name.git").as_deref(),
            Some("owner/name")
        );
        assert_eq!(
            repo_hint("git@github.com:owner/name").as_deref(),
            Some("owner/name")
        );
        assert_eq!(
            repo_hint("https://dev.azure.com/org/proj/_git/repo").as_deref(),
            Some("proj/repo")
        );
        assert_eq!(repo_hint("https://host/"), None);
    }
}
