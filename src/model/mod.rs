//! Domain types shared by the store, the importers, the CLI and the console.

mod decision;
mod finding;
mod severity;
mod status;

pub use decision::{DecisionKind, DecisionState};
pub use finding::{Finding, FindingRow};
pub use severity::Severity;
pub use status::Status;
