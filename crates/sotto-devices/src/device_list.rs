//! Account keys and signed device lists (protocol.md 8.1).
//!
//! ```text
//! device_list = 0x18 || account_id[16] || account_key[32] || u64be(version) || u64be(created_at)
//!               || u16be(n) || n x (u32be(device_id) || device_identity[64]) || signature[64]
//! signature   = Ed25519(account key, DEVICE_LIST_SIGNATURE || device_list without the signature)
//! ```
//!
//! Decoding is strict and includes the signature: the only way to a [`SignedDeviceList`] is a
//! list whose bytes decode (DEV-01..DEV-04) and whose signature verifies under the account key
//! it names (DEV-05). Whether that account key is the one a peer pinned, and whether the
//! version is newer than the one it holds, is the trust layer's decision.

use core::fmt;

use sotto_crypto::CryptoRng;
use sotto_crypto::ed25519::{Signature, SigningKey, VerifyingKey};
use sotto_crypto::labels::DEVICE_LIST_SIGNATURE;
use sotto_crypto::wire;
use sotto_handshake::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentityKey};

/// Length of an account id.
pub const ACCOUNT_ID_LEN: usize = 16;
/// The most devices one list holds (a list is then at most 2_307 bytes, and verifying it is one
/// Ed25519 verification whatever it holds).
pub const MAX_DEVICES: usize = 32;
/// Bytes before the device entries: tag, account id, account key, version, creation time,
/// count.
const HEADER_LEN: usize = 1 + ACCOUNT_ID_LEN + 32 + 8 + 8 + 2;
/// Bytes of one device entry.
const ENTRY_LEN: usize = 4 + DEVICE_IDENTITY_KEY_LEN;
/// Bytes of the signature.
const SIGNATURE_LEN: usize = 64;

/// A device list could not be decoded, built or verified. Each variant names its validation
/// ID of protocol.md section 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceListError {
    /// DEV-01: the first byte is not the device list's type tag `0x18` (or the input is
    /// empty).
    #[error("unknown version or type tag {0:#04x}")]
    UnknownVersion(u8),
    /// DEV-02: the input is shorter or longer than its device count says.
    #[error("device list length does not match its device count")]
    Length,
    /// DEV-02: no device, or more than [`MAX_DEVICES`].
    #[error("device count out of range (1 to 32)")]
    DeviceCount,
    /// DEV-03: the account key is not a valid Ed25519 point, or a device identity key is
    /// invalid (HS-03's rules).
    #[error("invalid key encoding")]
    InvalidKey,
    /// DEV-04: device ids are not strictly increasing, or one is 0.
    #[error("device ids not strictly increasing or 0")]
    DeviceIds,
    /// DEV-05: the signature does not verify under the list's account key (strict Ed25519,
    /// section 7.1).
    #[error("device list signature is invalid")]
    Signature,
}

/// An account's identifier: 16 bytes chosen at random when the account is created. It stays
/// the same when the account key is replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId([u8; ACCOUNT_ID_LEN]);

impl AccountId {
    /// Wraps the 16 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; ACCOUNT_ID_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random id.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; ACCOUNT_ID_LEN];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The 16 bytes.
    #[must_use]
    pub const fn to_bytes(&self) -> [u8; ACCOUNT_ID_LEN] {
        self.0
    }

    /// The 32 lower-case hex digits the relay's API, the client and the CLI print.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Decodes exactly 32 hex digits (either case); `None` for anything else.
    #[must_use]
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; ACCOUNT_ID_LEN];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }
}

/// The account key: an Ed25519 key that signs the account's device lists, kept on the device
/// that created the account. Wiped on drop; not `Clone`; printed redacted.
pub struct AccountKey(SigningKey);

