//! The schema, its migrations (`PRAGMA user_version`) and the row checks.

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use sotto_devices::store::{INDEX_LEN, MAX_RECORD_LEN, RecordIndex, RecordKind, StoreError};

use crate::error::{SqliteError, from_sqlite};

/// The schema version this code writes and the newest it opens.
pub const SCHEMA_VERSION: u32 = 1;

/// Migration `i` takes a file from version `i` to `i + 1`. Entries are never changed once
/// released: a new layout is a new entry.
const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 -> 1: the records table.
    "CREATE TABLE records (
         kind INTEGER NOT NULL,
         idx BLOB NOT NULL,
         value BLOB NOT NULL,
         PRIMARY KEY (kind, idx)
     ) WITHOUT ROWID;",
];

fn corrupt(e: SqliteError) -> StoreError {
    StoreError::corrupt(e)
}

/// The file's `user_version`, refused if newer than [`SCHEMA_VERSION`]. Reads only.
pub(crate) fn check_version(conn: &Connection) -> Result<u32, StoreError> {
    let found: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(from_sqlite)?;
    match u32::try_from(found) {
        Ok(v) if v <= SCHEMA_VERSION => Ok(v),
        _ => Err(corrupt(SqliteError::NewerSchema {
            found,
            known: i64::from(SCHEMA_VERSION),
        })),
    }
}

fn table_count(conn: &Connection, name: Option<&str>) -> Result<i64, StoreError> {
    let sql = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' \
               AND name NOT LIKE 'sqlite_%' AND (?1 IS NULL OR name = ?1)";
    conn.query_row(sql, [name], |row| row.get(0))
        .map_err(from_sqlite)
}

/// Brings the file to [`SCHEMA_VERSION`] in one `IMMEDIATE` transaction (the version is
/// read again under the write lock), then checks every row.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(from_sqlite)?;
    let version = check_version(&tx)?;
    if version == 0 && table_count(&tx, None)? != 0 {
        return Err(corrupt(SqliteError::UnexpectedLayout));
    }
    for migration in MIGRATIONS.iter().skip(version as usize) {
        tx.execute_batch(migration).map_err(from_sqlite)?;
    }
    if version != SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(from_sqlite)?;
    }
    if table_count(&tx, Some("records"))? != 1 {
        return Err(corrupt(SqliteError::UnexpectedLayout));
    }
    check_rows(&tx)?;
    tx.commit().map_err(from_sqlite)
}

/// Refuses the store if any row breaks the row checks: a full scan, of kinds and lengths
/// only (values are not read).
fn check_rows(conn: &Connection) -> Result<(), StoreError> {
    let kinds = RecordKind::ALL
        .iter()
        .map(|k| k.to_byte().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT kind, typeof(idx), length(idx), typeof(value), length(value) FROM records
         WHERE typeof(kind) != 'integer' OR kind NOT IN ({kinds})
            OR typeof(idx) != 'blob' OR length(idx) != {INDEX_LEN}
            OR typeof(value) != 'blob' OR length(value) > {MAX_RECORD_LEN}
         LIMIT 1"
    );
    let bad = conn
        .query_row(&sql, [], |row| {
            let kind = match row.get_ref(0)? {
                ValueRef::Integer(i) => Some(i),
                _ => None,
            };
            let idx_ok = row.get_ref(1)?.as_str().ok() == Some("blob")
                && row.get::<_, i64>(2)? == INDEX_LEN as i64;
            Ok((kind, idx_ok))
        })
        .optional()
        .map_err(from_sqlite)?;
    match bad {
        None => Ok(()),
        Some((kind, idx_ok)) => Err(corrupt(
            if kind
                .and_then(|k| u8::try_from(k).ok())
                .and_then(RecordKind::from_byte)
                .is_none()
            {
                SqliteError::UnknownKind(kind)
            } else if !idx_ok {
                SqliteError::IndexLength
            } else {
                SqliteError::ValueLength
            },
        )),
    }
}

/// A row's index as read: a 32-byte blob.
pub(crate) fn index(value: ValueRef<'_>) -> Result<RecordIndex, StoreError> {
    match value {
        ValueRef::Blob(b) => <[u8; INDEX_LEN]>::try_from(b)
            .map(RecordIndex::from_bytes)
            .map_err(|_| corrupt(SqliteError::IndexLength)),
        _ => Err(corrupt(SqliteError::IndexLength)),
    }
}

/// A row's value as read: a blob of at most [`MAX_RECORD_LEN`] bytes.
pub(crate) fn value(value: ValueRef<'_>) -> Result<Vec<u8>, StoreError> {
    match value {
        ValueRef::Blob(b) if b.len() <= MAX_RECORD_LEN => Ok(b.to_vec()),
        _ => Err(corrupt(SqliteError::ValueLength)),
    }
}
