//! Attacks on sealed sender (protocol.md chapter 9: padding, certificates, the envelope,
//! multi-recipient messages and the static cache) by a malicious relay (it carries, splits,
//! replays and rewrites every envelope, and can forge layer 1 to any recipient, since layer
//! 1 needs only the recipient's public key), a malicious sender holding a genuine
//! certificate of its own, a malicious co-recipient of a multi-recipient message (it knows
//! the content key `K`), and a local API misuser.
//!
//! Only the public API is used; forged envelopes are built byte by byte from protocol.md
//! 9.3 and 9.4 with `sotto_crypto` primitives.
//!
//! The review found four defects (FINDING 1 to 4 below), all fixed; their tests now pass and
//! stay as regression tests beside the attacks the code refused from the start.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::labels::{
    SEALED_ENVELOPE_EPHEMERAL, SEALED_ENVELOPE_STATIC, SEALED_SENDER_CERTIFICATE,
};
use sotto_crypto::x25519::{PublicKey, SecretKey};
use sotto_crypto::{SecretBytes, aead, hash, kdf};
use sotto_devices::AccountId;
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{
    CertificateError, CertificateStore, SenderCertificate, ServerCertificate, ServerKey, TrustRoot,
    TrustRootKey,
};
use sotto_sealed::envelope::{
    MIN_LEN, MULTI_MIN_LEN, OpenError, OpenReason, SealError, open, open_cached, seal, seal_cached,
};
use sotto_sealed::multi::{Recipient, SentEnvelope, SplitError, seal_multi};
use sotto_sealed::padding::{self, PaddingError};

const NOT_BEFORE: u64 = 1_764_000_000;
const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;
const EXPIRES: u64 = NOT_BEFORE + 86_400;
const NOW: u64 = NOT_BEFORE + 3_600;

/// p = 2^255 - 19, little-endian.
const P: [u8; 32] = {
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
};

struct Fx {
    rng: StdRng,
    root: TrustRootKey,
    server: ServerKey,
    store: CertificateStore,
    alice: DeviceIdentity,
    alice_cert: SenderCertificate,
    mallory: DeviceIdentity,
    mallory_cert: SenderCertificate,
    bob: DeviceIdentity,
    carol: DeviceIdentity,
}

impl Fx {
    /// A genuine envelope from Alice to Bob.
    fn alice_to_bob(&mut self, content_type: u8, message: &[u8]) -> Vec<u8> {
        seal(
            &self.alice,
            &self.alice_cert,
            &self.bob.public(),
            content_type,
            message,
            &mut self.rng,
        )
        .unwrap()
    }
}

/// The u-coordinate 1 (small order), little-endian.
const ONE: [u8; 32] = {
    let mut one = [0u8; 32];
    one[0] = 1;
    one
};

/// p - 1 (small order).
const P_MINUS_ONE: [u8; 32] = {
    let mut x = P;
    x[0] = 0xec;
    x
};

fn fx(seed: u64) -> Fx {
    let mut rng = StdRng::seed_from_u64(seed);
    let root = TrustRootKey::generate(&mut rng);
    let server = ServerKey::generate(7, &mut rng);
    let mut store = CertificateStore::new(root.public());
    store
        .add(
            root.certify(7, &server.public(), NOT_BEFORE, NOT_AFTER)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let alice = DeviceIdentity::generate(&mut rng);
    let mallory = DeviceIdentity::generate(&mut rng);
    let bob = DeviceIdentity::generate(&mut rng);
    let carol = DeviceIdentity::generate(&mut rng);
    let alice_cert = server.issue(
        AccountId::from_bytes([0xa1; 16]),
        1,
        &alice.public(),
        EXPIRES,
    );
    let mallory_cert = server.issue(
        AccountId::from_bytes([0x66; 16]),
        1,
        &mallory.public(),
        EXPIRES,
    );
    Fx {
        rng,
        root,
        server,
        store,
        alice,
        alice_cert,
        mallory,
        mallory_cert,
        bob,
        carol,
    }
}

fn reason(r: Result<sotto_sealed::envelope::Opened, OpenError>) -> OpenReason {
    r.expect_err("must be refused").reason()
}

fn dh(own: &DeviceIdentity, peer: &PublicKey) -> [u8; 32] {
    *own.agreement_key().diffie_hellman(peer).unwrap().expose()
}

/// `content_type || compact || pad(message)`.
fn inner(compact: &[u8; 98], message: &[u8]) -> Vec<u8> {
    let mut v = vec![0x42];
    v.extend_from_slice(compact);
    v.extend_from_slice(&padding::pad(message).unwrap());
    v
}

/// Layer 1 keys of 9.3: (chain, key1, nonce1) as one 76-byte block.
fn okm1(e1: &[u8; 32], e_pub: &[u8; 32], recipient: &DeviceIdentityKey) -> [u8; 76] {
    let mut salt = e_pub.to_vec();
    salt.extend_from_slice(&recipient.to_bytes());
    *kdf::hkdf_sha256::<76>(Some(&salt), e1, SEALED_ENVELOPE_EPHEMERAL).expose()
}

fn okm2(okm1: &[u8; 76], layer1: &[u8], s: &[u8; 32]) -> [u8; 44] {
    let mut salt = okm1[..32].to_vec();
    salt.extend_from_slice(layer1);
    *kdf::hkdf_sha256::<44>(Some(&salt), s, SEALED_ENVELOPE_STATIC).expose()
}

fn key(b: &[u8]) -> SecretBytes<32> {
    SecretBytes::from_slice(b).unwrap()
}

fn nonce(b: &[u8]) -> [u8; 12] {
    b.try_into().unwrap()
}

/// A single-recipient envelope built by hand from 9.3: layer 1 carries `claimed` (any 64
/// bytes), layer 2 is keyed with `s` (the static secret the forger believes in) and holds
/// `inner`. `e_pub_bytes`, when given, replaces `E_pub` on the wire (and in the salt and
/// associated data) while the DH uses `E`'s real key: for twin encodings.
fn forge(
    rng: &mut StdRng,
    subtype: u8,
    recipient: &DeviceIdentityKey,
    claimed: &[u8; 64],
    s: &[u8; 32],
    inner: &[u8],
    e_pub_bytes: Option<[u8; 32]>,
) -> Vec<u8> {
    let e = SecretKey::generate(rng);
    let e1 = *e.diffie_hellman(recipient.agreement()).unwrap().expose();
    let e_pub = e_pub_bytes.unwrap_or_else(|| e.public_key().to_bytes());
    let k1 = okm1(&e1, &e_pub, recipient);
    let mut prefix = vec![0x1f, subtype];
    prefix.extend_from_slice(&e_pub);
    let layer1 = aead::seal(&key(&k1[32..64]), &nonce(&k1[64..76]), &prefix, claimed);
    let k2 = okm2(&k1, &layer1, s);
    let mut out = prefix;
    out.extend_from_slice(&layer1);
    let layer2 = aead::seal(&key(&k2[..32]), &nonce(&k2[32..44]), &out, inner);
    out.extend_from_slice(&layer2);
    out
}

/// What a recipient of a 0x02 envelope can compute with its own keys: the content key `K`.
fn unwrap_content_key(me: &DeviceIdentity, envelope: &[u8]) -> [u8; 32] {
    let e_pub: [u8; 32] = envelope[2..34].try_into().unwrap();
    let e1 = dh(me, &PublicKey::from_bytes(e_pub));
    let k1 = okm1(&e1, &e_pub, &me.public());
    let layer1 = &envelope[34..114];
    let sender = aead::open(
        &key(&k1[32..64]),
        &nonce(&k1[64..76]),
        &envelope[..34],
        layer1,
    )
    .unwrap();
    let s_x = PublicKey::from_bytes(sender[32..64].try_into().unwrap());
    let s = dh(me, &s_x);
    let k2 = okm2(&k1, layer1, &s);
    let mut ad = envelope[..114].to_vec();
    ad.extend_from_slice(&hash::sha512(&envelope[162..]));
    let k = aead::open(
        &key(&k2[..32]),
        &nonce(&k2[32..44]),
        &ad,
        &envelope[114..162],
    )
    .unwrap();
    k.try_into().unwrap()
}

fn recipient(account: u8, device_id: u32, who: &DeviceIdentity) -> Recipient {
    Recipient {
        account: AccountId::from_bytes([account; 16]),
        device_id,
        identity: who.public(),
    }
}

/// Alice's multi-recipient message to Bob (account 0xb0) and Carol (account 0xc0).
fn multi(f: &mut Fx, message: &[u8]) -> Vec<u8> {
    let mut cache = StaticCache::new();
    seal_multi(
        &f.alice,
        &mut cache,
        &f.alice_cert,
        &[recipient(0xb0, 1, &f.bob), recipient(0xc0, 1, &f.carol)],
        0x42,
        message,
        &mut f.rng,
    )
    .unwrap()
}

fn identity_with_x(ed_from: &DeviceIdentity, x: [u8; 32]) -> [u8; 64] {
    let mut b = ed_from.public().to_bytes();
    b[32..].copy_from_slice(&x);
    b
}

// ===================================================================== findings

/// FINDING 1 (fixed). `open_cached` looked the sender up in the static cache with the
/// identity that layer 1 carries, *before* layer 2 authenticates it. Layer 1 is
/// ephemeral-static: the relay can build it to any recipient, naming any identity it likes
/// (public keys only). On a cache hit the recipient skipped one X25519 agreement before
/// refusing at layer 2 (about 190 us against 270 us for a stranger, measured here), so the
/// relay, sending such probes and timing the recipient, could learn which devices the
/// recipient had recently exchanged sealed messages with. Fixed: opening never takes the
/// static secret from the cache. The regression test is deterministic (a timed test would be
/// flaky on a shared machine): `opening_never_takes_the_static_secret_from_the_cache` in
/// `crates/sotto-sealed/src/envelope/tests.rs` poisons the cache with a wrong secret for
/// the sender and shows that a genuine envelope still opens. Here, the probes themselves:
#[test]
fn probes_naming_a_cached_peer_or_a_stranger_are_refused_alike() {
    let mut f = fx(101);
    let mut cache = StaticCache::new();
    let genuine = f.alice_to_bob(1, b"hi");
    open_cached(&f.bob, &mut cache, &f.store, NOW, &genuine).unwrap();
    let junk = [0u8; 131];
    for named in [f.alice.public().to_bytes(), f.carol.public().to_bytes()] {
        let probe = forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &named,
            &[1; 32],
            &junk,
            None,
        );
        assert_eq!(
            reason(open_cached(&f.bob, &mut cache, &f.store, NOW, &probe)),
            OpenReason::Layer2
        );
    }
    assert_eq!(cache.len(), 1, "probes add nothing to the cache");
}

