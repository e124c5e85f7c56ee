//! The messages between the console and its database worker.

use super::backlog::{Fetch, FetchTag};
use crate::model::{Finding, FindingRow};
use crate::store::{DecisionRequest, DecisionResult, DecisionRow, EventRow, Flags, SortKey};

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
    Failed {
        request: Failed,
        message: String,
    },
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
