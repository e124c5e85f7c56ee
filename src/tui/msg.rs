//! The messages between the console and its database worker.

use super::backlog::{Fetch, FetchTag};
use crate::model::{Finding, FindingRow};
use crate::store::{EventRow, SortKey};

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
}
