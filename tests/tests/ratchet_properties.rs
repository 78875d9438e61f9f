//! Property tests for the Double Ratchet (style point 16; the ratchet chapter of
//! `docs/protocol.md`).
//!
//! Alice (the initiator) and Bob (the responder) talk through an adversarial network. Proptest
//! chooses a seed and a sequence of up to [`MAX_ACTIONS`] [`Action`]s: either party sends,
//! the network delivers any in-flight message (so messages are reordered), drops one, replays
//! one that was already delivered, delivers a corrupted copy of one, or a party saves its
//! session to a pickle and restores it. When the sequence ends, everything still in flight is
//! delivered in queue order.
//!
//! Every outcome is checked against [`PartyModel`], an executable specification of the
//! ratchet written independently of `sotto-ratchet`'s code: it knows chains only as numbers and
//! predicts, per message, either "decrypts" or the exact [`DecryptError`] (RAT-06 skip limit,
//! RAT-07 replay and eviction, RAT-08 authentication), including the skipped-key store with
//! its FIFO eviction (RAT-11). On top of the model:
//!
//! - a message that decrypts yields exactly its plaintext, and no message decrypts twice;
//! - every failed call (decrypt, or a send before the responder has received) leaves the
//!   session's pickle byte-identical (RAT-10), and so does a corrupted delivery, which must fail
//!   with a typed error ([`sotto_ratchet::DecodeError`] or [`DecryptError`]);
//! - a restored pickle is byte-identical to the session it came from, so it behaves
//!   identically from then on;
//! - with the default limits (which these short sequences never reach) every untampered first
//!   delivery decrypts and every replay is refused with `Duplicate` or `Authentication`.
//!
//! Properties: `default_limits_{standard,header_encrypted}` and
//! `small_limits_{standard,header_encrypted}` (`max_skip` 5, `max_stored_skipped` 8: limits
//! are hit often). Each runs `PROPTEST_CASES` cases, 1000 when the variable is unset, and then
//! asserts that the events it is about (reordering, ratchet steps, replays, corruptions,
//! restores; with small limits also `TooManySkipped`, evicted keys and a refused message
//! accepted later) happened in at least 1% of the cases.
//! `skip_limit_at_the_default_is_inclusive` pins the default limits deterministically.
//!
//! One behaviour the model encodes rather than judges: in the standard kind, a replayed
//! message of an older chain whose key is gone is treated as a new chain, so with small limits
//! it can be refused as `TooManySkipped` (PN of its header minus Nr, plus N, over the limit)
//! instead of `Authentication`; the header-encryption kind refuses it as `Authentication`.

use std::cell::Cell;
use std::collections::{HashSet, VecDeque};

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestCaseResult};
use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::{
    DecryptError, EncryptError, Message, PickleKey, Session, SessionConfig, SessionKind,
    SessionSecret,
};
use sotto_tests::fuzz_targets::Party;
use sotto_tests::properties::assert_exercised;

/// Longest action sequence. 4 × 1000 cases take about 50 s of CPU time in a debug build,
/// under 30 s of wall time on two idle cores.
const MAX_ACTIONS: usize = 40;
/// Longest plaintext; short on purpose, the ratchet does not care about length.
const MAX_PLAINTEXT: u8 = 12;
const AD: &[u8] = b"alice-id bob-id";
const KEY: PickleKey = PickleKey::new([0x5a; 32]);
const CONTEXT: &[u8] = b"sotto-tests ratchet properties";

/// Cases per property: `PROPTEST_CASES` if set, else 1000.
fn cases() -> u32 {
    sotto_tests::properties::cases(1000)
}

/// The session state, canonically: the plaintext a pickle encrypts.
fn snapshot(session: &Session) -> Vec<u8> {
    session.pickle_state()
}

