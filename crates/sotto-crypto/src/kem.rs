//! ML-KEM-768 (FIPS 203) for the post-quantum part of session setup.
//!
//! A decapsulation key is generated from 64 bytes drawn from the caller's generator (the
//! FIPS 203 seed `d || z`) and persisted as that seed. An encapsulation key travels as its
//! 1184-byte FIPS 203 encoding and is validated when decoded (the modulus check of FIPS 203
//! section 7.2). Encapsulation draws its 32-byte message `m` from the caller's generator, so
//! it is reproducible in vectors. Decapsulation uses implicit rejection: a modified
//! ciphertext gives an unrelated shared secret, not an error.

use core::fmt;

use ml_kem::kem::{Decapsulate, Encapsulate, KeyExport};
use ml_kem::{DecapsulationKey, EncapsulationKey, MlKem768};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{CryptoRng, SecretBytes};

/// Length of an encoded encapsulation (public) key.
pub const ENCAPSULATION_KEY_LEN: usize = 1184;
/// Length of a ciphertext.
pub const CIPHERTEXT_LEN: usize = 1088;
/// Length of the decapsulation key's seed.
pub const SEED_LEN: usize = 64;
/// Length of the shared secret.
pub const SHARED_SECRET_LEN: usize = 32;

/// An encapsulation key that is not a valid ML-KEM-768 key, or input of the wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid ML-KEM-768 encapsulation key or ciphertext")]
pub struct KemError;

/// An ML-KEM-768 decapsulation (secret) key; wiped on drop.
pub struct DecapsulationKeyPair {
    dk: DecapsulationKey<MlKem768>,
    seed: SecretBytes<SEED_LEN>,
    public: PublicKey,
}

impl DecapsulationKeyPair {
    /// Draws a 64-byte seed from `rng` and expands it (FIPS 203 ML-KEM.KeyGen_internal).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_seed(SecretBytes::random(rng))
    }

    /// Rebuilds the key pair from its seed.
    pub fn from_seed(seed: SecretBytes<SEED_LEN>) -> Self {
        let array = ml_kem::Seed::from(*seed.expose());
        let dk = DecapsulationKey::<MlKem768>::from_seed(array);
        let mut bytes = [0u8; ENCAPSULATION_KEY_LEN];
        bytes.copy_from_slice(&dk.encapsulation_key().to_bytes());
        let public = PublicKey {
            ek: dk.encapsulation_key().clone(),
            bytes,
        };
        Self { dk, seed, public }
    }

    /// The 64-byte seed, for persisting the key. Handle it as the secret it is.
    pub const fn expose_seed(&self) -> &[u8; SEED_LEN] {
        self.seed.expose()
    }

    /// The encapsulation key.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Decapsulates `ciphertext` (implicit rejection: never an error for a well-sized input).
    pub fn decapsulate(&self, ciphertext: &Ciphertext) -> SharedSecret {
        let ct = ml_kem::Ciphertext::<MlKem768>::from(ciphertext.0);
        let ss = self.dk.decapsulate(&ct);
        let mut out = SecretBytes::<SHARED_SECRET_LEN>::zero();
        out.expose_mut().copy_from_slice(&ss);
        SharedSecret(out)
    }
}

impl Clone for DecapsulationKeyPair {
    fn clone(&self) -> Self {
        Self::from_seed(self.seed.clone())
    }
}

impl fmt::Debug for DecapsulationKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kem::DecapsulationKeyPair(..)")
    }
}

/// A validated ML-KEM-768 encapsulation key and its encoding.
#[derive(Clone)]
pub struct PublicKey {
    ek: EncapsulationKey<MlKem768>,
    bytes: [u8; ENCAPSULATION_KEY_LEN],
}

impl PublicKey {
    /// Decodes and validates 1184 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KemError> {
        let array: [u8; ENCAPSULATION_KEY_LEN] = bytes.try_into().map_err(|_| KemError)?;
        let key = ml_kem::Key::<EncapsulationKey<MlKem768>>::from(array);
        let ek = EncapsulationKey::<MlKem768>::new(&key).map_err(|_| KemError)?;
        Ok(Self { ek, bytes: array })
    }

    /// The 1184-byte encoding.
    pub const fn as_bytes(&self) -> &[u8; ENCAPSULATION_KEY_LEN] {
        &self.bytes
    }

    /// Encapsulates to this key, drawing the 32-byte message `m` from `rng`.
    pub fn encapsulate<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> (Ciphertext, SharedSecret) {
        let (ct, ss) = self.ek.encapsulate_with_rng(rng);
        let mut ciphertext = [0u8; CIPHERTEXT_LEN];
        ciphertext.copy_from_slice(&ct);
        let mut out = SecretBytes::<SHARED_SECRET_LEN>::zero();
        out.expose_mut().copy_from_slice(&ss);
        (Ciphertext(ciphertext), SharedSecret(out))
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kem::PublicKey(")?;
        for b in &self.bytes[..8] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("..)")
    }
}

/// An ML-KEM-768 ciphertext (1088 bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Ciphertext([u8; CIPHERTEXT_LEN]);

impl Ciphertext {
    /// Wraps 1088 bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        Some(Self(bytes.try_into().ok()?))
    }

    /// The 1088 bytes.
    pub const fn as_bytes(&self) -> &[u8; CIPHERTEXT_LEN] {
        &self.0
    }
}

impl fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kem::Ciphertext(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        f.write_str("..)")
    }
}

/// The 32-byte shared secret of an encapsulation; wiped on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret(SecretBytes<SHARED_SECRET_LEN>);

impl SharedSecret {
    /// The secret bytes (still owned and wiped by `self`).
    pub const fn expose(&self) -> &[u8; SHARED_SECRET_LEN] {
        self.0.expose()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kem::SharedSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_implicit_rejection() {
        let mut rng = rand::rng();
        let pair = DecapsulationKeyPair::generate(&mut rng);
        let public = PublicKey::from_bytes(pair.public_key().as_bytes()).unwrap();
        let (ct, ss) = public.encapsulate(&mut rng);
        assert_eq!(pair.decapsulate(&ct), ss);
        let mut bad = ct.as_bytes().to_vec();
        bad[0] ^= 1;
        assert_ne!(pair.decapsulate(&Ciphertext::from_slice(&bad).unwrap()), ss);
        let restored = DecapsulationKeyPair::from_seed(SecretBytes::new(*pair.expose_seed()));
        assert_eq!(restored.decapsulate(&ct), ss);
        assert_eq!(format!("{pair:?}"), "kem::DecapsulationKeyPair(..)");
        assert_eq!(format!("{ss:?}"), "kem::SharedSecret(..)");
    }

    #[test]
    fn encapsulation_key_validation() {
        assert_eq!(PublicKey::from_bytes(&[0u8; 1183]).unwrap_err(), KemError);
        assert_eq!(PublicKey::from_bytes(&[0u8; 1185]).unwrap_err(), KemError);
        // Coefficients must be below q = 3329: 0xff bytes encode 4095.
        assert_eq!(PublicKey::from_bytes(&[0xff; 1184]).unwrap_err(), KemError);
        assert!(Ciphertext::from_slice(&[0u8; 1087]).is_none());
    }
}
