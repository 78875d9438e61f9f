//! docs/vectors/fan-out.json against docs/protocol.md 8.5 and `sotto_devices::FanOut`: every
//! fan-out is rebuilt from its inputs, by an encoder written here from the document and by
//! `FanOut::new`, and decodes to its entries; every negative case is refused with its error;
//! the cases cover exactly the DEV-FO IDs of section 5.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_devices::fanout::MAX_FAN_OUT_LEN;
use sotto_devices::{AccountId, FanOut, FanOutError};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::fan_out::{FanOutNegative, FanOutVector, FanOutVectors, generate};

fn load() -> FanOutVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/fan-out.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    hex::decode(s).map_err(|e| e.to_string())
}

/// `fan_out = 0x1C || account_id[16] || u8(n) || n x (u32be(device_id) || u32be(len) ||
/// message[len])`, as section 8.5 writes it.
fn encode(account: &[u8], entries: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![0x1C];
    out.extend_from_slice(account);
    out.push(u8::try_from(entries.len()).unwrap());
    for (id, message) in entries {
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
        out.extend_from_slice(message);
    }
    out
}

fn check_positive(case: &FanOutVector) -> Result<(), String> {
    let account = unhex(&case.account_id)?;
    let entries: Vec<(u32, Vec<u8>)> = case
        .entries
        .iter()
        .map(|e| Ok((e.device_id, unhex(&e.message)?)))
        .collect::<Result<_, String>>()?;
    let bytes = unhex(&case.fan_out)?;
    if encode(&account, &entries) != bytes {
        return Err("the document's encoding differs".into());
    }
    let id = AccountId::from_bytes(account.clone().try_into().map_err(|_| "account id")?);
    let built = FanOut::new(id, entries.clone()).map_err(|e| format!("new: {e:?}"))?;
    if built.to_bytes() != bytes {
        return Err("FanOut::new(..).to_bytes() differs".into());
    }
    let decoded = FanOut::from_bytes(&bytes).map_err(|e| format!("decode: {e:?}"))?;
    if decoded.account() != id || decoded.entries() != entries.as_slice() {
        return Err("decoded entries differ".into());
    }
    Ok(())
}

fn error_name(e: FanOutError) -> &'static str {
    match e {
        FanOutError::UnknownVersion(_) => "FanOutError::UnknownVersion",
        FanOutError::Length => "FanOutError::Length",
        FanOutError::Count => "FanOutError::Count",
        FanOutError::DeviceIds => "FanOutError::DeviceIds",
        FanOutError::Message => "FanOutError::Message",
        _ => "unknown",
    }
}

/// The ID section 5 gives each error.
fn id_of(error: &str) -> &'static str {
    match error {
        "FanOutError::UnknownVersion" => "DEV-FO-01",
        "FanOutError::Length" => "DEV-FO-02",
        "FanOutError::Count" => "DEV-FO-03",
        "FanOutError::DeviceIds" => "DEV-FO-04",
        "FanOutError::Message" => "DEV-FO-05",
        _ => "unknown",
    }
}

fn check_negative(case: &FanOutNegative) -> Result<(), String> {
    let input = case.input_bytes().map_err(|e| e.to_string())?;
    if case.pad_to != 0 && input.len() != case.pad_to {
        return Err("padding".into());
    }
    match FanOut::from_bytes(&input) {
        Ok(_) => Err("decoded".into()),
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
fn every_fan_out_rebuilds_from_its_inputs_and_decodes() {
    let v = load();
    assert_eq!(v.max_fan_out_len, MAX_FAN_OUT_LEN);
    assert_eq!(v.max_fan_out_len, 1 << 26);
    let counts: Vec<usize> = v.fan_outs.iter().map(|f| f.entries.len()).collect();
    assert_eq!(counts, [1, 3, 32]);
    let tags: BTreeSet<String> = v.fan_outs[1]
        .entries
        .iter()
        .map(|e| e.message[..2].to_string())
        .collect();
    assert_eq!(
        tags,
        BTreeSet::from(["11".into(), "12".into(), "13".into()])
    );
    for case in &v.fan_outs {
        assert_eq!(check_positive(case), Ok(()), "{}", case.name);
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
    let ids = validation_ids(&["DEV-FO-"]);
    assert_eq!(ids.len(), 5, "DEV-FO IDs in docs/protocol.md section 5");
    assert_eq!(covered, ids);
    // One case per numbered check where several share an ID.
    let comments: Vec<&str> = v.negative.iter().map(|c| c.comment.as_str()).collect();
    for what in [
        "truncated head",
        "truncated body",
        "trailing bytes",
        "over-long",
        "count 0",
        "count 33",
        "device id 0",
        "decreasing ids",
        "empty message",
        "message starts with",
    ] {
        assert!(comments.iter().any(|c| c.contains(what)), "{what}");
    }
}

/// The checks can fail: a changed byte of a fan-out, of an entry or of the account id, a
/// valid fan-out offered as a negative case, another expected error.
#[test]
fn the_checks_fail_on_mutated_vectors() {
    let v = load();
    for case in &v.fan_outs {
        let mut bytes = unhex(&case.fan_out).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let mut m = case.clone();
        m.fan_out = hex::encode(&bytes);
        assert!(check_positive(&m).is_err());
        let mut m = case.clone();
        m.entries[0].device_id += 1;
        assert!(check_positive(&m).is_err());
        let mut m = case.clone();
        let other = if m.account_id.starts_with("00") {
            "01"
        } else {
            "00"
        };
        m.account_id.replace_range(..2, other);
        assert!(check_positive(&m).is_err());
        let negative = FanOutNegative {
            id: 1,
            validation_id: "DEV-FO-02".into(),
            comment: String::new(),
            input: case.fan_out.clone(),
            pad_to: 0,
            expected_error: "FanOutError::Length".into(),
        };
        assert!(check_negative(&negative).is_err());
    }
    for case in &v.negative {
        let mut m = case.clone();
        m.expected_error = if case.expected_error == "FanOutError::Length" {
            "FanOutError::Count".into()
        } else {
            "FanOutError::Length".into()
        };
        assert!(check_negative(&m).is_err(), "case {}", case.id);
    }
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
