//! Prekeys: the signed prekey, one-time prekeys and ML-KEM-768 prekeys, with the exact bytes
//! their Ed25519 signatures cover.

use core::fmt;

use sotto_crypto::ed25519::{Signature, SigningKey, VerifyingKey};
use sotto_crypto::kem;
use sotto_crypto::labels::{KEM_PREKEY_SIGNATURE, SIGNED_PREKEY_SIGNATURE};
use sotto_crypto::x25519::{self, KeyPair};

/// Version byte inside every signed prekey message.
pub const PREKEY_SIGNATURE_VERSION: u8 = 0x01;

/// Whether a device publishes ML-KEM prekeys; signed into its signed prekey so that a relay
/// cannot strip the ML-KEM prekey from a bundle unnoticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostQuantum {
    /// The device publishes no ML-KEM prekeys: classic X3DH only. Byte `0x00`.
    Absent,
    /// Every bundle of this device carries an ML-KEM prekey. Byte `0x01`.
    Offered,
}

impl PostQuantum {
    pub(crate) const fn to_byte(self) -> u8 {
        match self {
            Self::Absent => 0x00,
            Self::Offered => 0x01,
        }
    }

    pub(crate) const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x00 => Some(Self::Absent),
            0x01 => Some(Self::Offered),
            _ => None,
        }
    }
}

/// The public part of a signed prekey, as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
///
/// Built only by [`SignedPrekeyPair::sign`] and by the bundle decoder (which checks the key's
/// encoding, HS-03); read through the accessors.
pub struct SignedPrekey {
    pub(crate) id: u32,
    pub(crate) timestamp: u64,
    pub(crate) post_quantum: PostQuantum,
    pub(crate) public_key: x25519::PublicKey,
    pub(crate) signature: Signature,
}

impl SignedPrekey {
    /// Identifier chosen by the device.
    #[must_use]
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// Creation time, seconds since the Unix epoch.
    #[must_use]
    pub const fn timestamp(&self) -> u64 {
        self.timestamp
    }

    /// Whether the device publishes ML-KEM prekeys.
    #[must_use]
    pub const fn post_quantum(&self) -> PostQuantum {
        self.post_quantum
    }

    /// The X25519 public key (canonical).
    #[must_use]
    pub const fn public_key(&self) -> &x25519::PublicKey {
        &self.public_key
    }

    /// Ed25519 signature over [`SignedPrekey::signed_bytes`].
    #[must_use]
    pub const fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Length of the signed message.
    pub const SIGNED_LEN: usize = SIGNED_PREKEY_SIGNATURE.len() + 1 + 32 + 4 + 8 + 1 + 32;

    /// `SIGNED_PREKEY_SIGNATURE || 0x01 || identity_key[32] || u32be(id) || u64be(timestamp)
    /// || post_quantum[1] || public_key[32]`.
    pub fn signed_bytes(
        identity_key: &x25519::PublicKey,
        id: u32,
        timestamp: u64,
        post_quantum: PostQuantum,
        public_key: &x25519::PublicKey,
    ) -> Vec<u8> {
        let mut m = Vec::with_capacity(Self::SIGNED_LEN);
        m.extend_from_slice(SIGNED_PREKEY_SIGNATURE);
        m.push(PREKEY_SIGNATURE_VERSION);
        m.extend_from_slice(identity_key.as_bytes());
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(&timestamp.to_be_bytes());
        m.push(post_quantum.to_byte());
        m.extend_from_slice(public_key.as_bytes());
        m
    }

    pub(crate) fn verify(&self, signing: &VerifyingKey, identity_key: &x25519::PublicKey) -> bool {
        let m = Self::signed_bytes(
            identity_key,
            self.id,
            self.timestamp,
            self.post_quantum,
            &self.public_key,
        );
        signing.verify(&m, &self.signature).is_ok()
    }
}

/// A signed prekey with its private key, as the device keeps it. The private key wipes
/// itself on drop; not `Clone` (a store hands out copies through a crate-private helper).
pub struct SignedPrekeyPair {
    /// The published part.
    pub public: SignedPrekey,
    /// The key pair (it becomes the responder's first ratchet key pair).
    pub key_pair: KeyPair,
}

impl SignedPrekeyPair {
    /// Signs a new signed prekey with the device's signing key.
    pub fn sign(
        signing: &SigningKey,
        identity_key: &x25519::PublicKey,
        id: u32,
        timestamp: u64,
        post_quantum: PostQuantum,
        key_pair: KeyPair,
    ) -> Self {
        let m = SignedPrekey::signed_bytes(
            identity_key,
            id,
            timestamp,
            post_quantum,
            key_pair.public_key(),
        );
        let public = SignedPrekey {
            id,
            timestamp,
            post_quantum,
            public_key: *key_pair.public_key(),
            signature: signing.sign(&m),
        };
        Self { public, key_pair }
    }
}

impl SignedPrekeyPair {
    /// A copy for a store's owned lookups; both copies wipe their key on drop.
    pub(crate) fn copy(&self) -> Self {
        Self {
            public: self.public,
            key_pair: self.key_pair.clone(),
        }
    }
}

impl fmt::Debug for SignedPrekeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedPrekeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// A one-time prekey as published: unsigned (a forged one only costs the attacker the DH4
/// contribution; DH1-DH3 still authenticate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
///
/// Built only by the prekey store and by the bundle decoder (HS-03); read through the
/// accessors.
pub struct OneTimePrekey {
    pub(crate) id: u32,
    pub(crate) public_key: x25519::PublicKey,
}

