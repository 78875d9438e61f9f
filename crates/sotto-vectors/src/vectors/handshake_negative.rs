//! `docs/vectors/handshake-negative.json`: what session setup must refuse, in the manner of
//! Wycheproof. Every case starts from a case of `docs/vectors/handshake.json` (its bundle, its
//! initial message, and the responder's store rebuilt from its recorded draws), changes the
//! input, and names the expected error; refusals by the responder leave its store unchanged.
//! The generator checks every case against this implementation before it writes it.

use serde::{Deserialize, Serialize};
use sotto_handshake::{
    DEVICE_IDENTITY_KEY_LEN, DeviceIdentity, DeviceIdentityKey, HandshakeConfig,
    InMemoryPrekeyStore, InitialMessage, PrekeyBundle, respond,
};

use super::handshake::{HandshakeCase, HandshakeVectors, NOW};
use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};
use crate::rng::ScriptedRng;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeNegativeVectors {
    /// Free text.
    pub description: String,
    /// The cases.
    pub cases: Vec<HandshakeNegativeCase>,
}

/// One refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeNegativeCase {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of `docs/protocol.md` section 5.
    pub validation_id: String,
    /// What the case is.
    pub comment: String,
    /// `decode_bundle` (decode `input` as a bundle), `verify_bundle` (decode it, which
    /// succeeds, then verify it), `decode_initial` (decode `input` as an initial message) or
    /// `respond` (decode `input`, which succeeds, and respond with the store).
    pub operation: String,
    /// The `handshake.json` case whose responder store (rebuilt from `bob_random_draws`) the
    /// input goes to; for the decode and verify operations, the case the input was made from.
    pub store: String,
    /// `respond` only: whether the store first accepted that case's own `initial_message`.
    pub accepted_first: bool,
    /// `respond` only: whether the responder requires post-quantum setup (HS-06).
    pub require_post_quantum: bool,
    /// `respond` only: the initiator identity (64 bytes, hex) the responder expects (HS-11);
    /// absent for the other operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_initiator: Option<String>,
    /// The input bytes (hex).
    pub input: String,
    /// The refusal, as `Type::Variant` of this implementation's errors.
    pub expected_error: String,
    /// The responder's store is unchanged by the refusal (always true).
    pub state_unchanged: bool,
}

/// The responder's store of a `handshake.json` case, rebuilt from its draws.
pub fn responder_store(case: &HandshakeCase) -> Result<InMemoryPrekeyStore, String> {
    let draws = case
        .bob_random_draws
        .iter()
        .map(hex::decode)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut rng = ScriptedRng::new(draws);
    Ok(InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        case.policy.policy(),
        NOW,
        &mut rng,
    ))
}

/// Runs one case: the error name this implementation produced, or what went wrong.
pub fn run_case(
    case: &HandshakeNegativeCase,
    vectors: &HandshakeVectors,
) -> Result<String, String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    match case.operation.as_str() {
        "decode_bundle" => refusal(PrekeyBundle::from_bytes(&input), "DecodeError", "decoded"),
        "verify_bundle" => {
            let bundle = PrekeyBundle::from_bytes(&input).map_err(|e| format!("decode: {e}"))?;
            refusal(bundle.verify(), "BundleError", "verified")
        }
        "decode_initial" => refusal(InitialMessage::from_bytes(&input), "DecodeError", "decoded"),
        "respond" => {
            let source = vectors
                .cases
                .iter()
                .find(|c| c.name == case.store)
                .ok_or_else(|| format!("no handshake.json case {}", case.store))?;
            let mut store = responder_store(source)?;
            let expected = identity_key(
                case.expected_initiator
                    .as_deref()
                    .ok_or("a respond case without expected_initiator")?,
            )?;
            let config = HandshakeConfig {
                require_post_quantum: case.require_post_quantum,
                ..HandshakeConfig::default()
            };
            if case.accepted_first {
                let own = hex::decode(&source.initial_message).map_err(|e| e.to_string())?;
                let own = InitialMessage::from_bytes(&own).map_err(|e| e.to_string())?;
                let alice = identity_key(&source.alice.encoded)?;
                let _accepted = respond(&mut store, &own, &alice, &HandshakeConfig::default())
                    .map_err(|e| format!("own initial message: {e}"))?;
            }
            let message = InitialMessage::from_bytes(&input).map_err(|e| format!("decode: {e}"))?;
            let before = format!("{store:?}");
            let result = respond(&mut store, &message, &expected, &config);
            if format!("{store:?}") != before {
                return Err("store changed".into());
            }
            refusal(result, "HandshakeError", "accepted")
        }
        other => Err(format!("unknown operation {other}")),
    }
}

