//! Ownership: who should fix a finding. Readers of each source (CODEOWNERS, Backstage
//! catalogs, git blame), the roster, the router that combines them with its fallback chain,
//! and the planner the CLI and console route through.

pub mod catalog;
pub mod codeowners;
mod pattern;

pub use pattern::{MAX_PATTERN_LEN, PatternError};
pub mod plan;
pub mod roster;
pub mod router;
pub mod sources;
