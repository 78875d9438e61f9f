//! The primitive floor: each operation a ratchet step cannot avoid, called through
//! `sotto-crypto` exactly as a ratchet calls it.
//!
//! | routine | what one run does |
//! | --- | --- |
//! | [`Keygen`] | `KeyPair::generate` (32 random bytes, one fixed-base scalar multiplication) |
//! | [`Dh`] | `KeyPair::diffie_hellman` (one variable-base X25519, contributory check) |
//! | [`Hmac`] | one `hmac_sha256(chain key, [0x01])`, key schedule included |
//! | [`Hkdf44`] | `hkdf_sha256::<44>(None, message key, MESSAGE_KEYS)` (ENCRYPT's key and nonce) |
//! | [`Hkdf64`] | `hkdf_sha256::<64>(Some(root key), DH output, RATCHET_ROOT)` (KDF_RK) |
//! | [`Seal`] | `aead::seal_in_place` of `len` bytes |
//! | [`Open`] | `aead::open_in_place` of `len` bytes (a fresh ciphertext per run, copied in untimed) |
//! | [`HkdfSk`] | `hkdf_sha256::<32>(Some(32 zero bytes), 160-byte ikm, HANDSHAKE_X3DH)` (session setup's SK) |
//! | [`Ed25519KeyDecode`] | `ed25519::VerifyingKey::from_bytes` (point decompression of an identity key) |
//! | [`Ed25519Verify`] | `VerifyingKey::verify` (strict) over a `len`-byte message, key decoded beforehand |
//! | [`KemKeyDecode`] | `kem::PublicKey::from_bytes` of 1184 bytes (FIPS 203 modulus check, H(ek)) |
//! | [`KemEncaps`] | `kem::PublicKey::encapsulate` (ML-KEM-768, 32 bytes drawn) |
//! | [`KemDecaps`] | `kem::DecapsulationKeyPair::decapsulate` (ML-KEM-768, implicit rejection) |
//!
//! The session-setup primitives take the sizes the handshake uses: Ed25519 verifies over the
//! 99-byte signed-prekey message and the 1243-byte ML-KEM-prekey message
//! ([`SPK_SIGNED_LEN`], [`KEM_SIGNED_LEN`]), and [`HkdfSk`] over the smallest input keying
//! material of a handshake with a one-time prekey (F and four DH outputs: 160 bytes; PQXDH's
//! 192 bytes take one SHA-256 block more), so the floor stays a lower bound.
//!
//! The AEAD routines authenticate [`AD_LEN`] bytes of associated data, the size of a session
//! AD of two bytes and a standard 41-byte header; ChaCha20-Poly1305's cost for that is a
//! handful of Poly1305 blocks.

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::aead::{self, TAG_LEN};
use sotto_crypto::ed25519::{Signature, SigningKey, VerifyingKey};
use sotto_crypto::kdf::{hkdf_sha256, hmac_sha256};
use sotto_crypto::kem::{self, DecapsulationKeyPair};
use sotto_crypto::x25519::{KeyPair, PublicKey};
use sotto_crypto::{SecretBytes, labels};

use crate::BenchError;
use crate::timing::Routine;

/// Associated data length used by the AEAD floor: a 2-byte session AD plus a 41-byte header
/// (version, ratchet public key, previous-chain length, message number).
pub const AD_LEN: usize = 2 + 41;

/// Length of the message a signed prekey's signature covers (protocol section 7.1).
pub const SPK_SIGNED_LEN: usize = sotto_handshake::SignedPrekey::SIGNED_LEN;

/// Length of the message an ML-KEM prekey's signature covers: label, format version, X25519
/// identity key, kind, id and the 1184-byte encapsulation key (protocol section 7.1).
pub const KEM_SIGNED_LEN: usize =
    labels::KEM_PREKEY_SIGNATURE.len() + 1 + 32 + 1 + 4 + kem::ENCAPSULATION_KEY_LEN;

/// Input keying material of [`HkdfSk`]: F (32 bytes) and DH1..DH4.
pub const SK_IKM_LEN: usize = 32 * 5;

/// X25519 key generation.
#[derive(Debug)]
pub struct Keygen {
    rng: StdRng,
}

