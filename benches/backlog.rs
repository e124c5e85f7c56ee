//! Reading the backlog at a million findings: the page a view asks for, counts, and the first
//! frame of the console. The database is built once through the real importer and cached in
//! target/bench (delete it to rebuild). `BENCH_FINDINGS` changes the size (default 1,000,000).

use criterion::{Criterion, criterion_group, criterion_main};
use lastmile::clock::SystemClock;
use lastmile::demo::generator::{self, WriteOptions};
use lastmile::store::{Anchor, ImportOptions, PageRequest, SortKey, Store};
use lastmile::triage::policy::Policy;
use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;

fn bench_db() -> PathBuf {
    let n: u64 = std::env::var("BENCH_FINDINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("backlog-{n}.db"));
    if db.exists() {
        return db;
    }
    let sarif = dir.join(format!("backlog-{n}.sarif"));
    let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&sarif).unwrap());
    let results = generator::synthetic(&generator::SEMGREP, 7, n, 5000);
    generator::write_sarif(file, &generator::SEMGREP, results, &WriteOptions::default()).unwrap();
    let tmp = dir.join(format!("backlog-{n}.db.partial"));
    let _ = std::fs::remove_file(&tmp);
    let mut store = Store::open(&tmp).unwrap();
    let opts = ImportOptions {
        source: "bench".into(),
        repo: Some("bench".into()),
        commit: None,
        actor: "bench".into(),
        backfill: false,
        policy: Default::default(),
        probe: None,
    };
    let reader = std::fs::File::open(&sarif).unwrap();
    store
        .import_report(
            reader,
            |r: &mut dyn Read, f: &str, e: &mut dyn FnMut(_) -> _| {
                lastmile::ingest::sarif::parse(r, f, e)
            },
            &opts,
            &SystemClock,
        )
        .unwrap();
    // Give the synthetic backlog a realistic mix of statuses (most open, some decided).
    store
        .raw_connection()
        .execute_batch(
            "UPDATE findings SET status = CASE id % 10 WHEN 0 THEN 'fixed' WHEN 1 THEN 'triaged' WHEN 2 THEN 'false_positive' ELSE 'open' END;
             DELETE FROM counters;
             INSERT INTO counters SELECT status, severity, COUNT(*) FROM findings GROUP BY 1, 2;
             UPDATE findings SET kev = (id % 211 = 0), epss = (id % 1000) / 4000.0,
                 epss_pct = (id % 100) / 100.0, first_seen = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || (id % 200) || ' days');",
        )
        .unwrap();
    // Lanes, risk and due dates as the built-in policy gives them for that mix.
    store
        .apply_policy(&Policy::default(), "bench", &SystemClock, true)
        .unwrap();
    drop(store);
    std::fs::rename(&tmp, &db).unwrap();
    let _ = std::fs::remove_file(&sarif);
    db
}

fn page(store: &Store, query: &str, sort: SortKey, anchor: Anchor) -> usize {
    store
        .page(&PageRequest {
            query: query.into(),
            context: ctx(),
            sort,
            anchor,
            limit: 50,
        })
        .unwrap()
        .rows
        .len()
}

fn backlog(c: &mut Criterion) {
    let db = bench_db();
    let store = Store::open_reader(&db).unwrap();
    let sort = SortKey::DEFAULT;
    let mut g = c.benchmark_group("backlog_1m");
    g.bench_function("first_page", |b| {
        b.iter(|| black_box(page(&store, "", sort, Anchor::Start)))
    });
    g.bench_function("last_page", |b| {
        b.iter(|| black_box(page(&store, "", sort, Anchor::End)))
    });
    let mid = store
        .page(&PageRequest {
            query: String::new(),
            context: ctx(),
            sort,
            anchor: Anchor::Start,
            limit: 500_000,
        })
        .unwrap()
        .rows
        .pop()
        .unwrap();
    g.bench_function("page_after_row_500k", |b| {
        b.iter(|| black_box(page(&store, "", sort, Anchor::After(mid.clone()))))
    });
    g.bench_function("filtered_page_sev_status_tool", |b| {
        b.iter(|| {
            black_box(page(
                &store,
                "sev:high status:open tool:semgrep",
                sort,
                Anchor::Start,
            ))
        })
    });
    let by_path: SortKey = "path".parse().unwrap();
    g.bench_function("filtered_page_sorted_by_path", |b| {
        b.iter(|| black_box(page(&store, "sev:high status:open", by_path, Anchor::Start)))
    });
    // Triage: a filtered page sorted by risk or deadline (budget: 50 ms at 1M).
    let by_risk: SortKey = "-risk".parse().unwrap();
    let by_due: SortKey = "due".parse().unwrap();
    g.bench_function("triage_active_high_by_risk", |b| {
        b.iter(|| black_box(page(&store, "is:active sev>=high", by_risk, Anchor::Start)))
    });
    g.bench_function("triage_lane_due_soon_by_due", |b| {
        b.iter(|| black_box(page(&store, "lane:high due<30d", by_due, Anchor::Start)))
    });
    g.bench_function("triage_exploitable_by_risk", |b| {
        b.iter(|| {
            black_box(page(
                &store,
                "kev:yes OR (epss-pct>=0.95 sev>=high)",
                by_risk,
                Anchor::Start,
            ))
        })
    });
    g.bench_function("triage_rule_active_by_due", |b| {
        b.iter(|| {
            black_box(page(
                &store,
                "rule:python.lang.security.deserialization is:active",
                by_due,
                Anchor::Start,
            ))
        })
    });
    g.bench_function("text_search_page", |b| {
        b.iter(|| black_box(page(&store, "pickle", sort, Anchor::Start)))
    });
    g.bench_function("counts_from_counters", |b| {
        b.iter(|| black_box(store.counts().unwrap()))
    });
    g.sample_size(10);
    g.bench_function("count_filtered", |b| {
        b.iter(|| black_box(store.count("sev:high status:open", &ctx()).unwrap()))
    });
    // The teams view: every active finding read once (on the reader thread).
    let today = chrono::Utc::now().date_naive();
    g.bench_function("team_load", |b| {
        b.iter(|| black_box(store.team_load(today).unwrap()))
    });
    g.finish();
}

/// From opening the database to the first frame drawn: open a reader, ask for the first page
/// and the count as the console does at start, answer them through the worker's `serve`, and
/// render 80x24 into a buffer (the terminal's own write is left out).
fn first_frame(c: &mut Criterion) {
    use lastmile::tui::{self, ColorDepth, Keymap, Theme};
    let db = bench_db();
    let mut g = c.benchmark_group("console_1m");
    g.bench_function("open_to_first_frame_80x24", |b| {
        b.iter(|| {
            let store = Store::open_reader(&db).unwrap();
            let theme = Theme::new("default", ColorDepth::Ansi256);
            let mut state = tui::State::new(Keymap::default(), theme, 80, 24);
            let mut pending = tui::init(&mut state);
            while let Some(effect) = pending.pop() {
                let response = tui::worker::serve(&store, &ctx(), effect);
                pending.extend(tui::on_response(&mut state, response));
            }
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
            terminal.draw(|f| tui::view(&state, f)).unwrap();
            black_box(terminal.backend().buffer().area.width)
        })
    });
    g.finish();
}

criterion_group!(benches, backlog, first_frame);
criterion_main!(benches);

fn ctx() -> lastmile::query::Context {
    lastmile::query::Context::new(chrono::Utc::now(), None)
}