/// FINDING 2 (fixed). protocol.md 9.3 lists `seal`'s refusals as certificate mismatch, a message too
/// long to pad (SEAL-PAD-01), then an all-zero DH (SEAL-ENV-04), and section 1 says the first
/// listed failing check decides. `seal_cached` and `seal_multi` follow that order; `seal`
/// computes the static DH first, so for a too-long message to a small-order recipient it
/// reports `NonContributory` where `seal_cached` (and the document) say `Padding`.
#[test]
fn seal_and_seal_cached_refuse_in_the_documented_order() {
    let mut f = fx(102);
    let small_order = DeviceIdentityKey::from_bytes(&identity_with_x(&f.bob, [0; 32])).unwrap();
    let long = vec![0u8; padding::MAX_PADDED_LEN];
    let expected = SealError::Padding(PaddingError::TooLong {
        len: padding::MAX_PADDED_LEN,
    });
    let mut cache = StaticCache::new();
    let cached = seal_cached(
        &f.alice,
        &mut cache,
        &f.alice_cert,
        &small_order,
        0,
        &long,
        &mut f.rng,
    )
    .unwrap_err();
    assert_eq!(cached, expected);
    let plain = seal(&f.alice, &f.alice_cert, &small_order, 0, &long, &mut f.rng).unwrap_err();
    assert_eq!(plain, expected, "seal and seal_cached disagree");
}

/// FINDING 3 (fixed). `StaticCache::with_capacity` allocates the whole slot table up front and does
/// not bound `capacity`: a caller passing a large value (from a configuration file, say)
/// panics with "capacity overflow" (or, for merely huge values, aborts the process on
/// allocation failure). The secure behaviour: the capacity is clamped (the documentation
/// only promises "at least one").
#[test]
fn a_huge_cache_capacity_does_not_panic() {
    let r = std::panic::catch_unwind(|| StaticCache::with_capacity(usize::MAX).capacity());
    assert!(r.is_ok(), "with_capacity(usize::MAX) panicked");
}

