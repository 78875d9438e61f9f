//! docs/vectors/link.json against the public API: every link rebuilds from its inputs byte for
//! byte (keys, list, code, text, channel keys, payload, message) with the checksum, the Base32
//! text and the channel recomputed independently of `sotto_devices::link`; every negative case
//! (DEV-LK-01..17) is refused as listed; and a property: any single-byte change of a link
//! message is refused and leaves the pending link able to open the real one.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use sotto_crypto::SecretBytes;
use sotto_crypto::aead;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::hash::sha512_concat;
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_devices::link::{self, LinkError};
use sotto_devices::{
    AccountId, AccountKey, DeviceEntry, DeviceList, LinkCode, LinkPayload, PeerPin,
};
use sotto_handshake::DeviceIdentity;
use sotto_tests::properties;
use sotto_vectors::rng::ScriptedRng;
use sotto_vectors::vectors::link::{LinkCase, LinkVectors, pending_of, run_negative};

fn load() -> LinkVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/link.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn secret(s: &str) -> SecretBytes<32> {
    SecretBytes::from_slice(&unhex(s)).unwrap()
}

/// Base32 decoding written from protocol.md 8.3 alone: drop separators, map each symbol of
/// the alphabet (either case) to 5 bits, most significant first.
fn base32_decode(text: &str, alphabet: &str) -> Vec<u8> {
    let mut bits: Vec<u8> = Vec::new();
    for c in text.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let v = alphabet.find(c.to_ascii_uppercase()).unwrap() as u8;
        bits.extend((0..5).rev().map(|i| (v >> i) & 1));
    }
    assert_eq!(bits.len() % 8, 0);
    bits.chunks(8)
        .map(|b| b.iter().fold(0u8, |acc, bit| (acc << 1) | bit))
        .collect()
}

