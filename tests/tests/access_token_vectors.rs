//! docs/vectors/access-tokens.json against docs/protocol.md 9.5 and `sotto_sealed::access`:
//! every case is recomputed from its profile key by the formulas of the document (HKDF written
//! out as RFC 5869's extract and expand over HMAC-SHA256), and by the implementation; the
//! rotation's old token is refused by the new verifier; every negative case is refused with its
//! error; the cases cover exactly the SEAL-TOK IDs of section 5.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_crypto::SecretBytes;
use sotto_crypto::hash::sha256_concat;
use sotto_crypto::kdf::hmac_sha256;
use sotto_sealed::access::{
    AccessError, AccessKey, AccessVerifier, CONTENT_TYPE_MESSAGE, CONTENT_TYPE_PROFILE_KEY,
    ProfileKey,
};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::access_tokens::{
    AccessNegative, AccessTokenVector, AccessTokenVectors, generate,
};

fn load() -> AccessTokenVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/access-tokens.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `access_key = HKDF(salt absent, ikm = profile_key, info = "Sotto/1 sealed access key", 16)`:
/// extract with 32 zero bytes, then the first block of expand, `HMAC(PRK, info || 0x01)`, cut
/// to 16 bytes.
fn document_access_key(profile_key: &[u8]) -> Vec<u8> {
    let prk = hmac_sha256(&[0u8; 32], profile_key);
    let mut block = b"Sotto/1 sealed access key".to_vec();
    block.push(0x01);
    hmac_sha256(prk.expose(), &block).expose()[..16].to_vec()
}

/// `verifier = SHA-256("Sotto/1 sealed access verifier" || access_key)`.
fn document_verifier(access_key: &[u8]) -> Vec<u8> {
    sha256_concat(&[b"Sotto/1 sealed access verifier", access_key]).to_vec()
}

fn check_positive(case: &AccessTokenVector) -> Result<(), String> {
    let pk = hex::decode(&case.profile_key).map_err(|e| e.to_string())?;
    let share = hex::decode(&case.share).map_err(|e| e.to_string())?;
    let access = hex::decode(&case.access_key).map_err(|e| e.to_string())?;
    let verifier = hex::decode(&case.verifier).map_err(|e| e.to_string())?;
    if pk.len() != 32 {
        return Err("profile key is not 32 bytes".into());
    }
    let mut document_share = vec![0x01];
    document_share.extend_from_slice(&pk);
    if share != document_share {
        return Err("the share is not 0x01 || profile_key".into());
    }
    if document_access_key(&pk) != access {
        return Err("the document's access key differs".into());
    }
    if document_verifier(&access) != verifier {
        return Err("the document's verifier differs".into());
    }
    let key = ProfileKey::from_share(&share).map_err(|e| format!("from_share: {e:?}"))?;
    if key.expose().as_slice() != pk.as_slice() {
        return Err("from_share gives another key".into());
    }
    if key.to_share().expose().as_slice() != share.as_slice() {
        return Err("to_share differs".into());
    }
    if key.access_key().to_bytes().expose().as_slice() != access.as_slice() {
        return Err("access_key() differs".into());
    }
    if key.verifier().to_bytes().as_slice() != verifier.as_slice() {
        return Err("verifier() differs".into());
    }
    let stored = AccessVerifier::from_bytes(&verifier).map_err(|e| format!("{e:?}"))?;
    let presented = AccessKey::from_bytes(&access).map_err(|e| format!("{e:?}"))?;
    stored
        .check(&presented)
        .map_err(|e| format!("check: {e:?}"))
}

fn error_name(e: AccessError) -> &'static str {
    match e {
        AccessError::ShareVersion(_) => "AccessError::ShareVersion",
        AccessError::ShareLength { .. } => "AccessError::ShareLength",
        AccessError::AccessKeyLength { .. } => "AccessError::AccessKeyLength",
        AccessError::VerifierLength { .. } => "AccessError::VerifierLength",
        AccessError::Refused => "AccessError::Refused",
        _ => "unknown",
    }
}

