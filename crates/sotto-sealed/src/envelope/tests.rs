//! Unit tests of the single-recipient envelope: round trip, every refusal with its validation
//! ID (SEAL-ENV-01 to SEAL-ENV-10 but 08, which is multi-recipient only and tested in
//! `multi/tests.rs`), every byte flipped, truncation and trailing bytes, one opaque error,
//! the static cache, redaction.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_devices::AccountId;

use super::*;
use crate::certificate::{CertificateStore, ServerKey, TrustRootKey};

const NOT_BEFORE: u64 = 1_764_000_000;
const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;
const EXPIRES: u64 = NOT_BEFORE + 86_400;
const NOW: u64 = NOT_BEFORE + 3_600;
const ALICE_ACCOUNT: [u8; 16] = [0xa1; 16];

struct Fixture {
    rng: StdRng,
    server: ServerKey,
    store: CertificateStore,
    alice: DeviceIdentity,
    alice_cert: SenderCertificate,
    bob: DeviceIdentity,
}

fn fixture(seed: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let root = TrustRootKey::generate(&mut rng);
    let server = ServerKey::generate(7, &mut rng);
    let server_certificate = root
        .certify(7, &server.public(), NOT_BEFORE, NOT_AFTER)
        .unwrap();
    let mut store = CertificateStore::new(root.public());
    store.add(server_certificate.as_bytes()).unwrap();
    let alice = DeviceIdentity::generate(&mut rng);
    let bob = DeviceIdentity::generate(&mut rng);
    let alice_cert = server.issue(
        AccountId::from_bytes(ALICE_ACCOUNT),
        3,
        &alice.public(),
        EXPIRES,
    );
    Fixture {
        rng,
        server,
        store,
        alice,
        alice_cert,
        bob,
    }
}

impl Fixture {
    fn seal(&mut self, message: &[u8]) -> Vec<u8> {
        seal(
            &self.alice,
            &self.alice_cert,
            &self.bob.public(),
            0x42,
            message,
            &mut self.rng,
        )
        .unwrap()
    }

    fn open(&self, bytes: &[u8]) -> Result<Opened, OpenError> {
        open(&self.bob, &self.store, NOW, bytes)
    }

    fn reason(&self, bytes: &[u8]) -> OpenReason {
        self.open(bytes).unwrap_err().reason()
    }

    /// Both layers from Alice to Bob around a layer-2 plaintext of the test's choosing, with
    /// `layer1` as layer 1's plaintext.
    fn raw(&mut self, layer1: &[u8; 64], inner: &[u8]) -> Vec<u8> {
        let s = self
            .alice
            .agreement_key()
            .diffie_hellman(self.bob.public().agreement())
            .unwrap();
        let ephemeral = EphemeralSecret::generate(&mut self.rng);
        seal_raw(layer1, s.expose(), &self.bob.public(), inner, ephemeral).unwrap()
    }

    /// A well-formed layer-2 plaintext with Alice's certificate and `padded` as it stands.
    fn inner(&self, padded: &[u8]) -> Vec<u8> {
        let mut inner = vec![0x42];
        inner.extend_from_slice(&self.alice_cert.compact());
        inner.extend_from_slice(padded);
        inner
    }

    /// An envelope to Bob whose layer 1 carries `layer1`, whose static secret is `signer`'s
    /// with Bob, and whose layer 2 holds `certificate`'s compact form and `message`.
    fn forge(
        &mut self,
        layer1: &[u8; 64],
        signer: &DeviceIdentity,
        certificate: &SenderCertificate,
        message: &[u8],
    ) -> Vec<u8> {
        let s = signer
            .agreement_key()
            .diffie_hellman(self.bob.public().agreement())
            .unwrap();
        let inner = inner_plaintext(&certificate.compact(), 1, message).unwrap();
        let ephemeral = EphemeralSecret::generate(&mut self.rng);
        seal_raw(layer1, s.expose(), &self.bob.public(), &inner, ephemeral).unwrap()
    }
}

