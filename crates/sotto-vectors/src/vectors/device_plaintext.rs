//! `docs/vectors/device-plaintext.json`: the plaintext every device message carries inside
//! its AEAD (protocol.md 8.5), with every input and the bytes, and the plaintexts a receiver
//! refuses (DEV-PT-01 malformed, DEV-PT-02 misaddressed), each checked against this
//! implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto_devices::{AccountId, DevicePlaintext, FanOutError};

use super::{VectorError, h, script_error};

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePlaintextVectors {
    /// Free text.
    pub description: String,
    /// Plaintexts that decode.
    pub plaintexts: Vec<PlaintextVector>,
    /// Plaintexts a receiver refuses.
    pub negative: Vec<PlaintextNegative>,
}

/// One plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaintextVector {
    /// What the case shows.
    pub name: String,
    /// The sending account (16 bytes).
    pub sender: String,
    /// The sending device.
    pub sender_device: u32,
    /// The recipient account (16 bytes).
    pub recipient: String,
    /// The application's plaintext.
    pub body: String,
    /// The encoding.
    pub plaintext: String,
}

/// One refusal: a decrypted plaintext, the sender the relay named and the receiving account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaintextNegative {
    /// Position, from 1.
    pub id: usize,
    /// The validation ID.
    pub validation_id: String,
    /// What was done.
    pub comment: String,
    /// The decrypted bytes.
    pub input: String,
    /// The account the relay said the message came from.
    pub delivered_from: String,
    /// The device the relay said the message came from.
    pub delivered_from_device: u32,
    /// The account of the receiving device.
    pub receiver: String,
    /// This implementation's error.
    pub expected_error: String,
}

fn refused(
    input: &[u8],
    from: AccountId,
    from_device: u32,
    me: AccountId,
) -> Result<FanOutError, String> {
    match DevicePlaintext::from_bytes(input) {
        Err(e) => Ok(e),
        Ok(p) => match p.check_addressed(from, from_device, me) {
            Err(e) => Ok(e),
            Ok(()) => Err("accepted".into()),
        },
    }
}

/// Builds the file.
pub fn generate() -> Result<DevicePlaintextVectors, VectorError> {
    let alice = AccountId::from_bytes([0xa1; 16]);
    let bob = AccountId::from_bytes([0xb0; 16]);
    let mallory = AccountId::from_bytes([0x3a; 16]);
    let cases = [
        (
            "Alice's device 1 to Bob",
            alice,
            1,
            bob,
            b"hello Bob".to_vec(),
        ),
        (
            "Alice's device 3 to Bob, empty body",
            alice,
            3,
            bob,
            Vec::new(),
        ),
        (
            "Bob's device 2 to Alice",
            bob,
            2,
            alice,
            b"hi Alice".to_vec(),
        ),
    ];
    let mut plaintexts = Vec::new();
    for (name, sender, device, recipient, body) in cases {
        let p = DevicePlaintext::new(sender, device, recipient, body.clone());
        let bytes = p.to_bytes();
        if DevicePlaintext::from_bytes(&bytes).ok() != Some(p) {
            return Err(script_error(1, format!("{name}: does not round-trip")));
        }
        plaintexts.push(PlaintextVector {
            name: name.into(),
            sender: h(&sender.to_bytes()),
            sender_device: device,
            recipient: h(&recipient.to_bytes()),
            body: h(&body),
            plaintext: h(&bytes),
        });
    }
    let good = DevicePlaintext::new(alice, 1, bob, b"hello Bob".to_vec()).to_bytes();
    let mut version = good.clone();
    version[0] = 0x02;
    let mut zero = good.clone();
    zero[0] = 0x00;
    // (ID, comment, decrypted bytes, delivered from account and device, receiving account,
    // expected error).
    type Negative<'a> = (
        &'a str,
        &'a str,
        Vec<u8>,
        AccountId,
        u32,
        AccountId,
        FanOutError,
    );
    let negatives: Vec<Negative<'_>> = vec![
        (
            "DEV-PT-01",
            "empty",
            Vec::new(),
            alice,
            1,
            bob,
            FanOutError::Plaintext,
        ),
        (
            "DEV-PT-01",
            "the first plaintext with version byte 0x02",
            version,
            alice,
            1,
            bob,
            FanOutError::Plaintext,
        ),
        (
            "DEV-PT-01",
            "the first plaintext with version byte 0x00",
            zero,
            alice,
            1,
            bob,
            FanOutError::Plaintext,
        ),
        (
            "DEV-PT-01",
            "the first plaintext's 37-byte header without its last byte (36 bytes)",
            good[..36].to_vec(),
            alice,
            1,
            bob,
            FanOutError::Plaintext,
        ),
        (
            "DEV-PT-02",
            "the first plaintext delivered as from Mallory's device 1 (a relay-made account listing Alice's device)",
            good.clone(),
            mallory,
            1,
            bob,
            FanOutError::Misaddressed,
        ),
        (
            "DEV-PT-02",
            "the first plaintext delivered as from Alice's device 2",
            good.clone(),
            alice,
            2,
            bob,
            FanOutError::Misaddressed,
        ),
        (
            "DEV-PT-02",
            "the first plaintext delivered to a device of Mallory's account (to Bob, not from Mallory)",
            good.clone(),
            alice,
            1,
            mallory,
            FanOutError::Misaddressed,
        ),
    ];
    let mut negative = Vec::new();
    for (i, (id, comment, input, from, device, me, expected)) in negatives.into_iter().enumerate() {
        let got = refused(&input, from, device, me)
            .map_err(|e| script_error(10 + i, format!("{comment}: {e}")))?;
        if got != expected {
            return Err(script_error(10 + i, format!("{comment}: {got:?}")));
        }
        negative.push(PlaintextNegative {
            id: i + 1,
            validation_id: id.into(),
            comment: comment.into(),
            input: h(&input),
            delivered_from: h(&from.to_bytes()),
            delivered_from_device: device,
            receiver: h(&me.to_bytes()),
            expected_error: format!("FanOutError::{got:?}"),
        });
    }
    Ok(DevicePlaintextVectors {
        description: "Sotto/1 device plaintext (docs/protocol.md 8.5): what every device message \
                      carries inside its AEAD, and the plaintexts a receiver refuses; the error \
                      names are this implementation's."
            .into(),
        plaintexts,
        negative,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
