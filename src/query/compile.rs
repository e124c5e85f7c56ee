//! The lowered query as a SQL `WHERE` fragment over `findings`. Values are always bound
//! parameters; only column names and operators reach the SQL text.

use super::lower::{FlagCol, IntCol, Node, RealCol, TextCol, like_escape, lower, status_bit};
use super::parse::Expr;
use super::values::Cmp;
use super::{Context, QueryError};
use crate::model::Status;
use rusqlite::types::Value;

/// A `WHERE` fragment over the `findings` table and the values bound to its `?` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Value>,
}

pub fn compile(expr: &Expr, ctx: &Context) -> Result<Compiled, QueryError> {
    let node = lower(expr, ctx)?;
    let mut c = Compiled {
        sql: String::new(),
        params: Vec::new(),
    };
    emit(&node, &mut c);
    Ok(c)
}

impl IntCol {
    fn sql(self) -> &'static str {
        match self {
            IntCol::Severity => "severity",
            IntCol::Id => "id",
            IntCol::Line => "start_line",
            IntCol::Tier => "tier",
        }
    }
}

impl RealCol {
    fn sql(self) -> &'static str {
        match self {
            RealCol::Epss => "epss",
            RealCol::EpssPct => "epss_pct",
            RealCol::Risk => "risk",
        }
    }
}

impl FlagCol {
    fn sql(self) -> &'static str {
        match self {
            FlagCol::Kev => "kev",
            FlagCol::Validated => "validated",
            FlagCol::Reachable => "reachable",
            FlagCol::Exposed => "exposed",
        }
    }
}

impl TextCol {
    fn sql(self) -> &'static str {
        match self {
            TextCol::Tool => "tool",
            TextCol::Rule => "rule",
            TextCol::Repo => "repo",
            TextCol::Path => "path",
            TextCol::Cwe => "cwe",
            TextCol::Cve => "cve",
            TextCol::Lane => "lane",
            TextCol::Owner => "owner",
            TextCol::Team => "team",
            TextCol::Campaign => "campaign",
            TextCol::Sprint => "sprint",
            TextCol::DecidedBy => "decided_by",
            TextCol::FirstSeen => "first_seen",
            TextCol::Due => "due",
        }
    }
}

fn op(cmp: Cmp) -> &'static str {
    match cmp {
        Cmp::Eq => "=",
        Cmp::Lt => "<",
        Cmp::Le => "<=",
        Cmp::Gt => ">",
        Cmp::Ge => ">=",
    }
}

/// A test on a column that may be NULL: `NULL AND 0` is 0, so the whole is never NULL and
/// `NOT` of it holds for the findings without a value (as in the matcher). The plain
/// comparison stays visible to the planner, which can use an index for it.
fn guarded(c: &mut Compiled, nullable: bool, col: &str, test: &str) {
    if nullable {
        c.sql.push_str(&format!("({col} IS NOT NULL AND {test})"));
    } else {
        c.sql.push_str(test);
    }
}

fn emit(node: &Node, c: &mut Compiled) {
    match node {
        Node::True => c.sql.push('1'),
        Node::Not(inner) => {
            c.sql.push_str("NOT (");
            emit(inner, c);
            c.sql.push(')');
        }
        Node::And(parts) | Node::Or(parts) => {
            let joiner = if matches!(node, Node::And(_)) {
                " AND "
            } else {
                " OR "
            };
            c.sql.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    c.sql.push_str(joiner);
                }
                emit(p, c);
            }
            c.sql.push(')');
        }
        Node::Int(col, cmp, v) => {
            let test = format!("{} {} ?", col.sql(), op(*cmp));
            guarded(c, col.nullable(), col.sql(), &test);
            c.params.push(Value::Integer(*v));
        }
        Node::Real(col, cmp, v) => {
            let test = format!("{} {} ?", col.sql(), op(*cmp));
            guarded(c, true, col.sql(), &test);
            c.params.push(Value::Real(*v));
        }
        Node::Text(col, cmp, v) => {
            let test = format!("{} {} ?", col.sql(), op(*cmp));
            guarded(c, col.nullable(), col.sql(), &test);
            c.params.push(Value::Text(v.to_string()));
        }
        Node::IsNull(col) => c.sql.push_str(&format!("{} IS NULL", col.sql())),
        Node::Flag(col, yes) => {
            let test = if *yes { "!= 0" } else { "= 0" };
            c.sql.push_str(&format!("{} {test}", col.sql()));
        }
        Node::Like(col, pattern) => {
            let test = format!("{} LIKE ? ESCAPE '\\'", col.sql());
            guarded(c, col.nullable(), col.sql(), &test);
            c.params.push(Value::Text(pattern.to_string()));
        }
        Node::Glob(col, pattern) => {
            let test = format!("{} GLOB ?", col.sql());
            guarded(c, col.nullable(), col.sql(), &test);
            c.params.push(Value::Text(pattern.to_string()));
        }
        Node::Search(pattern) => {
            // One bound value serves all four columns, so number it explicitly; later plain
            // `?`s continue after the highest number used, as SQLite defines.
            let n = c.params.len() + 1;
            c.sql.push_str(&format!(
                "(title LIKE ?{n} ESCAPE '\\' OR message LIKE ?{n} ESCAPE '\\' OR rule LIKE ?{n} ESCAPE '\\' OR IFNULL(path, '') LIKE ?{n} ESCAPE '\\')"
            ));
            c.params.push(Value::Text(pattern.to_string()));
        }
        Node::Element(col, needle) => {
            c.sql.push_str(&format!(
                "(',' || IFNULL({}, '') || ',') LIKE ? ESCAPE '\\'",
                col.sql()
            ));
            c.params
                .push(Value::Text(format!("%{}%", like_escape(needle))));
        }
        Node::Status(mask) => {
            let statuses: Vec<Status> = Status::ALL
                .into_iter()
                .filter(|s| mask & status_bit(*s) != 0)
                .collect();
            let marks = vec!["?"; statuses.len()].join(",");
            c.sql.push_str(&format!("status IN ({marks})"));
            c.params
                .extend(statuses.iter().map(|s| Value::Text(s.as_str().to_string())));
        }
        Node::Pending => c.sql.push_str("pending_id IS NOT NULL"),
    }
}
