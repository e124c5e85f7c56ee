//! Reads: pages of the backlog (keyset pagination, so a view reads only what it shows),
//! single findings, their history, and counts.

use super::{Store, StoreError};
use crate::model::{Finding, FindingRow, Severity, Status};
use crate::query::{self, Compiled, Context};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params_from_iter};
use std::collections::BTreeMap;
use std::str::FromStr;

/// A column the backlog can be sorted by; `id` always breaks ties, in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Id,
    Severity,
    Status,
    Tool,
    Rule,
    Repo,
    Path,
    Line,
    Title,
    FirstSeen,
    LastSeen,
    Risk,
    Due,
    Lane,
    Owner,
    Team,
}

impl SortField {
    /// Canonical names first (the first name of a field is the one `SortKey::name` prints).
    const NAMES: &[(&str, SortField)] = &[
        ("id", SortField::Id),
        ("severity", SortField::Severity),
        ("sev", SortField::Severity),
        ("status", SortField::Status),
        ("tool", SortField::Tool),
        ("rule", SortField::Rule),
        ("repo", SortField::Repo),
        ("path", SortField::Path),
        ("line", SortField::Line),
        ("title", SortField::Title),
        ("first_seen", SortField::FirstSeen),
        ("age", SortField::FirstSeen),
        ("last_seen", SortField::LastSeen),
        ("risk", SortField::Risk),
        ("due", SortField::Due),
        ("lane", SortField::Lane),
        ("owner", SortField::Owner),
        ("team", SortField::Team),
    ];

    /// Every field, in the order the console cycles through them.
    pub const ALL: [SortField; 16] = [
        SortField::Severity,
        SortField::Risk,
        SortField::Due,
        SortField::Lane,
        SortField::Owner,
        SortField::Team,
        SortField::Status,
        SortField::Id,
        SortField::Repo,
        SortField::Tool,
        SortField::Rule,
        SortField::Path,
        SortField::Line,
        SortField::Title,
        SortField::FirstSeen,
        SortField::LastSeen,
    ];

    pub fn name(self) -> &'static str {
        SortField::NAMES
            .iter()
            .find(|(_, f)| *f == self)
            .map(|(n, _)| *n)
            .unwrap_or("id")
    }

    /// The SQL expression sorted on.
    fn expr(self) -> &'static str {
        match self {
            SortField::Id => "id",
            SortField::Severity => "severity",
            SortField::Status => "status",
            SortField::Tool => "tool",
            SortField::Rule => "rule",
            SortField::Repo => "repo",
            SortField::Path => "IFNULL(path, '')",
            SortField::Line => "IFNULL(start_line, 0)",
            SortField::Title => "title",
            SortField::FirstSeen => "first_seen",
            SortField::LastSeen => "last_seen",
            SortField::Risk => "risk",
            SortField::Due => "due",
            SortField::Lane => "lane",
            SortField::Owner => "owner",
            SortField::Team => "team",
        }
    }

    /// Columns that are often NULL sort their NULLs last whichever the direction: a list by
    /// risk or due date should open on the findings that have one. (A sentinel in the ORDER BY
    /// would do the same but keep SQLite off the `(risk, id)` and `(due, id)` indexes.)
    fn nullable(self) -> bool {
        matches!(
            self,
            SortField::Risk | SortField::Due | SortField::Lane | SortField::Owner | SortField::Team
        )
    }

    /// The row's value of `expr`; `Value::Null` only for a nullable field.
    fn key_of(self, row: &FindingRow) -> Value {
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        match self {
            SortField::Id => Value::Integer(row.id),
            SortField::Severity => Value::Integer(row.severity.rank()),
            SortField::Status => Value::Text(row.status.as_str().into()),
            SortField::Tool => Value::Text(row.tool.clone()),
            SortField::Rule => Value::Text(row.rule.clone()),
            SortField::Repo => Value::Text(row.repo.clone()),
            SortField::Path => Value::Text(row.path.clone().unwrap_or_default()),
            SortField::Line => Value::Integer(row.line.unwrap_or(0)),
            SortField::Title => Value::Text(row.title.clone()),
            SortField::FirstSeen => Value::Text(row.first_seen.clone()),
            SortField::LastSeen => Value::Text(row.last_seen.clone()),
            SortField::Risk => row.risk.map_or(Value::Null, Value::Real),
            SortField::Due => text(&row.due),
            SortField::Lane => text(&row.lane),
            SortField::Owner => text(&row.owner),
            SortField::Team => text(&row.team),
        }
    }
}

