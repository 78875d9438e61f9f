//! Length-hiding padding of a sealed envelope's inner plaintext (protocol.md 9.1).
//!
//! Instead of sending a plaintext at its exact length (which tells the relay, and anyone who
//! sees the envelope, how long every message is), the sender pads it to one of a small set of
//! *bucket lengths* before encrypting it, and the recipient removes the padding after
//! decrypting. The relay then learns only the bucket.
//!
//! ```text
//! padded = plaintext || 0x80 || 0x00 x (L(len(plaintext) + 1) - len(plaintext) - 1)
//! ```
//!
//! **Buckets.** For `n = len(plaintext) + 1` (the plaintext and its `0x80` boundary byte):
//!
//! 1. if `n <= 256` ([`SMALL_BUCKET_LIMIT`]), `L(n)` is the first of 32, 64, 128, 256 that is
//!    at least `n` ([`SMALL_BUCKETS`]);
//! 2. otherwise `L(n)` is Padmé's length (Nikitin et al., "Reducing Metadata Leakage from
//!    Encrypted Files and Communication with PURBs", PETS 2019): `E = floor(log2 n)`,
//!    `S = floor(log2 E) + 1`, `z = E - S`, and `L(n)` is `n` rounded up to a multiple of
//!    `2^z`.
//!
//! Padmé's rule alone would give the short lengths buckets only a few bytes apart (below 256
//! the rounding step is at most 8 bytes), so short messages, the most common and the most
//! revealing, share four fixed buckets instead; at `n = 256` both rules give 256. Padmé's
//! lengths are its own fixed points (`L(L(n)) = L(n)`), so the set of bucket lengths is
//! {32, 64, 128, 256} and every `m > 256` with `L(m) = m`. The bucket lengths up to 64 KiB
//! are 32, 64, 128, 256, then in steps of 16 up to 512 (272, 288, ..., 512), of 32 up to 1024,
//! 64 up to 2048, 128 up to 4096, 256 up to 8192, 512 up to 16384, 1024 up to 32768 and 2048
//! up to 65536: 132 lengths. From 65536 to 131072 the step is 2048 again (`S` grows to 5).
//!
//! **Cost.** The overhead of a plaintext of `len` bytes is `(L(len + 1) - len) / len`. Over
//! the plaintext lengths 1 to 65536 it is at most 3100% (1 byte padded to 32), at most 6.25%
//! from 256 bytes up (256 bytes padded to 272, 4096 to 4352), and 2.4619% on average
//! (test `overhead_is_as_documented`).
//!
//! **Unpadding** is strict: exactly one padded form is accepted for each plaintext, the one
//! [`pad`] produces. The checks run in this order, the first failing one deciding the error:
//!
//! 1. SEAL-PAD-01: the padded input is at most [`MAX_PADDED_LEN`] bytes
//!    ([`PaddingError::TooLong`]; [`pad`] likewise refuses a plaintext of more than
//!    [`MAX_UNPADDED_LEN`] bytes);
//! 2. SEAL-PAD-02: its length is a bucket length ([`PaddingError::NotABucket`]; the empty
//!    input is not);
//! 3. SEAL-PAD-03: its last non-zero byte exists and is `0x80` ([`PaddingError::NoBoundary`]);
//!    the plaintext is everything before that byte;
//! 4. SEAL-PAD-04: the plaintext's own bucket, `L(len(plaintext) + 1)`, is the input's length
//!    ([`PaddingError::NotCanonical`]): a plaintext padded into a larger bucket than its own
//!    is refused.
//!
//! Unpadding is not constant-time: it runs on a plaintext the envelope's AEAD has already
//! authenticated, so its timing can tell an attacker only about bytes the sender chose, and
//! the length it depends on is the bucket, which the relay sees anyway.

use sotto_ratchet::MAX_PLAINTEXT_LEN;

/// The longest padded plaintext, 2^24 bytes: the ratchet's [`MAX_PLAINTEXT_LEN`], so that a
/// padded plaintext always fits in one ratchet message. It is itself a bucket length.
pub const MAX_PADDED_LEN: usize = MAX_PLAINTEXT_LEN;

/// The longest plaintext [`pad`] accepts: [`MAX_PADDED_LEN`] - 1 (one byte for the `0x80`).
pub const MAX_UNPADDED_LEN: usize = MAX_PADDED_LEN - 1;

/// The boundary byte after the plaintext.
pub const BOUNDARY: u8 = 0x80;

/// The fixed buckets of the short lengths, increasing.
pub const SMALL_BUCKETS: [usize; 4] = [32, 64, 128, 256];

/// Up to this `n` (plaintext length + 1) the fixed buckets apply, above it Padmé.
pub const SMALL_BUCKET_LIMIT: usize = 256;

