//! The messages between the console and its database worker.

use super::backlog::{Fetch, FetchTag};
use crate::model::{Finding, FindingRow};
use crate::owners::plan::Planned;
use crate::store::{
    Conflict, CurrentAssignment, DecisionRequest, DecisionResult, DecisionRow, EventRow, Flags,
    Link, OutboxRow, SortKey, SyncMark, TeamLoad,
};
use crate::trackers::engine::{Plan, Progress, Summary};
use chrono::NaiveDate;

/// A request to the database worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Page {
        fetch: Fetch,
        query: String,
        sort: SortKey,
    },
    /// Rows matching a query (the whole table when it is empty: counters, no scan).
    Count {
        generation: u64,
        query: String,
    },
    Detail {
        id: i64,
    },
    /// Decisions, reviews and the approvals list: the writer's, not the reader's.
    Triage(TriageEffect),
    /// Each team's active work as of `today` (a grouped read over every active finding).
    Teams {
        generation: u64,
        today: NaiveDate,
    },
    /// Routing and assignments: the writer's too (the router blames lines through a cache it
    /// writes, and assignments are writes).
    Route(RouteEffect),
    /// A sync with the trackers, on a thread of its own (`tui::sync`).
    Sync(Plan),
    /// What the sync view shows: the outbox, recent conflicts, each endpoint's mark.
    SyncView {
        generation: u64,
    },
    /// Puts failed outbox rows (these, or all when empty) back in the queue: the writer's.
    RetryOutbox {
        ids: Vec<i64>,
    },
}

/// A request about owners, for the writer thread (`tui::route_desk`).
#[derive(Debug, Clone, PartialEq)]
pub enum RouteEffect {
    /// The router's suggestions for these findings, to show before anything is written.
    Suggest { generation: u64, ids: Vec<i64> },
    /// Routes the findings again and assigns what the router says, as `lastmile route --apply`
    /// does: a person's assignment stands, unless that person has left.
    ApplySuggestions { ids: Vec<i64>, actor: String },
    /// By hand, as `lastmile assign` does: it then stands against routing.
    Assign {
        ids: Vec<i64>,
        owner: Option<String>,
        team: Option<String>,
        note: String,
        actor: String,
    },
}

/// A request for the writer thread (`tui::writer`), which owns the one writable connection.
#[derive(Debug, Clone, PartialEq)]
pub enum TriageEffect {
    Decide {
        ids: Vec<i64>,
        request: DecisionRequest,
        actor: String,
    },
    /// Approves (`reject: None`) or rejects the pending decision on each finding.
    Review {
        ids: Vec<i64>,
        reject: Option<String>,
        note: Option<String>,
        actor: String,
    },
    /// Pending decisions: those waiting for `me` or, with `mine`, those `me` asked for.
    Approvals {
        generation: u64,
        mine: bool,
        me: String,
    },
    SetFlags {
        ids: Vec<i64>,
        flags: Flags,
        reason: String,
        actor: String,
    },
    /// The daily tick (`Store::tick`): a console open past midnight brings triage up to date.
    Tick { actor: String },
}

/// What the worker sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Page {
        generation: u64,
        tag: FetchTag,
        limit: usize,
        rows: Vec<FindingRow>,
    },
    Count {
        generation: u64,
        total: u64,
    },
    Detail(Box<DetailData>),
    Triage(TriageResponse),
    Teams {
        generation: u64,
        result: Result<Vec<TeamLoad>, String>,
    },
    Route(RouteResponse),
    Sync(SyncEvent),
    SyncView {
        generation: u64,
        result: Result<SyncData, String>,
    },
    /// How many failed rows went back in the queue.
    Retried(Result<usize, String>),
    Failed {
        request: Failed,
        message: String,
    },
}

/// What the sync thread reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    Progress(Progress),
    /// One summary per tracker, or why the sync could not run.
    Finished(Result<Vec<Summary>, String>),
}

/// The sync view's rows. The outbox lists are cut at `sync_view::ROW_LIMIT` each; the totals
/// say how many there are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncData {
    pub pending: Vec<OutboxRow>,
    pub failed: Vec<OutboxRow>,
    pub pending_total: u64,
    pub failed_total: u64,
    /// Newest first.
    pub conflicts: Vec<Conflict>,
    pub endpoints: Vec<(String, SyncMark)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    Page { generation: u64 },
    Count { generation: u64 },
    Detail { id: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailData {
    pub id: i64,
    /// None when the finding is gone (deleted since the list was read).
    pub finding: Option<Finding>,
    pub history: Vec<EventRow>,
    /// Every decision on the finding, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// Who it is assigned to, how and why.
    pub assignment: Option<CurrentAssignment>,
    /// Its tracker objects (alerts, tickets) as last synced.
    pub links: Vec<Link>,
}

/// What the writer says about owners.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteResponse {
    Suggested {
        generation: u64,
        plans: Vec<Planned>,
        /// Sources that could not be read (a missing clone, a bad CODEOWNERS line).
        warnings: Vec<String>,
    },
    SuggestFailed {
        generation: u64,
        message: String,
    },
    /// The suggestions were applied: how many of each outcome.
    Applied(RouteTally),
    /// A hand assignment: of `asked` findings, `changed` moved to `who`.
    Assigned {
        asked: usize,
        changed: usize,
        who: String,
    },
    /// Nothing was written.
    Refused(String),
}

/// What applying the router's suggestions did, finding by finding, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RouteTally {
    pub assigned: usize,
    pub unchanged: usize,
    /// A person's assignment, left alone.
    pub kept: usize,
    pub unrouted: usize,
}

/// What the writer thread sends back.
#[derive(Debug, Clone, PartialEq)]
pub enum TriageResponse {
    Decided(Vec<DecisionResult>),
    Reviewed {
        rejected: bool,
        results: Vec<DecisionResult>,
    },
    /// The store refused the whole request (nothing was written), or could not be reached.
    Refused(String),
    Approvals {
        generation: u64,
        rows: Vec<DecisionRow>,
    },
    ApprovalsFailed {
        generation: u64,
        message: String,
    },
    /// Of `asked` findings, those whose flags changed.
    FlagsSet {
        asked: usize,
        changed: Vec<i64>,
    },
    /// The daily tick ran: how many acceptances and deferrals expired, whether risk and lanes
    /// were recomputed.
    Ticked {
        expired: usize,
        recomputed: bool,
    },
    /// Its own failure, so it is never mistaken for the answer to a dialog waiting to hear.
    TickFailed(String),
}
