//! Sealed-sender certificates (protocol.md 9.2): trust root, server certificate, sender
//! certificate.
//!
//! Instead of the relay vouching for a sender on every message (which would tell it who
//! sends), the relay hands each device a short-lived *sender certificate* once; the device
//! puts it inside the sealed envelope and the recipient checks it against server keys it
//! verified earlier against the trust root its client pins.
//!
//! ```text
//! server_certificate = 0x1e || 0x01 || u32be(key_id) || server_key[32] || u64be(not_before)
//!                      || u64be(not_after) || signature[64]                       (118 bytes)
//! signature          = Ed25519(trust root, SEALED_SERVER_CERTIFICATE || the 54 bytes before it)
//!
//! sender_certificate = 0x1e || 0x02 || account_id[16] || u32be(device_id)
//!                      || device_identity[64] || u64be(expires) || u32be(server_key_id)
//!                      || signature[64]                                           (162 bytes)
//! signature          = Ed25519(server key, SEALED_SENDER_CERTIFICATE || the 98 bytes before it)
//! ```
//!
//! Algorithm of [`SenderCertificate::verify`], after the structural decoding of
//! [`SenderCertificate::from_bytes`] (SEAL-CERT-01..04):
//!
//! 1. the server key id is one of the store's certificates (SEAL-CERT-07),
//! 2. and not revoked (SEAL-CERT-08);
//! 3. that server certificate is valid at `now`: `not_before <= now <= not_after`
//!    (SEAL-CERT-09);
//! 4. the signature verifies under its server key (strict Ed25519, SEAL-CERT-06);
//! 5. `now <= expires` (SEAL-CERT-10).
//!
//! Time is always the caller's `now` (seconds since the Unix epoch); nothing here reads a
//! clock.

use core::fmt;
use std::collections::{BTreeMap, BTreeSet};

use sotto_crypto::ed25519::{Signature, SigningKey, VerifyingKey};
use sotto_crypto::labels::{SEALED_SENDER_CERTIFICATE, SEALED_SERVER_CERTIFICATE};
use sotto_crypto::{CryptoRng, SecretBytes, wire};
use sotto_devices::AccountId;
use sotto_handshake::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentityKey};
use zeroize::ZeroizeOnDrop;

/// The subtype byte of a server certificate (after the tag `0x1e`).
pub const SERVER_CERTIFICATE_SUBTYPE: u8 = 0x01;
/// The subtype byte of a sender certificate (after the tag `0x1e`).
pub const SENDER_CERTIFICATE_SUBTYPE: u8 = 0x02;
/// Length of a server certificate.
pub const SERVER_CERTIFICATE_LEN: usize = 2 + 4 + 32 + 8 + 8 + SIGNATURE_LEN;
/// Length of a sender certificate.
pub const SENDER_CERTIFICATE_LEN: usize =
    2 + 16 + 4 + DEVICE_IDENTITY_KEY_LEN + 8 + 4 + SIGNATURE_LEN;
const SIGNATURE_LEN: usize = 64;
/// Where the device identity sits in a sender certificate.
const IDENTITY_AT: usize = 22;
/// Length of a sender certificate without its device identity: the form the sealed
/// envelope carries, since its layer 1 already holds the identity (protocol.md 9.3).
pub const COMPACT_SENDER_CERTIFICATE_LEN: usize = SENDER_CERTIFICATE_LEN - DEVICE_IDENTITY_KEY_LEN;

