//! Routing a set of findings: read their sources, ask the router, and say for each what
//! applying the suggestion would do. The CLI's `route` and the console's assign dialog both
//! start here.

use super::blame::{BlameError, BlameOptions, Blamer};
use super::roster::Roster;
use super::router::{Author, Evidence, Router, Suggestion};
use super::sources::Sources;
use crate::config::Config;
use crate::config::Source;
use crate::store::routing::Target;
use crate::store::{AssignHow, Assignment, Store, StoreError};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// What applying a suggestion would do to one finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case", tag = "action")]
pub enum Action {
    Assign,
    /// Already assigned as suggested.
    Unchanged,
    /// A person assigned it; routing leaves that alone without --force.
    KeepManual {
        by: String,
        at: String,
    },
    /// Nothing claims it.
    Unrouted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub target: Target,
    pub suggestion: Suggestion,
    pub action: Action,
}

impl Planned {
    /// What applying it writes: the suggestion as a routed assignment, when the plan is to
    /// assign.
    pub fn assignment(&self) -> Option<Assignment> {
        (self.action == Action::Assign).then(|| Assignment {
            owner: self.suggestion.person.clone(),
            team: self.suggestion.team.clone(),
            how: AssignHow::Routed,
            reason: self.suggestion.chain(),
        })
    }
}

pub struct Planner {
    pub roster: Roster,
    pub sources: Sources,
    config: Config,
    pub today: NaiveDate,
    /// Problems met while routing (a clone that is not one); routing goes on without it.
    warnings: std::sync::Mutex<Vec<String>>,
}

/// Blame per finding id: authors of its lines, or why there are none.
pub type BlameMap = HashMap<i64, Result<Vec<Author>, String>>;

impl Planner {
    pub fn new(config: &Config, today: NaiveDate) -> Planner {
        Planner {
            roster: Roster::from_config(config),
            sources: Sources::load(config),
            config: config.clone(),
            today,
            warnings: Default::default(),
        }
    }

    fn warn(&self, w: String) {
        if let Ok(mut ws) = self.warnings.lock()
            && !ws.contains(&w)
        {
            ws.push(w);
        }
    }

