//! The client store: where a device keeps its identity, prekeys, sessions, device lists and
//! trust, encrypted at rest (protocol.md 8.6).
//!
//! Two layers:
//!
//! - a [`RecordBackend`] keeps opaque records: `(kind, index) -> value`, with reads, a scan of
//!   one kind and an atomic batch of writes. It never sees a key, an account id or a device
//!   id: [`MemoryBackend`] here, a SQLite one in `sotto-store-sqlite`, a server database
//!   later;
//! - [`StoreKeys`] turns a record's plain key (what it is about, such as a peer's account id
//!   and device id) into its **index**, a keyed hash, and its plaintext into its **value**, a
//!   pickle under the store key bound to the kind and the index. A database file seized
//!   without the store key shows neither keys nor contacts, only how many records of each
//!   kind there are and their sizes.
//!
//! ```text
//! index_key || value_key || digest_key = HKDF-SHA256(salt = none, ikm = store key,
//!                                                    info = STORE_KEYS), 96 B
//! index = HMAC-SHA256(index_key, u8(kind) || plain key)
//! value = pickle(tag 0x1D, value_key, context = u8(kind) || index, plaintext)   (section 4)
//! share = HMAC-SHA256(digest_key, u8(kind) || index || value)
//! digest (in the device record) = XOR of the shares of every other record
//! ```

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use sotto_crypto::kdf::{HmacSha256, hkdf_sha256};
use sotto_crypto::labels::STORE_KEYS;
use sotto_crypto::pickle::{self as envelope, PickleKey};
use sotto_crypto::{CryptoRng, SecretBytes, wire};
pub use sotto_handshake::{StoreError, StoreErrorKind};

/// Length of a record index.
pub const INDEX_LEN: usize = 32;
/// The longest record value a backend is asked to return (a prekey store with every
/// one-time key the cap allows, plus the envelopes); anything longer is corrupt.
pub const MAX_RECORD_LEN: usize = sotto_handshake::MAX_PREKEY_STORE_PICKLE_LEN + 4096;

/// What a record holds. The byte is part of the index and of the value's context, so a record
/// does not open as another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
#[non_exhaustive]
pub enum RecordKind {
    /// This device: account id, device id, identity keys, the account key if it holds it.
    /// One record, plain key empty.
    Device = 1,
    /// This device's prekeys (a prekey-store pickle). One record, plain key empty.
    Prekeys = 2,
    /// One peer account (or the own account): pinned account key, verified mark, newest
    /// device list, a pending key change. Plain key: the account id.
    Account = 3,
    /// The sessions with one device of an account. Plain key: account id || u32be(device id).
    Sessions = 4,
}

impl RecordKind {
    /// Every kind, by byte.
    pub const ALL: [Self; 4] = [Self::Device, Self::Prekeys, Self::Account, Self::Sessions];

    /// The kind's byte.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        self as u8
    }

    /// The kind of a byte.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Device),
            2 => Some(Self::Prekeys),
            3 => Some(Self::Account),
            4 => Some(Self::Sessions),
            _ => None,
        }
    }
}

/// A record's index: a keyed hash of its kind and plain key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordIndex([u8; INDEX_LEN]);

impl RecordIndex {
    /// Wraps 32 bytes (a backend reading its rows).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; INDEX_LEN]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; INDEX_LEN] {
        &self.0
    }
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Store `value` at `(kind, index)`, replacing what is there.
    Put {
        /// The kind.
        kind: RecordKind,
        /// The index.
        index: RecordIndex,
        /// The encrypted value.
        value: Vec<u8>,
    },
    /// Remove the record at `(kind, index)` if there is one.
    Delete {
        /// The kind.
        kind: RecordKind,
        /// The index.
        index: RecordIndex,
    },
}

/// Where encrypted records live. Implementations see only kinds, indexes and encrypted
/// values.
///
/// - Reads change nothing.
/// - [`RecordBackend::apply`] is atomic: after it returns, and after a crash at any point
///   during it, the backend holds either every write of the batch or none of them.
/// - `Send`, so a device can move to another thread.
pub trait RecordBackend: Send {
    /// The value at `(kind, index)`, if any.
    fn get(&self, kind: RecordKind, index: &RecordIndex) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every record of `kind`, in index order.
    fn scan(&self, kind: RecordKind) -> Result<Vec<(RecordIndex, Vec<u8>)>, StoreError>;
    /// Applies every write of `batch`, in order, as one atomic step.
    fn apply(&mut self, batch: &[Write]) -> Result<(), StoreError>;
}

