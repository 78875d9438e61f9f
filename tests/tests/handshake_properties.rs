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
use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, TestCaseError, TestCaseResult, TestRunner,
};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sotto_handshake::{
    DeviceIdentity, DeviceIdentityKey, HandshakeConfig, HandshakeError, InMemoryPrekeyStore,
    InitialMessage, KemPrekeyKind, Mode, PostQuantum, PrekeyBundle, PrekeyPolicy, PrekeyStore,
    PublishedPrekeys, Response, VerifiedBundle, initiate, keep_own_initiation, respond,
};
use sotto_ratchet::{DecryptError, Message, Session, SessionConfig};

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
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

/// Runs `test` on `cases()` values of `strategy`; a failure panics with proptest's minimal
/// (shrunk) failing input, as `proptest!` does. Returns the number of cases.
fn check<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> TestCaseResult) -> u32 {
    let cases = cases();
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        source_file: Some(file!()),
        // Next to this file: `SourceParallel` cannot place an integration test's file.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}\n{runner}");
    }
    cases
}

/// Asserts that a counter was hit in a reasonable number of cases (skipped for tiny runs).
fn assert_exercised(cases: u32, name: &str, counter: &Cell<u64>) {
    if cases >= 200 {
        assert!(
            counter.get() * 100 >= u64::from(cases),
            "{name} happened only {} times in {cases} cases",
            counter.get()
        );
    }
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

/// Describes an outcome of `respond` without the session (which has no `PartialEq`).
fn outcome(result: &Result<Response, HandshakeError>) -> Result<(), HandshakeError> {
    result.as_ref().map(|_| ()).map_err(|e| *e)
}

// ---------------------------------------------------------------------------------------------
// 1. Simultaneous initiation (7.8).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    A,
    B,
}

impl Party {
    const fn index(self) -> usize {
        match self {
            Self::A => 0,
            Self::B => 1,
        }
    }

    const fn peer(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }
}

/// Which of a device's two sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// The session the device initiated.
    Initiated,
    /// The session it accepted from its peer's initial message.
    Accepted,
}

impl Lane {
    const fn other(self) -> Self {
        match self {
            Self::Initiated => Self::Accepted,
            Self::Accepted => Self::Initiated,
        }
    }
}

/// One step of the conversation. Indices are taken modulo the list they refer to.
#[derive(Debug, Clone)]
enum Talk {
    /// A ratchet message of `len` extra bytes (ignored after [`MAX_MESSAGES`]).
    Send { from: Party, len: u8 },
    /// Deliver the i-th in-flight message among those the receiver can take.
    Deliver(u8),
    /// Deliver the i-th delivered message again.
    Replay(u8),
}

#[derive(Debug, Clone)]
struct Simultaneous {
    seed: u64,
    policies: [PrekeyPolicy; 2],
    header_encrypted: bool,
    steps: Vec<Talk>,
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

fn talk() -> impl Strategy<Value = Talk> {
    prop_oneof![
        3 => (0..=8u8).prop_map(|len| Talk::Send { from: Party::A, len }),
        3 => (0..=8u8).prop_map(|len| Talk::Send { from: Party::B, len }),
        5 => any::<u8>().prop_map(Talk::Deliver),
        1 => any::<u8>().prop_map(Talk::Replay),
    ]
}

fn simultaneous() -> impl Strategy<Value = Simultaneous> {
    (
        any::<u64>(),
        small_policy(),
        small_policy(),
        any::<bool>(),
        prop::collection::vec(talk(), 0..=MAX_TALK_STEPS),
    )
        .prop_map(|(seed, a, b, header_encrypted, steps)| Simultaneous {
            seed,
            policies: [a, b],
            header_encrypted,
            steps,
        })
}

#[derive(Default)]
struct SimultaneousStats {
    a_keeps_own: Cell<u64>,
    b_keeps_own: Cell<u64>,
    b_initial_first: Cell<u64>,
    mixed_modes: Cell<u64>,
    in_flight_on_discarded: Cell<u64>,
    discarded_after_kept_traffic: Cell<u64>,
    kept_reordered: Cell<u64>,
    replays_refused: Cell<u64>,
    initial_replays_refused: Cell<u64>,
    header_encrypted: Cell<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    /// The initial message (the first message of the sender's initiated session).
    Initial,
    /// A ratchet message on the sender's session of this lane.
    Ratchet(Lane),
}

#[derive(Debug, Clone)]
struct Packet {
    id: usize,
    from: Party,
    payload: Payload,
    wire: Vec<u8>,
    plaintext: Vec<u8>,
}

struct Device {
    store: InMemoryPrekeyStore,
    public: DeviceIdentityKey,
    rng: StdRng,
    initiated: Session,
    accepted: Option<Session>,
    /// The tie-break's answer for this device.
    keeps_own: bool,
    /// Ids of the messages on the kept sessions this device decrypted.
    kept_decrypted: Vec<usize>,
}

impl Device {
    const fn kept_lane(&self) -> Lane {
        if self.keeps_own {
            Lane::Initiated
        } else {
            Lane::Accepted
        }
    }

    fn session(&mut self, lane: Lane) -> Option<&mut Session> {
        match lane {
            Lane::Initiated => Some(&mut self.initiated),
            Lane::Accepted => self.accepted.as_mut(),
        }
    }
}

struct Pair<'a> {
    config: HandshakeConfig,
    policies: [PrekeyPolicy; 2],
    devices: [Device; 2],
    in_flight: Vec<Packet>,
    delivered: Vec<Packet>,
    decrypted: HashSet<usize>,
    messages: usize,
    next_id: usize,
    flush_rng: StdRng,
    stats: &'a SimultaneousStats,
}

