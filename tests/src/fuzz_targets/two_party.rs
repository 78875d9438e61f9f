//! Target `two_party`: Alice and Bob talk through an adversarial network driven by the input.
//!
//! Input format: the first byte picks the session kind (bit 0: header encryption) and the
//! limits [`Profile`] (bits 1..=2); every following byte starts one [`Op`] (`byte % 9`), whose
//! operands are the next bytes (missing operands read as 0). After the last op everything
//! still in flight is delivered in order.
//!
//! Every delivery is checked against [`PartyModel`](super::model::PartyModel): a message the
//! model accepts must decrypt to exactly its plaintext, a message it refuses (replayed,
//! reflected, tampered, expired, too far ahead) must fail, and every failure must leave the
//! receiver's pickle byte-identical.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::{EncryptError, Message, Session, SessionConfig, SessionSecret};

use super::model::{Expect, Limits, Meta, PartyModel};
use super::{PICKLE_CONTEXT, pickle_key, snapshot};

/// One of the two parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The initiator.
    Alice,
    /// The responder.
    Bob,
}

impl Party {
    /// 0 for Alice, 1 for Bob.
    pub const fn index(self) -> usize {
        match self {
            Self::Alice => 0,
            Self::Bob => 1,
        }
    }

    /// The other party.
    pub const fn peer(self) -> Self {
        match self {
            Self::Alice => Self::Bob,
            Self::Bob => Self::Alice,
        }
    }

    const fn from_bit(byte: u8) -> Self {
        if byte & 1 == 0 {
            Self::Alice
        } else {
            Self::Bob
        }
    }
}

/// The skipped-key limits both parties use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The defaults: skip at most 2000, store at most 2000.
    Default,
    /// Skip at most 4, store at most 6.
    Small,
    /// Skip at most 10, store at most 3: eviction before the skip limit.
    EvictFirst,
    /// Skip nothing, store nothing: only in-order delivery works.
    Zero,
}

impl Profile {
    const fn from_bits(bits: u8) -> Self {
        match bits & 3 {
            0 => Self::Default,
            1 => Self::Small,
            2 => Self::EvictFirst,
            _ => Self::Zero,
        }
    }

    const fn bits(self) -> u8 {
        match self {
            Self::Default => 0,
            Self::Small => 1,
            Self::EvictFirst => 2,
            Self::Zero => 3,
        }
    }

    const fn limits(self) -> Limits {
        match self {
            Self::Default => Limits {
                max_skip: SessionConfig::DEFAULT_MAX_SKIP,
                max_stored: SessionConfig::DEFAULT_MAX_STORED_SKIPPED,
            },
            Self::Small => Limits {
                max_skip: 4,
                max_stored: 6,
            },
            Self::EvictFirst => Limits {
                max_skip: 10,
                max_stored: 3,
            },
            Self::Zero => Limits {
                max_skip: 0,
                max_stored: 0,
            },
        }
    }
}

/// One step of the interaction.
///
/// An `index` picks among the messages in flight (or delivered): below 128 it counts from
/// the oldest, from 128 on `index - 128` counts from the newest, both modulo their number.
/// An op with nothing to pick from does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `from` encrypts a plaintext of `len % 48` bytes (Bob must fail before he has received).
    Send {
        /// The sender.
        from: Party,
        /// Plaintext length, modulo 48.
        len: u8,
    },
    /// Deliver the oldest message in flight.
    DeliverOldest,
    /// Deliver the message in flight at `index`.
    Deliver {
        /// Which one.
        index: u8,
    },
    /// The network loses the message in flight at `index`.
    Drop {
        /// Which one.
        index: u8,
    },
    /// Deliver a modified copy of the message at `index` (it stays in flight unmodified):
    /// XOR byte `position` with `mask`, or for a zero mask cut the message at `position`, or
    /// append a byte if `position` is its length. It must be refused.
    Tamper {
        /// Which message.
        index: u8,
        /// Which byte, modulo the length plus one.
        position: u8,
        /// XOR mask; zero means truncate or extend.
        mask: u8,
    },
    /// Deliver an already delivered message again: it must be refused.
    Replay {
        /// Which one, among the delivered.
        index: u8,
    },
    /// Deliver the message in flight at `index` back to its sender: it must be refused.
    Reflect {
        /// Which one.
        index: u8,
    },
    /// Pickle `party`, restore it, and continue with the restored session.
    SaveRestore {
        /// Whose session.
        party: Party,
    },
}

impl Op {
    const COUNT: u8 = 9;
    /// An index operand at or above this counts from the newest message.
    pub const NEWEST: u8 = 128;

    fn decode(input: &mut &[u8]) -> Option<Self> {
        let (&tag, rest) = input.split_first()?;
        *input = rest;
        let mut operand = || match input.split_first() {
            Some((&b, rest)) => {
                *input = rest;
                b
            }
            None => 0,
        };
        Some(match tag % Self::COUNT {
            0 => Self::Send {
                from: Party::Alice,
                len: operand(),
            },
            1 => Self::Send {
                from: Party::Bob,
                len: operand(),
            },
            2 => Self::DeliverOldest,
            3 => Self::Deliver { index: operand() },
            4 => Self::Drop { index: operand() },
            5 => Self::Tamper {
                index: operand(),
                position: operand(),
                mask: operand(),
            },
            6 => Self::Replay { index: operand() },
            7 => Self::Reflect { index: operand() },
            _ => Self::SaveRestore {
                party: Party::from_bit(operand()),
            },
        })
    }