#[test]
fn round_trip() {
    let mut f = fixture(1);
    for len in [0usize, 1, 31, 200, 5000] {
        let message: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let envelope = f.seal(&message);
        assert_eq!(&envelope[..2], &[0x1f, 0x01]);
        assert_eq!(
            envelope.len(),
            HEADER_LEN + 1 + 98 + padding::padded_len(len).unwrap() + aead::TAG_LEN
        );
        let opened = f.open(&envelope).unwrap();
        assert_eq!(opened.content_type, 0x42);
        assert_eq!(opened.message.as_slice(), message.as_slice());
        assert_eq!(
            opened.sender.account_id(),
            AccountId::from_bytes(ALICE_ACCOUNT)
        );
        assert_eq!(opened.sender.device_id(), 3);
        assert!(opened.sender.identity().ct_matches(&f.alice.public()));
    }
    // Two seals of one message differ (fresh ephemeral key).
    assert_ne!(f.seal(b"same"), f.seal(b"same"));
    assert_eq!(MIN_LEN, f.seal(b"").len());
    // The bounds protocol.md 9.3 and section 5 state.
    assert_eq!(OVERHEAD, 229);
    assert_eq!(MIN_LEN, 261);
    assert_eq!(MAX_LEN, (1 << 24) + 229);
}

#[test]
fn a_wrong_recipient_cannot_open_seal_env_05() {
    let mut f = fixture(2);
    let envelope = f.seal(b"for bob only");
    let carol = DeviceIdentity::generate(&mut f.rng);
    let err = open(&carol, &f.store, NOW, &envelope).unwrap_err();
    assert_eq!(err.reason(), OpenReason::Layer1);
    assert_eq!(err.reason().id(), "SEAL-ENV-05");
}

#[test]
fn every_flipped_byte_is_refused_with_one_opaque_error() {
    let mut f = fixture(3);
    let envelope = f.seal(b"flip me");
    let expected_display = f.open(&[]).unwrap_err().to_string();
    assert_eq!(expected_display, "sealed envelope refused");
    for i in 0..envelope.len() {
        for bit in [0x01u8, 0x80] {
            let mut forged = envelope.clone();
            forged[i] ^= bit;
            let err = f.open(&forged).unwrap_err();
            assert_eq!(err.to_string(), expected_display);
            assert_eq!(format!("{err:?}"), "OpenError(..)");
            let expected = match i {
                0 => OpenReason::WrongTag,
                1 => OpenReason::WrongSubtype,
                // The top bit of E_pub: a non-canonical twin (SEAL-ENV-04).
                33 if bit == 0x80 => OpenReason::NonCanonicalEphemeral,
                2..HEADER_LEN => OpenReason::Layer1,
                _ => OpenReason::Layer2,
            };
            assert_eq!(err.reason(), expected, "byte {i} bit {bit:#x}");
        }
    }
}

#[test]
fn wrong_tag_subtype_and_length_seal_env_01_to_03() {
    let mut f = fixture(4);
    let envelope = f.seal(b"x");
    assert_eq!(f.reason(&[]), OpenReason::WrongTag);
    let mut other = envelope.clone();
    other[0] = wire::SEALED_CERTIFICATE;
    assert_eq!(f.reason(&other), OpenReason::WrongTag);
    assert_eq!(OpenReason::WrongTag.id(), "SEAL-ENV-01");
    assert_eq!(f.reason(&[0x1f]), OpenReason::WrongSubtype);
    let mut sent = envelope.clone();
    sent[1] = 0x03; // the form a sender hands the relay (9.4), never opened
    assert_eq!(f.reason(&sent), OpenReason::WrongSubtype);
    // A single-recipient envelope relabelled 0x02 is too short for a multi-recipient one.
    let mut multi = envelope.clone();
    multi[1] = 0x02;
    assert_eq!(f.reason(&multi), OpenReason::Length);
    assert_eq!(OpenReason::WrongSubtype.id(), "SEAL-ENV-02");
    // SEAL-ENV-03: every truncation below MIN_LEN, and one byte over MAX_LEN.
    for len in 2..MIN_LEN {
        assert_eq!(f.reason(&envelope[..len]), OpenReason::Length, "len {len}");
    }
    let mut huge = vec![0u8; MAX_LEN + 1];
    huge[..2].copy_from_slice(&[0x1f, 0x01]);
    assert_eq!(f.reason(&huge), OpenReason::Length);
    assert_eq!(OpenReason::Length.id(), "SEAL-ENV-03");
}

