//! Where a device keeps its prekeys: the [`PrekeyStore`] trait and an in-memory reference
//! implementation with rotation and replenishment.
//!
//! ## Policy (the defaults of [`PrekeyPolicy`])
//!
//! - **Signed prekey**: rotated by the caller (typically weekly) with
//!   [`InMemoryPrekeyStore::rotate_signed_prekey`]. The previous one stays usable for a grace
//!   period (default 7 days) so that initial messages built from an older bundle still
//!   arrive; [`InMemoryPrekeyStore::prune`] deletes it, and the record of initial messages
//!   seen under it, afterwards.
//! - **One-time prekeys** (X25519): the device keeps up to 100 on the relay. When the relay
//!   reports fewer than 25 left, the device calls [`InMemoryPrekeyStore::replenish`] and
//!   uploads the new ones. When none are left, bundles carry none and X3DH runs without DH4.
//! - **ML-KEM prekeys**: a signed last-resort key that is never deleted by use but is rotated
//!   with the signed prekey (same grace period), plus up to 20 one-time keys replenished the
//!   same way. A bundle carries a one-time ML-KEM prekey while
//!   any are left and falls back to the last-resort one.
//! - **Replays**: every accepted (signed prekey id, [`ReplayTag`]) pair is recorded until its
//!   signed prekey is pruned, so a replayed initial message is refused (HS-09) even when it
//!   used no one-time prekey. The tag is derived from the DH outputs of the ephemeral key,
//!   not from its bytes, so a replay whose ephemeral key is replaced by an X25519 twin
//!   (P + T, T of small order: same DH outputs, different canonical bytes) is refused too.

use std::collections::{BTreeMap, BTreeSet};

use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::kem::{self, DecapsulationKeyPair};
use sotto_crypto::labels;
use sotto_crypto::x25519::{self, KeyPair, SharedSecret};
use sotto_crypto::{CryptoRng, SecretBytes};

use crate::bundle::PrekeyBundle;
use crate::error::{CommitError, StoreError};
use crate::identity::{DeviceIdentity, DeviceIdentityKey};
use crate::prekeys::{
    KemPrekey, KemPrekeyKind, KemPrekeyPair, OneTimePrekey, OneTimePrekeyPair, PostQuantum,
    SignedPrekey, SignedPrekeyPair,
};

/// What the replay record keys on: HKDF-SHA256 with no salt, ikm = DH2 || DH3 (32 bytes
/// each: DH(IK_b, EK), DH(SPK_b, EK)) and info = [`labels::HANDSHAKE_REPLAY_TAG`], 32 bytes.
///
/// Every X25519 twin of an ephemeral key (the same point plus a point of small order) gives
/// the same DH outputs under clamped scalars, so it gives the same tag: the record identifies
/// the ephemeral key by what it does, not by its bytes. The tag is a one-way function of
/// secrets under its own label; it reveals nothing useful about the session secret and is
/// treated as a non-secret identifier (compared in variable time, printed by `Debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplayTag([u8; 32]);

impl ReplayTag {
    /// The tag of an initial message from its DH outputs DH2 = DH(IK_b, EK) and
    /// DH3 = DH(SPK_b, EK).
    pub fn derive(dh2: &SharedSecret, dh3: &SharedSecret) -> Self {
        let mut ikm = [0u8; 64];
        ikm[..32].copy_from_slice(dh2.expose());
        ikm[32..].copy_from_slice(dh3.expose());
        let tag = hkdf_sha256::<32>(None, &ikm, labels::HANDSHAKE_REPLAY_TAG);
        zeroize::Zeroize::zeroize(&mut ikm);
        Self(*tag.expose())
    }

    /// A tag from its 32 bytes (for stores that persist the record).
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The tag's 32 bytes.
    pub const fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

/// The prekeys an initial message used; [`PrekeyStore::commit`] deletes the one-time ones and
/// records the replay tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsedPrekeys {
    /// The signed prekey id.
    pub signed_prekey_id: u32,
    /// The tag of the initiator's ephemeral key, recorded against replays.
    pub replay_tag: ReplayTag,
    /// The one-time prekey, if any.
    pub one_time_prekey_id: Option<u32>,
    /// The ML-KEM prekey, if any.
    pub kem_prekey: Option<(KemPrekeyKind, u32)>,
}

