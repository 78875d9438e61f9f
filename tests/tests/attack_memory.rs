//! Attack findings on the prekey store's memory hygiene (branch `atk`): one-time prekeys
//! deleted on use, signed prekeys pruned after their grace period and stores restored from a
//! pickle must leave no copy of a private key in the process's memory (threat-model.md
//! section 3, "past sessions from a seized prekey store", "keys lingering in memory").
//! Scanner: the one of `memory_wipe.rs` (writable private mappings through /proc/self/mem,
//! the current thread's stack left out, needles held XOR-masked). The store lives in a `Box`
//! so that the scan sees it. It is one test, so that nothing else in the process allocates keys
//! while a scan runs.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sotto_tests::memory_scan::{Needle, count};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, PostQuantum, PrekeyPolicy, PrekeyStore,
    initiate, respond,
};

const NOW: u64 = 1_764_000_000;
const GRACE: u64 = 100;

fn policy(one_time: u32) -> PrekeyPolicy {
    PrekeyPolicy {
        post_quantum: PostQuantum::Absent,
        one_time_prekeys: one_time,
        replenish_below: 0,
        kem_one_time_prekeys: 0,
        signed_prekey_grace: GRACE,
    }
}

fn opk_needle(store: &InMemoryPrekeyStore, id: u32) -> Needle {
    let pair = store.one_time_prekey(id).unwrap().unwrap();
    let mut k = *pair.secret_key().expose();
    drop(pair);
    Needle::take(&mut k)
}

fn spk_needle(store: &InMemoryPrekeyStore, id: u32) -> Needle {
    let pair = store.signed_prekey(id).unwrap().unwrap();
    let mut k = *pair.key_pair.secret_key().expose();
    drop(pair);
    Needle::take(&mut k)
}

/// Finding 1: the one-time prekey an accepted initial message used. `commit` removes it from
/// the `BTreeMap` (`remove` moves the value out and shifts the rest of the leaf down, leaving
/// the bytes of the last slot in place), so when it was the last entry of its node its private
/// key stays in the live store. Returns (copies before respond, copies after respond).
fn used_one_time_prekey() -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(11);
    let alice = DeviceIdentity::generate(&mut rng);
    let mut store = Box::new(InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(1),
        NOW,
        &mut rng,
    ));
    let bundle = store.published().unwrap().take_bundle().verify().unwrap();
    let opk_id = bundle.bundle().one_time_prekey().unwrap().id();
    let needle = opk_needle(&store, opk_id);
    let before = count(&[&needle])[0];
    let config = HandshakeConfig::default();
    let expected = *bundle.bundle().identity();
    let sent = initiate(&alice, &bundle, &expected, b"hi", &config, &mut rng).unwrap();
    let got = respond(&mut *store, &sent.message, &alice.public(), &config).unwrap();
    drop(got);
    drop(sent);
    assert_eq!(store.one_time_prekey_count(), 0);
    let after = count(&[&needle])[0];
    drop(store);
    (before, after)
}

/// Finding 2: a signed prekey deleted by `prune`. `Vec::retain` drops the removed entries in
/// place (wiped) but moves the kept ones down with a bitwise copy, leaving their old slots
/// unwiped; when a moved one is pruned later, its stale copy survives. Returns the copies of
/// the twice-moved signed prekey once it was pruned.
fn pruned_signed_prekey() -> usize {
    let mut rng = StdRng::seed_from_u64(12);
    let mut store = Box::new(InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(0),
        NOW,
        &mut rng,
    ));
    // Four signed prekeys (the Vec's first capacity): three retired, one current.
    for i in 1..=3 {
        store.rotate_signed_prekey(NOW + i, &mut rng);
    }
    let current = store.current_signed_prekey().unwrap().id();
    let needle = spk_needle(&store, current);
    // The three retired ones expire: `current` moves from slot 3 to slot 0.
    store.prune(NOW + 3 + GRACE - 1);
    // Rotate once more and let `current` expire too.
    store.rotate_signed_prekey(NOW + 10, &mut rng);
    store.prune(NOW + 10 + GRACE);
    assert!(store.signed_prekey(current).unwrap().is_none());
    let found = count(&[&needle])[0];
    drop(store);
    found
}

