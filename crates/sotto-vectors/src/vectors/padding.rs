//! `docs/vectors/padding.json`: the padding of protocol.md 9.1 for chosen plaintext lengths,
//! and the inputs unpadding must refuse (SEAL-PAD-01..SEAL-PAD-04, in the order of the
//! checks), each checked against this implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto_sealed::padding::{MAX_PADDED_LEN, SMALL_BUCKETS, pad, unpad};

use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};

/// The plaintext lengths of the positive cases.
pub const LENGTHS: [usize; 11] = [0, 1, 30, 31, 32, 129, 255, 256, 257, 1000, 65_536];

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaddingVectors {
    /// Free text.
    pub description: String,
    /// `MAX_PADDED_LEN`.
    pub max_padded_len: usize,
    /// The fixed buckets below Padmé.
    pub small_buckets: Vec<usize>,
    /// How the plaintexts are made.
    pub plaintext_pattern: String,
    /// Plaintexts and their paddings.
    pub cases: Vec<PaddingVector>,
    /// Inputs that unpadding refuses.
    pub negative: Vec<PaddingNegative>,
}

/// One plaintext and its padding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaddingVector {
    /// What the case is.
    pub name: String,
    /// The plaintext's length; its bytes are [`pattern`]`(plaintext_len)`.
    pub plaintext_len: usize,
    /// The bucket length.
    pub padded_len: usize,
    /// The padded bytes (hex).
    pub padded: String,
}

/// An input unpadding refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaddingNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// The bytes (hex).
    pub input: String,
    /// When non-zero, `input` is followed by zero bytes up to `pad_to` bytes in all.
    pub pad_to: usize,
    /// `PaddingError::Variant`.
    pub expected_error: String,
}

impl PaddingNegative {
    /// The input with its zero bytes.
    pub fn input_bytes(&self) -> Result<Vec<u8>, hex::FromHexError> {
        let mut input = hex::decode(&self.input)?;
        if self.pad_to > input.len() {
            input.resize(self.pad_to, 0);
        }
        Ok(input)
    }
}

/// The plaintext of `len` bytes: byte `i` is `i mod 251`.
#[must_use]
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).unwrap_or(0))
        .collect()
}

