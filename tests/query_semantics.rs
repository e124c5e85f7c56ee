//! The filter language against a real database: each query in the table must select exactly
//! the findings named, and malformed queries must point at the right column.

use lastmile::clock::FixedClock;
use lastmile::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use lastmile::model::{Severity, Status};
use lastmile::store::{ImportOptions, SortKey, Store};
use std::io::Read;

/// (name, tool, severity, rule, path, cwe, title)
const ROWS: &[(&str, &str, Severity, &str, &str, &str, &str)] = &[
    (
        "sqli",
        "Semgrep OSS",
        Severity::High,
        "python.django.sql-injection",
        "src/api/views.py",
        "CWE-89",
        "Raw SQL with user input",
    ),
    (
        "xss",
        "Semgrep OSS",
        Severity::Medium,
        "python.flask.xss",
        "src/web/page.py",
        "CWE-79",
        "Reflected XSS",
    ),
    (
        "md5",
        "Bandit",
        Severity::High,
        "B324",
        "src/auth/hash.py",
        "CWE-327",
        "Weak MD5 hash",
    ),
    (
        "pickle",
        "Bandit",
        Severity::Medium,
        "B301",
        "tests/fixtures/load.py",
        "CWE-502",
        "Pickle of untrusted data",
    ),
    (
        "log4j",
        "Trivy",
        Severity::Critical,
        "CVE-2021-44228",
        "pom.xml",
        "CWE-502,CWE-20",
        "Log4Shell 100%_sure",
    ),
    (
        "note",
        "ESLint",
        Severity::Low,
        "no-eval",
        "web/app.js",
        "",
        "eval is evil",
    ),
];

fn rows_parser(
    _: &mut dyn Read,
    _: &str,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let tools = ["Semgrep OSS", "Bandit", "Trivy", "ESLint"];
    for tool in tools {
        emit(ImportEvent::BeginRun(RunInfo {
            tool: tool.into(),
            ..Default::default()
        }))?;
        let mut n = 0;
        for (name, t, sev, rule, path, cwe, title) in ROWS.iter().filter(|r| r.1 == tool) {
            let _ = t;
            n += 1;
            emit(ImportEvent::Finding(Box::new(ImportedFinding {
                fingerprint: name.to_string(),
                rule: rule.to_string(),
                title: title.to_string(),
                message: format!("message about {name}"),
                severity: *sev,
                cwe: (!cwe.is_empty()).then(|| cwe.to_string()),
                cve: rule.starts_with("CVE-").then(|| rule.to_string()),
                path: Some(path.to_string()),
                start_line: Some(10 * n),
                ..Default::default()
            })))?;
        }
        emit(ImportEvent::EndRun(RunEnd {
            results_present: true,
            execution_successful: true,
            result_count: n as u64,
        }))?;
    }
    Ok(())
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("q.db")).unwrap();
    let clock = FixedClock::new(chrono::Utc::now());
    let opts = ImportOptions {
        source: "rows".into(),
        repo: Some("payments-api".into()),
        commit: None,
        actor: "t".into(),
        backfill: false,
    };
    store
        .import_report(&b"x"[..], rows_parser, &opts, &clock)
        .unwrap();
    let pickle = store.list("text:Pickle", SortKey::DEFAULT, 10).unwrap()[0]
        .row
        .id;
    store
        .set_status(&[pickle], Status::FalsePositive, "alice", "fixture", &clock)
        .unwrap();
    (dir, store)
}

fn names(store: &Store, query: &str) -> Vec<String> {
    let mut found: Vec<String> = store
        .list(query, SortKey::DEFAULT, 100)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .into_iter()
        .map(|f| f.fingerprint)
        .collect();
    found.sort();
    found
}

