//! CODEOWNERS files, GitHub and GitLab syntax: parse into typed rules with line numbers, find
//! who owns a path and which rule decided. Pure: the only I/O is `load` and `locate`.
//!
//! Lenient like the hosts: a bad line is skipped and reported as a [`Diagnostic`]; the rest of
//! the file still applies. Errors are lines the host would reject or misread (bad owner,
//! unsupported pattern syntax, broken section header, GitLab entry with no owner at all);
//! warnings are lines that parse but lastmile does not apply (GitLab `!` exclusions).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Candidate, GlobSet, GlobSetBuilder};

use super::pattern::{self, Compiled, PatternError};

/// GitHub refuses CODEOWNERS files from 3 MB up; so do we, before reading them whole.
pub const MAX_FILE_BYTES: u64 = 3 * 1024 * 1024;

/// Which host's rules a file follows. GitLab adds sections, `@@role` owners, `\#` escapes,
/// `[...]` classes, and floats `dir/file` patterns at any depth (GitHub anchors them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    GitHub,
    GitLab,
}

impl Syntax {
    /// GitLab when some line is a section header (`[Name]`, `^[Name]`), else GitHub: a header
    /// is an error in GitHub syntax anyway, so a file with one was written for GitLab.
    pub fn detect(text: &str) -> Syntax {
        let header = text.lines().any(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix('^').unwrap_or(l);
            l.starts_with('[') && l.contains(']')
        });
        if header {
            Syntax::GitLab
        } else {
            Syntax::GitHub
        }
    }

    /// `.gitlab/CODEOWNERS` and `.github/CODEOWNERS` say which host reads them; elsewhere the
    /// content decides.
    pub fn for_file(path: &Path, text: &str) -> Syntax {
        let parent = path.parent().and_then(Path::file_name);
        match parent.and_then(|p| p.to_str()) {
            Some(".gitlab") => Syntax::GitLab,
            Some(".github") => Syntax::GitHub,
            _ => Syntax::detect(text),
        }
    }
}

/// An owner as written: `@user`, `@org/team` (GitLab: `@group/sub/group`), an e-mail, or a
/// GitLab role (`@@maintainer`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Owner {
    User(String),
    Team(String),
    Email(String),
    Role(String),
}

impl Owner {
    pub fn parse(token: &str, syntax: Syntax) -> Option<Owner> {
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if let Some(role) = token.strip_prefix("@@") {
            return (syntax == Syntax::GitLab && name_ok(role)).then(|| Owner::Role(role.into()));
        }
        if let Some(name) = token.strip_prefix('@') {
            let parts: Vec<&str> = name.split('/').collect();
            let team_ok = match syntax {
                Syntax::GitHub => parts.len() == 2,
                Syntax::GitLab => parts.len() >= 2,
            };
            return match parts.len() {
                1 if name_ok(name) => Some(Owner::User(name.into())),
                n if n > 1 && team_ok && parts.iter().all(|p| name_ok(p)) => {
                    Some(Owner::Team(name.into()))
                }
                _ => None,
            };
        }
        let (local, domain) = token.split_once('@')?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '\''))
        };
        let domain_ok = plain(domain)
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        (plain(local) && domain_ok).then(|| Owner::Email(token.into()))
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::User(n) | Owner::Team(n) => write!(f, "@{n}"),
            Owner::Email(e) => f.write_str(e),
            Owner::Role(r) => write!(f, "@@{r}"),
        }
    }
}

/// A GitLab section. Headers with the same name (case-insensitive) are one section; the first
/// header's spelling, optionality and approval count stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// Line of the first header with this name.
    pub line: usize,
    /// `^[Name]`: owners are suggested reviewers, their approval is not required.
    pub optional: bool,
    /// `[Name][2]`; 1 when not written.
    pub approvals: u32,
}

