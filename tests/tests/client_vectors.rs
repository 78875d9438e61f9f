//! docs/vectors/client.json against docs/protocol.md 10.1 and 10.2 and the `sotto` client
//! crate: every content is rebuilt byte by byte from its text and share by the formula of
//! 10.1 and decodes back; every state file is rebuilt from its store key, nonce and JSON by
//! the formula of 10.2 and opens back; every negative case is refused with its error, which
//! a refusal function written here from the document's order of checks also gives; the cases
//! cover exactly the CLI- IDs of section 5; and a mutated vector fails.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto::content::{self, ContentError};
use sotto::state::{StateFileError, open_state_file, state_key};
use sotto_crypto::{SecretBytes, aead, kdf};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::client::{ClientNegative, ClientVectors, generate, run_negative};

fn load() -> ClientVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/client.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `u8(kind) || u32be(len) || payload`, as 10.1 writes an item.
fn document_item(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// 10.1's content: `0x01`, the share item `0x02 || u32be(33) || 0x01 || profile_key` when a
/// share is carried, then the text item `0x01 || u32be(len) || utf8`.
fn document_content(text: &[u8], profile_key: Option<&[u8]>) -> Vec<u8> {
    let mut out = vec![0x01];
    if let Some(key) = profile_key {
        let mut share = vec![0x01];
        share.extend_from_slice(key);
        out.extend(document_item(0x02, &share));
    }
    out.extend(document_item(0x01, text));
    out
}

/// The "Sotto/1 client state" label of section 2, written out.
const LABEL: &[u8] = b"Sotto/1 client state";

/// 10.2's file: `0x01 || nonce || AEAD(HKDF(absent, store key, label, 32), nonce, 0x01 ||
/// label, json)`.
fn document_state_file(store_key: &[u8; 32], nonce: &[u8; 12], json: &[u8]) -> Vec<u8> {
    let key: SecretBytes<32> = kdf::hkdf_sha256(None, store_key, LABEL);
    let mut ad = vec![0x01];
    ad.extend_from_slice(LABEL);
    let mut out = vec![0x01];
    out.extend_from_slice(nonce);
    out.extend(aead::seal(&key, nonce, &ad, json));
    out
}

/// The refusal 10.1's checks give, in their order, from the document alone.
fn document_content_refusal(input: &[u8]) -> Option<&'static str> {
    if input.first() != Some(&0x01) {
        return Some("ContentError::UnknownVersion");
    }
    let mut rest = &input[1..];
    let (mut share, mut text) = (false, false);
    while !rest.is_empty() {
        if rest.len() < 5 {
            return Some("ContentError::Truncated");
        }
        let len = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        if rest.len() - 5 < len {
            return Some("ContentError::Truncated");
        }
        let (kind, payload) = (rest[0], &rest[5..5 + len]);
        rest = &rest[5 + len..];
        match kind {
            0x02 if share || text => return Some("ContentError::Order"),
            0x02 if payload.len() != 33 || payload[0] != 0x01 => {
                return Some("ContentError::Share");
            }
            0x02 => share = true,
            0x01 if text => return Some("ContentError::Order"),
            0x01 if std::str::from_utf8(payload).is_err() => return Some("ContentError::NotUtf8"),
            0x01 => text = true,
            _ => return Some("ContentError::UnknownKind"),
        }
    }
    (!text).then_some("ContentError::NoText")
}

/// Whether `json` is 10.2's object: exactly its nine fields, each of its type.
fn document_state_json_ok(json: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(json)
    else {
        return false;
    };
    let fields = [
        "token",
        "profile_key",
        "trust_root",
        "peers",
        "sealed_from",
        "pending_acks",
        "uploaded_prekey_max",
        "signed_prekey_at",
        "next_prekey_check",
    ];
    if map.len() != fields.len() || !fields.iter().all(|f| map.contains_key(*f)) {
        return false;
    }
    let u32_ok = |v: &serde_json::Value| v.as_u64().is_some_and(|n| n <= u64::from(u32::MAX));
    map["token"].is_string()
        && (map["profile_key"].is_null() || map["profile_key"].is_string())
        && map["trust_root"].is_string()
        && map["peers"]
            .as_object()
            .is_some_and(|m| m.values().all(serde_json::Value::is_string))
        && map["sealed_from"].as_array().is_some_and(|a| {
            a.iter().all(|e| {
                e.as_array()
                    .is_some_and(|p| p.len() == 2 && p[0].is_string() && u32_ok(&p[1]))
            })
        })
        && map["pending_acks"]
            .as_array()
            .is_some_and(|a| a.iter().all(|n| n.as_i64().is_some()))
        && u32_ok(&map["uploaded_prekey_max"])
        && map["signed_prekey_at"].as_u64().is_some()
        && map["next_prekey_check"].as_u64().is_some()
}

