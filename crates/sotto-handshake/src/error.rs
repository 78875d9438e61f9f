//! Errors, one enum per operation family. Each variant names its validation ID (HS-xx) from
//! `docs/protocol.md`.

/// A bundle or initial message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// HS-01: the first byte is not this object's type tag (another object's tag, an unknown
    /// version, or empty input).
    #[error("unknown version or type tag {0:#04x}")]
    UnknownVersion(u8),
    /// HS-02: the input ends before the fixed layout does, or a length is wrong.
    #[error("input is truncated")]
    Truncated,
    /// HS-02: bytes are left after the fixed layout.
    #[error("trailing bytes after the encoding")]
    TrailingBytes,
    /// HS-03: a presence byte, flag or kind byte has a value that is not defined.
    #[error("invalid flag or kind byte")]
    InvalidFlag,
    /// HS-03: an Ed25519 key is not a valid point, an X25519 key is not canonical (u >= p),
    /// or an ML-KEM key fails validation.
    #[error("invalid public key encoding")]
    InvalidKey,
    /// HS-02: the embedded ratchet message does not decode.
    #[error("embedded ratchet message: {0}")]
    RatchetMessage(sotto_ratchet::DecodeError),
}

/// A prekey bundle failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// HS-04: the signed prekey's signature does not verify.
    #[error("signed prekey signature is invalid")]
    SignedPrekeySignature,
    /// HS-04: the ML-KEM prekey's signature does not verify.
    #[error("ML-KEM prekey signature is invalid")]
    KemPrekeySignature,
    /// HS-05: the signed prekey says the device offers ML-KEM prekeys, but the bundle has
    /// none: a downgrade to classic X3DH.
    #[error("post-quantum prekey missing from a bundle that signs for one (downgrade)")]
    Downgrade,
    /// HS-05: the bundle carries an ML-KEM prekey although the signed prekey says the device
    /// publishes none.
    #[error("ML-KEM prekey present although the signed prekey says there is none")]
    UnexpectedKemPrekey,
}

/// Session setup failed. On the responder's side, the prekey store is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// HS-06: the caller requires post-quantum session setup and the bundle offers none.
    #[error("the bundle offers no post-quantum prekey and one is required")]
    PostQuantumRequired,
    /// HS-05: the initial message's use of ML-KEM does not match the signed prekey's
    /// post-quantum flag (without ML-KEM to a post-quantum signed prekey: a downgrade).
    #[error("ML-KEM use does not match the signed prekey's post-quantum flag")]
    PostQuantumMismatch,
    /// HS-07: an X25519 output was all zero (a small-order key).
    #[error("non-contributory key agreement")]
    NonContributory,
    /// HS-08: the signed prekey the message names is not (or no longer) held.
    #[error("unknown signed prekey {0}")]
    UnknownSignedPrekey(u32),
    /// HS-08: the one-time prekey the message names is not held (already used, or never
    /// issued).
    #[error("unknown or used one-time prekey {0}")]
    UnknownOneTimePrekey(u32),
    /// HS-08: the ML-KEM prekey the message names is not held.
    #[error("unknown or used ML-KEM prekey {0}")]
    UnknownKemPrekey(u32),
    /// HS-09: this initial message (its ephemeral key under this signed prekey) was already
    /// accepted.
    #[error("replayed initial message")]
    Replayed,
    /// HS-10: the first ratchet message did not decrypt: wrong keys or a modified message.
    /// Opaque on purpose: which check of the ratchet refused it is not the sender's business.
    #[error("first message failed to decrypt")]
    Decryption,
    /// The ratchet refused to create or use the session.
    #[error("ratchet session: {0}")]
    Session(sotto_ratchet::SessionError),
    /// The first plaintext could not be encrypted.
    #[error("first message: {0}")]
    Encryption(sotto_ratchet::EncryptError),
    /// The prekey store failed to delete used prekeys; nothing was accepted.
    #[error("prekey store failed")]
    Store,
}

/// A prekey store could not record that prekeys were used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("prekey store failed")]
pub struct StoreError;
