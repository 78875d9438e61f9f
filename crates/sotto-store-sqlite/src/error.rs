//! The causes this crate puts under a [`StoreError`]: SQLite's own errors go there as
//! `rusqlite::Error`; what this crate refuses by itself is a [`SqliteError`].

use sotto_devices::store::StoreError;

/// What this crate refuses by itself, reachable as the [`std::error::Error::source`] of a
/// [`StoreError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteError {
    /// The file's schema (`PRAGMA user_version`) is newer than this code knows: written by a
    /// newer version, or not a Sotto store. Refused, the file untouched
    /// ([`sotto_devices::store::StoreErrorKind::Corrupt`]).
    #[error("schema version {found} is newer than the known {known}")]
    NewerSchema {
        /// The file's version.
        found: i64,
        /// The newest version this code knows.
        known: i64,
    },
    /// The file is not laid out as its version says: at version 0 it already holds tables
    /// (another application's database), or at a known version it lacks the `records` table
    /// (Corrupt). Refused, the file untouched.
    #[error("the database is not laid out as a Sotto store")]
    UnexpectedLayout,
    /// A row's kind is not a known `RecordKind` byte: the integer, or `None` if the column
    /// does not hold an integer (Corrupt).
    #[error("record of unknown kind {0:?}")]
    UnknownKind(Option<i64>),
    /// A row's index is not a 32-byte blob (Corrupt).
    #[error("record index is not a 32-byte blob")]
    IndexLength,
    /// A row's value is not a blob, or longer than `MAX_RECORD_LEN` (Corrupt).
    #[error("record value is not a blob of at most MAX_RECORD_LEN bytes")]
    ValueLength,
    /// A write offered a value longer than `MAX_RECORD_LEN`, which no read would accept;
    /// the batch was refused before anything was written
    /// ([`sotto_devices::store::StoreErrorKind::Backend`]).
    #[error("value to write is longer than MAX_RECORD_LEN")]
    ValueTooLong,
    /// The file did not switch to WAL mode (another journal mode is locked in); the store is
    /// not opened rather than run without the durability it promises (Backend).
    #[error("the database did not switch to WAL mode")]
    NotWal,
}

/// A SQLite error as a [`StoreError`]: a damaged or foreign file (`SQLITE_CORRUPT`,
/// `SQLITE_NOTADB`) or a value of the wrong type is Corrupt, anything else (I/O, locks,
/// constraint failures, a full disk) is Backend. The `rusqlite::Error` is the source.
pub(crate) fn from_sqlite(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    let corrupt = matches!(e.sqlite_error_code(), Some(DatabaseCorrupt | NotADatabase))
        || matches!(
            e,
            rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..)
        );
    if corrupt {
        StoreError::corrupt(e)
    } else {
        StoreError::backend(e)
    }
}
