//! Rescan semantics, atomicity and the audit chain, through the store's real import path.
//! Reports here are a tiny line format parsed by `script_parser`, so these tests pin the
//! store's rules independently of the SARIF parser (tested on the real corpus elsewhere).

use lastmile::model::Status;
use lastmile::store::{ChainReport, ImportOutcome, Store};

mod support;
use support::script::{Fixture, at, fixture};

#[test]
fn new_seen_closed_reopened_across_scans() {
    let mut f = fixture();
    let s1 = f.scan("#tool semgrep\na1 10\nb2 20\nc3 30\n");
    assert_eq!((s1.new, s1.seen, s1.closed, s1.reopened), (3, 0, 0, 0));

    f.clock.set(at("2026-01-08T00:00:00Z"));
    let s2 = f.scan("#tool semgrep\na1 10\nb2 20\nd4 40\n");
    assert_eq!((s2.new, s2.seen, s2.closed, s2.reopened), (1, 2, 1, 0));
    assert_eq!(f.status_of("c3"), Status::Fixed);
    let fixed = f.store.history(f.id_of("c3")).unwrap();
    let last = fixed.last().unwrap();
    assert_eq!(last.kind, "fixed");
    assert!(
        last.payload.contains(&format!("\"scan\":{}", s2.scan_id))
            && last.payload.contains("abc123"),
        "{last:?}"
    );

    f.clock.set(at("2026-01-15T00:00:00Z"));
    let s3 = f.scan("#tool semgrep\na1 10\nb2 20\nc3 30\nd4 40\n");
    assert_eq!((s3.new, s3.seen, s3.closed, s3.reopened), (0, 3, 0, 1));
    assert_eq!(f.status_of("c3"), Status::Open);
    assert_eq!(f.store.counts().unwrap().active, 4);
}

#[test]
fn importing_the_same_report_twice_changes_nothing() {
    let mut f = fixture();
    let report = "#tool semgrep\na1 10\nb2 20\n";
    f.scan(report);
    let before = f.dump();
    f.clock.set(at("2026-02-01T00:00:00Z"));
    assert!(matches!(
        f.import(report).unwrap(),
        ImportOutcome::Unchanged { .. }
    ));
    assert_eq!(f.dump(), before);
}

#[test]
fn a_moved_line_is_the_same_finding_with_refreshed_details() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let id = f.id_of("a1");
    f.clock.set(at("2026-01-02T00:00:00Z"));
    let s = f.scan("a1 42\n");
    assert_eq!((s.new, s.seen, s.updated, s.closed), (0, 1, 1, 0));
    let found = f.store.finding(id).unwrap().unwrap();
    assert_eq!(found.row.line, Some(42));
    assert_eq!(found.row.first_seen, "2026-01-01T00:00:00Z");
    assert_eq!(found.row.last_seen, "2026-01-02T00:00:00Z");
}

#[test]
fn a_scan_never_undoes_a_persons_decision() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\nc3 30\n");
    let (a, b) = (f.id_of("a1"), f.id_of("b2"));
    f.decide(&[a], Status::FalsePositive, "alice", "test fixture only")
        .unwrap();
    f.decide(&[b], Status::AcceptedRisk, "alice", "compensating WAF rule")
        .unwrap();
    f.clock.set(at("2026-01-02T00:00:00Z"));
    // Absent: a decided finding is not closed as fixed.
    f.scan("c3 30\n");
    assert_eq!(f.status_of("a1"), Status::FalsePositive);
    assert_eq!(f.status_of("b2"), Status::AcceptedRisk);
    // Present again: not reopened either.
    f.clock.set(at("2026-01-03T00:00:00Z"));
    let s = f.scan("a1 10\nb2 20\nc3 30\n");
    assert_eq!(s.reopened, 0);
    assert_eq!(f.status_of("a1"), Status::FalsePositive);
    assert_eq!(f.status_of("b2"), Status::AcceptedRisk);
}

#[test]
fn an_incomplete_run_closes_nothing() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\n");
    f.clock.set(at("2026-01-02T00:00:00Z"));
    let s = f.scan("#incomplete\n");
    assert!(!s.complete);
    assert_eq!(s.closed, 0);
    assert_eq!(f.status_of("a1"), Status::Open);
}

#[test]
fn an_older_scan_imported_late_closes_and_reopens_nothing() {
    let mut f = fixture();
    f.scan("#started 2026-03-01T00:00:00Z\na1 10\nb2 20\n");
    let s = f.scan("#started 2026-02-01T00:00:00Z\na1 10\nz9 5\n");
    assert!(s.out_of_order);
    assert_eq!((s.new, s.closed), (1, 0));
    assert_eq!(f.status_of("b2"), Status::Open);
}

