//! Target `decrypt_bytes`: arbitrary bytes offered to a live responder of each session kind.
//!
//! The responder's state comes from a fixed conversation (the same on every run): Alice sends
//! in three sending chains, Bob answers twice, and some of Alice's messages are delivered,
//! some skipped (their keys stored), some still ahead. The input is decoded and offered to a
//! fresh copy of that Bob, standard kind and header-encryption kind in turn.
//!
//! Invariants: the input decrypts only if it is byte for byte one of Alice's messages that
//! Bob has not yet received, and then to its plaintext, and a second delivery fails; every
//! failure leaves Bob's pickle byte-identical.

use std::sync::OnceLock;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::{Message, Session, SessionConfig, SessionSecret};

use super::{PICKLE_CONTEXT, pickle_key, snapshot};

/// A message of the fixed conversation.
#[derive(Debug, Clone)]
pub struct KnownMessage {
    /// `std` or `he`, then who sent it and its place, e.g. `he-alice-3-pending`.
    pub name: String,
    /// Its encoding.
    pub bytes: Vec<u8>,
    /// Its plaintext.
    pub plaintext: Vec<u8>,
    /// Whether Bob must accept it: Alice sent it and Bob has not received it.
    pub pending: bool,
}

/// Bob after the fixed conversation, for one session kind.
struct Responder {
    /// Bob's [`snapshot`].
    pickle: Vec<u8>,
    /// Every message of the conversation, both directions.
    known: Vec<KnownMessage>,
}

/// The messages of the fixed conversation (both kinds), for seeding the corpus.
pub fn known_messages() -> Vec<KnownMessage> {
    responders()
        .iter()
        .flat_map(|r| r.known.iter().cloned())
        .collect()
}

/// Offers `data` to Bob of both kinds. Returns whether one of them accepted it.
pub fn decrypt_bytes(data: &[u8]) -> bool {
    let Ok(message) = Message::from_bytes(data) else {
        return false;
    };
    let mut accepted = false;
    for responder in responders() {
        let mut bob = Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, &responder.pickle)
            .expect("fixture");
        let known = responder.known.iter().find(|k| k.bytes == data);
        match bob.decrypt(&message) {
            Ok(plaintext) => {
                let known = known.unwrap_or_else(|| panic!("accepted an unknown message"));
                assert!(
                    known.pending,
                    "accepted {}, which Bob has already received",
                    known.name
                );
                assert_eq!(
                    plaintext, known.plaintext,
                    "wrong plaintext for {}",
                    known.name
                );
                let after = snapshot(&bob);
                assert!(
                    bob.decrypt(&message).is_err(),
                    "{} accepted twice",
                    known.name
                );
                assert_eq!(snapshot(&bob), after, "the refused replay changed Bob");
                accepted = true;
            }
            Err(e) => {
                if let Some(known) = known {
                    assert!(!known.pending, "refused {}: {e:?}", known.name);
                }
                assert_eq!(
                    snapshot(&bob),
                    responder.pickle,
                    "a failed decrypt changed Bob"
                );
            }
        }
    }
    accepted
}

fn responders() -> &'static [Responder; 2] {
    static RESPONDERS: OnceLock<[Responder; 2]> = OnceLock::new();
    RESPONDERS.get_or_init(|| [conversation(false), conversation(true)])
}

/// Plays the fixed conversation and returns Bob at its end.
fn conversation(header_encrypted: bool) -> Responder {
    let tag = if header_encrypted { "he" } else { "std" };
    let config = if header_encrypted {
        SessionConfig::header_encrypted()
    } else {
        SessionConfig::default()
    };
    let mut rng = StdRng::seed_from_u64(0xdec0_de00 + u64::from(header_encrypted));
    let bob_ratchet = KeyPair::generate(&mut rng);
    let bob_public = *bob_ratchet.public_key();
    let secret = [0x44; 32];
    let mut alice = Session::initiator(
        SessionSecret::new(secret),
        b"decrypt_bytes",
        &bob_public,
        config,
        &mut rng,
    )
    .expect("initiator");
    let mut bob = Session::responder(
        SessionSecret::new(secret),
        b"decrypt_bytes",
        bob_ratchet,
        config,
    )
    .expect("responder");

    let mut known: Vec<KnownMessage> = Vec::new();
    let send = |from: &mut Session, who: &str, rng: &mut StdRng, known: &mut Vec<KnownMessage>| {
        let i = known.len();
        let plaintext = format!("{who} message {i}").into_bytes();
        let bytes = from.encrypt(&plaintext, rng).expect("encrypt").into_bytes();
        let pending = who == "alice";
        known.push(KnownMessage {
            name: format!("{tag}-{who}-{i}"),
            bytes,
            plaintext,
            pending,
        });
        i
    };
    let deliver = |to: &mut Session, i: usize, known: &mut Vec<KnownMessage>| {
        let m = &mut known[i];
        let message = Message::from_bytes(&m.bytes).expect("decode");
        assert_eq!(to.decrypt(&message).expect("decrypt"), m.plaintext);
        m.pending = false;
    };

    // Chain A0: three messages, the middle one is skipped.
    let a: Vec<usize> = (0..3)
        .map(|_| send(&mut alice, "alice", &mut rng, &mut known))
        .collect();
    deliver(&mut bob, a[0], &mut known);
    deliver(&mut bob, a[2], &mut known);
    // Bob answers twice; Alice reads the first.
    let b1 = send(&mut bob, "bob", &mut rng, &mut known);
    send(&mut bob, "bob", &mut rng, &mut known);
    deliver(&mut alice, b1, &mut known);
    // Chain A1: Bob reads the middle one; the first is skipped, the last still ahead.
    let a: Vec<usize> = (0..3)
        .map(|_| send(&mut alice, "alice", &mut rng, &mut known))
        .collect();
    deliver(&mut bob, a[1], &mut known);
    // Bob answers; Alice reads it and starts chain A2, which Bob has not seen.
    let b3 = send(&mut bob, "bob", &mut rng, &mut known);
    deliver(&mut alice, b3, &mut known);
    for _ in 0..2 {
        send(&mut alice, "alice", &mut rng, &mut known);
    }

    for m in &mut known {
        m.name
            .push_str(if m.pending { "-pending" } else { "-received" });
    }
    Responder {
        pickle: snapshot(&bob),
        known,
    }
}
