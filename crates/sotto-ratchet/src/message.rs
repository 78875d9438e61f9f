//! The ratchet message on the wire.
//!
//! Standard kind (type tag `0x11`):
//!
//! ```text
//! 0x11 || header[40] || ciphertext || tag[16]
//! ```
//!
//! Header-encryption kind (type tag `0x12`):
//!
//! ```text
//! 0x12 || header_salt[16] || encrypted_header[56] || ciphertext || tag[16]
//! ```
//!
//! The first byte is the type tag of the registry in [`sotto_crypto::wire`] (format version 1
//! in the high nibble). Decoding is strict: any other first byte (RAT-01), an input shorter than the smallest
//! message of its kind (RAT-02) and one longer than the largest message of its kind (RAT-03:
//! [`MAX_PLAINTEXT_LEN`] plus the kind's overhead) are refused.
//! The ciphertext takes the rest of the input, so there is no trailing data to refuse.

use core::fmt;

use sotto_crypto::aead::TAG_LEN;

use crate::header::{HEADER_LEN, Header};
use crate::header_key::{ENCRYPTED_HEADER_LEN, HEADER_SALT_LEN};
use crate::{DecodeError, SessionKind};

/// Type tag (first byte) of standard-kind messages.
pub const VERSION_STANDARD: u8 = sotto_crypto::wire::STANDARD_MESSAGE;
/// Type tag (first byte) of header-encryption messages.
pub const VERSION_HEADER_ENCRYPTED: u8 = sotto_crypto::wire::HEADER_ENCRYPTED_MESSAGE;
/// Largest plaintext a message may carry (16 MiB).
pub const MAX_PLAINTEXT_LEN: usize = 1 << 24;
/// Bytes a standard message adds to its plaintext: type tag, header, Poly1305 tag.
pub const STANDARD_OVERHEAD: usize = 1 + HEADER_LEN + TAG_LEN;
/// Bytes a header-encryption message adds: type tag, salt, encrypted header, Poly1305 tag.
pub const HEADER_ENCRYPTED_OVERHEAD: usize = 1 + HEADER_SALT_LEN + ENCRYPTED_HEADER_LEN + TAG_LEN;
/// Largest encoded message of either kind (a header-encryption message with the largest
/// plaintext); a standard message is at most [`MAX_PLAINTEXT_LEN`] + [`STANDARD_OVERHEAD`].
pub const MAX_MESSAGE_LEN: usize = MAX_PLAINTEXT_LEN + HEADER_ENCRYPTED_OVERHEAD;

/// An encoded ratchet message, known to be well-formed.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    bytes: Vec<u8>,
    kind: SessionKind,
}