/// The refusal 10.2's checks give, in their order, from the document alone.
fn document_state_refusal(store_key: &[u8; 32], input: &[u8]) -> Option<&'static str> {
    if input.first() != Some(&0x01) {
        return Some("StateFileError::UnknownVersion");
    }
    if input.len() < 1 + 12 + 16 {
        return Some("StateFileError::Truncated");
    }
    let key: SecretBytes<32> = kdf::hkdf_sha256(None, store_key, LABEL);
    let mut ad = vec![0x01];
    ad.extend_from_slice(LABEL);
    let Ok(json) = aead::open(&key, input[1..13].try_into().unwrap(), &ad, &input[13..]) else {
        return Some("StateFileError::WrongKeyOrCorrupted");
    };
    (!document_state_json_ok(&json)).then_some("StateFileError::Malformed")
}

fn content_error_name(e: ContentError) -> &'static str {
    match e {
        ContentError::UnknownVersion(_) => "ContentError::UnknownVersion",
        ContentError::Truncated => "ContentError::Truncated",
        ContentError::UnknownKind(_) => "ContentError::UnknownKind",
        ContentError::Order => "ContentError::Order",
        ContentError::Share => "ContentError::Share",
        ContentError::NotUtf8 => "ContentError::NotUtf8",
        ContentError::NoText => "ContentError::NoText",
        _ => "unknown",
    }
}

fn state_error_name(e: StateFileError) -> &'static str {
    match e {
        StateFileError::UnknownVersion(_) => "StateFileError::UnknownVersion",
        StateFileError::Truncated => "StateFileError::Truncated",
        StateFileError::WrongKeyOrCorrupted => "StateFileError::WrongKeyOrCorrupted",
        StateFileError::Malformed => "StateFileError::Malformed",
        _ => "unknown",
    }
}

/// The ID section 5 gives each error.
fn id_of(error: &str) -> &'static str {
    match error {
        "ContentError::UnknownVersion" => "CLI-CT-01",
        "ContentError::Truncated" => "CLI-CT-02",
        "ContentError::UnknownKind" => "CLI-CT-03",
        "ContentError::Order" => "CLI-CT-04",
        "ContentError::Share" => "CLI-CT-05",
        "ContentError::NotUtf8" => "CLI-CT-06",
        "ContentError::NoText" => "CLI-CT-07",
        "StateFileError::UnknownVersion" => "CLI-ST-01",
        "StateFileError::Truncated" => "CLI-ST-02",
        "StateFileError::WrongKeyOrCorrupted" => "CLI-ST-03",
        "StateFileError::Malformed" => "CLI-ST-04",
        _ => "unknown",
    }
}

fn check_negative(case: &ClientNegative) -> Result<(), String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    let (document, got) = match case.operation.as_str() {
        "content" => (
            document_content_refusal(&input),
            content::decode(&input).err().map(content_error_name),
        ),
        "state" => {
            let store_key: [u8; 32] = hex::decode(&case.store_key)
                .map_err(|e| e.to_string())?
                .try_into()
                .map_err(|_| "store key length")?;
            (
                document_state_refusal(&store_key, &input),
                open_state_file(&state_key(&SecretBytes::new(store_key)), &input)
                    .err()
                    .map(state_error_name),
            )
        }
        other => return Err(format!("operation {other}")),
    };
    if document != Some(case.expected_error.as_str()) {
        return Err(format!("the document refuses with {document:?}"));
    }
    if got != Some(case.expected_error.as_str()) {
        return Err(format!("the implementation refuses with {got:?}"));
    }
    if id_of(&case.expected_error) != case.validation_id {
        return Err(format!(
            "{} is not {}",
            case.expected_error, case.validation_id
        ));
    }
    Ok(())
}

#[test]
fn the_file_is_what_the_generator_writes() {
    assert_eq!(load(), generate().unwrap());
}