/// A certificate could not be decoded, issued, stored or verified. Each variant names its
/// validation ID of protocol.md section 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// SEAL-CERT-01: the first byte is not the certificate tag `0x1e` (an empty input counts
    /// as `0x00`).
    #[error("unknown version or type tag {0:#04x}")]
    WrongTag(u8),
    /// SEAL-CERT-02: the second byte is not the expected subtype (`0x01` server, `0x02`
    /// sender; a missing byte counts as `0x00`).
    #[error("wrong certificate subtype {0:#04x}")]
    WrongSubtype(u8),
    /// SEAL-CERT-03: not exactly 118 (server) or 162 (sender) bytes.
    #[error("certificate length is wrong")]
    Length,
    /// SEAL-CERT-04: the server key is not an Ed25519 point (rule 1 of 7.1), or the device
    /// identity does not decode (HS-03), or the trust root's bytes are not a point.
    #[error("invalid key encoding")]
    InvalidKey,
    /// SEAL-CERT-05: a server certificate's `not_before` is after its `not_after`.
    #[error("validity window inverted")]
    InvertedWindow,
    /// SEAL-CERT-06: the signature does not verify (strict Ed25519, section 7.1).
    #[error("certificate signature is invalid")]
    Signature,
    /// SEAL-CERT-07: the sender certificate names a server key id the store does not hold.
    #[error("unknown server key id {0}")]
    UnknownServerKey(u32),
    /// SEAL-CERT-08: the sender certificate's server key id is revoked.
    #[error("server key id {0} is revoked")]
    Revoked(u32),
    /// SEAL-CERT-09: the server certificate is not yet valid at `now` (`now < not_before`).
    #[error("server certificate not yet valid")]
    ServerCertificateNotYetValid,
    /// SEAL-CERT-09: the server certificate has expired at `now` (`now > not_after`).
    #[error("server certificate expired")]
    ServerCertificateExpired,
    /// SEAL-CERT-10: the sender certificate has expired at `now` (`now > expires`).
    #[error("sender certificate expired")]
    Expired,
    /// SEAL-CERT-11: the store already holds another certificate with this key id.
    #[error("another server certificate with key id {0} is held")]
    ConflictingServerCertificate(u32),
}

/// Checks the tag, the subtype and the exact length (SEAL-CERT-01..03).
fn check_frame(bytes: &[u8], subtype: u8, len: usize) -> Result<(), CertificateError> {
    match bytes.first() {
        Some(&wire::SEALED_CERTIFICATE) => {}
        Some(&other) => return Err(CertificateError::WrongTag(other)),
        None => return Err(CertificateError::WrongTag(0)),
    }
    match bytes.get(1) {
        Some(&s) if s == subtype => {}
        Some(&other) => return Err(CertificateError::WrongSubtype(other)),
        None => return Err(CertificateError::WrongSubtype(0)),
    }
    if bytes.len() == len {
        Ok(())
    } else {
        Err(CertificateError::Length)
    }
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut a = [0u8; N];
    if let Some(src) = bytes.get(at..at + N) {
        a.copy_from_slice(src);
    }
    a
}

/// A sender certificate's bytes from its compact form and the identity of bytes 22..86.
fn rebuild(
    compact: &[u8; COMPACT_SENDER_CERTIFICATE_LEN],
    identity: &[u8; DEVICE_IDENTITY_KEY_LEN],
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(SENDER_CERTIFICATE_LEN);
    bytes.extend_from_slice(&compact[..IDENTITY_AT]);
    bytes.extend_from_slice(identity);
    bytes.extend_from_slice(&compact[IDENTITY_AT..]);
    bytes
}

/// `label || body`.
fn signed_message(label: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(label.len() + body.len());
    m.extend_from_slice(label);
    m.extend_from_slice(body);
    m
}

/// The trust root: the Ed25519 public key clients pin, which signs server certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustRoot(VerifyingKey);

impl TrustRoot {
    /// Decodes 32 bytes (SEAL-CERT-04 if they are not a point; a small-order key decodes and
    /// then verifies nothing).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CertificateError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| CertificateError::InvalidKey)
    }

    /// The 32 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

/// The trust root's signing key, held by the relay operator offline. Wiped on drop; not
/// `Clone`; printed redacted.
pub struct TrustRootKey(SigningKey);