    /// What the user should hear about the sources: unreadable files, clones that are not.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.sources.warnings.clone();
        if let Ok(ws) = self.warnings.lock() {
            out.extend(ws.iter().cloned());
        }
        out
    }

    /// Handles of the people who have left by today: their assignments no longer stand.
    pub fn departed(&self) -> Vec<String> {
        self.roster
            .people()
            .iter()
            .filter(|p| self.roster.left_by(p, self.today).is_some())
            .map(|p| p.handle.clone())
            .collect()
    }

    /// The day the person named `owner` left, if they have.
    pub fn owner_left(&self, owner: &str) -> Option<NaiveDate> {
        let p = self.roster.person(owner)?;
        self.roster.left_by(p, self.today)
    }

    /// Routes the findings with these ids: reads them, blames their lines (through the cache,
    /// which is why the store is mutable) and plans each.
    pub fn suggest(
        &self,
        store: &mut Store,
        ids: &[i64],
        force: bool,
    ) -> Result<Vec<Planned>, StoreError> {
        let targets = store.routing_targets(ids)?;
        let blame = if self.config.routing.order.contains(&Source::Blame) {
            self.blame(store, &targets)?
        } else {
            BlameMap::new()
        };
        Ok(self.plan(targets, &blame, force))
    }

    /// The authors of each target's lines, through the blame cache. Blame is taken at the
    /// commit the finding's scan ran on when the clone has it, else at the clone's HEAD.
    pub fn blame(&self, store: &mut Store, targets: &[Target]) -> Result<BlameMap, StoreError> {
        let mut out = BlameMap::new();
        // repo -> commit the scan named -> targets
        let mut groups: BTreeMap<&str, BTreeMap<Option<&str>, Vec<&Target>>> = BTreeMap::new();
        for t in targets.iter().filter(|t| t.path.is_some()) {
            groups
                .entry(t.repo.as_str())
                .or_default()
                .entry(t.commit.as_deref())
                .or_default()
                .push(t);
        }
        for (repo, by_commit) in groups {
            let Some(clone) = self.sources.repo(repo).and_then(|r| r.clone.as_ref()) else {
                continue;
            };
            let blamer = Blamer::new(repo, clone, BlameOptions::default());
            // Several scan commits may resolve to the same one (HEAD): blame each once.
            let mut resolved: BTreeMap<String, Vec<&Target>> = BTreeMap::new();
            for (scan_commit, ts) in by_commit {
                match blamer.resolve(scan_commit) {
                    Ok(r) => resolved.entry(r.commit).or_default().extend(ts),
                    // Not a clone at all: one warning, not a reason on every finding.
                    Err(
                        e @ (BlameError::NotARepo { .. }
                        | BlameError::GitMissing { .. }
                        | BlameError::NotTrusted { .. }),
                    ) => {
                        self.warn(format!("{e}; routing without blame"));
                        break;
                    }
                    Err(e) => {
                        for t in ts {
                            out.insert(t.id, Err(e.to_string()));
                        }
                    }
                }
            }
            for (commit, ts) in resolved {
                let paths: Vec<&str> = ts.iter().filter_map(|t| t.path.as_deref()).collect();
                let batch = store.blame_batch(&blamer, &commit, &paths)?;
                let errors: HashMap<&str, String> = batch
                    .errors
                    .iter()
                    .map(|(p, e)| (p.as_str(), e.to_string()))
                    .collect();
                for t in ts {
                    let Some(path) = t.path.as_deref() else {
                        continue;
                    };
                    let authors = match batch.blames.get(path) {
                        Some(b) => {
                            let start = t.start_line.unwrap_or(1).clamp(1, u32::MAX as i64) as u32;
                            let end = t
                                .end_line
                                .map_or(start, |e| e.clamp(start as i64, u32::MAX as i64) as u32);
                            Ok(b.authors_of(start, end)
                                .into_iter()
                                .map(|a| Author {
                                    name: a.name,
                                    email: a.email,
                                    time: a.latest,
                                    lines: a.lines as usize,
                                })
                                .collect())
                        }
                        None => Err(errors
                            .get(path)
                            .cloned()
                            .unwrap_or_else(|| format!("{path}: no blame"))),
                    };
                    out.insert(t.id, authors);
                }
            }
        }
        Ok(out)
    }

    pub fn plan(&self, targets: Vec<Target>, blame: &BlameMap, force: bool) -> Vec<Planned> {
        let router = Router {
            roster: &self.roster,
            routing: &self.config.routing,
            today: self.today,
        };
        // Findings crowd into few files (100k findings over 5k files is typical): match each
        // file against CODEOWNERS and catalogs once.
        let mut claims: HashMap<(String, Option<String>), Vec<super::router::Claim>> =
            HashMap::new();
        targets
            .into_iter()
            .map(|target| {
                let key = (target.repo.clone(), target.path.clone());
                let claims = claims
                    .entry(key)
                    .or_insert_with(|| self.sources.claims(&target.repo, target.path.as_deref()))
                    .clone();
                let evidence = Evidence {
                    blame: blame.get(&target.id).cloned(),
                    claims,
                };
                let mut suggestion = router.route(&evidence);
                let cur = &target.current;
                let left = cur.owner.as_deref().and_then(|o| self.owner_left(o));
                if let (Some(day), Some(owner)) = (left, &cur.owner) {
                    suggestion
                        .reasons
                        .insert(0, format!("owner @{owner} left {}", crate::clock::day(day)));
                }
                let action = if suggestion.confidence.is_none() {
                    Action::Unrouted
                } else if cur.how.as_deref() == Some("manual") && !force && left.is_none() {
                    Action::KeepManual {
                        by: cur.by.clone().unwrap_or_default(),
                        at: cur.at.clone().unwrap_or_default(),
                    }
                } else if cur.owner == suggestion.person && cur.team == suggestion.team {
                    Action::Unchanged
                } else {
                    Action::Assign
                };
                Planned {
                    target,
                    suggestion,
                    action,
                }
            })
            .collect()
    }
}
