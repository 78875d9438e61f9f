//! Linking a new device to an account (`docs/protocol.md` 8.3).
//!
//! A new device shows a **link code**: its public device identity and a fresh one-time
//! 32-byte **link secret**. The device that holds the account key (the *primary*) reads it,
//! adds the identity to a new signed device list and sends the new device a **link message**
//! sealed under the link secret: the account id, the device id it assigned, the new list and
//! the trust state (pinned peer accounts). This replaces pairing over the relay with no shared
//! secret: the relay carries the message but cannot read or forge it, because the secret
//! travels only from screen to camera (or keyboard).
//!
//! ```text
//! code      = 0x1A || identity[64] || link_secret[32]                          (97 bytes)
//! text      = groups of 4 of Base32(code || SHA-512(LINK_CODE_CHECKSUM || code)[0..8]),
//!             alphabet 0123456789ABCDEFGHJKMNPQRSTVWXYZ, joined by '-'          (168 symbols)
//! key[32] || nonce[12] = HKDF-SHA256(salt = salt[16], ikm = link_secret,
//!                                    info = LINK_CHANNEL || identity[64])
//! message   = 0x1B || salt[16] || ChaCha20-Poly1305(key, nonce, ad = 0x1B || identity, payload)
//! payload   = account_id[16] || u32be(device_id) || u16be(len) || device_list[len]
//!             || u16be(n) || n x (account_id[16] || account_key[32] || verified[1] || u64be(min_version))
//! ```
//!
//! 1. The new device calls [`LinkCode::generate`], shows [`LinkCode::to_text`] (or the bytes
//!    as a QR code) and keeps the [`PendingLink`].
//! 2. The primary decodes it ([`LinkCode::from_text`], DEV-LK-05..07 then DEV-LK-01..04, or
//!    [`LinkCode::from_bytes`], DEV-LK-01..04), refuses an identity its current list already
//!    holds ([`LinkCode::check_not_listed`], DEV-LK-17), signs a list with the new device in
//!    it and calls [`seal`] (DEV-LK-12, DEV-LK-14..16), which consumes the code.
//! 3. The new device calls [`PendingLink::open`] (DEV-LK-08..16). Success consumes the secret:
//!    a second message is refused (DEV-LK-08); a refusal leaves the pending link as it was.

use core::fmt;

use sotto_crypto::hash::sha512_concat;
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::{CryptoRng, SecretBytes, aead, ct_eq, labels, wire};
use sotto_handshake::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentityKey};
use zeroize::Zeroizing;

use crate::{ACCOUNT_ID_LEN, AccountId, AccountPublicKey, DeviceList, DeviceListError};
use crate::{MAX_DEVICES, SignedDeviceList};

