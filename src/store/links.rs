//! Links between findings and remote objects (an alert, the ticket filed for one), with the
//! remote object's state as last synced: what conflicts are measured against.

use super::{Store, StoreError};
use crate::clock::stamp;
use crate::trackers::{RemoteItem, RemoteKind, RemoteRef, RemoteState};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// A finding's link to one remote object, as last synced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub finding_id: i64,
    #[serde(flatten)]
    pub at: RemoteRef,
    pub repo_id: Option<i64>,
    pub url: Option<String>,
    pub state: String,
    pub reason: Option<String>,
    pub assignees: Vec<String>,
    pub labels: Vec<String>,
    pub remote_updated: String,
    pub synced_at: String,
}

pub(crate) const LINK_COLUMNS: &str =
    "finding_id, tracker, kind, repo, number, repo_id, url, state,
    reason, assignees, labels, remote_updated, synced_at";

pub(crate) fn read_link(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
    let kind: String = r.get(2)?;
    let json_list = |i: usize| -> rusqlite::Result<Vec<String>> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    };
    Ok(Link {
        finding_id: r.get(0)?,
        at: RemoteRef {
            tracker: r.get(1)?,
            kind: RemoteKind::parse(&kind).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("unknown link kind {kind}").into(),
                )
            })?,
            repo: r.get(3)?,
            number: r.get(4)?,
        },
        repo_id: r.get(5)?,
        url: r.get(6)?,
        state: r.get(7)?,
        reason: r.get(8)?,
        assignees: json_list(9)?,
        labels: json_list(10)?,
        remote_updated: r.get(11)?,
        synced_at: r.get(12)?,
    })
}

pub(crate) fn links_of(conn: &Connection, finding_id: i64) -> Result<Vec<Link>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {LINK_COLUMNS} FROM tracker_links WHERE finding_id = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([finding_id], read_link)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn json_list(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn dismissed_reason(state: &RemoteState) -> Option<&str> {
    match state {
        RemoteState::Dismissed { reason, .. } => reason.as_deref(),
        _ => None,
    }
}

/// Stores `item` as the synced state of its link to `finding_id`.
pub(crate) fn upsert_link(
    conn: &Connection,
    finding_id: i64,
    item: &RemoteItem,
    at: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO tracker_links(finding_id, tracker, kind, repo, number, repo_id, url, state,
            reason, assignees, labels, remote_updated, synced_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (tracker, kind, repo, number) DO UPDATE SET
            repo_id = COALESCE(excluded.repo_id, repo_id), url = COALESCE(excluded.url, url),
            state = excluded.state, reason = excluded.reason, assignees = excluded.assignees,
            labels = excluded.labels, remote_updated = excluded.remote_updated,
            synced_at = excluded.synced_at",
    )?
    .execute(params![
        finding_id,
        item.at.tracker,
        item.at.kind.as_str(),
        item.at.repo,
        item.at.number,
        item.repo_id,
        item.url,
        item.state.label(),
        dismissed_reason(&item.state),
        json_list(&item.assignees),
        json_list(&item.labels),
        stamp(item.updated_at),
        at
    ])?;
    Ok(())
}

pub(crate) fn find_link(conn: &Connection, item: &RemoteItem) -> Result<Option<Link>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {LINK_COLUMNS} FROM tracker_links
             WHERE tracker = ?1 AND kind = ?2 AND repo = ?3 AND number = ?4"
        ))?
        .query_row(
            params![
                item.at.tracker,
                item.at.kind.as_str(),
                item.at.repo,
                item.at.number
            ],
            read_link,
        )
        .optional()?)
}

impl Store {
    pub fn links(&self, finding_id: i64) -> Result<Vec<Link>, StoreError> {
        links_of(&self.conn, finding_id)
    }
}
