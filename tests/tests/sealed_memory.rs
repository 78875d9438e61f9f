//! Sealed sender's secrets leave no copy in the process's memory once they are gone
//! (threat-model.md section 3, "keys lingering in memory"): the static-static secrets of a
//! `StaticCache` after eviction and after the cache is dropped, the content key of a
//! multi-recipient message after sealing, and a message's plaintext after it was sealed and
//! opened. Scanner: `sotto_tests::memory_scan` (writable private mappings, the current
//! thread's stack left out, needles held XOR-masked). One test, so that nothing else in the
//! process allocates secrets while a scan runs.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use sotto_crypto::{SecretBytes, aead};
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{CertificateStore, SenderCertificate, ServerKey, TrustRootKey};
use sotto_sealed::envelope;
use sotto_sealed::multi::{ENTRY_LEN, Recipient, SENT_HEADER_LEN, seal_multi};
use sotto_tests::memory_scan::{Needle, count};

const NOW: u64 = 1_764_000_000;

fn secret_needle(own: &DeviceIdentity, peer: &DeviceIdentity) -> Needle {
    let s = own
        .agreement_key()
        .diffie_hellman(peer.public().agreement())
        .unwrap();
    let mut k = *s.expose();
    drop(s);
    Needle::take(&mut k)
}

struct Setup {
    store: CertificateStore,
    alice: DeviceIdentity,
    certificate: SenderCertificate,
    peers: Vec<DeviceIdentity>,
}

fn setup(rng: &mut StdRng) -> Setup {
    let root = TrustRootKey::generate(rng);
    let server = ServerKey::generate(1, rng);
    let mut store = CertificateStore::new(root.public());
    store
        .add(
            root.certify(1, &server.public(), NOW - 10, NOW + 86_400)
                .unwrap()
                .as_bytes(),
        )
        .unwrap();
    let alice = DeviceIdentity::generate(rng);
    let certificate = server.issue(AccountId::from_bytes([1; 16]), 1, &alice.public(), NOW + 60);
    let peers = (0..3).map(|_| DeviceIdentity::generate(rng)).collect();
    Setup {
        store,
        alice,
        certificate,
        peers,
    }
}

/// (copies of the 3 secrets while cached with capacity 2, after the cache is dropped).
fn cached_secrets() -> (Vec<usize>, Vec<usize>) {
    let mut rng = StdRng::seed_from_u64(1);
    let s = setup(&mut rng);
    let needles: Vec<Needle> = s.peers.iter().map(|p| secret_needle(&s.alice, p)).collect();
    let refs: Vec<&Needle> = needles.iter().collect();
    let mut cache = Box::new(StaticCache::with_capacity(2));
    for peer in &s.peers {
        let sealed = envelope::seal_cached(
            &s.alice,
            &mut cache,
            &s.certificate,
            &peer.public(),
            1,
            b"hello",
            &mut rng,
        )
        .unwrap();
        drop(sealed);
    }
    let held = count(&refs);
    drop(cache);
    (held, count(&refs))
}

/// Copies of a multi-recipient message's content key after sealing (the key recomputed from
/// the generator's draws, checked by opening the content with it).
fn content_key_after_seal_multi() -> usize {
    let mut rng = StdRng::seed_from_u64(2);
    let s = setup(&mut rng);
    let recipients: Vec<Recipient> = s
        .peers
        .iter()
        .enumerate()
        .map(|(i, p)| Recipient {
            account: AccountId::from_bytes([0x10 + i as u8; 16]),
            device_id: 1,
            identity: p.public(),
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(20);
    let mut replay = StdRng::seed_from_u64(20);
    let mut cache = StaticCache::new();
    let sent = seal_multi(
        &s.alice,
        &mut cache,
        &s.certificate,
        &recipients,
        1,
        b"group",
        &mut rng,
    )
    .unwrap();
    // The generator drew the ephemeral key's 32 bytes, then the content key's.
    let mut skip = [0u8; 32];
    replay.fill_bytes(&mut skip);
    let mut k = [0u8; 32];
    replay.fill_bytes(&mut k);
    let key = SecretBytes::new(k);
    let mut ad = vec![0x1f, 0x02];
    ad.extend_from_slice(&sent[2..34]);
    let content = &sent[SENT_HEADER_LEN + 3 * ENTRY_LEN..];
    assert!(
        aead::open(&key, &[0u8; 12], &ad, content).is_ok(),
        "control: the recomputed content key opens the content"
    );
    let needle = Needle::take(&mut k);
    drop(key);
    count(&[&needle])[0]
}

/// Copies of a 32-byte message after it was sealed, opened and everything dropped; and while
/// the opened message is held (the control).
fn plaintext_after_open() -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(3);
    let s = setup(&mut rng);
    let mut message = [0u8; 32];
    rng.fill_bytes(&mut message);
    let plain = message.to_vec();
    let sealed = envelope::seal(
        &s.alice,
        &s.certificate,
        &s.peers[0].public(),
        1,
        &plain,
        &mut rng,
    )
    .unwrap();
    drop(plain);
    let needle = Needle::take(&mut message);
    let opened = Box::new(envelope::open(&s.peers[0], &s.store, NOW, &sealed).unwrap());
    let held = count(&[&needle])[0];
    drop(opened);
    (held, count(&[&needle])[0])
}

#[test]
fn sealed_sender_secrets_leave_no_copy_in_memory() {
    let (held, dropped) = cached_secrets();
    println!("static secrets: {held:?} copies cached (capacity 2), {dropped:?} after drop");
    assert_eq!(
        held,
        vec![0, 1, 1],
        "the evicted secret is gone, the live ones held once"
    );
    assert_eq!(dropped, vec![0, 0, 0], "a dropped cache leaves its secrets");
    let k = content_key_after_seal_multi();
    println!("content key after seal_multi: {k} copies");
    assert_eq!(k, 0, "the content key outlives seal_multi");
    let (held, dropped) = plaintext_after_open();
    println!("plaintext: {held} copies while opened, {dropped} after drop");
    assert_eq!(held, 1, "control: the opened message is found once");
    assert_eq!(dropped, 0, "the plaintext outlives the opened message");
}
