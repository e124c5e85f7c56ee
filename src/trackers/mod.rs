//! Trackers (GitHub, GitLab, Jira): the HTTP layer every connector shares, the neutral model
//! connectors translate to, and the connectors themselves.

pub mod engine;
pub mod github;
pub mod http;
pub mod model;
pub mod packet;
pub mod setup;
pub mod token;

pub use model::{
    Capabilities, Cursor, Endpoint, NewTicket, Operation, Pulled, RemoteItem, RemoteKind,
    RemoteRef, RemoteState, Tracker, TrackerError,
};
