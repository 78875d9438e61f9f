//! `docs/vectors/ed25519-negative.json`: the strict Ed25519 verification of
//! `docs/protocol.md` section 7.1, as cases another implementation can check. Each case is a
//! public key, a message and a signature, the expected outcome, the first of 7.1's five rules
//! that refuses it, and whether the cofactorless and cofactored equations hold, so a reader
//! sees that a refused case is refused by its rule and not by a wrong signature.
//!
//! Every input is built with curve25519-dalek's group arithmetic from scalars derived by
//! SHA-512 from fixed labels (no randomness), except RFC 8032's published test vectors. The
//! generator checks every case against `sotto_crypto::ed25519` (the wrapper Sotto verifies
//! with) and against its own evaluation of the five rules before it writes it.

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::{Signature, SigningKey, VerifyingKey};

use super::{VectorError, h, script_error};

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ed25519NegativeVectors {
    /// Free text.
    pub description: String,
    /// The cases.
    pub cases: Vec<Ed25519Case>,
}

/// One verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ed25519Case {
    /// Case number, from 1.
    pub id: usize,
    /// For a refused case, the first of the five rules of protocol.md 7.1, in their order,
    /// that the case breaks (1..5); `null` for an accepted case.
    pub rule: Option<u8>,
    /// What the case is.
    pub comment: String,
    /// `A`, 32 bytes (hex).
    pub public_key: String,
    /// `M` (hex).
    pub message: String,
    /// `R || S`, 64 bytes (hex).
    pub signature: String,
    /// `"refused"` or `"accepted"`.
    pub expected: String,
    /// Whether `[S]B = R + [k]A` holds as points (`A` and `R` decoded by rule 1, `k` over
    /// the bytes as sent); `null` when `A` or `R` does not decode.
    pub cofactorless_equation: Option<bool>,
    /// Whether `[8][S]B = [8]R + [8][k]A` holds; `null` when `A` or `R` does not decode.
    pub cofactored_equation: Option<bool>,
}

/// Runs one case through `sotto_crypto::ed25519`: `"accepted"` or `"refused"`.
pub fn sotto_outcome(case: &Ed25519Case) -> Result<&'static str, String> {
    let a = fixed::<32>(&case.public_key, "public_key")?;
    let sig = fixed::<64>(&case.signature, "signature")?;
    let msg = hex::decode(&case.message).map_err(|e| format!("message: {e}"))?;
    Ok(match VerifyingKey::from_bytes(&a) {
        Err(_) => "refused",
        Ok(key) => match key.verify(&msg, &Signature::from_bytes(sig)) {
            Ok(()) => "accepted",
            Err(_) => "refused",
        },
    })
}

/// Checks one case against `sotto_crypto` and against this module's evaluation of the rules
/// and equations; `Err` says what disagrees.
pub fn check_case(case: &Ed25519Case) -> Result<(), String> {
    let outcome = sotto_outcome(case)?;
    if outcome != case.expected {
        return Err(format!(
            "sotto_crypto: {outcome}, the case expects {}",
            case.expected
        ));
    }
    let a = fixed::<32>(&case.public_key, "public_key")?;
    let sig = fixed::<64>(&case.signature, "signature")?;
    let msg = hex::decode(&case.message).map_err(|e| format!("message: {e}"))?;
    let facts = Facts::of(&a, &sig, &msg);
    if facts.first_broken_rule != case.rule {
        return Err(format!(
            "first broken rule {:?}, the case says {:?}",
            facts.first_broken_rule, case.rule
        ));
    }
    if (facts.first_broken_rule.is_none()) != (case.expected == "accepted") {
        return Err("outcome and rules disagree".into());
    }
    if (facts.cofactorless, facts.cofactored)
        != (case.cofactorless_equation, case.cofactored_equation)
    {
        return Err(format!(
            "equations {:?}/{:?}, the case says {:?}/{:?}",
            facts.cofactorless,
            facts.cofactored,
            case.cofactorless_equation,
            case.cofactored_equation
        ));
    }
    Ok(())
}

fn fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    hex::decode(text)
        .map_err(|e| format!("{what}: {e}"))?
        .try_into()
        .map_err(|_| format!("{what}: not {N} bytes"))
}

/// What 7.1's rules and the two equations say about `(A, R || S, M)`, evaluated with
/// curve25519-dalek (which decodes y reduced mod p, as rule 1 says).
struct Facts {
    first_broken_rule: Option<u8>,
    cofactorless: Option<bool>,
    cofactored: Option<bool>,
}

