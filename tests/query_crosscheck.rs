//! The SQL and the in-memory matcher are one language: for thousands of random queries over
//! every field, the findings SQLite selects are exactly those `Matcher::matches` accepts on the
//! same rows. The rows come from real reports, with triage columns set to values chosen to sit
//! on the edges (NULLs, case, glob and LIKE metacharacters, a NUL, day boundaries).

mod support;

use chrono::{DateTime, Duration, Utc};
use lastmile::clock::FixedClock;
use lastmile::ingest::{ImportEvent, IngestError};
use lastmile::model::{Severity, Status};
use lastmile::query::{self, Context, Matcher, Record};
use lastmile::store::{ImportOptions, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::params_from_iter;
use std::io::Read;

const REPORTS: &[(&str, &str)] = &[
    (
        "sarif/real/bandit-Vulnerable-Flask-App-b6a4f97a.sarif",
        "flask-app",
    ),
    ("sarif/real/bandit-pygoat-19d17cc8.sarif", "pygoat"),
    ("sarif/real/checkov-pygoat-19d17cc8.sarif", "pygoat"),
    ("sarif/real/njsscan-NodeGoat-c5cb68a7.sarif", "NodeGoat"),
    ("sarif/real/ruff-S-pygoat-19d17cc8.sarif", "pygoat"),
    (
        "sarif/samples/defectdojo__codeQL-output.sarif",
        "payments-api",
    ),
    (
        "sarif/samples/defectdojo__dependency_check.sarif",
        "Payments-Legacy",
    ),
    ("sarif/samples/defectdojo__gitleaks_7.5.0.sarif", "infra"),
    ("sarif/samples/defectdojo__spotbugs.sarif", "web_app"),
];

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn sarif(
    r: &mut dyn Read,
    file: &str,
    emit: &mut dyn FnMut(ImportEvent) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    lastmile::ingest::sarif::parse(r, file, emit)
}

/// A finding's row, owned, so a `Record` can borrow from it.
#[derive(Debug)]
struct Row {
    id: i64,
    status: Status,
    pending: bool,
    severity: Severity,
    /// tool, rule, repo, title, message, first_seen
    text: [String; 6],
    /// path, cwe, cve, lane, owner, team, campaign, sprint, decided_by, due
    opt: [Option<String>; 10],
    line: Option<i64>,
    tier: Option<i64>,
    /// kev, validated, reachable, exposed
    flags: [bool; 4],
    /// epss, epss_pct, risk
    reals: [Option<f64>; 3],
}

const COLUMNS: &str = "id, status, pending_id IS NOT NULL, severity,
    tool, rule, repo, title, message, first_seen,
    path, cwe, cve, lane, owner, team, campaign, sprint, decided_by, due,
    start_line, tier, kev, validated, reachable, exposed, epss, epss_pct, risk";

impl Row {
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        let status: String = r.get(1)?;
        let text = std::array::from_fn(|i| r.get(4 + i).unwrap());
        let opt = std::array::from_fn(|i| r.get(10 + i).unwrap());
        let flags = std::array::from_fn(|i| r.get::<_, i64>(22 + i).unwrap() != 0);
        let reals = std::array::from_fn(|i| r.get(26 + i).unwrap());
        Ok(Row {
            id: r.get(0)?,
            status: status.parse().unwrap(),
            pending: r.get(2)?,
            severity: Severity::from_rank(r.get(3)?).unwrap(),
            text,
            opt,
            line: r.get(20)?,
            tier: r.get(21)?,
            flags,
            reals,
        })
    }

    fn record(&self) -> Record<'_> {
        let t = |i: usize| self.text[i].as_str();
        let o = |i: usize| self.opt[i].as_deref();
        Record {
            id: self.id,
            status: self.status,
            pending: self.pending,
            severity: self.severity,
            tool: t(0),
            rule: t(1),
            repo: t(2),
            title: t(3),
            message: t(4),
            first_seen: t(5),
            path: o(0),
            line: self.line,
            cwe: o(1),
            cve: o(2),
            lane: o(3),
            owner: o(4),
            team: o(5),
            campaign: o(6),
            sprint: o(7),
            decided_by: o(8),
            due: o(9),
            kev: self.flags[0],
            validated: self.flags[1],
            reachable: self.flags[2],
            exposed: self.flags[3],
            epss: self.reals[0],
            epss_pct: self.reals[1],
            risk: self.reals[2],
            tier: self.tier,
        }
    }
}

