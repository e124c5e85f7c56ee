//! The parts of SARIF objects the importer reads, as compact serde structs. Everything else is
//! skipped by serde (unknown members are ignored), so a result costs only what we keep.
//!
//! `RawResult` also serializes back to the same shape: buffered results are spilled to disk as
//! JSON lines and read again with the same `Deserialize`.

pub(super) use super::de::{FpMap, Kind, Level, Score, Tags};
#[cfg(test)]
use crate::model::Severity;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(expecting = "a SARIF result object", rename_all = "camelCase")]
pub(super) struct RawResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Box<DescriptorRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<RawMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<FirstLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprints: Option<FpMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_fingerprints: Option<FpMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Box<RawProps>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressions: Option<Vec<RawSuppression>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixes: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxa: Option<Vec<DescriptorRef>>,
}

impl RawResult {
    pub fn physical(&self) -> Option<&RawPhysical> {
        self.locations
            .as_ref()?
            .0
            .as_ref()?
            .physical_location
            .as_ref()
    }

    pub fn artifact_location(&self) -> Option<&RawArtifactLocation> {
        self.physical()?.artifact_location.as_ref()
    }

    /// Rough heap size, to cap what is buffered in memory.
    pub fn approx_size(&self) -> usize {
        let s = |o: &Option<String>| o.as_ref().map_or(0, |s| s.len());
        let mut n = std::mem::size_of::<Self>() + 64 + s(&self.rule_id);
        if let Some(m) = &self.message {
            n += s(&m.text) + s(&m.markdown) + s(&m.id);
            n += m
                .arguments
                .iter()
                .flatten()
                .map(|a| a.len() + 24)
                .sum::<usize>();
        }
        if let Some(p) = self.physical() {
            if let Some(a) = &p.artifact_location {
                n += s(&a.uri) + s(&a.uri_base_id);
            }
            for r in [&p.region, &p.context_region].into_iter().flatten() {
                n += r.snippet.as_ref().map_or(0, |t| s(&t.text));
            }
        }
        for fp in [&self.fingerprints, &self.partial_fingerprints]
            .into_iter()
            .flatten()
        {
            n +=
                fp.0.iter()
                    .map(|(k, v)| k.len() + v.len() + 48)
                    .sum::<usize>();
        }
        if let Some(p) = &self.properties {
            n += 4 * (p.tags.cwes.len() + p.cwe.cwes.len());
            n += 40 * (p.tags.cves.len() + p.cwe.cves.len());
        }
        n + self.fixes.as_ref().map_or(0, |f| f.get().len())
    }
}

/// `reportingDescriptorReference` / `toolComponentReference`: how results point at rules and taxa.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a SARIF reportingDescriptorReference object",
    rename_all = "camelCase"
)]
pub(super) struct DescriptorRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_component: Option<ComponentRef>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(expecting = "a SARIF toolComponentReference object")]
pub(super) struct ComponentRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(expecting = "a SARIF message object")]
pub(super) struct RawMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Vec<String>>,
}

/// Only the first location matters (it is the primary one); the rest are skipped unparsed.
#[derive(Debug, Default)]
pub(super) struct FirstLocation(pub Option<RawLocation>);

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(expecting = "a SARIF location object", rename_all = "camelCase")]
pub(super) struct RawLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<RawPhysical>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(
    expecting = "a SARIF physicalLocation object",
    rename_all = "camelCase"
)]
pub(super) struct RawPhysical {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_location: Option<RawArtifactLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<RawRegion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_region: Option<RawRegion>,
}

/// `artifactLocation`: also the shape of `originalUriBaseIds` values and `workingDirectory`.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(
    expecting = "a SARIF artifactLocation object",
    rename_all = "camelCase"
)]
pub(super) struct RawArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(expecting = "a SARIF region object", rename_all = "camelCase")]
pub(super) struct RawRegion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_line: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<RawText>,
}

/// `artifactContent` / `multiformatMessageString`: only the text.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(expecting = "a SARIF message or snippet object")]
pub(super) struct RawText {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A property bag is free-form, so what we read from it is read leniently: a value of an
/// unexpected type is ignored, never an error.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(expecting = "a SARIF property bag")]
pub(super) struct RawProps {
    #[serde(
        rename = "security-severity",
        default,
        skip_serializing_if = "Score::is_none"
    )]
    pub security_severity: Score,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub cwe: Tags,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(expecting = "a SARIF suppression object")]
