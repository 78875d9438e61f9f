//! `docs/vectors/ratchet-negative.json`: what a ratchet implementation must refuse, in the
//! manner of Wycheproof. Each case gives the state before (a session pickle), the input, the
//! expected error and the promise that the state is unchanged; the generator checks every
//! case against this implementation before it writes it.

use core::fmt::Debug;

use serde::{Deserialize, Serialize};
use sotto_crypto::x25519::KeyPair;
use sotto_crypto::{aead, kdf, labels};
use sotto_ratchet::{
    MAX_PICKLE_LEN, MAX_PLAINTEXT_LEN, Message, PICKLE_SALT_LEN, PICKLE_VERSION, PickleKey,
    Session, SessionConfig, SessionSecret, VERSION_HEADER_ENCRYPTED, VERSION_STANDARD,
};

use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The session secret every case's sessions start from.
pub const SHARED_SECRET: [u8; 32] = [0x42; 32];
/// The session associated data of every case.
pub const ASSOCIATED_DATA: &[u8] = b"Sotto negative vectors";
/// The key every `state` pickle of this file is encrypted under (no other vector file uses it).
pub const PICKLE_KEY: [u8; 32] = [0x74; 32];
/// The context every pickle of this file is bound to: the current generation of the caller's
/// counter is 2.
pub const PICKLE_CONTEXT: &[u8] = b"Sotto/1 negative vectors: alice bob generation 2";
/// The context of the same sessions one generation earlier (a rollback).
pub const PREVIOUS_PICKLE_CONTEXT: &[u8] = b"Sotto/1 negative vectors: alice bob generation 1";

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatchetNegativeVectors {
    /// Free text.
    pub description: String,
    /// The key every pickle in the file is encrypted under (hex).
    pub pickle_key: String,
    /// The context every `state` and `unpickle` input is restored with (hex of ASCII).
    pub pickle_context: String,
    /// The cases.
    pub cases: Vec<NegativeCase>,
}

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegativeCase {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of `docs/protocol.md` section 5 this case exercises.
    pub validation_id: String,
    /// What the case is.
    pub comment: String,
    /// `decode` (Message::from_bytes), `decrypt` (restore `state`, decode `input`, decrypt),
    /// `encrypt` (restore `state`, encrypt `input` as plaintext), `unpickle` (restore `input`),
    /// `pickle` (restore `state`, pickle it with `input` as the context) or `create_responder`
    /// (create a responder session whose associated data is `input`).
    pub operation: String,
    /// The session before, as a pickle under `pickle_key` (hex); empty when the operation has
    /// no state.
    pub state: String,
    /// The input bytes (hex), before padding.
    pub input: String,
    /// When non-zero, `input` is followed by zero bytes up to this total length.
    pub pad_to: usize,
    /// The refusal: `Type::Variant` of this implementation's errors.
    pub expected_error: String,
    /// The state after the refusal is exactly the state before (always true).
    pub state_unchanged: bool,
}

impl NegativeCase {
    /// The input with its padding.
    pub fn input_bytes(&self) -> Result<Vec<u8>, hex::FromHexError> {
        let mut bytes = hex::decode(&self.input)?;
        if self.pad_to > bytes.len() {
            bytes.resize(self.pad_to, 0);
        }
        Ok(bytes)
    }
}

/// `Type::Variant` of an error, from its `Debug` form (payloads dropped).
pub fn error_name<E: Debug>(type_name: &str, error: &E) -> String {
    let debug = format!("{error:?}");
    let variant: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("{type_name}::{variant}")
}

/// The refusal's `Type::Variant`, or `accepted` (what happened instead) as the error.
pub fn refusal<T, E: Debug>(
    result: Result<T, E>,
    type_name: &str,
    accepted: &str,
) -> Result<String, String> {
    match result {
        Ok(_) => Err(accepted.into()),
        Err(e) => Ok(error_name(type_name, &e)),
    }
}

