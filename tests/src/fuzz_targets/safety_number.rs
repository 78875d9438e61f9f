//! Target `safety_number`: the decoder of a safety number's byte form (QR code,
//! `docs/protocol.md` 8.2) and the comparison behind it.

use sotto_crypto::wire;
use sotto_devices::safety::{
    BYTE_FORM_LEN, Comparison, DecodeError, Fingerprint, SafetyNumber, ScannedSafetyNumber, VERSION,
};

/// Decodes `data` as a byte form. An accepted input re-encodes to exactly itself and compares
/// as `Match` against the computation it mirrors; a refusal is the one the first failing check
/// of 8.2 names. Returns whether `data` was accepted.
pub fn safety_number(data: &[u8]) -> bool {
    let decoded = ScannedSafetyNumber::from_bytes(data);
    let expected = if data.first().copied().unwrap_or(0) != wire::SAFETY_NUMBER {
        Some("WrongTag")
    } else if data.len() < BYTE_FORM_LEN {
        Some("Truncated")
    } else if data[1] != VERSION {
        Some("UnknownVersion")
    } else if data.len() > BYTE_FORM_LEN {
        Some("TrailingBytes")
    } else {
        None
    };
    match decoded {
        Ok(scanned) => {
            assert_eq!(expected, None, "accepted an input 8.2 refuses");
            assert_eq!(
                scanned.to_bytes().as_slice(),
                data,
                "does not re-encode to its input"
            );
            // The device whose local side is the shower's peer and whose remote side is the
            // shower's own fingerprint sees a match; any other pairing does not.
            let mirror =
                SafetyNumber::from_fingerprints(scanned.peer().clone(), scanned.own().clone());
            assert_eq!(mirror.compare(&scanned), Comparison::Match);
            let mut flipped = *scanned.own().as_bytes();
            flipped[0] ^= 1;
            let other = SafetyNumber::from_fingerprints(
                scanned.peer().clone(),
                Fingerprint::from_bytes(flipped),
            );
            assert_eq!(other.compare(&scanned), Comparison::RemoteSideDiffers);
            assert_eq!(mirror.digits().len(), 60);
            true
        }
        Err(error) => {
            let name = match error {
                DecodeError::WrongTag(_) => "WrongTag",
                DecodeError::Truncated(_) => "Truncated",
                DecodeError::UnknownVersion(_) => "UnknownVersion",
                DecodeError::TrailingBytes(_) => "TrailingBytes",
                _ => "unknown",
            };
            assert_eq!(Some(name), expected, "refused with the wrong error");
            false
        }
    }
}
