//! Target `client_content`: the client's decoders of protocol.md chapter 10, the end-to-end
//! content a recipient decodes from every device message it decrypts (10.1), the client
//! state file (10.2) opened under a fixed store key, and the contact card (10.4).

use sotto::content::{self, ContentError};
use sotto::state::{
    STATE_MIN_LEN, STATE_VERSION, StateFileError, open_state_file, seal_state_file, state_key,
};
use sotto_crypto::SecretBytes;

/// The fixture's store key: the one of the first state case of docs/vectors/client.json, so
/// the vector's file (a seed) opens.
pub const CLIENT_FIXTURE_STORE_KEY: [u8; 32] = [0x5c; 32];

/// Decodes `data` as content: an accepted input must re-encode to exactly `data` (one
/// encoding per content), and a refusal must be the one the first failing check of 10.1
/// gives. Opens `data` as a state file under the fixture key: a refusal must follow the
/// order of 10.2, and an accepted file must re-seal (same nonce) to itself. Seals `data` as a
/// state file's JSON: it opens back to `data` exactly when it is the state's JSON, and is
/// otherwise refused as `Malformed`. Reads `data` (as UTF-8) as a contact card: accepted
/// exactly when 10.4's rule says so, and then re-encoded to itself. Returns whether `data`
/// was accepted as content, as a state file or as a card.
pub fn client_content(data: &[u8]) -> bool {
    let text = std::str::from_utf8(data).ok();
    let card_accepted = match text.map(sotto::card::decode) {
        Some(Ok((account, key))) => {
            assert_eq!(
                sotto::card::encode(account, &key).as_bytes(),
                data,
                "a card re-encodes to another spelling"
            );
            true
        }
        Some(Err(e)) => {
            assert!(matches!(e, sotto::ClientError::BadContactCard), "{e:?}");
            false
        }
        None => false,
    };
    assert_eq!(card_accepted, document_card_rule(data), "card rule");
    let content_accepted = match content::decode(data) {
        Ok(c) => {
            let again = content::encode(&c.text, c.share.as_ref())
                .expect("encode refused what decode returned");
            assert_eq!(again, data, "re-encoding differs from the input");
            true
        }
        Err(e) => {
            assert_eq!(
                Some(e),
                document_content_refusal(data),
                "refusal out of order"
            );
            false
        }
    };
    let key = state_key(&SecretBytes::new(CLIENT_FIXTURE_STORE_KEY));
    let state_accepted = match open_state_file(&key, data) {
        Ok(json) => {
            let nonce: [u8; 12] = data[1..13].try_into().expect("12 bytes");
            assert_eq!(
                seal_state_file(&key, &nonce, &json),
                data,
                "re-sealing differs"
            );
            true
        }
        Err(e) => {
            let expected = if data.first() != Some(&STATE_VERSION) {
                StateFileError::UnknownVersion(data.first().copied().unwrap_or(0))
            } else if data.len() < STATE_MIN_LEN {
                StateFileError::Truncated
            } else {
                // A fuzzer does not forge the AEAD; a refusal past the length is that or,
                // for an authentic file (a seed), the JSON.
                assert!(
                    matches!(
                        e,
                        StateFileError::WrongKeyOrCorrupted | StateFileError::Malformed
                    ),
                    "{e:?}"
                );
                e
            };
            assert_eq!(e, expected, "state refusal out of order");
            false
        }
    };
    let sealed = seal_state_file(&key, &[0x6e; 12], data);
    match open_state_file(&key, &sealed) {
        Ok(json) => assert_eq!(json.as_slice(), data, "opened JSON differs"),
        Err(e) => assert_eq!(e, StateFileError::Malformed, "sealed JSON refused as {e:?}"),
    }
    content_accepted || state_accepted || card_accepted
}

/// 10.4's rule, from the document alone: 97 bytes, `.` at index 32, lower-case hex digits
/// everywhere else.
fn document_card_rule(data: &[u8]) -> bool {
    data.len() == 97
        && data.iter().enumerate().all(|(i, &b)| {
            if i == 32 {
                b == b'.'
            } else {
                matches!(b, b'0'..=b'9' | b'a'..=b'f')
            }
        })
}

/// 10.1's refusal for `data`, computed from the document's order of checks alone.
fn document_content_refusal(data: &[u8]) -> Option<ContentError> {
    match data.first() {
        Some(0x01) => {}
        other => return Some(ContentError::UnknownVersion(other.copied().unwrap_or(0))),
    }
    let mut rest = &data[1..];
    let (mut share, mut text) = (false, false);
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Some(ContentError::Truncated);
        }
        let len = u32::from_be_bytes(rest[1..5].try_into().expect("4 bytes")) as usize;
        if rest.len() - 5 < len {
            return Some(ContentError::Truncated);
        }
        let (kind, payload) = (rest[0], &rest[5..5 + len]);
        rest = &rest[5 + len..];
        match kind {
            0x02 if share || text => return Some(ContentError::Order),
            0x02 if payload.len() != 33 || payload[0] != 0x01 => return Some(ContentError::Share),
            0x02 => share = true,
            0x01 if text => return Some(ContentError::Order),
            0x01 if std::str::from_utf8(payload).is_err() => return Some(ContentError::NotUtf8),
            0x01 => text = true,
            other => return Some(ContentError::UnknownKind(other)),
        }
    }
    (!text).then_some(ContentError::NoText)
}
