//! Header keys of the header-encryption variant and HENCRYPT/HDECRYPT.
//!
//! A header key is used for a whole sending chain, so each header is encrypted under a fresh
//! AEAD key and nonce: HKDF-SHA256(salt = 16 random bytes sent in the clear, ikm = HK,
//! info = HEADER_KEYS) to 44 bytes. The 128-bit random salt meets the specification's
//! requirement of at least 128 bits of nonce entropy for a reused header key.

use sotto_crypto::SecretBytes;
use sotto_crypto::aead::{self, NONCE_LEN, TAG_LEN};
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::labels::HEADER_KEYS;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::header::{HEADER_LEN, Header};

/// Length of the per-message header salt.
pub(crate) const HEADER_SALT_LEN: usize = 16;
/// Length of an encrypted header: the header plus the AEAD tag.
pub(crate) const ENCRYPTED_HEADER_LEN: usize = HEADER_LEN + TAG_LEN;

/// HKs, HKr, NHKs or NHKr.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub(crate) struct HeaderKey(SecretBytes<32>);

impl HeaderKey {
    pub(crate) const fn new(bytes: SecretBytes<32>) -> Self {
        Self(bytes)
    }

    pub(crate) const fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    pub(crate) fn aead_key_and_nonce(
        &self,
        salt: &[u8; HEADER_SALT_LEN],
    ) -> (SecretBytes<32>, [u8; NONCE_LEN]) {
        let okm = hkdf_sha256::<44>(Some(salt), self.expose(), HEADER_KEYS);
        let mut key = SecretBytes::<32>::zero();
        key.expose_mut().copy_from_slice(&okm.expose()[..32]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&okm.expose()[32..]);
        (key, nonce)
    }

    /// HENCRYPT: the encrypted header (40 bytes of ciphertext, then the 16-byte tag).
    pub(crate) fn seal(
        &self,
        salt: &[u8; HEADER_SALT_LEN],
        associated_data: &[u8],
        header: &Header,
    ) -> [u8; ENCRYPTED_HEADER_LEN] {
        let (key, nonce) = self.aead_key_and_nonce(salt);
        let mut out = [0u8; ENCRYPTED_HEADER_LEN];
        out[..HEADER_LEN].copy_from_slice(&header.to_bytes());
        let tag = aead::seal_in_place(&key, &nonce, associated_data, &mut out[..HEADER_LEN]);
        out[HEADER_LEN..].copy_from_slice(&tag);
        out
    }

    /// HDECRYPT: the header, or `None` if it does not authenticate under this key.
    pub(crate) fn open(
        &self,
        salt: &[u8; HEADER_SALT_LEN],
        associated_data: &[u8],
        encrypted: &[u8; ENCRYPTED_HEADER_LEN],
    ) -> Option<Header> {
        let (key, nonce) = self.aead_key_and_nonce(salt);
        let mut plain = [0u8; HEADER_LEN];
        plain.copy_from_slice(&encrypted[..HEADER_LEN]);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&encrypted[HEADER_LEN..]);
        aead::open_in_place(&key, &nonce, associated_data, &mut plain, &tag).ok()?;
        Some(Header::from_bytes(&plain))
    }
}
