//! Target `message_decode`: the wire decoder of ratchet messages, and the type-tag dispatch of
//! [`Incoming`] that sits in front of it and of the initial-message decoder.

use sotto_handshake::{Incoming, InitialMessage};
use sotto_ratchet::Message;

/// Decodes `data` as a message and as an [`Incoming`]. An accepted input must re-encode to
/// exactly itself (the decoder neither drops nor invents bytes), and `Incoming` must agree
/// with the decoder its tag names: a message exactly when `Message::from_bytes` accepts, an
/// initial message exactly when `InitialMessage::from_bytes` accepts, nothing else. Returns
/// whether `data` was accepted as a ratchet message.
pub fn message_decode(data: &[u8]) -> bool {
    let incoming = Incoming::from_bytes(data);
    if let Ok(decoded) = &incoming {
        assert_eq!(
            decoded.to_bytes(),
            data,
            "Incoming does not re-encode to its input"
        );
    }
    let initial = InitialMessage::from_bytes(data);
    assert_eq!(
        matches!(incoming, Ok(Incoming::Initial(_))),
        initial.is_ok(),
        "Incoming and InitialMessage disagree"
    );
    match Message::from_bytes(data) {
        Ok(message) => {
            assert_eq!(
                message.as_bytes(),
                data,
                "as_bytes() is not the decoded input"
            );
            let again = Message::from_bytes(message.as_bytes()).expect("re-decoding failed");
            assert_eq!(again, message);
            assert_eq!(
                incoming,
                Ok(Incoming::Message(message)),
                "Incoming disagrees"
            );
            true
        }
        Err(_) => {
            assert!(
                !matches!(incoming, Ok(Incoming::Message(_))),
                "Incoming accepted what Message refused"
            );
            false
        }
    }
}
