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
    /// The decision dialog (`decide`).
    Dialog,
    /// The approvals view: pending decisions.
    Approvals,
    /// The approve/reject note being typed in the approvals view.
    Review,
    /// The flags dialog (`flags`): exploit validated and reachable.
    Flags,
    /// The assign dialog (`assign`): the router's suggestions and the roster search.
    Assign,
    /// The teams view: each team's active work.
    Teams,
    /// The sync view: the outbox, conflicts and each tracker endpoint's mark.
    SyncView,
}

impl Context {
    pub const ALL: [Context; 12] = [
        Context::List,
        Context::Detail,
        Context::Filter,
        Context::Command,
        Context::Help,
        Context::Dialog,
        Context::Approvals,
        Context::Review,
        Context::Flags,
        Context::Assign,
        Context::Teams,
        Context::SyncView,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::List => "list",
            Context::Detail => "detail",
            Context::Filter => "filter input",
            Context::Command => "command line",
            Context::Help => "help",
            Context::Dialog => "decision dialog",
            Context::Approvals => "approvals",
            Context::Review => "review note",
            Context::Flags => "flags dialog",
            Context::Assign => "assign dialog",
            Context::Teams => "teams view",
            Context::SyncView => "sync view",
        }
    }

    /// A text input, where keys that type a character type it.
    pub fn is_input(self) -> bool {
        matches!(
            self,
            Context::Filter
                | Context::Command
                | Context::Dialog
                | Context::Review
                | Context::Flags
                | Context::Assign
        )
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
    Decide,
    Approvals,
    Flags,
    NextField,
    PrevField,
    Submit,
    CycleFlag,
    Approve,
    Reject,
    SwitchList,
    GoToFinding,
    SendReview,
    Assign,
    ApplySuggestions,
    AssignPick,
    Teams,
    ShowTeam,
    Sync,
    SyncView,
    RetryRow,
    RetryAll,
    Back,
    Quit,
}

use Context::{
    Approvals, Assign, Command, Detail, Dialog, Filter, Flags, Help, List, Review, SyncView, Teams,
};