/// FINDING 4 (informational, fixed: SEAL-ENV-04 now refuses it). `open` accepts an `E_pub` that is not canonical (its masked
/// top bit set, or `u + p`): it gives the same `e1` as its canonical twin. Only the holder of
/// `E` can build such an envelope (the salt and the associated data hold the bytes, so a
/// relay flipping the bit is refused, see `e_pub_small_order_and_twins`), so the impact is
/// malleability of the sender's own output: two wire encodings of one ephemeral key, which
/// breaks any de-duplication or logging keyed on `E_pub`, and is unlike HS-03, where every
/// received X25519 key must be canonical. protocol.md 9.3 says nothing either way. The
/// consistent behaviour: SEAL-ENV-04-like refusal of a non-canonical `E_pub`.
#[test]
fn a_non_canonical_e_pub_is_refused() {
    let mut f = fx(104);
    let s = dh(&f.alice, f.bob.public().agreement());
    let inner = inner(&f.alice_cert.compact(), b"twin");
    let e = SecretKey::generate(&mut f.rng);
    let mut twin = e.public_key().to_bytes();
    twin[31] |= 0x80;
    // forge() draws its own E: rebuild with this E's twin encoding by hand.
    let e1 = *e
        .diffie_hellman(f.bob.public().agreement())
        .unwrap()
        .expose();
    let k1 = okm1(&e1, &twin, &f.bob.public());
    let mut out = vec![0x1f, 0x01];
    out.extend_from_slice(&twin);
    let layer1 = aead::seal(
        &key(&k1[32..64]),
        &nonce(&k1[64..76]),
        &out,
        &f.alice.public().to_bytes(),
    );
    let k2 = okm2(&k1, &layer1, &s);
    out.extend_from_slice(&layer1);
    let layer2 = aead::seal(&key(&k2[..32]), &nonce(&k2[32..44]), &out, &inner);
    out.extend_from_slice(&layer2);
    assert!(!PublicKey::from_bytes(twin).is_canonical());
    let r = open(&f.bob, &f.store, NOW, &out);
    assert!(r.is_err(), "an envelope with a non-canonical E_pub opened");
}

// ============================================================ impersonation (refused)

/// A relay forges layer 1 naming Alice (it needs only Bob's public key) but cannot key
/// layer 2 without `DH(Alice, Bob)`: SEAL-ENV-07.
#[test]
fn a_relay_naming_alice_in_layer_1_fails_layer_2() {
    let mut f = fx(1);
    let compact = f.alice_cert.compact();
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &f.alice.public().to_bytes(),
        &[7; 32],
        &inner(&compact, b"pay mallory"),
        None,
    );
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &e)), OpenReason::Layer2);
    let mut cache = StaticCache::new();
    assert_eq!(
        reason(open_cached(&f.bob, &mut cache, &f.store, NOW, &e)),
        OpenReason::Layer2
    );
    assert!(cache.is_empty(), "a refused envelope entered the cache");
}

/// Mallory (a genuine sender) names Alice in layer 1 and keys layer 2 with her own static
/// secret `DH(Mallory, Bob)`: Bob computes `DH(Bob, Alice)`, SEAL-ENV-07.
#[test]
fn a_sender_naming_another_identity_with_its_own_static_key_fails_layer_2() {
    let mut f = fx(2);
    let s = dh(&f.mallory, f.bob.public().agreement());
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &f.alice.public().to_bytes(),
        &s,
        &inner(&f.alice_cert.compact(), b"x"),
        None,
    );
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &e)), OpenReason::Layer2);
}

/// Mallory authenticates as herself but carries Alice's compact certificate: rebuilt with
/// Mallory's identity it fails its signature (SEAL-ENV-09, SEAL-CERT-06).
#[test]
fn a_sender_carrying_another_senders_compact_certificate_fails_its_signature() {
    let mut f = fx(3);
    let s = dh(&f.mallory, f.bob.public().agreement());
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &f.mallory.public().to_bytes(),
        &s,
        &inner(&f.alice_cert.compact(), b"x"),
        None,
    );
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &e)),
        OpenReason::Certificate(CertificateError::Signature)
    );
    // Her own compact certificate with her own identity opens: the forge is correct.
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &f.mallory.public().to_bytes(),
        &s,
        &inner(&f.mallory_cert.compact(), b"x"),
        None,
    );
    let opened = open(&f.bob, &f.store, NOW, &e).unwrap();
    assert_eq!(
        opened.sender.account_id(),
        AccountId::from_bytes([0x66; 16])
    );
    assert_eq!(&opened.message[..], b"x");
}

/// Mixing halves: Alice's Ed25519 key with Mallory's X25519 key (Mallory can key layer 2)
/// and Alice's compact certificate, or Mallory's Ed25519 key with Mallory's certificate:
/// both rebuilt certificates fail their signature, which covers all 64 bytes.
#[test]
fn identities_mixing_halves_fail_the_certificate_signature() {
    let mut f = fx(4);
    let s = dh(&f.mallory, f.bob.public().agreement());
    let mixed = identity_with_x(&f.alice, f.mallory.public().agreement().to_bytes());
    for compact in [f.alice_cert.compact(), f.mallory_cert.compact()] {
        let e = forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &mixed,
            &s,
            &inner(&compact, b"x"),
            None,
        );
        assert_eq!(
            reason(open(&f.bob, &f.store, NOW, &e)),
            OpenReason::Certificate(CertificateError::Signature)
        );
    }
}

/// X25519 twins in the sender identity. An identity whose X25519 key is the base point 9
/// has `s = DH(Bob, 9) = Bob's public key`, so anyone can key layer 2 for it; its
/// non-canonical twin `9 + p` is refused by HS-03 (SEAL-ENV-06), and the canonical one
/// reaches the certificate check, where no certificate names it (SEAL-CERT-06).
#[test]
fn twin_and_public_discrete_log_sender_keys_are_refused() {
    let mut f = fx(5);
    let bob_x = f.bob.public().agreement().to_bytes();
    let mut nine = [0u8; 32];
    nine[0] = 9;
    // 9 + p = 2^255 - 10 = 0xf6, 0xff x 30, 0x7f.
    let mut nine_p = [0xffu8; 32];
    nine_p[0] = 0xf6;
    nine_p[31] = 0x7f;
    assert!(!PublicKey::from_bytes(nine_p).is_canonical());
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &identity_with_x(&f.mallory, nine_p),
        &bob_x,
        &inner(&f.mallory_cert.compact(), b"x"),
        None,
    );
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &e)),
        OpenReason::SenderIdentity
    );
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &identity_with_x(&f.mallory, nine),
        &bob_x,
        &inner(&f.mallory_cert.compact(), b"x"),
        None,
    );
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &e)),
        OpenReason::Certificate(CertificateError::Signature)
    );
    // The high-bit twin of a sender key (top bit set) is non-canonical: SEAL-ENV-06.
    let mut high = f.mallory.public().agreement().to_bytes();
    high[31] |= 0x80;
    let s = dh(&f.mallory, f.bob.public().agreement());
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &identity_with_x(&f.mallory, high),
        &s,
        &inner(&f.mallory_cert.compact(), b"x"),
        None,
    );
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &e)),
        OpenReason::SenderIdentity
    );
}

/// Small-order sender X25519 keys (0, 1, p - 1) make `s` all zero: SEAL-ENV-04.
#[test]
fn small_order_sender_keys_are_non_contributory() {
    let mut f = fx(6);
    let (one, minus_one) = (ONE, P_MINUS_ONE);
    for x in [[0u8; 32], one, minus_one] {
        let e = forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &identity_with_x(&f.mallory, x),
            &[0; 32],
            &inner(&f.mallory_cert.compact(), b"x"),
            None,
        );
        assert_eq!(
            reason(open(&f.bob, &f.store, NOW, &e)),
            OpenReason::NonContributory
        );
    }
}

