//! Ownership: who should fix a finding. The CODEOWNERS reader, git blame of a finding's lines
//! (with a generator of realistic repositories to test and measure it on); service catalogs
//! and the router that combines them come next.

pub mod blame;
pub mod codeowners;
pub mod gitgen;
mod pattern;

pub use pattern::{MAX_PATTERN_LEN, PatternError};