fn new_store(seed: u64, policy: PrekeyPolicy) -> (InMemoryPrekeyStore, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let identity = DeviceIdentity::generate(&mut rng);
    let store = InMemoryPrekeyStore::new(identity, policy, NOW, &mut rng);
    (store, rng)
}

impl<'a> Pair<'a> {
    fn new(case: &Simultaneous, stats: &'a SimultaneousStats) -> Result<Self, TestCaseError> {
        let config = HandshakeConfig {
            session: if case.header_encrypted {
                SessionConfig::header_encrypted()
            } else {
                SessionConfig::default()
            },
            require_post_quantum: false,
        };
        let (store_a, mut rng_a) = new_store(case.seed ^ 0xa000_0000_0000_0001, case.policies[0]);
        let (store_b, mut rng_b) = new_store(case.seed ^ 0xb000_0000_0000_0002, case.policies[1]);
        let (public_a, public_b) = (store_a.identity().public(), store_b.identity().public());
        let mut relay_a = store_a
            .published()
            .ok_or_else(|| fail("A publishes nothing".into()))?;
        let mut relay_b = store_b
            .published()
            .ok_or_else(|| fail("B publishes nothing".into()))?;
        // Both fetch the other's bundle before either initial message arrives.
        let (_, bundle_of_b) = fetch(&mut relay_b)?;
        let (_, bundle_of_a) = fetch(&mut relay_a)?;
        let first = [plaintext("A", 0, 0), plaintext("B", 1, 0)];
        let from_a = initiate(
            store_a.identity(),
            &bundle_of_b,
            &first[0],
            &config,
            &mut rng_a,
        )
        .map_err(|e| fail(format!("A initiates: {e:?}")))?;
        let from_b = initiate(
            store_b.identity(),
            &bundle_of_a,
            &first[1],
            &config,
            &mut rng_b,
        )
        .map_err(|e| fail(format!("B initiates: {e:?}")))?;
        prop_assert_eq!(from_a.mode, mode_for(case.policies[1].post_quantum));
        prop_assert_eq!(from_b.mode, mode_for(case.policies[0].post_quantum));
        if from_a.mode != from_b.mode {
            bump(&stats.mixed_modes);
        }
        if case.header_encrypted {
            bump(&stats.header_encrypted);
        }

        // The tie-break, computed by each device on its own (7.8).
        let a_keeps_own = keep_own_initiation(&public_a, &public_b);
        let b_keeps_own = keep_own_initiation(&public_b, &public_a);
        prop_assert!(
            a_keeps_own != b_keeps_own,
            "tie-break not complementary: A keeps its own initiation: {}, B keeps its own: {}",
            a_keeps_own,
            b_keeps_own
        );
        bump(if a_keeps_own {
            &stats.a_keeps_own
        } else {
            &stats.b_keeps_own
        });

        let in_flight = vec![
            Packet {
                id: 0,
                from: Party::A,
                payload: Payload::Initial,
                wire: from_a.message.to_bytes(),
                plaintext: first[0].clone(),
            },
            Packet {
                id: 1,
                from: Party::B,
                payload: Payload::Initial,
                wire: from_b.message.to_bytes(),
                plaintext: first[1].clone(),
            },
        ];
        let device = |store, public, rng, initiated, keeps_own| Device {
            store,
            public,
            rng,
            initiated,
            accepted: None,
            keeps_own,
            kept_decrypted: Vec::new(),
        };
        Ok(Self {
            config,
            policies: case.policies,
            devices: [
                device(store_a, public_a, rng_a, from_a.session, a_keeps_own),
                device(store_b, public_b, rng_b, from_b.session, b_keeps_own),
            ],
            in_flight,
            delivered: Vec::new(),
            decrypted: HashSet::new(),
            messages: 0,
            next_id: 2,
            flush_rng: StdRng::seed_from_u64(case.seed ^ 0xf100_0000_0000_0003),
            stats,
        })
    }

    fn apply(&mut self, step: &Talk) -> TestCaseResult {
        match *step {
            Talk::Send { from, len } => self.send(from, len),
            Talk::Deliver(i) => {
                let ready = self.deliverable();
                if ready.is_empty() {
                    return Ok(());
                }
                let packet = self.in_flight.remove(ready[usize::from(i) % ready.len()]);
                self.deliver(&packet, false)?;
                self.delivered.push(packet);
                Ok(())
            }
            Talk::Replay(i) => {
                if self.delivered.is_empty() {
                    return Ok(());
                }
                let packet = self.delivered[usize::from(i) % self.delivered.len()].clone();
                self.deliver(&packet, true)
            }
        }
    }

    fn send(&mut self, from: Party, len: u8) -> TestCaseResult {
        if self.messages >= MAX_MESSAGES {
            return Ok(());
        }
        let id = self.next_id;
        let plaintext = plaintext(if from == Party::A { "A" } else { "B" }, id, len);
        let device = &mut self.devices[from.index()];
        // Before its peer's initial message arrives a device knows of one session only.
        let lane = if device.accepted.is_some() {
            device.kept_lane()
        } else {
            Lane::Initiated
        };
        let Device {
            initiated,
            accepted,
            rng,
            ..
        } = device;
        let session = match lane {
            Lane::Initiated => initiated,
            Lane::Accepted => accepted
                .as_mut()
                .ok_or_else(|| fail("no accepted session".into()))?,
        };
        let message = session
            .encrypt(&plaintext, rng)
            .map_err(|e| fail(format!("{from:?} sends on {lane:?}: {e:?}")))?;
        self.in_flight.push(Packet {
            id,
            from,
            payload: Payload::Ratchet(lane),
            wire: message.into_bytes(),
            plaintext,
        });
        self.next_id += 1;
        self.messages += 1;
        Ok(())
    }

