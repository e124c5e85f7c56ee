//! FIRST EPSS daily scores (`epss_scores-YYYY-MM-DD.csv[.gz]`), in every generation seen in
//! the wild: early 2021 files start at the `cve,epss` header; later ones put a
//! `#model_version:...,score_date:...` line first and add a `percentile` column. The header,
//! not the comment, decides which columns a row has.

use super::{error, is_iso_date, normalize_cve, open, shown};
use crate::ingest::IngestError;
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::read::MultiGzDecoder;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// A real row is about 40 bytes; a longer line is not EPSS, and without a cap one endless line
/// (or a gzip bomb with no newlines) would be buffered whole.
const MAX_LINE: usize = 4096;
/// About 300,000 CVEs are scored today and some 40,000 are added a year: generous headroom
/// that still bounds the memory a hostile file can claim.
const MAX_ROWS: usize = 2_000_000;

/// One day's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssFile {
    /// From the comment line, e.g. "v2025.03.14"; `None` for early 2021 files.
    pub model_version: Option<String>,
    /// From the comment line, normalized to RFC 3339 UTC (`2023-06-01T00:00:00Z`): the files
    /// write it with `+0000` or `Z`.
    pub score_date: Option<String>,
    /// In file order; no CVE appears twice.
    pub scores: Vec<EpssScore>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EpssScore {
    /// Upper case, `CVE-YYYY-NNNN`.
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days, in [0, 1].
    pub epss: f64,
    /// Rank among all scored CVEs, in [0, 1]; `None` when the file has no such column.
    pub percentile: Option<f64>,
}

/// Reads a daily file, plain or gzip-compressed (recognized by its magic bytes, since
/// downloads get renamed); `file` names the input in errors.
pub fn parse_epss(mut reader: impl Read, file: &str) -> Result<EpssFile, IngestError> {
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < magic.len() {
        match reader.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(error(file, "line 1", format!("cannot read: {e}"))),
        }
    }
    let whole = (&magic[..got]).chain(reader);
    if magic[..got] == [0x1f, 0x8b] {
        parse_plain(MultiGzDecoder::new(whole), file, true)
    } else {
        parse_plain(whole, file, false)
    }
}

/// [`parse_epss`] on a file.
pub fn read_epss_file(path: &Path) -> Result<EpssFile, IngestError> {
    let (f, name) = open(path)?;
    parse_epss(f, &name)
}

fn parse_plain(src: impl Read, file: &str, gzip: bool) -> Result<EpssFile, IngestError> {
    let mut lines = Lines {
        input: BufReader::with_capacity(64 << 10, src),
        buf: Vec::with_capacity(128),
        number: 0,
        file,
        gzip,
    };
    if !lines.advance()? {
        return Err(lines.error("the file is empty"));
    }
    let (mut model_version, mut score_date) = (None, None);
    if let Some(comment) = lines.text().strip_prefix(b"#") {
        let (version, date) =
            parse_comment(&String::from_utf8_lossy(comment)).map_err(|m| lines.error(m))?;
        (model_version, score_date) = (Some(version), Some(date));
        if !lines.advance()? {
            return Err(lines.error("the file ends before the header"));
        }
    }
    let columns = match lines.text() {
        b"cve,epss" => 2,
        b"cve,epss,percentile" => 3,
        other => {
            return Err(lines.error(format!(
                "unknown header `{}`: expected `cve,epss` or `cve,epss,percentile`",
                shown(other)
            )));
        }
    };

    let mut scores = Vec::new();
    let mut seen: HashMap<CveKey, u64> = HashMap::new();
    while lines.advance()? {
        if lines.text().is_empty() {
            continue;
        }
        let row = parse_row(lines.text(), columns).map_err(|m| lines.error(m))?;
        if let Some(first) = seen.insert(CveKey::of(&row.cve), lines.number) {
            let message = format!("{} is listed twice (also line {first})", row.cve);
            return Err(lines.error(message));
        }
        if scores.len() == MAX_ROWS {
            return Err(lines.error(format!("more than {MAX_ROWS} rows")));
        }
        scores.push(row);
    }
    if scores.is_empty() {
        // A file cut right after its header would otherwise wipe every score.
        return Err(lines.error("no scores after the header"));
    }
    Ok(EpssFile {
        model_version,
        score_date,
        scores,
    })
}

/// Numbered lines, each capped at [`MAX_LINE`] bytes.
///
/// Not the csv crate: its record positions are where reading began, so after a blank line, and
/// on every CRLF line (the LF is consumed with the next record), its line numbers are off.
/// EPSS never quotes, so a line split on commas is all the CSV this format needs.
struct Lines<'a, R> {
    input: R,
    buf: Vec<u8>,
    /// 1-based number of the current line; after the end, one past the last.
    number: u64,
    file: &'a str,
    gzip: bool,
}

