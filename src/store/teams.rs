//! Each team's active work: by lane, overdue, without a person, and per person. One read over
//! the active findings (the console's teams view makes it on its reader thread).

use super::{Store, StoreError};
use crate::model::Status;
use chrono::NaiveDate;
use std::collections::HashMap;

/// One team's active findings. Lanes and people come as the data has them; the caller orders
/// lanes by the policy and marks people by the roster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamLoad {
    /// `None`: active findings that no team owns yet.
    pub team: Option<String>,
    pub active: u64,
    /// Active findings per lane (`None`: not in a lane yet), most first.
    pub by_lane: Vec<(Option<String>, u64)>,
    /// Due before `today`.
    pub overdue: u64,
    /// With the team but no person.
    pub unassigned: u64,
    /// Active findings per person, most first (ties by handle).
    pub by_owner: Vec<(String, u64)>,
}

/// A group of active findings: (team, lane, owner), how many, how many overdue.
type Group = (Option<String>, Option<String>, Option<String>, u64, u64);

impl Store {
    /// Every team with active findings, by name, the findings without a team last.
    ///
    /// One pass over the active findings, grouped here as the rows stream: SQLite's GROUP BY
    /// would sort them all first (1.0-1.4 s at a million findings against 0.6-0.7 s for this).
    /// An index on (team, lane, owner, due) made it 0.15 s but cost the million-finding import
    /// 28% (+7.7 s): not worth it for a view opened now and then, and read off the UI thread.
    pub fn team_load(&self, today: NaiveDate) -> Result<Vec<TeamLoad>, StoreError> {
        let active = Status::active_sql_list();
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT team, lane, owner, due < ?1 FROM findings WHERE status IN ({active})"
        ))?;
        let mut rows = stmt.query([crate::clock::day(today)])?;
        let mut groups: Vec<Group> = Vec::new();
        // The three values joined, NULL as \u{1}: looked up without allocating per row.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut key = String::new();
        while let Some(r) = rows.next()? {
            let mut values: [Option<&str>; 3] = [None; 3];
            key.clear();
            for (i, v) in values.iter_mut().enumerate() {
                *v = r
                    .get_ref(i)?
                    .as_str_or_null()
                    .map_err(rusqlite::Error::from)?;
                key.push_str(v.unwrap_or("\u{1}"));
                key.push('\0');
            }
            let late = r
                .get_ref(3)?
                .as_i64_or_null()
                .map_err(rusqlite::Error::from)?
                == Some(1);
            let g = match index.get(key.as_str()) {
                Some(&g) => g,
                None => {
                    let own = |v: Option<&str>| v.map(str::to_string);
                    groups.push((own(values[0]), own(values[1]), own(values[2]), 0, 0));
                    index.insert(key.clone(), groups.len() - 1);
                    groups.len() - 1
                }
            };
            groups[g].3 += 1;
            groups[g].4 += u64::from(late);
        }
        Ok(fold(groups))
    }
}

/// Groups to one `TeamLoad` per team, sorted.
fn fold(groups: Vec<Group>) -> Vec<TeamLoad> {
    let mut out: Vec<TeamLoad> = Vec::new();
    for (team, lane, owner, n, overdue) in groups {
        let i = match out.iter().position(|t| t.team == team) {
            Some(i) => i,
            None => {
                out.push(TeamLoad {
                    team,
                    ..TeamLoad::default()
                });
                out.len() - 1
            }
        };
        let t = &mut out[i];
        t.active += n;
        t.overdue += overdue;
        add(&mut t.by_lane, lane, n);
        match owner {
            Some(o) => add(&mut t.by_owner, o, n),
            None => t.unassigned += n,
        }
    }
    for t in &mut out {
        t.by_lane
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        t.by_owner
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    out.sort_by(|a, b| match (&a.team, &b.team) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    out
}

fn add<K: PartialEq>(counts: &mut Vec<(K, u64)>, key: K, n: u64) {
    match counts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, c)) => *c += n,
        None => counts.push((key, n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
    );

    /// A store with findings given as (status, team, lane, owner, due).
    fn store_with(rows: &[Row]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        store
            .conn
            .execute(
                "INSERT INTO scopes (id, repo, tool) VALUES (1, 'r', 't')",
                [],
            )
            .unwrap();
        for (i, (status, team, lane, owner, due)) in rows.iter().enumerate() {
            store
                .conn
                .execute(
                    "INSERT INTO findings (scope_id, repo, tool, fingerprint, fp_key, rule, title,
                        message, severity, content_hash, first_seen, last_seen, status, team,
                        lane, owner, due)
                     VALUES (1, 'r', 't', ?1, ?2, 'rule', 'title', 'm', 3, x'00',
                        '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', ?3, ?4, ?5, ?6, ?7)",
                    rusqlite::params![format!("fp{i}"), i as i64, status, team, lane, owner, due],
                )
                .unwrap();
        }
        (dir, store)
    }

    #[test]
    fn active_work_per_team_by_lane_overdue_unassigned_and_person() {
        let (_dir, store) = store_with(&[
            (
                "open",
                Some("pay"),
                Some("high"),
                Some("lee"),
                Some("2026-04-30"),
            ),
            (
                "triaged",
                Some("pay"),
                Some("high"),
                Some("lee"),
                Some("2026-05-01"),
            ),
            (
                "in_progress",
                Some("pay"),
                Some("low"),
                Some("cam"),
                Some("2026-05-02"),
            ),
            (
                "fix_proposed",
                Some("pay"),
                Some("low"),
                None,
                Some("2026-01-01"),
            ),
            ("open", Some("pay"), None, None, None),
            // Closed work is no load.
            (
                "fixed",
                Some("pay"),
                Some("high"),
                Some("lee"),
                Some("2026-01-01"),
            ),
            (
                "false_positive",
                Some("web"),
                Some("high"),
                Some("ann"),
                None,
            ),
            (
                "open",
                Some("web"),
                Some("high"),
                Some("ann"),
                Some("2026-04-01"),
            ),
            ("open", None, Some("low"), None, Some("2026-04-01")),
            ("deferred", None, Some("low"), None, None),
        ]);
        let today = "2026-05-01".parse().unwrap();
        let load = store.team_load(today).unwrap();
        assert_eq!(
            load,
            [
                TeamLoad {
                    team: Some("pay".into()),
                    active: 5,
                    by_lane: vec![(Some("high".into()), 2), (Some("low".into()), 2), (None, 1)],
                    overdue: 2,
                    unassigned: 2,
                    by_owner: vec![("lee".into(), 2), ("cam".into(), 1)],
                },
                TeamLoad {
                    team: Some("web".into()),
                    active: 1,
                    by_lane: vec![(Some("high".into()), 1)],
                    overdue: 1,
                    unassigned: 0,
                    by_owner: vec![("ann".into(), 1)],
                },
                TeamLoad {
                    team: None,
                    active: 1,
                    by_lane: vec![(Some("low".into()), 1)],
                    overdue: 1,
                    unassigned: 1,
                    by_owner: vec![],
                },
            ]
        );
    }

    #[test]
    fn nothing_active_is_no_teams() {
        let (_dir, store) = store_with(&[("fixed", Some("pay"), None, None, None)]);
        assert!(
            store
                .team_load("2026-05-01".parse().unwrap())
                .unwrap()
                .is_empty()
        );
    }
}
