//! docs/vectors/safety-numbers.json against `sotto_devices::safety` (docs/protocol.md 8.2):
//! every case recomputed from its seeds and account ids, every negative case refused with
//! its error, and each of the DEV-SN validation IDs covered.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use sotto_crypto::SecretBytes;
use sotto_devices::safety::{Comparison, ITERATIONS, SafetyNumber, ScannedSafetyNumber, VERSION};
use sotto_devices::{AccountId, AccountKey, AccountPublicKey};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::safety_numbers::{SafetyNumberVectors, error_name, generate};

fn load() -> SafetyNumberVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors/safety-numbers.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn bytes<const N: usize>(text: &str) -> [u8; N] {
    hex::decode(text).unwrap().try_into().unwrap()
}

fn key(seed: &str, public: &str) -> AccountPublicKey {
    let key = AccountKey::from_seed(SecretBytes::new(bytes(seed))).public();
    assert_eq!(hex::encode(key.to_bytes()), public);
    key
}

#[test]
fn every_case_is_what_sotto_devices_computes() {
    let vectors = load();
    assert_eq!(vectors.iterations, ITERATIONS);
    assert_eq!(vectors.version, VERSION);
    assert_eq!(
        vectors.label,
        hex::encode(sotto_crypto::labels::SAFETY_NUMBER)
    );
    assert!(vectors.cases.len() >= 3);
    for (i, case) in vectors.cases.iter().enumerate() {
        assert_eq!(case.id, i + 1);
        let local = key(&case.local_seed, &case.local_key);
        let remote = key(&case.remote_seed, &case.remote_key);
        let n = SafetyNumber::derive(
            &local,
            &AccountId::from_bytes(bytes(&case.local_account_id)),
            &remote,
            &AccountId::from_bytes(bytes(&case.remote_account_id)),
        );
        assert_eq!(hex::encode(n.local().as_bytes()), case.local_fingerprint);
        assert_eq!(hex::encode(n.remote().as_bytes()), case.remote_fingerprint);
        assert_eq!(n.local().digits(), case.local_digits);
        assert_eq!(n.remote().digits(), case.remote_digits);
        assert_eq!(n.digits(), case.digits);
        assert_eq!(n.display(), case.display);
        assert_eq!(hex::encode(n.to_bytes()), case.byte_form);
        // The other side computes the same digits, and its byte form matches ours.
        let other = SafetyNumber::derive(
            &remote,
            &AccountId::from_bytes(bytes(&case.remote_account_id)),
            &local,
            &AccountId::from_bytes(bytes(&case.local_account_id)),
        );
        assert_eq!(other.digits(), case.digits);
        assert_eq!(
            n.compare_bytes(&other.to_bytes()),
            Ok(Comparison::Match),
            "case {}",
            case.id
        );
    }
    // Cases 1 and 2 are the same conversation from both devices.
    assert_eq!(vectors.cases[0].digits, vectors.cases[1].digits);
}

#[test]
fn every_negative_case_is_refused_and_every_id_has_one() {
    let vectors = load();
    let mut covered = BTreeSet::new();
    for (i, case) in vectors.negative.iter().enumerate() {
        assert_eq!(case.id, i + 1);
        let input = hex::decode(&case.input).unwrap();
        let error = ScannedSafetyNumber::from_bytes(&input).unwrap_err();
        assert_eq!(error_name(&error), case.expected_error, "{}", case.comment);
        covered.insert(case.validation_id.clone());
    }
    let ids: BTreeSet<String> = validation_ids(&["DEV-SN-"]);
    assert_eq!(ids.len(), 4, "DEV-SN IDs in docs/protocol.md section 5");
    assert_eq!(covered, ids);
    // DEV-SN-01 wrong tag, DEV-SN-02 truncated, DEV-SN-03 version, DEV-SN-04 trailing bytes.
    let errors: BTreeSet<&str> = vectors
        .negative
        .iter()
        .map(|c| c.expected_error.as_str())
        .collect();
    for name in [
        "DecodeError::WrongTag",
        "DecodeError::Truncated",
        "DecodeError::UnknownVersion",
        "DecodeError::TrailingBytes",
    ] {
        assert!(errors.contains(name), "{name}");
    }
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
