//! docs/vectors/certificates.json against the public API: the trust root, the server
//! certificate and the sender certificate rebuild from their inputs byte for byte and verify;
//! every negative case (SEAL-CERT-01..11) is refused as listed, and the cases cover exactly the
//! SEAL-CERT IDs of protocol.md section 5.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::certificate::{
    CertificateStore, SenderCertificate, ServerCertificate, ServerKey, TrustRootKey,
};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::certificates::{CertificateVectors, run_negative};

fn load() -> CertificateVectors {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/certificates.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn secret(s: &str) -> SecretBytes<32> {
    SecretBytes::from_slice(&unhex(s)).unwrap()
}

/// `label || certificate without its 64-byte signature`, hex.
fn signed(label: &[u8], certificate: &[u8]) -> String {
    let mut m = label.to_vec();
    m.extend_from_slice(&certificate[..certificate.len() - 64]);
    hex::encode(m)
}

#[test]
fn both_certificates_rebuild_from_their_inputs_and_verify() {
    let v = load();
    let root = TrustRootKey::from_seed(secret(&v.root_seed));
    assert_eq!(hex::encode(root.public().to_bytes()), v.root);

    let s = &v.server;
    let server_key = ServerKey::from_seed(s.key_id, secret(&s.server_key_seed));
    assert_eq!(hex::encode(server_key.public().to_bytes()), s.server_key);
    let server = root
        .certify(s.key_id, &server_key.public(), s.not_before, s.not_after)
        .unwrap();
    let server_bytes = unhex(&s.certificate);
    assert_eq!(server.as_bytes(), server_bytes.as_slice());
    assert_eq!(server_bytes.len(), 118);
    assert_eq!(hex::encode(&server_bytes[54..]), s.signature);
    assert_eq!(
        signed(b"Sotto/1 sealed server certificate", &server_bytes),
        s.signed_message
    );
    assert_eq!(
        ServerCertificate::from_bytes(&server_bytes, &root.public()).unwrap(),
        server
    );

    let c = &v.sender;
    let device = DeviceIdentity::from_keys(
        SigningKey::from_seed(secret(&c.signing_seed)),
        KeyPair::from_secret(SecretKey::from_bytes(secret(&c.identity_private))),
    );
    assert_eq!(hex::encode(device.public().to_bytes()), c.identity);
    assert_eq!(c.server_key_id, s.key_id);
    let account = AccountId::from_bytes(unhex(&c.account_id).try_into().unwrap());
    let sender = server_key.issue(account, c.device_id, &device.public(), c.expires);
    let sender_bytes = unhex(&c.certificate);
    assert_eq!(sender.as_bytes(), sender_bytes.as_slice());
    assert_eq!(sender_bytes.len(), 162);
    assert_eq!(hex::encode(&sender_bytes[98..]), c.signature);
    assert_eq!(
        signed(b"Sotto/1 sealed sender certificate", &sender_bytes),
        c.signed_message
    );

    let mut store = CertificateStore::new(root.public());
    store.add(&server_bytes).unwrap();
    let decoded = SenderCertificate::from_bytes(&sender_bytes).unwrap();
    assert_eq!(decoded, sender);
    let verified = decoded.verify(&store, c.verify_at).unwrap();
    assert_eq!(verified.account_id(), account);
    assert_eq!(verified.device_id(), c.device_id);
    assert_eq!(verified.identity(), &device.public());
    assert_eq!(verified.expires(), c.expires);
    assert_eq!(verified.server_key_id(), s.key_id);
    // Exactly at the expiry it still verifies; one second later it does not.
    assert!(decoded.verify(&store, c.expires).is_ok());
    assert!(decoded.verify(&store, c.expires + 1).is_err());
}

#[test]
fn every_negative_case_is_refused_as_listed() {
    let v = load();
    for case in &v.negative {
        assert_eq!(
            run_negative(&v, case).as_deref(),
            Ok(case.expected_error.as_str()),
            "case {} ({}): {}",
            case.id,
            case.validation_id,
            case.comment
        );
    }
    let covered: BTreeSet<String> = v.negative.iter().map(|c| c.validation_id.clone()).collect();
    let documented = validation_ids(&["SEAL-CERT-"]);
    assert!(documented.len() >= 11, "section 5: {documented:?}");
    assert_eq!(covered, documented);
    // The check can fail: the valid certificates are not refused.
    let mut valid = v.negative[0].clone();
    valid.operation = "server_decode".into();
    valid.input = v.server.certificate.clone();
    assert!(run_negative(&v, &valid).is_err());
    valid.operation = "sender_verify".into();
    valid.input = v.sender.certificate.clone();
    valid.now = v.sender.verify_at;
    assert!(run_negative(&v, &valid).is_err());
}
