//! Attack findings (branch `atk`): states the prekey-store pickle decoder accepts although no
//! store can reach them, and what they break afterwards; owned one-time prekeys that can be
//! duplicated. Each test is `#[ignore]`d with its finding until the code is fixed.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::pickle::{self as envelope, PickleKey};
use sotto_crypto::wire;

use super::{NOW, config, policy};
use crate::store::PrekeyStore;
use crate::*;

const KEY: PickleKey = PickleKey::new([0x5e; 32]);
const CONTEXT: &[u8] = b"bob/1 prekey store generation 7";
/// Offsets in the store state (protocol.md 4.2): identity 64, policy 21.
const NEXT_ID_AT: usize = 64 + 21;
const SIGNED_COUNT_AT: usize = NEXT_ID_AT + 4;
const SIGNED_ENTRY_LEN: usize = 53;
const ONE_TIME_ENTRY_LEN: usize = 36;

fn state_of(store: &InMemoryPrekeyStore) -> Vec<u8> {
    let pickle = store
        .pickle(&KEY, CONTEXT, &mut StdRng::seed_from_u64(1))
        .unwrap();
    envelope::open(wire::PREKEY_STORE_PICKLE, &KEY, CONTEXT, &pickle, 1 << 25)
        .unwrap()
        .to_vec()
}

/// A correctly sealed pickle of `state` (what a buggy writer or another implementation
/// holding the pickle key stores).
fn restore(state: &[u8]) -> Result<InMemoryPrekeyStore, sotto_ratchet::PickleError> {
    let pickle = envelope::seal(
        wire::PREKEY_STORE_PICKLE,
        &KEY,
        CONTEXT,
        state,
        &mut StdRng::seed_from_u64(4),
    )
    .unwrap();
    InMemoryPrekeyStore::from_pickle(&KEY, CONTEXT, &pickle)
}

fn u32_at(state: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(state[at..at + 4].try_into().unwrap())
}

/// Sets up a session from the store's current bundle; `Err` if the store refuses it.
fn session_with(store: &mut InMemoryPrekeyStore, seed: u64) -> Result<(), HandshakeError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let alice = DeviceIdentity::generate(&mut rng);
    let bundle = store.published().unwrap().take_bundle().verify().unwrap();
    let expected = *bundle.bundle().identity();
    let sent = initiate(&alice, &bundle, &expected, b"hello", &config(), &mut rng).unwrap();
    respond(store, &sent.message, &alice.public(), &config()).map(|got| {
        assert_eq!(got.plaintext, b"hello");
    })
}

/// Finding 3. The decoder accepts a `next_id` that a held prekey already has (and ids shared
/// between lists). `allocate_id` hands the id out again, so the next rotation creates a
/// second signed prekey with the current one's id: `find_signed_prekey` answers the retired
/// one for the new bundle's id (every initial message to the new bundle fails, HS-10), and
/// `prune` deletes by id, so it deletes the new current signed prekey together with the
/// retired one, leaving a store with no signed prekey whose own pickle is then refused
/// (PKL-04 "no signed prekey").
#[test]

fn a_next_id_that_is_already_held_is_refused_or_harmless() {
    let mut rng = StdRng::seed_from_u64(31);
    let store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(PostQuantum::Absent, 0, 0),
        NOW,
        &mut rng,
    );
    let mut state = state_of(&store);
    let spk_id = u32_at(&state, SIGNED_COUNT_AT + 4);
    assert_eq!(u32_at(&state, SIGNED_COUNT_AT), 1);
    // next_id := the id of the held signed prekey.
    state[NEXT_ID_AT..NEXT_ID_AT + 4].copy_from_slice(&spk_id.to_be_bytes());
    let Ok(mut restored) = restore(&state) else {
        return; // refused (PKL-04): the fix this test accepts
    };
    restored.rotate_signed_prekey(NOW + 10, &mut rng);
    let new_id = restored.current_signed_prekey().unwrap().id();
    let session = session_with(&mut restored, 1);
    restored.prune(NOW + 10 + PrekeyPolicy::default().signed_prekey_grace);
    let current_after_prune = restored.current_signed_prekey().is_some();
    let pickle = restored.pickle(&KEY, CONTEXT, &mut rng).unwrap();
    let reopens = InMemoryPrekeyStore::from_pickle(&KEY, CONTEXT, &pickle).is_ok();
    assert!(
        new_id != spk_id && session.is_ok() && current_after_prune && reopens,
        "rotation gave id {new_id} (held: {spk_id}); session to the new bundle: {session:?}; \
         current signed prekey after prune: {current_after_prune}; own pickle reopens: {reopens}"
    );
}

