//! The filter language against a real database: each query in the table must select exactly
//! the findings named, and malformed queries must point at the right column.

use chrono::{DateTime, Duration, Utc};
use lastmile::clock::FixedClock;
use lastmile::ingest::{ImportEvent, ImportedFinding, IngestError, RunEnd, RunInfo};
use lastmile::model::Severity;
use lastmile::query::Context;
use lastmile::store::{ImportOptions, SortKey, Store};
use std::io::Read;

/// The moment every query is read at; today is 2026-11-22.
fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// Queries are read as alice at `now`.
fn ctx() -> Context {
    Context::new(now(), Some("alice".into()))
}

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
        policy: Default::default(),
        probe: None,
    };
    store
        .import_report(&b"x"[..], rows_parser, &opts, &clock)
        .unwrap();
    let pickle = store
        .list("text:Pickle", &ctx(), SortKey::DEFAULT, 10)
        .unwrap()[0]
        .row
        .id;
    let ungated = lastmile::config::Config::parse(
        "[[lanes]]\nname = \"all\"\nquery = \"\"\nsla_days = 30\n",
        "ungated.toml",
    )
    .unwrap();
    let decision = lastmile::store::DecisionRequest {
        kind: lastmile::model::DecisionKind::FalsePositive,
        reason: "fixture".into(),
        until: None,
        control: None,
        target: None,
    };
    store
        .decide(
            &[pickle],
            &decision,
            "alice",
            &lastmile::triage::policy::Policy::from_config(&ungated).unwrap(),
            &clock,
        )
        .unwrap();
    triage(&store);
    (dir, store)
}

/// Triage state as later steps will write it, set directly: varied, with NULLs and mixed case.
fn triage(store: &Store) {
    let ago = |d: Duration| lastmile::clock::stamp(now() - d);
    // (name, lane, owner, team, campaign, sprint, decided_by, kev, validated, reachable,
    //  exposed, epss, epss_pct, risk, tier, first_seen, due, pending_id)
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        [i64; 4],
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<i64>,
        String,
        Option<&'a str>,
        Option<i64>,
    );
    let rows: Vec<Row> = vec![
        (
            "sqli",
            Some("critical"),
            Some("alice"),
            Some("payments"),
            Some("q4-sqli"),
            Some("2026-47"),
            None,
            [0, 1, 1, 1],
            Some(0.12),
            Some(0.9),
            Some(82.5),
            Some(1),
            ago(Duration::days(100)),
            Some("2026-11-25"),
            None,
        ),
        (
            "xss",
            Some("high"),
            Some("bob"),
            Some("web"),
            None,
            Some("2026-47"),
            None,
            [0, 0, 1, 1],
            Some(0.01),
            Some(0.35),
            Some(40.0),
            Some(2),
            ago(Duration::days(10)),
            Some("2026-12-10"),
            Some(7),
        ),
        (
            "md5",
            Some("high"),
            Some("Alice"),
            Some("payments"),
            None,
            None,
            None,
            [0, 0, 0, 0],
            None,
            None,
            Some(55.0),
            None,
            // Exactly 30 days: 30 whole days old.
            ago(Duration::days(30)),
            Some("2026-11-20"),
            None,
        ),
        (
            "pickle",
            None,
            None,
            None,
            None,
            None,
            Some("alice"),
            [0, 0, 0, 0],
            None,
            None,
            None,
            Some(3),
            ago(Duration::days(400)),
            None,
            None,
        ),
        (
            "log4j",
            Some("Critical"),
            Some("carol"),
            Some("platform"),
            Some("log4shell"),
            None,
            None,
            [1, 1, 1, 1],
            Some(0.97),
            Some(0.999),
            Some(99.0),
            Some(1),
            // One hour short of 30 days: 29 whole days old.
            ago(Duration::days(30) - Duration::hours(1)),
            Some("2026-11-15"),
            None,
        ),
        (
            "note",
            None,
            None,
            Some("web"),
            None,
            None,
            None,
            [0, 0, 0, 0],
            Some(0.5),
            Some(0.5),
            None,
            None,
            ago(Duration::zero()),
            None,
            None,
        ),
    ];
    let conn = store.raw_connection();
    for (
        name,
        lane,
        owner,
        team,
        campaign,
        sprint,
        decided_by,
        flags,
        epss,
        pct,
        risk,
        tier,
        first_seen,
        due,
        pending,
    ) in rows
    {
        let n = conn
            .execute(
                "UPDATE findings SET lane = ?2, owner = ?3, team = ?4, campaign = ?5, sprint = ?6,
                 decided_by = ?7, kev = ?8, validated = ?9, reachable = ?10, exposed = ?11,
                 epss = ?12, epss_pct = ?13, risk = ?14, tier = ?15, first_seen = ?16, due = ?17,
                 pending_id = ?18
                 WHERE fingerprint = ?1",
                rusqlite::params![
                    name, lane, owner, team, campaign, sprint, decided_by, flags[0], flags[1],
                    flags[2], flags[3], epss, pct, risk, tier, first_seen, due, pending
                ],
            )
            .unwrap();
        assert_eq!(n, 1, "{name}");
    }
    // A finding with no location.
    conn.execute(
        "UPDATE findings SET path = NULL, start_line = NULL WHERE fingerprint = 'note'",
        [],
    )
    .unwrap();
}

