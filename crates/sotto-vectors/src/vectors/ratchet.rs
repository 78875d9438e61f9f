//! Test vectors for the Double Ratchet: a scripted two-party conversation with every
//! intermediate value, for both session kinds.

use serde::{Deserialize, Serialize};
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::hazmat::StepTrace;
use sotto_ratchet::{Message, PickleKey, Session, SessionConfig, SessionKind, SessionSecret};

use super::{LabelVector, Party, VectorError, h, script_error};
use crate::rng::RecordingRng;

/// One step of the script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Event {
    /// `sender` encrypts message number `message` (an index into `messages`).
    Send {
        /// Who sends.
        sender: Party,
        /// Index into `messages`.
        message: usize,
    },
    /// The other party decrypts message `message`.
    Deliver {
        /// Index into `messages`.
        message: usize,
    },
}

/// Everything about one message, from the sender's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageVector {
    /// Index in the script.
    pub index: usize,
    /// Who sent it.
    pub sender: Party,
    /// The sender's ratchet private key (DHs) when sending.
    pub ratchet_private_key: String,
    /// The matching public key, as in the header.
    pub ratchet_public_key: String,
    /// PN.
    pub previous_chain_length: u32,
    /// N.
    pub message_number: u32,
    /// The 40-byte clear header.
    pub header: String,
    /// The sender's root key when sending.
    pub root_key: String,
    /// The chain key the message key came from.
    pub chain_key: String,
    /// HMAC-SHA256(chain key, 0x01).
    pub message_key: String,
    /// ENCRYPT's AEAD key.
    pub aead_key: String,
    /// ENCRYPT's nonce.
    pub nonce: String,
    /// The body AEAD's full associated data.
    pub associated_data: String,
    /// Header encryption only: the chain's header key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_key: Option<String>,
    /// Header encryption only: the 16-byte header salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_salt: Option<String>,
    /// Header encryption only: the header AEAD key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_aead_key: Option<String>,
    /// Header encryption only: the header AEAD nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_nonce: Option<String>,
    /// Header encryption only: the header AEAD's associated data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_associated_data: Option<String>,
    /// The plaintext.
    pub plaintext: String,
    /// The message as it travels.
    pub message: String,
}

/// A party's pickle at the end of the script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickleVector {
    /// Whose session.
    pub party: Party,
    /// `start` (right after the sessions were created) or `end` (after the script).
    pub at: String,
    /// The pickle key (each vector file has its own, so no key and salt repeat across files).
    pub pickle_key: String,
    /// The caller's context the pickle is bound to (hex of an ASCII string).
    pub pickle_context: String,
    /// The pickle's AEAD associated data: `0x15 || u16be(len(context)) || context`.
    pub pickle_associated_data: String,
    /// The plaintext state inside the pickle.
    pub state: String,
    /// The encrypted pickle (its salt is the party's last random draw).
    pub pickle: String,
}

/// One vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatchetVectors {
    /// What the file is.
    pub description: String,
    /// `standard` or `header-encrypted`.
    pub session_kind: String,
    /// The session's skip limit.
    pub max_skip: u32,
    /// The session's stored-key limit.
    pub max_stored_skipped: u32,
    /// Every label, ASCII and hex.
    pub labels: Vec<LabelVector>,
    /// The 32-byte secret both sessions start from.
    pub shared_secret: String,
    /// The session associated data.
    pub associated_data: String,
    /// Bob's first ratchet key pair (his signed prekey): private key.
    pub bob_initial_ratchet_private_key: String,
    /// Bob's first ratchet public key.
    pub bob_initial_ratchet_public_key: String,
    /// Every byte string alice's generator produced, in order.
    pub alice_random_draws: Vec<String>,
    /// Every byte string bob's generator produced, in order (the first is his prekey).
    pub bob_random_draws: Vec<String>,
    /// The script.
    pub events: Vec<Event>,
    /// The messages, by index.
    pub messages: Vec<MessageVector>,
    /// Both parties' pickles after the script.
    pub pickles: Vec<PickleVector>,
}

/// The shared secret of the vectors: bytes 0x00..0x1f.
pub const SHARED_SECRET: [u8; 32] = {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = i as u8;
        i += 1;
    }
    out
};
/// The associated data of the vectors.
pub const ASSOCIATED_DATA: &[u8] = b"Sotto/1 vectors: alice identity || bob identity";
/// The pickle key of the standard-kind file.
pub const PICKLE_KEY: [u8; 32] = [0x70; 32];
/// The pickle key of the header-encryption file (both files draw the same salts, so they must
/// not share a key).
pub const PICKLE_KEY_HE: [u8; 32] = [0x72; 32];
/// Seeds of the parties' generators (any seed works: the draws are in the file).
pub const SEEDS: (u64, u64) = (0xa11ce, 0xb0b);