/// Names and plans, with the edges: case, a prefix of another, metacharacters of GLOB and
/// LIKE, the words `me` and `none` as stored text, the empty string, a NUL, non-ASCII.
const PEOPLE: &[&str] = &[
    "alice",
    "Alice",
    "bob",
    "al",
    "alice.smith",
    "o'neil",
    "é-team",
    "É-TEAM",
    "x*y",
    "[ab]",
    "me",
    "none",
    "",
    "al\0ice",
    "100%_done",
    "carol",
    "a_b",
    "a\\b",
];
const LANES: &[&str] = &[
    "critical", "Critical", "high", "HIGH", "low", "crit_x", "a%b", "é", "high\0er",
];

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// NULL with probability `null`, otherwise one of `from`.
fn maybe(rng: &mut ChaCha8Rng, null: f64, from: &[&str]) -> Option<String> {
    (!rng.random_bool(null)).then(|| pick(rng, from).to_string())
}

fn real(rng: &mut ChaCha8Rng, null: f64, from: &[f64], scale: f64) -> Option<f64> {
    if rng.random_bool(null) {
        None
    } else if rng.random_bool(0.7) {
        Some(from[rng.random_range(0..from.len())])
    } else {
        Some(rng.random_range(0.0..scale))
    }
}

/// Imports the reports, then gives every finding random triage state.
fn database(rng: &mut ChaCha8Rng) -> (tempfile::TempDir, Store, Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("x.db")).unwrap();
    let clock = FixedClock::new(now() - Duration::days(3));
    for (file, repo) in REPORTS {
        let opts = ImportOptions {
            source: file.to_string(),
            repo: Some(repo.to_string()),
            commit: None,
            actor: "t".into(),
            backfill: false,
            policy: Default::default(),
            probe: None,
        };
        let f = std::fs::File::open(support::corpus().join(file)).unwrap();
        store.import_report(f, sarif, &opts, &clock).unwrap();
    }
    let conn = store.raw_connection();
    let ids: Vec<(i64, Option<String>)> = conn
        .prepare("SELECT id, path FROM findings")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(ids.len() > 300, "{} findings", ids.len());
    let today = now().date_naive();
    for (id, path) in ids {
        let r = &mut *rng;
        let status = Status::ALL[r.random_range(0..Status::ALL.len())].as_str();
        let path = match r.random_range(0..20) {
            0 | 1 => None,
            2 => Some(
                pick(
                    r,
                    &[
                        "src/a[1].py",
                        "Tests/x.py",
                        "dir with space/é.js",
                        "50%_off.txt",
                    ],
                )
                .to_string(),
            ),
            _ => path,
        };
        let line: Option<i64> = (!r.random_bool(0.15)).then(|| r.random_range(0..400));
        let cwe = maybe(
            r,
            0.3,
            &[
                "CWE-79",
                "CWE-79,CWE-89",
                "cwe-89",
                "CWE-502,CWE-20",
                "",
                "CWE-790",
                "CWE-79\0,CWE-1",
            ],
        );
        let cve = maybe(
            r,
            0.6,
            &["CVE-2021-44228", "cve-2021-44228,CVE-2022-1", "CVE-2022-1"],
        );
        // Seconds before now: whole days exactly, a second either side, or anywhere; a few in
        // the future (a skewed scanner clock).
        let days = r.random_range(-2..500i64);
        let secs = days * 86_400
            + pick(r, &["0", "1", "-1", "r"])
                .parse()
                .unwrap_or(r.random_range(0..86_400));
        let first_seen = lastmile::clock::stamp(now() - Duration::seconds(secs));
        let due = (!r.random_bool(0.4)).then(|| {
            (today + Duration::days(r.random_range(-40..60)))
                .format("%Y-%m-%d")
                .to_string()
        });
        let values: Vec<rusqlite::types::Value> = vec![
            status.to_string().into(),
            r.random_range(0..5i64).into(),
            path.into(),
            line.into(),
            cwe.into(),
            cve.into(),
            maybe(r, 0.4, LANES).into(),
            maybe(r, 0.4, PEOPLE).into(),
            maybe(r, 0.4, PEOPLE).into(),
            maybe(r, 0.6, PEOPLE).into(),
            maybe(r, 0.6, &["2026-47", "2026-48", "S1"]).into(),
            maybe(r, 0.7, PEOPLE).into(),
            i64::from(r.random_bool(0.15)).into(),
            i64::from(r.random_bool(0.3)).into(),
            i64::from(r.random_bool(0.4)).into(),
            i64::from(r.random_bool(0.5)).into(),
            real(r, 0.5, &[0.0, 0.1, 0.12, 0.5, 0.9, 0.97, 1.0, 0.333], 1.0).into(),
            real(r, 0.5, &[0.0, 0.35, 0.5, 0.9, 0.999, 1.0, 0.12], 1.0).into(),
            real(
                r,
                0.3,
                &[0.0, 40.0, 55.0, 70.0, 70.5, 99.0, 100.0, 82.5],
                100.0,
            )
            .into(),
            (!r.random_bool(0.4))
                .then(|| r.random_range(0..5i64))
                .into(),
            first_seen.into(),
            due.into(),
            (!r.random_bool(0.8))
                .then(|| r.random_range(1..100i64))
                .into(),
            id.into(),
        ];
        conn.execute(
            "UPDATE findings SET status = ?1, severity = ?2, path = ?3, start_line = ?4, cwe = ?5,
             cve = ?6, lane = ?7, owner = ?8, team = ?9, campaign = ?10, sprint = ?11,
             decided_by = ?12, kev = ?13, validated = ?14, reachable = ?15, exposed = ?16,
             epss = ?17, epss_pct = ?18, risk = ?19, tier = ?20, first_seen = ?21, due = ?22,
             pending_id = ?23 WHERE id = ?24",
            params_from_iter(values),
        )
        .unwrap();
    }
    let rows = conn
        .prepare(&format!("SELECT {COLUMNS} FROM findings ORDER BY id"))
        .unwrap()
        .query_map([], Row::read)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (dir, store, rows)
}

