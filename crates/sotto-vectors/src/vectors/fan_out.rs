//! `docs/vectors/fan-out.json`: fan-outs of protocol.md 8.5 with every input and the bytes,
//! and the inputs a decoder must refuse (DEV-FO-01..DEV-FO-05, one per numbered check of the
//! decoding order), each checked against this implementation before it is written.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sotto_devices::{AccountId, FanOut};

use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOutVectors {
    /// Free text.
    pub description: String,
    /// `MAX_FAN_OUT_LEN`.
    pub max_fan_out_len: usize,
    /// Fan-outs that decode.
    pub fan_outs: Vec<FanOutVector>,
    /// Inputs that are refused.
    pub negative: Vec<FanOutNegative>,
}

/// One entry: a device id and its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryVector {
    /// The device id.
    pub device_id: u32,
    /// The device message (hex).
    pub message: String,
}

/// A fan-out with its inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOutVector {
    /// What the case is.
    pub name: String,
    /// The recipient account id.
    pub account_id: String,
    /// The entries, by increasing device id.
    pub entries: Vec<EntryVector>,
    /// The wire bytes.
    pub fan_out: String,
}

/// An input the decoder refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOutNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// The bytes (hex).
    pub input: String,
    /// When non-zero, `input` is followed by zero bytes up to `pad_to` bytes in all.
    pub pad_to: usize,
    /// `FanOutError::Variant`.
    pub expected_error: String,
}

impl FanOutNegative {
    /// The input with its padding.
    pub fn input_bytes(&self) -> Result<Vec<u8>, hex::FromHexError> {
        let mut input = hex::decode(&self.input)?;
        if self.pad_to > input.len() {
            input.resize(self.pad_to, 0);
        }
        Ok(input)
    }
}

/// Decodes `input`: the refusal's name, or what happened instead.
pub fn run_negative(input: &[u8]) -> Result<String, String> {
    refusal(FanOut::from_bytes(input), "FanOutError", "decoded")
}

/// A device message of `len` bytes starting with `tag`, the rest drawn from `rng`. The relay
/// reads only the first byte; the bytes after it stand for a ratchet or initial message.
fn message(rng: &mut RecordingRng, tag: u8, len: usize) -> Vec<u8> {
    let mut m = vec![0u8; len];
    rng.fill_bytes(&mut m);
    m[0] = tag;
    m
}