/// Unpads `input`: the refusal's name, or what happened instead.
pub fn run_negative(input: &[u8]) -> Result<String, String> {
    refusal(unpad(input), "PaddingError", "unpadded")
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<PaddingVectors, VectorError> {
    let mut cases = Vec::new();
    for len in LENGTHS {
        let plaintext = pattern(len);
        let padded = pad(&plaintext).map_err(|e| script_error(len, e))?;
        if unpad(&padded) != Ok(plaintext.as_slice()) {
            return Err(script_error(len, "does not round-trip"));
        }
        let name = match len {
            0 => "empty plaintext: the boundary byte and 31 zeros".to_string(),
            1 => "1 byte, ending in 0x00".to_string(),
            31 => "31 bytes: the boundary byte is the bucket's last byte".to_string(),
            32 => "32 bytes: one more than fits in 32, so 64".to_string(),
            129 => "129 bytes, ending in 0x80".to_string(),
            255 => "255 bytes: the largest plaintext of the fixed buckets".to_string(),
            256 => "256 bytes: the first Padmé bucket above 256, 272".to_string(),
            _ => format!("{len} bytes"),
        };
        cases.push(PaddingVector {
            name,
            plaintext_len: len,
            padded_len: padded.len(),
            padded: h(&padded),
        });
    }

    let mut negative: Vec<PaddingNegative> = Vec::new();
    let mut push =
        |validation_id: &str, comment: &str, input: Vec<u8>, pad_to: usize, expected: &str| {
            let mut full = input.clone();
            if pad_to > full.len() {
                full.resize(pad_to, 0);
            }
            match run_negative(&full) {
                Ok(got) if got == expected => {}
                other => {
                    return Err(script_error(
                        negative.len() + 1,
                        format!("{validation_id} {comment}: expected {expected}, got {other:?}"),
                    ));
                }
            }
            negative.push(PaddingNegative {
                id: negative.len() + 1,
                validation_id: validation_id.into(),
                comment: comment.into(),
                input: h(&input),
                pad_to,
                expected_error: expected.into(),
            });
            Ok(())
        };
    const TOO_LONG: &str = "PaddingError::TooLong";
    const NOT_A_BUCKET: &str = "PaddingError::NotABucket";
    const NO_BOUNDARY: &str = "PaddingError::NoBoundary";
    const NOT_CANONICAL: &str = "PaddingError::NotCanonical";
    let hello = pad(b"hello").map_err(|e| script_error(0, e))?;
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = hello.clone();
        f(&mut b);
        b
    };
    // Check 1.
    push(
        "SEAL-PAD-01",
        "over-long: the bucket after 2^24 (2^24 + 2^19 bytes), an empty plaintext's boundary \
         byte and zeros",
        vec![0x80],
        (1 << 24) + (1 << 19),
        TOO_LONG,
    )?;
    push(
        "SEAL-PAD-01",
        "over-long: 2^25 zero bytes (a Padmé length, with no boundary): the length decides \
         first",
        Vec::new(),
        1 << 25,
        TOO_LONG,
    )?;
    push(
        "SEAL-PAD-01",
        "over-long: 2^24 + 1 bytes, not a bucket either",
        vec![0x80],
        (1 << 24) + 1,
        TOO_LONG,
    )?;
    // Check 2.
    push("SEAL-PAD-02", "empty input", Vec::new(), 0, NOT_A_BUCKET)?;
    push(
        "SEAL-PAD-02",
        "a lone boundary byte (1 byte)",
        vec![0x80],
        0,
        NOT_A_BUCKET,
    )?;
    push(
        "SEAL-PAD-02",
        "\"hello\" padded, with one zero byte appended (33 bytes)",
        with(&|b| b.push(0)),
        0,
        NOT_A_BUCKET,
    )?;
    push(
        "SEAL-PAD-02",
        "\"hello\" padded, truncated by one byte (31 bytes)",
        with(&|b| {
            b.pop();
        }),
        0,
        NOT_A_BUCKET,
    )?;
    for (len, what) in [
        (255, "255 bytes, just below the last fixed bucket"),
        (257, "257 bytes, between 256 and 272"),
        (1000, "1000 bytes, between 992 and 1024"),
        (65_535, "65535 bytes, just below 65536"),
        (65_537, "65537 bytes, just above 65536"),
    ] {
        push(
            "SEAL-PAD-02",
            &format!("{what}: an empty plaintext's boundary byte and zeros"),
            vec![0x80],
            len,
            NOT_A_BUCKET,
        )?;
    }
    push(
        "SEAL-PAD-02",
        "33 zero bytes: not a bucket and no boundary, the length decides first",
        Vec::new(),
        33,
        NOT_A_BUCKET,
    )?;
    // Check 3.
    push(
        "SEAL-PAD-03",
        "no boundary: 32 zero bytes",
        Vec::new(),
        32,
        NO_BOUNDARY,
    )?;
    push(
        "SEAL-PAD-03",
        "no boundary: 272 zero bytes",
        Vec::new(),
        272,
        NO_BOUNDARY,
    )?;
    push(
        "SEAL-PAD-03",
        "no boundary: 32 bytes of 0x61 fill the bucket",
        vec![0x61; 32],
        0,
        NO_BOUNDARY,
    )?;
    for (byte, what) in [
        (0x01, "0x01"),
        (0x81, "0x81"),
        (0x7f, "0x7f"),
        (0xff, "0xff"),
    ] {
        push(
            "SEAL-PAD-03",
            &format!("\"hello\" padded, with its boundary byte replaced by {what}"),
            with(&|b| b[5] = byte),
            0,
            NO_BOUNDARY,
        )?;
    }
    push(
        "SEAL-PAD-03",
        "\"hello\" padded, with its last byte set to 0x01: a byte after the boundary",
        with(&|b| b[31] = 1),
        0,
        NO_BOUNDARY,
    )?;
    push(
        "SEAL-PAD-03",
        "boundary replaced by 0x81 in a 64-byte bucket that would also be non-canonical: the \
         boundary decides first",
        vec![0x81],
        64,
        NO_BOUNDARY,
    )?;
    // Check 4.
    push(
        "SEAL-PAD-04",
        "non-canonical: the empty plaintext in 64 bytes (its bucket is 32)",
        vec![0x80],
        64,
        NOT_CANONICAL,
    )?;
    push(
        "SEAL-PAD-04",
        "non-canonical: \"hello\" padded to 64 bytes (its bucket is 32)",
        with(&|b| b.resize(64, 0)),
        0,
        NOT_CANONICAL,
    )?;
    push(
        "SEAL-PAD-04",
        "non-canonical: 31 pattern bytes padded to 64 bytes (its bucket is 32)",
        {
            let mut b = pattern(31);
            b.push(0x80);
            b
        },
        64,
        NOT_CANONICAL,
    )?;
    push(
        "SEAL-PAD-04",
        "non-canonical: 255 pattern bytes padded to 272 bytes (its bucket is 256)",
        {
            let mut b = pattern(255);
            b.push(0x80);
            b
        },
        272,
        NOT_CANONICAL,
    )?;
    push(
        "SEAL-PAD-04",
        "non-canonical: 1000 pattern bytes padded to 1088 bytes, the next bucket (its own is 1024)",
        {
            let mut b = pattern(1000);
            b.push(0x80);
            b
        },
        1088,
        NOT_CANONICAL,
    )?;
    push(
        "SEAL-PAD-04",
        "non-canonical: the empty plaintext in the largest bucket, 2^24 bytes",
        vec![0x80],
        MAX_PADDED_LEN,
        NOT_CANONICAL,
    )?;
    Ok(PaddingVectors {
        description: "Sotto/1 padding of a sealed envelope's inner plaintext (docs/protocol.md \
                      9.1): plaintexts of chosen lengths and their padded bytes; then inputs \
                      unpadding refuses, with their validation IDs, in the order of the \
                      checks (the error names are this implementation's)."
            .into(),
        max_padded_len: MAX_PADDED_LEN,
        small_buckets: SMALL_BUCKETS.to_vec(),
        plaintext_pattern: "byte i of a plaintext is i mod 251".into(),
        cases,
        negative,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
