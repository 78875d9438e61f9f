//! `docs/vectors/safety-numbers.json`: safety numbers of `docs/protocol.md` section 8.2.
//! Each case gives both accounts (Ed25519 seed, public key, account id), both fingerprints,
//! both 30-digit halves, the 60 digits as text and the byte form the local device shows;
//! each negative case is a byte form the decoder refuses, with its validation ID.

use serde::{Deserialize, Serialize};
use sotto_crypto::SecretBytes;
use sotto_devices::safety::{DecodeError, ITERATIONS, SafetyNumber, ScannedSafetyNumber, VERSION};
use sotto_devices::{AccountId, AccountKey};

use super::{VectorError, h, script_error};

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyNumberVectors {
    /// Free text.
    pub description: String,
    /// The label `SAFETY_NUMBER` (hex).
    pub label: String,
    /// The version byte.
    pub version: u8,
    /// SHA-512 iterations per side.
    pub iterations: u32,
    /// Safety numbers.
    pub cases: Vec<SafetyNumberCase>,
    /// Refused byte forms.
    pub negative: Vec<NegativeCase>,
}

/// One conversation, seen from the local device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyNumberCase {
    /// Case number, from 1.
    pub id: usize,
    /// What the case is.
    pub comment: String,
    /// The local account key's Ed25519 seed (hex; RFC 8032 private key).
    pub local_seed: String,
    /// The local account key (32 bytes, hex).
    pub local_key: String,
    /// The local account id (16 bytes, hex).
    pub local_account_id: String,
    /// The remote account key's Ed25519 seed (hex).
    pub remote_seed: String,
    /// The remote account key (hex).
    pub remote_key: String,
    /// The remote account id (hex).
    pub remote_account_id: String,
    /// The local side's fingerprint (32 bytes, hex).
    pub local_fingerprint: String,
    /// The remote side's fingerprint (hex).
    pub remote_fingerprint: String,
    /// The local side's 30 digits.
    pub local_digits: String,
    /// The remote side's 30 digits.
    pub remote_digits: String,
    /// The 60 digits, smaller fingerprint's side first.
    pub digits: String,
    /// The 60 digits as 12 groups of 5 separated by spaces.
    pub display: String,
    /// The byte form the local device shows (66 bytes, hex).
    pub byte_form: String,
}

/// A byte form the decoder refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NegativeCase {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// The input (hex).
    pub input: String,
    /// The refusal, `DecodeError::Variant`.
    pub expected_error: String,
}

/// `DecodeError::Variant` of a refusal.
pub fn error_name(error: &DecodeError) -> String {
    let debug = format!("{error:?}");
    let variant = debug.split('(').next().unwrap_or_default();
    format!("DecodeError::{variant}")
}

/// The case of one conversation, computed with `sotto_devices::safety`.
pub fn case(
    id: usize,
    comment: &str,
    local_seed: [u8; 32],
    local_account: [u8; 16],
    remote_seed: [u8; 32],
    remote_account: [u8; 16],
) -> SafetyNumberCase {
    let local_key = AccountKey::from_seed(SecretBytes::new(local_seed)).public();
    let remote_key = AccountKey::from_seed(SecretBytes::new(remote_seed)).public();
    let n = SafetyNumber::derive(
        &local_key,
        &AccountId::from_bytes(local_account),
        &remote_key,
        &AccountId::from_bytes(remote_account),
    );
    SafetyNumberCase {
        id,
        comment: comment.into(),
        local_seed: h(&local_seed),
        local_key: h(&local_key.to_bytes()),
        local_account_id: h(&local_account),
        remote_seed: h(&remote_seed),
        remote_key: h(&remote_key.to_bytes()),
        remote_account_id: h(&remote_account),
        local_fingerprint: h(n.local().as_bytes()),
        remote_fingerprint: h(n.remote().as_bytes()),
        local_digits: n.local().digits(),
        remote_digits: n.remote().digits(),
        digits: n.digits(),
        display: n.display(),
        byte_form: h(&n.to_bytes()),
    }
}

/// Generates the file; refuses to write a negative case the decoder does not refuse as listed.
pub fn generate() -> Result<SafetyNumberVectors, VectorError> {
    let alice = ([0x01; 32], [0xa1; 16]);
    let bob = ([0x02; 32], [0xb0; 16]);
    let mut seed3 = [0u8; 32];
    for (i, b) in seed3.iter_mut().enumerate() {
        *b = i as u8;
    }
    let carol = (seed3, *b"carol's account!");
    let cases = vec![
        case(
            1,
            "Alice's device: Alice local, Bob remote",
            alice.0,
            alice.1,
            bob.0,
            bob.1,
        ),
        case(
            2,
            "Bob's device: the same conversation, sides swapped; same digits",
            bob.0,
            bob.1,
            alice.0,
            alice.1,
        ),
        case(3, "Alice and Carol", alice.0, alice.1, carol.0, carol.1),
        case(
            4,
            "Alice with Bob's key under another account id: only the remote half changes",
            alice.0,
            alice.1,
            bob.0,
            [0xb1; 16],
        ),
        case(
            5,
            "a conversation with oneself: both halves equal",
            alice.0,
            alice.1,
            alice.0,
            alice.1,
        ),
    ];
    let good = hex::decode(&cases[0].byte_form).map_err(|e| script_error(0, e))?;
    let mut inputs: Vec<(&str, String, Vec<u8>)> = Vec::new();
    inputs.push((
        "DEV-SN-01",
        "empty input (counts as first byte 0x00)".into(),
        Vec::new(),
    ));
    for tag in [0x18u8, 0x13, 0x29, 0x09] {
        let mut b = good.clone();
        b[0] = tag;
        inputs.push((
            "DEV-SN-01",
            format!("case 1's byte form with first byte {tag:#04x}"),
            b,
        ));
    }
    inputs.push(("DEV-SN-02", "the tag alone".into(), good[..1].to_vec()));
    inputs.push((
        "DEV-SN-02",
        "case 1's byte form less its last byte".into(),
        good[..good.len() - 1].to_vec(),
    ));
    inputs.push((
        "DEV-SN-02",
        "tag, version and one fingerprint".into(),
        good[..34].to_vec(),
    ));
    for version in [0x00u8, 0x02] {
        let mut b = good.clone();
        b[1] = version;
        inputs.push((
            "DEV-SN-03",
            format!("case 1's byte form with version {version:#04x}"),
            b,
        ));
    }
    let mut trailing = good.clone();
    trailing.push(0);
    inputs.push((
        "DEV-SN-04",
        "case 1's byte form and one zero byte".into(),
        trailing,
    ));
    let mut doubled = good.clone();
    doubled.extend_from_slice(&good);
    inputs.push(("DEV-SN-04", "case 1's byte form twice".into(), doubled));
    let mut negative = Vec::new();
    for (i, (validation_id, comment, input)) in inputs.into_iter().enumerate() {
        let expected_error = match ScannedSafetyNumber::from_bytes(&input) {
            Ok(_) => return Err(script_error(i, format!("{comment}: accepted"))),
            Err(e) => error_name(&e),
        };
        negative.push(NegativeCase {
            id: i + 1,
            validation_id: validation_id.into(),
            comment,
            input: h(&input),
            expected_error,
        });
    }
    Ok(SafetyNumberVectors {
        description: "Safety numbers (docs/protocol.md section 8.2): both accounts, both \
            fingerprints, the 60 digits and the byte form; refused byte forms."
            .into(),
        label: h(sotto_crypto::labels::SAFETY_NUMBER),
        version: VERSION,
        iterations: ITERATIONS,
        cases,
        negative,
    })
}