impl AccountKey {
    /// A fresh account key (32 bytes from `rng`, the Ed25519 seed).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(SigningKey::generate(rng))
    }

    /// Rebuilds an account key from its seed.
    #[must_use]
    pub fn from_seed(seed: sotto_crypto::SecretBytes<32>) -> Self {
        Self(SigningKey::from_seed(seed))
    }

    /// The seed, for the owner's encrypted storage.
    #[must_use]
    pub fn expose_seed(&self) -> &[u8; 32] {
        self.0.expose_seed()
    }

    /// The public account key, which peers pin.
    #[must_use]
    pub fn public(&self) -> AccountPublicKey {
        AccountPublicKey(self.0.verifying_key())
    }
}

impl fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountKey")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

/// A public account key (a valid Ed25519 point, rule 1 of protocol.md 7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPublicKey(VerifyingKey);

impl AccountPublicKey {
    /// Decodes 32 bytes (DEV-03 if they are not a point).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DeviceListError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| DeviceListError::InvalidKey)
    }

    /// The 32 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The Ed25519 key.
    #[must_use]
    pub const fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }
}

/// One device of an account: its id (1 or more) and its full identity (both keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceEntry {
    device_id: u32,
    identity: DeviceIdentityKey,
}

impl DeviceEntry {
    /// A device entry.
    #[must_use]
    pub const fn new(device_id: u32, identity: DeviceIdentityKey) -> Self {
        Self {
            device_id,
            identity,
        }
    }

    /// The device id, unique within the account.
    #[must_use]
    pub const fn device_id(&self) -> u32 {
        self.device_id
    }

    /// The device's identity keys (Ed25519 signing key and X25519 identity key).
    #[must_use]
    pub const fn identity(&self) -> &DeviceIdentityKey {
        &self.identity
    }
}

/// The content of a device list: checked (1 to [`MAX_DEVICES`] devices, distinct non-zero
/// ids, kept sorted by id), not yet signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceList {
    account_id: AccountId,
    version: u64,
    created_at: u64,
    devices: Vec<DeviceEntry>,
}

impl DeviceList {
    /// A list of `devices` (sorted here by id) at `version`, created at `created_at` (seconds
    /// since the Unix epoch). DEV-02 for no device or more than [`MAX_DEVICES`], DEV-04 for a
    /// repeated id or id 0.
    pub fn new(
        account_id: AccountId,
        version: u64,
        created_at: u64,
        mut devices: Vec<DeviceEntry>,
    ) -> Result<Self, DeviceListError> {
        if devices.is_empty() || devices.len() > MAX_DEVICES {
            return Err(DeviceListError::DeviceCount);
        }
        devices.sort_by_key(DeviceEntry::device_id);
        if !strictly_increasing(&devices) {
            return Err(DeviceListError::DeviceIds);
        }
        Ok(Self {
            account_id,
            version,
            created_at,
            devices,
        })
    }

    /// The account.
    #[must_use]
    pub const fn account_id(&self) -> AccountId {
        self.account_id
    }

    /// The version: a newer list of the account has a larger one.
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// When the list was made, seconds since the Unix epoch.
    #[must_use]
    pub const fn created_at(&self) -> u64 {
        self.created_at
    }

    /// The devices, by increasing id.
    #[must_use]
    pub fn devices(&self) -> &[DeviceEntry] {
        &self.devices
    }

    /// The device with `device_id`, if the list has it.
    #[must_use]
    pub fn device(&self, device_id: u32) -> Option<&DeviceEntry> {
        self.devices
            .binary_search_by_key(&device_id, DeviceEntry::device_id)
            .ok()
            .and_then(|i| self.devices.get(i))
    }

