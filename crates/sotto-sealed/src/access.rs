//! Delivery tokens for sealed sender (protocol.md 9.5): profile keys, access keys and the
//! verifier a relay stores.
//!
//! A sealed envelope hides its sender from the relay, so the relay cannot decide from the
//! sender's account whether to deliver it. Instead each account has a [`ProfileKey`], 32
//! secret bytes it shares with its contacts only inside end-to-end messages; a contact derives
//! the account's [`AccessKey`] from it and presents that to the relay with each sealed
//! message. The relay holds, for each account, an [`AccessVerifier`], a hash of the access key,
//! and delivers only when the presented key hashes to it.
//!
//! ```text
//! share      = 0x01 (payload version) || profile_key[32]                   (33 bytes)
//!              sent as an envelope's inner message of content type CONTENT_TYPE_PROFILE_KEY
//! access_key = HKDF(salt absent, ikm = profile_key, info = SEALED_ACCESS_KEY, 16)
//! verifier   = SHA-256(SEALED_ACCESS_VERIFIER || access_key)                (32 bytes)
//! ```
//!
//! **No new type tag.** Every version-1 tag is taken (section 1.1), and the share is never a
//! top-level wire object: it only travels as the (padded, authenticated, encrypted) message of
//! a sealed envelope, whose content-type byte says what the message is. So the share is a
//! payload of content type [`CONTENT_TYPE_PROFILE_KEY`] (`0x02`; ordinary messages are
//! [`CONTENT_TYPE_MESSAGE`], `0x01`), with its own version byte so that a later format can be
//! told apart. Decoding it is strict ([`ProfileKey::from_share`]), in this order:
//!
//! 1. SEAL-TOK-01: the first byte is the payload version [`SHARE_VERSION`] `0x01` (an empty
//!    payload counts as `0x00`) ([`AccessError::ShareVersion`]);
//! 2. SEAL-TOK-02: the payload is exactly [`SHARE_LEN`] = 33 bytes, so neither truncated nor
//!    followed by trailing bytes ([`AccessError::ShareLength`]).
//!
//! The relay's side decodes what a sender presents and what its database holds:
//!
//! 3. SEAL-TOK-03: a presented access key is exactly [`ACCESS_KEY_LEN`] = 16 bytes
//!    ([`AccessError::AccessKeyLength`], [`AccessKey::from_bytes`]);
//! 4. SEAL-TOK-04: a stored verifier is exactly [`VERIFIER_LEN`] = 32 bytes
//!    ([`AccessError::VerifierLength`], [`AccessVerifier::from_bytes`]);
//! 5. SEAL-TOK-05: the presented key's verifier equals the stored one, compared in constant
//!    time ([`AccessError::Refused`], [`AccessVerifier::check`]). A check never changes the
//!    verifier.
//!
//! **Why the access key is derived, not the profile key itself.** The profile key may key
//! other things of the account (a profile's encryption), which the relay must not get; HKDF
//! under its own label gives a key that says nothing about the profile key or those uses. The
//! salt is absent (32 zero bytes, section 1): the input is already 32 uniform secret bytes.
//! 16 bytes are enough for a token that is checked online by the relay: guessing one takes
//! 2^128 tries.
//!
//! **Why the relay stores a hash.** A leak of the relay's database then yields verifiers, not
//! access keys: a verifier does not let anyone deliver (SHA-256 is one-way, and the access key
//! has 128 bits of entropy, so it cannot be searched for). The verifier is therefore public
//! data ([`AccessVerifier`] is `Copy` and prints its bytes). The constant-time comparison keeps
//! a timing side channel from telling a forger how many leading bytes of the hash it has
//! right.
//!
//! **What the relay still learns.** That whoever presents the token knows the recipient's
//! profile key (it is a contact, or was one before the last rotation, or a contact gave the key
//! away), and nothing about who that is: every contact presents the same token.
//!
//! **Rotation.** To revoke the tokens of every contact (after blocking one, say), the owner
//! generates a new [`ProfileKey`], uploads its verifier, which replaces the old one at the
//! relay, and shares the new key with the contacts it still wants to hear from. A token of the
//! old key then fails SEAL-TOK-05.

use core::fmt;

use sotto_crypto::hash::sha256_concat;
use sotto_crypto::labels::{SEALED_ACCESS_KEY, SEALED_ACCESS_VERIFIER};
use sotto_crypto::{CryptoRng, SecretBytes, ct_eq, kdf};
use zeroize::ZeroizeOnDrop;

/// The content type of an envelope whose message is an ordinary message.
pub const CONTENT_TYPE_MESSAGE: u8 = 0x01;
/// The content type of an envelope whose message is a profile-key share (SEAL-TOK-01..02).
pub const CONTENT_TYPE_PROFILE_KEY: u8 = 0x02;
/// The payload version, the first byte of a profile-key share.
pub const SHARE_VERSION: u8 = 0x01;
/// Length of a profile key.
pub const PROFILE_KEY_LEN: usize = 32;
/// Length of a profile-key share payload: the version byte and the key.
pub const SHARE_LEN: usize = 1 + PROFILE_KEY_LEN;
/// Length of an access key.
pub const ACCESS_KEY_LEN: usize = 16;
/// Length of an access verifier (a SHA-256 digest).
pub const VERIFIER_LEN: usize = 32;