/// Length of the link secret.
pub const LINK_SECRET_LEN: usize = 32;
/// Length of a link code's bytes: tag, identity, link secret.
pub const CODE_LEN: usize = 1 + DEVICE_IDENTITY_KEY_LEN + LINK_SECRET_LEN;
/// Length of the text form's checksum (bytes of SHA-512 kept).
pub const CHECKSUM_LEN: usize = 8;
/// Base32 symbols of the text form: `(97 + 8) * 8 / 5`, no padding.
pub const TEXT_SYMBOLS: usize = (CODE_LEN + CHECKSUM_LEN) * 8 / 5;
/// Symbols per group of the text form.
pub const TEXT_GROUP: usize = 4;
/// The text alphabet (Crockford's Base32: no I, L, O or U). Symbol `i` is value `i`.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Length of the per-message salt.
pub const SALT_LEN: usize = 16;
/// The most pinned peers one link message carries.
pub const MAX_PEERS: usize = 1024;
/// Bytes of one pinned peer in the payload: account id, account key, verified flag, version
/// floor.
pub const PEER_LEN: usize = ACCOUNT_ID_LEN + 32 + 1 + 8;
/// The shortest signed device list (one device).
pub const MIN_LIST_LEN: usize = 67 + 68 + 64;
/// The longest signed device list ([`MAX_DEVICES`] devices).
pub const MAX_LIST_LEN: usize = 67 + 68 * MAX_DEVICES + 64;
/// Bytes of the payload before the list: account id, device id, list length.
const PAYLOAD_HEADER_LEN: usize = ACCOUNT_ID_LEN + 4 + 2;
/// The shortest payload: a one-device list and no peer.
pub const MIN_PAYLOAD_LEN: usize = PAYLOAD_HEADER_LEN + MIN_LIST_LEN + 2;
/// The longest payload: the longest list and [`MAX_PEERS`] peers.
pub const MAX_PAYLOAD_LEN: usize = PAYLOAD_HEADER_LEN + MAX_LIST_LEN + 2 + MAX_PEERS * PEER_LEN;
/// Bytes a link message adds to its payload: tag, salt, Poly1305 tag.
pub const MESSAGE_OVERHEAD: usize = 1 + SALT_LEN + aead::TAG_LEN;
/// The shortest link message.
pub const MIN_MESSAGE_LEN: usize = MESSAGE_OVERHEAD + MIN_PAYLOAD_LEN;
/// The longest link message.
pub const MAX_MESSAGE_LEN: usize = MESSAGE_OVERHEAD + MAX_PAYLOAD_LEN;

/// A link code (bytes or text) was refused. The text checks (DEV-LK-05..07) run first, then
/// the byte checks (DEV-LK-01..04), each group in the order of its variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// DEV-LK-01: the first byte is not the link code's type tag `0x1A` (empty input counts
    /// as `0x00`).
    #[error("not a link code: first byte {0:#04x}")]
    WrongTag(u8),
    /// DEV-LK-02: fewer than 97 bytes.
    #[error("link code truncated: {0} bytes")]
    Truncated(usize),
    /// DEV-LK-03: more than 97 bytes.
    #[error("{0} trailing bytes after the link code")]
    TrailingBytes(usize),
    /// DEV-LK-04: the identity does not decode (HS-03's rules: an Ed25519 point, a canonical
    /// X25519 key).
    #[error("link code identity is invalid")]
    InvalidIdentity,
    /// DEV-LK-05: a character of the text is neither a separator nor a symbol of the alphabet
    /// (in either case); the first such character's byte offset.
    #[error("character at byte {0} is not in the link code alphabet")]
    BadCharacter(usize),
    /// DEV-LK-06: the text has another number of symbols than 168 (separators not counted).
    #[error("link code text has {0} symbols, not 168")]
    TextLength(usize),
    /// DEV-LK-07: the checksum does not match: a typo.
    #[error("link code checksum does not match (a typo?)")]
    Checksum,
}

/// The primary refused to seal a link message. Each variant names its validation ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// DEV-LK-12: more than [`MAX_PEERS`] peers, or two with the same account id.
    #[error("peer list too long or with a repeated account")]
    Peers,
    /// DEV-LK-14: the list's account id is not the payload's.
    #[error("device list belongs to another account")]
    AccountMismatch,
    /// DEV-LK-15: the list does not hold the code's identity under the assigned device id.
    #[error("device list lacks the new device under its id")]
    NotInList,
    /// DEV-LK-16: another entry of the list shares a key with the code's identity.
    #[error("device list holds the new device's keys twice")]
    DuplicateIdentity,
    /// DEV-LK-17: the primary's current list already holds a key of the code's identity.
    #[error("device is already linked")]
    AlreadyListed,
}

