//! docs/vectors/handshake-negative.json: every refusal it lists is this implementation's
//! refusal, with the responder's store unchanged, and every HS- validation ID of
//! docs/protocol.md section 5 has at least one case.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::handshake::HandshakeVectors;
use sotto_vectors::vectors::handshake_negative::{HandshakeNegativeVectors, run_case};

fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn load() -> (HandshakeNegativeVectors, HandshakeVectors) {
    (
        serde_json::from_str(&read("handshake-negative.json")).unwrap(),
        serde_json::from_str(&read("handshake.json")).unwrap(),
    )
}

#[test]
fn every_case_is_refused_as_listed_with_the_store_unchanged() {
    let (negative, positive) = load();
    assert!(negative.cases.len() >= 20, "{} cases", negative.cases.len());
    for case in &negative.cases {
        assert!(case.state_unchanged);
        assert_eq!(
            run_case(case, &positive).as_deref(),
            Ok(case.expected_error.as_str()),
            "case {} ({}): {}",
            case.id,
            case.validation_id,
            case.comment
        );
    }
}

#[test]
fn every_handshake_validation_id_has_a_case() {
    let ids = validation_ids(&["HS-"]);
    assert!(ids.len() >= 10, "{ids:?}");
    let covered: BTreeSet<String> = load()
        .0
        .cases
        .iter()
        .map(|c| c.validation_id.clone())
        .collect();
    let missing: Vec<&String> = ids.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "validation IDs without a negative vector: {missing:?}"
    );
}

#[test]
fn an_unmodified_input_is_not_refused() {
    // The check can fail: the untampered initial message of a case is accepted (and changes
    // the store), so a case carrying it would be reported.
    let (negative, positive) = load();
    let mut case = negative
        .cases
        .iter()
        .find(|c| c.validation_id == "HS-10")
        .unwrap()
        .clone();
    let source = positive
        .cases
        .iter()
        .find(|c| c.name == case.store)
        .unwrap();
    case.input.clone_from(&source.initial_message);
    assert_eq!(run_case(&case, &positive), Err("store changed".to_string()));
}