/// A value as the parser reads it back: always quoted, `\` escapes.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Part of a value found in the data: whole, a prefix, or a glob around a piece of it.
fn from_data(rng: &mut ChaCha8Rng, v: &str) -> String {
    let chars: Vec<char> = v.chars().collect();
    let cut = rng.random_range(0..=chars.len());
    let head: String = chars[..cut].iter().collect();
    let tail: String = chars[cut..].iter().collect();
    match rng.random_range(0..5) {
        0 => v.to_string(),
        1 if !head.is_empty() => head,
        2 => format!("{head}*"),
        3 => format!("*{tail}"),
        _ => v.to_uppercase(),
    }
}

const CMP: &[&str] = &[":", "=", "!=", "<", "<=", ">", ">="];
const EQ: &[&str] = &[":", ":", "=", "!="];
const GLOBS: &[&str] = &[
    "*", "[a-m]*", "?*", "*.py", "src/*", "[^s]*", "*[0-9]*", "a[", "[]]*",
];

/// Fields whose values come from a list: (field names, operators, values).
const FIXED: &[(&str, &[&str], &str)] = &[
    ("sev", CMP, "critical high medium low info high,low"),
    (
        "status is",
        EQ,
        "open closed active resolved pending pending,open false-positive fixed,pending triaged",
    ),
    ("cwe", EQ, "79 89 CWE-79 502 20 cwe-502 79,CWE-89 1"),
    ("cve", EQ, "CVE-2021-44228 cve-2022-1 CVE-2022"),
    (
        "lane",
        EQ,
        "critical high critical,high none Critical crit a%b high,none crit_x É",
    ),
    (
        "kev validated reachable exposed",
        EQ,
        "yes no true false 1 0 YES",
    ),
    (
        "epss epss-pct",
        CMP,
        "0 0.1 0.12 0.5 0.9 0.97 1 50% 90% 33.3% 12% 0.999",
    ),
    ("risk", CMP, "0 40 55 70 70.5 99 100 -1 82.5"),
    ("tier", CMP, "0 1 2 3 4"),
    ("age", CMP, "0 1d 10d 29d 30d 31d 2w 100 400d 9999d 0w 499d"),
    ("age", CMP, "0 1d 29d 30d 31d 499d"),
    (
        "due",
        CMP,
        "0d 7d -3d 2w overdue none 2026-11-22 2026-12-01 2026-11-01 -40d 60d 1d",
    ),
    ("due", CMP, "0d 7d -3d overdue none 2026-11-22"),
];

/// Other values for the people and plan fields.
const NAMES: &str = "me none ME None al A 2026 S é a_ 100% x* [ab] a\\";

