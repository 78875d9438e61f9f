//! docs/vectors/padding.json against docs/protocol.md 9.1 and `sotto_sealed::padding`: every
//! case is rebuilt from its plaintext length by a bucket function written here from the
//! document, and by `pad`, and unpads to its plaintext; every negative case is refused with
//! its error; the cases cover exactly the SEAL-PAD IDs of section 5.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_sealed::padding::{MAX_PADDED_LEN, PaddingError, pad, unpad};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::padding::{
    LENGTHS, PaddingNegative, PaddingVector, PaddingVectors, generate,
};

fn load() -> PaddingVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/padding.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Section 9.1's `L(n)`, written from the text: the fixed buckets up to 256, then Padmé with
/// `E = floor(log2 n)`, `S = floor(log2 E) + 1`, `z = E - S`, `n` rounded up to a multiple of
/// `2^z`. The logarithms by repeated halving.
fn document_bucket(n: u64) -> u64 {
    assert!(n >= 1);
    if n <= 256 {
        return [32, 64, 128, 256].into_iter().find(|&b| n <= b).unwrap();
    }
    let log2 = |mut x: u64| {
        let mut k = 0;
        while x > 1 {
            x /= 2;
            k += 1;
        }
        k
    };
    let e = log2(n);
    let s = log2(e) + 1;
    let unit = 2u64.pow(u32::try_from(e - s).unwrap());
    n.div_ceil(unit) * unit
}

/// The plaintext of the file's pattern: byte `i` is `i mod 251`.
fn document_plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// `p || 0x80 || 0x00...` up to `L(len(p) + 1)`, as section 9.1 writes it.
fn document_pad(plaintext: &[u8]) -> Vec<u8> {
    let total = document_bucket(plaintext.len() as u64 + 1);
    let mut out = plaintext.to_vec();
    out.push(0x80);
    while (out.len() as u64) < total {
        out.push(0);
    }
    out
}

fn check_positive(case: &PaddingVector) -> Result<(), String> {
    let plaintext = document_plaintext(case.plaintext_len);
    let padded = hex::decode(&case.padded).map_err(|e| e.to_string())?;
    if padded.len() != case.padded_len {
        return Err("padded_len is not the length of padded".into());
    }
    if document_pad(&plaintext) != padded {
        return Err("the document's padding differs".into());
    }
    if pad(&plaintext).map_err(|e| format!("pad: {e:?}"))? != padded {
        return Err("pad(..) differs".into());
    }
    match unpad(&padded) {
        Ok(p) if p == plaintext.as_slice() => Ok(()),
        other => Err(format!("unpad: {other:?}")),
    }
}

fn error_name(e: PaddingError) -> &'static str {
    match e {
        PaddingError::TooLong { .. } => "PaddingError::TooLong",
        PaddingError::NotABucket { .. } => "PaddingError::NotABucket",
        PaddingError::NoBoundary => "PaddingError::NoBoundary",
        PaddingError::NotCanonical { .. } => "PaddingError::NotCanonical",
        _ => "unknown",
    }
}

/// The ID section 5 gives each error.
fn id_of(error: &str) -> &'static str {
    match error {
        "PaddingError::TooLong" => "SEAL-PAD-01",
        "PaddingError::NotABucket" => "SEAL-PAD-02",
        "PaddingError::NoBoundary" => "SEAL-PAD-03",
        "PaddingError::NotCanonical" => "SEAL-PAD-04",
        _ => "unknown",
    }
}

/// The refusal section 9.1's checks give, in their order, computed from the document alone.
fn document_refusal(input: &[u8]) -> Option<&'static str> {
    let len = input.len() as u64;
    if len > 1 << 24 {
        return Some("PaddingError::TooLong");
    }
    if len == 0 || document_bucket(len) != len {
        return Some("PaddingError::NotABucket");
    }
    let Some(last) = input.iter().rposition(|&b| b != 0) else {
        return Some("PaddingError::NoBoundary");
    };
    if input[last] != 0x80 {
        return Some("PaddingError::NoBoundary");
    }
    if document_bucket(last as u64 + 1) != len {
        return Some("PaddingError::NotCanonical");
    }
    None
}

