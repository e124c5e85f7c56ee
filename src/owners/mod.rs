//! Ownership: who should fix a finding. So far the CODEOWNERS reader; service catalogs, git
//! blame and the router that combines them come next.

pub mod codeowners;
mod pattern;

pub use pattern::{MAX_PATTERN_LEN, PatternError};
pub mod plan;
pub mod roster;
pub mod router;
pub mod sources;
