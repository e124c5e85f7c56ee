//! Tests for the EPSS parser: every generation, every rejection with its line, gzip, and
//! inputs cut or mangled at every byte.

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
        (header.to_string(), "line 3", "no scores"),
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
            "no score_date",
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
    let mut text = CURRENT.lines().take(2).collect::<Vec<_>>().join("\n");
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
    // Timing lives outside tests; this checks the streaming path over many buffers.
    let day = parse_epss(&packed[..], "epss.csv.gz").unwrap();
    assert_eq!(day.scores.len(), 300_000);
    assert_eq!(day.scores[299_999].cve, "CVE-2001-299999");
}