/// A link message was refused by the new device. The checks run in the order of the
/// variants; a refusal leaves the [`PendingLink`] as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// DEV-LK-08: this pending link already opened a message; its secret is gone.
    #[error("link secret already used")]
    AlreadyUsed,
    /// DEV-LK-09: the first byte is not the link message's type tag `0x1B` (empty input
    /// counts as `0x00`).
    #[error("not a link message: first byte {0:#04x}")]
    WrongTag(u8),
    /// DEV-LK-10: shorter than [`MIN_MESSAGE_LEN`].
    #[error("link message truncated: {0} bytes")]
    Truncated(usize),
    /// DEV-LK-10: longer than [`MAX_MESSAGE_LEN`] (checked before decrypting).
    #[error("link message too long: {0} bytes")]
    TooLong(usize),
    /// DEV-LK-11: the message does not authenticate: another link secret, another identity,
    /// a modified or appended byte. Deliberately without detail.
    #[error("link message does not authenticate")]
    Authentication,
    /// DEV-LK-12: the payload is malformed.
    #[error("link payload is malformed: {0}")]
    Payload(#[from] PayloadError),
    /// DEV-LK-13: the embedded device list is refused (DEV-01..DEV-05).
    #[error("device list in the link payload: {0}")]
    DeviceList(DeviceListError),
    /// DEV-LK-14: the list's account id is not the payload's.
    #[error("device list belongs to another account")]
    AccountMismatch,
    /// DEV-LK-15: the list does not hold this device's identity (all 64 bytes) under the
    /// assigned device id.
    #[error("device list lacks this device under its id")]
    NotInList,
    /// DEV-LK-16: another entry of the list shares a key with this device's identity.
    #[error("device list holds this device's keys twice")]
    DuplicateIdentity,
}

/// How a payload is malformed (DEV-LK-12), in the order the decoder checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The bytes end before a length field, the list or a peer entry the counts announce.
    #[error("truncated")]
    Truncated,
    /// The list length is outside 199..=2307.
    #[error("device list length out of range")]
    ListLength,
    /// More than [`MAX_PEERS`] peers.
    #[error("more than 1024 peers")]
    TooManyPeers,
    /// Bytes after the last peer entry.
    #[error("trailing bytes")]
    TrailingBytes,
    /// A peer's account key is not an Ed25519 point.
    #[error("a peer's account key is invalid")]
    PeerKey,
    /// A verified flag is neither `0x00` nor `0x01`.
    #[error("a verified flag is not 0 or 1")]
    VerifiedFlag,
    /// Two peers with the same account id.
    #[error("a peer account appears twice")]
    DuplicatePeer,
}

/// A new device's link code: its public identity and a one-time link secret. The secret is
/// wiped on drop; the type is neither `Copy` nor `Clone` and prints redacted; equality is
/// constant time.
pub struct LinkCode {
    identity: DeviceIdentityKey,
    secret: SecretBytes<LINK_SECRET_LEN>,
}

/// The new device's half of a link in progress: its identity and the link secret, until a
/// link message opens. Not `Clone`; the secret is wiped on drop and when a message opens.
pub struct PendingLink {
    identity: DeviceIdentityKey,
    secret: Option<SecretBytes<LINK_SECRET_LEN>>,
}

/// One pinned peer account of the trust state the primary hands over. A trust module converts
/// its own records to and from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerPin {
    /// The peer's account id.
    pub account_id: AccountId,
    /// The account key pinned for it.
    pub account_key: AccountPublicKey,
    /// Whether the user verified it (compared safety numbers).
    pub verified: bool,
    /// The version of the newest list of the peer the primary held (0 if none): the new
    /// device refuses a first list of the peer below it (DEV-TR-02), so the relay cannot
    /// serve it a list older than its account already saw.
    pub min_version: u64,
}

/// What the primary sends a new device. A plain value: [`seal`] and [`PendingLink::open`]
/// check how its parts fit together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPayload {
    /// The account the device joins.
    pub account_id: AccountId,
    /// The device id the primary assigned to the new device.
    pub device_id: u32,
    /// The new signed device list, which holds the new device.
    pub list: SignedDeviceList,
    /// The pinned peer accounts, at most [`MAX_PEERS`], each account once.
    pub peers: Vec<PeerPin>,
}

