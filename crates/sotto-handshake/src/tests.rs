//! Unit tests of session setup: both modes, every refusal, the store left unchanged.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519;

use crate::store::PrekeyStore;
use crate::*;

mod attack;
mod errors;
mod identity;
mod store;

const NOW: u64 = 1_764_000_000;

fn policy(post_quantum: PostQuantum, one_time: u32, kem_one_time: u32) -> PrekeyPolicy {
    PrekeyPolicy {
        post_quantum,
        one_time_prekeys: one_time,
        kem_one_time_prekeys: kem_one_time,
        ..PrekeyPolicy::default()
    }
}

struct World {
    rng: StdRng,
    alice: DeviceIdentity,
    bob: InMemoryPrekeyStore,
    published: PublishedPrekeys,
}

impl World {
    /// Alice initiates to `bundle`, trusting the identity it claims (trust on first use), with
    /// the default configuration.
    fn initiate(
        &mut self,
        bundle: &VerifiedBundle,
        plaintext: &[u8],
    ) -> Result<Initiation, HandshakeError> {
        initiate(
            &self.alice,
            bundle,
            bundle.bundle().identity(),
            plaintext,
            &config(),
            &mut self.rng,
        )
    }
}

fn world(seed: u64, p: PrekeyPolicy) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let alice = DeviceIdentity::generate(&mut rng);
    let bob = InMemoryPrekeyStore::new(DeviceIdentity::generate(&mut rng), p, NOW, &mut rng);
    let published = bob.published().unwrap();
    World {
        rng,
        alice,
        bob,
        published,
    }
}

/// What must not change when a handshake is refused.
fn store_state(s: &InMemoryPrekeyStore) -> String {
    let p = s.published().unwrap();
    format!(
        "{:?} {:?} {:?} {:?}",
        p.one_time.iter().map(|k| k.id).collect::<Vec<_>>(),
        p.kem_one_time.iter().map(|k| k.id).collect::<Vec<_>>(),
        s.signed_prekey(p.signed_prekey.id)
            .unwrap()
            .map(|k| k.public.id),
        s.seen_count(),
    )
}

fn config() -> HandshakeConfig {
    HandshakeConfig::default()
}

#[test]
fn both_modes_with_and_without_one_time_prekeys() {
    for (pq, one_time, mode) in [
        (PostQuantum::Offered, 3, Mode::Pqxdh),
        (PostQuantum::Offered, 0, Mode::Pqxdh),
        (PostQuantum::Absent, 3, Mode::X3dh),
        (PostQuantum::Absent, 0, Mode::X3dh),
    ] {
        let mut w = world(1, policy(pq, one_time, 1));
        let bundle = w.published.take_bundle();
        assert_eq!(bundle.one_time_prekey.is_some(), one_time > 0);
        let wire = bundle.to_bytes();
        let bundle = PrekeyBundle::from_bytes(&wire).unwrap().verify().unwrap();
        let mut sent = w.initiate(&bundle, b"first").unwrap();
        assert_eq!(sent.mode, mode);
        let initial = InitialMessage::from_bytes(&sent.message.to_bytes()).unwrap();
        assert_eq!(initial, sent.message);
        let mut got = respond(&mut w.bob, &initial, &w.alice.public(), &config()).unwrap();
        assert_eq!(got.mode, mode);
        assert_eq!(got.plaintext, b"first");
        assert_eq!(got.initiator, w.alice.public());
        let reply = got.session.encrypt(b"reply", &mut w.rng).unwrap();
        assert_eq!(sent.session.decrypt(&reply).unwrap(), b"reply");
        if one_time > 0 {
            assert_eq!(
                w.bob.one_time_prekey_count(),
                2,
                "the used one-time prekey is deleted"
            );
        }
    }
}

#[test]
/// HS-09: a replayed initial message is refused, with or without a one-time prekey.
fn replays_are_refused() {
    for one_time in [2, 0] {
        let mut w = world(2, policy(PostQuantum::Offered, one_time, 0));
        let bundle = w.published.take_bundle().verify().unwrap();
        let sent = w.initiate(&bundle, b"x").unwrap();
        let _accepted = respond(&mut w.bob, &sent.message, &w.alice.public(), &config()).unwrap();
        let before = store_state(&w.bob);
        assert!(matches!(
            respond(&mut w.bob, &sent.message, &w.alice.public(), &config()),
            Err(HandshakeError::Replayed)
        ));
        assert_eq!(store_state(&w.bob), before);
        // The ephemeral key's non-canonical twin (top bit set) gives the same DH outputs; it
        // is refused at decoding, so a replay cannot slip past the record (HS-03).
        let mut wire = sent.message.to_bytes();
        wire[66 + 31] |= 0x80;
        assert_eq!(
            InitialMessage::from_bytes(&wire).unwrap_err(),
            DecodeError::InvalidKey
        );
    }
}