/// Runs one case against this implementation: the error name it produced, or a description of
/// what went wrong (accepted, or the state changed).
pub fn run_case(
    case: &NegativeCase,
    pickle_key: &PickleKey,
    context: &[u8],
) -> Result<String, String> {
    let input = case.input_bytes().map_err(|e| e.to_string())?;
    let restore = || {
        let state = hex::decode(&case.state).map_err(|e| e.to_string())?;
        Session::from_pickle(pickle_key, context, &state).map_err(|e| format!("state: {e}"))
    };
    match case.operation.as_str() {
        "decode" => refusal(Message::from_bytes(&input), "DecodeError", "decoded"),
        "unpickle" => refusal(
            Session::from_pickle(pickle_key, context, &input),
            "PickleError",
            "restored",
        ),
        "pickle" => {
            let session = restore()?;
            let before = session.pickle_state();
            let result = session.pickle(pickle_key, &input, &mut RecordingRng::new(3));
            if session.pickle_state() != before {
                return Err("state changed".into());
            }
            refusal(result, "PickleError", "pickled")
        }
        "create_responder" => {
            let pair = KeyPair::generate(&mut RecordingRng::new(1));
            let created = Session::responder(
                SessionSecret::new(SHARED_SECRET),
                &input,
                pair,
                SessionConfig::default(),
            );
            refusal(created, "SessionError", "created")
        }
        "decrypt" => {
            let mut session = restore()?;
            let before = session.pickle_state();
            let message = Message::from_bytes(&input).map_err(|e| format!("decode: {e}"))?;
            let result = session.decrypt(&message);
            if session.pickle_state() != before {
                return Err("state changed".into());
            }
            refusal(result, "DecryptError", "decrypted")
        }
        "encrypt" => {
            let mut session = restore()?;
            let before = session.pickle_state();
            let result = session.encrypt(&input, &mut RecordingRng::new(2));
            if session.pickle_state() != before {
                return Err("state changed".into());
            }
            refusal(result, "EncryptError", "encrypted")
        }
        other => Err(format!("unknown operation {other}")),
    }
}

struct Builder {
    rng: RecordingRng,
    key: PickleKey,
    cases: Vec<NegativeCase>,
}

/// A pair of sessions: Alice (initiator) and Bob (responder).
struct Pair {
    alice: Session,
    bob: Session,
}

impl Builder {
    fn pair(&mut self, config: SessionConfig) -> Result<Pair, VectorError> {
        let bob_prekey = KeyPair::generate(&mut self.rng);
        let alice = Session::initiator(
            SessionSecret::new(SHARED_SECRET),
            ASSOCIATED_DATA,
            bob_prekey.public_key(),
            config,
            &mut self.rng,
        )
        .map_err(|e| script_error(0, e))?;
        let bob = Session::responder(
            SessionSecret::new(SHARED_SECRET),
            ASSOCIATED_DATA,
            bob_prekey,
            config,
        )
        .map_err(|e| script_error(0, e))?;
        Ok(Pair { alice, bob })
    }

    fn send(&mut self, from: &mut Session, count: usize) -> Result<Vec<Vec<u8>>, VectorError> {
        (0..count)
            .map(|i| {
                from.encrypt(format!("message {i}").as_bytes(), &mut self.rng)
                    .map(Message::into_bytes)
                    .map_err(|e| script_error(i, e))
            })
            .collect()
    }

    /// An independent copy of `session` (through a pickle), to check a companion positive case.
    fn copy(&mut self, session: &Session, step: usize) -> Result<Session, VectorError> {
        let pickle = self.pickle(session, PICKLE_CONTEXT)?;
        Session::from_pickle(&self.key, PICKLE_CONTEXT, &pickle).map_err(|e| script_error(step, e))
    }

    fn pickle(&mut self, session: &Session, context: &[u8]) -> Result<Vec<u8>, VectorError> {
        session
            .pickle(&self.key, context, &mut self.rng)
            .map_err(|e| script_error(0, e))
    }

