//! Property tests for session setup (the handshake chapter of `docs/protocol.md`, sections
//! 7.6 to 7.8): X3DH and PQXDH through [`InMemoryPrekeyStore`]s and a relay
//! ([`PublishedPrekeys`]), with every bundle and initial message sent as bytes.
//!
//! - `simultaneous_initiation` (7.8): devices A and B, each with a random [`PrekeyPolicy`]
//!   (post-quantum offered or not, 0 to 2 one-time prekeys of each kind), fetch each other's
//!   bundle and initiate at the same time. Proptest then chooses up to [`MAX_TALK_STEPS`]
//!   steps: a device sends (at most [`MAX_MESSAGES`] ratchet messages in all), the network
//!   delivers any in-flight message whose session the receiver has (the two initial messages
//!   included, so they arrive in either order), or replays a delivered one. A device that has
//!   not yet received its peer's initial message sends on the session it initiated; once it
//!   holds both sessions it sends on the one [`keep_own_initiation`] tells it to keep. The
//!   tie-break must be complementary (exactly one device keeps its own initiation, so the two
//!   kept sessions are peers), every message sent on a kept session must decrypt with the
//!   receiver's *kept* session (so a tie-break on which the devices disagree fails), messages
//!   in flight on a discarded session must decrypt with the receiver's session kept for
//!   receiving, every message must decrypt exactly once and replays (of ratchet messages
//!   and of initial messages) must be refused.
//! - `prekey_exhaustion` (7.6, 7.7): a responder with N one-time prekeys and M one-time ML-KEM
//!   prekeys (0 to 4 each) hands bundles to K initiators (1 to N + M + 3) through
//!   [`PublishedPrekeys::take_bundle`]. The bundles must carry the unused one-time prekeys in
//!   id order, then none, and the one-time ML-KEM prekeys, then the last-resort one. The
//!   initial messages arrive in random order, some twice: every first delivery is accepted
//!   and uses up exactly the one-time prekeys its bundle carried (the counts drop by exactly
//!   that); every second one is refused with [`HandshakeError::Replayed`] (HS-09) and leaves
//!   the store unchanged. [`InMemoryPrekeyStore::replenish`] then restores the counts, and
//!   the next bundle carries one-time prekeys again and is accepted.
//! - `signed_prekey_rotation` (7.7): initial messages are built from the responder's current
//!   signed prekey while it rotates it, the clock advances and it prunes, all in random order
//!   (grace periods of 0 to 12 seconds, clock steps of 0 to 8, so the boundary is hit). A
//!   model predicts every outcome: a message built from signed prekey S is accepted iff S is
//!   still held, that is, S is current or no prune ran at or after the end of its grace period
//!   (the rotation that replaced it plus [`PrekeyPolicy::signed_prekey_grace`]); otherwise it
//!   is refused with [`HandshakeError::UnknownSignedPrekey`] (HS-08) and the store is
//!   unchanged. A replay is refused as [`HandshakeError::Replayed`] while S is held and as
//!   unknown once it is pruned (its replay records go with it); the store's held signed
//!   prekeys and replay record count are compared with the model after every prune and every
//!   delivery. The model reads "usable until r + grace" (`rotate_signed_prekey`, rotation at
//!   r) as exclusive: a prune at exactly r + grace deletes the replaced signed prekey.
//!
//! Each property runs `PROPTEST_CASES` cases, [`DEFAULT_CASES`] when the variable is unset,
//! and then asserts that the events it is about happened in at least 1% of the cases (for
//! runs of at least 200 cases).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::collections::{BTreeSet, HashSet};

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestCaseResult};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sotto_handshake::{
    DeviceIdentity, DeviceIdentityKey, HandshakeConfig, HandshakeError, InMemoryPrekeyStore,
    InitialMessage, KemPrekeyKind, Mode, PostQuantum, PrekeyBundle, PrekeyPolicy, PrekeyStore,
    PublishedPrekeys, Response, VerifiedBundle, initiate, keep_own_initiation, respond,
};
use sotto_ratchet::{DecryptError, Message, Session, SessionConfig};
use sotto_tests::properties::assert_exercised;

