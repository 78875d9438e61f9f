//! Unit tests of the delivery tokens: derivation, the share payload and its strict decoder,
//! refusal of wrong and rotated tokens, every decoding error with its validation ID,
//! redaction.

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;

/// A profile key whose byte `i` is `seed + i`.
fn key(seed: u8) -> ProfileKey {
    let mut bytes = [0u8; PROFILE_KEY_LEN];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = seed.wrapping_add(i as u8);
    }
    ProfileKey::from_bytes(SecretBytes::new(bytes))
}

#[test]
fn derivation_is_deterministic_and_as_documented() {
    let a = key(1);
    let b = key(1);
    assert_eq!(a.access_key().to_bytes(), b.access_key().to_bytes());
    assert_eq!(a.verifier(), b.verifier());
    // The formulas of the module documentation, written out.
    let okm = kdf::hkdf_sha256::<16>(Some(&[0u8; 32]), a.expose(), b"Sotto/1 sealed access key");
    assert_eq!(a.access_key().to_bytes(), okm);
    let verifier = sha256_concat(&[b"Sotto/1 sealed access verifier", okm.expose()]);
    assert_eq!(a.verifier().to_bytes(), verifier);
    assert_eq!(a.verifier(), AccessVerifier::for_key(&a.access_key()));
}

#[test]
fn different_profile_keys_give_different_access_keys() {
    let mut rng = StdRng::seed_from_u64(1);
    let keys: Vec<ProfileKey> = (0..8).map(|_| ProfileKey::generate(&mut rng)).collect();
    for (i, x) in keys.iter().enumerate() {
        for y in &keys[i + 1..] {
            assert_ne!(x.expose(), y.expose());
            assert_ne!(x.access_key().to_bytes(), y.access_key().to_bytes());
            assert_ne!(x.verifier(), y.verifier());
        }
    }
    // One bit of the profile key changes the access key.
    let mut bytes = *key(9).expose();
    bytes[31] ^= 1;
    let flipped = ProfileKey::from_bytes(SecretBytes::new(bytes));
    assert_ne!(
        flipped.access_key().to_bytes(),
        key(9).access_key().to_bytes()
    );
}

#[test]
fn the_right_token_is_accepted_and_a_wrong_one_refused_seal_tok_05() {
    let owner = key(3);
    let verifier = owner.verifier();
    assert_eq!(verifier.check(&owner.access_key()), Ok(()));
    // Through the bytes a sender presents and the relay stores.
    let presented = AccessKey::from_bytes(owner.access_key().to_bytes().expose()).unwrap();
    let stored = AccessVerifier::from_bytes(&verifier.to_bytes()).unwrap();
    assert_eq!(stored.check(&presented), Ok(()));
    // Another account's key, and every single-bit change of the right one.
    assert_eq!(
        verifier.check(&key(4).access_key()),
        Err(AccessError::Refused)
    );
    let right = owner.access_key().to_bytes();
    for i in 0..ACCESS_KEY_LEN * 8 {
        let mut bytes = *right.expose();
        bytes[i / 8] ^= 1 << (i % 8);
        let wrong = AccessKey::from_bytes(&bytes).unwrap();
        assert_eq!(verifier.check(&wrong), Err(AccessError::Refused), "bit {i}");
    }
    // The verifier itself, or the profile key's first 16 bytes, are not tokens.
    let verifier_bytes = verifier.to_bytes();
    let as_key = AccessKey::from_bytes(&verifier_bytes[..16]).unwrap();
    assert_eq!(verifier.check(&as_key), Err(AccessError::Refused));
    let prefix = AccessKey::from_bytes(&owner.expose()[..16]).unwrap();
    assert_eq!(verifier.check(&prefix), Err(AccessError::Refused));
}

#[test]
fn rotation_revokes_the_old_token() {
    let mut rng = StdRng::seed_from_u64(2);
    let old = ProfileKey::generate(&mut rng);
    let old_token = old.access_key();
    let mut stored = old.verifier();
    assert_eq!(stored.check(&old_token), Ok(()));
    // The owner rotates: a new key, whose verifier replaces the old one at the relay.
    let new = ProfileKey::generate(&mut rng);
    stored = new.verifier();
    assert_eq!(stored.check(&old_token), Err(AccessError::Refused));
    assert_eq!(stored.check(&new.access_key()), Ok(()));
    // A contact that got the new key through a share derives the new token.
    let shared = ProfileKey::from_share(new.to_share().expose()).unwrap();
    assert_eq!(stored.check(&shared.access_key()), Ok(()));
}

#[test]
fn a_check_leaves_the_verifier_unchanged() {
    let owner = key(5);
    let verifier = owner.verifier();
    let before = verifier.to_bytes();
    for _ in 0..3 {
        assert_eq!(
            verifier.check(&key(6).access_key()),
            Err(AccessError::Refused)
        );
        assert_eq!(verifier.to_bytes(), before);
        assert_eq!(verifier.check(&owner.access_key()), Ok(()));
        assert_eq!(verifier.to_bytes(), before);
    }
}