impl Facts {
    fn of(a_bytes: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> Self {
        let (r_bytes, s_bytes) = split(sig);
        let a = CompressedEdwardsY(*a_bytes).decompress();
        let r = CompressedEdwardsY(r_bytes).decompress();
        let s_canonical = lt_le(&s_bytes, &L);
        let k = challenge(&r_bytes, a_bytes, msg);
        let s = Scalar::from_bytes_mod_order(s_bytes);
        let (cofactorless, cofactored, recomputed) = match (a, r) {
            (Some(a), Some(r)) => {
                let diff = EdwardsPoint::mul_base(&s) - r - k * a;
                let recomputed = EdwardsPoint::mul_base(&s) - k * a;
                (
                    Some(diff.is_identity()),
                    Some(diff.mul_by_cofactor().is_identity()),
                    Some(recomputed.compress().to_bytes()),
                )
            }
            _ => (None, None, None),
        };
        let first_broken_rule = match (a, r) {
            (None, _) => Some(1),
            (Some(a), _) if a.is_small_order() => Some(2),
            _ if !s_canonical => Some(3),
            (_, None) => Some(4),
            (_, Some(r)) if r.is_small_order() => Some(4),
            _ if recomputed != Some(r_bytes) => Some(5),
            _ => None,
        };
        Self {
            first_broken_rule,
            cofactorless,
            cofactored,
        }
    }
}

const MSG: &[u8] = b"Sotto/1 Ed25519 negative vectors";

/// p = 2^255 - 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

/// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn split(sig: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&sig[..32]);
    s.copy_from_slice(&sig[32..]);
    (r, s)
}

fn sig_bytes(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(r);
    out[32..].copy_from_slice(s);
    out
}

/// A deterministic scalar from a label and a counter.
fn scalar(label: &str, i: u64) -> Scalar {
    let mut hash = Sha512::new();
    hash.update(b"Sotto/1 ed25519-negative ");
    hash.update(label.as_bytes());
    hash.update(i.to_le_bytes());
    Scalar::from_bytes_mod_order_wide(&hash.finalize().into())
}

/// `k = SHA-512(R || A || M) mod L` over the bytes as given.
fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut hash = Sha512::new();
    hash.update(r);
    hash.update(a);
    hash.update(msg);
    Scalar::from_bytes_mod_order_wide(&hash.finalize().into())
}

/// Little-endian addition; `None` on overflow past 256 bits.
fn add_le(x: &[u8; 32], y: &[u8; 32]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(x[i]) + u16::from(y[i]) + carry;
        out[i] = s.to_le_bytes()[0];
        carry = s >> 8;
    }
    (carry == 0).then_some(out)
}

/// Little-endian `x < y`.
fn lt_le(x: &[u8; 32], y: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if x[i] != y[i] {
            return x[i] < y[i];
        }
    }
    false
}

