//! Ownership: who should fix a finding. The CODEOWNERS reader and the Backstage catalog
//! reader; git blame and the router that combines them come next.

pub mod catalog;
pub mod codeowners;
mod pattern;

pub use pattern::{MAX_PATTERN_LEN, PatternError};
pub mod plan;
pub mod roster;
pub mod router;
pub mod sources;