#[test]
fn the_share_round_trips() {
    let owner = key(7);
    let share = owner.to_share();
    assert_eq!(share.expose().len(), SHARE_LEN);
    assert_eq!(share.expose()[0], 0x01);
    assert_eq!(&share.expose()[1..], owner.expose());
    let decoded = ProfileKey::from_share(share.expose()).unwrap();
    assert_eq!(decoded.expose(), owner.expose());
    assert_eq!(SHARE_LEN, 33);
    assert_eq!(CONTENT_TYPE_MESSAGE, 0x01);
    assert_eq!(CONTENT_TYPE_PROFILE_KEY, 0x02);
}

#[test]
fn a_share_of_another_version_is_refused_seal_tok_01() {
    let share = key(8).to_share();
    assert_eq!(
        ProfileKey::from_share(&[]).map(|_| ()),
        Err(AccessError::ShareVersion(0))
    );
    for version in [0x00, 0x02, 0x11, 0x1f, 0x80, 0xff] {
        let mut bytes = *share.expose();
        bytes[0] = version;
        assert_eq!(
            ProfileKey::from_share(&bytes).map(|_| ()),
            Err(AccessError::ShareVersion(version)),
            "{version:#x}"
        );
    }
    // The version is checked before the length.
    assert_eq!(
        ProfileKey::from_share(&[0x02]).map(|_| ()),
        Err(AccessError::ShareVersion(0x02))
    );
    assert_eq!(
        ProfileKey::from_share(&[0x00; 40]).map(|_| ()),
        Err(AccessError::ShareVersion(0x00))
    );
}

#[test]
fn a_share_of_the_wrong_length_is_refused_seal_tok_02() {
    let share = key(9).to_share();
    // Every truncation that keeps the version byte.
    for len in 1..SHARE_LEN {
        assert_eq!(
            ProfileKey::from_share(&share.expose()[..len]).map(|_| ()),
            Err(AccessError::ShareLength { len }),
            "{len}"
        );
    }
    // Trailing bytes, one or many.
    for extra in [1usize, 2, 32, 1000] {
        let mut long = share.expose().to_vec();
        long.resize(SHARE_LEN + extra, 0);
        assert_eq!(
            ProfileKey::from_share(&long).map(|_| ()),
            Err(AccessError::ShareLength {
                len: SHARE_LEN + extra
            })
        );
    }
}

#[test]
fn an_access_key_of_the_wrong_length_is_refused_seal_tok_03() {
    for len in [0usize, 1, 15, 17, 32, 33] {
        assert_eq!(
            AccessKey::from_bytes(&vec![0x42; len]).map(|_| ()),
            Err(AccessError::AccessKeyLength { len }),
            "{len}"
        );
    }
    assert!(AccessKey::from_bytes(&[0x42; 16]).is_ok());
}

#[test]
fn a_verifier_of_the_wrong_length_is_refused_seal_tok_04() {
    for len in [0usize, 1, 16, 31, 33, 64] {
        assert_eq!(
            AccessVerifier::from_bytes(&vec![0x42; len]),
            Err(AccessError::VerifierLength { len }),
            "{len}"
        );
    }
    assert_eq!(
        AccessVerifier::from_bytes(&[0x42; 32]).map(|v| v.to_bytes()),
        Ok([0x42; 32])
    );
}

#[test]
fn debug_is_redacted() {
    let owner = key(0xa0);
    let access = owner.access_key();
    let profile_hex = hex::encode(owner.expose());
    let access_hex = hex::encode(access.to_bytes().expose());
    for text in [
        format!("{owner:?}"),
        format!("{owner:#?}"),
        format!("{access:?}"),
        format!("{access:#?}"),
        format!("{:?}", owner.to_share()),
        format!("{:?}", access.to_bytes()),
    ] {
        assert!(!text.contains(&profile_hex), "{text}");
        assert!(!text.contains(&access_hex), "{text}");
        assert!(!text.contains(&profile_hex[..8]), "{text}");
        assert!(!text.contains(&access_hex[..8]), "{text}");
        // Nor as decimal bytes.
        assert!(!text.contains("160, 161"), "{text}");
    }
    assert_eq!(format!("{owner:?}"), "ProfileKey(..)");
    assert_eq!(format!("{access:?}"), "AccessKey(..)");
}

#[test]
fn errors_display_their_cause() {
    assert_eq!(
        AccessError::ShareVersion(2).to_string(),
        "unknown profile-key share version 0x02"
    );
    assert_eq!(
        AccessError::ShareLength { len: 34 }.to_string(),
        "a profile-key share of 34 bytes, not 33"
    );
    assert_eq!(AccessError::Refused.to_string(), "delivery token refused");
}
