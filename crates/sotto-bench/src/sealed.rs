//! Sealed-sender rows (sotto-sealed, protocol.md 9.3 and 9.4): sealing and opening a 100-byte
//! message, cold and with a warm [`StaticCache`], multi-recipient sending to 1, 10 and 100
//! devices, the relay's split, and the envelope sizes.
//!
//! Every routine is built outside the timed loop with a trust root, one server key certified
//! by it, a sender device with its sender certificate and the recipient devices; a warm cache
//! is warmed by one untimed call of the same operation. Opening reuses one envelope: `open`
//! keeps no replay state, so every run does the same work as on a fresh envelope.

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_devices::AccountId;
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{
    CertificateStore, SENDER_CERTIFICATE_LEN, SenderCertificate, ServerKey, TrustRootKey,
};
use sotto_sealed::envelope::{self, INNER_PREFIX_LEN};
use sotto_sealed::multi::{Recipient, SentEnvelope, seal_multi};
use sotto_sealed::padding;

use crate::BenchError;
use crate::conversation::{SEED, SMALL};
use crate::timing::{Routine, routine};

/// The content type byte of every sealed row.
const CONTENT_TYPE: u8 = 0x01;
/// The 100-byte message of every sealed row.
const MESSAGE: [u8; SMALL] = [0x42; SMALL];
/// Validity of the server certificate and expiry of the sender certificate.
const NOT_BEFORE: u64 = 1_764_000_000;
const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;
const EXPIRES: u64 = NOT_BEFORE + 86_400;
/// The time every open runs at.
const NOW: u64 = NOT_BEFORE + 3_600;

/// Length of the message a sender certificate's signature covers: the label and the
/// certificate without its signature (the floor's `ed25519_verify_131`).
pub const SENDER_CERT_SIGNED_LEN: usize =
    sotto_crypto::labels::SEALED_SENDER_CERTIFICATE.len() + SENDER_CERTIFICATE_LEN - 64;

/// Layer 2's plaintext (and a multi-recipient message's shared content) for a 100-byte
/// message: content type, compact certificate, the message padded to its bucket (227 bytes).
pub const fn inner_len() -> usize {
    INNER_PREFIX_LEN + 128
}

/// Salt of layer 1's HKDF: the ephemeral public key and the recipient identity.
pub const LAYER1_SALT_LEN: usize = 32 + 64;
/// Salt of layer 2's HKDF: layer 1's chain key and ciphertext.
pub const LAYER2_SALT_LEN: usize = 32 + envelope::LAYER1_LEN;
/// Associated data of layer 1: tag, subtype, ephemeral key.
pub const LAYER1_AD_LEN: usize = envelope::PREFIX_LEN;
/// Associated data of layer 2: the whole header.
pub const LAYER2_AD_LEN: usize = envelope::HEADER_LEN;
/// Associated data of a multi-recipient key wrap: the header and SHA-512 of the content.
pub const WRAP_AD_LEN: usize = envelope::HEADER_LEN + 64;

/// One sender, its certificate, the certificate store and `recipients` recipient devices.
struct Fixture {
    rng: StdRng,
    store: CertificateStore,
    sender: DeviceIdentity,
    certificate: SenderCertificate,
    recipients: Vec<(Recipient, DeviceIdentity)>,
}

fn fixture(recipients: usize) -> Result<Fixture, BenchError> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let root = TrustRootKey::generate(&mut rng);
    let server = ServerKey::generate(7, &mut rng);
    let mut store = CertificateStore::new(root.public());
    store.add(
        root.certify(7, &server.public(), NOT_BEFORE, NOT_AFTER)?
            .as_bytes(),
    )?;
    let sender = DeviceIdentity::generate(&mut rng);
    let certificate = server.issue(
        AccountId::from_bytes([0xa1; 16]),
        3,
        &sender.public(),
        EXPIRES,
    );
    let recipients = (0..recipients)
        .map(|i| {
            let identity = DeviceIdentity::generate(&mut rng);
            let recipient = Recipient {
                account: AccountId::generate(&mut rng),
                device_id: u32::try_from(i % 4 + 1).unwrap_or(1),
                identity: identity.public(),
            };
            (recipient, identity)
        })
        .collect();
    Ok(Fixture {
        rng,
        store,
        sender,
        certificate,
        recipients,
    })
}

