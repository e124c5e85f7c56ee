//! SQLite's process-wide settings are made before the first connection: in its own test binary,
//! so no other test can open SQLite first.

#[test]
fn sqlite_keeps_no_memory_statistics_once_a_store_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = lastmile::store::Store::open(&dir.path().join("t.db")).unwrap();
    store
        .raw_connection()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (randomblob(100000));")
        .unwrap();
    // SAFETY: a plain read of SQLite's counter.
    let used = unsafe { rusqlite::ffi::sqlite3_memory_used() };
    assert_eq!(
        used, 0,
        "memory statistics are on (the setup ran too late or not at all)"
    );
}