    fn encode(self, out: &mut Vec<u8>) {
        match self {
            Self::Send {
                from: Party::Alice,
                len,
            } => out.extend([0, len]),
            Self::Send {
                from: Party::Bob,
                len,
            } => out.extend([1, len]),
            Self::DeliverOldest => out.push(2),
            Self::Deliver { index } => out.extend([3, index]),
            Self::Drop { index } => out.extend([4, index]),
            Self::Tamper {
                index,
                position,
                mask,
            } => out.extend([5, index, position, mask]),
            Self::Replay { index } => out.extend([6, index]),
            Self::Reflect { index } => out.extend([7, index]),
            Self::SaveRestore { party } => out.extend([8, party.index() as u8]),
        }
    }
}

/// The input bytes for a session kind, limits profile and op sequence.
pub fn encode_ops(header_encrypted: bool, profile: Profile, ops: &[Op]) -> Vec<u8> {
    let mut out = vec![u8::from(header_encrypted) | profile.bits() << 1];
    for op in ops {
        op.encode(&mut out);
    }
    out
}

/// What a run of [`two_party`] exercised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages encrypted.
    pub sent: usize,
    /// Deliveries that decrypted.
    pub accepted: usize,
    /// Deliveries that reached `decrypt` and were refused (including tampered, replayed and
    /// reflected messages).
    pub refused: usize,
}

/// Runs the interaction that `data` describes, panicking if any invariant fails.
pub fn two_party(data: &[u8]) -> Stats {
    let Some((&first, mut ops)) = data.split_first() else {
        return Stats::default();
    };
    let mut world = World::new(first & 1 == 1, Profile::from_bits(first >> 1));
    while let Some(op) = Op::decode(&mut ops) {
        world.step(op);
    }
    world.flush();
    world.stats
}

/// A message on the network.
#[derive(Clone)]
struct InFlight {
    to: Party,
    bytes: Vec<u8>,
    plaintext: Vec<u8>,
    meta: Meta,
}

struct World {
    rng: StdRng,
    limits: Limits,
    sessions: [Session; 2],
    models: [PartyModel; 2],
    in_flight: Vec<InFlight>,
    delivered: Vec<InFlight>,
    stats: Stats,
}

impl World {
    fn new(header_encrypted: bool, profile: Profile) -> Self {
        let limits = profile.limits();
        let base = if header_encrypted {
            SessionConfig::header_encrypted()
        } else {
            SessionConfig::default()
        };
        let config = base
            .with_max_skip(limits.max_skip)
            .with_max_stored_skipped(limits.max_stored);
        let mut rng = StdRng::seed_from_u64(0x7770_a127);
        let bob_ratchet = KeyPair::generate(&mut rng);
        let bob_public = *bob_ratchet.public_key();
        let secret = [0x33; 32];
        let alice = Session::initiator(
            SessionSecret::new(secret),
            b"two_party",
            &bob_public,
            config,
            &mut rng,
        )
        .expect("initiator");
        let bob = Session::responder(
            SessionSecret::new(secret),
            b"two_party",
            bob_ratchet,
            config,
        )
        .expect("responder");
        Self {
            rng,
            limits,
            sessions: [alice, bob],
            models: [PartyModel::initiator(), PartyModel::responder()],
            in_flight: Vec::new(),
            delivered: Vec::new(),
            stats: Stats::default(),
        }
    }

    fn step(&mut self, op: Op) {
        match op {
            Op::Send { from, len } => self.send(from, len),
            Op::DeliverOldest => {
                if !self.in_flight.is_empty() {
                    self.deliver(0);
                }
            }
            Op::Deliver { index } => {
                if let Some(i) = pick(index, self.in_flight.len()) {
                    self.deliver(i);
                }
            }
            Op::Drop { index } => {
                if let Some(i) = pick(index, self.in_flight.len()) {
                    self.in_flight.remove(i);
                }
            }
            Op::Tamper {
                index,
                position,
                mask,
            } => {
                if let Some(i) = pick(index, self.in_flight.len()) {
                    let original = &self.in_flight[i];
                    let bytes = tamper(&original.bytes, position, mask);
                    let to = original.to;
                    self.must_refuse(to, &bytes, "a tampered message");
                }
            }
            Op::Replay { index } => {
                if let Some(i) = pick(index, self.delivered.len()) {
                    let old = self.delivered[i].clone();
                    let verdict = self.models[old.to.index()].expect(&old.meta, self.limits);
                    assert_eq!(
                        verdict,
                        Expect::Reject,
                        "model accepts a replay of {:?}",
                        old.meta
                    );
                    self.must_refuse(old.to, &old.bytes, "a replayed message");
                }
            }
            Op::Reflect { index } => {
                if let Some(i) = pick(index, self.in_flight.len()) {
                    let m = self.in_flight[i].clone();
                    self.must_refuse(m.meta.sender, &m.bytes, "a reflected message");
                }
            }
            Op::SaveRestore { party } => self.save_restore(party),
        }
    }

