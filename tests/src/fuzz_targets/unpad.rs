//! Target `unpad`: the strict unpadding of a sealed envelope's inner plaintext (protocol.md
//! 9.1), which a recipient runs on every plaintext it decrypts.

use sotto_sealed::padding::{
    self, MAX_PADDED_LEN, MAX_UNPADDED_LEN, PaddingError, is_bucket_len, pad,
};

/// Unpads `data`. An accepted input must re-pad to exactly `data` (padding is canonical: one
/// padded form per plaintext), and a refusal must be the one the first failing check of
/// section 9.1 gives. Independently, `data` taken as a plaintext (when short enough) must pad
/// to a bucket length and unpad back to itself. Returns whether `data` was accepted.
pub fn unpad(data: &[u8]) -> bool {
    if data.len() <= MAX_UNPADDED_LEN {
        let padded = pad(data).expect("pad refused a plaintext within the limit");
        assert!(is_bucket_len(padded.len()), "padded length is not a bucket");
        assert_eq!(unpad_checked(&padded), Ok(data), "pad then unpad differs");
    }
    match unpad_checked(data) {
        Ok(plaintext) => {
            assert_eq!(
                pad(plaintext).expect("pad refused what unpad returned"),
                data,
                "re-padding differs from the input"
            );
            true
        }
        Err(_) => false,
    }
}

/// `unpad`, with its refusal checked against the order of section 9.1.
fn unpad_checked(data: &[u8]) -> Result<&[u8], PaddingError> {
    let result = padding::unpad(data);
    if let Err(e) = result {
        let expected = if data.len() > MAX_PADDED_LEN {
            "TooLong"
        } else if !is_bucket_len(data.len()) {
            "NotABucket"
        } else if data.iter().rev().find(|&&b| b != 0) != Some(&0x80) {
            "NoBoundary"
        } else {
            "NotCanonical"
        };
        let got = match e {
            PaddingError::TooLong { .. } => "TooLong",
            PaddingError::NotABucket { .. } => "NotABucket",
            PaddingError::NoBoundary => "NoBoundary",
            PaddingError::NotCanonical { .. } => "NotCanonical",
            _ => "unknown",
        };
        assert_eq!(got, expected, "refusal out of the documented order");
    }
    result
}