#[test]
/// HS-04, HS-05: signatures and the signed post-quantum flag.
fn bundle_verification_and_downgrade() {
    let mut w = world(3, policy(PostQuantum::Offered, 1, 1));
    let good = w.published.take_bundle();
    assert!(good.clone().verify().is_ok());

    let mut stripped = good.clone();
    stripped.kem_prekey = None;
    assert_eq!(
        stripped.clone().verify().unwrap_err(),
        BundleError::Downgrade
    );
    // Clearing the flag as well breaks the signed prekey's signature.
    stripped.signed_prekey.post_quantum = PostQuantum::Absent;
    assert_eq!(
        stripped.verify().unwrap_err(),
        BundleError::SignedPrekeySignature
    );

    let mut forged_kem = good.clone();
    if let Some(k) = forged_kem.kem_prekey.as_mut() {
        k.id ^= 1;
    }
    assert_eq!(
        forged_kem.verify().unwrap_err(),
        BundleError::KemPrekeySignature
    );

    // A KEM prekey signed by the device but offered under a classic signed prekey.
    let mut classic = world(33, policy(PostQuantum::Absent, 1, 0));
    let mut mixed = classic.published.take_bundle();
    mixed.kem_prekey = good.kem_prekey.clone();
    assert_eq!(
        mixed.verify().unwrap_err(),
        BundleError::UnexpectedKemPrekey
    );

    // Another device's signed prekey under this identity.
    let mut swapped = good;
    swapped.signed_prekey = classic.published.signed_prekey;
    assert_eq!(
        swapped.verify().unwrap_err(),
        BundleError::SignedPrekeySignature
    );
}

#[test]
/// HS-05 on the responder's side, HS-06 on both.
fn post_quantum_policies() {
    let mut w = world(4, policy(PostQuantum::Offered, 1, 1));
    let bundle = w.published.take_bundle().verify().unwrap();
    let sent = w.initiate(&bundle, b"x").unwrap();
    let mut downgraded = sent.message.clone();
    downgraded.kem = None;
    let before = store_state(&w.bob);
    assert!(matches!(
        respond(&mut w.bob, &downgraded, &w.alice.public(), &config()),
        Err(HandshakeError::PostQuantumMismatch)
    ));
    assert_eq!(store_state(&w.bob), before);

    let mut c = world(5, policy(PostQuantum::Absent, 1, 0));
    let classic = c.published.take_bundle().verify().unwrap();
    let strict = config().post_quantum_only();
    assert!(matches!(
        initiate(
            &c.alice,
            &classic,
            classic.bundle().identity(),
            b"x",
            &strict,
            &mut c.rng
        ),
        Err(HandshakeError::PostQuantumRequired)
    ));
    let sent = initiate(
        &c.alice,
        &classic,
        classic.bundle().identity(),
        b"x",
        &config(),
        &mut c.rng,
    )
    .unwrap();
    assert!(matches!(
        respond(&mut c.bob, &sent.message, &c.alice.public(), &strict),
        Err(HandshakeError::PostQuantumRequired)
    ));
    assert!(respond(&mut c.bob, &sent.message, &c.alice.public(), &config()).is_ok());
}

