//! Pickles of the handshake's secrets: the device identity and the prekey store, in the
//! envelope every Sotto pickle shares ([`sotto_crypto::pickle`], protocol.md section 4) with
//! their own type tags, `0x16` and `0x17`. Layouts: protocol.md section 4.2.

use std::collections::{BTreeMap, BTreeSet};

use sotto_crypto::CryptoRng;
use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::kem::{self, DecapsulationKeyPair};
use sotto_crypto::pickle::{self as envelope, PickleKey};
use sotto_crypto::wire;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_ratchet::PickleError;
use zeroize::Zeroizing;

use crate::identity::DeviceIdentity;
use crate::prekeys::{KemPrekeyKind, KemPrekeyPair, PostQuantum, SignedPrekeyPair};
use crate::store::{InMemoryPrekeyStore, MAX_ONE_TIME_PREKEYS, PrekeyPolicy, ReplayTag};

/// Type tag (first byte) of a device-identity pickle.
pub const IDENTITY_PICKLE_TAG: u8 = wire::IDENTITY_PICKLE;
/// Length of the identity state: the Ed25519 seed, then the X25519 private key.
const IDENTITY_STATE_LEN: usize = 64;
/// Length of a device-identity pickle (a longer one is PKL-05).
pub const IDENTITY_PICKLE_LEN: usize = envelope::OVERHEAD + IDENTITY_STATE_LEN;

impl DeviceIdentity {
    /// Encrypts both private keys under `key`, bound to `context` (protocol.md 4.1; at most
    /// 65535 bytes, PKL-06). `rng` supplies the salt.
    pub fn pickle<R: CryptoRng + ?Sized>(
        &self,
        key: &PickleKey,
        context: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let mut state = Zeroizing::new(Vec::with_capacity(IDENTITY_STATE_LEN));
        write_identity(&mut state, self);
        Ok(envelope::seal(
            IDENTITY_PICKLE_TAG,
            key,
            context,
            &state[..],
            rng,
        )?)
    }

    /// Restores an identity pickled under `key` with the same `context`: PKL-01 (another
    /// tag), PKL-02, PKL-03 (wrong key, context or any modified byte), PKL-04 (a state that
    /// is not exactly 64 bytes), PKL-05 (longer than [`IDENTITY_PICKLE_LEN`]), PKL-06.
    pub fn from_pickle(
        key: &PickleKey,
        context: &[u8],
        pickle: &[u8],
    ) -> Result<Self, PickleError> {
        let state = envelope::open(
            IDENTITY_PICKLE_TAG,
            key,
            context,
            pickle,
            IDENTITY_PICKLE_LEN,
        )?;
        let mut r = Reader(&state);
        let identity = read_identity(&mut r).ok_or(PickleError::Malformed)?;
        if !r.0.is_empty() {
            return Err(PickleError::Malformed);
        }
        Ok(identity)
    }
}

/// `signing_seed[32] || identity_private[32]`, the identity state of protocol.md 4.2.
fn write_identity(w: &mut Vec<u8>, identity: &DeviceIdentity) {
    w.extend_from_slice(identity.signing_key().expose_seed());
    w.extend_from_slice(identity.agreement_key().secret_key().expose());
}

fn read_identity(r: &mut Reader<'_>) -> Option<DeviceIdentity> {
    let signing = SigningKey::from_seed(r.secret::<32>()?);
    let agreement = KeyPair::from_secret(SecretKey::from_bytes(r.secret::<32>()?));
    Some(DeviceIdentity::from_keys(signing, agreement))
}

/// Type tag (first byte) of a prekey-store pickle.
pub const PREKEY_STORE_PICKLE_TAG: u8 = wire::PREKEY_STORE_PICKLE;
/// Largest prekey-store pickle accepted (32 MiB, as for sessions; PKL-05).
pub const MAX_PREKEY_STORE_PICKLE_LEN: usize = 1 << 25;

/// Bytes of one entry of each list in the store state (protocol.md 4.2).
const SIGNED_ENTRY_LEN: usize = 4 + 8 + 32 + 1 + 8;
const ONE_TIME_ENTRY_LEN: usize = 4 + 32;
const KEM_LAST_RESORT_ENTRY_LEN: usize = 4 + kem::SEED_LEN + 1 + 8;
const KEM_ONE_TIME_ENTRY_LEN: usize = 4 + kem::SEED_LEN;
const SEEN_ENTRY_LEN: usize = 4 + 32;
const STORE_FIXED_LEN: usize = IDENTITY_STATE_LEN + 1 + 4 + 4 + 4 + 8 + 4 + 5 * 4;