/// One random term over any field; mostly valid, sometimes not (then both sides must refuse
/// it alike).
fn term(rng: &mut ChaCha8Rng, rows: &[Row]) -> String {
    let row = &rows[rng.random_range(0..rows.len())];
    let r = &mut *rng;
    let words = |r: &mut ChaCha8Rng, list: &str| -> String {
        let all: Vec<&str> = list.split(' ').collect();
        pick(r, &all).to_string()
    };
    // Now and then a comparison where only equality is allowed, to compare the errors too.
    let eq = |r: &mut ChaCha8Rng| {
        if r.random_bool(0.97) {
            pick(r, EQ)
        } else {
            pick(r, CMP)
        }
    };
    let (field, op, value) = match r.random_range(0..FIXED.len() + 9) {
        n if n < FIXED.len() => {
            let (fields, ops, values) = FIXED[n];
            let op = if ops == EQ { eq(r) } else { pick(r, ops) };
            (words(r, fields), op, words(r, values))
        }
        n if n < FIXED.len() + 2 => {
            let (f, i) = [("tool", 0), ("rule", 1), ("repo", 2)][r.random_range(0..3)];
            let v = if r.random_bool(0.2) {
                pick(r, GLOBS).into()
            } else {
                from_data(r, &row.text[i])
            };
            (f.to_string(), eq(r), v)
        }
        n if n < FIXED.len() + 3 => {
            let v = match &row.opt[0] {
                Some(p) if r.random_bool(0.8) => from_data(r, p),
                _ => pick(r, GLOBS).into(),
            };
            ("path".to_string(), eq(r), v)
        }
        n if n < FIXED.len() + 4 => {
            let f = pick(r, &["id", "line"]);
            (
                f.to_string(),
                pick(r, CMP),
                (row.id + r.random_range(-2..3)).to_string(),
            )
        }
        n if n < FIXED.len() + 7 => {
            let f = words(r, "owner team campaign sprint decided-by");
            let v = match r.random_range(0..3) {
                0 => words(r, NAMES),
                1 => pick(r, GLOBS).into(),
                _ => {
                    let p = pick(r, PEOPLE);
                    from_data(r, p)
                }
            };
            (f, eq(r), v)
        }
        n => {
            // Text search, as a bare word or with `text:`.
            let i = r.random_range(1..5);
            let v = from_data(r, &row.text[i]);
            let v: String = v.chars().filter(|c| *c != '*').take(10).collect();
            let v = if v.is_empty() { "_".into() } else { v };
            if n == FIXED.len() + 7 {
                return quoted(&v);
            }
            ("text".to_string(), ":", v)
        }
    };
    let value = if value.is_empty() { "x".into() } else { value };
    format!("{field}{op}{}", quoted(&value))
}

fn expr(rng: &mut ChaCha8Rng, rows: &[Row], depth: u32) -> String {
    if depth == 0 || rng.random_bool(0.3) {
        return term(rng, rows);
    }
    let sub = |rng: &mut ChaCha8Rng| expr(rng, rows, depth - 1);
    match rng.random_range(0..5) {
        0 => format!("-({})", sub(rng)),
        1 => format!("NOT ({})", sub(rng)),
        2 => format!("({} OR {})", sub(rng), sub(rng)),
        3 => format!("{} OR {}", sub(rng), sub(rng)),
        _ => format!("{} {}", sub(rng), sub(rng)),
    }
}

#[test]
fn sql_and_matcher_select_the_same_findings() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let (_dir, store, rows) = database(&mut rng);
    let conn = store.raw_connection();
    let records: Vec<Record> = rows.iter().map(Row::record).collect();
    let ctx = Context::new(now(), Some("alice".into()));
    let (mut valid, mut split) = (0, 0);
    const QUERIES: usize = 3000;
    for _ in 0..QUERIES {
        let q = expr(&mut rng, &rows, 4);
        let parsed = query::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        let (compiled, matcher) = match (query::compile(&parsed, &ctx), Matcher::new(&parsed, &ctx))
        {
            (Ok(c), Ok(m)) => (c, m),
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{q}");
                continue;
            }
            (a, b) => panic!("{q}: SQL {a:?} but matcher {b:?}"),
        };
        valid += 1;
        let sql: Vec<i64> = conn
            .prepare(&format!(
                "SELECT id FROM findings WHERE {} ORDER BY id",
                compiled.sql
            ))
            .unwrap()
            .query_map(params_from_iter(&compiled.params), |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let memory: Vec<i64> = records
            .iter()
            .filter(|r| matcher.matches(r))
            .map(|r| r.id)
            .collect();
        if sql != memory {
            let differ: Vec<&Row> = rows
                .iter()
                .filter(|r| sql.contains(&r.id) != memory.contains(&r.id))
                .take(3)
                .collect();
            panic!(
                "{q}\nSQL: {} {:?}\n{} selected by SQL, {} by the matcher; differing rows: {differ:#?}",
                compiled.sql,
                compiled.params,
                sql.len(),
                memory.len()
            );
        }
        if !sql.is_empty() && sql.len() < rows.len() {
            split += 1;
        }
    }
    // The check means something only if most queries are valid and tell findings apart.
    assert!(valid > QUERIES * 8 / 10, "{valid} valid of {QUERIES}");
    assert!(
        split > valid / 2,
        "{split} of {valid} queries split the findings"
    );
}