impl LinkCode {
    /// A link code for `identity` with a fresh link secret (32 bytes from `rng`), and the
    /// pending link the new device keeps to open the primary's message.
    pub fn generate<R: CryptoRng + ?Sized>(
        identity: DeviceIdentityKey,
        rng: &mut R,
    ) -> (Self, PendingLink) {
        let secret = SecretBytes::<LINK_SECRET_LEN>::random(rng);
        let pending = PendingLink {
            identity,
            secret: Some(secret.clone()),
        };
        (Self { identity, secret }, pending)
    }

    /// The new device's identity.
    #[must_use]
    pub const fn identity(&self) -> &DeviceIdentityKey {
        &self.identity
    }

    /// The 97 bytes (a QR code carries them): `0x1A || identity || link secret`. They hold
    /// the secret and are wiped when the returned value drops.
    #[must_use]
    pub fn to_bytes(&self) -> SecretBytes<CODE_LEN> {
        let mut out = SecretBytes::<CODE_LEN>::zero();
        let b = out.expose_mut();
        b[0] = wire::LINK_CODE;
        b[1..=DEVICE_IDENTITY_KEY_LEN].copy_from_slice(&self.identity.to_bytes());
        b[1 + DEVICE_IDENTITY_KEY_LEN..].copy_from_slice(self.secret.expose());
        out
    }

    /// Decodes the bytes: tag (DEV-LK-01), at least 97 bytes (DEV-LK-02), at most 97
    /// (DEV-LK-03), the identity (DEV-LK-04), in this order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodeError> {
        let tag = bytes.first().copied().unwrap_or(0);
        if tag != wire::LINK_CODE {
            return Err(CodeError::WrongTag(tag));
        }
        if bytes.len() < CODE_LEN {
            return Err(CodeError::Truncated(bytes.len()));
        }
        if bytes.len() > CODE_LEN {
            return Err(CodeError::TrailingBytes(bytes.len() - CODE_LEN));
        }
        let mut identity = [0u8; DEVICE_IDENTITY_KEY_LEN];
        identity.copy_from_slice(&bytes[1..=DEVICE_IDENTITY_KEY_LEN]);
        let identity =
            DeviceIdentityKey::from_bytes(&identity).map_err(|_| CodeError::InvalidIdentity)?;
        let secret = SecretBytes::from_slice(&bytes[1 + DEVICE_IDENTITY_KEY_LEN..])
            .ok_or(CodeError::Truncated(bytes.len()))?;
        Ok(Self { identity, secret })
    }

    /// The text a person types: 168 symbols of [`ALPHABET`] in 42 groups of 4 joined by `-`
    /// (209 characters). It holds the secret and is wiped when the returned value drops.
    #[must_use]
    pub fn to_text(&self) -> Zeroizing<String> {
        let bytes = self.to_bytes();
        let mut data = Zeroizing::new([0u8; CODE_LEN + CHECKSUM_LEN]);
        data[..CODE_LEN].copy_from_slice(bytes.expose());
        data[CODE_LEN..].copy_from_slice(&checksum(bytes.expose()));
        grouped_base32(&data)
    }

    /// Decodes the text form. Letters in either case; spaces, `-`, tabs and line breaks are
    /// ignored. Checks, in this order: every other character is a symbol (DEV-LK-05), 168
    /// symbols (DEV-LK-06), the checksum (DEV-LK-07), then the bytes as
    /// [`LinkCode::from_bytes`] (DEV-LK-01..04). Two passes over the input (check, decode)
    /// into a fixed buffer: nothing is allocated.
    pub fn from_text(text: &str) -> Result<Self, CodeError> {
        let mut symbols = 0usize;
        for (at, c) in text.bytes().enumerate() {
            if is_separator(c) {
                continue;
            }
            if symbol_value(c).is_none() {
                return Err(CodeError::BadCharacter(at));
            }
            symbols += 1;
        }
        if symbols != TEXT_SYMBOLS {
            return Err(CodeError::TextLength(symbols));
        }
        let mut data = Zeroizing::new([0u8; CODE_LEN + CHECKSUM_LEN]);
        let mut bit = 0usize;
        for value in text.bytes().filter_map(symbol_value) {
            // Five bits at `bit`, which straddle at most two bytes.
            let shifted = u16::from(value) << (11 - bit % 8);
            data[bit / 8] |= (shifted >> 8) as u8;
            if let Some(next) = data.get_mut(bit / 8 + 1) {
                *next |= (shifted & 0xff) as u8;
            }
            bit += 5;
        }
        let (code, sum) = data.split_at(CODE_LEN);
        if !ct_eq(&checksum(code), sum) {
            return Err(CodeError::Checksum);
        }
        Self::from_bytes(code)
    }

    /// DEV-LK-17: refuses the code if `current` (the primary's list before the new device is
    /// added) already holds its Ed25519 or its X25519 key: the device is linked already, or
    /// the code reuses a linked device's keys.
    pub fn check_not_listed(&self, current: &DeviceList) -> Result<(), SealError> {
        if current
            .devices()
            .iter()
            .any(|d| shares_a_key(d.identity(), &self.identity))
        {
            return Err(SealError::AlreadyListed);
        }
        Ok(())
    }
}

