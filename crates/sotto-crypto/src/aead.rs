//! ChaCha20-Poly1305 as specified in RFC 8439: 32-byte key, 12-byte nonce, 16-byte tag.
//!
//! Sotto never picks nonces at random for this AEAD: every key is derived for one message
//! together with its nonce, so a (key, nonce) pair is never reused. The wire format always
//! appends the tag to the ciphertext; the in-place functions keep it detached so callers can
//! write straight into their output buffer.

use chacha20poly1305::aead::inout::InOutBuf;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};

use crate::SecretBytes;

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
/// Nonce length in bytes.
pub const NONCE_LEN: usize = 12;
/// Tag length in bytes.
pub const TAG_LEN: usize = 16;

/// Authentication failed: wrong key, wrong nonce, wrong associated data or a modified
/// ciphertext. Deliberately carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("AEAD authentication failed")]
pub struct AeadError;

/// Encrypts `buffer` in place and returns the tag.
pub fn seal_in_place(
    key: &SecretBytes<KEY_LEN>,
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    buffer: &mut [u8],
) -> [u8; TAG_LEN] {
    let cipher = ChaCha20Poly1305::new(key.expose().into());
    // Encryption fails only for inputs over 256 GiB, which no caller can hold in memory (and
    // every caller bounds far lower). Were it to happen, the all-zero tag fails closed: the
    // receiver refuses the message.
    match cipher.encrypt_inout_detached(&Nonce::from(*nonce), associated_data, buffer.into()) {
        Ok(tag) => tag.into(),
        Err(_) => [0u8; TAG_LEN],
    }
}

/// Checks `tag` and decrypts `buffer` in place. On failure `buffer` is left as it was.
pub fn open_in_place(
    key: &SecretBytes<KEY_LEN>,
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    buffer: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), AeadError> {
    let cipher = ChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            associated_data,
            buffer.into(),
            &Tag::from(*tag),
        )
        .map_err(|_| AeadError)
}

/// Encrypts `plaintext` into `out`, which must have the same length, and returns the tag.
/// Reads the input once and writes the output once: no intermediate copy.
pub fn seal_to(
    key: &SecretBytes<KEY_LEN>,
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<[u8; TAG_LEN], AeadError> {
    let buffer = InOutBuf::new(plaintext, out).map_err(|_| AeadError)?;
    let cipher = ChaCha20Poly1305::new(key.expose().into());
    cipher
        .encrypt_inout_detached(&Nonce::from(*nonce), associated_data, buffer)
        .map(Into::into)
        .map_err(|_| AeadError)
}

/// Checks `tag` over `ciphertext` and decrypts it into `out`, which must have the same
/// length. On failure `out` is not written.
pub fn open_to(
    key: &SecretBytes<KEY_LEN>,
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    ciphertext: &[u8],
    tag: &[u8; TAG_LEN],
    out: &mut [u8],
) -> Result<(), AeadError> {
    let buffer = InOutBuf::new(ciphertext, out).map_err(|_| AeadError)?;
    let cipher = ChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt_inout_detached(
            &Nonce::from(*nonce),
            associated_data,
            buffer,
            &Tag::from(*tag),
        )
        .map_err(|_| AeadError)
}

/// Encrypts `plaintext`, returning ciphertext with the 16-byte tag appended.
pub fn seal(
    key: &SecretBytes<KEY_LEN>,
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    plaintext: &[u8],
) -> Vec<u8> {
    // A zeroed allocation (calloc: fresh zero pages for large buffers), then one pass.
    let mut out = vec![0u8; plaintext.len() + TAG_LEN];
    let (body, tag_out) = out.split_at_mut(plaintext.len());
    // The lengths match by construction; seal_to cannot fail here.
    if let Ok(tag) = seal_to(key, nonce, associated_data, plaintext, body) {
        tag_out.copy_from_slice(&tag);
    }
    out
}

/// Checks and decrypts ciphertext-with-tag, returning the plaintext.
pub fn open(
    key: &SecretBytes<KEY_LEN>,
    nonce: &[u8; NONCE_LEN],
    associated_data: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let split = ciphertext_and_tag
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(AeadError)?;
    let (ciphertext, tag) = ciphertext_and_tag.split_at(split);
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| AeadError)?;
    let mut out = vec![0u8; ciphertext.len()];
    open_to(key, nonce, associated_data, ciphertext, &tag, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8439_section_2_8_2() {
        let key: [u8; 32] =
            hex::decode("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
                .unwrap()
                .try_into()
                .unwrap();
        let nonce: [u8; 12] = hex::decode("070000004041424344454647")
            .unwrap()
            .try_into()
            .unwrap();
        let aad = hex::decode("50515253c0c1c2c3c4c5c6c7").unwrap();
        let pt = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let ct = seal(&SecretBytes::new(key), &nonce, &aad, pt);
        assert_eq!(
            hex::encode(&ct[pt.len()..]),
            "1ae10b594f09e26a7e902ecbd0600691"
        );
        assert_eq!(hex::encode(&ct[..16]), "d31a8d34648e60db7b86afbc53ef7ec2");
        assert_eq!(open(&SecretBytes::new(key), &nonce, &aad, &ct).unwrap(), pt);
    }

    #[test]
    fn failures_are_opaque_and_leave_buffer() {
        let key = SecretBytes::new([1u8; 32]);
        let nonce = [2u8; 12];
        let ct = seal(&key, &nonce, b"ad", b"hello");
        assert_eq!(open(&key, &nonce, b"ad!", &ct), Err(AeadError));
        assert_eq!(
            open(&SecretBytes::new([3u8; 32]), &nonce, b"ad", &ct),
            Err(AeadError)
        );
        assert_eq!(open(&key, &nonce, b"ad", &ct[..15]), Err(AeadError));
        let mut body = ct[..5].to_vec();
        let tag: [u8; 16] = ct[5..].try_into().unwrap();
        let mut bad_tag = tag;
        bad_tag[0] ^= 1;
        assert_eq!(
            open_in_place(&key, &nonce, b"ad", &mut body, &bad_tag),
            Err(AeadError)
        );
        assert_eq!(body, ct[..5]);
        open_in_place(&key, &nonce, b"ad", &mut body, &tag).unwrap();
        assert_eq!(body, b"hello");
        // The one-pass forms agree with the in-place ones and refuse length mismatches.
        let mut out = [0u8; 5];
        open_to(&key, &nonce, b"ad", &ct[..5], &tag, &mut out).unwrap();
        assert_eq!(&out, b"hello");
        let mut short = [0u8; 4];
        assert_eq!(
            open_to(&key, &nonce, b"ad", &ct[..5], &tag, &mut short),
            Err(AeadError)
        );
        assert_eq!(
            seal_to(&key, &nonce, b"ad", b"hello", &mut short),
            Err(AeadError)
        );
        let mut sealed = [0u8; 5];
        assert_eq!(
            seal_to(&key, &nonce, b"ad", b"hello", &mut sealed).unwrap(),
            tag
        );
        assert_eq!(sealed, ct[..5]);
    }
}
