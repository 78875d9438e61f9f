//! A bounded cache of static-static secrets `DH(own identity, peer identity)` and of verified
//! sender certificates (protocol.md 9.3 and 9.4): sealing to a device seen before costs one
//! X25519 agreement instead of two, and opening from a sender whose certificate was verified
//! before costs no Ed25519 verification.
//!
//! - **Opening never takes the static secret from the cache.** The sender identity of layer 1
//!   is unauthenticated until layer 2 opens, and anyone can build a layer 1 naming any
//!   identity; a shortcut for cached peers would let them time which peers the recipient
//!   knows (tests/tests/attack_sealed.rs, finding 1). Opening only adds the secret (after
//!   success), for a later seal to that peer.
//!
//! - **Bound:** at most `capacity` entries (default [`DEFAULT_CAPACITY`]); when full, the
//!   oldest entry is evicted (first in, first out), so memory and the cost of a look-up are
//!   bounded whatever the history.
//! - **Wiping:** each secret lives in a slot of a table allocated once, at construction; a
//!   slot is overwritten in place when reused and every slot is wiped on drop, so no secret
//!   is ever moved into memory that is freed unwiped (the index map only holds slot
//!   numbers).
//! - **Keyed by the full 64-byte identity.** Two identities with twin X25519 keys (other
//!   bytes, the same outputs) get two entries holding the same secret: harmless, since the
//!   cache only saves work and never decides anything.
//! - **Bound to its owner:** the cache remembers the identity it was used with; consulted by
//!   another one, it empties itself first, so a secret of one identity never serves another
//!   (an open refused before the cache is consulted leaves it as it was).
//! - **Verified certificates are remembered:** with each secret the cache keeps the last
//!   sender certificate of that peer that verified, and the server key it verified under;
//!   [`crate::envelope::open_cached`] skips the signature check (not the key-id, revocation,
//!   validity and expiry checks) for exactly those bytes under exactly that key. So opening
//!   from a known sender costs one X25519 agreement and no signature verification.
//! - **Only authenticated peers enter:** [`crate::envelope::open_cached`] adds an entry only
//!   after the whole envelope opened, so junk envelopes cannot flush the cache.
//!
//! Not `Clone`: a copy would be a second, unbounded holder of the secrets.

use core::fmt;
use std::collections::HashMap;

use sotto_crypto::SecretBytes;
use sotto_crypto::x25519::DhError;
use sotto_handshake::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentity, DeviceIdentityKey};

use crate::certificate::SENDER_CERTIFICATE_LEN;

/// The default number of peer devices a cache holds.
pub const DEFAULT_CAPACITY: usize = 1024;
/// The most peer devices a cache holds; [`StaticCache::with_capacity`] clamps to it (a slot
/// is 291 bytes, so a full cache is about 19 MiB, allocated at construction).
pub const MAX_CAPACITY: usize = 65_536;

/// One entry. Every byte of it is written when it is created: an `Option` payload left
/// uninitialised would be copied from whatever the stack held (a static secret, in the test
/// that found it: `tests/tests/sealed_memory.rs`) into the heap, unwiped.
struct Slot {
    peer: [u8; DEVICE_IDENTITY_KEY_LEN],
    secret: SecretBytes<32>,
    certificate: Memo,
    has_certificate: bool,
}

/// A sender certificate whose signature verified, and the server key it verified under.
#[derive(Clone, Copy)]
pub(crate) struct Memo {
    pub(crate) certificate: [u8; SENDER_CERTIFICATE_LEN],
    pub(crate) server_key: [u8; 32],
}

impl Memo {
    const EMPTY: Self = Self {
        certificate: [0u8; SENDER_CERTIFICATE_LEN],
        server_key: [0u8; 32],
    };
}

/// Static-static secrets of one identity with its recent peers. See the module docs.
pub struct StaticCache {
    owner: Option<[u8; DEVICE_IDENTITY_KEY_LEN]>,
    slots: Vec<Slot>,
    index: HashMap<[u8; DEVICE_IDENTITY_KEY_LEN], usize>,
    capacity: usize,
    /// The slot the next insertion takes once `slots` is full (the oldest entry).
    next: usize,
}