/// Small-order and twin encodings of `E_pub` on the wire: small order (0, 1, p - 1, and
/// their non-canonical encodings p, p + 1) is SEAL-ENV-04; a relay flipping the masked top
/// bit of a genuine `E_pub` (same `e1`) changes the salt and the associated data: SEAL-ENV-05.
#[test]
fn e_pub_small_order_and_twins() {
    let mut f = fx(7);
    let (one, minus_one) = (ONE, P_MINUS_ONE);
    let mut p_plus_one = P;
    p_plus_one[0] = 0xee;
    // Small order and canonical: refused as non-contributory; p and p + 1 (twins of 0 and 1)
    // are not canonical and are refused before any DH.
    for (x, expected) in [
        ([0u8; 32], OpenReason::NonContributory),
        (one, OpenReason::NonContributory),
        (minus_one, OpenReason::NonContributory),
        (P, OpenReason::NonCanonicalEphemeral),
        (p_plus_one, OpenReason::NonCanonicalEphemeral),
    ] {
        let mut e = f.alice_to_bob(0, b"x");
        e[2..34].copy_from_slice(&x);
        assert_eq!(reason(open(&f.bob, &f.store, NOW, &e)), expected);
    }
    let mut e = f.alice_to_bob(0, b"x");
    // The relay flips the top bit of a genuine E_pub: a twin encoding, refused as such (it
    // would fail layer 1 anyway: E_pub is in the salt and the associated data).
    e[33] ^= 0x80;
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &e)),
        if e[33] & 0x80 == 0 {
            OpenReason::Layer1
        } else {
            OpenReason::NonCanonicalEphemeral
        }
    );
}

// ================================================ cross-subtype and transplants (refused)

#[test]
fn subtype_relabelling_is_refused() {
    let mut f = fx(8);
    let single = f.alice_to_bob(0, b"x");
    let sent = multi(&mut f, b"x");
    let parsed = SentEnvelope::parse(&sent).unwrap();
    let to_bob = parsed.envelope(0).unwrap();
    assert!(open(&f.bob, &f.store, NOW, &to_bob).is_ok());
    // 0x02 as 0x01: the subtype is in layer 1's associated data.
    let mut e = to_bob.clone();
    e[1] = 0x01;
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &e)), OpenReason::Layer1);
    // 0x01 as 0x02 (padded to 0x02's minimum length if needed).
    let mut e = single.clone();
    e[1] = 0x02;
    e.resize(e.len().max(MULTI_MIN_LEN), 0);
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &e)), OpenReason::Layer1);
    // The relay's form 0x03 is never opened.
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &sent)),
        OpenReason::WrongSubtype
    );
    // A single envelope relabelled 0x03 and handed to the relay is refused or split into
    // envelopes no one opens.
    let mut e = single;
    e[1] = 0x03;
    if let Ok(p) = SentEnvelope::parse(&e) {
        for d in p.split() {
            assert!(open(&f.bob, &f.store, NOW, &d.envelope).is_err());
        }
    }
}

/// A relay splicing the entries, the E_pub and the contents of two different sent
/// messages: every combination other than the genuine one is refused.
#[test]
fn recombining_two_sent_messages_is_refused() {
    let mut f = fx(9);
    let m1 = multi(&mut f, b"first");
    let m2 = multi(&mut f, b"second, longer than the first one by a bit");
    let (p1, p2) = (
        SentEnvelope::parse(&m1).unwrap(),
        SentEnvelope::parse(&m2).unwrap(),
    );
    let (e1, e2) = (p1.envelope(0).unwrap(), p2.envelope(0).unwrap());
    // E_pub and entry of m1, content of m2: the wrap binds the content's hash.
    let mut x = e1[..162].to_vec();
    x.extend_from_slice(&e2[162..]);
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &x)), OpenReason::Layer2);
    // E_pub of m2, entry and content of m1: layer 1 binds E_pub.
    let mut x = e1.clone();
    x[2..34].copy_from_slice(&e2[2..34]);
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &x)), OpenReason::Layer1);
    // layer 1 of m1, wrap of m2.
    let mut x = e2.clone();
    x[34..114].copy_from_slice(&e1[34..114]);
    x[2..34].copy_from_slice(&e1[2..34]);
    assert_eq!(reason(open(&f.bob, &f.store, NOW, &x)), OpenReason::Layer2);
    // Bob's entry delivered to Carol: not hers.
    assert_eq!(
        reason(open(&f.carol, &f.store, NOW, &e1)),
        OpenReason::Layer1
    );
    // An entry moved in the sent form under another address still reaches only its owner.
    let mut swapped = m1.clone();
    let (a, b) = (36, 36 + 148);
    let bob_entry = m1[a + 20..a + 148].to_vec();
    let carol_entry = m1[b + 20..b + 148].to_vec();
    swapped[a + 20..a + 148].copy_from_slice(&carol_entry);
    swapped[b + 20..b + 148].copy_from_slice(&bob_entry);
    let p = SentEnvelope::parse(&swapped).unwrap();
    assert!(open(&f.bob, &f.store, NOW, &p.envelope(0).unwrap()).is_err());
    assert!(open(&f.carol, &f.store, NOW, &p.envelope(1).unwrap()).is_err());
    assert!(open(&f.bob, &f.store, NOW, &p.envelope(1).unwrap()).is_ok());
}

/// Bob, a co-recipient, derives `K` from his own envelope and encrypts new content (with
/// Alice's genuine compact certificate) under it: Carol's wrap binds the hash of the
/// original content, SEAL-ENV-07. Keeping the original content but rewriting the wrap
/// needs Carol's `key2`.
#[test]
fn a_co_recipient_knowing_the_content_key_cannot_forge_content_to_others() {
    let mut f = fx(10);
    let sent = multi(&mut f, b"meet at noon");
    let p = SentEnvelope::parse(&sent).unwrap();
    let (to_bob, to_carol) = (p.envelope(0).unwrap(), p.envelope(1).unwrap());
    let k = unwrap_content_key(&f.bob, &to_bob);
    let old = aead::open(&key(&k), &[0; 12], &to_bob[..34], &to_bob[162..]).unwrap();
    assert_eq!(&old[1..99], &f.alice_cert.compact()[..]);
    let mut forged_inner = old[..99].to_vec();
    forged_inner.extend_from_slice(&padding::pad(b"meet at ten").unwrap());
    let forged_ct = aead::seal(&key(&k), &[0; 12], &to_carol[..34], &forged_inner);
    assert_eq!(forged_ct.len(), to_carol.len() - 162);
    let mut forged = to_carol[..162].to_vec();
    forged.extend_from_slice(&forged_ct);
    assert_eq!(
        reason(open(&f.carol, &f.store, NOW, &forged)),
        OpenReason::Layer2
    );
    // Bob's own copy with the forged content is refused too.
    let mut forged = to_bob[..162].to_vec();
    forged.extend_from_slice(&aead::seal(
        &key(&k),
        &[0; 12],
        &to_bob[..34],
        &forged_inner,
    ));
    assert_eq!(
        reason(open(&f.bob, &f.store, NOW, &forged)),
        OpenReason::Layer2
    );
    // Bob cannot turn what he knows into a single-recipient envelope to Carol from Alice:
    // layer 2 needs DH(Alice, Carol).
    let e = forge(
        &mut f.rng,
        0x01,
        &f.carol.public(),
        &f.alice.public().to_bytes(),
        &k,
        &forged_inner,
        None,
    );
    assert_eq!(
        reason(open(&f.carol, &f.store, NOW, &e)),
        OpenReason::Layer2
    );
}