/// The ID section 5 gives each error.
fn id_of(error: &str) -> &'static str {
    match error {
        "AccessError::ShareVersion" => "SEAL-TOK-01",
        "AccessError::ShareLength" => "SEAL-TOK-02",
        "AccessError::AccessKeyLength" => "SEAL-TOK-03",
        "AccessError::VerifierLength" => "SEAL-TOK-04",
        "AccessError::Refused" => "SEAL-TOK-05",
        _ => "unknown",
    }
}

/// The refusal section 9.5's checks give, in their order, computed from the document alone.
fn document_refusal(case: &AccessNegative, input: &[u8]) -> Option<&'static str> {
    match case.operation.as_str() {
        "share" if input.first() != Some(&0x01) => Some("AccessError::ShareVersion"),
        "share" if input.len() != 33 => Some("AccessError::ShareLength"),
        "access_key" if input.len() != 16 => Some("AccessError::AccessKeyLength"),
        "verifier" if input.len() != 32 => Some("AccessError::VerifierLength"),
        "check" => {
            let stored = hex::decode(&case.verifier).ok()?;
            (input.len() == 16 && stored.len() == 32 && document_verifier(input) != stored)
                .then_some("AccessError::Refused")
        }
        _ => None,
    }
}

fn check_negative(case: &AccessNegative) -> Result<(), String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    let expected = case.expected_error.as_str();
    if document_refusal(case, &input) != Some(expected) {
        return Err(format!(
            "the document refuses with {:?}, not {expected}",
            document_refusal(case, &input)
        ));
    }
    let result = match case.operation.as_str() {
        "share" => ProfileKey::from_share(&input).map(|_| ()),
        "access_key" => AccessKey::from_bytes(&input).map(|_| ()),
        "verifier" => AccessVerifier::from_bytes(&input).map(|_| ()),
        "check" => {
            let stored = AccessVerifier::from_bytes(&hex::decode(&case.verifier).unwrap())
                .map_err(|e| format!("verifier: {e:?}"))?;
            let presented = AccessKey::from_bytes(&input).map_err(|e| format!("key: {e:?}"))?;
            let result = stored.check(&presented);
            if stored.to_bytes().as_slice() != hex::decode(&case.verifier).unwrap().as_slice() {
                return Err("the check changed the verifier".into());
            }
            result
        }
        other => return Err(format!("unknown operation {other}")),
    };
    match result {
        Ok(()) => Err("accepted".into()),
        Err(e) if error_name(e) == expected => {
            if id_of(expected) == case.validation_id {
                Ok(())
            } else {
                Err(format!("{expected} is not {}", case.validation_id))
            }
        }
        Err(e) => Err(format!("{e:?}, expected {expected}")),
    }
}

#[test]
fn every_case_recomputes_from_the_document() {
    let v = load();
    assert_eq!(v.content_type_message, CONTENT_TYPE_MESSAGE);
    assert_eq!(v.content_type_profile_key, CONTENT_TYPE_PROFILE_KEY);
    assert_eq!((v.content_type_message, v.content_type_profile_key), (1, 2));
    assert_eq!(v.share_version, 1);
    assert!(v.cases.len() >= 5);
    let keys: BTreeSet<&str> = v.cases.iter().map(|c| c.profile_key.as_str()).collect();
    assert_eq!(keys.len(), v.cases.len(), "distinct profile keys");
    let tokens: BTreeSet<&str> = v.cases.iter().map(|c| c.access_key.as_str()).collect();
    assert_eq!(tokens.len(), v.cases.len(), "distinct access keys");
    for case in &v.cases {
        assert_eq!(check_positive(case), Ok(()), "{}", case.name);
    }
}

