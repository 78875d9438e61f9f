//! What a device receives from a peer, told apart by its type tag alone.
//!
//! A receiver does not need to know out of band whether bytes are an initial message (session
//! setup) or a ratchet message of a session it holds: the first byte says so (the registry in
//! [`sotto_crypto::wire`]), and [`Incoming::from_bytes`] dispatches on it, refusing every
//! other tag, including those of bundles and pickles, which never arrive from a peer.

use sotto_crypto::wire;
use sotto_ratchet::Message;

use crate::DecodeError;
use crate::initial_message::InitialMessage;

/// A peer's message, decoded by its type tag.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// Tag `0x13`: session setup from a device that has no session with us yet; hand it to
    /// [`crate::respond`]. Boxed: it carries an ML-KEM ciphertext inline (1088 bytes).
    Initial(Box<InitialMessage>),
    /// Tags `0x11` and `0x12`: a message of an existing session; hand it to
    /// [`sotto_ratchet::Session::decrypt`].
    Message(Message),
}

impl Incoming {
    /// Decodes `bytes` as whichever of the two its first byte names; any other first byte is
    /// [`DecodeError::UnknownVersion`] (HS-01), and each kind's own checks apply to the rest.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        match bytes.first() {
            Some(&wire::INITIAL_MESSAGE) => {
                InitialMessage::from_bytes(bytes).map(|m| Self::Initial(Box::new(m)))
            }
            Some(&(wire::STANDARD_MESSAGE | wire::HEADER_ENCRYPTED_MESSAGE)) => {
                Message::from_bytes(bytes)
                    .map(Self::Message)
                    .map_err(DecodeError::RatchetMessage)
            }
            Some(&other) => Err(DecodeError::UnknownVersion(other)),
            None => Err(DecodeError::UnknownVersion(0)),
        }
    }

    /// The wire encoding (the bytes [`Incoming::from_bytes`] decoded).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Initial(m) => m.to_bytes(),
            Self::Message(m) => m.as_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::{
        DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, PrekeyBundle, PrekeyPolicy, initiate,
    };

    /// Every encoded object of this crate and the ratchet, each with its type tag.
    fn objects() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let mut rng = StdRng::seed_from_u64(3);
        let alice = DeviceIdentity::generate(&mut rng);
        let bob = InMemoryPrekeyStore::new(
            DeviceIdentity::generate(&mut rng),
            PrekeyPolicy::default(),
            1_700_000_000,
            &mut rng,
        );
        let bundle = bob.published().unwrap().take_bundle();
        let verified = PrekeyBundle::from_bytes(&bundle.to_bytes())
            .unwrap()
            .verify()
            .unwrap();
        let mut sent = initiate(
            &alice,
            &verified,
            verified.bundle().identity(),
            b"hi",
            &HandshakeConfig::default(),
            &mut rng,
        )
        .unwrap();
        let message = sent.session.encrypt(b"again", &mut rng).unwrap();
        (
            bundle.to_bytes(),
            sent.message.to_bytes(),
            message.as_bytes().to_vec(),
        )
    }

    #[test]
    fn dispatches_on_the_type_tag_and_refuses_every_other_tag() {
        let (bundle, initial, message) = objects();
        assert_eq!(initial[0], wire::INITIAL_MESSAGE);
        assert_eq!(message[0], wire::STANDARD_MESSAGE);
        assert_eq!(bundle[0], wire::PREKEY_BUNDLE);
        match Incoming::from_bytes(&initial).unwrap() {
            Incoming::Initial(m) => assert_eq!(m.to_bytes(), initial),
            other => panic!("initial message decoded as {other:?}"),
        }
        let decoded = Incoming::from_bytes(&message).unwrap();
        assert!(matches!(decoded, Incoming::Message(_)));
        assert_eq!(decoded.to_bytes(), message);
        assert_eq!(
            Incoming::from_bytes(&bundle),
            Err(DecodeError::UnknownVersion(wire::PREKEY_BUNDLE))
        );
        assert_eq!(
            Incoming::from_bytes(&[]),
            Err(DecodeError::UnknownVersion(0))
        );
        // Any first byte other than the three a peer sends is refused, whatever follows.
        for tag in (0..=u8::MAX).filter(|t| {
            ![
                wire::INITIAL_MESSAGE,
                wire::STANDARD_MESSAGE,
                wire::HEADER_ENCRYPTED_MESSAGE,
            ]
            .contains(t)
        }) {
            for body in [&initial, &message] {
                let mut retagged = body.clone();
                retagged[0] = tag;
                assert_eq!(
                    Incoming::from_bytes(&retagged),
                    Err(DecodeError::UnknownVersion(tag))
                );
            }
        }
    }

    #[test]
    fn each_decoder_refuses_the_other_objects() {
        let (bundle, initial, message) = objects();
        assert_eq!(
            InitialMessage::from_bytes(&bundle),
            Err(DecodeError::UnknownVersion(wire::PREKEY_BUNDLE))
        );
        assert_eq!(
            InitialMessage::from_bytes(&message),
            Err(DecodeError::UnknownVersion(wire::STANDARD_MESSAGE))
        );
        assert_eq!(
            PrekeyBundle::from_bytes(&initial).unwrap_err(),
            DecodeError::UnknownVersion(wire::INITIAL_MESSAGE)
        );
        assert_eq!(
            Message::from_bytes(&initial),
            Err(sotto_ratchet::DecodeError::UnknownVersion(
                wire::INITIAL_MESSAGE
            ))
        );
        assert_eq!(
            Message::from_bytes(&bundle),
            Err(sotto_ratchet::DecodeError::UnknownVersion(
                wire::PREKEY_BUNDLE
            ))
        );
    }
}
