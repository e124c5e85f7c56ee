//! The console's side of triage: who acts, the decision dialog and the approvals view while
//! they are open, and what the writer's answers do (a summary in the status bar, the rows,
//! counts and detail read again).

use super::action::{Action, Context};
use super::app::{Effect, State};
use super::approvals::ApprovalsView;
use super::daily::{self, Day};
use super::dialog::Dialog;
use super::editor::Editor;
use super::flags::{self, FlagsDialog};
use super::keymap::{Key, Keymap};
use super::msg::{TriageEffect, TriageResponse};
use crate::model::Status;
use crate::store::{DecisionResult, Outcome};
use crate::triage::policy::Policy;
use chrono::{DateTime, Utc};
use crossterm::event::KeyCode;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct Triage {
    /// Who acts, and who `owner:me` means: the config's `me` (the CLI sets it from `--as`).
    /// Without it nothing is written and a filter naming `me` is refused.
    pub me: Option<String>,
    pub policy: Arc<Policy>,
    /// The moment risk ages are measured against; the console sets it before every draw.
    pub now: Option<DateTime<Utc>>,
    /// What the last write did, shown in the status bar until the next key.
    pub notice: Option<String>,
    pub dialog: Option<Dialog>,
    pub flags: Option<FlagsDialog>,
    pub approvals: Option<ApprovalsView>,
    approvals_generation: u64,
    /// The dates the console last saw, to notice midnight (`tui::daily`).
    pub day: Option<Day>,
}

impl Default for Triage {
    fn default() -> Self {
        Triage {
            me: None,
            policy: Arc::new(Policy::default()),
            now: None,
            notice: None,
            dialog: None,
            flags: None,
            approvals: None,
            approvals_generation: 0,
            day: None,
        }
    }
}

/// Why nothing can be written without a name to write it under.
pub const NO_ACTOR: &str = "decisions need to know who you are: set `me` in the config, or start lastmile with --as HANDLE";

impl Triage {
    /// The keyboard's context while a dialog, a review note or the approvals view is open.
    pub fn context(&self) -> Option<Context> {
        if self.approvals.as_ref().is_some_and(|a| a.prompt.is_some()) {
            Some(Context::Review)
        } else if self.dialog.is_some() {
            Some(Context::Dialog)
        } else if self.flags.is_some() {
            Some(Context::Flags)
        } else if self.approvals.is_some() {
            Some(Context::Approvals)
        } else {
            None
        }
    }

    /// A request for the approvals list as it is to be shown now (`None` when it is closed).
    pub fn load_approvals(&mut self) -> Option<Effect> {
        let me = self.me.clone()?;
        let view = self.approvals.as_mut()?;
        self.approvals_generation += 1;
        view.generation = self.approvals_generation;
        view.loading = true;
        Some(Effect::Triage(TriageEffect::Approvals {
            generation: view.generation,
            mine: view.mine,
            me,
        }))
    }

    /// "now", or failing that the start of `today`: ages in the risk breakdown need a moment.
    pub fn moment(&self, today: Option<chrono::NaiveDate>) -> Option<DateTime<Utc>> {
        self.now.or_else(|| {
            today
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
    }
}

/// A key in a text field: what the keymap binds it to in `ctx` (a key that types a character
/// types it, and `to_editor` actions go to the editor), otherwise an edit. Esc always backs
/// out, whatever `[keys]` says, so a field can never trap the user.
pub fn text_key(
    keymap: &Keymap,
    ctx: Context,
    key: Key,
    editor: &mut Editor,
    to_editor: &[Action],
) -> Option<Action> {
    if key.text().is_some() {
        editor.edit(key);
        return None;
    }
    let bound = keymap
        .action_for(ctx, key)
        .filter(|a| !to_editor.contains(a));
    if bound.is_some() {
        return bound;
    }
    if key.code == KeyCode::Esc && key.mods.is_empty() {
        return Some(Action::Back);
    }
    editor.edit(key);
    None
}

/// "3 applied, 1 waiting for approval, 1 skipped: already false_positive".
pub fn decided_summary(results: &[DecisionResult]) -> String {
    let applied = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Applied { .. }))
        .count();
    let pending = results
        .iter()
        .filter(|r| r.outcome == Outcome::Pending)
        .count();
    let mut parts = Vec::new();
    if applied > 0 {
        parts.push(format!("{applied} applied"));
    }
    if pending > 0 {
        parts.push(format!("{pending} waiting for approval"));
    }
    parts.extend(skipped(results, "skipped", |_| true));
    if parts.is_empty() {
        return "nothing to decide".into();
    }
    parts.join(", ")
}

