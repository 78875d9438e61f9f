//! The encrypted envelope every Sotto pickle (persisted secret state) shares.
//!
//! ```text
//! pickle = tag[1] || salt[16] || ChaCha20-Poly1305(key, nonce, ad, state) || poly1305_tag[16]
//! key[32] || nonce[12] = HKDF-SHA256(salt = salt, ikm = pickle key, info = PICKLE_KEYS)
//! ad = tag[1] || u16be(len(context)) || context
//! ```
//!
//! `tag` is the object's type tag from [`crate::wire`], so a session pickle does not open as
//! an identity pickle. `context` is chosen by the caller and must be given again to open the
//! pickle: binding it to the owner (for example the owner's and the peer's device ids) stops a
//! pickle from being swapped between objects, and adding a generation counter the caller keeps
//! elsewhere stops an old pickle from being restored (rollback). See `docs/protocol.md`,
//! sections 4 and 4.1.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::aead::{self, TAG_LEN};
use crate::kdf::hkdf_sha256;
use crate::labels::PICKLE_KEYS;
use crate::{CryptoRng, SecretBytes};

/// Length of the per-pickle salt.
pub const SALT_LEN: usize = 16;
/// Bytes the envelope adds to the state: type tag, salt, Poly1305 tag.
pub const OVERHEAD: usize = 1 + SALT_LEN + TAG_LEN;
/// Longest caller context (it is length-prefixed with a u16).
pub const MAX_CONTEXT_LEN: usize = u16::MAX as usize;

/// The 32-byte key a caller encrypts pickles under.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PickleKey(SecretBytes<32>);

impl PickleKey {
    /// Wraps the key bytes.
    #[must_use]
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(SecretBytes::new(bytes))
    }

    fn aead_key_and_nonce(&self, salt: &[u8]) -> (SecretBytes<32>, [u8; 12]) {
        let okm = hkdf_sha256::<44>(Some(salt), self.0.expose(), PICKLE_KEYS);
        let mut key = SecretBytes::<32>::zero();
        key.expose_mut().copy_from_slice(&okm.expose()[..32]);
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&okm.expose()[32..]);
        (key, nonce)
    }
}

impl fmt::Debug for PickleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PickleKey(..)")
    }
}

/// Why an envelope did not open. The decoders above map each to their own validation ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The first byte is not the expected type tag (or the input is empty).
    #[error("unknown version or type tag {0:#04x}")]
    UnknownTag(u8),
    /// Shorter than [`OVERHEAD`].
    #[error("pickle is truncated")]
    Truncated,
    /// Longer than the caller's limit.
    #[error("pickle is too long")]
    TooLong,
    /// The caller's context is longer than [`MAX_CONTEXT_LEN`].
    #[error("context is longer than 65535 bytes")]
    ContextTooLong,
    /// Wrong key, wrong context, or a modified byte.
    #[error("wrong key or context, or corrupted")]
    WrongKeyOrCorrupted,
}

fn associated_data(tag: u8, context: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let len = u16::try_from(context.len()).map_err(|_| EnvelopeError::ContextTooLong)?;
    let mut ad = Vec::with_capacity(3 + context.len());
    ad.push(tag);
    ad.extend_from_slice(&len.to_be_bytes());
    ad.extend_from_slice(context);
    Ok(ad)
}