/// Padding or unpadding failed. Each variant names its validation ID (protocol.md 9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaddingError {
    /// SEAL-PAD-01: a padded input longer than [`MAX_PADDED_LEN`], or a plaintext to pad
    /// longer than [`MAX_UNPADDED_LEN`].
    #[error("{len} bytes is too long to pad or unpad")]
    TooLong {
        /// The length offered.
        len: usize,
    },
    /// SEAL-PAD-02: the padded input's length is not a bucket length.
    #[error("{len} bytes is not a padding bucket length")]
    NotABucket {
        /// The input's length.
        len: usize,
    },
    /// SEAL-PAD-03: the padded input is all zero, or its last non-zero byte is not `0x80`.
    #[error("padding has no 0x80 boundary byte after the plaintext")]
    NoBoundary,
    /// SEAL-PAD-04: the plaintext belongs in a smaller bucket than the input's length (the
    /// padding is not the canonical one).
    #[error("a plaintext of {plaintext_len} bytes pads to {bucket} bytes, not this length")]
    NotCanonical {
        /// The plaintext's length.
        plaintext_len: usize,
        /// The length its padding must have.
        bucket: usize,
    },
}

/// Padmé's length for `n >= 1`: `n` rounded up to a multiple of `2^(E - S)`, with
/// `E = floor(log2 n)` and `S = floor(log2 E) + 1` (`S = 0` for `E = 0`). `None` on overflow.
fn padme(n: usize) -> Option<usize> {
    let e = n.checked_ilog2()?;
    // floor(log2 E) + 1 is the bit length of E (0 for E = 0).
    let s = u32::BITS - e.leading_zeros();
    let z = e - s.min(e);
    let mask = (1usize << z) - 1;
    Some(n.checked_add(mask)? & !mask)
}

/// The bucket length `L(n)` for `n >= 1` bytes (a plaintext and its boundary byte), without
/// the [`MAX_PADDED_LEN`] limit. `None` for `n = 0` or on overflow.
fn bucket(n: usize) -> Option<usize> {
    if n == 0 {
        return None;
    }
    match SMALL_BUCKETS.iter().find(|&&b| n <= b) {
        Some(&b) => Some(b),
        None => padme(n),
    }
}

/// Whether `len` is a bucket length: one of [`SMALL_BUCKETS`], or above 256 and a fixed
/// point of Padmé's rule. Lengths above [`MAX_PADDED_LEN`] count (the limit is another check).
#[must_use]
pub fn is_bucket_len(len: usize) -> bool {
    len != 0 && bucket(len) == Some(len)
}

/// The length [`pad`] gives a plaintext of `plaintext_len` bytes: `L(plaintext_len + 1)`.
/// SEAL-PAD-01 if `plaintext_len` is over [`MAX_UNPADDED_LEN`].
pub fn padded_len(plaintext_len: usize) -> Result<usize, PaddingError> {
    if plaintext_len > MAX_UNPADDED_LEN {
        return Err(PaddingError::TooLong { len: plaintext_len });
    }
    // plaintext_len + 1 <= MAX_PADDED_LEN, itself a bucket, so the bucket is at most that.
    bucket(plaintext_len + 1).ok_or(PaddingError::TooLong { len: plaintext_len })
}

/// Pads `plaintext` to its bucket: `plaintext || 0x80 || 0x00...`, [`padded_len`] bytes in
/// all. Refuses a plaintext longer than [`MAX_UNPADDED_LEN`] (SEAL-PAD-01).
pub fn pad(plaintext: &[u8]) -> Result<Vec<u8>, PaddingError> {
    let len = padded_len(plaintext.len())?;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(plaintext);
    out.push(BOUNDARY);
    out.resize(len, 0);
    Ok(out)
}

