//! Multi-device sessions, trust and the compelled relay (protocol.md 8.4, 8.5; threat model,
//! "The ghost proposal"). Each test drives `sotto_devices::Device`s through the model relay of
//! `sotto_tests::world`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sotto_devices::store::{MemoryBackend, RecordBackend, RecordKind};
use sotto_devices::{
    AccountKey, Device, DeviceEntry, DeviceError, DeviceList, TrustError, TrustEvent,
};
use sotto_handshake::{DeviceIdentity, HandshakeConfig};
use sotto_tests::world::{NOW, World, store_key};

fn ok(results: Vec<Result<Vec<u8>, DeviceError>>) -> Vec<Vec<u8>> {
    results.into_iter().map(|r| r.expect("decrypts")).collect()
}

/// A device of an account of the relay's own, known to nobody.
fn stranger(w: &mut World) -> Device<MemoryBackend> {
    Device::create_account(
        MemoryBackend::new(),
        &store_key(),
        HandshakeConfig::default(),
        sotto_tests::world::policy(),
        NOW,
        &mut w.rng,
    )
    .unwrap()
}

/// Alice with two devices, Bob with one, who know each other's lists.
fn alice_and_bob() -> World {
    let mut w = World::new(7);
    let alice = w.add_user().unwrap();
    let bob = w.add_user().unwrap();
    w.link(alice).unwrap();
    let (a, b) = (w.users[alice].account, w.users[bob].account);
    let _ = w.refresh(alice, 0, b).unwrap();
    let _ = w.refresh(alice, 1, b).unwrap();
    let _ = w.refresh(bob, 0, a).unwrap();
    w
}

#[test]
fn a_message_fans_out_to_every_device_of_the_peer_and_to_the_senders_other_devices() {
    let mut w = alice_and_bob();
    w.send(0, 0, 1, b"hello bob").unwrap();
    assert_eq!(ok(w.receive(1, 0)), vec![b"hello bob".to_vec()]);
    assert_eq!(ok(w.receive(0, 1)), vec![b"hello bob".to_vec()]);
    assert!(
        w.receive(0, 0).is_empty(),
        "never to the sending device itself"
    );
    // Bob answers: both of Alice's devices get it.
    w.send(1, 0, 0, b"hi alice").unwrap();
    assert_eq!(ok(w.receive(0, 0)), vec![b"hi alice".to_vec()]);
    assert_eq!(ok(w.receive(0, 1)), vec![b"hi alice".to_vec()]);
}

#[test]
fn an_initial_message_is_reattached_until_the_first_reply_without_tripping_the_replay_check() {
    let mut w = alice_and_bob();
    let bob = w.users[1].account;
    w.send(0, 0, 1, b"one").unwrap();
    w.send(0, 0, 1, b"two").unwrap();
    // Both carry the setup header (tag 0x13) and the same ephemeral key.
    let mail = w.relay.mailboxes[&(bob, 1)].clone();
    assert!(mail.iter().all(|m| m.bytes[0] == 0x13));
    // The first one is lost: the second one still sets the session up.
    w.relay.mailboxes.get_mut(&(bob, 1)).unwrap().remove(0);
    assert_eq!(ok(w.receive(1, 0)), vec![b"two".to_vec()]);
    w.send(0, 0, 1, b"three").unwrap();
    // Another re-attached setup: decrypted on the session it set up, no HS-09.
    assert_eq!(ok(w.receive(1, 0)), vec![b"three".to_vec()]);
    w.send(1, 0, 0, b"reply").unwrap();
    assert_eq!(ok(w.receive(0, 0)), vec![b"reply".to_vec()]);
    // After the reply, Alice's device sends plain ratchet messages (0x11).
    w.send(0, 0, 1, b"four").unwrap();
    assert_eq!(w.relay.mailboxes[&(bob, 1)][0].bytes[0], 0x11);
    assert_eq!(ok(w.receive(1, 0)), vec![b"four".to_vec()]);
    assert_eq!(
        w.users[1].devices[0].session_count(w.users[0].account, 1),
        1
    );
}

