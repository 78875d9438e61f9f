//! Target `certificate_decode`: the decoders of sealed-sender certificates (protocol.md 9.2),
//! against a fixed trust root, store and clock.

use std::sync::OnceLock;

use sotto_crypto::SecretBytes;
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::certificate::{
    CertificateStore, SenderCertificate, ServerCertificate, ServerKey, TrustRootKey,
};

/// The clock of the target: inside the fixture's server certificate window, before the
/// fixture's sender certificate expires.
pub const CERTIFICATE_NOW: u64 = 1_764_003_600;

/// The fixed root, server key and store of the target, with one valid certificate of each
/// kind (for the seed corpus).
pub struct CertificateFixture {
    /// The store: the trust root's public key and the server certificate of key id 7.
    pub store: CertificateStore,
    /// The server certificate's bytes.
    pub server_certificate: Vec<u8>,
    /// A sender certificate of key id 7 that verifies at [`CERTIFICATE_NOW`].
    pub sender_certificate: Vec<u8>,
}

/// Builds the fixture (deterministic: fixed seeds).
pub fn certificate_fixture() -> CertificateFixture {
    let root = TrustRootKey::from_seed(SecretBytes::new([0x61; 32]));
    let server = ServerKey::from_seed(7, SecretBytes::new([0x62; 32]));
    let certificate = root
        .certify(7, &server.public(), 1_764_000_000, 1_771_776_000)
        .expect("certify");
    let mut store = CertificateStore::new(root.public());
    store.add(certificate.as_bytes()).expect("add");
    let identity = DeviceIdentity::from_keys(
        sotto_crypto::ed25519::SigningKey::from_seed(SecretBytes::new([0x63; 32])),
        sotto_crypto::x25519::KeyPair::from_secret(sotto_crypto::x25519::SecretKey::from_bytes(
            SecretBytes::new([0x64; 32]),
        )),
    );
    let sender = server.issue(
        AccountId::from_bytes([0xa1; 16]),
        3,
        &identity.public(),
        1_764_086_400,
    );
    CertificateFixture {
        store,
        server_certificate: certificate.as_bytes().to_vec(),
        sender_certificate: sender.as_bytes().to_vec(),
    }
}

/// Decodes `data` as a server certificate against the fixture's root and as a sender
/// certificate, then verifies the latter against the fixture's store at [`CERTIFICATE_NOW`].
/// Anything accepted must be exactly its input and decode again to the same value; a
/// verified sender certificate must be one the fixture's server key signed. Returns whether
/// `data` was accepted by either decoder.
pub fn certificate_decode(data: &[u8]) -> bool {
    static FIXTURE: OnceLock<CertificateFixture> = OnceLock::new();
    let fixture = FIXTURE.get_or_init(certificate_fixture);
    let root = *fixture.store.root();
    let mut accepted = false;
    if let Ok(server) = ServerCertificate::from_bytes(data, &root) {
        assert_eq!(
            server.as_bytes(),
            data,
            "as_bytes() is not the decoded input"
        );
        let again = ServerCertificate::from_bytes(server.as_bytes(), &root).expect("re-decode");
        assert_eq!(again, server);
        accepted = true;
    }
    if let Ok(sender) = SenderCertificate::from_bytes(data) {
        assert_eq!(
            sender.as_bytes(),
            data,
            "as_bytes() is not the decoded input"
        );
        let again = SenderCertificate::from_bytes(sender.as_bytes()).expect("re-decode");
        assert_eq!(again, sender);
        if let Ok(verified) = sender.verify(&fixture.store, CERTIFICATE_NOW) {
            assert_eq!(verified.server_key_id(), 7);
            assert!(verified.expires() >= CERTIFICATE_NOW);
        }
        accepted = true;
    }
    accepted
}
