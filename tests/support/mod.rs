//! Shared by the integration tests: the real corpus in ../shared and what SOURCES.md says of it.
#![allow(dead_code)]

pub mod cli_env;
pub mod git;
pub mod github;
pub mod pty;
pub mod script;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// ../shared/corpus; the tests need it and say so loudly when it is missing.
pub fn corpus() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        p.is_dir(),
        "the test corpus is missing: expected {} (clone with ../shared beside it)",
        p.display()
    );
    p
}

/// The `results` column of every table in SOURCES.md, keyed by the file's path relative to the
/// corpus (e.g. `sarif/real/bandit-pygoat-19d17cc8.sarif`). Cells that do not start with a
/// number (e.g. "not valid JSON") map to `None`.
pub fn expected_results() -> BTreeMap<String, Option<u64>> {
    let text = std::fs::read_to_string(corpus().join("SOURCES.md")).expect("SOURCES.md");
    let mut out = BTreeMap::new();
    let mut results_col = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            results_col = None;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.first() == Some(&"file") {
            results_col = cells.iter().position(|c| *c == "results");
            continue;
        }
        let (Some(col), Some(file)) = (results_col, cells.first()) else {
            continue;
        };
        let Some(path) = file.strip_prefix('`').and_then(|f| f.strip_suffix('`')) else {
            continue;
        };
        let digits: String = cells
            .get(col)
            .unwrap_or(&"")
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        out.insert(path.to_string(), digits.parse().ok());
    }
    // A change in the tables' layout must fail loudly, not compare against nothing.
    let sarif_rows = out.keys().filter(|k| k.starts_with("sarif/")).count();
    assert!(
        sarif_rows > 50,
        "SOURCES.md tables not understood ({sarif_rows} sarif rows)"
    );
    out
}

/// Every file in a corpus folder, sorted, as (path relative to the corpus, absolute path).
pub fn files_in(folder: &str) -> Vec<(String, PathBuf)> {
    let dir = corpus().join(folder);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                format!("{folder}/{}", p.file_name().unwrap().to_string_lossy()),
                p,
            )
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// Every row of every table of a lastmile database, as text: equal dumps mean equal content.
pub fn dump(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for table in [
        "scopes",
        "scans",
        "findings",
        "events",
        "counters",
        "tracker_links",
        "sync_state",
        "outbox",
    ] {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(&format!("{table}: {}\n", row.unwrap()));
        }
    }
    out
}
