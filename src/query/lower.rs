//! Terms to tests: every value is parsed, checked and turned into what it is compared with
//! (a severity rank, a probability, a timestamp bound, a LIKE or GLOB pattern) here, once.
//! The SQL compiler and the in-memory matcher both start from this tree, so they cannot read a
//! value two ways; each only has to give the handful of primitive tests below one meaning.
//!
//! Every primitive is two-valued: a column that is NULL fails every test except `IsNull`, and
//! `NOT` of it passes. `field!=v` is always `NOT field=v`.

use super::fields::Field;
use super::parse::{Expr, Op, Term};
use super::values::{self, Cmp, cmp_of};
use super::{Context, QueryError};
use crate::model::{Severity, Status};

/// Integer columns (NULL only where `nullable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntCol {
    Severity,
    Id,
    Line,
    Tier,
}

/// REAL columns, all nullable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RealCol {
    Epss,
    EpssPct,
    Risk,
}

/// 0/1 columns, never NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagCol {
    Kev,
    Validated,
    Reachable,
    Exposed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextCol {
    Tool,
    Rule,
    Repo,
    Path,
    Cwe,
    Cve,
    Lane,
    Owner,
    Team,
    Campaign,
    Sprint,
    DecidedBy,
    FirstSeen,
    Due,
}

impl IntCol {
    pub(crate) fn nullable(self) -> bool {
        matches!(self, IntCol::Line | IntCol::Tier)
    }
}

