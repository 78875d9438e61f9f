//! [`SqliteBackend`]: the record backend on one SQLite connection.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use sotto_devices::store::{
    MAX_RECORD_LEN, RecordBackend, RecordIndex, RecordKind, StoreError, Write,
};

use crate::error::{SqliteError, from_sqlite};
use crate::schema;

/// How long a call waits for a lock another connection holds before it fails as
/// [`sotto_devices::store::StoreErrorKind::Backend`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// What a batch whose [`RecordBackend::apply`] returned survives (see the crate docs). Either
/// way a batch is atomic: after any crash the store holds all of it or none of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = NORMAL` in WAL mode: survives the process being killed at any point;
    /// on power loss or an OS crash the most recent batches may be lost (the store then
    /// opens at an earlier batch boundary). No sync per batch. Only for state that may roll
    /// back: a client's session state may not (see the crate docs).
    Process,
    /// `synchronous = FULL` in WAL mode: the WAL is synced at every commit, so a batch that
    /// returned also survives power loss and an OS crash (on storage that honours `fsync`).
    /// One sync per batch. The default: a lost commit of session state makes the next message
    /// reuse a message key.
    #[default]
    PowerLoss,
}

impl Durability {
    const fn synchronous(self) -> &'static str {
        match self {
            Self::Process => "NORMAL",
            Self::PowerLoss => "FULL",
        }
    }
}

/// The client store's records in a SQLite database: one table, WAL mode, one transaction per
/// batch. `Send` (a device can move to another thread), not `Sync`.
///
/// Opening runs the migrations and checks every row (see the crate docs); a file of a newer
/// schema, another application's database or a damaged one is refused with a
/// [`sotto_devices::store::StoreErrorKind::Corrupt`] error.
pub struct SqliteBackend {
    conn: Connection,
    durability: Option<Durability>,
}

impl core::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl SqliteBackend {
    /// Opens (or creates) the store at `path`: WAL mode, `durability`, the migrations up to
    /// [`crate::SCHEMA_VERSION`], every row checked. SQLite keeps `path-wal` and `path-shm`
    /// beside it while it is open.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StoreError> {
        // rusqlite's default flags without `SQLITE_OPEN_URI`: a path is a path, never a URI
        // with options of its own.
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(from_sqlite)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(from_sqlite)?;
        // A newer schema is refused before anything (the journal mode included) is written.
        schema::check_version(&conn)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(from_sqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::backend(SqliteError::NotWal));
        }
        Self::finish(conn, Some(durability))
    }

    /// A store in memory (no file, no WAL), gone when dropped: for tests and clients that
    /// keep nothing on disk.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(from_sqlite)?;
        Self::finish(conn, None)
    }

    fn finish(mut conn: Connection, durability: Option<Durability>) -> Result<Self, StoreError> {
        let synchronous = durability.unwrap_or_default().synchronous();
        conn.pragma_update(None, "synchronous", synchronous)
            .map_err(from_sqlite)?;
        // Deleted and replaced records are overwritten, not left in free pages.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(from_sqlite)?;
        // Functions named by the schema (triggers, views) get no side effects.
        conn.pragma_update(None, "trusted_schema", false)
            .map_err(from_sqlite)?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn, durability })
    }

    /// The durability it was opened with; `None` in memory.
    #[must_use]
    pub const fn durability(&self) -> Option<Durability> {
        self.durability
    }
}

fn kind_sql(kind: RecordKind) -> i64 {
    i64::from(kind.to_byte())
}

impl RecordBackend for SqliteBackend {
    fn get(&self, kind: RecordKind, index: &RecordIndex) -> Result<Option<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM records WHERE kind = ?1 AND idx = ?2")
            .map_err(from_sqlite)?;
        let mut rows = stmt
            .query(params![kind_sql(kind), index.as_bytes().as_slice()])
            .map_err(from_sqlite)?;
        match rows.next().map_err(from_sqlite)? {
            Some(row) => Ok(Some(schema::value(row.get_ref(0).map_err(from_sqlite)?)?)),
            None => Ok(None),
        }
    }

    fn scan(&self, kind: RecordKind) -> Result<Vec<(RecordIndex, Vec<u8>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT idx, value FROM records WHERE kind = ?1 ORDER BY idx")
            .map_err(from_sqlite)?;
        let mut rows = stmt.query([kind_sql(kind)]).map_err(from_sqlite)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(from_sqlite)? {
            let index = schema::index(row.get_ref(0).map_err(from_sqlite)?)?;
            let value = schema::value(row.get_ref(1).map_err(from_sqlite)?)?;
            out.push((index, value));
        }
        Ok(out)
    }

    fn apply(&mut self, batch: &[Write]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        // A value no read would accept is refused before the transaction starts.
        if batch
            .iter()
            .any(|w| matches!(w, Write::Put { value, .. } if value.len() > MAX_RECORD_LEN))
        {
            return Err(StoreError::backend(SqliteError::ValueTooLong));
        }
        // One transaction: any error drops it, which rolls every write of the batch back.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(from_sqlite)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO records (kind, idx, value) VALUES (?1, ?2, ?3)",
                )
                .map_err(from_sqlite)?;
            let mut delete = tx
                .prepare_cached("DELETE FROM records WHERE kind = ?1 AND idx = ?2")
                .map_err(from_sqlite)?;
            for write in batch {
                match write {
                    Write::Put { kind, index, value } => put.execute(params![
                        kind_sql(*kind),
                        index.as_bytes().as_slice(),
                        value.as_slice()
                    ]),
                    Write::Delete { kind, index } => {
                        delete.execute(params![kind_sql(*kind), index.as_bytes().as_slice()])
                    }
                }
                .map_err(from_sqlite)?;
            }
        }
        tx.commit().map_err(from_sqlite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(b: &SqliteBackend, name: &str) -> i64 {
        b.conn.pragma_query_value(None, name, |r| r.get(0)).unwrap()
    }

    #[test]
    fn durability_sets_synchronous_and_secure_delete_is_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        // SQLite's numbers: 1 NORMAL, 2 FULL.
        let b = SqliteBackend::open(&path, Durability::Process).unwrap();
        assert_eq!(pragma(&b, "synchronous"), 1);
        assert_eq!(pragma(&b, "secure_delete"), 1);
        assert_eq!(pragma(&b, "trusted_schema"), 0);
        drop(b);
        let b = SqliteBackend::open(&path, Durability::PowerLoss).unwrap();
        assert_eq!(pragma(&b, "synchronous"), 2);
    }
}
