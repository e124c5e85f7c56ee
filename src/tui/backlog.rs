//! The virtual backlog: a small buffer of rows around the view, extended a page at a time by
//! keyset pagination (`Store::page` after the last row / before the first), trimmed on the far
//! side, so a million findings cost what ten do. Pure: it asks for pages and is handed them.

use crate::model::FindingRow;
use crate::store::Anchor;

/// Where the buffer sits in the whole result set, as far as is known without counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// `rows[0]` is the n-th row (0-based) from the start.
    Start(u64),
    /// n rows follow `rows.last()`.
    End(u64),
    Unknown,
}

/// A page the buffer wants; `generation` tags it so answers to superseded requests are dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetch {
    pub generation: u64,
    pub kind: FetchKind,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FetchKind {
    /// Replace the buffer with the first rows.
    Start,
    /// Replace the buffer with the last rows.
    End,
    /// Extend the buffer after this row (its last). Boxed: requests travel by value.
    After(Box<FindingRow>),
    /// Extend the buffer before this row (its first).
    Before(Box<FindingRow>),
    /// Replace the buffer with the rows after this one (the row above the view), keeping the
    /// view where it was; `None` reloads from the start.
    Reload(Option<Box<FindingRow>>),
}

impl Fetch {
    pub fn anchor(&self) -> Anchor {
        match &self.kind {
            FetchKind::Start | FetchKind::Reload(None) => Anchor::Start,
            FetchKind::End => Anchor::End,
            FetchKind::After(r) | FetchKind::Reload(Some(r)) => Anchor::After((**r).clone()),
            FetchKind::Before(r) => Anchor::Before((**r).clone()),
        }
    }