/// What the responder's side of session setup needs from storage, shaped so that a database
/// can implement it.
///
/// - **Fallible**: every method returns `Result<_, StoreError>`; a lookup answers
///   `Ok(None)` for an id the store does not hold and `Err` only when the store could not
///   answer (I/O, a damaged record). [`crate::respond`] passes the error on as
///   [`crate::HandshakeError::Store`], with its cause.
/// - **Owned values**: lookups return the keys themselves (a database decodes them from its
///   rows), so nothing has to stay cached behind a borrow. The values zeroize on drop and
///   are not `Clone`:
///
///   ```compile_fail,E0599
///   fn copy(pair: &sotto_handshake::SignedPrekeyPair) -> sotto_handshake::SignedPrekeyPair {
///       sotto_handshake::SignedPrekeyPair::clone(pair)
///   }
///   ```
///
///   ```compile_fail,E0599
///   fn copy(pair: &sotto_handshake::KemPrekeyPair) -> sotto_handshake::KemPrekeyPair {
///       sotto_handshake::KemPrekeyPair::clone(pair)
///   }
///   ```
/// - **`Send`**: a store can move to another thread (an async executor's worker).
/// - **One atomic change**: lookups change nothing; [`PrekeyStore::commit`] is the only
///   change, called once after the first message decrypted. It deletes the one-time prekeys
///   and records the replay tag as one transaction, and itself refuses (changing nothing) if a
///   concurrent call won the race, so correctness does not rest on the earlier
///   [`PrekeyStore::has_seen`] check.
pub trait PrekeyStore: Send {
    /// The device's identity keys.
    fn identity(&self) -> Result<DeviceIdentity, StoreError>;
    /// A signed prekey that may still be used (current, or previous within its grace period).
    fn signed_prekey(&self, id: u32) -> Result<Option<SignedPrekeyPair>, StoreError>;
    /// An unused one-time prekey.
    fn one_time_prekey(&self, id: u32) -> Result<Option<OneTimePrekeyPair>, StoreError>;
    /// Decapsulates `ciphertext` with the ML-KEM prekey of `kind` (one-time ones only while
    /// unused); `Ok(None)` if that prekey is not held.
    ///
    /// The store does the private-key operation instead of handing the decapsulation key out:
    /// the key never leaves it, and a store that keeps keys in memory need not rebuild a
    /// copy of the expanded key (an ML-KEM key generation) for each initial message.
    fn kem_decapsulate(
        &self,
        kind: KemPrekeyKind,
        id: u32,
        ciphertext: &kem::Ciphertext,
    ) -> Result<Option<kem::SharedSecret>, StoreError>;
    /// Whether an initial message with this replay tag under this signed prekey was already
    /// accepted. An early refusal only (it saves the decapsulation and the decryption);
    /// [`PrekeyStore::commit`] checks again.
    fn has_seen(&self, signed_prekey_id: u32, replay_tag: &ReplayTag) -> Result<bool, StoreError>;
    /// Records that `used` was accepted, atomically (a database: one transaction):
    ///
    /// 1. refuse with [`CommitError::Replayed`] if `used.replay_tag` is already recorded under
    ///    `used.signed_prekey_id`;
    /// 2. refuse with [`CommitError::SignedPrekeyGone`], [`CommitError::OneTimePrekeyGone`] or
    ///    [`CommitError::KemPrekeyGone`] if the signed prekey, the one-time prekey or the
    ///    ML-KEM prekey (one-time: unused; last resort: still held) is no longer held;
    /// 3. delete the one-time prekey and the one-time ML-KEM prekey, and record the tag.
    ///
    /// On any error nothing is changed.
    fn commit(&mut self, used: &UsedPrekeys) -> Result<(), CommitError>;
}

