pub mod clock;
pub mod config;
pub mod ingest;
pub mod model;
pub mod query;
pub mod sanitize;
pub mod store;
pub mod tui;
