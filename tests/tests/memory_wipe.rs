//! Deletion is real: a deleted secret leaves no copy in the process's memory.
//!
//! The test scans the process's own writable private mappings (heap, anonymous mappings,
//! `.data`/`.bss`) through `/proc/self/mem` for the bytes of a key after the library deleted
//! it: skipped message keys after their messages were decrypted, skipped keys evicted from a
//! full store, and the root key and ratchet private key of a session after it was pickled
//! (with a state whose buffer used to grow) and dropped. Controls check that the scanner
//! finds live keys exactly once. The current thread's stack is not scanned: stack residue of
//! moved values is outside what safe Rust can wipe, and the claim tested is about the
//! containers (skipped-key store, its temporaries, pickle buffers). Sessions whose inline
//! fields are counted live on the heap (`Box`).
//!
//! The needle is held XOR-masked (mask and masked bytes in separate allocations), so the
//! scanner never finds its own copy, and the scan buffer is left out of the scan; the hazmat
//! traces that revealed the keys are wiped before scanning. Everything runs in one test
//! function so no other test thread adds noise. `MEMORY_WIPE_DEBUG=1` prints every hit.

#![cfg(target_os = "linux")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sotto_tests::memory_scan::{Needle, count};

use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::hazmat::StepTrace;
use sotto_ratchet::{PickleKey, Session, SessionConfig, SessionSecret};
use zeroize::Zeroize;

const CONTEXT: &[u8] = b"sotto-tests memory wipe";

/// Wipes every secret a trace holds (the trace type itself does not).
fn wipe(mut trace: StepTrace) {
    trace.message_key.zeroize();
    trace.aead_key.zeroize();
    trace.nonce.zeroize();
    for key in [
        &mut trace.ratchet_private_key,
        &mut trace.root_key,
        &mut trace.chain_key,
        &mut trace.header_key,
        &mut trace.header_aead_key,
    ] {
        if let Some(k) = key.as_mut() {
            k.zeroize();
        }
    }
    drop(trace);
}

fn pair(config: SessionConfig, ad: &[u8]) -> (Session, Session) {
    let mut rng = rand::rng();
    let secret = rand::random::<[u8; 32]>();
    let bob_prekey = KeyPair::generate(&mut rng);
    let alice = Session::initiator(
        SessionSecret::new(secret),
        ad,
        bob_prekey.public_key(),
        config,
        &mut rng,
    )
    .unwrap();
    let bob = Session::responder(SessionSecret::new(secret), ad, bob_prekey, config).unwrap();
    (alice, bob)
}

/// (a) Skipped keys used out of order leave no copy once used, nor after the session is
/// dropped. Returns the copies of the 19 skipped keys while they are stored (summed; the
/// live entries alone are one each), after use and after the drop.
fn skipped_keys_used(kind: SessionConfig) -> (usize, usize, usize) {
    let mut rng = rand::rng();
    let (mut alice, mut bob) = pair(kind, b"memory-wipe");
    let mut needles = Vec::new();
    let mut messages = Vec::new();
    for i in 0..20u32 {
        let (message, mut trace) = alice
            .encrypt_with_trace(&i.to_be_bytes(), &mut rng)
            .unwrap();
        needles.push(Needle::take(&mut trace.message_key));
        wipe(trace);
        messages.push(message);
    }
    drop(alice);
    // The last first: 19 keys go through the skipped store, then are used in a mixed order
    // (from both ends and the middle, so the store's removal moves entries both ways).
    let (_, trace) = bob.decrypt_with_trace(&messages[19]).unwrap();
    wipe(trace);
    let refs: Vec<&Needle> = needles[..19].iter().collect();
    let while_stored = count(&refs).iter().sum();
    for i in [
        0usize, 18, 9, 3, 17, 1, 10, 2, 16, 4, 11, 5, 15, 6, 12, 7, 14, 8, 13,
    ] {
        let (_, trace) = bob.decrypt_with_trace(&messages[i]).unwrap();
        wipe(trace);
    }
    assert_eq!(bob.skipped_key_count(), 0);
    let after_use = count(&refs).iter().sum();
    drop(bob);
    let after_drop = count(&refs).iter().sum();
    (while_stored, after_use, after_drop)
}