/// The most one-time prekeys of each kind (X25519, ML-KEM) a store keeps: a policy that asks
/// for more gets this many, and a store pickle holding more is refused (PKL-04), which bounds
/// the cost of restoring one (protocol.md 4.2).
pub const MAX_ONE_TIME_PREKEYS: u32 = 10_000;

/// Prekey counts and lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrekeyPolicy {
    /// Whether the device publishes ML-KEM prekeys (PQXDH).
    pub post_quantum: PostQuantum,
    /// One-time X25519 prekeys to keep published.
    pub one_time_prekeys: u32,
    /// Replenish when fewer than this many are left on the relay.
    pub replenish_below: u32,
    /// One-time ML-KEM prekeys to keep published; ignored (as if zero) when `post_quantum`
    /// is [`PostQuantum::Absent`].
    pub kem_one_time_prekeys: u32,
    /// Seconds a replaced signed prekey stays usable.
    pub signed_prekey_grace: u64,
}

impl Default for PrekeyPolicy {
    fn default() -> Self {
        Self {
            post_quantum: PostQuantum::Offered,
            one_time_prekeys: 100,
            replenish_below: 25,
            kem_one_time_prekeys: 20,
            signed_prekey_grace: 7 * 24 * 3600,
        }
    }
}

/// Everything a device publishes to the relay. The relay hands out bundles with
/// [`PublishedPrekeys::take_bundle`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPrekeys {
    /// The device's identity.
    pub identity: DeviceIdentityKey,
    /// The current signed prekey.
    pub signed_prekey: SignedPrekey,
    /// Unused one-time prekeys.
    pub one_time: Vec<OneTimePrekey>,
    /// The last-resort ML-KEM prekey.
    pub kem_last_resort: Option<KemPrekey>,
    /// Unused one-time ML-KEM prekeys.
    pub kem_one_time: Vec<KemPrekey>,
}

impl PublishedPrekeys {
    /// A bundle as a relay hands it out: takes one one-time prekey and one one-time ML-KEM
    /// prekey off the list, falling back to the last-resort ML-KEM prekey.
    pub fn take_bundle(&mut self) -> PrekeyBundle {
        let one_time_prekey = if self.one_time.is_empty() {
            None
        } else {
            Some(self.one_time.remove(0))
        };
        let kem_prekey = if self.kem_one_time.is_empty() {
            self.kem_last_resort.clone()
        } else {
            Some(self.kem_one_time.remove(0))
        };
        PrekeyBundle {
            identity: self.identity,
            signed_prekey: self.signed_prekey,
            one_time_prekey,
            kem_prekey,
        }
    }
}

/// The reference [`PrekeyStore`], in memory. Its `Debug` output shows public parts and ids
/// only.
///
/// Not `Clone`: a copy would hand out each one-time prekey a second time and forget the
/// replay record of the other copy.
///
/// ```compile_fail,E0599
/// fn copy(store: &sotto_handshake::InMemoryPrekeyStore) -> sotto_handshake::InMemoryPrekeyStore {
///     store.clone()
/// }
/// ```
pub struct InMemoryPrekeyStore {
    pub(crate) identity: DeviceIdentity,
    pub(crate) policy: PrekeyPolicy,
    /// Current signed prekey last; earlier ones with the time they stop being accepted.
    ///
    /// Every private key is boxed: the containers move and copy pointers only (on insert,
    /// remove, retain, growth and node splits), and a key's one heap copy wipes itself when
    /// it is dropped, so a deleted prekey leaves no copy in memory.
    pub(crate) signed: Vec<(Box<SignedPrekeyPair>, Option<u64>)>,
    pub(crate) one_time: BTreeMap<u32, Box<KeyPair>>,
    /// Current last-resort ML-KEM prekey last; replaced ones with the time they stop being
    /// accepted (rotated together with the signed prekey).
    pub(crate) kem_last_resort: Vec<(Box<KemPrekeyPair>, Option<u64>)>,
    pub(crate) kem_one_time: BTreeMap<u32, Box<KemPrekeyPair>>,
    pub(crate) seen: BTreeSet<(u32, ReplayTag)>,
    /// The next prekey id (never 0: after `u32::MAX` it wraps to 1).
    pub(crate) next_id: u32,
}