impl TrustRootKey {
    /// A fresh key (32 bytes from `rng`, the Ed25519 seed).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(SigningKey::generate(rng))
    }

    /// Rebuilds the key from its seed.
    #[must_use]
    pub fn from_seed(seed: SecretBytes<32>) -> Self {
        Self(SigningKey::from_seed(seed))
    }

    /// The seed, unzeroized, for the operator's encrypted storage.
    #[must_use]
    pub fn expose_seed(&self) -> &[u8; 32] {
        self.0.expose_seed()
    }

    /// The public trust root.
    #[must_use]
    pub fn public(&self) -> TrustRoot {
        TrustRoot(self.0.verifying_key())
    }

    /// Signs a server certificate for `server_key` under `key_id`, valid from `not_before` to
    /// `not_after` included. SEAL-CERT-05 if `not_before > not_after`.
    pub fn certify(
        &self,
        key_id: u32,
        server_key: &VerifyingKey,
        not_before: u64,
        not_after: u64,
    ) -> Result<ServerCertificate, CertificateError> {
        if not_before > not_after {
            return Err(CertificateError::InvertedWindow);
        }
        let mut bytes = Vec::with_capacity(SERVER_CERTIFICATE_LEN);
        bytes.extend_from_slice(&[wire::SEALED_CERTIFICATE, SERVER_CERTIFICATE_SUBTYPE]);
        bytes.extend_from_slice(&key_id.to_be_bytes());
        bytes.extend_from_slice(&server_key.to_bytes());
        bytes.extend_from_slice(&not_before.to_be_bytes());
        bytes.extend_from_slice(&not_after.to_be_bytes());
        let signature = self
            .0
            .sign(&signed_message(SEALED_SERVER_CERTIFICATE, &bytes));
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(ServerCertificate {
            key_id,
            server_key: *server_key,
            not_before,
            not_after,
            bytes,
        })
    }
}

// The inner ed25519-dalek key wipes its seed on drop.
impl ZeroizeOnDrop for TrustRootKey {}

impl fmt::Debug for TrustRootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustRootKey")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

/// A server certificate whose signature verifies under a trust root. Built only by
/// [`TrustRootKey::certify`] and [`ServerCertificate::from_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    key_id: u32,
    server_key: VerifyingKey,
    not_before: u64,
    not_after: u64,
    bytes: Vec<u8>,
}

impl ServerCertificate {
    /// Decodes and verifies a server certificate, in this order: the tag (SEAL-CERT-01), the
    /// subtype `0x01` (SEAL-CERT-02), exactly 118 bytes (SEAL-CERT-03), the server key is a
    /// point (SEAL-CERT-04), `not_before <= not_after` (SEAL-CERT-05), the signature under
    /// `root` (SEAL-CERT-06). Whether it is valid *now* is checked where it is used.
    pub fn from_bytes(bytes: &[u8], root: &TrustRoot) -> Result<Self, CertificateError> {
        check_frame(bytes, SERVER_CERTIFICATE_SUBTYPE, SERVER_CERTIFICATE_LEN)?;
        let key_id = u32::from_be_bytes(array(bytes, 2));
        let server_key =
            VerifyingKey::from_bytes(&array(bytes, 6)).map_err(|_| CertificateError::InvalidKey)?;
        let not_before = u64::from_be_bytes(array(bytes, 38));
        let not_after = u64::from_be_bytes(array(bytes, 46));
        if not_before > not_after {
            return Err(CertificateError::InvertedWindow);
        }
        let body = &bytes[..SERVER_CERTIFICATE_LEN - SIGNATURE_LEN];
        let signature = Signature::from_bytes(array(bytes, SERVER_CERTIFICATE_LEN - SIGNATURE_LEN));
        root.0
            .verify(&signed_message(SEALED_SERVER_CERTIFICATE, body), &signature)
            .map_err(|_| CertificateError::Signature)?;
        Ok(Self {
            key_id,
            server_key,
            not_before,
            not_after,
            bytes: bytes.to_vec(),
        })
    }

    /// The wire bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key id sender certificates name.
    #[must_use]
    pub const fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The server's Ed25519 key.
    #[must_use]
    pub const fn server_key(&self) -> &VerifyingKey {
        &self.server_key
    }

    /// First second of validity.
    #[must_use]
    pub const fn not_before(&self) -> u64 {
        self.not_before
    }