    /// The receiver's session for a ratchet message: messages on the sender's kept session go
    /// to the receiver's kept session, the others to the session it keeps for receiving.
    fn receiving_lane(&self, from: Party, lane: Lane) -> Lane {
        let sender = &self.devices[from.index()];
        let receiver = &self.devices[from.peer().index()];
        if lane == sender.kept_lane() {
            receiver.kept_lane()
        } else {
            receiver.kept_lane().other()
        }
    }

    /// Indices of the in-flight packets the receiver can take now: initial messages always,
    /// ratchet messages once the receiver holds the session they go to (until then a client
    /// would keep them back, or the sender would attach its initial message).
    fn deliverable(&self) -> Vec<usize> {
        (0..self.in_flight.len())
            .filter(|&i| {
                let packet = &self.in_flight[i];
                match packet.payload {
                    Payload::Initial => true,
                    Payload::Ratchet(lane) => {
                        self.receiving_lane(packet.from, lane) == Lane::Initiated
                            || self.devices[packet.from.peer().index()].accepted.is_some()
                    }
                }
            })
            .collect()
    }

    fn deliver(&mut self, packet: &Packet, replay: bool) -> TestCaseResult {
        match packet.payload {
            Payload::Initial => self.deliver_initial(packet, replay),
            Payload::Ratchet(lane) => self.deliver_ratchet(packet, lane, replay),
        }
    }

    fn deliver_initial(&mut self, packet: &Packet, replay: bool) -> TestCaseResult {
        let to = packet.from.peer();
        let sender_public = self.devices[packet.from.index()].public;
        let sender_policy = self.policies[to.index()];
        let message = decode_initial(&packet.wire)?;
        let receiver = &mut self.devices[to.index()];
        let before = store_state(&receiver.store);
        let result = respond(&mut receiver.store, &message, &self.config);
        if replay {
            prop_assert_eq!(
                outcome(&result),
                Err(HandshakeError::Replayed),
                "{:?}'s initial message replayed to {:?}",
                packet.from,
                to
            );
            prop_assert_eq!(
                store_state(&receiver.store),
                before,
                "refused replay changed the store"
            );
            bump(&self.stats.initial_replays_refused);
            return Ok(());
        }
        let response =
            result.map_err(|e| fail(format!("{to:?} accepts {:?}: {e:?}", packet.from)))?;
        prop_assert_eq!(&response.plaintext, &packet.plaintext);
        prop_assert_eq!(response.initiator, sender_public);
        prop_assert_eq!(response.mode, mode_for(sender_policy.post_quantum));
        prop_assert!(receiver.accepted.is_none(), "{:?} accepted twice", to);
        receiver.accepted = Some(response.session);
        if packet.from == Party::B && self.devices[1].accepted.is_none() {
            bump(&self.stats.b_initial_first);
        }
        Ok(())
    }

    fn deliver_ratchet(&mut self, packet: &Packet, lane: Lane, replay: bool) -> TestCaseResult {
        let to = packet.from.peer();
        let receiving = self.receiving_lane(packet.from, lane);
        let message = Message::from_bytes(&packet.wire)
            .map_err(|e| fail(format!("message does not decode: {e:?}")))?;
        let receiver = &mut self.devices[to.index()];
        let on_kept = receiving == receiver.kept_lane();
        let session = receiver.session(receiving).ok_or_else(|| {
            fail(format!(
                "{to:?} has no {receiving:?} session for message {}",
                packet.id
            ))
        })?;
        let result = session.decrypt(&message);
        if replay {
            prop_assert!(
                matches!(
                    result,
                    Err(DecryptError::Duplicate | DecryptError::Authentication)
                ),
                "{:?} decrypted message {} a second time: {:?}",
                to,
                packet.id,
                result
            );
            bump(&self.stats.replays_refused);
            return Ok(());
        }
        prop_assert_eq!(
            result,
            Ok(packet.plaintext.clone()),
            "{:?} receiving message {} sent on {:?}'s {:?} session with its {:?} session",
            to,
            packet.id,
            packet.from,
            lane,
            receiving
        );
        prop_assert!(
            self.decrypted.insert(packet.id),
            "message {} decrypted twice",
            packet.id
        );
        if on_kept {
            if receiver.kept_decrypted.iter().any(|&id| id > packet.id) {
                bump(&self.stats.kept_reordered);
            }
            receiver.kept_decrypted.push(packet.id);
        } else {
            bump(&self.stats.in_flight_on_discarded);
            if !receiver.kept_decrypted.is_empty() {
                bump(&self.stats.discarded_after_kept_traffic);
            }
        }
        Ok(())
    }

    /// Delivers everything still in flight, in random order.
    fn flush(&mut self) -> TestCaseResult {
        while !self.in_flight.is_empty() {
            let ready = self.deliverable();
            prop_assert!(!ready.is_empty(), "messages stuck in flight");
            let packet = self
                .in_flight
                .remove(ready[self.flush_rng.random_range(0..ready.len())]);
            self.deliver(&packet, false)?;
            self.delivered.push(packet);
        }
        prop_assert_eq!(
            self.decrypted.len(),
            self.messages,
            "not every message decrypted"
        );
        Ok(())
    }

