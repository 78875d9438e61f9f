//! Intermediate values of a handshake, recorded for test vectors.

use sotto_crypto::x25519::{self, SharedSecret};
use sotto_crypto::{SecretBytes, kem};

/// Every intermediate secret of one side of a handshake. Holds secrets in the clear: for
/// vectors and tests only.
#[derive(Clone, Default)]
#[cfg_attr(not(feature = "hazmat-trace"), allow(dead_code, unreachable_pub))]
pub struct HandshakeTrace {
    /// The initiator's ephemeral public key (initiator side only).
    pub ephemeral_key: Option<x25519::PublicKey>,
    /// DH1, DH2, DH3 and (if used) DH4.
    pub dh_outputs: Vec<[u8; 32]>,
    /// The ML-KEM shared secret (PQXDH).
    pub kem_shared_secret: Option<[u8; 32]>,
    /// The HKDF input keying material: 0xFF x 32 || DHs [|| SS].
    pub ikm: Vec<u8>,
    /// SK.
    pub session_secret: [u8; 32],
    /// AD.
    pub associated_data: Vec<u8>,
}

impl HandshakeTrace {
    pub(crate) fn record(
        &mut self,
        dhs: &[SharedSecret],
        kem_secret: Option<&kem::SharedSecret>,
        sk: &SecretBytes<32>,
        ad: &[u8],
    ) {
        self.dh_outputs = dhs.iter().map(|d| *d.expose()).collect();
        self.kem_shared_secret = kem_secret.map(|s| *s.expose());
        self.ikm = [0xffu8; 32].to_vec();
        for dh in &self.dh_outputs {
            self.ikm.extend_from_slice(dh);
        }
        if let Some(ss) = &self.kem_shared_secret {
            self.ikm.extend_from_slice(ss);
        }
        self.session_secret = *sk.expose();
        self.associated_data = ad.to_vec();
    }
}
