//! Property tests for sealed sender (protocol.md 9.2 to 9.4): over generated identities,
//! messages, certificates, recipient lists and tampering,
//!
//! - an envelope opens for its recipient, with the sender its certificate names, and for
//!   nobody else (`any_envelope_opens_for_its_recipient_only`);
//! - an expired, revoked or mis-chained certificate (signed by a server key certified by
//!   another root under the same key id, or by one the store does not hold), or one opened
//!   outside its server certificate's window, is refused with the reason 9.2 gives, by `open`
//!   and `open_cached` alike (`bad_certificates_are_refused`);
//! - a swapped sender key (Mallory's identity in layer 1 and her own static DH, Alice's
//!   compact certificate in layer 2) is refused by the certificate's signature
//!   (`a_swapped_sender_key_is_refused`);
//! - any change of any byte of a single- or multi-recipient envelope is refused, and `open`
//!   and `open_cached` agree on it (`any_change_is_refused`);
//! - a multi-recipient message to any list of devices splits into envelopes that each
//!   recipient, and only it, opens (`every_listed_device_and_only_it_opens_a_multi_message`).
//!
//! Each property runs `sotto_tests::properties::cases(64)` cases (`PROPTEST_CASES` overrides).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{
    CertificateError, CertificateStore, SenderCertificate, ServerKey, TrustRootKey,
};
use sotto_sealed::envelope::{self, OpenReason};
use sotto_sealed::multi::{Recipient, SentEnvelope, seal_multi};
use sotto_tests::properties;

const NOT_BEFORE: u64 = 1_764_000_000;
const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;

/// A world: a root, a server key (id 7) in the store, a sender with a certificate valid
/// until `expires`, and `n` other devices.
struct World {
    rng: StdRng,
    root: TrustRootKey,
    server: ServerKey,
    store: CertificateStore,
    sender: DeviceIdentity,
    certificate: SenderCertificate,
    devices: Vec<DeviceIdentity>,
    expires: u64,
}

fn world(seed: u64, devices: usize, lifetime: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let root = TrustRootKey::generate(&mut rng);
    let server = ServerKey::generate(7, &mut rng);
    let mut store = CertificateStore::new(root.public());
    store
        .add(
            root.certify(7, &server.public(), NOT_BEFORE, NOT_AFTER)
                .expect("certify")
                .as_bytes(),
        )
        .expect("add");
    let sender = DeviceIdentity::generate(&mut rng);
    let expires = NOT_BEFORE + lifetime;
    let certificate = server.issue(
        AccountId::from_bytes([0xa1; 16]),
        3,
        &sender.public(),
        expires,
    );
    let devices = (0..devices)
        .map(|_| DeviceIdentity::generate(&mut rng))
        .collect();
    World {
        rng,
        root,
        server,
        store,
        sender,
        certificate,
        devices,
        expires,
    }
}

impl World {
    fn seal(&mut self, to: usize, message: &[u8]) -> Vec<u8> {
        envelope::seal(
            &self.sender,
            &self.certificate,
            &self.devices[to].public(),
            5,
            message,
            &mut self.rng,
        )
        .expect("seal")
    }
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..600)
}

/// `open` and `open_cached` (a fresh cache warmed by one genuine envelope of the same sender)
/// give the same result on `bytes`; returns it.
fn open_both(
    w: &mut World,
    to: usize,
    now: u64,
    bytes: &[u8],
) -> Result<envelope::Opened, OpenReason> {
    let plain = envelope::open(&w.devices[to], &w.store, now, bytes).map_err(|e| e.reason());
    let mut cache = StaticCache::with_capacity(2);
    let warm = w.seal(to, b"warm-up");
    let warmed = envelope::open_cached(&w.devices[to], &mut cache, &w.store, NOT_BEFORE + 1, &warm);
    assert!(warmed.is_ok(), "a genuine envelope did not open");
    let cached = envelope::open_cached(&w.devices[to], &mut cache, &w.store, now, bytes)
        .map_err(|e| e.reason());
    match (&plain, &cached) {
        (Ok(a), Ok(b)) => assert_eq!(a.message, b.message),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("open and open_cached disagree: {plain:?} / {cached:?}"),
    }
    plain
}

#[test]
fn any_envelope_opens_for_its_recipient_only() {
    let cases = properties::cases(64);
    let strategy = (any::<u64>(), message(), 2usize..5);
    properties::run(file!(), cases, &strategy, |(seed, message, n)| {
        let mut w = world(seed, n, 86_400);
        let to = (seed % n as u64) as usize;
        let bytes = w.seal(to, &message);
        let now = NOT_BEFORE + 60;
        let opened = open_both(&mut w, to, now, &bytes).expect("its recipient opens it");
        prop_assert_eq!(opened.message.as_slice(), message.as_slice());
        prop_assert_eq!(opened.content_type, 5);
        prop_assert!(opened.sender.identity().ct_matches(&w.sender.public()));
        prop_assert_eq!(
            opened.sender.account_id(),
            AccountId::from_bytes([0xa1; 16])
        );
        for other in (0..n).filter(|&i| i != to) {
            let err = envelope::open(&w.devices[other], &w.store, now, &bytes).unwrap_err();
            prop_assert_eq!(err.reason(), OpenReason::Layer1);
        }
        // The sender itself cannot open what it sealed to someone else.
        let err = envelope::open(&w.sender, &w.store, now, &bytes).unwrap_err();
        prop_assert_eq!(err.reason(), OpenReason::Layer1);
        Ok(())
    });
}

