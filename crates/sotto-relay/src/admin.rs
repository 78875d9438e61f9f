//! The compelled operator's admin interface: actions on the relay's database file, opened
//! with a connection of its own (WAL lets it write while the relay runs). Never an HTTP
//! route: whoever runs these holds the database file, as an operator served with an order
//! does (docs/compelled.md).
//!
//! The relay cannot sign as a user, so each action is what an operator really can do: write
//! rows. The SQL names only the columns every schema version keeps
//! (`accounts.{account_id, account_key, device_list, list_version, listed_devices}`,
//! `devices.{account_id, device_id, identity, token_hash, last_resort_bundle}`,
//! `prekeys.{id, account_id, device_id, bundle}`, `messages.{id, account_id, device_id,
//! envelope}`, `meta.{key, value}`); a row it inserts takes every other NOT NULL column from
//! the newest value of that column in the table (a plausible time stamp), else a zero of the
//! column's type. Copies of mailbox rows go to tables the admin creates as copies of
//! `messages` (`admin_recorded`, `admin_withheld`).

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use sotto_crypto::SecretBytes;
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, SignedDeviceList};
use sotto_handshake::{
    DeviceIdentity, DeviceIdentityKey, HandshakeConfig, InMemoryPrekeyStore, PrekeyBundle,
    PrekeyPolicy,
};
use sotto_sealed::access::CONTENT_TYPE_MESSAGE;
use sotto_sealed::certificate::ServerKey;
use sotto_sealed::envelope::seal;

/// Why an admin action failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// SQLite refused.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No such account in the database.
    #[error("unknown account")]
    UnknownAccount,
    /// No such registered device.
    #[error("unknown device {0}")]
    UnknownDevice(u32),
    /// The device id is already listed or registered.
    #[error("device {0} exists")]
    DeviceExists(u32),
    /// A stored value (list, bundle, key) does not decode.
    #[error("a stored value is corrupt: {0}")]
    Corrupt(&'static str),
    /// The relay's keys are not in the database (the relay never started on it).
    #[error("the relay's keys are not stored")]
    NoKeys,
    /// Nothing was recorded or withheld for this mailbox.
    #[error("nothing recorded for this mailbox")]
    NothingRecorded,
    /// The operator's handshake or sealing failed.
    #[error("forging failed: {0}")]
    Forge(String),
}

/// What the operator keeps of a ghost device it made: its identity (it can decrypt what
/// is encrypted to it) and its relay token (it can fetch its mailbox).
pub struct Ghost {
    /// The ghost's device id.
    pub device_id: u32,
    /// The ghost's identity (secret: the operator's).
    pub identity: DeviceIdentity,
    /// The private keys of the bundles published for it.
    pub prekeys: InMemoryPrekeyStore,
    /// The token whose hash the ghost's `devices` row holds.
    pub token: SecretBytes<32>,
    /// The list bytes the relay now serves.
    pub list: Vec<u8>,
}

impl core::fmt::Debug for Ghost {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ghost")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// How the ghost is put into the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GhostVariant {
    /// The stored list's bytes with the ghost's entry added and the version raised: the
    /// signature no longer verifies.
    TamperedList,
    /// A new list (the old entries and the ghost) signed by a fresh account key the
    /// operator made: peers see an account-key change.
    OperatorAccountKey,
}

/// The fields of a stored list the relay reads (without verifying: the operator writes
/// lists the signature check would refuse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawList {
    /// The version.
    pub version: u64,
    /// The listed device ids.
    pub devices: Vec<u32>,
}

const LIST_HEADER: usize = 1 + 16 + 32 + 8 + 8 + 2;
const LIST_ENTRY: usize = 4 + 64;
const LIST_SIGNATURE: usize = 64;

/// Reads version and device ids of list bytes (tag, account, key, version, created, count,
/// entries, signature), without checking the signature.
pub fn parse_list(bytes: &[u8]) -> Result<RawList, AdminError> {
    let corrupt = AdminError::Corrupt("device list");
    let header = bytes
        .get(..LIST_HEADER)
        .ok_or(AdminError::Corrupt("device list"))?;
    let version = u64::from_be_bytes(header[49..57].try_into().map_err(|_| corrupt)?);
    let count = usize::from(u16::from_be_bytes([header[65], header[66]]));
    if bytes.len() != LIST_HEADER + count * LIST_ENTRY + LIST_SIGNATURE {
        return Err(AdminError::Corrupt("device list"));
    }
    let devices = (0..count)
        .map(|i| {
            let at = LIST_HEADER + i * LIST_ENTRY;
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        })
        .collect();
    Ok(RawList { version, devices })
}