    fn state(&mut self, session: &Session) -> Result<String, VectorError> {
        Ok(h(&self.pickle(session, PICKLE_CONTEXT)?))
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        validation_id: &str,
        comment: &str,
        operation: &str,
        state: String,
        input: &[u8],
        pad_to: usize,
        expected_error: &str,
    ) -> Result<(), VectorError> {
        let case = NegativeCase {
            id: self.cases.len() + 1,
            validation_id: validation_id.into(),
            comment: comment.into(),
            operation: operation.into(),
            state,
            input: h(input),
            pad_to,
            expected_error: expected_error.into(),
            state_unchanged: true,
        };
        // The case must hold for this implementation before it is published.
        match run_case(&case, &self.key, PICKLE_CONTEXT) {
            Ok(got) if got == expected_error => {}
            other => {
                return Err(script_error(
                    case.id,
                    format!("{validation_id} {comment}: expected {expected_error}, got {other:?}"),
                ));
            }
        }
        self.cases.push(case);
        Ok(())
    }

    fn decrypt(
        &mut self,
        validation_id: &str,
        comment: &str,
        session: &Session,
        input: &[u8],
        expected_error: &str,
    ) -> Result<(), VectorError> {
        let state = self.state(session)?;
        self.push(
            validation_id,
            comment,
            "decrypt",
            state,
            input,
            0,
            expected_error,
        )
    }
}

fn deliver(to: &mut Session, wire: &[u8], step: usize) -> Result<(), VectorError> {
    let message = Message::from_bytes(wire).map_err(|e| script_error(step, e))?;
    to.decrypt(&message).map_err(|e| script_error(step, e))?;
    Ok(())
}

/// Standard-kind header offsets: version, ratchet key, PN, N.
const RATCHET_KEY: core::ops::Range<usize> = 1..33;
const MESSAGE_NUMBER: core::ops::Range<usize> = 37..41;