/// The script: (sender, plaintext) for sends, or a delivery of an earlier message.
enum Step {
    Send(Party, Vec<u8>),
    Deliver(usize),
}

fn script() -> Vec<Step> {
    use Party::{Alice, Bob};
    use Step::{Deliver, Send};
    let text = |s: &str| s.as_bytes().to_vec();
    vec![
        Send(Alice, Vec::new()),      // 0: empty plaintext
        Send(Alice, text("alice 1")), // 1
        Send(Alice, text("alice 2")), // 2: delayed across a DH ratchet step
        Deliver(1),                   // bob skips 0
        Deliver(0),                   // out of order, from the skipped store
        Send(Bob, text("bob 0")),     // 3: bob's first ratchet key
        Send(Bob, text("bob 1")),     // 4
        Deliver(4),                   // alice skips 3
        Send(Alice, text("alice 3")), // 5: alice's DH step, PN = 3
        Deliver(5),                   // bob stores the key of 2, then steps
        Deliver(2),                   // the delayed message
        Deliver(3),                   // alice's skipped store
        Send(Bob, (0..1000u32).map(|i| (i % 256) as u8).collect()), // 6: 1000 bytes
        Deliver(6),
        Send(Alice, text("alice 4")), // 7
        Send(Alice, text("alice 5")), // 8
        Deliver(8),
        Deliver(7),
        Send(Bob, text("bob 3")), // 9
        Send(Bob, text("bob 4")), // 10
        Deliver(9),
        Deliver(10),
        Send(Alice, text("alice 6")), // 11
        Deliver(11),
        Send(Bob, text("bob 5")), // 12
        Deliver(12),
        Send(Alice, text("alice 7")), // 13: chain C1
        Send(Alice, text("alice 8")), // 14
        Deliver(14),                  // bob: new chain, stores the key of 13
        Send(Bob, text("bob 6")),     // 15
        Deliver(15),
        Send(Alice, text("alice 9")),  // 16: chain C2, PN = 2
        Send(Alice, text("alice 10")), // 17: never delivered, stays in bob's store
        Send(Alice, text("alice 11")), // 18
        Deliver(16),                   // bob: new chain, nothing left to skip in C1
        Deliver(18),                   // bob: a gap inside the current chain (17)
        Deliver(13),                   // bob: an older chain's stored key (C1)
        Send(Bob, text("bob 7")),      // 19: never delivered, stays in alice's store
        Send(Bob, text("bob 8")),      // 20
        Deliver(20),                   // alice: new chain, stores the key of 19
    ]
}

fn message_vector(
    index: usize,
    sender: Party,
    plaintext: &[u8],
    message: &Message,
    trace: &StepTrace,
) -> MessageVector {
    let header = trace
        .header
        .map(|h| h.to_bytes().to_vec())
        .unwrap_or_default();
    let public = trace
        .header
        .map(|h| h.ratchet_key().to_bytes())
        .unwrap_or_default();
    MessageVector {
        index,
        sender,
        ratchet_private_key: h(&trace.ratchet_private_key.unwrap_or_default()),
        ratchet_public_key: h(&public),
        previous_chain_length: trace.header.map_or(0, |h| h.previous_chain_length()),
        message_number: trace.header.map_or(0, |h| h.message_number()),
        header: h(&header),
        root_key: h(&trace.root_key.unwrap_or_default()),
        chain_key: h(&trace.chain_key.unwrap_or_default()),
        message_key: h(&trace.message_key),
        aead_key: h(&trace.aead_key),
        nonce: h(&trace.nonce),
        associated_data: h(&trace.associated_data),
        header_key: trace.header_key.map(|k| h(&k)),
        header_salt: trace.header_salt.map(|k| h(&k)),
        header_aead_key: trace.header_aead_key.map(|k| h(&k)),
        header_nonce: trace.header_nonce.map(|k| h(&k)),
        header_associated_data: trace.header_associated_data.as_deref().map(h),
        plaintext: h(plaintext),
        message: h(message.as_bytes()),
    }
}