#[test]
fn truncation_and_trailing_bytes_are_refused() {
    let mut f = fixture(5);
    let envelope = f.seal(&[7u8; 300]);
    for len in 0..envelope.len() {
        assert!(f.open(&envelope[..len]).is_err(), "truncated to {len}");
    }
    for len in MIN_LEN..envelope.len() {
        assert_eq!(f.reason(&envelope[..len]), OpenReason::Layer2);
    }
    let mut longer = envelope.clone();
    longer.push(0);
    assert_eq!(f.reason(&longer), OpenReason::Layer2);
    assert!(f.open(&envelope).is_ok());
}

#[test]
fn all_zero_dh_outputs_are_refused_seal_env_04() {
    let mut f = fixture(6);
    // The ephemeral key 0 (small order): the recipient's DH is all zero.
    let mut envelope = f.seal(b"zero");
    envelope[2..34].fill(0);
    assert_eq!(f.reason(&envelope), OpenReason::NonContributory);
    assert_eq!(OpenReason::NonContributory.id(), "SEAL-ENV-04");
    // A layer-1 identity whose X25519 key is 0 (canonical, small order): the static DH.
    let mut identity = f.alice.public().to_bytes();
    identity[32..].fill(0);
    let inner = f.inner(&padding::pad(b"zero").unwrap());
    let forged = f.raw(&identity, &inner);
    assert_eq!(f.reason(&forged), OpenReason::NonContributory);
    // The sender refuses such a recipient key.
    let small = DeviceIdentityKey::from_bytes(&identity).unwrap();
    let err = seal(&f.alice, &f.alice_cert, &small, 1, b"x", &mut f.rng).unwrap_err();
    assert_eq!(err, SealError::NonContributory);
}

#[test]
fn an_undecodable_sender_identity_is_refused_seal_env_06() {
    let mut f = fixture(7);
    let mut identity = f.alice.public().to_bytes();
    identity[32..].fill(0xff); // 2^255 - 1 after masking: not canonical (HS-03)
    let inner = f.inner(&padding::pad(b"id").unwrap());
    let forged = f.raw(&identity, &inner);
    assert_eq!(f.reason(&forged), OpenReason::SenderIdentity);
    assert_eq!(OpenReason::SenderIdentity.id(), "SEAL-ENV-06");
}

#[test]
fn a_claimed_identity_without_its_key_fails_layer_2_seal_env_07() {
    let mut f = fixture(8);
    // Mallory claims Alice's identity in layer 1 and puts Alice's certificate inside, but
    // can compute only her own static DH.
    let mallory = DeviceIdentity::generate(&mut f.rng);
    let alice = f.alice.public().to_bytes();
    let cert = f.alice_cert.clone();
    let forged = f.forge(&alice, &mallory, &cert, b"I am Alice");
    assert_eq!(f.reason(&forged), OpenReason::Layer2);
    assert_eq!(OpenReason::Layer2.id(), "SEAL-ENV-07");
}

#[test]
fn a_bad_certificate_is_refused_with_its_reason_seal_env_09() {
    let mut f = fixture(10);
    let identity = f.alice.public().to_bytes();
    // Not a certificate at all: SEAL-CERT-01 inside SEAL-ENV-09.
    let mut inner = f.inner(&padding::pad(b"c").unwrap());
    inner[1] = 0x00;
    let forged = f.raw(&identity, &inner);
    assert_eq!(
        f.reason(&forged),
        OpenReason::Certificate(CertificateError::WrongTag(0x00))
    );
    assert_eq!(f.reason(&forged).id(), "SEAL-ENV-09");

    // Expired: accepted at EXPIRES, refused one second later (SEAL-CERT-10).
    let envelope = f.seal(b"late");
    assert!(open(&f.bob, &f.store, EXPIRES, &envelope).is_ok());
    let err = open(&f.bob, &f.store, EXPIRES + 1, &envelope).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::Expired)
    );
    assert_eq!(err.to_string(), "sealed envelope refused");

    // Revoked server key (SEAL-CERT-08).
    let mut revoked = f.store.clone();
    revoked.revoke(7);
    let err = open(&f.bob, &revoked, NOW, &envelope).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::Revoked(7))
    );

    // A certificate signed by a server key the store does not hold (SEAL-CERT-07).
    let rogue = ServerKey::generate(9, &mut f.rng);
    let rogue_cert = rogue.issue(
        AccountId::from_bytes(ALICE_ACCOUNT),
        3,
        &f.alice.public(),
        EXPIRES,
    );
    let envelope = seal(&f.alice, &rogue_cert, &f.bob.public(), 1, b"r", &mut f.rng).unwrap();
    assert_eq!(
        f.reason(&envelope),
        OpenReason::Certificate(CertificateError::UnknownServerKey(9))
    );
}