impl InMemoryPrekeyStore {
    /// A store with a fresh signed prekey (created at `now`), a last-resort ML-KEM prekey if
    /// the policy publishes them, and the one-time prekeys of the policy.
    ///
    /// Draws from `rng`, in order: the signed prekey (32 bytes), the last-resort ML-KEM seed
    /// (64 bytes), then [`Self::replenish`]'s draws.
    pub fn new<R: CryptoRng + ?Sized>(
        identity: DeviceIdentity,
        policy: PrekeyPolicy,
        now: u64,
        rng: &mut R,
    ) -> Self {
        let mut store = Self {
            identity,
            policy,
            signed: Vec::new(),
            one_time: BTreeMap::new(),
            kem_last_resort: Vec::new(),
            kem_one_time: BTreeMap::new(),
            seen: BTreeSet::new(),
            next_id: 1,
        };
        store.push_signed_prekey(now, rng);
        store.push_kem_last_resort(rng);
        drop(store.replenish(rng));
        store
    }

    /// A new last-resort ML-KEM prekey, if the policy publishes ML-KEM prekeys (64 bytes).
    fn push_kem_last_resort<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) {
        if self.policy.post_quantum != PostQuantum::Offered {
            return;
        }
        let id = self.allocate_id();
        let pair = KemPrekeyPair::sign(
            self.identity.signing_key(),
            self.identity.agreement_key().public_key(),
            KemPrekeyKind::LastResort,
            id,
            DecapsulationKeyPair::generate(rng),
        );
        self.kem_last_resort.push((Box::new(pair), None));
    }

    fn find_signed_prekey(&self, id: u32) -> Option<&SignedPrekeyPair> {
        self.signed
            .iter()
            .map(|(pair, _)| &**pair)
            .find(|pair| pair.public.id == id)
    }

    /// An ML-KEM prekey of `kind` this store holds (one-time ones only while unused), for
    /// inspection and test vectors. [`crate::respond`] uses
    /// [`PrekeyStore::kem_decapsulate`] instead.
    pub fn kem_prekey(&self, kind: KemPrekeyKind, id: u32) -> Option<&KemPrekeyPair> {
        match kind {
            KemPrekeyKind::OneTime => self.kem_one_time.get(&id).map(|pair| &**pair),
            KemPrekeyKind::LastResort => self
                .kem_last_resort
                .iter()
                .map(|(pair, _)| &**pair)
                .find(|pair| pair.public.id == id),
        }
    }

    /// The current last-resort ML-KEM prekey.
    fn current_kem_last_resort(&self) -> Option<&KemPrekeyPair> {
        self.kem_last_resort.last().map(|(pair, _)| &**pair)
    }

    /// The next id of the counter that no held prekey has (after `u32::MAX` the counter
    /// wraps to 1 and skips ids still held, so a lookup by id never finds two keys).
    fn allocate_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.checked_add(1).unwrap_or(1);
            if !self.holds_id(id) {
                return id;
            }
        }
    }

    fn holds_id(&self, id: u32) -> bool {
        self.signed.iter().any(|(p, _)| p.public.id == id)
            || self.one_time.contains_key(&id)
            || self.kem_last_resort.iter().any(|(p, _)| p.public.id == id)
            || self.kem_one_time.contains_key(&id)
    }

    fn push_signed_prekey<R: CryptoRng + ?Sized>(&mut self, now: u64, rng: &mut R) {
        let id = self.allocate_id();
        let pair = SignedPrekeyPair::sign(
            self.identity.signing_key(),
            self.identity.agreement_key().public_key(),
            id,
            now,
            self.policy.post_quantum,
            KeyPair::generate(rng),
        );
        self.signed.push((Box::new(pair), None));
    }

    /// Replaces the signed prekey and, if the device publishes ML-KEM prekeys, the last-resort
    /// ML-KEM prekey with it: a last-resort key that lived as long as the store would let a
    /// later seizure of the device decapsulate every initial message sent to it, so it gets the
    /// signed prekey's lifetime. The previous ones stay usable until `now` plus the grace
    /// period; [`Self::prune`] deletes them afterwards.
    ///
    /// Draws from `rng`, in order: the signed prekey (32 bytes), then the last-resort ML-KEM
    /// seed (64 bytes, only if the policy publishes ML-KEM prekeys).
    pub fn rotate_signed_prekey<R: CryptoRng + ?Sized>(&mut self, now: u64, rng: &mut R) {
        let retire_at = now.saturating_add(self.policy.signed_prekey_grace);
        if let Some((_, retire)) = self.signed.last_mut() {
            *retire = Some(retire_at);
        }
        if let Some((_, retire)) = self.kem_last_resort.last_mut() {
            *retire = Some(retire_at);
        }
        self.push_signed_prekey(now, rng);
        self.push_kem_last_resort(rng);
    }

    /// Deletes signed prekeys and last-resort ML-KEM prekeys whose grace period has ended, and
    /// the signed prekeys' replay records.
    pub fn prune(&mut self, now: u64) {
        self.kem_last_resort
            .retain(|(_, retire)| retire.is_none_or(|t| t > now));
        let expired: Vec<u32> = self
            .signed
            .iter()
            .filter(|(_, retire)| retire.is_some_and(|t| t <= now))
            .map(|(pair, _)| pair.public.id)
            .collect();
        // By retire time, not by id: the current signed prekey is never deleted.
        self.signed
            .retain(|(_, retire)| retire.is_none_or(|t| t > now));
        self.seen.retain(|(id, _)| !expired.contains(id));
    }

    /// Tops the one-time prekeys up to the policy's counts and returns the new public parts
    /// for upload. Draws 32 bytes per X25519 prekey, then 64 per ML-KEM prekey.
    pub fn replenish<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> (Vec<OneTimePrekey>, Vec<KemPrekey>) {
        let mut new_x25519 = Vec::new();
        let cap = |count: u32| count.min(MAX_ONE_TIME_PREKEYS) as usize;
        while self.one_time.len() < cap(self.policy.one_time_prekeys) {
            let id = self.allocate_id();
            let pair = KeyPair::generate(rng);
            new_x25519.push(OneTimePrekey {
                id,
                public_key: *pair.public_key(),
            });
            self.one_time.insert(id, Box::new(pair));
        }
        let mut new_kem = Vec::new();
        if self.policy.post_quantum == PostQuantum::Offered {
            while self.kem_one_time.len() < cap(self.policy.kem_one_time_prekeys) {
                let id = self.allocate_id();
                let pair = KemPrekeyPair::sign(
                    self.identity.signing_key(),
                    self.identity.agreement_key().public_key(),
                    KemPrekeyKind::OneTime,
                    id,
                    DecapsulationKeyPair::generate(rng),
                );
                new_kem.push(pair.public.clone());
                self.kem_one_time.insert(id, Box::new(pair));
            }
        }
        (new_x25519, new_kem)
    }

    /// Whether the relay's count calls for [`Self::replenish`].
    pub fn needs_replenish(&self, published_left: u32) -> bool {
        published_left < self.policy.replenish_below
    }

    /// The current signed prekey.
    pub fn current_signed_prekey(&self) -> Option<&SignedPrekey> {
        self.signed.last().map(|(pair, _)| &pair.public)
    }

    /// Unused one-time X25519 prekeys held.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    /// Unused one-time ML-KEM prekeys held.
    pub fn kem_one_time_prekey_count(&self) -> usize {
        self.kem_one_time.len()
    }

    /// Initial messages recorded against replays.
    pub fn seen_count(&self) -> usize {
        self.seen.len()
    }

    /// Everything to publish.
    pub fn published(&self) -> Option<PublishedPrekeys> {
        Some(PublishedPrekeys {
            identity: self.identity.public(),
            signed_prekey: *self.current_signed_prekey()?,
            one_time: self
                .one_time
                .iter()
                .map(|(id, k)| OneTimePrekey {
                    id: *id,
                    public_key: *k.public_key(),
                })
                .collect(),
            kem_last_resort: self.current_kem_last_resort().map(|k| k.public.clone()),
            kem_one_time: self
                .kem_one_time
                .values()
                .map(|k| k.public.clone())
                .collect(),
        })
    }
}

