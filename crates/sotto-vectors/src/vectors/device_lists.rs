//! `docs/vectors/device-lists.json`: signed device lists of protocol.md 8.1 with every input
//! and the signed message, and the lists a decoder must refuse (DEV-01..DEV-05), each checked
//! against this implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto_crypto::labels::DEVICE_LIST_SIGNATURE;
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, SignedDeviceList};
use sotto_handshake::DeviceIdentity;

use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceListVectors {
    /// Free text.
    pub description: String,
    /// Lists that decode and verify.
    pub lists: Vec<DeviceListVector>,
    /// Inputs that are refused.
    pub negative: Vec<DeviceListNegative>,
}

/// One device in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceVector {
    /// The device id.
    pub device_id: u32,
    /// The device identity's Ed25519 seed (its private input).
    pub signing_seed: String,
    /// The device identity's X25519 private key.
    pub identity_private: String,
    /// The 64-byte public identity.
    pub identity: String,
}

/// A signed device list with its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceListVector {
    /// What the case is.
    pub name: String,
    /// The account key's Ed25519 seed.
    pub account_key_seed: String,
    /// The public account key.
    pub account_key: String,
    /// The account id.
    pub account_id: String,
    /// The version.
    pub version: u64,
    /// The creation time.
    pub created_at: u64,
    /// The devices, by increasing id.
    pub devices: Vec<DeviceVector>,
    /// `DEVICE_LIST_SIGNATURE || device_list without its signature`.
    pub signed_message: String,
    /// The Ed25519 signature.
    pub signature: String,
    /// The wire bytes.
    pub device_list: String,
}

/// An input the decoder refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceListNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// The bytes.
    pub input: String,
    /// `DeviceListError::Variant`.
    pub expected_error: String,
}

/// Decodes `input`: the refusal's name, or what happened instead.
pub fn run_negative(input: &[u8]) -> Result<String, String> {
    refusal(
        SignedDeviceList::from_bytes(input),
        "DeviceListError",
        "decoded",
    )
}

