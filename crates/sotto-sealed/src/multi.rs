//! Multi-recipient sealed sending (protocol.md 9.4): one encryption of the content and a
//! small key wrap per recipient device; the relay splits the message into one envelope per
//! recipient, which that recipient opens with [`crate::envelope::open`], the single-recipient
//! code path and its checks.
//!
//! ```text
//! sent       = 0x1f || 0x03 || E_pub[32] || u16be(n) || entry_1 .. entry_n || content_ct
//! entry_i    = account_id[16] || u32be(device_id) || layer1_ct_i[80] || wrap_i[48]
//! content_ct = AEAD(K, 0^12, ad = 0x1f || 0x02 || E_pub, inner)        K: 32 random bytes
//! layer1_ct_i: layer 1 of 9.3 to recipient i, with subtype 0x02 in its associated data
//! wrap_i     = AEAD(key2_i, nonce2_i, ad = 0x1f || 0x02 || E_pub || layer1_ct_i
//!                                          || SHA-512(content_ct), K)
//! received_i = 0x1f || 0x02 || E_pub || layer1_ct_i || wrap_i || content_ct
//! ```
//!
//! One ephemeral key serves every recipient (its layer-1 keys differ by the recipient's
//! identity in the salt). Per extra recipient the sender does one X25519 agreement (two
//! without a warm [`StaticCache`]), two HKDFs and two AEADs of 64 and 32 bytes. The relay
//! learns the recipients (it routes to them) and nothing of the sender; a recipient receives
//! only its own entry and the shared content, so it learns nothing of the others, not even
//! how many there are.
//!
//! [`SentEnvelope::parse`] checks, in this order (SEAL-MR-01..05): the tag `0x1f`, the
//! subtype `0x03`, the count `n` within 1 ..= [`MAX_RECIPIENTS`], the exact length (the
//! content between [`MIN_CONTENT_LEN`] and [`MAX_CONTENT_LEN`] bytes), and entries in
//! strictly increasing order of `account_id || device_id` (so none is named twice).

use sotto_crypto::x25519::{EphemeralSecret, SharedSecret};
use sotto_crypto::{CryptoRng, SecretBytes, aead, wire};
use sotto_devices::AccountId;
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};

use crate::cache::StaticCache;
use crate::certificate::SenderCertificate;
use crate::envelope::{
    CONTENT_NONCE, HEADER_LEN, INNER_PREFIX_LEN, LAYER1_LEN, MULTI_RECIPIENT_SUBTYPE, PREFIX_LEN,
    SealError, WRAP_LEN, check_certificate, inner_plaintext, layer2_key_and_nonce, seal_layer1,
    wrap_associated_data,
};
use crate::padding::{MAX_PADDED_LEN, SMALL_BUCKETS};

/// The subtype byte of the form the sender hands the relay (after the tag `0x1f`).
pub const SENT_SUBTYPE: u8 = 0x03;
/// The most recipient devices of one message.
pub const MAX_RECIPIENTS: usize = 1024;
/// Tag, subtype, ephemeral key and the count.
pub const SENT_HEADER_LEN: usize = PREFIX_LEN + 2;
/// One recipient's entry: account id, device id, layer 1 and the key wrap (148 bytes).
pub const ENTRY_LEN: usize = 16 + 4 + LAYER1_LEN + WRAP_LEN;
/// The shortest shared content: the inner prefix, the smallest bucket and a tag.
pub const MIN_CONTENT_LEN: usize = INNER_PREFIX_LEN + SMALL_BUCKETS[0] + aead::TAG_LEN;
/// The longest shared content.
pub const MAX_CONTENT_LEN: usize = INNER_PREFIX_LEN + MAX_PADDED_LEN + aead::TAG_LEN;

/// One recipient device: where the relay delivers (account, device id) and the identity the
/// envelope is sealed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    /// The recipient's account.
    pub account: AccountId,
    /// The device's id in its account's list.
    pub device_id: u32,
    /// The device's identity key.
    pub identity: DeviceIdentityKey,
}

impl Recipient {
    fn address(&self) -> [u8; 20] {
        address(&self.account, self.device_id)
    }
}

fn address(account: &AccountId, device_id: u32) -> [u8; 20] {
    let mut a = [0u8; 20];
    a[..16].copy_from_slice(&account.to_bytes());
    a[16..].copy_from_slice(&device_id.to_be_bytes());
    a
}

