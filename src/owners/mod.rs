//! Ownership: who should fix a finding. Readers of each source (CODEOWNERS, Backstage
//! catalogs, git blame of a finding's lines), the roster, the router that combines them with
//! its fallback chain, and the planner the CLI and console route through. `gitgen` builds
//! realistic repositories to test, measure and demo blame on.

pub mod blame;
pub mod catalog;
pub mod codeowners;
pub mod diagnostic;
pub mod gitgen;
mod pattern;
pub mod plan;
pub mod roster;
pub mod router;
pub mod sources;

pub use pattern::{MAX_PATTERN_LEN, PatternError};
