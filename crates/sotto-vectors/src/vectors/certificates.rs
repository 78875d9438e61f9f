//! `docs/vectors/certificates.json`: the sealed-sender certificates of protocol.md 9.2 (a
//! trust root, a server certificate, a sender certificate) with every input and both signed
//! messages, and the inputs a decoder or verifier must refuse (SEAL-CERT-01..11), each checked
//! against this implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto_crypto::SecretBytes;
use sotto_crypto::labels::{SEALED_SENDER_CERTIFICATE, SEALED_SERVER_CERTIFICATE};
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::certificate::{
    CertificateError, CertificateStore, SenderCertificate, ServerCertificate, ServerKey, TrustRoot,
    TrustRootKey,
};

use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The server certificate's first second of validity.
pub const NOT_BEFORE: u64 = super::handshake::NOW;
/// Its last second (90 days later).
pub const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;
/// The sender certificate's last second (one day after `NOT_BEFORE`).
pub const EXPIRES: u64 = NOT_BEFORE + 86_400;
/// The verification time of the positive case.
pub const VERIFY_AT: u64 = NOT_BEFORE + 3_600;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateVectors {
    /// Free text.
    pub description: String,
    /// The trust root's Ed25519 seed.
    pub root_seed: String,
    /// The trust root (public key).
    pub root: String,
    /// The server certificate.
    pub server: ServerCertificateVector,
    /// The sender certificate.
    pub sender: SenderCertificateVector,
    /// Inputs that are refused.
    pub negative: Vec<CertificateNegative>,
}

/// The server certificate with its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCertificateVector {
    /// The key id.
    pub key_id: u32,
    /// The server key's Ed25519 seed.
    pub server_key_seed: String,
    /// The server key (public).
    pub server_key: String,
    /// First second of validity.
    pub not_before: u64,
    /// Last second of validity.
    pub not_after: u64,
    /// `SEALED_SERVER_CERTIFICATE || the certificate without its signature`.
    pub signed_message: String,
    /// The root's signature.
    pub signature: String,
    /// The wire bytes.
    pub certificate: String,
}

/// The sender certificate with its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderCertificateVector {
    /// The account id.
    pub account_id: String,
    /// The device id.
    pub device_id: u32,
    /// The device identity's Ed25519 seed.
    pub signing_seed: String,
    /// The device identity's X25519 private key.
    pub identity_private: String,
    /// The 64-byte device identity.
    pub identity: String,
    /// Last second of validity.
    pub expires: u64,
    /// The server key id.
    pub server_key_id: u32,
    /// `SEALED_SENDER_CERTIFICATE || the certificate without its signature`.
    pub signed_message: String,
    /// The server key's signature.
    pub signature: String,
    /// The wire bytes.
    pub certificate: String,
    /// A time at which it verifies against a store holding the server certificate.
    pub verify_at: u64,
}

/// An input that is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// `server_decode` (decode `input` as a server certificate against `root`),
    /// `sender_verify` (decode `input` as a sender certificate, then verify it at `now`
    /// against a store holding `server.certificate`, with the key ids of `revoked` revoked),
    /// or `store_add` (add `input` to such a store).
    pub operation: String,
    /// The bytes.
    pub input: String,
    /// The verification time (`sender_verify`).
    pub now: u64,
    /// Key ids revoked in the store (`sender_verify`).
    pub revoked: Vec<u32>,
    /// `CertificateError::Variant`.
    pub expected_error: String,
}