/// Whether `config` has the default limits, which the scenarios never reach.
fn has_default_limits(config: &SessionConfig) -> bool {
    config.max_skip() == SessionConfig::DEFAULT_MAX_SKIP
        && config.max_stored_skipped() == SessionConfig::DEFAULT_MAX_STORED_SKIPPED
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

/// One step of the scenario. Indices are taken modulo the length of the list they refer to.
#[derive(Debug, Clone)]
enum Action {
    /// Alice encrypts `count` plaintexts of `len` bytes and puts them in flight.
    AliceSends { len: u8, count: u8 },
    /// Bob does; before he has received anything this must fail with `NoPeerRatchetKey`.
    BobSends { len: u8, count: u8 },
    /// Deliver the i-th in-flight message (reordering).
    Deliver(u8),
    /// Lose the i-th in-flight message.
    Drop(u8),
    /// Deliver the i-th already delivered message again.
    Duplicate(u8),
    /// Deliver a copy of the i-th in-flight message with `byte ^= mask`; the original stays.
    Corrupt { message: u8, byte: u8, mask: u8 },
    /// Pickle the party's session and continue with the restored one.
    SaveRestore(Party),
}

/// The action mix. With `small_limits` sends come in bursts and drops are more common, so
/// that gaps beyond the small skip limit and evictions from the small store are frequent.
fn action(small_limits: bool) -> impl Strategy<Value = Action> {
    let (count, deliver, drop) = if small_limits {
        (prop_oneof![1 => Just(1u8), 1 => 2..=7u8].boxed(), 6, 2)
    } else {
        (prop_oneof![3 => Just(1u8), 1 => 2..=3u8].boxed(), 6, 1)
    };
    let (alice, bob) = (4, 3);
    prop_oneof![
        alice => (0..=MAX_PLAINTEXT, count.clone())
            .prop_map(|(len, count)| Action::AliceSends { len, count }),
        bob => (0..=MAX_PLAINTEXT, count).prop_map(|(len, count)| Action::BobSends { len, count }),
        deliver => any::<u8>().prop_map(Action::Deliver),
        drop => any::<u8>().prop_map(Action::Drop),
        1 => any::<u8>().prop_map(Action::Duplicate),
        // A quarter of the corruptions hit the version byte, which decoding refuses.
        1 => (any::<u8>(), prop_oneof![1 => Just(0u8), 3 => any::<u8>()], 1..=u8::MAX)
            .prop_map(|(message, byte, mask)| Action::Corrupt { message, byte, mask }),
        1 => prop_oneof![Just(Party::Alice), Just(Party::Bob)].prop_map(Action::SaveRestore),
    ]
}

fn scenario(small_limits: bool) -> impl Strategy<Value = (u64, Vec<Action>)> {
    (
        any::<u64>(),
        prop::collection::vec(action(small_limits), 1..=MAX_ACTIONS),
    )
}

// ---------------------------------------------------------------------------------------------
// The model.
// ---------------------------------------------------------------------------------------------

/// What the model knows about a message: the sender's chain (each party numbers its own
/// sending chains from 0), the message number N and PN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Meta {
    chain: u32,
    n: u32,
    pn: u32,
}

/// How a message the model accepts is decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accepted {
    /// With a key from the skipped-key store (a late message).
    Stored,
    /// By advancing the current receiving chain (`skipped` keys passed over).
    Current { skipped: u32 },
    /// By a DH ratchet step to the sender's next chain.
    NewChain { skipped: u32 },
}

/// One party as the specification describes it, with chains reduced to numbers.
///
/// Chains alternate: Bob's chain k is created at his first send after receiving Alice's
/// chain k, Alice's chain k + 1 at her first send after receiving Bob's chain k. So a
/// receiver whose current receiving chain is c only ever sees chains <= c + 1 of its peer.
#[derive(Debug, Clone)]
struct PartyModel {
    /// (chain, next N) of the sending chain; `None` until the next send starts one.
    sending: Option<(u32, u32)>,
    /// Number of the next sending chain this party starts.
    next_chain: u32,
    /// PN.
    previous_chain_length: u32,
    /// Whether the party knows a peer ratchet key (it can start a sending chain).
    has_peer: bool,
    /// (chain, next N) of the receiving chain.
    receiving: Option<(u32, u32)>,
    /// MKSKIPPED as (chain, N), oldest first.
    skipped: VecDeque<(u32, u32)>,
    /// Keys that were evicted from the store (for statistics only).
    evicted: HashSet<(u32, u32)>,
}

impl PartyModel {
    /// Alice: her first sending chain exists from the start, against Bob's prekey.
    fn initiator() -> Self {
        Self {
            sending: Some((0, 0)),
            next_chain: 1,
            previous_chain_length: 0,
            has_peer: true,
            receiving: None,
            skipped: VecDeque::new(),
            evicted: HashSet::new(),
        }
    }