#[test]
fn the_rotation_revokes_the_old_token() {
    let r = load().rotation;
    let old_pk = hex::decode(&r.old_profile_key).unwrap();
    let new_pk = hex::decode(&r.new_profile_key).unwrap();
    assert_ne!(old_pk, new_pk);
    for (pk, access, verifier) in [
        (&old_pk, &r.old_access_key, &r.old_verifier),
        (&new_pk, &r.new_access_key, &r.new_verifier),
    ] {
        assert_eq!(hex::encode(document_access_key(pk)), *access);
        assert_eq!(
            hex::encode(document_verifier(&hex::decode(access).unwrap())),
            *verifier
        );
    }
    let old = ProfileKey::from_bytes(SecretBytes::from_slice(&old_pk).unwrap());
    let new = ProfileKey::from_bytes(SecretBytes::from_slice(&new_pk).unwrap());
    let stored = AccessVerifier::from_bytes(&hex::decode(&r.new_verifier).unwrap()).unwrap();
    assert_eq!(stored, new.verifier());
    assert_eq!(stored.check(&new.access_key()), Ok(()));
    assert_eq!(r.old_token_after_rotation, "AccessError::Refused");
    assert_eq!(stored.check(&old.access_key()), Err(AccessError::Refused));
    // Before the rotation the old token was good.
    let before = AccessVerifier::from_bytes(&hex::decode(&r.old_verifier).unwrap()).unwrap();
    assert_eq!(before.check(&old.access_key()), Ok(()));
}

#[test]
fn every_negative_case_is_refused_and_every_id_has_one() {
    let v = load();
    let mut covered = BTreeSet::new();
    for (i, case) in v.negative.iter().enumerate() {
        assert_eq!(case.id, i + 1);
        assert_eq!(
            check_negative(case),
            Ok(()),
            "case {}: {}",
            case.id,
            case.comment
        );
        covered.insert(case.validation_id.clone());
    }
    let ids = validation_ids(&["SEAL-TOK-"]);
    assert_eq!(ids.len(), 5, "SEAL-TOK IDs in docs/protocol.md section 5");
    assert_eq!(covered, ids);
    let comments: Vec<&str> = v.negative.iter().map(|c| c.comment.as_str()).collect();
    for what in [
        "empty",
        "wrong version",
        "truncated",
        "trailing bytes",
        "oversized",
        "wrong token",
        "rotated",
        "decides first",
    ] {
        assert!(comments.iter().any(|c| c.contains(what)), "{what}");
    }
}

/// The checks can fail: a changed byte of a share, access key or verifier; a valid share,
/// token or verifier offered as a negative case; another expected error or ID.
#[test]
fn the_checks_fail_on_mutated_vectors() {
    let v = load();
    for case in &v.cases {
        for field in 0..4 {
            let mut m = case.clone();
            let target = match field {
                0 => &mut m.profile_key,
                1 => &mut m.share,
                2 => &mut m.access_key,
                _ => &mut m.verifier,
            };
            let mut bytes = hex::decode(&*target).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            *target = hex::encode(&bytes);
            assert!(check_positive(&m).is_err(), "{} field {field}", case.name);
        }
        for (operation, input, verifier) in [
            ("share", &case.share, ""),
            ("access_key", &case.access_key, ""),
            ("verifier", &case.verifier, ""),
            ("check", &case.access_key, case.verifier.as_str()),
        ] {
            let negative = AccessNegative {
                id: 1,
                validation_id: "SEAL-TOK-05".into(),
                comment: String::new(),
                operation: operation.into(),
                input: input.clone(),
                verifier: verifier.into(),
                expected_error: "AccessError::Refused".into(),
            };
            assert!(check_negative(&negative).is_err(), "{operation}");
        }
    }
    for case in &v.negative {
        let mut m = case.clone();
        m.expected_error = if case.expected_error == "AccessError::Refused" {
            "AccessError::ShareLength".into()
        } else {
            "AccessError::Refused".into()
        };
        assert!(check_negative(&m).is_err(), "case {}", case.id);
        let mut m = case.clone();
        m.validation_id = "SEAL-TOK-99".into();
        assert!(check_negative(&m).is_err(), "case {}", case.id);
    }
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