    /// The bytes the signature covers, without the label: everything of the wire form but the
    /// signature.
    fn body(&self, account_key: &AccountPublicKey) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.devices.len() * ENTRY_LEN);
        out.push(wire::DEVICE_LIST);
        out.extend_from_slice(&self.account_id.to_bytes());
        out.extend_from_slice(&account_key.to_bytes());
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.created_at.to_be_bytes());
        // At most MAX_DEVICES entries, checked at construction.
        out.extend_from_slice(
            &u16::try_from(self.devices.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        for d in &self.devices {
            out.extend_from_slice(&d.device_id.to_be_bytes());
            out.extend_from_slice(&d.identity.to_bytes());
        }
        out
    }

    /// Signs the list with the account key.
    #[must_use]
    pub fn sign(self, key: &AccountKey) -> SignedDeviceList {
        let account_key = key.public();
        let body = self.body(&account_key);
        let signature = key.0.sign(&signed_message(&body));
        let mut bytes = body;
        bytes.extend_from_slice(&signature.to_bytes());
        SignedDeviceList {
            list: self,
            account_key,
            bytes,
        }
    }
}

fn strictly_increasing(devices: &[DeviceEntry]) -> bool {
    let mut previous = 0u32;
    devices.iter().all(|d| {
        let ok = d.device_id > previous;
        previous = d.device_id;
        ok
    })
}

/// `DEVICE_LIST_SIGNATURE || body`.
fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DEVICE_LIST_SIGNATURE.len() + body.len());
    m.extend_from_slice(DEVICE_LIST_SIGNATURE);
    m.extend_from_slice(body);
    m
}

/// A device list whose signature verifies under the account key it names. Built only by
/// [`DeviceList::sign`] and [`SignedDeviceList::from_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDeviceList {
    list: DeviceList,
    account_key: AccountPublicKey,
    bytes: Vec<u8>,
}

