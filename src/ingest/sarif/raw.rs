//! The parts of SARIF objects the importer reads, as compact serde structs. Everything else is
//! skipped by serde (unknown members are ignored), so a result costs only what we keep.
//!
//! `RawResult` also serializes back to the same shape: buffered results are spilled to disk as
//! JSON lines and read again with the same `Deserialize`.

use crate::model::Severity;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "result", rename_all = "camelCase")]
pub(super) struct RawResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<DescriptorRef>,
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
    pub properties: Option<RawProps>,
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
        self.locations.as_ref()?.0.as_ref()?.physical_location.as_ref()
    }

    pub fn artifact_location(&self) -> Option<&RawArtifactLocation> {
        self.physical()?.artifact_location.as_ref()
    }

    /// Rough heap size, to cap what is buffered in memory.
    pub fn approx_size(&self) -> usize {
        let s = |o: &Option<String>| o.as_ref().map_or(0, |s| s.len());
        let mut n = 256 + s(&self.rule_id);
        if let Some(m) = &self.message {
            n += s(&m.text) + s(&m.markdown) + s(&m.id);
            n += m.arguments.iter().flatten().map(|a| a.len() + 24).sum::<usize>();
        }
        if let Some(p) = self.physical() {
            if let Some(a) = &p.artifact_location {
                n += s(&a.uri) + s(&a.uri_base_id);
            }
            for r in [&p.region, &p.context_region].into_iter().flatten() {
                n += r.snippet.as_ref().map_or(0, |t| s(&t.text));
            }
        }
        for fp in [&self.fingerprints, &self.partial_fingerprints].into_iter().flatten() {
            n += fp.0.iter().map(|(k, v)| k.len() + v.len() + 48).sum::<usize>();
        }
        if let Some(p) = &self.properties {
            n += p.tags.0.iter().chain(&p.cwe.0).map(|t| t.len() + 24).sum::<usize>();
        }
        n + self.fixes.as_ref().map_or(0, |f| f.get().len())
    }
}

/// `reportingDescriptorReference` / `toolComponentReference`: how results point at rules and taxa.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(rename = "reportingDescriptorReference", rename_all = "camelCase")]
pub(super) struct DescriptorRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_component: Option<ComponentRef>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(rename = "toolComponentReference")]
pub(super) struct ComponentRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "message")]
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
#[serde(rename = "location", rename_all = "camelCase")]
pub(super) struct RawLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<RawPhysical>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "physicalLocation", rename_all = "camelCase")]
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
#[serde(rename = "artifactLocation", rename_all = "camelCase")]
pub(super) struct RawArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "region", rename_all = "camelCase")]
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
#[serde(rename = "text object")]
pub(super) struct RawText {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A property bag is free-form, so what we read from it is read leniently: a value of an
/// unexpected type is ignored, never an error.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "propertyBag")]
pub(super) struct RawProps {
    #[serde(rename = "security-severity", default, skip_serializing_if = "Score::is_none")]
    pub security_severity: Score,
    #[serde(default, skip_serializing_if = "Strings::is_empty")]
    pub tags: Strings,
    #[serde(default, skip_serializing_if = "Strings::is_empty")]
    pub cwe: Strings,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "suppression")]
pub(super) struct RawSuppression {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// SARIF `level`, plus common non-standard words ("high", "info") mapped through `Severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Error,
    Warning,
    Note,
    None,
    Custom(Severity),
    Unknown,
}

impl Level {
    fn parse(s: &str) -> Level {
        match s {
            "error" => Level::Error,
            "warning" => Level::Warning,
            "note" => Level::Note,
            "none" => Level::None,
            _ => match s.to_ascii_lowercase().as_str() {
                "error" => Level::Error,
                "warning" | "warn" => Level::Warning,
                "note" => Level::Note,
                "none" => Level::None,
                other => other.parse().map_or(Level::Unknown, Level::Custom),
            },
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
            Level::None => "none",
            Level::Custom(s) => s.as_str(),
            Level::Unknown => "unknown",
        }
    }

    /// `None` for a word we do not know, so the caller falls back to the rule's default.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Custom(s) => Some(s),
            Level::Unknown => None,
            l => Severity::from_sarif_level(l.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Level;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a level string (error, warning, note or none)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Level, E> {
                Ok(Level::parse(v))
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `result.kind`: only whether it is "fail" (the default) matters, for the default level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Fail,
    Other,
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a result kind string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Kind, E> {
                Ok(if v == "fail" { Kind::Fail } else { Kind::Other })
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *self == Kind::Fail { "fail" } else { "other" })
    }
}

impl<'de> Deserialize<'de> for FirstLocation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FirstLocation;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of locations")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FirstLocation, A::Error> {
                let first = seq.next_element::<RawLocation>()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(FirstLocation(first))
            }
        }
        d.deserialize_seq(V)
    }
}

impl Serialize for FirstLocation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(usize::from(self.0.is_some())))?;
        if let Some(l) = &self.0 {
            seq.serialize_element(l)?;
        }
        seq.end()
    }
}

/// `fingerprints` / `partialFingerprints`: string values, or the inner `value` of an object
/// value (Black Duck writes `{"value": "..."}`); anything else is dropped.
#[derive(Debug, Default)]
pub(super) struct FpMap(pub Vec<(String, String)>);

struct FpValue(Option<String>);

