//! The named actions of the console. The names are the contract with `[keys]` in the config
//! and with the help overlay, so they never change once released.

/// Where the keyboard is: each context sees only the actions that mean something there, so one
/// key can do different things in the list and in the filter input without a second table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    List,
    Detail,
    Filter,
    /// The `:` command line.
    Command,
    Help,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::List,
        Context::Detail,
        Context::Filter,
        Context::Command,
        Context::Help,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::List => "list",
            Context::Detail => "detail",
            Context::Filter => "filter input",
            Context::Command => "command line",
            Context::Help => "help",
        }
    }

    /// A text input, where keys that type a character type it.
    pub fn is_input(self) -> bool {
        matches!(self, Context::Filter | Context::Command)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    MoveDown,
    MoveUp,
    PageDown,
    PageUp,
    HalfPageDown,
    HalfPageUp,
    Top,
    Bottom,
    ToggleDetail,
    ToggleSelect,
    SelectRange,
    SortNext,
    SortReverse,
    NextView,
    PrevView,
    Filter,
    ApplyFilter,
    Command,
    RunCommand,
    Refresh,
    Help,
    Back,
    Quit,
}

use Context::{Command, Detail, Filter, Help, List};

/// Scrolling means the same thing wherever there is something to scroll.
const SCROLLING: &[Context] = &[List, Detail, Help];

struct Spec {
    action: Action,
    name: &'static str,
    description: &'static str,
    keys: &'static [&'static str],
    contexts: &'static [Context],
}

/// The one table: name, help text, default keys and where each action applies.
const SPECS: &[Spec] = &[
    Spec {
        action: Action::MoveDown,
        name: "move_down",
        description: "Next row; scroll down in detail and help",
        keys: &["j", "down"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::MoveUp,
        name: "move_up",
        description: "Previous row; scroll up in detail and help",
        keys: &["k", "up"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::PageDown,
        name: "page_down",
        description: "One screen down",
        keys: &["pgdn"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::PageUp,
        name: "page_up",
        description: "One screen up",
        keys: &["pgup"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::HalfPageDown,
        name: "half_page_down",
        description: "Half a screen down",
        keys: &["ctrl-d"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::HalfPageUp,
        name: "half_page_up",
        description: "Half a screen up",
        keys: &["ctrl-u"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::Top,
        name: "top",
        description: "First row",
        keys: &["g", "home"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::Bottom,
        name: "bottom",
        description: "Last row",
        keys: &["G", "end"],
        contexts: SCROLLING,
    },
    Spec {
        action: Action::ToggleDetail,
        name: "toggle_detail",
        description: "Switch focus between list and detail pane",
        keys: &["enter", "tab"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::ToggleSelect,
        name: "toggle_select",
        description: "Select or unselect the row (marked *)",
        keys: &["space"],
        contexts: &[List],
    },
    Spec {
        action: Action::SelectRange,
        name: "select_range",
        description: "Start or end a range selection at the row",
        keys: &["V"],
        contexts: &[List],
    },
    Spec {
        action: Action::SortNext,
        name: "sort_next",
        description: "Sort by the next column",
        keys: &["s"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::SortReverse,
        name: "sort_reverse",
        description: "Reverse the sort",
        keys: &["S"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::NextView,
        name: "next_view",
        description: "Next saved view (tab)",
        keys: &["]"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::PrevView,
        name: "prev_view",
        description: "Previous saved view (tab)",
        keys: &["["],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::Filter,
        name: "filter",
        description: "Edit the filter (language below)",
        keys: &["/"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::ApplyFilter,
        name: "apply_filter",
        description: "Apply the filter being typed",
        keys: &["enter"],
        contexts: &[Filter],
    },
    Spec {
        action: Action::Command,
        name: "command",
        description: "Command line: view NAME, sort FIELD, q",
        keys: &[":"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::RunCommand,
        name: "run_command",
        description: "Run the command being typed",
        keys: &["enter"],
        contexts: &[Command],
    },
    Spec {
        action: Action::Refresh,
        name: "refresh",
        description: "Reload rows and count from the database",
        keys: &["r", "ctrl-r"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::Help,
        name: "help",
        description: "Show or hide this help",
        keys: &["?", "f1"],
        contexts: &[List, Detail, Help],
    },
    Spec {
        action: Action::Back,
        name: "back",
        description: "Close help/detail/input; clear selection, else filter",
        keys: &["esc"],
        contexts: &[List, Detail, Filter, Command, Help],
    },
    Spec {
        action: Action::Quit,
        name: "quit",
        description: "Quit",
        keys: &["q", "ctrl-c"],
        contexts: &[List, Detail, Filter, Command, Help],
    },
];

impl Action {
    /// Every action, in the order help lists them.
    pub fn all() -> impl Iterator<Item = Action> {
        SPECS.iter().map(|s| s.action)
    }

    fn spec(self) -> &'static Spec {
        // SPECS lists the variants in declaration order (checked by a test).
        &SPECS[self as usize]
    }

    /// The stable snake_case name used in `[keys]`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn description(self) -> &'static str {
        self.spec().description
    }

    pub fn default_keys(self) -> &'static [&'static str] {
        self.spec().keys
    }

    pub fn contexts(self) -> &'static [Context] {
        self.spec().contexts
    }

    pub fn applies_in(self, context: Context) -> bool {
        self.contexts().contains(&context)
    }

    pub fn from_name(name: &str) -> Option<Action> {
        SPECS.iter().find(|s| s.name == name).map(|s| s.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_action_has_one_spec_and_a_unique_snake_case_name() {
        let mut names = HashSet::new();
        let mut actions = HashSet::new();
        for (i, s) in SPECS.iter().enumerate() {
            assert_eq!(
                s.action as usize, i,
                "SPECS out of declaration order at {}",
                s.name
            );
            assert!(names.insert(s.name), "{} twice", s.name);
            assert!(actions.insert(s.action), "{:?} twice", s.action);
            assert!(
                s.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                s.name
            );
            assert_eq!(Action::from_name(s.name), Some(s.action));
            assert!(!s.contexts.is_empty());
        }
        assert_eq!(
            Action::Quit as usize + 1,
            SPECS.len(),
            "the last variant needs a spec"
        );
    }
}
