use super::Status;
use std::fmt;
use std::str::FromStr;

/// What a person decided about a finding. Each is an event with a required justification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecisionKind {
    /// It is real and needs fixing.
    Confirm,
    FalsePositive,
    /// Live with it until an expiry date, under a compensating control.
    AcceptRisk,
    /// Not now: back in the backlog on a date.
    Defer,
    /// Hand it to a person or team.
    Escalate,
    /// The same problem as another finding.
    Duplicate,
    Reopen,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 7] = [
        DecisionKind::Confirm,
        DecisionKind::FalsePositive,
        DecisionKind::AcceptRisk,
        DecisionKind::Defer,
        DecisionKind::Escalate,
        DecisionKind::Duplicate,
        DecisionKind::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Confirm => "confirm",
            DecisionKind::FalsePositive => "false-positive",
            DecisionKind::AcceptRisk => "accept-risk",
            DecisionKind::Defer => "defer",
            DecisionKind::Escalate => "escalate",
            DecisionKind::Duplicate => "duplicate",
            DecisionKind::Reopen => "reopen",
        }
    }

    /// The status a finding takes when the decision is applied; `None` keeps its status
    /// (an escalation changes who, not where it stands).
    pub fn status(self) -> Option<Status> {
        match self {
            DecisionKind::Confirm => Some(Status::Triaged),
            DecisionKind::FalsePositive => Some(Status::FalsePositive),
            DecisionKind::AcceptRisk => Some(Status::AcceptedRisk),
            DecisionKind::Defer => Some(Status::Deferred),
            DecisionKind::Escalate => None,
            DecisionKind::Duplicate => Some(Status::Duplicate),
            DecisionKind::Reopen => Some(Status::Open),
        }
    }

    /// Needs an end date (`until`).
    pub fn needs_until(self) -> bool {
        matches!(self, DecisionKind::AcceptRisk | DecisionKind::Defer)
    }

    /// Needs a target: a person or team (escalate) or a finding id (duplicate).
    pub fn needs_target(self) -> bool {
        matches!(self, DecisionKind::Escalate | DecisionKind::Duplicate)
    }

    /// May a lane make this decision wait for a second person's approval?
    pub fn can_need_approval(self) -> bool {
        matches!(
            self,
            DecisionKind::AcceptRisk | DecisionKind::Defer | DecisionKind::FalsePositive
        )
    }
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DecisionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        let norm = match norm.as_str() {
            "fp" => "false-positive",
            "accept" | "accepted-risk" => "accept-risk",
            "dup" => "duplicate",
            other => other,
        };
        DecisionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == norm)
            .ok_or_else(|| {
                let names: Vec<_> = DecisionKind::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown decision '{s}' (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// Where a recorded decision stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionState {
    /// Waits for a second person; the finding keeps its status meanwhile.
    Pending,
    Applied,
    Rejected,
    /// A later decision on the same finding replaced it before anyone reviewed it.
    Superseded,
}

impl DecisionState {
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionState::Pending => "pending",
            DecisionState::Applied => "applied",
            DecisionState::Rejected => "rejected",
            DecisionState::Superseded => "superseded",
        }
    }
}

impl FromStr for DecisionState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            DecisionState::Pending,
            DecisionState::Applied,
            DecisionState::Rejected,
            DecisionState::Superseded,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown decision state '{s}'"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_accept_common_spellings() {
        for k in DecisionKind::ALL {
            assert_eq!(k.as_str().parse::<DecisionKind>().unwrap(), k);
        }
        assert_eq!(
            "false_positive".parse::<DecisionKind>().unwrap(),
            DecisionKind::FalsePositive
        );
        assert_eq!(
            "fp".parse::<DecisionKind>().unwrap(),
            DecisionKind::FalsePositive
        );
        assert!("approve".parse::<DecisionKind>().is_err());
    }
}