impl Message {
    /// Decodes and checks a message (RAT-01, RAT-02, RAT-03).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let (kind, min) = match bytes.first() {
            Some(&VERSION_STANDARD) => (SessionKind::Standard, STANDARD_OVERHEAD),
            Some(&VERSION_HEADER_ENCRYPTED) => {
                (SessionKind::HeaderEncrypted, HEADER_ENCRYPTED_OVERHEAD)
            }
            Some(&other) => return Err(DecodeError::UnknownVersion(other)),
            None => return Err(DecodeError::UnknownVersion(0)),
        };
        if bytes.len() < min {
            return Err(DecodeError::Truncated {
                len: bytes.len(),
                min,
            });
        }
        let max = MAX_PLAINTEXT_LEN + min;
        if bytes.len() > max {
            return Err(DecodeError::TooLong {
                len: bytes.len(),
                max,
            });
        }
        Ok(Self {
            bytes: bytes.to_vec(),
            kind,
        })
    }

    /// Wraps bytes this crate has just built.
    pub(crate) const fn from_parts(bytes: Vec<u8>, kind: SessionKind) -> Self {
        Self { bytes, kind }
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The encoded bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Which session kind produced the message.
    pub const fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The clear header of a standard message; `None` for a header-encryption message.
    pub fn header(&self) -> Option<Header> {
        match self.kind {
            SessionKind::Standard => Some(Header::from_bytes(self.header_bytes()?)),
            SessionKind::HeaderEncrypted => None,
        }
    }

    /// The bytes before the ciphertext: everything the body's associated data covers.
    pub(crate) fn prefix(&self) -> &[u8] {
        &self.bytes[..self.prefix_len()]
    }

    /// Ciphertext followed by its tag.
    pub(crate) fn body(&self) -> &[u8] {
        &self.bytes[self.prefix_len()..]
    }

    const fn prefix_len(&self) -> usize {
        match self.kind {
            SessionKind::Standard => 1 + HEADER_LEN,
            SessionKind::HeaderEncrypted => 1 + HEADER_SALT_LEN + ENCRYPTED_HEADER_LEN,
        }
    }

    fn header_bytes(&self) -> Option<&[u8; HEADER_LEN]> {
        self.bytes.get(1..1 + HEADER_LEN)?.try_into().ok()
    }

    /// Salt and encrypted header of a header-encryption message.
    pub(crate) fn encrypted_header(
        &self,
    ) -> Option<(&[u8; HEADER_SALT_LEN], &[u8; ENCRYPTED_HEADER_LEN])> {
        let salt = self.bytes.get(1..1 + HEADER_SALT_LEN)?.try_into().ok()?;
        let start = 1 + HEADER_SALT_LEN;
        let header = self
            .bytes
            .get(start..start + ENCRYPTED_HEADER_LEN)?
            .try_into()
            .ok()?;
        Some((salt, header))
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("kind", &self.kind)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RAT-01, RAT-02, RAT-03: exactly which inputs decode.
    #[test]
    fn acceptance_policy() {
        // RAT-01
        assert_eq!(
            Message::from_bytes(&[]),
            Err(DecodeError::UnknownVersion(0))
        );
        // Every other first byte: the version-0 tags 0x01 and 0x02, the other objects' tags
        // (an initial message, a bundle, a pickle), and unknown versions.
        for v in (0..=u8::MAX).filter(|v| ![VERSION_STANDARD, VERSION_HEADER_ENCRYPTED].contains(v))
        {
            assert_eq!(
                Message::from_bytes(&[v; 200]),
                Err(DecodeError::UnknownVersion(v))
            );
        }
        // RAT-02: one byte short of the minimum, then exactly the minimum.
        let mut m = vec![VERSION_STANDARD; STANDARD_OVERHEAD - 1];
        assert_eq!(
            Message::from_bytes(&m),
            Err(DecodeError::Truncated { len: 56, min: 57 })
        );
        m.push(0);
        let ok = Message::from_bytes(&m).unwrap();
        assert_eq!(ok.kind(), SessionKind::Standard);
        assert_eq!(ok.body().len(), TAG_LEN);
        let mut h = vec![VERSION_HEADER_ENCRYPTED; HEADER_ENCRYPTED_OVERHEAD - 1];
        assert_eq!(
            Message::from_bytes(&h),
            Err(DecodeError::Truncated { len: 88, min: 89 })
        );
        h.push(0);
        let ok = Message::from_bytes(&h).unwrap();
        assert_eq!(ok.kind(), SessionKind::HeaderEncrypted);
        assert!(ok.header().is_none());
        assert!(ok.encrypted_header().is_some());
        // RAT-03
        let max_standard = MAX_PLAINTEXT_LEN + STANDARD_OVERHEAD;
        let big = vec![VERSION_STANDARD; max_standard + 1];
        assert_eq!(
            Message::from_bytes(&big),
            Err(DecodeError::TooLong {
                len: max_standard + 1,
                max: max_standard
            })
        );
        assert!(Message::from_bytes(&big[..max_standard]).is_ok());
        let big = vec![VERSION_HEADER_ENCRYPTED; MAX_MESSAGE_LEN + 1];
        assert_eq!(
            Message::from_bytes(&big),
            Err(DecodeError::TooLong {
                len: MAX_MESSAGE_LEN + 1,
                max: MAX_MESSAGE_LEN
            })
        );
        assert!(Message::from_bytes(&big[..MAX_MESSAGE_LEN]).is_ok());
    }

    #[test]
    fn header_roundtrip() {
        let mut bytes = vec![VERSION_STANDARD];
        bytes.extend_from_slice(&[9u8; 32]);
        bytes.extend_from_slice(&7u32.to_be_bytes());
        bytes.extend_from_slice(&0xfffe_fffdu32.to_be_bytes());
        bytes.extend_from_slice(&[0u8; 16]);
        let m = Message::from_bytes(&bytes).unwrap();
        let h = m.header().unwrap();
        assert_eq!(h.previous_chain_length, 7);
        assert_eq!(h.message_number, 0xfffe_fffd);
        assert_eq!(&h.to_bytes()[..], &bytes[1..41]);
        assert_eq!(m.as_bytes(), &bytes[..]);
    }
}
