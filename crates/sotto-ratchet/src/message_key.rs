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

    /// Encrypts `plaintext` into `out` (same length) in one pass, returning the tag.
    pub(crate) fn seal_to(
        &self,
        associated_data: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], AeadError> {
        let (key, nonce) = self.aead_key_and_nonce();
        aead::seal_to(&key, &nonce, associated_data, plaintext, out)
    }

    /// Checks and decrypts ciphertext-with-tag into `out`, reusing its allocation when it is
    /// large enough. On failure `out` is cleared.
    pub(crate) fn open_into(
        &self,
        associated_data: &[u8],
        ciphertext_and_tag: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), AeadError> {
        let (key, nonce) = self.aead_key_and_nonce();
        let split = ciphertext_and_tag
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(AeadError)?;
        let (ciphertext, tag) = ciphertext_and_tag.split_at(split);
        let mut tag_bytes = [0u8; TAG_LEN];
        tag_bytes.copy_from_slice(tag);
        size_buffer(out, ciphertext.len());
        let result = aead::open_to(&key, &nonce, associated_data, ciphertext, &tag_bytes, out);
        if result.is_err() {
            out.clear();
        }
        result
    }
}

/// Makes `buffer` exactly `len` bytes long. A buffer with enough capacity keeps its bytes (the
/// caller overwrites them all), so a reused buffer costs no pass over memory; otherwise a new
/// zeroed allocation (calloc) replaces it.
pub(crate) fn size_buffer(buffer: &mut Vec<u8>, len: usize) {
    if buffer.capacity() >= len {
        buffer.truncate(len);
        buffer.resize(len, 0);
    } else {
        *buffer = vec![0u8; len];
    }
}