impl core::fmt::Debug for InMemoryPrekeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let signed: Vec<(u32, Option<u64>)> = self
            .signed
            .iter()
            .map(|(pair, retire)| (pair.public.id, *retire))
            .collect();
        f.debug_struct("InMemoryPrekeyStore")
            .field("identity", &self.identity.public())
            .field("policy", &self.policy)
            .field("signed_prekeys", &signed)
            .field(
                "one_time_prekeys",
                &self.one_time.keys().collect::<Vec<_>>(),
            )
            .field(
                "kem_last_resort",
                &self
                    .kem_last_resort
                    .iter()
                    .map(|(pair, retire)| (pair.public.id, *retire))
                    .collect::<Vec<_>>(),
            )
            .field(
                "kem_one_time_prekeys",
                &self.kem_one_time.keys().collect::<Vec<_>>(),
            )
            .field("seen", &self.seen.len())
            .field("next_id", &self.next_id)
            .finish()
    }
}

impl PrekeyStore for InMemoryPrekeyStore {
    fn identity(&self) -> Result<DeviceIdentity, StoreError> {
        Ok(self.identity.copy())
    }

    fn signed_prekey(&self, id: u32) -> Result<Option<SignedPrekeyPair>, StoreError> {
        Ok(self.find_signed_prekey(id).map(SignedPrekeyPair::copy))
    }

