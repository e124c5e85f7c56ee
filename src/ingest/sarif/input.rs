//! The JSON walker under the SARIF parser: a byte window over the reader, a hand-written
//! tokenizer for the few structural levels the parser needs to visit key by key (the log, each
//! run, the arrays it iterates), and serde_json for every value inside them.
//!
//! Why not `serde_json::Deserializer::from_reader` with visitors all the way down: its reader
//! path goes byte by byte through `io::Bytes` and measured ~165 MB/s on a 840 MB report before
//! any of our own work, against ~490 MB/s for the slice path. So values are deserialized from
//! slices of a window (1 MiB, grown only while a single value needs it) and a value cut by the
//! end of the window is simply parsed again once more bytes are in.

use crate::ingest::IngestError;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::error::Category;
use std::io::{self, Read};

/// Initial window size; most reports never grow it.
pub(super) const WINDOW: usize = 1 << 20;

/// A step of the JSON path, for error messages (`$.runs[0].results[3]`).
pub(super) enum Seg {
    Key(String),
    Index(u64),
}

pub(super) struct Input<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// 1-based line of `buf[pos]`.
    line: u64,
    /// 0-based byte column of `buf[pos]`.
    col: u64,
    /// Largest single value (a result, the tool object, a scalar) the window may grow to hold.
    max_value: usize,
    file: String,
    pub(super) path: Vec<Seg>,
}

impl<R: Read> Input<R> {
    pub(super) fn new(src: R, file: &str, max_value: usize) -> Self {
        Input {
            src,
            buf: vec![0; WINDOW.min(max_value.max(64))],
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            col: 0,
            max_value: max_value.max(64),
            file: file.to_string(),
            path: Vec::new(),
        }
    }

    /// The report's name, as errors give it.
    pub(super) fn file(&self) -> &str {
        &self.file
    }

    /// Drops a UTF-8 byte-order mark; some Windows tools write one.
    pub(super) fn skip_bom(&mut self) -> Result<(), IngestError> {
        while self.end - self.pos < 3 && !self.eof {
            self.fill()?;
        }
        if self.buf[self.pos..self.end].starts_with(b"\xEF\xBB\xBF") {
            self.pos += 3;
        }
        Ok(())
    }

