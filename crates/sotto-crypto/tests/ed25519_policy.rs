//! Pins the Ed25519 acceptance policy that docs/protocol.md section 7.1 states.
//!
//! Every refused case is built so that the cofactorless equation `[S]B = R + [k]A` holds
//! (or holds modulo L), so the refusal is the policy's, not a wrong signature's.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use sha2::{Digest, Sha512};
use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::{Signature, SigningKey, VerifyingKey};

/// The group order L, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// `k = SHA-512(R || A || M) mod L` over the encodings as sent.
fn challenge(r: &[u8; 32], a: &[u8; 32], m: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(m);
    let wide: [u8; 64] = h.finalize().into();
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// The secret scalar RFC 8032 section 5.1.5 derives from `seed`.
fn secret_scalar(seed: &[u8; 32]) -> Scalar {
    let h: [u8; 64] = Sha512::digest(seed).into();
    let mut a = [0u8; 32];
    a.copy_from_slice(&h[..32]);
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    Scalar::from_bytes_mod_order(a)
}

fn signature(r: &[u8; 32], s: &[u8; 32]) -> Signature {
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(r);
    bytes[32..].copy_from_slice(s);
    Signature::from_bytes(bytes)
}

fn key() -> ([u8; 32], SigningKey) {
    let seed = [7u8; 32];
    (seed, SigningKey::from_seed(SecretBytes::new(seed)))
}

/// `s + L` as 32 little-endian bytes (s < L < 2^253, so it fits).
fn add_l(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(L[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// The encoding `y + p` (non-canonical) of a y-coordinate below 19, sign bit `sign`.
fn non_canonical_y(y: u8, sign: bool) -> [u8; 32] {
    assert!(y < 19);
    let mut out = [0xffu8; 32];
    out[0] = 0xed + y;
    out[31] = 0x7f | if sign { 0x80 } else { 0 };
    out
}

#[test]
fn an_rfc_8032_signature_is_accepted() {
    let (_, sk) = key();
    let m = b"policy";
    assert!(sk.verifying_key().verify(m, &sk.sign(m)).is_ok());
}

#[test]
fn s_at_or_above_the_group_order_is_refused_although_the_equation_holds_mod_l() {
    let (_, sk) = key();
    let m = b"policy";
    let sig = sk.sign(m).to_bytes();
    let (r, s): ([u8; 32], [u8; 32]) =
        (sig[..32].try_into().unwrap(), sig[32..].try_into().unwrap());
    let vk = sk.verifying_key();
    assert!(vk.verify(m, &signature(&r, &add_l(&s))).is_err(), "S + L");
    assert!(vk.verify(m, &signature(&r, &L)).is_err(), "S = L");
    let mut top = s;
    top[31] |= 0x80;
    assert!(vk.verify(m, &signature(&r, &top)).is_err(), "S >= 2^255");
}

#[test]
fn small_order_public_keys_decode_but_every_signature_under_them_is_refused() {
    for (i, t) in EIGHT_TORSION.iter().enumerate() {
        let a = t.compress().to_bytes();
        let vk = VerifyingKey::from_bytes(&a).expect("a small-order point is a point");
        // R = [r]B, S = r: the equation holds whenever [k]A is the identity, which for
        // A of order d happens for one message in d; find such a message.
        let r_scalar = Scalar::from_bytes_mod_order([9u8; 32]);
        let r = (r_scalar * B).compress().to_bytes();
        let m = (0u32..256)
            .map(|n| n.to_be_bytes())
            .find(|m| (challenge(&r, &a, m) * t).is_identity())
            .expect("one message in at most 8 makes [k]A the identity");
        let sig = signature(&r, &r_scalar.to_bytes());
        assert!(vk.verify(&m, &sig).is_err(), "small-order A #{i}");
    }
}

#[test]
fn non_canonical_encodings_of_small_order_public_keys_are_refused() {
    // y = 1 (the identity) and y = 0 (order 4) have y + p encodings; x = 0 with the sign
    // bit set is the other non-canonical form.
    let encodings = [
        non_canonical_y(1, false),
        non_canonical_y(1, true),
        non_canonical_y(0, false),
        non_canonical_y(0, true),
        {
            let mut e = EdwardsPoint::default().compress().to_bytes();
            e[31] |= 0x80;
            e
        },
    ];
    for (i, a) in encodings.iter().enumerate() {
        {
            let vk = VerifyingKey::from_bytes(a).expect("decoding reduces y mod p");
            let r_scalar = Scalar::from_bytes_mod_order([9u8; 32]);
            let r = (r_scalar * B).compress().to_bytes();
            let point = CompressedEdwardsY(*a).decompress().unwrap();
            let m = (0u32..256)
                .map(|n| n.to_be_bytes())
                .find(|m| (challenge(&r, a, m) * point).is_identity())
                .expect("one message in at most 8 makes [k]A the identity");
            let sig = signature(&r, &r_scalar.to_bytes());
            assert!(vk.verify(&m, &sig).is_err(), "encoding #{i}");
        }
    }
}

#[test]
fn a_small_order_r_is_refused_although_the_equation_holds() {
    // R = identity, S = k * a: [S]B = [k]A = R + [k]A.
    let (seed, sk) = key();
    let a = sk.verifying_key().to_bytes();
    let secret = secret_scalar(&seed);
    assert_eq!(
        (secret * B).compress().to_bytes(),
        a,
        "secret scalar derivation"
    );
    let m = b"policy";
    let r = EdwardsPoint::default().compress().to_bytes();
    let s = challenge(&r, &a, m) * secret;
    assert!(
        sk.verifying_key()
            .verify(m, &signature(&r, &s.to_bytes()))
            .is_err()
    );
    // Each other small-order R: [S]B lies in the prime-order subgroup, R + [k]A does not,
    // so the equation cannot hold; they are refused as well.
    for t in EIGHT_TORSION.iter() {
        let r = t.compress().to_bytes();
        let s = challenge(&r, &a, m) * secret;
        assert!(
            sk.verifying_key()
                .verify(m, &signature(&r, &s.to_bytes()))
                .is_err()
        );
    }
}

#[test]
fn a_non_canonical_r_is_refused_because_r_is_compared_by_its_canonical_encoding() {
    // The identity as R in its y + p encoding, S = k * a with k hashed over those bytes:
    // the computed R encodes canonically and differs from the bytes sent.
    let (seed, sk) = key();
    let a = sk.verifying_key().to_bytes();
    let secret = secret_scalar(&seed);
    let m = b"policy";
    for r in [non_canonical_y(1, false), non_canonical_y(1, true)] {
        let s = challenge(&r, &a, m) * secret;
        assert!(
            sk.verifying_key()
                .verify(m, &signature(&r, &s.to_bytes()))
                .is_err()
        );
    }
}

#[test]
fn a_non_canonical_large_order_public_key_decodes_and_the_equation_decides() {
    // y + p for the small y whose points have large order: decoding reduces y mod p, as
    // RFC 8032 section 5.1.3 does not (it refuses y >= p) but ed25519-dalek does.
    let mut decoded = 0;
    for y in 2u8..19 {
        let a = non_canonical_y(y, false);
        let Some(point) = CompressedEdwardsY(a).decompress() else {
            continue;
        };
        assert!(!point.is_small_order(), "y = {y}");
        let vk = VerifyingKey::from_bytes(&a).expect("non-canonical large-order A decodes");
        decoded += 1;
        // Nobody knows its discrete log, so no signature verifies; a forged one is refused.
        let (_, sk) = key();
        assert!(vk.verify(b"policy", &sk.sign(b"policy")).is_err());
    }
    assert!(
        decoded > 0,
        "some y below 19 is the y of a large-order point"
    );
}