    fn one_time_prekey(&self, id: u32) -> Result<Option<OneTimePrekeyPair>, StoreError> {
        Ok(self.one_time.get(&id).map(|pair| {
            let secret = SecretBytes::new(*pair.secret_key().expose());
            OneTimePrekeyPair::from_secret(x25519::SecretKey::from_bytes(secret))
        }))
    }

    fn kem_decapsulate(
        &self,
        kind: KemPrekeyKind,
        id: u32,
        ciphertext: &kem::Ciphertext,
    ) -> Result<Option<kem::SharedSecret>, StoreError> {
        Ok(self
            .kem_prekey(kind, id)
            .map(|pair| pair.key_pair.decapsulate(ciphertext)))
    }

    fn has_seen(&self, signed_prekey_id: u32, replay_tag: &ReplayTag) -> Result<bool, StoreError> {
        Ok(self.seen.contains(&(signed_prekey_id, *replay_tag)))
    }

    fn commit(&mut self, used: &UsedPrekeys) -> Result<(), CommitError> {
        // Check everything first, then change: the call is atomic.
        if self
            .seen
            .contains(&(used.signed_prekey_id, used.replay_tag))
        {
            return Err(CommitError::Replayed);
        }
        if self.find_signed_prekey(used.signed_prekey_id).is_none() {
            return Err(CommitError::SignedPrekeyGone(used.signed_prekey_id));
        }
        if let Some(id) = used.one_time_prekey_id
            && !self.one_time.contains_key(&id)
        {
            return Err(CommitError::OneTimePrekeyGone(id));
        }
        if let Some((kind, id)) = used.kem_prekey
            && self.kem_prekey(kind, id).is_none()
        {
            return Err(CommitError::KemPrekeyGone(id));
        }
        if let Some(id) = used.one_time_prekey_id {
            drop(self.one_time.remove(&id));
        }
        if let Some((KemPrekeyKind::OneTime, id)) = used.kem_prekey {
            drop(self.kem_one_time.remove(&id));
        }
        self.seen.insert((used.signed_prekey_id, used.replay_tag));
        Ok(())
    }
}