/// One ownership rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// 1-based line in the file.
    pub line: usize,
    /// As written, escapes included.
    pub pattern: String,
    /// Empty means the rule un-owns what it matches (GitHub).
    pub owners: Vec<Owner>,
    /// Index into [`CodeOwners::sections`]; `None` for rules outside any section.
    pub section: Option<usize>,
    /// The owners came from the section header's defaults (GitLab entry without owners).
    pub inherited: bool,
}

pub use super::diagnostic::Severity;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("{0}")]
    Pattern(#[from] PatternError),
    #[error("`{0}` is not an owner (expected @user, @org/team or an e-mail address)")]
    InvalidOwner(String),
    #[error("the entry has no owner and its section has no default owners")]
    MissingOwner,
    #[error("unbalanced `[` in a section header")]
    UnbalancedBracket,
    #[error("a section header needs a name")]
    EmptySectionName,
    #[error("`[{0}]` is not an approval count (expected a number from 1)")]
    InvalidApprovals(String),
    #[error("unexpected `{0}` after the section header")]
    MalformedSection(String),
    #[error("`!` exclusions are not applied yet; the line is ignored")]
    ExclusionUnsupported,
}

/// A line lastmile skipped or did not apply, with where it is.
pub type Diagnostic = super::diagnostic::Diagnostic<Problem>;

pub use super::diagnostic::LoadError;

/// A parsed CODEOWNERS file.
#[derive(Debug, Clone)]
pub struct CodeOwners {
    origin: String,
    syntax: Syntax,
    rules: Vec<Rule>,
    sections: Vec<Section>,
    diagnostics: Vec<Diagnostic>,
    compiled: Vec<Compiled>,
    set: GlobSet,
}

/// The rule that decided a path in one section (or outside sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'a> {
    pub rule: &'a Rule,
    pub section: Option<&'a Section>,
}

/// Who owns a path and why: one decision per section with a matching rule, rules outside any
/// section first, then sections in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    pub origin: &'a str,
    pub decisions: Vec<Decision<'a>>,
}

impl<'a> Match<'a> {
    /// Some rule matched, even one that un-owns the path.
    pub fn is_matched(&self) -> bool {
        !self.decisions.is_empty()
    }

    /// Every section's owners, each once, in decision order.
    pub fn owners(&self) -> Vec<&'a Owner> {
        let mut out: Vec<&Owner> = Vec::new();
        for o in self.decisions.iter().flat_map(|d| &d.rule.owners) {
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }

    /// For people: "CODEOWNERS line 12 `/billing/`", one clause per deciding rule.
    pub fn explain(&self) -> String {
        if self.decisions.is_empty() {
            return format!("{}: no rule matches", self.origin);
        }
        let parts: Vec<String> = self
            .decisions
            .iter()
            .map(|d| {
                let mut s = format!("{} line {} `{}`", self.origin, d.rule.line, d.rule.pattern);
                if let Some(sec) = d.section {
                    s.push_str(&format!(" in [{}]", sec.name));
                }
                if d.rule.owners.is_empty() {
                    s.push_str(" (no owners)");
                } else if d.rule.inherited {
                    s.push_str(" (section default owners)");
                }
                s
            })
            .collect();
        parts.join("; ")
    }
}

impl CodeOwners {
    /// Parse `text`; `origin` names the file in diagnostics and explanations.
    pub fn parse(origin: &str, text: &str, syntax: Syntax) -> CodeOwners {
        let mut p = Parser {
            origin: origin.to_string(),
            syntax,
            rules: Vec::new(),
            compiled: Vec::new(),
            sections: Vec::new(),
            by_name: HashMap::new(),
            current: None,
            defaults: Vec::new(),
            diagnostics: Vec::new(),
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            p.line(i + 1, line);
        }
        let mut builder = GlobSetBuilder::new();
        for c in &p.compiled {
            builder.add(c.glob.clone());
        }
        // Every glob was built alone already; a set of valid globs only fails on regex size.
        let set = builder.build().unwrap_or_else(|_| GlobSet::empty());
        CodeOwners {
            origin: p.origin,
            syntax,
            rules: p.rules,
            sections: p.sections,
            diagnostics: p.diagnostics,
            compiled: p.compiled,
            set,
        }
    }