impl<R: BufRead> Lines<'_, R> {
    /// Moves to the next line; false at the end of the input.
    fn advance(&mut self) -> Result<bool, IngestError> {
        self.buf.clear();
        self.number += 1;
        let cap = MAX_LINE as u64 + 1;
        let read = (&mut self.input).take(cap).read_until(b'\n', &mut self.buf);
        match read {
            Ok(0) => Ok(false),
            Ok(_) if self.buf.len() > MAX_LINE && !self.buf.ends_with(b"\n") => Err(self.error(
                format!("the line is longer than {MAX_LINE} bytes: this is not an EPSS file"),
            )),
            Ok(_) => Ok(true),
            Err(e) if self.gzip => {
                Err(self.error(format!("the gzip stream is corrupt or truncated: {e}")))
            }
            Err(e) => Err(self.error(format!("cannot read: {e}"))),
        }
    }

    /// The current line without its terminator (LF or CRLF) or a leading byte-order mark.
    fn text(&self) -> &[u8] {
        let t = self.buf.strip_suffix(b"\n").unwrap_or(&self.buf);
        let t = t.strip_suffix(b"\r").unwrap_or(t);
        if self.number == 1 {
            t.strip_prefix("\u{feff}".as_bytes()).unwrap_or(t)
        } else {
            t
        }
    }

    fn error(&self, message: impl Into<String>) -> IngestError {
        error(self.file, format!("line {}", self.number), message)
    }
}

/// `model_version:v2023.03.01,score_date:2023-06-01T00:00:00+0000` -> (version, RFC 3339 UTC).
/// Keys FIRST may add later are ignored; the two we report must be there.
fn parse_comment(comment: &str) -> Result<(String, String), String> {
    let (mut version, mut date) = (None, None);
    for part in comment.split(',') {
        let Some((key, value)) = part.split_once(':') else {
            return Err(format!(
                "`{}` in the comment line is not key:value",
                shown(part.as_bytes())
            ));
        };
        match key.trim() {
            "model_version" => version = Some(value.trim()),
            "score_date" => date = Some(value.trim()),
            _ => {}
        }
    }
    let version = match version {
        Some(v) if !v.is_empty() && !v.chars().any(char::is_control) => v.to_string(),
        Some(v) => {
            return Err(format!(
                "model_version `{}` is not a version",
                shown(v.as_bytes())
            ));
        }
        None => return Err("the comment line has no model_version".into()),
    };
    let Some(date) = date else {
        return Err("the comment line has no score_date".into());
    };
    let Some(normalized) = normalize_date(date) else {
        return Err(format!(
            "score_date `{}` is not a date-time",
            shown(date.as_bytes())
        ));
    };
    Ok((version, normalized))
}

fn normalize_date(s: &str) -> Option<String> {
    let utc = |d: DateTime<chrono::FixedOffset>| {
        d.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(utc(d));
    }
    // The v2022/v2023 files write the offset without a colon (`+0000`), which RFC 3339 forbids.
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(utc(d));
    }
    is_iso_date(s).then(|| format!("{s}T00:00:00Z"))
}

fn parse_row(line: &[u8], columns: usize) -> Result<EpssScore, String> {
    let mut fields: [&[u8]; 3] = [&[]; 3];
    let mut count = 0;
    for field in line.split(|&b| b == b',') {
        if let Some(slot) = fields.get_mut(count) {
            *slot = field;
        }
        count += 1;
    }
    if count != columns {
        let expected = if columns == 2 {
            "cve,epss"
        } else {
            "cve,epss,percentile"
        };
        return Err(format!(
            "{count} fields where the header says {columns} ({expected})"
        ));
    }
    let cve = std::str::from_utf8(fields[0])
        .ok()
        .and_then(normalize_cve)
        .ok_or_else(|| format!("`{}` is not a CVE id (CVE-YYYY-NNNN)", shown(fields[0])))?;
    let epss = probability(fields[1], "epss")?;
    let percentile = match columns {
        3 => Some(probability(fields[2], "percentile")?),
        _ => None,
    };
    Ok(EpssScore {
        cve,
        epss,
        percentile,
    })
}

fn probability(field: &[u8], name: &str) -> Result<f64, String> {
    let value = std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("{name} `{}` is not a number", shown(field)))?;
    // The range check also refuses NaN and the infinities, which parse as numbers.
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("{name} `{}` is outside [0, 1]", shown(field)));
    }
    Ok(value)
}

/// A CVE id as a key that costs no allocation: (year, sequence, digits). The digit count keeps
/// `CVE-2021-0001` and `CVE-2021-00001` apart, as the strings are.
#[derive(Hash, PartialEq, Eq)]
struct CveKey(u16, u64, u8);

impl CveKey {
    /// `cve` is already normalized, so its shape is known: at most 19 sequence digits fit a u64.
    fn of(cve: &str) -> Self {
        let year = cve[4..8].parse().unwrap_or(0);
        let seq = &cve[9..];
        Self(year, seq.parse().unwrap_or(0), seq.len() as u8)
    }
}

#[cfg(test)]
mod tests;
