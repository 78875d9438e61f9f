//! # sotto-crypto
//!
//! The only crate in Sotto that touches cryptographic primitives. Everything above it works
//! with the typed keys, labelled key-derivation helpers and the AEAD wrapper defined here:
//!
//! - [`x25519`]: X25519 key pairs and Diffie-Hellman that refuses all-zero (non-contributory)
//!   outputs;
//! - [`ed25519`]: Ed25519 signing and strict verification;
//! - [`hash`]: SHA-512 over byte slices (the iterated fingerprints of safety numbers);
//! - [`kdf`]: HKDF-SHA256 and HMAC-SHA256 with labels that are named constants in [`labels`];
//! - [`aead`]: ChaCha20-Poly1305 (RFC 8439, 12-byte nonce, 16-byte tag appended);
//! - [`pickle`]: the encrypted, type-tagged and context-bound envelope of every pickle;
//! - [`wire`]: the registry of type tags, the first byte of every wire and state format;
//! - [`secret`]: fixed-size secret byte strings that zeroize on drop, are never `Copy`, print
//!   redacted and compare in constant time.
//!
//! Randomness always comes in through a caller-supplied [`CryptoRng`], so that every protocol
//! run can be replayed deterministically in tests and vectors. There is no hidden global
//! generator in this crate.
//!
//! ```
//! use sotto_crypto::x25519::KeyPair;
//!
//! let mut rng = rand::rng();
//! let alice = KeyPair::generate(&mut rng);
//! let bob = KeyPair::generate(&mut rng);
//! let ab = alice.diffie_hellman(bob.public_key())?;
//! let ba = bob.diffie_hellman(alice.public_key())?;
//! assert_eq!(ab, ba); // constant-time comparison
//! # Ok::<(), sotto_crypto::x25519::DhError>(())
//! ```

pub mod aead;
pub mod ed25519;
pub mod hash;
pub mod kdf;
pub mod kem;
pub mod labels;
pub mod pickle;
pub mod secret;
pub mod wire;
pub mod x25519;

pub use rand_core::CryptoRng;
pub use secret::{SecretBytes, ct_eq};
