//! Unit tests of multi-recipient sending: round trip through the relay's split, what each
//! recipient receives, every byte of a received envelope flipped, SEAL-ENV-08 (a sender
//! whose content does not match its wrap), every SEAL-MR refusal, the sealing refusals.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::EphemeralSecret;

use super::*;
use crate::certificate::{CertificateStore, ServerKey, TrustRootKey};
use crate::envelope::{MULTI_MIN_LEN, MULTI_OVERHEAD, OpenReason, open, open_cached};
use crate::padding;

const NOT_BEFORE: u64 = 1_764_000_000;
const NOT_AFTER: u64 = NOT_BEFORE + 90 * 86_400;
const EXPIRES: u64 = NOT_BEFORE + 86_400;
const NOW: u64 = NOT_BEFORE + 3_600;

struct Fixture {
    rng: StdRng,
    store: CertificateStore,
    alice: DeviceIdentity,
    alice_cert: SenderCertificate,
    cache: StaticCache,
    /// Bob's devices 1 and 2, Carol's device 1.
    devices: Vec<(Recipient, DeviceIdentity)>,
}

fn fixture(seed: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let root = TrustRootKey::generate(&mut rng);
    let server = ServerKey::generate(7, &mut rng);
    let mut store = CertificateStore::new(root.public());
    store
        .add(
            root.certify(7, &server.public(), NOT_BEFORE, NOT_AFTER)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let alice = DeviceIdentity::generate(&mut rng);
    let alice_cert = server.issue(
        AccountId::from_bytes([0xa1; 16]),
        3,
        &alice.public(),
        EXPIRES,
    );
    let mut devices = Vec::new();
    for (account, device_id) in [([0xc0; 16], 1), ([0xb0; 16], 2), ([0xb0; 16], 1)] {
        let identity = DeviceIdentity::generate(&mut rng);
        let recipient = Recipient {
            account: AccountId::from_bytes(account),
            device_id,
            identity: identity.public(),
        };
        devices.push((recipient, identity));
    }
    Fixture {
        rng,
        store,
        alice,
        alice_cert,
        cache: StaticCache::new(),
        devices,
    }
}

impl Fixture {
    fn recipients(&self) -> Vec<Recipient> {
        self.devices.iter().map(|(r, _)| *r).collect()
    }

    fn seal(&mut self, message: &[u8]) -> Vec<u8> {
        let recipients = self.recipients();
        seal_multi(
            &self.alice,
            &mut self.cache,
            &self.alice_cert,
            &recipients,
            0x42,
            message,
            &mut self.rng,
        )
        .unwrap()
    }

    /// The identity of the device at `(account, device_id)`.
    fn identity(&self, account: AccountId, device_id: u32) -> &DeviceIdentity {
        &self
            .devices
            .iter()
            .find(|(r, _)| r.account == account && r.device_id == device_id)
            .unwrap()
            .1
    }
}

#[test]
fn every_recipient_opens_its_envelope_with_the_single_recipient_checks() {
    let mut f = fixture(1);
    for len in [0usize, 1, 100, 3000] {
        let message: Vec<u8> = (0..len).map(|i| (i % 249) as u8).collect();
        let sent = f.seal(&message);
        let parsed = SentEnvelope::parse(&sent).unwrap();
        assert_eq!(parsed.len(), 3);
        let padded = padding::padded_len(len).unwrap();
        assert_eq!(
            sent.len(),
            SENT_HEADER_LEN + 3 * ENTRY_LEN + INNER_PREFIX_LEN + padded + 16
        );
        // Sorted by account, then device: Bob 1, Bob 2, Carol 1.
        let order: Vec<_> = parsed.recipients().collect();
        assert_eq!(
            order,
            vec![
                (AccountId::from_bytes([0xb0; 16]), 1),
                (AccountId::from_bytes([0xb0; 16]), 2),
                (AccountId::from_bytes([0xc0; 16]), 1)
            ]
        );
        let deliveries = parsed.split();
        assert_eq!(deliveries.len(), 3);
        for d in &deliveries {
            assert_eq!(&d.envelope[..2], &[0x1f, 0x02]);
            assert_eq!(d.envelope.len(), MULTI_OVERHEAD + padded);
            let me = f.identity(d.account, d.device_id);
            let opened = open(me, &f.store, NOW, &d.envelope).unwrap();
            assert_eq!(opened.message.as_slice(), message.as_slice());
            assert_eq!(opened.content_type, 0x42);
            assert!(opened.sender.identity().ct_matches(&f.alice.public()));
            assert_eq!(opened.sender.device_id(), 3);
            // No other device opens it.
            for (r, other) in &f.devices {
                if (r.account, r.device_id) != (d.account, d.device_id) {
                    let err = open(other, &f.store, NOW, &d.envelope).unwrap_err();
                    assert_eq!(err.reason(), OpenReason::Layer1);
                }
            }
        }
    }
    // The static secrets were computed once per recipient and then taken from the cache.
    assert_eq!(f.cache.len(), 3);
}

#[test]
fn a_recipient_receives_nothing_of_the_other_recipients() {
    let mut f = fixture(2);
    let sent = f.seal(b"group");
    let parsed = SentEnvelope::parse(&sent).unwrap();
    let deliveries = parsed.split();
    for (i, d) in deliveries.iter().enumerate() {
        for j in 0..parsed.len() {
            let entry = parsed.entry(j);
            let found = d.envelope.windows(20).any(|w| w == &entry[..20]);
            assert!(!found, "envelope {i} names recipient {j}");
            let others = d.envelope.windows(LAYER1_LEN).any(|w| w == &entry[20..100]);
            assert_eq!(others, i == j, "envelope {i} holds entry {j}'s layer 1");
        }
        // The same length for every recipient, whatever its position or the count.
        assert_eq!(d.envelope.len(), deliveries[0].envelope.len());
    }
}

#[test]
fn every_flipped_byte_of_a_received_envelope_is_refused() {
    let mut f = fixture(3);
    let sent = f.seal(b"flip");
    let d = SentEnvelope::parse(&sent).unwrap().split().remove(0);
    let me = f.identity(d.account, d.device_id);
    for i in 0..d.envelope.len() {
        for bit in [0x01u8, 0x80] {
            let mut forged = d.envelope.clone();
            forged[i] ^= bit;
            let err = open(me, &f.store, NOW, &forged).unwrap_err();
            assert_eq!(err.to_string(), "sealed envelope refused");
            let expected = match i {
                0 => OpenReason::WrongTag,
                1 if forged[1] == 0x01 => OpenReason::Length,
                1 => OpenReason::WrongSubtype,
                // The top bit of E_pub: a non-canonical twin (SEAL-ENV-04).
                33 if bit == 0x80 => OpenReason::NonCanonicalEphemeral,
                2..HEADER_LEN => OpenReason::Layer1,
                // The wrap, and the content whose hash the wrap authenticates.
                _ => OpenReason::Layer2,
            };
            assert_eq!(err.reason(), expected, "byte {i} bit {bit:#x}");
        }
    }
    for len in 0..d.envelope.len() {
        assert!(open(me, &f.store, NOW, &d.envelope[..len]).is_err());
    }
    let mut longer = d.envelope.clone();
    longer.push(0);
    assert_eq!(
        open(me, &f.store, NOW, &longer).unwrap_err().reason(),
        OpenReason::Layer2
    );
}

#[test]
fn content_that_does_not_match_the_wrapped_key_is_refused_seal_env_08() {
    // A sender who wraps one key and encrypts the content under another: only the sender can
    // build this (the wrap authenticates the content's hash), and it is refused.
    let mut f = fixture(4);
    let (recipient, bob) = (f.devices[2].0, &f.devices[2].1);
    let inner = inner_plaintext(&f.alice_cert.compact(), 1, b"mismatch").unwrap();
    let ephemeral = EphemeralSecret::generate(&mut f.rng);
    let mut prefix = [0u8; PREFIX_LEN];
    prefix[..2].copy_from_slice(&[0x1f, MULTI_RECIPIENT_SUBTYPE]);
    prefix[2..].copy_from_slice(ephemeral.public_key().as_bytes());
    let e1 = ephemeral.agree(&[recipient.identity.agreement()]).unwrap();
    let wrapped = SecretBytes::<32>::random(&mut f.rng);
    let used = SecretBytes::<32>::random(&mut f.rng);
    let content_ct = aead::seal(&used, &CONTENT_NONCE, &prefix, &inner);
    let (okm1, layer1) = seal_layer1(
        e1[0].expose(),
        &prefix,
        &recipient.identity,
        &f.alice.public().to_bytes(),
    );
    let s = f.cache.agree(&f.alice, &recipient.identity).unwrap();
    let (key2, nonce2) = layer2_key_and_nonce(&okm1, &layer1, s.expose());
    let mut ad = wrap_associated_data(&prefix, &content_ct);
    ad[PREFIX_LEN..HEADER_LEN].copy_from_slice(&layer1);
    let wrap = aead::seal(&key2, &nonce2, &ad, wrapped.expose());
    let mut envelope = prefix.to_vec();
    envelope.extend_from_slice(&layer1);
    envelope.extend_from_slice(&wrap);
    envelope.extend_from_slice(&content_ct);
    let err = open(bob, &f.store, NOW, &envelope).unwrap_err();
    assert_eq!(err.reason(), OpenReason::Content);
    assert_eq!(err.reason().id(), "SEAL-ENV-08");
    // The same construction with the right key opens: the refusal is about the mismatch.
    let mut ad = wrap_associated_data(&prefix, &content_ct);
    ad[PREFIX_LEN..HEADER_LEN].copy_from_slice(&layer1);
    let wrap = aead::seal(&key2, &nonce2, &ad, used.expose());
    envelope[HEADER_LEN..HEADER_LEN + WRAP_LEN].copy_from_slice(&wrap);
    assert!(open(bob, &f.store, NOW, &envelope).is_ok());
}

#[test]
fn a_received_envelope_cannot_be_relabelled_as_single_recipient() {
    let mut f = fixture(5);
    let sent = f.seal(&[9u8; 200]);
    let d = SentEnvelope::parse(&sent).unwrap().split().remove(0);
    let me = f.identity(d.account, d.device_id);
    // Drop the wrap and relabel: layer 1's associated data holds the subtype.
    let mut single = d.envelope[..HEADER_LEN].to_vec();
    single[1] = 0x01;
    single.extend_from_slice(&d.envelope[HEADER_LEN + WRAP_LEN..]);
    assert!(single.len() >= MULTI_MIN_LEN - WRAP_LEN);
    assert_eq!(
        open(me, &f.store, NOW, &single).unwrap_err().reason(),
        OpenReason::Layer1
    );
}

#[test]
fn the_relay_refuses_malformed_sent_forms_seal_mr_01_to_05() {
    let mut f = fixture(6);
    let sent = f.seal(b"relay");
    assert_eq!(
        SentEnvelope::parse(&[]).unwrap_err(),
        SplitError::WrongTag(0)
    );
    let mut other = sent.clone();
    other[0] = 0x1e;
    assert_eq!(
        SentEnvelope::parse(&other).unwrap_err(),
        SplitError::WrongTag(0x1e)
    );
    assert_eq!(SplitError::WrongTag(0).id(), "SEAL-MR-01");
    for subtype in [0x01u8, 0x02, 0x04] {
        let mut other = sent.clone();
        other[1] = subtype;
        assert_eq!(
            SentEnvelope::parse(&other).unwrap_err(),
            SplitError::WrongSubtype(subtype)
        );
    }
    assert_eq!(SentEnvelope::parse(&[0x1f]).unwrap_err().id(), "SEAL-MR-02");
    // SEAL-MR-03: a count of 0, over the maximum, or missing.
    let mut zero = sent.clone();
    zero[34..36].copy_from_slice(&[0, 0]);
    assert_eq!(
        SentEnvelope::parse(&zero).unwrap_err(),
        SplitError::RecipientCount(0)
    );
    let mut many = sent.clone();
    many[34..36].copy_from_slice(&1025u16.to_be_bytes());
    assert_eq!(
        SentEnvelope::parse(&many).unwrap_err(),
        SplitError::RecipientCount(1025)
    );
    assert_eq!(
        SentEnvelope::parse(&sent[..34]).unwrap_err(),
        SplitError::RecipientCount(0)
    );
    // SEAL-MR-04: a count the bytes do not hold, and every truncation.
    let mut more = sent.clone();
    more[34..36].copy_from_slice(&4u16.to_be_bytes());
    assert_eq!(SentEnvelope::parse(&more).unwrap_err(), SplitError::Length);
    assert_eq!(SplitError::Length.id(), "SEAL-MR-04");
    for len in 36..sent.len() {
        let err = SentEnvelope::parse(&sent[..len]).unwrap_err();
        assert_eq!(err, SplitError::Length, "len {len}");
    }
    // SEAL-MR-05: two entries swapped, and one repeated.
    let entry = |i: usize| SENT_HEADER_LEN + i * ENTRY_LEN..SENT_HEADER_LEN + (i + 1) * ENTRY_LEN;
    let mut swapped = sent.clone();
    let first = sent[entry(0)].to_vec();
    swapped[entry(0)].copy_from_slice(&sent[entry(1)]);
    swapped[entry(1)].copy_from_slice(&first);
    assert_eq!(
        SentEnvelope::parse(&swapped).unwrap_err(),
        SplitError::Order { index: 1 }
    );
    let mut repeated = sent.clone();
    repeated[entry(2)].copy_from_slice(&sent[entry(1)]);
    let err = SentEnvelope::parse(&repeated).unwrap_err();
    assert_eq!(err, SplitError::Order { index: 2 });
    assert_eq!(err.id(), "SEAL-MR-05");
    // What was accepted still parses, and yields what the sender sealed.
    assert_eq!(SentEnvelope::parse(&sent).unwrap().split().len(), 3);
}

#[test]
fn sealing_refuses_bad_recipient_lists_and_a_foreign_certificate() {
    let mut f = fixture(7);
    let err = seal_multi(
        &f.alice,
        &mut f.cache,
        &f.alice_cert,
        &[],
        1,
        b"x",
        &mut f.rng,
    );
    assert_eq!(err.unwrap_err(), SealError::RecipientCount);
    let one = f.devices[0].0;
    let too_many: Vec<Recipient> = (0..=MAX_RECIPIENTS as u32)
        .map(|i| Recipient {
            device_id: i + 1,
            ..one
        })
        .collect();
    let err = seal_multi(
        &f.alice,
        &mut f.cache,
        &f.alice_cert,
        &too_many,
        1,
        b"x",
        &mut f.rng,
    );
    assert_eq!(err.unwrap_err(), SealError::RecipientCount);
    let twice = [one, f.devices[1].0, one];
    let err = seal_multi(
        &f.alice,
        &mut f.cache,
        &f.alice_cert,
        &twice,
        1,
        b"x",
        &mut f.rng,
    );
    assert_eq!(err.unwrap_err(), SealError::DuplicateRecipient);
    let mallory = DeviceIdentity::generate(&mut f.rng);
    let err = seal_multi(
        &mallory,
        &mut f.cache,
        &f.alice_cert,
        &[one],
        1,
        b"x",
        &mut f.rng,
    );
    assert_eq!(err.unwrap_err(), SealError::CertificateMismatch);
    // The full list, exactly MAX_RECIPIENTS, seals and parses.
    let max: Vec<Recipient> = too_many[..MAX_RECIPIENTS].to_vec();
    let sent = seal_multi(
        &f.alice,
        &mut f.cache,
        &f.alice_cert,
        &max,
        1,
        b"x",
        &mut f.rng,
    )
    .unwrap();
    assert_eq!(SentEnvelope::parse(&sent).unwrap().len(), MAX_RECIPIENTS);
}

#[test]
fn a_warm_cache_on_the_recipient_side_opens_multi_recipient_envelopes() {
    let mut f = fixture(8);
    let mut cache = StaticCache::new();
    for round in 0..3u8 {
        let sent = f.seal(&[round; 10]);
        let d = SentEnvelope::parse(&sent).unwrap().split().remove(0);
        let me = f.identity(d.account, d.device_id);
        let opened = open_cached(me, &mut cache, &f.store, NOW, &d.envelope).unwrap();
        assert_eq!(opened.message.as_slice(), &[round; 10]);
        assert_eq!(cache.len(), 1);
    }
}