impl Keygen {
    /// A key generator with a seeded RNG (the same generator type Sotto's rows use).
    pub fn new(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

impl Routine for Keygen {
    fn run(&mut self) -> Result<(), BenchError> {
        let pair = KeyPair::generate(&mut self.rng);
        black_box(pair.public_key());
        Ok(())
    }
}

/// One X25519 Diffie-Hellman.
#[derive(Debug)]
pub struct Dh {
    ours: KeyPair,
    theirs: PublicKey,
}

impl Dh {
    /// Two fresh key pairs from a seeded RNG.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let ours = KeyPair::generate(&mut rng);
        let theirs = *KeyPair::generate(&mut rng).public_key();
        Self { ours, theirs }
    }
}

impl Routine for Dh {
    fn run(&mut self) -> Result<(), BenchError> {
        let shared = black_box(&self.ours).diffie_hellman(black_box(&self.theirs))?;
        black_box(shared.expose());
        Ok(())
    }
}

/// One HMAC-SHA256 under a 32-byte key over one byte: half of KDF_CK.
#[derive(Debug)]
pub struct Hmac {
    key: SecretBytes<32>,
}

impl Hmac {
    /// A fixed 32-byte key.
    pub fn new() -> Self {
        Self {
            key: SecretBytes::new([0x5a; 32]),
        }
    }
}

impl Default for Hmac {
    fn default() -> Self {
        Self::new()
    }
}

impl Routine for Hmac {
    fn run(&mut self) -> Result<(), BenchError> {
        let mac = hmac_sha256(black_box(self.key.expose()), black_box(&[0x01]));
        black_box(mac.expose());
        Ok(())
    }
}

/// HKDF-SHA256 from a 32-byte message key to 44 bytes of AEAD key and nonce.
#[derive(Debug)]
pub struct Hkdf44 {
    message_key: SecretBytes<32>,
}

impl Hkdf44 {
    /// A fixed message key.
    pub fn new() -> Self {
        Self {
            message_key: SecretBytes::new([0x11; 32]),
        }
    }
}

impl Default for Hkdf44 {
    fn default() -> Self {
        Self::new()
    }
}

impl Routine for Hkdf44 {
    fn run(&mut self) -> Result<(), BenchError> {
        let okm = hkdf_sha256::<44>(
            None,
            black_box(self.message_key.expose()),
            labels::MESSAGE_KEYS,
        );
        black_box(okm.expose());
        Ok(())
    }
}

/// KDF_RK: HKDF-SHA256 salted with the root key over a DH output, to 64 bytes.
#[derive(Debug)]
pub struct Hkdf64 {
    root_key: SecretBytes<32>,
    dh: SecretBytes<32>,
}

impl Hkdf64 {
    /// Fixed root key and DH output.
    pub fn new() -> Self {
        Self {
            root_key: SecretBytes::new([0x22; 32]),
            dh: SecretBytes::new([0x33; 32]),
        }
    }
}

impl Default for Hkdf64 {
    fn default() -> Self {
        Self::new()
    }
}

impl Routine for Hkdf64 {
    fn run(&mut self) -> Result<(), BenchError> {
        let okm = hkdf_sha256::<64>(
            Some(black_box(self.root_key.expose())),
            black_box(self.dh.expose()),
            labels::RATCHET_ROOT,
        );
        black_box(okm.expose());
        Ok(())
    }
}

/// Session setup's SK: HKDF-SHA256 with a 32-byte zero salt over [`SK_IKM_LEN`] bytes of
/// input keying material, to 32 bytes.
#[derive(Debug)]
pub struct HkdfSk {
    ikm: Vec<u8>,
}

impl HkdfSk {
    /// Fixed input keying material.
    pub fn new() -> Self {
        Self {
            ikm: vec![0x44; SK_IKM_LEN],
        }
    }
}

impl Default for HkdfSk {
    fn default() -> Self {
        Self::new()
    }
}

impl Routine for HkdfSk {
    fn run(&mut self) -> Result<(), BenchError> {
        let sk = hkdf_sha256::<32>(
            Some(black_box(&[0u8; 32])),
            black_box(&self.ikm),
            labels::HANDSHAKE_X3DH,
        );
        black_box(sk.expose());
        Ok(())
    }
}

/// Decoding a 32-byte Ed25519 public key (point decompression), as every bundle and initial
/// message needs for the identity it carries.
#[derive(Debug)]
pub struct Ed25519KeyDecode {
    bytes: [u8; 32],
}

impl Ed25519KeyDecode {
    /// The public key of a seeded signing key.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        Self {
            bytes: SigningKey::generate(&mut rng).verifying_key().to_bytes(),
        }
    }
}

