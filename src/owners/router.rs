//! The router: combines what each ownership source says about a finding into one suggestion,
//! a person, a team and where the ticket goes, with the chain of reasons that led there.
//!
//! Pure: the sources are read by the caller (`owners::sources`), so every step of the fallback
//! chain is testable with plain values.

use super::roster::Roster;
use crate::config::{Person, Routing, Source, Team, Tickets};
use chrono::NaiveDate;

/// One author of the finding's lines, from blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
    /// Their newest line among the finding's (author time, unix seconds).
    pub time: i64,
    /// How many of the finding's lines they wrote.
    pub lines: usize,
}

/// An owner as a source names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimant {
    Person(String),
    Team(String),
    /// Neither: a GitLab role, a catalog entity of another kind.
    Other(String),
}

/// What one non-blame source says: its owners, and where it says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub source: Source,
    pub owners: Vec<Claimant>,
    /// Where, for the explanation: "CODEOWNERS `/billing/` line 12".
    pub why: String,
}

/// Everything known about one finding's ownership.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Authors of the finding's lines, most recent first; `Err` says why blame is unavailable.
    pub blame: Option<Result<Vec<Author>, String>>,
    pub claims: Vec<Claim>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Confidence {
    /// Only a team, or the catch-all.
    Low,
    /// The champion or lead of the owning team.
    Medium,
    /// The recent author of the lines, or a person the code's owners name.
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub person: Option<String>,
    pub team: Option<String>,
    pub tickets: Option<Tickets>,
    /// `None` when nothing claims the finding.
    pub confidence: Option<Confidence>,
    pub reasons: Vec<String>,
}

impl Suggestion {
    /// The reasons as one line: `blame @dev-one (left 2026-05-01) -> team payments (...)`.
    pub fn chain(&self) -> String {
        self.reasons.join(" -> ")
    }
}

pub struct Router<'a> {
    pub roster: &'a Roster,
    pub routing: &'a Routing,
    pub today: NaiveDate,
}

struct Walk<'r> {
    person: Option<(&'r Person, Confidence)>,
    team: Option<&'r Team>,
    /// The team of an author who left or went stale: the last hint before the catch-all.
    former_team: Option<&'r Team>,
    /// The team is a guess (a former author's team, the catch-all): its champion is no
    /// more certain than the team.
    weak_team: bool,
    reasons: Vec<String>,
}

impl<'a> Router<'a> {
    pub fn route(&self, evidence: &Evidence) -> Suggestion {
        let mut walk = Walk {
            person: None,
            team: None,
            former_team: None,
            weak_team: false,
            reasons: Vec::new(),
        };
        for &source in &self.routing.order {
            match source {
                Source::Blame => self.blame(evidence, &mut walk),
                _ => {
                    for claim in evidence.claims.iter().filter(|c| c.source == source) {
                        self.claim(claim, &mut walk);
                    }
                }
            }
        }
        self.fall_back(&mut walk);
        let team = walk.team.or_else(|| {
            let (p, _) = walk.person?;
            self.roster.team(p.team.as_deref()?)
        });
        let confidence = match (walk.person, team) {
            (Some((_, c)), _) => Some(c),
            (None, Some(_)) => Some(Confidence::Low),
            (None, None) => None,
        };
        if confidence.is_none() {
            walk.reasons
                .push("nothing claims this finding (set [routing].catch_all)".into());
        }
        Suggestion {
            person: walk.person.map(|(p, _)| p.handle.clone()),
            team: team.map(|t| t.name.clone()),
            tickets: team.and_then(|t| t.tickets.clone()),
            confidence,
            reasons: walk.reasons,
        }
    }

    fn active(&self, p: &Person) -> Result<(), String> {
        match self.roster.left_by(p, self.today) {
            Some(day) => Err(format!("left {}", crate::clock::day(day))),
            None => Ok(()),
        }
    }