impl PartialEq for LinkCode {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.to_bytes().expose(), other.to_bytes().expose())
    }
}

impl Eq for LinkCode {}

impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkCode")
            .field("identity", &self.identity)
            .field("secret", &"..")
            .finish()
    }
}

impl fmt::Debug for PendingLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLink")
            .field("identity", &self.identity)
            .field("used", &self.secret.is_none())
            .finish_non_exhaustive()
    }
}

/// The 168 symbols of `data` (big-endian bits, 5 per symbol; 105 bytes are exactly 168
/// symbols, no padding) in groups of [`TEXT_GROUP`] joined by `-`.
fn grouped_base32(data: &[u8; CODE_LEN + CHECKSUM_LEN]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(
        TEXT_SYMBOLS + TEXT_SYMBOLS / TEXT_GROUP,
    ));
    for i in 0..TEXT_SYMBOLS {
        if i > 0 && i % TEXT_GROUP == 0 {
            out.push('-');
        }
        let bit = 5 * i;
        let pair = (u16::from(data[bit / 8]) << 8)
            | u16::from(data.get(bit / 8 + 1).copied().unwrap_or(0));
        let value = (pair >> (11 - bit % 8)) & 0x1f;
        out.push(char::from(ALPHABET[usize::from(value)]));
    }
    out
}

fn is_separator(c: u8) -> bool {
    matches!(c, b' ' | b'-' | b'\t' | b'\r' | b'\n')
}

/// The value of a symbol of [`ALPHABET`], in either case.
fn symbol_value(c: u8) -> Option<u8> {
    let upper = c.to_ascii_uppercase();
    ALPHABET
        .iter()
        .position(|&s| s == upper)
        .and_then(|i| u8::try_from(i).ok())
}

/// `SHA-512(LINK_CODE_CHECKSUM || code)[0..8]`.
fn checksum(code: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = sha512_concat(&[labels::LINK_CODE_CHECKSUM, code]);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
}

/// Whether two identities share their Ed25519 or their X25519 key (by bytes).
fn shares_a_key(a: &DeviceIdentityKey, b: &DeviceIdentityKey) -> bool {
    let (a, b) = (a.to_bytes(), b.to_bytes());
    ct_eq(&a[..32], &b[..32]) || ct_eq(&a[32..], &b[32..])
}

