//! Pins what [`sotto_crypto::ed25519::VerifyingKey`] decodes and what its `verify` refuses
//! and accepts (docs/protocol.md section 7.1, the Ed25519 paragraph; 7.2, HS-03).
//!
//! Every input is built here with curve25519-dalek's group arithmetic, and wherever the
//! cofactorless equation `[S]B = R + [k]A` can be made to hold it is made to hold (and checked
//! to hold), so that a refusal is due to the acceptance policy and not to a wrong signature.
//! `k = SHA-512(R_bytes || A_bytes || M) mod L`, with both encodings as they are received.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use sha2::{Digest, Sha512};
use sotto_crypto::ed25519::{Signature, SignatureError, VerifyingKey};

const MSG: &[u8] = b"sotto ed25519 policy";

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

/// A deterministic scalar from a label and a counter.
fn scalar(label: &str, i: u64) -> Scalar {
    let mut h = Sha512::new();
    h.update(label.as_bytes());
    h.update(i.to_le_bytes());
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// `k = SHA-512(R || A || M) mod L` over the bytes as given.
fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

fn decompress(bytes: &[u8; 32]) -> EdwardsPoint {
    CompressedEdwardsY(*bytes)
        .decompress()
        .expect("a curve point")
}

/// Whether the cofactorless equation `[S]B = R + [k]A` holds for these bytes, with `S`
/// reduced mod L and the points as curve25519-dalek decodes them (y reduced mod p).
fn equation_holds(a: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> bool {
    let r: [u8; 32] = sig[..32].try_into().unwrap();
    let s: [u8; 32] = sig[32..].try_into().unwrap();
    let s = Scalar::from_bytes_mod_order(s);
    let k = challenge(&r, a, msg);
    EdwardsPoint::mul_base(&s) == decompress(&r) + k * decompress(a)
}

/// The cofactored equation `[8][S]B = [8]R + [8][k]A`.
fn cofactored_equation_holds(a: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> bool {
    let r: [u8; 32] = sig[..32].try_into().unwrap();
    let s = Scalar::from_bytes_mod_order(sig[32..].try_into().unwrap());
    let k = challenge(&r, a, msg);
    (EdwardsPoint::mul_base(&s) - decompress(&r) - k * decompress(a))
        .mul_by_cofactor()
        .is_identity()
}

fn sig_bytes(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(r);
    out[32..].copy_from_slice(s);
    out
}

fn verify(a: &[u8; 32], sig: &[u8; 64], msg: &[u8]) -> Result<(), SignatureError> {
    let key = VerifyingKey::from_bytes(a).expect("the key decodes");
    key.verify(msg, &Signature::from_bytes(*sig))
}

/// Little-endian addition of two 256-bit values (no overflow in the uses below).
fn add_le(x: &[u8; 32], y: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let s = u16::from(x[i]) + u16::from(y[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
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

/// The value of the low 255 bits (the y coordinate as written), little-endian.
fn y_of(bytes: &[u8; 32]) -> [u8; 32] {
    let mut y = *bytes;
    y[31] &= 0x7f;
    y
}

/// Every 32-byte string curve25519-dalek decodes to the point `point`: its canonical
/// encoding, the same with the sign bit flipped when x = 0, and y + p when that fits in 255
/// bits (with either sign bit when x = 0). Canonical encoding first.
fn encodings_of(point: &EdwardsPoint) -> Vec<[u8; 32]> {
    let canonical = point.compress().to_bytes();
    let mut candidates = vec![canonical];
    let mut flipped = canonical;
    flipped[31] ^= 0x80;
    candidates.push(flipped);
    let y = y_of(&canonical);
    let mut nineteen = [0u8; 32];
    nineteen[0] = 19;
    if lt_le(&y, &nineteen) {
        let mut high = add_le(&y, &P);
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
    assert_eq!(out[0], canonical);
    out
}

/// Whether the encoding is canonical in RFC 8032's sense (section 5.1.3): y < p, and not
/// x = 0 with the sign bit set.
fn rfc8032_canonical(bytes: &[u8; 32]) -> bool {
    let point = CompressedEdwardsY(*bytes).decompress();
    point.is_some_and(|p| p.compress().to_bytes() == *bytes)
}

/// A regular key pair: secret scalar and canonical public key of prime order.
fn key_pair(i: u64) -> (Scalar, [u8; 32]) {
    let a = scalar("key", i);
    (a, EdwardsPoint::mul_base(&a).compress().to_bytes())
}

/// An honest signature `(R = [r]B, S = r + k a)`.
fn sign(a: &Scalar, a_bytes: &[u8; 32], msg: &[u8], i: u64) -> [u8; 64] {
    let r = scalar("nonce", i);
    let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
    let k = challenge(&r_bytes, a_bytes, msg);
    sig_bytes(&r_bytes, &(r + k * a).to_bytes())
}

#[test]
fn the_constructions_are_right() {
    // Our hand-made signature over a regular key verifies, and it is byte for byte what
    // ed25519-dalek's signer would produce from the same scalars (the equation holds).
    let (a, a_bytes) = key_pair(0);
    let sig = sign(&a, &a_bytes, MSG, 0);
    assert!(equation_holds(&a_bytes, &sig, MSG));
    assert_eq!(verify(&a_bytes, &sig, MSG), Ok(()));
    // A wrong message: the equation fails, and so does verification.
    assert!(!equation_holds(&a_bytes, &sig, b"other"));
    assert_eq!(verify(&a_bytes, &sig, b"other"), Err(SignatureError));
}

/// The 8 small-order points have 14 encodings curve25519-dalek decodes: 8 canonical, 6 not
/// (y + p for y in {0, 1}; the sign bit set with x = 0 for y = 1 and y = -1; both for y = 1).
#[test]
fn small_order_encodings_are_the_fourteen_known_ones() {
    let all: Vec<[u8; 32]> = EIGHT_TORSION.iter().flat_map(encodings_of).collect();
    assert_eq!(all.len(), 14);
    assert_eq!(all.iter().filter(|e| rfc8032_canonical(e)).count(), 8);
    for t in &EIGHT_TORSION {
        assert!(t.is_small_order());
    }
}

/// Small-order A, every one of the 14 encodings: it decodes (HS-03 only asks for a curve
/// point), and a signature is refused although the cofactorless equation holds.
#[test]
fn small_order_public_key_is_refused() {
    for (t_index, t) in EIGHT_TORSION.iter().enumerate() {
        for a_bytes in encodings_of(t) {
            assert!(
                VerifyingKey::from_bytes(&a_bytes).is_ok(),
                "small-order A {} decodes",
                hex::encode(a_bytes)
            );
            // R = [r]B and S = r: the equation [S]B = R + [k]A holds exactly when [k]A is
            // the identity, i.e. k is a multiple of A's order (at most 8): search r.
            let sig = (0u64..)
                .map(|i| {
                    let r = scalar("small-order-A", i);
                    let r_bytes = EdwardsPoint::mul_base(&r).compress().to_bytes();
                    sig_bytes(&r_bytes, &r.to_bytes())
                })
                .find(|sig| equation_holds(&a_bytes, sig, MSG))
                .unwrap();
            assert_eq!(
                verify(&a_bytes, &sig, MSG),
                Err(SignatureError),
                "small-order A #{t_index} {} with an equation that holds",
                hex::encode(a_bytes)
            );
        }
    }
}

/// Small-order R, every one of the 14 encodings, with a regular key and `S = k a`, so that
/// `[S]B - [k]A` is the identity. For R = identity (canonical) the cofactorless equation
/// holds: the refusal is the small-order rule alone. For the other small-order R the
/// cofactored equation holds but the cofactorless cannot (R is not in the prime-order
/// subgroup); refused either way.
#[test]
fn small_order_r_is_refused() {
    let (a, a_bytes) = key_pair(1);
    let identity = EdwardsPoint::identity().compress().to_bytes();
    for t in &EIGHT_TORSION {
        for r_bytes in encodings_of(t) {
            let k = challenge(&r_bytes, &a_bytes, MSG);
            let sig = sig_bytes(&r_bytes, &(k * a).to_bytes());
            assert!(cofactored_equation_holds(&a_bytes, &sig, MSG));
            assert_eq!(
                equation_holds(&a_bytes, &sig, MSG),
                t.is_identity(),
                "{}",
                hex::encode(r_bytes)
            );
            assert_eq!(
                verify(&a_bytes, &sig, MSG),
                Err(SignatureError),
                "small-order R {}",
                hex::encode(r_bytes)
            );
        }
    }
    // The pure policy case is there: canonical identity R with the equation holding.
    let k = challenge(&identity, &a_bytes, MSG);
    let sig = sig_bytes(&identity, &(k * a).to_bytes());
    assert!(equation_holds(&a_bytes, &sig, MSG));
    assert_eq!(verify(&a_bytes, &sig, MSG), Err(SignatureError));
}

/// The equation is cofactorless: R = [r]B + T (T of order 8, so R has large order and is
/// not small) with S = r + k a satisfies the cofactored equation, not the cofactorless one,
/// and is refused.
#[test]
fn cofactored_only_signature_is_refused() {
    let (a, a_bytes) = key_pair(2);
    for t in EIGHT_TORSION.iter().filter(|t| !t.is_identity()) {
        let r = scalar("mixed-R", 0);
        let r_point = EdwardsPoint::mul_base(&r) + t;
        assert!(!r_point.is_small_order());
        let r_bytes = r_point.compress().to_bytes();
        let k = challenge(&r_bytes, &a_bytes, MSG);
        let sig = sig_bytes(&r_bytes, &(r + k * a).to_bytes());
        assert!(cofactored_equation_holds(&a_bytes, &sig, MSG));
        assert!(!equation_holds(&a_bytes, &sig, MSG));
        assert_eq!(verify(&a_bytes, &sig, MSG), Err(SignatureError));
    }
}

/// A public key of mixed order, A = [a]B + T (large order, not in the prime-order subgroup):
/// there is no subgroup check, so when the cofactorless equation holds the signature is
/// ACCEPTED. Found by searching r until k is a multiple of T's order.
#[test]
fn mixed_order_public_key_is_accepted_when_the_equation_holds() {
    let (a, _) = key_pair(3);
    for t in EIGHT_TORSION.iter().filter(|t| !t.is_identity()) {
        let a_point = EdwardsPoint::mul_base(&a) + t;
        assert!(!a_point.is_small_order() && !a_point.is_torsion_free());
        let a_bytes = a_point.compress().to_bytes();
        let sig = (0u64..)
            .map(|i| sign(&a, &a_bytes, MSG, 1000 + i))
            .find(|sig| equation_holds(&a_bytes, sig, MSG))
            .unwrap();
        assert_eq!(verify(&a_bytes, &sig, MSG), Ok(()));
        // The same key with a nonce for which [k]T is not the identity: refused.
        let bad = (0u64..)
            .map(|i| sign(&a, &a_bytes, MSG, 5000 + i))
            .find(|sig| !equation_holds(&a_bytes, sig, MSG))
            .unwrap();
        assert!(cofactored_equation_holds(&a_bytes, &bad, MSG));
        assert_eq!(verify(&a_bytes, &bad, MSG), Err(SignatureError));
    }
}

/// Points with y < 19 that are on the curve and of large order: the only large-order points
/// that have a second (non-canonical, y + p) encoding.
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
    assert!(!out.is_empty());
    out
}

/// Non-canonical R of large order (y + p): R's bytes are compared with the canonical
/// encoding of the recomputed `[S]B - [k]A`, which is never y >= p, so it is refused. (The
/// equation cannot be made to hold here: nobody knows the discrete log of such an R.)
#[test]
fn non_canonical_r_is_refused() {
    let (a, a_bytes) = key_pair(4);
    for point in large_order_points_with_small_y() {
        let encodings = encodings_of(&point);
        assert_eq!(encodings.len(), 2, "canonical and y + p");
        let r_bytes = encodings[1];
        assert!(!lt_le(&y_of(&r_bytes), &P), "y >= p");
        let r = scalar("non-canonical-R", 0);
        let k = challenge(&r_bytes, &a_bytes, MSG);
        let sig = sig_bytes(&r_bytes, &(r + k * a).to_bytes());
        assert_eq!(verify(&a_bytes, &sig, MSG), Err(SignatureError));
    }
    // The small-order R with non-canonical encodings (identity as y = p + 1, or with the sign
    // bit set) are refused too, with `[S]B - [k]A` equal to R as a point: see
    // `small_order_r_is_refused`.
}

/// Non-canonical A of large order (y + p): decoding accepts it (y is reduced mod p) and
/// keeps its bytes as received; it is a different key from its canonical encoding (keys
/// compare by bytes, and k hashes A's bytes as received). Whether a signature verifies is
/// then up to the equation; no valid one can be built here, as nobody knows the discrete
/// log of such a point.
#[test]
fn non_canonical_large_order_public_key_decodes_and_keeps_its_bytes() {
    let (a, a_bytes) = key_pair(5);
    let sig = sign(&a, &a_bytes, MSG, 7);
    for point in large_order_points_with_small_y() {
        let encodings = encodings_of(&point);
        let (canonical, high) = (encodings[0], encodings[1]);
        let key = VerifyingKey::from_bytes(&high).expect("y >= p decodes");
        assert_eq!(key.to_bytes(), high, "the bytes as received are kept");
        let canonical_key = VerifyingKey::from_bytes(&canonical).unwrap();
        assert_ne!(key, canonical_key, "keys compare by their bytes");
        assert_eq!(decompress(&high), decompress(&canonical), "same point");
        // A signature for another key does not verify under it.
        assert_eq!(
            key.verify(MSG, &Signature::from_bytes(sig)),
            Err(SignatureError)
        );
    }
}

/// Encodings that are not points (x^2 = (y^2 - 1)/(d y^2 + 1) has no root) are refused by
/// decoding, with y < p and with y >= p.
#[test]
fn non_points_do_not_decode() {
    let mut refused = 0;
    for y in 0u8..19 {
        let mut low = [0u8; 32];
        low[0] = y;
        let mut high = add_le(&low, &P);
        high[31] &= 0x7f;
        let on_curve = CompressedEdwardsY(low).decompress().is_some();
        assert_eq!(VerifyingKey::from_bytes(&low).is_ok(), on_curve);
        assert_eq!(VerifyingKey::from_bytes(&high).is_ok(), on_curve);
        if !on_curve {
            refused += 1;
        }
    }
    assert!(refused > 0);
}

/// S >= L is refused: S = L (S mod L = 0), and S = L + s for a valid (R, s), for which the
/// equation holds modulo L.
#[test]
fn s_not_below_l_is_refused() {
    let (a, a_bytes) = key_pair(6);
    let sig = sign(&a, &a_bytes, MSG, 9);
    assert_eq!(verify(&a_bytes, &sig, MSG), Ok(()));
    let r_bytes: [u8; 32] = sig[..32].try_into().unwrap();
    let s_bytes: [u8; 32] = sig[32..].try_into().unwrap();

    let s_plus_l = sig_bytes(&r_bytes, &add_le(&s_bytes, &L));
    assert!(equation_holds(&a_bytes, &s_plus_l, MSG));
    assert_eq!(verify(&a_bytes, &s_plus_l, MSG), Err(SignatureError));

    let s_is_l = sig_bytes(&r_bytes, &L);
    assert_eq!(verify(&a_bytes, &s_is_l, MSG), Err(SignatureError));
}