#[test]
fn a_replayed_initial_message_is_refused_once_its_message_was_read() {
    let mut w = alice_and_bob();
    let bob = w.users[1].account;
    w.send(0, 0, 1, b"one").unwrap();
    let mail = w.relay.mailboxes[&(bob, 1)].clone();
    assert_eq!(ok(w.receive(1, 0)), vec![b"one".to_vec()]);
    w.relay.mailboxes.insert((bob, 1), mail);
    let results = w.receive(1, 0);
    assert!(matches!(
        results[0],
        Err(DeviceError::Sessions(
            sotto_devices::sessions::SessionsError::Decrypt(sotto_ratchet::DecryptError::Duplicate)
        ))
    ));
}

#[test]
fn simultaneous_setup_converges_through_the_archived_session() {
    let mut w = alice_and_bob();
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    // Both initiate before either receives.
    w.send(0, 0, 1, b"from alice").unwrap();
    w.send(1, 0, 0, b"from bob").unwrap();
    assert_eq!(ok(w.receive(1, 0)), vec![b"from alice".to_vec()]);
    assert_eq!(ok(w.receive(0, 0)), vec![b"from bob".to_vec()]);
    assert_eq!(w.users[0].devices[0].session_count(bob, 1), 2);
    assert_eq!(w.users[1].devices[0].session_count(alice, 1), 2);
    // Each now sends on the session the other set up; each receive lands on the archived
    // session of the receiver, which is promoted; then they agree.
    for round in 0..3u8 {
        w.send(0, 0, 1, &[round]).unwrap();
        assert_eq!(ok(w.receive(1, 0)), vec![vec![round]]);
        w.send(1, 0, 0, &[round, 1]).unwrap();
        assert_eq!(ok(w.receive(0, 0)), vec![vec![round, 1]]);
    }
    let _ = ok(w.receive(0, 1));
}

#[test]
fn ghost_device_offered_by_the_relay_is_refused() {
    let mut w = alice_and_bob();
    let bob = w.users[1].account;
    // The compelled relay adds a device of its own to Bob's account: a bundle for device 9,
    // which Bob's signed list does not hold. It cannot sign a list with it.
    let ghost = stranger(&mut w);
    let bundle = ghost
        .published_prekeys()
        .unwrap()
        .take_bundle()
        .verify()
        .unwrap();
    let mut bundles = vec![(bob, 9, bundle)];
    let alice = &mut w.users[0].devices[0];
    assert!(matches!(
        alice.encrypt(bob, b"secret", &bundles, &mut w.rng),
        Err(DeviceError::Trust(TrustError::GhostDevice(9)))
    ));
    // The same bundle under Bob's real device id: a swapped device key.
    bundles[0].1 = 1;
    assert!(matches!(
        alice.encrypt(bob, b"secret", &bundles, &mut w.rng),
        Err(DeviceError::Trust(TrustError::DeviceKeySwapped(1)))
    ));
    // And a stale answer that claims the ghost exists is refused after the refresh.
    let stale = sotto_devices::StaleDevices {
        account: bob,
        missing: vec![9],
        extra: vec![],
    };
    let fresh = w.relay.lists[&bob].clone();
    assert!(matches!(
        w.users[0].devices[0].handle_stale(&stale, fresh, &mut w.rng),
        Err(DeviceError::StaleMismatch)
    ));
    assert_eq!(w.users[0].devices[0].session_count(bob, 9), 0);
}

#[test]
fn ghost_device_sending_is_refused() {
    let mut w = alice_and_bob();
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    // A ghost holding a session with Bob (it fetched Bob's bundle) claims to be Alice's
    // device 3, or Alice's device 1.
    let mut ghost = stranger(&mut w);
    let _ = ghost
        .observe_list(w.relay.lists[&bob].clone(), &mut w.rng)
        .unwrap();
    let bundle = w
        .relay
        .prekeys
        .get_mut(&(bob, 1))
        .unwrap()
        .take_bundle()
        .verify()
        .unwrap();
    let fan = ghost
        .encrypt(bob, b"I am alice", &[(bob, 1, bundle)], &mut w.rng)
        .unwrap();
    let bytes = fan[0].message_for(1).unwrap().to_vec();
    let bob_device = &mut w.users[1].devices[0];
    assert!(matches!(
        bob_device.decrypt(alice, 3, &bytes, &mut w.rng),
        Err(DeviceError::Trust(TrustError::GhostDevice(3)))
    ));
    assert!(matches!(
        bob_device.decrypt(alice, 1, &bytes, &mut w.rng),
        Err(DeviceError::Trust(TrustError::DeviceKeySwapped(1)))
    ));
    assert_eq!(bob_device.session_count(alice, 1), 0);
    assert_eq!(bob_device.session_count(alice, 3), 0);
}

