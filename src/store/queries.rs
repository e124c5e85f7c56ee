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
}

impl SortField {
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
    ];

    /// The SQL expression sorted on; never NULL, so keyset comparisons stay total.
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
        }
    }

    fn key_of(self, row: &FindingRow) -> Value {
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
        }
    }
}

impl SortKey {
    /// The console's and CLI's default: worst first, newest first within a severity.
    pub const DEFAULT: SortKey = SortKey {
        field: SortField::Severity,
        descending: true,
    };

    pub fn name(&self) -> String {
        let name = SortField::NAMES
            .iter()
            .find(|(_, f)| *f == self.field)
            .map(|(n, _)| *n)
            .unwrap_or("id");
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

const ROW_COLUMNS: &str =
    "id, status, severity, tool, rule, repo, path, start_line, title, first_seen, last_seen";

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
    })
}

fn full_columns() -> String {
    format!(
        "{ROW_COLUMNS}, fingerprint, message, cwe, cve, end_line, snippet, help_uri, suppressed,
         baseline_state, fixes, owner, team, due, last_scan_id"
    )
}

/// Reads a row selected with `full_columns`.
fn read_finding(r: &Row<'_>) -> rusqlite::Result<Finding> {
    let fixes: Option<String> = r.get(20)?;
    Ok(Finding {
        row: read_row(r)?,
        fingerprint: r.get(11)?,
        message: r.get(12)?,
        cwe: r.get(13)?,
        cve: r.get(14)?,
        end_line: r.get(15)?,
        snippet: r.get(16)?,
        help_uri: r.get(17)?,
        suppressed: r.get(18)?,
        baseline_state: r.get(19)?,
        fixes: fixes.and_then(|f| serde_json::from_str(&f).ok()),
        owner: r.get(21)?,
        team: r.get(22)?,
        due: r.get(23)?,
        last_scan_id: r.get(24)?,
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
        let Compiled {
            sql: filter,
            mut params,
        } = query::to_sql(&req.query, &req.context)?;
        let expr = req.sort.field.expr();
        // Walking backwards (towards the start) reads in reverse order, then flips.
        let backwards = matches!(req.anchor, Anchor::End | Anchor::Before(_));
        let desc = req.sort.descending != backwards;
        let dir = if desc { "DESC" } else { "ASC" };
        let mut sql = format!("SELECT {columns} FROM findings WHERE ({filter})");
        if let Anchor::After(row) | Anchor::Before(row) = &req.anchor {
            let cmp = if desc { "<" } else { ">" };
            sql.push_str(&format!(" AND ({expr}, id) {cmp} (?, ?)"));
            params.push(req.sort.field.key_of(row));
            params.push(Value::Integer(row.id));
        }
        sql.push_str(&format!(" ORDER BY {expr} {dir}, id {dir} LIMIT ?"));
        params.push(Value::Integer(i64::try_from(req.limit).unwrap_or(i64::MAX)));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<T> = stmt
            .query_map(params_from_iter(params), read)?
            .collect::<Result<_, _>>()?;
        if backwards {
            rows.reverse();
        }
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
    pub fn history(&self, finding_id: i64) -> Result<Vec<EventRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, actor, kind, reason, payload FROM events WHERE finding_id = ?1 ORDER BY id",
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
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
