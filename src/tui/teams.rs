//! The teams view: each team's active findings by lane, how many are overdue, how many have no
//! person, and the load per person (people who left flagged, so their work gets rerouted).
//! Read by one grouped query on the reader thread (`Store::team_load`); `Enter` shows a team's
//! findings in the backlog.

use super::action::Action;
use super::app::{Effect, Focus, State};
use super::roster_search::{Directory, EntryKind};
use crate::store::TeamLoad;
use crate::triage::policy::Policy;
use chrono::NaiveDate;

#[derive(Debug, Clone, Default)]
pub struct TeamsView {
    pub generation: u64,
    /// None until first read; the last answer while a newer read is on its way.
    pub loads: Option<Vec<TeamLoad>>,
    /// A read is on its way (at a million findings it takes most of a second).
    pub reading: bool,
    /// The team under the cursor, and the first team on screen.
    pub cursor: usize,
    pub offset: usize,
}

/// One team as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamRow {
    /// None: findings without a team.
    pub team: Option<String>,
    /// In the config's `[[teams]]`; a team only findings name is marked.
    pub in_roster: bool,
    pub load: TeamLoad,
    /// Per person, most first: (handle, active findings, the day they left if they have).
    /// Roster members without findings are listed with 0, so spare hands show.
    pub people: Vec<(String, u64, Option<NaiveDate>)>,
}

/// The rows: roster teams in config order (with or without work), then teams only findings
/// name, then the findings without a team.
pub fn rows(loads: &[TeamLoad], directory: &Directory, today: Option<NaiveDate>) -> Vec<TeamRow> {
    let person_row = |handle: &str, n: u64| {
        let left = directory.person(handle).and_then(|p| p.left_by(today));
        (handle.to_string(), n, left)
    };
    let with_people = |team: Option<&str>, load: TeamLoad, in_roster: bool| {
        let mut people: Vec<(String, u64, Option<NaiveDate>)> = load
            .by_owner
            .iter()
            .map(|(h, n)| person_row(h, *n))
            .collect();
        if let Some(t) = team {
            for m in directory.members(t) {
                if !people.iter().any(|(h, _, _)| *h == m.name) {
                    people.push(person_row(&m.name, 0));
                }
            }
        }
        TeamRow {
            team: team.map(str::to_string),
            in_roster,
            load,
            people,
        }
    };
    let load_of = |team: Option<&str>| {
        loads
            .iter()
            .find(|l| l.team.as_deref() == team)
            .cloned()
            .unwrap_or_else(|| TeamLoad {
                team: team.map(str::to_string),
                ..TeamLoad::default()
            })
    };
    let mut out: Vec<TeamRow> = directory
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::Team)
        .map(|e| with_people(Some(&e.name), load_of(Some(&e.name)), true))
        .collect();
    // `team_load` lists teams by name, the findings without one last.
    for l in loads {
        match &l.team {
            Some(t) if directory.team(t).is_none() => {
                out.push(with_people(Some(t), l.clone(), false));
            }
            None => out.push(with_people(None, l.clone(), false)),
            Some(_) => {}
        }
    }
    out
}

/// The lanes to show as columns: the policy's in order, then any other lane findings are in,
/// then `none` when some have no lane.
pub fn lanes(rows: &[TeamRow], policy: &Policy) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = policy.lanes.iter().map(|l| Some(l.name.clone())).collect();
    let mut others: Vec<Option<String>> = Vec::new();
    for r in rows {
        for (lane, _) in &r.load.by_lane {
            if !out.contains(lane) && !others.contains(lane) {
                others.push(lane.clone());
            }
        }
    }
    // Named lanes before `none` (None sorts first otherwise).
    others.sort_by(|a, b| a.is_none().cmp(&b.is_none()).then(a.cmp(b)));
    out.extend(others);
    out
}

/// The filter that shows a team's findings in the backlog.
pub fn filter_for(team: Option<&str>) -> String {
    match team {
        Some(t) => format!("team={} is:active", crate::query::quote(t)),
        None => "team:none is:active".into(),
    }
}

impl State {
    /// How many rows the teams view has now.
    pub fn team_rows(&self) -> Vec<TeamRow> {
        let Some(v) = &self.owners.teams else {
            return Vec::new();
        };
        rows(
            v.loads.as_deref().unwrap_or(&[]),
            &self.owners.directory,
            self.today,
        )
    }
}

