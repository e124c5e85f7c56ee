//! Results that arrive before the context needed to resolve them wait here, in report order:
//! the first ones in memory, and once a cap is reached, every later one in an anonymous
//! temporary file as JSON lines, so memory stays bounded whatever the result count.

use super::raw::RawResult;
use super::text::compact_json;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

#[derive(Debug, Clone, Copy)]
pub(super) struct SpillLimits {
    pub results: usize,
    pub bytes: usize,
}

pub(super) struct Spill {
    limits: SpillLimits,
    memory: VecDeque<Box<RawResult>>,
    memory_bytes: usize,
    file: Option<BufWriter<File>>,
    on_disk: u64,
}

impl Spill {
    pub fn new(limits: SpillLimits) -> Spill {
        Spill {
            limits,
            memory: VecDeque::new(),
            memory_bytes: 0,
            file: None,
            on_disk: 0,
        }
    }

    /// Whether `raw` would still be kept in memory.
    pub fn fits(&self, raw: &RawResult) -> bool {
        self.file.is_none()
            && self.memory.len() < self.limits.results
            && self.memory_bytes + raw.approx_size() <= self.limits.bytes
    }

    /// The results held in memory, when nothing has gone to disk yet (else none).
    pub fn take_memory(&mut self) -> VecDeque<Box<RawResult>> {
        if self.file.is_some() {
            return VecDeque::new();
        }
        self.memory_bytes = 0;
        std::mem::take(&mut self.memory)
    }

    pub fn push(&mut self, mut raw: Box<RawResult>) -> io::Result<()> {
        if self.fits(&raw) {
            self.memory_bytes += raw.approx_size();
            self.memory.push_back(raw);
            return Ok(());
        }
        // `fixes` is kept as written; pretty-printed JSON would break the one-result-per-line
        // framing, so compact it first (it is emitted compact anyway).
        if let Some(f) = raw.fixes.take() {
            let compact = compact_json(f.get());
            raw.fixes = Some(RawValue::from_string(compact).map_err(io::Error::other)?);
        }
        let file = match &mut self.file {
            Some(f) => f,
            None => self
                .file
                .insert(BufWriter::with_capacity(1 << 20, tempfile::tempfile()?)),
        };
        serde_json::to_writer(&mut *file, &raw).map_err(io::Error::other)?;
        file.write_all(b"\n")?;
        self.on_disk += 1;
        Ok(())
    }

    /// Hands every buffered result to `each`, in the order they were pushed.
    pub fn drain<E: From<io::Error>>(
        mut self,
        mut each: impl FnMut(Box<RawResult>) -> Result<(), E>,
    ) -> Result<(), E> {
        while let Some(raw) = self.memory.pop_front() {
            each(raw)?;
        }
        let Some(writer) = self.file.take() else {
            return Ok(());
        };
        let mut file = writer.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut line = Vec::new();
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                return Ok(());
            }
            let raw: Box<RawResult> = serde_json::from_slice(&line).map_err(io::Error::other)?;
            each(raw)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(i: usize) -> Box<RawResult> {
        let json = format!(
            r#"{{"ruleId":"r{i}","fixes":[ {{ "description" : {{ "text" : "line\nbreak {i}" }} }} ]}}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    #[test]
    fn spilled_results_come_back_in_order() {
        let mut spill = Spill::new(SpillLimits {
            results: 3,
            bytes: usize::MAX,
        });
        for i in 0..10 {
            spill.push(raw(i)).unwrap();
        }
        assert_eq!(spill.memory.len(), 3);
        assert_eq!(spill.on_disk, 7);
        let mut ids = Vec::new();
        spill
            .drain(|r| {
                ids.push(r.rule_id.unwrap());
                assert!(r.fixes.unwrap().get().contains("line\\nbreak"));
                Ok::<(), io::Error>(())
            })
            .unwrap();
        let want: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
        assert_eq!(ids, want);
    }

    #[test]
    fn byte_cap_also_spills() {
        let mut spill = Spill::new(SpillLimits {
            results: usize::MAX,
            bytes: 1,
        });
        spill.push(raw(0)).unwrap();
        assert_eq!(spill.on_disk, 1);
    }
}
