//! The two lines typed at the bottom of the screen: `/` a filter, `:` a command.

use super::action::Action;
use super::app::{Effect, State};
use super::editor::Editor;
use super::views::{self, Command};
use crate::query;

/// What a line being typed is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    /// `/`: a filter query.
    Filter,
    /// `:`: a command.
    Command,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub editor: Editor,
}

pub(super) fn filter_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::ApplyFilter => {
            let Some(p) = state.input.as_mut() else {
                return Vec::new();
            };
            let text = p.editor.text().trim().to_string();
            // Whether a filter is valid depends on who asks, never on the time: any instant does.
            let ctx = query::Context::new(chrono::DateTime::UNIX_EPOCH, state.triage.me.clone());
            if let Err(e) = query::to_sql(&text, &ctx) {
                // Keep the input open on the mistake; the rows stay those of the old filter.
                p.editor.set_column(e.column);
                state.error = Some(e.to_string());
                return Vec::new();
            }
            state.input = None;
            state.error = None;
            state.set_query(text)
        }
        other => prompt_action(state, other),
    }
}

pub(super) fn command_action(state: &mut State, action: Action) -> Vec<Effect> {
    if action != Action::RunCommand {
        return prompt_action(state, action);
    }
    let Some(p) = state.input.take() else {
        return Vec::new();
    };
    // Like vi: the line closes whatever happens, and a mistake is told in the status bar.
    match views::parse(&p.editor.text(), &state.tabs) {
        Ok(Command::Nothing) => Vec::new(),
        Ok(Command::Quit) => {
            state.quit = true;
            Vec::new()
        }
        Ok(Command::Help) => {
            state.help = Some(0);
            Vec::new()
        }
        Ok(Command::View(name)) => match views::find(&state.tabs, &name) {
            Some(i) => state.switch_tab(i),
            None => Vec::new(),
        },
        Ok(Command::Sort(sort)) => {
            state.error = None;
            state.set_sort(sort)
        }
        Err(message) => {
            state.error = Some(message);
            Vec::new()
        }
    }
}

/// What both input lines do besides submitting.
fn prompt_action(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Back => {
            state.input = None;
            state.error = None;
        }
        Action::Quit => state.quit = true,
        _ => {}
    }
    Vec::new()
}