fn encode_ids(ids: &[u32]) -> Vec<u8> {
    ids.iter().flat_map(|id| id.to_be_bytes()).collect()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A prekey store of the operator, its one-time bundles and its last-resort bundle.
type OperatorBundles = (InMemoryPrekeyStore, Vec<Vec<u8>>, Vec<u8>);

/// A copy of an identity (both copies wipe themselves on drop).
fn copy_identity(identity: &DeviceIdentity) -> DeviceIdentity {
    DeviceIdentity::from_keys(
        identity.signing_key().clone(),
        identity.agreement_key().clone(),
    )
}

/// Bundles of the operator's `identity` with a prekey store holding their private keys:
/// `count` one-time bundles (at most the policy's) and a last-resort bundle.
fn operator_bundles(
    identity: &DeviceIdentity,
    count: usize,
) -> Result<OperatorBundles, AdminError> {
    let store = InMemoryPrekeyStore::new(
        copy_identity(identity),
        PrekeyPolicy::default(),
        now(),
        &mut rand::rng(),
    );
    let mut published = store
        .published()
        .ok_or(AdminError::Forge("no published prekeys".into()))?;
    let mut bundles = Vec::new();
    for _ in 0..count {
        if published.one_time.is_empty() {
            break;
        }
        bundles.push(published.take_bundle().to_bytes());
    }
    published.one_time.clear();
    published.kem_one_time.clear();
    let last_resort = published.take_bundle().to_bytes();
    Ok((store, bundles, last_resort))
}

/// The relay's database, opened for the operator.
pub struct Admin {
    conn: Connection,
}

impl core::fmt::Debug for Admin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Admin").finish_non_exhaustive()
    }
}