#[test]
fn each_query_selects_exactly_these_findings() {
    let (_dir, store) = store();
    let table: &[(&str, &[&str])] = &[
        ("", &["log4j", "md5", "note", "pickle", "sqli", "xss"]),
        ("sev:high", &["md5", "sqli"]),
        ("sev>=high", &["log4j", "md5", "sqli"]),
        ("sev<medium", &["note"]),
        ("sev:critical,low", &["log4j", "note"]),
        ("severity!=medium", &["log4j", "md5", "note", "sqli"]),
        ("status:open", &["log4j", "md5", "note", "sqli", "xss"]),
        ("is:active", &["log4j", "md5", "note", "sqli", "xss"]),
        ("is:closed", &["pickle"]),
        ("status:false-positive", &["pickle"]),
        ("tool:semgrep", &["sqli", "xss"]),
        ("tool:SEMGREP", &["sqli", "xss"]),
        ("tool=Bandit", &["md5", "pickle"]),
        ("tool=bandit", &[]),
        ("rule:python.", &["sqli", "xss"]),
        ("rule:B3*", &["md5", "pickle"]),
        ("rule:B30?", &["pickle"]),
        (
            "repo:payments",
            &["log4j", "md5", "note", "pickle", "sqli", "xss"],
        ),
        ("repo:web", &[]),
        ("path:src/", &["md5", "sqli", "xss"]),
        ("path:src/*/views.py", &["sqli"]),
        ("-path:tests/*", &["log4j", "md5", "note", "sqli", "xss"]),
        ("path=pom.xml", &["log4j"]),
        ("cwe:502", &["log4j", "pickle"]),
        ("cwe:CWE-20", &["log4j"]),
        ("cwe:2", &[]),
        ("cve:cve-2021-44228", &["log4j"]),
        ("line>10", &["pickle", "xss"]),
        ("md5", &["md5"]),
        ("\"user input\"", &["sqli"]),
        (
            "MESSAGE ABOUT",
            &["log4j", "md5", "note", "pickle", "sqli", "xss"],
        ),
        ("100%", &["log4j"]),
        ("_sure", &["log4j"]),
        ("%", &["log4j"]),
        ("sev:high tool:bandit", &["md5"]),
        ("sev:high OR tool:eslint", &["md5", "note", "sqli"]),
        ("(tool:semgrep OR tool:trivy) sev>=high", &["log4j", "sqli"]),
        (
            "NOT (tool:semgrep OR tool:trivy)",
            &["md5", "note", "pickle"],
        ),
        ("-sev:high -sev:medium", &["log4j", "note"]),
        ("text:\"'; DROP TABLE findings; --\"", &[]),
    ];
    for (query, expected) in table {
        assert_eq!(names(&store, query), *expected, "query: {query}");
    }
    // The injection attempt above was a value, not SQL.
    assert_eq!(names(&store, "").len(), 6);
}

#[test]
fn errors_name_the_column_and_the_problem() {
    let (_dir, store) = store();
    for (query, column, says) in [
        ("sev:urgent", 5, "unknown severity"),
        ("tool:x frob:1", 8, "unknown field 'frob'"),
        ("status:closedd", 8, "unknown status"),
        ("line>ten", 6, "whole number"),
        ("(sev:high", 1, "never closed"),
        ("tool>x", 1, "not a comparison"),
    ] {
        let err = store.count(query).expect_err(query).to_string();
        assert!(
            err.contains(&format!("column {column}")) && err.contains(says),
            "{query}: {err}"
        );
    }
}

#[test]
fn no_input_makes_the_query_language_panic() {
    use rand::{Rng, SeedableRng};
    // Characters that matter to the grammar, plus multi-byte and control characters.
    const ALPHABET: &[char] = &[
        'a', 'z', 'S', ':', '=', '<', '>', '!', '-', '(', ')', '"', '\\', ' ', '*', '?', '[', ']',
        '%', '_', ',', '1', '9', 'é', '✓', '\u{202e}', '\u{1b}', '\n', '\t',
    ];
    const WORDS: &[&str] = &[
        "sev", "status", "is", "tool", "path", "cwe", "id", "line", "OR", "NOT", "high", "open",
    ];
    let (_dir, store) = store();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    for _ in 0..20_000 {
        let mut q = String::new();
        for _ in 0..rng.random_range(0..24) {
            if rng.random_bool(0.3) {
                q.push_str(WORDS[rng.random_range(0..WORDS.len())]);
            } else {
                q.push(ALPHABET[rng.random_range(0..ALPHABET.len())]);
            }
        }
        // Either an answer or an error with a column inside the query (+1 for "at the end").
        match lastmile::query::to_sql(&q) {
            Ok(_) => {
                store
                    .count(&q)
                    .unwrap_or_else(|e| panic!("{q:?} compiled but failed in SQLite: {e}"));
            }
            Err(e) => assert!(
                e.column >= 1 && e.column <= q.chars().count() + 1,
                "{q:?}: {e}"
            ),
        }
    }
}
