//! Pickles of the handshake's secrets: the device identity and the prekey store, in the
//! envelope every Sotto pickle shares ([`sotto_crypto::pickle`], protocol.md section 4) with
//! their own type tags, `0x16` and `0x17`. Layouts: protocol.md section 4.2.

use sotto_crypto::CryptoRng;
use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::pickle::{self as envelope, PickleKey};
use sotto_crypto::wire;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_ratchet::PickleError;
use zeroize::Zeroizing;

use crate::identity::DeviceIdentity;

/// Type tag (first byte) of a device-identity pickle.
pub const IDENTITY_PICKLE_TAG: u8 = wire::IDENTITY_PICKLE;
/// Length of the identity state: the Ed25519 seed, then the X25519 private key.
const IDENTITY_STATE_LEN: usize = 64;
/// Length of a device-identity pickle (a longer one is PKL-05).
pub const IDENTITY_PICKLE_LEN: usize = envelope::OVERHEAD + IDENTITY_STATE_LEN;

impl DeviceIdentity {
    /// Encrypts both private keys under `key`, bound to `context` (protocol.md 4.1; at most
    /// 65535 bytes, PKL-06). `rng` supplies the salt.
    pub fn pickle<R: CryptoRng + ?Sized>(
        &self,
        key: &PickleKey,
        context: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let mut state = Zeroizing::new([0u8; IDENTITY_STATE_LEN]);
        state[..32].copy_from_slice(self.signing_key().expose_seed());
        state[32..].copy_from_slice(self.agreement_key().secret_key().expose());
        Ok(envelope::seal(
            IDENTITY_PICKLE_TAG,
            key,
            context,
            &state[..],
            rng,
        )?)
    }

    /// Restores an identity pickled under `key` with the same `context`: PKL-01 (another
    /// tag), PKL-02, PKL-03 (wrong key, context or any modified byte), PKL-04 (a state that
    /// is not exactly 64 bytes), PKL-05 (longer than [`IDENTITY_PICKLE_LEN`]), PKL-06.
    pub fn from_pickle(
        key: &PickleKey,
        context: &[u8],
        pickle: &[u8],
    ) -> Result<Self, PickleError> {
        let state = envelope::open(
            IDENTITY_PICKLE_TAG,
            key,
            context,
            pickle,
            IDENTITY_PICKLE_LEN,
        )?;
        if state.len() != IDENTITY_STATE_LEN {
            return Err(PickleError::Malformed);
        }
        let mut seed = SecretBytes::<32>::zero();
        seed.expose_mut().copy_from_slice(&state[..32]);
        let mut agreement = SecretBytes::<32>::zero();
        agreement.expose_mut().copy_from_slice(&state[32..]);
        Ok(Self::from_keys(
            SigningKey::from_seed(seed),
            KeyPair::from_secret(SecretKey::from_bytes(agreement)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const KEY: PickleKey = PickleKey::new([0x3c; 32]);
    const CONTEXT: &[u8] = b"alice/1 identity generation 1";

    #[test]
    fn identity_pickle_round_trip_and_refusals() {
        let mut rng = StdRng::seed_from_u64(8);
        let identity = DeviceIdentity::generate(&mut rng);
        let pickle = identity.pickle(&KEY, CONTEXT, &mut rng).unwrap();
        assert_eq!(pickle.len(), IDENTITY_PICKLE_LEN);
        assert_eq!(pickle[0], wire::IDENTITY_PICKLE);
        let restored = DeviceIdentity::from_pickle(&KEY, CONTEXT, &pickle).unwrap();
        assert_eq!(restored.public(), identity.public());
        assert_eq!(
            restored.signing_key().expose_seed(),
            identity.signing_key().expose_seed()
        );
        assert_eq!(
            restored.agreement_key().secret_key().expose(),
            identity.agreement_key().secret_key().expose()
        );

        let refuse = |bytes: &[u8], context: &[u8]| {
            DeviceIdentity::from_pickle(&KEY, context, bytes).map(|i| i.public())
        };
        // PKL-01: another object's tag (a session pickle's), and the tag alone rewritten.
        let mut retagged = pickle.clone();
        retagged[0] = wire::SESSION_PICKLE;
        assert_eq!(
            refuse(&retagged, CONTEXT),
            Err(PickleError::UnknownVersion(wire::SESSION_PICKLE))
        );
        assert_eq!(refuse(&[], CONTEXT), Err(PickleError::UnknownVersion(0)));
        // PKL-02, PKL-05
        assert_eq!(refuse(&pickle[..32], CONTEXT), Err(PickleError::Truncated));
        let mut long = pickle.clone();
        long.push(0);
        assert_eq!(refuse(&long, CONTEXT), Err(PickleError::TooLong));
        // PKL-03: other key, other context, any flipped bit.
        assert_eq!(
            DeviceIdentity::from_pickle(&PickleKey::new([1; 32]), CONTEXT, &pickle)
                .map(|i| i.public()),
            Err(PickleError::WrongKeyOrCorrupted)
        );
        assert_eq!(
            refuse(&pickle, b"alice/1 identity generation 0"),
            Err(PickleError::WrongKeyOrCorrupted)
        );
        for i in 0..pickle.len() {
            let mut bad = pickle.clone();
            bad[i] ^= 0x01;
            assert!(refuse(&bad, CONTEXT).is_err(), "flipped byte {i} accepted");
        }
        // PKL-04: a correctly sealed state of the wrong length.
        let short = envelope::seal(IDENTITY_PICKLE_TAG, &KEY, CONTEXT, &[0; 63], &mut rng).unwrap();
        assert_eq!(refuse(&short, CONTEXT), Err(PickleError::Malformed));
        // PKL-06
        let huge = vec![0u8; 65_536];
        assert_eq!(
            identity.pickle(&KEY, &huge, &mut rng),
            Err(PickleError::ContextTooLong)
        );
    }
}
