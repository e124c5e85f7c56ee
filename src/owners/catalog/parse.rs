//! From text to entities: split at document markers, parse each document with positions, pick
//! out the fields Backstage defines, and report what does not fit.

use std::collections::HashSet;

use saphyr::{AnnotatedMapping, LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::repo::{
    MANAGED_BY_LOCATION, PROJECT_SLUG_GITHUB, PROJECT_SLUG_GITLAB, SOURCE_LOCATION, parse_location,
    parse_slug,
};
use super::{CatalogFile, Diagnostic, Entity, EntityRef, MAX_INDENT, Problem, Severity};

type Node<'i> = MarkedYaml<'i>;
type Map<'i> = AnnotatedMapping<'i, MarkedYaml<'i>>;

/// Values quoted in diagnostics are cut here: one hostile line must not make a huge message.
const MAX_QUOTED: usize = 80;

/// The documents of a stream as (first line, text). A `---` starts a document unless only
/// comments and directives came before it in the current one; a `...` ends one.
pub(super) fn split_documents(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let (mut start, mut start_line, mut has_content) = (0, 1, false);
    let mut pos = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = i + 1;
        let marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || r.starts_with(char::is_whitespace))
        };
        if marker("---") {
            if has_content {
                out.push((start_line, &text[start..pos]));
                (start, start_line) = (pos, n);
            }
            has_content = true;
        } else if marker("...") {
            out.push((start_line, &text[start..pos + line.len()]));
            (start, start_line, has_content) = (pos + line.len(), n + 1, false);
        } else {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') && !line.starts_with('%') {
                has_content = true;
            }
        }
        pos += line.len();
    }
    if has_content {
        out.push((start_line, &text[start..]));
    }
    out
}

/// Columns of block structure before a line's content: spaces, and `- `, `? `, `: `
/// indicators, each of which opens one more level.
fn block_indent(line: &str) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'-' | b'?' | b':' if b.get(i + 1).is_some_and(|c| *c == b' ' || *c == b'\t') => i += 2,
            _ => break,
        }
    }
    i
}

pub(super) struct Parser {
    origin: String,
    entities: Vec<Entity>,
    diagnostics: Vec<Diagnostic>,
    /// `kind:namespace/name`, lowercased: Backstage treats refs case-insensitively.
    seen: HashSet<String>,
}

/// Strip custom tags (`!Component`, `!!map`): the content under a tag is what counts.
fn untag<'a, 'i>(mut node: &'a Node<'i>) -> &'a Node<'i> {
    while let YamlData::Tagged(_, inner) = &node.data {
        node = inner;
    }
    node
}