#[test]
fn a_certificate_for_another_identity_is_refused_by_its_signature_seal_env_09() {
    let mut f = fixture(11);
    let mallory = DeviceIdentity::generate(&mut f.rng);
    // The sender refuses to seal with a certificate that is not its own.
    let err = seal(
        &mallory,
        &f.alice_cert,
        &f.bob.public(),
        1,
        b"x",
        &mut f.rng,
    )
    .unwrap_err();
    assert_eq!(err, SealError::CertificateMismatch);

    // Swapped sender key: Mallory's own identity authenticates, Alice's certificate inside.
    // Rebuilt with Mallory's identity, the certificate's signature fails.
    let mallory_id = mallory.public().to_bytes();
    let cert = f.alice_cert.clone();
    let forged = f.forge(&mallory_id, &mallory, &cert, b"I am Alice");
    assert_eq!(
        f.reason(&forged),
        OpenReason::Certificate(CertificateError::Signature)
    );

    // A valid certificate with Mallory's X25519 key but Alice's Ed25519 key: the whole
    // identity is rebuilt and signed, so the shared X25519 half is not enough.
    let mut mixed = f.alice.public().to_bytes();
    mixed[32..].copy_from_slice(mallory.public().agreement().as_bytes());
    let mixed = DeviceIdentityKey::from_bytes(&mixed).unwrap();
    let mixed_cert = f
        .server
        .issue(AccountId::from_bytes(ALICE_ACCOUNT), 3, &mixed, EXPIRES);
    let forged = f.forge(&mallory_id, &mallory, &mixed_cert, b"half");
    assert_eq!(
        f.reason(&forged),
        OpenReason::Certificate(CertificateError::Signature)
    );
    // Mallory's genuine certificate (the same server) opens: the refusals above are about
    // the binding, not Mallory.
    let own = f.server.issue(
        AccountId::from_bytes([0x33; 16]),
        1,
        &mallory.public(),
        EXPIRES,
    );
    let genuine = f.forge(&mallory_id, &mallory, &own, b"me");
    assert!(f.open(&genuine).is_ok());
}

#[test]
fn bad_padding_is_refused_with_its_reason_seal_env_10() {
    let mut f = fixture(12);
    let identity = f.alice.public().to_bytes();
    let inner = f.inner(&[0u8; 32]);
    let forged = f.raw(&identity, &inner);
    assert_eq!(
        f.reason(&forged),
        OpenReason::Padding(PaddingError::NoBoundary)
    );
    assert_eq!(f.reason(&forged).id(), "SEAL-ENV-10");
    let mut wide = b"short".to_vec();
    wide.push(0x80);
    wide.resize(64, 0);
    let forged = f.raw(&identity, &f.inner(&wide));
    assert_eq!(
        f.reason(&forged),
        OpenReason::Padding(PaddingError::NotCanonical {
            plaintext_len: 5,
            bucket: 32
        })
    );
}