/// Removes the padding of `padded`, strictly: the checks SEAL-PAD-01 to SEAL-PAD-04 in the
/// order of the module documentation. Returns the plaintext, a prefix of `padded`; never
/// allocates, never panics. Not constant-time (the input was authenticated before).
pub fn unpad(padded: &[u8]) -> Result<&[u8], PaddingError> {
    let len = padded.len();
    if len > MAX_PADDED_LEN {
        return Err(PaddingError::TooLong { len });
    }
    if !is_bucket_len(len) {
        return Err(PaddingError::NotABucket { len });
    }
    let boundary = padded
        .iter()
        .rposition(|&b| b != 0)
        .ok_or(PaddingError::NoBoundary)?;
    if padded[boundary] != BOUNDARY {
        return Err(PaddingError::NoBoundary);
    }
    let plaintext = &padded[..boundary];
    let expected = bucket(boundary + 1);
    if expected != Some(len) {
        return Err(PaddingError::NotCanonical {
            plaintext_len: boundary,
            bucket: expected.unwrap_or(usize::MAX),
        });
    }
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte `i` of the test plaintexts: `i mod 251`, so plaintexts end in 0x00 and 0x80 too.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    /// The buckets written out from the definition, by a loop instead of bit tricks.
    fn bucket_by_steps(n: usize) -> usize {
        if n <= 256 {
            return [32, 64, 128, 256].into_iter().find(|&b| n <= b).unwrap();
        }
        let e = (0..usize::BITS).rev().find(|&k| n >> k != 0).unwrap();
        let s = (0..u32::BITS).rev().find(|&k| e >> k != 0).unwrap() + 1;
        let step = 1usize << (e - s);
        n.div_ceil(step) * step
    }

    #[test]
    fn buckets_follow_the_definition() {
        for n in 1..=70_000 {
            assert_eq!(bucket(n), Some(bucket_by_steps(n)), "n = {n}");
        }
        for n in [1 << 20, (1 << 24) - 1, 1 << 24, (1 << 24) + 1, 12_345_678] {
            assert_eq!(bucket(n), Some(bucket_by_steps(n)), "n = {n}");
        }
        assert_eq!(bucket(0), None);
        assert_eq!(bucket(usize::MAX), None);
        assert_eq!(bucket((1 << 24) + 1), Some((1 << 24) + (1 << 19)));
    }

    #[test]
    fn the_bucket_list_up_to_64_kib_is_as_documented() {
        let buckets: Vec<usize> = (1..=65_536).filter(|&l| is_bucket_len(l)).collect();
        assert_eq!(buckets.len(), 132);
        assert_eq!(&buckets[..4], &[32, 64, 128, 256]);
        let mut expected = vec![32, 64, 128, 256];
        let mut len = 256;
        for (step, end) in [
            (16, 512),
            (32, 1024),
            (64, 2048),
            (128, 4096),
            (256, 8192),
            (512, 16_384),
            (1024, 32_768),
            (2048, 65_536),
        ] {
            while len < end {
                len += step;
                expected.push(len);
            }
        }
        assert_eq!(buckets, expected);
        assert_eq!(padded_len(65_536), Ok(65_536 + 2048));
        assert_eq!(padded_len(65_536 + 2047), Ok(65_536 + 2048));
        assert_eq!(padded_len(65_536 + 2048), Ok(65_536 + 4096));
        assert!(is_bucket_len(MAX_PADDED_LEN));
        assert_eq!(MAX_PADDED_LEN, 1 << 24);
    }

    #[test]
    fn overhead_is_as_documented() {
        let overheads: Vec<f64> = (1..=65_536usize)
            .map(|len| (padded_len(len).unwrap() - len) as f64 / len as f64)
            .collect();
        let worst = overheads.iter().copied().fold(0.0, f64::max);
        let worst_from_256 = overheads[255..].iter().copied().fold(0.0, f64::max);
        let mean = overheads.iter().sum::<f64>() / overheads.len() as f64;
        assert_eq!(format!("{:.0}%", worst * 100.0), "3100%");
        assert_eq!(format!("{:.2}%", worst_from_256 * 100.0), "6.25%");
        assert_eq!(format!("{:.4}%", mean * 100.0), "2.4619%");
        assert_eq!(padded_len(256), Ok(272));
        assert_eq!(padded_len(4096), Ok(4352));
    }

    #[test]
    fn round_trip_of_every_length_to_5000_and_large_ones() {
        let large = [
            8191,
            65_535,
            65_536,
            100_000,
            1 << 20,
            (1 << 24) - (1 << 19),
            (1 << 24) - (1 << 19) + 1,
            MAX_UNPADDED_LEN,
        ];
        for len in (0..=5000).chain(large) {
            let plaintext = pattern(len);
            let padded = pad(&plaintext).unwrap();
            assert_eq!(padded.len(), padded_len(len).unwrap());
            assert_eq!(padded.len(), bucket_by_steps(len + 1));
            assert!(is_bucket_len(padded.len()));
            assert_eq!(&padded[..len], plaintext.as_slice());
            assert_eq!(padded[len], 0x80);
            assert!(padded[len + 1..].iter().all(|&b| b == 0));
            assert_eq!(unpad(&padded), Ok(plaintext.as_slice()), "len {len}");
        }
        // Plaintexts that end in what padding looks like.
        for plaintext in [vec![0x80], vec![0u8; 31], vec![0x80, 0], vec![0x80; 300]] {
            assert_eq!(unpad(&pad(&plaintext).unwrap()), Ok(plaintext.as_slice()));
        }
    }

    #[test]
    fn too_long_is_refused_seal_pad_01() {
        let too_long = MAX_UNPADDED_LEN + 1;
        assert_eq!(
            pad(&vec![0u8; too_long]),
            Err(PaddingError::TooLong { len: too_long })
        );
        assert_eq!(
            padded_len(usize::MAX),
            Err(PaddingError::TooLong { len: usize::MAX })
        );
        // The next bucket after 2^24, well-formed apart from its length.
        let mut next = vec![0u8; (1 << 24) + (1 << 19)];
        next[0] = 0x80;
        assert_eq!(unpad(&next), Err(PaddingError::TooLong { len: next.len() }));
        // Checked first: not a bucket either.
        let odd = vec![0u8; MAX_PADDED_LEN + 1];
        assert_eq!(
            unpad(&odd),
            Err(PaddingError::TooLong {
                len: MAX_PADDED_LEN + 1
            })
        );
        // 2^24 itself is accepted.
        let mut max = vec![7u8; MAX_PADDED_LEN];
        max[MAX_UNPADDED_LEN] = 0x80;
        assert_eq!(unpad(&max).map(<[u8]>::len), Ok(MAX_UNPADDED_LEN));
    }

    #[test]
    fn lengths_between_buckets_are_refused_seal_pad_02() {
        for len in [
            0, 1, 31, 33, 63, 65, 255, 257, 271, 273, 1000, 65_535, 65_537,
        ] {
            let mut padded = vec![0u8; len];
            if let Some(first) = padded.first_mut() {
                *first = 0x80;
            }
            assert_eq!(unpad(&padded), Err(PaddingError::NotABucket { len }));
        }
        // A valid padding with one byte appended or removed.
        let padded = pad(b"hello").unwrap();
        let mut longer = padded.clone();
        longer.push(0);
        assert_eq!(unpad(&longer), Err(PaddingError::NotABucket { len: 33 }));
        assert_eq!(
            unpad(&padded[..31]),
            Err(PaddingError::NotABucket { len: 31 })
        );
    }

    #[test]
    fn a_missing_boundary_is_refused_seal_pad_03() {
        assert_eq!(unpad(&[0u8; 32]), Err(PaddingError::NoBoundary));
        assert_eq!(unpad(&[0u8; 272]), Err(PaddingError::NoBoundary));
        for last in [0x01, 0x7f, 0x81, 0xc0, 0xff, 0x40] {
            let mut padded = pad(b"hello").unwrap();
            padded[5] = last;
            assert_eq!(unpad(&padded), Err(PaddingError::NoBoundary), "{last:#x}");
        }
        // A byte after the boundary: the last non-zero byte is then not 0x80.
        let mut padded = pad(b"hello").unwrap();
        padded[31] = 1;
        assert_eq!(unpad(&padded), Err(PaddingError::NoBoundary));
        // A plaintext that fills its bucket, with no room for the boundary.
        assert_eq!(unpad(&[0x61; 32]), Err(PaddingError::NoBoundary));
    }

    #[test]
    fn padding_into_a_larger_bucket_is_refused_seal_pad_04() {
        // Every valid padding, moved into each of the next buckets, is refused.
        for len in (0..=600).chain([4095, 65_536]) {
            let padded = pad(&pattern(len)).unwrap();
            let own = padded.len();
            let mut larger = padded.clone();
            for _ in 0..3 {
                let next = (larger.len() + 1..).find(|&l| is_bucket_len(l)).unwrap();
                larger.resize(next, 0);
                assert_eq!(
                    unpad(&larger),
                    Err(PaddingError::NotCanonical {
                        plaintext_len: len,
                        bucket: own
                    }),
                    "len {len} in {next}"
                );
            }
        }
        // The empty plaintext in the largest bucket.
        let mut max = vec![0u8; MAX_PADDED_LEN];
        max[0] = 0x80;
        assert_eq!(
            unpad(&max),
            Err(PaddingError::NotCanonical {
                plaintext_len: 0,
                bucket: 32
            })
        );
    }

    #[test]
    fn the_checks_run_in_the_documented_order() {
        // Too long and no boundary: SEAL-PAD-01.
        let too_long = vec![0u8; 1 << 25];
        assert_eq!(
            unpad(&too_long),
            Err(PaddingError::TooLong { len: 1 << 25 })
        );
        // Not a bucket and no boundary: SEAL-PAD-02.
        assert_eq!(unpad(&[0u8; 33]), Err(PaddingError::NotABucket { len: 33 }));
        // No boundary in a bucket that would also be non-canonical: SEAL-PAD-03.
        let mut padded = vec![0u8; 64];
        padded[0] = 0x81;
        assert_eq!(unpad(&padded), Err(PaddingError::NoBoundary));
    }

    #[test]
    fn the_longest_plaintext_fills_the_largest_bucket() {
        assert_eq!(padded_len(MAX_UNPADDED_LEN), Ok(MAX_PADDED_LEN));
    }
}