/// Scrolling means the same thing wherever there is something to scroll.
const SCROLLING: &[Context] = &[List, Detail, Help, Approvals, Teams, SyncView];
/// One step also picks the decision kind in the dialog, the field in the flags dialog, and the
/// person in the assign dialog's roster search.
const STEPPING: &[Context] = &[
    List, Detail, Help, Approvals, Teams, SyncView, Dialog, Flags, Assign,
];
/// What the decision and flags dialogs share.
const DIALOGS: &[Context] = &[Dialog, Flags];
/// Every dialog's fields.
const FIELDS: &[Context] = &[Dialog, Flags, Assign];

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
        contexts: STEPPING,
    },
    Spec {
        action: Action::MoveUp,
        name: "move_up",
        description: "Previous row; scroll up in detail and help",
        keys: &["k", "up"],
        contexts: STEPPING,
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
        description: "Read the list and count (or the teams) again",
        keys: &["r", "ctrl-r"],
        contexts: &[List, Detail, Teams],
    },
    Spec {
        action: Action::Help,
        name: "help",
        description: "Show or hide this help",
        keys: &["?", "f1"],
        contexts: &[
            List, Detail, Help, Dialog, Approvals, Flags, Assign, Teams, SyncView,
        ],
    },
    Spec {
        action: Action::Decide,
        name: "decide",
        description: "Decide on the selection or the row (dialog)",
        keys: &["d"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::Approvals,
        name: "approvals",
        description: "Show or hide decisions waiting for approval",
        keys: &["A"],
        contexts: &[List, Detail, Approvals],
    },
    Spec {
        action: Action::Flags,
        name: "flags",
        description: "Set exploit validated / reachable on the selection",
        keys: &["F"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::NextField,
        name: "next_field",
        description: "Dialog: next field",
        keys: &["tab"],
        contexts: FIELDS,
    },
    Spec {
        action: Action::PrevField,
        name: "prev_field",
        description: "Dialog: previous field",
        keys: &["shift-tab"],
        contexts: FIELDS,
    },
    Spec {
        action: Action::Submit,
        name: "submit",
        description: "Dialog: record the decision or the flags",
        keys: &["ctrl-s"],
        contexts: DIALOGS,
    },
    Spec {
        action: Action::CycleFlag,
        name: "cycle_flag",
        description: "Flags: leave / yes / no (or press l, y, n)",
        keys: &["space"],
        contexts: &[Flags],
    },
    Spec {
        action: Action::Approve,
        name: "approve",
        description: "Approvals: approve, with an optional note",
        keys: &["a"],
        contexts: &[Approvals],
    },
    Spec {
        action: Action::Reject,
        name: "reject",
        description: "Approvals: reject the decision, with a reason",
        keys: &["r"],
        contexts: &[Approvals],
    },
    Spec {
        action: Action::SwitchList,
        name: "switch_list",
        description: "Approvals: waiting for me / what I asked for",
        keys: &["tab"],
        contexts: &[Approvals],
    },
    Spec {
        action: Action::GoToFinding,
        name: "go_to_finding",
        description: "Approvals, sync view: show the finding in the list",
        keys: &["enter"],
        contexts: &[Approvals, SyncView],
    },
    Spec {
        action: Action::SendReview,
        name: "send_review",
        description: "Send the approval or rejection being typed",
        keys: &["enter"],
        contexts: &[Review],
    },
    Spec {
        action: Action::Assign,
        name: "assign",
        description: "Assign the selection or the row to an owner",
        keys: &["o"],
        contexts: &[List, Detail],
    },
    Spec {
        action: Action::ApplySuggestions,
        name: "apply_routing",
        description: "Assign: apply the router's suggestions",
        keys: &["ctrl-s"],
        contexts: &[Assign],
    },
    Spec {
        action: Action::AssignPick,
        name: "assign_pick",
        description: "Assign: to the highlighted match, by hand",
        keys: &["enter"],
        contexts: &[Assign],
    },
    Spec {
        action: Action::Teams,
        name: "teams",
        description: "Show or hide each team's active work and load",
        keys: &["T"],
        contexts: &[List, Detail, Teams],
    },
    Spec {
        action: Action::ShowTeam,
        name: "show_team",
        description: "Teams: list the team's active findings",
        keys: &["enter"],
        contexts: &[Teams],
    },
    Spec {
        action: Action::Sync,
        name: "sync",
        description: "Sync with the trackers in the background",
        keys: &["U"],
        contexts: &[List, Detail, SyncView],
    },
    Spec {
        action: Action::SyncView,
        name: "sync_view",
        description: "Show or hide the outbox, conflicts and endpoints",
        keys: &["Y"],
        contexts: &[List, Detail, SyncView],
    },
    Spec {
        action: Action::RetryRow,
        name: "retry",
        description: "Sync view: queue the failed row again",
        keys: &["r"],
        contexts: &[SyncView],
    },
    Spec {
        action: Action::RetryAll,
        name: "retry_all",
        description: "Sync view: queue every failed row again",
        keys: &["R"],
        contexts: &[SyncView],
    },
    Spec {
        action: Action::Back,
        name: "back",
        description: "Close help/detail/input; clear selection, else filter",
        keys: &["esc"],
        contexts: &[
            List, Detail, Filter, Command, Help, Dialog, Approvals, Review, Flags, Assign, Teams,
            SyncView,
        ],
    },
    Spec {
        action: Action::Quit,
        name: "quit",
        description: "Quit",
        keys: &["q", "ctrl-c"],
        contexts: &[
            List, Detail, Filter, Command, Help, Dialog, Approvals, Review, Flags, Assign, Teams,
            SyncView,
        ],
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