/// A device identity from its 64-byte encoding in hex.
fn identity_key(text: &str) -> Result<DeviceIdentityKey, String> {
    let bytes: [u8; DEVICE_IDENTITY_KEY_LEN] = hex::decode(text)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "an identity is 64 bytes".to_string())?;
    DeviceIdentityKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// Offsets in a bundle (protocol.md 7.2).
mod bundle_at {
    pub(super) const IDENTITY_AGREEMENT: core::ops::Range<usize> = 33..65;
    pub(super) const IDENTITY_SIGNING: core::ops::Range<usize> = 1..33;
    pub(super) const POST_QUANTUM: usize = 77;
    pub(super) const SPK_SIGNATURE: usize = 110;
    /// With a one-time prekey: the ML-KEM presence byte.
    pub(super) const KEM_PRESENCE_WITH_OPK: usize = 211;
}

/// Offsets in an initial message (protocol.md 7.5).
mod initial_at {
    pub(super) const FLAGS: usize = 1;
    pub(super) const EPHEMERAL_KEY: core::ops::Range<usize> = 66..98;
    pub(super) const SPK_ID: core::ops::Range<usize> = 98..102;
    pub(super) const OPK_ID: core::ops::Range<usize> = 102..106;
}

struct Builder<'a> {
    vectors: &'a HandshakeVectors,
    cases: Vec<HandshakeNegativeCase>,
}

/// How a case is run.
#[derive(Clone, Copy)]
struct Run<'s> {
    operation: &'s str,
    store: &'s str,
    accepted_first: bool,
    require_post_quantum: bool,
    /// `respond`: the initiator identity expected (hex); `None`: the store's case's `alice`.
    expected_initiator: Option<&'s str>,
}

impl<'s> Run<'s> {
    const fn on(operation: &'s str, store: &'s str) -> Self {
        Self {
            operation,
            store,
            accepted_first: false,
            require_post_quantum: false,
            expected_initiator: None,
        }
    }
}

