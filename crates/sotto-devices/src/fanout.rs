//! One message to the devices of one account, as a sender hands it to the relay (protocol.md
//! 8.5, type tag `0x1C`).
//!
//! ```text
//! fan_out = 0x1C || account_id[16] || u8(n) || n x (u32be(device_id) || u32be(len) || message[len])
//! ```
//!
//! The relay reads the account and the device ids, compares them with the devices it serves
//! for the account (a "stale device list" answer names the missing and the extra ones) and
//! queues each message for its device. It does not parse the messages beyond their first byte.

use sotto_crypto::wire;

use crate::device_list::{ACCOUNT_ID_LEN, AccountId, MAX_DEVICES};

/// The longest fan-out accepted, checked before anything else is read.
pub const MAX_FAN_OUT_LEN: usize = 1 << 26;
/// Bytes before the entries: tag, account id, count.
const HEADER_LEN: usize = 1 + ACCOUNT_ID_LEN + 1;

/// A fan-out did not decode. Each variant names its validation ID (protocol.md 8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FanOutError {
    /// DEV-FO-01: the first byte is not `0x1C` (empty input counts as `0x00`).
    #[error("unknown version or type tag {0:#04x}")]
    UnknownVersion(u8),
    /// DEV-FO-02: longer than [`MAX_FAN_OUT_LEN`], shorter than its header, an entry beyond
    /// the end, or bytes after the last entry.
    #[error("fan-out length does not match its entries")]
    Length,
    /// DEV-FO-03: no entry, or more than [`MAX_DEVICES`].
    #[error("fan-out entry count out of range (1 to 32)")]
    Count,
    /// DEV-FO-04: device ids not strictly increasing, or one is 0.
    #[error("fan-out device ids not strictly increasing or 0")]
    DeviceIds,
    /// DEV-FO-05: an entry's message is empty or does not start with the tag of a message a
    /// device reads (`0x11`, `0x12`, `0x13`).
    #[error("fan-out entry is not a device message")]
    Message,
    /// DEV-PT-01: a decrypted device plaintext does not start with the version `0x01` or is
    /// shorter than its 37-byte header.
    #[error("malformed device plaintext")]
    Plaintext,
    /// DEV-PT-02: a decrypted device plaintext names another sender than the device the relay
    /// delivered it from, or another recipient account than this one (an unknown key-share).
    #[error("device plaintext names another sender or recipient")]
    Misaddressed,
}

/// A checked fan-out: 1 to 32 entries by strictly increasing device id, each a device message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOut {
    account: AccountId,
    entries: Vec<(u32, Vec<u8>)>,
}

fn is_device_message(message: &[u8]) -> bool {
    matches!(
        message.first(),
        Some(&(wire::STANDARD_MESSAGE | wire::HEADER_ENCRYPTED_MESSAGE | wire::INITIAL_MESSAGE))
    )
}

impl FanOut {
    /// A fan-out of `entries` (sorted here by device id) to `account`. The same checks as
    /// decoding: DEV-FO-03, DEV-FO-04, DEV-FO-05, and DEV-FO-02 if the encoding would exceed
    /// [`MAX_FAN_OUT_LEN`].
    pub fn new(account: AccountId, mut entries: Vec<(u32, Vec<u8>)>) -> Result<Self, FanOutError> {
        if entries.is_empty() || entries.len() > MAX_DEVICES {
            return Err(FanOutError::Count);
        }
        entries.sort_by_key(|(id, _)| *id);
        let mut previous = 0u32;
        let mut len = HEADER_LEN;
        for (id, message) in &entries {
            if *id <= previous {
                return Err(FanOutError::DeviceIds);
            }
            previous = *id;
            if !is_device_message(message) {
                return Err(FanOutError::Message);
            }
            len = len.saturating_add(8 + message.len());
        }
        if len > MAX_FAN_OUT_LEN {
            return Err(FanOutError::Length);
        }
        Ok(Self { account, entries })
    }

    /// The recipient account.
    #[must_use]
    pub const fn account(&self) -> AccountId {
        self.account
    }

    /// The entries, by increasing device id.
    #[must_use]
    pub fn entries(&self) -> &[(u32, Vec<u8>)] {
        &self.entries
    }