#[test]
fn rolled_back_device_list_is_refused() {
    let mut w = alice_and_bob();
    let alice = w.users[0].account;
    let old = w.relay.lists[&alice].clone();
    // Alice links a third device, then revokes it; Bob sees the newest list.
    let third = w.link(0).unwrap();
    let _ = w.revoke(0, third).unwrap();
    let _ = w.refresh(1, 0, alice).unwrap();
    // The relay serves the older list again (which held fewer devices, or the third one).
    let bob = &mut w.users[1].devices[0];
    let held = bob.account(alice).unwrap().list().unwrap().clone();
    assert!(matches!(
        bob.observe_list(old, &mut w.rng),
        Err(DeviceError::Trust(TrustError::RolledBack { .. }))
    ));
    assert_eq!(bob.account(alice).unwrap().list().unwrap(), &held);
}

#[test]
fn device_key_swap_under_an_unchanged_device_id_is_refused() {
    let mut w = alice_and_bob();
    let alice = w.users[0].account;
    let held = w.relay.lists[&alice].clone();
    let mut devices: Vec<DeviceEntry> = held.list().devices().to_vec();
    devices[1] = DeviceEntry::new(2, DeviceIdentity::generate(&mut w.rng).public());
    let held_by_bob = w.users[1].devices[0].account(alice).unwrap().clone();
    // The relay offers, under Alice's device id 2, a bundle of other keys. (A newer list
    // signed by Alice's own key that changes device 2's keys is refused too: DEV-TR-04, in
    // sotto-devices' trust tests, since only Alice's primary could sign one.)
    let swapped_bundle = {
        let stranger = stranger(&mut w);
        stranger
            .published_prekeys()
            .unwrap()
            .take_bundle()
            .verify()
            .unwrap()
    };
    let bob = &mut w.users[1].devices[0];
    assert!(matches!(
        bob.encrypt(alice, b"x", &[(alice, 2, swapped_bundle)], &mut w.rng),
        Err(DeviceError::Trust(TrustError::DeviceKeySwapped(2)))
    ));
    // A list under another account key with the swapped device is an account key change.
    let other_key = AccountKey::generate(&mut w.rng);
    let forged = DeviceList::new(alice, held.list().version() + 1, NOW, devices.clone())
        .unwrap()
        .sign(&other_key);
    let observed = bob.observe_list(forged, &mut w.rng).unwrap();
    assert_eq!(
        observed.events,
        vec![TrustEvent::AccountKeyChanged {
            account: alice,
            was_verified: false
        }]
    );
    // Until Bob accepts, the old list rules: the swapped device is still refused.
    let trust = bob.account(alice).unwrap();
    assert_eq!(trust.list(), held_by_bob.list());
    assert_eq!(
        trust.check_device(2, devices[1].identity()),
        Err(TrustError::DeviceKeySwapped(2))
    );
}

#[test]
fn an_account_key_change_blocks_sending_until_accepted_and_clears_verified() {
    let mut w = alice_and_bob();
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    // Bob verifies Alice's safety number.
    let number_bob = w.users[1].devices[0].safety_number(alice).unwrap();
    let number_alice = w.users[0].devices[0].safety_number(bob).unwrap();
    let scanned =
        sotto_devices::safety::ScannedSafetyNumber::from_bytes(&number_alice.to_bytes()).unwrap();
    let result = number_bob.compare(&scanned);
    assert_eq!(result, sotto_devices::safety::Comparison::Match);
    let pinned = *w.users[1].devices[0].account(alice).unwrap().pinned_key();
    w.users[1].devices[0]
        .mark_verified(alice, &pinned, result, &mut w.rng)
        .unwrap();
    assert!(w.users[1].devices[0].account(alice).unwrap().is_verified());
    // Alice loses her account key: a new account key signs a new list for her account id.
    let new_key = AccountKey::generate(&mut w.rng);
    let devices = w.relay.lists[&alice].list().devices().to_vec();
    let list = DeviceList::new(alice, 1, NOW, devices)
        .unwrap()
        .sign(&new_key);
    let observed = w.users[1].devices[0]
        .observe_list(list, &mut w.rng)
        .unwrap();
    assert_eq!(
        observed.events,
        vec![TrustEvent::AccountKeyChanged {
            account: alice,
            was_verified: true
        }]
    );
    let bob_device = &mut w.users[1].devices[0];
    assert!(!bob_device.account(alice).unwrap().is_verified());
    assert!(matches!(
        bob_device.encrypt(alice, b"blocked", &[], &mut w.rng),
        Err(DeviceError::Trust(TrustError::KeyChangePending))
    ));
    // Restarting does not lift the block.
    let backend = w.users[1].devices.remove(0).into_backend();
    let mut bob_device = Device::open(backend, &store_key(), HandshakeConfig::default()).unwrap();
    assert!(matches!(
        bob_device.encrypt(alice, b"blocked", &[], &mut w.rng),
        Err(DeviceError::Trust(TrustError::KeyChangePending))
    ));
    let observed = bob_device.accept_key_change(alice, &mut w.rng).unwrap();
    assert!(
        observed.events.is_empty(),
        "same devices: {:?}",
        observed.events
    );
    assert_eq!(
        bob_device.account(alice).unwrap().pinned_key(),
        &new_key.public()
    );
    assert!(!bob_device.account(alice).unwrap().is_verified());
    w.users[1].devices.insert(0, bob_device);
    w.send(1, 0, 0, b"after accepting").unwrap();
}