    /// One more message each way on the kept sessions.
    fn kept_round_trip(&mut self) -> TestCaseResult {
        for from in [Party::A, Party::B] {
            let id = self.next_id;
            self.next_id += 1;
            let text = plaintext("final", id, 3);
            let [a, b] = &mut self.devices;
            let (sender, receiver) = match from {
                Party::A => (a, b),
                Party::B => (b, a),
            };
            let (send_lane, receive_lane) = (sender.kept_lane(), receiver.kept_lane());
            let Device {
                initiated,
                accepted,
                rng,
                ..
            } = sender;
            let session = match send_lane {
                Lane::Initiated => initiated,
                Lane::Accepted => accepted
                    .as_mut()
                    .ok_or_else(|| fail("no accepted session".into()))?,
            };
            let message = session
                .encrypt(&text, rng)
                .map_err(|e| fail(format!("{from:?} sends on its kept session: {e:?}")))?;
            let session = receiver
                .session(receive_lane)
                .ok_or_else(|| fail("no kept session".into()))?;
            prop_assert_eq!(
                session.decrypt(&message),
                Ok(text),
                "kept sessions are not peers ({:?} sending)",
                from
            );
        }
        Ok(())
    }
}

fn run_simultaneous(case: &Simultaneous, stats: &SimultaneousStats) -> TestCaseResult {
    let mut pair = Pair::new(case, stats)?;
    for step in &case.steps {
        pair.apply(step)?;
    }
    pair.flush()?;
    pair.kept_round_trip()
}

#[test]
fn simultaneous_initiation() {
    let stats = SimultaneousStats::default();
    let cases = check(simultaneous(), |case| run_simultaneous(&case, &stats));
    assert_exercised(cases, "A's initiation kept", &stats.a_keeps_own);
    assert_exercised(cases, "B's initiation kept", &stats.b_keeps_own);
    assert_exercised(cases, "B's initial message first", &stats.b_initial_first);
    assert_exercised(cases, "X3DH one way, PQXDH the other", &stats.mixed_modes);
    assert_exercised(
        cases,
        "in-flight message on a discarded session",
        &stats.in_flight_on_discarded,
    );
    assert_exercised(
        cases,
        "discarded-session message after kept-session traffic",
        &stats.discarded_after_kept_traffic,
    );
    assert_exercised(
        cases,
        "reordering on the kept sessions",
        &stats.kept_reordered,
    );
    assert_exercised(cases, "refused ratchet replay", &stats.replays_refused);
    assert_exercised(
        cases,
        "refused initial message replay",
        &stats.initial_replays_refused,
    );
    assert_exercised(cases, "header-encrypted sessions", &stats.header_encrypted);
}

// ---------------------------------------------------------------------------------------------
// 2. One-time prekey exhaustion and replenishment (7.6, 7.7).
// ---------------------------------------------------------------------------------------------

/// Indices are taken modulo the list they refer to.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// Deliver the i-th pending initial message.
    Deliver(u8),
    /// Deliver the i-th delivered initial message again.
    Replay(u8),
}

#[derive(Debug, Clone)]
struct Exhaustion {
    seed: u64,
    post_quantum: PostQuantum,
    /// N: one-time X25519 prekeys.
    one_time: u32,
    /// M: one-time ML-KEM prekeys (none are made without post-quantum).
    kem_one_time: u32,
    /// K: initiators, 1 to N + M + 3.
    initiators: usize,
    arrivals: Vec<Arrival>,
}

fn exhaustion() -> impl Strategy<Value = Exhaustion> {
    (any::<u64>(), post_quantum(), 0..=4u32, 0..=4u32)
        .prop_flat_map(|(seed, post_quantum, n, m)| {
            let max = (n + m + 3) as usize;
            let arrival = prop_oneof![
                3 => any::<u8>().prop_map(Arrival::Deliver),
                1 => any::<u8>().prop_map(Arrival::Replay),
            ];
            (
                Just((seed, post_quantum, n, m)),
                1..=max,
                prop::collection::vec(arrival, 0..=2 * max),
            )
        })
        .prop_map(
            |((seed, post_quantum, one_time, kem_one_time), initiators, arrivals)| Exhaustion {
                seed,
                post_quantum,
                one_time,
                kem_one_time,
                initiators,
                arrivals,
            },
        )
}

#[derive(Default)]
struct ExhaustionStats {
    bundle_without_one_time: Cell<u64>,
    bundle_with_last_resort: Cell<u64>,
    both_exhausted: Cell<u64>,
    x3dh: Cell<u64>,
    out_of_order: Cell<u64>,
    replays_refused: Cell<u64>,
    replenished_after_exhaustion: Cell<u64>,
}

struct Initiator {
    index: usize,
    public: DeviceIdentityKey,
    session: Session,
    wire: Vec<u8>,
    plaintext: Vec<u8>,
    one_time: Option<u32>,
    kem: Option<(KemPrekeyKind, u32)>,
}

/// The `i`-th smallest element of a set.
fn nth(set: &BTreeSet<u32>, i: usize) -> Option<u32> {
    set.iter().nth(i).copied()
}

struct Responder<'a> {
    config: HandshakeConfig,
    post_quantum: PostQuantum,
    store: InMemoryPrekeyStore,
    rng: StdRng,
    last_resort: Option<u32>,
    stats: &'a ExhaustionStats,
}

