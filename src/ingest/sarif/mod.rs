//! SARIF 2.1.0, streamed.
//!
//! The log and each run are visited key by key, in whatever order the producer wrote them;
//! each element of `results` is deserialized on its own into a compact struct. A result can be
//! resolved once the run's `tool` (and any artifact or base id it refers to) has been read,
//! which is the case at once for tools that write `tool` first. Producers that write `results`
//! first (Semgrep, ruff, sarif-sdk) have their results queued, in memory up to a cap and then in
//! a temporary file, and replayed in order when the run object closes.
//!
//! Resolvable results are still held in memory (never on disk) while the run metadata that
//! `BeginRun` carries (versionControlProvenance, invocations) has not been seen, because many
//! producers write it after `results`. Past the in-memory cap the parser stops waiting and
//! streams; `BeginRun` then carries what was known at that point. So for reports of up to
//! ~50k results per run the run metadata is complete whatever the key order, and memory stays
//! bounded for any size.
//!
//! All of that is the single-pass path, what a pipe allows. A report that is a file is read
//! ahead once when a run would otherwise wait (`lookahead.rs`): its runs' members but `results`,
//! so results stream as they come and `BeginRun` is complete at any size.

mod context;
mod de;
mod input;
mod lookahead;
mod members;
mod paths;
mod raw;
mod spill;
mod text;
mod tool;

use crate::ingest::fingerprint::RunFingerprinter;
use crate::ingest::{ImportEvent, IngestError, RunEnd};
use context::RunContext;
use input::Input;
pub use lookahead::Reopen;
use lookahead::{Lookahead, RunMeta};
use members::{Kind, Kinds, Member};
use raw::RawResult;
use serde_json::value::RawValue;
use spill::{Spill, SpillLimits};
use std::collections::VecDeque;
use std::io::Read;
/// One way to read CWE and CVE ids from text, shared with the tracker connectors.
pub(crate) use text::{collect_cves, collect_cwes};
pub(crate) use tool::cwe_text;

/// The only SARIF version read.
pub const SUPPORTED_VERSION: &str = "2.1.0";

/// Memory bounds of the parser. The defaults suit any report; tests shrink them.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Results buffered in memory (per run) before the rest go to a temporary file.
    pub buffered_results: usize,
    /// Approximate bytes of results buffered in memory (per run) before spilling; also the
    /// most run metadata (all runs together) that reading a file ahead keeps.
    pub buffered_bytes: usize,
    /// Largest single JSON value read whole (a result, the tool object, a string).
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            buffered_results: 50_000,
            buffered_bytes: 64 << 20,
            max_value_bytes: 256 << 20,
        }
    }
}

/// Parses a SARIF 2.1.0 log from `reader`, calling `emit` for each run: `BeginRun`, its
/// findings in report order, `EndRun`. `file` names the report in errors. Stops at the first
/// error, including one returned by `emit`; events already emitted are not taken back.
pub fn parse<R: Read>(
    reader: R,
    file: &str,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    parse_with_limits(reader, file, Limits::default(), emit)
}

/// [`parse`] with explicit memory bounds.
pub fn parse_with_limits<R: Read>(
    reader: R,
    file: &str,
    limits: Limits,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    parse_with(reader, file, limits, None, emit)
}

/// [`parse`] for a report that can be read again from its start (a file, not a pipe): runs
/// that put `results` before `tool` are streamed instead of held (see `lookahead.rs`).
pub fn parse_rereadable<R: Read>(
    reader: R,
    file: &str,
    reopen: Reopen<'_>,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    parse_with(reader, file, Limits::default(), Some(reopen), emit)
}

