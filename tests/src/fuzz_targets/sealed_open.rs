//! Target `sealed_open`: `envelope::open` (protocol.md 9.3, and the multi-recipient subtype of
//! 9.4) of arbitrary bytes against a fixed live recipient, the certificate fixture's store and
//! clock, with and without a static cache.

use std::sync::{Mutex, OnceLock};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::SenderCertificate;
use sotto_sealed::envelope;
use sotto_sealed::multi::{self, Recipient};

use super::{CERTIFICATE_NOW, CertificateFixture, certificate_fixture};

/// The fixed sender (the certificate fixture's device) and recipient of the target.
pub struct SealedFixture {
    /// Store and certificates of [`certificate_fixture`].
    pub certificates: CertificateFixture,
    /// The sender device: the identity the fixture's sender certificate names.
    pub sender: DeviceIdentity,
    /// The recipient device that opens every input.
    pub recipient: DeviceIdentity,
}

fn identity(ed: u8, x: u8) -> DeviceIdentity {
    DeviceIdentity::from_keys(
        SigningKey::from_seed(SecretBytes::new([ed; 32])),
        KeyPair::from_secret(SecretKey::from_bytes(SecretBytes::new([x; 32]))),
    )
}

/// Builds the fixture (deterministic: fixed seeds).
pub fn sealed_fixture() -> SealedFixture {
    SealedFixture {
        certificates: certificate_fixture(),
        sender: identity(0x63, 0x64),
        recipient: identity(0x65, 0x66),
    }
}

/// Where the fixture's recipient sits in multi-recipient messages: account `0xb0..`,
/// device 1.
pub const FIXTURE_RECIPIENT_ACCOUNT: [u8; 16] = [0xb0; 16];

impl SealedFixture {
    /// A genuine envelope from the sender to the recipient (generator seeded with `seed`).
    pub fn seal(&self, content_type: u8, message: &[u8], seed: u64) -> Vec<u8> {
        let certificate =
            SenderCertificate::from_bytes(&self.certificates.sender_certificate).expect("cert");
        envelope::seal(
            &self.sender,
            &certificate,
            &self.recipient.public(),
            content_type,
            message,
            &mut StdRng::seed_from_u64(seed),
        )
        .expect("seal")
    }

    /// A genuine multi-recipient message (the form sent to the relay) from the sender to the
    /// recipient (account [`FIXTURE_RECIPIENT_ACCOUNT`], device 1) and `others` more devices.
    pub fn seal_multi(&self, message: &[u8], others: u8, seed: u64) -> Vec<u8> {
        let certificate =
            SenderCertificate::from_bytes(&self.certificates.sender_certificate).expect("cert");
        let mut recipients = vec![Recipient {
            account: AccountId::from_bytes(FIXTURE_RECIPIENT_ACCOUNT),
            device_id: 1,
            identity: self.recipient.public(),
        }];
        for i in 0..others {
            recipients.push(Recipient {
                account: AccountId::from_bytes([0xc0 + i; 16]),
                device_id: 1,
                identity: identity(0x70 + i, 0x80 + i).public(),
            });
        }
        multi::seal_multi(
            &self.sender,
            &mut StaticCache::new(),
            &certificate,
            &recipients,
            1,
            message,
            &mut StdRng::seed_from_u64(seed),
        )
        .expect("seal_multi")
    }
}

/// Opens `data` as the fixture's recipient at [`CERTIFICATE_NOW`]. An accepted envelope must
/// name the fixture's sender (account, device, all 64 identity bytes); a refusal must be the
/// one opaque error, with a SEAL-ENV reason; opening twice, and opening with a long-lived
/// static cache, give the same result. Returns whether `data` opened.
pub fn sealed_open(data: &[u8]) -> bool {
    static FIXTURE: OnceLock<SealedFixture> = OnceLock::new();
    static CACHE: OnceLock<Mutex<StaticCache>> = OnceLock::new();
    let fixture = FIXTURE.get_or_init(sealed_fixture);
    let store = &fixture.certificates.store;
    let first = envelope::open(&fixture.recipient, store, CERTIFICATE_NOW, data);
    let second = {
        let mut cache = CACHE
            .get_or_init(|| Mutex::new(StaticCache::with_capacity(4)))
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        envelope::open_cached(&fixture.recipient, &mut cache, store, CERTIFICATE_NOW, data)
    };
    match (first, second) {
        (Ok(opened), Ok(again)) => {
            assert_eq!(
                opened.sender.account_id(),
                AccountId::from_bytes([0xa1; 16])
            );
            assert_eq!(opened.sender.device_id(), 3);
            assert!(
                opened
                    .sender
                    .identity()
                    .ct_matches(&fixture.sender.public())
            );
            assert_eq!(opened.content_type, again.content_type);
            assert_eq!(opened.message, again.message);
            assert!(data.len() >= envelope::MIN_LEN && data.len() <= envelope::MULTI_MAX_LEN);
            true
        }
        (Err(err), Err(again)) => {
            assert_eq!(err, again, "open and open_cached disagree");
            assert_eq!(err.to_string(), "sealed envelope refused");
            assert_eq!(format!("{err:?}"), "OpenError(..)");
            assert!(err.reason().id().starts_with("SEAL-ENV-"));
            false
        }
        _ => panic!("open and open_cached gave different results"),
    }
}