    /// Last second of validity.
    #[must_use]
    pub const fn not_after(&self) -> u64 {
        self.not_after
    }

    /// SEAL-CERT-09: `not_before <= now <= not_after`.
    fn check_valid_at(&self, now: u64) -> Result<(), CertificateError> {
        if now < self.not_before {
            Err(CertificateError::ServerCertificateNotYetValid)
        } else if now > self.not_after {
            Err(CertificateError::ServerCertificateExpired)
        } else {
            Ok(())
        }
    }
}

/// A server key: the relay's Ed25519 key that issues sender certificates, with the id its
/// server certificate gives it. Wiped on drop; not `Clone`; printed redacted.
pub struct ServerKey {
    key_id: u32,
    key: SigningKey,
}

impl ServerKey {
    /// A fresh key for `key_id` (32 bytes from `rng`, the Ed25519 seed).
    pub fn generate<R: CryptoRng + ?Sized>(key_id: u32, rng: &mut R) -> Self {
        Self {
            key_id,
            key: SigningKey::generate(rng),
        }
    }

    /// Rebuilds the key from its id and seed.
    #[must_use]
    pub fn from_seed(key_id: u32, seed: SecretBytes<32>) -> Self {
        Self {
            key_id,
            key: SigningKey::from_seed(seed),
        }
    }

    /// The seed, unzeroized, for the relay's encrypted storage.
    #[must_use]
    pub fn expose_seed(&self) -> &[u8; 32] {
        self.key.expose_seed()
    }

    /// The key id.
    #[must_use]
    pub const fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The public key, for the trust root to certify.
    #[must_use]
    pub fn public(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Issues a sender certificate for one device of an account, valid until `expires`
    /// included.
    #[must_use]
    pub fn issue(
        &self,
        account_id: AccountId,
        device_id: u32,
        identity: &DeviceIdentityKey,
        expires: u64,
    ) -> SenderCertificate {
        let mut bytes = Vec::with_capacity(SENDER_CERTIFICATE_LEN);
        bytes.extend_from_slice(&[wire::SEALED_CERTIFICATE, SENDER_CERTIFICATE_SUBTYPE]);
        bytes.extend_from_slice(&account_id.to_bytes());
        bytes.extend_from_slice(&device_id.to_be_bytes());
        bytes.extend_from_slice(&identity.to_bytes());
        bytes.extend_from_slice(&expires.to_be_bytes());
        bytes.extend_from_slice(&self.key_id.to_be_bytes());
        let signature = self
            .key
            .sign(&signed_message(SEALED_SENDER_CERTIFICATE, &bytes));
        bytes.extend_from_slice(&signature.to_bytes());
        SenderCertificate {
            sender: VerifiedSender {
                account_id,
                device_id,
                identity: *identity,
                expires,
                server_key_id: self.key_id,
            },
            signature,
            bytes,
        }
    }
}

// The inner ed25519-dalek key wipes its seed on drop.
impl ZeroizeOnDrop for ServerKey {}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerKey")
            .field("key_id", &self.key_id)
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

/// The server certificates a client verified against its trust root, by key id, and the key
/// ids it was told are revoked.
#[derive(Debug, Clone)]
pub struct CertificateStore {
    root: TrustRoot,
    certificates: BTreeMap<u32, ServerCertificate>,
    revoked: BTreeSet<u32>,
}

impl CertificateStore {
    /// An empty store under `root`.
    #[must_use]
    pub const fn new(root: TrustRoot) -> Self {
        Self {
            root,
            certificates: BTreeMap::new(),
            revoked: BTreeSet::new(),
        }
    }

    /// The trust root.
    #[must_use]
    pub const fn root(&self) -> &TrustRoot {
        &self.root
    }

    /// Decodes `bytes` as a server certificate against the store's root (SEAL-CERT-01..06)
    /// and keeps it. The same bytes again are accepted and change nothing; another
    /// certificate with a held key id is refused (SEAL-CERT-11), and the store is unchanged.
    pub fn add(&mut self, bytes: &[u8]) -> Result<&ServerCertificate, CertificateError> {
        let certificate = ServerCertificate::from_bytes(bytes, &self.root)?;
        let key_id = certificate.key_id;
        let held = self.certificates.entry(key_id).or_insert(certificate);
        if held.bytes != bytes {
            return Err(CertificateError::ConflictingServerCertificate(key_id));
        }
        Ok(held)
    }