/// What a recipient learns: every envelope has the same length, holds no address, and is
/// exactly `0x1f 0x02 E_pub || own entry || content`.
#[test]
fn a_recipient_learns_nothing_of_the_other_recipients() {
    let mut f = fx(11);
    let mut cache = StaticCache::new();
    let dave = DeviceIdentity::generate(&mut f.rng);
    let sent = seal_multi(
        &f.alice,
        &mut cache,
        &f.alice_cert,
        &[
            recipient(0xb0, 1, &f.bob),
            recipient(0xc0, 1, &f.carol),
            recipient(0xd0, 9, &dave),
        ],
        1,
        b"x",
        &mut f.rng,
    )
    .unwrap();
    let p = SentEnvelope::parse(&sent).unwrap();
    let two = multi(&mut f, b"x");
    let len_two = SentEnvelope::parse(&two)
        .unwrap()
        .envelope(0)
        .unwrap()
        .len();
    for (i, d) in p.split().iter().enumerate() {
        assert_eq!(d.envelope.len(), len_two, "length depends on the count");
        for a in [0xb0u8, 0xc0, 0xd0] {
            assert!(!d.envelope.windows(16).any(|w| w == [a; 16]));
        }
        assert_eq!(
            d.envelope[34..162],
            sent[36 + 148 * i + 20..36 + 148 * (i + 1)]
        );
    }
}

// ========================================================================= relay parse

#[test]
fn relay_parse_refusals_and_bounds() {
    let mut f = fx(12);
    let sent = multi(&mut f, b"x");
    assert_eq!(
        SentEnvelope::parse(&[]).unwrap_err(),
        SplitError::WrongTag(0)
    );
    assert_eq!(
        SentEnvelope::parse(&[0x1f]).unwrap_err(),
        SplitError::WrongSubtype(0)
    );
    assert_eq!(
        SentEnvelope::parse(&[0x1f, 0x03]).unwrap_err(),
        SplitError::RecipientCount(0)
    );
    let mut x = sent.clone();
    x[34..36].copy_from_slice(&1025u16.to_be_bytes());
    assert_eq!(
        SentEnvelope::parse(&x).unwrap_err(),
        SplitError::RecipientCount(1025)
    );
    let mut x = sent.clone();
    x[34..36].copy_from_slice(&u16::MAX.to_be_bytes());
    assert_eq!(
        SentEnvelope::parse(&x).unwrap_err(),
        SplitError::RecipientCount(65535)
    );
    // Entries swapped: out of order.
    let mut x = sent.clone();
    let first = sent[36..184].to_vec();
    let second = sent[184..332].to_vec();
    x[36..184].copy_from_slice(&second);
    x[184..332].copy_from_slice(&first);
    assert_eq!(
        SentEnvelope::parse(&x).unwrap_err(),
        SplitError::Order { index: 1 }
    );
    // The same entry twice.
    let mut x = sent.clone();
    x[184..332].copy_from_slice(&first);
    assert_eq!(
        SentEnvelope::parse(&x).unwrap_err(),
        SplitError::Order { index: 1 }
    );
    // Every truncation: no panic, and only the full message parses.
    for n in 0..sent.len() {
        let _ = SentEnvelope::parse(&sent[..n]).map(|p| p.split());
    }
    let p = SentEnvelope::parse(&sent).unwrap();
    assert!(p.envelope(usize::MAX).is_none());
    assert!(p.recipient(usize::MAX).is_none());
    assert!(p.envelope(2).is_none());
    assert_eq!(p.recipients().count(), 2);
    // The sender refuses duplicates and empty lists.
    let mut cache = StaticCache::new();
    let r = recipient(0xb0, 1, &f.bob);
    assert_eq!(
        seal_multi(
            &f.alice,
            &mut cache,
            &f.alice_cert,
            &[r, r],
            0,
            b"x",
            &mut f.rng
        )
        .unwrap_err(),
        SealError::DuplicateRecipient
    );
    assert_eq!(
        seal_multi(
            &f.alice,
            &mut cache,
            &f.alice_cert,
            &[],
            0,
            b"x",
            &mut f.rng
        )
        .unwrap_err(),
        SealError::RecipientCount
    );
    assert_eq!(
        seal_multi(
            &f.mallory,
            &mut cache,
            &f.alice_cert,
            &[r],
            0,
            b"x",
            &mut f.rng
        )
        .unwrap_err(),
        SealError::CertificateMismatch
    );
}

// ===================================================================== static cache