    /// The device ids, increasing.
    pub fn device_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries.iter().map(|(id, _)| *id)
    }

    /// The message for `device_id`, if the fan-out has one.
    #[must_use]
    pub fn message_for(&self, device_id: u32) -> Option<&[u8]> {
        self.entries
            .binary_search_by_key(&device_id, |(id, _)| *id)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, m)| m.as_slice())
    }

    /// The wire bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = HEADER_LEN + self.entries.iter().map(|(_, m)| 8 + m.len()).sum::<usize>();
        let mut out = Vec::with_capacity(len);
        out.push(wire::FAN_OUT);
        out.extend_from_slice(&self.account.to_bytes());
        // At most MAX_DEVICES entries, checked at construction.
        out.push(u8::try_from(self.entries.len()).unwrap_or(u8::MAX));
        for (id, message) in &self.entries {
            out.extend_from_slice(&id.to_be_bytes());
            // At most MAX_FAN_OUT_LEN, checked at construction.
            out.extend_from_slice(
                &u32::try_from(message.len())
                    .unwrap_or(u32::MAX)
                    .to_be_bytes(),
            );
            out.extend_from_slice(message);
        }
        out
    }

    /// Strict decoding, in this order: the tag (DEV-FO-01); the whole length against
    /// [`MAX_FAN_OUT_LEN`] and the header (DEV-FO-02); the count (DEV-FO-03); then entry by
    /// entry: its length within the input (DEV-FO-02), its id above the previous one
    /// (DEV-FO-04), its message's first byte (DEV-FO-05); finally no trailing bytes
    /// (DEV-FO-02). One pass, no allocation beyond the input's size.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FanOutError> {
        match bytes.first() {
            Some(&wire::FAN_OUT) => {}
            Some(&other) => return Err(FanOutError::UnknownVersion(other)),
            None => return Err(FanOutError::UnknownVersion(0)),
        }
        if bytes.len() > MAX_FAN_OUT_LEN || bytes.len() < HEADER_LEN {
            return Err(FanOutError::Length);
        }
        let mut account = [0u8; ACCOUNT_ID_LEN];
        account.copy_from_slice(&bytes[1..=ACCOUNT_ID_LEN]);
        let n = usize::from(bytes[HEADER_LEN - 1]);
        if n == 0 || n > MAX_DEVICES {
            return Err(FanOutError::Count);
        }
        let mut rest = &bytes[HEADER_LEN..];
        let mut entries = Vec::with_capacity(n);
        let mut previous = 0u32;
        for _ in 0..n {
            if rest.len() < 8 {
                return Err(FanOutError::Length);
            }
            let id = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
            let len = usize::try_from(len).map_err(|_| FanOutError::Length)?;
            rest = &rest[8..];
            if rest.len() < len {
                return Err(FanOutError::Length);
            }
            if id <= previous {
                return Err(FanOutError::DeviceIds);
            }
            previous = id;
            let (message, tail) = rest.split_at(len);
            if !is_device_message(message) {
                return Err(FanOutError::Message);
            }
            entries.push((id, message.to_vec()));
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(FanOutError::Length);
        }
        Ok(Self {
            account: AccountId::from_bytes(account),
            entries,
        })
    }
}

/// The plaintext a device encrypts in every ratchet message it sends (protocol.md 8.5):
/// who sends it and to which account, inside the AEAD, so that the relay's routing claims are
/// checked against what the sender authenticated.
///
/// ```text
/// device_plaintext = 0x01 || sender_account[16] || u32be(sender_device) || recipient_account[16] || body
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DevicePlaintext {
    sender: AccountId,
    sender_device: u32,
    recipient: AccountId,
    body: Vec<u8>,
}

impl core::fmt::Debug for DevicePlaintext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DevicePlaintext")
            .field("sender", &self.sender)
            .field("sender_device", &self.sender_device)
            .field("recipient", &self.recipient)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Bytes of a device plaintext before the body.
pub const DEVICE_PLAINTEXT_HEADER_LEN: usize = 1 + ACCOUNT_ID_LEN + 4 + ACCOUNT_ID_LEN;

impl DevicePlaintext {
    /// The plaintext `body` from `sender`'s device `sender_device` to `recipient`'s account.
    #[must_use]
    pub const fn new(
        sender: AccountId,
        sender_device: u32,
        recipient: AccountId,
        body: Vec<u8>,
    ) -> Self {
        Self {
            sender,
            sender_device,
            recipient,
            body,
        }
    }

    /// The sending account.
    #[must_use]
    pub const fn sender(&self) -> AccountId {
        self.sender
    }

    /// The sending device.
    #[must_use]
    pub const fn sender_device(&self) -> u32 {
        self.sender_device
    }

    /// The account the message is to (the conversation's peer, also on the sender's own
    /// other devices).
    #[must_use]
    pub const fn recipient(&self) -> AccountId {
        self.recipient
    }

