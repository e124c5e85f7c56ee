//! The flags dialog: "exploit validated" and "reachable" on the selected findings (or the row
//! under the cursor), each left as it is, set or cleared, with a reason. Both flags feed risk,
//! so after the write the list, counts and detail are read again: risk and lane may move.

use super::action::{Action, Context};
use super::app::{Effect, State};
use super::decisions::{self, NO_ACTOR};
use super::editor::Editor;
use super::keymap::Key;
use super::msg::TriageEffect;
use crate::store::Flags;

/// What to do with one flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Choice {
    /// Each finding keeps what it has: a bulk change must not overwrite what it was not about.
    #[default]
    Leave,
    Yes,
    No,
}

impl Choice {
    pub fn next(self) -> Choice {
        match self {
            Choice::Leave => Choice::Yes,
            Choice::Yes => Choice::No,
            Choice::No => Choice::Leave,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Choice::Leave => "leave as is",
            Choice::Yes => "yes",
            Choice::No => "no",
        }
    }

    fn value(self) -> Option<bool> {
        match self {
            Choice::Leave => None,
            Choice::Yes => Some(true),
            Choice::No => Some(false),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagField {
    Validated,
    Reachable,
    Reason,
}

const ORDER: [FlagField; 3] = [
    FlagField::Validated,
    FlagField::Reachable,
    FlagField::Reason,
];

#[derive(Debug, Clone)]
pub struct FlagsDialog {
    /// The findings, fixed when the dialog opened.
    pub ids: Vec<i64>,
    pub field: FlagField,
    pub validated: Choice,
    pub reachable: Choice,
    pub reason: Editor,
    pub error: Option<String>,
    /// Sent, waiting for the writer's answer.
    pub sending: bool,
}

impl FlagsDialog {
    pub fn new(ids: Vec<i64>) -> FlagsDialog {
        FlagsDialog {
            ids,
            field: FlagField::Validated,
            validated: Choice::Leave,
            reachable: Choice::Leave,
            reason: Editor::multi_line(""),
            error: None,
            sending: false,
        }
    }

    fn choice_mut(&mut self) -> Option<&mut Choice> {
        match self.field {
            FlagField::Validated => Some(&mut self.validated),
            FlagField::Reachable => Some(&mut self.reachable),
            FlagField::Reason => None,
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

    /// The change the fields describe, or the field at fault and what is wrong with it.
    pub fn request(&self) -> Result<(Flags, String), (FlagField, String)> {
        let flags = Flags {
            validated: self.validated.value(),
            reachable: self.reachable.value(),
        };
        if flags == Flags::default() {
            return Err((
                FlagField::Validated,
                "nothing to change: set a flag to yes or no".into(),
            ));
        }
        let reason = self.reason.text().trim().to_string();
        if reason.is_empty() {
            return Err((
                FlagField::Reason,
                "a flag change needs a reason: say why".into(),
            ));
        }
        Ok((flags, reason))
    }
}

/// Opens the dialog on the selection, or the row under the cursor.
pub fn open(state: &mut State) -> Vec<Effect> {
    let Some(ids) = state.acting_on("flag") else {
        return Vec::new();
    };
    state.triage.flags = Some(FlagsDialog::new(ids));
    Vec::new()
}

/// A key in the dialog: an action, a choice by letter, or a character for the reason.
pub fn key_action(state: &mut State, key: Key) -> Option<Action> {
    let keymap = &state.keymap;
    let d = state.triage.flags.as_mut()?;
    if d.field == FlagField::Reason {
        return decisions::text_key(
            keymap,
            Context::Flags,
            key,
            &mut d.reason,
            &[Action::MoveDown, Action::MoveUp],
        );
    }
    match keymap.action_for(Context::Flags, key) {
        // A letter never quits from inside a dialog; it picks a choice.
        Some(Action::Quit) if key.text().is_some() => None,
        Some(action) => Some(action),
        None => {
            let picked = match key.text().map(|c| c.to_ascii_lowercase()) {
                Some('y') => Some(Choice::Yes),
                Some('n') => Some(Choice::No),
                Some('l') => Some(Choice::Leave),
                _ if key.code == crossterm::event::KeyCode::Esc => return Some(Action::Back),
                _ => None,
            };
            if let (Some(c), Some(slot)) = (picked, d.choice_mut()) {
                *slot = c;
            }
            None
        }
    }
}

/// Applies an action while the dialog is open.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let me = state.triage.me.clone();
    let Some(d) = state.triage.flags.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::NextField | Action::MoveDown => d.step_field(true),
        Action::PrevField | Action::MoveUp => d.step_field(false),
        Action::CycleFlag => {
            if let Some(c) = d.choice_mut() {
                *c = c.next();
            }
        }
        Action::Back => state.triage.flags = None,
        Action::Help => state.help = Some(0),
        Action::Quit => state.quit = true,
        Action::Submit if d.sending => {}
        Action::Submit => match d.request() {
            Err((field, message)) => {
                d.field = field;
                d.error = Some(message);
            }
            Ok((flags, reason)) => {
                let Some(actor) = me else {
                    d.error = Some(NO_ACTOR.into());
                    return Vec::new();
                };
                d.error = None;
                d.sending = true;
                return vec![Effect::Triage(TriageEffect::SetFlags {
                    ids: d.ids.clone(),
                    flags,
                    reason,
                    actor,
                })];
            }
        },
        _ => {}
    }
    Vec::new()
}

/// "flags changed on 2 of 3 findings".
pub fn summary(asked: usize, changed: usize) -> String {
    let noun = if asked == 1 { "finding" } else { "findings" };
    if changed == 0 {
        return format!("no flags changed: the {noun} already had them");
    }
    format!("flags changed on {changed} of {asked} {noun}")
}

/// The writer's answer to the dialog: the dialog closes and everything is read again.
pub fn on_set(state: &mut State, asked: usize, changed: usize) -> Vec<Effect> {
    state.triage.notice = Some(summary(asked, changed));
    if state.triage.flags.as_ref().is_some_and(|d| d.sending) {
        state.triage.flags = None;
    }
    // As with a decision, the selection was for this change.
    state.selection.clear();
    decisions::after_write(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_needs_a_flag_and_a_reason() {
        let mut d = FlagsDialog::new(vec![1, 2]);
        assert_eq!(d.request().unwrap_err().0, FlagField::Validated);
        d.validated = Choice::Leave.next();
        assert_eq!(d.request().unwrap_err().0, FlagField::Reason);
        d.reason.insert_text("  poc in ticket 7 ");
        let (flags, reason) = d.request().unwrap();
        assert_eq!(
            flags,
            Flags {
                validated: Some(true),
                reachable: None
            }
        );
        assert_eq!(reason, "poc in ticket 7");
        d.reachable = Choice::Yes.next();
        assert_eq!(d.request().unwrap().0.reachable, Some(false));
        assert_eq!(Choice::No.next(), Choice::Leave, "comes round");
        d.field = FlagField::Reason;
        d.step_field(true);
        assert_eq!(d.field, FlagField::Validated);
    }

    #[test]
    fn the_summary_counts_what_changed() {
        assert_eq!(summary(3, 2), "flags changed on 2 of 3 findings");
        assert_eq!(summary(1, 1), "flags changed on 1 of 1 finding");
        assert_eq!(
            summary(2, 0),
            "no flags changed: the findings already had them"
        );
    }
}
