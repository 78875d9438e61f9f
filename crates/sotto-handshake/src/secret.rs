//! The key derivation shared by both sides: SK and AD.

use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::labels::{HANDSHAKE_PQXDH, HANDSHAKE_X3DH};
use sotto_crypto::x25519::SharedSecret;
use sotto_crypto::{SecretBytes, kem};
use zeroize::Zeroizing;

use crate::identity::DeviceIdentityKey;

/// `F`: 32 bytes of 0xFF before the DH outputs, as X3DH section 2.2 and PQXDH specify for
/// curve25519 (domain separation from XEdDSA).
pub(crate) const DISCONTINUITY: [u8; 32] = [0xff; 32];

/// SK = HKDF(salt = 32 zero bytes, ikm = F || DH1 || DH2 || DH3 [|| DH4] [|| SS], info).
pub(crate) fn session_secret(
    dhs: &[SharedSecret],
    kem_secret: Option<&kem::SharedSecret>,
) -> SecretBytes<32> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 * (dhs.len() + 2)));
    ikm.extend_from_slice(&DISCONTINUITY);
    for dh in dhs {
        ikm.extend_from_slice(dh.expose());
    }
    let info = match kem_secret {
        Some(ss) => {
            ikm.extend_from_slice(ss.expose());
            HANDSHAKE_PQXDH
        }
        None => HANDSHAKE_X3DH,
    };
    hkdf_sha256::<32>(Some(&[0u8; 32]), &ikm, info)
}

/// AD = initiator identity[64] || responder identity[64].
pub(crate) fn associated_data(
    initiator: &DeviceIdentityKey,
    responder: &DeviceIdentityKey,
) -> [u8; 128] {
    let mut ad = [0u8; 128];
    ad[..64].copy_from_slice(&initiator.to_bytes());
    ad[64..].copy_from_slice(&responder.to_bytes());
    ad
}