impl<'de> Deserialize<'de> for FpValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FpValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a fingerprint value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FpValue, E> {
                Ok(FpValue(Some(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<FpValue, E> {
                Ok(FpValue(Some(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FpValue, A::Error> {
                let mut out = None;
                while let Some(k) = map.next_key::<String>()? {
                    if k == "value" {
                        out = map.next_value::<Lenient<String>>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(FpValue(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<FpValue, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| FpValue(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<FpValue, E> {
                Ok(FpValue(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<FpValue, E> {
                Ok(FpValue(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<FpValue, E> {
                Ok(FpValue(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<FpValue, E> {
                Ok(FpValue(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FpValue, E> {
                Ok(FpValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for FpMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FpMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of fingerprints")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FpMap, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    if let Some(v) = map.next_value::<FpValue>()?.0 {
                        out.push((k, v));
                    }
                }
                Ok(FpMap(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for FpMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// `security-severity`: a number, or a string holding one (GitHub writes strings).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Score(pub Option<f64>);

impl Score {
    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Lenient::<ScoreValue>::deserialize(d)?;
        Ok(Score(v.0.map(|s| s.0).filter(|f| f.is_finite())))
    }
}

impl Serialize for Score {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(f) => s.serialize_f64(f),
            None => s.serialize_none(),
        }
    }
}

/// Strings from a property that may hold one string or a list of them.
#[derive(Debug, Default, Clone)]
pub(super) struct Strings(pub Vec<String>);

impl Strings {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Strings, E> {
                Ok(Strings(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Lenient<String>>()? {
                    out.extend(item.0);
                }
                Ok(Strings(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Strings, A::Error> {
                IgnoredAny.visit_map(map).map(|_| Strings::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Strings, E> {
                Ok(Strings::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Strings, E> {
                Ok(Strings::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Strings, E> {
                Ok(Strings::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Strings, E> {
                Ok(Strings::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Strings, E> {
                Ok(Strings::default())
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Strings {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// A value of any JSON type; `Some` only when it is what `T` reads from a string or number.
struct Lenient<T>(Option<T>);

trait FromScalar: Sized {
    fn from_str(s: &str) -> Option<Self>;
    fn from_f64(f: f64) -> Option<Self>;
}

impl FromScalar for String {
    fn from_str(s: &str) -> Option<Self> {
        Some(s.to_string())
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

struct ScoreValue(f64);

impl FromScalar for ScoreValue {
    fn from_str(s: &str) -> Option<Self> {
        s.trim().parse().ok().map(ScoreValue)
    }
    fn from_f64(f: f64) -> Option<Self> {
        Some(ScoreValue(f))
    }
}

impl<'de, T: FromScalar> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: FromScalar> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::from_str(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::from_f64(v as f64)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::from_f64(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(T::from_f64(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Lenient<T>, A::Error> {
                IgnoredAny.visit_map(map).map(|_| Lenient(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Lenient<T>, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| Lenient(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

// ---- run-level objects (read once per run, never buffered) ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "tool")]
pub(super) struct RawTool {
    pub driver: Option<RawComponent>,
    pub extensions: Option<Vec<RawComponent>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "toolComponent", rename_all = "camelCase")]
pub(super) struct RawComponent {
    pub name: Option<String>,
    pub guid: Option<String>,
    pub version: Option<String>,
    pub semantic_version: Option<String>,
    pub rules: Option<Vec<RawRule>>,
    pub global_message_strings: Option<HashMap<String, RawText>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "reportingDescriptor", rename_all = "camelCase")]
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
#[serde(rename = "reportingConfiguration")]
pub(super) struct RawConfiguration {
    pub level: Option<Level>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "reportingDescriptorRelationship")]
pub(super) struct RawRelationship {
    pub target: Option<DescriptorRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "artifact")]
pub(super) struct RawArtifact {
    pub location: Option<RawArtifactLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "invocation", rename_all = "camelCase")]
pub(super) struct RawInvocation {
    pub execution_successful: Option<bool>,
    pub start_time_utc: Option<String>,
    pub end_time_utc: Option<String>,
    pub working_directory: Option<RawArtifactLocation>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "versionControlDetails", rename_all = "camelCase")]
pub(super) struct RawVersionControl {
    pub repository_uri: Option<String>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "toolComponent")]
pub(super) struct RawTaxonomy {
    pub name: Option<String>,
    pub guid: Option<String>,
    pub taxa: Option<Vec<RawTaxon>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "reportingDescriptor")]
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
            "properties":{"security-severity":"7.5","tags":["CWE-79",3],"cwe":"CWE-89"},
            "suppressions":[{"status":"accepted"}],"fixes":[{"description":{"text":"d"}}],
            "codeFlows":[{"huge":[1,2,3]}]}"#;
        let raw: RawResult = serde_json::from_str(src).unwrap();
        let line = serde_json::to_string(&raw).unwrap();
        assert!(!line.contains('\n'));
        let back: RawResult = serde_json::from_str(&line).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), line);
        assert_eq!(back.properties.as_ref().unwrap().security_severity.0, Some(7.5));
        assert_eq!(back.properties.as_ref().unwrap().tags.0, ["CWE-79"]);
        assert_eq!(
            back.fingerprints.as_ref().unwrap().0,
            [("a".into(), "vvvvvvvvx".into()), ("b".into(), "plain-value".into())]
        );
        assert_eq!(back.level, Some(Level::Error));
        assert_eq!(back.artifact_location().unwrap().uri.as_deref(), Some("a.py"));
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
            serde_json::from_str(r#"{"security-severity": {"x": 1}, "tags": "one"}"#).unwrap();
        assert_eq!(p.security_severity.0, None);
        assert_eq!(p.tags.0, ["one"]);
    }
}