fn names(store: &Store, query: &str) -> Vec<String> {
    let mut found: Vec<String> = store
        .list(query, &ctx(), SortKey::DEFAULT, 100)
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
        // Negation is two-valued on the old fields too.
        ("-cwe:79", &["log4j", "md5", "note", "pickle", "sqli"]),
        ("line!=10", &["note", "pickle", "xss"]),
        ("-line>10", &["log4j", "md5", "note", "sqli"]),
        ("path:*", &["log4j", "md5", "pickle", "sqli", "xss"]),
        ("-path:src/", &["log4j", "note", "pickle"]),
        // Lanes: exact, case-insensitive, a list is any of them.
        ("lane:critical", &["log4j", "sqli"]),
        ("lane:critical,high", &["log4j", "md5", "sqli", "xss"]),
        ("lane:crit", &[]),
        ("lane:none", &["note", "pickle"]),
        ("lane:high,none", &["md5", "note", "pickle", "xss"]),
        ("-lane:critical", &["md5", "note", "pickle", "xss"]),
        ("lane!=none", &["log4j", "md5", "sqli", "xss"]),
        // People and plans: prefix, glob, exact, none, me.
        ("owner:alice", &["md5", "sqli"]),
        ("owner=alice", &["sqli"]),
        ("owner:me", &["sqli"]),
        ("owner!=me", &["log4j", "md5", "note", "pickle", "xss"]),
        ("owner:none", &["note", "pickle"]),
        ("-owner:alice", &["log4j", "note", "pickle", "xss"]),
        ("owner:*", &["log4j", "md5", "sqli", "xss"]),
        ("owner:[ab]*", &["sqli", "xss"]),
        ("team:pay*", &["md5", "sqli"]),
        ("team=web", &["note", "xss"]),
        ("campaign:log4", &["log4j"]),
        ("sprint:2026-47", &["sqli", "xss"]),
        ("decided-by:me", &["pickle"]),
        ("decided_by:none", &["log4j", "md5", "note", "sqli", "xss"]),
        // Flags.
        ("kev:yes", &["log4j"]),
        ("kev:no", &["md5", "note", "pickle", "sqli", "xss"]),
        ("kev!=true", &["md5", "note", "pickle", "sqli", "xss"]),
        ("validated:1", &["log4j", "sqli"]),
        ("reachable:TRUE", &["log4j", "sqli", "xss"]),
        ("exposed:yes sev>=high", &["log4j", "sqli"]),
        ("kev:yes OR (sev>=high exposed:yes)", &["log4j", "sqli"]),
        // Numbers; a missing value fails every comparison and passes its negation.
        ("epss>0.1", &["log4j", "note", "sqli"]),
        ("epss>=50%", &["log4j", "note"]),
        ("epss:0.5", &["note"]),
        ("-epss>0.1", &["md5", "pickle", "xss"]),
        ("epss-pct>=90%", &["log4j", "sqli"]),
        ("epss-pct<0.4", &["xss"]),
        ("risk>70", &["log4j", "sqli"]),
        ("-risk>70", &["md5", "note", "pickle", "xss"]),
        ("risk<=55", &["md5", "xss"]),
        ("risk=40", &["xss"]),
        ("risk!=40", &["log4j", "md5", "note", "pickle", "sqli"]),
        ("tier:1", &["log4j", "sqli"]),
        ("tier>=2", &["pickle", "xss"]),
        ("tier!=1", &["md5", "note", "pickle", "xss"]),
        // Age in whole days: md5 is 30 days old, log4j 29 days and 23 hours.
        ("age>30d", &["pickle", "sqli"]),
        ("age>=30d", &["md5", "pickle", "sqli"]),
        ("age:30d", &["md5"]),
        ("age=30", &["md5"]),
        ("-age:30d", &["log4j", "note", "pickle", "sqli", "xss"]),
        ("age<30d", &["log4j", "note", "xss"]),
        ("age<=29d", &["log4j", "note", "xss"]),
        ("age>2w", &["log4j", "md5", "pickle", "sqli"]),
        ("age<1d", &["note"]),
        // Due dates against today, 2026-11-22.
        ("due<7d", &["log4j", "md5", "sqli"]),
        ("due<0d", &["log4j", "md5"]),
        ("due:overdue", &["log4j", "md5"]),
        ("-due:overdue", &["note", "pickle", "sqli", "xss"]),
        ("due:3d", &["sqli"]),
        ("due<-5d", &["log4j"]),
        ("due>=2026-12-01", &["xss"]),
        ("due>=2026-11-20 due<=2026-11-25", &["md5", "sqli"]),
        ("due:none", &["note", "pickle"]),
        ("due!=none", &["log4j", "md5", "sqli", "xss"]),
        // Pending decisions.
        ("status:pending", &["xss"]),
        ("is:pending,closed", &["pickle", "xss"]),
        ("-is:pending", &["log4j", "md5", "note", "pickle", "sqli"]),
        // The README's examples.
        ("lane:critical due<7d -status:pending", &["log4j", "sqli"]),
        ("kev:yes exposed:yes risk>70", &["log4j"]),
        ("age>90d sev>=high owner:me", &["sqli"]),
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
        ("age>30x", 5, "days or weeks"),
        ("age>-3d", 5, "days or weeks"),
        ("age>999999d", 5, "too far"),
        ("due<2026-13-01", 5, "not a date"),
        ("due<soon", 5, "takes a date"),
        ("due<overdue", 1, "not a comparison"),
        ("risk>high", 6, "needs a number"),
        ("epss>50", 6, "probability"),
        ("epss-pct>nan%", 10, "probability"),
        ("tier:1.5", 6, "whole number"),
        ("kev:maybe", 5, "yes or no"),
        ("kev>yes", 1, "not a comparison"),
        ("lane>critical", 1, "not a comparison"),
        ("lane:a,,b", 6, "empty"),
        ("sprint>1", 1, "not a comparison"),
        ("is:pendingg", 4, "unknown status"),
    ] {
        let err = store.count(query, &ctx()).expect_err(query).to_string();
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
        "sev",
        "status",
        "is",
        "tool",
        "path",
        "cwe",
        "id",
        "line",
        "OR",
        "NOT",
        "high",
        "open",
        "lane",
        "owner",
        "decided-by",
        "kev",
        "epss",
        "epss-pct",
        "risk",
        "tier",
        "age",
        "due",
        "yes",
        "none",
        "me",
        "overdue",
        "pending",
        "30d",
        "2w",
        "-3d",
        "90%",
        "0.5",
        "2026-12-01",
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
        match lastmile::query::to_sql(&q, &ctx()) {
            Ok(_) => {
                store
                    .count(&q, &ctx())
                    .unwrap_or_else(|e| panic!("{q:?} compiled but failed in SQLite: {e}"));
            }
            Err(e) => assert!(
                e.column >= 1 && e.column <= q.chars().count() + 1,
                "{q:?}: {e}"
            ),
        }
    }
}

