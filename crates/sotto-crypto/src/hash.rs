//! SHA-512 (FIPS 180-4) over byte slices, for the derivations that need a plain hash rather
//! than a keyed one (the iterated fingerprints of safety numbers, `docs/protocol.md` 8.2).

use sha2::{Digest, Sha512};

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
}