#[derive(Debug, Clone, Copy)]
enum BadCertificate {
    /// Opened after its expiry, by `after` seconds (at least 1).
    Expired { after: u64 },
    /// Its server key id revoked in the recipient's store.
    Revoked,
    /// Signed by a server key certified by another root, under the same key id.
    OtherRoot,
    /// Signed by a server key of the same root that the store does not hold (key id 8).
    UnknownKey,
    /// Opened before the server certificate's window, or after it.
    OutsideServerWindow { before: bool },
}

fn bad_certificate() -> impl Strategy<Value = BadCertificate> {
    prop_oneof![
        (1u64..10_000_000).prop_map(|after| BadCertificate::Expired { after }),
        Just(BadCertificate::Revoked),
        Just(BadCertificate::OtherRoot),
        Just(BadCertificate::UnknownKey),
        any::<bool>().prop_map(|before| BadCertificate::OutsideServerWindow { before }),
    ]
}

#[test]
fn bad_certificates_are_refused() {
    let cases = properties::cases(64);
    let strategy = (any::<u64>(), message(), bad_certificate(), 60u64..1_000_000);
    properties::run(
        file!(),
        cases,
        &strategy,
        |(seed, message, bad, lifetime)| {
            let mut w = world(seed, 1, lifetime);
            let mut now = NOT_BEFORE + lifetime / 2;
            // A cache warmed by a genuine envelope: the sender's certificate remembered.
            let mut cache = StaticCache::new();
            let genuine = w.seal(0, b"genuine");
            let warmed = envelope::open_cached(&w.devices[0], &mut cache, &w.store, now, &genuine);
            prop_assert!(warmed.is_ok());
            let account = AccountId::from_bytes([0xa1; 16]);
            let expected = match bad {
                BadCertificate::Expired { after } => {
                    now = w.expires + after;
                    if now > NOT_AFTER {
                        CertificateError::ServerCertificateExpired
                    } else {
                        CertificateError::Expired
                    }
                }
                BadCertificate::Revoked => {
                    w.store.revoke(7);
                    CertificateError::Revoked(7)
                }
                BadCertificate::OtherRoot => {
                    let other_root = TrustRootKey::generate(&mut w.rng);
                    let rogue = ServerKey::generate(7, &mut w.rng);
                    other_root
                        .certify(7, &rogue.public(), NOT_BEFORE, NOT_AFTER)
                        .expect("certify");
                    w.certificate = rogue.issue(account, 3, &w.sender.public(), w.expires);
                    CertificateError::Signature
                }
                BadCertificate::UnknownKey => {
                    let rogue = ServerKey::generate(8, &mut w.rng);
                    w.root
                        .certify(8, &rogue.public(), NOT_BEFORE, NOT_AFTER)
                        .expect("certify");
                    w.certificate = rogue.issue(account, 3, &w.sender.public(), w.expires);
                    CertificateError::UnknownServerKey(8)
                }
                BadCertificate::OutsideServerWindow { before } => {
                    if before {
                        now = NOT_BEFORE - 1;
                        CertificateError::ServerCertificateNotYetValid
                    } else {
                        now = NOT_AFTER + 1;
                        CertificateError::ServerCertificateExpired
                    }
                }
            };
            let bytes = envelope::seal(
                &w.sender,
                &w.certificate,
                &w.devices[0].public(),
                1,
                &message,
                &mut w.rng,
            )
            .expect("seal");
            let err = envelope::open(&w.devices[0], &w.store, now, &bytes).unwrap_err();
            prop_assert_eq!(err.reason(), OpenReason::Certificate(expected));
            prop_assert_eq!(err.to_string(), "sealed envelope refused");
            // The warm cache refuses it for the same reason.
            let cached = envelope::open_cached(&w.devices[0], &mut cache, &w.store, now, &bytes);
            prop_assert_eq!(
                cached.unwrap_err().reason(),
                OpenReason::Certificate(expected)
            );
            Ok(())
        },
    );
}

