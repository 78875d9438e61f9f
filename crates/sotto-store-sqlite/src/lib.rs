//! # sotto-store-sqlite
//!
//! The client store's [`RecordBackend`](sotto_devices::store::RecordBackend) on SQLite
//! (protocol.md 8.6), through `rusqlite` with its bundled SQLite: [`SqliteBackend`].
//!
//! ## What is stored
//!
//! Only what the record layer hands a backend: a kind byte, a 32-byte index (a keyed hash of
//! what the record is about) and an encrypted value (a `0x1D` pickle under the store key,
//! bound to the kind and the index). The database never holds the store key, an account id,
//! a device id, a public key or a plaintext in the clear; a seized file shows how many
//! records of each kind there are and their sizes. The store key is kept by the platform's
//! key store and given to [`sotto_devices::Device::open`], not to this crate.
//!
//! ## Schema
//!
//! One table, created by migration 1:
//!
//! ```sql
//! CREATE TABLE records (
//!     kind  INTEGER NOT NULL,   -- RecordKind byte: 1 device, 2 prekeys, 3 account, 4 sessions
//!     idx   BLOB    NOT NULL,   -- RecordIndex, 32 bytes
//!     value BLOB    NOT NULL,   -- encrypted value, at most MAX_RECORD_LEN bytes
//!     PRIMARY KEY (kind, idx)
//! ) WITHOUT ROWID;
//! ```
//!
//! A scan of one kind reads the primary key in order, so records come back in index order
//! (SQLite compares blobs as `memcmp` does, the order of [`RecordIndex`]).
//!
//! Every row is checked when the store is opened (a blob index of 32 bytes, a known kind, a
//! blob value no longer than [`MAX_RECORD_LEN`]) and again when it is read; a row that breaks
//! this is a [`StoreErrorKind::Corrupt`] error, never a panic.
//!
//! ## Migrations
//!
//! The schema version is SQLite's `PRAGMA user_version` (0 in a new file). Opening runs, in
//! one `IMMEDIATE` transaction, every migration from the file's version up to
//! [`SCHEMA_VERSION`] and then sets `user_version` to it: a crash during a migration leaves
//! the file at its old version. A file whose version is newer than this code knows is
//! refused ([`SqliteError::NewerSchema`], as [`StoreErrorKind::Corrupt`]) and left untouched:
//! older code never writes to a newer layout.
//!
//! ## Durability
//!
//! The database runs in WAL mode. Every [`RecordBackend::apply`] is one transaction, so a
//! batch is all or nothing whatever happens. How recent a state survives depends on the
//! [`Durability`] chosen at open:
//!
//! - [`Durability::Process`] (`synchronous = NORMAL`): a batch whose `apply`
//!   returned survives the process being killed at any point (a crash, `SIGKILL`, the OS
//!   ending the app), because the commit is in the operating system's cache. On power loss
//!   or an OS crash, the most recent commits may be lost (the database stays consistent and
//!   opens at an earlier batch boundary). The WAL is synced only at checkpoints.
//! - [`Durability::PowerLoss`] (`synchronous = FULL`): the WAL is synced at every commit, so
//!   a batch whose `apply` returned also survives power loss and an OS crash, on storage
//!   that honours `fsync`. It costs one sync per batch. **The default.**
//!
//! A lost commit is not harmless for a messenger: if a device sent a message and then loses
//! the session state written with it, it encrypts its next message under the same message
//! key (the same nonce for two plaintexts). That is why [`Durability::PowerLoss`] is the
//! default; [`Durability::Process`] is for callers that accept the risk (tests, or a platform
//! whose storage flushes on power loss).
//!
//! Deleted and replaced records are overwritten in the database file (`secure_delete`), so
//! the file does not keep old session states; old pages may remain in the `-wal` file until
//! a checkpoint overwrites them. They are encrypted under the store key either way.
//!
//! [`RecordIndex`]: sotto_devices::store::RecordIndex
//! [`MAX_RECORD_LEN`]: sotto_devices::store::MAX_RECORD_LEN
//! [`StoreErrorKind::Corrupt`]: sotto_devices::store::StoreErrorKind::Corrupt
//! [`RecordBackend::apply`]: sotto_devices::store::RecordBackend::apply

mod backend;
mod error;
mod schema;

pub use backend::{Durability, SqliteBackend};
pub use error::SqliteError;
pub use schema::SCHEMA_VERSION;