#[test]
/// HS-01, HS-02, HS-03, HS-07, HS-08, HS-10: every byte of an initial message is bound to the
/// session; any change is refused and the store is unchanged.
fn every_byte_of_the_initial_message_matters() {
    let mut w = world(6, policy(PostQuantum::Offered, 1, 1));
    let bundle = w.published.take_bundle().verify().unwrap();
    let sent = w.initiate(&bundle, b"tamper me").unwrap();
    let wire = sent.message.to_bytes();
    let before = store_state(&w.bob);
    for i in 0..wire.len() {
        let mut bad = wire.clone();
        bad[i] ^= 0x01;
        if let Ok(message) = InitialMessage::from_bytes(&bad) {
            assert!(
                respond(&mut w.bob, &message, message.initiator(), &config()).is_err(),
                "byte {i} accepted"
            );
        }
        assert_eq!(store_state(&w.bob), before, "byte {i} changed the store");
    }
    for cut in 0..wire.len() {
        if let Ok(message) = InitialMessage::from_bytes(&wire[..cut]) {
            assert!(
                respond(&mut w.bob, &message, message.initiator(), &config()).is_err(),
                "truncation {cut} accepted"
            );
        }
    }
    // The untouched message still works afterwards.
    assert_eq!(
        respond(&mut w.bob, &sent.message, &w.alice.public(), &config())
            .unwrap()
            .plaintext,
        b"tamper me"
    );
}

#[test]
/// HS-07: a small-order ephemeral key is refused.
fn non_contributory_ephemeral_key() {
    let mut w = world(7, policy(PostQuantum::Offered, 1, 1));
    let bundle = w.published.take_bundle().verify().unwrap();
    let mut sent = w.initiate(&bundle, b"x").unwrap();
    sent.message.ephemeral_key = x25519::PublicKey::from_bytes([0; 32]);
    assert!(matches!(
        respond(&mut w.bob, &sent.message, &w.alice.public(), &config()),
        Err(HandshakeError::NonContributory)
    ));
}

#[test]
/// HS-08: unknown prekey ids.
fn unknown_prekeys() {
    let mut w = world(8, policy(PostQuantum::Offered, 1, 1));
    let bundle = w.published.take_bundle().verify().unwrap();
    let sent = w.initiate(&bundle, b"x").unwrap();
    let mut m = sent.message.clone();
    m.signed_prekey_id = 999;
    assert!(matches!(
        respond(&mut w.bob, &m, &w.alice.public(), &config()),
        Err(HandshakeError::UnknownSignedPrekey(999))
    ));
    let mut m = sent.message.clone();
    m.one_time_prekey_id = Some(999);
    assert!(matches!(
        respond(&mut w.bob, &m, &w.alice.public(), &config()),
        Err(HandshakeError::UnknownOneTimePrekey(999))
    ));
    let mut m = sent.message.clone();
    if let Some(k) = m.kem.as_mut() {
        k.id = 999;
    }
    assert!(matches!(
        respond(&mut w.bob, &m, &w.alice.public(), &config()),
        Err(HandshakeError::UnknownKemPrekey(999))
    ));
}

#[test]
fn exhaustion_falls_back_to_the_last_resort_key() {
    let mut w = world(9, policy(PostQuantum::Offered, 2, 1));
    let mut modes = Vec::new();
    for i in 0..4 {
        let bundle = w.published.take_bundle();
        modes.push((
            bundle.one_time_prekey.is_some(),
            bundle.kem_prekey.as_ref().map(|k| k.kind),
        ));
        let bundle = bundle.verify().unwrap();
        let alice = DeviceIdentity::generate(&mut w.rng);
        let sent = initiate(
            &alice,
            &bundle,
            bundle.bundle().identity(),
            &[i],
            &config(),
            &mut w.rng,
        )
        .unwrap();
        assert_eq!(
            respond(&mut w.bob, &sent.message, &alice.public(), &config())
                .unwrap()
                .plaintext,
            [i]
        );
    }
    assert_eq!(
        modes,
        [
            (true, Some(KemPrekeyKind::OneTime)),
            (true, Some(KemPrekeyKind::LastResort)),
            (false, Some(KemPrekeyKind::LastResort)),
            (false, Some(KemPrekeyKind::LastResort)),
        ]
    );
    assert_eq!(w.bob.one_time_prekey_count(), 0);
    assert!(w.bob.needs_replenish(0));
    let (new_x25519, new_kem) = w.bob.replenish(&mut w.rng);
    assert_eq!((new_x25519.len(), new_kem.len()), (2, 1));
}

