//! The initiator's first message: what the responder needs to derive the same secret, and the
//! first ratchet message.
//!
//! ```text
//! initial = 0x13 || flags[1] || initiator_identity[64] || ephemeral_key[32] || spk_id u32be
//!           || [opk_id u32be]                                  if flags & 0x01
//!           || [kem_kind[1] || kem_id u32be || kem_ciphertext[1088]]   if flags & 0x02
//!           || ratchet_message                                  (the rest)
//! ```
//!
//! Flags other than `0x01` (one-time prekey used) and `0x02` (PQXDH) must be zero.

use sotto_crypto::kem;
use sotto_crypto::x25519;
use sotto_ratchet::Message;

use crate::DecodeError;
use crate::codec::{Reader, version};
use crate::identity::DeviceIdentityKey;
use crate::prekeys::KemPrekeyKind;

/// Type tag (first byte) of an initial message, from [`sotto_crypto::wire`].
pub const INITIAL_MESSAGE_VERSION: u8 = sotto_crypto::wire::INITIAL_MESSAGE;
const FLAG_ONE_TIME: u8 = 0x01;
const FLAG_KEM: u8 = 0x02;

/// Which ML-KEM prekey the initiator encapsulated to, and the ciphertext. Built only by
/// [`crate::initiate`] and [`InitialMessage::from_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KemEncapsulation {
    pub(crate) kind: KemPrekeyKind,
    pub(crate) id: u32,
    pub(crate) ciphertext: kem::Ciphertext,
}

impl KemEncapsulation {
    /// The prekey's kind.
    pub const fn kind(&self) -> KemPrekeyKind {
        self.kind
    }

    /// The prekey's id.
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The ML-KEM-768 ciphertext.
    pub const fn ciphertext(&self) -> &kem::Ciphertext {
        &self.ciphertext
    }
}

/// The initiator's first message.
///
/// Its fields are private: a value exists only as [`crate::initiate`] built it or as
/// [`InitialMessage::from_bytes`] checked it (canonical X25519 keys, valid flags, a well-formed
/// ratchet message), so [`crate::respond`] never sees one that the decoder would refuse.
///
/// ```compile_fail,E0451
/// # fn forge(m: sotto_handshake::InitialMessage, ek: sotto_crypto::x25519::PublicKey) {
/// let forged = sotto_handshake::InitialMessage { ephemeral_key: ek, ..m };
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialMessage {
    pub(crate) initiator: DeviceIdentityKey,
    pub(crate) ephemeral_key: x25519::PublicKey,
    pub(crate) signed_prekey_id: u32,
    pub(crate) one_time_prekey_id: Option<u32>,
    pub(crate) kem: Option<KemEncapsulation>,
    pub(crate) message: Message,
}

impl InitialMessage {
    /// The initiator device's identity, as the message claims it. Not trusted: [`crate::respond`]
    /// takes the identity the caller expects (from its device list, or this value after an
    /// explicit trust-on-first-use decision) and refuses any other (HS-11).
    pub const fn initiator(&self) -> &DeviceIdentityKey {
        &self.initiator
    }

    /// The initiator's ephemeral X25519 key (EK).
    pub const fn ephemeral_key(&self) -> &x25519::PublicKey {
        &self.ephemeral_key
    }

    /// Id of the responder's signed prekey.
    pub const fn signed_prekey_id(&self) -> u32 {
        self.signed_prekey_id
    }

    /// Id of the responder's one-time prekey, if one was used.
    pub const fn one_time_prekey_id(&self) -> Option<u32> {
        self.one_time_prekey_id
    }

    /// The ML-KEM encapsulation, in PQXDH.
    pub const fn kem(&self) -> Option<&KemEncapsulation> {
        self.kem.as_ref()
    }

    /// The first ratchet message.
    pub const fn message(&self) -> &Message {
        &self.message
    }

    /// The same session-setup header around another ratchet message of the session: how an
    /// initiator re-attaches the setup to every message it sends until the responder's first
    /// reply, so that a responder that missed the first message can still set the session up
    /// (protocol.md 8.5). The responder recognises the header of a session it already set up
    /// and does not run session setup (nor its replay check) again.
    #[must_use]
    pub fn with_message(&self, message: Message) -> Self {
        Self {
            message,
            ..self.clone()
        }
    }

    /// The wire encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = self.message.as_bytes();
        let mut out =
            Vec::with_capacity(1 + 1 + 64 + 32 + 4 + 4 + 5 + kem::CIPHERTEXT_LEN + body.len());
        out.push(INITIAL_MESSAGE_VERSION);
        let mut flags = 0u8;
        if self.one_time_prekey_id.is_some() {
            flags |= FLAG_ONE_TIME;
        }
        if self.kem.is_some() {
            flags |= FLAG_KEM;
        }
        out.push(flags);
        out.extend_from_slice(&self.initiator.to_bytes());
        out.extend_from_slice(self.ephemeral_key.as_bytes());
        out.extend_from_slice(&self.signed_prekey_id.to_be_bytes());
        if let Some(id) = self.one_time_prekey_id {
            out.extend_from_slice(&id.to_be_bytes());
        }
        if let Some(k) = &self.kem {
            out.push(k.kind.to_byte());
            out.extend_from_slice(&k.id.to_be_bytes());
            out.extend_from_slice(k.ciphertext.as_bytes());
        }
        out.extend_from_slice(body);
        out
    }

    /// Strict decoding (HS-01, HS-02, HS-03); the ratchet message is decoded by
    /// [`Message::from_bytes`] and must take exactly the rest of the input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(version(bytes, INITIAL_MESSAGE_VERSION)?);
        let flags = r.u8()?;
        if flags & !(FLAG_ONE_TIME | FLAG_KEM) != 0 {
            return Err(DecodeError::InvalidFlag);
        }
        let initiator = DeviceIdentityKey::from_bytes(&r.array()?)?;
        let ephemeral_key = r.x25519()?;
        let signed_prekey_id = r.u32()?;
        let one_time_prekey_id = if flags & FLAG_ONE_TIME != 0 {
            Some(r.u32()?)
        } else {
            None
        };
        let kem = if flags & FLAG_KEM != 0 {
            let kind = KemPrekeyKind::from_byte(r.u8()?).ok_or(DecodeError::InvalidFlag)?;
            let id = r.u32()?;
            let ciphertext = kem::Ciphertext::from_slice(r.take(kem::CIPHERTEXT_LEN)?)
                .ok_or(DecodeError::Truncated)?;
            Some(KemEncapsulation {
                kind,
                id,
                ciphertext,
            })
        } else {
            None
        };
        let message = Message::from_bytes(r.rest()).map_err(DecodeError::RatchetMessage)?;
        Ok(Self {
            initiator,
            ephemeral_key,
            signed_prekey_id,
            one_time_prekey_id,
            kem,
            message,
        })
    }
}