    /// Read and parse a file; `syntax: None` picks it by [`Syntax::for_file`]. The origin in
    /// diagnostics is the path as given.
    pub fn load(path: &Path, syntax: Option<Syntax>) -> Result<CodeOwners, LoadError> {
        let text = super::diagnostic::read_bounded(path, MAX_FILE_BYTES, "CODEOWNERS")?;
        let syntax = syntax.unwrap_or_else(|| Syntax::for_file(path, &text));
        Ok(CodeOwners::parse(
            &path.display().to_string(),
            &text,
            syntax,
        ))
    }

    pub fn syntax(&self) -> Syntax {
        self.syntax
    }
    pub fn origin(&self) -> &str {
        &self.origin
    }
    /// The rules that apply, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Who owns `path` (repo-relative, `/`-separated; a leading `/` or `./` is ignored): the
    /// last matching rule of each section. Paths are matched case-sensitively, as both hosts do.
    pub fn owners_of(&self, path: &str) -> Match<'_> {
        let path = path
            .strip_prefix("./")
            .unwrap_or(path)
            .trim_start_matches('/');
        // Per section slot (0 = outside sections): the highest matching rule index.
        let mut best: Vec<Option<usize>> = vec![None; self.sections.len() + 1];
        let mut hits = Vec::new();
        if !path.is_empty() {
            for (candidate, full) in pattern::candidates(path) {
                self.set
                    .matches_candidate_into(&Candidate::new(candidate), &mut hits);
                for &i in &hits {
                    if !self.compiled[i].accepts(full) {
                        continue;
                    }
                    let slot = self.rules[i].section.map_or(0, |s| s + 1);
                    if best[slot].is_none_or(|b| b < i) {
                        best[slot] = Some(i);
                    }
                }
            }
        }
        let decisions = best
            .into_iter()
            .flatten()
            .map(|i| {
                let rule = &self.rules[i];
                Decision {
                    rule,
                    section: rule.section.map(|s| &self.sections[s]),
                }
            })
            .collect();
        Match {
            origin: &self.origin,
            decisions,
        }
    }
}