#[test]
fn rotation_keeps_the_previous_signed_prekey_for_the_grace_period() {
    let mut w = world(10, policy(PostQuantum::Offered, 2, 0));
    let old_bundle = w.published.take_bundle().verify().unwrap();
    let grace = PrekeyPolicy::default().signed_prekey_grace;
    w.bob.rotate_signed_prekey(NOW + 10, &mut w.rng);
    let sent = w.initiate(&old_bundle, b"in flight").unwrap();
    let late = w.initiate(&old_bundle, b"too late").unwrap();
    w.bob.prune(NOW + 10 + grace - 1);
    assert_eq!(
        respond(&mut w.bob, &sent.message, &w.alice.public(), &config())
            .unwrap()
            .plaintext,
        b"in flight"
    );
    w.bob.prune(NOW + 10 + grace);
    let old_id = old_bundle.bundle().signed_prekey.id;
    assert!(matches!(
        respond(&mut w.bob, &late.message, &w.alice.public(), &config()),
        Err(HandshakeError::UnknownSignedPrekey(id)) if id == old_id
    ));
    let new_bundle = w.bob.published().unwrap().take_bundle().verify().unwrap();
    assert_ne!(
        new_bundle.bundle().signed_prekey.id,
        old_bundle.bundle().signed_prekey.id
    );
    let sent = w.initiate(&new_bundle, b"new").unwrap();
    assert!(respond(&mut w.bob, &sent.message, &w.alice.public(), &config()).is_ok());
}

#[test]
fn simultaneous_initiation_tie_break_is_consistent() {
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..20 {
        let a = DeviceIdentity::generate(&mut rng).public();
        let b = DeviceIdentity::generate(&mut rng).public();
        assert_ne!(keep_own_initiation(&a, &b), keep_own_initiation(&b, &a));
    }
}

#[test]
fn debug_output_is_redacted() {
    let w = world(12, policy(PostQuantum::Offered, 1, 1));
    let shown = format!("{:?} {:?}", w.alice, w.bob);
    assert!(
        shown.contains("DeviceIdentity { public: DeviceIdentityKey"),
        "{shown}"
    );
    let seed = hex::encode(w.alice.signing_key().expose_seed());
    let x = hex::encode(w.alice.agreement_key().secret_key().expose());
    assert!(!shown.contains(&seed) && !shown.contains(&x));
    let spk = w
        .bob
        .signed_prekey(w.published.signed_prekey.id)
        .unwrap()
        .unwrap();
    assert!(!format!("{spk:?}").contains(&hex::encode(spk.key_pair.secret_key().expose())));
    // The store shows ids and public parts only.
    let store = format!("{:?}", w.bob);
    assert!(
        store.starts_with("InMemoryPrekeyStore { identity: DeviceIdentityKey"),
        "{store}"
    );
    assert!(
        store.contains("one_time_prekeys: [3]") && store.contains("seen: 0"),
        "{store}"
    );
    assert!(!store.contains(&hex::encode(spk.key_pair.secret_key().expose())));
    // A response shows the plaintext's length, not the plaintext.
    let mut w = world(13, policy(PostQuantum::Offered, 1, 1));
    let bundle = w.published.take_bundle().verify().unwrap();
    let sent = w.initiate(&bundle, b"secret words").unwrap();
    let got = respond(&mut w.bob, &sent.message, &w.alice.public(), &config()).unwrap();
    let shown = format!("{got:?}");
    assert!(
        shown.contains("plaintext_len: 12") && !shown.contains("115, 101, 99"),
        "{shown}"
    );
}

#[test]
fn the_last_resort_kem_prekey_rotates_with_the_signed_prekey() {
    // No one-time prekeys: every bundle carries the last-resort ML-KEM key.
    let mut w = world(10, policy(PostQuantum::Offered, 0, 0));
    let old_bundle = w.published.take_bundle().verify().unwrap();
    let old_kem = old_bundle.bundle().kem_prekey.clone().unwrap();
    assert_eq!(old_kem.kind, KemPrekeyKind::LastResort);
    let grace = PrekeyPolicy::default().signed_prekey_grace;
    w.bob.rotate_signed_prekey(NOW + 10, &mut w.rng);

    // The new bundle names a new last-resort key.
    let new_bundle = w.bob.published().unwrap().take_bundle().verify().unwrap();
    let new_kem = new_bundle.bundle().kem_prekey.clone().unwrap();
    assert_eq!(new_kem.kind, KemPrekeyKind::LastResort);
    assert_ne!(new_kem.id, old_kem.id);
    assert_ne!(new_kem.public_key, old_kem.public_key);

    // The old one still decapsulates during the grace period...
    let sent = w.initiate(&old_bundle, b"in flight").unwrap();
    w.bob.prune(NOW + 10 + grace - 1);
    assert!(
        w.bob
            .kem_prekey(KemPrekeyKind::LastResort, old_kem.id)
            .is_some()
    );
    assert_eq!(
        respond(&mut w.bob, &sent.message, &w.alice.public(), &config())
            .unwrap()
            .plaintext,
        b"in flight"
    );
    // ...and its private key is deleted when the grace period ends.
    w.bob.prune(NOW + 10 + grace);
    assert!(
        w.bob
            .kem_prekey(KemPrekeyKind::LastResort, old_kem.id)
            .is_none()
    );
    assert!(
        w.bob
            .kem_prekey(KemPrekeyKind::LastResort, new_kem.id)
            .is_some()
    );
    let fresh = w.initiate(&new_bundle, b"new").unwrap();
    assert_eq!(
        respond(&mut w.bob, &fresh.message, &w.alice.public(), &config())
            .unwrap()
            .plaintext,
        b"new"
    );
}