/// Which rows of a nullable sort one keyset query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// A field that is never NULL: the whole result.
    All,
    Values,
    Nulls,
}

impl SortKey {
    /// The console's and CLI's default: worst first, newest first within a severity.
    pub const DEFAULT: SortKey = SortKey {
        field: SortField::Severity,
        descending: true,
    };

    pub fn name(&self) -> String {
        let name = self.field.name();
        if self.descending {
            format!("-{name}")
        } else {
            name.to_string()
        }
    }
}

impl FromStr for SortKey {
    type Err = String;
    /// `severity` sorts ascending, `-severity` descending.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let field = SortField::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<_> = SortField::NAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown sort field '{name}' (one of: {}; prefix '-' for descending)",
                    names.join(", ")
                )
            })?;
        Ok(SortKey { field, descending })
    }
}

/// Where a page starts: the list's ends, or just past a row the view already shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Anchor {
    Start,
    End,
    After(FindingRow),
    Before(FindingRow),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub query: String,
    /// The time and person the query is read for (`age`, `due`, `owner:me`).
    pub context: Context,
    pub sort: SortKey,
    pub anchor: Anchor,
    pub limit: usize,
}

/// Rows in display order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub rows: Vec<FindingRow>,
}

/// Counts by status from the counters the store keeps (no table scan).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Counts {
    pub total: u64,
    pub active: u64,
    pub by_status: BTreeMap<String, u64>,
}

/// Counts for `lastmile stats`, optionally over a query.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Stats {
    pub total: u64,
    pub by_severity: Vec<(String, u64)>,
    pub by_status: Vec<(String, u64)>,
    pub by_tool: Vec<(String, u64)>,
    pub by_repo: Vec<(String, u64)>,
}

/// One entry of a finding's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub reason: Option<String>,
    pub payload: String,
}

const ROW_COLUMNS: &str = "id, status, severity, tool, rule, repo, path, start_line, title, \
     first_seen, last_seen, lane, due, risk, pending_id IS NOT NULL, owner, team";

/// How many columns `ROW_COLUMNS` selects: `full_columns` goes on from there.
const ROW_WIDTH: usize = 17;

fn read_row(r: &Row<'_>) -> rusqlite::Result<FindingRow> {
    let status: String = r.get(1)?;
    let sev: i64 = r.get(2)?;
    Ok(FindingRow {
        id: r.get(0)?,
        status: status.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
        })?,
        severity: Severity::from_rank(sev)
            .ok_or_else(|| rusqlite::Error::IntegralValueOutOfRange(2, sev))?,
        tool: r.get(3)?,
        rule: r.get(4)?,
        repo: r.get(5)?,
        path: r.get(6)?,
        line: r.get(7)?,
        title: r.get(8)?,
        first_seen: r.get(9)?,
        last_seen: r.get(10)?,
        lane: r.get(11)?,
        due: r.get(12)?,
        risk: r.get(13)?,
        pending: r.get(14)?,
        owner: r.get(15)?,
        team: r.get(16)?,
    })
}

fn full_columns() -> String {
    format!(
        "{ROW_COLUMNS}, fingerprint, message, cwe, cve, end_line, snippet, help_uri, suppressed,
         baseline_state, fixes, last_scan_id, score, kev, kev_due, epss, epss_pct,
         validated, reachable, exposed, tier, decided_by, until, escalated_to, duplicate_of,
         tracker_ref"
    )
}

/// Reads a row selected with `full_columns`.
fn read_finding(r: &Row<'_>) -> rusqlite::Result<Finding> {
    let at = |i: usize| ROW_WIDTH + i;
    let fixes: Option<String> = r.get(at(9))?;
    Ok(Finding {
        row: read_row(r)?,
        fingerprint: r.get(at(0))?,
        message: r.get(at(1))?,
        cwe: r.get(at(2))?,
        cve: r.get(at(3))?,
        end_line: r.get(at(4))?,
        snippet: r.get(at(5))?,
        help_uri: r.get(at(6))?,
        suppressed: r.get(at(7))?,
        baseline_state: r.get(at(8))?,
        fixes: fixes.and_then(|f| serde_json::from_str(&f).ok()),
        last_scan_id: r.get(at(10))?,
        score: r.get(at(11))?,
        kev: r.get(at(12))?,
        kev_due: r.get(at(13))?,
        epss: r.get(at(14))?,
        epss_pct: r.get(at(15))?,
        validated: r.get(at(16))?,
        reachable: r.get(at(17))?,
        exposed: r.get(at(18))?,
        tier: r.get(at(19))?,
        decided_by: r.get(at(20))?,
        until: r.get(at(21))?,
        escalated_to: r.get(at(22))?,
        duplicate_of: r.get(at(23))?,
        tracker_ref: r.get(at(24))?,
    })
}

