//! Which findings are selected for a bulk action: a set of ids, so a selection survives the
//! virtual list trimming and refetching its rows. A range (`V`) runs from an anchor row to the
//! cursor and is worked out against the rows in the buffer after every change.

use crate::model::FindingRow;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// Rows picked one by one, and ranges already ended.
    picked: BTreeSet<i64>,
    range: Option<Range>,
}

#[derive(Debug, Clone, PartialEq)]
struct Range {
    anchor: i64,
    /// Whether the anchor lies before the cursor, last time both were in the buffer: once the
    /// buffer has dropped the anchor, this says which end of the buffer the range runs to.
    anchor_first: bool,
    /// The rows from the anchor to the cursor, both included.
    ids: BTreeSet<i64>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rows selected, the range in progress included.
    pub fn len(&self) -> usize {
        match &self.range {
            None => self.picked.len(),
            Some(r) => self.picked.union(&r.ids).count(),
        }
    }

    pub fn contains(&self, id: i64) -> bool {
        self.picked.contains(&id) || self.range.as_ref().is_some_and(|r| r.ids.contains(&id))
    }

    /// The selected ids, ascending.
    pub fn ids(&self) -> Vec<i64> {
        match &self.range {
            None => self.picked.iter().copied().collect(),
            Some(r) => self.picked.union(&r.ids).copied().collect(),
        }
    }

    pub fn in_range(&self) -> bool {
        self.range.is_some()
    }

    pub fn clear(&mut self) {
        self.picked.clear();
        self.range = None;
    }

    /// Selects a row, or unselects it when it was selected.
    pub fn toggle(&mut self, id: i64) {
        if !self.picked.remove(&id) {
            self.picked.insert(id);
        }
    }

    /// Starts a range at a row.
    pub fn start_range(&mut self, anchor: i64) {
        self.range = Some(Range {
            anchor,
            anchor_first: true,
            ids: BTreeSet::from([anchor]),
        });
    }

    /// Ends the range in progress, keeping its rows selected.
    pub fn end_range(&mut self) {
        if let Some(r) = self.range.take() {
            self.picked.extend(r.ids);
        }
    }

    /// Brings the range up to date with the cursor (`rows[cursor]`, `rows` being the buffer).
    pub fn follow(&mut self, rows: &[FindingRow], cursor: usize) {
        let Some(r) = self.range.as_mut() else {
            return;
        };
        if rows.is_empty() {
            return;
        }
        let cursor = cursor.min(rows.len() - 1);
        let span = match rows.iter().position(|row| row.id == r.anchor) {
            Some(a) => {
                r.anchor_first = a <= cursor;
                a.min(cursor)..=a.max(cursor)
            }
            // The anchor was trimmed away: the range covers the buffer from that side.
            None if r.anchor_first => 0..=cursor,
            None => cursor..=rows.len() - 1,
        };
        // Rows outside the buffer keep their membership (the cursor cannot have crossed them
        // without bringing them back); those inside are exactly the span.
        for row in rows {
            r.ids.remove(&row.id);
        }
        r.ids.extend(rows[span].iter().map(|row| row.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Severity, Status};

    fn rows(ids: std::ops::RangeInclusive<i64>) -> Vec<FindingRow> {
        ids.map(|id| FindingRow {
            id,
            status: Status::Open,
            severity: Severity::High,
            tool: String::new(),
            rule: String::new(),
            repo: String::new(),
            path: None,
            line: None,
            title: String::new(),
            first_seen: String::new(),
            last_seen: String::new(),
            lane: None,
            due: None,
            risk: None,
            pending: false,
            owner: None,
            team: None,
        })
        .collect()
    }

    #[test]
    fn a_range_grows_and_shrinks_with_the_cursor_even_past_a_trimmed_anchor() {
        let mut s = Selection::default();
        s.toggle(100);
        let buf = rows(1..=10);
        s.start_range(3);
        s.follow(&buf, 5);
        assert_eq!(s.ids(), [3, 4, 5, 6, 100]);
        s.follow(&buf, 1);
        assert_eq!(s.ids(), [2, 3, 100], "back past the anchor");
        s.follow(&buf, 6);
        // The buffer moved on: rows 1..=4 trimmed, the anchor with them.
        let buf = rows(5..=14);
        s.follow(&buf, 8);
        assert_eq!(s.ids(), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 100]);
        s.follow(&buf, 2);
        assert_eq!(s.ids(), [3, 4, 5, 6, 7, 100], "shrinks towards the anchor");
        assert_eq!(s.len(), 6);
        s.end_range();
        assert!(!s.in_range() && s.contains(7) && !s.contains(8));
        s.toggle(7);
        assert!(!s.contains(7));
        s.clear();
        assert!(s.is_empty());
    }
}
