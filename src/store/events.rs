//! The append-only, hash-chained event log: every change of state writes one row here, in the
//! same transaction as the change, and each row carries the hash of the one before it.

use super::StoreError;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

/// A SHA-256, stored as a 32-byte BLOB (hex would double the size of a million-event log).
pub type Hash = [u8; 32];

/// The `prev_hash` of the first event.
pub const GENESIS: Hash = [0; 32];

/// What happened; `payload` is JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent<'a> {
    pub finding_id: Option<i64>,
    pub at: &'a str,
    pub actor: &'a str,
    pub kind: &'a str,
    pub reason: Option<&'a str>,
    pub payload: &'a str,
}

#[allow(clippy::too_many_arguments)]
fn hash_event(
    id: i64,
    finding_id: Option<i64>,
    at: &str,
    actor: &str,
    kind: &str,
    reason: Option<&str>,
    payload: &str,
    prev_hash: &Hash,
) -> Hash {
    let mut h = Sha256::new();
    // Length-prefix every field so no two different rows can hash the same bytes.
    let fid = finding_id.map(|f| f.to_string()).unwrap_or_default();
    for part in [
        id.to_string().as_str(),
        fid.as_str(),
        at,
        actor,
        kind,
        reason.unwrap_or("\u{0}none"),
        payload,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.update(prev_hash);
    h.finalize().into()
}

/// Appends events, keeping the chain head in memory for the length of one transaction.
pub struct EventWriter {
    next_id: i64,
    head: Hash,
}

impl EventWriter {
    /// Reads the current head; call inside the transaction that will append.
    pub fn new(conn: &Connection) -> Result<Self, StoreError> {
        let last: Option<(i64, Hash)> = conn
            .query_row(
                "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (last_id, head) = last.unwrap_or((0, GENESIS));
        Ok(EventWriter {
            next_id: last_id + 1,
            head,
        })
    }

    pub fn append(&mut self, conn: &Connection, e: &NewEvent<'_>) -> Result<i64, StoreError> {
        let id = self.next_id;
        let hash = hash_event(
            id,
            e.finding_id,
            e.at,
            e.actor,
            e.kind,
            e.reason,
            e.payload,
            &self.head,
        );
        conn.prepare_cached(
            "INSERT INTO events(id, finding_id, at, actor, kind, reason, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            id,
            e.finding_id,
            e.at,
            e.actor,
            e.kind,
            e.reason,
            e.payload,
            &self.head[..],
            &hash[..]
        ])?;
        self.head = hash;
        self.next_id += 1;
        Ok(id)
    }
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact { events: u64, head: String },
    Broken { event_id: i64, problem: String },
}

pub fn verify(conn: &Connection) -> Result<ChainReport, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, finding_id, at, actor, kind, reason, payload, prev_hash, hash FROM events ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS;
    let mut expected_id = 1i64;
    let mut count = 0u64;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let finding_id: Option<i64> = r.get(1)?;
        let at: String = r.get(2)?;
        let actor: String = r.get(3)?;
        let kind: String = r.get(4)?;
        let reason: Option<String> = r.get(5)?;
        let payload: String = r.get(6)?;
        let prev: Vec<u8> = r.get(7)?;
        let hash: Vec<u8> = r.get(8)?;
        if id != expected_id {
            return Ok(ChainReport::Broken {
                event_id: id,
                problem: format!("expected event #{expected_id} next, found #{id} (rows deleted?)"),
            });
        }
        if prev[..] != expected_prev[..] {
            return Ok(ChainReport::Broken {
                event_id: id,
                problem: "prev_hash does not match the hash of the event before it".into(),
            });
        }
        let recomputed = hash_event(
            id,
            finding_id,
            &at,
            &actor,
            &kind,
            reason.as_deref(),
            &payload,
            &expected_prev,
        );
        if recomputed[..] != hash[..] {
            return Ok(ChainReport::Broken {
                event_id: id,
                problem: "contents do not match the stored hash (row edited?)".into(),
            });
        }
        expected_prev = recomputed;
        expected_id += 1;
        count += 1;
    }
    Ok(ChainReport::Intact {
        events: count,
        head: hex::encode(expected_prev),
    })
}