/// Seals `message` of `content_type` from `sender`, with its `certificate`, to every one of
/// `recipients` (in any order; the entries are written sorted), taking the static-static
/// secrets from `cache`.
///
/// Refuses a certificate that does not name `sender`, no recipient or more than
/// [`MAX_RECIPIENTS`] (SEAL-MR-03), a recipient named twice (SEAL-MR-05), a message too
/// long to pad (SEAL-PAD-01) and a recipient key whose DH output is all zero (SEAL-ENV-04).
/// Draws the ephemeral private key, then the content key, from `rng`.
pub fn seal_multi<R: CryptoRng + ?Sized>(
    sender: &DeviceIdentity,
    cache: &mut StaticCache,
    certificate: &SenderCertificate,
    recipients: &[Recipient],
    content_type: u8,
    message: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    check_certificate(sender, certificate)?;
    if recipients.is_empty() || recipients.len() > MAX_RECIPIENTS {
        return Err(SealError::RecipientCount);
    }
    let mut order: Vec<&Recipient> = recipients.iter().collect();
    order.sort_by_key(|r| r.address());
    if order.windows(2).any(|w| w[0].address() == w[1].address()) {
        return Err(SealError::DuplicateRecipient);
    }
    let inner = inner_plaintext(&certificate.compact(), content_type, message)?;

    let ephemeral = EphemeralSecret::generate(rng);
    let mut prefix = [0u8; PREFIX_LEN];
    prefix[0] = wire::SEALED_ENVELOPE;
    prefix[1] = MULTI_RECIPIENT_SUBTYPE;
    prefix[2..].copy_from_slice(ephemeral.public_key().as_bytes());
    let content_key = SecretBytes::<{ aead::KEY_LEN }>::random(rng);
    let mut e1: Vec<SharedSecret> = Vec::with_capacity(order.len());
    let peers: Vec<_> = order.iter().map(|r| r.identity.agreement()).collect();
    ephemeral
        .agree_into(&peers, &mut e1)
        .map_err(|_| SealError::NonContributory)?;

    let content_ct = aead::seal(&content_key, &CONTENT_NONCE, &prefix, &inner);
    let count = u16::try_from(order.len()).map_err(|_| SealError::RecipientCount)?;
    let mut out = Vec::with_capacity(SENT_HEADER_LEN + order.len() * ENTRY_LEN + content_ct.len());
    out.extend_from_slice(&[wire::SEALED_ENVELOPE, SENT_SUBTYPE]);
    out.extend_from_slice(&prefix[2..]);
    out.extend_from_slice(&count.to_be_bytes());
    let sender_identity = sender.public().to_bytes();
    let mut ad = wrap_associated_data(&prefix, &content_ct);
    for (recipient, e1) in order.iter().zip(&e1) {
        let s = cache
            .agree(sender, &recipient.identity)
            .map_err(|_| SealError::NonContributory)?;
        let (okm1, layer1) =
            seal_layer1(e1.expose(), &prefix, &recipient.identity, &sender_identity);
        let (key2, nonce2) = layer2_key_and_nonce(&okm1, &layer1, s.expose());
        ad[PREFIX_LEN..HEADER_LEN].copy_from_slice(&layer1);
        let mut wrap = [0u8; WRAP_LEN];
        wrap[..aead::KEY_LEN].copy_from_slice(content_key.expose());
        let tag = aead::seal_in_place(&key2, &nonce2, &ad, &mut wrap[..aead::KEY_LEN]);
        wrap[aead::KEY_LEN..].copy_from_slice(&tag);
        out.extend_from_slice(&recipient.address());
        out.extend_from_slice(&layer1);
        out.extend_from_slice(&wrap);
    }
    out.extend_from_slice(&content_ct);
    Ok(out)
}

/// Why the relay refused a multi-recipient message (SEAL-MR-01..05). Unlike
/// [`crate::envelope::OpenError`] this is not opaque: the relay's answer to the sender can
/// say what was wrong with the sender's own message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// SEAL-MR-01: the first byte is not `0x1f` (an empty input counts as `0x00`).
    #[error("unknown version or type tag {0:#04x}")]
    WrongTag(u8),
    /// SEAL-MR-02: the second byte is not `0x03` (a missing byte counts as `0x00`).
    #[error("wrong subtype {0:#04x}")]
    WrongSubtype(u8),
    /// SEAL-MR-03: the count is 0 or above [`MAX_RECIPIENTS`] (missing bytes count as 0).
    #[error("recipient count {0} out of range")]
    RecipientCount(usize),
    /// SEAL-MR-04: the length does not leave a shared content of [`MIN_CONTENT_LEN`] to
    /// [`MAX_CONTENT_LEN`] bytes after the entries.
    #[error("length is wrong for the count")]
    Length,
    /// SEAL-MR-05: entry `index` does not come strictly after the one before it.
    #[error("entry {index} is out of order or repeated")]
    Order {
        /// The entry's position, from 0.
        index: usize,
    },
}

