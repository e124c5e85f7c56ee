//! FIRST EPSS daily scores (`epss_scores-YYYY-MM-DD.csv[.gz]`), in every generation seen in
//! the wild: early 2021 files start at the `cve,epss` header; later ones put a
//! `#model_version:...,score_date:...` line first and add a `percentile` column. The header,
//! not the comment, decides which columns a row has.

use super::{error, is_iso_date, normalize_cve, open};
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
    let at = |line: u64| format!("line {line}");
    let read_failed = |line: u64, e: &io::Error| {
        let message = if e.get_ref().is_some_and(|r| r.is::<LineTooLong>()) {
            format!("a line is longer than {MAX_LINE} bytes: this is not an EPSS file")
        } else if gzip {
            format!("the gzip stream is corrupt or truncated: {e}")
        } else {
            format!("cannot read: {e}")
        };
        error(file, at(line), message)
    };

    let mut input = BufReader::new(LineLimit { inner: src, run: 0 });
    let mut line = 1;
    let mut text = read_line(&mut input).map_err(|e| read_failed(line, &e))?;
    let Some(first) = &text else {
        return Err(error(file, at(line), "the file is empty"));
    };
    let first = first.strip_prefix('\u{feff}').unwrap_or(first);
    let (model_version, score_date) = if let Some(comment) = first.strip_prefix('#') {
        let meta = parse_comment(comment).map_err(|m| error(file, at(line), m))?;
        line += 1;
        text = read_line(&mut input).map_err(|e| read_failed(line, &e))?;
        (Some(meta.0), Some(meta.1))
    } else {
        (None, None)
    };
    let Some(header) = &text else {
        return Err(error(file, at(line), "the file ends before the header"));
    };
    let header = header.strip_prefix('\u{feff}').unwrap_or(header);
    let columns = match header {
        "cve,epss" => 2,
        "cve,epss,percentile" => 3,
        _ => {
            return Err(error(
                file,
                at(line),
                format!(
                    "unknown header `{}`: expected `cve,epss` or `cve,epss,percentile`",
                    shown(header.as_bytes())
                ),
            ));
        }
    };

    // Quoting is off: EPSS never quotes, and a stray quote would let one field span lines.
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .quoting(false)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let mut scores = Vec::new();
    let mut seen: HashMap<CveKey, u64> = HashMap::new();
    let header_line = line;
    loop {
        match rows.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // Only reading fails here (no quoting, flexible, bytes): the row after the last
                // good one is where the stream broke.
                let after = match e.into_kind() {
                    csv::ErrorKind::Io(io) => return Err(read_failed(line + 1, &io)),
                    other => format!("{other:?}"),
                };
                return Err(error(file, at(line + 1), after));
            }
        }
        // csv counts lines from 1 just after the header.
        line = header_line + record.position().map_or(1, |p| p.line());
        let row = parse_row(&record, columns).map_err(|m| error(file, at(line), m))?;
        if let Some(first) = seen.insert(CveKey::of(&row.cve), line) {
            return Err(error(
                file,
                at(line),
                format!("{} is listed twice (also line {first})", row.cve),
            ));
        }
        if scores.len() == MAX_ROWS {
            return Err(error(file, at(line), format!("more than {MAX_ROWS} rows")));
        }
        scores.push(row);
    }
    if scores.is_empty() {
        // A file cut right after its header would otherwise wipe every score.
        return Err(error(file, at(line + 1), "no scores after the header"));
    }
    Ok(EpssFile {
        model_version,
        score_date,
        scores,
    })
}

/// The next line without its terminator, or `None` at the end of the input.
fn read_line(input: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    if input.read_until(b'\n', &mut buf)? == 0 {
        return Ok(None);
    }
    let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    Ok(Some(String::from_utf8_lossy(text).into_owned()))
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

fn parse_row(record: &csv::ByteRecord, columns: usize) -> Result<EpssScore, String> {
    if record.len() != columns {
        let expected = if columns == 2 {
            "cve,epss"
        } else {
            "cve,epss,percentile"
        };
        return Err(format!(
            "{} fields where the header says {columns} ({expected})",
            record.len()
        ));
    }
    let raw_cve = &record[0];
    let cve = std::str::from_utf8(raw_cve)
        .ok()
        .and_then(normalize_cve)
        .ok_or_else(|| format!("`{}` is not a CVE id (CVE-YYYY-NNNN)", shown(raw_cve)))?;
    let epss = probability(&record[1], "epss")?;
    let percentile = match columns {
        3 => Some(probability(&record[2], "percentile")?),
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

/// A bad value as quoted in an error: lossy UTF-8, cut short so one bad line cannot make the
/// message huge.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.into_owned(),
    }
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

#[derive(Debug)]
struct LineTooLong;

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line longer than {MAX_LINE} bytes")
    }
}

impl std::error::Error for LineTooLong {}