/// The canonical X25519 twins of `key`: the u-coordinates of P + T, for P either point with
/// u-coordinate `key` and T each point of the 8-torsion subgroup, that differ from `key`.
/// A clamped scalar is a multiple of 8, so every twin gives the same DH outputs as `key`.
fn eight_torsion_twins(key: &x25519::PublicKey) -> Vec<x25519::PublicKey> {
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::montgomery::MontgomeryPoint;

    let mut twins: Vec<x25519::PublicKey> = Vec::new();
    for sign in [0, 1] {
        let p = MontgomeryPoint(key.to_bytes()).to_edwards(sign).unwrap();
        for t in &EIGHT_TORSION {
            let twin = x25519::PublicKey::from_bytes((p + t).to_montgomery().to_bytes());
            if twin.is_canonical() && twin != *key && !twins.contains(&twin) {
                twins.push(twin);
            }
        }
    }
    twins
}

#[test]
/// HS-09: the canonical twins of an ephemeral key give the same session secret; a replay
/// with the ephemeral key replaced by one of them is refused and leaves the store unchanged,
/// in X3DH with and without a one-time prekey and in PQXDH on the last-resort ML-KEM key.
fn replays_with_an_ephemeral_key_twin_are_refused() {
    for (name, pq, one_time) in [
        ("X3DH without one-time prekeys", PostQuantum::Absent, 0),
        ("PQXDH on the last-resort key", PostQuantum::Offered, 0),
        (
            "PQXDH last resort, one-time X25519",
            PostQuantum::Offered,
            2,
        ),
        ("X3DH with a one-time prekey", PostQuantum::Absent, 2),
    ] {
        let mut w = world(11, policy(pq, one_time, 0));
        let bundle = w.published.take_bundle().verify().unwrap();
        let sent = w.initiate(&bundle, b"once").unwrap();
        let _accepted = respond(&mut w.bob, &sent.message, &w.alice.public(), &config()).unwrap();
        let twins = eight_torsion_twins(&sent.message.ephemeral_key);
        assert!(twins.len() >= 3, "{name}: only {} twins", twins.len());
        for twin in twins {
            // Same DH outputs, so the twin is a real replay, not a different key.
            let ours = w
                .bob
                .signed_prekey(sent.message.signed_prekey_id)
                .unwrap()
                .unwrap();
            assert_eq!(
                ours.key_pair.diffie_hellman(&twin).unwrap().expose(),
                ours.key_pair
                    .diffie_hellman(&sent.message.ephemeral_key)
                    .unwrap()
                    .expose(),
            );
            let mut replay = sent.message.clone();
            replay.ephemeral_key = twin;
            let replay = InitialMessage::from_bytes(&replay.to_bytes()).unwrap();
            let before = (store_state(&w.bob), format!("{:?}", w.bob));
            let refused = respond(&mut w.bob, &replay, &w.alice.public(), &config());
            assert!(
                matches!(refused, Err(HandshakeError::Replayed)),
                "{name}: twin {twin:?} accepted: {:?}",
                refused.as_ref().ok().map(|r| &r.plaintext)
            );
            assert_eq!((store_state(&w.bob), format!("{:?}", w.bob)), before);
        }
    }
}