/// (b) Keys evicted from a full store leave no copy. Returns the copies found.
fn evicted_keys(kind: SessionConfig) -> usize {
    let mut rng = rand::rng();
    let (mut alice, mut bob) = pair(kind.with_max_stored_skipped(4), b"memory-wipe");
    let mut needles = Vec::new();
    let mut skipped = Vec::new();
    for i in 0..16u32 {
        let (message, mut trace) = alice.encrypt_with_trace(b"x", &mut rng).unwrap();
        // Messages 0..7 are evicted: 7 arrives first (0..6 skipped, the oldest 3 evicted at
        // once), then 15 (8..14 skipped, every older entry evicted).
        if i < 7 || (8..11).contains(&i) {
            needles.push(Needle::take(&mut trace.message_key));
        }
        wipe(trace);
        if i == 7 || i == 15 {
            skipped.push(message);
        }
    }
    drop(alice);
    for message in &skipped {
        let (_, trace) = bob.decrypt_with_trace(message).unwrap();
        wipe(trace);
    }
    assert_eq!(bob.skipped_key_count(), 4);
    let refs: Vec<&Needle> = needles.iter().collect();
    let found = count(&refs).iter().sum();
    drop(bob);
    found
}

/// (c) Pickling leaves no copy of the root key, the ratchet private key or the sending chain
/// key once the session is dropped. The associated data is sized so that the state used to
/// outgrow its buffer right after those keys were written. Returns the copies of (root key,
/// ratchet private key, replaced chain key) before and after pickling the live session, and
/// the copies of all three left once it was dropped.
fn pickled_keys(kind: SessionConfig) -> (Vec<usize>, Vec<usize>, usize) {
    let mut rng = rand::rng();
    let (mut alice, bob) = pair(kind, &[0x5a; 180]);
    // On the heap, so the scan sees the live session (the current stack is not scanned).
    let mut bob = Box::new(bob);
    let m = alice.encrypt(b"hello", &mut rng).unwrap();
    drop(alice);
    bob.decrypt(&m).unwrap();
    // Bob's sending step: the new root key and ratchet key pair are Bob's alone.
    let (_, mut trace) = bob.encrypt_with_trace(b"hi", &mut rng).unwrap();
    let mut needles = vec![
        Needle::take(trace.root_key.as_mut().unwrap()),
        Needle::take(trace.ratchet_private_key.as_mut().unwrap()),
        // The chain key this step used, replaced in the session by the step.
        Needle::take(trace.chain_key.as_mut().unwrap()),
    ];
    wipe(trace);
    let (_, trace) = bob.encrypt_with_trace(b"again", &mut rng).unwrap();
    wipe(trace);
    needles.shrink_to_fit();
    let refs: Vec<&Needle> = needles.iter().collect();
    let before = count(&refs);
    let key = PickleKey::new(rand::random::<[u8; 32]>());
    let pickle = bob.pickle(&key, CONTEXT, &mut rng).expect("pickle");
    drop(pickle);
    let after = count(&refs);
    drop(bob);
    (before, after, count(&refs).iter().sum())
}

#[test]
fn deleted_keys_leave_no_copy_in_memory() {
    let mut failures = Vec::new();
    for (name, kind) in [
        ("standard", SessionConfig::standard()),
        ("header-encrypted", SessionConfig::header_encrypted()),
    ] {
        let (while_stored, after_use, after_drop) = skipped_keys_used(kind);
        let evicted = evicted_keys(kind);
        let (live_before, live_after, pickled) = pickled_keys(kind);
        println!(
            "{name}: 19 skipped keys: {while_stored} copies while stored, {after_use} after \
             use, {after_drop} after drop; evicted keys: {evicted} copies; (root key, ratchet \
             private key, old chain key) live: {live_before:?} before pickling, {live_after:?} \
             after; after drop: {pickled} copies"
        );
        // Controls: the scanner sees each live key exactly once.
        if while_stored != 19 {
            failures.push(format!("{name}: {while_stored} copies of 19 stored keys"));
        }
        if live_before != [1, 1, 0] || live_after != [1, 1, 0] {
            failures.push(format!(
                "{name}: live copies {live_before:?} before pickling, {live_after:?} after"
            ));
        }
        for (what, n) in [
            ("used skipped keys", after_use),
            ("used skipped keys after drop", after_drop),
            ("evicted keys", evicted),
            ("pickled session keys after drop", pickled),
        ] {
            if n != 0 {
                failures.push(format!("{name}: {n} copies of {what}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
