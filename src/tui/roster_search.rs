//! The roster as the console searches it: people and teams from the config, matched fuzzily
//! (nucleo, the matcher of the Helix editor) on every name they go by. The UI thread keeps its
//! own copy: it is small, and searching must answer each key press at once.

use crate::config::Config;
use chrono::NaiveDate;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Matcher, Utf32Str};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Person,
    Team,
}

/// One person or team. Strings are as configured: sanitize before showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// A person's handle, a team's name.
    pub name: String,
    /// A person's full name.
    pub full_name: Option<String>,
    /// A person's team.
    pub team: Option<String>,
    /// The day a person left (whether that day has come depends on the day asked).
    pub left: Option<NaiveDate>,
    /// Everything else the entry is found by: aliases, e-mails.
    pub aliases: Vec<String>,
    /// A team's configured members (handles).
    pub members: Vec<String>,
}

impl Entry {
    /// The day they left, if it has come by `today` (unknown today: the date is taken as said).
    pub fn left_by(&self, today: Option<NaiveDate>) -> Option<NaiveDate> {
        let day = self.left?;
        today.is_none_or(|t| day <= t).then_some(day)
    }

    /// What the search matches against.
    fn haystack(&self) -> String {
        let mut parts = vec![self.name.clone()];
        parts.extend(self.full_name.clone());
        parts.extend(self.team.clone());
        parts.extend(self.aliases.iter().cloned());
        parts.join(" ")
    }
}

/// People first, in config order, then teams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    pub entries: Vec<Entry>,
}

impl Directory {
    pub fn from_config(config: &Config) -> Directory {
        let mut entries = Vec::new();
        for p in config.people.iter().map(|p| p.get_ref()) {
            let mut aliases = p.aliases.clone();
            aliases.extend(p.emails.iter().cloned());
            entries.push(Entry {
                kind: EntryKind::Person,
                name: p.handle.clone(),
                full_name: p.name.clone(),
                team: p.team.clone(),
                left: p.left.as_deref().and_then(crate::clock::parse_day),
                aliases,
                members: Vec::new(),
            });
        }
        for t in config.teams.iter().map(|t| t.get_ref()) {
            entries.push(Entry {
                kind: EntryKind::Team,
                name: t.name.clone(),
                full_name: None,
                team: None,
                left: None,
                aliases: t.aliases.clone(),
                members: t.members.clone(),
            });
        }
        Directory { entries }
    }

    pub fn person(&self, handle: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.kind == EntryKind::Person && e.name == handle)
    }

    pub fn team(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.kind == EntryKind::Team && e.name == name)
    }

    /// The people of a team: its configured members and those whose team it is, in that order.
    pub fn members(&self, team: &str) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = Vec::new();
        let listed = self.team(team).map(|t| t.members.as_slice()).unwrap_or(&[]);
        let by_handle = listed.iter().filter_map(|h| self.person(h));
        let by_team = self
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Person && e.team.as_deref() == Some(team));
        for e in by_handle.chain(by_team) {
            if !out.iter().any(|o| o.name == e.name) {
                out.push(e);
            }
        }
        out
    }

    /// Indexes of the entries matching `query`, best first; every entry, in order, for an empty
    /// query.
    pub fn search(&self, query: &str) -> Vec<usize> {
        if query.trim().is_empty() {
            return (0..self.entries.len()).collect();
        }
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(nucleo_matcher::Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let hay = e.haystack();
                let all = pattern.score(Utf32Str::new(&hay, &mut buf), &mut matcher)?;
                // A match on the handle or team name itself counts twice: "pay" should offer
                // the payments team before each of its members (whose haystack names it too).
                let own = pattern
                    .score(Utf32Str::new(&e.name, &mut buf), &mut matcher)
                    .unwrap_or(0);
                Some((all + own, i))
            })
            .collect();
        // Best first; equal scores keep the roster's order.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, i)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        let config = Config::parse(
            r#"
[[teams]]
name = "payments"
members = ["lee"]
aliases = ["@acme/billing"]
[[teams]]
name = "web"
[[people]]
handle = "lee"
name = "Lee Park"
team = "payments"
emails = ["lee@acme.io"]
[[people]]
handle = "cam"
name = "Cam Diaz"
team = "payments"
left = "2026-03-01"
[[people]]
handle = "ann"
name = "Ann Webb"
team = "web"
"#,
            "t",
        )
        .unwrap();
        Directory::from_config(&config)
    }

    fn names(d: &Directory, q: &str) -> Vec<String> {
        d.search(q)
            .into_iter()
            .map(|i| d.entries[i].name.clone())
            .collect()
    }

    #[test]
    fn search_is_fuzzy_over_every_name_and_ranks_the_closest_first() {
        let d = directory();
        assert_eq!(names(&d, ""), ["lee", "cam", "ann", "payments", "web"]);
        assert_eq!(names(&d, "lee")[0], "lee");
        assert_eq!(names(&d, "park"), ["lee"], "by full name");
        assert_eq!(names(&d, "acme.io"), ["lee"], "by e-mail");
        assert_eq!(names(&d, "billing"), ["payments"], "a team by alias");
        assert_eq!(names(&d, "pymnts")[0], "payments", "letters in order");
        assert!(names(&d, "zzz").is_empty());
        // "web" is a team and Ann's team: both match, the team's own name first.
        assert_eq!(names(&d, "web"), ["web", "ann"]);
    }

    #[test]
    fn leaving_counts_from_the_day_and_members_come_from_both_sides() {
        let d = directory();
        let cam = d.person("cam").unwrap();
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(cam.left_by(Some(day("2026-02-28"))), None);
        assert_eq!(
            cam.left_by(Some(day("2026-03-01"))),
            Some(day("2026-03-01"))
        );
        let members: Vec<&str> = d
            .members("payments")
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(members, ["lee", "cam"]);
        assert!(d.team("web").is_some() && d.team("lee").is_none());
    }
}
