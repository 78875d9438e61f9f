//! X25519 (RFC 7748) key pairs and Diffie-Hellman.
//!
//! A private key is 32 bytes drawn from the caller's random generator, stored unclamped and
//! clamped by the scalar multiplication as RFC 7748 section 5 specifies. A public key travels
//! as its raw 32-byte u-coordinate. [`SecretKey::diffie_hellman`] refuses an all-zero output
//! (a low-order peer key makes the exchange non-contributory) with [`DhError::NonContributory`].

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::{CryptoRng, SecretBytes};

/// Length of public keys, private keys and shared secrets in bytes.
pub const KEY_LEN: usize = 32;

/// Errors of a Diffie-Hellman exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DhError {
    /// The shared secret is all zero: the peer's public key has small order, so the exchange
    /// would not depend on our private key.
    #[error("X25519 output is all zero (non-contributory peer key)")]
    NonContributory,
}

/// An X25519 public key: the raw 32-byte u-coordinate.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey([u8; KEY_LEN]);

impl PublicKey {
    /// Wraps 32 bytes. Every 32-byte string is accepted here; a low-order key is refused when
    /// it is used (see [`DhError::NonContributory`]).
    pub const fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Whether the encoding is canonical: the u-coordinate is below p = 2^255 - 19 (so the
    /// top bit, which RFC 7748 masks, is clear). Non-canonical encodings give the same
    /// Diffie-Hellman results as their canonical twin, so protocols that compare or record
    /// public keys refuse them.
    pub fn is_canonical(&self) -> bool {
        let b = &self.0;
        if b[31] & 0x80 != 0 {
            return false;
        }
        // Values from p to 2^255 - 1: last byte 0x7f, bytes 1..=30 all 0xff, first >= 0xed.
        !(b[31] == 0x7f && b[1..31].iter().all(|&x| x == 0xff) && b[0] >= 0xed)
    }

    /// The raw 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// A copy of the raw 32 bytes.
    pub const fn to_bytes(&self) -> [u8; KEY_LEN] {
        self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("x25519::PublicKey(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The 32-byte output of a Diffie-Hellman exchange; wiped on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret(SecretBytes<KEY_LEN>);

impl SharedSecret {
    /// The secret bytes (still owned and wiped by `self`).
    pub const fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("x25519::SharedSecret(..)")
    }
}

/// An X25519 private key that may be used for many exchanges; wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(SecretBytes<KEY_LEN>);

impl SecretKey {
    /// Draws 32 bytes from `rng`; those bytes are the private key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(SecretBytes::random(rng))
    }

    /// A private key from its 32 stored bytes (clamping happens at use).
    pub const fn from_bytes(bytes: SecretBytes<KEY_LEN>) -> Self {
        Self(bytes)
    }

    /// The stored 32 bytes, for persisting the key. Handle them as the secret they are.
    pub const fn expose(&self) -> &[u8; KEY_LEN] {
        self.0.expose()
    }

    /// The matching public key: X25519(private key, 9).
    pub fn public_key(&self) -> PublicKey {
        let secret = x25519_dalek::StaticSecret::from(*self.0.expose());
        PublicKey(x25519_dalek::PublicKey::from(&secret).to_bytes())
    }

    /// X25519(private key, `their_public`), refusing an all-zero result.
    pub fn diffie_hellman(&self, their_public: &PublicKey) -> Result<SharedSecret, DhError> {
        let secret = x25519_dalek::StaticSecret::from(*self.0.expose());
        let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(their_public.0));
        if !shared.was_contributory() {
            return Err(DhError::NonContributory);
        }
        Ok(SharedSecret(SecretBytes::new(shared.to_bytes())))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("x25519::SecretKey(..)")
    }
}

/// A private key together with its public key, computed once.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct KeyPair {
    secret: SecretKey,
    #[zeroize(skip)]
    public: PublicKey,
}

