//! The triage policy, resolved from config: lanes in order, risk weights, the SLA clock, and
//! which repos are exposed or critical. Lanes fall back to built-in defaults.

use crate::config::{Config, Lane, RiskWeights, Sla};
use crate::model::DecisionKind;
use crate::query::{self, Expr};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// One lane with its rule parsed.
#[derive(Debug, Clone)]
pub struct LanePolicy {
    pub name: String,
    pub query: String,
    pub expr: Expr,
    pub sla_days: i64,
    pub wip_limit: Option<u32>,
    pub accept_by: Vec<String>,
    pub approval: Vec<DecisionKind>,
}

/// What config says about a repo that bears on risk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Asset {
    pub exposed: bool,
    pub tier: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub lanes: Vec<LanePolicy>,
    pub weights: RiskWeights,
    pub sla: Sla,
    assets: HashMap<String, Asset>,
    /// Handle -> teams they belong to (as member or through `people.team`), for `accept_by`.
    teams_of: HashMap<String, Vec<String>>,
}

/// The lanes a team gets without writing any: an exploitable lane first (KEV, a validated
/// exploit, or a likely exploit on an exposed asset), then by severity.
pub fn default_lanes() -> Vec<Lane> {
    let gated = |kinds: &[&str]| kinds.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    vec![
        Lane {
            name: "exploitable".into(),
            query: "kev:yes OR validated:yes OR (epss-pct>=0.95 exposed:yes)".into(),
            sla_days: 7,
            wip_limit: None,
            accept_by: Vec::new(),
            approval: gated(&["accept-risk", "defer", "false-positive"]),
        },
        Lane {
            name: "high".into(),
            query: "sev>=high OR risk>=60".into(),
            sla_days: 30,
            wip_limit: None,
            accept_by: Vec::new(),
            approval: gated(&["accept-risk", "defer"]),
        },
        Lane {
            name: "medium".into(),
            query: "sev:medium".into(),
            sla_days: 90,
            wip_limit: None,
            accept_by: Vec::new(),
            approval: gated(&["accept-risk"]),
        },
        Lane {
            name: "low".into(),
            query: String::new(),
            sla_days: 180,
            wip_limit: None,
            accept_by: Vec::new(),
            approval: Vec::new(),
        },
    ]
}

/// Fields a lane rule may not use: lanes decide them.
pub const FIELDS_LANES_DECIDE: &[&str] = &["lane", "due"];

/// Parses one lane; the error names what is wrong, for config check.
pub fn lane_policy(lane: &Lane) -> Result<LanePolicy, String> {
    let expr = query::parse(&lane.query).map_err(|e| e.to_string())?;
    // Compiling checks the values too (`sev:urgent`), not only the syntax.
    query::Matcher::new(&expr, &query::Context::new(chrono::Utc::now(), None))
        .map_err(|e| e.to_string())?;
    if let Some(f) = expr
        .fields()
        .into_iter()
        .find(|f| FIELDS_LANES_DECIDE.contains(&f.as_str()))
    {
        return Err(format!("a lane rule cannot use '{f}': lanes decide it"));
    }
    let mut approval = Vec::new();
    for k in &lane.approval {
        let kind: DecisionKind = k.parse()?;
        if !kind.can_need_approval() {
            return Err(format!(
                "'{kind}' cannot wait for approval (only accept-risk, defer, false-positive)"
            ));
        }
        approval.push(kind);
    }
    Ok(LanePolicy {
        name: lane.name.clone(),
        query: lane.query.clone(),
        expr,
        sla_days: lane.sla_days,
        wip_limit: lane.wip_limit,
        accept_by: lane.accept_by.clone(),
        approval,
    })
}

impl Default for Policy {
    /// The built-in lanes and weights, as with an empty config.
    fn default() -> Self {
        Policy::from_config(&Config::default()).unwrap_or_else(|_| Policy {
            lanes: Vec::new(),
            weights: RiskWeights::default(),
            sla: Sla::default(),
            assets: HashMap::new(),
            teams_of: HashMap::new(),
        })
    }
}

