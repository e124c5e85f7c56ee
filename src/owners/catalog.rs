//! Backstage service catalogs: `catalog-info.yaml` files in a clone, read into entities with
//! line numbers, and the lookup "which component covers this path, and who owns it".
//!
//! Parsing uses `saphyr`'s `MarkedYaml` (positions on every node; see Cargo.toml for why this
//! crate). Lenient like the catalog: a bad document is reported as a [`Diagnostic`] with its
//! line and skipped, the other documents of the file still count. The file is split at its
//! `---` / `...` markers before parsing so that a syntax error in one document cannot take
//! the documents after it down with it (YAML forbids those markers at column 0 inside any
//! scalar, so the split is exact).
//!
//! Strings are kept as written: sanitizing for the terminal is the display layer's job.

use std::fmt;
use std::path::Path;

mod repo;
pub use repo::{
    MANAGED_BY_LOCATION, PROJECT_SLUG_GITHUB, PROJECT_SLUG_GITLAB, RepoLink, SOURCE_LOCATION,
};

/// Catalog files are a few kilobytes; a megabyte is generous and bounds the parse.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Documents read from one file; the rest are reported and ignored.
pub const MAX_DOCUMENTS: usize = 1000;
/// Leading block indentation (columns) a line may have. The YAML parser recurses once per
/// nesting level, and block nesting is bounded by indentation (flow nesting is capped at 255
/// by the parser itself), so this bounds the stack a document can take.
pub const MAX_INDENT: usize = 256;
/// Parsing runs on its own thread with this stack: measured, the deepest document the limits
/// allow takes about 3 MiB in a debug build, more than a default 2 MiB thread has.
const PARSE_STACK: usize = 16 * 1024 * 1024;
/// How deep [`discover`] descends below the clone root.
pub const MAX_DISCOVER_DEPTH: usize = 16;
/// How many catalog files [`discover`] returns at most.
pub const MAX_DISCOVER_FILES: usize = 1000;
/// Directory entries [`discover`] looks at before it gives up on a huge tree.
pub const MAX_DISCOVER_ENTRIES: usize = 200_000;