pub(super) struct RawSuppression {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

// ---- run-level objects (read once per run, never buffered) ----

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF tool object")]
pub(super) struct RawTool {
    pub driver: Option<RawComponent>,
    pub extensions: Option<Vec<RawComponent>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF toolComponent object", rename_all = "camelCase")]
pub(super) struct RawComponent {
    pub name: Option<String>,
    pub guid: Option<String>,
    pub version: Option<String>,
    pub semantic_version: Option<String>,
    pub rules: Option<Vec<RawRule>>,
    pub global_message_strings: Option<HashMap<String, RawText>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    expecting = "a SARIF reportingDescriptor object",
    rename_all = "camelCase"
)]
pub(super) struct RawRule {
    pub id: Option<String>,
    pub name: Option<String>,
    pub short_description: Option<RawText>,
    pub message_strings: Option<HashMap<String, RawText>>,
    pub default_configuration: Option<RawConfiguration>,
    pub help_uri: Option<String>,
    pub properties: Option<RawProps>,
    pub relationships: Option<Vec<RawRelationship>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF reportingConfiguration object")]
pub(super) struct RawConfiguration {
    pub level: Option<Level>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF reportingDescriptorRelationship object")]
pub(super) struct RawRelationship {
    pub target: Option<DescriptorRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF artifact object")]
pub(super) struct RawArtifact {
    pub location: Option<RawArtifactLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF invocation object", rename_all = "camelCase")]
pub(super) struct RawInvocation {
    pub execution_successful: Option<bool>,
    pub start_time_utc: Option<String>,
    pub end_time_utc: Option<String>,
    pub working_directory: Option<RawArtifactLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(
    expecting = "a SARIF versionControlDetails object",
    rename_all = "camelCase"
)]
pub(super) struct RawVersionControl {
    pub repository_uri: Option<String>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF toolComponent object")]
pub(super) struct RawTaxonomy {
    pub name: Option<String>,
    pub guid: Option<String>,
    pub taxa: Option<Vec<RawTaxon>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(expecting = "a SARIF reportingDescriptor object")]
pub(super) struct RawTaxon {
    pub id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_round_trips_through_json_lines() {
        let src = r#"{"ruleId":"r","level":"error","message":{"text":"m","arguments":["a"]},
            "locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.py","index":2},
            "region":{"startLine":3,"snippet":{"text":"x\ny"}}}},{"ignored":true}],
            "fingerprints":{"a":{"value":"vvvvvvvvx"},"b":"plain-value","c":5},
            "properties":{"security-severity":"7.5","tags":["CWE-79",3,"cve-2021-44228","x"],"cwe":"CWE-89"},
            "suppressions":[{"status":"accepted"}],"fixes":[{"description":{"text":"d"}}],
            "codeFlows":[{"huge":[1,2,3]}]}"#;
        let raw: RawResult = serde_json::from_str(src).unwrap();
        let line = serde_json::to_string(&raw).unwrap();
        assert!(!line.contains('\n'));
        let back: RawResult = serde_json::from_str(&line).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), line);
        assert_eq!(
            back.properties.as_ref().unwrap().security_severity.0,
            Some(7.5)
        );
        let props = back.properties.as_ref().unwrap();
        assert_eq!(
            (&props.tags.cwes[..], &props.tags.cves[..]),
            (&[79][..], &["CVE-2021-44228".to_string()][..])
        );
        assert_eq!(props.cwe.cwes, [89]);
        assert_eq!(
            back.fingerprints.as_ref().unwrap().0,
            [
                ("a".into(), "vvvvvvvvx".into()),
                ("b".into(), "plain-value".into())
            ]
        );
        assert_eq!(back.level, Some(Level::Error));
        assert_eq!(
            back.artifact_location().unwrap().uri.as_deref(),
            Some("a.py")
        );
        assert!(back.approx_size() > 256);
    }

    #[test]
    fn levels_are_read_leniently_but_types_strictly() {
        let l: Level = serde_json::from_str("\"High\"").unwrap();
        assert_eq!(l.severity(), Some(Severity::High));
        let l: Level = serde_json::from_str("\"Warning\"").unwrap();
        assert_eq!(l, Level::Warning);
        let l: Level = serde_json::from_str("\"bogus\"").unwrap();
        assert_eq!(l.severity(), None);
        assert!(serde_json::from_str::<Level>("3").is_err());
        let p: RawProps =
            serde_json::from_str(r#"{"security-severity": {"x": 1}, "tags": "CWE-1"}"#).unwrap();
        assert_eq!(p.security_severity.0, None);
        assert_eq!(p.tags.cwes, [1]);
    }
}
