//! The real binary, end to end, on the real corpus.

mod support;
use support::cli_env::Env;

use serde_json::Value;
use std::path::PathBuf;

fn sum(scans: &Value, key: &str) -> u64 {
    scans
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[key].as_u64().unwrap())
        .sum()
}

#[test]
fn every_real_and_sample_report_imports_with_the_counts_it_holds() {
    let env = Env::new();
    let expected = support::expected_results();
    let mut files = support::files_in("sarif/real");
    files.extend(support::files_in("sarif/samples"));
    assert!(
        files.len() > 60,
        "corpus looks incomplete: {} files",
        files.len()
    );
    for (i, (rel, path)) in files.iter().enumerate() {
        let want = expected
            .get(rel)
            .copied()
            .flatten()
            .unwrap_or_else(|| panic!("SOURCES.md gives no result count for {rel}"));
        let repo = format!("repo{i}");
        let v = env.import_json(path, &repo);
        assert_eq!(v["outcome"], "imported", "{rel}: {v}");
        let scans = &v["scans"];
        assert_eq!(sum(scans, "results"), want, "{rel}: results in the report");
        // On a first import each result is a new finding or repeats one already in this scan.
        assert_eq!(
            sum(scans, "new") + sum(scans, "duplicates"),
            want,
            "{rel}: {scans}"
        );
        assert_eq!(sum(scans, "closed") + sum(scans, "reopened"), 0, "{rel}");
        let stored = env.findings(&format!("repo={repo}")).len() as u64;
        assert_eq!(stored, sum(scans, "new"), "{rel}: stored findings");
        // Placeholder fingerprints (Semgrep's "requires login") must not collapse a report.
        if want > 10 {
            assert!(
                stored * 2 > want,
                "{rel}: only {stored} findings from {want} results"
            );
        }
    }
    let verify = env.ok(&["audit", "verify"]);
    assert!(verify.starts_with("audit trail intact"), "{verify}");
}