    /// The next non-whitespace byte, not consumed; `None` at the end of the input.
    pub(super) fn peek(&mut self) -> Result<Option<u8>, IngestError> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\r' => {
                        self.pos += 1;
                        self.col += 1;
                    }
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        self.col = 0;
                    }
                    b => return Ok(Some(b)),
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Consumes the byte `peek` just returned (always ASCII structural).
    fn bump(&mut self) {
        self.pos += 1;
        self.col += 1;
    }

    /// Deserializes the next value from the window, growing the window while the value is cut
    /// by its end. `T` is owned, so the window may move afterwards.
    pub(super) fn value<T: DeserializeOwned>(&mut self) -> Result<T, IngestError> {
        loop {
            let window = &self.buf[self.pos..self.end];
            let len = window.len();
            let mut stream = serde_json::Deserializer::from_slice(window).into_iter::<T>();
            let outcome = stream.next();
            let offset = stream.byte_offset();
            match outcome {
                // A value ending exactly at the window end may be a number that continues.
                Some(Ok(v)) if offset < len || self.eof => {
                    self.advance(offset);
                    return Ok(v);
                }
                // serde reports some cut numbers ("-", "1.", "1e") as invalid rather than as
                // EOF, so an error at the very end of the window also waits for more input.
                Some(Err(e))
                    if self.eof || (e.classify() != Category::Eof && !near_end(window, &e)) =>
                {
                    return Err(self.json_error(&e));
                }
                None if self.eof => {
                    return Err(self.unexpected(None, "a value"));
                }
                _ => {}
            }
            self.fill()?;
        }
    }

    /// Skips one value of any kind. Arrays are walked element by element so that skipping
    /// a huge array (logicalLocations, threadFlowLocations) never needs it whole in the window.
    pub(super) fn skip(&mut self) -> Result<(), IngestError> {
        if self.peek()? == Some(b'[') {
            self.array(|inp, _| inp.value::<IgnoredAny>().map(|_| ()))
        } else {
            self.value::<IgnoredAny>().map(|_| ())
        }
    }

    /// `null`, consumed; false (nothing consumed) for anything else.
    pub(super) fn null(&mut self) -> Result<bool, IngestError> {
        if self.peek()? == Some(b'n') {
            self.value::<()>()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Visits the members of an object in document order; `each` must consume the value.
    pub(super) fn object<F>(&mut self, what: &str, mut each: F) -> Result<(), IngestError>
    where
        F: FnMut(&mut Self, &str) -> Result<(), IngestError>,
    {
        match self.peek()? {
            Some(b'{') => self.bump(),
            other => return Err(self.unexpected(other, &format!("{what} (a JSON object)"))),
        }
        if self.peek()? == Some(b'}') {
            self.bump();
            return Ok(());
        }
        loop {
            if self.peek()? != Some(b'"') {
                let found = self.peek()?;
                return Err(self.unexpected(found, "a member name in double quotes"));
            }
            let key: String = self.value()?;
            match self.peek()? {
                Some(b':') => self.bump(),
                other => return Err(self.unexpected(other, "':' after a member name")),
            }
            self.path.push(Seg::Key(key.clone()));
            each(self, &key)?;
            self.path.pop();
            match self.peek()? {
                Some(b',') => self.bump(),
                Some(b'}') => {
                    self.bump();
                    return Ok(());
                }
                other => return Err(self.unexpected(other, "',' or '}' after an object member")),
            }
        }
    }

    /// Visits the elements of an array in order; `each` must consume the element.
    pub(super) fn array<F>(&mut self, mut each: F) -> Result<(), IngestError>
    where
        F: FnMut(&mut Self, u64) -> Result<(), IngestError>,
    {
        match self.peek()? {
            Some(b'[') => self.bump(),
            other => return Err(self.unexpected(other, "a JSON array")),
        }
        if self.peek()? == Some(b']') {
            self.bump();
            return Ok(());
        }
        let mut index = 0u64;
        self.path.push(Seg::Index(0));
        loop {
            if let Some(Seg::Index(i)) = self.path.last_mut() {
                *i = index;
            }
            if self.peek()? == Some(b']') {
                return Err(self.error_here("trailing comma before ']'"));
            }
            each(self, index)?;
            index += 1;
            match self.peek()? {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    self.path.pop();
                    return Ok(());
                }
                other => return Err(self.unexpected(other, "',' or ']' after an array element")),
            }
        }
    }

    /// After the log: only whitespace may follow.
    pub(super) fn expect_end(&mut self) -> Result<(), IngestError> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.error_here("unexpected data after the end of the SARIF log")),
        }
    }

    /// The JSON path of the current position, e.g. `$.runs[0].results[3]`.
    pub(super) fn json_path(&self) -> String {
        let mut s = String::from("$");
        for seg in &self.path {
            match seg {
                Seg::Key(k)
                    if !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') =>
                {
                    s.push('.');
                    s.push_str(k);
                }
                Seg::Key(k) => {
                    s.push_str("[\"");
                    s.push_str(&k.replace('"', "\\\""));
                    s.push_str("\"]");
                }
                Seg::Index(i) => {
                    s.push('[');
                    s.push_str(&i.to_string());
                    s.push(']');
                }
            }
        }
        s
    }

    fn location(&self, line: u64, col: u64) -> String {
        let path = self.json_path();
        if path == "$" {
            format!("line {line} column {col}")
        } else {
            format!("line {line} column {col} ({path})")
        }
    }

    /// An error at the current position (the value about to be read).
    pub(super) fn error_here(&self, message: &str) -> IngestError {
        self.error_at(self.position(), message)
    }

    /// The (line, column) of the next byte, to blame a value after it has been read.
    pub(super) fn position(&self) -> (u64, u64) {
        (self.line, self.col + 1)
    }

    pub(super) fn error_at(&self, (line, col): (u64, u64), message: &str) -> IngestError {
        IngestError {
            file: self.file.clone(),
            location: self.location(line, col),
            message: message.to_string(),
        }
    }

    fn unexpected(&self, found: Option<u8>, expected: &str) -> IngestError {
        let message = match found {
            None => format!("the file ends where {expected} was expected (truncated?)"),
            Some(b) => format!("expected {expected}, found {}", describe(b)),
        };
        self.error_here(&message)
    }

    fn json_error(&self, e: &serde_json::Error) -> IngestError {
        let (line, col) = if e.line() == 0 {
            (self.line, self.col + 1)
        } else if e.line() == 1 {
            (self.line, self.col + e.column() as u64)
        } else {
            (self.line + e.line() as u64 - 1, e.column() as u64)
        };
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let mut message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
        if e.classify() == Category::Eof {
            message = format!("the file ends in the middle of a value (truncated?): {message}");
        }
        IngestError {
            file: self.file.clone(),
            location: self.location(line, col.max(1)),
            message,
        }
    }

    fn io_error(&self, e: &io::Error) -> IngestError {
        IngestError {
            file: self.file.clone(),
            location: self.location(self.line, self.col + 1),
            message: format!("cannot read the report: {e}"),
        }
    }

    fn advance(&mut self, n: usize) {
        let consumed = &self.buf[self.pos..self.pos + n];
        let newlines = consumed.iter().filter(|&&b| b == b'\n').count();
        if newlines == 0 {
            self.col += n as u64;
        } else {
            self.line += newlines as u64;
            let last = consumed.iter().rposition(|&b| b == b'\n').unwrap_or(0);
            self.col = (n - last - 1) as u64;
        }
        self.pos += n;
    }

    /// Reads more input behind what is unconsumed, moving it to the front and growing the
    /// window (up to `max_value`) when it is full. Returns false at the end of the input.
    fn fill(&mut self) -> Result<bool, IngestError> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= self.max_value {
                return Err(self.error_here(&format!(
                    "a single JSON value here is larger than {} MiB, more than lastmile holds in memory",
                    self.max_value >> 20
                )));
            }
            let grown = (self.buf.len() * 2).min(self.max_value);
            self.buf.resize(grown, 0);
        } else if self.end < WINDOW / 2 && self.buf.len() > WINDOW {
            // A large value has passed; give the memory back.
            self.buf.truncate(WINDOW);
            self.buf.shrink_to_fit();
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(&e)),
            }
        }
    }
}