/// A request for the loads as of today (`None` when the view is closed).
pub fn load(state: &mut State) -> Option<Effect> {
    let today = state
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let generation = state.owners.next_generation();
    let view = state.owners.teams.as_mut()?;
    view.generation = generation;
    view.reading = true;
    Some(Effect::Teams { generation, today })
}

/// Opens the view on the last numbers read, if any, while it reads them again.
pub fn open(state: &mut State) -> Vec<Effect> {
    state.error = None;
    state.owners.teams = Some(TeamsView {
        loads: state.owners.last_loads.clone(),
        ..TeamsView::default()
    });
    load(state).into_iter().collect()
}

/// An action while the view has the keyboard.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let rows = state.team_rows();
    let n = rows.len();
    let page = super::teams_view::visible_teams(state).max(1) as i64;
    let Some(view) = state.owners.teams.as_mut() else {
        return Vec::new();
    };
    let at = view.cursor as i64;
    let target = match action {
        Action::MoveDown => at + 1,
        Action::MoveUp => at - 1,
        Action::PageDown => at + page,
        Action::PageUp => at - page,
        Action::HalfPageDown => at + (page / 2).max(1),
        Action::HalfPageUp => at - (page / 2).max(1),
        Action::Top => 0,
        Action::Bottom => n as i64,
        Action::Teams | Action::Back => {
            state.owners.teams = None;
            return Vec::new();
        }
        Action::Refresh => return load(state).into_iter().collect(),
        Action::ShowTeam => {
            let Some(row) = rows.get(view.cursor) else {
                return Vec::new();
            };
            let filter = filter_for(row.team.as_deref());
            state.owners.teams = None;
            state.focus = Focus::List;
            return state.set_query(filter);
        }
        Action::Help => {
            state.help = Some(0);
            return Vec::new();
        }
        Action::Quit => {
            state.quit = true;
            return Vec::new();
        }
        _ => return Vec::new(),
    };
    view.cursor = target.clamp(0, (n as i64 - 1).max(0)) as usize;
    // The view draws whole teams: keep the cursor's within the first `page` from `offset`.
    if view.cursor < view.offset {
        view.offset = view.cursor;
    } else if view.cursor >= view.offset + page as usize {
        view.offset = view.cursor + 1 - page as usize;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(team: Option<&str>, owners: &[(&str, u64)]) -> TeamLoad {
        TeamLoad {
            team: team.map(Into::into),
            active: owners.iter().map(|(_, n)| n).sum(),
            by_lane: vec![(Some("odd".into()), 1), (None, 1), (Some("high".into()), 2)],
            overdue: 0,
            unassigned: 0,
            by_owner: owners.iter().map(|(h, n)| (h.to_string(), *n)).collect(),
        }
    }

    #[test]
    fn roster_teams_come_first_then_strangers_then_no_team() {
        let config = crate::config::Config::parse(
            r#"
[[teams]]
name = "web"
members = ["ann"]
[[teams]]
name = "pay"
[[people]]
handle = "ann"
team = "web"
left = "2026-01-01"
[[people]]
handle = "bo"
team = "web"
"#,
            "t",
        )
        .unwrap();
        let d = Directory::from_config(&config);
        let loads = [
            load(Some("old-team"), &[("zed", 2)]),
            load(Some("web"), &[("ann", 3)]),
            load(None, &[]),
        ];
        let today = "2026-05-01".parse().ok();
        let r = rows(&loads, &d, today);
        let names: Vec<Option<&str>> = r.iter().map(|r| r.team.as_deref()).collect();
        assert_eq!(names, [Some("web"), Some("pay"), Some("old-team"), None]);
        assert_eq!(
            r[0].people,
            [
                ("ann".to_string(), 3, "2026-01-01".parse().ok()),
                ("bo".to_string(), 0, None)
            ]
        );
        assert_eq!((r[1].load.active, r[1].in_roster), (0, true));
        assert!(!r[2].in_roster);
        let policy = Policy::from_config(&crate::config::Config::default()).unwrap();
        let lanes = lanes(&r, &policy);
        assert_eq!(lanes.last(), Some(&None), "none last");
        assert!(lanes.contains(&Some("odd".into())));
        assert_eq!(filter_for(Some("web")), "team=\"web\" is:active");
        assert_eq!(filter_for(None), "team:none is:active");
    }
}