fn check_negative(case: &PaddingNegative) -> Result<(), String> {
    let input = case.input_bytes().map_err(|e| e.to_string())?;
    if case.pad_to != 0 && input.len() != case.pad_to {
        return Err("pad_to".into());
    }
    if document_refusal(&input) != Some(case.expected_error.as_str()) {
        return Err(format!(
            "the document refuses with {:?}, not {}",
            document_refusal(&input),
            case.expected_error
        ));
    }
    match unpad(&input) {
        Ok(_) => Err("unpadded".into()),
        Err(e) if error_name(e) == case.expected_error => {
            if id_of(&case.expected_error) == case.validation_id {
                Ok(())
            } else {
                Err(format!(
                    "{} is not {}",
                    case.expected_error, case.validation_id
                ))
            }
        }
        Err(e) => Err(format!("{e:?}, expected {}", case.expected_error)),
    }
}

#[test]
fn every_case_rebuilds_from_the_document_and_unpads() {
    let v = load();
    assert_eq!(v.max_padded_len, MAX_PADDED_LEN);
    assert_eq!(v.max_padded_len, 1 << 24);
    assert_eq!(v.small_buckets, [32, 64, 128, 256]);
    let lengths: Vec<usize> = v.cases.iter().map(|c| c.plaintext_len).collect();
    assert_eq!(lengths, LENGTHS);
    for len in [0, 1, 30, 31, 32, 255, 256, 257, 1000, 65_536] {
        assert!(lengths.contains(&len), "{len}");
    }
    let padded: Vec<usize> = v.cases.iter().map(|c| c.padded_len).collect();
    assert_eq!(
        padded,
        [32, 32, 32, 32, 64, 256, 256, 272, 272, 1024, 67_584]
    );
    for case in &v.cases {
        assert_eq!(check_positive(case), Ok(()), "{}", case.name);
    }
}

#[test]
fn the_document_bucket_function_matches_the_implementation() {
    for len in (0..=70_000).chain([(1 << 24) - (1 << 19), (1 << 24) - 1]) {
        assert_eq!(
            pad(&vec![0u8; len]).unwrap().len() as u64,
            document_bucket(len as u64 + 1),
            "{len}"
        );
    }
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
    let ids = validation_ids(&["SEAL-PAD-"]);
    assert_eq!(ids.len(), 4, "SEAL-PAD IDs in docs/protocol.md section 5");
    assert_eq!(covered, ids);
    let comments: Vec<&str> = v.negative.iter().map(|c| c.comment.as_str()).collect();
    for what in [
        "over-long",
        "empty input",
        "appended",
        "truncated",
        "no boundary",
        "replaced by",
        "after the boundary",
        "non-canonical",
        "decides first",
    ] {
        assert!(comments.iter().any(|c| c.contains(what)), "{what}");
    }
}

/// The checks can fail: a changed byte of a padding, another plaintext length, a valid
/// padding offered as a negative case, another expected error.
#[test]
fn the_checks_fail_on_mutated_vectors() {
    let v = load();
    for case in &v.cases {
        let mut bytes = hex::decode(&case.padded).unwrap();
        bytes[0] ^= 1;
        let mut m = case.clone();
        m.padded = hex::encode(&bytes);
        assert!(check_positive(&m).is_err(), "{}", case.name);
        let mut m = case.clone();
        m.plaintext_len += 1;
        assert!(check_positive(&m).is_err(), "{}", case.name);
        let negative = PaddingNegative {
            id: 1,
            validation_id: "SEAL-PAD-04".into(),
            comment: String::new(),
            input: case.padded.clone(),
            pad_to: 0,
            expected_error: "PaddingError::NotCanonical".into(),
        };
        assert!(check_negative(&negative).is_err(), "{}", case.name);
    }
    for case in &v.negative {
        let mut m = case.clone();
        m.expected_error = if case.expected_error == "PaddingError::NoBoundary" {
            "PaddingError::NotABucket".into()
        } else {
            "PaddingError::NoBoundary".into()
        };
        assert!(check_negative(&m).is_err(), "case {}", case.id);
        let mut m = case.clone();
        m.validation_id = "SEAL-PAD-99".into();
        assert!(check_negative(&m).is_err(), "case {}", case.id);
    }
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
