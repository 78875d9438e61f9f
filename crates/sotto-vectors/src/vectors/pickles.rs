//! `docs/vectors/pickles.json`: stability vectors of the device-identity pickle (tag `0x16`)
//! and the prekey-store pickle (tag `0x17`) of protocol.md section 4.2. Each gives the key,
//! the context, the associated data, the plaintext state and the pickle, so that a change to
//! either layout or to the envelope shows up as a changed file; the store's entry adds what
//! the restored store publishes, which depends on every recomputed public key and signature.

use serde::{Deserialize, Serialize};
use sotto_crypto::pickle::{self as envelope, PickleKey};
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, IDENTITY_PICKLE_LEN, IDENTITY_PICKLE_TAG, InMemoryPrekeyStore,
    MAX_PREKEY_STORE_PICKLE_LEN, PREKEY_STORE_PICKLE_TAG, PostQuantum, PrekeyPolicy, initiate,
    respond,
};

use super::handshake::NOW;
use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The identity pickle's key (no other vector file uses it).
pub const IDENTITY_PICKLE_KEY: [u8; 32] = [0x76; 32];
/// The identity pickle's context.
pub const IDENTITY_CONTEXT: &[u8] = b"Sotto/1 vectors identity of alice device 1";
/// The store pickle's key (no other vector file uses it).
pub const STORE_PICKLE_KEY: [u8; 32] = [0x77; 32];
/// The store pickle's context: owner and generation.
pub const STORE_CONTEXT: &[u8] = b"Sotto/1 vectors prekey store of bob device 1 generation 3";
/// Bundles listed for the restored store.
pub const BUNDLES: usize = 3;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickleVectors {
    /// Free text.
    pub description: String,
    /// The device-identity pickle.
    pub identity: IdentityPickleVector,
    /// The prekey-store pickle.
    pub prekey_store: StorePickleVector,
}

/// A device-identity pickle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityPickleVector {
    /// The pickle key.
    pub pickle_key: String,
    /// The context (hex of ASCII).
    pub context: String,
    /// `0x16 || u16be(len(context)) || context`.
    pub associated_data: String,
    /// The generator's draws: the Ed25519 seed, the X25519 private key, the pickle's salt.
    pub random_draws: Vec<String>,
    /// The 64-byte public identity (section 7.1's encoding).
    pub public_identity: String,
    /// The plaintext state: `signing_seed || identity_private`.
    pub state: String,
    /// The pickle.
    pub pickle: String,
}

/// A prekey-store pickle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorePickleVector {
    /// The pickle key.
    pub pickle_key: String,
    /// The context (hex of ASCII).
    pub context: String,
    /// `0x17 || u16be(len(context)) || context`.
    pub associated_data: String,
    /// What the store went through before it was pickled.
    pub history: String,
    /// The plaintext state of protocol.md 4.2.
    pub state: String,
    /// The pickle (its salt is bytes 1..17).
    pub pickle: String,
    /// The first bundles the restored store publishes, in order (section 7.2's bytes).
    pub published_bundles: Vec<String>,
}

fn associated_data(tag: u8, context: &[u8]) -> Vec<u8> {
    let mut ad = vec![tag];
    ad.extend_from_slice(
        &u16::try_from(context.len())
            .unwrap_or(u16::MAX)
            .to_be_bytes(),
    );
    ad.extend_from_slice(context);
    ad
}

fn identity_vector() -> Result<IdentityPickleVector, VectorError> {
    let mut rng = RecordingRng::new(0x1d_0001);
    let identity = DeviceIdentity::generate(&mut rng);
    let key = PickleKey::new(IDENTITY_PICKLE_KEY);
    let pickle = identity
        .pickle(&key, IDENTITY_CONTEXT, &mut rng)
        .map_err(|e| script_error(0, e))?;
    let state = envelope::open(
        IDENTITY_PICKLE_TAG,
        &key,
        IDENTITY_CONTEXT,
        &pickle,
        IDENTITY_PICKLE_LEN,
    )
    .map_err(|e| script_error(0, e))?;
    Ok(IdentityPickleVector {
        pickle_key: h(&IDENTITY_PICKLE_KEY),
        context: h(IDENTITY_CONTEXT),
        associated_data: h(&associated_data(IDENTITY_PICKLE_TAG, IDENTITY_CONTEXT)),
        random_draws: rng.draws().iter().map(|d| h(d)).collect(),
        public_identity: h(&identity.public().to_bytes()),
        state: h(&state),
        pickle: h(&pickle),
    })
}

