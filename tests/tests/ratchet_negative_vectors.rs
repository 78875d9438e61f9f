//! docs/vectors/ratchet-negative.json: every refusal it lists is this implementation's
//! refusal, with the session unchanged, and every RAT- and PKL- validation ID of
//! docs/protocol.md section 5 has at least one case (RAT-10, "a failed decrypt leaves the
//! session unchanged", is the `state_unchanged` promise of every decrypt case).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use sotto_ratchet::PickleKey;
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::ratchet_negative::{RatchetNegativeVectors, run_case};

fn load() -> RatchetNegativeVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors/ratchet-negative.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_case_is_refused_as_listed_with_the_state_unchanged() {
    let v = load();
    let key = PickleKey::new(hex::decode(&v.pickle_key).unwrap().try_into().unwrap());
    let context = hex::decode(&v.pickle_context).unwrap();
    assert!(v.cases.len() >= 25, "{} cases", v.cases.len());
    for case in &v.cases {
        assert!(case.state_unchanged);
        let got = run_case(case, &key, &context);
        assert_eq!(
            got.as_deref(),
            Ok(case.expected_error.as_str()),
            "case {} ({}): {}",
            case.id,
            case.validation_id,
            case.comment
        );
    }
}

#[test]
fn every_ratchet_and_pickle_validation_id_has_a_case() {
    let ids = validation_ids(&["RAT-", "PKL-"]);
    assert!(ids.len() >= 19, "{ids:?}");
    let covered: BTreeSet<String> = load()
        .cases
        .iter()
        .map(|c| c.validation_id.clone())
        .chain(["RAT-10".to_string()])
        .collect();
    let missing: Vec<&String> = ids.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "validation IDs without a negative vector: {missing:?}"
    );
}

#[test]
fn a_case_whose_refusal_differs_is_caught() {
    // The check above can fail: a case expecting the wrong error, or run on a different input
    // that is accepted, is reported.
    let v = load();
    let key = PickleKey::new(hex::decode(&v.pickle_key).unwrap().try_into().unwrap());
    let context = hex::decode(&v.pickle_context).unwrap();
    let mut wrong = v.cases[0].clone();
    wrong.expected_error = "DecodeError::Truncated".into();
    assert_ne!(
        run_case(&wrong, &key, &context).as_deref(),
        Ok("DecodeError::Truncated")
    );
    let replay = v
        .cases
        .iter()
        .find(|c| c.validation_id == "RAT-07" && c.operation == "decrypt")
        .unwrap();
    let mut fresh = replay.clone();
    fresh.state = v
        .cases
        .iter()
        .find(|c| c.validation_id == "RAT-14")
        .unwrap()
        .state
        .clone();
    // Message 0 of another session does not authenticate against this fresh one: a different
    // refusal, which the check reports.
    assert_ne!(
        run_case(&fresh, &key, &context),
        Ok(replay.expected_error.clone())
    );
}