impl TextCol {
    pub(crate) fn nullable(self) -> bool {
        !matches!(
            self,
            TextCol::Tool | TextCol::Rule | TextCol::Repo | TextCol::FirstSeen
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    True,
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Int(IntCol, Cmp, i64),
    Real(RealCol, Cmp, f64),
    /// Compared as SQLite compares TEXT (bytes, BINARY collation).
    Text(TextCol, Cmp, Box<str>),
    IsNull(TextCol),
    Flag(FlagCol, bool),
    /// `col LIKE pattern ESCAPE '\'`; the pattern is complete (escaped, with its `%`s).
    Like(TextCol, Box<str>),
    Glob(TextCol, Box<str>),
    /// Bare words: title, message, rule or path LIKE the pattern.
    Search(Box<str>),
    /// `needle` (`,X,`) occurs in `,col,`: X is one element of a comma-separated list.
    Element(TextCol, Box<str>),
    /// One bit per status (`status_bit`).
    Status(u16),
    /// A decision waits for approval.
    Pending,
}

pub(crate) fn status_bit(s: Status) -> u16 {
    1 << (s as u16)
}

/// SQLite refuses longer LIKE/GLOB patterns at run time (SQLITE_MAX_LIKE_PATTERN_LENGTH);
/// refusing them here keeps both evaluators total and equal.
const MAX_PATTERN_BYTES: usize = 50_000;

/// Tests in one query (a list value counts each element). Keeps the SQL inside SQLite's
/// limits (expression depth 1000, 32766 parameters) with room to spare; lane rules and
/// filters are a handful of terms.
const MAX_TESTS: usize = 256;

pub(crate) fn lower(expr: &Expr, ctx: &Context) -> Result<Node, QueryError> {
    lower_counted(expr, ctx, &mut 0)
}

fn lower_counted(expr: &Expr, ctx: &Context, tests: &mut usize) -> Result<Node, QueryError> {
    let all = |parts: &[Expr], tests: &mut usize| -> Result<Vec<Node>, QueryError> {
        parts.iter().map(|p| lower_counted(p, ctx, tests)).collect()
    };
    Ok(match expr {
        Expr::All => Node::True,
        Expr::Term(t) => {
            let node = term(t, ctx)?;
            *tests += leaves(&node);
            if *tests > MAX_TESTS {
                return Err(err(
                    t.column,
                    format!("the query is too long (at most {MAX_TESTS} terms)"),
                ));
            }
            node
        }
        Expr::Not(inner) => Node::Not(Box::new(lower_counted(inner, ctx, tests)?)),
        Expr::And(parts) => Node::And(all(parts, tests)?),
        Expr::Or(parts) => Node::Or(all(parts, tests)?),
    })
}

fn leaves(node: &Node) -> usize {
    match node {
        Node::Not(inner) => leaves(inner),
        Node::And(parts) | Node::Or(parts) => parts.iter().map(leaves).sum(),
        _ => 1,
    }
}

pub(crate) fn err(column: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        column,
        message: message.into(),
    }
}

/// `!=` is the negation of `=`, whatever the field.
pub(crate) fn negated_if(ne: bool, node: Node) -> Node {
    if ne { Node::Not(Box::new(node)) } else { node }
}

fn any_of(mut nodes: Vec<Node>) -> Node {
    if nodes.len() == 1 {
        nodes.remove(0)
    } else {
        Node::Or(nodes)
    }
}

/// Fields that only test equality (or membership) take `:`, `=` and `!=`.
pub(crate) fn only_match(t: &Term, name: &str) -> Result<(), QueryError> {
    if matches!(t.op, Op::Match | Op::Eq | Op::Ne) {
        Ok(())
    } else {
        Err(err(
            t.column,
            format!("'{name}' takes ':' (or '=' / '!='), not a comparison"),
        ))
    }
}

fn term(t: &Term, ctx: &Context) -> Result<Node, QueryError> {
    if t.value.contains('\0') {
        // SQLite would read the value only up to the NUL; no one means that.
        return Err(err(
            t.value_column,
            "a value cannot contain a NUL character",
        ));
    }
    let Some(name) = t.field.as_deref() else {
        return search(t);
    };
    let Some(field) = Field::from_name(name) else {
        return Err(err(
            t.column,
            format!(
                "unknown field '{name}' (fields: {})",
                super::fields::FIELDS.join(", ")
            ),
        ));
    };
    let ne = t.op == Op::Ne;
    let name = field.name();
    Ok(match field {
        Field::Severity => severity(t)?,
        Field::Status => status(t)?,
        Field::Tool => text(t, name, TextCol::Tool, None)?,
        Field::Rule => text(t, name, TextCol::Rule, None)?,
        Field::Repo => text(t, name, TextCol::Repo, None)?,
        Field::Path => text(t, name, TextCol::Path, None)?,
        Field::Lane => lane(t)?,
        Field::Owner => text(t, name, TextCol::Owner, Some(ctx))?,
        Field::Team => text(t, name, TextCol::Team, None)?,
        Field::Campaign => text(t, name, TextCol::Campaign, None)?,
        Field::Sprint => text(t, name, TextCol::Sprint, None)?,
        Field::DecidedBy => text(t, name, TextCol::DecidedBy, Some(ctx))?,
        Field::Cwe | Field::Cve => {
            only_match(t, name)?;
            let mut v = t.value.to_ascii_uppercase();
            if field == Field::Cwe && !v.starts_with("CWE-") {
                v = format!("CWE-{v}");
            }
            negated_if(
                ne,
                Node::Element(element_col(field), format!(",{v},").into()),
            )
        }
        Field::Id | Field::Line | Field::Tier => {
            let col = match field {
                Field::Id => IntCol::Id,
                Field::Line => IntCol::Line,
                _ => IntCol::Tier,
            };
            let n = values::whole(t, name)?;
            negated_if(ne, Node::Int(col, cmp_of(t.op), n))
        }
        Field::Kev | Field::Validated | Field::Reachable | Field::Exposed => {
            only_match(t, name)?;
            let col = match field {
                Field::Kev => FlagCol::Kev,
                Field::Validated => FlagCol::Validated,
                Field::Reachable => FlagCol::Reachable,
                _ => FlagCol::Exposed,
            };
            negated_if(ne, Node::Flag(col, values::yes_no(t, name)?))
        }
        Field::Epss | Field::EpssPct => {
            let col = if field == Field::Epss {
                RealCol::Epss
            } else {
                RealCol::EpssPct
            };
            let p = values::probability(t, name)?;
            negated_if(ne, Node::Real(col, cmp_of(t.op), p))
        }
        Field::Risk => {
            let n = values::number(t, name)?;
            negated_if(ne, Node::Real(RealCol::Risk, cmp_of(t.op), n))
        }
        Field::Age => values::age(t, ctx.now)?,
        Field::Due => values::due(t, ctx.now)?,
        Field::Text => search(t)?,
    })
}

fn element_col(field: Field) -> TextCol {
    if field == Field::Cwe {
        TextCol::Cwe
    } else {
        TextCol::Cve
    }
}

fn severity(t: &Term) -> Result<Node, QueryError> {
    let values: Vec<Severity> = t
        .value
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|m| err(t.value_column, m))?;
    if values.len() > 1 {
        only_match(t, "severity")?;
        let any = any_of(
            values
                .iter()
                .map(|s| Node::Int(IntCol::Severity, Cmp::Eq, s.rank()))
                .collect(),
        );
        return Ok(negated_if(t.op == Op::Ne, any));
    }
    let rank = values[0].rank();
    Ok(negated_if(
        t.op == Op::Ne,
        Node::Int(IntCol::Severity, cmp_of(t.op), rank),
    ))
}

