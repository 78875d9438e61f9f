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
        let account_id = AccountId::from_bytes(array(bytes, 2));
        let device_id = u32::from_be_bytes(array(bytes, 18));
        let identity = DeviceIdentityKey::from_bytes(&array(bytes, 22))
            .map_err(|_| CertificateError::InvalidKey)?;
        let expires = u64::from_be_bytes(array(bytes, 86));
        let server_key_id = u32::from_be_bytes(array(bytes, 94));
        Ok(Self {
            sender: VerifiedSender {
                account_id,
                device_id,
                identity,
                expires,
                server_key_id,
            },
            signature: Signature::from_bytes(array(bytes, SENDER_CERTIFICATE_LEN - SIGNATURE_LEN)),
            bytes: bytes.to_vec(),
        })
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
        let key_id = self.sender.server_key_id;
        let server = servers
            .get(key_id)
            .ok_or(CertificateError::UnknownServerKey(key_id))?;
        if servers.is_revoked(key_id) {
            return Err(CertificateError::Revoked(key_id));
        }
        server.check_valid_at(now)?;
        let body = &self.bytes[..SENDER_CERTIFICATE_LEN - SIGNATURE_LEN];
        server
            .server_key
            .verify(
                &signed_message(SEALED_SENDER_CERTIFICATE, body),
                &self.signature,
            )
            .map_err(|_| CertificateError::Signature)?;
        if now > self.sender.expires {
            return Err(CertificateError::Expired);
        }
        Ok(self.sender)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use sotto_handshake::DeviceIdentity;

    use super::*;

    const NOT_BEFORE: u64 = 1_764_000_000;
    const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;
    const EXPIRES: u64 = NOT_BEFORE + 86_400;
    const NOW: u64 = NOT_BEFORE + 3_600;

    struct Fixture {
        root: TrustRootKey,
        server: ServerKey,
        server_certificate: ServerCertificate,
        store: CertificateStore,
        identity: DeviceIdentityKey,
        sender: SenderCertificate,
    }

    fn fixture(seed: u64) -> Fixture {
        let mut rng = StdRng::seed_from_u64(seed);
        let root = TrustRootKey::generate(&mut rng);
        let server = ServerKey::generate(7, &mut rng);
        let server_certificate = root
            .certify(7, &server.public(), NOT_BEFORE, NOT_AFTER)
            .unwrap();
        let mut store = CertificateStore::new(root.public());
        store.add(server_certificate.as_bytes()).unwrap();
        let identity = DeviceIdentity::generate(&mut rng).public();
        let sender = server.issue(AccountId::from_bytes([0xa1; 16]), 3, &identity, EXPIRES);
        Fixture {
            root,
            server,
            server_certificate,
            store,
            identity,
            sender,
        }
    }

    fn decode_and_verify(
        bytes: &[u8],
        store: &CertificateStore,
        now: u64,
    ) -> Result<VerifiedSender, CertificateError> {
        SenderCertificate::from_bytes(bytes)?.verify(store, now)
    }

    #[test]
    fn issued_certificates_decode_and_verify() {
        let f = fixture(1);
        assert_eq!(
            f.server_certificate.as_bytes().len(),
            SERVER_CERTIFICATE_LEN
        );
        assert_eq!(f.sender.as_bytes().len(), SENDER_CERTIFICATE_LEN);
        assert_eq!((SERVER_CERTIFICATE_LEN, SENDER_CERTIFICATE_LEN), (118, 162));
        let decoded =
            ServerCertificate::from_bytes(f.server_certificate.as_bytes(), &f.root.public())
                .unwrap();
        assert_eq!(decoded, f.server_certificate);
        assert_eq!(decoded.key_id(), 7);
        assert_eq!(decoded.server_key(), &f.server.public());
        assert_eq!(
            (decoded.not_before(), decoded.not_after()),
            (NOT_BEFORE, NOT_AFTER)
        );
        let sender = SenderCertificate::from_bytes(f.sender.as_bytes()).unwrap();
        assert_eq!(sender, f.sender);
        assert_eq!(sender.server_key_id(), 7);
        let verified = sender.verify(&f.store, NOW).unwrap();
        assert_eq!(verified.account_id(), AccountId::from_bytes([0xa1; 16]));
        assert_eq!(verified.device_id(), 3);
        assert_eq!(verified.identity(), &f.identity);
        assert_eq!(verified.expires(), EXPIRES);
        assert_eq!(verified.server_key_id(), 7);
        // The root's bytes round-trip; a non-point is refused.
        assert_eq!(
            TrustRoot::from_bytes(&f.root.public().to_bytes()),
            Ok(f.root.public())
        );
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        assert_eq!(
            TrustRoot::from_bytes(&not_a_point),
            Err(CertificateError::InvalidKey)
        );
    }

    #[test]
    fn every_refusal_has_its_validation_id() {
        let f = fixture(2);
        let root = f.root.public();
        let server = f.server_certificate.as_bytes().to_vec();
        let sender = f.sender.as_bytes().to_vec();
        let decode_server = |b: &[u8]| ServerCertificate::from_bytes(b, &root);
        let check = |b: &[u8]| decode_and_verify(b, &f.store, NOW);
        // SEAL-CERT-01
        assert_eq!(decode_server(&[]), Err(CertificateError::WrongTag(0)));
        assert_eq!(check(&[]).unwrap_err(), CertificateError::WrongTag(0));
        for tag in [0x01, wire::DEVICE_LIST, wire::SEALED_ENVELOPE, 0x2e] {
            let mut b = server.clone();
            b[0] = tag;
            assert_eq!(decode_server(&b), Err(CertificateError::WrongTag(tag)));
            let mut b = sender.clone();
            b[0] = tag;
            assert_eq!(check(&b), Err(CertificateError::WrongTag(tag)));
        }
        // SEAL-CERT-02: the other certificate, a missing subtype, an unknown one.
        assert_eq!(
            decode_server(&sender),
            Err(CertificateError::WrongSubtype(0x02))
        );
        assert_eq!(check(&server), Err(CertificateError::WrongSubtype(0x01)));
        assert_eq!(
            decode_server(&[0x1e]),
            Err(CertificateError::WrongSubtype(0))
        );
        assert_eq!(check(&[0x1e]), Err(CertificateError::WrongSubtype(0)));
        let mut b = server.clone();
        b[1] = 0x03;
        assert_eq!(decode_server(&b), Err(CertificateError::WrongSubtype(0x03)));
        // SEAL-CERT-03: every truncation from 2 bytes on and a trailing byte.
        for cut in 2..server.len() {
            assert_eq!(decode_server(&server[..cut]), Err(CertificateError::Length));
        }
        for cut in 2..sender.len() {
            assert_eq!(check(&sender[..cut]), Err(CertificateError::Length));
        }
        let mut b = server.clone();
        b.push(0);
        assert_eq!(decode_server(&b), Err(CertificateError::Length));
        let mut b = sender.clone();
        b.push(0);
        assert_eq!(check(&b), Err(CertificateError::Length));
        // SEAL-CERT-04: a server key that is not a point; a device identity whose Ed25519
        // half is not a point, or whose X25519 half is not canonical.
        let mut not_a_point = [0u8; 32];
        not_a_point[0] = 2;
        let mut b = server.clone();
        b[6..38].copy_from_slice(&not_a_point);
        assert_eq!(decode_server(&b), Err(CertificateError::InvalidKey));
        let mut b = sender.clone();
        b[22..54].copy_from_slice(&not_a_point);
        assert_eq!(check(&b), Err(CertificateError::InvalidKey));
        let mut b = sender.clone();
        b[54..86].fill(0xff);
        assert_eq!(check(&b), Err(CertificateError::InvalidKey));
        // SEAL-CERT-05: swapped window bytes (refused before the signature), and the issuer
        // refuses to sign one.
        let mut b = server.clone();
        b[38..46].copy_from_slice(&NOT_AFTER.to_be_bytes());
        b[46..54].copy_from_slice(&NOT_BEFORE.to_be_bytes());
        assert_eq!(decode_server(&b), Err(CertificateError::InvertedWindow));
        assert_eq!(
            f.root.certify(7, &f.server.public(), NOT_AFTER, NOT_BEFORE),
            Err(CertificateError::InvertedWindow)
        );
        // A one-second window is not inverted.
        assert!(f.root.certify(7, &f.server.public(), NOW, NOW).is_ok());
        // SEAL-CERT-06: a server certificate from another root; a sender certificate from
        // another server key under the same id; flipped signature bits.
        let other = fixture(3);
        assert_eq!(
            decode_server(other.server_certificate.as_bytes()),
            Err(CertificateError::Signature)
        );
        assert_eq!(
            check(other.sender.as_bytes()),
            Err(CertificateError::Signature)
        );
        let mut b = server.clone();
        b[117] ^= 1;
        assert_eq!(decode_server(&b), Err(CertificateError::Signature));
        let mut b = sender.clone();
        b[161] ^= 1;
        assert_eq!(check(&b), Err(CertificateError::Signature));
        // A later expiry the server never signed.
        let mut b = sender.clone();
        b[86..94].copy_from_slice(&(EXPIRES + 86_400).to_be_bytes());
        assert_eq!(check(&b), Err(CertificateError::Signature));
        // SEAL-CERT-07
        let unknown = ServerKey::from_seed(8, SecretBytes::new(*f.server.expose_seed()));
        let cert = unknown.issue(AccountId::from_bytes([1; 16]), 1, &f.identity, EXPIRES);
        assert_eq!(
            check(cert.as_bytes()),
            Err(CertificateError::UnknownServerKey(8))
        );
        assert_eq!(
            f.sender.verify(&CertificateStore::new(root), NOW),
            Err(CertificateError::UnknownServerKey(7))
        );
        // SEAL-CERT-08
        let mut revoked = f.store.clone();
        revoked.revoke(7);
        assert!(revoked.is_revoked(7) && !f.store.is_revoked(7));
        assert_eq!(
            f.sender.verify(&revoked, NOW),
            Err(CertificateError::Revoked(7))
        );
        // SEAL-CERT-09, SEAL-CERT-10: see the boundary tests below.
        assert_eq!(
            f.sender.verify(&f.store, NOT_BEFORE - 1),
            Err(CertificateError::ServerCertificateNotYetValid)
        );
        assert_eq!(
            f.sender.verify(&f.store, NOT_AFTER + 1),
            Err(CertificateError::ServerCertificateExpired)
        );
        assert_eq!(
            f.sender.verify(&f.store, EXPIRES + 1),
            Err(CertificateError::Expired)
        );
        // SEAL-CERT-11: another certificate for key id 7, validly signed by the root.
        let mut store = f.store.clone();
        let rival = f
            .root
            .certify(7, &other.server.public(), NOT_BEFORE, NOT_AFTER)
            .unwrap();
        assert_eq!(
            store.add(rival.as_bytes()).unwrap_err(),
            CertificateError::ConflictingServerCertificate(7)
        );
        assert_eq!(store.get(7), Some(&f.server_certificate));
        // The same bytes again are fine.
        assert_eq!(store.add(&server), Ok(&f.server_certificate));
        // The store refuses what its root did not sign.
        assert_eq!(
            store.add(other.server_certificate.as_bytes()).unwrap_err(),
            CertificateError::Signature
        );
    }

    #[test]
    fn validity_boundaries() {
        let f = fixture(4);
        // The sender certificate: accepted at `expires`, refused one second later.
        assert!(f.sender.verify(&f.store, EXPIRES).is_ok());
        assert_eq!(
            f.sender.verify(&f.store, EXPIRES + 1),
            Err(CertificateError::Expired)
        );
        // The server window, with a sender certificate that outlives it.
        let long = f
            .server
            .issue(AccountId::from_bytes([2; 16]), 1, &f.identity, u64::MAX);
        assert_eq!(
            long.verify(&f.store, NOT_BEFORE - 1),
            Err(CertificateError::ServerCertificateNotYetValid)
        );
        assert!(long.verify(&f.store, NOT_BEFORE).is_ok());
        assert!(long.verify(&f.store, NOT_AFTER).is_ok());
        assert_eq!(
            long.verify(&f.store, NOT_AFTER + 1),
            Err(CertificateError::ServerCertificateExpired)
        );
        // Extremes of the clock do not overflow.
        assert_eq!(
            long.verify(&f.store, 0),
            Err(CertificateError::ServerCertificateNotYetValid)
        );
        assert_eq!(
            long.verify(&f.store, u64::MAX),
            Err(CertificateError::ServerCertificateExpired)
        );
    }

    #[test]
    fn revocation_stops_a_key_and_only_that_key() {
        let mut f = fixture(5);
        let mut rng = StdRng::seed_from_u64(55);
        let second = ServerKey::generate(9, &mut rng);
        let cert = f
            .root
            .certify(9, &second.public(), NOT_BEFORE, NOT_AFTER)
            .unwrap();
        f.store.add(cert.as_bytes()).unwrap();
        let from_second = second.issue(AccountId::from_bytes([3; 16]), 2, &f.identity, EXPIRES);
        assert!(f.sender.verify(&f.store, NOW).is_ok());
        assert!(from_second.verify(&f.store, NOW).is_ok());
        f.store.revoke(7);
        assert_eq!(
            f.sender.verify(&f.store, NOW),
            Err(CertificateError::Revoked(7))
        );
        assert!(from_second.verify(&f.store, NOW).is_ok());
        // Revoking an unknown id is remembered: a later certificate of it stays refused.
        f.store.revoke(11);
        let third = ServerKey::generate(11, &mut rng);
        let cert = f
            .root
            .certify(11, &third.public(), NOT_BEFORE, NOT_AFTER)
            .unwrap();
        f.store.add(cert.as_bytes()).unwrap();
        let from_third = third.issue(AccountId::from_bytes([4; 16]), 1, &f.identity, EXPIRES);
        assert_eq!(
            from_third.verify(&f.store, NOW),
            Err(CertificateError::Revoked(11))
        );
    }

    #[test]
    fn every_byte_of_both_certificates_is_bound() {
        let f = fixture(6);
        let root = f.root.public();
        let server = f.server_certificate.as_bytes();
        for i in 0..server.len() {
            for mask in [0x01, 0x80] {
                let mut b = server.to_vec();
                b[i] ^= mask;
                assert!(
                    ServerCertificate::from_bytes(&b, &root).is_err(),
                    "server certificate byte {i} mask {mask:#x} accepted"
                );
            }
        }
        let sender = f.sender.as_bytes();
        for i in 0..sender.len() {
            for mask in [0x01, 0x80] {
                let mut b = sender.to_vec();
                b[i] ^= mask;
                assert!(
                    decode_and_verify(&b, &f.store, NOW).is_err(),
                    "sender certificate byte {i} mask {mask:#x} accepted"
                );
            }
        }
    }

    #[test]
    fn secret_keys_are_redacted() {
        let f = fixture(7);
        let root = format!("{:?}", f.root);
        let server = format!("{:?}", f.server);
        assert_eq!(
            root,
            format!("TrustRootKey {{ public: {:?}, .. }}", f.root.public())
        );
        assert_eq!(
            server,
            format!(
                "ServerKey {{ key_id: 7, public: {:?}, .. }}",
                f.server.public()
            )
        );
        assert!(!root.contains(&hex::encode(f.root.expose_seed())));
        assert!(!server.contains(&hex::encode(f.server.expose_seed())));
    }
}