#[test]
fn the_static_cache_gives_the_same_bytes_and_only_learns_from_opened_envelopes() {
    let mut f = fixture(15);
    let mut sender_cache = StaticCache::new();
    let mut recipient_cache = StaticCache::new();
    // Cached and uncached sealing agree byte for byte under the same randomness.
    let mut a = StdRng::seed_from_u64(99);
    let mut b = StdRng::seed_from_u64(99);
    let plain = seal(&f.alice, &f.alice_cert, &f.bob.public(), 1, b"m", &mut a).unwrap();
    let cached = seal_cached(
        &f.alice,
        &mut sender_cache,
        &f.alice_cert,
        &f.bob.public(),
        1,
        b"m",
        &mut b,
    )
    .unwrap();
    assert_eq!(plain, cached);
    assert_eq!(sender_cache.len(), 1);
    // A refused envelope leaves the recipient's cache empty; an opened one fills it, and
    // the cached path opens what the uncached one does.
    let mut broken = cached.clone();
    let last = broken.len() - 1;
    broken[last] ^= 1;
    assert_eq!(
        open_cached(&f.bob, &mut recipient_cache, &f.store, NOW, &broken)
            .unwrap_err()
            .reason(),
        OpenReason::Layer2
    );
    assert!(recipient_cache.is_empty());
    let opened = open_cached(&f.bob, &mut recipient_cache, &f.store, NOW, &cached).unwrap();
    assert_eq!(opened.message.as_slice(), b"m");
    assert_eq!(recipient_cache.len(), 1);
    let again = f.seal(b"second");
    let opened = open_cached(&f.bob, &mut recipient_cache, &f.store, NOW, &again).unwrap();
    assert_eq!(opened.message.as_slice(), b"second");
    // Mallory claiming Alice's identity is refused even with Alice's secret cached.
    let mallory = DeviceIdentity::generate(&mut f.rng);
    let alice = f.alice.public().to_bytes();
    let cert = f.alice_cert.clone();
    let forged = f.forge(&alice, &mallory, &cert, b"I am Alice");
    assert_eq!(
        open_cached(&f.bob, &mut recipient_cache, &f.store, NOW, &forged)
            .unwrap_err()
            .reason(),
        OpenReason::Layer2
    );
}

#[test]
fn a_message_too_long_to_pad_is_refused_when_sealing() {
    let mut f = fixture(13);
    let message = vec![0u8; padding::MAX_UNPADDED_LEN + 1];
    let err = seal(
        &f.alice,
        &f.alice_cert,
        &f.bob.public(),
        1,
        &message,
        &mut f.rng,
    )
    .unwrap_err();
    assert_eq!(
        err,
        SealError::Padding(PaddingError::TooLong {
            len: padding::MAX_UNPADDED_LEN + 1
        })
    );
}

#[test]
fn debug_output_does_not_print_the_message() {
    let mut f = fixture(14);
    let envelope = f.seal(b"attack at dawn");
    let opened = f.open(&envelope).unwrap();
    let debug = format!("{opened:?}");
    assert!(debug.contains("message_len: 14"), "{debug}");
    assert!(!debug.contains("attack"), "{debug}");
    // The bytes of the message as a Debug list would print them.
    assert!(!debug.contains("97, 116, 116, 97, 99, 107"), "{debug}");
    let err = f.open(&envelope[..10]).unwrap_err();
    assert_eq!(format!("{err:?}"), "OpenError(..)");
}