fn check_len(got: usize, expected: usize) -> Result<(), BenchError> {
    if got == expected {
        Ok(())
    } else {
        Err(BenchError::Mismatch { expected, got })
    }
}

/// The length of a single-recipient envelope of the 100 B message of these rows.
fn envelope_len() -> usize {
    envelope::OVERHEAD + 128
}

struct Seal {
    f: Fixture,
    to: DeviceIdentityKey,
    cache: Option<StaticCache>,
}

impl Seal {
    fn seal(&mut self) -> Result<Vec<u8>, BenchError> {
        let f = &mut self.f;
        let bytes = match self.cache.as_mut() {
            None => envelope::seal(
                &f.sender,
                &f.certificate,
                &self.to,
                CONTENT_TYPE,
                black_box(&MESSAGE),
                &mut f.rng,
            )?,
            Some(cache) => envelope::seal_cached(
                &f.sender,
                cache,
                &f.certificate,
                &self.to,
                CONTENT_TYPE,
                black_box(&MESSAGE),
                &mut f.rng,
            )?,
        };
        Ok(bytes)
    }
}

impl Routine for Seal {
    fn run(&mut self) -> Result<(), BenchError> {
        let bytes = self.seal()?;
        check_len(bytes.len(), envelope_len())?;
        black_box(bytes);
        Ok(())
    }
}

/// `envelope::seal` (cold) or `envelope::seal_cached` with a warm cache, 100 B.
pub fn seal(warm: bool) -> Result<Box<dyn Routine>, BenchError> {
    let f = fixture(1)?;
    let to = f.recipients[0].0.identity;
    let mut seal = Seal {
        f,
        to,
        cache: warm.then(StaticCache::new),
    };
    seal.seal()?;
    Ok(Box::new(seal))
}

/// `envelope::open` (cold: two agreements and the certificate's Ed25519 verification) or
/// `envelope::open_cached` with a warm cache, of one 100 B envelope.
pub fn open(warm: bool) -> Result<Box<dyn Routine>, BenchError> {
    let mut f = fixture(1)?;
    let (recipient, identity) = f.recipients.remove(0);
    let bytes = envelope::seal(
        &f.sender,
        &f.certificate,
        &recipient.identity,
        CONTENT_TYPE,
        &MESSAGE,
        &mut f.rng,
    )?;
    let mut cache = warm.then(StaticCache::new);
    if let Some(cache) = cache.as_mut() {
        envelope::open_cached(&identity, cache, &f.store, NOW, &bytes)?;
    }
    routine(
        (identity, cache, f.store, bytes),
        |(identity, cache, store, bytes)| {
            let opened = match cache.as_mut() {
                None => envelope::open(identity, store, NOW, black_box(bytes))?,
                Some(cache) => {
                    envelope::open_cached(identity, cache, store, NOW, black_box(bytes))?
                }
            };
            check_len(opened.message.len(), SMALL)?;
            black_box(opened);
            Ok(())
        },
    )
}

/// `seal_multi` of 100 B to `devices` devices with a warm cache (every static-static secret
/// held, by one untimed call first), the sent form's length checked.
pub fn multi(devices: usize) -> Result<Box<dyn Routine>, BenchError> {
    let mut f = fixture(devices)?;
    let recipients: Vec<Recipient> = f.recipients.iter().map(|(r, _)| *r).collect();
    let mut cache = StaticCache::new();
    seal_multi(
        &f.sender,
        &mut cache,
        &f.certificate,
        &recipients,
        CONTENT_TYPE,
        &MESSAGE,
        &mut f.rng,
    )?;
    check_len(cache.len(), devices)?;
    routine((f, recipients, cache), |(f, recipients, cache)| {
        let bytes = seal_multi(
            &f.sender,
            cache,
            &f.certificate,
            black_box(recipients),
            CONTENT_TYPE,
            black_box(&MESSAGE),
            &mut f.rng,
        )?;
        check_len(bytes.len(), sent_len(recipients.len()))?;
        black_box(bytes);
        Ok(())
    })
}

/// The length of the sent form of the 100 B message of these rows to `devices` devices.
fn sent_len(devices: usize) -> usize {
    sotto_sealed::multi::SENT_HEADER_LEN
        + devices * sotto_sealed::multi::ENTRY_LEN
        + inner_len()
        + sotto_crypto::aead::TAG_LEN
}

