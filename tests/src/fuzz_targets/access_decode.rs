//! Target `access_decode`: the decoders of the delivery tokens (protocol.md 9.5): a
//! profile-key share, which a client decodes from an envelope it opened, and the access key and
//! verifier a relay decodes from a sender's request and from its database.

use sotto_crypto::SecretBytes;
use sotto_sealed::access::{
    ACCESS_KEY_LEN, AccessError, AccessKey, AccessVerifier, ProfileKey, SHARE_LEN, SHARE_VERSION,
    VERIFIER_LEN,
};

/// The fixture's account: the profile key whose byte `i` is `i`.
fn fixture_key() -> ProfileKey {
    let mut bytes = [0u8; 32];
    for (i, b) in (0u8..).zip(bytes.iter_mut()) {
        *b = i;
    }
    ProfileKey::from_bytes(SecretBytes::new(bytes))
}

/// Decodes `data` as a share, an access key and a verifier. A refusal must be the first
/// failing check of section 9.5; an accepted share re-encodes to `data` and its key's token
/// passes its own verifier; an accepted access key passes the fixture's verifier exactly when
/// it is the fixture's token, and the check leaves the verifier unchanged; an accepted verifier
/// re-encodes to `data` and accepts the fixture's token exactly when it is the fixture's
/// verifier. Returns whether any decoder accepted `data`.
pub fn access_decode(data: &[u8]) -> bool {
    let fixture = fixture_key();
    let fixture_verifier = fixture.verifier();
    let fixture_token = fixture.access_key().to_bytes();

    let share = ProfileKey::from_share(data);
    match &share {
        Ok(key) => {
            assert_eq!(key.to_share().expose().as_slice(), data, "share re-encodes");
            assert_eq!(key.verifier().check(&key.access_key()), Ok(()));
        }
        Err(e) => {
            let expected = match data.first() {
                Some(&SHARE_VERSION) => AccessError::ShareLength { len: data.len() },
                Some(&v) => AccessError::ShareVersion(v),
                None => AccessError::ShareVersion(0),
            };
            assert_eq!(*e, expected, "share refusal out of the documented order");
            assert!(data.len() != SHARE_LEN || data[0] != SHARE_VERSION);
        }
    }

    let access = AccessKey::from_bytes(data);
    match &access {
        Ok(key) => {
            assert_eq!(key.to_bytes().expose().as_slice(), data);
            let before = fixture_verifier.to_bytes();
            let result = fixture_verifier.check(key);
            assert_eq!(
                fixture_verifier.to_bytes(),
                before,
                "check changed the verifier"
            );
            if data == fixture_token.expose().as_slice() {
                assert_eq!(result, Ok(()), "the fixture's token is refused");
            } else {
                assert_eq!(result, Err(AccessError::Refused), "a wrong token passes");
            }
        }
        Err(e) => {
            assert_ne!(data.len(), ACCESS_KEY_LEN);
            assert_eq!(*e, AccessError::AccessKeyLength { len: data.len() });
        }
    }

    let verifier = AccessVerifier::from_bytes(data);
    match &verifier {
        Ok(v) => {
            assert_eq!(v.to_bytes().as_slice(), data);
            let token = fixture.access_key();
            let passes = v.check(&token).is_ok();
            assert_eq!(passes, *v == fixture_verifier, "verifier check");
        }
        Err(e) => {
            assert_ne!(data.len(), VERIFIER_LEN);
            assert_eq!(*e, AccessError::VerifierLength { len: data.len() });
        }
    }

    share.is_ok() || access.is_ok() || verifier.is_ok()
}
