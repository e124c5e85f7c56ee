//! The assign dialog: who the router suggests for the selected findings (or the row under the
//! cursor) and why, applied with one key; or a person or team picked from the roster by fuzzy
//! search and assigned by hand, with an optional note. Suggestions are computed on the writer
//! thread (the router blames lines through a cache it writes); writes go through the same
//! store command as `lastmile route --apply` and `lastmile assign`.

use super::action::{Action, Context};
use super::app::{Effect, State};
use super::decisions::{self, NO_ACTOR};
use super::editor::Editor;
use super::keymap::Key;
use super::msg::{RouteEffect, RouteTally};
use super::roster_search::{Directory, EntryKind};
use crate::owners::plan::{Action as Plan, Planned};
use crate::owners::router::Confidence;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignField {
    /// The router's suggestions (scrolls; `ctrl-s` applies them).
    Suggestions,
    /// The roster search box and its matches.
    Search,
    /// The note for an assignment by hand.
    Note,
}

const ORDER: [AssignField; 3] = [
    AssignField::Suggestions,
    AssignField::Search,
    AssignField::Note,
];

#[derive(Debug, Clone)]
pub struct AssignDialog {
    /// The findings, fixed when the dialog opened.
    pub ids: Vec<i64>,
    /// Which suggestion request is the current one.
    pub generation: u64,
    /// None until the router answers ("routing…").
    pub plans: Option<Vec<Planned>>,
    /// Why there are no suggestions, when the router failed.
    pub plan_error: Option<String>,
    /// Sources the router could not read.
    pub warnings: Vec<String>,
    pub field: AssignField,
    /// First line of the suggestions on screen.
    pub scroll: usize,
    pub search: Editor,
    /// Indexes into the directory, best match first.
    pub matches: Vec<usize>,
    /// The highlighted match.
    pub pick: usize,
    pub note: Editor,
    pub error: Option<String>,
    /// Sent, waiting for the writer's answer.
    pub sending: bool,
}

impl AssignDialog {
    pub fn new(ids: Vec<i64>, generation: u64, directory: &Directory) -> AssignDialog {
        AssignDialog {
            ids,
            generation,
            plans: None,
            plan_error: None,
            warnings: Vec::new(),
            field: AssignField::Suggestions,
            scroll: 0,
            search: Editor::single_line(""),
            matches: directory.search(""),
            pick: 0,
            note: Editor::single_line(""),
            error: None,
            sending: false,
        }
    }

    fn step_field(&mut self, forward: bool) {
        let i = ORDER.iter().position(|f| *f == self.field).unwrap_or(0);
        let n = ORDER.len();
        self.field = ORDER[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// Searches the roster again for what the box holds; the best match is highlighted.
    pub fn research(&mut self, directory: &Directory) {
        self.matches = directory.search(&self.search.text());
        self.pick = 0;
    }

    fn move_pick(&mut self, delta: i64) {
        let last = self.matches.len().saturating_sub(1) as i64;
        self.pick = (self.pick as i64 + delta).clamp(0, last.max(0)) as usize;
    }
}

/// Suggestions for a selection, grouped: (person, team, confidence) and how many findings.
pub type Group = (Option<String>, Option<String>, Option<Confidence>, usize);

/// What applying would assign, grouped by suggestion (most findings first), and the counts of
/// the rest.
pub fn groups(plans: &[Planned]) -> (Vec<Group>, RouteTally) {
    let mut out: Vec<Group> = Vec::new();
    let mut rest = RouteTally::default();
    for p in plans {
        match p.action {
            Plan::Assign => {
                let s = &p.suggestion;
                match out
                    .iter_mut()
                    .find(|g| g.0 == s.person && g.1 == s.team && g.2 == s.confidence)
                {
                    Some(g) => g.3 += 1,
                    None => out.push((s.person.clone(), s.team.clone(), s.confidence, 1)),
                }
            }
            Plan::Unchanged => rest.unchanged += 1,
            Plan::KeepManual { .. } => rest.kept += 1,
            Plan::Unrouted => rest.unrouted += 1,
        }
    }
    out.sort_by_key(|g| std::cmp::Reverse(g.3));
    (out, rest)
}

/// "5 assigned by routing, 2 kept (assigned by hand), 1 unrouted".
pub fn applied_summary(t: &RouteTally) -> String {
    let mut parts = Vec::new();
    if t.assigned > 0 {
        parts.push(format!("{} assigned by routing", t.assigned));
    }
    if t.unchanged > 0 {
        parts.push(format!("{} already were", t.unchanged));
    }
    if t.kept > 0 {
        parts.push(format!("{} kept (assigned by hand)", t.kept));
    }
    if t.unrouted > 0 {
        parts.push(format!("{} unrouted", t.unrouted));
    }
    if parts.is_empty() {
        return "nothing to route".into();
    }
    parts.join(", ")
}

/// "12 assigned to @lee (payments), 2 already were".
pub fn assigned_summary(asked: usize, changed: usize, who: &str) -> String {
    let already = asked - changed.min(asked);
    match (changed, already) {
        (0, _) => format!("all {asked} already assigned to {who}"),
        (n, 0) => format!("{n} assigned to {who}"),
        (n, a) => format!("{n} assigned to {who}, {a} already were"),
    }
}

/// Opens the dialog on the selection, or the row under the cursor, and asks for suggestions.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(ids) = state.acting_on("assign") else {
        return Vec::new();
    };
    let generation = state.owners.next_generation();
    let dialog = AssignDialog::new(ids.clone(), generation, &state.owners.directory);
    state.owners.assign = Some(dialog);
    vec![Effect::Route(RouteEffect::Suggest { generation, ids })]
}