#[test]
fn a_revoked_device_is_dropped_by_peers_and_learns_it_is_revoked() {
    let mut w = alice_and_bob();
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(1, 0, 0, b"before").unwrap();
    assert_eq!(ok(w.receive(0, 1)), vec![b"before".to_vec()]);
    let _ = ok(w.receive(0, 0));
    assert_eq!(w.users[1].devices[0].session_count(alice, 2), 1);
    let observed = w.revoke(0, 1).unwrap();
    assert!(observed.events.contains(&TrustEvent::DeviceRemoved {
        account: alice,
        device_id: 2
    }));
    // Bob's next send gets a stale answer (the relay serves the new list), refreshes and
    // sends to Alice's remaining device only; the session with device 2 is closed.
    w.send(1, 0, 0, b"after").unwrap();
    assert_eq!(w.users[1].devices[0].session_count(alice, 2), 0);
    assert_eq!(ok(w.receive(0, 0)), vec![b"after".to_vec()]);
    assert!(!w.relay.mailboxes.contains_key(&(alice, 2)));
    // The revoked device learns it from its own account's list, and stops.
    let observed = w.refresh(0, 1, alice).unwrap();
    assert!(observed.this_device_revoked);
    assert!(w.users[0].devices[1].is_revoked());
    assert!(matches!(
        w.users[0].devices[1].encrypt(bob, b"x", &[], &mut w.rng),
        Err(DeviceError::Revoked)
    ));
}

#[test]
fn mail_from_a_revoked_device_is_refused() {
    let mut w = alice_and_bob();
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    // Device 2 writes to Bob; the relay holds the mail back until after the revocation.
    w.send(0, 1, 1, b"late").unwrap();
    let held_back = w.relay.mailboxes.remove(&(bob, 1)).unwrap();
    let _ = w.revoke(0, 1).unwrap();
    let _ = w.refresh(1, 0, alice).unwrap();
    w.relay.mailboxes.insert((bob, 1), held_back);
    let results = w.receive(1, 0);
    assert!(matches!(
        results[0],
        Err(DeviceError::Trust(TrustError::GhostDevice(2)))
    ));
}

#[test]
fn a_withheld_revocation_is_visible_on_the_next_list_the_peer_sees() {
    let mut w = alice_and_bob();
    let alice = w.users[0].account;
    let before = w.relay.lists[&alice].clone();
    let _ = w.revoke(0, 1).unwrap();
    // The compelled relay withholds the new list from Bob: Bob still encrypts to device 2
    // (he cannot know), but the relay cannot make him accept the old list again once any
    // newer list reached him, and Alice's own devices learn the revocation from her list.
    let newest = w.relay.lists.insert(alice, before).unwrap();
    w.send(1, 0, 0, b"still to 2").unwrap();
    assert!(w.relay.mailboxes.contains_key(&(alice, 2)));
    w.relay.lists.insert(alice, newest);
    w.send(1, 0, 0, b"now not").unwrap();
    assert_eq!(w.users[1].devices[0].session_count(alice, 2), 0);
}