impl Responder<'_> {
    /// An initiator fetches a bundle and builds its initial message.
    fn initiator(
        &mut self,
        index: usize,
        relay: &mut PublishedPrekeys,
        expected_one_time: Option<u32>,
        expected_kem: Option<(KemPrekeyKind, u32)>,
    ) -> Result<Initiator, TestCaseError> {
        let identity = DeviceIdentity::generate(&mut self.rng);
        let (bundle, verified) = fetch(relay)?;
        prop_assert_eq!(
            bundle.one_time_prekey.map(|k| k.id),
            expected_one_time,
            "one-time prekey of bundle {}",
            index
        );
        prop_assert_eq!(
            bundle.kem_prekey.as_ref().map(|k| (k.kind, k.id)),
            expected_kem,
            "ML-KEM prekey of bundle {}",
            index
        );
        if expected_one_time.is_none() {
            bump(&self.stats.bundle_without_one_time);
        }
        if matches!(expected_kem, Some((KemPrekeyKind::LastResort, _))) {
            bump(&self.stats.bundle_with_last_resort);
            if expected_one_time.is_none() {
                bump(&self.stats.both_exhausted);
            }
        }
        let text = plaintext("initiator", index, 4);
        let sent = initiate(&identity, &verified, &text, &self.config, &mut self.rng)
            .map_err(|e| fail(format!("initiator {index}: {e:?}")))?;
        prop_assert_eq!(sent.mode, mode_for(self.post_quantum));
        if sent.mode == Mode::X3dh {
            bump(&self.stats.x3dh);
        }
        prop_assert_eq!(sent.message.one_time_prekey_id, expected_one_time);
        prop_assert_eq!(
            sent.message.kem.as_ref().map(|k| (k.kind, k.id)),
            expected_kem
        );
        Ok(Initiator {
            index,
            public: identity.public(),
            session: sent.session,
            wire: sent.message.to_bytes(),
            plaintext: text,
            one_time: expected_one_time,
            kem: expected_kem,
        })
    }

    /// A first delivery: accepted, and exactly its one-time prekeys are used up.
    fn accept(&mut self, initiator: &mut Initiator) -> TestCaseResult {
        let message = decode_initial(&initiator.wire)?;
        let (one_time, kem, seen) = (
            self.store.one_time_prekey_count(),
            self.store.kem_one_time_prekey_count(),
            self.store.seen_count(),
        );
        let mut response = respond(&mut self.store, &message, &self.config)
            .map_err(|e| fail(format!("initial message {}: {e:?}", initiator.index)))?;
        prop_assert_eq!(&response.plaintext, &initiator.plaintext);
        prop_assert_eq!(response.initiator, initiator.public);
        prop_assert_eq!(response.mode, mode_for(self.post_quantum));
        let used_kem_one_time = matches!(initiator.kem, Some((KemPrekeyKind::OneTime, _)));
        prop_assert_eq!(
            self.store.one_time_prekey_count(),
            one_time - usize::from(initiator.one_time.is_some()),
            "one-time prekey count after message {}",
            initiator.index
        );
        prop_assert_eq!(
            self.store.kem_one_time_prekey_count(),
            kem - usize::from(used_kem_one_time),
            "one-time ML-KEM prekey count after message {}",
            initiator.index
        );
        prop_assert_eq!(self.store.seen_count(), seen + 1);
        if let Some(id) = initiator.one_time {
            prop_assert!(self.store.one_time_prekey(id).is_none());
        }
        if let Some((kind, id)) = initiator.kem {
            prop_assert_eq!(
                self.store.kem_prekey(kind, id).is_some(),
                kind == KemPrekeyKind::LastResort,
                "ML-KEM prekey {:?} {} after use",
                kind,
                id
            );
        }
        // The sessions are peers.
        let reply = response
            .session
            .encrypt(b"reply", &mut self.rng)
            .map_err(|e| fail(format!("reply: {e:?}")))?;
        prop_assert_eq!(initiator.session.decrypt(&reply), Ok(b"reply".to_vec()));
        Ok(())
    }

    /// A second delivery: refused as a replay, store unchanged.
    fn refuse_replay(&mut self, initiator: &Initiator) -> TestCaseResult {
        let message = decode_initial(&initiator.wire)?;
        let before = store_state(&self.store);
        let result = respond(&mut self.store, &message, &self.config);
        prop_assert_eq!(
            outcome(&result),
            Err(HandshakeError::Replayed),
            "replay of initial message {}",
            initiator.index
        );
        prop_assert_eq!(
            store_state(&self.store),
            before,
            "refused replay changed the store"
        );
        bump(&self.stats.replays_refused);
        Ok(())
    }
}

