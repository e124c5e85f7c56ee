//! GitHub's recorded traffic in ../shared/trackers/github, for tests that serve it.

use serde_json::Value;

/// The 14 code scanning alerts PyGithub recorded from api.github.com (2025), as GitHub sent them.
pub fn recorded_alerts() -> Vec<Value> {
    let path = format!(
        "{}/../shared/trackers/github/scenarios/pygithub/CodeScanAlert.testMultipleAlerts.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    all.as_array()
        .expect("a list of exchanges")
        .iter()
        .find(|x| {
            x["method"] == "get" && x["path"] == "/repos/matt-davis27/PyGithub/code-scanning/alerts"
        })
        .expect("the alert list exchange")["response"]
        .as_array()
        .expect("alerts")
        .clone()
}