/// A share, an access key or a verifier could not be decoded, or a token was refused. Each
/// variant names its validation ID (protocol.md section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// SEAL-TOK-01: the share's first byte is not the payload version `0x01` (an empty
    /// payload counts as `0x00`).
    #[error("unknown profile-key share version {0:#04x}")]
    ShareVersion(u8),
    /// SEAL-TOK-02: the share is not exactly 33 bytes (truncated, or trailing bytes).
    #[error("a profile-key share of {len} bytes, not 33")]
    ShareLength {
        /// The payload's length.
        len: usize,
    },
    /// SEAL-TOK-03: an access key of other than 16 bytes.
    #[error("an access key of {len} bytes, not 16")]
    AccessKeyLength {
        /// The length offered.
        len: usize,
    },
    /// SEAL-TOK-04: a verifier of other than 32 bytes.
    #[error("an access verifier of {len} bytes, not 32")]
    VerifierLength {
        /// The length offered.
        len: usize,
    },
    /// SEAL-TOK-05: the presented access key does not match the stored verifier (a wrong
    /// token, or one of a rotated profile key).
    #[error("delivery token refused")]
    Refused,
}

/// An account's profile key: 32 secret bytes, shared with contacts only inside end-to-end
/// messages. Wiped on drop; neither `Copy` nor `Clone`; printed redacted.
pub struct ProfileKey(SecretBytes<PROFILE_KEY_LEN>);

// The inner `SecretBytes` wipes the key on drop.
impl ZeroizeOnDrop for ProfileKey {}

impl ProfileKey {
    /// A fresh key: 32 bytes from `rng`. Generating a new one is how an owner rotates.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(SecretBytes::random(rng))
    }

    /// Rebuilds a key from its bytes (from the owner's storage).
    #[must_use]
    pub const fn from_bytes(bytes: SecretBytes<PROFILE_KEY_LEN>) -> Self {
        Self(bytes)
    }

    /// The key's bytes. They stay owned (and wiped) by `self`.
    #[must_use]
    pub const fn expose(&self) -> &[u8; PROFILE_KEY_LEN] {
        self.0.expose()
    }

    /// The share payload `0x01 || profile_key`, to send as the message of an envelope of
    /// content type [`CONTENT_TYPE_PROFILE_KEY`]. Secret: it is the key.
    #[must_use]
    pub fn to_share(&self) -> SecretBytes<SHARE_LEN> {
        let mut share = SecretBytes::<SHARE_LEN>::zero();
        let out = share.expose_mut();
        out[0] = SHARE_VERSION;
        out[1..].copy_from_slice(self.0.expose());
        share
    }

    /// Decodes a share payload, strictly: the version (SEAL-TOK-01), then the exact length
    /// (SEAL-TOK-02). Never panics.
    pub fn from_share(payload: &[u8]) -> Result<Self, AccessError> {
        match payload.first() {
            Some(&SHARE_VERSION) => {}
            Some(&other) => return Err(AccessError::ShareVersion(other)),
            None => return Err(AccessError::ShareVersion(0)),
        }
        payload
            .get(1..)
            .and_then(SecretBytes::from_slice)
            .map(Self)
            .ok_or(AccessError::ShareLength { len: payload.len() })
    }

    /// The access key of this profile key: `HKDF(salt absent, ikm = profile_key, info =
    /// SEALED_ACCESS_KEY, 16)`.
    #[must_use]
    pub fn access_key(&self) -> AccessKey {
        AccessKey(kdf::hkdf_sha256(None, self.0.expose(), SEALED_ACCESS_KEY))
    }

    /// The verifier the owner uploads to the relay: that of [`ProfileKey::access_key`].
    #[must_use]
    pub fn verifier(&self) -> AccessVerifier {
        AccessVerifier::for_key(&self.access_key())
    }
}

impl fmt::Debug for ProfileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProfileKey(..)")
    }
}

/// The 16-byte access key a sender presents to the relay with a sealed envelope for the
/// account. Wiped on drop; neither `Copy` nor `Clone`; printed redacted.
pub struct AccessKey(SecretBytes<ACCESS_KEY_LEN>);

// The inner `SecretBytes` wipes the key on drop.
impl ZeroizeOnDrop for AccessKey {}

impl AccessKey {
    /// Decodes a presented key: exactly 16 bytes (SEAL-TOK-03).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccessError> {
        SecretBytes::from_slice(bytes)
            .map(Self)
            .ok_or(AccessError::AccessKeyLength { len: bytes.len() })
    }

    /// The 16 bytes to present, in a buffer that is wiped on drop.
    #[must_use]
    pub fn to_bytes(&self) -> SecretBytes<ACCESS_KEY_LEN> {
        self.0.clone()
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessKey(..)")
    }
}

/// What the relay stores for an account: `SHA-256(SEALED_ACCESS_VERIFIER || access_key)`.
/// Public: knowing it does not let anyone deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessVerifier([u8; VERIFIER_LEN]);

impl AccessVerifier {
    /// The verifier of `key`.
    #[must_use]
    pub fn for_key(key: &AccessKey) -> Self {
        Self(sha256_concat(&[SEALED_ACCESS_VERIFIER, key.0.expose()]))
    }

    /// Decodes a stored verifier: exactly 32 bytes (SEAL-TOK-04).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccessError> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| AccessError::VerifierLength { len: bytes.len() })
    }

    /// The 32 bytes, for the relay's storage.
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; VERIFIER_LEN] {
        self.0
    }

    /// Whether `presented` may deliver: its verifier equals this one, compared in constant
    /// time (SEAL-TOK-05, [`AccessError::Refused`] otherwise). Takes `&self`: a check, failed
    /// or not, changes nothing.
    pub fn check(&self, presented: &AccessKey) -> Result<(), AccessError> {
        if ct_eq(&Self::for_key(presented).0, &self.0) {
            Ok(())
        } else {
            Err(AccessError::Refused)
        }
    }
}

#[cfg(test)]
mod tests;