#[test]
fn runs_minutes_apart_follow_import_order_and_backfill_is_explicit() {
    let mut f = fixture();
    // CI often scans two commits within minutes; the run time cannot order them, import order does.
    f.scan("#started 2026-03-01T00:05:00Z\na1 10\nb2 20\n");
    let s = f.scan("#started 2026-03-01T00:01:00Z\na1 10\n");
    assert!(!s.out_of_order);
    assert_eq!(s.closed, 1);
    let ImportOutcome::Imported(s) = f
        .import_with("#started 2026-03-01T00:09:00Z\nb2 20\nc3 1\n", true)
        .unwrap()
    else {
        panic!()
    };
    assert!(s[0].out_of_order);
    assert_eq!((s[0].new, s[0].closed, s[0].reopened), (1, 0, 0));
    assert_eq!(f.status_of("a1"), Status::Open);
    assert_eq!(f.status_of("b2"), Status::Fixed);
}

#[test]
fn scopes_are_per_repo_and_tool() {
    let mut f = fixture();
    f.scan("#tool semgrep\na1 10\n");
    let s = f.scan("#tool bandit\nb2 10\n");
    assert_eq!((s.new, s.closed), (1, 0));
    assert_eq!(f.status_of("a1"), Status::Open);
}

#[test]
fn a_failed_import_leaves_the_database_unchanged() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\n");
    let before = f.dump();
    f.clock.set(at("2026-01-05T00:00:00Z"));
    let err = f.import("c3 1\nd4 2\ne5 3\n#fail-after 2\n").unwrap_err();
    assert!(
        err.to_string().contains("test.txt") && err.to_string().contains("line 3"),
        "{err}"
    );
    assert_eq!(f.dump(), before);
}

#[test]
fn a_scans_new_findings_share_one_created_event_in_each_history() {
    let mut f = fixture();
    let s1 = f.scan("a1 10\nb2 20\n");
    f.clock.set(at("2026-01-02T00:00:00Z"));
    let s2 = f.scan("a1 10\nb2 20\nc3 30\n");
    for (fp, scan) in [("a1", s1.scan_id), ("b2", s1.scan_id), ("c3", s2.scan_id)] {
        let h = f.store.history(f.id_of(fp)).unwrap();
        let created: Vec<_> = h.iter().filter(|e| e.kind == "created").collect();
        assert_eq!(created.len(), 1, "{fp}: {h:?}");
        assert!(
            created[0].payload.contains(&format!("\"scan\":{scan}")),
            "{fp}: {h:?}"
        );
    }
    let created: i64 = f
        .store
        .raw_connection()
        .query_row(
            "SELECT count(*) FROM events WHERE kind = 'created'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(created, 2, "one per scan that created findings");
}

#[test]
fn the_chain_verifies_and_detects_an_edited_or_deleted_row() {
    let two_scans = |f: &mut Fixture| {
        f.scan("a1 10\nb2 20\nc3 30\n");
        f.clock.set(at("2026-01-02T00:00:00Z"));
        f.scan("a1 10\n");
    };
    let mut f = fixture();
    two_scans(&mut f);
    let ChainReport::Intact { events, .. } = f.store.verify_chain().unwrap() else {
        panic!()
    };
    assert_eq!(
        events, 5,
        "one created event for the three new findings, a scan, two fixed, a scan"
    );

    let conn = f.store.raw_connection();
    assert!(
        conn.execute("UPDATE events SET actor = 'mallory' WHERE id = 2", [])
            .is_err(),
        "append-only trigger"
    );
    conn.execute_batch(
        "DROP TRIGGER events_no_update; UPDATE events SET actor = 'mallory' WHERE id = 2;",
    )
    .unwrap();
    match f.store.verify_chain().unwrap() {
        ChainReport::Broken { event_id, problem } => {
            assert_eq!(event_id, 2);
            assert!(problem.contains("edited"), "{problem}");
        }
        other => panic!("tampering not detected: {other:?}"),
    }

    let mut g = fixture();
    two_scans(&mut g);
    g.store
        .raw_connection()
        .execute_batch("DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = 2;")
        .unwrap();
    assert!(matches!(
        g.store.verify_chain().unwrap(),
        ChainReport::Broken { event_id: 3, .. }
    ));
}

#[test]
fn a_database_from_a_newer_lastmile_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let err = Store::open(&path).err().expect("must refuse");
    let msg = err.to_string();
    assert!(
        msg.contains("t.db") && msg.contains("999") && msg.contains("newer"),
        "{msg}"
    );
}

