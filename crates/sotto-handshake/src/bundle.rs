//! The prekey bundle an initiator fetches, and its verification.
//!
//! ```text
//! bundle = 0x14 || identity[64]
//!          || spk_id u32be || spk_timestamp u64be || post_quantum[1] || spk_public[32] || spk_signature[64]
//!          || 0x00 | (0x01 || opk_id u32be || opk_public[32])
//!          || 0x00 | (0x01 || kem_kind[1] || kem_id u32be || kem_public[1184] || kem_signature[64])
//! ```
//!
//! Decoding checks structure only (HS-01..HS-03); [`PrekeyBundle::verify`] checks the
//! signatures and the post-quantum flag (HS-04, HS-05) and is the only way to get the
//! [`VerifiedBundle`] that [`crate::initiate`] takes.

use sotto_crypto::ed25519::Signature;
use sotto_crypto::kem;

use crate::codec::{Reader, version};
use crate::identity::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentityKey};
use crate::prekeys::{KemPrekey, KemPrekeyKind, OneTimePrekey, PostQuantum, SignedPrekey};
use crate::{BundleError, DecodeError};

/// Type tag (first byte) of a bundle, from [`sotto_crypto::wire`].
pub const BUNDLE_VERSION: u8 = sotto_crypto::wire::PREKEY_BUNDLE;
/// Length of a bundle without optional parts.
pub const BUNDLE_MIN_LEN: usize = 1 + DEVICE_IDENTITY_KEY_LEN + 4 + 8 + 1 + 32 + 64 + 1 + 1;
/// Length of a bundle with a one-time prekey and an ML-KEM prekey.
pub const BUNDLE_MAX_LEN: usize = BUNDLE_MIN_LEN + 36 + 1 + 4 + kem::ENCAPSULATION_KEY_LEN + 64;

/// A device's prekey bundle, as the relay hands it out.
///
/// Its fields are private: a bundle comes from [`PrekeyBundle::from_bytes`] (strict decoding,
/// canonical keys) or from [`crate::PublishedPrekeys::take_bundle`] (the device's own keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrekeyBundle {
    pub(crate) identity: DeviceIdentityKey,
    pub(crate) signed_prekey: SignedPrekey,
    pub(crate) one_time_prekey: Option<OneTimePrekey>,
    pub(crate) kem_prekey: Option<KemPrekey>,
}

impl PrekeyBundle {
    /// The device's public identity.
    pub const fn identity(&self) -> &DeviceIdentityKey {
        &self.identity
    }

    /// Its current signed prekey.
    pub const fn signed_prekey(&self) -> &SignedPrekey {
        &self.signed_prekey
    }

    /// One one-time prekey, while the device has any left on the relay.
    pub const fn one_time_prekey(&self) -> Option<&OneTimePrekey> {
        self.one_time_prekey.as_ref()
    }

    /// One ML-KEM prekey: a one-time one while any are left, else the last-resort one.
    pub const fn kem_prekey(&self) -> Option<&KemPrekey> {
        self.kem_prekey.as_ref()
    }

    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BUNDLE_MAX_LEN);
        out.push(BUNDLE_VERSION);
        out.extend_from_slice(&self.identity.to_bytes());
        let spk = &self.signed_prekey;
        out.extend_from_slice(&spk.id.to_be_bytes());
        out.extend_from_slice(&spk.timestamp.to_be_bytes());
        out.push(spk.post_quantum.to_byte());
        out.extend_from_slice(spk.public_key.as_bytes());
        out.extend_from_slice(&spk.signature.to_bytes());
        match &self.one_time_prekey {
            Some(opk) => {
                out.push(1);
                out.extend_from_slice(&opk.id.to_be_bytes());
                out.extend_from_slice(opk.public_key.as_bytes());
            }
            None => out.push(0),
        }
        match &self.kem_prekey {
            Some(k) => {
                out.push(1);
                out.push(k.kind.to_byte());
                out.extend_from_slice(&k.id.to_be_bytes());
                out.extend_from_slice(k.public_key.as_bytes());
                out.extend_from_slice(&k.signature.to_bytes());
            }
            None => out.push(0),
        }
        out
    }

    /// Strict decoding (HS-01, HS-02, HS-03). Signatures are not checked here.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(version(bytes, BUNDLE_VERSION)?);
        let identity = DeviceIdentityKey::from_bytes(&r.array()?)?;
        let id = r.u32()?;
        let timestamp = r.u64()?;
        let post_quantum = PostQuantum::from_byte(r.u8()?).ok_or(DecodeError::InvalidFlag)?;
        let public_key = r.x25519()?;
        let signature = Signature::from_bytes(r.array()?);
        let signed_prekey = SignedPrekey {
            id,
            timestamp,
            post_quantum,
            public_key,
            signature,
        };
        let one_time_prekey = if r.present()? {
            Some(OneTimePrekey {
                id: r.u32()?,
                public_key: r.x25519()?,
            })
        } else {
            None
        };
        let kem_prekey = if r.present()? {
            let kind = KemPrekeyKind::from_byte(r.u8()?).ok_or(DecodeError::InvalidFlag)?;
            let id = r.u32()?;
            let public_key = kem::PublicKey::from_bytes(r.take(kem::ENCAPSULATION_KEY_LEN)?)
                .map_err(|_| DecodeError::InvalidKey)?;
            let signature = Signature::from_bytes(r.array()?);
            Some(KemPrekey {
                kind,
                id,
                public_key,
                signature,
            })
        } else {
            None
        };
        r.finish()?;
        Ok(Self {
            identity,
            signed_prekey,
            one_time_prekey,
            kem_prekey,
        })
    }

    /// Checks both signatures and the post-quantum flag (HS-04, HS-05).
    pub fn verify(self) -> Result<VerifiedBundle, BundleError> {
        let signing = &self.identity.signing;
        let agreement = &self.identity.agreement;
        if !self.signed_prekey.verify(signing, agreement) {
            return Err(BundleError::SignedPrekeySignature);
        }
        match (&self.kem_prekey, self.signed_prekey.post_quantum) {
            (Some(k), PostQuantum::Offered) => {
                if !k.verify(signing, agreement) {
                    return Err(BundleError::KemPrekeySignature);
                }
            }
            (None, PostQuantum::Offered) => return Err(BundleError::Downgrade),
            (Some(_), PostQuantum::Absent) => return Err(BundleError::UnexpectedKemPrekey),
            (None, PostQuantum::Absent) => {}
        }
        Ok(VerifiedBundle(self))
    }
}

/// A bundle whose signatures and post-quantum flag have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle(PrekeyBundle);

impl VerifiedBundle {
    /// The bundle.
    pub const fn bundle(&self) -> &PrekeyBundle {
        &self.0
    }
}
