//! The schema, migrations, pragmas and row checks of `SqliteBackend`, pinned against files
//! edited with raw SQL.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::error::Error as _;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use sotto_devices::store::{
    MAX_RECORD_LEN, RecordBackend, RecordIndex, RecordKind, StoreError, StoreErrorKind, Write,
};
use sotto_store_sqlite::{Durability, SCHEMA_VERSION, SqliteBackend, SqliteError};

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    (dir, path)
}

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

fn put(kind: RecordKind, byte: u8, value: &[u8]) -> Write {
    Write::Put {
        kind,
        index: RecordIndex::from_bytes([byte; 32]),
        value: value.to_vec(),
    }
}

/// The kind of the error and this crate's own cause, if it is one.
fn refusal(e: &StoreError) -> (StoreErrorKind, Option<SqliteError>) {
    let cause = e
        .source()
        .and_then(|s| s.downcast_ref::<SqliteError>())
        .copied();
    (e.kind(), cause)
}

fn open_err(path: &Path) -> StoreError {
    SqliteBackend::open(path, Durability::Process).unwrap_err()
}

#[test]
fn a_new_file_is_at_the_current_version_in_wal_mode_with_the_records_table() {
    let (_dir, path) = db();
    let backend = SqliteBackend::open(&path, Durability::Process).unwrap();
    assert_eq!(backend.durability(), Some(Durability::Process));
    let c = raw(&path);
    let version: u32 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 1);
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let sql: String = c
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'records'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        sql,
        "CREATE TABLE records ( kind INTEGER NOT NULL, idx BLOB NOT NULL, value BLOB NOT NULL, \
         PRIMARY KEY (kind, idx) ) WITHOUT ROWID"
    );
}

#[test]
fn both_durabilities_open_the_same_file_and_write() {
    let (_dir, path) = db();
    for durability in [Durability::Process, Durability::PowerLoss] {
        let mut b = SqliteBackend::open(&path, durability).unwrap();
        assert_eq!(b.durability(), Some(durability));
        b.apply(&[put(RecordKind::Account, 1, b"v")]).unwrap();
    }
    assert_eq!(Durability::default(), Durability::PowerLoss);
}