/// A backend in memory, for tests and for clients that keep nothing on disk. `Clone` copies
/// the encrypted records (a test's snapshot), never a key.
#[derive(Debug, Default, Clone)]
pub struct MemoryBackend {
    records: BTreeMap<(RecordKind, RecordIndex), Vec<u8>>,
}

impl MemoryBackend {
    /// An empty backend.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many records it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it holds no record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every value it holds, for tests that scan what a store writes.
    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        self.records.values().map(Vec::as_slice)
    }
}

impl RecordBackend for MemoryBackend {
    fn get(&self, kind: RecordKind, index: &RecordIndex) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.records.get(&(kind, *index)).cloned())
    }

    fn scan(&self, kind: RecordKind) -> Result<Vec<(RecordIndex, Vec<u8>)>, StoreError> {
        Ok(self
            .records
            .range((kind, RecordIndex([0; INDEX_LEN]))..=(kind, RecordIndex([0xff; INDEX_LEN])))
            .map(|((_, index), value)| (*index, value.clone()))
            .collect())
    }

    fn apply(&mut self, batch: &[Write]) -> Result<(), StoreError> {
        // Nothing here can fail half-way: the batch is applied whole.
        for write in batch {
            match write {
                Write::Put { kind, index, value } => {
                    self.records.insert((*kind, *index), value.clone());
                }
                Write::Delete { kind, index } => {
                    self.records.remove(&(*kind, *index));
                }
            }
        }
        Ok(())
    }
}

impl<B: RecordBackend + ?Sized> RecordBackend for Box<B> {
    fn get(&self, kind: RecordKind, index: &RecordIndex) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(kind, index)
    }

    fn scan(&self, kind: RecordKind) -> Result<Vec<(RecordIndex, Vec<u8>)>, StoreError> {
        (**self).scan(kind)
    }

    fn apply(&mut self, batch: &[Write]) -> Result<(), StoreError> {
        (**self).apply(batch)
    }
}

/// A record did not open: not a value of this kind at this index under this key, or damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("store record does not open: {0}")]
pub struct RecordError(envelope::EnvelopeError);

/// The two keys a store key gives: one for indexes, one for values. Wiped on drop; not
/// `Clone`.
pub struct StoreKeys {
    index: HmacSha256,
    value: PickleKey,
    digest: HmacSha256,
}

impl core::fmt::Debug for StoreKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StoreKeys(..)")
    }
}

impl StoreKeys {
    /// Derives both keys from the 32-byte store key (kept by the platform's key store, never
    /// in the database).
    #[must_use]
    pub fn derive(store_key: &SecretBytes<32>) -> Self {
        let okm = hkdf_sha256::<96>(None, store_key.expose(), STORE_KEYS);
        let mut value = [0u8; 32];
        value.copy_from_slice(&okm.expose()[32..64]);
        let keys = Self {
            index: HmacSha256::new(&okm.expose()[..32]),
            value: PickleKey::new(value),
            digest: HmacSha256::new(&okm.expose()[64..]),
        };
        zeroize::Zeroize::zeroize(&mut value);
        keys
    }

    /// The index of the record of `kind` about `plain_key`.
    #[must_use]
    pub fn index(&self, kind: RecordKind, plain_key: &[u8]) -> RecordIndex {
        let mut input = Zeroizing::new(Vec::with_capacity(1 + plain_key.len()));
        input.push(kind.to_byte());
        input.extend_from_slice(plain_key);
        RecordIndex(*self.index.mac(&input).expose())
    }

    /// A record's share of the store digest: `HMAC-SHA256(DK, u8(kind) || index || value)`.
    /// The device record holds the XOR of every other record's share, so a record deleted,
    /// added, or put back from an older copy of the store is detected when the store opens.
    #[must_use]
    pub fn digest_share(&self, kind: RecordKind, index: &RecordIndex, value: &[u8]) -> [u8; 32] {
        let mut input = Vec::with_capacity(1 + INDEX_LEN + value.len());
        input.push(kind.to_byte());
        input.extend_from_slice(&index.0);
        input.extend_from_slice(value);
        *self.digest.mac(&input).expose()
    }