impl InMemoryPrekeyStore {
    /// Encrypts the whole store (identity, policy, every prekey's private key, the replay
    /// records and the id counter) under `key`, bound to `context` (protocol.md 4.1 and 4.2;
    /// at most 65535 bytes, PKL-06). Public keys and signatures are recomputed on restore.
    pub fn pickle<R: CryptoRng + ?Sized>(
        &self,
        key: &PickleKey,
        context: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let len = STORE_FIXED_LEN
            + self.signed.len() * SIGNED_ENTRY_LEN
            + self.one_time.len() * ONE_TIME_ENTRY_LEN
            + self.kem_last_resort.len() * KEM_LAST_RESORT_ENTRY_LEN
            + self.kem_one_time.len() * KEM_ONE_TIME_ENTRY_LEN
            + self.seen.len() * SEEN_ENTRY_LEN;
        // Written into a buffer of its final size: it never reallocates, so no copy of a
        // private key is left in freed memory, and it is wiped on drop.
        let mut w = Zeroizing::new(Vec::with_capacity(len));
        write_identity(&mut w, &self.identity);
        let policy = &self.policy;
        w.push(policy.post_quantum.to_byte());
        w.extend_from_slice(&policy.one_time_prekeys.to_be_bytes());
        w.extend_from_slice(&policy.replenish_below.to_be_bytes());
        w.extend_from_slice(&policy.kem_one_time_prekeys.to_be_bytes());
        w.extend_from_slice(&policy.signed_prekey_grace.to_be_bytes());
        w.extend_from_slice(&self.next_id.to_be_bytes());
        push_count(&mut w, self.signed.len());
        for (pair, retire) in &self.signed {
            let public = &pair.public;
            w.extend_from_slice(&public.id.to_be_bytes());
            w.extend_from_slice(&public.timestamp.to_be_bytes());
            w.extend_from_slice(pair.key_pair.secret_key().expose());
            push_retire(&mut w, *retire);
        }
        push_count(&mut w, self.one_time.len());
        for (id, pair) in &self.one_time {
            w.extend_from_slice(&id.to_be_bytes());
            w.extend_from_slice(pair.secret_key().expose());
        }
        push_count(&mut w, self.kem_last_resort.len());
        for (pair, retire) in &self.kem_last_resort {
            w.extend_from_slice(&pair.public.id.to_be_bytes());
            w.extend_from_slice(pair.key_pair.expose_seed());
            push_retire(&mut w, *retire);
        }
        push_count(&mut w, self.kem_one_time.len());
        for (id, pair) in &self.kem_one_time {
            w.extend_from_slice(&id.to_be_bytes());
            w.extend_from_slice(pair.key_pair.expose_seed());
        }
        push_count(&mut w, self.seen.len());
        for (id, tag) in &self.seen {
            w.extend_from_slice(&id.to_be_bytes());
            w.extend_from_slice(&tag.to_bytes());
        }
        debug_assert_eq!(w.len(), len);
        // Never write a pickle that `from_pickle` would refuse (PKL-05).
        if envelope::OVERHEAD + len > MAX_PREKEY_STORE_PICKLE_LEN {
            return Err(PickleError::TooLong);
        }
        Ok(envelope::seal(
            PREKEY_STORE_PICKLE_TAG,
            key,
            context,
            &w,
            rng,
        )?)
    }

    /// Restores a store pickled under `key` with the same `context`: PKL-01 (another tag),
    /// PKL-02, PKL-03 (wrong key, context or any modified byte), PKL-04 (a malformed state:
    /// protocol.md 4.2 lists every rule), PKL-05 (over [`MAX_PREKEY_STORE_PICKLE_LEN`]),
    /// PKL-06. Recomputes every public key and signature.
    pub fn from_pickle(
        key: &PickleKey,
        context: &[u8],
        pickle: &[u8],
    ) -> Result<Self, PickleError> {
        let state = envelope::open(
            PREKEY_STORE_PICKLE_TAG,
            key,
            context,
            pickle,
            MAX_PREKEY_STORE_PICKLE_LEN,
        )?;
        decode_store(&state).ok_or(PickleError::Malformed)
    }
}