/// The AEAD key and nonce of a message with `salt` to `identity` under `secret`.
fn channel_keys(
    secret: &SecretBytes<LINK_SECRET_LEN>,
    identity: &DeviceIdentityKey,
    salt: &[u8],
) -> (SecretBytes<{ aead::KEY_LEN }>, [u8; aead::NONCE_LEN]) {
    let mut info = [0u8; labels::LINK_CHANNEL.len() + DEVICE_IDENTITY_KEY_LEN];
    info[..labels::LINK_CHANNEL.len()].copy_from_slice(labels::LINK_CHANNEL);
    info[labels::LINK_CHANNEL.len()..].copy_from_slice(&identity.to_bytes());
    let okm =
        hkdf_sha256::<{ aead::KEY_LEN + aead::NONCE_LEN }>(Some(salt), secret.expose(), &info);
    let mut key = SecretBytes::zero();
    key.expose_mut()
        .copy_from_slice(&okm.expose()[..aead::KEY_LEN]);
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce.copy_from_slice(&okm.expose()[aead::KEY_LEN..]);
    (key, nonce)
}

/// `0x1B || identity`: the associated data of a link message.
fn associated_data(identity: &DeviceIdentityKey) -> [u8; 1 + DEVICE_IDENTITY_KEY_LEN] {
    let mut ad = [0u8; 1 + DEVICE_IDENTITY_KEY_LEN];
    ad[0] = wire::LINK_MESSAGE;
    ad[1..].copy_from_slice(&identity.to_bytes());
    ad
}

/// How a list fails DEV-LK-14..16 (both sides check them).
#[derive(Clone, Copy)]
enum ListCheck {
    AccountMismatch,
    NotInList,
    DuplicateIdentity,
}

impl From<ListCheck> for LinkError {
    fn from(e: ListCheck) -> Self {
        match e {
            ListCheck::AccountMismatch => Self::AccountMismatch,
            ListCheck::NotInList => Self::NotInList,
            ListCheck::DuplicateIdentity => Self::DuplicateIdentity,
        }
    }
}

impl From<ListCheck> for SealError {
    fn from(e: ListCheck) -> Self {
        match e {
            ListCheck::AccountMismatch => Self::AccountMismatch,
            ListCheck::NotInList => Self::NotInList,
            ListCheck::DuplicateIdentity => Self::DuplicateIdentity,
        }
    }
}

/// DEV-LK-14..16 on `list` for `identity` under `device_id`, in this order.
fn check_list(
    account_id: AccountId,
    device_id: u32,
    list: &DeviceList,
    identity: &DeviceIdentityKey,
) -> Result<(), ListCheck> {
    if list.account_id() != account_id {
        return Err(ListCheck::AccountMismatch);
    }
    match list.device(device_id) {
        Some(entry) if entry.identity().ct_matches(identity) => {}
        _ => return Err(ListCheck::NotInList),
    }
    if list
        .devices()
        .iter()
        .any(|d| d.device_id() != device_id && shares_a_key(d.identity(), identity))
    {
        return Err(ListCheck::DuplicateIdentity);
    }
    Ok(())
}

