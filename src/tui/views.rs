//! Saved views as tabs, and the `:` command line. A view is a query, a sort and the columns to
//! show; the first tab, "all", is the whole backlog unless the config defines a view of that
//! name.

use super::columns::Column;
use crate::config::View;
use crate::store::{SortField, SortKey};

#[derive(Debug, Clone, PartialEq)]
pub struct Tab {
    /// As configured: sanitize before showing.
    pub name: String,
    pub query: String,
    pub sort: SortKey,
    /// Empty: the default columns.
    pub columns: Vec<Column>,
    /// What was wrong with the view's sort (the default sort is used instead).
    pub problem: Option<String>,
}

impl Tab {
    pub fn all() -> Tab {
        Tab {
            name: "all".into(),
            query: String::new(),
            sort: SortKey::DEFAULT,
            columns: Vec::new(),
            problem: None,
        }
    }

    /// A configured view. Unknown column names are skipped: the console shows what it can, and
    /// `config check` is where a typo is reported.
    pub fn from_view(v: &View) -> Tab {
        let (sort, problem) = match v.sort.as_deref().map(str::trim) {
            None | Some("") => (SortKey::DEFAULT, None),
            Some(s) => match s.parse::<SortKey>() {
                Ok(k) => (k, None),
                Err(e) => (SortKey::DEFAULT, Some(format!("view {}: {e}", v.name))),
            },
        };
        Tab {
            name: v.name.clone(),
            query: v.query.clone(),
            sort,
            columns: v
                .columns
                .iter()
                .filter_map(|c| Column::from_name(c))
                .collect(),
            problem,
        }
    }
}

/// "all" first, then the views in config order; a view named "all" takes the first place.
pub fn tabs(views: &[View]) -> Vec<Tab> {
    let mut out = vec![Tab::all()];
    for v in views {
        if v.name.trim().eq_ignore_ascii_case("all") {
            out[0] = Tab::from_view(v);
        } else {
            out.push(Tab::from_view(v));
        }
    }
    out
}

/// The tab a name means: exactly, else ignoring case.
pub fn find(tabs: &[Tab], name: &str) -> Option<usize> {
    let name = name.trim();
    tabs.iter()
        .position(|t| t.name == name)
        .or_else(|| tabs.iter().position(|t| t.name.eq_ignore_ascii_case(name)))
}

/// The direction a column is sorted in when the sort first moves to it: worst, riskiest,
/// newest first; deadlines soonest first; words alphabetically.
pub fn natural(field: SortField) -> SortKey {
    let descending = matches!(
        field,
        SortField::Severity | SortField::Risk | SortField::Id | SortField::LastSeen
    );
    SortKey { field, descending }
}

/// The sort after `sort_next`: the next field of `SortField::ALL`, in its natural direction.
pub fn next_sort(current: SortKey) -> SortKey {
    let all = SortField::ALL;
    let i = all.iter().position(|f| *f == current.field).unwrap_or(0);
    natural(all[(i + 1) % all.len()])
}

/// "severity desc": the sort as the status bar shows it.
pub fn sort_label(sort: SortKey) -> String {
    let dir = if sort.descending { "desc" } else { "asc" };
    format!("{} {dir}", sort.field.name())
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    View(String),
    Sort(SortKey),
    Help,
    Quit,
    /// An empty line: close the command line.
    Nothing,
}

const USAGE: &str = "view NAME, sort FIELD [asc|desc], help, q";

/// Parses a command line (without its `:`).
pub fn parse(line: &str, tabs: &[Tab]) -> Result<Command, String> {
    let line = line.trim();
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (line, ""),
    };
    let names = || {
        let names: Vec<&str> = tabs.iter().map(|t| t.name.as_str()).collect();
        names.join(", ")
    };
    match word {
        "" => Ok(Command::Nothing),
        "q" | "q!" | "quit" | "qa" => Ok(Command::Quit),
        "help" | "h" => Ok(Command::Help),
        "view" | "v" if rest.is_empty() => Err(format!("view needs a name: {}", names())),
        "view" | "v" => match find(tabs, rest) {
            Some(i) => Ok(Command::View(tabs[i].name.clone())),
            None => Err(format!("no view named '{rest}' (views: {})", names())),
        },
        "sort" | "s" => parse_sort(rest).map(Command::Sort),
        other => Err(format!("unknown command '{other}' (commands: {USAGE})")),
    }
}

/// `risk`, `-risk`, `risk desc`, `due asc`.
fn parse_sort(args: &str) -> Result<SortKey, String> {
    let mut words = args.split_whitespace();
    let (Some(field), dir, None) = (words.next(), words.next(), words.next()) else {
        let fields: Vec<&str> = SortField::ALL.iter().map(|f| f.name()).collect();
        return Err(format!(
            "sort needs a field, then asc or desc if you like: {}",
            fields.join(", ")
        ));
    };
    let key: SortKey = field.parse()?;
    match dir.map(str::to_ascii_lowercase).as_deref() {
        None if field.starts_with('-') => Ok(key),
        None => Ok(natural(key.field)),
        Some("asc") if !field.starts_with('-') => Ok(SortKey {
            descending: false,
            ..key
        }),
        Some("desc") if !field.starts_with('-') => Ok(SortKey {
            descending: true,
            ..key
        }),
        Some(d) => Err(format!("sort {field} {d}: the direction is asc or desc")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str, query: &str, sort: Option<&str>, columns: &[&str]) -> View {
        View {
            name: name.into(),
            query: query.into(),
            sort: sort.map(Into::into),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn views_become_tabs_after_all() {
        let t = tabs(&[
            view(
                "hot",
                "risk>=80",
                Some("-risk"),
                &["risk", "bogus", "title"],
            ),
            view("late", "", Some("sideways"), &[]),
        ]);
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["all", "hot", "late"]);
        assert_eq!(t[1].columns, [Column::Risk, Column::Title]);
        assert_eq!(t[1].sort.name(), "-risk");
        assert_eq!(t[2].sort, SortKey::DEFAULT);
        assert!(t[2].problem.as_deref().unwrap().contains("sideways"));
        let t = tabs(&[view("All", "is:active", None, &[])]);
        assert_eq!((t.len(), t[0].query.as_str()), (1, "is:active"));
    }

    #[test]
    fn commands() {
        let t = tabs(&[view("Hot", "", None, &[])]);
        assert_eq!(parse(" view hot ", &t), Ok(Command::View("Hot".into())));
        assert_eq!(parse("q", &t), Ok(Command::Quit));
        assert_eq!(parse("", &t), Ok(Command::Nothing));
        let due = SortKey {
            field: SortField::Due,
            descending: false,
        };
        assert_eq!(parse("sort due", &t), Ok(Command::Sort(due)));
        assert_eq!(
            parse("sort -risk", &t),
            Ok(Command::Sort(natural(SortField::Risk)))
        );
        assert_eq!(
            parse("sort due desc", &t),
            Ok(Command::Sort(SortKey {
                descending: true,
                ..due
            }))
        );
        assert!(parse("sort", &t).unwrap_err().contains("risk"));
        assert!(
            parse("sort due up", &t)
                .unwrap_err()
                .contains("asc or desc")
        );
        assert!(
            parse("view cold", &t)
                .unwrap_err()
                .contains("views: all, Hot")
        );
        assert!(
            parse("frobnicate x", &t)
                .unwrap_err()
                .contains("unknown command 'frobnicate'")
        );
        assert_eq!(next_sort(SortKey::DEFAULT), natural(SortField::Risk));
        assert_eq!(sort_label(SortKey::DEFAULT), "severity desc");
    }
}