fn build(
    name: &str,
    seed: u64,
    version: u64,
    ids: &[u32],
) -> Result<(DeviceListVector, Vec<u8>), VectorError> {
    let mut rng = RecordingRng::new(seed);
    let key = AccountKey::generate(&mut rng);
    let account_id = AccountId::generate(&mut rng);
    let mut devices = Vec::new();
    let mut entries = Vec::new();
    for &device_id in ids {
        let identity = DeviceIdentity::generate(&mut rng);
        devices.push(DeviceVector {
            device_id,
            signing_seed: h(identity.signing_key().expose_seed()),
            identity_private: h(identity.agreement_key().secret_key().expose()),
            identity: h(&identity.public().to_bytes()),
        });
        entries.push(DeviceEntry::new(device_id, identity.public()));
    }
    let created_at = super::handshake::NOW + version;
    let list = DeviceList::new(account_id, version, created_at, entries)
        .map_err(|e| script_error(0, e))?;
    let signed = list.sign(&key);
    let bytes = signed.as_bytes().to_vec();
    let (body, signature) = bytes.split_at(bytes.len() - 64);
    let mut message = DEVICE_LIST_SIGNATURE.to_vec();
    message.extend_from_slice(body);
    SignedDeviceList::from_bytes(&bytes).map_err(|e| script_error(1, e))?;
    Ok((
        DeviceListVector {
            name: name.into(),
            account_key_seed: h(key.expose_seed()),
            account_key: h(&key.public().to_bytes()),
            account_id: h(&account_id.to_bytes()),
            version,
            created_at,
            devices,
            signed_message: h(&message),
            signature: h(signature),
            device_list: h(&bytes),
        },
        bytes,
    ))
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<DeviceListVectors, VectorError> {
    let (one, other) = build("one device", 0xde01, 1, &[1])?;
    let (three, good) = build("three devices after two links", 0xde02, 3, &[1, 2, 5])?;
    let mut negative: Vec<DeviceListNegative> = Vec::new();
    let mut push = |validation_id: &str, comment: &str, input: Vec<u8>, expected: &str| {
        match run_negative(&input) {
            Ok(got) if got == expected => {}
            other => {
                return Err(script_error(
                    negative.len() + 1,
                    format!("{validation_id} {comment}: expected {expected}, got {other:?}"),
                ));
            }
        }
        negative.push(DeviceListNegative {
            id: negative.len() + 1,
            validation_id: validation_id.into(),
            comment: comment.into(),
            input: h(&input),
            expected_error: expected.into(),
        });
        Ok(())
    };
    let header = 67;
    let entry = 68;
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    push(
        "DEV-01",
        "empty input",
        Vec::new(),
        "DeviceListError::UnknownVersion",
    )?;
    for (tag, what) in [
        (0x01, "the unversioned byte 0x01"),
        (0x14, "a prekey bundle's tag 0x14"),
        (0x28, "tag 0x28 (format version 2)"),
    ] {
        push(
            "DEV-01",
            &format!("the three-device list with its first byte replaced by {what}"),
            with(&|b| b[0] = tag),
            "DeviceListError::UnknownVersion",
        )?;
    }
    push(
        "DEV-02",
        "the 66-byte header alone",
        good[..header - 1].to_vec(),
        "DeviceListError::Length",
    )?;
    push(
        "DEV-02",
        "the list without its last byte",
        good[..good.len() - 1].to_vec(),
        "DeviceListError::Length",
    )?;
    push(
        "DEV-02",
        "the list with one trailing zero byte",
        with(&|b| b.push(0)),
        "DeviceListError::Length",
    )?;
    push(
        "DEV-02",
        "device count 0",
        with(&|b| b[header - 2..header].copy_from_slice(&0u16.to_be_bytes())),
        "DeviceListError::DeviceCount",
    )?;
    push(
        "DEV-02",
        "device count 33 (more than MAX_DEVICES = 32)",
        with(&|b| b[header - 2..header].copy_from_slice(&33u16.to_be_bytes())),
        "DeviceListError::DeviceCount",
    )?;
    push(
        "DEV-02",
        "device count 4 with three entries",
        with(&|b| b[header - 2..header].copy_from_slice(&4u16.to_be_bytes())),
        "DeviceListError::Length",
    )?;
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    push(
        "DEV-03",
        "account key y = 2, which is not on the curve",
        with(&|b| b[17..49].copy_from_slice(&not_a_point)),
        "DeviceListError::InvalidKey",
    )?;
    push(
        "DEV-03",
        "the second device's X25519 key replaced by 0xff x 32 (not canonical)",
        with(&|b| {
            let at = header + entry + 4 + 32;
            b[at..at + 32].fill(0xff);
        }),
        "DeviceListError::InvalidKey",
    )?;
    push(
        "DEV-03",
        "the first device's Ed25519 key y = 2 (not a point)",
        with(&|b| b[header + 4..header + 36].copy_from_slice(&not_a_point)),
        "DeviceListError::InvalidKey",
    )?;
    for (first, second, what) in [
        (2u32, 1u32, "set to 2, 1 (out of order)"),
        (1, 1, "set to 1, 1 (repeated)"),
        (0, 2, "set to 0, 2 (a device id 0)"),
    ] {
        push(
            "DEV-04",
            &format!("the first two device ids {what}"),
            with(&|b| {
                b[header..header + 4].copy_from_slice(&first.to_be_bytes());
                b[header + entry..header + entry + 4].copy_from_slice(&second.to_be_bytes());
            }),
            "DeviceListError::DeviceIds",
        )?;
    }
    for (at, what) in [
        (1, "the first byte of the account id"),
        (49, "the first byte of the version"),
        (57, "the first byte of the creation time"),
        (
            header + 20,
            "byte 16 of the first device's Ed25519 key (still a point)",
        ),
        (good.len() - 1, "the last byte of the signature"),
    ] {
        push(
            "DEV-05",
            &format!("bit 0 of {what} flipped"),
            with(&|b| b[at] ^= 0x01),
            "DeviceListError::Signature",
        )?;
    }
    push(
        "DEV-05",
        "the account key replaced by lists[0]'s (the list is not signed by it)",
        with(&|b| b[17..49].copy_from_slice(&other[17..49])),
        "DeviceListError::Signature",
    )?;
    push(
        "DEV-05",
        "the version raised from 3 to 4 (a relay forging a newer list)",
        with(&|b| b[49..57].copy_from_slice(&4u64.to_be_bytes())),
        "DeviceListError::Signature",
    )?;
    Ok(DeviceListVectors {
        description: "Sotto/1 signed device lists (docs/protocol.md 8.1): every input, the \
                      signed message and the bytes; then inputs a decoder refuses, with their \
                      validation IDs (the error names are this implementation's)."
            .into(),
        lists: vec![one, three],
        negative,
    })
}