fn pickle_vector(
    (key, kind): (&[u8; 32], &str),
    party: Party,
    at: &str,
    session: &Session,
    rng: &mut RecordingRng,
) -> Result<PickleVector, VectorError> {
    let owner = match party {
        Party::Alice => "alice",
        Party::Bob => "bob",
    };
    let context = format!("Sotto/1 vectors {kind} {owner} {at}");
    let mut ad = vec![sotto_ratchet::PICKLE_VERSION];
    ad.extend_from_slice(
        &u16::try_from(context.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    ad.extend_from_slice(context.as_bytes());
    let pickle = session
        .pickle(&PickleKey::new(*key), context.as_bytes(), rng)
        .map_err(|e| script_error(0, e))?;
    Ok(PickleVector {
        party,
        at: at.to_string(),
        pickle_key: h(key),
        pickle_context: h(context.as_bytes()),
        pickle_associated_data: h(&ad),
        state: h(&session.pickle_state()),
        pickle: h(&pickle),
    })
}

/// Runs the script for one session kind and records everything.
pub fn generate(kind: SessionKind) -> Result<RatchetVectors, VectorError> {
    let config = match kind {
        SessionKind::Standard => SessionConfig::standard(),
        SessionKind::HeaderEncrypted => SessionConfig::header_encrypted(),
    };
    let mut alice_rng = RecordingRng::new(SEEDS.0);
    let mut bob_rng = RecordingRng::new(SEEDS.1);
    let bob_prekey = KeyPair::generate(&mut bob_rng);
    let bob_public = *bob_prekey.public_key();
    let bob_private = *bob_prekey.secret_key().expose();
    let mut alice = Session::initiator(
        SessionSecret::new(SHARED_SECRET),
        ASSOCIATED_DATA,
        &bob_public,
        config,
        &mut alice_rng,
    )
    .map_err(|e| script_error(0, e))?;
    let mut bob = Session::responder(
        SessionSecret::new(SHARED_SECRET),
        ASSOCIATED_DATA,
        bob_prekey,
        config,
    )
    .map_err(|e| script_error(0, e))?;

    // Pickles of the two fresh sessions: the initiator holds a peer key but no receiving
    // chain, the responder holds neither chain.
    let key = match kind {
        SessionKind::Standard => (&PICKLE_KEY, "standard"),
        SessionKind::HeaderEncrypted => (&PICKLE_KEY_HE, "header-encrypted"),
    };
    let mut pickles = vec![
        pickle_vector(key, Party::Alice, "start", &alice, &mut alice_rng)?,
        pickle_vector(key, Party::Bob, "start", &bob, &mut bob_rng)?,
    ];
    let mut events = Vec::new();
    let mut messages: Vec<(Party, Vec<u8>, Message)> = Vec::new();
    let mut vectors = Vec::new();
    for (step, action) in script().into_iter().enumerate() {
        match action {
            Step::Send(sender, plaintext) => {
                let (session, rng) = match sender {
                    Party::Alice => (&mut alice, &mut alice_rng),
                    Party::Bob => (&mut bob, &mut bob_rng),
                };
                let (message, trace) = session
                    .encrypt_with_trace(&plaintext, rng)
                    .map_err(|e| script_error(step, e))?;
                let index = messages.len();
                vectors.push(message_vector(index, sender, &plaintext, &message, &trace));
                events.push(Event::Send {
                    sender,
                    message: index,
                });
                messages.push((sender, plaintext, message));
            }
            Step::Deliver(index) => {
                let (sender, plaintext, message) = messages
                    .get(index)
                    .ok_or_else(|| script_error(step, "no such message"))?;
                let receiver = match sender {
                    Party::Alice => &mut bob,
                    Party::Bob => &mut alice,
                };
                let got = receiver
                    .decrypt(message)
                    .map_err(|e| script_error(step, e))?;
                if &got != plaintext {
                    return Err(script_error(step, "decrypted to a different plaintext"));
                }
                events.push(Event::Deliver { message: index });
            }
        }
    }
    pickles.push(pickle_vector(
        key,
        Party::Alice,
        "end",
        &alice,
        &mut alice_rng,
    )?);
    pickles.push(pickle_vector(key, Party::Bob, "end", &bob, &mut bob_rng)?);
    let (kind_name, description) = match kind {
        SessionKind::Standard => (
            "standard",
            "Sotto/1 Double Ratchet, standard kind: a scripted conversation with every intermediate value. See docs/protocol.md, chapter 'Double Ratchet'.",
        ),
        SessionKind::HeaderEncrypted => (
            "header-encrypted",
            "Sotto/1 Double Ratchet, header-encryption kind: a scripted conversation with every intermediate value. See docs/protocol.md, chapter 'Double Ratchet'.",
        ),
    };
    Ok(RatchetVectors {
        description: description.to_string(),
        session_kind: kind_name.to_string(),
        max_skip: config.max_skip(),
        max_stored_skipped: config.max_stored_skipped(),
        labels: super::label_vectors(),
        shared_secret: h(&SHARED_SECRET),
        associated_data: h(ASSOCIATED_DATA),
        bob_initial_ratchet_private_key: h(&bob_private),
        bob_initial_ratchet_public_key: h(bob_public.as_bytes()),
        alice_random_draws: alice_rng.draws().iter().map(|d| h(d)).collect(),
        bob_random_draws: bob_rng.draws().iter().map(|d| h(d)).collect(),
        events,
        messages: vectors,
        pickles,
    })
}