/// A key in the dialog: an action, or a character for the search box or the note.
pub fn key_action(state: &mut State, key: Key) -> Option<Action> {
    let keymap = &state.keymap;
    let directory = state.owners.directory.clone();
    let d = state.owners.assign.as_mut()?;
    match d.field {
        AssignField::Search => {
            let before = d.search.text();
            let action = decisions::text_key(keymap, Context::Assign, key, &mut d.search, &[]);
            if d.search.text() != before {
                d.research(&directory);
            }
            action
        }
        AssignField::Note => decisions::text_key(keymap, Context::Assign, key, &mut d.note, &[]),
        AssignField::Suggestions => {
            let bound = keymap.action_for(Context::Assign, key);
            // Typing a name starts the search, whatever letter it starts with (so `j` and `k`
            // do not scroll here; the arrows do), and a letter never quits from a dialog.
            if key.text().is_some() && bound != Some(Action::Help) {
                d.field = AssignField::Search;
                d.search.edit(key);
                d.research(&directory);
                return None;
            }
            match bound {
                Some(action) => Some(action),
                None if key.code == crossterm::event::KeyCode::Esc => Some(Action::Back),
                None => None,
            }
        }
    }
}

/// Applies an action while the dialog is open.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let me = state.triage.me.clone();
    let today = state.today;
    let directory = state.owners.directory.clone();
    let Some(d) = state.owners.assign.as_mut() else {
        return Vec::new();
    };
    let picking = d.field != AssignField::Suggestions;
    match action {
        Action::NextField => d.step_field(true),
        Action::PrevField => d.step_field(false),
        Action::MoveDown if picking => d.move_pick(1),
        Action::MoveUp if picking => d.move_pick(-1),
        Action::MoveDown => d.scroll += 1,
        Action::MoveUp => d.scroll = d.scroll.saturating_sub(1),
        Action::Back => state.owners.assign = None,
        Action::Help => state.help = Some(0),
        Action::Quit => state.quit = true,
        _ if d.sending => {}
        Action::ApplySuggestions => {
            let Some(plans) = &d.plans else {
                d.error = Some("the router has not answered yet".into());
                return Vec::new();
            };
            let (groups, rest) = groups(plans);
            if groups.is_empty() {
                d.error = Some(format!("nothing to assign: {}", applied_summary(&rest)));
                return Vec::new();
            }
            let Some(actor) = me else {
                d.error = Some(NO_ACTOR.into());
                return Vec::new();
            };
            d.error = None;
            d.sending = true;
            return vec![Effect::Route(RouteEffect::ApplySuggestions {
                ids: d.ids.clone(),
                actor,
            })];
        }
        Action::AssignPick if !picking => {
            d.field = AssignField::Search;
        }
        Action::AssignPick => {
            if d.search.text().trim().is_empty() {
                d.field = AssignField::Search;
                d.error = Some("type a name to search the roster".into());
                return Vec::new();
            }
            let Some(entry) = d
                .matches
                .get(d.pick)
                .and_then(|&i| directory.entries.get(i))
            else {
                d.error = Some("nobody in the roster matches".into());
                return Vec::new();
            };
            if let Some(day) = entry.left_by(today) {
                d.error = Some(format!(
                    "@{} left on {}; pick someone who is here",
                    crate::sanitize::line(&entry.name),
                    crate::clock::day(day)
                ));
                return Vec::new();
            }
            let (owner, team) = match entry.kind {
                EntryKind::Person => (Some(entry.name.clone()), entry.team.clone()),
                EntryKind::Team => (None, Some(entry.name.clone())),
            };
            let Some(actor) = me else {
                d.error = Some(NO_ACTOR.into());
                return Vec::new();
            };
            d.error = None;
            d.sending = true;
            return vec![Effect::Route(RouteEffect::Assign {
                ids: d.ids.clone(),
                owner,
                team,
                note: d.note.text().trim().to_string(),
                actor,
            })];
        }
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_say_what_happened_to_each_finding() {
        let t = RouteTally {
            assigned: 5,
            unchanged: 1,
            kept: 2,
            unrouted: 1,
        };
        assert_eq!(
            applied_summary(&t),
            "5 assigned by routing, 1 already were, 2 kept (assigned by hand), 1 unrouted"
        );
        assert_eq!(applied_summary(&RouteTally::default()), "nothing to route");
        assert_eq!(
            assigned_summary(14, 12, "@lee"),
            "12 assigned to @lee, 2 already were"
        );
        assert_eq!(assigned_summary(3, 3, "team web"), "3 assigned to team web");
        assert_eq!(
            assigned_summary(2, 0, "@lee"),
            "all 2 already assigned to @lee"
        );
    }
}