#[test]
fn reopening_keeps_records_and_runs_no_migration_twice() {
    let (_dir, path) = db();
    let mut b = SqliteBackend::open(&path, Durability::PowerLoss).unwrap();
    b.apply(&[put(RecordKind::Sessions, 7, b"seven")]).unwrap();
    drop(b);
    let b = SqliteBackend::open(&path, Durability::Process).unwrap();
    assert_eq!(
        b.get(RecordKind::Sessions, &RecordIndex::from_bytes([7; 32]))
            .unwrap(),
        Some(b"seven".to_vec())
    );
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let (_dir, path) = db();
    drop(SqliteBackend::open(&path, Durability::Process).unwrap());
    raw(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = open_err(&path);
    assert_eq!(
        refusal(&e),
        (
            StoreErrorKind::Corrupt,
            Some(SqliteError::NewerSchema {
                found: i64::from(SCHEMA_VERSION) + 1,
                known: i64::from(SCHEMA_VERSION)
            })
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // A negative version (user_version is a signed 32-bit field) is no known version either.
    raw(&path).pragma_update(None, "user_version", -1).unwrap();
    assert!(matches!(
        refusal(&open_err(&path)),
        (
            StoreErrorKind::Corrupt,
            Some(SqliteError::NewerSchema { found: -1, .. })
        )
    ));
}

#[test]
fn another_applications_database_is_refused() {
    let (_dir, path) = db();
    raw(&path)
        .execute_batch("CREATE TABLE contacts (name TEXT);")
        .unwrap();
    assert_eq!(
        refusal(&open_err(&path)),
        (StoreErrorKind::Corrupt, Some(SqliteError::UnexpectedLayout))
    );
    // No records table was added to it.
    let n: i64 = raw(&path)
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_current_version_without_the_records_table_is_refused() {
    let (_dir, path) = db();
    drop(SqliteBackend::open(&path, Durability::Process).unwrap());
    raw(&path).execute_batch("DROP TABLE records;").unwrap();
    assert_eq!(
        refusal(&open_err(&path)),
        (StoreErrorKind::Corrupt, Some(SqliteError::UnexpectedLayout))
    );
}

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let (_dir, path) = db();
    std::fs::write(&path, [0x5au8; 8192]).unwrap();
    let e = open_err(&path);
    assert_eq!(e.kind(), StoreErrorKind::Corrupt);
    assert!(
        e.source()
            .and_then(|s| s.downcast_ref::<rusqlite::Error>())
            .is_some()
    );
}

/// A file with one bad row inserted by raw SQL, and the refusal opening it gives.
fn with_bad_row(insert: &str) -> (StoreErrorKind, Option<SqliteError>) {
    let (_dir, path) = db();
    drop(SqliteBackend::open(&path, Durability::Process).unwrap());
    raw(&path).execute_batch(insert).unwrap();
    refusal(&open_err(&path))
}

#[test]
fn rows_that_break_the_schema_are_refused_on_open() {
    let corrupt = StoreErrorKind::Corrupt;
    assert_eq!(
        with_bad_row("INSERT INTO records VALUES (3, x'0102', x'00');"),
        (corrupt, Some(SqliteError::IndexLength))
    );
    assert_eq!(
        with_bad_row(&format!(
            "INSERT INTO records VALUES (3, '{}', x'00');",
            "a".repeat(32)
        )),
        (corrupt, Some(SqliteError::IndexLength))
    );
    let idx = format!("x'{}'", "11".repeat(32));
    assert_eq!(
        with_bad_row(&format!("INSERT INTO records VALUES (9, {idx}, x'00');")),
        (corrupt, Some(SqliteError::UnknownKind(Some(9))))
    );
    assert_eq!(
        with_bad_row(&format!("INSERT INTO records VALUES (0, {idx}, x'00');")),
        (corrupt, Some(SqliteError::UnknownKind(Some(0))))
    );
    assert_eq!(
        with_bad_row(&format!("INSERT INTO records VALUES ('x', {idx}, x'00');")),
        (corrupt, Some(SqliteError::UnknownKind(None)))
    );
    assert_eq!(
        with_bad_row(&format!("INSERT INTO records VALUES (3, {idx}, 'text');")),
        (corrupt, Some(SqliteError::ValueLength))
    );
    assert_eq!(
        with_bad_row(&format!(
            "INSERT INTO records VALUES (3, {idx}, zeroblob({}));",
            MAX_RECORD_LEN + 1
        )),
        (corrupt, Some(SqliteError::ValueLength))
    );
}

#[test]
fn rows_that_break_the_schema_after_open_are_corrupt_on_read() {
    let (_dir, path) = db();
    let b = SqliteBackend::open(&path, Durability::Process).unwrap();
    let idx = RecordIndex::from_bytes([0x11; 32]);
    raw(&path)
        .execute_batch(&format!(
            "INSERT INTO records VALUES (4, x'{}', zeroblob({}));
             INSERT INTO records VALUES (4, x'01', x'00');",
            "11".repeat(32),
            MAX_RECORD_LEN + 1
        ))
        .unwrap();
    let e = b.get(RecordKind::Sessions, &idx).unwrap_err();
    assert_eq!(
        refusal(&e),
        (StoreErrorKind::Corrupt, Some(SqliteError::ValueLength))
    );
    // The scan meets the short index first (x'01' sorts before x'11..').
    let e = b.scan(RecordKind::Sessions).unwrap_err();
    assert_eq!(
        refusal(&e),
        (StoreErrorKind::Corrupt, Some(SqliteError::IndexLength))
    );
    // Other kinds still read.
    assert_eq!(b.scan(RecordKind::Account).unwrap(), vec![]);
}

#[test]
fn a_value_no_read_would_accept_is_refused_before_writing() {
    let mut b = SqliteBackend::open_in_memory().unwrap();
    assert_eq!(b.durability(), None);
    let e = b
        .apply(&[
            put(RecordKind::Account, 1, b"ok"),
            put(RecordKind::Account, 2, &vec![0; MAX_RECORD_LEN + 1]),
        ])
        .unwrap_err();
    assert_eq!(
        refusal(&e),
        (StoreErrorKind::Backend, Some(SqliteError::ValueTooLong))
    );
    assert_eq!(b.scan(RecordKind::Account).unwrap(), vec![]);
    b.apply(&[put(RecordKind::Account, 2, &vec![0; MAX_RECORD_LEN])])
        .unwrap();
    assert_eq!(b.scan(RecordKind::Account).unwrap().len(), 1);
}

#[test]
fn a_locked_database_is_a_backend_error_and_the_batch_is_not_applied() {
    let (_dir, path) = db();
    let mut b = SqliteBackend::open(&path, Durability::Process).unwrap();
    b.apply(&[put(RecordKind::Account, 1, b"before")]).unwrap();
    let mut other = raw(&path);
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    let lock = other
        .transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)
        .unwrap();
    // The backend waits BUSY_TIMEOUT (5 s) for the lock; release it from a thread after the
    // wait would have started would only test the wait, so hold it and expect Backend.
    let started = std::time::Instant::now();
    let e = b
        .apply(&[put(RecordKind::Account, 1, b"after")])
        .unwrap_err();
    assert!(started.elapsed() >= std::time::Duration::from_secs(4));
    assert_eq!(e.kind(), StoreErrorKind::Backend);
    assert_eq!(
        e.source()
            .and_then(|s| s.downcast_ref::<rusqlite::Error>())
            .and_then(rusqlite::Error::sqlite_error_code),
        Some(rusqlite::ErrorCode::DatabaseBusy)
    );
    drop(lock);
    assert_eq!(
        b.get(RecordKind::Account, &RecordIndex::from_bytes([1; 32]))
            .unwrap(),
        Some(b"before".to_vec())
    );
}

#[test]
fn debug_shows_no_path_or_content() {
    let b = SqliteBackend::open_in_memory().unwrap();
    assert_eq!(format!("{b:?}"), "SqliteBackend { durability: None, .. }");
}

#[test]
fn a_backend_moves_to_another_thread() {
    fn send<T: Send>(t: T) -> T {
        t
    }
    let mut b = send(SqliteBackend::open_in_memory().unwrap());
    b.apply(&[put(RecordKind::Account, 1, b"v")]).unwrap();
    let b = std::thread::spawn(move || {
        assert_eq!(b.scan(RecordKind::Account).unwrap().len(), 1);
        b
    })
    .join()
    .unwrap();
    assert_eq!(b.scan(RecordKind::Account).unwrap().len(), 1);
}