impl SignedDeviceList {
    /// Decodes and verifies a signed device list, in this order: the type tag (DEV-01), the
    /// length against the device count and the count's range (DEV-02), the account key and
    /// every device identity (DEV-03), the device ids (DEV-04), the signature (DEV-05). Costs
    /// one Ed25519 verification and a pass over at most `2_307` bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DeviceListError> {
        match bytes.first() {
            Some(&wire::DEVICE_LIST) => {}
            Some(&other) => return Err(DeviceListError::UnknownVersion(other)),
            None => return Err(DeviceListError::UnknownVersion(0)),
        }
        if bytes.len() < HEADER_LEN {
            return Err(DeviceListError::Length);
        }
        let n = usize::from(u16::from_be_bytes([
            bytes[HEADER_LEN - 2],
            bytes[HEADER_LEN - 1],
        ]));
        if n == 0 || n > MAX_DEVICES {
            return Err(DeviceListError::DeviceCount);
        }
        if bytes.len() != HEADER_LEN + n * ENTRY_LEN + SIGNATURE_LEN {
            return Err(DeviceListError::Length);
        }
        let array = |at: usize| -> [u8; 32] {
            let mut a = [0u8; 32];
            a.copy_from_slice(&bytes[at..at + 32]);
            a
        };
        let mut account_id = [0u8; ACCOUNT_ID_LEN];
        account_id.copy_from_slice(&bytes[1..=ACCOUNT_ID_LEN]);
        let account_key = AccountPublicKey::from_bytes(&array(1 + ACCOUNT_ID_LEN))?;
        let u64_at = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(a)
        };
        let version = u64_at(1 + ACCOUNT_ID_LEN + 32);
        let created_at = u64_at(1 + ACCOUNT_ID_LEN + 40);
        let mut devices = Vec::with_capacity(n);
        for i in 0..n {
            let at = HEADER_LEN + i * ENTRY_LEN;
            let device_id =
                u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            let mut identity = [0u8; DEVICE_IDENTITY_KEY_LEN];
            identity.copy_from_slice(&bytes[at + 4..at + ENTRY_LEN]);
            let identity = DeviceIdentityKey::from_bytes(&identity)
                .map_err(|_| DeviceListError::InvalidKey)?;
            devices.push(DeviceEntry::new(device_id, identity));
        }
        if !strictly_increasing(&devices) {
            return Err(DeviceListError::DeviceIds);
        }
        let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let mut sig = [0u8; SIGNATURE_LEN];
        sig.copy_from_slice(signature);
        account_key
            .verifying_key()
            .verify(&signed_message(body), &Signature::from_bytes(sig))
            .map_err(|_| DeviceListError::Signature)?;
        Ok(Self {
            list: DeviceList {
                account_id: AccountId::from_bytes(account_id),
                version,
                created_at,
                devices,
            },
            account_key,
            bytes: bytes.to_vec(),
        })
    }

    /// The wire bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The account key that signed the list (to pin, or to compare with the pinned one).
    #[must_use]
    pub const fn account_key(&self) -> &AccountPublicKey {
        &self.account_key
    }

    /// The list.
    #[must_use]
    pub const fn list(&self) -> &DeviceList {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use sotto_handshake::DeviceIdentity;

    use super::*;

    #[test]
    fn account_ids_print_and_parse_as_32_hex_digits() {
        let id = AccountId::from_bytes(*b"\x00\x01\xab\xcd0123456789AB");
        let text = id.to_hex();
        assert_eq!(text, "0001abcd303132333435363738394142");
        assert_eq!(AccountId::from_hex(&text), Some(id));
        assert_eq!(AccountId::from_hex(&text.to_uppercase()), Some(id));
        for bad in [
            &text[..31],
            &format!("{text}0"),
            &text[..30],
            "",
            &"g".repeat(32),
        ] {
            assert_eq!(AccountId::from_hex(bad), None, "{bad:?}");
        }
    }

    fn list(rng: &mut StdRng, devices: usize) -> (AccountKey, SignedDeviceList) {
        let key = AccountKey::generate(rng);
        let entries = (1..=devices)
            .map(|i| DeviceEntry::new(i as u32 * 3, DeviceIdentity::generate(rng).public()))
            .collect();
        let list = DeviceList::new(AccountId::generate(rng), 7, 1_764_000_000, entries).unwrap();
        let signed = list.sign(&key);
        (key, signed)
    }

    #[test]
    fn a_signed_list_decodes_to_itself() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in [1, 3, MAX_DEVICES] {
            let (key, signed) = list(&mut rng, n);
            assert_eq!(
                signed.as_bytes().len(),
                HEADER_LEN + n * ENTRY_LEN + SIGNATURE_LEN
            );
            let decoded = SignedDeviceList::from_bytes(signed.as_bytes()).unwrap();
            assert_eq!(decoded, signed);
            assert_eq!(decoded.account_key(), &key.public());
            assert_eq!(decoded.list().devices().len(), n);
            assert_eq!(decoded.list().device(3), decoded.list().devices().first());
            assert!(decoded.list().device(4).is_none());
        }
        assert_eq!(HEADER_LEN + MAX_DEVICES * ENTRY_LEN + SIGNATURE_LEN, 2_307);
    }

    #[test]
    fn every_refusal_has_its_validation_id() {
        let mut rng = StdRng::seed_from_u64(2);
        let (_, signed) = list(&mut rng, 2);
        let good = signed.as_bytes().to_vec();
        let decode = SignedDeviceList::from_bytes;
        // DEV-01
        assert_eq!(decode(&[]), Err(DeviceListError::UnknownVersion(0)));
        for tag in [0x01, wire::PREKEY_BUNDLE, wire::SAFETY_NUMBER, 0x28] {
            let mut b = good.clone();
            b[0] = tag;
            assert_eq!(decode(&b), Err(DeviceListError::UnknownVersion(tag)));
        }
        // DEV-02: every truncation, a trailing byte, counts 0 and 33.
        for cut in 1..good.len() {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            decode(&good[..HEADER_LEN - 1]),
            Err(DeviceListError::Length)
        );
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(decode(&trailing), Err(DeviceListError::Length));
        for count in [0u16, 33] {
            let mut b = good.clone();
            b[HEADER_LEN - 2..HEADER_LEN].copy_from_slice(&count.to_be_bytes());
            assert_eq!(decode(&b), Err(DeviceListError::DeviceCount));
        }
        // DEV-03: an account key that is not a point (y = 2 has no x), a non-canonical X25519
        // device key.
        let mut b = good.clone();
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        b[17..49].copy_from_slice(&not_a_point);
        assert_eq!(decode(&b), Err(DeviceListError::InvalidKey));
        let mut b = good.clone();
        let x25519_at = HEADER_LEN + 4 + 32;
        b[x25519_at..x25519_at + 32].fill(0xff);
        assert_eq!(decode(&b), Err(DeviceListError::InvalidKey));
        // DEV-04: ids out of order, repeated, zero.
        let (first, second) = (HEADER_LEN, HEADER_LEN + ENTRY_LEN);
        for (a, b_id) in [(6u32, 3u32), (3, 3), (0, 3)] {
            let mut b = good.clone();
            b[first..first + 4].copy_from_slice(&a.to_be_bytes());
            b[second..second + 4].copy_from_slice(&b_id.to_be_bytes());
            assert_eq!(
                decode(&b),
                Err(DeviceListError::DeviceIds),
                "ids {a}, {b_id}"
            );
        }
        // DEV-05: any flipped bit of the version, the creation time, a device key or the
        // signature; a list signed by another account key under this one's name.
        for at in [
            1,
            1 + ACCOUNT_ID_LEN + 32,
            1 + ACCOUNT_ID_LEN + 47,
            HEADER_LEN + 10,
            good.len() - 1,
        ] {
            let mut b = good.clone();
            b[at] ^= 0x01;
            assert_eq!(decode(&b), Err(DeviceListError::Signature), "byte {at}");
        }
        let (other, _) = list(&mut rng, 1);
        let mut b = good.clone();
        b[17..49].copy_from_slice(&other.public().to_bytes());
        assert_eq!(decode(&b), Err(DeviceListError::Signature));
    }

    #[test]
    fn every_byte_is_covered() {
        let mut rng = StdRng::seed_from_u64(3);
        let (_, signed) = list(&mut rng, 2);
        let good = signed.as_bytes();
        for i in 0..good.len() {
            let mut b = good.to_vec();
            b[i] ^= 0x80;
            assert!(
                SignedDeviceList::from_bytes(&b).is_err(),
                "flipped byte {i} accepted"
            );
        }
    }

    #[test]
    fn building_a_list_checks_count_and_ids() {
        let mut rng = StdRng::seed_from_u64(4);
        let id = AccountId::generate(&mut rng);
        let mut device = |i| DeviceEntry::new(i, DeviceIdentity::generate(&mut rng).public());
        let too_many: Vec<DeviceEntry> = (1..=33).map(&mut device).collect();
        let twice = vec![device(2), device(2)];
        let zero = vec![device(0)];
        let unsorted = vec![device(9), device(2)];
        assert_eq!(
            DeviceList::new(id, 1, 0, Vec::new()),
            Err(DeviceListError::DeviceCount)
        );
        assert_eq!(
            DeviceList::new(id, 1, 0, too_many),
            Err(DeviceListError::DeviceCount)
        );
        assert_eq!(
            DeviceList::new(id, 1, 0, twice),
            Err(DeviceListError::DeviceIds)
        );
        assert_eq!(
            DeviceList::new(id, 1, 0, zero),
            Err(DeviceListError::DeviceIds)
        );
        // Unsorted input is sorted.
        let list = DeviceList::new(id, 1, 0, unsorted).unwrap();
        let ids: Vec<u32> = list.devices().iter().map(DeviceEntry::device_id).collect();
        assert_eq!(ids, [2, 9]);
    }

    #[test]
    fn the_account_key_is_redacted() {
        let key = AccountKey::generate(&mut StdRng::seed_from_u64(8));
        let text = format!("{key:?}");
        assert!(!text.contains(&hex::encode(key.expose_seed())));
    }
}