#[test]
fn me_must_be_known_to_be_used() {
    let (_dir, store) = store();
    let anonymous = Context::new(now(), None);
    let err = store.count("owner:me", &anonymous).unwrap_err().to_string();
    assert!(err.contains("column 7") && err.contains("--as"), "{err}");
    assert_eq!(store.count("owner:alice", &anonymous).unwrap(), 2);
}

#[test]
fn the_largest_queries_accepted_still_run_in_sqlite() {
    let (_dir, store) = store();
    // As deep and as long as the language allows, with the tests that nest deepest in SQL.
    // 84 x 3 tests, 2 for the age range and 2 for the list: 256.
    let terms = vec!["-risk>1 OR owner:x* epss<=0.5"; 84].join(" ");
    let deepest = format!(
        "{}({terms} age:3d sev:high,low){}",
        "-(".repeat(15),
        ")".repeat(15)
    );
    store.count(&deepest, &ctx()).unwrap();
    let longer = format!("{deepest} sev:high");
    let err = store.count(&longer, &ctx()).unwrap_err().to_string();
    assert!(err.contains("too long"), "{err}");
    let lanes = vec!["a"; 300].join(",");
    let err = store
        .count(&format!("lane:{lanes}"), &ctx())
        .unwrap_err()
        .to_string();
    assert!(err.contains("too long"), "{err}");
}
