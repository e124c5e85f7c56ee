//! The triage part of the config: lanes, risk weights, SLA rules and saved views.

use serde::Deserialize;

/// A severity lane. Lanes are tried in order; the first whose query matches takes the finding.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    pub name: String,
    /// A filter-language query (it may not use `lane` or `due`, which lanes decide).
    pub query: String,
    /// Days from first seen (or the last reopen, see `[sla]`) to the fix deadline.
    pub sla_days: i64,
    /// The most findings of this lane one team should have in progress at once.
    pub wip_limit: Option<u32>,
    /// Handles or team names who may accept risk in this lane; empty: anyone.
    #[serde(default)]
    pub accept_by: Vec<String>,
    /// Decisions that wait for a second person's approval in this lane: any of
    /// "accept-risk", "defer", "false-positive".
    #[serde(default)]
    pub approval: Vec<String>,
}

/// Points each risk term can add (the score is capped at 100). See the README for the model.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RiskWeights {
    /// Scaled by the CVSS / security-severity score (or the severity's typical score).
    pub severity: f64,
    /// Listed in CISA KEV.
    pub kev: f64,
    /// Scaled by the EPSS percentile.
    pub epss: f64,
    /// A person or tool validated an exploit.
    pub validated: f64,
    /// The vulnerable code is reachable.
    pub reachable: f64,
    /// The repo is internet-facing.
    pub exposure: f64,
    /// Scaled by the repo's tier: 1 full, 2 half, 3 none.
    pub criticality: f64,
    /// Scaled by age, full at a year.
    pub age: f64,
}

impl Default for RiskWeights {
    fn default() -> Self {
        RiskWeights {
            severity: 40.0,
            kev: 25.0,
            epss: 15.0,
            validated: 10.0,
            reachable: 5.0,
            exposure: 10.0,
            criticality: 10.0,
            age: 5.0,
        }
    }
}

impl RiskWeights {
    pub fn named(&self) -> [(&'static str, f64); 8] {
        [
            ("severity", self.severity),
            ("kev", self.kev),
            ("epss", self.epss),
            ("validated", self.validated),
            ("reachable", self.reachable),
            ("exposure", self.exposure),
            ("criticality", self.criticality),
            ("age", self.age),
        ]
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Sla {
    /// A finding that reopens (a scan sees it again after it was fixed, or a decision expires)
    /// gets a fresh deadline counted from the reopen. Off by default: a regression keeps the
    /// clock of the first sighting, so flapping cannot reset an SLA.
    pub reopen_restarts_clock: bool,
}

/// A saved view: shown as a tab in the console and usable as `--view NAME` on the CLI.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub name: String,
    #[serde(default)]
    pub query: String,
    /// A column name, `-` in front for descending: "-risk", "due".
    pub sort: Option<String>,
    /// Columns to show, in order; empty: the default columns.
    #[serde(default)]
    pub columns: Vec<String>,
}