/// Whether serde's error position lies in the last few bytes of `window`.
fn near_end(window: &[u8], e: &serde_json::Error) -> bool {
    let line_start = if e.line() <= 1 {
        0
    } else {
        match window
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .nth(e.line() - 2)
        {
            Some((i, _)) => i + 1,
            None => return true,
        }
    };
    line_start + e.column() + 4 >= window.len()
}

fn describe(b: u8) -> String {
    match b {
        b'{' => "an object".into(),
        b'[' => "an array".into(),
        b'"' => "a string".into(),
        b'-' | b'0'..=b'9' => "a number".into(),
        b't' | b'f' => "a boolean".into(),
        b'n' => "null".into(),
        b if b.is_ascii_graphic() => format!("'{}'", b as char),
        b => format!("byte 0x{b:02x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out one byte per read, so every value is cut by the window end many times.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() || out.is_empty() {
                return Ok(0);
            }
            out[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn values_cut_by_the_window_are_reparsed() {
        let doc = br#"{"a": 12345, "b": [1.5e3, "x\u00e9y", true, null], "c": {"d": -7}}"#;
        let mut inp = Input::new(Trickle(doc), "t", 1 << 20);
        let mut seen = Vec::new();
        inp.object("the log", |inp, key| {
            match key {
                "a" => seen.push(inp.value::<i64>()?.to_string()),
                "b" => inp.array(|inp, _| {
                    let v = inp.value::<serde_json::Value>()?;
                    seen.push(v.to_string());
                    Ok(())
                })?,
                _ => inp.skip()?,
            }
            Ok(())
        })
        .unwrap();
        inp.expect_end().unwrap();
        assert_eq!(seen, ["12345", "1500.0", "\"xéy\"", "true", "null"]);
    }

    #[test]
    fn errors_name_line_column_and_path() {
        let doc = b"{\n  \"runs\": [\n    {\"x\": tru }\n  ]\n}";
        let mut inp = Input::new(&doc[..], "f.sarif", 1 << 20);
        let err = inp
            .object("the log", |inp, _| {
                inp.array(|inp, _| inp.object("a run", |inp, _| inp.skip()))
            })
            .unwrap_err();
        assert_eq!(err.file, "f.sarif");
        assert!(err.location.starts_with("line 3 column"), "{err}");
        assert!(err.location.contains("$.runs[0].x"), "{err}");
    }

    #[test]
    fn oversized_values_are_refused_not_buffered() {
        let doc = format!("[\"{}\"]", "a".repeat(5000));
        let mut inp = Input::new(doc.as_bytes(), "f", 1024);
        let err = inp.array(|inp, _| inp.skip()).unwrap_err();
        assert!(err.message.contains("larger than"), "{err}");
    }

    #[test]
    fn trailing_commas_and_garbage_are_errors() {
        let mut inp = Input::new(&b"[1,]"[..], "f", 1 << 20);
        assert!(inp.array(|inp, _| inp.skip()).is_err());
        let mut inp = Input::new(&b"{} x"[..], "f", 1 << 20);
        inp.object("the log", |inp, _| inp.skip()).unwrap();
        assert!(inp.expect_end().is_err());
    }
}
