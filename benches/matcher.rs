//! Lane rules evaluated in memory, as an import assigns lanes: time per finding for typical
//! rules over a varied synthetic backlog (no database involved).

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lastmile::model::{Severity, Status};
use lastmile::query::{Context, Matcher, Record, parse};
use std::hint::black_box;

struct Owned {
    repo: String,
    path: String,
    title: String,
    first_seen: String,
}

fn backlog(n: usize, now: DateTime<Utc>) -> Vec<Owned> {
    (0..n)
        .map(|i| Owned {
            repo: ["payments-api", "web", "infra", "payments-legacy"][i % 4].into(),
            path: format!(
                "{}/module{}/file{}.py",
                ["src", "tests", "lib"][i % 3],
                i % 97,
                i
            ),
            title: format!("Possible SQL injection via string-based query {i}"),
            first_seen: lastmile::clock::stamp(now - Duration::hours((i % 9000) as i64)),
        })
        .collect()
}

fn record(i: usize, o: &Owned) -> Record<'_> {
    Record {
        id: i as i64,
        status: Status::ALL[i % 4],
        pending: i.is_multiple_of(50),
        severity: Severity::ALL[i % 5],
        tool: "Semgrep OSS",
        rule: "python.django.security.injection.sql",
        repo: &o.repo,
        path: Some(&o.path),
        line: Some((i % 500) as i64),
        title: &o.title,
        message: "Detected user input used in a raw SQL string; use parameters instead.",
        cwe: Some("CWE-89"),
        cve: None,
        lane: None,
        owner: i.is_multiple_of(3).then_some("alice"),
        team: Some("payments"),
        campaign: None,
        sprint: None,
        decided_by: None,
        kev: i.is_multiple_of(17),
        epss: i.is_multiple_of(2).then_some((i % 100) as f64 / 100.0),
        epss_pct: i.is_multiple_of(2).then_some((i % 97) as f64 / 97.0),
        risk: Some((i % 101) as f64),
        validated: i.is_multiple_of(7),
        reachable: i.is_multiple_of(3),
        exposed: i.is_multiple_of(4),
        tier: Some((i % 4) as i64),
        first_seen: &o.first_seen,
        due: None,
    }
}

fn lane_rules(c: &mut Criterion) {
    let now = Utc::now();
    let ctx = Context::new(now, Some("alice".into()));
    let owned = backlog(10_000, now);
    let records: Vec<Record> = owned
        .iter()
        .enumerate()
        .map(|(i, o)| record(i, o))
        .collect();
    let mut g = c.benchmark_group("matcher");
    g.throughput(Throughput::Elements(records.len() as u64));
    for (name, rule) in [
        ("kev_or_high_exposed", "kev:yes OR (sev>=high exposed:yes)"),
        (
            "repo_glob_sev_not_tests",
            "repo:payments* sev>=high -path:tests/*",
        ),
        (
            "epss_or_risk_tier",
            "epss>=90% OR (risk>70 tier<=1) age>30d",
        ),
        ("text_search", "injection"),
    ] {
        let m = Matcher::new(&parse(rule).unwrap(), &ctx).unwrap();
        g.bench_function(name, |b| {
            b.iter(|| black_box(records.iter().filter(|r| m.matches(r)).count()))
        });
    }
    g.finish();
}

criterion_group!(benches, lane_rules);
criterion_main!(benches);