/// Where each host looks, first found wins. GitHub: `.github/`, root, `docs/`. GitLab: root,
/// `docs/`, `.gitlab/`.
pub fn locations(syntax: Syntax) -> [&'static str; 3] {
    match syntax {
        Syntax::GitHub => [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"],
        Syntax::GitLab => ["CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"],
    }
}

/// The CODEOWNERS file of a checkout when the host is unknown: GitHub's order, then
/// `.gitlab/CODEOWNERS` (only GitLab reads it, so it is only reached when nothing else exists).
pub fn locate(repo_root: &Path) -> Option<PathBuf> {
    let order = locations(Syntax::GitHub)
        .into_iter()
        .chain([".gitlab/CODEOWNERS"]);
    order.map(|rel| repo_root.join(rel)).find(|p| p.is_file())
}

/// The file the given host would read.
pub fn locate_for(repo_root: &Path, syntax: Syntax) -> Option<PathBuf> {
    locations(syntax)
        .into_iter()
        .map(|rel| repo_root.join(rel))
        .find(|p| p.is_file())
}

struct Parser {
    origin: String,
    syntax: Syntax,
    rules: Vec<Rule>,
    compiled: Vec<Compiled>,
    sections: Vec<Section>,
    by_name: HashMap<String, usize>,
    current: Option<usize>,
    /// Default owners of the header in force (per header, not per combined section).
    defaults: Vec<Owner>,
    diagnostics: Vec<Diagnostic>,
}

impl Parser {
    fn report(&mut self, line: usize, severity: Severity, problem: Problem) {
        self.diagnostics.push(Diagnostic {
            file: self.origin.clone(),
            line,
            severity,
            problem,
        });
    }

    fn line(&mut self, n: usize, raw: &str) {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        if self.syntax == Syntax::GitLab {
            let unhatted = line.strip_prefix('^').unwrap_or(line);
            if unhatted.starts_with('[') {
                return self.header(n, line);
            }
            if line.starts_with('!') {
                return self.report(n, Severity::Warning, Problem::ExclusionUnsupported);
            }
        }
        let (pattern, rest) = split_pattern(line);
        let owners = match self.owners(rest) {
            Ok(o) => o,
            Err(bad) => return self.report(n, Severity::Error, Problem::InvalidOwner(bad)),
        };
        let compiled = match pattern::compile(pattern, self.syntax) {
            Ok(c) => c,
            Err(e) => return self.report(n, Severity::Error, e.into()),
        };
        let inherited = owners.is_empty() && self.syntax == Syntax::GitLab;
        let owners = if inherited {
            if self.defaults.is_empty() {
                return self.report(n, Severity::Error, Problem::MissingOwner);
            }
            self.defaults.clone()
        } else {
            owners
        };
        self.rules.push(Rule {
            line: n,
            pattern: pattern.to_string(),
            owners,
            section: self.current,
            inherited,
        });
        self.compiled.push(compiled);
    }

    fn owners(&self, rest: &str) -> Result<Vec<Owner>, String> {
        rest.split_whitespace()
            .map(|t| Owner::parse(t, self.syntax).ok_or_else(|| t.to_string()))
            .collect()
    }

    /// `^[Name][N] @defaults...`. A broken header is reported and skipped, so the entries
    /// after it stay in the section before it, as GitLab does.
    fn header(&mut self, n: usize, line: &str) {
        let (optional, rest) = match line.strip_prefix('^') {
            Some(r) => (true, r),
            None => (false, line),
        };
        let Some(close) = rest.find(']') else {
            return self.report(n, Severity::Error, Problem::UnbalancedBracket);
        };
        let name = rest[1..close].trim();
        if name.is_empty() {
            return self.report(n, Severity::Error, Problem::EmptySectionName);
        }
        let mut after = &rest[close + 1..];
        let mut approvals = 1;
        if let Some(count) = after.strip_prefix('[') {
            let Some(end) = count.find(']') else {
                return self.report(n, Severity::Error, Problem::UnbalancedBracket);
            };
            match count[..end].trim().parse::<u32>() {
                Ok(k) if k >= 1 => approvals = k,
                _ => {
                    let bad = count[..end].to_string();
                    return self.report(n, Severity::Error, Problem::InvalidApprovals(bad));
                }
            }
            after = &count[end + 1..];
        }
        if !after.is_empty() && !after.starts_with(char::is_whitespace) {
            let junk: String = after.chars().take(20).collect();
            return self.report(n, Severity::Error, Problem::MalformedSection(junk));
        }
        let key = name.to_lowercase();
        let idx = match self.by_name.get(&key) {
            Some(&i) => i,
            None => {
                self.sections.push(Section {
                    name: name.to_string(),
                    line: n,
                    optional,
                    approvals,
                });
                self.by_name.insert(key, self.sections.len() - 1);
                self.sections.len() - 1
            }
        };
        self.current = Some(idx);
        // A bad default owner still opens the section (so its entries do not leak into the
        // previous one); the section just has no defaults.
        self.defaults = match self.owners(after) {
            Ok(o) => o,
            Err(bad) => {
                self.report(n, Severity::Error, Problem::InvalidOwner(bad));
                Vec::new()
            }
        };
    }
}

/// The pattern is the first token, where `\` escapes the next character (so `\ ` is a space in
/// the pattern); the rest of the line is owners.
fn split_pattern(line: &str) -> (&str, &str) {
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c.is_whitespace() {
            return (&line[..i], &line[i..]);
        }
    }
    (line, "")
}

#[cfg(test)]
#[path = "codeowners_tests.rs"]
mod tests;