    fn blame<'r>(&'r self, evidence: &Evidence, walk: &mut Walk<'r>)
    where
        'a: 'r,
    {
        let authors = match &evidence.blame {
            None => return,
            Some(Err(why)) => {
                walk.reasons.push(format!("blame unavailable: {why}"));
                return;
            }
            Some(Ok(a)) => a,
        };
        let horizon = self.today - chrono::Duration::days(self.routing.blame_max_age_days);
        for a in authors {
            let touched = chrono::DateTime::from_timestamp(a.time, 0)
                .map(|t| t.date_naive())
                .unwrap_or(self.today);
            let lines = if a.lines == 1 {
                "1 line".to_string()
            } else {
                format!("{} lines", a.lines)
            };
            let Some(p) = self.roster.author(&a.name, &a.email) else {
                walk.reasons.push(format!(
                    "blame {} <{}> (not in the roster)",
                    a.name, a.email
                ));
                continue;
            };
            if let Err(left) = self.active(p) {
                walk.reasons.push(format!("blame @{} ({left})", p.handle));
                walk.former_team = walk.former_team.or_else(|| self.team_of(p));
                continue;
            }
            if touched < horizon {
                walk.reasons.push(format!(
                    "blame @{} (last touched {}, over {} days ago)",
                    p.handle,
                    crate::clock::day(touched),
                    self.routing.blame_max_age_days
                ));
                walk.former_team = walk.former_team.or_else(|| self.team_of(p));
                continue;
            }
            if walk.person.is_none() {
                walk.reasons.push(format!(
                    "blame @{} ({lines}, {})",
                    p.handle,
                    crate::clock::day(touched)
                ));
                walk.person = Some((p, Confidence::High));
            }
            return;
        }
    }

    fn claim<'r>(&'r self, claim: &Claim, walk: &mut Walk<'r>)
    where
        'a: 'r,
    {
        for owner in &claim.owners {
            match owner {
                Claimant::Team(name) => match self.roster.team(name) {
                    Some(t) if walk.team.is_none() => {
                        walk.reasons
                            .push(format!("team {} ({})", t.name, claim.why));
                        walk.team = Some(t);
                    }
                    Some(_) => {}
                    // Said only while it could have decided: after a team is chosen, noise.
                    None if walk.team.is_none() => walk
                        .reasons
                        .push(format!("{}: {name} (not in the roster)", claim.why)),
                    None => {}
                },
                Claimant::Person(name) => match self.roster.person(name) {
                    Some(_) if walk.person.is_some() => {}
                    Some(p) => match self.active(p) {
                        Ok(()) => {
                            walk.reasons.push(format!("@{} ({})", p.handle, claim.why));
                            walk.person = Some((p, Confidence::High));
                        }
                        Err(left) => {
                            walk.reasons
                                .push(format!("@{} ({}; {left})", p.handle, claim.why));
                            walk.former_team = walk.former_team.or_else(|| self.team_of(p));
                        }
                    },
                    None if walk.person.is_none() => walk
                        .reasons
                        .push(format!("{}: {name} (not in the roster)", claim.why)),
                    None => {}
                },
                Claimant::Other(what) => {
                    if walk.person.is_none() && walk.team.is_none() {
                        walk.reasons
                            .push(format!("{}: {what} (cannot be routed to)", claim.why));
                    }
                }
            }
        }
    }

    fn team_of(&self, p: &Person) -> Option<&'a Team> {
        self.roster.team(p.team.as_deref()?)
    }

    /// No active person yet: the team's champion, then its lead, then the team alone; no team
    /// either: the team of an author who left, then the catch-all.
    fn fall_back<'r>(&'r self, walk: &mut Walk<'r>)
    where
        'a: 'r,
    {
        if walk.person.is_some() {
            return;
        }
        if walk.team.is_none()
            && let Some(t) = walk.former_team
        {
            walk.reasons.push(format!("team {} (their team)", t.name));
            walk.team = Some(t);
            walk.weak_team = true;
        }
        if walk.team.is_none()
            && let Some(c) = &self.routing.catch_all
        {
            if let Some(t) = self.roster.team(c) {
                walk.reasons.push(format!("catch-all team {}", t.name));
                walk.team = Some(t);
                walk.weak_team = true;
            } else if let Some(p) = self.roster.person(c) {
                walk.reasons.push(format!("catch-all @{}", p.handle));
                walk.person = Some((p, Confidence::Low));
                return;
            }
        }
        let Some(team) = walk.team else { return };
        for (role, who) in [("champion", &team.champion), ("lead", &team.lead)] {
            let Some(p) = who.as_deref().and_then(|h| self.roster.person(h)) else {
                continue;
            };
            match self.active(p) {
                Ok(()) => {
                    walk.reasons.push(format!("{role} @{}", p.handle));
                    let c = if walk.weak_team {
                        Confidence::Low
                    } else {
                        Confidence::Medium
                    };
                    walk.person = Some((p, c));
                    return;
                }
                Err(left) => walk.reasons.push(format!("{role} @{} ({left})", p.handle)),
            }
        }
        walk.reasons.push(format!(
            "no active champion or lead: team {} only",
            team.name
        ));
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
