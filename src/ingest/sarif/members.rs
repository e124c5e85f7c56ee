//! The members of a run that describe the run itself (everything but `results`): read one way,
//! applied to the run's context one way, whether they come from the main pass or from the
//! lookahead (see `lookahead.rs`).

use super::context::RunContext;
use super::input::Input;
use super::raw::{
    RawArtifact, RawArtifactLocation, RawInvocation, RawTaxonomy, RawTool, RawVersionControl,
};
use crate::ingest::IngestError;
use std::collections::HashMap;
use std::io::Read;

/// Which member, as a bit, so a run can keep a set of them in a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Kind(u8);

impl Kind {
    pub const TOOL: Kind = Kind(1);
    pub const ARTIFACTS: Kind = Kind(2);
    pub const BASE_IDS: Kind = Kind(4);
    pub const INVOCATIONS: Kind = Kind(8);
    pub const VERSION_CONTROL: Kind = Kind(16);
    pub const TAXONOMIES: Kind = Kind(32);

    /// The kind of a run's member by its key; `None` for `results` and anything not read.
    pub fn of(key: &str) -> Option<Kind> {
        Some(match key {
            "tool" => Kind::TOOL,
            "artifacts" => Kind::ARTIFACTS,
            "originalUriBaseIds" => Kind::BASE_IDS,
            "invocations" => Kind::INVOCATIONS,
            "versionControlProvenance" => Kind::VERSION_CONTROL,
            "taxonomies" => Kind::TAXONOMIES,
            _ => return None,
        })
    }
}

/// A set of kinds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Kinds(u8);

impl Kinds {
    pub fn contains(self, k: Kind) -> bool {
        self.0 & k.0 != 0
    }

    pub fn insert(&mut self, k: Kind) {
        self.0 |= k.0;
    }
}

pub(super) enum Member {
    Tool(Box<RawTool>),
    Artifacts(Vec<RawArtifact>),
    BaseIds(HashMap<String, RawArtifactLocation>),
    Invocations(Vec<RawInvocation>),
    VersionControl(Vec<RawVersionControl>),
    Taxonomies(Vec<RawTaxonomy>),
}

impl Member {
    pub fn kind(&self) -> Kind {
        match self {
            Member::Tool(_) => Kind::TOOL,
            Member::Artifacts(_) => Kind::ARTIFACTS,
            Member::BaseIds(_) => Kind::BASE_IDS,
            Member::Invocations(_) => Kind::INVOCATIONS,
            Member::VersionControl(_) => Kind::VERSION_CONTROL,
            Member::Taxonomies(_) => Kind::TAXONOMIES,
        }
    }

    /// Reads the value of a member of kind `kind` at the input's position.
    pub fn read<R: Read>(inp: &mut Input<R>, kind: Kind) -> Result<Member, IngestError> {
        // Arrays are read element by element: a run's artifacts can outgrow the window.
        fn list<R: Read, T: serde::de::DeserializeOwned>(
            inp: &mut Input<R>,
        ) -> Result<Vec<T>, IngestError> {
            let mut out = Vec::new();
            if !inp.null()? {
                inp.array(|inp, _| {
                    out.push(inp.value::<T>()?);
                    Ok(())
                })?;
            }
            Ok(out)
        }
        Ok(match kind {
            Kind::TOOL => Member::Tool(inp.value::<Box<RawTool>>()?),
            Kind::ARTIFACTS => Member::Artifacts(list(inp)?),
            Kind::BASE_IDS => Member::BaseIds(
                inp.value::<Option<HashMap<String, RawArtifactLocation>>>()?
                    .unwrap_or_default(),
            ),
            Kind::INVOCATIONS => Member::Invocations(list(inp)?),
            Kind::VERSION_CONTROL => Member::VersionControl(
                inp.value::<Option<Vec<RawVersionControl>>>()?
                    .unwrap_or_default(),
            ),
            _ => Member::Taxonomies(inp.value::<Option<Vec<RawTaxonomy>>>()?.unwrap_or_default()),
        })
    }

    /// Reads a member from its text as captured whole (the lookahead's, and the main pass's
    /// check of it); `file` names the report in errors.
    pub fn from_raw(
        raw: &serde_json::value::RawValue,
        kind: Kind,
        file: &str,
        max_value: usize,
    ) -> Result<Member, IngestError> {
        Member::read(&mut Input::new(raw.get().as_bytes(), file, max_value), kind)
    }

    /// Tells the context; an error is a tool the context refuses, in words for the user.
    pub fn apply(self, ctx: &mut RunContext) -> Result<(), String> {
        match self {
            Member::Tool(t) => ctx.set_tool(*t)?,
            Member::Artifacts(list) => {
                for a in list {
                    ctx.add_artifact(a);
                }
                ctx.artifacts_done();
            }
            Member::BaseIds(ids) => ctx.set_base_ids(ids),
            Member::Invocations(list) => {
                for i in list {
                    ctx.add_invocation(i);
                }
                ctx.invocations_done();
            }
            Member::VersionControl(v) => ctx.set_version_control(v),
            Member::Taxonomies(t) => ctx.set_taxonomies(t),
        }
        Ok(())
    }
}
