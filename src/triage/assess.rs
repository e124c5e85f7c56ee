//! Assessing one finding: exposure and tier from config, then risk, then the first lane whose
//! rule matches (a rule may use the fresh risk), then the due date. The same code runs at
//! import, after a decision, on `tick` and when the policy changes.

use super::policy::Policy;
use super::risk::{self, RiskInputs};
use crate::query::{Context, Matcher, Record};
use chrono::{DateTime, NaiveDate, Utc};

/// What a finding carries besides its `Record` that the assessment needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Facts {
    pub score: Option<f64>,
    pub kev_due: Option<NaiveDate>,
    pub first_seen: Option<DateTime<Utc>>,
    pub reopened_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    pub risk: f64,
    /// Index into `Policy::lanes`.
    pub lane: Option<usize>,
    /// Only active findings have a deadline.
    pub due: Option<NaiveDate>,
    pub exposed: bool,
    pub tier: Option<i64>,
}

/// A policy with its lane rules compiled for one moment (rules may use `age`).
pub struct Assessor<'p> {
    pub policy: &'p Policy,
    matchers: Vec<Matcher>,
    now: DateTime<Utc>,
}

impl<'p> Assessor<'p> {
    pub fn new(policy: &'p Policy, now: DateTime<Utc>) -> Result<Assessor<'p>, String> {
        let ctx = Context::new(now, None);
        let matchers = policy
            .lanes
            .iter()
            .map(|l| Matcher::new(&l.expr, &ctx).map_err(|e| format!("lane '{}': {e}", l.name)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Assessor {
            policy,
            matchers,
            now,
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Assesses `rec`, updating its exposure, tier and risk in place so that what a lane rule
    /// saw is what gets stored.
    pub fn assess(&self, rec: &mut Record<'_>, facts: &Facts) -> Assessment {
        let asset = self.policy.asset(rec.repo);
        rec.exposed = asset.exposed;
        rec.tier = asset.tier;
        let inputs = RiskInputs {
            severity: rec.severity,
            score: facts.score,
            kev: rec.kev,
            epss: rec.epss,
            epss_pct: rec.epss_pct,
            validated: rec.validated,
            reachable: rec.reachable,
            exposed: rec.exposed,
            tier: rec.tier,
            first_seen: facts.first_seen,
        };
        let risk = risk::total(&inputs, &self.policy.weights, self.now);
        rec.risk = Some(risk);
        // Lanes are decided with no lane and no due date in view (rules may not use them).
        rec.lane = None;
        rec.due = None;
        let lane = self.matchers.iter().position(|m| m.matches(rec));
        let due = match lane {
            Some(i) if rec.status.is_active() => Some(self.policy.due(
                &self.policy.lanes[i],
                facts.first_seen.unwrap_or(self.now),
                facts.reopened_at,
                facts.kev_due,
            )),
            _ => None,
        };
        Assessment {
            risk,
            lane,
            due,
            exposed: asset.exposed,
            tier: asset.tier,
        }
    }
}