impl KeyPair {
    /// Generates a key pair: 32 bytes from `rng`, then one fixed-base scalar multiplication.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_secret(SecretKey::generate(rng))
    }

    /// Completes a private key into a key pair.
    pub fn from_secret(secret: SecretKey) -> Self {
        let public = secret.public_key();
        Self { secret, public }
    }

    /// The public half.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The private half.
    pub const fn secret_key(&self) -> &SecretKey {
        &self.secret
    }

    /// X25519 with our private key; see [`SecretKey::diffie_hellman`].
    pub fn diffie_hellman(&self, their_public: &PublicKey) -> Result<SharedSecret, DhError> {
        self.secret.diffie_hellman(their_public)
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("x25519::KeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A single-use private key, for the initiator's ephemeral key in session setup. It cannot be
/// cloned or serialized, and [`EphemeralSecret::agree`] consumes it, so it cannot be reused.
pub struct EphemeralSecret(KeyPair);

impl EphemeralSecret {
    /// Draws 32 bytes from `rng`, as [`SecretKey::generate`] does.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(KeyPair::generate(rng))
    }

    /// The public key.
    pub const fn public_key(&self) -> &PublicKey {
        self.0.public_key()
    }

    /// X25519 with each of `peers`, in order, then wipes the secret. Any all-zero output is
    /// an error.
    pub fn agree(self, peers: &[&PublicKey]) -> Result<Vec<SharedSecret>, DhError> {
        let mut out = Vec::with_capacity(peers.len());
        self.agree_into(peers, &mut out)?;
        Ok(out)
    }

    /// As [`EphemeralSecret::agree`], appending the outputs to `out`. With enough capacity
    /// reserved, no output is ever moved into a new buffer (which would leave an unwiped copy
    /// in the old one); on error the outputs already appended stay in `out`, which wipes
    /// them when it is dropped.
    pub fn agree_into(
        self,
        peers: &[&PublicKey],
        out: &mut Vec<SharedSecret>,
    ) -> Result<(), DhError> {
        for peer in peers {
            out.push(self.0.diffie_hellman(peer)?);
        }
        Ok(())
    }
}

impl fmt::Debug for EphemeralSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("x25519::EphemeralSecret")
            .field("public", self.0.public_key())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    #[test]
    fn rfc7748_section_6_1() {
        let a = SecretKey::from_bytes(SecretBytes::new(hex32(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        )));
        let b = SecretKey::from_bytes(SecretBytes::new(hex32(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        )));
        assert_eq!(
            a.public_key().to_bytes(),
            hex32("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        assert_eq!(
            b.public_key().to_bytes(),
            hex32("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        );
        let k = a.diffie_hellman(&b.public_key()).unwrap();
        assert_eq!(
            k.expose(),
            &hex32("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        );
        assert_eq!(k, b.diffie_hellman(&a.public_key()).unwrap());
    }

    #[test]
    fn canonical_encodings() {
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        assert!(!PublicKey::from_bytes(p).is_canonical(), "p itself");
        p[0] = 0xec;
        assert!(PublicKey::from_bytes(p).is_canonical(), "p - 1");
        let mut top = [0u8; 32];
        top[0] = 9;
        assert!(PublicKey::from_bytes(top).is_canonical());
        top[31] = 0x80;
        assert!(!PublicKey::from_bytes(top).is_canonical(), "top bit set");
        // The masked twin gives the same shared secret: why protocols refuse it.
        let mut rng = rand::rng();
        let a = KeyPair::generate(&mut rng);
        let b = KeyPair::generate(&mut rng);
        let mut twin = b.public_key().to_bytes();
        twin[31] |= 0x80;
        assert_eq!(
            a.diffie_hellman(b.public_key()).unwrap(),
            a.diffie_hellman(&PublicKey::from_bytes(twin)).unwrap()
        );
    }

    #[test]
    fn low_order_points_are_refused() {
        let mut rng = rand::rng();
        let k = KeyPair::generate(&mut rng);
        // The zero point, the point of order 1 encoded as 1, and a point of order 8.
        for low in [
            [0u8; 32],
            hex32("0100000000000000000000000000000000000000000000000000000000000000"),
            hex32("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ] {
            assert_eq!(
                k.diffie_hellman(&PublicKey::from_bytes(low)),
                Err(DhError::NonContributory)
            );
        }
    }

    #[test]
    fn debug_is_redacted() {
        let s = SecretKey::from_bytes(SecretBytes::new([0x42; 32]));
        assert_eq!(format!("{s:?}"), "x25519::SecretKey(..)");
        let pair = KeyPair::from_secret(s);
        let shown = format!("{pair:?}");
        assert!(
            shown.starts_with("x25519::KeyPair { public: x25519::PublicKey("),
            "{shown}"
        );
        assert!(shown.ends_with(".. }"), "{shown}");
        assert!(!shown.contains("4242"), "{shown}");
        let shared = pair.diffie_hellman(&pair.public_key().clone()).unwrap();
        assert_eq!(format!("{shared:?}"), "x25519::SharedSecret(..)");
    }

    #[test]
    fn ephemeral_agrees_once_with_many() {
        let mut rng = rand::rng();
        let a = KeyPair::generate(&mut rng);
        let b = KeyPair::generate(&mut rng);
        let e = EphemeralSecret::generate(&mut rng);
        let e_pub = *e.public_key();
        assert!(format!("{e:?}").ends_with(".. }"));
        let out = e.agree(&[a.public_key(), b.public_key()]).unwrap();
        assert_eq!(out[0], a.diffie_hellman(&e_pub).unwrap());
        assert_eq!(out[1], b.diffie_hellman(&e_pub).unwrap());
        let e = EphemeralSecret::generate(&mut rng);
        assert_eq!(
            e.agree(&[a.public_key(), &PublicKey::from_bytes([0; 32])])
                .unwrap_err(),
            DhError::NonContributory
        );
    }
}