    /// Marks `key_id` revoked: no sender certificate naming it verifies again.
    pub fn revoke(&mut self, key_id: u32) {
        self.revoked.insert(key_id);
    }

    /// Whether `key_id` is revoked.
    #[must_use]
    pub fn is_revoked(&self, key_id: u32) -> bool {
        self.revoked.contains(&key_id)
    }

    /// The held certificate with `key_id`.
    #[must_use]
    pub fn get(&self, key_id: u32) -> Option<&ServerCertificate> {
        self.certificates.get(&key_id)
    }
}

/// What a verified sender certificate says: this device of this account, with this
/// identity, vouched for by server key `server_key_id` until `expires`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedSender {
    account_id: AccountId,
    device_id: u32,
    identity: DeviceIdentityKey,
    expires: u64,
    server_key_id: u32,
}

impl VerifiedSender {
    /// The sender's account.
    #[must_use]
    pub const fn account_id(&self) -> AccountId {
        self.account_id
    }

    /// The sender's device id.
    #[must_use]
    pub const fn device_id(&self) -> u32 {
        self.device_id
    }

    /// The sender device's identity (both keys, as in the handshake).
    #[must_use]
    pub const fn identity(&self) -> &DeviceIdentityKey {
        &self.identity
    }

    /// Last second of validity.
    #[must_use]
    pub const fn expires(&self) -> u64 {
        self.expires
    }

    /// The server key that signed the certificate.
    #[must_use]
    pub const fn server_key_id(&self) -> u32 {
        self.server_key_id
    }
}

/// A sender certificate decoded structurally (SEAL-CERT-01..04), not yet verified: its
/// contents are reachable only through [`SenderCertificate::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SenderCertificate {
    sender: VerifiedSender,
    signature: Signature,
    bytes: Vec<u8>,
}