fn run_exhaustion(case: &Exhaustion, stats: &ExhaustionStats) -> TestCaseResult {
    let n = case.one_time as usize;
    let m = match case.post_quantum {
        PostQuantum::Offered => case.kem_one_time as usize,
        PostQuantum::Absent => 0,
    };
    let policy = PrekeyPolicy {
        post_quantum: case.post_quantum,
        one_time_prekeys: case.one_time,
        kem_one_time_prekeys: case.kem_one_time,
        ..PrekeyPolicy::default()
    };
    let (store, rng) = new_store(case.seed, policy);
    let mut relay = store
        .published()
        .ok_or_else(|| fail("nothing published".into()))?;
    let mut responder = Responder {
        config: HandshakeConfig::default(),
        post_quantum: case.post_quantum,
        store,
        rng,
        last_resort: relay.kem_last_resort.as_ref().map(|k| k.id),
        stats,
    };
    prop_assert_eq!(
        responder.last_resort.is_some(),
        case.post_quantum == PostQuantum::Offered
    );
    prop_assert_eq!(responder.store.one_time_prekey_count(), n);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m);
    let mut one_time_ids: BTreeSet<u32> = relay.one_time.iter().map(|k| k.id).collect();
    let mut kem_ids: BTreeSet<u32> = relay.kem_one_time.iter().map(|k| k.id).collect();
    prop_assert_eq!(one_time_ids.len(), n);
    prop_assert_eq!(kem_ids.len(), m);

    // K initiators take bundles: one-time prekeys in id order, then none / the last resort.
    let mut pending = Vec::with_capacity(case.initiators);
    for k in 0..case.initiators {
        let expected_one_time = nth(&one_time_ids, k);
        let expected_kem = match nth(&kem_ids, k) {
            Some(id) => Some((KemPrekeyKind::OneTime, id)),
            None => responder
                .last_resort
                .map(|id| (KemPrekeyKind::LastResort, id)),
        };
        pending.push(responder.initiator(k, &mut relay, expected_one_time, expected_kem)?);
    }
    // Handing out bundles does not touch the device's store.
    prop_assert_eq!(responder.store.one_time_prekey_count(), n);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m);

    // Deliveries in random order, some twice; then the rest.
    let mut delivered: Vec<Initiator> = Vec::new();
    let arrivals = case
        .arrivals
        .iter()
        .copied()
        .chain(std::iter::repeat_n(Arrival::Deliver(0), case.initiators));
    for arrival in arrivals {
        match arrival {
            Arrival::Deliver(i) => {
                if pending.is_empty() {
                    continue;
                }
                let mut initiator = pending.remove(usize::from(i) % pending.len());
                if delivered.iter().any(|d| d.index > initiator.index) {
                    bump(&stats.out_of_order);
                }
                responder.accept(&mut initiator)?;
                delivered.push(initiator);
            }
            Arrival::Replay(i) => {
                if !delivered.is_empty() {
                    responder.refuse_replay(&delivered[usize::from(i) % delivered.len()])?;
                }
            }
        }
    }
    prop_assert!(pending.is_empty());
    let used_one_time = case.initiators.min(n);
    let used_kem = case.initiators.min(m);
    prop_assert_eq!(responder.store.one_time_prekey_count(), n - used_one_time);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m - used_kem);

    // Replenish and upload: the counts are back, with fresh ids.
    let before_ids: BTreeSet<u32> = one_time_ids.iter().chain(&kem_ids).copied().collect();
    let (new_one_time, new_kem) = responder.store.replenish(&mut responder.rng);
    prop_assert_eq!(new_one_time.len(), used_one_time);
    prop_assert_eq!(new_kem.len(), used_kem);
    prop_assert_eq!(responder.store.one_time_prekey_count(), n);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m);
    let fresh: BTreeSet<u32> = new_one_time
        .iter()
        .map(|k| k.id)
        .chain(new_kem.iter().map(|k| k.id))
        .collect();
    prop_assert_eq!(fresh.len(), used_one_time + used_kem, "duplicate new ids");
    prop_assert!(
        fresh.is_disjoint(&before_ids)
            && responder.last_resort.is_none_or(|id| !fresh.contains(&id)),
        "replenish reused an id"
    );
    relay.one_time.extend(new_one_time);
    relay.kem_one_time.extend(new_kem);
    one_time_ids = relay.one_time.iter().map(|k| k.id).collect();
    kem_ids = relay.kem_one_time.iter().map(|k| k.id).collect();
    // What the relay holds is exactly what the device holds unused.
    let published = responder
        .store
        .published()
        .ok_or_else(|| fail("nothing published".into()))?;
    prop_assert_eq!(
        published
            .one_time
            .iter()
            .map(|k| k.id)
            .collect::<BTreeSet<_>>(),
        one_time_ids.clone()
    );
    prop_assert_eq!(
        published
            .kem_one_time
            .iter()
            .map(|k| k.id)
            .collect::<BTreeSet<_>>(),
        kem_ids.clone()
    );

    // The next bundle carries one-time prekeys again and is accepted.
    let expected_one_time = nth(&one_time_ids, 0);
    let expected_kem = match nth(&kem_ids, 0) {
        Some(id) => Some((KemPrekeyKind::OneTime, id)),
        None => responder
            .last_resort
            .map(|id| (KemPrekeyKind::LastResort, id)),
    };
    prop_assert_eq!(expected_one_time.is_some(), n > 0);
    prop_assert_eq!(
        matches!(expected_kem, Some((KemPrekeyKind::OneTime, _))),
        m > 0
    );
    let mut last =
        responder.initiator(case.initiators, &mut relay, expected_one_time, expected_kem)?;
    responder.accept(&mut last)?;
    if case.initiators >= n.max(m) && n + m > 0 {
        bump(&stats.replenished_after_exhaustion);
    }
    responder.refuse_replay(&last)
}

#[test]
fn prekey_exhaustion() {
    let stats = ExhaustionStats::default();
    let cases = check(exhaustion(), |case| run_exhaustion(&case, &stats));
    assert_exercised(
        cases,
        "bundle without a one-time prekey",
        &stats.bundle_without_one_time,
    );
    assert_exercised(
        cases,
        "bundle with the last-resort ML-KEM prekey",
        &stats.bundle_with_last_resort,
    );
    assert_exercised(
        cases,
        "bundle with neither one-time prekey (PQXDH)",
        &stats.both_exhausted,
    );
    assert_exercised(cases, "X3DH", &stats.x3dh);
    assert_exercised(cases, "out-of-order delivery", &stats.out_of_order);
    assert_exercised(cases, "refused replay", &stats.replays_refused);
    assert_exercised(
        cases,
        "replenishment after exhaustion",
        &stats.replenished_after_exhaustion,
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Signed prekey rotation while initial messages are in flight (7.7).
// ---------------------------------------------------------------------------------------------

/// Indices are taken modulo the list they refer to.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// A new initiator fetches a bundle (of the current signed prekey) and initiates.
    Initiate,
    /// The clock advances by this many seconds.
    Advance(u8),
    /// The responder rotates its signed prekey and uploads the new one.
    Rotate,
    /// The responder prunes.
    Prune,
    /// Deliver the i-th in-flight initial message.
    Deliver(u8),
    /// Deliver the i-th delivered initial message again.
    Replay(u8),
}

#[derive(Debug, Clone)]
struct Rotation {
    seed: u64,
    policy: PrekeyPolicy,
    events: Vec<Event>,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => Just(Event::Initiate),
        3 => (0..=8u8).prop_map(Event::Advance),
        2 => Just(Event::Rotate),
        2 => Just(Event::Prune),
        3 => any::<u8>().prop_map(Event::Deliver),
        1 => any::<u8>().prop_map(Event::Replay),
    ]
}

