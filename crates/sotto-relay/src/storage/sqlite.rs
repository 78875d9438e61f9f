//! [`SqliteStorage`]: one file, WAL, versioned migrations, one writer thread with commit
//! batching (docs/relay.md, "Commit batching").

use std::cell::{Cell, RefCell};
use std::path::Path;
use std::sync::Mutex;
use std::sync::mpsc;
use std::thread;

use rusqlite::{Connection, OptionalExtension, params};
use sotto_devices::AccountId;
use sotto_sealed::access::AccessVerifier;

use super::{
    Access, CHECKPOINT_INTERVAL, Delivery, DeviceAuth, Durability, ListRecord, MAX_BATCH,
    NewAccount, NewDevice, Operation, Reply, SCHEMA_VERSION, SendRecord, Storage, StorageError,
    StoredKeys, StoredMessage, address,
};

/// A queued job: given the batch's connection inside its transaction (`None` when the
/// transaction could not begin, and the job must refuse unrun) and a storage whose
/// operations run at once on that connection (for an [`Operation`]).
type Job = Box<dyn FnOnce(Option<&Connection>, &dyn Storage) -> Reply + Send>;

/// How long a statement of the writer waits for another connection's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

thread_local! {
    /// On the writer thread: its connection.
    static WRITER_CONNECTION: RefCell<Option<Connection>> = const { RefCell::new(None) };
    /// On the writer thread while it runs a batch's jobs: whether the batch's transaction
    /// began. `None` everywhere else.
    static IN_BATCH: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Runs `f` in a savepoint of its own on `conn` (`None`: the batch's transaction did not
/// begin, so nothing runs): released on success, rolled back on error.
fn in_savepoint<T>(
    conn: Option<&Connection>,
    f: impl FnOnce(&Connection) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    let conn = conn.ok_or(StorageError::CommitFailed)?;
    conn.execute_batch("SAVEPOINT op")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE op")?;
            Ok(v)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO op; RELEASE op")?;
            Err(e)
        }
    }
}

/// SQLite storage: one file, WAL, one writer thread with commit batching.
pub struct SqliteStorage {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    writer: Mutex<Option<thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage").finish_non_exhaustive()
    }
}

