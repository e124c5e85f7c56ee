//! The risk score: 0-100 from what makes a finding dangerous *here*, with every term shown.
//!
//! Each term adds up to its weight (config `[risk]`), scaled by how strongly its input holds;
//! the sum is capped at 100. Defaults: severity 40 (by CVSS score / 10), KEV 25, EPSS 15 (by
//! percentile), exploit validated 10, reachable 5, internet-facing 10, criticality 10 (tier 1
//! full, 2 half, 3 none), age 5 (full at a year).

use crate::config::RiskWeights;
use crate::model::Severity;
use chrono::{DateTime, Utc};

/// What the score is computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskInputs {
    pub severity: Severity,
    /// The tool's CVSS / security-severity score, 0-10.
    pub score: Option<f64>,
    pub kev: bool,
    pub epss: Option<f64>,
    pub epss_pct: Option<f64>,
    pub validated: bool,
    pub reachable: bool,
    pub exposed: bool,
    pub tier: Option<i64>,
    pub first_seen: Option<DateTime<Utc>>,
}

/// One term of the score: its points, the most it could give, and where its input came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RiskTerm {
    pub name: &'static str,
    pub points: f64,
    pub max: f64,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Risk {
    pub total: f64,
    pub terms: Vec<RiskTerm>,
}

/// A severity's typical CVSS score, for tools that give only a level.
pub fn typical_score(s: Severity) -> f64 {
    match s {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.5,
        Severity::Info => 0.0,
    }
}

/// How much of the criticality weight a tier earns.
fn tier_share(tier: Option<i64>) -> f64 {
    match tier {
        Some(1) => 1.0,
        Some(2) => 0.5,
        _ => 0.0,
    }
}

fn age_days(first_seen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    first_seen
        .map(|t| ((now - t).num_seconds().max(0) as f64) / 86_400.0)
        .unwrap_or(0.0)
}

/// Shares (0..=1) of each weight, in `RiskWeights::named` order: the one formula both the
/// total and the breakdown use.
fn shares(i: &RiskInputs, now: DateTime<Utc>) -> [f64; 8] {
    let cvss = i
        .score
        .unwrap_or_else(|| typical_score(i.severity))
        .clamp(0.0, 10.0);
    let epss = i.epss_pct.or(i.epss).unwrap_or(0.0).clamp(0.0, 1.0);
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    [
        cvss / 10.0,
        flag(i.kev),
        epss,
        flag(i.validated),
        flag(i.reachable),
        flag(i.exposed),
        tier_share(i.tier),
        (age_days(i.first_seen, now) / 365.0).min(1.0),
    ]
}

/// Rounded to one decimal so stored scores compare stably.
fn finish(sum: f64) -> f64 {
    (sum.clamp(0.0, 100.0) * 10.0).round() / 10.0
}

/// The score alone: no allocation, for imports and recomputes of a million findings.
pub fn total(i: &RiskInputs, w: &RiskWeights, now: DateTime<Utc>) -> f64 {
    let s = shares(i, now);
    let sum: f64 = w.named().iter().zip(s).map(|((_, w), s)| w * s).sum();
    finish(sum)
}

/// The score with each term and its source, for the detail pane.
pub fn breakdown(i: &RiskInputs, w: &RiskWeights, now: DateTime<Utc>) -> Risk {
    let s = shares(i, now);
    let yes_no = |b: bool, yes: &str, no: &str| if b { yes.to_string() } else { no.to_string() };
    let sources = [
        match i.score {
            Some(v) => format!("score {v:.1} from the tool"),
            None => format!(
                "severity {} (typical score {:.1})",
                i.severity,
                typical_score(i.severity)
            ),
        },
        yes_no(i.kev, "listed in CISA KEV", "not in CISA KEV"),
        match (i.epss, i.epss_pct) {
            (Some(p), Some(pct)) => format!("EPSS {p:.3}, percentile {:.0}", pct * 100.0),
            (Some(p), None) => format!("EPSS {p:.3}"),
            _ => "no EPSS score".into(),
        },
        yes_no(i.validated, "exploit validated", "not validated"),
        yes_no(i.reachable, "marked reachable", "not marked reachable"),
        yes_no(
            i.exposed,
            "repo is internet-facing (config)",
            "repo not internet-facing",
        ),
        match i.tier {
            Some(t) => format!("repo tier {t} (config)"),
            None => "repo tier not set".into(),
        },
        format!("{:.0} days since first seen", age_days(i.first_seen, now)),
    ];
    let terms = w
        .named()
        .iter()
        .zip(s)
        .zip(sources)
        .map(|(((name, weight), share), source)| RiskTerm {
            name,
            points: (weight * share * 10.0).round() / 10.0,
            max: *weight,
            source,
        })
        .collect();
    Risk {
        total: total(i, w, now),
        terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn base() -> RiskInputs {
        RiskInputs {
            severity: Severity::High,
            score: None,
            kev: false,
            epss: None,
            epss_pct: None,
            validated: false,
            reachable: false,
            exposed: false,
            tier: None,
            first_seen: Some(at("2026-11-22T00:00:00Z")),
        }
    }

    #[test]
    fn each_term_adds_its_share_of_its_weight() {
        let w = RiskWeights::default();
        let now = at("2026-11-22T00:00:00Z");
        assert_eq!(total(&base(), &w, now), 32.0); // 8.0 / 10 * 40
        let scored = RiskInputs {
            score: Some(9.8),
            ..base()
        };
        assert_eq!(total(&scored, &w, now), 39.2);
        let kev = RiskInputs {
            kev: true,
            ..base()
        };
        assert_eq!(total(&kev, &w, now), 57.0);
        let epss = RiskInputs {
            epss: Some(0.2),
            epss_pct: Some(0.9),
            ..base()
        };
        assert_eq!(total(&epss, &w, now), 45.5); // percentile wins over probability
        let tier2 = RiskInputs {
            tier: Some(2),
            exposed: true,
            ..base()
        };
        assert_eq!(total(&tier2, &w, now), 47.0);
        let old = at("2027-11-22T00:00:00Z");
        assert_eq!(total(&base(), &w, old), 37.0);
    }

    #[test]
    fn the_total_is_capped_and_the_breakdown_sums_to_it() {
        let w = RiskWeights::default();
        let all = RiskInputs {
            severity: Severity::Critical,
            score: Some(10.0),
            kev: true,
            epss: Some(0.97),
            epss_pct: Some(1.0),
            validated: true,
            reachable: true,
            exposed: true,
            tier: Some(1),
            first_seen: Some(at("2025-01-01T00:00:00Z")),
        };
        let now = at("2026-11-22T00:00:00Z");
        assert_eq!(total(&all, &w, now), 100.0);
        let b = breakdown(&base(), &w, now);
        let sum: f64 = b.terms.iter().map(|t| t.points).sum();
        assert!((sum - b.total).abs() < 0.05, "{b:?}");
        assert_eq!(b.terms.len(), 8);
        assert!(b.terms[0].source.contains("typical score 8.0"));
    }

    #[test]
    fn weights_come_from_config() {
        let w = RiskWeights {
            severity: 100.0,
            ..RiskWeights::default()
        };
        let now = at("2026-11-22T00:00:00Z");
        assert_eq!(total(&base(), &w, now), 80.0);
    }
}