    /// Bob: can send only after receiving (RAT-14).
    fn responder() -> Self {
        Self {
            sending: None,
            next_chain: 0,
            previous_chain_length: 0,
            has_peer: false,
            receiving: None,
            skipped: VecDeque::new(),
            evicted: HashSet::new(),
        }
    }

    fn send(&mut self) -> Result<Meta, EncryptError> {
        let (chain, n) = match self.sending {
            Some(sending) => sending,
            None if self.has_peer => {
                self.next_chain += 1;
                (self.next_chain - 1, 0)
            }
            None => return Err(EncryptError::NoPeerRatchetKey),
        };
        self.sending = Some((chain, n + 1));
        Ok(Meta {
            chain,
            n,
            pn: self.previous_chain_length,
        })
    }

    fn check_skip(skip: u64, config: &SessionConfig) -> Result<(), DecryptError> {
        let limit = config.max_skip();
        if skip > u64::from(limit) {
            return Err(DecryptError::TooManySkipped { skip, limit });
        }
        Ok(())
    }

    fn take_stored(&mut self, key: (u32, u32)) -> Result<Accepted, DecryptError> {
        let index = self
            .skipped
            .iter()
            .position(|&k| k == key)
            .ok_or(DecryptError::Duplicate)?;
        self.skipped.remove(index);
        Ok(Accepted::Stored)
    }

    /// Appends passed-over keys, then evicts the oldest beyond the limit and beyond
    /// `MAX_SKIPPED_CHAINS` chains (RAT-11).
    fn store(&mut self, keys: impl Iterator<Item = (u32, u32)>, config: &SessionConfig) {
        self.skipped.extend(keys);
        let max = usize::try_from(config.max_stored_skipped()).unwrap_or(usize::MAX);
        let chains =
            |s: &VecDeque<(u32, u32)>| s.iter().map(|&(c, _)| c).collect::<HashSet<_>>().len();
        while self.skipped.len() > max || chains(&self.skipped) > SessionConfig::MAX_SKIPPED_CHAINS
        {
            if let Some(old) = self.skipped.pop_front() {
                self.evicted.insert(old);
            }
        }
    }