impl Admin {
    /// Opens the relay's database file (which must exist: the relay created it).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AdminError> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Ok(Self { conn })
    }

    fn account_exists(&self, account: AccountId) -> Result<(), AdminError> {
        self.conn
            .query_row(
                "SELECT 1 FROM accounts WHERE account_id = ?1",
                params![account.to_bytes().as_slice()],
                |_| Ok(()),
            )
            .optional()?
            .ok_or(AdminError::UnknownAccount)
    }

    /// The list bytes the relay serves for `account` now (to write back later).
    pub fn snapshot_list(&self, account: AccountId) -> Result<Vec<u8>, AdminError> {
        self.conn
            .query_row(
                "SELECT device_list FROM accounts WHERE account_id = ?1",
                params![account.to_bytes().as_slice()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(AdminError::UnknownAccount)
    }

    /// Makes the relay serve `bytes` as `account`'s list (and route by its device ids):
    /// rolls a list back, withholds a revocation, or releases it. The bytes are not checked.
    pub fn write_list(&self, account: AccountId, bytes: &[u8]) -> Result<RawList, AdminError> {
        let raw = parse_list(bytes)?;
        let version = i64::try_from(raw.version).map_err(|_| AdminError::Corrupt("version"))?;
        let n = self.conn.execute(
            "UPDATE accounts SET device_list = ?2, list_version = ?3, listed_devices = ?4
             WHERE account_id = ?1",
            params![
                account.to_bytes().as_slice(),
                bytes,
                version,
                encode_ids(&raw.devices)
            ],
        )?;
        if n == 0 {
            return Err(AdminError::UnknownAccount);
        }
        Ok(raw)
    }

    /// Inserts one row into `table` with `values`; every other NOT NULL column without a
    /// default gets the table's newest value of that column, else a zero of its type.
    fn insert_row(&self, table: &str, values: &[(&str, Value)]) -> Result<(), AdminError> {
        let mut columns: Vec<String> = values.iter().map(|(c, _)| (*c).to_owned()).collect();
        let mut row: Vec<Value> = values.iter().map(|(_, v)| v.clone()).collect();
        let info: Vec<(String, String, bool, bool)> = {
            let mut stmt = self.conn.prepare(&format!("PRAGMA table_info({table})"))?;
            stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Option<String>>(4)?.is_some(),
                ))
            })?
            .collect::<Result<_, _>>()?
        };
        for (name, kind, not_null, has_default) in info {
            if !not_null || has_default || columns.contains(&name) {
                continue;
            }
            let newest: Option<Value> = self
                .conn
                .query_row(
                    &format!(
                        "SELECT \"{name}\" FROM {table} WHERE \"{name}\" IS NOT NULL
                         ORDER BY rowid DESC LIMIT 1"
                    ),
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            let value = newest.unwrap_or_else(|| match kind.to_ascii_uppercase().as_str() {
                "BLOB" => Value::Blob(Vec::new()),
                "TEXT" => Value::Text(String::new()),
                _ => Value::Integer(0),
            });
            columns.push(name);
            row.push(value);
        }
        let names = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let marks = (1..=row.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.conn.execute(
            &format!("INSERT INTO {table} ({names}) VALUES ({marks})"),
            rusqlite::params_from_iter(row),
        )?;
        Ok(())
    }

    /// Injects a ghost device into `account`'s list (see [`GhostVariant`]), registers it
    /// (a `devices` row with a token the operator holds) and publishes bundles of its
    /// identity, so that a sender that accepted the list would encrypt to it.
    pub fn inject_ghost(
        &self,
        account: AccountId,
        variant: GhostVariant,
    ) -> Result<Ghost, AdminError> {
        let old = self.snapshot_list(account)?;
        let raw = parse_list(&old)?;
        let device_id = raw
            .devices
            .iter()
            .max()
            .copied()
            .unwrap_or(0)
            .saturating_add(1);
        let version = raw.version.saturating_add(1);
        let identity = DeviceIdentity::generate(&mut rand::rng());
        let list = match variant {
            GhostVariant::TamperedList => {
                let body_end = old.len() - LIST_SIGNATURE;
                let mut bytes = old[..body_end].to_vec();
                bytes[49..57].copy_from_slice(&version.to_be_bytes());
                let count = u16::try_from(raw.devices.len() + 1)
                    .map_err(|_| AdminError::Corrupt("device count"))?;
                bytes[65..67].copy_from_slice(&count.to_be_bytes());
                bytes.extend_from_slice(&device_id.to_be_bytes());
                bytes.extend_from_slice(&identity.public().to_bytes());
                bytes.extend_from_slice(&old[body_end..]);
                bytes
            }
            GhostVariant::OperatorAccountKey => {
                let listed = SignedDeviceList::from_bytes(&old)
                    .map_err(|_| AdminError::Corrupt("stored list"))?;
                let mut entries = listed.list().devices().to_vec();
                entries.push(DeviceEntry::new(device_id, identity.public()));
                let key = AccountKey::generate(&mut rand::rng());
                DeviceList::new(account, version, now(), entries)
                    .map_err(|_| AdminError::Corrupt("device list"))?
                    .sign(&key)
                    .as_bytes()
                    .to_vec()
            }
        };
        self.write_list(account, &list)?;
        let token = SecretBytes::<32>::random(&mut rand::rng());
        let token_hash = crate::auth::token_hash(token.expose());
        let (prekeys, bundles, last_resort) = operator_bundles(&identity, 4)?;
        self.insert_row(
            "devices",
            &[
                ("account_id", Value::Blob(account.to_bytes().to_vec())),
                ("device_id", Value::Integer(i64::from(device_id))),
                (
                    "identity",
                    Value::Blob(identity.public().to_bytes().to_vec()),
                ),
                ("token_hash", Value::Blob(token_hash.to_vec())),
                ("last_resort_bundle", Value::Blob(last_resort)),
            ],
        )?;
        for bundle in bundles {
            self.conn.execute(
                "INSERT INTO prekeys (account_id, device_id, bundle) VALUES (?1, ?2, ?3)",
                params![account.to_bytes().as_slice(), device_id, bundle],
            )?;
        }
        Ok(Ghost {
            device_id,
            identity,
            prekeys,
            token,
            list,
        })
    }

    /// Replaces every bundle of `device_id` (its one-time bundles and its last-resort bundle)
    /// by bundles of an identity the operator made, under the same device id. Returns the
    /// prekey store that answers them (it holds that identity).
    pub fn swap_bundle_identity(
        &self,
        account: AccountId,
        device_id: u32,
    ) -> Result<InMemoryPrekeyStore, AdminError> {
        self.account_exists(account)?;
        let held: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM prekeys WHERE account_id = ?1 AND device_id = ?2",
            params![account.to_bytes().as_slice(), device_id],
            |r| r.get(0),
        )?;
        let identity = DeviceIdentity::generate(&mut rand::rng());
        let (store, bundles, last_resort) =
            operator_bundles(&identity, usize::try_from(held).unwrap_or(0))?;
        let n = self.conn.execute(
            "UPDATE devices SET last_resort_bundle = ?3 WHERE account_id = ?1 AND device_id = ?2",
            params![account.to_bytes().as_slice(), device_id, last_resort],
        )?;
        if n == 0 {
            return Err(AdminError::UnknownDevice(device_id));
        }
        let ids: Vec<i64> = {
            let mut stmt = self.conn.prepare(
                "SELECT id FROM prekeys WHERE account_id = ?1 AND device_id = ?2 ORDER BY id",
            )?;
            stmt.query_map(params![account.to_bytes().as_slice(), device_id], |r| {
                r.get(0)
            })?
            .collect::<Result<_, _>>()?
        };
        for (id, bundle) in ids.iter().zip(bundles) {
            self.conn.execute(
                "UPDATE prekeys SET bundle = ?2 WHERE id = ?1",
                params![id, bundle],
            )?;
        }
        Ok(store)
    }

    fn copy_table(&self, table: &str) -> Result<(), AdminError> {
        self.conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM messages WHERE 0"
        ))?;
        Ok(())
    }

    /// Copies the messages waiting in a device's mailbox into `admin_recorded`. Returns how
    /// many.
    pub fn record_mailbox(&self, account: AccountId, device_id: u32) -> Result<usize, AdminError> {
        self.copy_table("admin_recorded")?;
        Ok(self.conn.execute(
            "INSERT INTO admin_recorded SELECT * FROM messages
             WHERE account_id = ?1 AND device_id = ?2",
            params![account.to_bytes().as_slice(), device_id],
        )?)
    }

    /// Moves rows of `from` into `to` (both copies of `messages`' columns), the ids either
    /// kept or left for `to` to assign (`new_ids`).
    fn move_rows(
        &self,
        from: &str,
        to: &str,
        account: AccountId,
        device_id: u32,
        new_ids: bool,
        delete: bool,
    ) -> Result<usize, AdminError> {
        let tx = self.conn.unchecked_transaction()?;
        tx.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.admin_move;
             CREATE TEMP TABLE admin_move AS SELECT * FROM {from} WHERE 0;"
        ))?;
        tx.execute(
            &format!(
                "INSERT INTO temp.admin_move SELECT * FROM {from}
                 WHERE account_id = ?1 AND device_id = ?2 ORDER BY id"
            ),
            params![account.to_bytes().as_slice(), device_id],
        )?;
        if new_ids {
            tx.execute_batch("UPDATE temp.admin_move SET id = NULL")?;
        }
        let n = tx.execute(
            &format!("INSERT INTO {to} SELECT * FROM temp.admin_move ORDER BY rowid"),
            [],
        )?;
        if delete {
            tx.execute(
                &format!("DELETE FROM {from} WHERE account_id = ?1 AND device_id = ?2"),
                params![account.to_bytes().as_slice(), device_id],
            )?;
        }
        tx.execute_batch("DROP TABLE temp.admin_move")?;
        tx.commit()?;
        Ok(n)
    }

    /// Inserts the recorded messages of a device again, as new rows (new ids): a replay.
    /// Returns how many.
    pub fn replay_recorded(&self, account: AccountId, device_id: u32) -> Result<usize, AdminError> {
        self.copy_table("admin_recorded")?;
        let n = self.move_rows(
            "admin_recorded",
            "messages",
            account,
            device_id,
            true,
            false,
        )?;
        if n == 0 {
            return Err(AdminError::NothingRecorded);
        }
        Ok(n)
    }

    /// Moves the messages waiting in a device's mailbox into `admin_withheld`: the device
    /// does not get them. Returns how many.
    pub fn withhold(&self, account: AccountId, device_id: u32) -> Result<usize, AdminError> {
        self.copy_table("admin_withheld")?;
        self.move_rows(
            "messages",
            "admin_withheld",
            account,
            device_id,
            false,
            true,
        )
    }

    /// Moves the withheld messages of a device back into its mailbox (their ids kept, so
    /// they come before anything that arrived since). Returns how many.
    pub fn release(&self, account: AccountId, device_id: u32) -> Result<usize, AdminError> {
        self.copy_table("admin_withheld")?;
        let n = self.move_rows(
            "admin_withheld",
            "messages",
            account,
            device_id,
            false,
            true,
        )?;
        if n == 0 {
            return Err(AdminError::NothingRecorded);
        }
        Ok(n)
    }

    /// The envelopes waiting for a device (what the operator holds of them).
    pub fn mailbox(&self, account: AccountId, device_id: u32) -> Result<Vec<Vec<u8>>, AdminError> {
        let mut stmt = self.conn.prepare(
            "SELECT envelope FROM messages WHERE account_id = ?1 AND device_id = ?2 ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![account.to_bytes().as_slice(), device_id], |r| {
                r.get(0)
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The relay's server key, from the `meta` table.
    fn server_key(&self) -> Result<ServerKey, AdminError> {
        let get = |key: &str| -> Result<Vec<u8>, AdminError> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or(AdminError::NoKeys)
        };
        let id: [u8; 4] = get("server_key_id")?
            .try_into()
            .map_err(|_| AdminError::Corrupt("server key id"))?;
        let seed = SecretBytes::<32>::from_slice(&get("server_key_seed")?)
            .ok_or(AdminError::Corrupt("server key seed"))?;
        Ok(ServerKey::from_seed(u32::from_be_bytes(id), seed))
    }

    /// Issues a sender certificate for `claimed`'s device `device_id` (which its list does
    /// not hold) with an identity the operator made, starts a session with the victim's
    /// device from its last-resort bundle, seals the initial message under that certificate
    /// and puts it in the victim device's mailbox. Returns the forged device id.
    pub fn forge_sender(
        &self,
        claimed: AccountId,
        victim: AccountId,
        victim_device: u32,
        text: &str,
    ) -> Result<u32, AdminError> {
        let listed = parse_list(&self.snapshot_list(claimed)?)?;
        let device_id = listed
            .devices
            .iter()
            .max()
            .copied()
            .unwrap_or(0)
            .saturating_add(7);
        if listed.devices.contains(&device_id) {
            return Err(AdminError::DeviceExists(device_id));
        }
        let bundle: Vec<u8> = self
            .conn
            .query_row(
                "SELECT last_resort_bundle FROM devices WHERE account_id = ?1 AND device_id = ?2",
                params![victim.to_bytes().as_slice(), victim_device],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(AdminError::UnknownDevice(victim_device))?;
        let bundle = PrekeyBundle::from_bytes(&bundle)
            .map_err(|_| AdminError::Corrupt("bundle"))?
            .verify()
            .map_err(|_| AdminError::Corrupt("bundle signature"))?;
        let victim_key: DeviceIdentityKey = *bundle.bundle().identity();
        let identity = DeviceIdentity::generate(&mut rand::rng());
        let mut rng = rand::rng();
        let initiation = sotto_handshake::initiate(
            &identity,
            &bundle,
            &victim_key,
            text.as_bytes(),
            &HandshakeConfig::default(),
            &mut rng,
        )
        .map_err(|e| AdminError::Forge(e.to_string()))?;
        let certificate = self.server_key()?.issue(
            claimed,
            device_id,
            &identity.public(),
            now().saturating_add(3600),
        );
        let envelope = seal(
            &identity,
            &certificate,
            &victim_key,
            CONTENT_TYPE_MESSAGE,
            &initiation.message.to_bytes(),
            &mut rng,
        )
        .map_err(|e| AdminError::Forge(e.to_string()))?;
        self.insert_row(
            "messages",
            &[
                ("account_id", Value::Blob(victim.to_bytes().to_vec())),
                ("device_id", Value::Integer(i64::from(victim_device))),
                ("envelope", Value::Blob(envelope)),
            ],
        )?;
        Ok(device_id)
    }
}
