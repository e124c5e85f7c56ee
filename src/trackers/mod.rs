//! Trackers (GitHub, GitLab, Jira): the HTTP layer every connector shares. The connectors and
//! the outbox build on `http::Client`.

pub mod http;
