//! HKDF-SHA256 (RFC 5869) and HMAC-SHA256 (RFC 2104).
//!
//! Every `info` string passed to [`hkdf_sha256`] is one of the named constants in
//! [`crate::labels`]. [`HmacSha256`] keeps a keyed HMAC state so that several MACs under one
//! key (the Double Ratchet's KDF_CK computes two) pay for the key schedule once.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

use crate::SecretBytes;

/// Output length of SHA-256 and HMAC-SHA256 in bytes.
pub const HASH_LEN: usize = 32;
/// SHA-256's block length: HMAC keys are padded to it.
const BLOCK_LEN: usize = 64;

/// HKDF-SHA256 with `salt` (`None` means 32 zero bytes, as RFC 5869 says), input keying
/// material `ikm` and `info`, expanded to exactly `N` bytes.
///
/// `N` is checked at compile time to be at most 255 * 32, the limit of RFC 5869, so the
/// expansion cannot fail.
pub fn hkdf_sha256<const N: usize>(salt: Option<&[u8]>, ikm: &[u8], info: &[u8]) -> SecretBytes<N> {
    const {
        assert!(
            N <= 255 * HASH_LEN,
            "HKDF-SHA256 output is limited to 8160 bytes"
        )
    };
    let mut okm = SecretBytes::<N>::zero();
    let expanded = Hkdf::<Sha256>::new(salt, ikm).expand(info, okm.expose_mut());
    debug_assert!(
        expanded.is_ok(),
        "N is statically within the RFC 5869 limit"
    );
    okm
}

/// A keyed HMAC-SHA256 state. Computing a MAC does not consume it.
#[derive(Clone)]
pub struct HmacSha256(Hmac<Sha256>);

impl HmacSha256 {
    /// Keys HMAC-SHA256 with `key` (any length is valid for HMAC).
    ///
    /// RFC 2104 zero-pads a key to the 64-byte block and first hashes a longer one; this does
    /// exactly that and hands the block to the infallible constructor, so there is no error
    /// path at all.
    pub fn new(key: &[u8]) -> Self {
        let mut block = [0u8; BLOCK_LEN];
        if key.len() > BLOCK_LEN {
            block[..HASH_LEN].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let mac = Hmac::<Sha256>::new(&block.into());
        block.zeroize();
        Self(mac)
    }

    /// HMAC-SHA256(key, `data`).
    pub fn mac(&self, data: &[u8]) -> SecretBytes<HASH_LEN> {
        let mut mac = self.0.clone();
        mac.update(data);
        let tag = mac.finalize().into_bytes();
        let mut out = SecretBytes::<HASH_LEN>::zero();
        out.expose_mut().copy_from_slice(&tag);
        out
    }
}

impl core::fmt::Debug for HmacSha256 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HmacSha256(..)")
    }
}

/// HMAC-SHA256(`key`, `data`) in one call.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> SecretBytes<HASH_LEN> {
    HmacSha256::new(key).mac(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5869_test_case_1() {
        let ikm = [0x0bu8; 22];
        let salt = hex::decode("000102030405060708090a0b0c").unwrap();
        let info = hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap();
        let okm = hkdf_sha256::<42>(Some(&salt), &ikm, &info);
        assert_eq!(
            hex::encode(okm.expose()),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }

    #[test]
    fn rfc5869_test_case_3_no_salt() {
        let okm = hkdf_sha256::<42>(None, &[0x0bu8; 22], b"");
        assert_eq!(
            hex::encode(okm.expose()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
        );
    }

    #[test]
    fn rfc4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.expose()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The keyed state can be reused.
        let keyed = HmacSha256::new(b"Jefe");
        assert_eq!(keyed.mac(b"what do ya want for nothing?"), mac);
        assert_eq!(keyed.mac(b"what do ya want for nothing?"), mac);
        assert_eq!(format!("{keyed:?}"), "HmacSha256(..)");
    }

    #[test]
    fn rfc4231_test_case_6_key_longer_than_a_block() {
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex::encode(mac.expose()),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        // The padding agrees with the hmac crate's own key handling at every boundary.
        for len in [0usize, 1, 31, 32, 63, 64, 65, 128, 200] {
            let key: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut reference = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
            reference.update(b"data");
            assert_eq!(
                hmac_sha256(&key, b"data").expose()[..],
                reference.finalize().into_bytes()[..],
                "key of {len} bytes"
            );
        }
    }
}
