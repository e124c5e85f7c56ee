//! Domain types shared by the store, the importers, the CLI and the console.

mod finding;
mod severity;
mod status;

pub use finding::{Finding, FindingRow};
pub use severity::Severity;
pub use status::Status;
