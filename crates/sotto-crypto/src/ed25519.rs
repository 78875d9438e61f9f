//! Ed25519 (RFC 8032) signatures with strict verification.
//!
//! Verification uses ed25519-dalek's `verify_strict`: it rejects non-canonical `S`, and
//! public keys or `R` values of small order, so a signature cannot be malleated into a second
//! valid encoding.

use core::fmt;

use ed25519_dalek::Signer;
use zeroize::ZeroizeOnDrop;

use crate::{CryptoRng, SecretBytes};

/// Length of a public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// A signature did not verify, or a public key was not a valid point. Carries no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Ed25519 signature or key is invalid")]
pub struct SignatureError;

/// An Ed25519 signing key; wiped on drop. Its public key is computed once, when the key is
/// created, so asking for it costs nothing.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// Draws a 32-byte seed from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_seed(SecretBytes::random(rng))
    }

    /// A signing key from its 32-byte seed (RFC 8032 section 5.1.5).
    pub fn from_seed(seed: SecretBytes<32>) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed.expose()))
    }

    /// The 32-byte seed, for persisting the key. Handle it as the secret it is.
    pub fn expose_seed(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// The public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// Signs `message` (pure Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }
}

// ed25519-dalek's signing key wipes its seed on drop (its `zeroize` feature is enabled).
impl ZeroizeOnDrop for SigningKey {}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ed25519::SigningKey(..)")
    }
}

/// An Ed25519 public key, known to be a valid point encoding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Decodes 32 bytes; refuses encodings that are not points on the curve.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, SignatureError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| SignatureError)
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// Strict verification of `signature` over `message`.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), SignatureError> {
        let sig = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0
            .verify_strict(message, &sig)
            .map_err(|_| SignatureError)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ed25519::VerifyingKey(")?;
        for b in self.to_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// A 64-byte Ed25519 signature.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Wraps 64 bytes (validity is checked by [`VerifyingKey::verify`]).
    pub const fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Self(bytes)
    }

    /// The 64 bytes.
    pub const fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ed25519::Signature(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8032_test_1() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let key = SigningKey::from_seed(SecretBytes::new(seed));
        assert_eq!(
            hex::encode(key.verifying_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = key.sign(b"");
        assert_eq!(
            hex::encode(sig.to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        key.verifying_key().verify(b"", &sig).unwrap();
        assert_eq!(key.verifying_key().verify(b"x", &sig), Err(SignatureError));
        assert_eq!(format!("{key:?}"), "ed25519::SigningKey(..)");
    }

    #[test]
    fn strictness() {
        let mut rng = rand::rng();
        let key = SigningKey::generate(&mut rng);
        let vk = key.verifying_key();
        let sig = key.sign(b"m");
        // S + L (non-canonical scalar) must be refused.
        let mut bytes = sig.to_bytes();
        let l: [u8; 32] =
            hex::decode("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
                .unwrap()
                .try_into()
                .unwrap();
        let mut carry = 0u16;
        for i in 0..32 {
            let s = u16::from(bytes[32 + i]) + u16::from(l[i]) + carry;
            bytes[32 + i] = s as u8;
            carry = s >> 8;
        }
        assert_eq!(
            vk.verify(b"m", &Signature::from_bytes(bytes)),
            Err(SignatureError)
        );
        // The identity point as a public key (small order) is refused by verify_strict.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = VerifyingKey::from_bytes(&identity).unwrap();
        assert_eq!(weak.verify(b"m", &sig), Err(SignatureError));
    }
}