impl Builder<'_> {
    fn case(&self, name: &str) -> Result<&HandshakeCase, VectorError> {
        self.vectors
            .cases
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| script_error(0, format!("no case {name}")))
    }

    fn bytes(&self, name: &str, initial: bool) -> Result<Vec<u8>, VectorError> {
        let c = self.case(name)?;
        let text = if initial {
            &c.initial_message
        } else {
            &c.bundle
        };
        hex::decode(text).map_err(|e| script_error(0, e))
    }

    fn push(
        &mut self,
        validation_id: &str,
        comment: &str,
        run: Run<'_>,
        input: &[u8],
        expected_error: &str,
    ) -> Result<(), VectorError> {
        let expected_initiator = match (run.operation, run.expected_initiator) {
            ("respond", Some(expected)) => Some(expected.to_string()),
            ("respond", None) => Some(self.case(run.store)?.alice.encoded.clone()),
            _ => None,
        };
        let case = HandshakeNegativeCase {
            id: self.cases.len() + 1,
            validation_id: validation_id.into(),
            comment: comment.into(),
            operation: run.operation.into(),
            store: run.store.into(),
            accepted_first: run.accepted_first,
            require_post_quantum: run.require_post_quantum,
            expected_initiator,
            input: h(input),
            expected_error: expected_error.into(),
            state_unchanged: true,
        };
        match run_case(&case, self.vectors) {
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
}

/// Every canonical X25519 public key other than `key` that gives the same Diffie-Hellman
/// output as `key` under every (clamped) private key: the u-coordinates of `P + T` for both
/// Edwards points `P` above `u` and the eight points `T` of the 8-torsion, kept when below p.
pub fn canonical_twins(key: &[u8; 32]) -> Vec<[u8; 32]> {
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::montgomery::MontgomeryPoint;

    let mut twins: Vec<[u8; 32]> = Vec::new();
    for sign in [0, 1] {
        let Some(p) = MontgomeryPoint(*key).to_edwards(sign) else {
            continue;
        };
        for t in &EIGHT_TORSION {
            let twin = (p + t).to_montgomery().to_bytes();
            let canonical = sotto_crypto::x25519::PublicKey::from_bytes(twin).is_canonical();
            if canonical && twin != *key && !twins.contains(&twin) {
                twins.push(twin);
            }
        }
    }
    twins
}

/// The X25519 encoding of u = p = 2^255 - 19: not canonical.
const NON_CANONICAL_X25519: [u8; 32] = {
    let mut b = [0xff; 32];
    b[0] = 0xed;
    b[31] = 0x7f;
    b
};

/// Builds every case from the positive vectors.
#[allow(clippy::too_many_lines)]
pub fn generate(vectors: &HandshakeVectors) -> Result<HandshakeNegativeVectors, VectorError> {
    let mut b = Builder {
        vectors,
        cases: Vec::new(),
    };
    let pq_bundle = b.bytes("pqxdh", false)?;
    let pq_initial = b.bytes("pqxdh", true)?;
    let lr_initial = b.bytes("pqxdh-last-resort-no-one-time-prekey", true)?;
    let x3dh_initial = b.bytes("x3dh", true)?;
    let x3dh_no_opk_initial = b.bytes("x3dh-no-one-time-prekey", true)?;

    // HS-01..03: decoding.
    let decode_bundle = Run::on("decode_bundle", "pqxdh");
    let decode_initial = Run::on("decode_initial", "pqxdh");
    b.push(
        "HS-01",
        "empty bundle (version 0)",
        decode_bundle,
        &[],
        "DecodeError::UnknownVersion",
    )?;
    for (tag, what) in [
        (0x01, "the unversioned bundle byte 0x01 (format version 0)"),
        (
            sotto_crypto::wire::INITIAL_MESSAGE,
            "an initial message's tag 0x13",
        ),
        (0x24, "tag 0x24 (format version 2)"),
    ] {
        let mut retagged = pq_bundle.clone();
        retagged[0] = tag;
        b.push(
            "HS-01",
            &format!("bundle whose first byte is {what}"),
            decode_bundle,
            &retagged,
            "DecodeError::UnknownVersion",
        )?;
    }
    for (tag, what) in [
        (0x00, "0x00"),
        (
            0x01,
            "the unversioned initial-message byte 0x01 (format version 0)",
        ),
        (sotto_crypto::wire::PREKEY_BUNDLE, "a bundle's tag 0x14"),
        (
            sotto_crypto::wire::STANDARD_MESSAGE,
            "a standard message's tag 0x11",
        ),
    ] {
        let mut retagged = pq_initial.clone();
        retagged[0] = tag;
        b.push(
            "HS-01",
            &format!("initial message whose first byte is {what}"),
            decode_initial,
            &retagged,
            "DecodeError::UnknownVersion",
        )?;
    }
    b.push(
        "HS-02",
        "bundle without its last byte",
        decode_bundle,
        &pq_bundle[..pq_bundle.len() - 1],
        "DecodeError::Truncated",
    )?;
    let mut trailing = pq_bundle.clone();
    trailing.push(0);
    b.push(
        "HS-02",
        "bundle with one trailing byte",
        decode_bundle,
        &trailing,
        "DecodeError::TrailingBytes",
    )?;
    b.push(
        "HS-02",
        "initial message whose ratchet message lost its last 40 bytes",
        decode_initial,
        &pq_initial[..pq_initial.len() - 40],
        "DecodeError::RatchetMessage",
    )?;
    let mut flag = pq_initial.clone();
    flag[initial_at::FLAGS] |= 0x04;
    b.push(
        "HS-03",
        "initial message with the undefined flag 0x04",
        decode_initial,
        &flag,
        "DecodeError::InvalidFlag",
    )?;
    let mut presence = pq_bundle.clone();
    presence[bundle_at::KEM_PRESENCE_WITH_OPK] = 0x02;
    b.push(
        "HS-03",
        "bundle whose ML-KEM presence byte is 0x02",
        decode_bundle,
        &presence,
        "DecodeError::InvalidFlag",
    )?;
    let mut pq_flag = pq_bundle.clone();
    pq_flag[bundle_at::POST_QUANTUM] = 0x02;
    b.push(
        "HS-03",
        "bundle whose post-quantum flag is 0x02",
        decode_bundle,
        &pq_flag,
        "DecodeError::InvalidFlag",
    )?;
    let mut non_canonical = pq_bundle.clone();
    non_canonical[bundle_at::IDENTITY_AGREEMENT].copy_from_slice(&NON_CANONICAL_X25519);
    b.push(
        "HS-03",
        "bundle whose identity X25519 key encodes u = 2^255 - 19 (not canonical)",
        decode_bundle,
        &non_canonical,
        "DecodeError::InvalidKey",
    )?;
    let mut ek = pq_initial.clone();
    ek[initial_at::EPHEMERAL_KEY].copy_from_slice(&NON_CANONICAL_X25519);
    b.push(
        "HS-03",
        "initial message whose ephemeral key encodes u = 2^255 - 19 (not canonical)",
        decode_initial,
        &ek,
        "DecodeError::InvalidKey",
    )?;
    // An Ed25519 encoding that is not a point: the first y (from 2 up) with no x.
    let mut not_a_point = None;
    for y in 2u8..=255 {
        let mut candidate = pq_bundle.clone();
        let mut key = [0u8; 32];
        key[0] = y;
        candidate[bundle_at::IDENTITY_SIGNING].copy_from_slice(&key);
        if matches!(
            PrekeyBundle::from_bytes(&candidate),
            Err(sotto_handshake::DecodeError::InvalidKey)
        ) {
            not_a_point = Some((y, candidate));
            break;
        }
    }
    let (y, candidate) = not_a_point.ok_or_else(|| script_error(0, "no non-point y found"))?;
    b.push(
        "HS-03",
        &format!("bundle whose identity Ed25519 key is y = {y} (no such point)"),
        decode_bundle,
        &candidate,
        "DecodeError::InvalidKey",
    )?;

    // HS-04, HS-05: verification.
    let verify = Run::on("verify_bundle", "pqxdh");
    let mut sig = pq_bundle.clone();
    sig[bundle_at::SPK_SIGNATURE] ^= 0x01;
    b.push(
        "HS-04",
        "bundle with bit 0 of the signed prekey's signature flipped",
        verify,
        &sig,
        "BundleError::SignedPrekeySignature",
    )?;
    let mut kem_sig = pq_bundle.clone();
    let last = kem_sig.len() - 1;
    kem_sig[last] ^= 0x01;
    b.push(
        "HS-04",
        "bundle with bit 0 of the ML-KEM prekey's signature flipped",
        verify,
        &kem_sig,
        "BundleError::KemPrekeySignature",
    )?;
    let mut stripped = pq_bundle[..bundle_at::KEM_PRESENCE_WITH_OPK].to_vec();
    stripped.push(0x00);
    b.push(
        "HS-05",
        "bundle whose signed prekey says post-quantum, with the ML-KEM prekey stripped (downgrade)",
        verify,
        &stripped,
        "BundleError::Downgrade",
    )?;

    // Responder refusals.
    let respond_pq = Run::on("respond", "pqxdh");
    // PQXDH initial message with the ML-KEM part removed and its flag cleared (downgrade).
    let kem_part = 1 + 4 + sotto_crypto::kem::CIPHERTEXT_LEN;
    let mut classic = pq_initial[..initial_at::OPK_ID.end].to_vec();
    classic[initial_at::FLAGS] &= !0x02;
    classic.extend_from_slice(&pq_initial[initial_at::OPK_ID.end + kem_part..]);
    b.push("HS-05", "PQXDH initial message with its ML-KEM encapsulation removed and flag 0x02 cleared, to a post-quantum signed prekey", respond_pq, &classic, "HandshakeError::PostQuantumMismatch")?;
    let require = Run {
        require_post_quantum: true,
        ..Run::on("respond", "x3dh")
    };
    b.push(
        "HS-06",
        "X3DH initial message to a responder that requires PQXDH",
        require,
        &x3dh_initial,
        "HandshakeError::PostQuantumRequired",
    )?;
    let mut zero = x3dh_no_opk_initial.clone();
    zero[initial_at::EPHEMERAL_KEY].fill(0);
    b.push(
        "HS-07",
        "X3DH initial message whose ephemeral key is u = 0 (all-zero DH output)",
        Run::on("respond", "x3dh-no-one-time-prekey"),
        &zero,
        "HandshakeError::NonContributory",
    )?;
    let mut spk = pq_initial.clone();
    spk[initial_at::SPK_ID].copy_from_slice(&999u32.to_be_bytes());
    b.push(
        "HS-08",
        "initial message naming signed prekey 999",
        respond_pq,
        &spk,
        "HandshakeError::UnknownSignedPrekey",
    )?;
    let mut opk = pq_initial.clone();
    opk[initial_at::OPK_ID].copy_from_slice(&999u32.to_be_bytes());
    b.push(
        "HS-08",
        "initial message naming one-time prekey 999",
        respond_pq,
        &opk,
        "HandshakeError::UnknownOneTimePrekey",
    )?;
    let mut kem_id = pq_initial.clone();
    let at = initial_at::OPK_ID.end + 1;
    kem_id[at..at + 4].copy_from_slice(&999u32.to_be_bytes());
    b.push(
        "HS-08",
        "initial message naming ML-KEM prekey 999",
        respond_pq,
        &kem_id,
        "HandshakeError::UnknownKemPrekey",
    )?;
    for (name, message) in [
        ("x3dh-no-one-time-prekey", &x3dh_no_opk_initial),
        ("pqxdh-last-resort-no-one-time-prekey", &lr_initial),
    ] {
        let replay = Run {
            accepted_first: true,
            ..Run::on("respond", name)
        };
        b.push(
            "HS-09",
            &format!("the {name} initial message delivered a second time"),
            replay,
            message,
            "HandshakeError::Replayed",
        )?;
    }
    let replay_opk = Run {
        accepted_first: true,
        ..Run::on("respond", "pqxdh")
    };
    b.push(
        "HS-09",
        "the pqxdh initial message delivered a second time (its one-time prekeys are gone too)",
        replay_opk,
        &pq_initial,
        "HandshakeError::Replayed",
    )?;
    // HS-09 and X25519 twins (protocol.md section 1): the replay with EK_a replaced by each
    // canonical twin derives the same secret and must still be refused as a replay.
    for (name, message) in [
        ("x3dh", &x3dh_initial),
        ("x3dh-no-one-time-prekey", &x3dh_no_opk_initial),
        ("pqxdh-last-resort-no-one-time-prekey", &lr_initial),
    ] {
        let replay = Run {
            accepted_first: true,
            ..Run::on("respond", name)
        };
        let mut ek = [0u8; 32];
        ek.copy_from_slice(&message[initial_at::EPHEMERAL_KEY]);
        let twins = canonical_twins(&ek);
        if twins.is_empty() {
            return Err(script_error(
                0,
                format!("{name}: EK_a has no canonical twin"),
            ));
        }
        for (i, twin) in twins.iter().enumerate() {
            let mut replayed = message.clone();
            replayed[initial_at::EPHEMERAL_KEY].copy_from_slice(twin);
            b.push(
                "HS-09",
                &format!(
                    "the {name} initial message delivered a second time with EK_a replaced by \
                     its canonical X25519 twin {} of {} (u-coordinate of P + T, T in the \
                     8-torsion: the same DH outputs)",
                    i + 1,
                    twins.len()
                ),
                replay,
                &replayed,
                "HandshakeError::Replayed",
            )?;
        }
    }
    let mut body = pq_initial.clone();
    let last = body.len() - 1;
    body[last] ^= 0x01;
    b.push(
        "HS-10",
        "initial message with bit 0 of the first ratchet message's last byte flipped",
        respond_pq,
        &body,
        "HandshakeError::Decryption",
    )?;
    // HS-11: the responder expects another device than the one the message names: a
    // different device, and identities that differ from the sender's in one half only.
    let sender = b.case("pqxdh")?.alice.encoded.clone();
    let other = b.case("x3dh")?.alice.encoded.clone();
    if sender == other {
        return Err(script_error(0, "two cases share an initiator identity"));
    }
    // The encoding is signing_key[32] || identity_key[32]: 64 hex digits each.
    let other_signing = format!("{}{}", &other[..64], &sender[64..]);
    let other_agreement = format!("{}{}", &sender[..64], &other[64..]);
    for (comment, expected) in [
        (
            "the pqxdh initial message to a responder that expects another device (the x3dh case's initiator)",
            &other,
        ),
        (
            "the pqxdh initial message to a responder that expects an identity differing only in its Ed25519 half",
            &other_signing,
        ),
        (
            "the pqxdh initial message to a responder that expects an identity differing only in its X25519 half",
            &other_agreement,
        ),
    ] {
        let run = Run {
            expected_initiator: Some(expected),
            ..respond_pq
        };
        b.push(
            "HS-11",
            comment,
            run,
            &pq_initial,
            "HandshakeError::UnexpectedIdentity",
        )?;
    }

    Ok(HandshakeNegativeVectors {
        description: "Inputs Sotto's session setup must refuse (docs/protocol.md section 7.9): \
                      each starts from a case of handshake.json, changes the input, and names \
                      the expected error; the responder's store is unchanged by each refusal."
            .into(),
        cases: b.cases,
    })
}