const MIGRATIONS: &[&str] = &[
    // Version 1.
    "CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE accounts (
        account_id BLOB PRIMARY KEY,
        account_key BLOB NOT NULL,
        device_list BLOB NOT NULL,
        list_version INTEGER NOT NULL,
        listed_devices BLOB NOT NULL,
        access_verifier BLOB NOT NULL,
        identifier TEXT UNIQUE,
        created_day INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE devices (
        account_id BLOB NOT NULL REFERENCES accounts(account_id),
        device_id INTEGER NOT NULL,
        identity BLOB NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        registered_day INTEGER NOT NULL,
        last_seen_day INTEGER NOT NULL,
        last_resort_bundle BLOB NOT NULL,
        PRIMARY KEY (account_id, device_id)
    ) STRICT;
    CREATE TABLE prekeys (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id BLOB NOT NULL,
        device_id INTEGER NOT NULL,
        bundle BLOB NOT NULL
    ) STRICT;
    CREATE INDEX prekeys_by_device ON prekeys (account_id, device_id, id);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id BLOB NOT NULL,
        device_id INTEGER NOT NULL,
        envelope BLOB NOT NULL,
        received_day INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX messages_by_device ON messages (account_id, device_id, id);",
    // Version 2: the sender of an identified send (`POST /v1/messages`); NULL when sealed.
    "ALTER TABLE messages ADD COLUMN sender_account BLOB;
    ALTER TABLE messages ADD COLUMN sender_device INTEGER;",
    // Version 3: platform profiles (retention.rs). Times become seconds since the epoch,
    // truncated by the profile (the days of version 2 are converted); the sender becomes
    // one 20-byte address; what the metadata-logging profiles keep gets its own tables.
    "ALTER TABLE accounts RENAME COLUMN created_day TO created_at;
    UPDATE accounts SET created_at = created_at * 86400;
    ALTER TABLE accounts ADD COLUMN phone TEXT;
    CREATE UNIQUE INDEX accounts_by_phone ON accounts (phone);
    ALTER TABLE devices RENAME COLUMN registered_day TO registered_at;
    ALTER TABLE devices RENAME COLUMN last_seen_day TO last_seen_at;
    UPDATE devices SET registered_at = registered_at * 86400,
                       last_seen_at = last_seen_at * 86400;
    ALTER TABLE devices ADD COLUMN last_ip TEXT;
    ALTER TABLE messages RENAME COLUMN received_day TO received_at;
    UPDATE messages SET received_at = received_at * 86400;
    ALTER TABLE messages ADD COLUMN sender BLOB;
    UPDATE messages SET sender = CAST(sender_account || unhex(printf('%08x', sender_device)) AS BLOB)
        WHERE sender_account IS NOT NULL;
    ALTER TABLE messages DROP COLUMN sender_account;
    ALTER TABLE messages DROP COLUMN sender_device;
    ALTER TABLE messages ADD COLUMN body TEXT;
    ALTER TABLE messages ADD COLUMN delivered_at INTEGER;
    CREATE TABLE delivery_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        sender BLOB NOT NULL,
        recipient BLOB NOT NULL,
        at INTEGER NOT NULL,
        size INTEGER NOT NULL,
        ip TEXT
    ) STRICT;
    CREATE TABLE contacts (
        owner BLOB NOT NULL,
        contact BLOB NOT NULL,
        first_at INTEGER NOT NULL,
        PRIMARY KEY (owner, contact)
    ) STRICT;
    CREATE TABLE trace (
        hash BLOB PRIMARY KEY,
        originator BLOB NOT NULL,
        first_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE trace_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        hash BLOB NOT NULL,
        sender BLOB NOT NULL,
        recipient BLOB NOT NULL,
        at INTEGER NOT NULL
    ) STRICT;",
];

fn migrate(conn: &mut Connection) -> Result<(), StorageError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StorageError::SchemaTooNew(version));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let target = index as i64 + 1;
        if version < target {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", target)?;
            tx.commit()?;
        }
    }
    Ok(())
}

impl SqliteStorage {
    /// Opens (creating if needed) the database at `path` and starts its writer thread.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> Result<Self, StorageError> {
        let mut conn = Connection::open(path)?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Corrupt);
        }
        let synchronous = match durability {
            Durability::ProcessCrash => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "secure_delete", true)?;
        conn.pragma_update(None, "trusted_schema", false)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // A fixed query plan per statement: without this, SQLite re-prepares a cached
        // statement whenever a newly bound value might change its plan (a bound `LIMIT`,
        // an indexed column), which made every mailbox fetch parse its SQL again
        // (sqlite3Reprepare was an eighth of the writer's time under load).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        migrate(&mut conn)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let writer = thread::Builder::new()
            .name("sotto-relay-writer".into())
            .spawn(move || run_writer(conn, &rx))
            .map_err(|_| StorageError::WriterGone)?;
        Ok(Self {
            jobs: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Runs `f` inside the next batch's transaction, in a savepoint of its own, and waits
    /// for the commit. Called by an [`Operation`] on the writer thread, runs `f` at once in
    /// the current batch (the operation's reply waits for the commit).
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        if let Some(began) = IN_BATCH.get() {
            return WRITER_CONNECTION
                .with_borrow(|conn| in_savepoint(conn.as_ref().filter(|_| began), f));
        }
        let (reply_tx, reply_rx) = mpsc::sync_channel::<Result<T, StorageError>>(1);
        let job: Job = Box::new(move |conn, _| {
            let result = in_savepoint(conn, f);
            Box::new(move |committed| {
                let answer = if committed {
                    result
                } else {
                    Err(StorageError::CommitFailed)
                };
                // The caller may have gone (its request was cancelled): nothing to tell.
                drop(reply_tx.send(answer));
            })
        });
        self.queue(job)?;
        reply_rx.recv().map_err(|_| StorageError::WriterGone)?
    }

    fn queue(&self, job: Job) -> Result<(), StorageError> {
        let jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        jobs.as_ref()
            .ok_or(StorageError::WriterGone)?
            .send(job)
            .map_err(|_| StorageError::WriterGone)
    }

    /// A handle without a writer of its own, for [`Operation`]s on the writer thread: its
    /// operations run in the current batch.
    const fn on_writer() -> Self {
        Self {
            jobs: Mutex::new(None),
            writer: Mutex::new(None),
        }
    }

    /// Stops the writer after the queued operations, and waits for it.
    pub fn close(&self) {
        drop(
            self.jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let handle = self
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            drop(handle.join());
        }
    }
}

