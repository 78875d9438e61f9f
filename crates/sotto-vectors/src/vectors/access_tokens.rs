//! `docs/vectors/access-tokens.json`: the delivery tokens of protocol.md 9.5 for profile keys
//! of fixed byte patterns (share payload, access key, verifier), a rotation, and the inputs
//! the decoders and the relay's check must refuse (SEAL-TOK-01..SEAL-TOK-05, in the order of
//! the checks), each checked against this implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto_crypto::SecretBytes;
use sotto_sealed::access::{
    ACCESS_KEY_LEN, AccessKey, AccessVerifier, CONTENT_TYPE_MESSAGE, CONTENT_TYPE_PROFILE_KEY,
    ProfileKey, SHARE_LEN, SHARE_VERSION, VERIFIER_LEN,
};

use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenVectors {
    /// Free text.
    pub description: String,
    /// `CONTENT_TYPE_MESSAGE`.
    pub content_type_message: u8,
    /// `CONTENT_TYPE_PROFILE_KEY`.
    pub content_type_profile_key: u8,
    /// `SHARE_VERSION`.
    pub share_version: u8,
    /// Profile keys and what derives from them.
    pub cases: Vec<AccessTokenVector>,
    /// A rotation: the old token against the new verifier.
    pub rotation: RotationVector,
    /// Inputs that are refused.
    pub negative: Vec<AccessNegative>,
}

/// One profile key and what derives from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenVector {
    /// How the key's bytes are made.
    pub name: String,
    /// The profile key (hex, 32 bytes).
    pub profile_key: String,
    /// The share payload `0x01 || profile_key` (hex, 33 bytes).
    pub share: String,
    /// The access key (hex, 16 bytes).
    pub access_key: String,
    /// The verifier (hex, 32 bytes).
    pub verifier: String,
}

/// A rotation of the profile key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationVector {
    /// The profile key before (hex).
    pub old_profile_key: String,
    /// Its access key, the revoked token (hex).
    pub old_access_key: String,
    /// Its verifier (hex).
    pub old_verifier: String,
    /// The profile key after (hex).
    pub new_profile_key: String,
    /// Its access key (hex).
    pub new_access_key: String,
    /// Its verifier, which replaces the old one at the relay (hex).
    pub new_verifier: String,
    /// What the relay answers the old token after the rotation: `AccessError::Refused`.
    pub old_token_after_rotation: String,
}

/// An input that is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// `share` (`ProfileKey::from_share`), `access_key` (`AccessKey::from_bytes`), `verifier`
    /// (`AccessVerifier::from_bytes`) or `check` (`input` presented against `verifier`).
    pub operation: String,
    /// The bytes (hex).
    pub input: String,
    /// For `check`: the stored verifier (hex); empty otherwise.
    pub verifier: String,
    /// `AccessError::Variant`.
    pub expected_error: String,
}

/// The profile key whose byte `i` is `f(i)`.
fn profile_key(f: impl Fn(u8) -> u8) -> ProfileKey {
    let mut bytes = [0u8; 32];
    for (i, b) in (0u8..).zip(bytes.iter_mut()) {
        *b = f(i);
    }
    ProfileKey::from_bytes(SecretBytes::new(bytes))
}

/// The profile keys of the positive cases: (name, key).
#[must_use]
pub fn profile_keys() -> Vec<(&'static str, ProfileKey)> {
    vec![
        ("32 zero bytes", profile_key(|_| 0)),
        ("bytes 0x00, 0x01, ..., 0x1f", profile_key(|i| i)),
        ("32 bytes 0xff", profile_key(|_| 0xff)),
        ("byte i is 0xa5 xor i", profile_key(|i| 0xa5 ^ i)),
        (
            "byte i is 7 * i + 3 mod 256",
            profile_key(|i| i.wrapping_mul(7).wrapping_add(3)),
        ),
    ]
}

