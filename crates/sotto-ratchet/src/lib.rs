//! # sotto-ratchet
//!
//! The Double Ratchet of the Signal specification (revision 1, 2016-11-20) as Sotto pins it:
//! X25519, HKDF-SHA256 for KDF_RK and for deriving each message's ChaCha20-Poly1305 key and
//! nonce, HMAC-SHA256 for KDF_CK. Two session kinds:
//!
//! - [`SessionKind::Standard`] (section 3 of the specification), messages of version `0x01`;
//! - [`SessionKind::HeaderEncrypted`] (section 4), messages of version `0x02`.
//!
//! What this crate guarantees:
//!
//! - out-of-order delivery within the limits of [`SessionConfig`] (defaults: 2000 keys
//!   skipped per message, 2000 stored, oldest evicted first);
//! - every message key is used once and deleted; a replay is refused ([`DecryptError::Duplicate`]);
//! - [`Session::decrypt`] is transactional: on any error the session is unchanged;
//! - counters never wrap ([`EncryptError::CounterLimit`], [`DecryptError::CounterLimit`]);
//! - persisted state is an encrypted, versioned pickle ([`Session::pickle`]).
//!
//! The byte-level description is the ratchet chapter of `docs/protocol.md`; validation IDs
//! (RAT-xx, PKL-xx) in the error docs refer to it.
//!
//! ```
//! use sotto_crypto::x25519::KeyPair;
//! use sotto_ratchet::{Message, PickleKey, Session, SessionConfig, SessionSecret};
//!
//! let mut rng = rand::rng();
//! let bob_prekey = KeyPair::generate(&mut rng);
//! let config = SessionConfig::header_encrypted();
//! let mut alice = Session::initiator(
//!     SessionSecret::new([1; 32]), b"ad", bob_prekey.public_key(), config, &mut rng)?;
//! let mut bob = Session::responder(SessionSecret::new([1; 32]), b"ad", bob_prekey, config)?;
//!
//! let first = alice.encrypt(b"first", &mut rng)?;
//! let second = alice.encrypt(b"second", &mut rng)?;
//! let wire = second.as_bytes().to_vec();               // what the relay carries
//! assert_eq!(bob.decrypt(&Message::from_bytes(&wire)?)?, b"second");
//! assert_eq!(bob.decrypt(&first)?, b"first");          // out of order
//! assert!(bob.decrypt(&first).is_err());               // replay refused
//!
//! let key = PickleKey::new([9; 32]);
//! // The context binds the pickle to its owner, its peer and a generation the caller keeps
//! // elsewhere, so it cannot be swapped for another session's or rolled back.
//! let saved = bob.pickle(&key, b"bob/1 alice/1 generation 7", &mut rng)?;
//! let mut bob = Session::from_pickle(&key, b"bob/1 alice/1 generation 7", &saved)?;
//! let reply = bob.encrypt(b"reply", &mut rng)?;
//! assert_eq!(alice.decrypt(&reply)?, b"reply");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod chain_key;
mod config;
mod error;
mod header;
mod header_key;
mod message;
mod message_key;
mod pickle;
mod root_key;
mod session;
mod skipped_keys;
mod trace;

#[cfg(feature = "hazmat-trace")]
pub mod hazmat;

pub use config::{SessionConfig, SessionKind};
pub use error::{DecodeError, DecryptError, EncryptError, PickleError, SessionError};
pub use header::{HEADER_LEN, Header};
pub use message::{
    HEADER_ENCRYPTED_OVERHEAD, MAX_MESSAGE_LEN, MAX_PLAINTEXT_LEN, Message, STANDARD_OVERHEAD,
    VERSION_HEADER_ENCRYPTED, VERSION_STANDARD,
};
pub use pickle::{MAX_PICKLE_LEN, PICKLE_SALT_LEN, PICKLE_VERSION};
pub use session::{Session, SessionSecret};
pub use sotto_crypto::pickle::PickleKey;

#[cfg(test)]
mod tests;