impl OneTimePrekey {
    /// Identifier chosen by the device.
    #[must_use]
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The X25519 public key (canonical).
    #[must_use]
    pub const fn public_key(&self) -> &x25519::PublicKey {
        &self.public_key
    }
}

/// A one-time prekey's key pair as a [`crate::PrekeyStore`] hands it to [`crate::respond`]:
/// owned, wiped on drop, not `Clone` (a one-time secret is not duplicated by accident), and
/// printed redacted.
pub struct OneTimePrekeyPair(KeyPair);

impl OneTimePrekeyPair {
    /// Wraps the private key a store holds (the public key is recomputed).
    #[must_use]
    pub fn from_secret(secret: x25519::SecretKey) -> Self {
        Self(KeyPair::from_secret(secret))
    }

    /// The public key.
    #[must_use]
    pub const fn public_key(&self) -> &x25519::PublicKey {
        self.0.public_key()
    }

    /// The private key (for a store that persists it, and for vectors).
    #[must_use]
    pub const fn secret_key(&self) -> &x25519::SecretKey {
        self.0.secret_key()
    }

    /// DH(private key, `their_public`), refusing an all-zero output (HS-07).
    pub fn diffie_hellman(
        &self,
        their_public: &x25519::PublicKey,
    ) -> Result<x25519::SharedSecret, x25519::DhError> {
        self.0.diffie_hellman(their_public)
    }
}

impl fmt::Debug for OneTimePrekeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneTimePrekeyPair")
            .field("public", self.public_key())
            .finish_non_exhaustive()
    }
}

/// Whether an ML-KEM prekey is used once or kept as the last resort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KemPrekeyKind {
    /// Kept until replaced; used when the one-time ML-KEM prekeys run out. Byte `0x01`.
    LastResort,
    /// Deleted after one use. Byte `0x02`.
    OneTime,
}

impl KemPrekeyKind {
    pub(crate) const fn to_byte(self) -> u8 {
        match self {
            Self::LastResort => 0x01,
            Self::OneTime => 0x02,
        }
    }

    pub(crate) const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::LastResort),
            0x02 => Some(Self::OneTime),
            _ => None,
        }
    }
}

/// An ML-KEM-768 prekey as published, signed by the device.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// Built only by [`KemPrekeyPair::sign`] and by the bundle decoder (which validates the
/// encapsulation key, HS-03); read through the accessors.
pub struct KemPrekey {
    pub(crate) kind: KemPrekeyKind,
    pub(crate) id: u32,
    pub(crate) public_key: kem::PublicKey,
    pub(crate) signature: Signature,
}

impl KemPrekey {
    /// Last resort or one-time.
    #[must_use]
    pub const fn kind(&self) -> KemPrekeyKind {
        self.kind
    }

    /// Identifier chosen by the device (one id space per kind).
    #[must_use]
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The encapsulation key (validated).
    #[must_use]
    pub const fn public_key(&self) -> &kem::PublicKey {
        &self.public_key
    }

    /// Ed25519 signature over [`KemPrekey::signed_bytes`].
    #[must_use]
    pub const fn signature(&self) -> &Signature {
        &self.signature
    }

    /// `KEM_PREKEY_SIGNATURE || 0x01 || identity_key[32] || kind[1] || u32be(id) ||
    /// encapsulation_key[1184]`.
    pub fn signed_bytes(
        identity_key: &x25519::PublicKey,
        kind: KemPrekeyKind,
        id: u32,
        public_key: &kem::PublicKey,
    ) -> Vec<u8> {
        let mut m =
            Vec::with_capacity(KEM_PREKEY_SIGNATURE.len() + 38 + kem::ENCAPSULATION_KEY_LEN);
        m.extend_from_slice(KEM_PREKEY_SIGNATURE);
        m.push(PREKEY_SIGNATURE_VERSION);
        m.extend_from_slice(identity_key.as_bytes());
        m.push(kind.to_byte());
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(public_key.as_bytes());
        m
    }

    pub(crate) fn verify(&self, signing: &VerifyingKey, identity_key: &x25519::PublicKey) -> bool {
        let m = Self::signed_bytes(identity_key, self.kind, self.id, &self.public_key);
        signing.verify(&m, &self.signature).is_ok()
    }
}

/// An ML-KEM prekey with its decapsulation key, as the device keeps it. The decapsulation
/// key wipes itself on drop; not `Clone` (a store decapsulates with it,
/// [`crate::PrekeyStore::kem_decapsulate`], instead of handing out copies).
pub struct KemPrekeyPair {
    /// The published part.
    pub public: KemPrekey,
    /// The decapsulation key.
    pub key_pair: kem::DecapsulationKeyPair,
}

impl KemPrekeyPair {
    /// Signs a new ML-KEM prekey with the device's signing key.
    pub fn sign(
        signing: &SigningKey,
        identity_key: &x25519::PublicKey,
        kind: KemPrekeyKind,
        id: u32,
        key_pair: kem::DecapsulationKeyPair,
    ) -> Self {
        let m = KemPrekey::signed_bytes(identity_key, kind, id, key_pair.public_key());
        let public = KemPrekey {
            kind,
            id,
            public_key: key_pair.public_key().clone(),
            signature: signing.sign(&m),
        };
        Self { public, key_pair }
    }
}

impl fmt::Debug for KemPrekeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemPrekeyPair")
            .field("kind", &self.public.kind)
            .field("id", &self.public.id)
            .finish_non_exhaustive()
    }
}
