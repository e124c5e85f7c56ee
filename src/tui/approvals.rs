//! The approvals view: pending decisions waiting for me, or those I asked for. From it a
//! decision is approved (with an optional note) or rejected (with a reason), or its finding
//! shown in the backlog. It says who may review each decision, and why I may not.

use super::action::{Action, Context};
use super::app::{Effect, Focus, State};
use super::decisions::{self, NO_ACTOR};
use super::editor::Editor;
use super::keymap::Key;
use super::msg::TriageEffect;
use crate::model::DecisionKind;
use crate::store::DecisionRow;
use crate::triage::policy::Policy;

#[derive(Debug, Clone, Default)]
pub struct ApprovalsView {
    /// What I asked for, rather than what waits for me.
    pub mine: bool,
    pub rows: Vec<DecisionRow>,
    pub cursor: usize,
    pub offset: usize,
    pub loading: bool,
    pub generation: u64,
    /// The note or reason being typed for the decision under the cursor.
    pub prompt: Option<ReviewPrompt>,
}

#[derive(Debug, Clone)]
pub struct ReviewPrompt {
    pub finding_id: i64,
    pub reject: bool,
    pub editor: Editor,
}

impl ApprovalsView {
    pub fn selected(&self) -> Option<&DecisionRow> {
        self.rows.get(self.cursor)
    }

    pub fn receive(&mut self, rows: Vec<DecisionRow>) {
        // Stay on the same decision if it is still there (another was reviewed meanwhile).
        let at = self.selected().map(|r| r.id);
        self.rows = rows;
        self.loading = false;
        self.cursor = at
            .and_then(|id| self.rows.iter().position(|r| r.id == id))
            .unwrap_or(self.cursor)
            .min(self.rows.len().saturating_sub(1));
    }

    /// Moves the cursor and keeps it among the `height` rows on screen.
    pub fn move_to(&mut self, target: i64, height: usize) {
        let last = self.rows.len().saturating_sub(1) as i64;
        self.cursor = target.clamp(0, last.max(0)) as usize;
        let height = height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        }
        if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
    }
}

/// The self-review rule, in the store's words.
pub const OWN_DECISION: &str = "you cannot review your own decision; another person must";

/// Why `me` may not approve (or, `approving` false, reject) a decision, if they may not.
pub fn refusal(row: &DecisionRow, me: &str, policy: &Policy, approving: bool) -> Option<String> {
    if row.actor == me {
        return Some(OWN_DECISION.into());
    }
    let lane = row.lane.as_deref();
    if approving && row.kind == DecisionKind::AcceptRisk && !policy.may_accept(lane, me) {
        return Some(format!(
            "{me} may not accept risk in lane {} (accept_by: {})",
            lane.unwrap_or("-"),
            accept_by(policy, lane).unwrap_or_default()
        ));
    }
    None
}

/// The lane's `accept_by` list, when it restricts who may accept risk.
pub fn accept_by(policy: &Policy, lane: Option<&str>) -> Option<String> {
    let l = policy.lane(lane?)?;
    (!l.accept_by.is_empty()).then(|| l.accept_by.join(", "))
}

/// Who may review a decision: anyone but its author, and for accepted risk only those the lane
/// allows. Handles and lane names are raw here: sanitize before showing.
pub fn who_may_review(row: &DecisionRow, policy: &Policy) -> String {
    let mut who = format!("anyone but {}", row.actor);
    if row.kind == DecisionKind::AcceptRisk
        && let Some(list) = accept_by(policy, row.lane.as_deref())
    {
        who.push_str(&format!("; approving needs one of {list}"));
    }
    who
}

/// Opens the view on what waits for me.
pub fn open(state: &mut State) -> Vec<Effect> {
    if state.triage.me.is_none() {
        state.error = Some(NO_ACTOR.into());
        return Vec::new();
    }
    state.error = None;
    state.triage.approvals = Some(ApprovalsView::default());
    state.triage.load_approvals().into_iter().collect()
}

/// Rows of decisions on screen (see `approvals_view::layout`).
fn list_height(state: &State) -> usize {
    super::approvals_view::list_rows(state)
}

/// An action while the view has the keyboard.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let h = list_height(state);
    let me = state.triage.me.clone().unwrap_or_default();
    let policy = state.triage.policy.clone();
    let Some(view) = state.triage.approvals.as_mut() else {
        return Vec::new();
    };
    let at = view.cursor as i64;
    let page = h.max(1) as i64;
    match action {
        Action::MoveDown => view.move_to(at + 1, h),
        Action::MoveUp => view.move_to(at - 1, h),
        Action::PageDown => view.move_to(at + page, h),
        Action::PageUp => view.move_to(at - page, h),
        Action::HalfPageDown => view.move_to(at + (page / 2).max(1), h),
        Action::HalfPageUp => view.move_to(at - (page / 2).max(1), h),
        Action::Top => view.move_to(0, h),
        Action::Bottom => view.move_to(i64::MAX / 2, h),
        Action::Approvals | Action::Back => state.triage.approvals = None,
        Action::SwitchList => {
            view.mine = !view.mine;
            view.rows.clear();
            view.cursor = 0;
            view.offset = 0;
            return state.triage.load_approvals().into_iter().collect();
        }
        Action::Approve | Action::Reject => {
            let approving = action == Action::Approve;
            let Some(row) = view.selected() else {
                return Vec::new();
            };
            let verb = if approving { "approve" } else { "reject" };
            if let Some(why) = refusal(row, &me, &policy, approving) {
                state.error = Some(format!("cannot {verb} #{}: {why}", row.finding_id));
                return Vec::new();
            }
            state.error = None;
            view.prompt = Some(ReviewPrompt {
                finding_id: row.finding_id,
                reject: !approving,
                editor: Editor::single_line(""),
            });
        }
        Action::GoToFinding => {
            let Some(id) = view.selected().map(|r| r.finding_id) else {
                return Vec::new();
            };
            state.triage.approvals = None;
            state.focus = Focus::Detail;
            return state.set_query(format!("id:{id}"));
        }
        Action::Help => state.help = Some(0),
        Action::Quit => state.quit = true,
        _ => {}
    }
    Vec::new()
}

/// A key while a note or reason is typed.
pub fn key_action(state: &mut State, key: Key) -> Option<Action> {
    let keymap = &state.keymap;
    let p = state.triage.approvals.as_mut()?.prompt.as_mut()?;
    decisions::text_key(keymap, Context::Review, key, &mut p.editor, &[])
}

/// An action while a note or reason is typed.
pub fn review_action(state: &mut State, action: Action) -> Vec<Effect> {
    let me = state.triage.me.clone();
    let Some(view) = state.triage.approvals.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Back => {
            view.prompt = None;
            state.error = None;
        }
        Action::Quit => state.quit = true,
        Action::SendReview => {
            let Some(p) = view.prompt.take() else {
                return Vec::new();
            };
            let text = p.editor.text().trim().to_string();
            if p.reject && text.is_empty() {
                view.prompt = Some(p);
                state.error = Some("a rejection needs a reason".into());
                return Vec::new();
            }
            let Some(actor) = me else {
                state.error = Some(NO_ACTOR.into());
                return Vec::new();
            };
            state.error = None;
            let given = (!text.is_empty()).then_some(text);
            return vec![Effect::Triage(TriageEffect::Review {
                ids: vec![p.finding_id],
                reject: if p.reject { given.clone() } else { None },
                note: if p.reject { None } else { given },
                actor,
            })];
        }
        _ => {}
    }
    Vec::new()
}