/// The memo skips only the signature: another store without the key id, a revoked id, a
/// revoked-then-re-added id, expired windows, and a store with another key under the same id
/// are each refused with their reason, exactly as a cacheless open refuses them.
#[test]
fn the_certificate_memo_cannot_be_replayed_into_other_stores_or_times() {
    let mut f = fx(13);
    let mut cache = StaticCache::new();
    let e = f.alice_to_bob(0, b"x");
    open_cached(&f.bob, &mut cache, &f.store, NOW, &e).unwrap();
    let check = |cache: &mut StaticCache, store: &CertificateStore, now: u64, want| {
        assert_eq!(reason(open(&f.bob, store, now, &e)), want);
        assert_eq!(reason(open_cached(&f.bob, cache, store, now, &e)), want);
    };
    let empty = CertificateStore::new(f.root.public());
    check(
        &mut cache,
        &empty,
        NOW,
        OpenReason::Certificate(CertificateError::UnknownServerKey(7)),
    );
    let mut revoked = f.store.clone();
    revoked.revoke(7);
    revoked
        .add(f.store.get(7).unwrap().as_bytes().to_vec().as_slice())
        .unwrap();
    assert!(revoked.is_revoked(7), "re-adding must not un-revoke");
    check(
        &mut cache,
        &revoked,
        NOW,
        OpenReason::Certificate(CertificateError::Revoked(7)),
    );
    check(
        &mut cache,
        &f.store,
        NOT_BEFORE - 1,
        OpenReason::Certificate(CertificateError::ServerCertificateNotYetValid),
    );
    check(
        &mut cache,
        &f.store,
        NOT_AFTER + 1,
        OpenReason::Certificate(CertificateError::ServerCertificateExpired),
    );
    check(
        &mut cache,
        &f.store,
        EXPIRES + 1,
        OpenReason::Certificate(CertificateError::Expired),
    );
    // Same id, another key, under another root.
    let root2 = TrustRootKey::generate(&mut f.rng);
    let server2 = ServerKey::generate(7, &mut f.rng);
    let mut other = CertificateStore::new(root2.public());
    other
        .add(
            root2
                .certify(7, &server2.public(), NOT_BEFORE, NOT_AFTER)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    check(
        &mut cache,
        &other,
        NOW,
        OpenReason::Certificate(CertificateError::Signature),
    );
    // Same key under a new id (key id 8) in another store: the certificate names 7.
    let mut renamed = CertificateStore::new(f.root.public());
    renamed
        .add(
            f.root
                .certify(8, &f.server.public(), NOT_BEFORE, NOT_AFTER)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    check(
        &mut cache,
        &renamed,
        NOW,
        OpenReason::Certificate(CertificateError::UnknownServerKey(7)),
    );
    // And the genuine envelope still opens warm at the boundaries.
    for now in [NOT_BEFORE, EXPIRES] {
        assert!(open_cached(&f.bob, &mut cache, &f.store, now, &e).is_ok());
    }
}

/// A memo of one peer never serves another: Mallory's envelope carrying Alice's exact
/// certificate bytes is rebuilt with Mallory's identity, so it is not the memo's bytes.
/// And the memo follows the cache owner: used by Carol, Bob's cache empties first.
#[test]
fn the_memo_is_per_peer_and_per_owner() {
    let mut f = fx(14);
    let mut cache = StaticCache::new();
    let e = f.alice_to_bob(0, b"x");
    open_cached(&f.bob, &mut cache, &f.store, NOW, &e).unwrap();
    let s = dh(&f.mallory, f.bob.public().agreement());
    let forged = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &f.mallory.public().to_bytes(),
        &s,
        &inner(&f.alice_cert.compact(), b"x"),
        None,
    );
    assert_eq!(
        reason(open_cached(&f.bob, &mut cache, &f.store, NOW, &forged)),
        OpenReason::Certificate(CertificateError::Signature)
    );
    assert_eq!(cache.len(), 1);
    // Carol uses Bob's cache: it empties, and Bob's secret with Alice does not serve her.
    let to_carol = seal(
        &f.alice,
        &f.alice_cert,
        &f.carol.public(),
        0,
        b"y",
        &mut f.rng,
    )
    .unwrap();
    assert_eq!(
        reason(open_cached(&f.carol, &mut cache, &f.store, NOW, &e)),
        OpenReason::Layer1
    );
    // (Refused before the cache is consulted, so it is untouched.)
    assert_eq!(cache.len(), 1);
    assert_eq!(
        &open_cached(&f.carol, &mut cache, &f.store, NOW, &to_carol)
            .unwrap()
            .message[..],
        b"y"
    );
    // Bob's entry is gone: only Carol's with Alice.
    assert_eq!(cache.len(), 1);
    // Bob again: Carol's entries are gone, Bob opens by computing.
    assert!(open_cached(&f.bob, &mut cache, &f.store, NOW, &e).is_ok());
    assert_eq!(cache.len(), 1);
}

/// Refused envelopes (any reason up to the padding) never enter the cache; its bound
/// holds, the oldest peer is evicted, and an evicted peer still opens.
#[test]
fn the_cache_cannot_be_flushed_by_refused_envelopes_and_stays_bounded() {
    let mut f = fx(15);
    let mut cache = StaticCache::with_capacity(2);
    let e = f.alice_to_bob(0, b"x");
    open_cached(&f.bob, &mut cache, &f.store, NOW, &e).unwrap();
    // Mallory, genuine layer 2, bad padding; with a certificate refused; junk names.
    let s = dh(&f.mallory, f.bob.public().agreement());
    let mut bad_pad = vec![0x42];
    bad_pad.extend_from_slice(&f.mallory_cert.compact());
    bad_pad.extend_from_slice(&[0u8; 32]);
    let refused = [
        forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &f.mallory.public().to_bytes(),
            &s,
            &bad_pad,
            None,
        ),
        forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &f.mallory.public().to_bytes(),
            &s,
            &inner(&f.alice_cert.compact(), b"x"),
            None,
        ),
    ];
    for r in &refused {
        assert!(open_cached(&f.bob, &mut cache, &f.store, NOW, r).is_err());
    }
    for _ in 0..10 {
        let stranger = DeviceIdentity::generate(&mut f.rng);
        let p = forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &stranger.public().to_bytes(),
            &dh(&stranger, f.bob.public().agreement()),
            &inner(&f.mallory_cert.compact(), b"x"),
            None,
        );
        assert!(open_cached(&f.bob, &mut cache, &f.store, NOW, &p).is_err());
    }
    assert_eq!(cache.len(), 1);
    // Genuine Mallory and then Carol (with her own certificate): the bound holds.
    let carol_cert = f.server.issue(
        AccountId::from_bytes([0xc0; 16]),
        1,
        &f.carol.public(),
        EXPIRES,
    );
    for (who, cert) in [(&f.mallory, &f.mallory_cert), (&f.carol, &carol_cert)] {
        let e = seal(who, cert, &f.bob.public(), 0, b"x", &mut f.rng).unwrap();
        open_cached(&f.bob, &mut cache, &f.store, NOW, &e).unwrap();
        assert!(cache.len() <= 2);
    }
    assert_eq!(cache.len(), 2);
    // Alice (evicted) still opens correctly.
    assert_eq!(
        &open_cached(&f.bob, &mut cache, &f.store, NOW, &e)
            .unwrap()
            .message[..],
        b"x"
    );
    assert_eq!(StaticCache::with_capacity(0).capacity(), 1);
    assert_eq!(
        format!("{cache:?}"),
        "StaticCache { len: 2, capacity: 2, .. }"
    );
}

/// `seal_cached` / `seal_multi` put a recipient into the cache with no memo; a later
/// envelope *from* that peer is still verified in full (a forged signature is refused).
#[test]
fn a_secret_cached_by_sealing_gives_no_certificate_memo() {
    let mut f = fx(16);
    let mut cache = StaticCache::new();
    // Bob seals to Mallory first: the cache holds DH(Bob, Mallory), no memo.
    let bob_cert = f.server.issue(
        AccountId::from_bytes([0xb0; 16]),
        1,
        &f.bob.public(),
        EXPIRES,
    );
    seal_cached(
        &f.bob,
        &mut cache,
        &bob_cert,
        &f.mallory.public(),
        0,
        b"x",
        &mut f.rng,
    )
    .unwrap();
    // Mallory sends with a certificate whose expiry she edited: full verification.
    let mut edited = f.mallory_cert.as_bytes().to_vec();
    edited[93] ^= 0xff;
    let edited = SenderCertificate::from_bytes(&edited).unwrap();
    let s = dh(&f.mallory, f.bob.public().agreement());
    let e = forge(
        &mut f.rng,
        0x01,
        &f.bob.public(),
        &f.mallory.public().to_bytes(),
        &s,
        &inner(&edited.compact(), b"x"),
        None,
    );
    assert_eq!(
        reason(open_cached(&f.bob, &mut cache, &f.store, NOW, &e)),
        OpenReason::Certificate(CertificateError::Signature)
    );
}

