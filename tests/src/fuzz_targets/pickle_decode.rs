//! Target `pickle_decode`: restoring a session or a device identity from an encrypted pickle.
//!
//! A pickle is authenticated (AEAD) under the pickle key, so mutated pickles stop at the type
//! tag, length and authentication checks. To reach the state decoders behind them, the target
//! also seals the input itself as a state under the fixed key and context (the envelope is
//! public in `sotto_crypto::pickle`), so every byte the fuzzer varies lands in the decoder.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::pickle::seal;
use sotto_crypto::wire;
use sotto_handshake::{DeviceIdentity, InMemoryPrekeyStore};
use sotto_ratchet::Session;

use super::{PICKLE_CONTEXT, pickle_key, snapshot};

/// Restores `data` as a session pickle, a device-identity pickle and a prekey-store pickle,
/// and restores `data` sealed as the plaintext state of each, all with the fixed
/// [`pickle_key`](super::pickle_key) and [`PICKLE_CONTEXT`]. An accepted pickle must re-pickle
/// to the same state: pickling it again and restoring gives byte-identical results. Returns
/// whether any of the six was accepted.
pub fn pickle_decode(data: &[u8]) -> bool {
    let mut rng = StdRng::seed_from_u64(2);
    let as_session_state = seal(
        wire::SESSION_PICKLE,
        &pickle_key(),
        PICKLE_CONTEXT,
        data,
        &mut rng,
    )
    .expect("the context fits");
    let as_identity_state = seal(
        wire::IDENTITY_PICKLE,
        &pickle_key(),
        PICKLE_CONTEXT,
        data,
        &mut rng,
    )
    .expect("the context fits");
    let as_store_state = seal(
        wire::PREKEY_STORE_PICKLE,
        &pickle_key(),
        PICKLE_CONTEXT,
        data,
        &mut rng,
    )
    .expect("the context fits");
    let stores = [data, &as_store_state]
        .iter()
        .filter(|bytes| store_round_trip(bytes))
        .count();
    let sessions = [data, &as_session_state]
        .iter()
        .filter(|bytes| session_round_trip(bytes))
        .count();
    let identities = [data, &as_identity_state]
        .iter()
        .filter(|bytes| identity_round_trip(bytes))
        .count();
    sessions + identities + stores > 0
}

fn session_round_trip(data: &[u8]) -> bool {
    let Ok(session) = Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, data) else {
        return false;
    };
    let first = snapshot(&session);
    let restored =
        Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, &first).expect("own pickle refused");
    assert_eq!(
        snapshot(&restored),
        first,
        "pickle round trip changed the state"
    );
    let other = session
        .pickle(&pickle_key(), PICKLE_CONTEXT, &mut StdRng::seed_from_u64(1))
        .expect("pickle");
    let restored =
        Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, &other).expect("own pickle refused");
    assert_eq!(
        snapshot(&restored),
        first,
        "the pickle nonce changed the state"
    );
    true
}

fn identity_round_trip(data: &[u8]) -> bool {
    let Ok(identity) = DeviceIdentity::from_pickle(&pickle_key(), PICKLE_CONTEXT, data) else {
        return false;
    };
    let again = identity
        .pickle(&pickle_key(), PICKLE_CONTEXT, &mut StdRng::seed_from_u64(1))
        .expect("pickle");
    let restored = DeviceIdentity::from_pickle(&pickle_key(), PICKLE_CONTEXT, &again)
        .expect("own pickle refused");
    assert_eq!(
        restored.public(),
        identity.public(),
        "identity round trip changed the keys"
    );
    assert_eq!(
        restored.signing_key().expose_seed(),
        identity.signing_key().expose_seed()
    );
    true
}

fn store_round_trip(data: &[u8]) -> bool {
    let Ok(store) = InMemoryPrekeyStore::from_pickle(&pickle_key(), PICKLE_CONTEXT, data) else {
        return false;
    };
    let again = store
        .pickle(&pickle_key(), PICKLE_CONTEXT, &mut StdRng::seed_from_u64(1))
        .expect("pickle");
    let restored = InMemoryPrekeyStore::from_pickle(&pickle_key(), PICKLE_CONTEXT, &again)
        .expect("own pickle refused");
    assert_eq!(
        format!("{restored:?}"),
        format!("{store:?}"),
        "store round trip changed the store"
    );
    let third = restored
        .pickle(&pickle_key(), PICKLE_CONTEXT, &mut StdRng::seed_from_u64(1))
        .expect("pickle");
    assert_eq!(third, again, "store round trip changed the state");
    true
}