#[test]
fn a_store_opens_only_under_its_store_key_and_only_whole() {
    let mut w = alice_and_bob();
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    let backend = w.users[1].devices.remove(0).into_backend();
    let wrong = sotto_crypto::SecretBytes::new([1; 32]);
    assert!(matches!(
        Device::open(backend.clone(), &wrong, HandshakeConfig::default()),
        Err(DeviceError::WrongStoreKey)
    ));
    assert!(matches!(
        Device::open(
            MemoryBackend::new(),
            &store_key(),
            HandshakeConfig::default()
        ),
        Err(DeviceError::NoDevice)
    ));
    // A record moved to another index (a swap inside the database) does not open.
    let mut swapped = backend.clone();
    let sessions = swapped.scan(RecordKind::Sessions).unwrap();
    let accounts = swapped.scan(RecordKind::Account).unwrap();
    swapped
        .apply(&[sotto_devices::store::Write::Put {
            kind: RecordKind::Account,
            index: accounts[0].0,
            value: accounts[1].1.clone(),
        }])
        .unwrap();
    assert!(Device::open(swapped, &store_key(), HandshakeConfig::default()).is_err());
    assert!(!sessions.is_empty());
    assert!(Device::open(backend, &store_key(), HandshakeConfig::default()).is_ok());
}

#[test]
fn restart_keeps_sessions_trust_and_prekeys() {
    let mut w = alice_and_bob();
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(1, 0, 0, b"two").unwrap();
    let _ = ok(w.receive(0, 0));
    let backend = w.users[1].devices.remove(0).into_backend();
    let count = backend.len();
    let device = Device::open(backend, &store_key(), HandshakeConfig::default()).unwrap();
    w.users[1].devices.insert(0, device);
    w.send(0, 0, 1, b"three").unwrap();
    assert_eq!(ok(w.receive(1, 0)), vec![b"three".to_vec()]);
    w.send(1, 0, 0, b"four").unwrap();
    assert_eq!(ok(w.receive(0, 0)), vec![b"four".to_vec()]);
    assert_eq!(ok(w.receive(0, 1)).len(), 4);
    assert!(count >= 4);
}

#[test]
fn a_refused_message_leaves_the_store_byte_for_byte_unchanged() {
    let mut w = alice_and_bob();
    let alice = w.users[0].account;
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(0, 0, 1, b"two").unwrap();
    let good = w.relay.mailboxes[&(w.users[1].account, 1)][0].bytes.clone();
    let snapshot = |d: &Device<MemoryBackend>| -> Vec<Vec<u8>> {
        d.backend().values().map(<[u8]>::to_vec).collect()
    };
    let before = snapshot(&w.users[1].devices[0]);
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x01;
        assert!(
            w.users[1].devices[0]
                .decrypt(alice, 1, &bad, &mut w.rng)
                .is_err(),
            "byte {i}"
        );
    }
    for cut in [0, 1, good.len() / 2, good.len() - 1] {
        assert!(
            w.users[1].devices[0]
                .decrypt(alice, 1, &good[..cut], &mut w.rng)
                .is_err()
        );
    }
    let mut long = good.clone();
    long.push(0);
    assert!(
        w.users[1].devices[0]
            .decrypt(alice, 1, &long, &mut w.rng)
            .is_err()
    );
    assert_eq!(snapshot(&w.users[1].devices[0]), before);
    let r = w.users[1].devices[0]
        .decrypt(alice, 1, &good, &mut w.rng)
        .unwrap();
    assert_eq!(r.plaintext, b"two");
}

#[test]
fn the_store_holds_no_account_id_key_or_plaintext_in_the_clear() {
    let mut w = alice_and_bob();
    w.send(0, 0, 1, b"plaintext-marker-1").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(1, 0, 0, b"plaintext-marker-2").unwrap();
    let _ = ok(w.receive(0, 0));
    let mut needles: Vec<Vec<u8>> = vec![
        b"plaintext-marker-1".to_vec(),
        b"plaintext-marker-2".to_vec(),
        store_key().expose().to_vec(),
    ];
    for u in &w.users {
        needles.push(u.account.to_bytes().to_vec());
        for d in &u.devices {
            let id = d.identity_key().unwrap().to_bytes();
            needles.push(id[..32].to_vec());
            needles.push(id[32..].to_vec());
        }
    }
    for u in &w.users {
        let list = w.relay.lists[&u.account].clone();
        needles.push(list.account_key().to_bytes().to_vec());
    }
    let bob = &w.users[1].devices[0];
    let records: Vec<u8> = RecordKind::ALL
        .iter()
        .flat_map(|k| bob.backend().scan(*k).unwrap())
        .flat_map(|(i, v)| i.as_bytes().iter().copied().chain(v).collect::<Vec<_>>())
        .collect();
    assert!(records.len() > 1000);
    for n in &needles {
        assert!(!records.windows(n.len()).any(|w| w == n.as_slice()));
    }
    // The scan can fail: a buffer that holds one needle is caught.
    let mut planted = records.clone();
    planted.extend_from_slice(&needles[3]);
    assert!(
        planted
            .windows(needles[3].len())
            .any(|w| w == needles[3].as_slice())
    );
}