fn status(t: &Term) -> Result<Node, QueryError> {
    only_match(t, "status")?;
    let mut mask = 0u16;
    let mut pending = false;
    for v in t.value.split(',') {
        match v.to_ascii_lowercase().as_str() {
            "active" | "unresolved" => {
                for s in Status::ALL.into_iter().filter(|s| s.is_active()) {
                    mask |= status_bit(s);
                }
            }
            "closed" | "resolved" => {
                for s in Status::ALL.into_iter().filter(|s| !s.is_active()) {
                    mask |= status_bit(s);
                }
            }
            "pending" => pending = true,
            other => {
                let s = other.parse::<Status>().map_err(|_| {
                    let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                    err(
                        t.value_column,
                        format!(
                            "unknown status '{v}' (one of {}; or active, closed, pending)",
                            names.join(", ")
                        ),
                    )
                })?;
                mask |= status_bit(s);
            }
        }
    }
    let mut any = Vec::new();
    if mask != 0 {
        any.push(Node::Status(mask));
    }
    if pending {
        any.push(Node::Pending);
    }
    Ok(negated_if(t.op == Op::Ne, any_of(any)))
}

/// Lanes are names from the config: exact but case-insensitive, a comma list is any of them.
fn lane(t: &Term) -> Result<Node, QueryError> {
    only_match(t, "lane")?;
    let mut any = Vec::new();
    for v in t.value.split(',') {
        if v.is_empty() {
            return Err(err(t.value_column, "'lane' has an empty name in its list"));
        }
        any.push(if v.eq_ignore_ascii_case("none") {
            Node::IsNull(TextCol::Lane)
        } else {
            Node::Like(TextCol::Lane, pattern(t, like_escape(v))?)
        });
    }
    Ok(negated_if(t.op == Op::Ne, any_of(any)))
}

/// `field:abc` is a case-insensitive prefix match; with `*`, `?` or `[...]` it is a glob;
/// `field=abc` is exact. The triage fields also take `none` (not set), and `owner` and
/// `decided-by` take `me` (`me_ctx` is given for those).
fn text(t: &Term, name: &str, col: TextCol, me_ctx: Option<&Context>) -> Result<Node, QueryError> {
    if !matches!(t.op, Op::Match | Op::Eq | Op::Ne) {
        return Err(err(
            t.column,
            format!("'{name}' takes ':' or '=', not a comparison"),
        ));
    }
    let v = t.value.as_str();
    let triage = !matches!(
        col,
        TextCol::Tool | TextCol::Rule | TextCol::Repo | TextCol::Path
    );
    let node = if triage && v.eq_ignore_ascii_case("none") {
        Node::IsNull(col)
    } else if let Some(ctx) = me_ctx
        && v.eq_ignore_ascii_case("me")
    {
        let me = ctx.me.as_deref().filter(|m| !m.trim().is_empty());
        let Some(me) = me else {
            return Err(err(
                t.value_column,
                format!(
                    "'{name}:me' needs to know who you are: set `me` in the config or pass --as"
                ),
            ));
        };
        Node::Text(col, Cmp::Eq, me.into())
    } else if v.contains(['*', '?', '[']) {
        Node::Glob(col, pattern(t, v.to_string())?)
    } else if t.op == Op::Match {
        Node::Like(col, pattern(t, format!("{}%", like_escape(v)))?)
    } else {
        Node::Text(col, Cmp::Eq, v.into())
    };
    Ok(negated_if(t.op == Op::Ne, node))
}

fn search(t: &Term) -> Result<Node, QueryError> {
    if !matches!(t.op, Op::Match | Op::Eq) {
        return Err(err(t.column, "text takes ':'"));
    }
    Ok(Node::Search(pattern(
        t,
        format!("%{}%", like_escape(&t.value)),
    )?))
}

fn pattern(t: &Term, p: String) -> Result<Box<str>, QueryError> {
    if p.len() > MAX_PATTERN_BYTES {
        return Err(err(
            t.value_column,
            format!("value is too long (at most {MAX_PATTERN_BYTES} bytes)"),
        ));
    }
    Ok(p.into())
}

/// `%` and `_` in user text are literal, not wildcards.
pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