impl Policy {
    /// The policy a validated config describes. Config check reports lane problems with their
    /// lines; here a bad lane is an error naming it.
    pub fn from_config(cfg: &Config) -> Result<Policy, String> {
        let lanes: Vec<Lane> = if cfg.lanes.is_empty() {
            default_lanes()
        } else {
            cfg.lanes.iter().map(|l| l.get_ref().clone()).collect()
        };
        let lanes = lanes
            .iter()
            .map(|l| lane_policy(l).map_err(|e| format!("lane '{}': {e}", l.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let assets = cfg
            .repos
            .iter()
            .map(|r| {
                let r = r.get_ref();
                (
                    r.name.clone(),
                    Asset {
                        exposed: r.internet_facing,
                        tier: r.tier,
                    },
                )
            })
            .collect();
        let mut teams_of: HashMap<String, Vec<String>> = HashMap::new();
        for t in &cfg.teams {
            let t = t.get_ref();
            for m in t.members.iter().chain(&t.lead).chain(&t.champion) {
                teams_of.entry(m.clone()).or_default().push(t.name.clone());
            }
        }
        for p in &cfg.people {
            let p = p.get_ref();
            if let Some(t) = &p.team {
                teams_of
                    .entry(p.handle.clone())
                    .or_default()
                    .push(t.clone());
            }
        }
        Ok(Policy {
            lanes,
            weights: cfg.risk.clone(),
            sla: cfg.sla.clone(),
            assets,
            teams_of,
        })
    }

    pub fn asset(&self, repo: &str) -> Asset {
        self.assets.get(repo).copied().unwrap_or_default()
    }

    pub fn lane(&self, name: &str) -> Option<&LanePolicy> {
        self.lanes.iter().find(|l| l.name == name)
    }

    /// Identifies everything lanes, due dates and risk are computed from: when it changes,
    /// every finding is recomputed (and that is recorded as one event).
    pub fn digest(&self) -> String {
        let mut assets: Vec<_> = self.assets.iter().collect();
        assets.sort_by(|a, b| a.0.cmp(b.0));
        let canon = serde_json::json!({
            "lanes": self.lanes.iter().map(|l| (&l.name, &l.query, l.sla_days)).collect::<Vec<_>>(),
            "weights": self.weights.named(),
            "reopen_restarts_clock": self.sla.reopen_restarts_clock,
            "assets": assets.iter().map(|(n, a)| (n, a.exposed, a.tier)).collect::<Vec<_>>(),
        });
        hex::encode(&Sha256::digest(canon.to_string().as_bytes())[..16])
    }

    /// The deadline of an active finding in `lane`: SLA days from first seen (or from the last
    /// reopen when the config restarts the clock), never later than a KEV remediation date that
    /// is still ahead at that start.
    pub fn due(
        &self,
        lane: &LanePolicy,
        first_seen: DateTime<Utc>,
        reopened_at: Option<DateTime<Utc>>,
        kev_due: Option<NaiveDate>,
    ) -> NaiveDate {
        let start = match reopened_at {
            Some(r) if self.sla.reopen_restarts_clock => r,
            _ => first_seen,
        };
        let due = start.date_naive() + TimeDelta::days(lane.sla_days);
        // A KEV date already past when the clock started would make the finding overdue from
        // birth (Log4Shell's federal date is 2021-12-24); the lane's own SLA applies then.
        match kev_due {
            Some(k) if k < due && k > start.date_naive() => k,
            _ => due,
        }
    }

    /// Whether `kind` waits for a second person in this lane.
    pub fn needs_approval(&self, lane: Option<&str>, kind: DecisionKind) -> bool {
        lane.and_then(|l| self.lane(l))
            .is_some_and(|l| l.approval.contains(&kind))
    }

    /// Whether `handle` may accept risk in this lane: `accept_by` lists them or a team of theirs
    /// (an empty list lets anyone).
    pub fn may_accept(&self, lane: Option<&str>, handle: &str) -> bool {
        let Some(l) = lane.and_then(|l| self.lane(l)) else {
            return true;
        };
        l.accept_by.is_empty()
            || l.accept_by.iter().any(|who| {
                who == handle
                    || self
                        .teams_of
                        .get(handle)
                        .is_some_and(|ts| ts.iter().any(|t| t == who))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(text: &str) -> Policy {
        Policy::from_config(&Config::parse(text, "t.toml").unwrap()).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    const LANES: &str = r#"
me = "ann"
[[teams]]
name = "sec"
members = ["ann", "lee"]
[[people]]
handle = "ann"
[[people]]
handle = "lee"
[[people]]
handle = "max"
[[repos]]
name = "api"
internet_facing = true
tier = 1
[[lanes]]
name = "hot"
query = "kev:yes"
sla_days = 7
accept_by = ["sec"]
approval = ["accept-risk", "false-positive"]
[[lanes]]
name = "rest"
query = ""
sla_days = 90
"#;

    #[test]
    fn due_dates_count_from_first_seen_and_kev_caps_them() {
        let p = policy(LANES);
        let hot = p.lane("hot").unwrap();
        let seen = at("2026-11-01T10:00:00Z");
        assert_eq!(p.due(hot, seen, None, None), day("2026-11-08"));
        assert_eq!(
            p.due(hot, seen, None, Some(day("2026-11-03"))),
            day("2026-11-03")
        );
        // A KEV date that had passed before the finding was first seen does not apply.
        assert_eq!(
            p.due(hot, seen, None, Some(day("2021-12-24"))),
            day("2026-11-08")
        );
        // A later KEV date does not extend the SLA.
        assert_eq!(
            p.due(hot, seen, None, Some(day("2027-01-01"))),
            day("2026-11-08")
        );
        // By default a reopen keeps the first sighting's clock...
        let reopened = Some(at("2026-11-20T00:00:00Z"));
        assert_eq!(p.due(hot, seen, reopened, None), day("2026-11-08"));
        // ...unless the config restarts it.
        let p = policy(&format!("{LANES}\n[sla]\nreopen_restarts_clock = true\n"));
        let hot = p.lane("hot").unwrap();
        assert_eq!(p.due(hot, seen, reopened, None), day("2026-11-27"));
    }

    #[test]
    fn approval_and_acceptance_follow_the_lane() {
        let p = policy(LANES);
        assert!(p.needs_approval(Some("hot"), DecisionKind::AcceptRisk));
        assert!(!p.needs_approval(Some("hot"), DecisionKind::Defer));
        assert!(!p.needs_approval(Some("rest"), DecisionKind::AcceptRisk));
        assert!(!p.needs_approval(None, DecisionKind::AcceptRisk));
        assert!(p.may_accept(Some("hot"), "lee"), "member of team sec");
        assert!(!p.may_accept(Some("hot"), "max"));
        assert!(p.may_accept(Some("rest"), "max"), "empty accept_by: anyone");
        assert_eq!(
            p.asset("api"),
            Asset {
                exposed: true,
                tier: Some(1)
            }
        );
        assert_eq!(p.asset("elsewhere"), Asset::default());
    }

    #[test]
    fn the_digest_follows_what_lanes_and_risk_are_computed_from() {
        let a = policy(LANES).digest();
        assert_eq!(a, policy(LANES).digest());
        assert_ne!(
            a,
            policy(&LANES.replace("sla_days = 7", "sla_days = 8")).digest()
        );
        assert_ne!(a, policy(&LANES.replace("tier = 1", "tier = 2")).digest());
        // Who may accept does not move lanes or dates.
        assert_eq!(
            a,
            policy(&LANES.replace("accept_by = [\"sec\"]", "")).digest()
        );
    }

    #[test]
    fn default_lanes_parse() {
        let p = policy("");
        let names: Vec<_> = p.lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["exploitable", "high", "medium", "low"]);
        assert_eq!(
            p.lanes.iter().map(|l| l.sla_days).collect::<Vec<_>>(),
            [7, 30, 90, 180]
        );
    }

    #[test]
    fn lane_rules_may_not_use_what_lanes_decide() {
        let lane = Lane {
            name: "x".into(),
            query: "due<7d".into(),
            sla_days: 1,
            ..Lane::default()
        };
        assert!(lane_policy(&lane).unwrap_err().contains("'due'"));
    }
}