/// "1 approved", "1 rejected", "1 refused: you cannot review your own decision; …".
pub fn reviewed_summary(rejected: bool, results: &[DecisionResult]) -> String {
    let done = results
        .iter()
        .filter(|r| match &r.outcome {
            Outcome::Applied { .. } => !rejected,
            // The store reports a rejection as skipped, "rejected".
            Outcome::Skipped { why } => rejected && why == "rejected",
            Outcome::Pending => false,
        })
        .count();
    let mut parts = Vec::new();
    if done > 0 {
        let verb = if rejected { "rejected" } else { "approved" };
        parts.push(format!("{done} {verb}"));
    }
    parts.extend(skipped(results, "refused", |why| why != "rejected"));
    if parts.is_empty() {
        return "nothing to review".into();
    }
    parts.join(", ")
}

/// "2 skipped: already open; cannot duplicate itself": the reasons, each once.
fn skipped(results: &[DecisionResult], word: &str, counts: fn(&str) -> bool) -> Option<String> {
    let whys: Vec<&str> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Skipped { why } if counts(why) => Some(why.as_str()),
            _ => None,
        })
        .collect();
    if whys.is_empty() {
        return None;
    }
    let mut distinct: Vec<&str> = Vec::new();
    for w in &whys {
        if !distinct.contains(w) {
            distinct.push(w);
        }
    }
    Some(format!("{} {word}: {}", whys.len(), distinct.join("; ")))
}

/// What the status a decision leads to is called, for the dialog.
pub fn status_word(s: Option<Status>) -> String {
    s.map_or_else(|| "status stays".into(), |s| format!("→ {s}"))
}

/// A writer's answer.
pub fn on_response(state: &mut State, response: TriageResponse) -> Vec<Effect> {
    let t = &mut state.triage;
    match response {
        TriageResponse::Decided(results) => {
            t.notice = Some(decided_summary(&results));
            if t.dialog.as_ref().is_some_and(|d| d.sending) {
                t.dialog = None;
            }
            // The selection was for this decision; the next one starts afresh.
            state.selection.clear();
            after_write(state)
        }
        TriageResponse::Reviewed { rejected, results } => {
            t.notice = Some(reviewed_summary(rejected, &results));
            after_write(state)
        }
        TriageResponse::Refused(message) => {
            // The dialog stays open on the store's refusal so the justification is not lost.
            if let Some(d) = t.dialog.as_mut().filter(|d| d.sending) {
                d.sending = false;
                d.error = Some(message);
            } else if let Some(d) = t.flags.as_mut().filter(|d| d.sending) {
                d.sending = false;
                d.error = Some(message);
            } else {
                state.error = Some(message);
            }
            Vec::new()
        }
        TriageResponse::FlagsSet { asked, changed } => flags::on_set(state, asked, changed.len()),
        TriageResponse::Ticked {
            expired,
            recomputed,
        } => daily::on_ticked(state, expired, recomputed),
        TriageResponse::TickFailed(message) => daily::on_failed(state, message),
        TriageResponse::Approvals { generation, rows } => {
            if let Some(view) = t.approvals.as_mut().filter(|v| v.generation == generation) {
                view.receive(rows);
            }
            Vec::new()
        }
        TriageResponse::ApprovalsFailed {
            generation,
            message,
        } => {
            if let Some(view) = t.approvals.as_mut().filter(|v| v.generation == generation) {
                view.loading = false;
                state.error = Some(message);
            }
            Vec::new()
        }
    }
}

/// Everything a write may have changed, read again.
pub(super) fn after_write(state: &mut State) -> Vec<Effect> {
    let mut out = state.reload();
    out.extend(state.triage.load_approvals());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: i64, outcome: Outcome) -> DecisionResult {
        DecisionResult {
            finding_id: id,
            decision_id: Some(id),
            outcome,
        }
    }

    #[test]
    fn summaries_count_each_outcome_and_name_each_reason_once() {
        let applied = Outcome::Applied {
            from: Status::Open,
            to: Status::FalsePositive,
        };
        let skip = |why: &str| Outcome::Skipped { why: why.into() };
        let results = [
            result(1, applied.clone()),
            result(2, applied.clone()),
            result(3, applied),
            result(4, Outcome::Pending),
            result(5, skip("already false_positive")),
        ];
        assert_eq!(
            decided_summary(&results),
            "3 applied, 1 waiting for approval, 1 skipped: already false_positive"
        );
        let results = [
            result(1, skip("already open")),
            result(2, skip("already open")),
        ];
        assert_eq!(decided_summary(&results), "2 skipped: already open");
        assert_eq!(decided_summary(&[]), "nothing to decide");

        let own = "you cannot review your own decision; another person must";
        let results = [result(1, skip("rejected")), result(2, skip(own))];
        assert_eq!(
            reviewed_summary(true, &results),
            format!("1 rejected, 1 refused: {own}")
        );
        assert_eq!(
            reviewed_summary(false, &results[1..]),
            format!("1 refused: {own}")
        );
    }
}
