//! Target `pickle_decode`: restoring a session from an encrypted pickle.
//!
//! A pickle is authenticated (AEAD) under the pickle key, so mutated inputs stop at the
//! version, length and authentication checks; the state decoder behind them is reached only
//! by the valid pickles of the seed corpus. That is what this target can honestly cover
//! without a test hook into the ratchet crate.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_ratchet::Session;

use super::{PICKLE_CONTEXT, pickle_key, snapshot};

/// Restores `data` with the fixed [`pickle_key`](super::pickle_key). An accepted pickle must
/// re-pickle to the same state: pickling it again (with the snapshot generator, and with
/// another generator) and restoring gives byte-identical snapshots. Returns whether `data`
/// was accepted.
pub fn pickle_decode(data: &[u8]) -> bool {
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