fn store_vector() -> Result<StorePickleVector, VectorError> {
    let mut rng = RecordingRng::new(0x1d_0002);
    let policy = PrekeyPolicy {
        post_quantum: PostQuantum::Offered,
        one_time_prekeys: 2,
        replenish_below: 1,
        kem_one_time_prekeys: 1,
        ..PrekeyPolicy::default()
    };
    let mut store =
        InMemoryPrekeyStore::new(DeviceIdentity::generate(&mut rng), policy, NOW, &mut rng);
    // One accepted session setup (a one-time prekey and the one-time ML-KEM prekey used, a
    // replay record), then a rotation a day later (a retired signed prekey and last-resort
    // ML-KEM prekey).
    let mut alice_rng = RecordingRng::new(0x1d_0003);
    let alice = DeviceIdentity::generate(&mut alice_rng);
    let bundle = store
        .published()
        .ok_or_else(|| script_error(1, "no signed prekey"))?
        .take_bundle()
        .verify()
        .map_err(|e| script_error(1, e))?;
    let expected = *bundle.bundle().identity();
    let config = HandshakeConfig::default();
    let sent = initiate(
        &alice,
        &bundle,
        &expected,
        b"stored",
        &config,
        &mut alice_rng,
    )
    .map_err(|e| script_error(2, e))?;
    let accepted = respond(&mut store, &sent.message, &alice.public(), &config)
        .map_err(|e| script_error(3, e))?;
    if accepted.plaintext != b"stored" {
        return Err(script_error(3, "the first plaintext differs"));
    }
    store.rotate_signed_prekey(NOW + 86_400, &mut rng);

    let key = PickleKey::new(STORE_PICKLE_KEY);
    let pickle = store
        .pickle(&key, STORE_CONTEXT, &mut rng)
        .map_err(|e| script_error(4, e))?;
    let state = envelope::open(
        PREKEY_STORE_PICKLE_TAG,
        &key,
        STORE_CONTEXT,
        &pickle,
        MAX_PREKEY_STORE_PICKLE_LEN,
    )
    .map_err(|e| script_error(5, e))?;
    let restored = InMemoryPrekeyStore::from_pickle(&key, STORE_CONTEXT, &pickle)
        .map_err(|e| script_error(6, e))?;
    let mut published = restored
        .published()
        .ok_or_else(|| script_error(7, "no signed prekey"))?;
    let published_bundles = (0..BUNDLES)
        .map(|_| h(&published.take_bundle().to_bytes()))
        .collect();
    Ok(StorePickleVector {
        pickle_key: h(&STORE_PICKLE_KEY),
        context: h(STORE_CONTEXT),
        associated_data: h(&associated_data(PREKEY_STORE_PICKLE_TAG, STORE_CONTEXT)),
        history: format!(
            "created at {NOW} with 2 one-time prekeys and 1 one-time ML-KEM prekey (PQXDH); \
             accepted one PQXDH initial message (one-time prekey and one-time ML-KEM prekey \
             used, one replay record); signed prekey rotated at {}",
            NOW + 86_400
        ),
        state: h(&state),
        pickle: h(&pickle),
        published_bundles,
    })
}

/// Builds the file.
pub fn generate() -> Result<PickleVectors, VectorError> {
    Ok(PickleVectors {
        description: "Sotto/1 pickles of a device identity (0x16) and a prekey store (0x17): \
                      key, context, associated data, plaintext state and pickle. See \
                      docs/protocol.md, sections 4 and 4.2."
            .into(),
        identity: identity_vector()?,
        prekey_store: store_vector()?,
    })
}