fn push_count(w: &mut Vec<u8>, n: usize) {
    // Every list is bounded by the pickle's own length limit, far below 2^32 entries.
    w.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

fn push_retire(w: &mut Vec<u8>, retire: Option<u64>) {
    match retire {
        None => {
            w.push(0x00);
            w.extend_from_slice(&[0; 8]);
        }
        Some(t) => {
            w.push(0x01);
            w.extend_from_slice(&t.to_be_bytes());
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn secret<const N: usize>(&mut self) -> Option<SecretBytes<N>> {
        SecretBytes::from_slice(self.take(N)?)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A list count, refused when the rest cannot hold that many entries (so a forged count
    /// costs nothing before it is refused).
    fn count(&mut self, entry_len: usize) -> Option<usize> {
        let n = usize::try_from(self.u32()?).ok()?;
        (n.checked_mul(entry_len)? <= self.0.len()).then_some(n)
    }

    /// `0x00 || 0[8]` (none) or `0x01 || u64be(t)`.
    fn retire(&mut self) -> Option<Option<u64>> {
        match (self.u8()?, self.u64()?) {
            (0x00, 0) => Some(None),
            (0x01, t) => Some(Some(t)),
            _ => None,
        }
    }
}

/// Whether `ids` is strictly increasing and free of 0.
fn strictly_increasing(ids: impl IntoIterator<Item = u32>) -> bool {
    let mut previous = 0;
    ids.into_iter().all(|id| {
        let ok = id > previous;
        previous = id;
        ok
    })
}

/// Retire times: every entry but the last has one, the last (the current key) has none.
fn current_last(retires: &[Option<u64>]) -> bool {
    match retires.split_last() {
        Some((last, earlier)) => last.is_none() && earlier.iter().all(Option::is_some),
        None => true,
    }
}

fn decode_store(state: &[u8]) -> Option<InMemoryPrekeyStore> {
    let mut r = Reader(state);
    let identity = read_identity(&mut r)?;
    let post_quantum = PostQuantum::from_byte(r.u8()?)?;
    let policy = PrekeyPolicy {
        post_quantum,
        one_time_prekeys: r.u32()?,
        replenish_below: r.u32()?,
        kem_one_time_prekeys: r.u32()?,
        signed_prekey_grace: r.u64()?,
    };
    let next_id = r.u32()?;
    if next_id == 0 {
        return None;
    }
    let signing_key = identity.signing_key();
    let identity_key = *identity.agreement_key().public_key();

    let n = r.count(SIGNED_ENTRY_LEN)?;
    let mut signed = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.u32()?;
        let timestamp = r.u64()?;
        let key_pair = KeyPair::from_secret(SecretKey::from_bytes(r.secret::<32>()?));
        let retire = r.retire()?;
        let pair = SignedPrekeyPair::sign(
            signing_key,
            &identity_key,
            id,
            timestamp,
            post_quantum,
            key_pair,
        );
        signed.push((Box::new(pair), retire));
    }
    let retires: Vec<Option<u64>> = signed.iter().map(|(_, t)| *t).collect();
    if signed.is_empty() || !current_last(&retires) {
        return None;
    }

    let n = r.count(ONE_TIME_ENTRY_LEN)?;
    if n > MAX_ONE_TIME_PREKEYS as usize {
        return None;
    }
    let mut one_time = BTreeMap::new();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.u32()?;
        ids.push(id);
        one_time.insert(
            id,
            Box::new(KeyPair::from_secret(SecretKey::from_bytes(
                r.secret::<32>()?,
            ))),
        );
    }
    if !strictly_increasing(ids) {
        return None;
    }

    let n = r.count(KEM_LAST_RESORT_ENTRY_LEN)?;
    let mut kem_last_resort = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.u32()?;
        let seed = r.secret::<{ kem::SEED_LEN }>()?;
        let retire = r.retire()?;
        let pair = KemPrekeyPair::sign(
            signing_key,
            &identity_key,
            KemPrekeyKind::LastResort,
            id,
            DecapsulationKeyPair::from_seed(seed),
        );
        kem_last_resort.push((Box::new(pair), retire));
    }
    let retires: Vec<Option<u64>> = kem_last_resort.iter().map(|(_, t)| *t).collect();
    let last_resort_expected = post_quantum == PostQuantum::Offered;
    if kem_last_resort.is_empty() == last_resort_expected || !current_last(&retires) {
        return None;
    }

    let n = r.count(KEM_ONE_TIME_ENTRY_LEN)?;
    if (n > 0 && !last_resort_expected) || n > MAX_ONE_TIME_PREKEYS as usize {
        return None;
    }
    let mut kem_one_time = BTreeMap::new();
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let id = r.u32()?;
        ids.push(id);
        let pair = KemPrekeyPair::sign(
            signing_key,
            &identity_key,
            KemPrekeyKind::OneTime,
            id,
            DecapsulationKeyPair::from_seed(r.secret::<{ kem::SEED_LEN }>()?),
        );
        kem_one_time.insert(id, Box::new(pair));
    }
    if !strictly_increasing(ids) {
        return None;
    }

    let n = r.count(SEEN_ENTRY_LEN)?;
    let mut seen = BTreeSet::new();
    let mut previous: Option<(u32, [u8; 32])> = None;
    for _ in 0..n {
        let id = r.u32()?;
        let tag: [u8; 32] = r.take(32)?.try_into().ok()?;
        if previous.is_some_and(|p| p >= (id, tag)) {
            return None;
        }
        previous = Some((id, tag));
        seen.insert((id, ReplayTag::from_bytes(tag)));
    }
    if !r.0.is_empty() {
        return None;
    }
    // Ids come from one counter: never 0, unique across every list (the two lists kept oldest
    // first need not increase: the counter wraps), and the next one not yet held
    // (otherwise a rotation or a replenish would reuse a held id, and lookups by id would
    // find the wrong key). Replay records only under a signed prekey the store holds.
    let mut held = BTreeSet::new();
    let all_ids = signed
        .iter()
        .map(|(p, _)| p.public.id)
        .chain(one_time.keys().copied())
        .chain(kem_last_resort.iter().map(|(p, _)| p.public.id))
        .chain(kem_one_time.keys().copied());
    for id in all_ids {
        if id == 0 || !held.insert(id) {
            return None;
        }
    }
    if held.contains(&next_id) {
        return None;
    }
    let signed_ids: BTreeSet<u32> = signed.iter().map(|(p, _)| p.public.id).collect();
    if seen.iter().any(|(id, _)| !signed_ids.contains(id)) {
        return None;
    }
    Some(InMemoryPrekeyStore {
        identity,
        policy,
        signed,
        one_time,
        kem_last_resort,
        kem_one_time,
        seen,
        next_id,
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const KEY: PickleKey = PickleKey::new([0x3c; 32]);
    const CONTEXT: &[u8] = b"alice/1 identity generation 1";

    #[test]
    fn identity_pickle_round_trip_and_refusals() {
        let mut rng = StdRng::seed_from_u64(8);
        let identity = DeviceIdentity::generate(&mut rng);
        let pickle = identity.pickle(&KEY, CONTEXT, &mut rng).unwrap();
        assert_eq!(pickle.len(), IDENTITY_PICKLE_LEN);
        assert_eq!(pickle[0], wire::IDENTITY_PICKLE);
        let restored = DeviceIdentity::from_pickle(&KEY, CONTEXT, &pickle).unwrap();
        assert_eq!(restored.public(), identity.public());
        assert_eq!(
            restored.signing_key().expose_seed(),
            identity.signing_key().expose_seed()
        );
        assert_eq!(
            restored.agreement_key().secret_key().expose(),
            identity.agreement_key().secret_key().expose()
        );

        let refuse = |bytes: &[u8], context: &[u8]| {
            DeviceIdentity::from_pickle(&KEY, context, bytes).map(|i| i.public())
        };
        // PKL-01: another object's tag (a session pickle's), and the tag alone rewritten.
        let mut retagged = pickle.clone();
        retagged[0] = wire::SESSION_PICKLE;
        assert_eq!(
            refuse(&retagged, CONTEXT),
            Err(PickleError::UnknownVersion(wire::SESSION_PICKLE))
        );
        assert_eq!(refuse(&[], CONTEXT), Err(PickleError::UnknownVersion(0)));
        // PKL-02, PKL-05
        assert_eq!(refuse(&pickle[..32], CONTEXT), Err(PickleError::Truncated));
        let mut long = pickle.clone();
        long.push(0);
        assert_eq!(refuse(&long, CONTEXT), Err(PickleError::TooLong));
        // PKL-03: other key, other context, any flipped bit.
        assert_eq!(
            DeviceIdentity::from_pickle(&PickleKey::new([1; 32]), CONTEXT, &pickle)
                .map(|i| i.public()),
            Err(PickleError::WrongKeyOrCorrupted)
        );
        assert_eq!(
            refuse(&pickle, b"alice/1 identity generation 0"),
            Err(PickleError::WrongKeyOrCorrupted)
        );
        for i in 0..pickle.len() {
            let mut bad = pickle.clone();
            bad[i] ^= 0x01;
            assert!(refuse(&bad, CONTEXT).is_err(), "flipped byte {i} accepted");
        }
        // PKL-04: a correctly sealed state of the wrong length.
        let short = envelope::seal(IDENTITY_PICKLE_TAG, &KEY, CONTEXT, &[0; 63], &mut rng).unwrap();
        assert_eq!(refuse(&short, CONTEXT), Err(PickleError::Malformed));
        // PKL-06
        let huge = vec![0u8; 65_536];
        assert_eq!(
            identity.pickle(&KEY, &huge, &mut rng),
            Err(PickleError::ContextTooLong)
        );
    }

    /// A store that has been used: it accepted an initial message (one-time prekeys gone, a
    /// replay record), rotated its signed prekey (a retired one and a retired last-resort
    /// ML-KEM prekey) and replenished. Returns it with the accepted message.
    fn used_store(
        post_quantum: PostQuantum,
    ) -> (
        InMemoryPrekeyStore,
        crate::InitialMessage,
        crate::DeviceIdentityKey,
    ) {
        let mut rng = StdRng::seed_from_u64(21);
        let policy = PrekeyPolicy {
            post_quantum,
            one_time_prekeys: 3,
            replenish_below: 2,
            kem_one_time_prekeys: 2,
            ..PrekeyPolicy::default()
        };
        let mut store =
            InMemoryPrekeyStore::new(DeviceIdentity::generate(&mut rng), policy, 1_000, &mut rng);
        let alice = DeviceIdentity::generate(&mut rng);
        let bundle = store.published().unwrap().take_bundle().verify().unwrap();
        let expected = *bundle.bundle().identity();
        let config = crate::HandshakeConfig::default();
        let sent = crate::initiate(&alice, &bundle, &expected, b"hi", &config, &mut rng).unwrap();
        let got = crate::respond(&mut store, &sent.message, &alice.public(), &config).unwrap();
        assert_eq!(got.plaintext, b"hi");
        store.rotate_signed_prekey(2_000, &mut rng);
        drop(store.replenish(&mut rng));
        (store, sent.message, alice.public())
    }

    #[test]
    fn a_used_store_restores_to_the_same_store() {
        for pq in [PostQuantum::Offered, PostQuantum::Absent] {
            let (store, initial, alice) = used_store(pq);
            let pickle = store
                .pickle(&KEY, CONTEXT, &mut StdRng::seed_from_u64(1))
                .unwrap();
            assert_eq!(pickle[0], wire::PREKEY_STORE_PICKLE);
            let mut restored = InMemoryPrekeyStore::from_pickle(&KEY, CONTEXT, &pickle).unwrap();
            // Everything the store holds, the recomputed public keys and signatures included.
            assert_eq!(format!("{restored:?}"), format!("{store:?}"));
            assert_eq!(
                restored
                    .pickle(&KEY, CONTEXT, &mut StdRng::seed_from_u64(1))
                    .unwrap(),
                pickle
            );
            let published = |s: &InMemoryPrekeyStore| {
                let mut p = s.published().unwrap();
                (0..4)
                    .map(|_| p.take_bundle().to_bytes())
                    .collect::<Vec<_>>()
            };
            assert_eq!(published(&restored), published(&store));
            // The replay record and the used one-time prekeys survive the round trip.
            let config = crate::HandshakeConfig::default();
            assert!(matches!(
                crate::respond(&mut restored, &initial, &alice, &config),
                Err(crate::HandshakeError::Replayed)
            ));
            // A new session still sets up against the restored store.
            let mut rng = StdRng::seed_from_u64(5);
            let carol = DeviceIdentity::generate(&mut rng);
            let bundle = restored
                .published()
                .unwrap()
                .take_bundle()
                .verify()
                .unwrap();
            let expected = *bundle.bundle().identity();
            let sent =
                crate::initiate(&carol, &bundle, &expected, b"again", &config, &mut rng).unwrap();
            let got =
                crate::respond(&mut restored, &sent.message, &carol.public(), &config).unwrap();
            assert_eq!(got.plaintext, b"again");
        }
    }

    /// Seals `state` as a store pickle, as the envelope would.
    fn sealed(state: &[u8]) -> Vec<u8> {
        envelope::seal(
            PREKEY_STORE_PICKLE_TAG,
            &KEY,
            CONTEXT,
            state,
            &mut StdRng::seed_from_u64(4),
        )
        .unwrap()
    }

    fn state_of(store: &InMemoryPrekeyStore) -> Vec<u8> {
        let pickle = store
            .pickle(&KEY, CONTEXT, &mut StdRng::seed_from_u64(1))
            .unwrap();
        envelope::open(
            PREKEY_STORE_PICKLE_TAG,
            &KEY,
            CONTEXT,
            &pickle,
            MAX_PREKEY_STORE_PICKLE_LEN,
        )
        .unwrap()
        .to_vec()
    }

    #[test]
    fn store_pickle_refusals() {
        let (store, _, _) = used_store(PostQuantum::Offered);
        let pickle = store
            .pickle(&KEY, CONTEXT, &mut StdRng::seed_from_u64(1))
            .unwrap();
        let open = |bytes: &[u8], context: &[u8]| {
            InMemoryPrekeyStore::from_pickle(&KEY, context, bytes).map(|s| format!("{s:?}"))
        };
        // PKL-01: a session's or an identity's tag.
        for tag in [wire::SESSION_PICKLE, wire::IDENTITY_PICKLE, 0x01] {
            let mut retagged = pickle.clone();
            retagged[0] = tag;
            assert_eq!(
                open(&retagged, CONTEXT),
                Err(PickleError::UnknownVersion(tag))
            );
        }
        // PKL-02, PKL-03 (context, key, flipped bytes), PKL-06.
        assert_eq!(open(&pickle[..32], CONTEXT), Err(PickleError::Truncated));
        assert_eq!(
            open(&pickle, b"another device"),
            Err(PickleError::WrongKeyOrCorrupted)
        );
        assert_eq!(
            InMemoryPrekeyStore::from_pickle(&PickleKey::new([9; 32]), CONTEXT, &pickle)
                .map(|_| ()),
            Err(PickleError::WrongKeyOrCorrupted)
        );
        for i in (0..pickle.len()).step_by(97) {
            let mut bad = pickle.clone();
            bad[i] ^= 0x40;
            assert!(open(&bad, CONTEXT).is_err(), "flipped byte {i} accepted");
        }
        assert_eq!(
            store
                .pickle(&KEY, &[0; 65_536], &mut StdRng::seed_from_u64(1))
                .map(|_| ()),
            Err(PickleError::ContextTooLong)
        );

        // PKL-04: correctly sealed states that break one rule each (protocol.md 4.2).
        let state = state_of(&store);
        assert!(open(&sealed(&state), CONTEXT).is_ok());
        let pq_at = 64;
        let next_id_at = pq_at + 1 + 4 + 4 + 4 + 8;
        let signed_count_at = next_id_at + 4;
        let first_signed = signed_count_at + 4;
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut trailing = state.clone();
        trailing.push(0);
        cases.push(("a trailing byte", trailing));
        cases.push(("truncated by one", state[..state.len() - 1].to_vec()));
        let mut bad_pq = state.clone();
        bad_pq[pq_at] = 2;
        cases.push(("post-quantum byte 2", bad_pq));
        let mut classic = state.clone();
        classic[pq_at] = 0;
        cases.push(("ML-KEM prekeys without the post-quantum flag", classic));
        let mut zero_id = state.clone();
        zero_id[next_id_at..next_id_at + 4].fill(0);
        cases.push(("next id 0", zero_id));
        let mut huge_count = state.clone();
        huge_count[signed_count_at..signed_count_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        cases.push(("a signed-prekey count the rest cannot hold", huge_count));
        let mut no_signed = state.clone();
        no_signed[signed_count_at..signed_count_at + 4].copy_from_slice(&0u32.to_be_bytes());
        cases.push(("no signed prekey", no_signed));
        // The first signed prekey is the retired one: clear its retire time (two current).
        let retire_at = first_signed + 4 + 8 + 32;
        assert_eq!(state[retire_at], 0x01, "the first signed prekey is retired");
        let mut two_current = state.clone();
        two_current[retire_at..retire_at + 9].fill(0);
        cases.push(("two current signed prekeys", two_current));
        let mut bad_retire = state.clone();
        bad_retire[retire_at] = 0x02;
        cases.push(("retire flag 2", bad_retire));
        // Give the second signed prekey the first one's id.
        let second_signed = first_signed + SIGNED_ENTRY_LEN;
        let mut duplicate = state.clone();
        let first_id = state[first_signed..first_signed + 4].to_vec();
        duplicate[second_signed..second_signed + 4].copy_from_slice(&first_id);
        cases.push(("two signed prekeys with one id", duplicate));
        let mut zero = state.clone();
        zero[first_signed..first_signed + 4].fill(0);
        cases.push(("signed prekey id 0", zero));
        // One-time prekeys out of id order: swap the first two ids.
        let one_time_count_at = first_signed + 2 * SIGNED_ENTRY_LEN;
        let first_one_time = one_time_count_at + 4;
        assert!(
            u32::from_be_bytes(state[one_time_count_at..first_one_time].try_into().unwrap()) >= 2
        );
        let second_one_time = first_one_time + ONE_TIME_ENTRY_LEN;
        let mut unordered = state.clone();
        unordered[first_one_time..first_one_time + 4]
            .copy_from_slice(&state[second_one_time..second_one_time + 4]);
        unordered[second_one_time..second_one_time + 4]
            .copy_from_slice(&state[first_one_time..first_one_time + 4]);
        cases.push(("one-time prekey ids out of order", unordered));
        for (what, bad) in cases {
            assert_eq!(
                open(&sealed(&bad), CONTEXT),
                Err(PickleError::Malformed),
                "{what}"
            );
        }
        // PKL-05
        let mut long = vec![PREKEY_STORE_PICKLE_TAG];
        long.resize(MAX_PREKEY_STORE_PICKLE_LEN + 1, 0);
        assert_eq!(open(&long, CONTEXT), Err(PickleError::TooLong));
    }

    #[test]
    fn a_policy_asking_for_more_one_time_prekeys_than_the_cap_gets_the_cap() {
        let mut rng = StdRng::seed_from_u64(40);
        let policy = PrekeyPolicy {
            post_quantum: PostQuantum::Absent,
            one_time_prekeys: u32::MAX,
            ..PrekeyPolicy::default()
        };
        let store =
            InMemoryPrekeyStore::new(DeviceIdentity::generate(&mut rng), policy, 1_000, &mut rng);
        assert_eq!(store.one_time_prekey_count(), MAX_ONE_TIME_PREKEYS as usize);
        // Its pickle restores: the cap keeps it within what the decoder accepts.
        let pickle = store.pickle(&KEY, CONTEXT, &mut rng).unwrap();
        let restored = InMemoryPrekeyStore::from_pickle(&KEY, CONTEXT, &pickle).unwrap();
        assert_eq!(
            restored.one_time_prekey_count(),
            MAX_ONE_TIME_PREKEYS as usize
        );
        // One more one-time prekey in a correctly sealed state is PKL-04.
        let mut state = state_of(&store);
        let count_at = 64 + 21 + 4 + 4 + SIGNED_ENTRY_LEN;
        let count = u32::from_be_bytes(state[count_at..count_at + 4].try_into().unwrap());
        assert_eq!(count, MAX_ONE_TIME_PREKEYS);
        state[count_at..count_at + 4].copy_from_slice(&(count + 1).to_be_bytes());
        let last_entry_end = count_at + 4 + count as usize * ONE_TIME_ENTRY_LEN;
        let mut extra = u32::MAX.to_be_bytes().to_vec();
        extra.extend_from_slice(&[7; 32]);
        state.splice(last_entry_end..last_entry_end, extra);
        assert_eq!(
            InMemoryPrekeyStore::from_pickle(&KEY, CONTEXT, &sealed(&state)).map(|_| ()),
            Err(PickleError::Malformed)
        );
    }
}