impl StaticCache {
    /// An empty cache of [`DEFAULT_CAPACITY`] entries.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// An empty cache of `capacity` entries, clamped to 1 ..= [`MAX_CAPACITY`].
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, MAX_CAPACITY);
        Self {
            owner: None,
            slots: Vec::with_capacity(capacity),
            index: HashMap::with_capacity(capacity),
            capacity,
            next: 0,
        }
    }

    /// How many secrets are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether no secret is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The most entries the cache holds.
    #[must_use]
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// Wipes every secret.
    pub fn clear(&mut self) {
        // Dropping a slot wipes its secret; the Vec keeps its allocation.
        self.slots.clear();
        self.index.clear();
        self.next = 0;
        self.owner = None;
    }

    /// Empties the cache if it was used with another identity than `own`.
    fn bind(&mut self, own: &[u8; DEVICE_IDENTITY_KEY_LEN]) {
        if self
            .owner
            .is_some_and(|owner| !sotto_crypto::ct_eq(&owner, own))
        {
            self.clear();
        }
        self.owner = Some(*own);
    }

    /// The cached secret of `own` with `peer`, if held.
    pub(crate) fn get(
        &mut self,
        own: &DeviceIdentity,
        peer: &DeviceIdentityKey,
    ) -> Option<&[u8; 32]> {
        self.bind(&own.public().to_bytes());
        let slot = *self.index.get(&peer.to_bytes())?;
        self.slots.get(slot).map(|s| s.secret.expose())
    }

    /// The certificate memo held for `peer`, if any.
    pub(crate) fn memo(&mut self, own: &DeviceIdentity, peer: &DeviceIdentityKey) -> Option<Memo> {
        self.bind(&own.public().to_bytes());
        let slot = *self.index.get(&peer.to_bytes())?;
        self.slots
            .get(slot)
            .filter(|s| s.has_certificate)
            .map(|s| s.certificate)
    }

    /// Holds `secret` as `own`'s secret with `peer` (and `certificate`, when given, as its
    /// memo), evicting the oldest entry when full.
    pub(crate) fn insert(
        &mut self,
        own: &DeviceIdentity,
        peer: &DeviceIdentityKey,
        secret: &[u8; 32],
        certificate: Option<Memo>,
    ) {
        self.bind(&own.public().to_bytes());
        let peer = peer.to_bytes();
        let slot = if let Some(&slot) = self.index.get(&peer) {
            slot
        } else if self.slots.len() < self.capacity {
            self.index.insert(peer, self.slots.len());
            self.slots.push(Slot {
                peer,
                secret: SecretBytes::new(*secret),
                certificate: Memo::EMPTY,
                has_certificate: false,
            });
            self.slots.len() - 1
        } else {
            let slot = self.next;
            self.next = (self.next + 1) % self.capacity;
            if let Some(s) = self.slots.get_mut(slot) {
                self.index.remove(&s.peer);
                s.peer = peer;
                s.certificate = Memo::EMPTY;
                s.has_certificate = false;
                self.index.insert(peer, slot);
            }
            slot
        };
        if let Some(s) = self.slots.get_mut(slot) {
            s.secret.expose_mut().copy_from_slice(secret);
            if let Some(certificate) = certificate {
                s.certificate = certificate;
                s.has_certificate = true;
            }
        }
    }

    /// `DH(own, peer)`, from the cache or computed (and then held).
    pub(crate) fn agree(
        &mut self,
        own: &DeviceIdentity,
        peer: &DeviceIdentityKey,
    ) -> Result<SecretBytes<32>, DhError> {
        if let Some(secret) = self.get(own, peer) {
            return Ok(SecretBytes::new(*secret));
        }
        let secret = own.agreement_key().diffie_hellman(peer.agreement())?;
        self.insert(own, peer, secret.expose(), None);
        Ok(SecretBytes::new(*secret.expose()))
    }
}

impl Default for StaticCache {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for StaticCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn holds_at_most_its_capacity_and_evicts_the_oldest() {
        let mut rng = StdRng::seed_from_u64(1);
        let own = DeviceIdentity::generate(&mut rng);
        let peers: Vec<DeviceIdentity> =
            (0..5).map(|_| DeviceIdentity::generate(&mut rng)).collect();
        let mut cache = StaticCache::with_capacity(3);
        for peer in &peers {
            let s = cache.agree(&own, &peer.public()).unwrap();
            let direct = own
                .agreement_key()
                .diffie_hellman(peer.public().agreement())
                .unwrap();
            assert_eq!(s.expose(), direct.expose());
            assert!(cache.len() <= 3);
        }
        assert_eq!(cache.len(), 3);
        // Peers 0 and 1 were evicted, 2..5 are held, with the right secrets.
        assert!(cache.get(&own, &peers[0].public()).is_none());
        assert!(cache.get(&own, &peers[1].public()).is_none());
        for peer in &peers[2..] {
            let direct = own
                .agreement_key()
                .diffie_hellman(peer.public().agreement())
                .unwrap();
            assert_eq!(cache.get(&own, &peer.public()), Some(direct.expose()));
        }
        assert_eq!(cache.slots.capacity(), 3, "the slot table never grows");
    }

    #[test]
    fn another_owner_empties_the_cache() {
        let mut rng = StdRng::seed_from_u64(2);
        let alice = DeviceIdentity::generate(&mut rng);
        let mallory = DeviceIdentity::generate(&mut rng);
        let bob = DeviceIdentity::generate(&mut rng);
        let mut cache = StaticCache::new();
        cache.agree(&alice, &bob.public()).unwrap();
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&mallory, &bob.public()).is_none());
        assert!(cache.is_empty());
        let s = cache.agree(&mallory, &bob.public()).unwrap();
        let direct = mallory
            .agreement_key()
            .diffie_hellman(bob.public().agreement())
            .unwrap();
        assert_eq!(s.expose(), direct.expose());
    }

    #[test]
    fn capacity_is_clamped() {
        assert_eq!(StaticCache::with_capacity(0).capacity(), 1);
        assert_eq!(
            StaticCache::with_capacity(usize::MAX).capacity(),
            MAX_CAPACITY
        );
    }

    #[test]
    fn debug_prints_no_secret() {
        let mut rng = StdRng::seed_from_u64(3);
        let alice = DeviceIdentity::generate(&mut rng);
        let bob = DeviceIdentity::generate(&mut rng);
        let mut cache = StaticCache::with_capacity(2);
        let s = cache.agree(&alice, &bob.public()).unwrap();
        let debug = format!("{cache:?}");
        assert_eq!(debug, "StaticCache { len: 1, capacity: 2, .. }");
        assert!(!debug.contains(&hex::encode(s.expose())));
    }
}