/// Runs one negative case: the refusal's name, or what happened instead.
pub fn run_negative(case: &AccessNegative) -> Result<String, String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    match case.operation.as_str() {
        "share" => refusal(ProfileKey::from_share(&input), "AccessError", "decoded"),
        "access_key" => refusal(AccessKey::from_bytes(&input), "AccessError", "decoded"),
        "verifier" => refusal(AccessVerifier::from_bytes(&input), "AccessError", "decoded"),
        "check" => {
            let verifier = hex::decode(&case.verifier).map_err(|e| e.to_string())?;
            let verifier = AccessVerifier::from_bytes(&verifier).map_err(|e| e.to_string())?;
            let key = AccessKey::from_bytes(&input).map_err(|e| e.to_string())?;
            refusal(verifier.check(&key), "AccessError", "accepted")
        }
        other => Err(format!("unknown operation {other}")),
    }
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<AccessTokenVectors, VectorError> {
    let mut cases = Vec::new();
    for (i, (name, key)) in profile_keys().into_iter().enumerate() {
        let share = key.to_share();
        let decoded = ProfileKey::from_share(share.expose()).map_err(|e| script_error(i, e))?;
        if decoded.expose() != key.expose() {
            return Err(script_error(i, "the share does not round-trip"));
        }
        let verifier = key.verifier();
        verifier
            .check(&key.access_key())
            .map_err(|e| script_error(i, e))?;
        cases.push(AccessTokenVector {
            name: name.into(),
            profile_key: h(key.expose()),
            share: h(share.expose()),
            access_key: h(key.access_key().to_bytes().expose()),
            verifier: h(&verifier.to_bytes()),
        });
    }

    let old = profile_key(|i| 0x10 + i);
    let new = profile_key(|i| 0x80 | i);
    let refused = refusal(
        new.verifier().check(&old.access_key()),
        "AccessError",
        "accepted",
    )
    .map_err(|e| script_error(0, format!("rotation: the old token was {e}")))?;
    new.verifier()
        .check(&new.access_key())
        .map_err(|e| script_error(0, e))?;
    let rotation = RotationVector {
        old_profile_key: h(old.expose()),
        old_access_key: h(old.access_key().to_bytes().expose()),
        old_verifier: h(&old.verifier().to_bytes()),
        new_profile_key: h(new.expose()),
        new_access_key: h(new.access_key().to_bytes().expose()),
        new_verifier: h(&new.verifier().to_bytes()),
        old_token_after_rotation: refused,
    };

    let mut negative: Vec<AccessNegative> = Vec::new();
    let mut push = |validation_id: &str,
                    comment: &str,
                    operation: &str,
                    input: &[u8],
                    verifier: &[u8],
                    expected: &str| {
        let case = AccessNegative {
            id: negative.len() + 1,
            validation_id: validation_id.into(),
            comment: comment.into(),
            operation: operation.into(),
            input: h(input),
            verifier: h(verifier),
            expected_error: expected.into(),
        };
        match run_negative(&case) {
            Ok(got) if got == expected => {}
            other => {
                return Err(script_error(
                    case.id,
                    format!("{validation_id} {comment}: expected {expected}, got {other:?}"),
                ));
            }
        }
        negative.push(case);
        Ok(())
    };
    const SHARE_VERSION_ERR: &str = "AccessError::ShareVersion";
    const SHARE_LENGTH: &str = "AccessError::ShareLength";
    const KEY_LENGTH: &str = "AccessError::AccessKeyLength";
    const VERIFIER_LENGTH: &str = "AccessError::VerifierLength";
    const REFUSED: &str = "AccessError::Refused";
    let owner = profile_key(|i| i);
    let share = owner.to_share();
    let share = share.expose();
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = share.to_vec();
        f(&mut b);
        b
    };
    // Check 1.
    push(
        "SEAL-TOK-01",
        "empty payload (counts as version 0x00)",
        "share",
        &[],
        &[],
        SHARE_VERSION_ERR,
    )?;
    for (version, what) in [
        (0x00, "0x00"),
        (0x02, "0x02"),
        (0x11, "0x11, a ratchet message's tag"),
        (0xff, "0xff"),
    ] {
        push(
            "SEAL-TOK-01",
            &format!("wrong version: the share of bytes 0x00..0x1f with version {what}"),
            "share",
            &with(&|b| b[0] = version),
            &[],
            SHARE_VERSION_ERR,
        )?;
    }
    push(
        "SEAL-TOK-01",
        "wrong version 0x02 and truncated to 10 bytes: the version decides first",
        "share",
        &with(&|b| {
            b[0] = 0x02;
            b.truncate(10);
        }),
        &[],
        SHARE_VERSION_ERR,
    )?;
    // Check 2.
    push(
        "SEAL-TOK-02",
        "truncated: the version byte alone",
        "share",
        &share[..1],
        &[],
        SHARE_LENGTH,
    )?;
    push(
        "SEAL-TOK-02",
        "truncated: 32 bytes, the last key byte missing",
        "share",
        &share[..SHARE_LEN - 1],
        &[],
        SHARE_LENGTH,
    )?;
    push(
        "SEAL-TOK-02",
        "trailing bytes: one zero byte after the key (34 bytes)",
        "share",
        &with(&|b| b.push(0)),
        &[],
        SHARE_LENGTH,
    )?;
    push(
        "SEAL-TOK-02",
        "oversized: a second key after the first (65 bytes)",
        "share",
        &with(&|b| b.extend_from_slice(owner.expose())),
        &[],
        SHARE_LENGTH,
    )?;
    // Check 3.
    let token = owner.access_key().to_bytes();
    let token = token.expose();
    push(
        "SEAL-TOK-03",
        "empty access key",
        "access_key",
        &[],
        &[],
        KEY_LENGTH,
    )?;
    push(
        "SEAL-TOK-03",
        "truncated: the access key of bytes 0x00..0x1f without its last byte (15 bytes)",
        "access_key",
        &token[..ACCESS_KEY_LEN - 1],
        &[],
        KEY_LENGTH,
    )?;
    let mut long = token.to_vec();
    long.push(0);
    push(
        "SEAL-TOK-03",
        "trailing bytes: that access key and a zero byte (17 bytes)",
        "access_key",
        &long,
        &[],
        KEY_LENGTH,
    )?;
    push(
        "SEAL-TOK-03",
        "oversized: the 32-byte profile key presented as the access key",
        "access_key",
        owner.expose(),
        &[],
        KEY_LENGTH,
    )?;
    // Check 4.
    let verifier = owner.verifier().to_bytes();
    push(
        "SEAL-TOK-04",
        "empty verifier",
        "verifier",
        &[],
        &[],
        VERIFIER_LENGTH,
    )?;
    push(
        "SEAL-TOK-04",
        "truncated: the verifier of bytes 0x00..0x1f without its last byte (31 bytes)",
        "verifier",
        &verifier[..VERIFIER_LEN - 1],
        &[],
        VERIFIER_LENGTH,
    )?;
    let mut long = verifier.to_vec();
    long.push(0);
    push(
        "SEAL-TOK-04",
        "trailing bytes: that verifier and a zero byte (33 bytes)",
        "verifier",
        &long,
        &[],
        VERIFIER_LENGTH,
    )?;
    // Check 5.
    let mut flipped = token.to_vec();
    flipped[0] ^= 1;
    push(
        "SEAL-TOK-05",
        "wrong token: the right access key with its first bit flipped",
        "check",
        &flipped,
        &verifier,
        REFUSED,
    )?;
    let mut flipped = token.to_vec();
    flipped[ACCESS_KEY_LEN - 1] ^= 0x80;
    push(
        "SEAL-TOK-05",
        "wrong token: the right access key with its last bit flipped",
        "check",
        &flipped,
        &verifier,
        REFUSED,
    )?;
    push(
        "SEAL-TOK-05",
        "wrong token: another account's access key (profile key of 32 zero bytes)",
        "check",
        profile_key(|_| 0).access_key().to_bytes().expose(),
        &verifier,
        REFUSED,
    )?;
    push(
        "SEAL-TOK-05",
        "wrong token: the first 16 bytes of the profile key itself",
        "check",
        &owner.expose()[..ACCESS_KEY_LEN],
        &verifier,
        REFUSED,
    )?;
    push(
        "SEAL-TOK-05",
        "wrong token: the first 16 bytes of the verifier (a leaked database row)",
        "check",
        &verifier[..ACCESS_KEY_LEN],
        &verifier,
        REFUSED,
    )?;
    push(
        "SEAL-TOK-05",
        "rotated: the old token of the rotation against the new verifier",
        "check",
        old.access_key().to_bytes().expose(),
        &new.verifier().to_bytes(),
        REFUSED,
    )?;
    Ok(AccessTokenVectors {
        description: "Sotto/1 delivery tokens of sealed sender (docs/protocol.md 9.5): \
                      profile keys of fixed byte patterns, their share payloads (the message \
                      of an envelope of content type 0x02), access keys \
                      HKDF(salt absent, ikm = profile_key, info = SEALED_ACCESS_KEY, 16) and \
                      verifiers SHA-256(SEALED_ACCESS_VERIFIER || access_key); a rotation; \
                      then inputs that are refused, with their validation IDs, in the order \
                      of the checks (the error names are this implementation's)."
            .into(),
        content_type_message: CONTENT_TYPE_MESSAGE,
        content_type_profile_key: CONTENT_TYPE_PROFILE_KEY,
        share_version: SHARE_VERSION,
        cases,
        rotation,
        negative,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