impl Drop for SqliteStorage {
    fn drop(&mut self) {
        self.close();
    }
}

fn run_writer(conn: Connection, jobs: &mpsc::Receiver<Job>) {
    WRITER_CONNECTION.set(Some(conn));
    let direct = SqliteStorage::on_writer();
    // When the first commit since the last checkpoint happened.
    let mut unchecked: Option<std::time::Instant> = None;
    loop {
        let next = match unchecked {
            None => jobs
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(at) => jobs.recv_timeout(CHECKPOINT_INTERVAL.saturating_sub(at.elapsed())),
        };
        let first = match next {
            Ok(job) => job,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                checkpoint(&mut unchecked);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (replies, committed) = WRITER_CONNECTION.with_borrow(|conn| {
            let Some(conn) = conn.as_ref() else {
                // Unreachable: set above. Dropping the jobs tells their callers the writer
                // is gone.
                return (Vec::new(), false);
            };
            // If the transaction cannot begin, no job runs: outside a transaction each
            // savepoint would commit on its own and its caller would be told it failed.
            let began = conn.execute_batch("BEGIN IMMEDIATE").is_ok();
            IN_BATCH.set(Some(began));
            let replies: Vec<Reply> = batch
                .into_iter()
                .map(|job| job(began.then_some(conn), &direct))
                .collect();
            IN_BATCH.set(None);
            let committed = began && conn.execute_batch("COMMIT").is_ok();
            if !committed && !conn.is_autocommit() {
                drop(conn.execute_batch("ROLLBACK"));
            }
            (replies, committed)
        });
        for reply in replies {
            reply(committed);
        }
        if committed {
            let at = *unchecked.get_or_insert_with(std::time::Instant::now);
            if at.elapsed() >= CHECKPOINT_INTERVAL {
                checkpoint(&mut unchecked);
            }
        }
    }
    drop(WRITER_CONNECTION.take());
}

/// Copies the WAL into the database file and truncates it to zero bytes, so that the old
/// versions of pages (deleted envelopes among them) are no longer in the WAL. It does not
/// wait: while another connection (an admin or export) reads an older snapshot it stops
/// short, and is tried again one interval later.
fn checkpoint(unchecked: &mut Option<std::time::Instant>) {
    let done = WRITER_CONNECTION.with_borrow(|conn| {
        conn.as_ref().is_some_and(|conn| {
            if conn.busy_timeout(std::time::Duration::ZERO).is_err() {
                return false;
            }
            let done = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    r.get::<_, i64>(0)
                })
                .is_ok_and(|busy| busy == 0);
            drop(conn.busy_timeout(BUSY_TIMEOUT));
            done
        })
    });
    *unchecked = (!done).then(std::time::Instant::now);
}

fn account_bytes(account: AccountId) -> Vec<u8> {
    account.to_bytes().to_vec()
}

fn encode_ids(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_be_bytes()).collect()
}

fn decode_ids(bytes: &[u8]) -> Result<Vec<u32>, StorageError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(StorageError::Corrupt);
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], StorageError> {
    <[u8; N]>::try_from(bytes).map_err(|_| StorageError::Corrupt)
}

struct AccountRow {
    account_key: [u8; 32],
    version: u64,
    listed: Vec<u32>,
    verifier: [u8; 32],
}