/// Every 32-byte string that decodes to `point` (y reduced mod p): the canonical encoding,
/// the sign bit flipped when x = 0, and y + p when that fits in 255 bits. Canonical first.
fn encodings_of(point: &EdwardsPoint) -> Vec<[u8; 32]> {
    let canonical = point.compress().to_bytes();
    let mut candidates = vec![canonical];
    let mut flipped = canonical;
    flipped[31] ^= 0x80;
    candidates.push(flipped);
    let mut y = canonical;
    y[31] &= 0x7f;
    let mut nineteen = [0u8; 32];
    nineteen[0] = 19;
    if lt_le(&y, &nineteen)
        && let Some(mut high) = add_le(&y, &P)
    {
        high[31] |= canonical[31] & 0x80;
        candidates.push(high);
        let mut high_flipped = high;
        high_flipped[31] ^= 0x80;
        candidates.push(high_flipped);
    }
    let mut out: Vec<[u8; 32]> = Vec::new();
    for c in candidates {
        if CompressedEdwardsY(c).decompress() == Some(*point) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Large-order points with y < 19: the only large-order points with a second (y + p) encoding.
fn large_order_points_with_small_y() -> Vec<EdwardsPoint> {
    let mut out = Vec::new();
    for y in 0u8..19 {
        for sign in [0u8, 0x80] {
            let mut bytes = [0u8; 32];
            bytes[0] = y;
            bytes[31] = sign;
            if let Some(point) = CompressedEdwardsY(bytes).decompress()
                && !point.is_small_order()
                && point.compress().to_bytes() == bytes
            {
                out.push(point);
            }
        }
    }
    out
}

/// A key pair: secret scalar and canonical public key of prime order.
fn key_pair(label: &str) -> (Scalar, [u8; 32]) {
    let a = scalar(label, 0);
    (a, EdwardsPoint::mul_base(&a).compress().to_bytes())
}

/// `(R = [r]B, S = r + k a)` with `r` from `label` and `i`.
fn sign_with(a: &Scalar, a_bytes: &[u8; 32], msg: &[u8], label: &str, i: u64) -> [u8; 64] {
    let r = scalar(label, i);
    let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
    let k = challenge(&r_bytes, a_bytes, msg);
    sig_bytes(&r_bytes, &(r + k * a).to_bytes())
}

fn decode_hex<const N: usize>(text: &str) -> Result<[u8; N], VectorError> {
    fixed::<N>(text, "constant").map_err(|e| script_error(0, e))
}

struct Builder {
    cases: Vec<Ed25519Case>,
}

impl Builder {
    /// Adds a case; refuses it unless sotto_crypto and the rules agree with `rule`, and the
    /// equations are as the construction claims (`None`: no claim).
    fn push(
        &mut self,
        rule: Option<u8>,
        comment: String,
        case: (&[u8; 32], &[u8], &[u8; 64]),
        claims: (Option<bool>, Option<bool>),
    ) -> Result<(), VectorError> {
        let (a, msg, sig) = case;
        let facts = Facts::of(a, sig, msg);
        let id = self.cases.len() + 1;
        let case = Ed25519Case {
            id,
            rule,
            comment,
            public_key: h(a),
            message: h(msg),
            signature: h(sig),
            expected: if rule.is_some() {
                "refused"
            } else {
                "accepted"
            }
            .into(),
            cofactorless_equation: facts.cofactorless,
            cofactored_equation: facts.cofactored,
        };
        for (claim, fact, what) in [
            (claims.0, facts.cofactorless, "cofactorless"),
            (claims.1, facts.cofactored, "cofactored"),
        ] {
            if let Some(claim) = claim
                && fact != Some(claim)
            {
                return Err(script_error(
                    id,
                    format!("{}: the {what} equation is {fact:?}", case.comment),
                ));
            }
        }
        check_case(&case).map_err(|e| script_error(id, format!("{}: {e}", case.comment)))?;
        self.cases.push(case);
        Ok(())
    }
}

const HOLDS: Option<bool> = Some(true);
const FAILS: Option<bool> = Some(false);

/// Builds every case.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<Ed25519NegativeVectors, VectorError> {
    let mut b = Builder { cases: Vec::new() };

    // Accepted: RFC 8032 section 7.1, tests 1, 2 and 3 (published constants); each is also
    // re-signed here from its seed and must give the same bytes.
    for (n, seed, public, msg, sig) in [
        (
            1,
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            2,
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            3,
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ] {
        let seed: [u8; 32] = decode_hex(seed)?;
        let public: [u8; 32] = decode_hex(public)?;
        let sig: [u8; 64] = decode_hex(sig)?;
        let msg = hex::decode(msg).map_err(|e| script_error(0, e))?;
        let key = SigningKey::from_seed(SecretBytes::new(seed));
        if key.verifying_key().to_bytes() != public || key.sign(&msg).to_bytes() != sig {
            return Err(script_error(
                0,
                format!("RFC 8032 test {n} does not re-sign"),
            ));
        }
        b.push(
            None,
            format!("RFC 8032 section 7.1, test {n}: a valid signature"),
            (&public, &msg, &sig),
            (HOLDS, HOLDS),
        )?;
    }
    // Accepted: Sotto's signer, over this file's message.
    let signer = SigningKey::from_seed(SecretBytes::new(scalar("signer seed", 0).to_bytes()));
    let signer_public = signer.verifying_key().to_bytes();
    let signer_sig = signer.sign(MSG).to_bytes();
    b.push(
        None,
        "a valid signature by an RFC 8032 signer (sotto_crypto's) over this file's message".into(),
        (&signer_public, MSG, &signer_sig),
        (HOLDS, HOLDS),
    )?;

    // Rule 1: A does not decode.
    let mut not_a_point = None;
    for y in 2u8..=255 {
        let mut bytes = [0u8; 32];
        bytes[0] = y;
        if CompressedEdwardsY(bytes).decompress().is_none() {
            not_a_point = Some((y, bytes));
            break;
        }
    }
    let (y, a_bytes) = not_a_point.ok_or_else(|| script_error(0, "no non-point y"))?;
    b.push(
        Some(1),
        format!("A has y = {y}, for which no x exists (not a curve point); signature copied from the valid signer case"),
        (&a_bytes, MSG, &signer_sig),
        (None, None),
    )?;
    let mut high = [0u8; 32];
    high[0] = y;
    let high = add_le(&high, &P).ok_or_else(|| script_error(0, "overflow"))?;
    b.push(
        Some(1),
        format!("A is y = {y} + p (y >= p, reduced to {y}: still not a curve point)"),
        (&high, MSG, &signer_sig),
        (None, None),
    )?;

    // Rule 2: small-order A, every encoding of every 8-torsion point; R = [r]B, S = r, with r
    // searched until [k]A is the identity, so the cofactorless equation holds.
    for (t_index, t) in EIGHT_TORSION.iter().enumerate() {
        for (e_index, a_bytes) in encodings_of(t).iter().enumerate() {
            let mut found = None;
            for i in 0u64..1000 {
                let r = scalar("small-order A", i);
                let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
                let sig = sig_bytes(&r_bytes, &r.to_bytes());
                if Facts::of(a_bytes, &sig, MSG).cofactorless == Some(true) {
                    found = Some(sig);
                    break;
                }
            }
            let sig = found.ok_or_else(|| script_error(0, "no r for small-order A"))?;
            let how = if e_index == 0 {
                "canonical encoding".to_string()
            } else {
                format!("non-canonical encoding {e_index}")
            };
            b.push(
                Some(2),
                format!(
                    "A is the 8-torsion point EIGHT_TORSION[{t_index}] (order {}), {how}; R = [r]B, S = r, and [k]A is the identity, so the equation holds",
                    order(t)
                ),
                (a_bytes, MSG, &sig),
                (HOLDS, HOLDS),
            )?;
        }
    }

    // Rule 3: S >= L with a regular key.
    let (a, a_bytes) = key_pair("S not below L");
    let sig = sign_with(&a, &a_bytes, MSG, "S not below L nonce", 0);
    let (r_bytes, s_bytes) = split(&sig);
    for (n, what) in [(1u8, "S + L"), (2, "S + 2L"), (8, "S + 8L (bit 255 set)")] {
        let mut l_multiple = [0u8; 32];
        for _ in 0..n {
            l_multiple = add_le(&l_multiple, &L).ok_or_else(|| script_error(0, "overflow"))?;
        }
        let big = add_le(&s_bytes, &l_multiple).ok_or_else(|| script_error(0, "overflow"))?;
        b.push(
            Some(3),
            format!(
                "{what}: a valid signature's S plus a multiple of L; the equation holds modulo L"
            ),
            (&a_bytes, MSG, &sig_bytes(&r_bytes, &big)),
            (HOLDS, HOLDS),
        )?;
    }
    b.push(
        Some(3),
        "S = L (S mod L = 0) with a valid signature's R".into(),
        (&a_bytes, MSG, &sig_bytes(&r_bytes, &L)),
        (None, None),
    )?;

    // Rule 4: R does not decode, or has small order.
    let (a, a_bytes) = key_pair("small-order R");
    let mut r_not_point = [0u8; 32];
    r_not_point[0] = y;
    b.push(
        Some(4),
        format!("R has y = {y}: not a curve point"),
        (&a_bytes, MSG, &sig_bytes(&r_not_point, &s_bytes)),
        (None, None),
    )?;
    for (t_index, t) in EIGHT_TORSION.iter().enumerate() {
        for (e_index, r_bytes) in encodings_of(t).iter().enumerate() {
            let k = challenge(r_bytes, &a_bytes, MSG);
            let sig = sig_bytes(r_bytes, &(k * a).to_bytes());
            let how = if e_index == 0 {
                "canonical encoding".to_string()
            } else {
                format!("non-canonical encoding {e_index}")
            };
            let what = if t.is_identity() {
                "[S]B - [k]A is the identity, so the cofactorless equation holds"
            } else {
                "[S]B - [k]A is the identity: only the cofactored equation holds"
            };
            b.push(
                Some(4),
                format!(
                    "R is the 8-torsion point EIGHT_TORSION[{t_index}] (order {}), {how}; S = k a: {what}",
                    order(t)
                ),
                (&a_bytes, MSG, &sig),
                (Some(t.is_identity()), HOLDS),
            )?;
        }
    }

    // Rule 5: the equation, with R compared by its bytes.
    let (a, a_bytes) = key_pair("equation");
    let good = sign_with(&a, &a_bytes, MSG, "equation nonce", 0);
    b.push(
        None,
        "a valid signature made here with the scalars: R = [r]B, S = r + k a".into(),
        (&a_bytes, MSG, &good),
        (HOLDS, HOLDS),
    )?;
    b.push(
        Some(5),
        "the valid signature above over another message (its last byte changed)".into(),
        (&a_bytes, b"Sotto/1 Ed25519 negative vectorT", &good),
        (FAILS, FAILS),
    )?;
    // The first two such points (y = 3, both signs of x) stand for the rest.
    for point in large_order_points_with_small_y().iter().take(2) {
        let encodings = encodings_of(point);
        let (Some(canonical), Some(r_bytes)) = (encodings.first(), encodings.get(1)) else {
            return Err(script_error(0, "no y + p encoding"));
        };
        let y = canonical[0];
        let sign = if canonical[31] & 0x80 == 0 {
            "even"
        } else {
            "odd"
        };
        let r = scalar("non-canonical R", 0);
        let k = challenge(r_bytes, &a_bytes, MSG);
        b.push(
            Some(5),
            format!(
                "R is the large-order point with y = {y}, x {sign}, encoded as y + p (non-canonical): the recomputed R is canonical, so the bytes differ"
            ),
            (&a_bytes, MSG, &sig_bytes(r_bytes, &(r + k * a).to_bytes())),
            (FAILS, None),
        )?;
        let a_high = *r_bytes;
        let sig = sign_with(&a, &a_high, MSG, "non-canonical A nonce", 0);
        b.push(
            Some(5),
            format!(
                "A is the large-order point with y = {y}, x {sign}, encoded as y + p (non-canonical): it decodes, k hashes its bytes as sent, and no valid signature is known (a signature made with another key's scalar)"
            ),
            (&a_high, MSG, &sig),
            (FAILS, None),
        )?;
    }
    for (t_index, t) in EIGHT_TORSION.iter().enumerate().skip(1) {
        let r = scalar("cofactored-only R", 0);
        let r_point = EdwardsPoint::mul_base(&r) + t;
        let r_bytes = r_point.compress().to_bytes();
        let k = challenge(&r_bytes, &a_bytes, MSG);
        b.push(
            Some(5),
            format!(
                "R = [r]B + EIGHT_TORSION[{t_index}] (order {}; R has large order), S = r + k a: only the cofactored equation holds",
                order(t)
            ),
            (&a_bytes, MSG, &sig_bytes(&r_bytes, &(r + k * a).to_bytes())),
            (FAILS, HOLDS),
        )?;
    }

    // Mixed-order A = [a]B + T: no subgroup check. Accepted when [k]T is the identity (the
    // cofactorless equation holds), refused (rule 5) when it is not.
    let (a, _) = key_pair("mixed-order A");
    for (t_index, t) in EIGHT_TORSION.iter().enumerate().skip(1) {
        let a_bytes = (EdwardsPoint::mul_base(&a) + t).compress().to_bytes();
        let mut accepted = None;
        let mut refused = None;
        for i in 0u64..1000 {
            let sig = sign_with(&a, &a_bytes, MSG, "mixed-order A nonce", i);
            let holds = Facts::of(&a_bytes, &sig, MSG).cofactorless == Some(true);
            if holds && accepted.is_none() {
                accepted = Some(sig);
            }
            if !holds && refused.is_none() {
                refused = Some(sig);
            }
            if accepted.is_some() && refused.is_some() {
                break;
            }
        }
        let (Some(accepted), Some(refused)) = (accepted, refused) else {
            return Err(script_error(0, "no nonce for mixed-order A"));
        };
        b.push(
            None,
            format!(
                "A = [a]B + EIGHT_TORSION[{t_index}] (mixed order: large, not in the prime-order subgroup), R = [r]B, S = r + k a, with r chosen so that [k]T is the identity: the equation holds"
            ),
            (&a_bytes, MSG, &accepted),
            (HOLDS, HOLDS),
        )?;
        b.push(
            Some(5),
            format!(
                "the same mixed-order A (EIGHT_TORSION[{t_index}]) with an r for which [k]T is not the identity: only the cofactored equation holds"
            ),
            (&a_bytes, MSG, &refused),
            (FAILS, HOLDS),
        )?;
    }

    Ok(Ed25519NegativeVectors {
        description: "Strict Ed25519 verification (docs/protocol.md sections 7.1 and 7.12): \
                      each case is a public key, a message and a signature, the expected \
                      outcome, the first of 7.1's rules that refuses it, and whether the \
                      cofactorless and cofactored equations hold."
            .into(),
        cases: b.cases,
    })
}

/// The order of an 8-torsion point (1, 2, 4 or 8).
fn order(t: &EdwardsPoint) -> u8 {
    let mut p = *t;
    let mut n = 1u8;
    while !p.is_identity() && n < 8 {
        p += t;
        n += 1;
    }
    n
}
