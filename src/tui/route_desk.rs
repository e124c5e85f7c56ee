//! The writer thread's side of routing: the router's suggestions (`Planner::suggest`, the one
//! entry point the CLI uses too) and assignments through `Store::assign`, as `lastmile route
//! --apply` and `lastmile assign` make them.

use super::msg::{RouteEffect, RouteResponse, RouteTally};
use crate::clock::Clock;
use crate::config::Config;
use crate::owners::plan::{Action, Planner};
use crate::store::{AssignHow, Assigned, Assignment, Store};
use crate::triage::policy::Policy;
use chrono::NaiveDate;

/// The config routing reads, and the planner built from it for one day (who has left depends on
/// the day, so a console open past midnight builds a new one).
pub struct Routes {
    config: Config,
    planner: Option<Planner>,
}

impl Routes {
    pub fn new(config: Config) -> Routes {
        Routes {
            config,
            planner: None,
        }
    }

    fn planner(&mut self, today: NaiveDate) -> &Planner {
        if self.planner.as_ref().is_some_and(|p| p.today != today) {
            self.planner = None;
        }
        self.planner
            .get_or_insert_with(|| Planner::new(&self.config, today))
    }
}

/// Answers one request against the writer's store.
pub fn serve(
    store: &mut Store,
    routes: &mut Routes,
    policy: &Policy,
    clock: &dyn Clock,
    effect: RouteEffect,
) -> RouteResponse {
    let planner = routes.planner(clock.now().date_naive());
    let refused = |e: crate::store::StoreError| {
        tracing::warn!(error = %e, "console assignment refused");
        RouteResponse::Refused(e.to_string())
    };
    match effect {
        RouteEffect::Suggest { generation, ids } => match planner.suggest(store, &ids, false) {
            Ok(plans) => RouteResponse::Suggested {
                generation,
                plans,
                warnings: planner.warnings(),
            },
            Err(e) => RouteResponse::SuggestFailed {
                generation,
                message: e.to_string(),
            },
        },
        RouteEffect::ApplySuggestions { ids, actor } => {
            // Planned again: what was shown may be minutes old, and the store decides anyway.
            let plans = match planner.suggest(store, &ids, false) {
                Ok(p) => p,
                Err(e) => return refused(e),
            };
            let mut tally = RouteTally::default();
            let mut items = Vec::new();
            for p in &plans {
                match &p.action {
                    Action::Assign => items.extend(p.assignment().map(|a| (p.target.id, a))),
                    Action::Unchanged => tally.unchanged += 1,
                    Action::KeepManual { .. } => tally.kept += 1,
                    Action::Unrouted => tally.unrouted += 1,
                }
            }
            let departed = planner.departed();
            match store.assign(&items, &actor, false, &departed, policy, clock) {
                Ok(results) => {
                    for (_, r) in results {
                        match r {
                            Assigned::Changed => tally.assigned += 1,
                            Assigned::Unchanged => tally.unchanged += 1,
                            Assigned::KeptManual { .. } => tally.kept += 1,
                        }
                    }
                    RouteResponse::Applied(tally)
                }
                Err(e) => refused(e),
            }
        }
        RouteEffect::Assign {
            ids,
            owner,
            team,
            note,
            actor,
        } => {
            let who = who(owner.as_deref(), team.as_deref());
            let a = Assignment {
                owner,
                team,
                how: AssignHow::Manual,
                reason: note,
            };
            let items: Vec<(i64, Assignment)> = ids.iter().map(|&id| (id, a.clone())).collect();
            match store.assign(&items, &actor, false, &[], policy, clock) {
                Ok(results) => RouteResponse::Assigned {
                    asked: ids.len(),
                    changed: results
                        .iter()
                        .filter(|(_, r)| *r == Assigned::Changed)
                        .count(),
                    who,
                },
                Err(e) => refused(e),
            }
        }
    }
}

/// "@lee (payments)", "@lee", "team web", as the CLI says it.
pub fn who(owner: Option<&str>, team: Option<&str>) -> String {
    match (owner, team) {
        (Some(p), Some(t)) => format!("@{p} ({t})"),
        (Some(p), None) => format!("@{p}"),
        (None, Some(t)) => format!("team {t}"),
        (None, None) => "nobody".into(),
    }
}
