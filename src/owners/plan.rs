//! Routing a set of findings: read their sources, ask the router, and say for each what
//! applying the suggestion would do. The CLI's `route` and the console's assign dialog both
//! start here.

use super::roster::Roster;
use super::router::{Author, Evidence, Router, Suggestion};
use super::sources::Sources;
use crate::config::Config;
use crate::store::routing::Target;
use crate::store::{Store, StoreError};
use chrono::NaiveDate;
use std::collections::HashMap;

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

pub struct Planner {
    pub roster: Roster,
    pub sources: Sources,
    config: Config,
    pub today: NaiveDate,
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
        }
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
        let blame = BlameMap::new();
        Ok(self.plan(targets, &blame, force))
    }

    pub fn plan(&self, targets: Vec<Target>, blame: &BlameMap, force: bool) -> Vec<Planned> {
        let router = Router {
            roster: &self.roster,
            routing: &self.config.routing,
            today: self.today,
        };
        targets
            .into_iter()
            .map(|target| {
                let evidence = Evidence {
                    blame: blame.get(&target.id).cloned(),
                    claims: self.sources.claims(&target.repo, target.path.as_deref()),
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
