//! Which repository (and where in it) a catalog annotation points to, and whether that is the
//! repository a finding came from. Hosts differ in how a browse URL spells "this directory at
//! this ref", so each known layout is recognised by its marker segment.

use percent_encoding::percent_decode_str;

/// The annotations that tie an entity to a repository.
pub const PROJECT_SLUG_GITHUB: &str = "github.com/project-slug";
pub const PROJECT_SLUG_GITLAB: &str = "gitlab.com/project-slug";
pub const SOURCE_LOCATION: &str = "backstage.io/source-location";
pub const MANAGED_BY_LOCATION: &str = "backstage.io/managed-by-location";

/// Where an entity says its code lives, from one annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoLink {
    /// The annotation key it came from (one of the constants above).
    pub annotation: &'static str,
    /// `org/repo` or `group/sub/repo`, lowercased, without `.git` or slashes around it.
    pub slug: String,
    /// Directory inside the repository, `/`-separated without slashes around it; `""` is the
    /// root. `None` when the annotation names no place (project slugs, bare repository URLs
    /// are the root and so `Some("")`).
    pub path: Option<String>,
    /// 1-based line of the annotation in the catalog file.
    pub line: usize,
}

/// `org/repo` with the decorations people add removed, lowercased: hosts treat repository
/// names case-insensitively.
pub fn normalize_slug(s: &str) -> String {
    let s = s.trim().trim_matches('/');
    let s = s.strip_suffix(".git").unwrap_or(s);
    s.trim_end_matches('/').to_lowercase()
}

/// A project-slug annotation value; `None` when it has no `owner/name` shape.
pub fn parse_slug(annotation: &'static str, value: &str, line: usize) -> Option<RepoLink> {
    let slug = normalize_slug(value);
    let parts: Vec<&str> = slug.split('/').collect();
    let ok = parts.len() >= 2 && parts.iter().all(|p| !p.is_empty() && !p.contains(' '));
    // GitHub has exactly one level of owner; GitLab nests groups.
    let ok = ok && (annotation != PROJECT_SLUG_GITHUB || parts.len() == 2);
    ok.then_some(RepoLink {
        annotation,
        slug,
        path: None,
        line,
    })
}

/// A location reference (`url:https://host/org/repo/tree/main/dir/`). Only `url:` locations
/// name a repository; `None` for anything else or a URL with no repository in it.
pub fn parse_location(annotation: &'static str, value: &str, line: usize) -> Option<RepoLink> {
    let value = value.trim();
    // Backstage writes `url:`, but a bare URL is a common hand-written slip that still says
    // which repository is meant.
    let url = value.strip_prefix("url:").unwrap_or(value);
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (_host, path) = rest.split_once('/')?;
    let trailing_slash = path.ends_with('/');
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let (slug_segs, kind, within) = split_browse_url(&segs);
    if slug_segs.len() < 2 {
        return None;
    }
    let slug = normalize_slug(&slug_segs.join("/"));
    let dir = match kind {
        // `blob/<ref>/a/b/catalog-info.yaml` names a file: its directory is the place.
        Browse::Blob if !trailing_slash && !within.is_empty() => &within[..within.len() - 1],
        _ => within,
    };
    Some(RepoLink {
        annotation,
        slug,
        path: Some(dir.join("/")),
        line,
    })
}

enum Browse {
    Tree,
    Blob,
    Root,
}

/// Split `org/repo/tree/main/a/b` into the repository part and the path at the ref. GitLab
/// marks the split with a `-` segment (its groups nest, so the slug length is unknown);
/// GitHub and Bitbucket have two-segment slugs followed by `tree`/`blob`/`src`. The ref is
/// taken as one segment: a branch name with `/` in it cannot be told apart from a directory
/// in a browse URL.
fn split_browse_url(segs: &[String]) -> (&[String], Browse, &[String]) {
    let kind_of = |s: &str| match s {
        "tree" | "src" => Some(Browse::Tree),
        "blob" | "raw" => Some(Browse::Blob),
        _ => None,
    };
    if let Some(dash) = segs.iter().position(|s| s == "-") {
        if let Some(kind) = segs.get(dash + 1).and_then(|s| kind_of(s)) {
            let within = segs.get(dash + 3..).unwrap_or(&[]);
            return (&segs[..dash], kind, within);
        }
        return (&segs[..dash], Browse::Root, &[]);
    }
    if let Some(kind) = segs.get(2).and_then(|s| kind_of(s)) {
        let within = segs.get(4..).unwrap_or(&[]);
        return (&segs[..2], kind, within);
    }
    (segs, Browse::Root, &[])
}

/// The repository part of a clone or browse URL (`https://host/org/repo.git`,
/// `git@host:org/repo.git`, `ssh://git@host/org/repo`), normalized like a slug.
pub fn url_slug(url: &str) -> Option<String> {
    let url = url.trim();
    let rest = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/')?.1,
        // scp-like: `user@host:path`
        None => url.split_once(':')?.1,
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let segs: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let (slug, _, _) = split_browse_url(&segs);
    let slug = normalize_slug(&slug.join("/"));
    (!slug.is_empty()).then_some(slug)
}

/// Does `slug` name the repository known as `repo_name` (either `repo` or `org/repo`) and
/// reachable at `url_slug`? Either piece of evidence is enough: the name alone when the URL is
/// unknown, the URL path when the name is a local alias.
pub fn slug_matches(slug: &str, repo_name: &str, url_slug: Option<&str>) -> bool {
    if url_slug.is_some_and(|u| u == slug) {
        return true;
    }
    let name = normalize_slug(repo_name);
    if name.is_empty() {
        return false;
    }
    if name.contains('/') {
        slug == name || slug.ends_with(&format!("/{name}"))
    } else {
        slug.rsplit('/').next() == Some(name.as_str())
    }
}
