//! The console's side of ownership: the roster it searches, the assign dialog and the teams
//! view while they are open, and what the writer's and reader's answers do.

use super::action::Context;
use super::app::{Effect, State};
use super::assign::{self, AssignDialog};
use super::msg::RouteResponse;
use super::roster_search::Directory;
use super::teams::TeamsView;
use crate::store::TeamLoad;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Owners {
    /// People and teams from the config.
    pub directory: Arc<Directory>,
    pub assign: Option<AssignDialog>,
    pub teams: Option<TeamsView>,
    /// The teams view's last numbers, shown at once when it opens again.
    pub last_loads: Option<Vec<TeamLoad>>,
    generation: u64,
}

impl Owners {
    /// The keyboard's context while the dialog or the view is open.
    pub fn context(&self) -> Option<Context> {
        if self.assign.is_some() {
            Some(Context::Assign)
        } else if self.teams.is_some() {
            Some(Context::Teams)
        } else {
            None
        }
    }

    /// A number for the next request, so a late answer to an older one is known and dropped.
    pub fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }
}

/// The writer's answer about owners.
pub fn on_response(state: &mut State, response: RouteResponse) -> Vec<Effect> {
    let dialog = state.owners.assign.as_mut();
    match response {
        RouteResponse::Suggested {
            generation,
            plans,
            warnings,
        } => {
            if let Some(d) = dialog.filter(|d| d.generation == generation) {
                d.plans = Some(plans);
                d.warnings = warnings;
            }
            Vec::new()
        }
        RouteResponse::SuggestFailed {
            generation,
            message,
        } => {
            if let Some(d) = dialog.filter(|d| d.generation == generation) {
                d.plans = Some(Vec::new());
                d.plan_error = Some(message);
            }
            Vec::new()
        }
        RouteResponse::Applied(tally) => after_write(state, assign::applied_summary(&tally)),
        RouteResponse::Assigned {
            asked,
            changed,
            who,
        } => after_write(state, assign::assigned_summary(asked, changed, &who)),
        RouteResponse::Refused(message) => {
            // The dialog stays open on a refusal, with what was typed.
            match dialog.filter(|d| d.sending) {
                Some(d) => {
                    d.sending = false;
                    d.error = Some(message);
                }
                None => state.error = Some(message),
            }
            Vec::new()
        }
    }
}

/// A write went through: the dialog closes, the selection (which it was for) clears, and the
/// rows, counts and detail are read again.
fn after_write(state: &mut State, summary: String) -> Vec<Effect> {
    state.triage.notice = Some(summary);
    if state.owners.assign.as_ref().is_some_and(|d| d.sending) {
        state.owners.assign = None;
    }
    state.selection.clear();
    let mut out = state.reload();
    out.extend(super::teams::load(state));
    out
}

/// The reader's answer to the teams view.
pub fn on_teams(state: &mut State, generation: u64, result: Result<Vec<TeamLoad>, String>) {
    let owners = &mut state.owners;
    let Some(view) = owners.teams.as_mut().filter(|v| v.generation == generation) else {
        return;
    };
    view.reading = false;
    match result {
        Ok(loads) => {
            owners.last_loads = Some(loads.clone());
            view.loads = Some(loads);
        }
        Err(message) => {
            view.loads.get_or_insert_with(Vec::new);
            state.error = Some(message);
        }
    }
}