impl SplitError {
    /// The validation ID of protocol.md section 5.
    #[must_use]
    pub const fn id(&self) -> &'static str {
        match self {
            Self::WrongTag(_) => "SEAL-MR-01",
            Self::WrongSubtype(_) => "SEAL-MR-02",
            Self::RecipientCount(_) => "SEAL-MR-03",
            Self::Length => "SEAL-MR-04",
            Self::Order { .. } => "SEAL-MR-05",
        }
    }
}

/// A multi-recipient message as the relay receives it, checked (SEAL-MR-01..05): it names
/// its recipients and builds each one's envelope. It borrows the bytes.
#[derive(Debug, Clone, Copy)]
pub struct SentEnvelope<'a> {
    bytes: &'a [u8],
    count: usize,
}

/// One recipient's envelope, as the relay delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The recipient's account.
    pub account: AccountId,
    /// The recipient device.
    pub device_id: u32,
    /// The envelope (subtype `0x02`) that device opens with [`crate::envelope::open`].
    pub envelope: Vec<u8>,
}

impl<'a> SentEnvelope<'a> {
    /// Checks `bytes` (the order is in the module documentation). Cost: one pass over the
    /// entries, at most [`MAX_RECIPIENTS`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, SplitError> {
        match bytes.first() {
            Some(&wire::SEALED_ENVELOPE) => {}
            other => return Err(SplitError::WrongTag(other.copied().unwrap_or(0))),
        }
        match bytes.get(1) {
            Some(&SENT_SUBTYPE) => {}
            other => return Err(SplitError::WrongSubtype(other.copied().unwrap_or(0))),
        }
        let count = usize::from(u16::from_be_bytes([
            bytes.get(PREFIX_LEN).copied().unwrap_or(0),
            bytes.get(PREFIX_LEN + 1).copied().unwrap_or(0),
        ]));
        if count == 0 || count > MAX_RECIPIENTS {
            return Err(SplitError::RecipientCount(count));
        }
        let content_len = bytes
            .len()
            .checked_sub(SENT_HEADER_LEN + count * ENTRY_LEN)
            .ok_or(SplitError::Length)?;
        if !(MIN_CONTENT_LEN..=MAX_CONTENT_LEN).contains(&content_len) {
            return Err(SplitError::Length);
        }
        let sent = Self { bytes, count };
        for index in 1..count {
            if sent.address(index - 1) >= sent.address(index) {
                return Err(SplitError::Order { index });
            }
        }
        Ok(sent)
    }

    /// The number of recipients (at least one).
    #[must_use]
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Always false: a parsed message has at least one recipient.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        false
    }

    fn entry(&self, index: usize) -> &'a [u8] {
        let at = SENT_HEADER_LEN + index * ENTRY_LEN;
        &self.bytes[at..at + ENTRY_LEN]
    }

    fn address(&self, index: usize) -> &'a [u8] {
        &self.entry(index)[..20]
    }

    /// Recipient `index`'s account and device id.
    #[must_use]
    pub fn recipient(&self, index: usize) -> Option<(AccountId, u32)> {
        if index >= self.count {
            return None;
        }
        let a = self.address(index);
        let mut account = [0u8; 16];
        account.copy_from_slice(&a[..16]);
        let device_id = u32::from_be_bytes([a[16], a[17], a[18], a[19]]);
        Some((AccountId::from_bytes(account), device_id))
    }

    /// Every recipient, in the message's (sorted) order.
    pub fn recipients(&self) -> impl Iterator<Item = (AccountId, u32)> + '_ {
        (0..self.count).filter_map(|i| self.recipient(i))
    }

    /// The shared content ciphertext.
    fn content(&self) -> &'a [u8] {
        &self.bytes[SENT_HEADER_LEN + self.count * ENTRY_LEN..]
    }

    /// The envelope recipient `index` receives:
    /// `0x1f || 0x02 || E_pub || layer1_ct || wrap || content_ct`.
    #[must_use]
    pub fn envelope(&self, index: usize) -> Option<Vec<u8>> {
        if index >= self.count {
            return None;
        }
        let entry = self.entry(index);
        let content = self.content();
        let mut out = Vec::with_capacity(HEADER_LEN + WRAP_LEN + content.len());
        out.extend_from_slice(&[wire::SEALED_ENVELOPE, MULTI_RECIPIENT_SUBTYPE]);
        out.extend_from_slice(&self.bytes[2..PREFIX_LEN]);
        out.extend_from_slice(&entry[20..]);
        out.extend_from_slice(content);
        Some(out)
    }

    /// Every recipient's [`Delivery`].
    #[must_use]
    pub fn split(&self) -> Vec<Delivery> {
        (0..self.count)
            .filter_map(|i| {
                let (account, device_id) = self.recipient(i)?;
                Some(Delivery {
                    account,
                    device_id,
                    envelope: self.envelope(i)?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