/// The relay's side of a message to `devices` devices: `SentEnvelope::parse` (SEAL-MR-01..05)
/// and `split` into one envelope per device.
pub fn split(devices: usize) -> Result<Box<dyn Routine>, BenchError> {
    let mut f = fixture(devices)?;
    let recipients: Vec<Recipient> = f.recipients.iter().map(|(r, _)| *r).collect();
    let bytes = seal_multi(
        &f.sender,
        &mut StaticCache::new(),
        &f.certificate,
        &recipients,
        CONTENT_TYPE,
        &MESSAGE,
        &mut f.rng,
    )?;
    routine((bytes, devices), |(bytes, devices)| {
        let deliveries = SentEnvelope::parse(black_box(bytes))?.split();
        check_len(deliveries.len(), *devices)?;
        black_box(deliveries);
        Ok(())
    })
}

/// Envelope sizes, in bytes, measured from real envelopes of the 100 B message of these rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SealedSizes {
    /// A single-recipient envelope's length minus the padded message's.
    pub sealed_overhead_100: usize,
    /// The envelope one recipient of a multi-recipient message receives, minus the padded
    /// message.
    pub sealed_multi_received_overhead_100: usize,
    /// What each extra recipient adds to the sent form (its entry).
    pub sealed_multi_sent_per_extra_recipient: usize,
    /// The sent form to one recipient, minus the padded message.
    pub sealed_multi_sent_overhead_1: usize,
}

/// Seals, sends to 1 and 2 recipients, splits, and opens every measured envelope.
pub fn sizes() -> Result<SealedSizes, BenchError> {
    let mut f = fixture(2)?;
    let padded = padding::padded_len(SMALL).map_err(|_| BenchError::Scenario {
        what: "padded length of 100 B",
        expected: 128,
        got: 0,
    })?;
    let (recipient, identity) = &f.recipients[0];
    let single = envelope::seal(
        &f.sender,
        &f.certificate,
        &recipient.identity,
        CONTENT_TYPE,
        &MESSAGE,
        &mut f.rng,
    )?;
    check_len(
        envelope::open(identity, &f.store, NOW, &single)?
            .message
            .len(),
        SMALL,
    )?;
    let mut cache = StaticCache::new();
    let mut sent = Vec::new();
    for n in [1, 2] {
        let recipients: Vec<Recipient> = f.recipients[..n].iter().map(|(r, _)| *r).collect();
        sent.push(seal_multi(
            &f.sender,
            &mut cache,
            &f.certificate,
            &recipients,
            CONTENT_TYPE,
            &MESSAGE,
            &mut f.rng,
        )?);
    }
    let parsed = SentEnvelope::parse(&sent[0])?;
    let received = parsed.envelope(0).ok_or(BenchError::Scenario {
        what: "envelopes split",
        expected: 1,
        got: 0,
    })?;
    check_len(
        envelope::open(identity, &f.store, NOW, &received)?
            .message
            .len(),
        SMALL,
    )?;
    Ok(SealedSizes {
        sealed_overhead_100: single.len() - padded,
        sealed_multi_received_overhead_100: received.len() - padded,
        sealed_multi_sent_per_extra_recipient: sent[1].len() - sent[0].len(),
        sealed_multi_sent_overhead_1: sent[0].len() - padded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_sizes_match_the_envelope() {
        assert_eq!(padding::padded_len(SMALL).unwrap(), 128);
        assert_eq!(inner_len(), 227);
        assert_eq!(SENDER_CERT_SIGNED_LEN, 131);
        assert_eq!(LAYER1_SALT_LEN, 96);
        assert_eq!(LAYER2_SALT_LEN, 112);
        assert_eq!(LAYER1_AD_LEN, 34);
        assert_eq!(LAYER2_AD_LEN, 114);
        assert_eq!(WRAP_AD_LEN, 178);
        assert_eq!(envelope_len(), 357);
    }

    #[test]
    fn sizes_are_the_protocols() {
        let s = sizes().unwrap();
        assert_eq!(s.sealed_overhead_100, envelope::OVERHEAD);
        assert_eq!(s.sealed_overhead_100, 229);
        assert_eq!(
            s.sealed_multi_received_overhead_100,
            envelope::MULTI_OVERHEAD
        );
        assert_eq!(s.sealed_multi_received_overhead_100, 277);
        assert_eq!(
            s.sealed_multi_sent_per_extra_recipient,
            sotto_sealed::multi::ENTRY_LEN
        );
        assert_eq!(s.sealed_multi_sent_per_extra_recipient, 148);
    }
}