#[test]
fn a_swapped_sender_key_is_refused() {
    // Mallory holds a genuine certificate of her own and tries to pass Alice's certificate
    // as hers: the honest API refuses, and the certificate rebuilt with Mallory's identity
    // does not verify. Tried with every generated pair.
    let cases = properties::cases(64);
    let strategy = (any::<u64>(), message());
    properties::run(file!(), cases, &strategy, |(seed, message)| {
        let mut w = world(seed, 1, 86_400);
        let mallory = DeviceIdentity::generate(&mut w.rng);
        let refused = envelope::seal(
            &mallory,
            &w.certificate,
            &w.devices[0].public(),
            1,
            &message,
            &mut w.rng,
        );
        prop_assert!(refused.is_err());
        // Splice Alice's account, device id and signature into Mallory's own certificate.
        let own = w.server.issue(
            AccountId::from_bytes([0x66; 16]),
            9,
            &mallory.public(),
            w.expires,
        );
        let alice = w.certificate.as_bytes();
        let mut spliced = own.as_bytes().to_vec();
        spliced[2..22].copy_from_slice(&alice[2..22]);
        spliced[86..].copy_from_slice(&alice[86..]);
        let spliced = SenderCertificate::from_bytes(&spliced).expect("decodes");
        let bytes = envelope::seal(
            &mallory,
            &spliced,
            &w.devices[0].public(),
            1,
            &message,
            &mut w.rng,
        )
        .expect("seal");
        let err = envelope::open(&w.devices[0], &w.store, NOT_BEFORE + 1, &bytes).unwrap_err();
        prop_assert_eq!(
            err.reason(),
            OpenReason::Certificate(CertificateError::Signature)
        );
        Ok(())
    });
}

#[test]
fn any_change_is_refused() {
    let cases = properties::cases(64);
    let strategy = (
        any::<u64>(),
        message(),
        any::<bool>(),
        any::<prop::sample::Index>(),
        1u8..=255,
    );
    properties::run(
        file!(),
        cases,
        &strategy,
        |(seed, message, multi, at, xor)| {
            let mut w = world(seed, 2, 86_400);
            let bytes = if multi {
                let recipients: Vec<Recipient> = w
                    .devices
                    .iter()
                    .enumerate()
                    .map(|(i, d)| Recipient {
                        account: AccountId::from_bytes([0xb0 + i as u8; 16]),
                        device_id: 1,
                        identity: d.public(),
                    })
                    .collect();
                let sent = seal_multi(
                    &w.sender,
                    &mut StaticCache::new(),
                    &w.certificate,
                    &recipients,
                    5,
                    &message,
                    &mut w.rng,
                )
                .expect("seal_multi");
                SentEnvelope::parse(&sent)
                    .expect("parse")
                    .envelope(0)
                    .expect("first")
            } else {
                w.seal(0, &message)
            };
            let now = NOT_BEFORE + 60;
            prop_assert!(open_both(&mut w, 0, now, &bytes).is_ok());
            let mut changed = bytes.clone();
            changed[at.index(bytes.len())] ^= xor;
            prop_assert!(open_both(&mut w, 0, now, &changed).is_err());
            // Truncated, or extended by one byte.
            let cut = at.index(bytes.len());
            prop_assert!(open_both(&mut w, 0, now, &bytes[..cut]).is_err());
            let mut longer = bytes.clone();
            longer.push(xor);
            prop_assert!(open_both(&mut w, 0, now, &longer).is_err());
            Ok(())
        },
    );
}

#[test]
fn every_listed_device_and_only_it_opens_a_multi_message() {
    let cases = properties::cases(64);
    let strategy = (
        any::<u64>(),
        message(),
        prop::collection::vec((0u8..3, 1u32..4), 1..7),
    );
    properties::run(file!(), cases, &strategy, |(seed, message, addresses)| {
        let mut addresses = addresses;
        addresses.sort_unstable();
        addresses.dedup();
        let n = addresses.len();
        let mut w = world(seed, n + 1, 86_400);
        let recipients: Vec<Recipient> = addresses
            .iter()
            .zip(&w.devices)
            .map(|(&(account, device_id), d)| Recipient {
                account: AccountId::from_bytes([account; 16]),
                device_id,
                identity: d.public(),
            })
            .rev() // any input order
            .collect();
        let mut cache = StaticCache::new();
        let sent = seal_multi(
            &w.sender,
            &mut cache,
            &w.certificate,
            &recipients,
            5,
            &message,
            &mut w.rng,
        )
        .expect("seal_multi");
        let parsed = SentEnvelope::parse(&sent).expect("parse");
        prop_assert_eq!(parsed.len(), n);
        let deliveries = parsed.split();
        let now = NOT_BEFORE + 60;
        for d in &deliveries {
            let i = addresses
                .iter()
                .position(|&(a, id)| {
                    AccountId::from_bytes([a; 16]) == d.account && id == d.device_id
                })
                .expect("a listed address");
            let opened = envelope::open(&w.devices[i], &w.store, now, &d.envelope).expect("opens");
            prop_assert_eq!(opened.message.as_slice(), message.as_slice());
            // The unlisted device (the last) and every other listed one refuse it.
            for j in (0..=n).filter(|&j| j != i) {
                let err = envelope::open(&w.devices[j], &w.store, now, &d.envelope).unwrap_err();
                prop_assert_eq!(err.reason(), OpenReason::Layer1);
            }
            prop_assert_eq!(d.envelope.len(), deliveries[0].envelope.len());
        }
        prop_assert_eq!(cache.len(), n);
        let _ = w.seal(0, b"the world's generator still works");
        Ok(())
    });
}