#[test]
fn linking_hands_the_new_device_the_account_and_the_trust_state() {
    let mut w = World::new(11);
    let alice = w.add_user().unwrap();
    let bob = w.add_user().unwrap();
    let (a, b) = (w.users[alice].account, w.users[bob].account);
    let _ = w.refresh(alice, 0, b).unwrap();
    let _ = w.refresh(bob, 0, a).unwrap();
    // Alice verifies Bob, then links a second device.
    let number = w.users[alice].devices[0].safety_number(b).unwrap();
    let theirs = w.users[bob].devices[0].safety_number(a).unwrap();
    let scanned =
        sotto_devices::safety::ScannedSafetyNumber::from_bytes(&theirs.to_bytes()).unwrap();
    let pinned = *w.users[alice].devices[0].account(b).unwrap().pinned_key();
    w.users[alice].devices[0]
        .mark_verified(b, &pinned, number.compare(&scanned), &mut w.rng)
        .unwrap();
    let second = w.link(alice).unwrap();
    let new_device = &w.users[alice].devices[second];
    assert_eq!(new_device.account_id(), a);
    assert_eq!(new_device.device_id(), 2);
    assert!(!new_device.holds_account_key());
    let bob_trust = new_device.account(b).unwrap();
    assert!(bob_trust.is_verified());
    assert_eq!(bob_trust.pinned_key(), &pinned);
    assert!(bob_trust.list().is_none());
    // Bob's list must be fetched before sending (DEV-TR-08), then the conversation works
    // and stays verified.
    assert!(matches!(
        w.users[alice].devices[second].encrypt(b, b"x", &[], &mut w.rng),
        Err(DeviceError::Trust(TrustError::NoDeviceList))
    ));
    let _ = w.refresh(alice, second, b).unwrap();
    let _ = w.refresh(bob, 0, a).unwrap();
    w.send(alice, second, bob, b"from the new device").unwrap();
    assert_eq!(ok(w.receive(bob, 0)), vec![b"from the new device".to_vec()]);
    assert_eq!(
        ok(w.receive(alice, 0)),
        vec![b"from the new device".to_vec()]
    );
    assert!(
        w.users[alice].devices[second]
            .account(b)
            .unwrap()
            .is_verified()
    );
}

#[test]
fn a_replayed_link_code_and_a_link_message_under_another_secret_are_refused() {
    let mut w = World::new(12);
    let alice = w.add_user().unwrap();
    let identity = DeviceIdentity::generate(&mut w.rng);
    let (code, mut pending) = sotto_devices::LinkCode::generate(identity.public(), &mut w.rng);
    let text = code.to_text();
    let primary = &mut w.users[alice].devices[0];
    let (message, list, _) = primary
        .link_device(
            sotto_devices::LinkCode::from_text(&text).unwrap(),
            NOW,
            &mut w.rng,
        )
        .unwrap();
    // The same code again (the relay, or a camera, replays it): DEV-LK-17, nothing changed.
    let before = primary.own_list().unwrap().clone();
    assert!(matches!(
        primary.link_device(
            sotto_devices::LinkCode::from_text(&text).unwrap(),
            NOW,
            &mut w.rng
        ),
        Err(DeviceError::LinkSeal(_))
    ));
    assert_eq!(primary.own_list().unwrap(), &before);
    assert_eq!(before, list);
    // Another device's pending link does not open the message; the right one does, once.
    let other = DeviceIdentity::generate(&mut w.rng);
    let (_, mut other_pending) = sotto_devices::LinkCode::generate(other.public(), &mut w.rng);
    fn open_with(
        message: &[u8],
        identity: DeviceIdentity,
        pending: &mut sotto_devices::PendingLink,
        rng: &mut rand::rngs::StdRng,
    ) -> Result<Device<MemoryBackend>, DeviceError> {
        Device::from_link(
            MemoryBackend::new(),
            &store_key(),
            HandshakeConfig::default(),
            sotto_tests::world::policy(),
            identity,
            pending,
            message,
            NOW,
            rng,
        )
    }
    let open =
        |identity, pending: &mut sotto_devices::PendingLink, rng: &mut rand::rngs::StdRng| {
            open_with(&message, identity, pending, rng)
        };
    assert!(matches!(
        open(other, &mut other_pending, &mut w.rng),
        Err(DeviceError::Link(_))
    ));
    let copy = DeviceIdentity::from_keys(
        identity.signing_key().clone(),
        identity.agreement_key().clone(),
    );
    let wrong_identity = DeviceIdentity::generate(&mut w.rng);
    assert!(matches!(
        open(wrong_identity, &mut pending, &mut w.rng),
        Err(DeviceError::NotThisDevicesLink)
    ));
    let device = open(copy, &mut pending, &mut w.rng).unwrap();
    assert_eq!(device.device_id(), 2);
    let again = DeviceIdentity::from_keys(
        identity.signing_key().clone(),
        identity.agreement_key().clone(),
    );
    assert!(matches!(
        open(again, &mut pending, &mut w.rng),
        Err(DeviceError::Link(_))
    ));
}

