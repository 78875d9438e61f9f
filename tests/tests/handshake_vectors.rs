//! docs/vectors/handshake.json: replayed through the public API, and every byte of every
//! bundle and initial message tampered with.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sotto_handshake::hazmat::{initiate_with_trace, respond_with_trace};
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, InitialMessage, Mode, PrekeyBundle,
    PrekeyStore, initiate, respond,
};
use sotto_vectors::rng::ScriptedRng;
use sotto_vectors::vectors::handshake::{HandshakeCase, HandshakeVectors, NOW};

fn load() -> HandshakeVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/handshake.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn draws(list: &[String]) -> Vec<Vec<u8>> {
    list.iter().map(|d| unhex(d)).collect()
}

/// Both parties as the case's recorded randomness rebuilds them.
fn parties(
    c: &HandshakeCase,
) -> (
    DeviceIdentity,
    InMemoryPrekeyStore,
    ScriptedRng,
    ScriptedRng,
) {
    let mut alice_rng = ScriptedRng::new(draws(&c.alice_random_draws));
    let mut bob_rng = ScriptedRng::new(draws(&c.bob_random_draws));
    let alice = DeviceIdentity::generate(&mut alice_rng);
    let store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut bob_rng),
        c.policy.policy(),
        NOW,
        &mut bob_rng,
    );
    (alice, store, alice_rng, bob_rng)
}

/// What must not change when a handshake is refused.
fn store_state(s: &InMemoryPrekeyStore) -> (usize, usize, usize) {
    (
        s.one_time_prekey_count(),
        s.kem_one_time_prekey_count(),
        s.seen_count(),
    )
}

#[test]
fn handshake_vectors_replay_through_the_public_api() {
    let v = load();
    assert_eq!(v.cases.len(), 5);
    for c in &v.cases {
        let (alice, mut store, mut alice_rng, mut bob_rng) = parties(c);
        assert_eq!(
            hex::encode(alice.public().to_bytes()),
            c.alice.encoded,
            "{}",
            c.name
        );
        assert_eq!(
            hex::encode(store.identity().unwrap().public().to_bytes()),
            c.bob.encoded
        );
        let bundle = store.published().unwrap().take_bundle();
        assert_eq!(
            hex::encode(bundle.to_bytes()),
            c.bundle,
            "{}: bundle bytes",
            c.name
        );
        let decoded = PrekeyBundle::from_bytes(&unhex(&c.bundle)).unwrap();
        assert_eq!(decoded, bundle);
        let verified = decoded.verify().unwrap();
        let config = HandshakeConfig::default();
        let bob = store.identity().unwrap().public();
        let (mut sent, trace) = initiate_with_trace(
            &alice,
            &verified,
            &bob,
            &unhex(&c.first_plaintext),
            &config,
            &mut alice_rng,
        )
        .unwrap();
        assert_eq!(
            sent.mode,
            if c.mode == "pqxdh" {
                Mode::Pqxdh
            } else {
                Mode::X3dh
            }
        );
        assert_eq!(
            hex::encode(sent.message.to_bytes()),
            c.initial_message,
            "{}: initial message",
            c.name
        );
        assert_eq!(
            hex::encode(sent.message.message().as_bytes()),
            c.ratchet_message
        );
        assert_eq!(
            trace.dh_outputs.iter().map(hex::encode).collect::<Vec<_>>(),
            c.dh_outputs
        );
        assert_eq!(hex::encode(&trace.ikm), c.ikm);
        assert_eq!(hex::encode(trace.session_secret), c.session_secret);
        assert_eq!(hex::encode(&trace.associated_data), c.associated_data);
        assert_eq!(
            trace.kem_shared_secret.map(hex::encode),
            c.kem_shared_secret
        );

        let initial = InitialMessage::from_bytes(&unhex(&c.initial_message)).unwrap();
        let (mut got, bob_trace) =
            respond_with_trace(&mut store, &initial, &alice.public(), &config).unwrap();
        assert_eq!(hex::encode(&got.plaintext), c.first_plaintext);
        assert_eq!(
            bob_trace.dh_outputs, trace.dh_outputs,
            "{}: the responder's DHs",
            c.name
        );
        assert_eq!(bob_trace.session_secret, trace.session_secret);
        let reply = got
            .session
            .encrypt(&unhex(&c.reply_plaintext), &mut bob_rng)
            .unwrap();
        assert_eq!(hex::encode(reply.as_bytes()), c.reply_message);
        assert_eq!(
            hex::encode(sent.session.decrypt(&reply).unwrap()),
            c.reply_plaintext
        );
        assert_eq!(alice_rng.remaining(), 0);
        assert_eq!(bob_rng.remaining(), 0);
    }
}

#[test]
fn every_byte_of_every_initial_message_is_bound() {
    for c in &load().cases {
        let (alice, mut store, _, _) = parties(c);
        let wire = unhex(&c.initial_message);
        let before = store_state(&store);
        let config = HandshakeConfig::default();
        for (i, mask) in (0..wire.len()).flat_map(|i| [(i, 0x01u8), (i, 0x80)]) {
            let mut bad = wire.clone();
            bad[i] ^= mask;
            if let Ok(m) = InitialMessage::from_bytes(&bad) {
                // Trusting on first use (expecting what the message claims) takes a changed
                // identity past HS-11 to the key agreement and the AD; it must fail there.
                assert!(
                    respond(&mut store, &m, m.initiator(), &config).is_err(),
                    "{}: byte {i} ^ {mask:#x} accepted",
                    c.name
                );
            }
            assert_eq!(
                store_state(&store),
                before,
                "{}: byte {i} changed the store",
                c.name
            );
        }
        let mut longer = wire.clone();
        longer.push(0);
        if let Ok(m) = InitialMessage::from_bytes(&longer) {
            assert!(respond(&mut store, &m, m.initiator(), &config).is_err());
        }
        assert!(
            respond(
                &mut store,
                &InitialMessage::from_bytes(&wire).unwrap(),
                &alice.public(),
                &config
            )
            .is_ok()
        );
    }
}

#[test]
fn every_byte_of_every_bundle_is_bound() {
    // A modified bundle must fail somewhere: decoding, verification, or (for the unsigned
    // one-time prekey) the responder's decryption. It never yields a working session.
    for c in &load().cases {
        let (alice, mut store, _, _) = parties(c);
        let wire = unhex(&c.bundle);
        let config = HandshakeConfig::default();
        let mut rng = rand::rng();
        let before = store_state(&store);
        let mut stages = [0usize; 3];
        for (i, mask) in (0..wire.len()).flat_map(|i| [(i, 0x01u8), (i, 0x80)]) {
            let mut bad = wire.clone();
            bad[i] ^= mask;
            let Ok(bundle) = PrekeyBundle::from_bytes(&bad) else {
                stages[0] += 1;
                continue;
            };
            let Ok(verified) = bundle.verify() else {
                stages[1] += 1;
                continue;
            };
            // Trust on first use: a changed identity reaches verification and the responder.
            let expected = *verified.bundle().identity();
            if let Ok(sent) = initiate(&alice, &verified, &expected, b"x", &config, &mut rng) {
                assert!(
                    respond(&mut store, &sent.message, &alice.public(), &config).is_err(),
                    "{}: bundle byte {i} ^ {mask:#x} accepted",
                    c.name
                );
            }
            stages[2] += 1;
            assert_eq!(store_state(&store), before);
        }
        assert_eq!(stages.iter().sum::<usize>(), 2 * wire.len());
        assert!(stages[1] > 0, "{}: signatures caught changes", c.name);
    }
}