fn rotation() -> impl Strategy<Value = Rotation> {
    (
        any::<u64>(),
        small_policy(),
        0..=12u64,
        prop::collection::vec(event(), 1..=MAX_ROTATION_EVENTS),
    )
        .prop_map(|(seed, policy, grace, events)| Rotation {
            seed,
            policy: PrekeyPolicy {
                signed_prekey_grace: grace,
                ..policy
            },
            events,
        })
}

#[derive(Default)]
struct RotationStats {
    accepted_current: Cell<u64>,
    accepted_in_grace: Cell<u64>,
    accepted_two_rotations_back: Cell<u64>,
    refused_after_grace: Cell<u64>,
    pruned_at_boundary: Cell<u64>,
    kept_one_second_before_boundary: Cell<u64>,
    replay_refused_as_replay: Cell<u64>,
    replay_refused_after_prune: Cell<u64>,
    several_rotations: Cell<u64>,
}

/// The model of one signed prekey.
#[derive(Debug, Clone)]
struct SignedModel {
    id: u32,
    /// Rotation time plus grace, once replaced.
    retire_at: Option<u64>,
    pruned: bool,
    /// Rotations after this one (for statistics).
    generation: usize,
}

struct InFlight {
    index: usize,
    public: DeviceIdentityKey,
    session: Session,
    wire: Vec<u8>,
    plaintext: Vec<u8>,
    signed_prekey: u32,
    accepted: bool,
}

struct Rotating<'a> {
    config: HandshakeConfig,
    policy: PrekeyPolicy,
    store: InMemoryPrekeyStore,
    relay: PublishedPrekeys,
    rng: StdRng,
    now: u64,
    signed: Vec<SignedModel>,
    in_flight: Vec<InFlight>,
    delivered: Vec<InFlight>,
    initiators: usize,
    stats: &'a RotationStats,
}

impl<'a> Rotating<'a> {
    fn new(case: &Rotation, stats: &'a RotationStats) -> Result<Self, TestCaseError> {
        let (store, rng) = new_store(case.seed, case.policy);
        let relay = store
            .published()
            .ok_or_else(|| fail("nothing published".into()))?;
        let current = relay.signed_prekey;
        prop_assert_eq!(current.timestamp, NOW);
        prop_assert_eq!(current.post_quantum, case.policy.post_quantum);
        Ok(Self {
            config: HandshakeConfig::default(),
            policy: case.policy,
            store,
            relay,
            rng,
            now: NOW,
            signed: vec![SignedModel {
                id: current.id,
                retire_at: None,
                pruned: false,
                generation: 0,
            }],
            in_flight: Vec::new(),
            delivered: Vec::new(),
            initiators: 0,
            stats,
        })
    }

