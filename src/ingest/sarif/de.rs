//! Hand-written (de)serializers for the parts of a result that are not plain structs: levels and
//! kinds read leniently, the first location only, fingerprint maps, and property-bag values of
//! whatever type a producer chose.

use super::raw::{FirstLocation, RawLocation};
use super::text::{collect_cves, collect_cwes};
use crate::model::Severity;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

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
    pub(super) fn is_none(&self) -> bool {
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

/// What the importer needs from a tag-like property (`tags`, `cwe`): the CWE numbers and CVE
/// ids in its strings. They are picked out while reading, so the (mostly irrelevant) tag
/// strings are never allocated. One string or a list of them; other values are ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Tags {
    pub cwes: Vec<u32>,
    pub cves: Vec<String>,
}

impl Tags {
    pub(super) fn is_empty(&self) -> bool {
        self.cwes.is_empty() && self.cves.is_empty()
    }

    fn add(&mut self, s: &str) {
        collect_cwes(s, &mut self.cwes);
        collect_cves(s, &mut self.cves);
    }
}

/// One tag: a string is read into the `Tags`, anything else is skipped.
struct TagSeed<'t>(&'t mut Tags);

impl<'de> Visitor<'de> for TagSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a tag")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.add(v);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        IgnoredAny.visit_map(map).map(|_| ())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| ())
    }
}

impl<'de> de::DeserializeSeed<'de> for TagSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Tags;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut tags = Tags::default();
                while seq.next_element_seed(TagSeed(&mut tags))?.is_some() {}
                Ok(tags)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Tags, E> {
                let mut tags = Tags::default();
                tags.add(v);
                Ok(tags)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Tags, A::Error> {
                IgnoredAny.visit_map(map).map(|_| Tags::default())
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Tags, E> {
                Ok(Tags::default())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Tags, E> {
                Ok(Tags::default())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Tags, E> {
                Ok(Tags::default())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Tags, E> {
                Ok(Tags::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Tags, E> {
                Ok(Tags::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// As the tag strings that read back into the same `Tags` (for the spill file).
impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.cwes.len() + self.cves.len()))?;
        for n in &self.cwes {
            seq.serialize_element(&format!("CWE-{n}"))?;
        }
        for c in &self.cves {
            seq.serialize_element(c)?;
        }
        seq.end()
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