impl SenderCertificate {
    /// Decodes a sender certificate, in this order: the tag (SEAL-CERT-01), the subtype
    /// `0x02` (SEAL-CERT-02), exactly 162 bytes (SEAL-CERT-03), the device identity
    /// (HS-03's rules, SEAL-CERT-04). Nothing here is trusted until [`Self::verify`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CertificateError> {
        check_frame(bytes, SENDER_CERTIFICATE_SUBTYPE, SENDER_CERTIFICATE_LEN)?;
        let identity = DeviceIdentityKey::from_bytes(&array(bytes, IDENTITY_AT))
            .map_err(|_| CertificateError::InvalidKey)?;
        Ok(Self::from_checked(bytes.to_vec(), identity))
    }

    /// Rebuilds a certificate from its compact form (the 162 bytes without the device
    /// identity at bytes 22..86, as the envelope carries it) and the `identity` that belongs
    /// there, then decodes it as [`Self::from_bytes`] does. The signature covers the
    /// identity, so a certificate issued for any other identity fails [`Self::verify`]
    /// (SEAL-CERT-06).
    pub fn from_compact(
        compact: &[u8; COMPACT_SENDER_CERTIFICATE_LEN],
        identity: &[u8; DEVICE_IDENTITY_KEY_LEN],
    ) -> Result<Self, CertificateError> {
        Self::from_bytes(&rebuild(compact, identity))
    }

    /// [`Self::from_compact`] with the identity already decoded (the envelope decoded it with
    /// HS-03's rules to compute the static secret): the same checks, without decoding the
    /// identity a second time.
    pub(crate) fn from_compact_identity(
        compact: &[u8; COMPACT_SENDER_CERTIFICATE_LEN],
        identity: &DeviceIdentityKey,
    ) -> Result<Self, CertificateError> {
        let bytes = rebuild(compact, &identity.to_bytes());
        check_frame(&bytes, SENDER_CERTIFICATE_SUBTYPE, SENDER_CERTIFICATE_LEN)?;
        Ok(Self::from_checked(bytes, *identity))
    }

    /// The certificate of `bytes`, framed and with `identity` decoded from bytes 22..86.
    fn from_checked(bytes: Vec<u8>, identity: DeviceIdentityKey) -> Self {
        let account_id = AccountId::from_bytes(array(&bytes, 2));
        let device_id = u32::from_be_bytes(array(&bytes, 18));
        let expires = u64::from_be_bytes(array(&bytes, 86));
        let server_key_id = u32::from_be_bytes(array(&bytes, 94));
        Self {
            sender: VerifiedSender {
                account_id,
                device_id,
                identity,
                expires,
                server_key_id,
            },
            signature: Signature::from_bytes(array(&bytes, SENDER_CERTIFICATE_LEN - SIGNATURE_LEN)),
            bytes,
        }
    }

    /// The compact form: the wire bytes without the device identity (bytes 22..86).
    #[must_use]
    pub fn compact(&self) -> [u8; COMPACT_SENDER_CERTIFICATE_LEN] {
        let mut out = [0u8; COMPACT_SENDER_CERTIFICATE_LEN];
        out[..IDENTITY_AT].copy_from_slice(&self.bytes[..IDENTITY_AT]);
        out[IDENTITY_AT..].copy_from_slice(&self.bytes[IDENTITY_AT + DEVICE_IDENTITY_KEY_LEN..]);
        out
    }

    /// The device identity the certificate names (unverified).
    #[must_use]
    pub const fn identity(&self) -> &DeviceIdentityKey {
        &self.sender.identity
    }

    /// The wire bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The server key id the certificate names (unverified: for choosing what to fetch).
    #[must_use]
    pub const fn server_key_id(&self) -> u32 {
        self.sender.server_key_id
    }

    /// Verifies the certificate at `now` (seconds since the Unix epoch) against `servers`:
    /// the key id is held (SEAL-CERT-07) and not revoked (SEAL-CERT-08), its server
    /// certificate is valid at `now` (SEAL-CERT-09), the signature verifies under its server
    /// key (SEAL-CERT-06), and `now <= expires` (SEAL-CERT-10). One Ed25519 verification.
    pub fn verify(
        &self,
        servers: &CertificateStore,
        now: u64,
    ) -> Result<VerifiedSender, CertificateError> {
        self.verify_inner(servers, now, None)
    }

    /// [`Self::verify`], skipping the signature check when `verified` is the server key this
    /// very certificate's signature already verified under (a memo of
    /// [`crate::cache::StaticCache`]) and `servers` still holds that key under the
    /// certificate's key id. Every other check runs as in [`Self::verify`].
    pub(crate) fn verify_inner(
        &self,
        servers: &CertificateStore,
        now: u64,
        verified: Option<&[u8; 32]>,
    ) -> Result<VerifiedSender, CertificateError> {
        let key_id = self.sender.server_key_id;
        let server = servers
            .get(key_id)
            .ok_or(CertificateError::UnknownServerKey(key_id))?;
        if servers.is_revoked(key_id) {
            return Err(CertificateError::Revoked(key_id));
        }
        server.check_valid_at(now)?;
        let known = verified.is_some_and(|key| *key == server.server_key.to_bytes());
        if !known {
            let body = &self.bytes[..SENDER_CERTIFICATE_LEN - SIGNATURE_LEN];
            server
                .server_key
                .verify(
                    &signed_message(SEALED_SENDER_CERTIFICATE, body),
                    &self.signature,
                )
                .map_err(|_| CertificateError::Signature)?;
        }
        if now > self.sender.expires {
            return Err(CertificateError::Expired);
        }
        Ok(self.sender)
    }

    /// The server key this certificate names, as `servers` holds it.
    pub(crate) fn server_key_in(&self, servers: &CertificateStore) -> Option<[u8; 32]> {
        servers
            .get(self.sender.server_key_id)
            .map(|s| s.server_key.to_bytes())
    }
}

#[cfg(test)]
mod tests;
