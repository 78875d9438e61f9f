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

/// The content format version.
pub(crate) const CONTENT_VERSION: u8 = 0x01;

/// Decoded content.
pub(crate) struct Content {
    /// The sender account's profile key, if shared.
    pub(crate) share: Option<ProfileKey>,
    /// The text.
    pub(crate) text: String,
}

/// The content could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentError;

/// Encodes `text` with an optional share.
pub(crate) fn encode(text: &str, share: Option<&ProfileKey>) -> Vec<u8> {
    let mut out = vec![CONTENT_VERSION];
    if let Some(key) = share {
        push_item(&mut out, CONTENT_TYPE_PROFILE_KEY, key.to_share().expose());
    }
    push_item(&mut out, CONTENT_TYPE_MESSAGE, text.as_bytes());
    out
}

fn push_item(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    out.push(kind);
    // Texts are bounded by the envelope's padding limit (16 MiB), far below u32::MAX.
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
}

/// Decodes content strictly.
pub(crate) fn decode(bytes: &[u8]) -> Result<Content, ContentError> {
    let (&version, mut rest) = bytes.split_first().ok_or(ContentError)?;
    if version != CONTENT_VERSION {
        return Err(ContentError);
    }
    let mut share = None;
    let mut text = None;
    while !rest.is_empty() {
        let (&kind, after) = rest.split_first().ok_or(ContentError)?;
        let len_bytes: [u8; 4] = after
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(ContentError)?;
        let len = usize::try_from(u32::from_be_bytes(len_bytes)).map_err(|_| ContentError)?;
        let payload = after.get(4..4 + len).ok_or(ContentError)?;
        rest = &after[4 + len..];
        match kind {
            CONTENT_TYPE_PROFILE_KEY if share.is_none() && text.is_none() => {
                share = Some(ProfileKey::from_share(payload).map_err(|_| ContentError)?);
            }
            CONTENT_TYPE_MESSAGE if text.is_none() => {
                text = Some(String::from_utf8(payload.to_vec()).map_err(|_| ContentError)?);
            }
            _ => return Err(ContentError),
        }
    }
    Ok(Content {
        share,
        text: text.ok_or(ContentError)?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn round_trips_with_and_without_a_share() {
        let key = ProfileKey::generate(&mut rand::rng());
        let c = decode(&encode("hello", Some(&key))).unwrap();
        assert_eq!(c.text, "hello");
        assert_eq!(c.share.unwrap().expose(), key.expose());
        let c = decode(&encode("", None)).unwrap();
        assert_eq!(c.text, "");
        assert!(c.share.is_none());
    }

    #[test]
    fn refuses_every_malformed_form() {
        let key = ProfileKey::generate(&mut rand::rng());
        let good = encode("hi", Some(&key));
        // Every truncation and a trailing byte.
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "truncated to {n}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        // Wrong version, unknown kind, text twice, share after text, no text, bad UTF-8.
        let mut v = good.clone();
        v[0] = 2;
        assert!(decode(&v).is_err());
        assert!(decode(&[1, 9, 0, 0, 0, 0]).is_err());
        assert!(decode(&[1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]).is_err());
        let mut after = encode("hi", None);
        push_item(
            &mut after,
            CONTENT_TYPE_PROFILE_KEY,
            key.to_share().expose(),
        );
        assert!(decode(&after).is_err());
        let mut only_share = vec![1];
        push_item(
            &mut only_share,
            CONTENT_TYPE_PROFILE_KEY,
            key.to_share().expose(),
        );
        assert!(decode(&only_share).is_err());
        assert!(decode(&[1, 1, 0, 0, 0, 1, 0xff]).is_err());
        // A share of the wrong length.
        assert!(decode(&[1, 2, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0]).is_err());
    }
}
