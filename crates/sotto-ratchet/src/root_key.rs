//! The root key and KDF_RK.

use sotto_crypto::SecretBytes;
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::labels::{RATCHET_ROOT, RATCHET_ROOT_HE};
use sotto_crypto::x25519::SharedSecret;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::chain_key::ChainKey;
use crate::header_key::HeaderKey;

/// RK: advanced by every DH ratchet step.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKey(SecretBytes<32>);

impl RootKey {
    pub(crate) const fn new(bytes: SecretBytes<32>) -> Self {
        Self(bytes)
    }

    pub(crate) const fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// KDF_RK: HKDF-SHA256(salt = RK, ikm = DH output, info = RATCHET_ROOT) to 64 bytes;
    /// new RK = bytes 0..32, chain key = bytes 32..64.
    pub(crate) fn advance(&self, dh: &SharedSecret) -> (RootKey, ChainKey) {
        let okm = hkdf_sha256::<64>(Some(self.expose()), dh.expose(), RATCHET_ROOT);
        let (rk, ck) = split64(okm.expose());
        (RootKey(rk), ChainKey::new(ck))
    }

    /// KDF_RK_HE: HKDF-SHA256(salt = RK, ikm = DH output, info = RATCHET_ROOT_HE) to 96
    /// bytes; new RK = 0..32, chain key = 32..64, next header key = 64..96.
    pub(crate) fn advance_he(&self, dh: &SharedSecret) -> (RootKey, ChainKey, HeaderKey) {
        let okm = hkdf_sha256::<96>(Some(self.expose()), dh.expose(), RATCHET_ROOT_HE);
        let (rk, rest) = okm.expose().split_at(32);
        let (ck, nhk) = rest.split_at(32);
        (
            RootKey(secret32(rk)),
            ChainKey::new(secret32(ck)),
            HeaderKey::new(secret32(nhk)),
        )
    }
}

pub(crate) fn secret32(bytes: &[u8]) -> SecretBytes<32> {
    let mut out = SecretBytes::<32>::zero();
    out.expose_mut().copy_from_slice(&bytes[..32]);
    out
}

fn split64(bytes: &[u8; 64]) -> (SecretBytes<32>, SecretBytes<32>) {
    (secret32(&bytes[..32]), secret32(&bytes[32..]))
}