// ===================================================================== certificates

#[test]
fn certificate_validity_edges() {
    let mut f = fx(17);
    assert_eq!(
        f.root.certify(9, &f.server.public(), 2, 1).unwrap_err(),
        CertificateError::InvertedWindow
    );
    // A one-second window at the very end of time, and a sender certificate expiring then.
    let server = ServerKey::generate(9, &mut f.rng);
    let mut store = CertificateStore::new(f.root.public());
    store
        .add(
            f.root
                .certify(9, &server.public(), u64::MAX, u64::MAX)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let cert = server.issue(
        AccountId::from_bytes([1; 16]),
        0,
        &f.alice.public(),
        u64::MAX,
    );
    assert!(cert.verify(&store, u64::MAX).is_ok());
    assert_eq!(
        cert.verify(&store, u64::MAX - 1).unwrap_err(),
        CertificateError::ServerCertificateNotYetValid
    );
    // An id revoked before its certificate is held stays revoked once it is added.
    let mut early = CertificateStore::new(f.root.public());
    early.revoke(9);
    early
        .add(
            f.root
                .certify(9, &server.public(), u64::MAX, u64::MAX)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    assert_eq!(
        cert.verify(&early, u64::MAX).unwrap_err(),
        CertificateError::Revoked(9)
    );
    // Expiry 0, boundaries of the fixture store.
    let old = f
        .server
        .issue(AccountId::from_bytes([1; 16]), 0, &f.alice.public(), 0);
    assert_eq!(
        old.verify(&f.store, NOW).unwrap_err(),
        CertificateError::Expired
    );
    assert!(f.alice_cert.verify(&f.store, EXPIRES).is_ok());
    assert_eq!(
        f.alice_cert.verify(&f.store, EXPIRES + 1).unwrap_err(),
        CertificateError::Expired
    );
    assert!(f.alice_cert.verify(&f.store, NOT_BEFORE).is_ok());
    // Key id reuse: another certificate for a held id is refused, the store unchanged.
    let held = f.store.get(7).unwrap().clone();
    let other = ServerKey::generate(7, &mut f.rng);
    let swap = f
        .root
        .certify(7, &other.public(), NOT_BEFORE, NOT_AFTER)
        .unwrap();
    assert_eq!(
        f.store.add(swap.as_bytes()).unwrap_err(),
        CertificateError::ConflictingServerCertificate(7)
    );
    assert_eq!(f.store.get(7).unwrap(), &held);
    // The same key re-certified with a longer window under the same id: also refused.
    let longer = f
        .root
        .certify(7, &f.server.public(), NOT_BEFORE, u64::MAX)
        .unwrap();
    assert_eq!(
        f.store.add(longer.as_bytes()).unwrap_err(),
        CertificateError::ConflictingServerCertificate(7)
    );
    // An inverted window forged by editing signed bytes is caught before the signature.
    let mut inverted = held.as_bytes().to_vec();
    inverted[38..46].copy_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(
        ServerCertificate::from_bytes(&inverted, f.store.root()).unwrap_err(),
        CertificateError::InvertedWindow
    );
}

/// A small-order trust root (the identity point) or a small-order server key, with the
/// trivial signature `R = identity, S = 0` that a cofactored or non-strict verifier would
/// accept for any message: strict verification refuses both (SEAL-CERT-06).
#[test]
fn small_order_keys_sign_nothing() {
    let mut f = fx(18);
    let mut identity_point = [0u8; 32];
    identity_point[0] = 1;
    let mut trivial = [0u8; 64];
    trivial[0] = 1;
    let root = TrustRoot::from_bytes(&identity_point).unwrap();
    let mut server_cert = vec![0x1e, 0x01, 0, 0, 0, 7];
    server_cert.extend_from_slice(&f.server.public().to_bytes());
    server_cert.extend_from_slice(&0u64.to_be_bytes());
    server_cert.extend_from_slice(&u64::MAX.to_be_bytes());
    server_cert.extend_from_slice(&trivial);
    assert_eq!(
        ServerCertificate::from_bytes(&server_cert, &root).unwrap_err(),
        CertificateError::Signature
    );
    // The genuine root certifies a small-order server key (a compromised issuer): the
    // trivial signature on a sender certificate still does not verify.
    let weak = sotto_crypto::ed25519::VerifyingKey::from_bytes(&identity_point).unwrap();
    let mut store = CertificateStore::new(f.root.public());
    store
        .add(f.root.certify(3, &weak, 0, u64::MAX).unwrap().as_bytes())
        .unwrap();
    let mut cert = vec![0x1e, 0x02];
    cert.extend_from_slice(&[0xa1; 16]);
    cert.extend_from_slice(&1u32.to_be_bytes());
    cert.extend_from_slice(&f.alice.public().to_bytes());
    cert.extend_from_slice(&u64::MAX.to_be_bytes());
    cert.extend_from_slice(&3u32.to_be_bytes());
    cert.extend_from_slice(&trivial);
    let cert = SenderCertificate::from_bytes(&cert).unwrap();
    assert_eq!(
        cert.verify(&store, NOW).unwrap_err(),
        CertificateError::Signature
    );
    let _ = &mut f.rng;
}

/// A signature made with the wrong label (server label on a sender certificate) or over
/// the compact bytes instead of the full ones does not verify.
#[test]
fn signatures_over_the_wrong_message_are_refused() {
    let mut f = fx(19);
    let signer =
        sotto_crypto::ed25519::SigningKey::from_seed(SecretBytes::new(*f.server.expose_seed()));
    let body = &f.alice_cert.as_bytes()[..98];
    let mut compact_body = body[..22].to_vec();
    compact_body.extend_from_slice(&body[86..]);
    for msg in [
        [sotto_crypto::labels::SEALED_SERVER_CERTIFICATE, body].concat(),
        [SEALED_SENDER_CERTIFICATE, &compact_body[..]].concat(),
        body.to_vec(),
    ] {
        let mut c = body.to_vec();
        c.extend_from_slice(&signer.sign(&msg).to_bytes());
        let c = SenderCertificate::from_bytes(&c).unwrap();
        assert_eq!(
            c.verify(&f.store, NOW).unwrap_err(),
            CertificateError::Signature
        );
    }
    let _ = &mut f.rng;
}

// ===================================================================== panics, leaks

/// Arbitrary and boundary inputs to every decoder: no panic.
#[test]
fn no_input_panics() {
    let mut f = fx(20);
    let mut cache = StaticCache::new();
    let genuine = f.alice_to_bob(0, b"x");
    let sent = multi(&mut f, b"x");
    let split = SentEnvelope::parse(&sent).unwrap().envelope(0).unwrap();
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for base in [&genuine, &sent, &split] {
        for n in [
            0,
            1,
            2,
            33,
            34,
            113,
            114,
            161,
            162,
            212,
            MIN_LEN - 1,
            MIN_LEN,
            base.len(),
        ] {
            inputs.push(base[..n.min(base.len())].to_vec());
        }
        let mut long = base.clone();
        long.push(0);
        inputs.push(long);
    }
    for sub in 0..=255u8 {
        let mut x = genuine.clone();
        x[1] = sub;
        inputs.push(x);
    }
    inputs.push(vec![0x1f, 0x02]);
    inputs.push([vec![0x1f, 0x02], vec![0; MULTI_MIN_LEN - 2]].concat());
    inputs.push([vec![0x1f, 0x03], vec![0xff; 400]].concat());
    for x in &inputs {
        let _ = open(&f.bob, &f.store, NOW, x);
        let _ = open(&f.bob, &f.store, u64::MAX, x);
        let _ = open(&f.bob, &f.store, 0, x);
        let _ = open_cached(&f.bob, &mut cache, &f.store, NOW, x);
        if let Ok(p) = SentEnvelope::parse(x) {
            let _ = p.split();
            let _ = p.recipients().count();
        }
        let _ = padding::unpad(x);
        let _ = SenderCertificate::from_bytes(x);
        let _ = ServerCertificate::from_bytes(x, f.store.root());
    }
    for b in [0x00u8, 0x80, 0xff] {
        let _ = SenderCertificate::from_compact(&[b; 98], &[b; 64]);
        for n in [0usize, 1, 31, 32, 33, 256, 257, 272, 65536] {
            let _ = padding::unpad(&vec![b; n]);
        }
    }
    assert_eq!(
        padding::unpad(&[]),
        Err(PaddingError::NotABucket { len: 0 })
    );
    assert_eq!(padding::unpad(&[0; 32]), Err(PaddingError::NoBoundary));
    assert!(padding::padded_len(usize::MAX).is_err());
    assert!(padding::pad(&vec![0; padding::MAX_UNPADDED_LEN]).is_ok());
}

/// One opaque error: Display and Debug are the same for every reason; Opened's Debug
/// prints the message's length, not its bytes.
#[test]
fn errors_and_debug_leak_nothing() {
    let mut f = fx(21);
    let e = f.alice_to_bob(0, b"secret words");
    let mut seen = Vec::new();
    for i in [0usize, 1, 5, 50, 120, 200, e.len() - 1] {
        let mut x = e.clone();
        x[i] ^= 1;
        let err = open(&f.bob, &f.store, NOW, &x).unwrap_err();
        assert_eq!(err.to_string(), "sealed envelope refused");
        assert_eq!(format!("{err:?}"), "OpenError(..)");
        seen.push(err.reason().id());
    }
    let err = open(&f.bob, &f.store, EXPIRES + 1, &e).unwrap_err();
    assert_eq!(
        format!("{err:?} {err}"),
        "OpenError(..) sealed envelope refused"
    );
    assert!(seen.len() > 3);
    let opened = open(&f.bob, &f.store, NOW, &e).unwrap();
    let d = format!("{opened:?}");
    assert!(!d.contains("secret"));
    assert!(d.contains("message_len: 12"));
}

/// The cache's wiping claim: a secret evicted (slot overwritten in place), cleared by an
/// owner switch, or dropped with the cache leaves no copy in the process's writable memory
/// (the scanner of `memory_wipe.rs`; the current thread's stack is not scanned). The sanity
/// check first finds the secret while the cache holds it.
#[cfg(target_os = "linux")]
#[test]
fn the_cache_leaves_no_copy_of_an_evicted_cleared_or_dropped_secret() {
    use sotto_tests::memory_scan::{Needle, count};
    let mut f = fx(31);
    let mut k = dh(&f.bob, f.alice.public().agreement());
    let alice_needle = Needle::take(&mut k);
    let mut k = dh(&f.bob, f.mallory.public().agreement());
    let mallory_needle = Needle::take(&mut k);
    let mut cache = Box::new(StaticCache::with_capacity(1));
    let from_alice = f.alice_to_bob(0, b"a");
    drop(open_cached(&f.bob, &mut cache, &f.store, NOW, &from_alice).unwrap());
    assert!(
        count(&[&alice_needle])[0] >= 1,
        "scanner sanity: the cached secret is found"
    );
    // Eviction: capacity 1, Mallory's secret takes Alice's slot.
    let from_mallory = seal(
        &f.mallory,
        &f.mallory_cert,
        &f.bob.public(),
        0,
        b"m",
        &mut f.rng,
    )
    .unwrap();
    drop(open_cached(&f.bob, &mut cache, &f.store, NOW, &from_mallory).unwrap());
    assert_eq!(count(&[&alice_needle])[0], 0, "an evicted secret lingers");
    assert!(count(&[&mallory_needle])[0] >= 1);
    // Owner switch: Carol uses the cache, Bob's secrets are wiped.
    let to_carol = seal(
        &f.alice,
        &f.alice_cert,
        &f.carol.public(),
        0,
        b"c",
        &mut f.rng,
    )
    .unwrap();
    drop(open_cached(&f.carol, &mut cache, &f.store, NOW, &to_carol).unwrap());
    assert_eq!(count(&[&mallory_needle])[0], 0, "a cleared secret lingers");
    drop(cache);
}

/// A non-canonical Ed25519 encoding in layer 1's identity (the identity point's `y = 1`
/// written as `1 + p`, and the sign bit set on `y = 1`): refused, either by HS-03's decoding
/// (SEAL-ENV-06) or, if it decodes, by the certificate signature over other bytes.
#[test]
fn non_canonical_ed25519_halves_in_layer_1_are_refused() {
    let mut f = fx(32);
    let s = dh(&f.mallory, f.bob.public().agreement());
    let mut one_plus_p = P;
    one_plus_p[0] = 0xee;
    let mut signed_one = [0u8; 32];
    signed_one[0] = 1;
    signed_one[31] = 0x80;
    // And Mallory's own key with the sign bit flipped (another point, or none).
    let mut flipped = f.mallory.public().signing().to_bytes();
    flipped[31] ^= 0x80;
    for ed in [one_plus_p, signed_one, flipped] {
        let mut claimed = f.mallory.public().to_bytes();
        claimed[..32].copy_from_slice(&ed);
        let e = forge(
            &mut f.rng,
            0x01,
            &f.bob.public(),
            &claimed,
            &s,
            &inner(&f.mallory_cert.compact(), b"x"),
            None,
        );
        let r = reason(open(&f.bob, &f.store, NOW, &e));
        assert!(
            r == OpenReason::SenderIdentity
                || r == OpenReason::Certificate(CertificateError::Signature),
            "{r:?}"
        );
    }
}