/// Finding 3 (the decoder half): ids come from one counter (protocol.md 7.7), so no id is in
/// two lists and `next_id` is none of them; a state that breaks either is PKL-04.
#[test]

fn ids_shared_between_lists_or_with_next_id_are_malformed() {
    let mut rng = StdRng::seed_from_u64(32);
    let store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(PostQuantum::Absent, 2, 0),
        NOW,
        &mut rng,
    );
    let state = state_of(&store);
    let spk_id = u32_at(&state, SIGNED_COUNT_AT + 4);
    let one_time_count_at = SIGNED_COUNT_AT + 4 + SIGNED_ENTRY_LEN;
    assert_eq!(u32_at(&state, one_time_count_at), 2);
    let first_one_time = one_time_count_at + 4;
    let second_one_time = first_one_time + ONE_TIME_ENTRY_LEN;
    assert!(spk_id < u32_at(&state, second_one_time));
    let mut cases = Vec::new();
    // The first one-time prekey takes the signed prekey's id (still increasing).
    let mut shared = state.clone();
    shared[first_one_time..first_one_time + 4].copy_from_slice(&spk_id.to_be_bytes());
    cases.push(("a one-time prekey with the signed prekey's id", shared));
    // next_id := the last one-time prekey's id: replenish would overwrite its private key.
    let mut next = state.clone();
    next[NEXT_ID_AT..NEXT_ID_AT + 4].copy_from_slice(&state[second_one_time..second_one_time + 4]);
    cases.push(("next_id held by a one-time prekey", next));
    for (what, bad) in cases {
        assert!(
            matches!(restore(&bad), Err(sotto_ratchet::PickleError::Malformed)),
            "{what} restored"
        );
    }
}

/// Finding 4. A replay record lives "until its signed prekey is deleted" (protocol.md 7.7),
/// so every record names a held signed prekey; `prune` only deletes records of the signed
/// prekeys it deletes. The decoder accepts records under a signed prekey id the store does not
/// hold: they are never deleted (and would apply to a later signed prekey given that id).
#[test]

fn replay_records_of_signed_prekeys_not_held_do_not_survive() {
    let mut rng = StdRng::seed_from_u64(33);
    let mut store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(PostQuantum::Absent, 0, 0),
        NOW,
        &mut rng,
    );
    session_with(&mut store, 2).unwrap();
    let mut state = state_of(&store);
    assert_eq!(store.seen_count(), 1);
    // The record is the last 36 bytes; move it to signed prekey id 999 (not held).
    let at = state.len() - 36;
    state[at..at + 4].copy_from_slice(&999u32.to_be_bytes());
    let Ok(mut restored) = restore(&state) else {
        return; // refused (PKL-04): the fix this test accepts
    };
    restored.rotate_signed_prekey(NOW + 10, &mut rng);
    restored.prune(NOW + 10 + PrekeyPolicy::default().signed_prekey_grace);
    let orphans: Vec<u32> = restored
        .seen
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| restored.signed_prekey(*id).unwrap().is_none())
        .collect();
    assert!(
        orphans.is_empty(),
        "replay records under signed prekeys not held: {orphans:?}"
    );
}

/// Finding 5. protocol.md 7.11: lookups return the OPK pair as an owned value that wipes
/// itself on drop and is "not `Clone`". `PrekeyStore::one_time_prekey` returns an
/// `x25519::KeyPair`, which is `Clone`: a one-time secret a caller (or a store
/// implementation's cache) can duplicate silently. Checked with inherent-method priority
/// (the inherent `is_clone` exists only when `T: Clone`).
#[test]

fn the_owned_one_time_prekey_is_not_clone() {
    use core::marker::PhantomData;
    struct Probe<T>(PhantomData<T>);
    trait NotClone {
        fn is_clone(&self) -> bool {
            false
        }
    }
    impl<T> NotClone for Probe<T> {}
    impl<T: Clone> Probe<T> {
        #[allow(dead_code)]
        fn is_clone(&self) -> bool {
            true
        }
    }
    fn probe_of<T>(_: &Result<Option<T>, StoreError>) -> Probe<T> {
        Probe(PhantomData)
    }
    let mut rng = StdRng::seed_from_u64(34);
    let store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(PostQuantum::Absent, 1, 0),
        NOW,
        &mut rng,
    );
    let id = store.published().unwrap().one_time[0].id;
    let looked_up = store.one_time_prekey(id);
    // Controls: the other owned values are not Clone.
    let spk = store.signed_prekey(store.current_signed_prekey().unwrap().id());
    assert!(!probe_of(&spk).is_clone());
    assert!(!probe_of(&store.identity().map(Some)).is_clone());
    assert!(
        !probe_of(&looked_up).is_clone(),
        "the one-time prekey pair is Clone"
    );
}
