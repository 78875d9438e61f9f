//! The message header: sender's ratchet public key, PN and N.

use sotto_crypto::x25519::PublicKey;

/// Length of an encoded header: 32-byte ratchet key, then PN and N as big-endian u32.
pub const HEADER_LEN: usize = 40;

/// A Double Ratchet header, built by the session when it encrypts and read from a message
/// when it decrypts; callers read it through its accessors.
///
/// Wire layout (40 bytes): `ratchet_key[32] || previous_chain_length u32be ||
/// message_number u32be`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) previous_chain_length: u32,
    pub(crate) message_number: u32,
}

impl Header {
    /// The sender's current ratchet public key (DHs), as sent: not checked for canonical
    /// encoding or order here; the session compares it by its DH output (protocol.md
    /// section 1) and refuses a small-order one (RAT-05).
    #[must_use]
    pub const fn ratchet_key(&self) -> &PublicKey {
        &self.ratchet_key
    }

    /// PN: the number of messages in the sender's previous sending chain.
    #[must_use]
    pub const fn previous_chain_length(&self) -> u32 {
        self.previous_chain_length
    }

    /// N: this message's number in the current sending chain.
    #[must_use]
    pub const fn message_number(&self) -> u32 {
        self.message_number
    }

    /// The 40-byte encoding.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..32].copy_from_slice(self.ratchet_key.as_bytes());
        out[32..36].copy_from_slice(&self.previous_chain_length.to_be_bytes());
        out[36..40].copy_from_slice(&self.message_number.to_be_bytes());
        out
    }

    /// Decodes exactly 40 bytes (every 40-byte string is a well-formed header).
    pub fn from_bytes(bytes: &[u8; HEADER_LEN]) -> Self {
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes[..32]);
        let mut pn = [0u8; 4];
        pn.copy_from_slice(&bytes[32..36]);
        let mut n = [0u8; 4];
        n.copy_from_slice(&bytes[36..40]);
        Self {
            ratchet_key: PublicKey::from_bytes(key),
            previous_chain_length: u32::from_be_bytes(pn),
            message_number: u32::from_be_bytes(n),
        }
    }
}
