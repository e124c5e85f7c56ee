//! The people and teams from config, indexed the ways other sources name them: commit e-mails
//! and names, forge logins, CODEOWNERS teams, catalog groups.

use crate::config::{Config, Person, Team};
use chrono::NaiveDate;
use std::collections::HashMap;

pub struct Roster {
    people: Vec<Person>,
    teams: Vec<Team>,
    person_keys: HashMap<String, usize>,
    team_keys: HashMap<String, usize>,
}

/// Lower-cased, without the `@` of a login or the kind and namespace of a catalog reference
/// (`group:default/payments` -> `payments`), so every source's spelling meets the roster's.
fn key(name: &str) -> String {
    let name = name.trim().trim_start_matches('@');
    let name = match name.split_once(':') {
        Some((kind, rest)) if !kind.contains('/') && !rest.is_empty() => rest,
        _ => name,
    };
    let name = name.strip_prefix("default/").unwrap_or(name);
    name.to_lowercase()
}

impl Roster {
    pub fn from_config(config: &Config) -> Roster {
        let people: Vec<Person> = config.people.iter().map(|p| p.get_ref().clone()).collect();
        let teams: Vec<Team> = config.teams.iter().map(|t| t.get_ref().clone()).collect();
        let mut person_keys = HashMap::new();
        // Handles first, so an alias or a name never shadows someone's handle.
        for (i, p) in people.iter().enumerate() {
            person_keys.entry(key(&p.handle)).or_insert(i);
        }
        for (i, p) in people.iter().enumerate() {
            let names = p.emails.iter().chain(&p.aliases).chain(p.name.as_ref());
            for n in names {
                person_keys.entry(key(n)).or_insert(i);
            }
        }
        let mut team_keys = HashMap::new();
        for (i, t) in teams.iter().enumerate() {
            team_keys.entry(key(&t.name)).or_insert(i);
        }
        for (i, t) in teams.iter().enumerate() {
            for a in &t.aliases {
                team_keys.entry(key(a)).or_insert(i);
            }
        }
        Roster {
            people,
            teams,
            person_keys,
            team_keys,
        }
    }

    pub fn people(&self) -> &[Person] {
        &self.people
    }

    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    /// A person by handle, alias, e-mail or full name (case-insensitive).
    pub fn person(&self, name: &str) -> Option<&Person> {
        self.person_keys.get(&key(name)).map(|&i| &self.people[i])
    }

    /// A commit author: by e-mail first (names collide more often), then by name.
    pub fn author(&self, name: &str, email: &str) -> Option<&Person> {
        self.person(email).or_else(|| self.person(name))
    }

    /// A team by name or alias. A CODEOWNERS team `@org/slug` that no alias names is matched by
    /// its slug against team names, since forge team slugs usually are the team's name.
    pub fn team(&self, name: &str) -> Option<&Team> {
        if let Some(&i) = self.team_keys.get(&key(name)) {
            return Some(&self.teams[i]);
        }
        let slug = name.rsplit('/').next()?;
        if slug.len() == name.len() {
            return None;
        }
        self.teams
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(slug))
    }

    /// The day they left, if that day has come.
    pub fn left_by(&self, person: &Person, today: NaiveDate) -> Option<NaiveDate> {
        let day = crate::clock::parse_day(person.left.as_deref()?)?;
        (day <= today).then_some(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        let cfg = Config::parse(
            r#"
[[teams]]
name = "payments"
aliases = ["@acme/billing-legacy"]
[[teams]]
name = "web"
[[people]]
handle = "ann"
name = "Ann Lee"
emails = ["ann@acme.io", "ann.lee@old.example"]
aliases = ["annl-gh"]
team = "payments"
left = "2026-05-01"
[[people]]
handle = "bo"
"#,
            "t",
        )
        .unwrap();
        Roster::from_config(&cfg)
    }

    #[test]
    fn people_are_found_by_every_name_they_go_by() {
        let r = roster();
        for n in [
            "ann",
            "@ann",
            "ANN@acme.io",
            "ann.lee@old.example",
            "@annl-gh",
            "ann lee",
        ] {
            assert_eq!(r.person(n).map(|p| p.handle.as_str()), Some("ann"), "{n}");
        }
        assert!(r.person("user:default/bo").is_some());
        assert!(r.person("nobody").is_none());
        assert_eq!(
            r.author("Someone Else", "ann@acme.io").unwrap().handle,
            "ann"
        );
    }

    #[test]
    fn teams_by_name_alias_catalog_ref_and_forge_slug() {
        let r = roster();
        for n in [
            "payments",
            "@acme/billing-legacy",
            "group:default/payments",
            "group:payments",
            "@acme/payments",
            "@acme/web",
        ] {
            assert!(r.team(n).is_some(), "{n}");
        }
        assert!(r.team("@acme/unknown").is_none());
        assert!(r.team("unknown").is_none());
    }

    #[test]
    fn leaving_counts_from_the_day() {
        let r = roster();
        let ann = r.person("ann").unwrap();
        let d = |s| crate::clock::parse_day(s).unwrap();
        assert_eq!(r.left_by(ann, d("2026-04-30")), None);
        assert_eq!(r.left_by(ann, d("2026-05-01")), Some(d("2026-05-01")));
        assert_eq!(r.left_by(r.person("bo").unwrap(), d("2030-01-01")), None);
    }
}