/// Encrypts `state` as a pickle of type `tag` bound to `context`. `rng` supplies the salt.
/// The output buffer is allocated once at its final size, so no copy of the state is left
/// behind in a freed buffer.
pub fn seal<R: CryptoRng + ?Sized>(
    tag: u8,
    key: &PickleKey,
    context: &[u8],
    state: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, EnvelopeError> {
    let ad = associated_data(tag, context)?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let (aead_key, nonce) = key.aead_key_and_nonce(&salt);
    let mut out = Vec::with_capacity(OVERHEAD + state.len());
    out.push(tag);
    out.extend_from_slice(&salt);
    let start = out.len();
    out.extend_from_slice(state);
    let poly_tag = aead::seal_in_place(&aead_key, &nonce, &ad, &mut out[start..]);
    out.extend_from_slice(&poly_tag);
    Ok(out)
}

/// Opens a pickle of type `tag` bound to `context`, refusing input longer than `max_len`.
/// The returned state wipes itself on drop.
pub fn open(
    tag: u8,
    key: &PickleKey,
    context: &[u8],
    pickle: &[u8],
    max_len: usize,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    match pickle.first() {
        Some(&t) if t == tag => {}
        Some(&other) => return Err(EnvelopeError::UnknownTag(other)),
        None => return Err(EnvelopeError::UnknownTag(0)),
    }
    if pickle.len() < OVERHEAD {
        return Err(EnvelopeError::Truncated);
    }
    if pickle.len() > max_len {
        return Err(EnvelopeError::TooLong);
    }
    let ad = associated_data(tag, context)?;
    let (salt, rest) = pickle[1..].split_at(SALT_LEN);
    let (ciphertext, poly_tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut tag_bytes = [0u8; TAG_LEN];
    tag_bytes.copy_from_slice(poly_tag);
    let (aead_key, nonce) = key.aead_key_and_nonce(salt);
    let mut state = Zeroizing::new(ciphertext.to_vec());
    aead::open_in_place(&aead_key, &nonce, &ad, &mut state, &tag_bytes)
        .map_err(|_| EnvelopeError::WrongKeyOrCorrupted)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire;

    fn sealed(context: &[u8]) -> Vec<u8> {
        let key = PickleKey::new([7; 32]);
        seal(
            wire::SESSION_PICKLE,
            &key,
            context,
            b"state",
            &mut rand::rng(),
        )
        .unwrap()
    }

    #[test]
    fn opens_only_with_the_same_tag_key_and_context() {
        let key = PickleKey::new([7; 32]);
        let p = sealed(b"alice/1 bob/2 gen 5");
        let state = open(
            wire::SESSION_PICKLE,
            &key,
            b"alice/1 bob/2 gen 5",
            &p,
            1 << 20,
        )
        .unwrap();
        assert_eq!(&state[..], b"state");
        assert_eq!(
            open(
                wire::SESSION_PICKLE,
                &key,
                b"alice/1 bob/2 gen 4",
                &p,
                1 << 20
            ),
            Err(EnvelopeError::WrongKeyOrCorrupted)
        );
        assert_eq!(
            open(
                wire::SESSION_PICKLE,
                &PickleKey::new([8; 32]),
                b"alice/1 bob/2 gen 5",
                &p,
                1 << 20
            ),
            Err(EnvelopeError::WrongKeyOrCorrupted)
        );
        assert_eq!(
            open(
                wire::IDENTITY_PICKLE,
                &key,
                b"alice/1 bob/2 gen 5",
                &p,
                1 << 20
            ),
            Err(EnvelopeError::UnknownTag(wire::SESSION_PICKLE))
        );
        // The tag byte is authenticated too: rewriting it does not make it open as another type.
        let mut retagged = p.clone();
        retagged[0] = wire::IDENTITY_PICKLE;
        assert_eq!(
            open(
                wire::IDENTITY_PICKLE,
                &key,
                b"alice/1 bob/2 gen 5",
                &retagged,
                1 << 20
            ),
            Err(EnvelopeError::WrongKeyOrCorrupted)
        );
    }

    #[test]
    fn the_context_length_prefix_separates_contexts() {
        // Without the length prefix, tag || "" and a context starting with the same bytes
        // could collide; with it, an empty and a one-byte context differ.
        let key = PickleKey::new([7; 32]);
        let p = sealed(b"");
        assert!(open(wire::SESSION_PICKLE, &key, b"", &p, 1 << 20).is_ok());
        assert!(open(wire::SESSION_PICKLE, &key, b"\0", &p, 1 << 20).is_err());
    }

    #[test]
    fn bad_lengths_and_contexts_are_typed_errors() {
        let key = PickleKey::new([7; 32]);
        let p = sealed(b"c");
        assert_eq!(
            open(
                wire::SESSION_PICKLE,
                &key,
                b"c",
                &p[..OVERHEAD - 1],
                1 << 20
            ),
            Err(EnvelopeError::Truncated)
        );
        assert_eq!(
            open(wire::SESSION_PICKLE, &key, b"c", &p, p.len() - 1),
            Err(EnvelopeError::TooLong)
        );
        assert_eq!(
            open(wire::SESSION_PICKLE, &key, b"c", &[], 1 << 20),
            Err(EnvelopeError::UnknownTag(0))
        );
        let long = vec![0u8; MAX_CONTEXT_LEN + 1];
        assert_eq!(
            seal(wire::SESSION_PICKLE, &key, &long, b"s", &mut rand::rng()),
            Err(EnvelopeError::ContextTooLong)
        );
        assert_eq!(
            open(wire::SESSION_PICKLE, &key, &long, &p, 1 << 20),
            Err(EnvelopeError::ContextTooLong)
        );
    }
}