#[test]
fn every_content_rebuilds_from_the_document_and_decodes() {
    let v = load();
    assert_eq!((v.content_version, v.kind_text, v.kind_share), (1, 1, 2));
    assert_eq!(v.content.len(), 4);
    for case in &v.content {
        let text = hex::decode(&case.text_utf8).unwrap();
        assert_eq!(text, case.text.as_bytes(), "{}", case.name);
        let key = (!case.share_profile_key.is_empty())
            .then(|| hex::decode(&case.share_profile_key).unwrap());
        let bytes = hex::decode(&case.content).unwrap();
        assert_eq!(
            document_content(&text, key.as_deref()),
            bytes,
            "{}",
            case.name
        );
        let back = content::decode(&bytes).unwrap();
        assert_eq!(back.text, case.text);
        assert_eq!(back.share.map(|k| k.expose().to_vec()), key);
    }
    let names: Vec<&str> = v.content.iter().map(|c| c.text.as_str()).collect();
    assert!(names.contains(&""));
    assert!(names.iter().any(|t| !t.is_ascii()));
    assert!(v.content.iter().any(|c| !c.share_profile_key.is_empty()));
}

#[test]
fn every_state_file_rebuilds_from_the_document_and_opens() {
    let v = load();
    assert_eq!(v.state_version, 1);
    assert_eq!(hex::decode(&v.state_label).unwrap(), LABEL);
    assert_eq!(LABEL, sotto_crypto::labels::CLIENT_STATE);
    assert_eq!(v.state.len(), 2);
    for case in &v.state {
        let store_key: [u8; 32] = hex::decode(&case.store_key).unwrap().try_into().unwrap();
        let nonce: [u8; 12] = hex::decode(&case.nonce).unwrap().try_into().unwrap();
        let file = hex::decode(&case.file).unwrap();
        let mut ad = vec![0x01];
        ad.extend_from_slice(LABEL);
        assert_eq!(hex::decode(&case.associated_data).unwrap(), ad);
        let key: SecretBytes<32> = kdf::hkdf_sha256(None, &store_key, LABEL);
        assert_eq!(hex::decode(&case.state_key).unwrap(), key.expose());
        assert_eq!(
            document_state_file(&store_key, &nonce, case.json.as_bytes()),
            file,
            "{}",
            case.name
        );
        assert!(
            document_state_json_ok(case.json.as_bytes()),
            "{}",
            case.name
        );
        let json = open_state_file(&state_key(&SecretBytes::new(store_key)), &file).unwrap();
        assert_eq!(json.as_slice(), case.json.as_bytes());
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
        assert_eq!(run_negative(case), Ok(case.expected_error.clone()));
        covered.insert(case.validation_id.clone());
    }
    let ids = validation_ids(&["CLI-"]);
    assert_eq!(ids.len(), 11, "CLI IDs in docs/protocol.md section 5");
    assert_eq!(covered, ids);
    // The IDs in the order the document lists them are the cases' order of first appearance.
    let mut order: Vec<&str> = Vec::new();
    for case in &v.negative {
        if order.last() != Some(&case.validation_id.as_str()) {
            order.push(&case.validation_id);
        }
    }
    assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn a_mutated_vector_fails() {
    let v = load();
    // Every byte of every content, flipped, no longer decodes to the case's text and share.
    for case in &v.content {
        let bytes = hex::decode(&case.content).unwrap();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            let same = content::decode(&b).is_ok_and(|c| {
                c.text == case.text
                    && c.share.map(|k| hex::encode(k.expose())).unwrap_or_default()
                        == case.share_profile_key
            });
            assert!(!same, "{}: byte {i}", case.name);
        }
    }
    // Every byte of every state file, flipped, is refused.
    for case in &v.state {
        let store_key: [u8; 32] = hex::decode(&case.store_key).unwrap().try_into().unwrap();
        let key = state_key(&SecretBytes::new(store_key));
        let file = hex::decode(&case.file).unwrap();
        for i in 0..file.len() {
            let mut b = file.clone();
            b[i] ^= 0x01;
            assert!(
                open_state_file(&key, &b).is_err(),
                "{}: byte {i}",
                case.name
            );
        }
    }
    // A negative case with another expected error or ID, or an accepted input, fails.
    let mut case = v.negative[0].clone();
    case.expected_error = "ContentError::Truncated".into();
    assert!(check_negative(&case).is_err());
    let mut case = v.negative[0].clone();
    case.validation_id = "CLI-CT-02".into();
    assert!(check_negative(&case).is_err());
    let mut case = v.negative[0].clone();
    case.input = v.content[0].content.clone();
    assert!(check_negative(&case).is_err());
}
