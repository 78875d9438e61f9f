//! docs/vectors/pickles.json: the identity and prekey-store pickles restore through the public
//! API, re-pickle to the same bytes with the same salt, and hold the listed state.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sotto_crypto::pickle::PickleKey;
use sotto_handshake::{DeviceIdentity, InMemoryPrekeyStore};
use sotto_vectors::rng::ScriptedRng;
use sotto_vectors::vectors::pickles::PickleVectors;

fn load() -> PickleVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/pickles.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn key(s: &str) -> PickleKey {
    PickleKey::new(unhex(s).try_into().unwrap())
}

/// The associated data of section 4: tag, u16be length of the context, the context.
fn associated_data(tag: u8, context: &[u8]) -> Vec<u8> {
    let mut ad = vec![tag];
    ad.extend_from_slice(&u16::try_from(context.len()).unwrap().to_be_bytes());
    ad.extend_from_slice(context);
    ad
}

/// The same salt again, from the pickle's bytes 1..17.
fn salt_of(pickle: &[u8]) -> ScriptedRng {
    ScriptedRng::new(vec![pickle[1..17].to_vec()])
}

#[test]
fn the_identity_pickle_restores_and_repickles_byte_for_byte() {
    let v = load().identity;
    let (key, context, pickle) = (key(&v.pickle_key), unhex(&v.context), unhex(&v.pickle));
    assert_eq!(unhex(&v.associated_data), associated_data(0x16, &context));
    let identity = DeviceIdentity::from_pickle(&key, &context, &pickle).unwrap();
    assert_eq!(hex::encode(identity.public().to_bytes()), v.public_identity);
    let mut state = identity.signing_key().expose_seed().to_vec();
    state.extend_from_slice(identity.agreement_key().secret_key().expose());
    assert_eq!(hex::encode(&state), v.state);
    // The draws: the seed, the X25519 key, then the salt.
    assert_eq!(
        v.random_draws,
        [&v.state[..64], &v.state[64..], &hex::encode(&pickle[1..17])]
    );
    let again = identity
        .pickle(&key, &context, &mut salt_of(&pickle))
        .unwrap();
    assert_eq!(again, pickle);
    // Bound to its context.
    assert!(DeviceIdentity::from_pickle(&key, b"another device", &pickle).is_err());
}

#[test]
fn the_store_pickle_restores_publishes_and_repickles_byte_for_byte() {
    let v = load().prekey_store;
    let (key, context, pickle) = (key(&v.pickle_key), unhex(&v.context), unhex(&v.pickle));
    assert_eq!(unhex(&v.associated_data), associated_data(0x17, &context));
    let store = InMemoryPrekeyStore::from_pickle(&key, &context, &pickle).unwrap();
    let again = store.pickle(&key, &context, &mut salt_of(&pickle)).unwrap();
    assert_eq!(again, pickle);
    let state = sotto_crypto::pickle::open(0x17, &key, &context, &pickle, 1 << 25).unwrap();
    assert_eq!(hex::encode(&state[..]), v.state);
    let mut published = store.published().unwrap();
    let bundles: Vec<String> = (0..v.published_bundles.len())
        .map(|_| hex::encode(published.take_bundle().to_bytes()))
        .collect();
    assert_eq!(bundles, v.published_bundles);
    // Every published bundle verifies: the recomputed signatures are the device's.
    for b in &v.published_bundles {
        sotto_handshake::PrekeyBundle::from_bytes(&unhex(b))
            .unwrap()
            .verify()
            .unwrap();
    }
    assert!(InMemoryPrekeyStore::from_pickle(&key, b"generation 2", &pickle).is_err());
}