    fn model(&self, id: u32) -> Result<&SignedModel, TestCaseError> {
        self.signed
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| fail(format!("signed prekey {id} unknown to the model")))
    }

    fn current(&self) -> u32 {
        self.signed.last().map_or(0, |s| s.id)
    }

    fn apply(&mut self, event: Event) -> TestCaseResult {
        match event {
            Event::Initiate => self.initiate(),
            Event::Advance(seconds) => {
                self.now += u64::from(seconds);
                Ok(())
            }
            Event::Rotate => self.rotate(),
            Event::Prune => self.prune(),
            Event::Deliver(i) => {
                if self.in_flight.is_empty() {
                    return Ok(());
                }
                let mut message = self.in_flight.remove(usize::from(i) % self.in_flight.len());
                self.deliver(&mut message, false)?;
                self.delivered.push(message);
                self.compare_with_model()
            }
            Event::Replay(i) => {
                if self.delivered.is_empty() {
                    return Ok(());
                }
                let index = usize::from(i) % self.delivered.len();
                let mut message = self.delivered.swap_remove(index);
                self.deliver(&mut message, true)?;
                self.delivered.push(message);
                self.compare_with_model()
            }
        }
    }

    fn initiate(&mut self) -> TestCaseResult {
        let index = self.initiators;
        self.initiators += 1;
        let identity = DeviceIdentity::generate(&mut self.rng);
        let (bundle, verified) = fetch(&mut self.relay)?;
        prop_assert_eq!(bundle.signed_prekey.id, self.current());
        let text = plaintext("initiator", index, 2);
        let sent = initiate(&identity, &verified, &text, &self.config, &mut self.rng)
            .map_err(|e| fail(format!("initiator {index}: {e:?}")))?;
        prop_assert_eq!(sent.message.signed_prekey_id, self.current());
        self.in_flight.push(InFlight {
            index,
            public: identity.public(),
            session: sent.session,
            wire: sent.message.to_bytes(),
            plaintext: text,
            signed_prekey: bundle.signed_prekey.id,
            accepted: false,
        });
        Ok(())
    }

    fn rotate(&mut self) -> TestCaseResult {
        self.store.rotate_signed_prekey(self.now, &mut self.rng);
        let current = *self
            .store
            .current_signed_prekey()
            .ok_or_else(|| fail("no current signed prekey".into()))?;
        prop_assert!(
            self.signed.iter().all(|s| s.id != current.id),
            "rotation reused signed prekey id {}",
            current.id
        );
        prop_assert_eq!(current.timestamp, self.now);
        prop_assert_eq!(current.post_quantum, self.policy.post_quantum);
        let retire_at = self.now + self.policy.signed_prekey_grace;
        for s in &mut self.signed {
            s.generation += 1;
        }
        if let Some(replaced) = self.signed.last_mut() {
            replaced.retire_at = Some(retire_at);
        }
        self.signed.push(SignedModel {
            id: current.id,
            retire_at: None,
            pruned: false,
            generation: 0,
        });
        if self.signed.len() == 3 {
            bump(&self.stats.several_rotations);
        }
        // The device uploads the new signed prekey; the relay keeps the one-time lists.
        self.relay.signed_prekey = current;
        Ok(())
    }

    fn prune(&mut self) -> TestCaseResult {
        self.store.prune(self.now);
        let now = self.now;
        for s in &mut self.signed {
            match s.retire_at {
                Some(t) if t <= now && !s.pruned => {
                    s.pruned = true;
                    if t == now {
                        bump(&self.stats.pruned_at_boundary);
                    }
                }
                Some(t) if t == now + 1 => bump(&self.stats.kept_one_second_before_boundary),
                _ => {}
            }
        }
        self.compare_with_model()
    }

    /// The signed prekeys the store holds and its replay record count, against the model.
    fn compare_with_model(&self) -> TestCaseResult {
        for s in &self.signed {
            prop_assert_eq!(
                self.store.signed_prekey(s.id).is_some(),
                !s.pruned,
                "signed prekey {} at {} (model {:?})",
                s.id,
                self.now - NOW,
                s
            );
        }
        prop_assert_eq!(
            self.store.current_signed_prekey().map(|s| s.id),
            Some(self.current())
        );
        let mut seen = 0;
        for m in &self.delivered {
            if m.accepted && !self.model(m.signed_prekey)?.pruned {
                seen += 1;
            }
        }
        prop_assert_eq!(self.store.seen_count(), seen, "replay records");
        Ok(())
    }

    fn deliver(&mut self, message: &mut InFlight, replay: bool) -> TestCaseResult {
        let spk = self.model(message.signed_prekey)?.clone();
        let expected = if spk.pruned {
            Err(HandshakeError::UnknownSignedPrekey(spk.id))
        } else if message.accepted {
            Err(HandshakeError::Replayed)
        } else {
            Ok(())
        };
        let initial = decode_initial(&message.wire)?;
        let before = store_state(&self.store);
        let result = respond(&mut self.store, &initial, &self.config);
        prop_assert_eq!(
            outcome(&result),
            expected,
            "initial message {} (replay: {}) under signed prekey {:?} at {} (current {})",
            message.index,
            replay,
            spk,
            self.now - NOW,
            self.current()
        );
        match result {
            Ok(mut response) => {
                prop_assert_eq!(&response.plaintext, &message.plaintext);
                prop_assert_eq!(response.initiator, message.public);
                let reply = response
                    .session
                    .encrypt(b"reply", &mut self.rng)
                    .map_err(|e| fail(format!("reply: {e:?}")))?;
                prop_assert_eq!(message.session.decrypt(&reply), Ok(b"reply".to_vec()));
                message.accepted = true;
                if spk.retire_at.is_none() {
                    bump(&self.stats.accepted_current);
                } else {
                    bump(&self.stats.accepted_in_grace);
                    if spk.generation >= 2 {
                        bump(&self.stats.accepted_two_rotations_back);
                    }
                }
            }
            Err(e) => {
                prop_assert_eq!(
                    store_state(&self.store),
                    before,
                    "refusal ({:?}) changed the store",
                    e
                );
                match (e, replay) {
                    (HandshakeError::Replayed, _) => bump(&self.stats.replay_refused_as_replay),
                    (_, true) if message.accepted => {
                        bump(&self.stats.replay_refused_after_prune);
                    }
                    (_, false) => bump(&self.stats.refused_after_grace),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

fn run_rotation(case: &Rotation, stats: &RotationStats) -> TestCaseResult {
    let mut world = Rotating::new(case, stats)?;
    for &event in &case.events {
        world.apply(event)?;
    }
    while !world.in_flight.is_empty() {
        world.apply(Event::Deliver(0))?;
    }
    Ok(())
}

#[test]
fn signed_prekey_rotation() {
    let stats = RotationStats::default();
    let cases = check(rotation(), |case| run_rotation(&case, &stats));
    assert_exercised(
        cases,
        "accepted under the current signed prekey",
        &stats.accepted_current,
    );
    assert_exercised(
        cases,
        "accepted under a replaced signed prekey in its grace period",
        &stats.accepted_in_grace,
    );
    assert_exercised(
        cases,
        "accepted under a signed prekey replaced twice",
        &stats.accepted_two_rotations_back,
    );
    assert_exercised(
        cases,
        "refused after the grace period",
        &stats.refused_after_grace,
    );
    assert_exercised(
        cases,
        "pruned exactly at the end of the grace period",
        &stats.pruned_at_boundary,
    );
    assert_exercised(
        cases,
        "kept one second before the end of the grace period",
        &stats.kept_one_second_before_boundary,
    );
    assert_exercised(cases, "replay refused", &stats.replay_refused_as_replay);
    assert_exercised(
        cases,
        "replay refused as unknown after a prune",
        &stats.replay_refused_after_prune,
    );
    assert_exercised(cases, "several rotations", &stats.several_rotations);
}
