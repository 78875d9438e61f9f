//! ML-KEM-768 (FIPS 203) for the post-quantum part of session setup.
//!
//! A decapsulation key is generated from 64 bytes drawn from the caller's generator (the
//! FIPS 203 seed `d || z`) and persisted as that seed. An encapsulation key travels as its
//! 1184-byte FIPS 203 encoding and is validated when decoded (the modulus check of FIPS 203
//! section 7.2). Encapsulation draws its 32-byte message `m` from the caller's generator, so
//! it is reproducible in vectors. Decapsulation uses implicit rejection: a modified
//! ciphertext gives an unrelated shared secret, not an error.
//!
//! The implementation is `libcrux-ml-kem` (formally verified; its portable code, or its AVX2
//! code where the CPU has AVX2, chosen at run time). It is deterministic given `d || z` and
//! `m`, so every output is byte-identical to any other FIPS 203 implementation's, which
//! `tests/wycheproof.rs` and the session-setup vectors check. The expanded decapsulation key
//! is wiped when the key pair is dropped.

use core::fmt;

use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768PrivateKey, MlKem768PublicKey};
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

/// Length of the expanded decapsulation key (FIPS 203 `dk`).
const EXPANDED_KEY_LEN: usize = 2400;

/// An ML-KEM-768 decapsulation (secret) key; wiped on drop.
pub struct DecapsulationKeyPair {
    dk: MlKem768PrivateKey,
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
        let (dk, ek) = mlkem768::generate_key_pair(*seed.expose()).into_parts();
        Self {
            dk,
            seed,
            public: PublicKey { ek },
        }
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
        let ct = MlKem768Ciphertext::from(&ciphertext.0);
        let mut ss = mlkem768::decapsulate(&self.dk, &ct);
        let out = SharedSecret(SecretBytes::new(ss));
        ss.zeroize();
        out
    }
}

impl Drop for DecapsulationKeyPair {
    fn drop(&mut self) {
        self.dk[0..EXPANDED_KEY_LEN].zeroize();
    }
}

impl ZeroizeOnDrop for DecapsulationKeyPair {}

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

/// A validated ML-KEM-768 encapsulation key.
#[derive(Clone)]
pub struct PublicKey {
    ek: MlKem768PublicKey,
}

impl PublicKey {
    /// Decodes and validates 1184 bytes (length, and the modulus check of FIPS 203 section
    /// 7.2: every coefficient below q).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KemError> {
        let array: &[u8; ENCAPSULATION_KEY_LEN] = bytes.try_into().map_err(|_| KemError)?;
        let ek = MlKem768PublicKey::from(array);
        if !mlkem768::validate_public_key(&ek) {
            return Err(KemError);
        }
        Ok(Self { ek })
    }

    /// The 1184-byte encoding.
    pub fn as_bytes(&self) -> &[u8; ENCAPSULATION_KEY_LEN] {
        self.ek.as_slice()
    }

    /// Encapsulates to this key, drawing the 32-byte message `m` from `rng`.
    pub fn encapsulate<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> (Ciphertext, SharedSecret) {
        let m = SecretBytes::<32>::random(rng);
        let (ct, mut ss) = mlkem768::encapsulate(&self.ek, *m.expose());
        let ciphertext = Ciphertext(*ct.as_slice());
        let out = SharedSecret(SecretBytes::new(ss));
        ss.zeroize();
        (ciphertext, out)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("kem::PublicKey(")?;
        for b in &self.as_bytes()[..8] {
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