/// Finding 2b: one-time prekeys held in the store's `BTreeMap` while it is filled (by
/// `new`/`replenish`, and by the pickle decoder) or dropped: node splits move half of a full
/// leaf to a new node with a bitwise copy and leave the old slots unwiped. Returns (copies of
/// 30 one-time private keys while held, copies after the restored store was dropped).
fn restored_store_dropped() -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(13);
    let store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(30),
        NOW,
        &mut rng,
    );
    let ids: Vec<u32> = store
        .published()
        .unwrap()
        .one_time
        .iter()
        .map(|o| o.id())
        .collect();
    let key = sotto_crypto::pickle::PickleKey::new([0x42; 32]);
    let pickle = store.pickle(&key, b"ctx", &mut rng).unwrap();
    let needles: Vec<Needle> = ids.iter().map(|id| opk_needle(&store, *id)).collect();
    drop(store);
    let restored = Box::new(InMemoryPrekeyStore::from_pickle(&key, b"ctx", &pickle).unwrap());
    let refs: Vec<&Needle> = needles.iter().collect();
    let held = count(&refs).iter().sum();
    drop(restored);
    let after = count(&refs).iter().sum();
    (held, after)
}

/// Finding 2c: growing the signed-prekey `Vec` (the fifth signed prekey outgrows the first
/// capacity of four) moves the entries to a new buffer and frees the old one unwiped.
/// Returns the copies of the first four signed private keys after the growth (live: 4).
fn grown_signed_prekeys() -> usize {
    let mut rng = StdRng::seed_from_u64(14);
    let mut store = Box::new(InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        policy(0),
        NOW,
        &mut rng,
    ));
    let mut needles = Vec::new();
    for i in 1..=3 {
        needles.push(spk_needle(
            &store,
            store.current_signed_prekey().unwrap().id(),
        ));
        store.rotate_signed_prekey(NOW + i, &mut rng);
    }
    needles.push(spk_needle(
        &store,
        store.current_signed_prekey().unwrap().id(),
    ));
    store.rotate_signed_prekey(NOW + 4, &mut rng);
    let refs: Vec<&Needle> = needles.iter().collect();
    let found = count(&refs).iter().sum();
    drop(store);
    found
}

/// One test, so that no other test of this process allocates keys while a scan runs.
#[test]
fn deleted_prekeys_leave_no_copy_in_memory() {
    used_one_time_prekey_leaves_no_copy();
    pruned_and_restored_prekeys_leave_no_copy();
}

fn used_one_time_prekey_leaves_no_copy() {
    let (before, after) = used_one_time_prekey();
    println!("used one-time prekey: {before} copies before respond, {after} after");
    assert_eq!(before, 1, "control: the live key is found once");
    assert_eq!(after, 0, "the deleted one-time prekey is still in memory");
}

fn pruned_and_restored_prekeys_leave_no_copy() {
    let pruned = pruned_signed_prekey();
    let (held, after_drop) = restored_store_dropped();
    let grown = grown_signed_prekeys();
    println!(
        "pruned signed prekey: {pruned} copies; 30 one-time prekeys of a restored store: \
         {held} copies while held, {after_drop} after drop; 4 live signed prekeys after the \
         Vec grew: {grown} copies"
    );
    let mut failures = Vec::new();
    if pruned != 0 {
        failures.push(format!("{pruned} copies of a pruned signed prekey"));
    }
    if held != 30 {
        failures.push(format!("{held} copies of 30 held one-time prekeys"));
    }
    if grown != 4 {
        failures.push(format!(
            "{grown} copies of 4 live signed prekeys after growth"
        ));
    }
    if after_drop != 0 {
        failures.push(format!(
            "{after_drop} copies of one-time prekeys after drop"
        ));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
