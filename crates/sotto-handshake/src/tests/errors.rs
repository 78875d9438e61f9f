//! The public error types: `#[non_exhaustive]`, pinned by the doctests of `error.rs`.

use super::*;
use crate::error::{CommitError, StoreErrorKind};

/// Inside the crate `#[non_exhaustive]` does not apply, so these matches compile only if
/// they name every variant: the same lists as the `compile_fail` doctests of `error.rs`,
/// which therefore fail for the attribute alone, not for a misspelt variant.
#[test]
fn the_non_exhaustive_doctests_name_every_variant() {
    fn handshake(e: &HandshakeError) -> bool {
        use HandshakeError::*;
        match e {
            PostQuantumRequired
            | PostQuantumMismatch
            | NonContributory
            | UnknownSignedPrekey(_)
            | UnknownOneTimePrekey(_)
            | UnknownKemPrekey(_)
            | Replayed
            | Decryption
            | UnexpectedIdentity
            | Session(_)
            | Encryption(_)
            | Store(_) => true,
        }
    }
    fn commit(e: &CommitError) -> bool {
        use CommitError::*;
        match e {
            Replayed | SignedPrekeyGone(_) | OneTimePrekeyGone(_) | KemPrekeyGone(_) | Store(_) => {
                true
            }
        }
    }
    fn kind(e: StoreErrorKind) -> bool {
        use StoreErrorKind::*;
        match e {
            Backend | Corrupt => true,
        }
    }
    fn decode(e: DecodeError) -> bool {
        use DecodeError::*;
        match e {
            UnknownVersion(_) | Truncated | TrailingBytes | InvalidFlag | InvalidKey
            | RatchetMessage(_) => true,
        }
    }
    fn bundle(e: BundleError) -> bool {
        use BundleError::*;
        match e {
            SignedPrekeySignature | KemPrekeySignature | Downgrade | UnexpectedKemPrekey => true,
        }
    }
    assert!(handshake(&HandshakeError::UnexpectedIdentity));
    assert!(commit(&CommitError::Replayed));
    assert!(kind(StoreErrorKind::Backend));
    assert!(decode(DecodeError::Truncated));
    assert!(bundle(BundleError::Downgrade));
}