impl LinkPayload {
    /// The plaintext of a link message (module docs). Call [`seal`] to send one; this is for
    /// inspection and vectors. Peers beyond `u16::MAX` are not encoded ([`seal`] refuses more
    /// than [`MAX_PEERS`]).
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let list = self.list.as_bytes();
        let peers = &self.peers[..self.peers.len().min(usize::from(u16::MAX))];
        let mut out = Zeroizing::new(Vec::with_capacity(
            PAYLOAD_HEADER_LEN + list.len() + 2 + peers.len() * PEER_LEN,
        ));
        out.extend_from_slice(&self.account_id.to_bytes());
        out.extend_from_slice(&self.device_id.to_be_bytes());
        // A signed list is at most 2307 bytes.
        out.extend_from_slice(&u16::try_from(list.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(list);
        out.extend_from_slice(&u16::try_from(peers.len()).unwrap_or(u16::MAX).to_be_bytes());
        for peer in peers {
            out.extend_from_slice(&peer.account_id.to_bytes());
            out.extend_from_slice(&peer.account_key.to_bytes());
            out.push(u8::from(peer.verified));
            out.extend_from_slice(&peer.min_version.to_be_bytes());
        }
        out
    }

    /// Decodes a plaintext: its structure and peers (DEV-LK-12, [`PayloadError`] in its
    /// order), then the device list (DEV-LK-13). Does not check the list against a device
    /// (that is [`PendingLink::open`]'s DEV-LK-14..16). Allocates at most the input's length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LinkError> {
        let u16_at = |at: usize| -> Result<usize, PayloadError> {
            match bytes.get(at..at + 2) {
                Some(&[hi, lo]) => Ok(usize::from(u16::from_be_bytes([hi, lo]))),
                _ => Err(PayloadError::Truncated),
            }
        };
        let list_len = u16_at(PAYLOAD_HEADER_LEN - 2)?;
        if !(MIN_LIST_LEN..=MAX_LIST_LEN).contains(&list_len) {
            return Err(PayloadError::ListLength.into());
        }
        let peers_at = PAYLOAD_HEADER_LEN + list_len;
        let n = u16_at(peers_at)?;
        if n > MAX_PEERS {
            return Err(PayloadError::TooManyPeers.into());
        }
        let expected = peers_at + 2 + n * PEER_LEN;
        if bytes.len() < expected {
            return Err(PayloadError::Truncated.into());
        }
        if bytes.len() > expected {
            return Err(PayloadError::TrailingBytes.into());
        }
        let mut peers = Vec::with_capacity(n);
        for entry in bytes[peers_at + 2..].chunks_exact(PEER_LEN) {
            let mut id = [0u8; ACCOUNT_ID_LEN];
            id.copy_from_slice(&entry[..ACCOUNT_ID_LEN]);
            let mut key = [0u8; 32];
            key.copy_from_slice(&entry[ACCOUNT_ID_LEN..ACCOUNT_ID_LEN + 32]);
            let account_key =
                AccountPublicKey::from_bytes(&key).map_err(|_| PayloadError::PeerKey)?;
            let verified = match entry[ACCOUNT_ID_LEN + 32] {
                0 => false,
                1 => true,
                _ => return Err(PayloadError::VerifiedFlag.into()),
            };
            let mut floor = [0u8; 8];
            floor.copy_from_slice(&entry[PEER_LEN - 8..]);
            peers.push(PeerPin {
                account_id: AccountId::from_bytes(id),
                account_key,
                verified,
                min_version: u64::from_be_bytes(floor),
            });
        }
        if has_duplicate_peer(&peers) {
            return Err(PayloadError::DuplicatePeer.into());
        }
        let list = SignedDeviceList::from_bytes(&bytes[PAYLOAD_HEADER_LEN..peers_at])
            .map_err(LinkError::DeviceList)?;
        let mut account_id = [0u8; ACCOUNT_ID_LEN];
        account_id.copy_from_slice(&bytes[..ACCOUNT_ID_LEN]);
        Ok(Self {
            account_id: AccountId::from_bytes(account_id),
            device_id: u32::from_be_bytes([
                bytes[ACCOUNT_ID_LEN],
                bytes[ACCOUNT_ID_LEN + 1],
                bytes[ACCOUNT_ID_LEN + 2],
                bytes[ACCOUNT_ID_LEN + 3],
            ]),
            list,
            peers,
        })
    }
}

fn has_duplicate_peer(peers: &[PeerPin]) -> bool {
    let mut ids: Vec<AccountId> = peers.iter().map(|p| p.account_id).collect();
    ids.sort_unstable();
    ids.windows(2).any(|w| w[0] == w[1])
}

