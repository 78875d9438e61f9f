//! The relay's store: the [`Storage`] trait and its SQLite implementation.
//!
//! Every operation is one atomic step (a one-time bundle handed out and deleted; messages
//! checked against the recipient's verifier and device list and stored). [`SqliteStorage`]
//! runs them all on one writer thread that takes every operation queued while it was busy
//! and commits them in **one transaction** (commit batching), each inside its own savepoint
//! so that one refused operation does not undo the others, and answers each caller only
//! after that transaction committed.

use sotto_devices::AccountId;
use sotto_sealed::access::AccessKey;

mod sqlite;

pub use sqlite::SqliteStorage;

/// How much a commit survives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = NORMAL` in WAL mode: a committed transaction survives a crash of the
    /// process; the last transactions before a power loss or an operating-system crash may
    /// be lost (never corrupted).
    #[default]
    ProcessCrash,
    /// `synchronous = FULL`: the WAL is synced at every commit, so a committed transaction
    /// survives a power loss too, at the cost of one fsync per batch.
    PowerLoss,
}

/// The most operations committed in one transaction.
pub const MAX_BATCH: usize = 512;

/// How long after a commit the writer checkpoints the WAL into the database file and
/// truncates it (`PRAGMA wal_checkpoint(TRUNCATE)`), so that what a deletion removed (an
/// acknowledged envelope, overwritten in its page by `secure_delete`) does not stay in
/// older WAL frames while the relay runs. One second.
pub const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = 3;

/// A device's address as the relay stores it in sender and recipient columns:
/// `account id (16 bytes) || device id (4 bytes, big-endian)`.
#[must_use]
pub fn address(account: AccountId, device_id: u32) -> [u8; 20] {
    let mut out = [0u8; 20];
    out[..16].copy_from_slice(&account.to_bytes());
    out[16..].copy_from_slice(&device_id.to_be_bytes());
    out
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite refused.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The writer thread is gone (the relay is shutting down).
    #[error("the storage writer has stopped")]
    WriterGone,
    /// The batch's commit failed: none of its operations happened.
    #[error("the commit failed")]
    CommitFailed,
    /// The database was written by a newer relay.
    #[error("database schema version {0} is newer than this relay's")]
    SchemaTooNew(i64),
    /// A stored value has the wrong shape (the database was changed by something else).
    #[error("a stored value is corrupt")]
    Corrupt,
    /// No such account.
    #[error("unknown account")]
    UnknownAccount,
    /// The account exists.
    #[error("the account exists")]
    AccountExists,
    /// The device is registered.
    #[error("the device is registered")]
    DeviceExists,
    /// The device list is not newer than the stored one.
    #[error("stale device list (stored version {stored})")]
    StaleList {
        /// The stored version.
        stored: u64,
    },
    /// The device list names another account key.
    #[error("another account key")]
    AccountKeyMismatch,
    /// The access key does not match the verifier.
    #[error("access refused")]
    AccessRefused,
    /// The devices addressed are not the listed ones.
    #[error("stale device set")]
    StaleDevices {
        /// The account.
        account: AccountId,
        /// Listed, not addressed.
        missing: Vec<u32>,
        /// Addressed, not listed.
        extra: Vec<u32>,
    },
    /// Too many one-time bundles.
    #[error("too many prekeys")]
    TooManyPrekeys,
    /// The database was made under another profile.
    #[error("the database was made under the {stored} profile")]
    ProfileMismatch {
        /// The profile it was made under.
        stored: String,
    },
    /// The phone number is registered to another account.
    #[error("the phone number is registered")]
    PhoneExists,
}

/// A signed device list as stored: its bytes and what the relay read from them (after
/// verifying it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRecord {
    /// The signed bytes.
    pub bytes: Vec<u8>,
    /// Its version.
    pub version: u64,
    /// The account key it is signed by.
    pub account_key: [u8; 32],
    /// The listed device ids, increasing.
    pub devices: Vec<u32>,
}