    fn send(&mut self, from: Party, len: u8) {
        let plaintext: Vec<u8> = (0..len % 48).map(|i| (self.stats.sent as u8) ^ i).collect();
        let session = &mut self.sessions[from.index()];
        let model = &mut self.models[from.index()];
        if !model.can_send() {
            let before = snapshot(session);
            let result = session.encrypt(&plaintext, &mut self.rng);
            assert!(
                matches!(result, Err(EncryptError::NoPeerRatchetKey)),
                "{from:?} could send before receiving: {:?}",
                result.map(|m| m.as_bytes().len())
            );
            assert_eq!(
                snapshot(session),
                before,
                "a refused encrypt changed {from:?}"
            );
            return;
        }
        let message = session
            .encrypt(&plaintext, &mut self.rng)
            .unwrap_or_else(|e| panic!("{from:?} failed to encrypt: {e:?}"));
        let meta = model.send().expect("model: can_send");
        self.stats.sent += 1;
        self.in_flight.push(InFlight {
            to: from.peer(),
            bytes: message.into_bytes(),
            plaintext,
            meta,
        });
    }

    fn deliver(&mut self, i: usize) {
        let m = &self.in_flight[i];
        let to = m.to.index();
        let verdict = self.models[to].expect(&m.meta, self.limits);
        let message = Message::from_bytes(&m.bytes).expect("a sent message does not decode");
        let before = (verdict != Expect::Accept).then(|| snapshot(&self.sessions[to]));
        match (self.sessions[to].decrypt(&message), verdict) {
            (Ok(plaintext), Expect::Accept | Expect::Either) => {
                assert_eq!(plaintext, m.plaintext, "wrong plaintext for {:?}", m.meta);
                self.models[to].accept(&m.meta, self.limits);
                self.stats.accepted += 1;
                let m = self.in_flight.remove(i);
                self.delivered.push(m);
            }
            (Ok(_), Expect::Reject) => {
                panic!("{:?} accepted {:?}, which the model refuses", m.to, m.meta)
            }
            (Err(e), Expect::Accept) => {
                panic!(
                    "{:?} refused {:?} with {e:?}; the model accepts it",
                    m.to, m.meta
                )
            }
            (Err(_), Expect::Reject | Expect::Either) => {
                // The message stays in flight: a later state may accept it (skip limit).
                self.stats.refused += 1;
                let before = before.expect("snapshot taken for a possible failure");
                assert_eq!(
                    snapshot(&self.sessions[to]),
                    before,
                    "a failed decrypt changed {:?}",
                    m.to
                );
            }
        }
    }

    /// Delivers `bytes` to `to`; it must fail to decode or to decrypt, leaving `to` unchanged.
    fn must_refuse(&mut self, to: Party, bytes: &[u8], what: &str) {
        let Ok(message) = Message::from_bytes(bytes) else {
            return;
        };
        let session = &mut self.sessions[to.index()];
        let before = snapshot(session);
        if let Ok(plaintext) = session.decrypt(&message) {
            panic!(
                "{to:?} accepted {what} ({} bytes of plaintext)",
                plaintext.len()
            );
        }
        assert_eq!(snapshot(session), before, "{what} changed {to:?}");
        self.stats.refused += 1;
    }

    fn save_restore(&mut self, party: Party) {
        let session = &self.sessions[party.index()];
        let before = snapshot(session);
        let pickle = session
            .pickle(&pickle_key(), PICKLE_CONTEXT, &mut self.rng)
            .expect("pickle");
        let restored = Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, &pickle)
            .unwrap_or_else(|e| panic!("{party:?}'s own pickle is refused: {e:?}"));
        assert_eq!(
            snapshot(&restored),
            before,
            "save and restore changed {party:?}"
        );
        self.sessions[party.index()] = restored;
    }

    /// Delivers everything still in flight, oldest first.
    fn flush(&mut self) {
        let mut i = 0;
        while i < self.in_flight.len() {
            let len = self.in_flight.len();
            self.deliver(i);
            if self.in_flight.len() == len {
                i += 1; // refused: it stays
            }
        }
    }
}

/// The position `index` picks among `len` messages (see [`Op`]).
fn pick(index: u8, len: usize) -> Option<usize> {
    if len == 0 {
        None
    } else if index < Op::NEWEST {
        Some(usize::from(index) % len)
    } else {
        Some(len - 1 - usize::from(index - Op::NEWEST) % len)
    }
}

fn tamper(bytes: &[u8], position: u8, mask: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let at = usize::from(position) % (bytes.len() + 1);
    if mask != 0 && at < out.len() {
        out[at] ^= mask;
    } else if at < out.len() {
        out.truncate(at);
    } else {
        out.push(mask);
    }
    out
}