/// A backend whose writes and reads can be made to fail, through switches the test keeps.
#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryBackend,
    fail_writes: std::sync::Arc<std::sync::atomic::AtomicBool>,
    fail_reads: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

fn on(flag: &std::sync::atomic::AtomicBool) -> bool {
    flag.load(std::sync::atomic::Ordering::SeqCst)
}

fn set(flag: &std::sync::atomic::AtomicBool, value: bool) {
    flag.store(value, std::sync::atomic::Ordering::SeqCst);
}

impl RecordBackend for Flaky {
    fn get(
        &self,
        kind: RecordKind,
        index: &sotto_devices::store::RecordIndex,
    ) -> Result<Option<Vec<u8>>, sotto_devices::store::StoreError> {
        if on(&self.fail_reads) {
            return Err(sotto_devices::store::StoreError::backend("read failed"));
        }
        self.inner.get(kind, index)
    }

    fn scan(
        &self,
        kind: RecordKind,
    ) -> Result<Vec<(sotto_devices::store::RecordIndex, Vec<u8>)>, sotto_devices::store::StoreError>
    {
        if on(&self.fail_reads) {
            return Err(sotto_devices::store::StoreError::backend("read failed"));
        }
        self.inner.scan(kind)
    }

    fn apply(
        &mut self,
        batch: &[sotto_devices::store::Write],
    ) -> Result<(), sotto_devices::store::StoreError> {
        if on(&self.fail_writes) {
            return Err(sotto_devices::store::StoreError::backend("write failed"));
        }
        self.inner.apply(batch)
    }
}

#[test]
fn a_failed_write_leaves_the_device_on_the_stored_state_and_a_failed_reload_breaks_it() {
    let mut w = alice_and_bob();
    let alice = w.users[0].account;
    w.send(0, 0, 1, b"one").unwrap();
    w.send(0, 0, 1, b"two").unwrap();
    let mail = w.relay.mailboxes[&(w.users[1].account, 1)].clone();
    let flaky = Flaky {
        inner: w.users[1].devices.remove(0).into_backend(),
        ..Flaky::default()
    };
    let (writes, reads) = (flaky.fail_writes.clone(), flaky.fail_reads.clone());
    let mut bob = Device::open(flaky, &store_key(), HandshakeConfig::default()).unwrap();
    let before: Vec<Vec<u8>> = bob.backend().inner.values().map(<[u8]>::to_vec).collect();
    // The write of "one" fails: the call fails, the device reloads the stored state (no
    // session, the one-time prekey still held), and the message decrypts once writes work.
    set(&writes, true);
    assert!(matches!(
        bob.decrypt(alice, 1, &mail[0].bytes, &mut w.rng),
        Err(DeviceError::Store(_))
    ));
    assert_eq!(bob.session_count(alice, 1), 0);
    let after: Vec<Vec<u8>> = bob.backend().inner.values().map(<[u8]>::to_vec).collect();
    assert_eq!(before, after);
    set(&writes, false);
    assert_eq!(
        bob.decrypt(alice, 1, &mail[0].bytes, &mut w.rng)
            .unwrap()
            .plaintext,
        b"one"
    );
    // Now the write and the reload both fail: the device is broken and refuses every call,
    // even once the store works again, until it is reopened from the store.
    set(&writes, true);
    set(&reads, true);
    assert!(bob.decrypt(alice, 1, &mail[1].bytes, &mut w.rng).is_err());
    set(&writes, false);
    set(&reads, false);
    assert!(matches!(
        bob.decrypt(alice, 1, &mail[1].bytes, &mut w.rng),
        Err(DeviceError::Broken)
    ));
    let mut bob =
        Device::open(bob.into_backend(), &store_key(), HandshakeConfig::default()).unwrap();
    assert_eq!(
        bob.decrypt(alice, 1, &mail[1].bytes, &mut w.rng)
            .unwrap()
            .plaintext,
        b"two"
    );
}

