//! Target `message_decode`: the wire decoder of ratchet messages.

use sotto_ratchet::Message;

/// Decodes `data` as a message. An accepted input must re-encode to exactly itself (the
/// decoder neither drops nor invents bytes). Returns whether `data` was accepted.
pub fn message_decode(data: &[u8]) -> bool {
    match Message::from_bytes(data) {
        Ok(message) => {
            assert_eq!(
                message.as_bytes(),
                data,
                "as_bytes() is not the decoded input"
            );
            let again = Message::from_bytes(message.as_bytes()).expect("re-decoding failed");
            assert_eq!(again, message);
            true
        }
        Err(_) => false,
    }
}
