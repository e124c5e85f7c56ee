//! Triage: risk scores, severity lanes and their deadlines, and the rules decisions follow.
//! Plain functions over plain types; the store applies them.

pub mod assess;
pub mod policy;
pub mod risk;
pub mod sla;
