//! Errors, one enum per operation family. Every variant names the validation ID of
//! `docs/protocol.md` that produces it.

use crate::SessionKind;

/// Creating a session failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// RAT-13: the associated data is longer than 65535 bytes.
    #[error("associated data of {len} bytes exceeds 65535")]
    AssociatedDataTooLong {
        /// Its length.
        len: usize,
    },
    /// RAT-05: the peer's ratchet key has small order (all-zero X25519 output).
    #[error("the peer's ratchet key is non-contributory")]
    NonContributory,
}

/// Encrypting a message failed; the session is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptError {
    /// RAT-14: a responder cannot send before it has decrypted the initiator's first message.
    #[error("no peer ratchet key yet: receive a message first")]
    NoPeerRatchetKey,
    /// RAT-05: the peer's ratchet key gives an all-zero X25519 output (only possible with a
    /// state this library did not produce, e.g. a forged pickle).
    #[error("the peer's ratchet key is non-contributory")]
    NonContributory,
    /// RAT-09: the sending chain's counter would wrap.
    #[error("the sending chain is exhausted")]
    CounterLimit,
    /// RAT-03: the plaintext is longer than [`crate::MAX_PLAINTEXT_LEN`].
    #[error("plaintext of {len} bytes exceeds the maximum")]
    PlaintextTooLong {
        /// Its length.
        len: usize,
    },
}

/// Decrypting a message failed; the session is exactly as it was before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    /// RAT-04: the message belongs to the other session kind.
    #[error("a {got:?} message cannot be decrypted by a {expected:?} session")]
    WrongKind {
        /// This session's kind.
        expected: SessionKind,
        /// The message's kind.
        got: SessionKind,
    },
    /// RAT-07: this message (or one with the same chain and number) was already decrypted, or
    /// its key was evicted from the skipped-key store.
    #[error("duplicate or expired message")]
    Duplicate,
    /// RAT-06: accepting the message would skip more message keys than the configured limit.
    #[error("message would skip {skip} keys, the limit is {limit}")]
    TooManySkipped {
        /// Keys that would be skipped.
        skip: u64,
        /// The configured limit.
        limit: u32,
    },
    /// RAT-09: the message number is the largest u32, so the receiving counter would wrap.
    #[error("message number out of range")]
    CounterLimit,
    /// RAT-05: the message's ratchet key has small order (all-zero X25519 output).
    #[error("the message's ratchet key is non-contributory")]
    NonContributory,
    /// RAT-08: authentication failed (the header or body did not decrypt). Deliberately
    /// without detail.
    #[error("message authentication failed")]
    Authentication,
}

/// A message could not be decoded from bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// RAT-01: the first byte is not the type tag of a ratchet message (another object's
    /// tag, an unknown version, or empty input).
    #[error("unknown message version or type tag {0:#04x}")]
    UnknownVersion(u8),
    /// RAT-02: the input is shorter than the smallest message of its kind.
    #[error("message of {len} bytes is shorter than the minimum {min}")]
    Truncated {
        /// The input's length.
        len: usize,
        /// The minimum for its kind.
        min: usize,
    },
    /// RAT-03: the input is longer than the largest message.
    #[error("message of {len} bytes exceeds the maximum {max}")]
    TooLong {
        /// The input's length.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

/// A pickle could not be restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PickleError {
    /// PKL-01: the first byte is not this pickle's type tag (another object's pickle, an
    /// unknown version, or empty input).
    #[error("unknown pickle version or type tag {0:#04x}")]
    UnknownVersion(u8),
    /// PKL-02: the input is shorter than the smallest pickle.
    #[error("pickle is truncated")]
    Truncated,
    /// PKL-03: the pickle does not decrypt under this key and context: wrong key, wrong
    /// context (another owner, an older generation) or modified bytes.
    #[error("wrong pickle key or context, or corrupted pickle")]
    WrongKeyOrCorrupted,
    /// PKL-04: the decrypted state is malformed (bad flag, bad length, trailing bytes).
    #[error("malformed session state")]
    Malformed,
    /// PKL-05: the input is longer than [`crate::MAX_PICKLE_LEN`].
    #[error("pickle exceeds the maximum length")]
    TooLong,
    /// PKL-06: the caller's context is longer than 65535 bytes (pickling or restoring).
    #[error("pickle context is longer than 65535 bytes")]
    ContextTooLong,
}

impl From<sotto_crypto::pickle::EnvelopeError> for PickleError {
    fn from(e: sotto_crypto::pickle::EnvelopeError) -> Self {
        use sotto_crypto::pickle::EnvelopeError as E;
        match e {
            E::UnknownTag(t) => Self::UnknownVersion(t),
            E::Truncated => Self::Truncated,
            E::TooLong => Self::TooLong,
            E::ContextTooLong => Self::ContextTooLong,
            _ => Self::WrongKeyOrCorrupted,
        }
    }
}