fn load_account(conn: &Connection, account: AccountId) -> Result<AccountRow, StorageError> {
    let row = conn
        .query_row(
            "SELECT account_key, list_version, listed_devices, access_verifier
             FROM accounts WHERE account_id = ?1",
            params![account_bytes(account)],
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                ))
            },
        )
        .optional()?
        .ok_or(StorageError::UnknownAccount)?;
    Ok(AccountRow {
        account_key: array(&row.0)?,
        version: u64::try_from(row.1).map_err(|_| StorageError::Corrupt)?,
        listed: decode_ids(&row.2)?,
        verifier: array(&row.3)?,
    })
}

fn insert_device(
    conn: &Connection,
    account: AccountId,
    device: &NewDevice,
) -> Result<(), StorageError> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM devices WHERE account_id = ?1 AND device_id = ?2",
            params![account_bytes(account), device.device_id],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Err(StorageError::DeviceExists);
    }
    conn.execute(
        "INSERT INTO devices (account_id, device_id, identity, token_hash, registered_at,
                              last_seen_at, last_resort_bundle)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            account_bytes(account),
            device.device_id,
            device.identity.as_slice(),
            device.token_hash.as_slice(),
            device.registered_at,
            device.seen_at,
            device.last_resort,
        ],
    )?;
    insert_bundles(conn, account, device.device_id, &device.bundles)
}

fn insert_bundles(
    conn: &Connection,
    account: AccountId,
    device_id: u32,
    bundles: &[Vec<u8>],
) -> Result<(), StorageError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO prekeys (account_id, device_id, bundle) VALUES (?1, ?2, ?3)",
    )?;
    for bundle in bundles {
        stmt.execute(params![account_bytes(account), device_id, bundle])?;
    }
    Ok(())
}

fn count_prekeys(
    conn: &Connection,
    account: AccountId,
    device_id: u32,
) -> Result<u32, StorageError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM prekeys WHERE account_id = ?1 AND device_id = ?2",
        params![account_bytes(account), device_id],
        |r| r.get(0),
    )?;
    u32::try_from(n).map_err(|_| StorageError::Corrupt)
}

fn write_list(
    conn: &Connection,
    account: AccountId,
    list: &ListRecord,
) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE accounts SET device_list = ?2, list_version = ?3, listed_devices = ?4
         WHERE account_id = ?1",
        params![
            account_bytes(account),
            list.bytes,
            i64::try_from(list.version).map_err(|_| StorageError::Corrupt)?,
            encode_ids(&list.devices),
        ],
    )?;
    Ok(())
}

fn stored_list_bytes(conn: &Connection, account: AccountId) -> Result<Vec<u8>, StorageError> {
    conn.query_row(
        "SELECT device_list FROM accounts WHERE account_id = ?1",
        params![account_bytes(account)],
        |r| r.get(0),
    )
    .optional()?
    .ok_or(StorageError::UnknownAccount)
}

impl Storage for SqliteStorage {
    fn submit(&self, operation: Operation) -> Result<(), StorageError> {
        // Where the batch's transaction did not begin, each call the operation makes fails
        // unrun (`CommitFailed`), and its reply is told nothing was committed.
        self.queue(Box::new(move |_, direct| operation(direct)))
    }

