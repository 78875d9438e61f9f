//! docs/vectors/device-lists.json against the public API: every list rebuilds from its inputs
//! byte for byte and decodes; every negative case (DEV-01..DEV-05) is refused as listed.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, SignedDeviceList};
use sotto_handshake::DeviceIdentity;
use sotto_vectors::vectors::device_lists::{DeviceListVectors, run_negative};

fn load() -> DeviceListVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/device-lists.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn secret(s: &str) -> SecretBytes<32> {
    SecretBytes::from_slice(&unhex(s)).unwrap()
}

#[test]
fn every_list_rebuilds_from_its_inputs_and_decodes() {
    let v = load();
    assert!(v.lists.len() >= 2);
    for list in &v.lists {
        let key = AccountKey::from_seed(secret(&list.account_key_seed));
        assert_eq!(hex::encode(key.public().to_bytes()), list.account_key);
        let entries = list
            .devices
            .iter()
            .map(|d| {
                let identity = DeviceIdentity::from_keys(
                    SigningKey::from_seed(secret(&d.signing_seed)),
                    KeyPair::from_secret(SecretKey::from_bytes(secret(&d.identity_private))),
                );
                assert_eq!(hex::encode(identity.public().to_bytes()), d.identity);
                DeviceEntry::new(d.device_id, identity.public())
            })
            .collect();
        let id = AccountId::from_bytes(unhex(&list.account_id).try_into().unwrap());
        let signed = DeviceList::new(id, list.version, list.created_at, entries)
            .unwrap()
            .sign(&key);
        assert_eq!(
            hex::encode(signed.as_bytes()),
            list.device_list,
            "{}",
            list.name
        );
        let bytes = unhex(&list.device_list);
        let (body, signature) = bytes.split_at(bytes.len() - 64);
        assert_eq!(hex::encode(signature), list.signature);
        let mut message = b"Sotto/1 device list".to_vec();
        message.extend_from_slice(body);
        assert_eq!(hex::encode(message), list.signed_message);
        assert_eq!(SignedDeviceList::from_bytes(&bytes).unwrap(), signed);
    }
}

#[test]
fn every_negative_case_is_refused_as_listed() {
    let v = load();
    for case in &v.negative {
        assert_eq!(
            run_negative(&unhex(&case.input)).as_deref(),
            Ok(case.expected_error.as_str()),
            "case {} ({}): {}",
            case.id,
            case.validation_id,
            case.comment
        );
    }
    let ids: BTreeSet<&str> = v
        .negative
        .iter()
        .map(|c| c.validation_id.as_str())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["DEV-01", "DEV-02", "DEV-03", "DEV-04", "DEV-05"])
    );
    // The check can fail: a valid list is not refused.
    assert!(run_negative(&unhex(&v.lists[0].device_list)).is_err());
}
