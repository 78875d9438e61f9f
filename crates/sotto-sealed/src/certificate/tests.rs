//! Unit tests of the certificates: issue and verify, every refusal with its validation ID,
//! the validity boundaries, revocation, every byte bound, redaction.

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
        ServerCertificate::from_bytes(f.server_certificate.as_bytes(), &f.root.public()).unwrap();
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