/// protocol.md 7.7: without ML-KEM prekeys, the policy's one-time ML-KEM count is ignored:
/// the store draws, holds and publishes exactly what a count of zero gives.
#[test]
fn a_one_time_kem_count_without_post_quantum_is_ignored() {
    let make = |kem_one_time| {
        let mut rng = StdRng::seed_from_u64(13);
        let identity = DeviceIdentity::generate(&mut rng);
        let mut store = InMemoryPrekeyStore::new(
            identity,
            policy(PostQuantum::Absent, 3, kem_one_time),
            1_000,
            &mut rng,
        );
        let replenished = store.replenish(&mut rng);
        let published = store.published().unwrap();
        assert!(published.kem_last_resort.is_none() && published.kem_one_time.is_empty());
        assert!(replenished.1.is_empty());
        assert_eq!(store.kem_one_time_prekey_count(), 0);
        let bundle = published.clone().take_bundle().to_bytes();
        let next = *x25519::KeyPair::generate(&mut rng).public_key();
        (bundle, next)
    };
    assert_eq!(make(20), make(0));
}

#[test]
/// The other places session setup meets an X25519 key by its bytes. A twin of the initiator's
/// identity key in an initial message gives the same DH1, hence the same session secret, but
/// the identity encodings are the session's associated data: the first message fails
/// (HS-10), store unchanged, and the genuine message is accepted afterwards. A twin of the
/// identity key or of the signed prekey in a bundle breaks the signed prekey's signature
/// (HS-04), which covers both keys' bytes. (A twin of the unsigned one-time prekey gives the
/// same DH4 and the same session: harmless, the prekey is found by id.)
fn twins_of_identity_and_prekeys() {
    let mut w = world(12, policy(PostQuantum::Absent, 2, 0));
    let good = w.published.take_bundle();
    let bundle = good.clone().verify().unwrap();
    let sent = w.initiate(&bundle, b"hello").unwrap();
    let identity_key = w.alice.public().agreement;
    let twins = eight_torsion_twins(&identity_key);
    assert!(twins.len() >= 3);
    for twin in &twins {
        let mut forged = sent.message.clone();
        forged.initiator.agreement = *twin;
        let forged = InitialMessage::from_bytes(&forged.to_bytes()).unwrap();
        let before = (store_state(&w.bob), format!("{:?}", w.bob));
        // Trusting on first use (expecting what the message claims) reaches the AD: HS-10.
        assert!(
            matches!(
                respond(&mut w.bob, &forged, forged.initiator(), &config()),
                Err(HandshakeError::Decryption)
            ),
            "initiator identity twin {twin:?}"
        );
        // Expecting Alice's identity refuses the twin before any DH: HS-11.
        assert!(
            matches!(
                respond(&mut w.bob, &forged, &w.alice.public(), &config()),
                Err(HandshakeError::UnexpectedIdentity)
            ),
            "initiator identity twin {twin:?}"
        );
        assert_eq!((store_state(&w.bob), format!("{:?}", w.bob)), before);
        // keep_own_initiation orders identities by their bytes; a twin is not the same
        // identity, and never gets a session, so both devices order the same two encodings.
        assert_ne!(forged.initiator, w.alice.public());
    }
    let accepted = respond(&mut w.bob, &sent.message, &w.alice.public(), &config()).unwrap();
    assert_eq!(accepted.plaintext, b"hello");
    assert_eq!(accepted.initiator, w.alice.public());

    let signed_keys: [fn(&mut PrekeyBundle) -> &mut x25519::PublicKey; 2] = [
        |b| &mut b.identity.agreement,
        |b| &mut b.signed_prekey.public_key,
    ];
    for key in signed_keys {
        for twin in eight_torsion_twins(key(&mut good.clone())) {
            let mut forged = good.clone();
            *key(&mut forged) = twin;
            assert_eq!(
                forged.verify().unwrap_err(),
                BundleError::SignedPrekeySignature
            );
        }
    }

    // One-time prekey twin: the same session as with the genuine key.
    let mut w = world(13, policy(PostQuantum::Absent, 2, 0));
    let mut forged = w.published.take_bundle();
    let opk = forged.one_time_prekey.as_mut().unwrap();
    opk.public_key = eight_torsion_twins(&opk.public_key)[0];
    let bundle = forged.verify().unwrap();
    let sent = w.initiate(&bundle, b"same").unwrap();
    assert_eq!(
        respond(&mut w.bob, &sent.message, &w.alice.public(), &config())
            .unwrap()
            .plaintext,
        b"same"
    );
}
