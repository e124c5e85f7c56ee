//! Offline enrichment files -> plain values: the CISA KEV catalog and FIRST EPSS daily scores.
//!
//! These are pure parsers: they read bytes and return typed, validated data or an
//! [`IngestError`] that names the file and where in it the problem is. They never touch the
//! store; the store applies what they return (and decides how to replace older data), so a
//! bad file is rejected whole before anything is written.

pub mod epss;
pub mod kev;

use crate::ingest::IngestError;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Normalizes a CVE id to upper case without surrounding whitespace, or `None` if it is not
/// shaped `CVE-YYYY-NNNN` (four to nineteen digits after the year, as CISA's schema allows).
pub fn normalize_cve(raw: &str) -> Option<String> {
    let id = raw.trim().to_ascii_uppercase();
    let b = id.as_bytes();
    let ok = b.len() >= 13
        && b.starts_with(b"CVE-")
        && b[4..8].iter().all(u8::is_ascii_digit)
        && b[8] == b'-'
        && (4..=19).contains(&(b.len() - 9))
        && b[9..].iter().all(u8::is_ascii_digit);
    ok.then_some(id)
}

/// True for a real calendar date written exactly `YYYY-MM-DD`. chrono alone would also take
/// `2025-8-5` or a signed year, which are not what the formats promise.
pub(crate) fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
        && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// A bad value as quoted in an error: lossy UTF-8, cut short so one bad line cannot make the
/// message huge.
pub(crate) fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(60) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.into_owned(),
    }
}

pub(crate) fn error(
    file: &str,
    location: impl Into<String>,
    message: impl Into<String>,
) -> IngestError {
    IngestError {
        file: file.to_string(),
        location: location.into(),
        message: message.into(),
    }
}

pub(crate) fn open(path: &Path) -> Result<(File, String), IngestError> {
    let name = path.display().to_string();
    match File::open(path) {
        Ok(f) => Ok((f, name)),
        Err(e) => Err(error(&name, "", format!("cannot open: {e}"))),
    }
}

/// Fails the read once more than `left` bytes have come through, so a hostile or mistaken
/// input (a multi-gigabyte file, a gzip bomb) stops with a clear message instead of filling
/// memory.
pub(crate) struct SizeLimit<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> SizeLimit<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            left: limit,
            limit,
        }
    }
}

impl<R: Read> Read for SizeLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Ask for one byte beyond the limit so an input of exactly `limit` bytes still passes.
        let want = buf
            .len()
            .min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the input is larger than {} MiB", self.limit >> 20),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_ids_are_normalized_or_refused() {
        assert_eq!(
            normalize_cve(" cve-2021-44228\t").as_deref(),
            Some("CVE-2021-44228")
        );
        assert_eq!(
            normalize_cve("CVE-2019-1003029").as_deref(),
            Some("CVE-2019-1003029")
        );
        assert_eq!(
            normalize_cve("CVE-2014-0160").as_deref(),
            Some("CVE-2014-0160")
        );
        for bad in [
            "",
            "CVE-2021-123",
            "CVE-21-44228",
            "CVE_2021-44228",
            "CVE-2021-44228a",
            "GHSA-2021-44228",
            "CVE-2021-4422 8",
            "CVE-2021-12345678901234567890",
            "CVE-２０２１-44228",
        ] {
            assert_eq!(normalize_cve(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_must_be_real_and_exact() {
        assert!(is_iso_date("2024-02-29"));
        for bad in [
            "2023-02-29",
            "2025-8-05",
            "2025-08-5",
            "+025-08-05",
            "2025/08/05",
            "2025-13-01",
            "",
        ] {
            assert!(!is_iso_date(bad), "{bad:?}");
        }
    }

    #[test]
    fn size_limit_passes_exactly_the_limit() {
        let mut out = Vec::new();
        assert!(
            SizeLimit::new(&[7u8; 100][..], 100)
                .read_to_end(&mut out)
                .is_ok()
        );
        let err = SizeLimit::new(&[7u8; 101][..], 100).read_to_end(&mut out);
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::InvalidData);
    }
}
