//! The client's end-to-end content: what the plaintext of a device message holds.
//!
//! ```text
//! content = u8(CONTENT_VERSION) || item+
//! item    = u8(kind) || u32be(len) || payload[len]
//! ```
//!
//! Item kinds reuse the content types of protocol.md 9.5: [`CONTENT_TYPE_MESSAGE`] (the text,
//! UTF-8) and [`CONTENT_TYPE_PROFILE_KEY`] (the sender account's profile-key share,
//! `ProfileKey::to_share`, 33 bytes). Each kind at most once, text required, in that order:
//! share first. Carrying the share **inside** the device message gives it the Double
//! Ratchet's forward secrecy, where a share as the message of its own envelope (9.5) would
//! rest on the envelope's static-static secret only. Decoding is strict: an unknown version
//! or kind, a length past the end, trailing bytes, a kind twice, or text that is not UTF-8
//! is refused.

use sotto_sealed::access::{CONTENT_TYPE_MESSAGE, CONTENT_TYPE_PROFILE_KEY, ProfileKey};

/// The content format version, the first byte of every content (protocol.md 10.1).
pub const CONTENT_VERSION: u8 = 0x01;

/// The longest text a client sends, in bytes: half the largest plaintext a sealed envelope
/// pads (protocol.md 9.1), which leaves room for the device plaintext's header and the share.
pub const MAX_TEXT_LEN: usize = sotto_sealed::padding::MAX_UNPADDED_LEN / 2;

/// The originator hash a `traceable` relay asks for with each identified send:
/// `SHA-256("SOTTO_TRACE_V1" || UTF-8 text)` (docs/relay.md, "Profiles"). The same text
/// forwarded by anyone has the same hash, which is what lets that relay name its first
/// sender.
#[must_use]
pub fn trace_hash(text: &str) -> [u8; 32] {
    sotto_crypto::hash::sha256_concat(&[b"SOTTO_TRACE_V1", text.as_bytes()])
}

/// Decoded content.
pub struct Content {
    /// The sender account's profile key, if shared.
    pub share: Option<ProfileKey>,
    /// The text.
    pub text: String,
}

/// Why content does not decode, in the order [`decode`] checks (protocol.md 10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// CLI-CT-01: the first byte is not [`CONTENT_VERSION`] (empty input counts as `0x00`).
    #[error("unknown content version {0:#04x}")]
    UnknownVersion(u8),
    /// CLI-CT-02: an item's kind, its 4 length bytes or its payload run past the end.
    #[error("content item truncated")]
    Truncated,
    /// CLI-CT-03: an item's kind is neither `0x01` (text) nor `0x02` (profile-key share).
    #[error("unknown content item kind {0:#04x}")]
    UnknownKind(u8),
    /// CLI-CT-04: a kind repeats, or a share follows the text.
    #[error("content items out of order or repeated")]
    Order,
    /// CLI-CT-05: the share payload does not decode (SEAL-TOK-01, SEAL-TOK-02).
    #[error("profile-key share does not decode")]
    Share,
    /// CLI-CT-06: the text is not UTF-8.
    #[error("content text is not UTF-8")]
    NotUtf8,
    /// CLI-CT-07: no text item.
    #[error("content holds no text")]
    NoText,
}

/// Encodes `text` with an optional share: `u8(CONTENT_VERSION)`, then the share item if any,
/// then the text item (protocol.md 10.1). A payload longer than `u32::MAX` bytes cannot be
/// encoded; callers keep texts within [`MAX_TEXT_LEN`], so `None` is never returned for them.
#[must_use]
pub fn encode(text: &str, share: Option<&ProfileKey>) -> Option<Vec<u8>> {
    let mut out = vec![CONTENT_VERSION];
    if let Some(key) = share {
        push_item(&mut out, CONTENT_TYPE_PROFILE_KEY, key.to_share().expose())?;
    }
    push_item(&mut out, CONTENT_TYPE_MESSAGE, text.as_bytes())?;
    Some(out)
}

fn push_item(out: &mut Vec<u8>, kind: u8, payload: &[u8]) -> Option<()> {
    out.push(kind);
    out.extend_from_slice(&u32::try_from(payload.len()).ok()?.to_be_bytes());
    out.extend_from_slice(payload);
    Some(())
}