    /// Receives a message; changes nothing unless it is accepted.
    fn receive(&mut self, m: Meta, config: &SessionConfig) -> Result<Accepted, DecryptError> {
        let key = (m.chain, m.n);
        // The current receiving chain (standard: same ratchet key; header encryption: HKr
        // opens the header).
        if let Some((chain, next)) = self.receiving
            && chain == m.chain
        {
            if m.n < next {
                return self.take_stored(key);
            }
            let skipped = m.n - next;
            Self::check_skip(u64::from(skipped), config)?;
            self.store((next..m.n).map(|n| (chain, n)), config);
            self.receiving = Some((chain, m.n + 1));
            return Ok(Accepted::Current { skipped });
        }
        let next_chain = self.receiving.map_or(0, |(chain, _)| chain + 1);
        match config.kind() {
            SessionKind::Standard => {
                if self.skipped.contains(&key) {
                    return self.take_stored(key);
                }
            }
            SessionKind::HeaderEncrypted => {
                if m.chain != next_chain {
                    // An older chain: its header key is known only while one of its message
                    // keys is stored; NHKr opens only the next chain's headers.
                    if self.skipped.iter().any(|&(chain, _)| chain == m.chain) {
                        return self.take_stored(key);
                    }
                    return Err(DecryptError::Authentication);
                }
            }
        }
        // A DH ratchet step: the rest of the current chain up to PN, then the new chain up
        // to N, count against the skip limit together.
        let old_skip = self
            .receiving
            .map_or(0, |(_, next)| m.pn.saturating_sub(next));
        Self::check_skip(u64::from(old_skip) + u64::from(m.n), config)?;
        if m.chain != next_chain {
            // Standard kind, an older chain whose key is gone: the step derives unrelated keys.
            return Err(DecryptError::Authentication);
        }
        if let Some((chain, next)) = self.receiving {
            self.store((next..m.pn).map(|n| (chain, n)), config);
        }
        self.store((0..m.n).map(|n| (m.chain, n)), config);
        self.receiving = Some((m.chain, m.n + 1));
        if let Some((_, n)) = self.sending.take() {
            self.previous_chain_length = n;
        }
        self.has_peer = true;
        Ok(Accepted::NewChain {
            skipped: old_skip + m.n,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Running a scenario.
// ---------------------------------------------------------------------------------------------

/// Counts over all cases of one property, to show the scenarios exercise what they claim.
#[derive(Default)]
struct Stats {
    out_of_order: Cell<u64>,
    skipping: Cell<u64>,
    ratchet_steps: Cell<u64>,
    too_many_skipped: Cell<u64>,
    refused_evicted: Cell<u64>,
    refused_replays: Cell<u64>,
    accepted_late_redelivery: Cell<u64>,
    corrupt_decode: Cell<u64>,
    corrupt_decrypt: Cell<u64>,
    bob_too_early: Cell<u64>,
    restores: Cell<u64>,
}

fn bump(counter: &Cell<u64>) {
    counter.set(counter.get() + 1);
}

#[derive(Debug, Clone)]
struct Packet {
    id: u32,
    from: Party,
    meta: Meta,
    plaintext: Vec<u8>,
    wire: Vec<u8>,
}

struct World<'a> {
    config: SessionConfig,
    /// Default limits: also assert that limits are never hit.
    strict: bool,
    sessions: [Session; 2],
    models: [PartyModel; 2],
    rngs: [StdRng; 2],
    pickle_rng: StdRng,
    in_flight: Vec<Packet>,
    delivered: Vec<Packet>,
    decrypted: HashSet<u32>,
    next_id: u32,
    stats: &'a Stats,
}

impl<'a> World<'a> {
    fn new(config: SessionConfig, seed: u64, stats: &'a Stats) -> Result<Self, TestCaseError> {
        let mut setup = StdRng::seed_from_u64(seed);
        let mut alice_rng = StdRng::seed_from_u64(seed ^ 0xa11c_e000_0000_0001);
        let bob_rng = StdRng::seed_from_u64(seed ^ 0xb0b0_0000_0000_0002);
        let mut secret = [0x42u8; 32];
        secret[..8].copy_from_slice(&seed.to_le_bytes());
        let prekey = KeyPair::generate(&mut setup);
        let alice = Session::initiator(
            SessionSecret::new(secret),
            AD,
            prekey.public_key(),
            config,
            &mut alice_rng,
        )
        .map_err(|e| fail(format!("initiator: {e:?}")))?;
        let bob = Session::responder(SessionSecret::new(secret), AD, prekey, config)
            .map_err(|e| fail(format!("responder: {e:?}")))?;
        Ok(Self {
            config,
            strict: has_default_limits(&config),
            sessions: [alice, bob],
            models: [PartyModel::initiator(), PartyModel::responder()],
            rngs: [alice_rng, bob_rng],
            pickle_rng: StdRng::seed_from_u64(seed ^ 0x9c61_0000_0000_0003),
            in_flight: Vec::new(),
            delivered: Vec::new(),
            decrypted: HashSet::new(),
            next_id: 0,
            stats,
        })
    }

    fn apply(&mut self, action: &Action) -> TestCaseResult {
        match *action {
            Action::AliceSends { len, count } => self.send(Party::Alice, len, count),
            Action::BobSends { len, count } => self.send(Party::Bob, len, count),
            Action::Deliver(i) => {
                if self.in_flight.is_empty() {
                    return Ok(());
                }
                let packet = self.in_flight.remove(usize::from(i) % self.in_flight.len());
                self.deliver(&packet, false)?;
                self.delivered.push(packet);
                Ok(())
            }
            Action::Drop(i) => {
                if !self.in_flight.is_empty() {
                    self.in_flight.remove(usize::from(i) % self.in_flight.len());
                }
                Ok(())
            }
            Action::Duplicate(i) => {
                if self.delivered.is_empty() {
                    return Ok(());
                }
                let packet = self.delivered[usize::from(i) % self.delivered.len()].clone();
                self.deliver(&packet, true)
            }
            Action::Corrupt {
                message,
                byte,
                mask,
            } => self.corrupt(message, byte, mask),
            Action::SaveRestore(party) => self.save_restore(party),
        }
    }

    fn send(&mut self, from: Party, len: u8, count: u8) -> TestCaseResult {
        for _ in 0..count {
            self.send_one(from, len)?;
        }
        Ok(())
    }

    fn send_one(&mut self, from: Party, len: u8) -> TestCaseResult {
        let p = from.index();
        let id = self.next_id;
        let plaintext: Vec<u8> = (0..len)
            .map(|i| id.to_le_bytes()[usize::from(i % 4)] ^ i.wrapping_mul(0x3b))
            .collect();
        // The model goes first so that the (costly) snapshot is taken only when it predicts
        // a failure; an unpredicted failure is a mismatch anyway.
        let expected = self.models[p].send();
        let before = expected.is_err().then(|| snapshot(&self.sessions[p]));
        let actual = self.sessions[p].encrypt(&plaintext, &mut self.rngs[p]);
        match (actual, expected) {
            (Ok(message), Ok(meta)) => {
                prop_assert_eq!(message.kind(), self.config.kind());
                if let Some(header) = message.header() {
                    prop_assert_eq!(header.message_number(), meta.n);
                    prop_assert_eq!(header.previous_chain_length(), meta.pn);
                }
                self.next_id += 1;
                self.in_flight.push(Packet {
                    id,
                    from,
                    meta,
                    plaintext,
                    wire: message.into_bytes(),
                });
                Ok(())
            }
            (Err(actual), Err(expected)) => {
                prop_assert_eq!(actual, expected);
                prop_assert_eq!(
                    Some(snapshot(&self.sessions[p])),
                    before,
                    "failed encrypt changed the session"
                );
                bump(&self.stats.bob_too_early);
                Ok(())
            }
            (actual, expected) => Err(fail(format!(
                "{from:?} sends: library {actual:?}, model {expected:?}"
            ))),
        }
    }

    fn deliver(&mut self, packet: &Packet, replay: bool) -> TestCaseResult {
        let to = packet.from.peer();
        let r = to.index();
        let message = Message::from_bytes(&packet.wire)
            .map_err(|e| fail(format!("untampered message does not decode: {e:?}")))?;
        let expected = self.models[r].receive(packet.meta, &self.config);
        let before = expected.is_err().then(|| snapshot(&self.sessions[r]));
        let actual = self.sessions[r].decrypt(&message);
        let already = self.decrypted.contains(&packet.id);
        let late = replay && !already;

        // Model-independent checks first.
        if already {
            prop_assert!(
                matches!(
                    actual,
                    Err(DecryptError::Duplicate
                        | DecryptError::Authentication
                        | DecryptError::TooManySkipped { .. })
                ),
                "{:?} decrypted message {} ({:?}) a second time: {:?}",
                to,
                packet.id,
                packet.meta,
                actual
            );
        }
        if self.strict {
            if replay {
                prop_assert!(
                    matches!(
                        actual,
                        Err(DecryptError::Duplicate | DecryptError::Authentication)
                    ),
                    "replay of {:?} to {:?} not refused as duplicate: {:?}",
                    packet.meta,
                    to,
                    actual
                );
            } else {
                prop_assert_eq!(
                    actual.as_deref(),
                    Ok(&packet.plaintext[..]),
                    "{:?} receiving {:?} within the default limits",
                    to,
                    packet.meta
                );
            }
        }

        match (actual, expected) {
            (Ok(plaintext), Ok(how)) => {
                prop_assert_eq!(&plaintext, &packet.plaintext, "wrong plaintext");
                self.decrypted.insert(packet.id);
                prop_assert_eq!(
                    self.sessions[r].skipped_key_count(),
                    self.models[r].skipped.len(),
                    "skipped-key count after {:?} received {:?}",
                    to,
                    packet.meta
                );
                match how {
                    Accepted::Stored => bump(&self.stats.out_of_order),
                    Accepted::Current { skipped } if skipped > 0 => bump(&self.stats.skipping),
                    Accepted::Current { .. } => {}
                    Accepted::NewChain { .. } => bump(&self.stats.ratchet_steps),
                }
                if late {
                    bump(&self.stats.accepted_late_redelivery);
                }
                Ok(())
            }
            (Err(actual), Err(expected)) => {
                prop_assert_eq!(actual, expected, "{:?} receiving {:?}", to, packet.meta);
                prop_assert_eq!(
                    Some(snapshot(&self.sessions[r])),
                    before,
                    "failed decrypt changed the session"
                );
                if already {
                    bump(&self.stats.refused_replays);
                } else if matches!(actual, DecryptError::TooManySkipped { .. }) {
                    bump(&self.stats.too_many_skipped);
                } else if self.models[r]
                    .evicted
                    .contains(&(packet.meta.chain, packet.meta.n))
                {
                    bump(&self.stats.refused_evicted);
                }
                Ok(())
            }
            (actual, expected) => Err(fail(format!(
                "{to:?} receiving message {} {:?} (replay: {replay}): library {actual:?}, model {expected:?}",
                packet.id, packet.meta
            ))),
        }
    }

    fn corrupt(&mut self, message: u8, byte: u8, mask: u8) -> TestCaseResult {
        if self.in_flight.is_empty() {
            return Ok(());
        }
        let packet = &self.in_flight[usize::from(message) % self.in_flight.len()];
        let r = packet.from.peer().index();
        let mut wire = packet.wire.clone();
        let at = usize::from(byte) % wire.len();
        wire[at] ^= mask;
        match Message::from_bytes(&wire) {
            Err(_) => bump(&self.stats.corrupt_decode),
            Ok(corrupted) => {
                let before = snapshot(&self.sessions[r]);
                let result = self.sessions[r].decrypt(&corrupted);
                prop_assert!(
                    result.is_err(),
                    "corrupted copy of {:?} (byte {} ^ {:#04x}) was accepted",
                    packet.meta,
                    at,
                    mask
                );
                prop_assert_eq!(
                    &snapshot(&self.sessions[r]),
                    &before,
                    "refused corrupted message changed the session"
                );
                bump(&self.stats.corrupt_decrypt);
            }
        }
        Ok(())
    }

    fn save_restore(&mut self, party: Party) -> TestCaseResult {
        let p = party.index();
        let pickle = self.sessions[p]
            .pickle(&KEY, CONTEXT, &mut self.pickle_rng)
            .map_err(|e| fail(format!("pickling {party:?}: {e:?}")))?;
        let restored = Session::from_pickle(&KEY, CONTEXT, &pickle)
            .map_err(|e| fail(format!("restoring {party:?}: {e:?}")))?;
        prop_assert_eq!(restored.config(), self.sessions[p].config());
        prop_assert_eq!(
            &snapshot(&restored),
            &snapshot(&self.sessions[p]),
            "restored session differs"
        );
        self.sessions[p] = restored;
        bump(&self.stats.restores);
        Ok(())
    }

    /// Delivers everything still in flight, in queue order.
    fn flush(&mut self) -> TestCaseResult {
        for packet in std::mem::take(&mut self.in_flight) {
            self.deliver(&packet, false)?;
            self.delivered.push(packet);
        }
        Ok(())
    }
}

fn run_case(config: SessionConfig, seed: u64, actions: &[Action], stats: &Stats) -> TestCaseResult {
    let mut world = World::new(config, seed, stats)?;
    for action in actions {
        world.apply(action)?;
    }
    world.flush()
}

/// Runs the property for `config` and returns the statistics over all cases. A failure
/// panics with proptest's minimal (shrunk) failing input, as `proptest!` does.
fn check(config: SessionConfig) -> (u32, Stats) {
    let cases = cases();
    let stats = Stats::default();
    sotto_tests::properties::run(
        file!(),
        cases,
        &scenario(!has_default_limits(&config)),
        |(seed, actions)| run_case(config, seed, &actions, &stats),
    );
    (cases, stats)
}

fn default_limits(config: SessionConfig) {
    let (cases, stats) = check(config);
    assert_exercised(cases, "out-of-order delivery", &stats.out_of_order);
    assert_exercised(cases, "skipping delivery", &stats.skipping);
    assert_exercised(cases, "DH ratchet step", &stats.ratchet_steps);
    assert_exercised(cases, "refused replay", &stats.refused_replays);
    assert_exercised(cases, "corrupt (decode error)", &stats.corrupt_decode);
    assert_exercised(cases, "corrupt (decrypt error)", &stats.corrupt_decrypt);
    assert_exercised(cases, "send before receiving", &stats.bob_too_early);
    assert_exercised(cases, "save and restore", &stats.restores);
}

fn small_limits(config: SessionConfig) {
    let (cases, stats) = check(config.with_max_skip(5).with_max_stored_skipped(8));
    assert_exercised(cases, "out-of-order delivery", &stats.out_of_order);
    assert_exercised(cases, "DH ratchet step", &stats.ratchet_steps);
    assert_exercised(cases, "TooManySkipped", &stats.too_many_skipped);
    assert_exercised(cases, "refusal of an evicted key", &stats.refused_evicted);
    assert_exercised(
        cases,
        "acceptance of a message refused earlier",
        &stats.accepted_late_redelivery,
    );
    assert_exercised(cases, "refused replay", &stats.refused_replays);
    assert_exercised(cases, "save and restore", &stats.restores);
}

#[test]
fn default_limits_standard() {
    default_limits(SessionConfig::default());
}

#[test]
fn default_limits_header_encrypted() {
    default_limits(SessionConfig::header_encrypted());
}

#[test]
fn small_limits_standard() {
    small_limits(SessionConfig::default());
}

#[test]
fn small_limits_header_encrypted() {
    small_limits(SessionConfig::header_encrypted());
}

// ---------------------------------------------------------------------------------------------
// The default limits, exactly (RAT-06, RAT-11).
// ---------------------------------------------------------------------------------------------

#[test]
fn skip_limit_at_the_default_is_inclusive() {
    const LIMIT: u32 = SessionConfig::DEFAULT_MAX_SKIP;
    const STORED: usize = SessionConfig::DEFAULT_MAX_STORED_SKIPPED as usize;
    for config in [SessionConfig::default(), SessionConfig::header_encrypted()] {
        let mut rng = StdRng::seed_from_u64(2001);
        let prekey = KeyPair::generate(&mut rng);
        let mut alice = Session::initiator(
            SessionSecret::new([7; 32]),
            AD,
            prekey.public_key(),
            config,
            &mut rng,
        )
        .unwrap();
        let mut bob = Session::responder(SessionSecret::new([7; 32]), AD, prekey, config).unwrap();
        let mut send = |count: u32| -> Vec<Message> {
            (0..count)
                .map(|_| alice.encrypt(b"m", &mut rng).unwrap())
                .collect()
        };

        // Messages 0..=2001 of Alice's first chain. Bob has no receiving chain yet, so each
        // of these is a DH ratchet step that skips N keys of the new chain.
        let first = send(LIMIT + 2);
        let last = LIMIT as usize + 1;
        // 2002 sent, only the last delivered: 2001 skipped is one too many.
        let before = snapshot(&bob);
        assert_eq!(
            bob.decrypt(&first[last]),
            Err(DecryptError::TooManySkipped {
                skip: u64::from(LIMIT) + 1,
                limit: LIMIT
            }),
            "{config:?}"
        );
        assert_eq!(snapshot(&bob), before);
        assert_eq!(bob.skipped_key_count(), 0);
        // 2001 sent, only the last delivered: exactly 2000 skipped is accepted and stored.
        assert_eq!(bob.decrypt(&first[last - 1]).unwrap(), b"m");
        assert_eq!(bob.skipped_key_count(), STORED);
        // Now message 2001 is next in order.
        assert_eq!(bob.decrypt(&first[last]).unwrap(), b"m");
        assert_eq!(bob.skipped_key_count(), STORED);
        // Stored keys decrypt out of order, once each.
        for i in [0, 1999, 1000] {
            assert_eq!(bob.decrypt(&first[i]).unwrap(), b"m");
        }
        assert_eq!(bob.skipped_key_count(), STORED - 3);
        let before = snapshot(&bob);
        assert_eq!(bob.decrypt(&first[1000]), Err(DecryptError::Duplicate));
        assert_eq!(snapshot(&bob), before);

        // The same limit on the current chain: messages 2002..=4003.
        let second = send(LIMIT + 2);
        let before = snapshot(&bob);
        assert_eq!(
            bob.decrypt(&second[last]),
            Err(DecryptError::TooManySkipped {
                skip: u64::from(LIMIT) + 1,
                limit: LIMIT
            })
        );
        assert_eq!(snapshot(&bob), before);
        assert_eq!(bob.decrypt(&second[last - 1]).unwrap(), b"m");
        // 1997 old + 2000 new keys: the store keeps the newest 2000 (RAT-11).
        assert_eq!(bob.skipped_key_count(), STORED);
        // The keys skipped first were all evicted; the new ones are there.
        let before = snapshot(&bob);
        assert_eq!(bob.decrypt(&first[2]), Err(DecryptError::Duplicate));
        assert_eq!(snapshot(&bob), before);
        assert_eq!(bob.decrypt(&second[0]).unwrap(), b"m");
        assert_eq!(bob.decrypt(&second[last]).unwrap(), b"m");
        assert_eq!(bob.skipped_key_count(), STORED - 1);
    }
}