/// A device to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    /// Its id.
    pub device_id: u32,
    /// Its identity (64 bytes).
    pub identity: [u8; 64],
    /// SHA-256 of its token.
    pub token_hash: [u8; 32],
    /// One-time bundles.
    pub bundles: Vec<Vec<u8>>,
    /// The last-resort bundle.
    pub last_resort: Vec<u8>,
    /// Its registration time, as the profile stamps it.
    pub registered_at: i64,
    /// Its first last-seen time, as the profile stamps it.
    pub seen_at: i64,
}

/// An account to create with its first device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The account.
    pub account: AccountId,
    /// Its first list.
    pub list: ListRecord,
    /// Its access verifier.
    pub verifier: [u8; 32],
    /// An identifier it publishes, if any.
    pub identifier: Option<String>,
    /// The phone number it registered with (every profile but `sotto`).
    pub phone: Option<String>,
    /// Its creation time, as the profile stamps it.
    pub created_at: i64,
    /// The first device.
    pub device: NewDevice,
}

/// An authenticated device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceAuth {
    /// Its account.
    pub account: AccountId,
    /// Its id.
    pub device_id: u32,
    /// Its identity.
    pub identity: [u8; 64],
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Its id, never reused.
    pub id: i64,
    /// The envelope.
    pub envelope: Vec<u8>,
    /// When it was received, as the profile stamps it.
    pub received_at: i64,
    /// The sender, when the relay knows it (an identified or a plaintext send).
    pub sender: Option<(AccountId, u32)>,
    /// The plaintext of a `transport` send (its envelope is empty).
    pub body: Option<String>,
}

/// What lets a delivery in: the recipient's access key (sealed, the sender unknown) or an
/// authenticated sender (identified, `POST /v1/messages`: the relay records who sent it).
#[derive(Debug)]
pub enum Access {
    /// A sealed send: the presented access key, checked against the stored verifier.
    Key(AccessKey),
    /// A sealed send to the sender's own account (copies to its other devices): the
    /// account's own access key, presented with the device's token so that the sending
    /// device may be left out. No sender is recorded.
    Own {
        /// The account's access key.
        key: AccessKey,
        /// The sending device, not addressed.
        device_id: u32,
    },
    /// An identified send from this authenticated device; no access key is checked.
    Sender {
        /// The sending account.
        account: AccountId,
        /// The sending device.
        device_id: u32,
    },
}

/// Messages for one account, with what lets them in.
#[derive(Debug)]
pub struct Delivery {
    /// The account.
    pub account: AccountId,
    /// The access key presented for it, or the identified sender.
    pub access: Access,
    /// `(device id, envelope)`.
    pub envelopes: Vec<(u32, Vec<u8>)>,
}

/// What the profile has the relay record with a send (retention.rs decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRecord {
    /// `messages.received_at`.
    pub at: i64,
    /// Log each stored message in `delivery_log` and the pair in `contacts` (identified and
    /// plaintext sends only: a sealed send has no sender to log).
    pub log: bool,
    /// The sender's network address, for `delivery_log.ip`.
    pub ip: Option<String>,
    /// The originator hash (`traceable`): `trace` and `trace_log`.
    pub trace: Option<[u8; 32]>,
}

/// The relay's keys as stored (seeds of the trust root and server key, and the server
/// certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeys {
    /// The trust root's seed, when this relay holds it (absent when the operator keeps it
    /// offline and configured only the certificate).
    pub trust_root_seed: Option<[u8; 32]>,
    /// The trust root's public key.
    pub trust_root: [u8; 32],
    /// The server key's id.
    pub server_key_id: u32,
    /// The server key's seed.
    pub server_key_seed: [u8; 32],
    /// The server certificate.
    pub server_certificate: Vec<u8>,
}

/// Told, once an [`Operation`]'s batch is over, whether its effects were committed.
pub type Reply = Box<dyn FnOnce(bool) + Send>;

/// Storage calls to run together where they are cheapest ([`Storage::submit`]): given the
/// storage, it makes its calls and returns the [`Reply`] that hands their result on once it
/// is known whether they were committed.
pub type Operation = Box<dyn FnOnce(&dyn Storage) -> Reply + Send>;