/// Runs one negative case against this implementation: the refusal's name, or what happened
/// instead.
pub fn run_negative(v: &CertificateVectors, case: &CertificateNegative) -> Result<String, String> {
    let root: [u8; 32] = hex::decode(&v.root)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("root hex")?;
    let root = TrustRoot::from_bytes(&root).map_err(|e| e.to_string())?;
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    let mut store = CertificateStore::new(root);
    let server = hex::decode(&v.server.certificate).map_err(|e| e.to_string())?;
    store.add(&server).map_err(|e| format!("store: {e}"))?;
    for &id in &case.revoked {
        store.revoke(id);
    }
    let name = "CertificateError";
    match case.operation.as_str() {
        "server_decode" => refusal(
            ServerCertificate::from_bytes(&input, &root),
            name,
            "decoded",
        ),
        "sender_verify" => refusal(
            SenderCertificate::from_bytes(&input).and_then(|c| c.verify(&store, case.now)),
            name,
            "verified",
        ),
        "store_add" => refusal(store.add(&input).map(|_| ()), name, "added"),
        other => Err(format!("unknown operation {other}")),
    }
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<CertificateVectors, VectorError> {
    let mut rng = RecordingRng::new(0x5ea1);
    let root_key = TrustRootKey::generate(&mut rng);
    let server_key = ServerKey::generate(7, &mut rng);
    let device = DeviceIdentity::generate(&mut rng);
    let account_id = AccountId::generate(&mut rng);
    let server = root_key
        .certify(7, &server_key.public(), NOT_BEFORE, NOT_AFTER)
        .map_err(|e| script_error(0, e))?;
    let sender = server_key.issue(account_id, 3, &device.public(), EXPIRES);
    let server_bytes = server.as_bytes().to_vec();
    let sender_bytes = sender.as_bytes().to_vec();
    let mut store = CertificateStore::new(root_key.public());
    store.add(&server_bytes).map_err(|e| script_error(1, e))?;
    SenderCertificate::from_bytes(&sender_bytes)
        .and_then(|c| c.verify(&store, VERIFY_AT))
        .map_err(|e| script_error(2, e))?;
    let signed = |label: &[u8], bytes: &[u8]| {
        let mut m = label.to_vec();
        m.extend_from_slice(&bytes[..bytes.len() - 64]);
        h(&m)
    };
    let mut v = CertificateVectors {
        description: "Sotto/1 sealed-sender certificates (docs/protocol.md 9.2): the trust \
                      root, a server certificate it signs and a sender certificate the server \
                      key signs, with every input and both signed messages; then inputs a \
                      decoder or verifier refuses, with their validation IDs (the error names \
                      are this implementation's)."
            .into(),
        root_seed: h(root_key.expose_seed()),
        root: h(&root_key.public().to_bytes()),
        server: ServerCertificateVector {
            key_id: 7,
            server_key_seed: h(server_key.expose_seed()),
            server_key: h(&server_key.public().to_bytes()),
            not_before: NOT_BEFORE,
            not_after: NOT_AFTER,
            signed_message: signed(SEALED_SERVER_CERTIFICATE, &server_bytes),
            signature: h(&server_bytes[server_bytes.len() - 64..]),
            certificate: h(&server_bytes),
        },
        sender: SenderCertificateVector {
            account_id: h(&account_id.to_bytes()),
            device_id: 3,
            signing_seed: h(device.signing_key().expose_seed()),
            identity_private: h(device.agreement_key().secret_key().expose()),
            identity: h(&device.public().to_bytes()),
            expires: EXPIRES,
            server_key_id: 7,
            signed_message: signed(SEALED_SENDER_CERTIFICATE, &sender_bytes),
            signature: h(&sender_bytes[sender_bytes.len() - 64..]),
            certificate: h(&sender_bytes),
            verify_at: VERIFY_AT,
        },
        negative: Vec::new(),
    };

    // Other keys: another root and another server key of the same id, from their own seeds.
    let other_root = TrustRootKey::from_seed(SecretBytes::new([0x52; 32]));
    let other_server = ServerKey::from_seed(7, SecretBytes::new([0x53; 32]));
    let unknown_server = ServerKey::from_seed(8, SecretBytes::new(*server_key.expose_seed()));
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let with = |base: &[u8], f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = base.to_vec();
        f(&mut b);
        b
    };
    let identity = device.public();
    // The first byte of the device's Ed25519 key whose bit 0 flipped still gives a point.
    let point_byte = (22..54)
        .find(|&at| {
            let b = with(&sender_bytes, &|b| b[at] ^= 0x01);
            SenderCertificate::from_bytes(&b).is_ok()
        })
        .ok_or_else(|| script_error(7, "no flippable Ed25519 byte"))?;
    type Case = (
        &'static str,
        String,
        &'static str,
        Vec<u8>,
        u64,
        Vec<u32>,
        &'static str,
    );
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |id, comment: &str, op, input, now, revoked, error| {
        cases.push((id, comment.to_string(), op, input, now, revoked, error));
    };
    let (sd, sv, sa) = ("server_decode", "sender_verify", "store_add");
    add(
        "SEAL-CERT-01",
        "empty input (server)",
        sd,
        Vec::new(),
        0,
        vec![],
        "WrongTag",
    );
    add(
        "SEAL-CERT-01",
        "empty input (sender)",
        sv,
        Vec::new(),
        VERIFY_AT,
        vec![],
        "WrongTag",
    );
    for (tag, what) in [
        (0x01, "the unversioned byte 0x01"),
        (0x18, "a device list's tag 0x18"),
        (0x1f, "a sealed envelope's tag 0x1f"),
        (0x2e, "tag 0x2e (format version 2)"),
    ] {
        add(
            "SEAL-CERT-01",
            &format!("the server certificate with its first byte replaced by {what}"),
            sd,
            with(&server_bytes, &|b| b[0] = tag),
            0,
            vec![],
            "WrongTag",
        );
    }
    add(
        "SEAL-CERT-01",
        "the sender certificate with its first byte replaced by a device list's tag 0x18",
        sv,
        with(&sender_bytes, &|b| b[0] = 0x18),
        VERIFY_AT,
        vec![],
        "WrongTag",
    );
    add(
        "SEAL-CERT-02",
        "the tag alone (missing subtype counts as 0x00)",
        sd,
        vec![0x1e],
        0,
        vec![],
        "WrongSubtype",
    );
    add(
        "SEAL-CERT-02",
        "the sender certificate decoded as a server certificate",
        sd,
        sender_bytes.clone(),
        0,
        vec![],
        "WrongSubtype",
    );
    add(
        "SEAL-CERT-02",
        "the server certificate decoded as a sender certificate",
        sv,
        server_bytes.clone(),
        VERIFY_AT,
        vec![],
        "WrongSubtype",
    );
    add(
        "SEAL-CERT-02",
        "the server certificate with subtype 0x03",
        sd,
        with(&server_bytes, &|b| b[1] = 0x03),
        0,
        vec![],
        "WrongSubtype",
    );
    add(
        "SEAL-CERT-03",
        "the server certificate without its last byte",
        sd,
        server_bytes[..117].to_vec(),
        0,
        vec![],
        "Length",
    );
    add(
        "SEAL-CERT-03",
        "the server certificate with a trailing zero byte",
        sd,
        with(&server_bytes, &|b| b.push(0)),
        0,
        vec![],
        "Length",
    );
    add(
        "SEAL-CERT-03",
        "tag and subtype of a server certificate alone",
        sd,
        server_bytes[..2].to_vec(),
        0,
        vec![],
        "Length",
    );
    add(
        "SEAL-CERT-03",
        "the sender certificate without its last byte",
        sv,
        sender_bytes[..161].to_vec(),
        VERIFY_AT,
        vec![],
        "Length",
    );
    add(
        "SEAL-CERT-03",
        "the sender certificate with a trailing zero byte",
        sv,
        with(&sender_bytes, &|b| b.push(0)),
        VERIFY_AT,
        vec![],
        "Length",
    );
    add(
        "SEAL-CERT-04",
        "the server key replaced by y = 2, which is not on the curve",
        sd,
        with(&server_bytes, &|b| b[6..38].copy_from_slice(&not_a_point)),
        0,
        vec![],
        "InvalidKey",
    );
    add(
        "SEAL-CERT-04",
        "the device identity's Ed25519 key replaced by y = 2 (not a point)",
        sv,
        with(&sender_bytes, &|b| b[22..54].copy_from_slice(&not_a_point)),
        VERIFY_AT,
        vec![],
        "InvalidKey",
    );
    add(
        "SEAL-CERT-04",
        "the device identity's X25519 key replaced by 0xff x 32 (not canonical)",
        sv,
        with(&sender_bytes, &|b| b[54..86].fill(0xff)),
        VERIFY_AT,
        vec![],
        "InvalidKey",
    );
    add(
        "SEAL-CERT-05",
        "not_before and not_after swapped (refused before the signature is checked)",
        sd,
        with(&server_bytes, &|b| {
            b[38..46].copy_from_slice(&NOT_AFTER.to_be_bytes());
            b[46..54].copy_from_slice(&NOT_BEFORE.to_be_bytes());
        }),
        0,
        vec![],
        "InvertedWindow",
    );
    let foreign = other_root
        .certify(7, &server_key.public(), NOT_BEFORE, NOT_AFTER)
        .map_err(|e| script_error(3, e))?;
    add(
        "SEAL-CERT-06",
        "the same server certificate signed by another root (seed 0x52 x 32)",
        sd,
        foreign.as_bytes().to_vec(),
        0,
        vec![],
        "Signature",
    );
    for (at, what) in [
        (2, "the first byte of the key id"),
        (45, "the last byte of not_before"),
        (53, "the last byte of not_after"),
        (117, "the last byte of the signature"),
    ] {
        add(
            "SEAL-CERT-06",
            &format!("the server certificate with bit 0 of {what} flipped"),
            sd,
            with(&server_bytes, &|b| b[at] ^= 0x01),
            0,
            vec![],
            "Signature",
        );
    }
    add(
        "SEAL-CERT-06",
        "the not_after raised by a year (a relay extending its own key)",
        sd,
        with(&server_bytes, &|b| {
            b[46..54].copy_from_slice(&(NOT_AFTER + 365 * 86_400).to_be_bytes())
        }),
        0,
        vec![],
        "Signature",
    );
    add(
        "SEAL-CERT-06",
        "a sender certificate for the same device signed by another key (seed 0x53 x 32) under key id 7",
        sv,
        other_server
            .issue(account_id, 3, &identity, EXPIRES)
            .as_bytes()
            .to_vec(),
        VERIFY_AT,
        vec![],
        "Signature",
    );
    for (at, what) in [
        (2, "the first byte of the account id"),
        (21, "the last byte of the device id"),
        (
            point_byte,
            "the first byte of the device's Ed25519 key that leaves a point",
        ),
        (161, "the last byte of the signature"),
    ] {
        add(
            "SEAL-CERT-06",
            &format!("the sender certificate with bit 0 of {what} (byte {at}) flipped"),
            sv,
            with(&sender_bytes, &|b| b[at] ^= 0x01),
            VERIFY_AT,
            vec![],
            "Signature",
        );
    }
    add(
        "SEAL-CERT-06",
        "the expiry raised by a day (a sender extending its certificate)",
        sv,
        with(&sender_bytes, &|b| {
            b[86..94].copy_from_slice(&(EXPIRES + 86_400).to_be_bytes())
        }),
        VERIFY_AT,
        vec![],
        "Signature",
    );
    add(
        "SEAL-CERT-07",
        "a sender certificate signed by the server key under key id 8, which the store does not hold",
        sv,
        unknown_server
            .issue(account_id, 3, &identity, EXPIRES)
            .as_bytes()
            .to_vec(),
        VERIFY_AT,
        vec![],
        "UnknownServerKey",
    );
    add(
        "SEAL-CERT-07",
        "the sender certificate with the last byte of its server key id flipped to 6",
        sv,
        with(&sender_bytes, &|b| b[97] ^= 0x01),
        VERIFY_AT,
        vec![],
        "UnknownServerKey",
    );
    add(
        "SEAL-CERT-08",
        "the sender certificate with key id 7 revoked",
        sv,
        sender_bytes.clone(),
        VERIFY_AT,
        vec![7],
        "Revoked",
    );
    add(
        "SEAL-CERT-09",
        "the sender certificate one second before the server certificate's not_before",
        sv,
        sender_bytes.clone(),
        NOT_BEFORE - 1,
        vec![],
        "ServerCertificateNotYetValid",
    );
    let long = server_key.issue(account_id, 3, &identity, u64::MAX);
    add(
        "SEAL-CERT-09",
        "a sender certificate expiring at 2^64 - 1, one second after the server certificate's not_after",
        sv,
        long.as_bytes().to_vec(),
        NOT_AFTER + 1,
        vec![],
        "ServerCertificateExpired",
    );
    add(
        "SEAL-CERT-10",
        "the sender certificate one second after its expiry",
        sv,
        sender_bytes.clone(),
        EXPIRES + 1,
        vec![],
        "Expired",
    );
    let rival = root_key
        .certify(7, &other_server.public(), NOT_BEFORE, NOT_AFTER)
        .map_err(|e| script_error(4, e))?;
    add(
        "SEAL-CERT-11",
        "another certificate for key id 7 (the key of seed 0x53 x 32), signed by the root, added to a store that holds the server certificate",
        sa,
        rival.as_bytes().to_vec(),
        0,
        vec![],
        "ConflictingServerCertificate",
    );
    for (i, (validation_id, comment, operation, input, now, revoked, error)) in
        cases.into_iter().enumerate()
    {
        let case = CertificateNegative {
            id: i + 1,
            validation_id: validation_id.into(),
            comment,
            operation: operation.into(),
            input: h(&input),
            now,
            revoked,
            expected_error: format!("CertificateError::{error}"),
        };
        match run_negative(&v, &case) {
            Ok(got) if got == case.expected_error => {}
            other => {
                return Err(script_error(
                    case.id,
                    format!(
                        "{validation_id}: expected {}, got {other:?}",
                        case.expected_error
                    ),
                ));
            }
        }
        v.negative.push(case);
    }
    // The boundaries that pass: exactly at the expiry and at both ends of the window.
    for now in [EXPIRES, NOT_BEFORE] {
        SenderCertificate::from_bytes(&sender_bytes)
            .and_then(|c| c.verify(&store, now))
            .map_err(|e| script_error(5, e))?;
    }
    long.verify(&store, NOT_AFTER)
        .map_err(|e: CertificateError| script_error(6, e))?;
    Ok(v)
}