impl Routine for Ed25519KeyDecode {
    fn run(&mut self) -> Result<(), BenchError> {
        let key = VerifyingKey::from_bytes(black_box(&self.bytes))?;
        black_box(key);
        Ok(())
    }
}

/// Strict Ed25519 verification of a valid signature over a `len`-byte message.
#[derive(Debug)]
pub struct Ed25519Verify {
    key: VerifyingKey,
    message: Vec<u8>,
    signature: Signature,
}

impl Ed25519Verify {
    /// A seeded signing key's signature over `len` bytes.
    pub fn new(seed: u64, len: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let signing = SigningKey::generate(&mut rng);
        let message = vec![0x77; len];
        let signature = signing.sign(&message);
        Self {
            key: signing.verifying_key(),
            message,
            signature,
        }
    }
}

impl Routine for Ed25519Verify {
    fn run(&mut self) -> Result<(), BenchError> {
        black_box(&self.key).verify(black_box(&self.message), black_box(&self.signature))?;
        Ok(())
    }
}

/// Decoding and validating an ML-KEM-768 encapsulation key from its 1184 bytes.
#[derive(Debug)]
pub struct KemKeyDecode {
    bytes: Vec<u8>,
}

impl KemKeyDecode {
    /// The encapsulation key of a seeded key pair.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        Self {
            bytes: DecapsulationKeyPair::generate(&mut rng)
                .public_key()
                .as_bytes()
                .to_vec(),
        }
    }
}

impl Routine for KemKeyDecode {
    fn run(&mut self) -> Result<(), BenchError> {
        let key = kem::PublicKey::from_bytes(black_box(&self.bytes))?;
        black_box(key);
        Ok(())
    }
}

/// ML-KEM-768 encapsulation to a decoded key.
#[derive(Debug)]
pub struct KemEncaps {
    key: kem::PublicKey,
    rng: StdRng,
}

impl KemEncaps {
    /// A seeded key pair's encapsulation key; the runs draw from the same seeded generator.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let key = DecapsulationKeyPair::generate(&mut rng)
            .public_key()
            .clone();
        Self { key, rng }
    }
}

impl Routine for KemEncaps {
    fn run(&mut self) -> Result<(), BenchError> {
        let (ciphertext, shared) = black_box(&self.key).encapsulate(&mut self.rng);
        black_box((ciphertext.as_bytes(), shared.expose()));
        Ok(())
    }
}

/// ML-KEM-768 decapsulation of a valid ciphertext.
#[derive(Debug)]
pub struct KemDecaps {
    pair: DecapsulationKeyPair,
    ciphertext: kem::Ciphertext,
}

impl KemDecaps {
    /// A seeded key pair and one ciphertext to it.
    pub fn new(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let pair = DecapsulationKeyPair::generate(&mut rng);
        let (ciphertext, _) = pair.public_key().encapsulate(&mut rng);
        Self { pair, ciphertext }
    }
}

impl Routine for KemDecaps {
    fn run(&mut self) -> Result<(), BenchError> {
        let shared = black_box(&self.pair).decapsulate(black_box(&self.ciphertext));
        black_box(shared.expose());
        Ok(())
    }
}

fn aead_inputs() -> (SecretBytes<32>, [u8; 12], [u8; AD_LEN]) {
    (SecretBytes::new([0x44; 32]), [0x55; 12], [0x66; AD_LEN])
}

/// ChaCha20-Poly1305 encryption in place of `len` bytes (the buffer is re-encrypted each
/// run; the cost does not depend on its contents).
#[derive(Debug)]
pub struct Seal {
    key: SecretBytes<32>,
    nonce: [u8; 12],
    ad: [u8; AD_LEN],
    buffer: Vec<u8>,
}

