//! Conflicts as a person reads them: the `conflict` events a pull writes (`sync::PageWriter`)
//! when a field changed on both sides, with both values and which side won.

use super::{Store, StoreError};
use serde_json::Value;

/// One `conflict` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub event_id: i64,
    pub finding_id: Option<i64>,
    pub at: String,
    /// The remote object, as `RemoteRef` displays it.
    pub reference: String,
    pub field: String,
    /// lastmile's value and the tracker's, as text ("false_positive", "alice, bob").
    pub local: String,
    pub remote: String,
    /// "tracker" or "lastmile".
    pub winner: String,
    pub reason: Option<String>,
}

/// A payload value as text: lists joined, nothing as "none".
fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "none".into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| value_text(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

impl Store {
    /// The newest `limit` conflicts, newest first. Events have no index on `kind` (every write
    /// would pay for it), so this walks events from the newest until it has `limit`: callers
    /// run it on a reader thread.
    pub fn recent_conflicts(&self, limit: usize) -> Result<Vec<Conflict>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, finding_id, at, reason, payload FROM events
             WHERE kind = 'conflict' ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            let payload: String = r.get(4)?;
            // A payload that does not parse still shows as a conflict, with what is known.
            let p: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
            let text = |key: &str| {
                p.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string()
            };
            Ok(Conflict {
                event_id: r.get(0)?,
                finding_id: r.get(1)?,
                at: r.get(2)?,
                reason: r.get(3)?,
                reference: text("ref"),
                field: text("field"),
                local: value_text(p.get("local")),
                remote: value_text(p.get("remote")),
                winner: text("winner"),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_text() {
        assert_eq!(value_text(Some(&serde_json::json!("fixed"))), "fixed");
        assert_eq!(value_text(Some(&serde_json::json!(["a", "b"]))), "a, b");
        assert_eq!(value_text(Some(&serde_json::json!([]))), "none");
        assert_eq!(value_text(None), "none");
        assert_eq!(value_text(Some(&serde_json::json!(3))), "3");
    }
}