fn build(
    name: &str,
    rng: &mut RecordingRng,
    entries: Vec<(u32, Vec<u8>)>,
) -> Result<(FanOutVector, Vec<u8>), VectorError> {
    let account = AccountId::generate(rng);
    let fan_out = FanOut::new(account, entries.clone()).map_err(|e| script_error(0, e))?;
    let bytes = fan_out.to_bytes();
    if FanOut::from_bytes(&bytes).as_ref() != Ok(&fan_out) {
        return Err(script_error(1, format!("{name}: does not round-trip")));
    }
    Ok((
        FanOutVector {
            name: name.into(),
            account_id: h(&account.to_bytes()),
            entries: entries
                .iter()
                .map(|(device_id, m)| EntryVector {
                    device_id: *device_id,
                    message: h(m),
                })
                .collect(),
            fan_out: h(&bytes),
        },
        bytes,
    ))
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<FanOutVectors, VectorError> {
    let mut rng = RecordingRng::new(0xf0_0001);
    let first = message(&mut rng, 0x11, 57);
    let (one, _) = build("one entry", &mut rng, vec![(1, first)])?;
    let three_entries = vec![
        (1, message(&mut rng, 0x11, 60)),
        (2, message(&mut rng, 0x13, 120)),
        (7, message(&mut rng, 0x12, 95)),
    ];
    let (three, good) = build(
        "three entries: a standard (0x11), an initial (0x13) and a header-encrypted (0x12) message",
        &mut rng,
        three_entries,
    )?;
    let tags = [0x11, 0x12, 0x13];
    let many: Vec<(u32, Vec<u8>)> = (0..32u32)
        .map(|i| {
            let tag = tags[usize::try_from(i).unwrap_or(0) % 3];
            (
                3 * i + 1,
                message(&mut rng, tag, 57 + usize::try_from(i).unwrap_or(0)),
            )
        })
        .collect();
    let (thirty_two, _) = build("32 entries (MAX_DEVICES)", &mut rng, many)?;

    let mut negative: Vec<FanOutNegative> = Vec::new();
    let mut push =
        |validation_id: &str, comment: &str, input: Vec<u8>, pad_to: usize, expected: &str| {
            let mut full = input.clone();
            if pad_to > full.len() {
                full.resize(pad_to, 0);
            }
            match run_negative(&full) {
                Ok(got) if got == expected => {}
                other => {
                    return Err(script_error(
                        negative.len() + 1,
                        format!("{validation_id} {comment}: expected {expected}, got {other:?}"),
                    ));
                }
            }
            negative.push(FanOutNegative {
                id: negative.len() + 1,
                validation_id: validation_id.into(),
                comment: comment.into(),
                input: h(&input),
                pad_to,
                expected_error: expected.into(),
            });
            Ok(())
        };
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    // Offsets in the three-entry fan-out: header 0..18; entry 1 head 18..26, message 26..86;
    // entry 2 head 86..94, message 94..214; entry 3 head 214..222, message 222..317.
    let (e1, e2, e3) = (18usize, 86usize, 214usize);
    const UNKNOWN: &str = "FanOutError::UnknownVersion";
    const LENGTH: &str = "FanOutError::Length";
    const COUNT: &str = "FanOutError::Count";
    const IDS: &str = "FanOutError::DeviceIds";
    const MESSAGE: &str = "FanOutError::Message";
    // Check 1.
    push("DEV-FO-01", "empty input", Vec::new(), 0, UNKNOWN)?;
    for (tag, what) in [
        (0x01, "the unversioned byte 0x01"),
        (0x18, "a device list's tag 0x18"),
        (0x13, "an initial message's tag 0x13"),
        (0x2C, "tag 0x2C (format version 2)"),
    ] {
        push(
            "DEV-FO-01",
            &format!("the three-entry fan-out with its first byte replaced by {what}"),
            with(&|b| b[0] = tag),
            0,
            UNKNOWN,
        )?;
    }
    // Check 2.
    push(
        "DEV-FO-02",
        "over-long: the three-entry fan-out followed by zero bytes up to 2^26 + 1 bytes",
        good.clone(),
        (1 << 26) + 1,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "over-long and count 0: the length (check 2) decides before the count (check 3)",
        with(&|b| b[17] = 0),
        (1 << 26) + 1,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "the 17 bytes before the count (shorter than the 18-byte header)",
        good[..17].to_vec(),
        0,
        LENGTH,
    )?;
    // Check 3.
    push(
        "DEV-FO-03",
        "the 18-byte header alone with count 0",
        with(&|b| {
            b.truncate(18);
            b[17] = 0;
        }),
        0,
        COUNT,
    )?;
    push(
        "DEV-FO-03",
        "count 0 before the three entries",
        with(&|b| b[17] = 0),
        0,
        COUNT,
    )?;
    push(
        "DEV-FO-03",
        "count 33 (more than MAX_DEVICES = 32) before the three entries",
        with(&|b| b[17] = 33),
        0,
        COUNT,
    )?;
    push("DEV-FO-03", "count 255", with(&|b| b[17] = 255), 0, COUNT)?;
    // Check 4, entry by entry.
    push(
        "DEV-FO-02",
        "truncated head: the header alone with count 1 (no entry head)",
        with(&|b| {
            b.truncate(18);
            b[17] = 1;
        }),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "truncated head: the fan-out cut 5 bytes into the second entry's 8-byte head",
        good[..e2 + 5].to_vec(),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "truncated body: the fan-out without its last byte (the third message is one byte short)",
        good[..good.len() - 1].to_vec(),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "truncated body: the first entry's len raised to 0xffffffff",
        with(&|b| b[e1 + 4..e1 + 8].copy_from_slice(&u32::MAX.to_be_bytes())),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "count 4 with three entries: the fourth entry's head is missing",
        with(&|b| b[17] = 4),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "truncated body and device id 0 in the first entry: the length decides before the id",
        with(&|b| {
            b[e1..e1 + 4].copy_from_slice(&0u32.to_be_bytes());
            b[e1 + 4..e1 + 8].copy_from_slice(&u32::MAX.to_be_bytes());
        }),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-04",
        "device id 0 in the first entry",
        with(&|b| b[e1..e1 + 4].copy_from_slice(&0u32.to_be_bytes())),
        0,
        IDS,
    )?;
    push(
        "DEV-FO-04",
        "decreasing ids: the second entry's id 2 replaced by 0xffffffff (above the third's 7)",
        with(&|b| b[e2..e2 + 4].copy_from_slice(&u32::MAX.to_be_bytes())),
        0,
        IDS,
    )?;
    push(
        "DEV-FO-04",
        "a repeated id: the third entry's id 7 replaced by 2",
        with(&|b| b[e3..e3 + 4].copy_from_slice(&2u32.to_be_bytes())),
        0,
        IDS,
    )?;
    push(
        "DEV-FO-04",
        "device id 0 and a message tag 0x14 in the first entry: the id decides before the \
         message",
        with(&|b| {
            b[e1..e1 + 4].copy_from_slice(&0u32.to_be_bytes());
            b[e1 + 8] = 0x14;
        }),
        0,
        IDS,
    )?;
    push(
        "DEV-FO-05",
        "empty message: one entry, device id 1, len 0",
        {
            let mut b = good[..18].to_vec();
            b[17] = 1;
            b.extend_from_slice(&1u32.to_be_bytes());
            b.extend_from_slice(&0u32.to_be_bytes());
            b
        },
        0,
        MESSAGE,
    )?;
    for (tag, what) in [
        (0x14, "a prekey bundle's tag 0x14"),
        (0x1C, "a fan-out's own tag 0x1C"),
        (0x01, "the unversioned byte 0x01"),
        (0x21, "tag 0x21 (format version 2)"),
    ] {
        push(
            "DEV-FO-05",
            &format!("the second entry's message starts with {what}"),
            with(&|b| b[e2 + 8] = tag),
            0,
            MESSAGE,
        )?;
    }
    // Check 5.
    push(
        "DEV-FO-02",
        "trailing bytes: the three-entry fan-out with one zero byte appended",
        with(&|b| b.push(0)),
        0,
        LENGTH,
    )?;
    push(
        "DEV-FO-02",
        "count 2 with three entries: the third entry is trailing bytes",
        with(&|b| b[17] = 2),
        0,
        LENGTH,
    )?;
    Ok(FanOutVectors {
        description: "Sotto/1 fan-outs (docs/protocol.md 8.5): every input and the bytes; then \
                      inputs a decoder refuses, with their validation IDs, in the order of the \
                      decoding checks (the error names are this implementation's). Messages \
                      are the tag byte followed by bytes from a seeded generator: the relay \
                      reads only the first byte."
            .into(),
        max_fan_out_len: sotto_devices::fanout::MAX_FAN_OUT_LEN,
        fan_outs: vec![one, three, thirty_two],
        negative,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
