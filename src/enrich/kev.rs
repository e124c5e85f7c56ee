//! The CISA Known Exploited Vulnerabilities catalog, as published in cisagov/kev-data
//! (`known_exploited_vulnerabilities.json`).

use super::{SizeLimit, error, is_iso_date, normalize_cve, open, shown};
use crate::ingest::IngestError;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::error::Category;
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::path::Path;

/// The real catalog is about 1.3 MB and grows by a few hundred entries a year; anything this
/// large is not a catalog, and serde would hold all of it.
const MAX_BYTES: u64 = 64 << 20;

/// One release of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct KevCatalog {
    /// `catalogVersion`, e.g. "2025.08.25".
    pub version: String,
    /// `dateReleased` as written (RFC 3339), when present.
    pub released: Option<String>,
    /// In file order (newest first in CISA's files); no CVE appears twice.
    pub entries: Vec<KevEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KevEntry {
    /// Upper case, `CVE-YYYY-NNNN`.
    pub cve: String,
    pub vendor: String,
    pub product: String,
    pub name: String,
    /// `YYYY-MM-DD`.
    pub date_added: String,
    /// The federal remediation deadline, `YYYY-MM-DD`. It can be earlier than `date_added`:
    /// entries carried over from older directives kept their original deadlines.
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse == "Known"`; "Unknown" or absent (older catalogs) is false.
    pub ransomware: bool,
}

// Fields CISA adds later (notes, cwes, ...) are ignored rather than refused. The flattened
// `_rest` is there for its side effect: without it serde also accepts a JSON array, matching
// its items to fields by position, so `["2025.08.25", null, []]` would pass as a catalog.
#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "the KEV catalog (a JSON object)"
)]
struct RawCatalog {
    catalog_version: Option<String>,
    date_released: Option<String>,
    vulnerabilities: Vec<RawEntry>,
    #[serde(flatten)]
    _rest: HashMap<String, IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    expecting = "a vulnerability (a JSON object)"
)]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    vendor_project: String,
    product: String,
    vulnerability_name: String,
    date_added: String,
    due_date: Option<String>,
    known_ransomware_campaign_use: Option<String>,
    #[serde(flatten)]
    _rest: HashMap<String, IgnoredAny>,
}

/// Reads and validates a whole catalog; `file` names the input in errors.
pub fn parse_kev(reader: impl Read, file: &str) -> Result<KevCatalog, IngestError> {
    let reader = BufReader::new(SizeLimit::new(reader, MAX_BYTES));
    let raw: RawCatalog = serde_json::from_reader(reader).map_err(|e| json_error(file, &e))?;

    let version = raw.catalog_version.as_deref().map(str::trim).unwrap_or("");
    if version.is_empty() {
        return Err(error(file, "catalogVersion", "the catalog has no version"));
    }
    let released = match raw.date_released.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => Some(s.to_string()),
        Some(s) => {
            return Err(error(
                file,
                "dateReleased",
                format!("`{}` is not an RFC 3339 date-time", shown(s.as_bytes())),
            ));
        }
    };

    if raw.vulnerabilities.is_empty() {
        // Nothing to enrich with, and a store that replaces the catalog would forget it all.
        return Err(error(
            file,
            "vulnerabilities",
            "the catalog lists no vulnerabilities",
        ));
    }
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(raw.vulnerabilities.len());
    let mut entries = Vec::with_capacity(raw.vulnerabilities.len());
    for (i, r) in raw.vulnerabilities.into_iter().enumerate() {
        let at = |field: &str| format!("vulnerabilities[{i}].{field}");
        let Some(cve) = normalize_cve(&r.cve_id) else {
            return Err(error(
                file,
                at("cveID"),
                format!(
                    "`{}` is not a CVE id (CVE-YYYY-NNNN)",
                    shown(r.cve_id.as_bytes())
                ),
            ));
        };
        if let Some(first) = seen.insert(cve.clone(), i) {
            return Err(error(
                file,
                at("cveID"),
                format!("{cve} is listed twice (also vulnerabilities[{first}])"),
            ));
        }
        let date_added = r.date_added.trim();
        if !is_iso_date(date_added) {
            return Err(error(
                file,
                at("dateAdded"),
                format!(
                    "`{}` is not a date (YYYY-MM-DD)",
                    shown(r.date_added.as_bytes())
                ),
            ));
        }
        // An empty deadline means "none given", like a missing one.
        let due_date = match r.due_date.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) if is_iso_date(d) => Some(d.to_string()),
            Some(d) => {
                return Err(error(
                    file,
                    at("dueDate"),
                    format!("`{}` is not a date (YYYY-MM-DD)", shown(d.as_bytes())),
                ));
            }
        };
        entries.push(KevEntry {
            cve,
            vendor: r.vendor_project,
            product: r.product,
            name: r.vulnerability_name,
            date_added: date_added.to_string(),
            due_date,
            ransomware: r.known_ransomware_campaign_use.as_deref().map(str::trim) == Some("Known"),
        });
    }
    Ok(KevCatalog {
        version: version.to_string(),
        released,
        entries,
    })
}

/// [`parse_kev`] on a file.
pub fn read_kev_file(path: &Path) -> Result<KevCatalog, IngestError> {
    let (f, name) = open(path)?;
    parse_kev(f, &name)
}

fn json_error(file: &str, e: &serde_json::Error) -> IngestError {
    if e.classify() == Category::Io {
        // serde_json has no position for a failed read; the message is the io error's.
        return error(file, "", format!("cannot read the catalog: {e}"));
    }
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let mut message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    if e.classify() == Category::Eof {
        message = format!("the file ends in the middle of the catalog (truncated?): {message}");
    }
    error(
        file,
        format!("line {} column {}", e.line(), e.column()),
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn real_file() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/enrichment/kev/known_exploited_vulnerabilities.json")
    }

    fn entry(cve: &str) -> String {
        format!(
            r#"{{"cveID": "{cve}", "vendorProject": "Apache", "product": "Log4j2",
                "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
                "dateAdded": "2021-12-10", "dueDate": "2021-12-24",
                "knownRansomwareCampaignUse": "Known", "notes": "", "cwes": ["CWE-20"]}}"#
        )
    }

    fn catalog(entries: &[String]) -> String {
        format!(
            r#"{{"title": "CISA Catalog of Known Exploited Vulnerabilities",
"catalogVersion": "2025.08.25", "dateReleased": "2025-08-25T17:04:19.9796Z",
"count": {}, "vulnerabilities": [{}]}}"#,
            entries.len(),
            entries.join(",\n")
        )
    }

    fn parse(text: &str) -> Result<KevCatalog, IngestError> {
        parse_kev(text.as_bytes(), "kev.json")
    }

    #[test]
    fn the_real_catalog_parses() {
        let cat = read_kev_file(&real_file()).expect("the real KEV catalog parses");
        assert_eq!(cat.version, "2025.08.25");
        assert_eq!(cat.released.as_deref(), Some("2025-08-25T17:04:19.9796Z"));
        assert_eq!(cat.entries.len(), 1404);
        assert_eq!(cat.entries.iter().filter(|e| e.ransomware).count(), 293);

        assert_eq!(
            cat.entries[0],
            KevEntry {
                cve: "CVE-2025-48384".into(),
                vendor: "Git".into(),
                product: "Git".into(),
                name: "Git Link Following Vulnerability".into(),
                date_added: "2025-08-25".into(),
                due_date: Some("2025-09-15".into()),
                ransomware: false,
            }
        );
        let log4shell = cat
            .entries
            .iter()
            .find(|e| e.cve == "CVE-2021-44228")
            .unwrap();
        assert_eq!(
            (log4shell.vendor.as_str(), log4shell.product.as_str()),
            ("Apache", "Log4j2")
        );
        assert_eq!(log4shell.date_added, "2021-12-10");
        assert_eq!(log4shell.due_date.as_deref(), Some("2021-12-24"));
        assert!(log4shell.ransomware);

        // Seven-digit sequence numbers exist (Jenkins), and the first batch carried deadlines
        // from older directives that fall before the date the entry was added.
        assert!(cat.entries.iter().any(|e| e.cve == "CVE-2019-1003029"));
        let printnightmare = cat
            .entries
            .iter()
            .find(|e| e.cve == "CVE-2021-34527")
            .unwrap();
        assert_eq!(printnightmare.date_added, "2021-11-03");
        assert_eq!(printnightmare.due_date.as_deref(), Some("2021-07-20"));
    }

    #[test]
    fn a_small_catalog_normalizes_and_tolerates_new_fields() {
        let odd = r#"{"cveID": " cve-2014-0160 ", "vendorProject": "OpenSSL", "product": "OpenSSL",
            "vulnerabilityName": "Heartbleed", "dateAdded": "2022-05-04", "dueDate": "",
            "someFieldCisaAddsNextYear": {"nested": [1, 2]}}"#;
        let cat = parse(&catalog(&[entry("CVE-2021-44228"), odd.to_string()])).unwrap();
        assert_eq!(cat.entries.len(), 2);
        let e = &cat.entries[1];
        assert_eq!(e.cve, "CVE-2014-0160");
        assert_eq!(e.due_date, None);
        assert!(
            !e.ransomware,
            "no knownRansomwareCampaignUse means not known"
        );
        assert!(cat.entries[0].ransomware);
    }

    #[test]
    fn bad_values_are_located_by_entry_and_field() {
        let log4shell = entry("CVE-2021-44228");
        let cases = [
            (entry("CVE-2021-442"), "vulnerabilities[1].cveID"),
            (
                log4shell.replace("2021-12-10", "2021-02-30"),
                "vulnerabilities[1].dateAdded",
            ),
            (
                log4shell.replace("2021-12-24", "24/12/2021"),
                "vulnerabilities[1].dueDate",
            ),
        ];
        for (bad, location) in cases {
            let err = parse(&catalog(&[entry("CVE-2020-1472"), bad])).unwrap_err();
            assert_eq!(err.file, "kev.json");
            assert_eq!(err.location, location, "{err}");
        }
        let err = parse(&catalog(&[
            entry("CVE-2021-44228"),
            entry("cve-2021-44228"),
        ]))
        .unwrap_err();
        assert_eq!(err.location, "vulnerabilities[1].cveID");
        assert!(err.message.contains("vulnerabilities[0]"), "{err}");

        let err = parse(&catalog(&[]).replace("2025.08.25", " ")).unwrap_err();
        assert_eq!(err.location, "catalogVersion");
        let err =
            parse(&catalog(&[]).replace(r#""catalogVersion": "2025.08.25","#, "")).unwrap_err();
        assert_eq!(err.location, "catalogVersion");
        let err = parse(&catalog(&[]).replace("2025-08-25T17", "yesterday")).unwrap_err();
        assert_eq!(err.location, "dateReleased");
        let err = parse(&catalog(&[])).unwrap_err();
        assert_eq!(err.location, "vulnerabilities");
    }

    #[test]
    fn malformed_json_is_located_by_line_and_column() {
        // A number where a string belongs: the entry starts on line 3, after its 80th column.
        let wrong_type = catalog(&[entry("CVE-2021-44228")])
            .replace(r#""vendorProject": "Apache""#, r#""vendorProject": 42"#);
        let err = parse(&wrong_type).unwrap_err();
        assert_eq!(err.location, "line 3 column 80", "{err}");
        assert!(
            err.message
                .starts_with("invalid type: integer `42`, expected a string"),
            "{err}"
        );

        let err = parse(&catalog(&[entry("CVE-2021-44228")]).replace("\"dateAdded\"", "\"x\""))
            .unwrap_err();
        assert!(err.message.contains("missing field `dateAdded`"), "{err}");
        assert!(err.location.starts_with("line 6 column"), "{err}");

        let err = parse("[1, 2]").unwrap_err();
        assert_eq!(
            err.to_string(),
            "kev.json: line 1 column 1: invalid type: sequence, expected the KEV catalog (a JSON object)"
        );
        let as_array = r#"["2025.08.25", null, []]"#;
        assert!(
            parse(as_array)
                .unwrap_err()
                .message
                .contains("expected the KEV catalog")
        );
        let entry_as_array =
            catalog(&[r#"["CVE-2021-44228", "Apache", "Log4j2", "x", "2021-12-10"]"#.into()]);
        let err = parse(&entry_as_array).unwrap_err();
        assert!(
            err.message
                .contains("expected a vulnerability (a JSON object)"),
            "{err}"
        );
        let err = parse(&format!("{} trailing", catalog(&[]))).unwrap_err();
        assert!(err.message.contains("trailing characters"), "{err}");
    }

    #[test]
    fn truncated_catalogs_fail_with_a_location_and_never_panic() {
        let text = catalog(&[entry("CVE-2021-44228"), entry("CVE-2014-0160")]);
        let err = parse(&text[..text.len() - 40]).unwrap_err();
        assert!(err.message.contains("truncated"), "{err}");
        assert!(err.location.starts_with("line "), "{err}");
        for cut in 0..text.len() {
            let result = parse_kev(&text.as_bytes()[..cut], "kev.json");
            assert!(result.is_err(), "a cut at {cut} still parsed");
        }
    }

    #[test]
    fn oversized_input_stops_at_the_limit() {
        let huge = std::io::repeat(b' ').take(MAX_BYTES + 10);
        let err = parse_kev(huge, "big.json").unwrap_err();
        assert!(err.message.contains("larger than 64 MiB"), "{err}");
    }
}