/// The primary's side: seals `payload` to the device that showed `code`, consuming the code
/// (a code seals one message). Refuses, in this order, more than [`MAX_PEERS`] peers or a
/// repeated peer account (DEV-LK-12), a list of another account (DEV-LK-14), a list without
/// the code's identity under `payload.device_id` (DEV-LK-15), a list with another entry that
/// shares one of its keys (DEV-LK-16). Draws the 16-byte salt from `rng`.
pub fn seal<R: CryptoRng + ?Sized>(
    code: LinkCode,
    payload: &LinkPayload,
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    if payload.peers.len() > MAX_PEERS || has_duplicate_peer(&payload.peers) {
        return Err(SealError::Peers);
    }
    check_list(
        payload.account_id,
        payload.device_id,
        payload.list.list(),
        &code.identity,
    )?;
    Ok(hazmat::seal_plaintext(code, &payload.to_bytes(), rng))
}

impl PendingLink {
    /// The new device's identity, as its link code carries it.
    #[must_use]
    pub const fn identity(&self) -> &DeviceIdentityKey {
        &self.identity
    }

    /// Whether a message has opened (the secret is gone).
    #[must_use]
    pub const fn is_used(&self) -> bool {
        self.secret.is_none()
    }

    /// Opens the primary's link message. Checks, in this order: the secret is unused
    /// (DEV-LK-08), the tag (DEV-LK-09), the length (DEV-LK-10, before anything is
    /// allocated), authentication (DEV-LK-11), the payload (DEV-LK-12), its device list
    /// (DEV-LK-13), that list's account (DEV-LK-14), this device under the assigned id
    /// (DEV-LK-15), no other entry with one of its keys (DEV-LK-16).
    ///
    /// On success the link secret is wiped, so no second message opens; on a refusal nothing
    /// changes and a genuine message still opens.
    pub fn open(&mut self, message: &[u8]) -> Result<LinkPayload, LinkError> {
        let Some(secret) = &self.secret else {
            return Err(LinkError::AlreadyUsed);
        };
        let tag = message.first().copied().unwrap_or(0);
        if tag != wire::LINK_MESSAGE {
            return Err(LinkError::WrongTag(tag));
        }
        if message.len() < MIN_MESSAGE_LEN {
            return Err(LinkError::Truncated(message.len()));
        }
        if message.len() > MAX_MESSAGE_LEN {
            return Err(LinkError::TooLong(message.len()));
        }
        let (salt, sealed) = message[1..].split_at(SALT_LEN);
        let (key, nonce) = channel_keys(secret, &self.identity, salt);
        let plaintext = Zeroizing::new(
            aead::open(&key, &nonce, &associated_data(&self.identity), sealed)
                .map_err(|_| LinkError::Authentication)?,
        );
        let payload = LinkPayload::from_bytes(&plaintext)?;
        check_list(
            payload.account_id,
            payload.device_id,
            payload.list.list(),
            &self.identity,
        )?;
        self.secret = None;
        Ok(payload)
    }
}

/// Sealing without the primary's checks, for test vectors and tests of the new device's
/// refusals. An application calls [`seal`].
pub mod hazmat {
    use super::{LinkCode, SALT_LEN, associated_data, channel_keys};
    use sotto_crypto::{CryptoRng, aead, wire};

    /// Seals any `plaintext` to the device that showed `code`: `0x1B || salt || AEAD`, the
    /// salt 16 bytes from `rng`. Consumes the code.
    pub fn seal_plaintext<R: CryptoRng + ?Sized>(
        code: LinkCode,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Vec<u8> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let (key, nonce) = channel_keys(&code.secret, &code.identity, &salt);
        let sealed = aead::seal(&key, &nonce, &associated_data(&code.identity), plaintext);
        let mut out = Vec::with_capacity(1 + SALT_LEN + sealed.len());
        out.push(wire::LINK_MESSAGE);
        out.extend_from_slice(&salt);
        out.extend_from_slice(&sealed);
        out
    }
}

#[cfg(test)]
mod tests;
