//! Errors, one enum per operation family. Each variant names its validation ID (HS-xx) from
//! `docs/protocol.md`.
//!
//! Every public error enum is `#[non_exhaustive]`: code outside this crate must have a
//! wildcard arm, so adding a refusal is not a breaking change. Each of these fails to compile:
//!
//! ```compile_fail,E0004
//! fn all(e: sotto_handshake::HandshakeError) {
//!     use sotto_handshake::HandshakeError::*;
//!     match e {
//!         PostQuantumRequired | PostQuantumMismatch | NonContributory | UnknownSignedPrekey(_)
//!         | UnknownOneTimePrekey(_) | UnknownKemPrekey(_) | Replayed | Decryption
//!         | UnexpectedIdentity | Session(_) | Encryption(_) | Store(_) => {}
//!     }
//! }
//! ```
//!
//! ```compile_fail,E0004
//! fn all(e: sotto_handshake::CommitError) {
//!     use sotto_handshake::CommitError::*;
//!     match e {
//!         Replayed | SignedPrekeyGone(_) | OneTimePrekeyGone(_) | KemPrekeyGone(_) | Store(_) => {}
//!     }
//! }
//! ```
//!
//! ```compile_fail,E0004
//! fn all(e: sotto_handshake::StoreErrorKind) {
//!     use sotto_handshake::StoreErrorKind::*;
//!     match e {
//!         Backend | Corrupt => {}
//!     }
//! }
//! ```
//!
//! ```compile_fail,E0004
//! fn all(e: sotto_handshake::DecodeError) {
//!     use sotto_handshake::DecodeError::*;
//!     match e {
//!         UnknownVersion(_) | Truncated | TrailingBytes | InvalidFlag | InvalidKey
//!         | RatchetMessage(_) => {}
//!     }
//! }
//! ```
//!
//! ```compile_fail,E0004
//! fn all(e: sotto_handshake::BundleError) {
//!     use sotto_handshake::BundleError::*;
//!     match e {
//!         SignedPrekeySignature | KemPrekeySignature | Downgrade | UnexpectedKemPrekey => {}
//!     }
//! }
//! ```

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
///
/// Not `Copy` or `PartialEq`: [`HandshakeError::Store`] carries the store's cause. Match on
/// the variant (`matches!`) instead of comparing.
#[derive(Debug, thiserror::Error)]
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
    /// HS-11: the peer's device identity (all 64 bytes: the Ed25519 and the X25519 half) is
    /// not the one the caller expects: the initial message's initiator in [`crate::respond`],
    /// the bundle's device in [`crate::initiate`]. Checked before any key agreement and any
    /// store access.
    #[error("the peer's device identity is not the expected one")]
    UnexpectedIdentity,
    /// The ratchet refused to create or use the session.
    #[error("ratchet session: {0}")]
    Session(sotto_ratchet::SessionError),
    /// The first plaintext could not be encrypted.
    #[error("first message: {0}")]
    Encryption(sotto_ratchet::EncryptError),
    /// The prekey store failed (a lookup or the commit); nothing was accepted. The store's
    /// cause is [`std::error::Error::source`] of the [`StoreError`].
    #[error("prekey store failed")]
    Store(#[source] StoreError),
}

/// What kind of failure a [`StoreError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The storage backend failed: I/O, a lost connection, a lock, a transaction that did not
    /// commit. Retrying later may succeed.
    Backend,
    /// A stored value did not decode or is inconsistent (a damaged or foreign record).
    Corrupt,
}

impl core::fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Backend => "storage backend failed",
            Self::Corrupt => "stored value is corrupt",
        })
    }
}

/// A prekey store failed. It carries what kind of failure it was and, if the implementation
/// gave one, its cause (a database error, an I/O error), reachable through
/// [`std::error::Error::source`].
///
/// "Not held" is not an error: lookups return `Ok(None)` for an id the store does not hold,
/// and [`crate::PrekeyStore::commit`] refuses a lost race with a [`CommitError`] variant of
/// its own. A `StoreError` means the store could not answer.
#[derive(Debug, thiserror::Error)]
#[error("store: {kind}")]
pub struct StoreError {
    kind: StoreErrorKind,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl StoreError {
    /// An error of `kind` without a cause.
    pub const fn new(kind: StoreErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source`.
    pub fn with_source(
        kind: StoreErrorKind,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            kind,
            source: Some(source.into()),
        }
    }

    /// [`StoreErrorKind::Backend`] caused by `source`.
    pub fn backend(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self::with_source(StoreErrorKind::Backend, source)
    }

    /// [`StoreErrorKind::Corrupt`] caused by `source`.
    pub fn corrupt(source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Self {
        Self::with_source(StoreErrorKind::Corrupt, source)
    }

    /// The kind of failure.
    pub const fn kind(&self) -> StoreErrorKind {
        self.kind
    }
}

/// [`crate::PrekeyStore::commit`] refused to record a use of prekeys. In every case the store
/// is unchanged.
///
/// The first three variants are a lost race: a concurrent call accepted the same initial
/// message, or used the same one-time prekey, or the prekey was pruned, between the lookups
/// and the commit. [`crate::respond`] reports them as the errors a sequential call would
/// have given (HS-09, HS-08).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommitError {
    /// HS-09: the replay tag is already recorded under this signed prekey.
    #[error("replay tag already recorded")]
    Replayed,
    /// HS-08: the signed prekey is no longer held.
    #[error("signed prekey {0} is no longer held")]
    SignedPrekeyGone(u32),
    /// HS-08: the one-time prekey is already used (or no longer held).
    #[error("one-time prekey {0} is already used")]
    OneTimePrekeyGone(u32),
    /// HS-08: the ML-KEM prekey is already used (one-time) or no longer held.
    #[error("ML-KEM prekey {0} is already used or no longer held")]
    KemPrekeyGone(u32),
    /// The store failed; the transaction did not commit.
    #[error("prekey store failed")]
    Store(#[from] StoreError),
}

impl From<CommitError> for HandshakeError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Replayed => Self::Replayed,
            CommitError::SignedPrekeyGone(id) => Self::UnknownSignedPrekey(id),
            CommitError::OneTimePrekeyGone(id) => Self::UnknownOneTimePrekey(id),
            CommitError::KemPrekeyGone(id) => Self::UnknownKemPrekey(id),
            CommitError::Store(e) => Self::Store(e),
        }
    }
}