    fn create_account(&self, new: NewAccount) -> Result<(), StorageError> {
        self.run(move |conn| {
            if load_account(conn, new.account).is_ok() {
                return Err(StorageError::AccountExists);
            }
            conn.execute(
                "INSERT INTO accounts (account_id, account_key, device_list, list_version,
                                       listed_devices, access_verifier, identifier, created_at,
                                       phone)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    account_bytes(new.account),
                    new.list.account_key.as_slice(),
                    new.list.bytes,
                    i64::try_from(new.list.version).map_err(|_| StorageError::Corrupt)?,
                    encode_ids(&new.list.devices),
                    new.verifier.as_slice(),
                    new.identifier,
                    new.created_at,
                    new.phone,
                ],
            )
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, Some(text))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation
                        && text.contains("accounts.phone") =>
                {
                    StorageError::PhoneExists
                }
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    StorageError::AccountExists
                }
                other => StorageError::Sqlite(other),
            })?;
            insert_device(conn, new.account, &new.device)
        })
    }

    fn add_device(
        &self,
        account: AccountId,
        list: ListRecord,
        device: NewDevice,
    ) -> Result<(), StorageError> {
        self.run(move |conn| {
            let row = load_account(conn, account)?;
            if row.account_key != list.account_key {
                return Err(StorageError::AccountKeyMismatch);
            }
            if list.version < row.version
                || (list.version == row.version && stored_list_bytes(conn, account)? != list.bytes)
            {
                return Err(StorageError::StaleList {
                    stored: row.version,
                });
            }
            if list.version > row.version {
                remove_unlisted(conn, account, &list.devices)?;
                write_list(conn, account, &list)?;
            }
            insert_device(conn, account, &device)
        })
    }

    fn update_device_list(
        &self,
        account: AccountId,
        list: ListRecord,
    ) -> Result<Vec<u32>, StorageError> {
        self.run(move |conn| {
            let row = load_account(conn, account)?;
            if row.account_key != list.account_key {
                return Err(StorageError::AccountKeyMismatch);
            }
            if list.version <= row.version {
                return Err(StorageError::StaleList {
                    stored: row.version,
                });
            }
            let removed = remove_unlisted(conn, account, &list.devices)?;
            write_list(conn, account, &list)?;
            Ok(removed)
        })
    }

    fn device_list(&self, account: AccountId) -> Result<Vec<u8>, StorageError> {
        self.run(move |conn| stored_list_bytes(conn, account))
    }

    fn authenticate(
        &self,
        token_hash: [u8; 32],
        seen_at: i64,
        ip: Option<String>,
    ) -> Result<Option<DeviceAuth>, StorageError> {
        self.run(move |conn| {
            let row = conn
                .query_row(
                    "SELECT account_id, device_id, identity, last_seen_at, last_ip FROM devices
                     WHERE token_hash = ?1",
                    params![token_hash.as_slice()],
                    |r| {
                        Ok((
                            r.get::<_, Vec<u8>>(0)?,
                            r.get::<_, u32>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, Option<String>>(4)?,
                        ))
                    },
                )
                .optional()?;
            let Some((account, device_id, identity, last_seen, last_ip)) = row else {
                return Ok(None);
            };
            let account = AccountId::from_bytes(array(&account)?);
            // Written only when it changes: most requests of a busy device write nothing.
            if last_seen != seen_at {
                conn.execute(
                    "UPDATE devices SET last_seen_at = ?3 WHERE account_id = ?1 AND device_id = ?2",
                    params![account_bytes(account), device_id, seen_at],
                )?;
            }
            if ip.is_some() && ip != last_ip {
                conn.execute(
                    "UPDATE devices SET last_ip = ?3 WHERE account_id = ?1 AND device_id = ?2",
                    params![account_bytes(account), device_id, ip],
                )?;
            }
            Ok(Some(DeviceAuth {
                account,
                device_id,
                identity: array(&identity)?,
            }))
        })
    }

    fn replace_prekeys(
        &self,
        account: AccountId,
        device_id: u32,
        bundles: Vec<Vec<u8>>,
        last_resort: Vec<u8>,
        max: u32,
    ) -> Result<(), StorageError> {
        self.run(move |conn| {
            if bundles.len() > max as usize {
                return Err(StorageError::TooManyPrekeys);
            }
            conn.execute(
                "DELETE FROM prekeys WHERE account_id = ?1 AND device_id = ?2",
                params![account_bytes(account), device_id],
            )?;
            conn.execute(
                "UPDATE devices SET last_resort_bundle = ?3 WHERE account_id = ?1 AND device_id = ?2",
                params![account_bytes(account), device_id, last_resort],
            )?;
            insert_bundles(conn, account, device_id, &bundles)
        })
    }

    fn add_prekeys(
        &self,
        account: AccountId,
        device_id: u32,
        bundles: Vec<Vec<u8>>,
        max: u32,
    ) -> Result<(), StorageError> {
        self.run(move |conn| {
            let held = count_prekeys(conn, account, device_id)?;
            if held as usize + bundles.len() > max as usize {
                return Err(StorageError::TooManyPrekeys);
            }
            insert_bundles(conn, account, device_id, &bundles)
        })
    }

    fn prekey_count(&self, account: AccountId, device_id: u32) -> Result<u32, StorageError> {
        self.run(move |conn| count_prekeys(conn, account, device_id))
    }

    fn take_bundles(&self, account: AccountId) -> Result<Vec<(u32, Vec<u8>)>, StorageError> {
        self.run(move |conn| {
            let row = load_account(conn, account)?;
            let mut out = Vec::new();
            for device_id in row.listed {
                let one_time: Option<Vec<u8>> = conn
                    .query_row(
                        "DELETE FROM prekeys WHERE id = (
                             SELECT id FROM prekeys WHERE account_id = ?1 AND device_id = ?2
                             ORDER BY id LIMIT 1)
                         RETURNING bundle",
                        params![account_bytes(account), device_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let bundle = match one_time {
                    Some(b) => Some(b),
                    None => conn
                        .query_row(
                            "SELECT last_resort_bundle FROM devices
                             WHERE account_id = ?1 AND device_id = ?2",
                            params![account_bytes(account), device_id],
                            |r| r.get(0),
                        )
                        .optional()?,
                };
                if let Some(bundle) = bundle {
                    out.push((device_id, bundle));
                }
            }
            Ok(out)
        })
    }

    fn set_access_verifier(
        &self,
        account: AccountId,
        verifier: [u8; 32],
    ) -> Result<(), StorageError> {
        self.run(move |conn| {
            let n = conn.execute(
                "UPDATE accounts SET access_verifier = ?2 WHERE account_id = ?1",
                params![account_bytes(account), verifier.as_slice()],
            )?;
            if n == 0 {
                return Err(StorageError::UnknownAccount);
            }
            Ok(())
        })
    }

    fn deliver(
        &self,
        deliveries: Vec<Delivery>,
        record: SendRecord,
    ) -> Result<usize, StorageError> {
        self.run(move |conn| {
            for d in &deliveries {
                let row = load_account(conn, d.account)?;
                if let Access::Key(key) | Access::Own { key, .. } = &d.access {
                    let verifier = AccessVerifier::from_bytes(&row.verifier)
                        .map_err(|_| StorageError::Corrupt)?;
                    verifier
                        .check(key)
                        .map_err(|_| StorageError::AccessRefused)?;
                }
                let addressed: Vec<u32> = d.envelopes.iter().map(|(id, _)| *id).collect();
                // A send to the sender's own account (copies to its other devices) is not
                // addressed to the sending device itself.
                let sender_device = match &d.access {
                    Access::Sender { account, device_id } if *account == d.account => {
                        Some(*device_id)
                    }
                    Access::Own { device_id, .. } => Some(*device_id),
                    _ => None,
                };
                let missing: Vec<u32> = row
                    .listed
                    .iter()
                    .copied()
                    .filter(|id| !addressed.contains(id) && Some(*id) != sender_device)
                    .collect();
                let extra: Vec<u32> = addressed
                    .iter()
                    .copied()
                    .filter(|id| !row.listed.contains(id))
                    .collect();
                if !missing.is_empty() || !extra.is_empty() {
                    return Err(StorageError::StaleDevices {
                        account: d.account,
                        missing,
                        extra,
                    });
                }
            }
            let mut stmt = conn.prepare_cached(
                "INSERT INTO messages (account_id, device_id, envelope, received_at, sender)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut stored = 0;
            for d in &deliveries {
                let sender = match &d.access {
                    Access::Key(_) | Access::Own { .. } => None,
                    Access::Sender { account, device_id } => Some((*account, *device_id)),
                };
                for (device_id, envelope) in &d.envelopes {
                    stmt.execute(params![
                        account_bytes(d.account),
                        device_id,
                        envelope,
                        record.at,
                        sender.map(|(a, id)| address(a, id).to_vec()),
                    ])?;
                    stored += 1;
                }
                if let Some(sender) = sender {
                    let sizes: Vec<(u32, usize)> =
                        d.envelopes.iter().map(|(id, e)| (*id, e.len())).collect();
                    log_send(conn, sender, d.account, &sizes, &record)?;
                }
            }
            Ok(stored)
        })
    }

    fn deliver_plain(
        &self,
        sender: (AccountId, u32),
        recipient: AccountId,
        text: String,
        record: SendRecord,
    ) -> Result<usize, StorageError> {
        self.run(move |conn| {
            let row = load_account(conn, recipient)?;
            let mut stmt = conn.prepare_cached(
                "INSERT INTO messages (account_id, device_id, envelope, received_at, sender, body)
                 VALUES (?1, ?2, X'', ?3, ?4, ?5)",
            )?;
            let from = address(sender.0, sender.1).to_vec();
            let mut sizes = Vec::new();
            for device_id in &row.listed {
                if (recipient, *device_id) == sender {
                    continue;
                }
                stmt.execute(params![
                    account_bytes(recipient),
                    device_id,
                    record.at,
                    from,
                    text
                ])?;
                sizes.push((*device_id, text.len()));
            }
            log_send(conn, sender, recipient, &sizes, &record)?;
            Ok(sizes.len())
        })
    }

    fn fetch_messages(
        &self,
        account: AccountId,
        device_id: u32,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StorageError> {
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, envelope, received_at, sender, body FROM messages
                 WHERE account_id = ?1 AND device_id = ?2 AND delivered_at IS NULL
                 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![
                    account_bytes(account),
                    device_id,
                    i64::try_from(limit).unwrap_or(i64::MAX)
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<Vec<u8>>>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (id, envelope, received_at, sender, body) = row?;
                let sender = sender
                    .map(|a| {
                        let a: [u8; 20] = array(&a)?;
                        let mut account = [0u8; 16];
                        account.copy_from_slice(&a[..16]);
                        Ok::<_, StorageError>((
                            AccountId::from_bytes(account),
                            u32::from_be_bytes([a[16], a[17], a[18], a[19]]),
                        ))
                    })
                    .transpose()?;
                out.push(StoredMessage {
                    id,
                    envelope,
                    received_at,
                    sender,
                    body,
                });
            }
            Ok(out)
        })
    }

    fn acknowledge(
        &self,
        account: AccountId,
        device_id: u32,
        ids: Vec<i64>,
        keep_at: Option<i64>,
    ) -> Result<u64, StorageError> {
        self.run(move |conn| {
            let mut done = 0u64;
            if let Some(at) = keep_at {
                let mut stmt = conn.prepare_cached(
                    "UPDATE messages SET delivered_at = ?4
                     WHERE id = ?1 AND account_id = ?2 AND device_id = ?3
                       AND delivered_at IS NULL",
                )?;
                for id in ids {
                    done +=
                        stmt.execute(params![id, account_bytes(account), device_id, at])? as u64;
                }
            } else {
                let mut stmt = conn.prepare_cached(
                    "DELETE FROM messages WHERE id = ?1 AND account_id = ?2 AND device_id = ?3",
                )?;
                for id in ids {
                    done += stmt.execute(params![id, account_bytes(account), device_id])? as u64;
                }
            }
            Ok(done)
        })
    }

    fn bind_profile(&self, name: &str) -> Result<(), StorageError> {
        let name = name.to_owned();
        self.run(move |conn| {
            let stored: Option<Vec<u8>> = conn
                .query_row("SELECT value FROM meta WHERE key = 'profile'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            match stored {
                None => {
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('profile', ?1)",
                        params![name.as_bytes()],
                    )?;
                    Ok(())
                }
                Some(bytes) if bytes == name.as_bytes() => Ok(()),
                Some(bytes) => Err(StorageError::ProfileMismatch {
                    stored: String::from_utf8_lossy(&bytes).into_owned(),
                }),
            }
        })
    }

    fn keys(&self) -> Result<Option<StoredKeys>, StorageError> {
        self.run(|conn| {
            let get = |key: &str| -> Result<Option<Vec<u8>>, StorageError> {
                Ok(conn
                    .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                        r.get(0)
                    })
                    .optional()?)
            };
            let (Some(root), Some(id), Some(seed), Some(cert)) = (
                get("trust_root")?,
                get("server_key_id")?,
                get("server_key_seed")?,
                get("server_certificate")?,
            ) else {
                return Ok(None);
            };
            Ok(Some(StoredKeys {
                trust_root_seed: get("trust_root_seed")?.map(|s| array(&s)).transpose()?,
                trust_root: array(&root)?,
                server_key_id: u32::from_be_bytes(array(&id)?),
                server_key_seed: array(&seed)?,
                server_certificate: cert,
            }))
        })
    }

    fn store_keys(&self, keys: StoredKeys) -> Result<(), StorageError> {
        self.run(move |conn| {
            let put = |key: &str, value: &[u8]| -> Result<(), StorageError> {
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                    params![key, value],
                )?;
                Ok(())
            };
            if let Some(seed) = keys.trust_root_seed {
                put("trust_root_seed", &seed)?;
            }
            put("trust_root", &keys.trust_root)?;
            put("server_key_id", &keys.server_key_id.to_be_bytes())?;
            put("server_key_seed", &keys.server_key_seed)?;
            put("server_certificate", &keys.server_certificate)
        })
    }
}

