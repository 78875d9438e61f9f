//! Message keys and ENCRYPT/DECRYPT.

use sotto_crypto::SecretBytes;
use sotto_crypto::aead::{self, AeadError, NONCE_LEN, TAG_LEN};
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::labels::MESSAGE_KEYS;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// MK: used for exactly one message, then deleted.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageKey(SecretBytes<32>);

impl MessageKey {
    pub(crate) const fn new(bytes: SecretBytes<32>) -> Self {
        Self(bytes)
    }

    pub(crate) const fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// HKDF-SHA256(no salt, ikm = MK, info = MESSAGE_KEYS) to 44 bytes: AEAD key = 0..32,
    /// nonce = 32..44.
    pub(crate) fn aead_key_and_nonce(&self) -> (SecretBytes<32>, [u8; NONCE_LEN]) {
        let okm = hkdf_sha256::<44>(None, self.expose(), MESSAGE_KEYS);
        let mut key = SecretBytes::<32>::zero();
        key.expose_mut().copy_from_slice(&okm.expose()[..32]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&okm.expose()[32..]);
        (key, nonce)
    }

    /// Encrypts `buffer` in place, returning the tag.
    pub(crate) fn seal(&self, associated_data: &[u8], buffer: &mut [u8]) -> [u8; TAG_LEN] {
        let (key, nonce) = self.aead_key_and_nonce();
        aead::seal_in_place(&key, &nonce, associated_data, buffer)
    }

    /// Decrypts ciphertext-with-tag into a new plaintext vector.
    pub(crate) fn open(
        &self,
        associated_data: &[u8],
        ciphertext_and_tag: &[u8],
    ) -> Result<Vec<u8>, AeadError> {
        let (key, nonce) = self.aead_key_and_nonce();
        aead::open(&key, &nonce, associated_data, ciphertext_and_tag)
    }
}