fn type_name(node: &Node<'_>) -> &'static str {
    match &untag(node).data {
        YamlData::Mapping(_) => "a mapping",
        YamlData::Sequence(_) => "a sequence",
        YamlData::Value(Scalar::String(_)) | YamlData::Representation(..) => "a string",
        YamlData::Value(Scalar::Integer(_) | Scalar::FloatingPoint(_)) => "a number",
        YamlData::Value(Scalar::Boolean(_)) => "a boolean",
        YamlData::Value(Scalar::Null) => "empty",
        YamlData::Alias(_) => "an alias",
        YamlData::Tagged(..) | YamlData::BadValue => "an invalid value",
    }
}

fn as_str<'a>(node: &'a Node<'_>) -> Option<&'a str> {
    match &untag(node).data {
        YamlData::Value(Scalar::String(s)) => Some(s),
        YamlData::Representation(s, ..) => Some(s),
        _ => None,
    }
}

fn is_null(node: &Node<'_>) -> bool {
    matches!(untag(node).data, YamlData::Value(Scalar::Null))
}

fn as_map<'a, 'i>(node: &'a Node<'i>) -> Option<&'a Map<'i>> {
    match &untag(node).data {
        YamlData::Mapping(m) => Some(m),
        _ => None,
    }
}

fn get<'a, 'i>(map: &'a Map<'i>, key: &str) -> Option<&'a Node<'i>> {
    map.iter()
        .find(|(k, _)| as_str(k) == Some(key))
        .map(|(_, v)| v)
}

fn clip(s: &str) -> String {
    if s.chars().count() <= MAX_QUOTED {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX_QUOTED).collect();
    out.push('…');
    out
}

impl Parser {
    pub(super) fn new(origin: String) -> Parser {
        Parser {
            origin,
            entities: Vec::new(),
            diagnostics: Vec::new(),
            seen: HashSet::new(),
        }
    }

    pub(super) fn finish(self) -> CatalogFile {
        CatalogFile {
            origin: self.origin,
            entities: self.entities,
            diagnostics: self.diagnostics,
        }
    }

    pub(super) fn report(&mut self, line: usize, severity: Severity, problem: Problem) {
        self.diagnostics.push(Diagnostic {
            file: self.origin.clone(),
            line,
            severity,
            problem,
        });
    }

    /// One document's text, starting at line `first` of the file.
    pub(super) fn chunk(&mut self, first: usize, text: &str) {
        if let Some(i) = text.lines().position(|l| block_indent(l) > MAX_INDENT) {
            return self.report(first + i, Severity::Error, Problem::TooDeep);
        }
        let docs = match MarkedYaml::load_from_str(text) {
            Ok(d) => d,
            Err(e) => {
                let line = first + e.marker().line().saturating_sub(1);
                return self.report(line, Severity::Error, Problem::Yaml(clip(e.info())));
            }
        };
        for doc in &docs {
            let at = Lines(first);
            if is_null(doc) {
                continue;
            }
            match as_map(doc) {
                Some(map) => self.entity(at, at.of(doc), map),
                None => {
                    let problem = Problem::NotAMapping(type_name(doc));
                    self.report(at.of(doc), Severity::Error, problem);
                }
            }
        }
    }

    /// A string field; empty counts as absent, another type is reported and counts as absent.
    fn string(
        &mut self,
        at: Lines,
        node: Option<&Node<'_>>,
        field: &'static str,
    ) -> Option<String> {
        let node = node?;
        if is_null(node) {
            return None;
        }
        match as_str(node) {
            Some(s) => Some(s.to_string()),
            None => {
                let found = type_name(node);
                let problem = Problem::WrongType {
                    field,
                    expected: "a string",
                    found,
                };
                self.report(at.of(node), Severity::Error, problem);
                None
            }
        }
    }

    fn mapping<'a, 'i>(
        &mut self,
        at: Lines,
        node: Option<&'a Node<'i>>,
        field: &'static str,
    ) -> Option<&'a Map<'i>> {
        let node = node?;
        if is_null(node) {
            return None;
        }
        let map = as_map(node);
        if map.is_none() {
            let problem = Problem::WrongType {
                field,
                expected: "a mapping",
                found: type_name(node),
            };
            self.report(at.of(node), Severity::Error, problem);
        }
        map
    }

    fn entity(&mut self, at: Lines, line: usize, doc: &Map<'_>) {
        let Some(kind) = self.string(at, get(doc, "kind"), "kind") else {
            if get(doc, "kind").is_none_or(is_null) {
                self.report(line, Severity::Error, Problem::Missing("kind"));
            }
            return;
        };
        if get(doc, "apiVersion").is_none_or(is_null) {
            self.report(line, Severity::Warning, Problem::NoApiVersion);
        }
        let Some(meta) = self.mapping(at, get(doc, "metadata"), "metadata") else {
            if get(doc, "metadata").is_none_or(is_null) {
                self.report(line, Severity::Error, Problem::Missing("metadata"));
            }
            return;
        };
        let Some(name) = self.string(at, get(meta, "name"), "metadata.name") else {
            if get(meta, "name").is_none_or(is_null) {
                self.report(line, Severity::Error, Problem::Missing("metadata.name"));
            }
            return;
        };
        if name.contains("${{") {
            return self.report(line, Severity::Warning, Problem::Template);
        }
        let namespace = self
            .string(at, get(meta, "namespace"), "metadata.namespace")
            .filter(|ns| !ns.trim().is_empty())
            .unwrap_or_else(|| "default".to_string());
        let title = self.string(at, get(meta, "title"), "metadata.title");
        let annotations = self.annotations(at, meta);
        let spec = self.mapping(at, get(doc, "spec"), "spec");
        let field = |key| spec.and_then(|s| get(s, key));
        let owner_node = field("owner");
        let owner = self.entity_ref(at, owner_node, "spec.owner", "group", &namespace);
        let owner_line = owner.as_ref().and(owner_node).map(|n| at.of(n));
        let system = self.entity_ref(at, field("system"), "spec.system", "system", &namespace);
        let spec_type = self.string(at, field("type"), "spec.type");
        let lifecycle = self.string(at, field("lifecycle"), "spec.lifecycle");
        let links = self.links(&annotations);

        let entity = Entity {
            kind,
            namespace,
            name,
            title,
            owner,
            system,
            spec_type,
            lifecycle,
            annotations: annotations.into_iter().map(|(k, v, _)| (k, v)).collect(),
            links,
            line,
            owner_line,
        };
        if entity.is_kind("Component") && entity.owner.is_none() && owner_node.is_none() {
            let problem = Problem::NoOwner {
                kind: clip(&entity.kind),
                name: clip(&entity.name),
            };
            self.report(line, Severity::Error, problem);
        }
        let r = entity.entity_ref();
        let key = format!("{}:{}/{}", r.kind, r.namespace, r.name).to_lowercase();
        if !self.seen.insert(key) {
            self.report(
                line,
                Severity::Warning,
                Problem::Duplicate(clip(&r.to_string())),
            );
        }
        self.entities.push(entity);
    }

    /// String-valued annotations with the line of each value; others are reported.
    fn annotations(&mut self, at: Lines, meta: &Map<'_>) -> Vec<(String, String, usize)> {
        let field = "metadata.annotations";
        let Some(map) = self.mapping(at, get(meta, "annotations"), field) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map.iter() {
            match (as_str(k), as_str(v)) {
                (Some(key), Some(value)) => {
                    out.push((key.to_string(), value.to_string(), at.of(v)))
                }
                _ => {
                    let (bad, expected) = match as_str(k) {
                        None => (k, "string keys"),
                        Some(_) => (v, "string values"),
                    };
                    let problem = Problem::WrongType {
                        field,
                        expected,
                        found: type_name(bad),
                    };
                    self.report(at.of(bad), Severity::Error, problem);
                }
            }
        }
        out
    }

    fn entity_ref(
        &mut self,
        at: Lines,
        node: Option<&Node<'_>>,
        field: &'static str,
        default_kind: &str,
        namespace: &str,
    ) -> Option<EntityRef> {
        let text = self.string(at, node, field)?;
        match EntityRef::parse(&text, default_kind, namespace) {
            Ok(r) => Some(r),
            Err(reason) => {
                let line = node.map_or(0, |n| at.of(n));
                let problem = Problem::BadRef {
                    field,
                    value: clip(&text),
                    reason,
                };
                self.report(line, Severity::Error, problem);
                None
            }
        }
    }

    fn links(&mut self, annotations: &[(String, String, usize)]) -> Vec<super::RepoLink> {
        let mut out = Vec::new();
        for (key, value, line) in annotations {
            let known = [
                PROJECT_SLUG_GITHUB,
                PROJECT_SLUG_GITLAB,
                SOURCE_LOCATION,
                MANAGED_BY_LOCATION,
            ];
            let Some(annotation) = known.into_iter().find(|k| k == key) else {
                continue;
            };
            let link = if annotation.ends_with("project-slug") {
                parse_slug(annotation, value, *line)
            } else if value.starts_with("url:") || value.starts_with("http") {
                parse_location(annotation, value, *line)
            } else {
                // `dir:` and `file:` locations are local to the catalog's host: no repository.
                continue;
            };
            match link {
                Some(l) => out.push(l),
                None => {
                    let problem = Problem::BadRepoLink {
                        annotation,
                        value: clip(value),
                    };
                    self.report(*line, Severity::Warning, problem);
                }
            }
        }
        out
    }
}

/// Maps a node's position in its document's text to a line of the file.
#[derive(Clone, Copy)]
struct Lines(usize);

impl Lines {
    fn of(self, node: &Node<'_>) -> usize {
        self.0 + node.span.start.line().saturating_sub(1)
    }
}
