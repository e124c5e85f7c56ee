//! The fields a term may name. One table, so the error message, `Expr::fields` and the
//! lowering all agree on names and aliases.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Severity,
    Status,
    Tool,
    Rule,
    Repo,
    Path,
    Cwe,
    Cve,
    Id,
    Line,
    Text,
    Lane,
    Owner,
    Team,
    Campaign,
    Sprint,
    DecidedBy,
    Kev,
    Validated,
    Reachable,
    Exposed,
    Epss,
    EpssPct,
    Risk,
    Tier,
    Age,
    Due,
}

/// (field, canonical name, aliases)
const TABLE: &[(Field, &str, &[&str])] = &[
    (Field::Severity, "severity", &["sev"]),
    (Field::Status, "status", &["is"]),
    (Field::Tool, "tool", &[]),
    (Field::Rule, "rule", &[]),
    (Field::Repo, "repo", &[]),
    (Field::Path, "path", &[]),
    (Field::Cwe, "cwe", &[]),
    (Field::Cve, "cve", &[]),
    (Field::Id, "id", &[]),
    (Field::Line, "line", &[]),
    (Field::Text, "text", &[]),
    (Field::Lane, "lane", &[]),
    (Field::Owner, "owner", &[]),
    (Field::Team, "team", &[]),
    (Field::Campaign, "campaign", &[]),
    (Field::Sprint, "sprint", &[]),
    (Field::DecidedBy, "decided-by", &["decided_by"]),
    (Field::Kev, "kev", &[]),
    (Field::Validated, "validated", &[]),
    (Field::Reachable, "reachable", &[]),
    (Field::Exposed, "exposed", &[]),
    (Field::Epss, "epss", &[]),
    (Field::EpssPct, "epss-pct", &["epss_pct"]),
    (Field::Risk, "risk", &[]),
    (Field::Tier, "tier", &[]),
    (Field::Age, "age", &[]),
    (Field::Due, "due", &[]),
];

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
    "lane",
    "owner",
    "team",
    "campaign",
    "sprint",
    "decided-by",
    "kev",
    "validated",
    "reachable",
    "exposed",
    "epss",
    "epss-pct",
    "risk",
    "tier",
    "age",
    "due",
];

impl Field {
    /// `name` is already lowercased by the parser.
    pub(crate) fn from_name(name: &str) -> Option<Field> {
        TABLE
            .iter()
            .find(|(_, canon, aliases)| *canon == name || aliases.contains(&name))
            .map(|(f, _, _)| *f)
    }

    pub(crate) fn name(self) -> &'static str {
        TABLE
            .iter()
            .find(|(f, _, _)| *f == self)
            .map(|(_, n, _)| *n)
            .unwrap_or("text")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_listed_once_under_its_canonical_name() {
        assert_eq!(TABLE.len(), FIELDS.len());
        for ((f, canon, aliases), shown) in TABLE.iter().zip(FIELDS) {
            assert_eq!(f.name(), *canon);
            assert_eq!(Field::from_name(canon), Some(*f));
            assert!(shown.starts_with(canon), "{shown} vs {canon}");
            for a in *aliases {
                assert_eq!(Field::from_name(a), Some(*f));
            }
        }
    }
}