impl Store {
    /// One window of the backlog. Reads only `limit` rows however large the table is
    /// (as long as the sort has an index and the filter is not too selective).
    pub fn page(&self, req: &PageRequest) -> Result<Page, StoreError> {
        let rows = self.window(req, ROW_COLUMNS, read_row)?;
        Ok(Page { rows })
    }

    /// The one keyset query behind `page` and `list`: `columns` selected, `read` per row.
    fn window<T>(
        &self,
        req: &PageRequest,
        columns: &str,
        read: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let filter = query::to_sql(&req.query, &req.context)?;
        let field = req.sort.field;
        // Walking backwards (towards the start) reads in reverse order, then flips.
        let backwards = matches!(req.anchor, Anchor::End | Anchor::Before(_));
        let desc = req.sort.descending != backwards;
        let anchor = match &req.anchor {
            Anchor::After(row) | Anchor::Before(row) => Some((field.key_of(row), row.id)),
            Anchor::Start | Anchor::End => None,
        };
        let segments: &[Segment] = match (field.nullable(), backwards) {
            (false, _) => &[Segment::All],
            (true, false) => &[Segment::Values, Segment::Nulls],
            (true, true) => &[Segment::Nulls, Segment::Values],
        };
        // A nullable sort is two keyset walks, values then NULLs (in display order), each on
        // its index; a page that crosses from one to the other reads both.
        let first = match &anchor {
            Some((key, _)) if field.nullable() => {
                let in_nulls = *key == Value::Null;
                segments
                    .iter()
                    .position(|s| (*s == Segment::Nulls) == in_nulls)
                    .unwrap_or(0)
            }
            _ => 0,
        };
        let mut rows = Vec::new();
        for (i, &segment) in segments.iter().enumerate().skip(first) {
            let left = req.limit.saturating_sub(rows.len());
            if left == 0 {
                break;
            }
            let from = if i == first { anchor.as_ref() } else { None };
            rows.extend(self.segment(&filter, field, segment, from, desc, left, columns, read)?);
        }
        if backwards {
            rows.reverse();
        }
        Ok(rows)
    }

