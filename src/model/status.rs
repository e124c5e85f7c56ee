use std::fmt;
use std::str::FromStr;

/// Where a finding stands. Open states move with scans; closed-by-decision states
/// (false positive, accepted risk, duplicate, deferred) are a person's call and a scan never overrides them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Triaged,
    InProgress,
    FixProposed,
    Fixed,
    Verified,
    FalsePositive,
    AcceptedRisk,
    Duplicate,
    Deferred,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Open,
        Status::Triaged,
        Status::InProgress,
        Status::FixProposed,
        Status::Fixed,
        Status::Verified,
        Status::FalsePositive,
        Status::AcceptedRisk,
        Status::Duplicate,
        Status::Deferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Triaged => "triaged",
            Status::InProgress => "in_progress",
            Status::FixProposed => "fix_proposed",
            Status::Fixed => "fixed",
            Status::Verified => "verified",
            Status::FalsePositive => "false_positive",
            Status::AcceptedRisk => "accepted_risk",
            Status::Duplicate => "duplicate",
            Status::Deferred => "deferred",
        }
    }

    /// Still needs work: a scan that no longer reports it closes it as fixed.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::Open | Status::Triaged | Status::InProgress | Status::FixProposed
        )
    }

    /// Closed because the code changed (a later scan may reopen it).
    pub fn is_resolved_by_code(self) -> bool {
        matches!(self, Status::Fixed | Status::Verified)
    }

    /// A person's decision; scans never change it.
    pub fn is_human_decision(self) -> bool {
        matches!(
            self,
            Status::FalsePositive | Status::AcceptedRisk | Status::Duplicate | Status::Deferred
        )
    }

    /// SQL list of the active statuses, for `status IN (...)` in queries built by the store.
    pub fn active_sql_list() -> String {
        Status::ALL
            .iter()
            .filter(|s| s.is_active())
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.to_ascii_lowercase().replace('-', "_");
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
                format!(
                    "unknown status '{s}' (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_and_has_one_class() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
            let classes = [
                s.is_active(),
                s.is_resolved_by_code(),
                s.is_human_decision(),
            ];
            assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{s}");
        }
        assert_eq!(
            "false-positive".parse::<Status>().unwrap(),
            Status::FalsePositive
        );
        assert!("nope".parse::<Status>().is_err());
    }
}