#[test]
fn edge_cases_import_or_are_refused_with_a_clear_error() {
    let env = Env::new();
    for (rel, path) in support::files_in("sarif/edge-cases") {
        let before = env.db().exists().then(|| support::dump(&env.db()));
        let out = env.run(&["import", "--repo", "edge", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            stderr.contains(name),
            "{rel}: error must name the file: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{rel}: one line: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{rel}: {stderr}");
        if let Some(before) = before {
            assert_eq!(
                support::dump(&env.db()),
                before,
                "{rel}: a refused file must write nothing"
            );
        }
    }
    let syntax = support::corpus().join("sarif/edge-cases/sarif-sdk__JSON1001.SyntaxError.sarif");
    let out = env.run(&["import", syntax.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("line") && err.contains("column"), "{err}");
    let v1 = support::corpus().join("sarif/edge-cases/sarif-sdk__SARIF-1.0.0__BasicResult.sarif");
    let out = env.run(&["import", v1.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1.0.0"),
        "{out:?}"
    );

    // A run that failed, or never ran, must not close what an earlier scan found.
    let env = Env::new();
    let ok = support::corpus().join("sarif/real/njsscan-NodeGoat-c5cb68a7.sarif");
    let failed =
        support::corpus().join("sarif/edge-cases/njsscan-NodeGoat-c5cb68a7-failed-run.sarif");
    let first = env.import_json(&ok, "nodegoat");
    let open_before = sum(&first["scans"], "new");
    let v = env.import_json(&failed, "nodegoat");
    assert_eq!(sum(&v["scans"], "closed"), 0, "{v}");
    assert_eq!(
        env.findings("repo=nodegoat is:active").len() as u64,
        open_before
    );
}

#[test]
fn a_rescan_closes_what_was_fixed_and_keeps_moved_findings() {
    let env = Env::new();
    let real = support::corpus().join("sarif/real");
    let old = env.import_json(&real.join("bandit-pygoat-7afef1ab.sarif"), "pygoat");
    assert_eq!(sum(&old["scans"], "new"), 48);
    let new = env.import_json(&real.join("bandit-pygoat-19d17cc8.sarif"), "pygoat");
    let s = &new["scans"];
    // SOURCES.md, pair A: 47 persist (27 of them on another line), 1 fixed, 18 new.
    assert_eq!(
        (sum(s, "seen"), sum(s, "closed"), sum(s, "new")),
        (47, 1, 18),
        "{s}"
    );
    assert!(sum(s, "updated") >= 27, "moved findings are refreshed: {s}");
    assert_eq!(env.findings("repo=pygoat status:fixed").len(), 1);

    // The same file again changes nothing, and names the recorded scan it matches.
    let before = support::dump(&env.db());
    let scan_ids: Value = s
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scan_id"].clone())
        .collect();
    let again = env.import_json(&real.join("bandit-pygoat-19d17cc8.sarif"), "pygoat");
    assert_eq!(again["outcome"], "unchanged", "{again}");
    assert_eq!(again["same_as"], scan_ids);
    assert_eq!(support::dump(&env.db()), before);

    // The same bytes through stdin go the long way and reach the same verdict.
    let out = env.import_stdin(&real.join("bandit-pygoat-19d17cc8.sarif"), "pygoat");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("nothing changed"),
        "{out:?}"
    );
    let recorded = format!("(#{})", scan_ids[0]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&recorded),
        "{out:?}"
    );
    assert_eq!(support::dump(&env.db()), before);
    // Under another repo it is a different scope, so a real import.
    let other = env.import_json(&real.join("bandit-pygoat-19d17cc8.sarif"), "pygoat-fork");
    assert_eq!(other["outcome"], "imported");
    assert_eq!(sum(&other["scans"], "new"), 65);

    // The older report imported again is a newer scan of the same code state: the fixed one returns.
    let back = env.import_json(&real.join("bandit-pygoat-7afef1ab.sarif"), "pygoat");
    assert_eq!(sum(&back["scans"], "reopened"), 1, "{back}");
}

#[test]
fn a_report_that_differs_only_in_its_middle_is_imported_not_taken_for_the_last_one() {
    use lastmile::demo::generator::{self, WriteOptions};
    let env = Env::new();
    let first = env.dir.path().join("first.sarif");
    let mut bytes = Vec::new();
    generator::write_sarif(
        &mut bytes,
        &generator::SEMGREP,
        generator::synthetic(&generator::SEMGREP, 5, 2_000, 40),
        &WriteOptions::default(),
    )
    .unwrap();
    assert!(bytes.len() > 512 << 10, "big enough to have a middle");
    std::fs::write(&first, &bytes).unwrap();
    let v = env.import_json(&first, "app");
    assert_eq!(sum(&v["scans"], "new"), 2_000);
    // One letter of one message in the middle: same size, same first and last 64 KiB.
    let from = bytes.len() / 2;
    let at = from
        + bytes[from..]
            .windows(19)
            .position(|w| w == b"\"message\":{\"text\":\"")
            .unwrap()
        + 19;
    bytes[at] = if bytes[at] == b'X' { b'Y' } else { b'X' };
    let second = env.dir.path().join("second.sarif");
    std::fs::write(&second, &bytes).unwrap();
    let v = env.import_json(&second, "app");
    assert_eq!(v["outcome"], "imported", "{v}");
    assert_eq!(
        (sum(&v["scans"], "seen"), sum(&v["scans"], "updated")),
        (2_000, 1),
        "{v}"
    );
    // And the second file once more is recognised before it is parsed.
    assert_eq!(env.import_json(&second, "app")["outcome"], "unchanged");
}

#[test]
fn malformed_input_names_the_file_and_place_and_writes_nothing() {
    let env = Env::new();
    let good = support::corpus().join("sarif/real/bandit-pygoat-7afef1ab.sarif");
    env.import_json(&good, "pygoat");
    let before = support::dump(&env.db());

    let bytes =
        std::fs::read(support::corpus().join("sarif/real/bandit-pygoat-19d17cc8.sarif")).unwrap();
    let truncated = env.dir.path().join("truncated.sarif");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let wrong_type = env.dir.path().join("wrong-type.sarif");
    std::fs::write(&wrong_type, br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":"ten"}}}]}]}]}"#).unwrap();
    let missing = env.dir.path().join("missing.sarif");
    let dir = env.dir.path().join("a-directory");
    std::fs::create_dir(&dir).unwrap();

    for (path, expect) in [
        (&truncated, "line"),
        (&wrong_type, "line"),
        (&missing, "missing.sarif"),
        (&dir, "directory"),
    ] {
        let out = env.run(&["import", "--repo", "pygoat", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", path.display());
        assert!(
            err.contains(path.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert!(err.contains(expect), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(support::dump(&env.db()), before, "{}", path.display());
    }
}

#[test]
fn stdin_json_fields_stats_and_sorting() {
    let env = Env::new();
    let file = support::corpus().join("sarif/real/semgrep-pygoat-19d17cc8.sarif");
    let out = env.import_stdin(&file, "pygoat");
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("250 results"),
        "{out:?}"
    );

    let all = env.findings("");
    assert!(all.len() > 200);
    for key in [
        "id", "status", "severity", "tool", "rule", "repo", "path", "line", "title",
    ] {
        assert!(
            all[0].get(key).is_some(),
            "finding JSON lacks {key}: {}",
            all[0]
        );
    }
    assert_eq!(all[0]["repo"], "pygoat");
    assert!(
        !all.iter()
            .any(|f| f["path"].as_str().is_some_and(|p| p.starts_with('/'))),
        "paths are repo-relative"
    );

    let by_path = env.ok(&[
        "findings", "--sort", "path", "--format", "csv", "--limit", "1000",
    ]);
    let paths: Vec<String> = by_path
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(6).unwrap_or("").to_string())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);

    let stats: Value = serde_json::from_str(&env.ok(&["stats", "--format", "json"])).unwrap();
    assert_eq!(stats["total"].as_u64().unwrap(), all.len() as u64);
    assert_eq!(
        stats["by_repo"]["pygoat"].as_u64().unwrap(),
        all.len() as u64
    );

    let out = env.run(&["findings", "--query", "sev:urgent"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("column 5"),
        "{out:?}"
    );
}

#[test]
fn hostile_text_is_escaped_in_tables() {
    let env = Env::new();
    let hostile = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/hostile.sarif");
    env.ok(&["import", "--repo", "evil", hostile.to_str().unwrap()]);
    let escaped = env.findings("Terminal");
    assert_eq!(escaped.len(), 1);
    let id = escaped[0]["id"].to_string();
    for args in [&["findings"][..], &["show", &id][..], &["stats"][..]] {
        let out = env.ok(args);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{args:?}: {out:?}"
        );
    }
    let table = env.ok(&["findings"]);
    assert!(table.contains("\\u{202e}"), "{table}");
    assert!(env.ok(&["show", &id]).contains("\\e]8;;"));
}

#[test]
fn audit_verify_reports_the_first_broken_link() {
    let env = Env::new();
    env.import_json(
        &support::corpus().join("sarif/real/bandit-pygoat-7afef1ab.sarif"),
        "pygoat",
    );
    // The lanes computed when the import first opened the database, one `created` event for
    // the report's 48 findings, and the scan.
    assert!(env.ok(&["audit", "verify"]).contains(": 3 events"));
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_no_update; UPDATE events SET reason = 'nothing to see' WHERE id = 2;",
    )
    .unwrap();
    drop(conn);
    let out = env.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("event #2"),
        "{out:?}"
    );
}

#[test]
fn config_check_names_lines_and_keys() {
    let env = Env::new();
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    assert!(
        env.ok(&["config", "check", example.to_str().unwrap()])
            .contains("ok")
    );
    let bad = env.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "me = \"a\"\n[[lanes]]\nname = \"x\"\nquery = \"sev:\"\nsla_days = -1\n",
    )
    .unwrap();
    let out = env.run(&["config", "check", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("bad.toml: line 2: lanes[0].sla_days"), "{err}");
    assert!(err.contains("lanes[0].query"), "{err}");
    // A named config that does not exist is an error, not silently the defaults.
    let out = env
        .cmd()
        .args(["--config", "/nonexistent/lastmile.toml", "import", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// An env with pygoat's Bandit report imported, and a generated Semgrep report of `results`
/// results whose import (`--repo big`) is running, with the small page cache that makes it
/// write into the database file (and shut readers out) for most of its time. Returns once the
/// file has grown: the import is mid-transaction, past its first cache spill. Also returns
/// the database's content and length from before the import.
fn large_import_underway(results: u64) -> (Env, std::process::Child, String, u64) {
    use lastmile::demo::generator::{self, WriteOptions};
    let env = Env::new();
    env.import_json(
        &support::corpus().join("sarif/real/bandit-pygoat-7afef1ab.sarif"),
        "pygoat",
    );
    let big = env.dir.path().join("big.sarif");
    let file = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    generator::write_sarif(
        file,
        &generator::SEMGREP,
        generator::synthetic(&generator::SEMGREP, 4, results, 2000),
        &WriteOptions::default(),
    )
    .unwrap();
    let db_len = || std::fs::metadata(env.db()).map(|m| m.len()).unwrap_or(0);
    let (before, original) = (support::dump(&env.db()), db_len());
    let grown = original + (4 << 20);
    let mut import = env
        .cmd()
        .env("LASTMILE_IMPORT_CACHE_MIB", "4")
        .args(["import", "--repo", "big", big.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while db_len() < grown {
        assert!(
            import.try_wait().unwrap().is_none(),
            "the import finished too soon"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the import never wrote"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (env, import, before, original)
}

#[test]
fn an_import_killed_half_way_leaves_the_database_as_it_was() {
    // Alone with its database, the import writes through the rollback journal (see
    // store/import/journal.rs): killed mid-transaction, it leaves a hot journal for the next
    // open to roll back.
    let (env, mut import, before, original) = large_import_underway(200_000);
    import.kill().unwrap();
    import.wait().unwrap();
    let journal = PathBuf::from(format!("{}-journal", env.db().display()));
    assert!(journal.exists(), "killed with its journal hot");
    assert_eq!(support::dump(&env.db()), before);
    assert!(!journal.exists(), "rolled back on open");
    let len = std::fs::metadata(env.db()).unwrap().len();
    assert_eq!(len, original, "the file is cut back to its old end");
    assert!(
        env.ok(&["audit", "verify"])
            .starts_with("audit trail intact")
    );
}

#[test]
fn a_command_started_during_a_large_import_says_why_it_cannot_open_the_database() {
    // Readers are shut out from the import's first cache spill to its commit, which with the
    // small cache is longer than a reader's five-second wait.
    let (env, import, _, _) = large_import_underway(300_000);
    let out = env.run(&["findings", "--limit", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the import committed within the command's wait; make the report larger: {out:?}"
    );
    assert!(
        err.contains("another lastmile is writing to this database"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // The import itself is whole.
    assert!(import.wait_with_output().unwrap().status.success());
    let stats: Value =
        serde_json::from_str(&env.ok(&["stats", "-q", "repo=big", "--format", "json"])).unwrap();
    assert_eq!(stats["total"], 300_000);
}

#[test]
fn a_bad_import_cache_setting_is_named_and_nothing_is_imported() {
    let env = Env::new();
    let report = support::corpus().join("sarif/real/bandit-pygoat-7afef1ab.sarif");
    let out = env
        .cmd()
        .env("LASTMILE_IMPORT_CACHE_MIB", "lots")
        .args(["import", "--repo", "pygoat", report.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("LASTMILE_IMPORT_CACHE_MIB=lots") && err.contains("2 to 4096"),
        "{err}"
    );
    let stats: Value = serde_json::from_str(&env.ok(&["stats", "--format", "json"])).unwrap();
    assert_eq!(stats["total"], 0);
}

#[test]
fn a_file_that_is_not_a_database_is_named_in_one_line() {
    let env = Env::new();
    let bogus = env.dir.path().join("notes.txt");
    std::fs::write(&bogus, "these are my notes, not a database\n".repeat(200)).unwrap();
    let out = env
        .cmd()
        .args(["--db", bogus.to_str().unwrap(), "findings"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("notes.txt") && err.contains("not a database"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(
        std::fs::read_to_string(&bogus).unwrap(),
        "these are my notes, not a database\n".repeat(200)
    );
}

#[test]
fn queries_are_read_for_the_acting_person_and_the_time_now() {
    let env = Env::new();
    let file = support::corpus().join("sarif/real/bandit-Vulnerable-Flask-App-b6a4f97a.sarif");
    env.import_json(&file, "flask");
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    conn.execute_batch(
        "UPDATE findings SET owner = 'tester' WHERE id = 1;
         UPDATE findings SET owner = 'dana' WHERE id IN (2, 3);",
    )
    .unwrap();
    drop(conn);
    let ids = |found: Vec<Value>| -> Vec<u64> {
        found.iter().map(|f| f["id"].as_u64().unwrap()).collect()
    };
    // Without --as or `me` in a config, `me` is the login name, as for recorded actions.
    assert_eq!(ids(env.findings("owner:me")), [1]);
    let as_dana = env.ok(&[
        "--as", "dana", "findings", "-q", "owner:me", "--format", "json", "--sort", "id",
    ]);
    assert_eq!(ids(serde_json::from_str(&as_dana).unwrap()), [2, 3]);
    let stats = env.ok(&[
        "--as", "dana", "stats", "-q", "owner:me", "--format", "json",
    ]);
    assert_eq!(serde_json::from_str::<Value>(&stats).unwrap()["total"], 2);
    // Imported just now: every finding is under a day old.
    assert_eq!(env.findings("age<1d").len(), 18);
    assert!(env.findings("age>=1d").is_empty());
}

#[test]
fn a_results_first_report_imports_the_same_from_a_file_a_pipe_and_stdin() {
    // Semgrep writes `results` before `tool`: a file is read ahead, a pipe is not; the
    // database must not tell which way the report came.
    let file = support::corpus().join("sarif/real/semgrep-django-DefectDojo-7cfa159a.sarif");
    let by_path = Env::new();
    let scans = by_path.import_json(&file, "dojo");
    assert!(sum(&scans["scans"], "new") > 0, "{scans}");
    let by_stdin = Env::new();
    assert!(by_stdin.import_stdin(&file, "dojo").status.success());
    // A named pipe looks like a path but reads only once.
    let by_fifo = Env::new();
    let fifo = by_fifo.dir.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let (fifo, file) = (fifo.clone(), file.clone());
        std::thread::spawn(move || std::fs::write(&fifo, std::fs::read(&file).unwrap()))
    };
    let piped = by_fifo.ok(&["import", "--repo", "dojo", fifo.to_str().unwrap()]);
    writer.join().unwrap().unwrap();
    assert!(
        piped.contains(&format!("{} new", sum(&scans["scans"], "new"))),
        "{piped}"
    );
    // Everything but the clock (the three imports ran seconds apart).
    let all = |env: &Env| -> Vec<Value> {
        let out = env.ok(&["findings", "--format", "json", "--limit", "100000"]);
        let mut list: Vec<Value> = serde_json::from_str(&out).unwrap();
        for f in &mut list {
            let f = f.as_object_mut().unwrap();
            for key in ["first_seen", "last_seen", "due"] {
                f.remove(key);
            }
        }
        list
    };
    let expected = all(&by_path);
    assert_eq!(expected.len() as u64, sum(&scans["scans"], "new"));
    for (name, env) in [("stdin", &by_stdin), ("a named pipe", &by_fifo)] {
        let got = all(env);
        assert_eq!(got.len(), expected.len(), "{name}");
        if let Some((g, e)) = got.iter().zip(&expected).find(|(g, e)| g != e) {
            panic!("through {name}:\n{g:#}\nby path:\n{e:#}");
        }
    }
}