#[test]
fn counters_match_a_recount_after_every_kind_of_change() {
    use lastmile::store::counters::{recount, stored};
    let mut f = fixture();
    let check = |f: &Fixture| {
        let conn = f.store.raw_connection();
        assert_eq!(stored(conn).unwrap(), recount(conn).unwrap());
    };
    f.scan("a1 10\nb2 20\nc3 30\na1 10\n");
    check(&f);
    f.clock.set(at("2026-01-02T00:00:00Z"));
    f.scan("a1 11\nd4 40\n");
    check(&f);
    let d = f.id_of("d4");
    f.decide(&[d], Status::AcceptedRisk, "alice", "WAF rule in place")
        .unwrap();
    check(&f);
    f.clock.set(at("2026-01-03T00:00:00Z"));
    f.scan("a1 11\nb2 20\nc3 30\nd4 40\n");
    check(&f);
    let _ = f.import("x1 1\n#fail-after 0\n");
    check(&f);
}

#[test]
fn decisions_need_a_reason_and_are_recorded() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let id = f.id_of("a1");
    assert!(f.decide(&[id], Status::FalsePositive, "bob", "  ").is_err());
    let changes = f
        .decide(&[id], Status::FalsePositive, "bob", "only in tests")
        .unwrap();
    assert_eq!(changes.len(), 1);
    let h = f.store.history(id).unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (
            last.kind.as_str(),
            last.actor.as_str(),
            last.reason.as_deref()
        ),
        ("decision", "bob", Some("only in tests"))
    );
    assert_eq!(
        f.store.counts().unwrap().by_status.get("false_positive"),
        Some(&1)
    );
}

#[test]
fn a_large_first_scan_with_a_repeat_in_the_middle_keeps_every_id_right() {
    // More rows than one multi-row INSERT holds, and a repeated fingerprint that forces the
    // waiting rows out before its lookup.
    let mut f = fixture();
    let mut report: Vec<String> = (0..150).map(|i| format!("f{i:03} {i}")).collect();
    report.insert(100, "f042 42".into());
    let s = f.scan(&report.join("\n"));
    assert_eq!((s.new, s.duplicates), (150, 1));
    for i in [0, 63, 64, 99, 100, 149] {
        let id = f.id_of(&format!("f{i:03}"));
        let created: Vec<_> = f
            .store
            .history(id)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "created")
            .collect();
        assert_eq!(created.len(), 1, "f{i:03} (#{id})");
    }
    f.clock.set(at("2026-01-02T00:00:00Z"));
    let keep: Vec<String> = (10..150).map(|i| format!("f{i:03} {i}")).collect();
    let s = f.scan(&keep.join("\n"));
    assert_eq!((s.new, s.seen, s.closed), (0, 140, 10));
    for i in 0..10 {
        assert_eq!(f.status_of(&format!("f{i:03}")), Status::Fixed);
    }
    assert_eq!(f.status_of("f010"), Status::Open);
}

fn pragma(conn: &rusqlite::Connection, name: &str) -> String {
    conn.query_row(&format!("PRAGMA {name}"), [], |r| {
        r.get::<_, rusqlite::types::Value>(0)
    })
    .map(|v| format!("{v:?}"))
    .unwrap()
}

#[test]
fn an_import_alone_writes_through_the_rollback_journal_and_leaves_wal_and_keys_on() {
    let mut f = fixture();
    f.scan("a1 10\nb2 20\n");
    let conn = f.store.raw_connection();
    assert_eq!(pragma(conn, "journal_mode"), "Text(\"wal\")");
    assert_eq!(pragma(conn, "foreign_keys"), "Integer(1)");
    assert_eq!(pragma(conn, "synchronous"), "Integer(1)", "NORMAL again");
    let broken: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(broken, 0);
}

#[test]
fn an_import_beside_a_reader_stays_in_wal_and_keeps_the_readers_snapshot() {
    let mut f = fixture();
    f.scan("a1 10\n");
    let reader = rusqlite::Connection::open(f.dir.path().join("t.db")).unwrap();
    let count = |c: &rusqlite::Connection| -> i64 {
        c.query_row("SELECT count(*) FROM findings", [], |r| r.get(0))
            .unwrap()
    };
    reader.execute_batch("BEGIN").unwrap();
    assert_eq!(count(&reader), 1);
    f.clock.set(at("2026-01-02T00:00:00Z"));
    let started = std::time::Instant::now();
    let s = f.scan("a1 10\nb2 20\nc3 30\n");
    assert_eq!(s.new, 2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the import must not wait for the reader to leave"
    );
    assert_eq!(count(&reader), 1, "the reader's snapshot");
    reader.execute_batch("COMMIT").unwrap();
    assert_eq!(count(&reader), 3);
    assert_eq!(pragma(&reader, "journal_mode"), "Text(\"wal\")");
}
