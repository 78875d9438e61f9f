//! # sotto-handshake
//!
//! Session setup for Sotto: X3DH (Signal specification, revision 1) and its hybrid
//! post-quantum extension PQXDH (revision 1) with ML-KEM-768, producing a
//! [`sotto_ratchet::Session`] on both sides.
//!
//! - A device publishes a [`PrekeyBundle`]: its identity (Ed25519 signing key and X25519
//!   identity key), a signed prekey, optionally a one-time prekey and a signed ML-KEM-768
//!   prekey (one-time, or the last-resort one).
//! - The initiator decodes the bundle, [`PrekeyBundle::verify`]s it into a [`VerifiedBundle`]
//!   (signatures, and the signed post-quantum flag that makes stripping the ML-KEM prekey a
//!   detected downgrade), then calls [`initiate`]: the session and an [`InitialMessage`]
//!   carrying the first ratchet message.
//! - The responder calls [`respond`] with its [`PrekeyStore`]: the one-time prekeys are
//!   deleted only after the first message decrypted, and a replayed initial message is
//!   refused.
//! - Both sides name the peer device they expect (HS-11): [`initiate`] takes the identity
//!   the bundle must carry, [`respond`] the identity the initial message must come from,
//!   all 64 bytes each. A caller that trusts on first use passes what the bundle or message
//!   claims, [`PrekeyBundle::identity`] or [`InitialMessage::initiator`], an explicit step.
//! - [`PrekeyStore`] is shaped for a database: fallible ([`StoreError`] carries its cause),
//!   owned values, `Send`, and one atomic [`PrekeyStore::commit`] per accepted message.
//!
//! The mode follows the bundle: PQXDH if it carries an ML-KEM prekey, classic X3DH if the
//! device signed that it publishes none. The byte-level description is the handshake chapter
//! of `docs/protocol.md`; validation IDs (HS-xx) in the error docs refer to it.
//!
//! ```
//! use sotto_handshake::{
//!     DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, InitialMessage, Mode, PrekeyBundle,
//!     PrekeyPolicy, initiate, respond,
//! };
//!
//! let mut rng = rand::rng();
//! let config = HandshakeConfig::default().post_quantum_only();
//! let alice = DeviceIdentity::generate(&mut rng);
//! let mut bob = InMemoryPrekeyStore::new(
//!     DeviceIdentity::generate(&mut rng), PrekeyPolicy::default(), 1_700_000_000, &mut rng);
//!
//! // Bob's device publishes; the relay hands Alice one bundle as bytes.
//! let wire = bob.published().expect("a signed prekey").take_bundle().to_bytes();
//! let bundle = PrekeyBundle::from_bytes(&wire)?.verify()?;
//! // Alice expects Bob's device (here she knows its identity; trust on first use would pass
//! // `bundle.bundle().identity()`).
//! let bob_device = bob.published().expect("a signed prekey").identity;
//! let mut sent = initiate(&alice, &bundle, &bob_device, b"hello Bob", &config, &mut rng)?;
//! assert_eq!(sent.mode, Mode::Pqxdh);
//!
//! let initial = InitialMessage::from_bytes(&sent.message.to_bytes())?;
//! // Bob expects Alice's device; a message from any other device is refused (HS-11).
//! let mut got = respond(&mut bob, &initial, &alice.public(), &config)?;
//! assert_eq!(got.plaintext, b"hello Bob");
//! assert!(respond(&mut bob, &initial, &alice.public(), &config).is_err()); // replay refused
//!
//! let reply = got.session.encrypt(b"hi Alice", &mut rng)?;
//! assert_eq!(sent.session.decrypt(&reply)?, b"hi Alice");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod bundle;
mod codec;
mod error;
mod handshake;
mod identity;
mod incoming;
mod initial_message;
mod pickle;
mod prekeys;
mod secret;
mod store;
mod trace;

#[cfg(feature = "hazmat-trace")]
pub mod hazmat;

pub use bundle::{BUNDLE_MAX_LEN, BUNDLE_MIN_LEN, BUNDLE_VERSION, PrekeyBundle, VerifiedBundle};
pub use error::{
    BundleError, CommitError, DecodeError, HandshakeError, StoreError, StoreErrorKind,
};
pub use handshake::{
    HandshakeConfig, Initiation, Mode, Response, initiate, keep_own_initiation, respond,
};
pub use identity::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentity, DeviceIdentityKey};
pub use incoming::Incoming;
pub use initial_message::{INITIAL_MESSAGE_VERSION, InitialMessage, KemEncapsulation};
pub use pickle::{
    IDENTITY_PICKLE_LEN, IDENTITY_PICKLE_TAG, MAX_PREKEY_STORE_PICKLE_LEN, PREKEY_STORE_PICKLE_TAG,
};
pub use prekeys::{
    KemPrekey, KemPrekeyKind, KemPrekeyPair, OneTimePrekey, OneTimePrekeyPair,
    PREKEY_SIGNATURE_VERSION, PostQuantum, SignedPrekey, SignedPrekeyPair,
};
pub use store::{
    InMemoryPrekeyStore, MAX_ONE_TIME_PREKEYS, PrekeyPolicy, PrekeyStore, PublishedPrekeys,
    ReplayTag, UsedPrekeys,
};

#[cfg(test)]
mod tests;