/// Found by `devices_properties` (shrunk by hand from its failing script: Alice with two
/// devices, a revocation of device 2, a link): a device linked after the device with the
/// highest id was revoked got that id again, under new keys, so a peer that held the list
/// with the old device 2 refused every newer list (DEV-TR-04, a swapped device key) and never
/// saw Alice's devices again; mail queued for the old device 2 went to the new one.
#[test]
fn a_revoked_device_id_is_never_given_to_a_new_device() {
    let mut w = alice_and_bob();
    let alice = w.users[0].account;
    let _ = w.revoke(0, 1).unwrap();
    let third = w.link(0).unwrap();
    assert_ne!(w.users[0].devices[third].device_id(), 2);
    // Bob, who held the list with the old device 2, accepts the newest one.
    let observed = w.refresh(1, 0, alice).unwrap();
    assert!(observed.events.contains(&TrustEvent::DeviceRemoved {
        account: alice,
        device_id: 2
    }));
    w.send(1, 0, 0, b"to the new device").unwrap();
    assert_eq!(ok(w.receive(0, third)), vec![b"to the new device".to_vec()]);
}

#[test]
fn a_whole_store_put_back_is_refused_against_the_generation_the_platform_kept() {
    let mut w = alice_and_bob();
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    let old = w.users[1].devices[0].backend().clone();
    let old_generation = w.users[1].devices[0].generation();
    w.send(1, 0, 0, b"two").unwrap();
    let kept = w.users[1].devices[0].generation();
    assert!(kept > old_generation);
    // The old copy is consistent by itself (its digest matches): only the generation the
    // platform kept outside the store tells it is old.
    assert!(Device::open(old.clone(), &store_key(), HandshakeConfig::default()).is_ok());
    assert!(matches!(
        Device::open_at_least(old, &store_key(), HandshakeConfig::default(), kept),
        Err(DeviceError::RolledBack { stored, expected }) if stored == old_generation && expected == kept
    ));
    let current = w.users[1].devices.remove(0).into_backend();
    let device =
        Device::open_at_least(current, &store_key(), HandshakeConfig::default(), kept).unwrap();
    assert_eq!(device.generation(), kept);
}

#[test]
fn a_linked_device_keeps_its_peer_list_floor_across_a_restart() {
    let mut w = alice_and_bob();
    let bob = w.users[1].account;
    let old = w.relay.lists[&bob].clone();
    // Bob links a device, so his list moves on; Alice's primary sees the newer list.
    let _ = w.link(1).unwrap();
    let _ = w.refresh(0, 0, bob).unwrap();
    let newest = w.users[0].devices[0]
        .account(bob)
        .unwrap()
        .list()
        .unwrap()
        .clone();
    assert!(newest.list().version() > old.list().version());
    // Alice links a third device: it holds Bob's key and the floor, no list.
    let third = w.link(0).unwrap();
    assert_eq!(
        w.users[0].devices[third].account(bob).unwrap().floor(),
        newest.list().version()
    );
    // It restarts before fetching Bob's list; the floor survives in its store.
    let backend = w.users[0].devices.remove(third).into_backend();
    let mut device = Device::open(backend, &store_key(), HandshakeConfig::default()).unwrap();
    assert!(matches!(
        device.observe_list(old, &mut w.rng),
        Err(DeviceError::Trust(TrustError::RolledBack { .. }))
    ));
    let _ = device.observe_list(newest, &mut w.rng).unwrap();
    assert_eq!(device.account(bob).unwrap().floor(), 0);
}