/// Decodes content strictly, with the checks of protocol.md 10.1 in their order
/// (CLI-CT-01..CLI-CT-07): the first failing one decides the error.
pub fn decode(bytes: &[u8]) -> Result<Content, ContentError> {
    let version = bytes.first().copied().unwrap_or(0);
    if version != CONTENT_VERSION {
        return Err(ContentError::UnknownVersion(version));
    }
    let mut rest = &bytes[1..];
    let mut share = None;
    let mut text = None;
    while let Some((&kind, after)) = rest.split_first() {
        let len_bytes: [u8; 4] = after
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(ContentError::Truncated)?;
        let len =
            usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| ContentError::Truncated)?;
        let end = len.checked_add(4).ok_or(ContentError::Truncated)?;
        let payload = after.get(4..end).ok_or(ContentError::Truncated)?;
        rest = &after[end..];
        match kind {
            CONTENT_TYPE_PROFILE_KEY => {
                if share.is_some() || text.is_some() {
                    return Err(ContentError::Order);
                }
                share = Some(ProfileKey::from_share(payload).map_err(|_| ContentError::Share)?);
            }
            CONTENT_TYPE_MESSAGE => {
                if text.is_some() {
                    return Err(ContentError::Order);
                }
                text =
                    Some(String::from_utf8(payload.to_vec()).map_err(|_| ContentError::NotUtf8)?);
            }
            other => return Err(ContentError::UnknownKind(other)),
        }
    }
    Ok(Content {
        share,
        text: text.ok_or(ContentError::NoText)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn round_trips_with_and_without_a_share() {
        let key = ProfileKey::generate(&mut rand::rng());
        let c = decode(&encode("hello", Some(&key)).unwrap()).unwrap();
        assert_eq!(c.text, "hello");
        assert_eq!(c.share.unwrap().expose(), key.expose());
        let c = decode(&encode("", None).unwrap()).unwrap();
        assert_eq!(c.text, "");
        assert!(c.share.is_none());
    }

    #[test]
    fn refuses_every_malformed_form_with_its_id() {
        use ContentError as E;
        let key = ProfileKey::generate(&mut rand::rng());
        let good = encode("hi", Some(&key)).unwrap();
        // CLI-CT-01: empty input and another version.
        assert_eq!(decode(&[]).err(), Some(E::UnknownVersion(0)));
        let mut v = good.clone();
        v[0] = 2;
        assert_eq!(decode(&v).err(), Some(E::UnknownVersion(2)));
        // CLI-CT-02: every truncation inside an item, and a trailing byte.
        for n in 2..good.len() {
            let expected = if n == 1 + 5 + 33 {
                E::NoText
            } else {
                E::Truncated
            };
            assert_eq!(decode(&good[..n]).err(), Some(expected), "truncated to {n}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing).err(), Some(E::Truncated));
        // CLI-CT-03: an unknown kind.
        assert_eq!(decode(&[1, 9, 0, 0, 0, 0]).err(), Some(E::UnknownKind(9)));
        // CLI-CT-04: text twice, share after text, share twice.
        assert_eq!(
            decode(&[1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]).err(),
            Some(E::Order)
        );
        let mut after = encode("hi", None).unwrap();
        push_item(
            &mut after,
            CONTENT_TYPE_PROFILE_KEY,
            key.to_share().expose(),
        )
        .unwrap();
        assert_eq!(decode(&after).err(), Some(E::Order));
        let mut twice = vec![1];
        push_item(
            &mut twice,
            CONTENT_TYPE_PROFILE_KEY,
            key.to_share().expose(),
        )
        .unwrap();
        let only_share = twice.clone();
        push_item(
            &mut twice,
            CONTENT_TYPE_PROFILE_KEY,
            key.to_share().expose(),
        )
        .unwrap();
        assert_eq!(decode(&twice).err(), Some(E::Order));
        // CLI-CT-05: a share of the wrong length.
        assert_eq!(
            decode(&[1, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]).err(),
            Some(E::Share)
        );
        // CLI-CT-06: text that is not UTF-8.
        assert_eq!(decode(&[1, 1, 0, 0, 0, 1, 0xff]).err(), Some(E::NotUtf8));
        // CLI-CT-07: no text.
        assert_eq!(decode(&only_share).err(), Some(E::NoText));
        assert_eq!(decode(&[1]).err(), Some(E::NoText));
    }
}
