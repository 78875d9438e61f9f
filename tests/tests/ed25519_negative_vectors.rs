//! docs/vectors/ed25519-negative.json: every case's outcome is what `sotto_crypto::ed25519`
//! (strict verification, docs/protocol.md section 7.1) does with it, its rule and equations
//! are what they claim, and each of 7.1's five rules has a refused case.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use sotto_vectors::vectors::ed25519_negative::{
    Ed25519NegativeVectors, check_case, generate, sotto_outcome,
};

fn load() -> Ed25519NegativeVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors/ed25519-negative.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_case_is_what_sotto_crypto_does() {
    let vectors = load();
    assert!(vectors.cases.len() >= 40, "{} cases", vectors.cases.len());
    for (i, case) in vectors.cases.iter().enumerate() {
        assert_eq!(case.id, i + 1);
        assert!(case.expected == "accepted" || case.expected == "refused");
        assert_eq!(
            case.rule.is_some(),
            case.expected == "refused",
            "case {}",
            case.id
        );
        assert_eq!(
            sotto_outcome(case).as_deref(),
            Ok(case.expected.as_str()),
            "case {}: {}",
            case.id,
            case.comment
        );
        assert_eq!(
            check_case(case),
            Ok(()),
            "case {}: {}",
            case.id,
            case.comment
        );
    }
}

#[test]
fn every_rule_has_a_refused_case_and_valid_signatures_are_accepted() {
    let vectors = load();
    let rules: BTreeSet<u8> = vectors.cases.iter().filter_map(|c| c.rule).collect();
    assert_eq!(rules, (1..=5).collect::<BTreeSet<u8>>());
    let accepted = vectors
        .cases
        .iter()
        .filter(|c| c.expected == "accepted")
        .count();
    assert!(accepted >= 2, "{accepted} accepted cases");
    // RFC 8032 section 7.1, test 1, is among the accepted cases.
    assert!(vectors.cases.iter().any(|c| c.expected == "accepted"
        && c.public_key == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        && c.message.is_empty()));
    // The cases that isolate a rule: refused although the cofactorless equation holds.
    for rule in [2, 3, 4] {
        assert!(
            vectors
                .cases
                .iter()
                .any(|c| c.rule == Some(rule) && c.cofactorless_equation == Some(true)),
            "rule {rule} has no case where the equation holds"
        );
    }
    // All 14 encodings of the 8 small-order points, as A and as R.
    for rule in [2, 4] {
        let encodings: BTreeSet<&str> = vectors
            .cases
            .iter()
            .filter(|c| c.rule == Some(rule) && c.cofactored_equation.is_some())
            .map(|c| {
                if rule == 2 {
                    c.public_key.as_str()
                } else {
                    &c.signature[..64]
                }
            })
            .collect();
        assert_eq!(encodings.len(), 14, "rule {rule}");
    }
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}

#[test]
fn a_flipped_expectation_is_reported() {
    // The check can fail: each case with its outcome flipped, or its rule or an equation
    // changed, is reported.
    let vectors = load();
    for case in &vectors.cases {
        let mut flipped = case.clone();
        flipped.expected = if case.expected == "accepted" {
            "refused"
        } else {
            "accepted"
        }
        .into();
        assert!(check_case(&flipped).is_err(), "case {} flipped", case.id);
        let mut rule = case.clone();
        rule.rule = Some(case.rule.map_or(5, |r| r % 5 + 1));
        assert!(check_case(&rule).is_err(), "case {} rule changed", case.id);
        if let Some(holds) = case.cofactored_equation {
            let mut equation = case.clone();
            equation.cofactored_equation = Some(!holds);
            assert!(
                check_case(&equation).is_err(),
                "case {} equation changed",
                case.id
            );
        }
    }
    // A modified signature byte in an accepted case makes sotto_crypto refuse it.
    let mut case = vectors
        .cases
        .iter()
        .find(|c| c.expected == "accepted")
        .unwrap()
        .clone();
    let mut sig = hex::decode(&case.signature).unwrap();
    sig[0] ^= 1;
    case.signature = hex::encode(sig);
    assert_eq!(sotto_outcome(&case), Ok("refused"));
    assert!(check_case(&case).is_err());
}