impl Seal {
    /// A `len`-byte buffer.
    pub fn new(len: usize) -> Self {
        let (key, nonce, ad) = aead_inputs();
        Self {
            key,
            nonce,
            ad,
            buffer: vec![0xa5; len],
        }
    }
}

impl Routine for Seal {
    fn run(&mut self) -> Result<(), BenchError> {
        let tag = aead::seal_in_place(&self.key, &self.nonce, &self.ad, &mut self.buffer);
        black_box(tag);
        Ok(())
    }
}

/// ChaCha20-Poly1305 decryption in place of `len` bytes. [`Routine::prepare`] lays out one
/// copy of the ciphertext per run (untimed); each run opens the next copy.
#[derive(Debug)]
pub struct Open {
    key: SecretBytes<32>,
    nonce: [u8; 12],
    ad: [u8; AD_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
    batch: Vec<u8>,
    next: usize,
}

impl Open {
    /// Seals one `len`-byte plaintext whose copies the runs open.
    pub fn new(len: usize) -> Self {
        let (key, nonce, ad) = aead_inputs();
        let mut ciphertext = vec![0xa5; len];
        let tag = aead::seal_in_place(&key, &nonce, &ad, &mut ciphertext);
        Self {
            key,
            nonce,
            ad,
            ciphertext,
            tag,
            batch: Vec::new(),
            next: 0,
        }
    }
}

impl Routine for Open {
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let iters = usize::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        self.batch.clear();
        for _ in 0..iters {
            self.batch.extend_from_slice(&self.ciphertext);
        }
        self.next = 0;
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let len = self.ciphertext.len();
        let start = self.next;
        self.next += len;
        let buffer = self
            .batch
            .get_mut(start..start + len)
            .ok_or(BenchError::NotPrepared)?;
        aead::open_in_place(&self.key, &self.nonce, &self.ad, buffer, &self.tag)?;
        black_box(buffer);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::time_batch;

    #[test]
    fn floor_routines_run() {
        time_batch(&mut Keygen::new(1), 3).unwrap();
        time_batch(&mut Dh::new(1), 3).unwrap();
        time_batch(&mut Hmac::new(), 3).unwrap();
        time_batch(&mut Hkdf44::new(), 3).unwrap();
        time_batch(&mut Hkdf64::new(), 3).unwrap();
        time_batch(&mut Seal::new(100), 3).unwrap();
        let mut open = Open::new(100);
        time_batch(&mut open, 3).unwrap();
        // A run past the prepared batch is an error, not a panic or a stale open.
        assert!(matches!(open.run(), Err(BenchError::NotPrepared)));
        time_batch(&mut open, 2).unwrap();
        time_batch(&mut HkdfSk::new(), 3).unwrap();
        time_batch(&mut Ed25519KeyDecode::new(1), 3).unwrap();
        time_batch(&mut Ed25519Verify::new(1, SPK_SIGNED_LEN), 3).unwrap();
        time_batch(&mut Ed25519Verify::new(1, KEM_SIGNED_LEN), 3).unwrap();
        time_batch(&mut KemKeyDecode::new(1), 3).unwrap();
        time_batch(&mut KemEncaps::new(1), 3).unwrap();
        time_batch(&mut KemDecaps::new(1), 3).unwrap();
    }

    #[test]
    fn setup_floor_sizes_match_the_handshake() {
        use sotto_handshake::{KemPrekey, KemPrekeyKind};
        let mut rng = StdRng::seed_from_u64(2);
        let pair = DecapsulationKeyPair::generate(&mut rng);
        let identity = KeyPair::generate(&mut rng);
        let signed = KemPrekey::signed_bytes(
            identity.public_key(),
            KemPrekeyKind::OneTime,
            7,
            pair.public_key(),
        );
        assert_eq!(signed.len(), KEM_SIGNED_LEN);
        assert_eq!(KEM_SIGNED_LEN, 1243);
        assert_eq!(SPK_SIGNED_LEN, 99);
    }
}