/// Builds every case.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<RatchetNegativeVectors, VectorError> {
    let mut b = Builder {
        rng: RecordingRng::new(0x4e47),
        key: PickleKey::new(PICKLE_KEY),
        cases: Vec::new(),
    };

    // Decoding (RAT-01..03).
    b.push(
        "RAT-01",
        "empty input (version 0)",
        "decode",
        String::new(),
        &[],
        0,
        "DecodeError::UnknownVersion",
    )?;
    for (tag, len, what) in [
        (0x00, 57, "first byte 0x00"),
        (
            0x01,
            57,
            "the unversioned standard-message byte 0x01 (format version 0)",
        ),
        (
            0x02,
            89,
            "the unversioned header-encryption byte 0x02 (format version 0)",
        ),
        (
            sotto_crypto::wire::INITIAL_MESSAGE,
            89,
            "an initial message's tag 0x13",
        ),
        (
            sotto_crypto::wire::SESSION_PICKLE,
            89,
            "a session pickle's tag 0x15",
        ),
        (0x21, 89, "tag 0x21 (format version 2)"),
    ] {
        b.push(
            "RAT-01",
            &format!("{what}, then zero bytes"),
            "decode",
            String::new(),
            &[tag],
            len,
            "DecodeError::UnknownVersion",
        )?;
    }
    b.push(
        "RAT-02",
        "standard message of 56 bytes",
        "decode",
        String::new(),
        &[VERSION_STANDARD],
        56,
        "DecodeError::Truncated",
    )?;
    b.push(
        "RAT-02",
        "header-encrypted message of 88 bytes",
        "decode",
        String::new(),
        &[VERSION_HEADER_ENCRYPTED],
        88,
        "DecodeError::Truncated",
    )?;
    b.push(
        "RAT-03",
        "standard message one byte over 2^24 + 57",
        "decode",
        String::new(),
        &[VERSION_STANDARD],
        MAX_PLAINTEXT_LEN + 58,
        "DecodeError::TooLong",
    )?;
    b.push(
        "RAT-03",
        "header-encrypted message one byte over 2^24 + 89",
        "decode",
        String::new(),
        &[VERSION_HEADER_ENCRYPTED],
        MAX_PLAINTEXT_LEN + 90,
        "DecodeError::TooLong",
    )?;

    // A standard conversation: Bob has received Alice's message 0.
    let mut p = b.pair(SessionConfig::standard())?;
    let sent = b.send(&mut p.alice, 3)?;
    deliver(&mut p.bob, &sent[0], 0)?;
    b.decrypt(
        "RAT-07",
        "message 0 delivered again (replay)",
        &p.bob,
        &sent[0],
        "DecryptError::Duplicate",
    )?;
    let mut flipped = sent[1].clone();
    if let Some(last) = flipped.last_mut() {
        *last ^= 0x01;
    }
    b.decrypt(
        "RAT-08",
        "message 1 with bit 0 of its last tag byte flipped",
        &p.bob,
        &flipped,
        "DecryptError::Authentication",
    )?;
    let mut renumbered = sent[1].clone();
    renumbered[MESSAGE_NUMBER].copy_from_slice(&2u32.to_be_bytes());
    b.decrypt(
        "RAT-08",
        "message 1 with its header's message number changed to 2",
        &p.bob,
        &renumbered,
        "DecryptError::Authentication",
    )?;
    // X25519 twins of the header's ratchet key (protocol.md section 1): same DH outputs,
    // other bytes. A replay of message 0 and the undelivered message 1 with a twin key take
    // the new-chain path and fail authentication (the header bytes are in the body's AD).
    let mut key = [0u8; 32];
    key.copy_from_slice(&sent[0][RATCHET_KEY]);
    let twins = super::handshake_negative::canonical_twins(&key);
    if twins.is_empty() {
        return Err(script_error(0, "the ratchet key has no canonical twin"));
    }
    for (i, twin) in twins.iter().enumerate() {
        for (n, what) in [(0, "message 0 delivered again"), (1, "message 1")] {
            let mut twinned = sent[n].clone();
            twinned[RATCHET_KEY].copy_from_slice(twin);
            b.decrypt(
                "RAT-08",
                &format!(
                    "{what} with its ratchet key replaced by its canonical X25519 twin {} of {}",
                    i + 1,
                    twins.len()
                ),
                &p.bob,
                &twinned,
                "DecryptError::Authentication",
            )?;
        }
    }
    let mut zero_key = sent[1].clone();
    zero_key[RATCHET_KEY].fill(0);
    b.decrypt("RAT-05", "message 1 with its ratchet key replaced by the all-zero (small-order) key: DH output all zero", &p.bob, &zero_key, "DecryptError::NonContributory")?;
    let mut at_limit = sent[1].clone();
    at_limit[MESSAGE_NUMBER].copy_from_slice(&u32::MAX.to_be_bytes());
    b.decrypt(
        "RAT-09",
        "message number 2^32 - 1 on the current chain",
        &p.bob,
        &at_limit,
        "DecryptError::CounterLimit",
    )?;
    let mut he = b.pair(SessionConfig::header_encrypted())?;
    let he_sent = b.send(&mut he.alice, 2)?;
    b.decrypt(
        "RAT-04",
        "header-encrypted message to a standard session",
        &p.bob,
        &he_sent[0],
        "DecryptError::WrongKind",
    )?;

    // RAT-12: a skipped key is deleted once used.
    let mut p = b.pair(SessionConfig::standard())?;
    let sent = b.send(&mut p.alice, 2)?;
    deliver(&mut p.bob, &sent[1], 1)?;
    deliver(&mut p.bob, &sent[0], 0)?;
    b.decrypt(
        "RAT-12",
        "message 0 again after it was received out of order (its stored key was used and deleted)",
        &p.bob,
        &sent[0],
        "DecryptError::Duplicate",
    )?;

    // RAT-11: at most MAX_STORED skipped keys, the oldest evicted first.
    let mut p = b.pair(SessionConfig::standard().with_max_stored_skipped(2))?;
    let sent = b.send(&mut p.alice, 4)?;
    deliver(&mut p.bob, &sent[3], 3)?;
    b.decrypt("RAT-11", "max_stored_skipped = 2: message 3 arrived first, so the keys of 0, 1, 2 were stored and the oldest (0) evicted; message 0 is refused", &p.bob, &sent[0], "DecryptError::Duplicate")?;

    // RAT-06 in one step: 2000 keys may be skipped, 2001 may not.
    let mut p = b.pair(SessionConfig::standard())?;
    let sent = b.send(&mut p.alice, 2002)?;
    b.decrypt("RAT-06", "first message of a session with message number 2001: 2001 keys to skip, MAX_SKIP = 2000 (number 2000 is accepted)", &p.bob, &sent[2001], "DecryptError::TooManySkipped")?;
    let mut check = b.copy(&p.bob, 2000)?;
    deliver(&mut check, &sent[2000], 2000)?;

    // RAT-06 across a DH step: the old chain's rest and the new chain's gap add up.
    let mut p = b.pair(SessionConfig::standard())?;
    let first = b.send(&mut p.alice, 1001)?;
    deliver(&mut p.bob, &first[0], 0)?;
    let reply = b.send(&mut p.bob, 1)?;
    deliver(&mut p.alice, &reply[0], 0)?;
    let second = b.send(&mut p.alice, 1002)?;
    b.decrypt("RAT-06", "across a DH step: Bob received message 0 of a 1001-message chain, then message 1001 of the next chain (PN = 1001): 1000 + 1001 = 2001 keys to skip (message 1000 of the next chain, 2000 keys, is accepted)", &p.bob, &second[1001], "DecryptError::TooManySkipped")?;
    let mut check = b.copy(&p.bob, 1000)?;
    deliver(&mut check, &second[1000], 1000)?;

    // Header encryption: the header authenticates (RAT-08).
    let mut he = b.pair(SessionConfig::header_encrypted())?;
    let he_sent = b.send(&mut he.alice, 2)?;
    deliver(&mut he.bob, &he_sent[0], 0)?;
    let mut flipped = he_sent[1].clone();
    flipped[20] ^= 0x80;
    b.decrypt(
        "RAT-08",
        "header-encrypted message 1 with bit 7 of byte 20 (inside the encrypted header) flipped",
        &he.bob,
        &flipped,
        "DecryptError::Authentication",
    )?;
    b.decrypt(
        "RAT-07",
        "header-encrypted message 0 delivered again (replay)",
        &he.bob,
        &he_sent[0],
        "DecryptError::Duplicate",
    )?;

    // Session creation and sending.
    b.push(
        "RAT-13",
        "associated data of 65536 bytes",
        "create_responder",
        String::new(),
        &[],
        65_536,
        "SessionError::AssociatedDataTooLong",
    )?;
    let p = b.pair(SessionConfig::standard())?;
    let fresh_bob = b.state(&p.bob)?;
    b.push(
        "RAT-14",
        "the responder encrypts before it has received a message",
        "encrypt",
        fresh_bob,
        b"too early",
        0,
        "EncryptError::NoPeerRatchetKey",
    )?;

    // Pickles (PKL-01..06).
    let valid = b.pickle(&p.alice, PICKLE_CONTEXT)?;
    for (tag, what) in [
        (0x01, "the version-0 session pickle tag 0x01"),
        (
            sotto_crypto::wire::IDENTITY_PICKLE,
            "an identity pickle's tag 0x16",
        ),
        (
            sotto_crypto::wire::STANDARD_MESSAGE,
            "a standard message's tag 0x11",
        ),
    ] {
        let mut retagged = valid.clone();
        retagged[0] = tag;
        b.push(
            "PKL-01",
            &format!("valid session pickle with its first byte replaced by {what}"),
            "unpickle",
            String::new(),
            &retagged,
            0,
            "PickleError::UnknownVersion",
        )?;
    }
    b.push(
        "PKL-01",
        "empty pickle",
        "unpickle",
        String::new(),
        &[],
        0,
        "PickleError::UnknownVersion",
    )?;
    b.push(
        "PKL-02",
        "pickle of 32 bytes (the envelope alone is 33)",
        "unpickle",
        String::new(),
        &[PICKLE_VERSION],
        32,
        "PickleError::Truncated",
    )?;
    let mut corrupted = valid.clone();
    if let Some(last) = corrupted.last_mut() {
        *last ^= 0x01;
    }
    b.push(
        "PKL-03",
        "valid pickle with bit 0 of its last byte flipped",
        "unpickle",
        String::new(),
        &corrupted,
        0,
        "PickleError::WrongKeyOrCorrupted",
    )?;
    let other_key = p
        .alice
        .pickle(&PickleKey::new([0x75; 32]), PICKLE_CONTEXT, &mut b.rng)
        .map_err(|e| script_error(0, e))?;
    b.push(
        "PKL-03",
        "pickle made under the key 0x75 x 32",
        "unpickle",
        String::new(),
        &other_key,
        0,
        "PickleError::WrongKeyOrCorrupted",
    )?;
    let rolled_back = b.pickle(&p.alice, PREVIOUS_PICKLE_CONTEXT)?;
    b.push(
        "PKL-03",
        "rollback: the same session pickled under the previous generation's context \
         (\"... generation 1\"), restored with the file's (\"... generation 2\")",
        "unpickle",
        String::new(),
        &rolled_back,
        0,
        "PickleError::WrongKeyOrCorrupted",
    )?;
    let swapped = b.pickle(&p.bob, b"Sotto/1 negative vectors: bob alice generation 2")?;
    b.push(
        "PKL-03",
        "swap: another session's pickle (bound to \"bob alice generation 2\"), restored with \
         the file's context",
        "unpickle",
        String::new(),
        &swapped,
        0,
        "PickleError::WrongKeyOrCorrupted",
    )?;
    let mut state = p.alice.pickle_state();
    state.push(0x00);
    let trailing = seal_pickle(
        &PICKLE_KEY,
        &[0x5a; PICKLE_SALT_LEN],
        PICKLE_CONTEXT,
        &state,
    );
    b.push(
        "PKL-04",
        "a valid state with one trailing byte, encrypted correctly (salt 0x5a x 16)",
        "unpickle",
        String::new(),
        &trailing,
        0,
        "PickleError::Malformed",
    )?;
    b.push(
        "PKL-05",
        "pickle one byte over 2^25",
        "unpickle",
        String::new(),
        &[PICKLE_VERSION],
        MAX_PICKLE_LEN + 1,
        "PickleError::TooLong",
    )?;
    let state = b.state(&p.alice)?;
    b.push(
        "PKL-06",
        "pickling with a context of 65536 zero bytes (the length prefix is a u16)",
        "pickle",
        state,
        &[],
        65_536,
        "PickleError::ContextTooLong",
    )?;

    Ok(RatchetNegativeVectors {
        description: "Inputs a Sotto ratchet must refuse (docs/protocol.md section 6): for each, \
                      the session before as a pickle, the input, the expected error and the \
                      promise that the session is unchanged."
            .into(),
        pickle_key: h(&PICKLE_KEY),
        pickle_context: h(PICKLE_CONTEXT),
        cases: b.cases,
    })
}

/// Section 5's pickle encryption, written out from the spec, to seal a malformed state.
fn seal_pickle(
    key: &[u8; 32],
    salt: &[u8; PICKLE_SALT_LEN],
    context: &[u8],
    state: &[u8],
) -> Vec<u8> {
    let okm = kdf::hkdf_sha256::<44>(Some(salt), key, labels::PICKLE_KEYS);
    let mut aead_key = sotto_crypto::SecretBytes::<32>::zero();
    aead_key.expose_mut().copy_from_slice(&okm.expose()[..32]);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&okm.expose()[32..]);
    let mut ad = vec![PICKLE_VERSION];
    ad.extend_from_slice(
        &u16::try_from(context.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    ad.extend_from_slice(context);
    let mut out = vec![PICKLE_VERSION];
    out.extend_from_slice(salt);
    let mut body = state.to_vec();
    let tag = aead::seal_in_place(&aead_key, &nonce, &ad, &mut body);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    out
}
