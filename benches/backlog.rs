//! Reading the backlog at a million findings: the page a view asks for, counts, and the first
//! frame of the console. The database is built once through the real importer and cached in
//! target/bench (delete it to rebuild). `BENCH_FINDINGS` changes the size (default 1,000,000).

use criterion::{Criterion, criterion_group, criterion_main};
use lastmile::clock::SystemClock;
use lastmile::demo::generator::{self, WriteOptions};
use lastmile::store::{Anchor, ImportOptions, PageRequest, SortKey, Store};
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
            "UPDATE findings SET status = CASE id % 10 WHEN 0 THEN 'fixed' WHEN 1 THEN 'triaged' WHEN 2 THEN 'false_positive' ELSE 'open' END;",
        )
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
    g.bench_function("text_search_page", |b| {
        b.iter(|| black_box(page(&store, "pickle", sort, Anchor::Start)))
    });
    g.bench_function("counts_from_counters", |b| {
        b.iter(|| black_box(store.counts().unwrap()))
    });
    g.sample_size(10);
    g.bench_function("count_filtered", |b| {
        b.iter(|| black_box(store.count("sev:high status:open").unwrap()))
    });
    g.finish();
}

criterion_group!(benches, backlog);
criterion_main!(benches);
