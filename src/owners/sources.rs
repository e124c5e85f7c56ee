//! Reads each configured repo's ownership sources once (CODEOWNERS and catalogs from its local
//! clone, its team from config) and answers, per path, what they claim.

use super::catalog::Catalog;
use super::codeowners::{CodeOwners, Owner, Syntax};
use super::router::{Claim, Claimant};
use crate::config::{Config, Source};
use std::collections::HashMap;
use std::path::PathBuf;

/// One repo's sources.
pub struct RepoSources {
    pub name: String,
    /// The local clone, for blame.
    pub clone: Option<PathBuf>,
    url: Option<String>,
    codeowners: Option<CodeOwners>,
    catalog: Option<Catalog>,
    team: Option<String>,
}

pub struct Sources {
    repos: HashMap<String, RepoSources>,
    /// Problems worth telling the user (an unreadable CODEOWNERS, a clone that is missing);
    /// routing goes on without that source.
    pub warnings: Vec<String>,
}

impl Sources {
    pub fn load(config: &Config) -> Sources {
        let mut repos = HashMap::new();
        let mut warnings = Vec::new();
        for r in &config.repos {
            let repo = r.get_ref();
            let clone = repo.path.clone().filter(|p| {
                let ok = p.is_dir();
                if !ok {
                    warnings.push(format!(
                        "repo {}: clone {} is not a directory; routing it without CODEOWNERS, \
                         catalog or blame",
                        repo.name,
                        p.display()
                    ));
                }
                ok
            });
            let codeowners = clone.as_ref().and_then(|root| {
                let file = super::codeowners::locate(root)?;
                let rel = file
                    .strip_prefix(root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                match super::diagnostic::read_bounded(
                    &file,
                    super::codeowners::MAX_FILE_BYTES,
                    "CODEOWNERS",
                ) {
                    Ok(text) => {
                        let parsed = CodeOwners::parse(&rel, &text, Syntax::for_file(&file, &text));
                        for d in parsed.diagnostics() {
                            warnings.push(format!("repo {}: {d}", repo.name));
                        }
                        Some(parsed)
                    }
                    Err(e) => {
                        warnings.push(format!("repo {}: {e}", repo.name));
                        None
                    }
                }
            });
            let catalog = clone.as_ref().and_then(|root| {
                let (catalog, errors) = Catalog::load(root);
                for e in errors {
                    warnings.push(format!("repo {}: {e}", repo.name));
                }
                for d in catalog.diagnostics() {
                    warnings.push(format!("repo {}: {d}", repo.name));
                }
                let any = catalog.entities().next().is_some();
                any.then_some(catalog)
            });
            repos.insert(
                repo.name.clone(),
                RepoSources {
                    name: repo.name.clone(),
                    clone,
                    url: repo.url.clone(),
                    codeowners,
                    catalog,
                    team: repo.team.clone(),
                },
            );
        }
        Sources { repos, warnings }
    }

    pub fn repo(&self, name: &str) -> Option<&RepoSources> {
        self.repos.get(name)
    }

    /// What CODEOWNERS, catalogs and config say about `path` in `repo`, each claim once.
    pub fn claims(&self, repo: &str, path: Option<&str>) -> Vec<Claim> {
        let Some(r) = self.repos.get(repo) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let (Some(co), Some(path)) = (&r.codeowners, path) {
            let m = co.owners_of(path);
            for d in &m.decisions {
                let mut why = format!("{} `{}` line {}", m.origin, d.rule.pattern, d.rule.line);
                if let Some(sec) = d.section {
                    why.push_str(&format!(" [{}]", sec.name));
                }
                let owners = if d.rule.owners.is_empty() {
                    vec![Claimant::Other("no owners".into())]
                } else {
                    d.rule.owners.iter().map(claimant).collect()
                };
                out.push(Claim {
                    source: Source::Codeowners,
                    owners,
                    why,
                });
            }
        }
        if let (Some(catalog), Some(path)) = (&r.catalog, path)
            && let Some(m) = catalog.owner_of(&r.name, r.url.as_deref(), path)
        {
            let e = m.entity;
            let why = format!(
                "catalog `{}` line {}: {} {}",
                m.origin,
                m.line(),
                e.kind.to_lowercase(),
                e.name
            );
            let owner = match &e.owner {
                Some(o) if o.kind == "user" => Claimant::Person(o.name.clone()),
                Some(o) if o.kind == "group" => Claimant::Team(o.to_string()),
                Some(o) => Claimant::Other(o.to_string()),
                None => Claimant::Other("no owner".into()),
            };
            out.push(Claim {
                source: Source::Catalog,
                owners: vec![owner],
                why,
            });
        }
        if let Some(team) = &r.team {
            out.push(Claim {
                source: Source::Repo,
                owners: vec![Claimant::Team(team.clone())],
                why: format!("repo {} in config", r.name),
            });
        }
        out
    }
}

fn claimant(o: &Owner) -> Claimant {
    match o {
        Owner::User(u) => Claimant::Person(u.clone()),
        Owner::Email(e) => Claimant::Person(e.clone()),
        Owner::Team(t) => Claimant::Team(t.clone()),
        Owner::Role(r) => Claimant::Other(format!("@@{r}")),
    }
}