/// Fails a read once a line runs past [`MAX_LINE`] bytes, before anyone buffers it.
struct LineLimit<R> {
    inner: R,
    /// Bytes since the last newline.
    run: usize,
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, segment) in buf[..n].split(|&b| b == b'\n').enumerate() {
            self.run = if i == 0 {
                self.run + segment.len()
            } else {
                segment.len()
            };
            if self.run > MAX_LINE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, LineTooLong));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    const EARLY_2021: &str =
        "cve,epss\nCVE-1999-0001,0.00640\nCVE-2021-44228,0.97565\nCVE-2014-0160,0.96210\n";
    const V2023: &str = "#model_version:v2023.03.01,score_date:2023-06-01T00:00:00+0000
cve,epss,percentile
CVE-1999-0001,0.01025,0.83318
CVE-2021-44228,0.97565,0.99996
CVE-2023-34362,0.94011,0.99865
";
    const CURRENT: &str = "#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z
cve,epss,percentile
CVE-1999-0001,0.01157,0.77752
CVE-2021-44228,0.94358,0.99957
CVE-2025-48384,0.00211,0.43575
";

    fn parse(text: &str) -> Result<EpssFile, IngestError> {
        parse_epss(text.as_bytes(), "epss.csv")
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    fn score(cve: &str, epss: f64, percentile: Option<f64>) -> EpssScore {
        EpssScore {
            cve: cve.into(),
            epss,
            percentile,
        }
    }

    #[test]
    fn all_three_generations_parse() {
        let early = parse(EARLY_2021).unwrap();
        assert_eq!((early.model_version, early.score_date), (None, None));
        assert_eq!(early.scores[1], score("CVE-2021-44228", 0.97565, None));
        assert_eq!(early.scores.len(), 3);

        let v2023 = parse(V2023).unwrap();
        assert_eq!(v2023.model_version.as_deref(), Some("v2023.03.01"));
        assert_eq!(v2023.score_date.as_deref(), Some("2023-06-01T00:00:00Z"));
        assert_eq!(
            v2023.scores[2],
            score("CVE-2023-34362", 0.94011, Some(0.99865))
        );

        let current = parse(CURRENT).unwrap();
        assert_eq!(current.model_version.as_deref(), Some("v2025.03.14"));
        assert_eq!(current.score_date.as_deref(), Some("2025-09-03T12:55:00Z"));
        assert_eq!(
            current.scores[1],
            score("CVE-2021-44228", 0.94358, Some(0.99957))
        );
        assert_eq!(current.scores.len(), 3);
    }

    #[test]
    fn line_endings_bom_and_odd_but_harmless_spelling_are_accepted() {
        let crlf = CURRENT.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(CURRENT).unwrap());
        let no_final_newline = CURRENT.trim_end();
        assert_eq!(parse(no_final_newline).unwrap(), parse(CURRENT).unwrap());
        let bom = format!("\u{feff}{CURRENT}");
        assert_eq!(parse(&bom).unwrap(), parse(CURRENT).unwrap());

        let odd = "#score_date:2025-09-03,model_version:v2025.03.14,rows:1\ncve,epss,percentile\ncve-2021-44228,9.4358e-1,1\n";
        let odd = parse(odd).unwrap();
        assert_eq!(odd.score_date.as_deref(), Some("2025-09-03T00:00:00Z"));
        assert_eq!(odd.scores, [score("CVE-2021-44228", 0.94358, Some(1.0))]);
    }

    #[test]
    fn gzip_is_recognized_by_content_not_name() {
        let packed = gzip(CURRENT.as_bytes());
        assert_eq!(
            parse_epss(&packed[..], "epss.csv").unwrap(),
            parse(CURRENT).unwrap()
        );

        let dir = tempfile::tempdir().unwrap();
        let misnamed = dir.path().join("epss_scores-2025-09-03.csv");
        std::fs::write(&misnamed, &packed).unwrap();
        assert_eq!(read_epss_file(&misnamed).unwrap().scores.len(), 3);
        let plain = dir.path().join("epss_scores-2021-04-14.csv.gz");
        std::fs::write(&plain, EARLY_2021).unwrap();
        assert_eq!(read_epss_file(&plain).unwrap().scores.len(), 3);

        let err = read_epss_file(&dir.path().join("missing.csv.gz")).unwrap_err();
        assert!(
            err.file.ends_with("missing.csv.gz") && err.message.starts_with("cannot open"),
            "{err}"
        );
    }

    #[test]
    fn each_rejection_names_its_line() {
        let header =
            "#model_version:v2025.03.14,score_date:2025-09-03T12:55:00Z\ncve,epss,percentile\n";
        let good = "CVE-2021-44228,0.94358,0.99957\n";
        let cases = [
            ("".to_string(), "line 1", "the file is empty"),
            (
                "cve,score\n".to_string(),
                "line 1",
                "unknown header `cve,score`",
            ),
            (format!("{header}"), "line 3", "no scores"),
            (
                header.replace("cve,epss,percentile", "cve,epss,percentile,extra"),
                "line 2",
                "unknown header",
            ),
            (
                "#model_version:v2025.03.14\ncve,epss\n".to_string(),
                "line 1",
                "no score_date",
            ),
            (
                "#score_date:2025-09-03T12:55:00Z\ncve,epss\n".to_string(),
                "line 1",
                "no model_version",
            ),
            (
                "#model_version:v1,score_date:tuesday\n".to_string(),
                "line 1",
                "score_date `tuesday`",
            ),
            (
                "#model_version:v1;score_date:2025-09-03\n".to_string(),
                "line 1",
                "score_date `v1;score_date",
            ),
            (
                "#model_version:v1,score_date:2025-09-03\n".to_string(),
                "line 2",
                "ends before the header",
            ),
            (
                format!("{header}{good}CVE-2023-34362,0.94011\n"),
                "line 4",
                "2 fields where the header says 3",
            ),
            (
                format!("{header}{good}CVE-2023-34362,0.94011,0.9,1\n"),
                "line 4",
                "4 fields",
            ),
            (
                format!("{header}{good}CVE-2023-34362,high,0.99865\n"),
                "line 4",
                "epss `high` is not a number",
            ),
            (
                format!("{header}{good}CVE-2023-34362,,0.99865\n"),
                "line 4",
                "epss `` is not a number",
            ),
            (
                format!("{header}{good}CVE-2023-34362,1.00001,0.99865\n"),
                "line 4",
                "epss `1.00001` is outside [0, 1]",
            ),
            (
                format!("{header}{good}CVE-2023-34362,-0.1,0.99865\n"),
                "line 4",
                "outside [0, 1]",
            ),
            (
                format!("{header}{good}CVE-2023-34362,NaN,0.99865\n"),
                "line 4",
                "epss `NaN` is outside",
            ),
            (
                format!("{header}{good}CVE-2023-34362,0.94011,inf\n"),
                "line 4",
                "percentile `inf` is outside",
            ),
            (
                format!("{header}{good}CVE-23-34362,0.94011,0.99865\n"),
                "line 4",
                "`CVE-23-34362` is not a CVE id",
            ),
            (
                format!("{header}{good}\"CVE-2023-34362\",0.94011,0.99865\n"),
                "line 4",
                "is not a CVE id",
            ),
            (
                format!("{header}{good}\n\nCVE-2023-34362,0.94011\n"),
                "line 6",
                "2 fields",
            ),
            (
                format!("{header}{good}{}", good.to_lowercase()),
                "line 4",
                "listed twice (also line 3)",
            ),
            (
                format!("{header}{good}CVE-2023-{}\n", "1".repeat(MAX_LINE)),
                "line 4",
                "longer than 4096 bytes",
            ),
        ];
        for (text, location, message) in cases {
            let err = parse(&text).expect_err(&text);
            assert_eq!(err.location, location, "{err}\n{text}");
            assert!(err.message.contains(message), "{err}\n{text}");
            assert_eq!(err.file, "epss.csv");
        }
    }

    #[test]
    fn a_truncated_gzip_stream_is_refused_at_every_cut() {
        let packed = gzip(CURRENT.as_bytes());
        for cut in 0..packed.len() {
            let err = parse_epss(&packed[..cut], "epss.csv.gz").expect_err(&format!("cut {cut}"));
            assert!(err.location.starts_with("line "), "{err}");
        }
        let err = parse_epss(&packed[..packed.len() - 4], "epss.csv.gz").unwrap_err();
        assert!(
            err.message
                .starts_with("the gzip stream is corrupt or truncated"),
            "{err}"
        );
        let mut corrupt = packed.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle] ^= 0x55;
        assert!(parse_epss(&corrupt[..], "epss.csv.gz").is_err());
    }

    #[test]
    fn truncations_and_garbage_never_panic() {
        for text in [EARLY_2021, V2023, CURRENT] {
            for cut in 0..=text.len() {
                let _ = parse_epss(&text.as_bytes()[..cut], "epss.csv");
            }
        }
        // Flipping single bytes into awkward values must fail cleanly or parse, never panic.
        let bytes = CURRENT.as_bytes();
        for i in 0..bytes.len() {
            for b in [b'\n', b'\r', b',', b'#', b'"', 0, 0xff, b'9'] {
                let mut v = bytes.to_vec();
                v[i] = b;
                let _ = parse_epss(&v[..], "epss.csv");
            }
        }
    }

    #[test]
    fn a_full_day_streams_from_gzip() {
        let mut text = String::from(CURRENT.lines().take(2).collect::<Vec<_>>().join("\n"));
        text.push('\n');
        for i in 0..300_000u32 {
            let year = 1999 + i % 27;
            let epss = f64::from(i % 100_000) / 100_000.0;
            text.push_str(&format!(
                "CVE-{year}-{:05},{epss:.5},{:.5}\n",
                i,
                1.0 - epss
            ));
        }
        let packed = gzip(text.as_bytes());
        let started = std::time::Instant::now();
        let day = parse_epss(&packed[..], "epss.csv.gz").unwrap();
        eprintln!("300,000 rows from gzip in {:?}", started.elapsed());
        assert_eq!(day.scores.len(), 300_000);
        assert_eq!(day.scores[299_999].cve, "CVE-2021-299999");
    }
}