/// The parser itself: explicit bounds, and the report's reopener when it has one.
pub fn parse_with<R: Read>(
    reader: R,
    file: &str,
    limits: Limits,
    reopen: Option<Reopen<'_>>,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut look = Lookahead::new(reopen, file, limits);
    let mut input = Input::new(reader, file, limits.max_value_bytes);
    input.skip_bom()?;
    if input.peek()?.is_none() {
        return Err(input.error_here("the file is empty (expected a SARIF log, a JSON object)"));
    }
    let mut version: Option<String> = None;
    input.object("a SARIF log", |inp, key| match key {
        "version" => {
            inp.peek()?;
            let at = inp.position();
            let Some(v) = inp.value::<Option<String>>()? else {
                return Err(inp.error_at(at, &format!(
                    "\"version\" is null: a SARIF log must say \"version\": \"{SUPPORTED_VERSION}\""
                )));
            };
            if v != SUPPORTED_VERSION {
                return Err(inp.error_at(at, &format!(
                    "SARIF version {v} is not supported (lastmile reads SARIF {SUPPORTED_VERSION})"
                )));
            }
            version = Some(v);
            Ok(())
        }
        "runs" => {
            if inp.null()? {
                return Ok(());
            }
            inp.array(|inp, index| run(inp, index, limits, &mut look, emit))
        }
        _ => inp.skip(),
    })?;
    input.expect_end()?;
    if version.is_none() {
        return Err(input.error_here(&format!(
            "missing \"version\": a SARIF log must say \"version\": \"{SUPPORTED_VERSION}\""
        )));
    }
    Ok(())
}

/// How the results of a run are being handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Resolvable, but `BeginRun` would lack run metadata (versionControlProvenance,
    /// invocations) that producers often write after `results`: hold results in memory, and
    /// only if they outgrow the in-memory cap give up waiting and stream.
    Holding,
    /// Emit each result as it is read.
    Streaming,
    /// Some result needs context that is not there yet: queue everything until the run closes.
    Deferred,
}

/// The state of one run while its members stream by.
struct RunState {
    /// The run's place in `runs`, to find it in the lookahead.
    index: u64,
    ctx: RunContext,
    fps: RunFingerprinter,
    spill: Spill,
    mode: Mode,
    began: bool,
    results_present: bool,
    result_count: u64,
    looked_ahead: bool,
    /// Members the main pass has read itself.
    seen: Kinds,
    /// Members applied from the lookahead, and their hashes in report order, to check.
    primed: Kinds,
    expect: VecDeque<Expected>,
}

/// A member read ahead, as the main pass must find it.
struct Expected {
    kind: Kind,
    hash: u64,
    /// False for one the context refused: the main pass applies it, to report where it is.
    applied: bool,
}

type Emit<'a> = &'a mut dyn FnMut(ImportEvent) -> Result<(), IngestError>;

impl RunState {
    fn begin(&mut self, emit: Emit<'_>) -> Result<(), IngestError> {
        if !self.began {
            self.began = true;
            emit(ImportEvent::BeginRun(self.ctx.run_info()))?;
        }
        Ok(())
    }

    fn emit_one(&mut self, raw: Box<RawResult>, emit: Emit<'_>) -> Result<(), IngestError> {
        let finding = self.ctx.build(raw, &mut self.fps);
        emit(ImportEvent::Finding(Box::new(finding)))
    }

    /// Applies what the lookahead read of this run, except members already read here.
    fn prime(&mut self, meta: RunMeta) {
        for (member, hash) in meta.members {
            let kind = member.kind();
            if self.seen.contains(kind) {
                continue;
            }
            // A tool the context refuses is applied again by the main pass when it gets there,
            // so the error names the place in the report.
            let applied = member.apply(&mut self.ctx).is_ok();
            self.primed.insert(kind);
            self.expect.push_back(Expected {
                kind,
                hash,
                applied,
            });
        }
    }