    /// The part of the request its answer must echo to be matched up.
    pub fn tag(&self) -> FetchTag {
        match &self.kind {
            FetchKind::Start => FetchTag::Start,
            FetchKind::End => FetchTag::End,
            FetchKind::After(r) => FetchTag::After(r.id),
            FetchKind::Before(r) => FetchTag::Before(r.id),
            FetchKind::Reload(r) => FetchTag::Reload(r.as_ref().map(|r| r.id)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchTag {
    Start,
    End,
    After(i64),
    Before(i64),
    Reload(Option<i64>),
}

/// Rows per page for a view `height` rows tall: two screens, so one page covers a PgDn.
pub fn fetch_size(height: usize) -> usize {
    (height * 2).max(32)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    pub rows: Vec<FindingRow>,
    pub base: Base,
    /// The buffer holds the first / the last row of the result set.
    pub at_start: bool,
    pub at_end: bool,
    /// Index into `rows` of the selected row, and of the first row on screen.
    pub cursor: usize,
    pub offset: usize,
    /// A first page has arrived (until then an empty buffer means "loading", not "none").
    pub loaded: bool,
    pub generation: u64,
    /// Rows received since the console opened: how tests see that only windows are read.
    pub fetched: u64,
    resetting: bool,
    pending_fwd: bool,
    pending_bwd: bool,
    /// Rows of movement asked for beyond the buffer's edge, applied when the page arrives.
    carry: i64,
    /// For a pending reload: the cursor's distance from the view's top, and the index of the
    /// first row on screen when known.
    reload: Option<(usize, Option<u64>)>,
    /// The view's top row when that reload was asked for: keys pressed while it is under way
    /// move the cursor the reload will restore (else the answer undoes them).
    reload_top: usize,
    /// A reload found nothing after its anchor (rows vanished): start over from the top.
    pub lost: bool,
}

impl Default for Backlog {
    fn default() -> Self {
        Backlog {
            rows: Vec::new(),
            base: Base::Start(0),
            at_start: false,
            at_end: false,
            cursor: 0,
            offset: 0,
            loaded: false,
            generation: 0,
            fetched: 0,
            resetting: false,
            pending_fwd: false,
            pending_bwd: false,
            carry: 0,
            reload: None,
            reload_top: 0,
            lost: false,
        }
    }
}

impl Backlog {
    pub fn selected(&self) -> Option<&FindingRow> {
        self.rows.get(self.cursor)
    }

    pub fn is_resetting(&self) -> bool {
        self.resetting
    }

    fn reset(&mut self, kind: FetchKind, height: usize) -> Fetch {
        self.generation += 1;
        self.resetting = true;
        self.pending_fwd = false;
        self.pending_bwd = false;
        self.carry = 0;
        Fetch {
            generation: self.generation,
            kind,
            limit: fetch_size(height),
        }
    }

    /// The first rows (a new query, or `g` when the first row is not in the buffer).
    pub fn restart(&mut self, height: usize) -> Fetch {
        self.reset(FetchKind::Start, height)
    }

    pub fn top(&mut self, height: usize) -> Option<Fetch> {
        if self.loaded && self.at_start && !self.resetting {
            self.carry = 0;
            self.cursor = 0;
            self.follow(height);
            return None;
        }
        Some(self.reset(FetchKind::Start, height))
    }

    pub fn bottom(&mut self, height: usize) -> Option<Fetch> {
        if self.loaded && self.at_end && !self.resetting {
            self.carry = 0;
            self.cursor = self.rows.len().saturating_sub(1);
            self.follow(height);
            return None;
        }
        Some(self.reset(FetchKind::End, height))
    }

    /// Re-reads the rows on screen (the database may have changed under us).
    pub fn reload(&mut self, height: usize, total: Option<u64>) -> Fetch {
        if !self.loaded || (self.offset == 0 && !self.at_start) {
            return self.restart(height);
        }
        let first = self.index_of(self.offset, total);
        let anchor = if self.offset == 0 {
            None
        } else {
            Some(Box::new(self.rows[self.offset - 1].clone()))
        };
        self.reload = Some((self.cursor - self.offset, first));
        self.reload_top = self.offset;
        self.reset(FetchKind::Reload(anchor), height)
    }

    /// 0-based index in the result set of `rows[i]`, when known.
    fn index_of(&self, i: usize, total: Option<u64>) -> Option<u64> {
        match self.base {
            Base::Start(n) => Some(n + i as u64),
            Base::End(n) => {
                let t = total?;
                Some(t.checked_sub(n + self.rows.len() as u64)? + i as u64)
            }
            Base::Unknown => None,
        }
    }

    /// 1-based position of the selected row, when known.
    pub fn position(&self, total: Option<u64>) -> Option<u64> {
        if self.rows.is_empty() {
            return None;
        }
        self.index_of(self.cursor, total).map(|i| i + 1)
    }

    /// The total when the buffer itself proves it (it holds the last row and knows its start).
    pub fn exact_total(&self) -> Option<u64> {
        match (self.at_end, self.at_start, self.base) {
            (true, true, _) => Some(self.rows.len() as u64),
            (true, _, Base::Start(n)) => Some(n + self.rows.len() as u64),
            _ => None,
        }
    }

    /// Moves the selection; what goes past a loaded edge waits in `carry` for the next page.
    pub fn move_by(&mut self, delta: i64, height: usize) {
        if self.rows.is_empty() {
            return;
        }
        if self.carry.signum() == -delta.signum() {
            self.carry = 0;
        }
        let last = self.rows.len() as i64 - 1;
        let target = self.cursor as i64 + self.carry + delta;
        self.carry = 0;
        if target < 0 {
            self.cursor = 0;
            if !self.at_start {
                self.carry = target;
            }
        } else if target > last {
            self.cursor = last as usize;
            if !self.at_end {
                self.carry = target - last;
            }
        } else {
            self.cursor = target as usize;
        }
        self.follow(height);
        if let Some((rel, _)) = self.reload.as_mut() {
            *rel = self.cursor.saturating_sub(self.reload_top);
        }
    }

    /// Scrolls just enough to keep the selection on screen, and the screen full at the end.
    pub fn follow(&mut self, height: usize) {
        let height = height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        }
        if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        if self.at_end && self.offset + height > self.rows.len() {
            self.offset = self.rows.len().saturating_sub(height).min(self.cursor);
        }
    }

    /// Pages to ask for so that a screen's worth of rows is ready on either side of the view.
    pub fn wants(&mut self, height: usize) -> Vec<Fetch> {
        let mut out = Vec::new();
        if !self.loaded || self.resetting {
            return out;
        }
        let margin = height.max(1);
        let limit = fetch_size(height);
        if !self.at_end
            && !self.pending_fwd
            && self.rows.len() < self.offset + height + margin
            && let Some(last) = self.rows.last()
        {
            self.pending_fwd = true;
            out.push(Fetch {
                generation: self.generation,
                kind: FetchKind::After(Box::new(last.clone())),
                limit,
            });
        }
        if !self.at_start
            && !self.pending_bwd
            && self.offset < margin
            && let Some(first) = self.rows.first()
        {
            self.pending_bwd = true;
            out.push(Fetch {
                generation: self.generation,
                kind: FetchKind::Before(Box::new(first.clone())),
                limit,
            });
        }
        out
    }

    /// Takes a page in; false when it answers a superseded request and was dropped.
    pub fn receive(
        &mut self,
        generation: u64,
        tag: FetchTag,
        page: Vec<FindingRow>,
        limit: usize,
        height: usize,
    ) -> bool {
        if generation != self.generation {
            return false;
        }
        let full = page.len() >= limit;
        let k = page.len();
        match tag {
            FetchTag::Start | FetchTag::End | FetchTag::Reload(_) => {
                if !self.resetting {
                    return false;
                }
                self.resetting = false;
                self.loaded = true;
                self.fetched += k as u64;
                let reload = self.reload.take();
                self.rows = page;
                let last = self.rows.len().saturating_sub(1);
                match tag {
                    FetchTag::End => {
                        self.at_start = !full;
                        self.at_end = true;
                        self.base = if full { Base::End(0) } else { Base::Start(0) };
                        self.cursor = last;
                        self.offset = self.rows.len().saturating_sub(height);
                    }
                    FetchTag::Reload(Some(_)) => {
                        let (rel, first) = reload.unwrap_or((0, None));
                        self.at_start = false;
                        self.at_end = !full;
                        self.base = first.map_or(Base::Unknown, Base::Start);
                        self.cursor = rel.min(last);
                        self.offset = 0;
                        self.lost = self.rows.is_empty();
                    }
                    _ => {
                        // A reload from the start keeps the selection where it was.
                        let (rel, _) = reload.unwrap_or((0, None));
                        self.at_start = true;
                        self.at_end = !full;
                        self.base = Base::Start(0);
                        self.cursor = rel.min(last);
                        self.offset = 0;
                    }
                }
            }
            FetchTag::After(id) => {
                if !self.pending_fwd || self.resetting {
                    return false;
                }
                self.pending_fwd = false;
                if self.rows.last().map(|r| r.id) != Some(id) {
                    // The buffer moved on (trimmed) since the request: ask again later.
                    return false;
                }
                self.fetched += k as u64;
                self.rows.extend(page);
                self.at_end = !full;
                if let Base::End(n) = &mut self.base {
                    *n = n.saturating_sub(k as u64);
                }
                self.trim_front(height);
                if self.carry > 0 {
                    self.move_by(0, height);
                }
            }
            FetchTag::Before(id) => {
                if !self.pending_bwd || self.resetting {
                    return false;
                }
                self.pending_bwd = false;
                if self.rows.first().map(|r| r.id) != Some(id) {
                    return false;
                }
                self.fetched += k as u64;
                self.rows.splice(0..0, page);
                self.cursor += k;
                self.offset += k;
                self.at_start = !full;
                if let Base::Start(n) = &mut self.base {
                    *n = n.saturating_sub(k as u64);
                }
                self.trim_back(height);
                if self.carry < 0 {
                    self.move_by(0, height);
                }
            }
        }
        self.follow(height);
        true
    }

    /// A request of this generation failed: keep what is shown and allow asking again.
    pub fn failed(&mut self, generation: u64) {
        if generation == self.generation {
            self.resetting = false;
            self.reload = None;
            self.pending_fwd = false;
            self.pending_bwd = false;
            self.carry = 0;
        }
    }

    fn capacity(height: usize) -> usize {
        3 * fetch_size(height)
    }

    fn trim_front(&mut self, height: usize) {
        let excess = self.rows.len().saturating_sub(Self::capacity(height));
        let cut = excess.min(self.offset);
        if cut == 0 {
            return;
        }
        self.rows.drain(..cut);
        self.cursor -= cut;
        self.offset -= cut;
        self.at_start = false;
        if let Base::Start(n) = &mut self.base {
            *n += cut as u64;
        }
    }

    fn trim_back(&mut self, height: usize) {
        let excess = self.rows.len().saturating_sub(Self::capacity(height));
        let visible_end = (self.offset + height)
            .max(self.cursor + 1)
            .min(self.rows.len());
        let cut = excess.min(self.rows.len() - visible_end);
        if cut == 0 {
            return;
        }
        self.rows.truncate(self.rows.len() - cut);
        self.at_end = false;
        if let Base::End(n) = &mut self.base {
            *n += cut as u64;
        }
    }
}