    /// One keyset query over a segment of the sort: rows after `from` (key, id) in the
    /// direction `desc` says.
    #[allow(clippy::too_many_arguments)]
    fn segment<T>(
        &self,
        filter: &Compiled,
        field: SortField,
        segment: Segment,
        from: Option<&(Value, i64)>,
        desc: bool,
        limit: usize,
        columns: &str,
        read: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let expr = field.expr();
        let dir = if desc { "DESC" } else { "ASC" };
        let cmp = if desc { "<" } else { ">" };
        let mut params = filter.params.clone();
        let mut sql = format!("SELECT {columns} FROM findings WHERE ({})", filter.sql);
        match segment {
            Segment::All | Segment::Values => {
                if segment == Segment::Values {
                    sql.push_str(&format!(" AND {expr} IS NOT NULL"));
                }
                if let Some((key, id)) = from {
                    sql.push_str(&format!(" AND ({expr}, id) {cmp} (?, ?)"));
                    params.push(key.clone());
                    params.push(Value::Integer(*id));
                }
                sql.push_str(&format!(" ORDER BY {expr} {dir}, id {dir} LIMIT ?"));
            }
            Segment::Nulls => {
                sql.push_str(&format!(" AND {expr} IS NULL"));
                if let Some((_, id)) = from {
                    sql.push_str(&format!(" AND id {cmp} ?"));
                    params.push(Value::Integer(*id));
                }
                sql.push_str(&format!(" ORDER BY id {dir} LIMIT ?"));
            }
        }
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), read)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The first `limit` findings of a query in sort order, in full (the CLI's listing).
    pub fn list(
        &self,
        query: &str,
        ctx: &Context,
        sort: SortKey,
        limit: usize,
    ) -> Result<Vec<Finding>, StoreError> {
        let req = PageRequest {
            query: query.to_string(),
            context: ctx.clone(),
            sort,
            anchor: Anchor::Start,
            limit,
        };
        self.window(&req, &full_columns(), read_finding)
    }

    /// The ids of every finding a query matches, for acting on them in bulk.
    pub fn ids_matching(
        &self,
        query: &str,
        ctx: &crate::query::Context,
    ) -> Result<Vec<i64>, StoreError> {
        let crate::query::Compiled { sql, params } = crate::query::to_sql(query, ctx)?;
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT id FROM findings WHERE {sql} ORDER BY id"))?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(params), |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// How many findings match a query (a scan over the matches: keep it off the UI thread).
    pub fn count(&self, query: &str, ctx: &Context) -> Result<u64, StoreError> {
        let Compiled { sql, params } = query::to_sql(query, ctx)?;
        let n: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM findings WHERE {sql}"),
            params_from_iter(params),
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    pub fn counts(&self) -> Result<Counts, StoreError> {
        let mut c = Counts::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, SUM(n) FROM counters GROUP BY status HAVING SUM(n) > 0",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (status, n) = row?;
            let n = n as u64;
            c.total += n;
            *c.by_status.entry(status.clone()).or_default() += n;
            if status.parse::<Status>().is_ok_and(|s| s.is_active()) {
                c.active += n;
            }
        }
        Ok(c)
    }

    pub fn stats(&self, query: &str, ctx: &Context) -> Result<Stats, StoreError> {
        let Compiled { sql, params } = query::to_sql(query, ctx)?;
        let group = |col: &str| -> Result<Vec<(String, u64)>, StoreError> {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {col}, COUNT(*) FROM findings WHERE {sql} GROUP BY 1 ORDER BY 2 DESC, 1"
            ))?;
            let rows = stmt.query_map(params_from_iter(params.iter()), |r| {
                Ok((r.get::<_, Value>(0)?, r.get::<_, i64>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (v, n) = row?;
                let label = match v {
                    Value::Integer(rank) if col == "severity" => Severity::from_rank(rank)
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| rank.to_string()),
                    Value::Text(t) => t,
                    Value::Integer(i) => i.to_string(),
                    _ => "-".into(),
                };
                out.push((label, n as u64));
            }
            Ok(out)
        };
        let mut by_severity = group("severity")?;
        // Worst first reads better than most-numerous first.
        by_severity.sort_by_key(|(s, _)| std::cmp::Reverse(s.parse::<Severity>().ok()));
        let by_status = group("status")?;
        let total = by_status.iter().map(|(_, n)| n).sum();
        Ok(Stats {
            total,
            by_severity,
            by_status,
            by_tool: group("tool")?,
            by_repo: group("repo")?,
        })
    }

    pub fn finding(&self, id: i64) -> Result<Option<Finding>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM findings WHERE id = ?1",
            full_columns()
        ))?;
        Ok(stmt.query_row([id], read_finding).optional()?)
    }

    /// A finding's events, oldest first.
    /// A finding's events, oldest first: its own, and the `created` event of the scan that
    /// first reported it (one per scan, naming the id ranges it created, written at the
    /// finding's `first_seen`).
    pub fn history(&self, finding_id: i64) -> Result<Vec<EventRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, actor, kind, reason, payload FROM events WHERE finding_id = ?1
             UNION ALL
             SELECT id, at, actor, kind, reason, payload FROM events
             WHERE finding_id IS NULL AND kind = 'created'
               AND at = (SELECT first_seen FROM findings WHERE id = ?1)
             ORDER BY 1",
        )?;
        let rows = stmt.query_map([finding_id], |r| {
            Ok(EventRow {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                kind: r.get(3)?,
                reason: r.get(4)?,
                payload: r.get(5)?,
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let row = row?;
            if row.kind != "created" || created_covers(&row.payload, finding_id) {
                out.push(row);
            }
        }
        Ok(out)
    }
}

/// Whether a scan's `created` event names `id` among its `findings` ranges; an event written
/// for one finding (older databases) has no ranges and covers its own finding.
fn created_covers(payload: &str, id: i64) -> bool {
    #[derive(serde::Deserialize)]
    struct Created {
        findings: Option<Vec<(i64, i64)>>,
    }
    match serde_json::from_str::<Created>(payload) {
        Ok(Created {
            findings: Some(ranges),
        }) => ranges.iter().any(|&(a, b)| (a..=b).contains(&id)),
        Ok(Created { findings: None }) => true,
        Err(_) => false,
    }
}