/// Writes what a metadata-logging profile keeps of one send from `sender` to `recipient`'s
/// devices (`sizes`: device id and stored length): a `delivery_log` row per device, the
/// `contacts` pair, and under `traceable` the `trace` originator and a `trace_log` row.
fn log_send(
    conn: &Connection,
    sender: (AccountId, u32),
    recipient: AccountId,
    sizes: &[(u32, usize)],
    record: &SendRecord,
) -> Result<(), StorageError> {
    let from = address(sender.0, sender.1).to_vec();
    if record.log {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO delivery_log (sender, recipient, at, size, ip)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (device_id, size) in sizes {
            stmt.execute(params![
                from,
                address(recipient, *device_id).to_vec(),
                record.at,
                i64::try_from(*size).map_err(|_| StorageError::Corrupt)?,
                record.ip,
            ])?;
        }
        if sender.0 != recipient {
            conn.prepare_cached(
                "INSERT OR IGNORE INTO contacts (owner, contact, first_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![
                account_bytes(sender.0),
                account_bytes(recipient),
                record.at
            ])?;
        }
    }
    if let Some(hash) = record.trace {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO trace (hash, originator, first_at) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![hash.as_slice(), from, record.at])?;
        conn.prepare_cached(
            "INSERT INTO trace_log (hash, sender, recipient, at) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            hash.as_slice(),
            from,
            account_bytes(recipient),
            record.at
        ])?;
    }
    Ok(())
}

