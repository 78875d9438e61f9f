//! Chain keys and KDF_CK.

use sotto_crypto::SecretBytes;
use sotto_crypto::kdf::HmacSha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::message_key::MessageKey;

/// KDF_CK input for the message key.
pub(crate) const MESSAGE_KEY_SEED: [u8; 1] = [0x01];
/// KDF_CK input for the next chain key.
pub(crate) const CHAIN_KEY_SEED: [u8; 1] = [0x02];

/// CKs or CKr: one step per message.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ChainKey(SecretBytes<32>);

impl ChainKey {
    pub(crate) const fn new(bytes: SecretBytes<32>) -> Self {
        Self(bytes)
    }

    pub(crate) const fn expose(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// KDF_CK: message key = HMAC-SHA256(CK, 0x01), next CK = HMAC-SHA256(CK, 0x02). The
    /// keyed HMAC state is computed once for both.
    pub(crate) fn step(&self) -> (MessageKey, ChainKey) {
        let keyed = HmacSha256::new(self.expose());
        (
            MessageKey::new(keyed.mac(&MESSAGE_KEY_SEED)),
            ChainKey(keyed.mac(&CHAIN_KEY_SEED)),
        )
    }
}