#[test]
fn every_link_rebuilds_from_its_inputs() {
    let v = load();
    assert_eq!(v.alphabet, "0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    assert_eq!(unhex(&v.checksum_label), b"Sotto/1 link code checksum");
    assert_eq!(unhex(&v.channel_label), b"Sotto/1 link channel");
    assert!(v.cases.len() >= 2);
    for case in &v.cases {
        rebuild(case, &v.alphabet);
    }
}

fn rebuild(case: &LinkCase, alphabet: &str) {
    let name = &case.comment;
    let key = AccountKey::from_seed(secret(&case.account_key_seed));
    assert_eq!(hex::encode(key.public().to_bytes()), case.account_key);
    let account_id = AccountId::from_bytes(unhex(&case.account_id).try_into().unwrap());
    let mut new_identity = None;
    let entries: Vec<DeviceEntry> = case
        .devices
        .iter()
        .map(|d| {
            let identity = DeviceIdentity::from_keys(
                SigningKey::from_seed(secret(&d.signing_seed)),
                KeyPair::from_secret(SecretKey::from_bytes(secret(&d.identity_private))),
            );
            assert_eq!(hex::encode(identity.public().to_bytes()), d.identity);
            if d.device_id == case.new_device_id {
                new_identity = Some(identity.public());
            }
            DeviceEntry::new(d.device_id, identity.public())
        })
        .collect();
    let new_identity = new_identity.expect("the new device is in the list");
    assert_eq!(hex::encode(new_identity.to_bytes()), case.new_identity);
    let list = DeviceList::new(account_id, case.version, case.created_at, entries)
        .unwrap()
        .sign(&key);
    assert_eq!(hex::encode(list.as_bytes()), case.device_list, "{name}");

    // The code: bytes, checksum, text.
    let (code, mut pending) = LinkCode::generate(
        new_identity,
        &mut ScriptedRng::new(vec![unhex(&case.link_secret)]),
    );
    let code_bytes = code.to_bytes().expose().to_vec();
    let mut expected_code = vec![0x1a];
    expected_code.extend_from_slice(&new_identity.to_bytes());
    expected_code.extend_from_slice(&unhex(&case.link_secret));
    assert_eq!(code_bytes, expected_code);
    assert_eq!(hex::encode(&code_bytes), case.code);
    let checksum = sha512_concat(&[b"Sotto/1 link code checksum", &code_bytes]);
    assert_eq!(hex::encode(&checksum[..8]), case.checksum);
    assert_eq!(code.to_text().as_str(), case.text);
    let mut text_bytes = code_bytes.clone();
    text_bytes.extend_from_slice(&checksum[..8]);
    assert_eq!(base32_decode(&case.text, alphabet), text_bytes);
    assert_eq!(case.text.len(), 42 * 4 + 41);
    assert_eq!(LinkCode::from_text(&case.text).unwrap(), code);
    assert_eq!(LinkCode::from_bytes(&code_bytes).unwrap(), code);

    // The payload.
    let peers: Vec<PeerPin> = case
        .peers
        .iter()
        .map(|p| {
            let peer_key = AccountKey::from_seed(secret(&p.account_key_seed)).public();
            assert_eq!(hex::encode(peer_key.to_bytes()), p.account_key);
            PeerPin {
                account_id: AccountId::from_bytes(unhex(&p.account_id).try_into().unwrap()),
                account_key: peer_key,
                verified: p.verified,
                min_version: p.min_version,
            }
        })
        .collect();
    let payload = LinkPayload {
        account_id,
        device_id: case.new_device_id,
        list,
        peers,
    };
    let plain = payload.to_bytes().to_vec();
    assert_eq!(hex::encode(&plain), case.payload, "{name}");
    let mut layout = unhex(&case.account_id);
    layout.extend_from_slice(&case.new_device_id.to_be_bytes());
    layout.extend_from_slice(&(payload.list.as_bytes().len() as u16).to_be_bytes());
    layout.extend_from_slice(payload.list.as_bytes());
    layout.extend_from_slice(&(case.peers.len() as u16).to_be_bytes());
    for p in &case.peers {
        layout.extend_from_slice(&unhex(&p.account_id));
        layout.extend_from_slice(&unhex(&p.account_key));
        layout.push(u8::from(p.verified));
        layout.extend_from_slice(&p.min_version.to_be_bytes());
    }
    assert_eq!(plain, layout);

    // The channel, recomputed from section 8.3.
    let salt = unhex(&case.salt);
    let mut info = b"Sotto/1 link channel".to_vec();
    info.extend_from_slice(&new_identity.to_bytes());
    assert_eq!(hex::encode(&info), case.hkdf_info);
    let okm = hkdf_sha256::<44>(Some(&salt), &unhex(&case.link_secret), &info);
    assert_eq!(hex::encode(&okm.expose()[..32]), case.aead_key);
    assert_eq!(hex::encode(&okm.expose()[32..]), case.nonce);
    let mut ad = vec![0x1b];
    ad.extend_from_slice(&new_identity.to_bytes());
    assert_eq!(hex::encode(&ad), case.associated_data);
    let aead_key = SecretBytes::from_slice(&okm.expose()[..32]).unwrap();
    let nonce: [u8; 12] = okm.expose()[32..].try_into().unwrap();
    let mut expected_message = vec![0x1b];
    expected_message.extend_from_slice(&salt);
    expected_message.extend_from_slice(&aead::seal(&aead_key, &nonce, &ad, &plain));
    assert_eq!(hex::encode(&expected_message), case.message, "{name}");

    // The API seals the same bytes and the new device opens them, once.
    let message = link::seal(code, &payload, &mut ScriptedRng::new(vec![salt])).unwrap();
    assert_eq!(message, expected_message);
    assert_eq!(pending.open(&message).unwrap(), payload);
    assert_eq!(pending.open(&message), Err(LinkError::AlreadyUsed));
}

#[test]
fn every_negative_case_is_refused_as_listed() {
    let v = load();
    let first = &v.cases[0];
    for case in &v.negative {
        assert_eq!(
            run_negative(case, first).as_deref(),
            Ok(case.expected_error.as_str()),
            "case {} ({}): {}",
            case.id,
            case.validation_id,
            case.comment
        );
    }
    let ids: BTreeSet<String> = v.negative.iter().map(|c| c.validation_id.clone()).collect();
    let expected: BTreeSet<String> = (1..=17).map(|i| format!("DEV-LK-{i:02}")).collect();
    assert_eq!(ids, expected);
    // Every DEV-LK ID of protocol.md section 5 has a case.
    let documented = sotto_tests::validation_ids::validation_ids(&["DEV-LK-"]);
    assert_eq!(documented, expected);
    // The check can fail: the real message opens, the real code decodes.
    let mut open = v.negative[0].clone();
    open.operation = "open".into();
    open.input = first.message.clone();
    assert_eq!(run_negative(&open, first), Err("opened".into()));
    let mut decode = v.negative[0].clone();
    decode.input = first.code.clone();
    assert_eq!(run_negative(&decode, first), Err("decoded".into()));
}

/// Any single-byte change (position, non-zero XOR mask) of case 1's message is refused, and
/// the pending link then still opens the real message.
#[test]
fn any_single_byte_change_of_a_link_message_is_refused() {
    let v = load();
    let first = v.cases[0].clone();
    let message = unhex(&first.message);
    let cases = properties::cases(256);
    let strategy = (0..message.len(), 1u8..=255);
    properties::run(file!(), cases, &strategy, |(at, mask)| {
        let (_, mut pending) = pending_of(&first).unwrap();
        let mut changed = message.clone();
        changed[at] ^= mask;
        prop_assert!(pending.open(&changed).is_err(), "byte {} ^ {:#x}", at, mask);
        prop_assert!(!pending.is_used());
        prop_assert!(pending.open(&message).is_ok());
        Ok(())
    });
}