/// Deletes the token, prekeys and mailbox of every registered device not in `keep`.
fn remove_unlisted(
    conn: &Connection,
    account: AccountId,
    keep: &[u32],
) -> Result<Vec<u32>, StorageError> {
    let mut stmt = conn
        .prepare_cached("SELECT device_id FROM devices WHERE account_id = ?1 ORDER BY device_id")?;
    let registered = stmt
        .query_map(params![account_bytes(account)], |r| r.get::<_, u32>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let removed: Vec<u32> = registered
        .into_iter()
        .filter(|id| !keep.contains(id))
        .collect();
    for id in &removed {
        for table in ["devices", "prekeys", "messages"] {
            conn.execute(
                &format!("DELETE FROM {table} WHERE account_id = ?1 AND device_id = ?2"),
                params![account_bytes(account), id],
            )?;
        }
    }
    // Mail for listed devices that never registered is kept; mail for devices the new list
    // drops (registered or not) is deleted with them.
    conn.execute(
        "DELETE FROM messages WHERE account_id = ?1 AND NOT (device_id IN (SELECT value FROM json_each(?2)))",
        params![
            account_bytes(account),
            serde_json::to_string(keep).map_err(|_| StorageError::Corrupt)?
        ],
    )?;
    Ok(removed)
}

#[cfg(test)]
mod tests;
