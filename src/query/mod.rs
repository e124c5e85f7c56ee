//! The filter language shared by the CLI (`--query`) and the console (`/`).
//!
//! `sev:high status:open tool:semgrep "sql injection" -path:tests/* (repo:api OR repo:web)`
//! Terms side by side are ANDed; `OR` binds looser; `-` or `NOT` negates; parentheses group.
//! Compiled to a SQL `WHERE` fragment with bound parameters: values never reach the SQL text.

mod compile;
mod parse;
mod record;

pub use compile::{Compiled, compile};
pub use parse::{Expr, Op, Term, parse};
pub use record::{Context, Record};

use std::fmt;

/// A query that cannot be understood; `column` is 1-based, in characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query error at column {}: {}", self.column, self.message)
    }
}

/// Parses and compiles in one go.
pub fn to_sql(query: &str) -> Result<Compiled, QueryError> {
    compile(&parse(query)?)
}
