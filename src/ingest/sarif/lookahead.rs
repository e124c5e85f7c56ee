//! Results-first reports (Semgrep, ruff and sarif-sdk write a run's `tool` after its `results`)
//! leave a single pass no choice but to hold every result until the run closes: a temporary
//! file as large as the results, and each result encoded and parsed a second time. When the
//! report is a file that can be read again, one quick pass reads what each run says of itself
//! and skips its results; the main pass then resolves and streams results as they come.
//!
//! Everything the lookahead supplied is checked by the main pass when it reaches the same
//! member (a hash of its text), so a report rewritten between the two reads is refused rather
//! than imported under the wrong tool or paths. If the lookahead cannot read the report, it
//! supplies nothing and the main pass works as it would on a stream, reporting any problem
//! where it is.

use super::Limits;
use super::input::Input;
use super::members::{Kind, Member};
use crate::ingest::IngestError;
use serde_json::value::RawValue;
use std::hash::{DefaultHasher, Hasher};
use std::io::{self, Read};

/// Opens the report again from its start.
pub type Reopen<'a> = &'a (dyn Fn() -> io::Result<Box<dyn Read>> + 'a);

/// What one run says of itself, in report order, each member with the hash of its text.
#[derive(Default)]
pub(super) struct RunMeta {
    pub members: Vec<(Member, u64)>,
}

pub(super) struct Lookahead<'a> {
    reopen: Option<Reopen<'a>>,
    file: &'a str,
    limits: Limits,
    /// Read on first need: one pass for all runs.
    runs: Option<Vec<Option<RunMeta>>>,
}

impl<'a> Lookahead<'a> {
    pub fn new(reopen: Option<Reopen<'a>>, file: &'a str, limits: Limits) -> Self {
        Lookahead {
            reopen,
            file,
            limits,
            runs: None,
        }
    }

    /// What run `index` (0-based) says of itself; `None` when the report cannot be read again.
    pub fn take(&mut self, index: u64) -> Option<RunMeta> {
        let reopen = self.reopen?;
        let (file, limits) = (self.file, self.limits);
        let runs = self
            .runs
            .get_or_insert_with(|| read_ahead(reopen, file, limits).unwrap_or_default());
        runs.get_mut(usize::try_from(index).ok()?)?.take()
    }
}

/// The hash the two passes compare a member's text by.
pub(super) fn text_hash(raw: &RawValue) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(raw.get().as_bytes());
    h.finish()
}

/// Every run's members but `results`; runs past the memory budget get `None` (they take the
/// single-pass path). Any error gives up: the main pass will meet it and say where it is.
fn read_ahead(reopen: Reopen<'_>, file: &str, limits: Limits) -> Option<Vec<Option<RunMeta>>> {
    // A member larger than the budget could never be kept, so the window need not grow past it:
    // the lookahead gives up instead, and memory stays bounded while the main pass waits.
    let window = limits.buffered_bytes.min(limits.max_value_bytes);
    let mut inp = Input::new(reopen().ok()?, file, window);
    inp.skip_bom().ok()?;
    let mut runs = Vec::new();
    let mut kept = 0usize;
    inp.object("a SARIF log", |inp, key| {
        if key != "runs" || inp.null()? {
            return if key == "runs" { Ok(()) } else { inp.skip() };
        }
        inp.array(|inp, _| {
            let mut meta = RunMeta::default();
            let mut bytes = 0usize;
            inp.object("a run", |inp, key| {
                let Some(kind) = Kind::of(key) else {
                    return inp.skip();
                };
                let raw = inp.value::<Box<RawValue>>()?;
                bytes += raw.get().len();
                let member = Member::from_raw(&raw, kind, file, limits.max_value_bytes)?;
                meta.members.push((member, text_hash(&raw)));
                Ok(())
            })?;
            kept += bytes;
            runs.push((kept <= limits.buffered_bytes).then_some(meta));
            Ok(())
        })
    })
    .ok()?;
    Some(runs)
}

/// The main pass found a member other than the one the lookahead read.
pub(super) fn changed<R: Read>(inp: &Input<R>) -> IngestError {
    inp.error_here("the report changed while it was being read; import it again once it is written")
}