    /// The pickle key of values: a record whose plaintext holds objects with their own pickle
    /// format (sessions, identity, prekeys) seals them under it too, with
    /// [`StoreKeys::context`] extended by a slot byte as their context.
    #[must_use]
    pub const fn value_key(&self) -> &PickleKey {
        &self.value
    }

    /// The context a value of `kind` at `index` is bound to: `u8(kind) || index`.
    #[must_use]
    pub fn context(kind: RecordKind, index: &RecordIndex) -> [u8; 1 + INDEX_LEN] {
        let mut context = [0u8; 1 + INDEX_LEN];
        context[0] = kind.to_byte();
        context[1..].copy_from_slice(&index.0);
        context
    }

    /// Encrypts `plaintext` as the value of the record of `kind` at `index`.
    pub fn seal<R: CryptoRng + ?Sized>(
        &self,
        kind: RecordKind,
        index: &RecordIndex,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, RecordError> {
        let context = Self::context(kind, index);
        envelope::seal(wire::STORE_RECORD, &self.value, &context, plaintext, rng)
            .map_err(RecordError)
    }

    /// Opens the value of the record of `kind` at `index`.
    pub fn open(
        &self,
        kind: RecordKind,
        index: &RecordIndex,
        value: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, RecordError> {
        let context = Self::context(kind, index);
        envelope::open(
            wire::STORE_RECORD,
            &self.value,
            &context,
            value,
            MAX_RECORD_LEN,
        )
        .map_err(RecordError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> StoreKeys {
        StoreKeys::derive(&SecretBytes::new([byte; 32]))
    }

    #[test]
    fn a_value_opens_only_as_its_kind_at_its_index_under_its_key() {
        let mut rng = rand::rng();
        let k = keys(1);
        let a = k.index(RecordKind::Account, b"alice");
        let b = k.index(RecordKind::Account, b"bob");
        let value = k.seal(RecordKind::Account, &a, b"state", &mut rng).unwrap();
        assert_eq!(
            &*k.open(RecordKind::Account, &a, &value).expect("opens"),
            b"state"
        );
        assert!(k.open(RecordKind::Account, &b, &value).is_err());
        assert!(k.open(RecordKind::Sessions, &a, &value).is_err());
        assert!(keys(2).open(RecordKind::Account, &a, &value).is_err());
        assert_eq!(value.first(), Some(&wire::STORE_RECORD));
    }

    #[test]
    fn indexes_depend_on_kind_key_and_plain_key() {
        let k = keys(1);
        let i = k.index(RecordKind::Account, b"alice");
        assert_eq!(i, k.index(RecordKind::Account, b"alice"));
        assert_ne!(i, k.index(RecordKind::Sessions, b"alice"));
        assert_ne!(i, k.index(RecordKind::Account, b"alicf"));
        assert_ne!(i, keys(2).index(RecordKind::Account, b"alice"));
        assert!(!i.as_bytes().windows(5).any(|w| w == b"alice"));
    }

    #[test]
    fn memory_backend_applies_batches_and_scans_one_kind() {
        let k = keys(1);
        let mut backend = MemoryBackend::new();
        let a = k.index(RecordKind::Account, b"a");
        let s = k.index(RecordKind::Sessions, b"s");
        backend
            .apply(&[
                Write::Put {
                    kind: RecordKind::Account,
                    index: a,
                    value: vec![1],
                },
                Write::Put {
                    kind: RecordKind::Sessions,
                    index: s,
                    value: vec![2],
                },
            ])
            .expect("applies");
        assert_eq!(
            backend.scan(RecordKind::Account).expect("scan"),
            vec![(a, vec![1])]
        );
        backend
            .apply(&[Write::Delete {
                kind: RecordKind::Account,
                index: a,
            }])
            .expect("applies");
        assert_eq!(backend.get(RecordKind::Account, &a).expect("get"), None);
        assert_eq!(
            backend.get(RecordKind::Sessions, &s).expect("get"),
            Some(vec![2])
        );
    }
}
