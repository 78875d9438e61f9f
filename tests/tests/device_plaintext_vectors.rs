//! docs/vectors/device-plaintext.json (protocol.md 8.5): every plaintext is rebuilt from its
//! inputs byte for byte and decodes; every refusal (DEV-PT-01, DEV-PT-02) is refused as listed,
//! and the refusals cover exactly the DEV-PT IDs of section 5.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use sotto_devices::{AccountId, DevicePlaintext};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::device_plaintext::{DevicePlaintextVectors, generate};

fn load() -> DevicePlaintextVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors/device-plaintext.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn account(s: &str) -> AccountId {
    AccountId::from_bytes(hex::decode(s).unwrap().try_into().unwrap())
}

/// `0x01 || sender[16] || u32be(sender_device) || recipient[16] || body`, written from the
/// document.
fn encode(sender: &str, device: u32, recipient: &str, body: &str) -> Vec<u8> {
    let mut out = vec![1];
    out.extend(hex::decode(sender).unwrap());
    out.extend(device.to_be_bytes());
    out.extend(hex::decode(recipient).unwrap());
    out.extend(hex::decode(body).unwrap());
    out
}

#[test]
fn every_plaintext_rebuilds_from_its_inputs_and_decodes() {
    let v = load();
    assert_eq!(v.plaintexts.len(), 3);
    for p in &v.plaintexts {
        let bytes = encode(&p.sender, p.sender_device, &p.recipient, &p.body);
        assert_eq!(hex::encode(&bytes), p.plaintext, "{}", p.name);
        let decoded = DevicePlaintext::from_bytes(&bytes).unwrap();
        assert_eq!(decoded.sender(), account(&p.sender));
        assert_eq!(decoded.sender_device(), p.sender_device);
        assert_eq!(decoded.recipient(), account(&p.recipient));
        assert_eq!(hex::encode(decoded.body()), p.body);
        assert_eq!(decoded.to_bytes(), bytes);
        // Delivered as it says, to its recipient: accepted; a copy on the sender's own
        // other devices: accepted too.
        decoded
            .check_addressed(
                decoded.sender(),
                decoded.sender_device(),
                decoded.recipient(),
            )
            .unwrap();
        decoded
            .check_addressed(decoded.sender(), decoded.sender_device(), decoded.sender())
            .unwrap();
    }
}

#[test]
fn every_refusal_is_refused_as_listed_and_covers_the_ids() {
    let v = load();
    for n in &v.negative {
        let input = hex::decode(&n.input).unwrap();
        let got = match DevicePlaintext::from_bytes(&input) {
            Err(e) => e,
            Ok(p) => p
                .check_addressed(
                    account(&n.delivered_from),
                    n.delivered_from_device,
                    account(&n.receiver),
                )
                .expect_err(&n.comment),
        };
        assert_eq!(
            format!("FanOutError::{got:?}"),
            n.expected_error,
            "{}",
            n.comment
        );
        let id = match n.expected_error.as_str() {
            "FanOutError::Plaintext" => "DEV-PT-01",
            "FanOutError::Misaddressed" => "DEV-PT-02",
            other => panic!("{other}"),
        };
        assert_eq!(n.validation_id, id);
    }
    let covered: BTreeSet<String> = v.negative.iter().map(|n| n.validation_id.clone()).collect();
    let ids = validation_ids(&["DEV-PT-"]);
    assert_eq!(ids.len(), 2);
    assert_eq!(covered, ids);
    // The check can fail: a good plaintext delivered as it says is not refused.
    let good = hex::decode(&v.plaintexts[0].plaintext).unwrap();
    let p = DevicePlaintext::from_bytes(&good).unwrap();
    assert!(
        p.check_addressed(p.sender(), p.sender_device(), p.recipient())
            .is_ok()
    );
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
