//! A device's long-term identity: an Ed25519 signing key and an X25519 identity key.

use core::fmt;

use sotto_crypto::ed25519::{SigningKey, VerifyingKey};
use sotto_crypto::x25519::{self, KeyPair};
use sotto_crypto::{CryptoRng, ct_eq};
use zeroize::ZeroizeOnDrop;

use crate::DecodeError;

/// Length of an encoded [`DeviceIdentityKey`].
pub const DEVICE_IDENTITY_KEY_LEN: usize = 64;

/// A device's identity key pairs: the Ed25519 key signs its prekeys, the X25519 key takes part
/// in X3DH (DH1 and DH2).
///
/// Both private keys are wiped on drop. Not `Clone`: a store hands out copies through a
/// crate-private helper only, and a caller that needs a second value rebuilds it with
/// [`DeviceIdentity::from_keys`], which makes the copy visible.
///
/// ```compile_fail,E0599
/// fn copy(identity: &sotto_handshake::DeviceIdentity) -> sotto_handshake::DeviceIdentity {
///     sotto_handshake::DeviceIdentity::clone(identity)
/// }
/// ```
pub struct DeviceIdentity {
    signing: SigningKey,
    agreement: KeyPair,
}

impl DeviceIdentity {
    /// Generates both key pairs: 32 bytes for the Ed25519 seed, then 32 for the X25519 key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let signing = SigningKey::generate(rng);
        let agreement = KeyPair::generate(rng);
        Self { signing, agreement }
    }

    /// Rebuilds an identity from its two private keys.
    pub const fn from_keys(signing: SigningKey, agreement: KeyPair) -> Self {
        Self { signing, agreement }
    }

    /// A copy for a store's owned lookups ([`crate::PrekeyStore::identity`]); both copies
    /// wipe themselves on drop.
    pub(crate) fn copy(&self) -> Self {
        Self {
            signing: self.signing.clone(),
            agreement: self.agreement.clone(),
        }
    }

    /// The Ed25519 signing key.
    pub const fn signing_key(&self) -> &SigningKey {
        &self.signing
    }

    /// The X25519 identity key pair.
    pub const fn agreement_key(&self) -> &KeyPair {
        &self.agreement
    }

    /// The public identity.
    pub fn public(&self) -> DeviceIdentityKey {
        DeviceIdentityKey {
            signing: self.signing.verifying_key(),
            agreement: *self.agreement.public_key(),
        }
    }
}

// Both fields wipe themselves on drop (`SigningKey` and `KeyPair` are `ZeroizeOnDrop`).
impl ZeroizeOnDrop for DeviceIdentity {}

impl fmt::Debug for DeviceIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceIdentity")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

/// A device's public identity: `signing_key[32] || identity_key[32]` on the wire.
///
/// Its fields are private: a value comes from a [`DeviceIdentity`] or from
/// [`DeviceIdentityKey::from_bytes`], which checks both halves (HS-03).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceIdentityKey {
    pub(crate) signing: VerifyingKey,
    pub(crate) agreement: x25519::PublicKey,
}

impl DeviceIdentityKey {
    /// The Ed25519 public key.
    pub const fn signing(&self) -> &VerifyingKey {
        &self.signing
    }

    /// The X25519 public identity key (canonical).
    pub const fn agreement(&self) -> &x25519::PublicKey {
        &self.agreement
    }

    /// Whether `other` is the same identity, both halves (all 64 bytes), compared in constant
    /// time. This is the HS-11 comparison of [`crate::respond`] and [`crate::initiate`]. The
    /// X25519 halves are compared by their bytes on purpose: a twin of the expected
    /// agreement key (the same DH outputs, other bytes) is a different identity.
    pub fn ct_matches(&self, other: &Self) -> bool {
        ct_eq(&self.to_bytes(), &other.to_bytes())
    }

    /// The 64-byte encoding.
    pub fn to_bytes(&self) -> [u8; DEVICE_IDENTITY_KEY_LEN] {
        let mut out = [0u8; DEVICE_IDENTITY_KEY_LEN];
        out[..32].copy_from_slice(&self.signing.to_bytes());
        out[32..].copy_from_slice(self.agreement.as_bytes());
        out
    }

    /// Decodes 64 bytes; the Ed25519 half must be a valid point and the X25519 half
    /// canonical (HS-03).
    pub fn from_bytes(bytes: &[u8; DEVICE_IDENTITY_KEY_LEN]) -> Result<Self, DecodeError> {
        let mut signing = [0u8; 32];
        signing.copy_from_slice(&bytes[..32]);
        let mut agreement = [0u8; 32];
        agreement.copy_from_slice(&bytes[32..]);
        let agreement = x25519::PublicKey::from_bytes(agreement);
        if !agreement.is_canonical() {
            return Err(DecodeError::InvalidKey);
        }
        Ok(Self {
            signing: VerifyingKey::from_bytes(&signing).map_err(|_| DecodeError::InvalidKey)?,
            agreement,
        })
    }
}