/// Cases per property when `PROPTEST_CASES` is unset. A case runs 2 to 20 handshakes (about
/// 1 ms each in a debug build for PQXDH, plus ML-KEM key generation for the stores), so the
/// ratchet properties' 1000 would take over a minute (2000 take about 2 minutes); 256 keep the
/// whole file at about 20 s of CPU time, under 20 s of wall time on two cores, and still let
/// the 1% event checks below run.
const DEFAULT_CASES: u32 = 256;
/// Ratchet messages per `simultaneous_initiation` case, besides the two initial messages.
const MAX_MESSAGES: usize = 20;
/// Longest step sequence of `simultaneous_initiation`.
const MAX_TALK_STEPS: usize = 48;
/// Longest event sequence of `signed_prekey_rotation`.
const MAX_ROTATION_EVENTS: usize = 32;
/// The clock at store creation.
const NOW: u64 = 1_764_000_000;

/// Cases per property: `PROPTEST_CASES` if set, else [`DEFAULT_CASES`].
fn cases() -> u32 {
    sotto_tests::properties::cases(DEFAULT_CASES)
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

/// Runs `test` on `cases()` values of `strategy` (see [`sotto_tests::properties::run`]);
/// returns the number of cases.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> TestCaseResult) -> u32 {
    let cases = cases();
    sotto_tests::properties::run(file!(), cases, &strategy, test);
    cases
}

/// The whole store, canonically: its `Debug` output lists the signed prekeys with their
/// retirement times, the unused one-time prekeys (public keys), the ML-KEM prekey ids, every
/// replay record and the id counter.
fn store_state(store: &InMemoryPrekeyStore) -> String {
    format!("{store:?}")
}

/// The relay hands out a bundle; it travels as bytes and is verified.
fn fetch(relay: &mut PublishedPrekeys) -> Result<(PrekeyBundle, VerifiedBundle), TestCaseError> {
    let bundle = relay.take_bundle();
    let decoded = PrekeyBundle::from_bytes(&bundle.to_bytes())
        .map_err(|e| fail(format!("bundle does not decode: {e:?}")))?;
    prop_assert_eq!(&decoded, &bundle);
    let verified = decoded
        .verify()
        .map_err(|e| fail(format!("bundle does not verify: {e:?}")))?;
    Ok((bundle, verified))
}

fn decode_initial(wire: &[u8]) -> Result<InitialMessage, TestCaseError> {
    InitialMessage::from_bytes(wire)
        .map_err(|e| fail(format!("initial message does not decode: {e:?}")))
}

const fn mode_for(post_quantum: PostQuantum) -> Mode {
    match post_quantum {
        PostQuantum::Offered => Mode::Pqxdh,
        PostQuantum::Absent => Mode::X3dh,
    }
}

/// A plaintext that names its message.
fn plaintext(tag: &str, id: usize, len: u8) -> Vec<u8> {
    let mut p = format!("{tag}#{id}:").into_bytes();
    p.extend((0..len).map(|i| i.wrapping_mul(0x3b)));
    p
}

fn post_quantum() -> impl Strategy<Value = PostQuantum> {
    prop_oneof![3 => Just(PostQuantum::Offered), 1 => Just(PostQuantum::Absent)]
}

/// Describes an outcome of `respond` without the session (which has no `PartialEq`) and
/// with the error as its `Debug` text (`HandshakeError` has no `PartialEq` either: its
/// `Store` variant carries the store's cause).
fn outcome(result: &Result<Response, HandshakeError>) -> Result<(), String> {
    result.as_ref().map(|_| ()).map_err(|e| format!("{e:?}"))
}

/// The [`outcome`] of a refusal with `error`.
fn refused(error: &HandshakeError) -> Result<(), String> {
    Err(format!("{error:?}"))
}

fn small_policy() -> impl Strategy<Value = PrekeyPolicy> {
    (post_quantum(), 0..=2u32, 0..=2u32).prop_map(|(post_quantum, one_time, kem_one_time)| {
        PrekeyPolicy {
            post_quantum,
            one_time_prekeys: one_time,
            kem_one_time_prekeys: kem_one_time,
            ..PrekeyPolicy::default()
        }
    })
}

fn new_store(seed: u64, policy: PrekeyPolicy) -> (InMemoryPrekeyStore, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let identity = DeviceIdentity::generate(&mut rng);
    let store = InMemoryPrekeyStore::new(identity, policy, NOW, &mut rng);
    (store, rng)
}

mod exhaustion;
mod rotation;
mod simultaneous;