#[test]
fn a_remembered_certificate_skips_only_its_signature_check() {
    let mut f = fixture(16);
    let mut cache = StaticCache::new();
    let envelope = f.seal(b"warm");
    assert!(open_cached(&f.bob, &mut cache, &f.store, NOW, &envelope).is_ok());
    // Expiry, revocation and the server certificate's window are still checked.
    let err = open_cached(&f.bob, &mut cache, &f.store, EXPIRES + 1, &envelope).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::Expired)
    );
    let mut revoked = f.store.clone();
    revoked.revoke(7);
    let err = open_cached(&f.bob, &mut cache, &revoked, NOW, &envelope).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::Revoked(7))
    );
    let err = open_cached(&f.bob, &mut cache, &f.store, NOT_AFTER + 1, &envelope).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::ServerCertificateExpired)
    );
    // Another store holding another key under the same id: the memo's key differs, so the
    // signature is checked, and fails.
    let other_root = TrustRootKey::generate(&mut f.rng);
    let other_server = ServerKey::generate(7, &mut f.rng);
    let mut other = CertificateStore::new(other_root.public());
    other
        .add(
            other_root
                .certify(7, &other_server.public(), NOT_BEFORE, NOT_AFTER)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let err = open_cached(&f.bob, &mut cache, &other, NOW, &envelope).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::Signature)
    );
    // A certificate with other bytes for the same identity (forged expiry) is verified in
    // full, and refused.
    let mut forged_cert = f.alice_cert.as_bytes().to_vec();
    forged_cert[93] ^= 1; // the last byte of `expires`
    let forged_cert = SenderCertificate::from_bytes(&forged_cert).unwrap();
    let alice = f.alice.public().to_bytes();
    let alice_identity = DeviceIdentity::from_keys(
        f.alice.signing_key().clone(),
        f.alice.agreement_key().clone(),
    );
    let forged = f.forge(&alice, &alice_identity, &forged_cert, b"later");
    let err = open_cached(&f.bob, &mut cache, &f.store, NOW, &forged).unwrap_err();
    assert_eq!(
        err.reason(),
        OpenReason::Certificate(CertificateError::Signature)
    );
    // And the genuine one still opens warm.
    assert!(open_cached(&f.bob, &mut cache, &f.store, NOW, &envelope).is_ok());
}

#[test]
fn opening_never_takes_the_static_secret_from_the_cache() {
    // A cache holding a wrong secret for Alice (as if poisoned): were `open_cached` to take
    // the secret from it, Alice's genuine envelope would fail layer 2. It opens, so the
    // secret was computed; a probe naming a cached peer therefore costs what one naming a
    // stranger does (tests/tests/attack_sealed.rs, finding 1).
    let mut f = fixture(17);
    let mut cache = StaticCache::new();
    cache.insert(&f.bob, &f.alice.public(), &[0x55; 32], None);
    let envelope = f.seal(b"computed, not cached");
    let opened = open_cached(&f.bob, &mut cache, &f.store, NOW, &envelope).unwrap();
    assert_eq!(opened.message.as_slice(), b"computed, not cached");
    // Opening replaced the wrong secret with the right one, for a later seal to Alice.
    let right = f
        .bob
        .agreement_key()
        .diffie_hellman(f.alice.public().agreement())
        .unwrap();
    assert_eq!(cache.get(&f.bob, &f.alice.public()), Some(right.expose()));
}

#[test]
fn a_non_canonical_ephemeral_key_is_refused_seal_env_04() {
    let mut f = fixture(18);
    let envelope = f.seal(b"twin");
    // The top bit set: the same DH output as the genuine key, another encoding.
    let mut twin = envelope.clone();
    twin[33] |= 0x80;
    assert_eq!(f.reason(&twin), OpenReason::NonCanonicalEphemeral);
    assert_eq!(OpenReason::NonCanonicalEphemeral.id(), "SEAL-ENV-04");
    // 2^255 - 19 + 1 (p + 1, canonical form 1): not canonical either.
    let mut above = envelope.clone();
    above[2] = 0xee;
    above[3..33].fill(0xff);
    above[33] = 0x7f;
    assert_eq!(f.reason(&above), OpenReason::NonCanonicalEphemeral);
    assert!(f.open(&envelope).is_ok());
}

#[test]
fn seal_refuses_in_the_documented_order() {
    // A too-long message to a small-order recipient: the padding refusal comes first, in
    // `seal` as in `seal_cached` (tests/tests/attack_sealed.rs, finding 2).
    let mut f = fixture(19);
    let mut small = f.bob.public().to_bytes();
    small[32..].fill(0);
    let small = DeviceIdentityKey::from_bytes(&small).unwrap();
    let message = vec![0u8; padding::MAX_UNPADDED_LEN + 1];
    let plain = seal(&f.alice, &f.alice_cert, &small, 1, &message, &mut f.rng).unwrap_err();
    let mut cache = StaticCache::new();
    let cached = seal_cached(
        &f.alice,
        &mut cache,
        &f.alice_cert,
        &small,
        1,
        &message,
        &mut f.rng,
    )
    .unwrap_err();
    assert_eq!(plain, cached);
    assert!(matches!(plain, SealError::Padding(_)));
}
