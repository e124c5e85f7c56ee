//! The catalog of one clone: which component covers a path, and finding the files.

use std::fs;
use std::path::{Path, PathBuf};

use super::repo::{RepoLink, SOURCE_LOCATION, slug_matches, url_slug};
use super::{
    CatalogFile, Diagnostic, Entity, LoadError, MAX_DISCOVER_DEPTH, MAX_DISCOVER_ENTRIES,
    MAX_DISCOVER_FILES,
};

/// The catalog files of one clone, in the order given (file order breaks ties).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    files: Vec<CatalogFile>,
}

/// The component that covers a path, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogMatch<'a> {
    /// The catalog file, relative to the clone.
    pub origin: &'a str,
    pub entity: &'a Entity,
    /// The directory the component covers, relative to the clone; `""` is all of it.
    pub scope: String,
    /// The annotation that tied the component to the repository; `None` when it has no
    /// repository annotation and counts because its file is in this clone.
    pub via: Option<&'a RepoLink>,
}

impl CatalogMatch<'_> {
    /// The line to point people at: `spec.owner` when there is one, else the entity.
    pub fn line(&self) -> usize {
        self.entity.owner_line.unwrap_or(self.entity.line)
    }

    /// For people: "catalog `services/billing/catalog-info.yaml` line 7: component billing-api
    /// owned by group:payments, system billing; covers `services/billing/` (github.com/project-slug)".
    pub fn explain(&self) -> String {
        let e = self.entity;
        let mut s = format!(
            "catalog `{}` line {}: {} {}",
            self.origin,
            self.line(),
            e.kind.to_lowercase(),
            e.name
        );
        if e.namespace != "default" {
            s.push_str(&format!(" in namespace {}", e.namespace));
        }
        match &e.owner {
            Some(o) => s.push_str(&format!(" owned by {o}")),
            None => s.push_str(" with no owner"),
        }
        if let Some(sys) = &e.system {
            if sys.kind == "system" && sys.namespace == e.namespace {
                s.push_str(&format!(", system {}", sys.name));
            } else {
                s.push_str(&format!(", system {sys}"));
            }
        }
        let scope = if self.scope.is_empty() {
            "the whole repository".to_string()
        } else {
            format!("`{}/`", self.scope)
        };
        s.push_str(&format!("; covers {scope}"));
        match self.via {
            Some(l) => s.push_str(&format!(" ({} line {})", l.annotation, l.line)),
            None => s.push_str(" (catalog file in this repository)"),
        }
        s
    }
}

impl Catalog {
    pub fn new(files: Vec<CatalogFile>) -> Catalog {
        Catalog { files }
    }

    /// [`discover`] the catalog files of a clone and load them; files that cannot be read are
    /// returned as errors beside the catalog of the rest.
    pub fn load(repo_root: &Path) -> (Catalog, Vec<LoadError>) {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for path in discover(repo_root) {
            match CatalogFile::load(repo_root, &path) {
                Ok(f) => files.push(f),
                Err(e) => errors.push(e),
            }
        }
        (Catalog { files }, errors)
    }

    pub fn files(&self) -> &[CatalogFile] {
        &self.files
    }

    /// Every entity of every file, in order.
    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.files.iter().flat_map(|f| f.entities())
    }

    pub fn diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.files.iter().flat_map(|f| f.diagnostics())
    }

    /// The component covering `path` (clone-relative, `/`-separated) in the repository named
    /// `repo_name` (`repo` or `org/repo`), cloned from `repo_url` when known.
    ///
    /// A component takes part when one of its repository annotations names this repository,
    /// or when it has none (its file is in this clone). Its scope is the directory of a
    /// matching source location, else the directory of its catalog file. The longest scope
    /// containing `path` wins, whole segments only; ties go to the first in file order.
    pub fn owner_of(
        &self,
        repo_name: &str,
        repo_url: Option<&str>,
        path: &str,
    ) -> Option<CatalogMatch<'_>> {
        let url = repo_url.and_then(url_slug);
        let path = path
            .strip_prefix("./")
            .unwrap_or(path)
            .trim_start_matches('/');
        let mut best: Option<CatalogMatch<'_>> = None;
        for file in &self.files {
            for e in file.entities().iter().filter(|e| e.is_kind("Component")) {
                let Some((scope, via)) = scope_of(file, e, repo_name, url.as_deref()) else {
                    continue;
                };
                if !covers(&scope, path) {
                    continue;
                }
                if best.as_ref().is_none_or(|b| scope.len() > b.scope.len()) {
                    best = Some(CatalogMatch {
                        origin: file.origin(),
                        entity: e,
                        scope,
                        via,
                    });
                }
            }
        }
        best
    }
}

/// Where `e` applies in this repository, and which link said so; `None` when its links all
/// point elsewhere.
fn scope_of<'a>(
    file: &'a CatalogFile,
    e: &'a Entity,
    repo_name: &str,
    url: Option<&str>,
) -> Option<(String, Option<&'a RepoLink>)> {
    if e.links.is_empty() {
        return Some((file.dir().to_string(), None));
    }
    let mine: Vec<&RepoLink> = e
        .links
        .iter()
        .filter(|l| slug_matches(&l.slug, repo_name, url))
        .collect();
    let first = *mine.first()?;
    let located = mine
        .iter()
        .find(|l| l.annotation == SOURCE_LOCATION && l.path.is_some());
    match located {
        Some(l) => Some((l.path.clone().unwrap_or_default(), Some(*l))),
        None => Some((file.dir().to_string(), Some(first))),
    }
}

/// `scope` is `path` itself or one of its directories.
fn covers(scope: &str, path: &str) -> bool {
    scope.is_empty()
        || path == scope
        || path
            .strip_prefix(scope)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Directories that hold dependencies or build output, never a project's own catalog.
const SKIP_DIRS: [&str; 6] = [".git", ".hg", ".svn", "node_modules", "vendor", "target"];

fn is_catalog_name(name: &str) -> bool {
    name == "catalog-info.yaml" || name == "catalog-info.yml"
}

/// The `catalog-info.yaml` / `.yml` files of a clone, sorted by path so that file order (and
/// so tie-breaking) does not depend on the file system. Symlinked directories are not entered
/// (loops, and trees outside the clone); a symlinked file counts only when it resolves inside
/// the clone. Depth, entries looked at and files returned are bounded.
pub fn discover(repo_root: &Path) -> Vec<PathBuf> {
    let Ok(root) = repo_root.canonicalize() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut stack = vec![(repo_root.to_path_buf(), 0usize)];
    let mut looked = 0usize;
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            looked += 1;
            if looked > MAX_DISCOVER_ENTRIES || found.len() >= MAX_DISCOVER_FILES {
                found.sort();
                return found;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let path = entry.path();
            if ft.is_dir() {
                if depth < MAX_DISCOVER_DEPTH && !SKIP_DIRS.contains(&name.as_ref()) {
                    stack.push((path, depth + 1));
                }
            } else if is_catalog_name(&name) {
                let inside = !ft.is_symlink()
                    || path
                        .canonicalize()
                        .is_ok_and(|t| t.starts_with(&root) && t.is_file());
                if inside {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    found
}
