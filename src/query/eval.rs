//! The lowered query evaluated in memory, with the meaning compile.rs gives it in SQL: lane
//! rules assign lanes to every finding of an import without a query per finding. All values
//! were parsed by `lower`, so `matches` only compares and never allocates.

use super::lower::{FlagCol, IntCol, Node, RealCol, TextCol, lower, status_bit};
use super::parse::Expr;
use super::pattern;
use super::values::Cmp;
use super::{Context, QueryError, Record};
use std::cmp::Ordering;

/// A query ready to test findings one at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    root: Node,
}

impl Matcher {
    pub fn new(expr: &Expr, ctx: &Context) -> Result<Matcher, QueryError> {
        Ok(Matcher {
            root: lower(expr, ctx)?,
        })
    }

    /// Whether the finding is one the compiled SQL would select.
    pub fn matches(&self, r: &Record<'_>) -> bool {
        eval(&self.root, r)
    }
}

impl Cmp {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Cmp::Eq => o == Ordering::Equal,
            Cmp::Lt => o == Ordering::Less,
            Cmp::Le => o != Ordering::Greater,
            Cmp::Gt => o == Ordering::Greater,
            Cmp::Ge => o != Ordering::Less,
        }
    }
}

impl IntCol {
    fn get(self, r: &Record<'_>) -> Option<i64> {
        match self {
            IntCol::Severity => Some(r.severity.rank()),
            IntCol::Id => Some(r.id),
            IntCol::Line => r.line,
            IntCol::Tier => r.tier,
        }
    }
}

impl RealCol {
    fn get(self, r: &Record<'_>) -> Option<f64> {
        match self {
            RealCol::Epss => r.epss,
            RealCol::EpssPct => r.epss_pct,
            RealCol::Risk => r.risk,
        }
    }
}

impl FlagCol {
    fn get(self, r: &Record<'_>) -> bool {
        match self {
            FlagCol::Kev => r.kev,
            FlagCol::Validated => r.validated,
            FlagCol::Reachable => r.reachable,
            FlagCol::Exposed => r.exposed,
        }
    }
}

impl TextCol {
    fn get<'a>(self, r: &Record<'a>) -> Option<&'a str> {
        match self {
            TextCol::Tool => Some(r.tool),
            TextCol::Rule => Some(r.rule),
            TextCol::Repo => Some(r.repo),
            TextCol::Path => r.path,
            TextCol::Cwe => r.cwe,
            TextCol::Cve => r.cve,
            TextCol::Lane => r.lane,
            TextCol::Owner => r.owner,
            TextCol::Team => r.team,
            TextCol::Campaign => r.campaign,
            TextCol::Sprint => r.sprint,
            TextCol::DecidedBy => r.decided_by,
            TextCol::FirstSeen => Some(r.first_seen),
            TextCol::Due => r.due,
        }
    }
}

fn eval(node: &Node, r: &Record<'_>) -> bool {
    match node {
        Node::True => true,
        Node::Not(inner) => !eval(inner, r),
        Node::And(parts) => parts.iter().all(|p| eval(p, r)),
        Node::Or(parts) => parts.iter().any(|p| eval(p, r)),
        Node::Int(col, cmp, v) => col.get(r).is_some_and(|x| cmp.holds(x.cmp(v))),
        // SQLite stores no NaN (it becomes NULL), so a failed partial_cmp cannot arise from data.
        Node::Real(col, cmp, v) => col
            .get(r)
            .and_then(|x| x.partial_cmp(v))
            .is_some_and(|o| cmp.holds(o)),
        // TEXT under the BINARY collation compares bytes, as `str` does.
        Node::Text(col, cmp, v) => col.get(r).is_some_and(|x| cmp.holds(x.cmp(v))),
        Node::IsNull(col) => col.get(r).is_none(),
        Node::Flag(col, yes) => col.get(r) == *yes,
        Node::Like(col, p) => col.get(r).is_some_and(|x| pattern::like(p, x)),
        Node::Glob(col, p) => col.get(r).is_some_and(|x| pattern::glob(p, x)),
        Node::Search(p) => {
            pattern::like(p, r.title)
                || pattern::like(p, r.message)
                || pattern::like(p, r.rule)
                || pattern::like(p, r.path.unwrap_or(""))
        }
        Node::Element(col, needle) => framed_contains(col.get(r).unwrap_or(""), needle),
        Node::Status(mask) => mask & status_bit(r.status) != 0,
        Node::Pending => r.pending,
    }
}

/// `(',' || value || ',') LIKE '%' || needle || '%'` with a literal needle: a substring test
/// with ASCII case folding. LIKE reads only up to a NUL, and a value holding one loses the
/// closing comma with its tail.
fn framed_contains(value: &str, needle: &str) -> bool {
    let v = pattern::c_str(value.as_bytes());
    let closed = v.len() == value.len();
    let len = v.len() + 1 + usize::from(closed);
    let n = needle.as_bytes();
    if n.len() > len {
        return false;
    }
    let at = |i: usize| {
        if i == 0 || i == v.len() + 1 {
            b','
        } else {
            v[i - 1]
        }
    };
    (0..=len - n.len()).any(|start| {
        n.iter()
            .enumerate()
            .all(|(k, b)| at(start + k).eq_ignore_ascii_case(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    #[test]
    fn status_bits_cover_every_status_once() {
        let all = Status::ALL.iter().fold(0u16, |m, s| {
            assert_eq!(m & status_bit(*s), 0, "{s}");
            m | status_bit(*s)
        });
        assert_eq!(all.count_ones() as usize, Status::ALL.len());
    }

    #[test]
    fn element_search_frames_the_list() {
        assert!(framed_contains("CWE-79,CWE-89", ",cwe-89,"));
        assert!(framed_contains("CWE-79", ",CWE-79,"));
        assert!(!framed_contains("CWE-790", ",CWE-79,"));
        assert!(!framed_contains("", ",CWE-79,"));
        assert!(framed_contains("CWE-79,CWE-89", ",CWE-79,CWE-89,"));
        assert!(!framed_contains("CWE-79\0,x", ",CWE-79,"));
        assert!(framed_contains("a\0", ",a"));
    }
}
