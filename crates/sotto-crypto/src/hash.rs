//! SHA-512 and SHA-256 (FIPS 180-4) over byte slices, for the derivations that need a plain
//! hash rather than a keyed one (the iterated fingerprints of safety numbers,
//! `docs/protocol.md` 8.2; the delivery-token verifier a relay stores, 9.5).

use sha2::{Digest, Sha256, Sha512};

/// Length of a SHA-512 digest in bytes.
pub const SHA512_LEN: usize = 64;

/// SHA-512 of `data`.
#[must_use]
pub fn sha512(data: &[u8]) -> [u8; SHA512_LEN] {
    sha512_concat(&[data])
}

/// SHA-512 of the concatenation of `parts` (`parts[0] || parts[1] || ...`), without building
/// the concatenation.
#[must_use]
pub fn sha512_concat(parts: &[&[u8]]) -> [u8; SHA512_LEN] {
    let mut hash = Sha512::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

/// Length of a SHA-256 digest in bytes.
pub const SHA256_LEN: usize = 32;

/// SHA-256 of the concatenation of `parts` (`parts[0] || parts[1] || ...`), without building
/// the concatenation.
#[must_use]
pub fn sha256_concat(parts: &[&[u8]]) -> [u8; SHA256_LEN] {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    hash.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // FIPS 180-2 appendix C.1 (and the NIST example values): SHA-512("abc").
    const ABC: &str = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                       2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    // SHA-512 of the empty string.
    const EMPTY: &str = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
                         47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
    // FIPS 180-2 appendix C.2: the 896-bit (two-block) message.
    const TWO_BLOCK: &str = "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
                             501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909";

    #[test]
    fn fips_180_vectors() {
        assert_eq!(hex::encode(sha512(b"abc")), ABC);
        assert_eq!(hex::encode(sha512(b"")), EMPTY);
        let two_block: &[u8] = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        assert_eq!(hex::encode(sha512(two_block)), TWO_BLOCK);
    }

    #[test]
    fn concatenation_is_the_hash_of_the_joined_bytes() {
        assert_eq!(hex::encode(sha512_concat(&[b"a", b"", b"bc"])), ABC);
        assert_eq!(sha512_concat(&[]), sha512(b""));
    }

    // FIPS 180-2 appendix B.1 and B.2: SHA-256("abc") and the 448-bit message; SHA-256("").
    #[test]
    fn sha256_fips_180_vectors() {
        assert_eq!(
            hex::encode(sha256_concat(&[b"abc"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(sha256_concat(&[
                b"abcdbcdecdefdefgefghfghighij",
                b"hijkijkljklmklmnlmnomnopnopq"
            ])),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(
            hex::encode(sha256_concat(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