    fn accept<R: Read>(
        &mut self,
        inp: &Input<R>,
        raw: Box<RawResult>,
        look: &mut Lookahead<'_>,
        emit: Emit<'_>,
    ) -> Result<(), IngestError> {
        self.result_count += 1;
        // Looking ahead pays when this result would wait for the run's end, and when holding
        // for the run's metadata is about to give up (BeginRun, and so the scope, would lack it).
        let would_wait = self.mode != Mode::Deferred
            && (!self.ctx.ready(&raw)
                || (self.mode == Mode::Holding
                    && !self.ctx.run_info_complete()
                    && !self.spill.fits(&raw)));
        if would_wait && !self.looked_ahead {
            self.looked_ahead = true;
            if let Some(meta) = look.take(self.index) {
                self.prime(meta);
            }
        }
        if self.mode != Mode::Deferred && !self.ctx.ready(&raw) {
            // From here on everything waits, so results keep their report order.
            self.mode = Mode::Deferred;
        }
        if self.mode == Mode::Holding && (self.ctx.run_info_complete() || !self.spill.fits(&raw)) {
            self.begin(emit)?;
            for held in self.spill.take_memory() {
                self.emit_one(held, emit)?;
            }
            self.mode = Mode::Streaming;
        }
        match self.mode {
            Mode::Streaming => {
                self.begin(emit)?;
                self.emit_one(raw, emit)
            }
            Mode::Holding | Mode::Deferred => self.spill.push(raw).map_err(|e| {
                inp.error_here(&format!("cannot buffer results in a temporary file: {e}"))
            }),
        }
    }
}

fn run<R: Read>(
    inp: &mut Input<R>,
    index: u64,
    limits: Limits,
    look: &mut Lookahead<'_>,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut st = RunState {
        index,
        ctx: RunContext::default(),
        fps: RunFingerprinter::new(),
        spill: Spill::new(SpillLimits {
            results: limits.buffered_results,
            bytes: limits.buffered_bytes,
        }),
        mode: Mode::Holding,
        began: false,
        results_present: false,
        result_count: 0,
        looked_ahead: false,
        seen: Kinds::default(),
        primed: Kinds::default(),
        expect: VecDeque::new(),
    };
    inp.object("a run", |inp, key| {
        if key == "results" {
            if !inp.null()? {
                st.results_present = true;
                inp.array(|inp, _| {
                    let raw = inp.value::<Box<RawResult>>()?;
                    st.accept(inp, raw, look, emit)
                })?;
            }
            return Ok(());
        }
        let Some(kind) = Kind::of(key) else {
            return inp.skip();
        };
        if st.primed.contains(kind) {
            // Read ahead already: check it is what was read then.
            let raw = inp.value::<Box<RawValue>>()?;
            let Some(expected) = st.expect.pop_front() else {
                return Err(lookahead::changed(inp));
            };
            if (expected.kind, expected.hash) != (kind, lookahead::text_hash(&raw)) {
                return Err(lookahead::changed(inp));
            }
            if expected.applied {
                return Ok(());
            }
            let member = Member::from_raw(&raw, kind, inp.file(), limits.max_value_bytes)?;
            return member.apply(&mut st.ctx).map_err(|m| inp.error_here(&m));
        }
        let member = Member::read(inp, kind)?;
        st.seen.insert(kind);
        member.apply(&mut st.ctx).map_err(|m| inp.error_here(&m))
    })?;
    if !st.expect.is_empty() {
        return Err(lookahead::changed(inp));
    }
    if st.ctx.tool.is_none() {
        return Err(
            inp.error_here("a run has no \"tool\" (SARIF 2.1.0 requires run.tool.driver.name)")
        );
    }
    st.begin(emit)?;
    let RunState {
        ctx,
        mut fps,
        spill,
        results_present,
        result_count,
        ..
    } = st;
    spill
        .drain(|raw| {
            let finding = ctx.build(raw, &mut fps);
            emit(ImportEvent::Finding(Box::new(finding))).map_err(DrainError::from)
        })
        .map_err(|e: DrainError| match e {
            DrainError::Io(e) => inp.error_here(&format!("cannot read back buffered results: {e}")),
            DrainError::Ingest(e) => e,
        })?;
    emit(ImportEvent::EndRun(RunEnd {
        results_present,
        execution_successful: ctx.execution_successful,
        result_count,
    }))
}

enum DrainError {
    Io(std::io::Error),
    Ingest(IngestError),
}

impl From<std::io::Error> for DrainError {
    fn from(e: std::io::Error) -> Self {
        DrainError::Io(e)
    }
}

impl From<IngestError> for DrainError {
    fn from(e: IngestError) -> Self {
        DrainError::Ingest(e)
    }
}

#[cfg(test)]
mod tests;