/// The relay's storage. Each method is one atomic operation; each blocks its caller until
/// the operation is committed (call it from a blocking thread, or through
/// [`Storage::submit`]).
pub trait Storage: Send + Sync {
    /// Queues `operation` without blocking. It runs later, with every method call it makes
    /// atomic as usual, and its reply is called once those calls are committed (`true`) or
    /// known not to be (`false`). A storage that cannot run it (it is closed) answers
    /// `WriterGone` and drops it. [`SqliteStorage`] runs it on its
    /// writer thread inside the next batch's transaction, so a request handler waits for
    /// its reply on no thread of its own.
    fn submit(&self, operation: Operation) -> Result<(), StorageError>;
    /// Creates an account with its first device. `AccountExists` if it exists.
    fn create_account(&self, new: NewAccount) -> Result<(), StorageError>;
    /// Registers a device under `list`, whose version must be above the stored one, or equal
    /// with the same bytes, and whose key must be the stored account key.
    fn add_device(
        &self,
        account: AccountId,
        list: ListRecord,
        device: NewDevice,
    ) -> Result<(), StorageError>;
    /// Replaces the device list by a newer one; devices no longer listed lose their token,
    /// prekeys and mailbox. Returns the removed device ids.
    fn update_device_list(
        &self,
        account: AccountId,
        list: ListRecord,
    ) -> Result<Vec<u32>, StorageError>;
    /// The stored signed list.
    fn device_list(&self, account: AccountId) -> Result<Vec<u8>, StorageError>;
    /// The device whose token hashes to `token_hash`, stamping its last-seen time and, when
    /// given, its client address.
    fn authenticate(
        &self,
        token_hash: [u8; 32],
        seen_at: i64,
        ip: Option<String>,
    ) -> Result<Option<DeviceAuth>, StorageError>;
    /// Replaces a device's one-time bundles and last-resort bundle.
    fn replace_prekeys(
        &self,
        account: AccountId,
        device_id: u32,
        bundles: Vec<Vec<u8>>,
        last_resort: Vec<u8>,
        max: u32,
    ) -> Result<(), StorageError>;
    /// Adds one-time bundles (at most `max` held).
    fn add_prekeys(
        &self,
        account: AccountId,
        device_id: u32,
        bundles: Vec<Vec<u8>>,
        max: u32,
    ) -> Result<(), StorageError>;
    /// One-time bundles a device holds.
    fn prekey_count(&self, account: AccountId, device_id: u32) -> Result<u32, StorageError>;
    /// One bundle per listed device that published any: a one-time bundle, deleted as it is
    /// handed out, else the last-resort bundle.
    fn take_bundles(&self, account: AccountId) -> Result<Vec<(u32, Vec<u8>)>, StorageError>;
    /// Replaces the account's access verifier.
    fn set_access_verifier(
        &self,
        account: AccountId,
        verifier: [u8; 32],
    ) -> Result<(), StorageError>;
    /// Checks each account's access key and device set, then stores every envelope, all or
    /// nothing, with what `record` says to record.
    fn deliver(&self, deliveries: Vec<Delivery>, record: SendRecord)
    -> Result<usize, StorageError>;
    /// A `transport` send: stores `text` for every listed device of `recipient`, from the
    /// sending device, with what `record` says to record. Returns how many were stored.
    fn deliver_plain(
        &self,
        sender: (AccountId, u32),
        recipient: AccountId,
        text: String,
        record: SendRecord,
    ) -> Result<usize, StorageError>;
    /// The oldest `limit` undelivered messages of a device.
    fn fetch_messages(
        &self,
        account: AccountId,
        device_id: u32,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StorageError>;
    /// Deletes the device's messages among `ids` (or, with `keep_at`, marks them delivered
    /// at that time and keeps them); others' ids are ignored. Returns how many.
    fn acknowledge(
        &self,
        account: AccountId,
        device_id: u32,
        ids: Vec<i64>,
        keep_at: Option<i64>,
    ) -> Result<u64, StorageError>;
    /// Records the profile the database is made under at first start; refuses another
    /// one later (`ProfileMismatch`).
    fn bind_profile(&self, name: &str) -> Result<(), StorageError>;
    /// The relay's keys, stored by [`Storage::store_keys`] at first start.
    fn keys(&self) -> Result<Option<StoredKeys>, StorageError>;
    /// Stores the relay's keys.
    fn store_keys(&self, keys: StoredKeys) -> Result<(), StorageError>;
}
