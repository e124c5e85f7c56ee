use super::QueryError;
use super::parse::{Expr, Op, Term};
use crate::model::{Severity, Status};
use rusqlite::types::Value;

/// A `WHERE` fragment over the `findings` table and the values bound to its `?` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<Value>,
}

/// The fields a term may name, with their aliases; shown when a field is unknown.
pub const FIELDS: &[&str] = &[
    "severity (sev)",
    "status (is)",
    "tool",
    "rule",
    "repo",
    "path",
    "cwe",
    "cve",
    "id",
    "line",
    "text",
];

pub fn compile(expr: &Expr) -> Result<Compiled, QueryError> {
    let mut c = Compiled {
        sql: String::new(),
        params: Vec::new(),
    };
    emit(expr, &mut c)?;
    Ok(c)
}

fn emit(expr: &Expr, c: &mut Compiled) -> Result<(), QueryError> {
    match expr {
        Expr::All => c.sql.push('1'),
        Expr::Term(t) => term(t, c)?,
        Expr::Not(inner) => {
            c.sql.push_str("NOT (");
            emit(inner, c)?;
            c.sql.push(')');
        }
        Expr::And(parts) | Expr::Or(parts) => {
            let joiner = if matches!(expr, Expr::And(_)) {
                " AND "
            } else {
                " OR "
            };
            c.sql.push('(');
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    c.sql.push_str(joiner);
                }
                emit(p, c)?;
            }
            c.sql.push(')');
        }
    }
    Ok(())
}

fn err(column: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        column,
        message: message.into(),
    }
}

fn cmp_sql(op: Op) -> &'static str {
    match op {
        Op::Match | Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    }
}

/// `%` and `_` in user text are literal, not wildcards.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn term(t: &Term, c: &mut Compiled) -> Result<(), QueryError> {
    let Some(field) = t.field.as_deref() else {
        return text(t, c);
    };
    let only_match = |t: &Term| -> Result<(), QueryError> {
        if matches!(t.op, Op::Match | Op::Eq | Op::Ne) {
            Ok(())
        } else {
            Err(err(
                t.column,
                format!("'{field}' takes ':' (or '=' / '!='), not a comparison"),
            ))
        }
    };
    match field {
        "severity" | "sev" => {
            let values: Result<Vec<Severity>, _> = t.value.split(',').map(str::parse).collect();
            let values = values.map_err(|m| err(t.value_column, m))?;
            if values.len() > 1 {
                only_match(t)?;
                in_list(
                    c,
                    "severity",
                    t.op == Op::Ne,
                    values.iter().map(|s| Value::Integer(s.rank())),
                );
            } else {
                c.sql.push_str(&format!("severity {} ?", cmp_sql(t.op)));
                c.params.push(Value::Integer(values[0].rank()));
            }
        }
        "status" | "is" => {
            only_match(t)?;
            let mut statuses = Vec::new();
            for v in t.value.split(',') {
                match v.to_ascii_lowercase().as_str() {
                    "active" | "unresolved" => {
                        statuses.extend(Status::ALL.into_iter().filter(|s| s.is_active()))
                    }
                    "closed" | "resolved" => {
                        statuses.extend(Status::ALL.into_iter().filter(|s| !s.is_active()))
                    }
                    other => statuses.push(
                        other
                            .parse::<Status>()
                            .map_err(|m| err(t.value_column, m))?,
                    ),
                }
            }
            in_list(
                c,
                "status",
                t.op == Op::Ne,
                statuses.iter().map(|s| Value::Text(s.as_str().into())),
            );
        }
        "tool" => prefix_or_glob(t, c, "tool")?,
        "rule" => prefix_or_glob(t, c, "rule")?,
        "repo" => prefix_or_glob(t, c, "repo")?,
        "path" => prefix_or_glob(t, c, "path")?,
        "cwe" | "cve" => {
            only_match(t)?;
            let mut v = t.value.to_ascii_uppercase();
            if field == "cwe" && !v.starts_with("CWE-") {
                v = format!("CWE-{v}");
            }
            // Stored as a comma-separated list: match a whole element.
            let neg = if t.op == Op::Ne { "NOT " } else { "" };
            c.sql.push_str(&format!(
                "{neg}(',' || IFNULL({field}, '') || ',') LIKE ? ESCAPE '\\'"
            ));
            c.params
                .push(Value::Text(format!("%,{},%", like_escape(&v))));
        }
        "id" | "line" => {
            let n: i64 = t.value.parse().map_err(|_| {
                err(
                    t.value_column,
                    format!("'{field}' needs a whole number, not '{}'", t.value),
                )
            })?;
            let col = if field == "id" { "id" } else { "start_line" };
            c.sql.push_str(&format!("{col} {} ?", cmp_sql(t.op)));
            c.params.push(Value::Integer(n));
        }
        "text" => text(t, c)?,
        other => {
            return Err(err(
                t.column,
                format!("unknown field '{other}' (fields: {})", FIELDS.join(", ")),
            ));
        }
    }
    Ok(())
}

fn in_list(c: &mut Compiled, col: &str, negate: bool, values: impl Iterator<Item = Value>) {
    let values: Vec<Value> = values.collect();
    let marks = vec!["?"; values.len()].join(",");
    let not = if negate { "NOT " } else { "" };
    c.sql.push_str(&format!("{col} {not}IN ({marks})"));
    c.params.extend(values);
}

/// `field:abc` is a case-insensitive prefix match; with `*`, `?` or `[...]` it is a glob;
/// `field=abc` is exact.
fn prefix_or_glob(t: &Term, c: &mut Compiled, col: &str) -> Result<(), QueryError> {
    let neg = if t.op == Op::Ne { "NOT " } else { "" };
    match t.op {
        Op::Eq | Op::Ne if !has_glob(&t.value) => {
            c.sql.push_str(&format!("{neg}IFNULL({col}, '') = ?"));
            c.params.push(Value::Text(t.value.clone()));
        }
        Op::Match | Op::Eq | Op::Ne if has_glob(&t.value) => {
            c.sql.push_str(&format!("{neg}IFNULL({col}, '') GLOB ?"));
            c.params.push(Value::Text(t.value.clone()));
        }
        Op::Match => {
            c.sql.push_str(&format!("{col} LIKE ? ESCAPE '\\'"));
            c.params
                .push(Value::Text(format!("{}%", like_escape(&t.value))));
        }
        _ => {
            return Err(err(
                t.column,
                format!("'{col}' takes ':' or '=', not a comparison"),
            ));
        }
    }
    Ok(())
}

fn text(t: &Term, c: &mut Compiled) -> Result<(), QueryError> {
    if !matches!(t.op, Op::Match | Op::Eq) {
        return Err(err(t.column, "text takes ':'"));
    }
    // One bound value serves all four columns, so number it explicitly; later plain `?`s
    // continue after the highest number used, as SQLite defines.
    let n = c.params.len() + 1;
    c.sql.push_str(&format!(
        "(title LIKE ?{n} ESCAPE '\\' OR message LIKE ?{n} ESCAPE '\\' OR rule LIKE ?{n} ESCAPE '\\' OR IFNULL(path, '') LIKE ?{n} ESCAPE '\\')"
    ));
    c.params
        .push(Value::Text(format!("%{}%", like_escape(&t.value))));
    Ok(())
}
