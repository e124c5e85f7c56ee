//! The filter language shared by the CLI (`--query`) and the console (`/`).
//!
//! `sev:high status:open tool:semgrep "sql injection" -path:tests/* (repo:api OR repo:web)`
//! Terms side by side are ANDed; `OR` binds looser; `-` or `NOT` negates; parentheses group.
//! Compiled to a SQL `WHERE` fragment with bound parameters (values never reach the SQL text),
//! or to a `Matcher` that tests findings in memory with the same meaning. Both start from one
//! lowering (lower.rs, values.rs) where every value is parsed once.

mod compile;
mod eval;
mod fields;
mod lower;
mod parse;
mod pattern;
mod record;
mod values;

pub use compile::{Compiled, compile};
pub use eval::Matcher;
pub use fields::FIELDS;
pub use parse::{Expr, Op, Term, parse, quote};
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
pub fn to_sql(query: &str, ctx: &Context) -> Result<Compiled, QueryError> {
    compile(&parse(query)?, ctx)
}