    /// The application's plaintext.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Takes the body.
    #[must_use]
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// The bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(DEVICE_PLAINTEXT_HEADER_LEN + self.body.len());
        out.push(1);
        out.extend_from_slice(&self.sender.to_bytes());
        out.extend_from_slice(&self.sender_device.to_be_bytes());
        out.extend_from_slice(&self.recipient.to_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Decodes: DEV-PT-01 if the first byte is not the version `0x01` or the input is shorter
    /// than the 37-byte header. The body is the rest (it may be empty).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FanOutError> {
        if bytes.first() != Some(&1) || bytes.len() < DEVICE_PLAINTEXT_HEADER_LEN {
            return Err(FanOutError::Plaintext);
        }
        let account = |at: usize| {
            let mut a = [0u8; ACCOUNT_ID_LEN];
            a.copy_from_slice(&bytes[at..at + ACCOUNT_ID_LEN]);
            AccountId::from_bytes(a)
        };
        Ok(Self {
            sender: account(1),
            sender_device: u32::from_be_bytes([bytes[17], bytes[18], bytes[19], bytes[20]]),
            recipient: account(21),
            body: bytes[DEVICE_PLAINTEXT_HEADER_LEN..].to_vec(),
        })
    }

    /// DEV-PT-02: the message was delivered as coming from `from`'s device `from_device` to a
    /// device of account `me`. The sender it names must be that device, and it must be to
    /// `me`, unless it is a copy from another device of `me` itself (then `recipient` is the
    /// conversation's peer).
    pub fn check_addressed(
        &self,
        from: AccountId,
        from_device: u32,
        me: AccountId,
    ) -> Result<(), FanOutError> {
        if self.sender != from
            || self.sender_device != from_device
            || (self.recipient != me && self.sender != me)
        {
            return Err(FanOutError::Misaddressed);
        }
        Ok(())
    }
}

/// The relay's answer to a fan-out that does not match the devices it serves for the account:
/// the devices it has that the fan-out lacks, and those the fan-out names that it does not
/// have. Not trusted: the sender fetches the account's signed list, verifies it and fans out
/// again to what the list says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleDevices {
    /// The account of the fan-out the answer is about.
    pub account: AccountId,
    /// Devices the relay serves that the fan-out lacks.
    pub missing: Vec<u32>,
    /// Devices the fan-out names that the relay does not serve.
    pub extra: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FanOut {
        FanOut::new(
            AccountId::from_bytes([7; 16]),
            vec![(3, vec![0x11, 1, 2]), (1, vec![0x13; 5])],
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_layout() {
        let f = sample();
        let bytes = f.to_bytes();
        assert_eq!(bytes[0], 0x1C);
        assert_eq!(bytes[17], 2);
        assert_eq!(&bytes[18..26], &[0, 0, 0, 1, 0, 0, 0, 5]);
        assert_eq!(FanOut::from_bytes(&bytes), Ok(f.clone()));
        assert_eq!(f.message_for(3), Some(&[0x11, 1, 2][..]));
        assert_eq!(f.message_for(2), None);
    }

    /// DEV-FO-01 (tag), DEV-FO-02 (length), DEV-FO-03 (count), DEV-FO-04 (ids), DEV-FO-05
    /// (message tag), each on the wire and at construction.
    #[test]
    fn every_refusal() {
        let good = sample().to_bytes();
        assert_eq!(FanOut::from_bytes(&[]), Err(FanOutError::UnknownVersion(0)));
        assert_eq!(
            FanOut::from_bytes(&[0x18; 40]),
            Err(FanOutError::UnknownVersion(0x18))
        );
        for cut in 1..good.len() {
            assert!(FanOut::from_bytes(&good[..cut]).is_err(), "cut {cut}");
        }
        let mut long = good.clone();
        long.push(0);
        assert_eq!(FanOut::from_bytes(&long), Err(FanOutError::Length));
        let mut zero = good.clone();
        zero[17] = 0;
        assert_eq!(FanOut::from_bytes(&zero), Err(FanOutError::Count));
        let mut many = good.clone();
        many[17] = 33;
        assert_eq!(FanOut::from_bytes(&many), Err(FanOutError::Count));
        let mut ids = good.clone();
        ids[18..22].copy_from_slice(&5u32.to_be_bytes());
        assert_eq!(FanOut::from_bytes(&ids), Err(FanOutError::DeviceIds));
        let mut tag = good.clone();
        tag[26] = 0x14;
        assert_eq!(FanOut::from_bytes(&tag), Err(FanOutError::Message));
        assert_eq!(
            FanOut::new(AccountId::from_bytes([0; 16]), vec![(1, vec![])]),
            Err(FanOutError::Message)
        );
        assert_eq!(
            FanOut::new(AccountId::from_bytes([0; 16]), vec![(0, vec![0x11])]),
            Err(FanOutError::DeviceIds)
        );
    }
}