/// `[kind:][namespace/]name`, with the defaults of its field filled in. The kind is lowercased
/// (Backstage compares kinds case-insensitively); namespace and name are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl EntityRef {
    /// Parse a reference as Backstage does: kind before the first `:`, namespace before the
    /// `/`. `default_namespace` is the referring entity's own namespace.
    pub fn parse(
        text: &str,
        default_kind: &str,
        default_namespace: &str,
    ) -> Result<EntityRef, &'static str> {
        let text = text.trim();
        let (kind, rest) = match text.split_once(':') {
            Some((k, r)) => (k.trim(), r.trim()),
            None => (default_kind, text),
        };
        let (namespace, name) = match rest.split_once('/') {
            Some((ns, n)) => (ns.trim(), n.trim()),
            None => (default_namespace, rest),
        };
        if kind.is_empty() {
            return Err("empty kind");
        }
        if namespace.is_empty() {
            return Err("empty namespace");
        }
        if name.is_empty() {
            return Err("empty name");
        }
        if name.contains('/') || kind.contains('/') {
            return Err("too many `/`");
        }
        Ok(EntityRef {
            kind: kind.to_lowercase(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }
}

/// Backstage's short form: `group:payments`, or `group:ops/payments` outside `default`.
impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace == "default" {
            write!(f, "{}:{}", self.kind, self.name)
        } else {
            write!(f, "{}:{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// One catalog entity, any kind. Only components cover paths; the other kinds are kept so the
/// router can resolve owners and systems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// As written (`Component`); compare with [`Entity::is_kind`].
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    /// `spec.owner`; a bare name is a Group.
    pub owner: Option<EntityRef>,
    /// `spec.system`; a bare name is a System.
    pub system: Option<EntityRef>,
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    /// String-valued `metadata.annotations`, in file order.
    pub annotations: Vec<(String, String)>,
    /// Repository links found in the annotations, in file order.
    pub links: Vec<RepoLink>,
    /// 1-based line where the entity's document starts (its first key).
    pub line: usize,
    /// 1-based line of `spec.owner`.
    pub owner_line: Option<usize>,
}

impl Entity {
    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `component:billing-api`, `component:ops/billing-api`.
    pub fn entity_ref(&self) -> EntityRef {
        EntityRef {
            kind: self.kind.to_lowercase(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

pub use super::diagnostic::Severity;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("invalid YAML: {0}")]
    Yaml(String),
    #[error("the document is {0}, not a mapping; skipped")]
    NotAMapping(&'static str),
    #[error("`{0}` is missing; the entity is skipped")]
    Missing(&'static str),
    #[error("`apiVersion` is missing")]
    NoApiVersion,
    #[error("`{field}` must be {expected}, not {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("`{field}`: `{value}` is not an entity reference ({reason})")]
    BadRef {
        field: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("`{annotation}`: cannot tell the repository from `{value}`")]
    BadRepoLink {
        annotation: &'static str,
        value: String,
    },
    #[error("{kind} `{name}` has no `spec.owner`")]
    NoOwner { kind: String, name: String },
    #[error("`metadata.name` is a scaffolder template placeholder; skipped")]
    Template,
    #[error("{0} is defined again; the first definition wins ties")]
    Duplicate(String),
    #[error("indented more than {MAX_INDENT} columns; the document is skipped")]
    TooDeep,
    #[error("more than {MAX_DOCUMENTS} documents; the rest are ignored")]
    TooManyDocuments,
    #[error("the YAML parser failed on this file; it is skipped")]
    Internal,
}

/// A document or field lastmile skipped or doubts, with where it is.
pub type Diagnostic = super::diagnostic::Diagnostic<Problem>;

pub use super::diagnostic::LoadError;

/// One parsed catalog file.
#[derive(Debug, Clone)]
pub struct CatalogFile {
    origin: String,
    entities: Vec<Entity>,
    diagnostics: Vec<Diagnostic>,
}

impl CatalogFile {
    /// Parse `text`. `origin` is the file's path inside the clone (`/`-separated); it names the
    /// file in diagnostics and explanations, and its directory is the default scope of the
    /// components in it.
    pub fn parse(origin: &str, text: &str) -> CatalogFile {
        let origin = origin.replace('\\', "/");
        let parsed = std::thread::scope(|s| {
            let worker = std::thread::Builder::new()
                .name("catalog-parse".into())
                .stack_size(PARSE_STACK)
                .spawn_scoped(s, || Self::parse_here(&origin, text));
            // A failed spawn or a panic in the YAML parser is one more bad file, not a crash.
            worker.ok().and_then(|w| w.join().ok())
        });
        parsed.unwrap_or_else(|| {
            let mut p = Parser::new(origin);
            p.report(1, Severity::Error, Problem::Internal);
            p.finish()
        })
    }

    fn parse_here(origin: &str, text: &str) -> CatalogFile {
        let mut p = Parser::new(origin.to_string());
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let docs = split_documents(text);
        for (i, (first_line, chunk)) in docs.into_iter().enumerate() {
            if i == MAX_DOCUMENTS {
                p.report(first_line, Severity::Error, Problem::TooManyDocuments);
                break;
            }
            p.chunk(first_line, chunk);
        }
        p.finish()
    }

    /// Read and parse `path`, a file inside `repo_root`; the origin is the path relative to
    /// the root.
    pub fn load(repo_root: &Path, path: &Path) -> Result<CatalogFile, LoadError> {
        let text = super::diagnostic::read_bounded(path, MAX_FILE_BYTES, "catalog")?;
        let rel = path.strip_prefix(repo_root).unwrap_or(path);
        let origin: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        Ok(CatalogFile::parse(&origin.join("/"), &text))
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// Entities in file order.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    /// The directory holding the file inside the clone; `""` at the root.
    pub fn dir(&self) -> &str {
        self.origin.rsplit_once('/').map_or("", |(d, _)| d)
    }
}

mod parse;
use parse::{Parser, split_documents};

mod lookup;
pub use lookup::{Catalog, CatalogMatch, discover};

#[cfg(test)]
mod tests;
