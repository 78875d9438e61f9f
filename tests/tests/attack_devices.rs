//! Attacks on the device layer (protocol.md chapter 8; threat model section 2a) by a
//! compelled relay (it controls the device directory and the transport, and can create
//! accounts of its own) and by a thief holding, and able to rewrite, a client's database
//! file (but not the store key).
//!
//! Tests marked `#[ignore = "finding N: ..."]` fail on the current code: each shows a
//! defect and passes once it is fixed. The others show attacks the code resists, where the
//! existing tests do not cover them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::{RngExt, SeedableRng};
use sotto_devices::sessions::SessionsError;
use sotto_devices::store::{MemoryBackend, RecordBackend, RecordKind, StoreKeys, Write};
use sotto_devices::{
    AccountId, AccountKey, Device, DeviceEntry, DeviceError, DeviceList, StaleDevices, TrustError,
    TrustEvent,
};
use sotto_handshake::{HandshakeConfig, InitialMessage};
use sotto_tests::world::{NOW, World, store_key};

fn ok(results: Vec<Result<Vec<u8>, DeviceError>>) -> Vec<Vec<u8>> {
    results.into_iter().map(|r| r.expect("decrypts")).collect()
}

/// Alice with two devices, Bob with one, who know each other's lists.
fn alice_and_bob(seed: u64) -> World {
    let mut w = World::new(seed);
    let alice = w.add_user().unwrap();
    let bob = w.add_user().unwrap();
    w.link(alice).unwrap();
    let (a, b) = (w.users[alice].account, w.users[bob].account);
    let _ = w.refresh(alice, 0, b).unwrap();
    let _ = w.refresh(alice, 1, b).unwrap();
    let _ = w.refresh(bob, 0, a).unwrap();
    w
}

/// Every record of a backend, by kind and index.
fn records(b: &MemoryBackend) -> Vec<(RecordKind, sotto_devices::store::RecordIndex, Vec<u8>)> {
    RecordKind::ALL
        .iter()
        .flat_map(|k| {
            b.scan(*k)
                .unwrap()
                .into_iter()
                .map(move |(i, v)| (*k, i, v))
        })
        .collect()
}

fn snapshot(d: &Device<MemoryBackend>) -> Vec<Vec<u8>> {
    d.backend().values().map(<[u8]>::to_vec).collect()
}

fn reopen(backend: MemoryBackend) -> Result<Device<MemoryBackend>, DeviceError> {
    Device::open(backend, &store_key(), HandshakeConfig::default())
}

fn put(
    b: &mut MemoryBackend,
    kind: RecordKind,
    index: sotto_devices::store::RecordIndex,
    v: &[u8],
) {
    b.apply(&[Write::Put {
        kind,
        index,
        value: v.to_vec(),
    }])
    .unwrap();
}

// ===================================================================== findings

/// Finding 1. `link_device` assigns `max(id) + 1` of the *current* list, so after the
/// device with the highest id is revoked the next linked device gets the revoked device's
/// id. A peer that did not see the list in between (offline, or the relay withheld it) then
/// sees the revoked id with new keys, which DEV-TR-04 refuses as a device key swap, and so
/// refuses this and every later list of the account: it keeps encrypting to the revoked
/// device for good, and the relay delivers that mail to the revoked device, which reads it.
/// The threat model promises the opposite ("peers keep encrypting to the revoked device
/// until any newer list reaches them"; 8.4 "a device that gets new keys gets a new id").
#[test]
fn a_revoked_device_id_is_never_reused_so_peers_that_missed_the_revocation_recover() {
    let mut w = alice_and_bob(101);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(1, 0, 0, b"before").unwrap();
    let _ = ok(w.receive(0, 0));
    let _ = ok(w.receive(0, 1));
    // Alice revokes device 2 and links a new phone. Bob was offline in between: he only
    // ever sees the newest list the relay serves.
    let _ = w.revoke(0, 1).unwrap();
    let new_phone = w.link(0).unwrap();
    let new_id = w.users[0].devices[new_phone].device_id();
    let refreshed = w.refresh(1, 0, alice);
    // Bob writes; the relay hands Bob's mail for (alice, 2) to the revoked device, which has
    // not been shown its own revocation (the relay withholds Alice's lists from it).
    w.send(1, 0, 0, b"for alice's devices only").unwrap();
    let mail = w.relay.mailboxes.remove(&(alice, 2)).unwrap_or_default();
    let revoked = &mut w.users[0].devices[1];
    let leaked: Vec<_> = mail
        .iter()
        .filter_map(|m| revoked.decrypt(bob, 1, &m.bytes, &mut w.rng).ok())
        .collect();
    assert!(
        leaked.is_empty(),
        "the revoked device read {} message(s) sent after Bob fetched the newest list \
         (new device got id {new_id}; Bob's refresh: {refreshed:?})",
        leaked.len()
    );
    assert!(
        refreshed.is_ok(),
        "Bob refuses Alice's newest list: {refreshed:?}"
    );
}

/// Finding 2. Account membership of a device is asserted only by the account key; nothing
/// binds a device identity to one account (no device signature over its account, no
/// account id in session setup). The compelled relay creates an account of its own
/// ("Mallory"), lists Alice's real device identity in it, and delivers Alice's initial
/// message to Carol as mail from (Mallory, 1): Carol's device accepts it as Mallory's
/// (`Received::account` is Mallory), and her replies on that session go to Alice's device
/// while she believes she is writing to Mallory (an unknown key-share).
#[test]
fn mail_is_not_attributed_to_an_account_that_lists_another_accounts_device() {
    let mut w = World::new(102);
    let alice = w.add_user().unwrap();
    let carol = w.add_user().unwrap();
    let (a, c) = (w.users[alice].account, w.users[carol].account);
    let _ = w.refresh(alice, 0, c).unwrap();
    let _ = w.refresh(carol, 0, a).unwrap();
    // The relay's account: its own account key, Alice's device 1 keys under device id 1.
    let mallory = AccountId::generate(&mut w.rng);
    let mallory_key = AccountKey::generate(&mut w.rng);
    let alice_identity = w.users[alice].devices[0].identity_key().unwrap();
    let list = DeviceList::new(mallory, 1, NOW, vec![DeviceEntry::new(1, alice_identity)])
        .unwrap()
        .sign(&mallory_key);
    w.relay.lists.insert(mallory, list);
    // Alice writes to Carol; the relay relabels the mail as Mallory's. Carol's client, mail
    // from an unknown account, fetches its list (trust on first use) and decrypts.
    w.send(alice, 0, carol, b"carol, it's alice").unwrap();
    for m in w.relay.mailboxes.get_mut(&(c, 1)).unwrap() {
        m.from = mallory;
    }
    let results = w.receive(carol, 0);
    assert!(
        results[0].is_err(),
        "Carol accepted Alice's message as mail from the relay's account: {:?}",
        results[0]
            .as_ref()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    );
}

/// Finding 3. The device that holds the account key treats a list of its *own* account
/// signed by another key as an account key change: the relay makes one up, and from then on
/// the device cannot send to anyone (every fan-out includes the own account, which is
/// blocked by DEV-TR-06), across restarts, until the user "accepts" the relay's key for
/// their own account. The key holder knows its own key; such a list can only be forged.
#[test]
fn a_forged_list_for_the_own_account_does_not_block_the_account_key_holder() {
    let mut w = alice_and_bob(103);
    let alice = w.users[0].account;
    let relay_key = AccountKey::generate(&mut w.rng);
    let devices = w.relay.lists[&alice].list().devices().to_vec();
    let forged = DeviceList::new(alice, 99, NOW, devices)
        .unwrap()
        .sign(&relay_key);
    let observed = w.users[0].devices[0].observe_list(forged, &mut w.rng);
    let sent = w.send(0, 0, 1, b"hello bob");
    assert!(
        sent.is_ok(),
        "the primary cannot send after a forged own list ({observed:?}): {sent:?}"
    );
}

/// Finding 4. The thief deletes one record: the peer's account record (8.6 lets peer records
/// go missing). The device opens, still holding its sessions with the peer's devices, but
/// has forgotten the pinned key and the verified mark. The compelled relay then serves a
/// list for the peer under a key it made up, and it is pinned as on first use: no
/// `AccountKeyChanged`, no block (DEV-TR-06), the verified mark gone silently.
#[test]
fn deleting_a_peers_account_record_does_not_turn_a_key_substitution_into_first_use() {
    let mut w = alice_and_bob(104);
    let alice = w.users[0].account;
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    // Bob verifies Alice.
    let number_bob = w.users[1].devices[0].safety_number(alice).unwrap();
    let number_alice = w.users[0].devices[0]
        .safety_number(w.users[1].account)
        .unwrap();
    let scanned =
        sotto_devices::safety::ScannedSafetyNumber::from_bytes(&number_alice.to_bytes()).unwrap();
    let pinned = *w.users[1].devices[0].account(alice).unwrap().pinned_key();
    w.users[1].devices[0]
        .mark_verified(alice, &pinned, number_bob.compare(&scanned), &mut w.rng)
        .unwrap();
    // The thief deletes the record (for the test we name it with the store keys; a thief
    // tries each of the few account records in turn).
    let mut backend = w.users[1].devices.remove(0).into_backend();
    let index = StoreKeys::derive(&store_key()).index(RecordKind::Account, &alice.to_bytes());
    backend
        .apply(&[Write::Delete {
            kind: RecordKind::Account,
            index,
        }])
        .unwrap();
    let Ok(mut bob) = reopen(backend) else {
        return; // refusing the store is a fix too
    };
    let relay_key = AccountKey::generate(&mut w.rng);
    let relay_device = sotto_handshake::DeviceIdentity::generate(&mut w.rng).public();
    let forged = DeviceList::new(alice, 1, NOW, vec![DeviceEntry::new(7, relay_device)])
        .unwrap()
        .sign(&relay_key);
    let observed = bob.observe_list(forged, &mut w.rng);
    let blocked = matches!(
        bob.recipients(alice),
        Err(DeviceError::Trust(TrustError::KeyChangePending))
    );
    let key_change_shown = observed.as_ref().is_ok_and(|o| {
        o.events
            .iter()
            .any(|e| matches!(e, TrustEvent::AccountKeyChanged { .. }))
    });
    assert!(
        observed.is_err() || (blocked && key_change_shown),
        "the relay's key was pinned silently: {observed:?}, recipients {:?}",
        bob.recipients(alice)
    );
}

/// Finding 5. The thief replays one record's older value (a per-record rollback, not a
/// whole-file restore): Bob's sessions record from before a message was read. The device
/// opens, and the relay's replay of the message is delivered to the application a second
/// time (RAT-07's duplicate check lived in the rolled-back state). Threat model section 3
/// says pickles are protected against rollback by a generation counter kept outside the
/// storage (protocol.md 4.1), but `Device` takes no generation and binds no record to one,
/// so no platform can add that defence; 8.6 only mentions a whole-file restore.
#[test]
fn a_rolled_back_sessions_record_does_not_deliver_a_message_twice() {
    let mut w = alice_and_bob(105);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(1, 0, 0, b"reply").unwrap();
    let _ = ok(w.receive(0, 0));
    w.send(0, 0, 1, b"transfer 100 to mallory").unwrap();
    let mail = w.relay.mailboxes[&(bob, 1)].clone();
    let old = records(w.users[1].devices[0].backend());
    assert_eq!(
        ok(w.receive(1, 0)),
        vec![b"transfer 100 to mallory".to_vec()]
    );
    let mut backend = w.users[1].devices.remove(0).into_backend();
    // Put back every sessions record's old value.
    for (kind, index, value) in &old {
        if *kind == RecordKind::Sessions {
            put(&mut backend, *kind, *index, value);
        }
    }
    let Ok(mut device) = reopen(backend) else {
        return; // refusing the mixed store is a fix
    };
    let again = device.decrypt(alice, 1, &mail[0].bytes, &mut w.rng);
    assert!(
        again.is_err(),
        "delivered a second time: {:?}",
        again.map(|r| String::from_utf8_lossy(&r.plaintext).into_owned())
    );
}

/// Finding 6. `handle_stale` takes the relay's answer and a list, and checks the answer
/// against whichever account the *list* names, not the account of the fan-out the answer
/// was about (`StaleDevices` does not say). The relay answers a fan-out to Bob with
/// "missing 5, extra 1" and serves a list of an account of its own holding device 5 only:
/// the check passes (no `StaleMismatch`, although Bob's list holds 1 and not 5), and the
/// relay's account is pinned on the way.
#[test]
fn a_stale_answer_is_checked_against_the_account_it_was_about() {
    let mut w = alice_and_bob(106);
    let relay_account = AccountId::generate(&mut w.rng);
    let relay_key = AccountKey::generate(&mut w.rng);
    let relay_device = sotto_handshake::DeviceIdentity::generate(&mut w.rng).public();
    let other = DeviceList::new(
        relay_account,
        1,
        NOW,
        vec![DeviceEntry::new(5, relay_device)],
    )
    .unwrap()
    .sign(&relay_key);
    let stale = StaleDevices {
        account: w.users[1].account,
        missing: vec![5],
        extra: vec![1],
    };
    let result = w.users[0].devices[0].handle_stale(&stale, other, &mut w.rng);
    assert!(
        result.is_err(),
        "a stale answer about Bob's devices was accepted against the relay's list: {result:?}"
    );
}

/// Finding 7. Linking hands the new device each peer's account key and verified mark but not
/// the newest list the primary held, and the first list under a handed-over key is "taken as
/// is". The compelled relay serves the new device an *older* list of Bob, signed by Bob's
/// key, that still holds a device Bob revoked: the new device accepts it (DEV-TR-02 cannot
/// fire, there is nothing to compare) and encrypts to the revoked device, although Alice's
/// account already held the newer list. 8.4: the relay "cannot make a client accept an
/// older list".
#[test]
fn a_newly_linked_device_does_not_accept_a_peer_list_older_than_its_account_held() {
    let mut w = World::new(107);
    let alice = w.add_user().unwrap();
    let bob = w.add_user().unwrap();
    w.link(bob).unwrap();
    let (a, b) = (w.users[alice].account, w.users[bob].account);
    let _ = w.refresh(alice, 0, b).unwrap();
    let old = w.relay.lists[&b].clone();
    // Bob revokes his device 2; Alice's primary sees it.
    let _ = w.revoke(bob, 1).unwrap();
    let _ = w.refresh(alice, 0, b).unwrap();
    assert_eq!(
        w.users[alice].devices[0].recipients(b).unwrap(),
        vec![(b, 1)]
    );
    // Alice links a new device; the relay serves it Bob's old list.
    let new = w.link(alice).unwrap();
    let accepted = w.users[alice].devices[new].observe_list(old, &mut w.rng);
    let recipients = w.users[alice].devices[new].recipients(b);
    assert!(
        accepted.is_err() && !recipients.as_ref().is_ok_and(|r| r.contains(&(b, 2))),
        "the new device took Bob's rolled-back list ({accepted:?}) and encrypts to his revoked \
         device: {recipients:?}"
    );
    let _ = a;
}

/// Finding 8. Mail from an account a device does not know makes it fetch and pin that
/// account's list (8.5, "Delivery"; the world's `receive`), whether or not the mail then
/// decrypts, and nothing bounds how many accounts a device pins. The relay sends Alice 1025
/// pieces of junk mail from 1025 accounts of its own; from then on her primary cannot link
/// any new device: `link_device` hands over every pinned peer and `seal` refuses more than
/// `MAX_PEERS` = 1024 (DEV-LK-12). The store and every `open` also grow with each account.
#[test]
fn junk_mail_from_many_unknown_accounts_does_not_block_linking() {
    let mut w = World::new(108);
    let alice = w.add_user().unwrap();
    let a = w.users[alice].account;
    let mut junk = Vec::new();
    for _ in 0..=sotto_devices::link::MAX_PEERS {
        let account = AccountId::generate(&mut w.rng);
        let key = AccountKey::generate(&mut w.rng);
        let device = sotto_handshake::DeviceIdentity::generate(&mut w.rng).public();
        let list = DeviceList::new(account, 1, NOW, vec![DeviceEntry::new(1, device)])
            .unwrap()
            .sign(&key);
        w.relay.lists.insert(account, list);
        junk.push(sotto_tests::world::Mail {
            from: account,
            from_device: 1,
            bytes: vec![0x00],
        });
    }
    w.relay.mailboxes.insert((a, 1), junk);
    let results = w.receive(alice, 0);
    assert!(results.iter().all(Result::is_err), "junk never decrypts");
    let pinned = w.users[alice].devices[0].pinned_peers().len();
    let linked = w.link(alice);
    assert!(
        linked.is_ok(),
        "after junk mail from {pinned} unknown accounts, linking fails: {linked:?}"
    );
}

/// A backend that counts the records it is asked to read.
struct Counting {
    inner: MemoryBackend,
    reads: std::sync::atomic::AtomicUsize,
}

impl RecordBackend for Counting {
    fn get(
        &self,
        kind: RecordKind,
        index: &sotto_devices::store::RecordIndex,
    ) -> Result<Option<Vec<u8>>, sotto_devices::store::StoreError> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.get(kind, index)
    }

    fn scan(
        &self,
        kind: RecordKind,
    ) -> Result<Vec<(sotto_devices::store::RecordIndex, Vec<u8>)>, sotto_devices::store::StoreError>
    {
        let out = self.inner.scan(kind)?;
        self.reads
            .fetch_add(out.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(out)
    }

    fn apply(&mut self, batch: &[Write]) -> Result<(), sotto_devices::store::StoreError> {
        self.inner.apply(batch)
    }
}

/// Finding 9. Every call that fails after its checks began reloads the *whole* store
/// (`reload_on_error`: every record opened, every held list's signature verified, every
/// session pickle opened), not only when a write failed. So one forged message from a known
/// device (one flipped byte) costs a full reload, whose cost grows with everything the
/// device holds: every account it ever pinned (finding 8 lets the relay add them at will)
/// and every session. 8.5 bounds a forged message at five trials "each bounded as in
/// section 3.8"; the reload is not bounded at all.
#[test]
fn a_forged_message_does_not_cost_a_reload_of_the_whole_store() {
    let mut w = alice_and_bob(109);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(0, 0, 1, b"two").unwrap();
    let good = w.relay.mailboxes[&(bob, 1)][0].bytes.clone();
    // The relay has had Bob pin 200 accounts of its own (finding 8).
    for _ in 0..200 {
        let account = AccountId::generate(&mut w.rng);
        let key = AccountKey::generate(&mut w.rng);
        let device = sotto_handshake::DeviceIdentity::generate(&mut w.rng).public();
        let list = DeviceList::new(account, 1, NOW, vec![DeviceEntry::new(1, device)])
            .unwrap()
            .sign(&key);
        let _ = w.users[1].devices[0]
            .observe_list(list, &mut w.rng)
            .unwrap();
    }
    let backend = w.users[1].devices.remove(0).into_backend();
    let counting = Counting {
        inner: backend,
        reads: std::sync::atomic::AtomicUsize::new(0),
    };
    let mut device = Device::open(counting, &store_key(), HandshakeConfig::default()).unwrap();
    let at_open = device
        .backend()
        .reads
        .swap(0, std::sync::atomic::Ordering::Relaxed);
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(device.decrypt(alice, 1, &bad, &mut w.rng).is_err());
    let per_forgery = device
        .backend()
        .reads
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        per_forgery < 10,
        "one forged message read {per_forgery} records (opening the store reads {at_open})"
    );
    assert_eq!(
        device
            .decrypt(alice, 1, &good, &mut w.rng)
            .unwrap()
            .plaintext,
        b"two"
    );
}

// ===================================================================== resisted

/// A fan-out entry for one device delivered to another (Alice's copy for her device 2 handed
/// to Bob, under every sender id): refused, Bob's store unchanged.
#[test]
fn a_fan_out_entry_routed_to_another_device_is_refused_and_changes_nothing() {
    let mut w = alice_and_bob(201);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(0, 0, 1, b"two").unwrap();
    let for_alice_2 = w.relay.mailboxes[&(alice, 2)].clone();
    let before = snapshot(&w.users[1].devices[0]);
    for m in &for_alice_2 {
        for (acc, dev) in [(alice, 1), (alice, 2), (bob, 1)] {
            assert!(
                w.users[1].devices[0]
                    .decrypt(acc, dev, &m.bytes, &mut w.rng)
                    .is_err()
            );
        }
    }
    assert_eq!(snapshot(&w.users[1].devices[0]), before);
    // And Bob's genuine copy still reads.
    assert_eq!(ok(w.receive(1, 0)).len(), 1);
}

/// A real device's initial message relabelled as a sibling device of the same account:
/// DEV-TR-04, nothing stored.
#[test]
fn an_initial_message_relabelled_as_a_sibling_device_is_refused() {
    let mut w = alice_and_bob(202);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"one").unwrap();
    let mail = w.relay.mailboxes[&(bob, 1)].clone();
    let before = snapshot(&w.users[1].devices[0]);
    assert!(matches!(
        w.users[1].devices[0].decrypt(alice, 2, &mail[0].bytes, &mut w.rng),
        Err(DeviceError::Trust(TrustError::DeviceKeySwapped(2)))
    ));
    assert_eq!(snapshot(&w.users[1].devices[0]), before);
    assert_eq!(w.users[1].devices[0].session_count(alice, 2), 0);
    assert_eq!(ok(w.receive(1, 0)), vec![b"one".to_vec()]);
}

/// The re-attached setup header of one session around the ratchet message of another
/// session (a later session with the same device, and a session of another sender device):
/// refused, nothing changes, and the genuine messages still read once.
#[test]
fn a_setup_header_around_another_sessions_message_is_refused() {
    let mut w = alice_and_bob(203);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    // Alice's device 1 and device 2 both set up sessions with Bob.
    w.send(0, 0, 1, b"from 1").unwrap();
    w.send(0, 1, 1, b"from 2").unwrap();
    let mail = w.relay.mailboxes[&(bob, 1)].clone();
    let first = InitialMessage::from_bytes(&mail[0].bytes).unwrap();
    let second = InitialMessage::from_bytes(&mail[1].bytes).unwrap();
    assert_eq!(ok(w.receive(1, 0)).len(), 2);
    // Another message from device 1 on its session, and device 2's next one.
    w.send(0, 0, 1, b"again 1").unwrap();
    w.send(0, 1, 1, b"again 2").unwrap();
    let later = w.relay.mailboxes[&(bob, 1)].clone();
    let later2 = InitialMessage::from_bytes(&later[1].bytes).unwrap();
    let spliced = first.with_message(later2.message().clone()).to_bytes();
    let spliced_back = second.with_message(first.message().clone()).to_bytes();
    let before = snapshot(&w.users[1].devices[0]);
    assert!(
        w.users[1].devices[0]
            .decrypt(alice, 1, &spliced, &mut w.rng)
            .is_err()
    );
    assert!(
        w.users[1].devices[0]
            .decrypt(alice, 2, &spliced_back, &mut w.rng)
            .is_err()
    );
    // The first message again, re-wrapped in its own header: a duplicate.
    assert!(matches!(
        w.users[1].devices[0].decrypt(alice, 1, &first.to_bytes(), &mut w.rng),
        Err(DeviceError::Sessions(SessionsError::Decrypt(
            sotto_ratchet::DecryptError::Duplicate
        )))
    ));
    assert_eq!(snapshot(&w.users[1].devices[0]), before);
    assert_eq!(
        ok(w.receive(1, 0)),
        vec![b"again 1".to_vec(), b"again 2".to_vec()]
    );
}

/// Every single-byte change of the setup header of a re-attached initial message (flags,
/// initiator identity, ephemeral key and its twin with the top bit set, prekey ids, ML-KEM
/// ciphertext) after the session was set up: refused, Bob's store byte for byte unchanged,
/// no plaintext delivered twice.
#[test]
fn every_header_byte_of_a_reattached_initial_message_is_bound() {
    let mut w = alice_and_bob(204);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"one").unwrap();
    w.send(0, 0, 1, b"two").unwrap();
    let mail = w.relay.mailboxes.remove(&(bob, 1)).unwrap();
    let first = w.users[1].devices[0]
        .decrypt(alice, 1, &mail[0].bytes, &mut w.rng)
        .unwrap();
    assert_eq!(first.plaintext, b"one");
    let second = &mail[1].bytes;
    let header_len = second.len()
        - InitialMessage::from_bytes(second)
            .unwrap()
            .message()
            .as_bytes()
            .len();
    let before = snapshot(&w.users[1].devices[0]);
    for i in 1..header_len {
        for bit in [0x01u8, 0x80] {
            let mut bad = second.clone();
            bad[i] ^= bit;
            assert!(
                w.users[1].devices[0]
                    .decrypt(alice, 1, &bad, &mut w.rng)
                    .is_err(),
                "byte {i} bit {bit:#x}"
            );
        }
    }
    assert_eq!(snapshot(&w.users[1].devices[0]), before);
    let r = w.users[1].devices[0]
        .decrypt(alice, 1, second, &mut w.rng)
        .unwrap();
    assert_eq!(r.plaintext, b"two");
}

/// Arbitrary bytes from arbitrary (account, device) pairs, including bytes that start with
/// each message tag and splices of real messages: no panic, never a plaintext, the store
/// unchanged.
#[test]
fn arbitrary_mail_from_arbitrary_senders_never_panics_or_changes_state() {
    let mut w = alice_and_bob(205);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"one").unwrap();
    let real = w.relay.mailboxes[&(bob, 1)][0].bytes.clone();
    let stranger = AccountId::generate(&mut w.rng);
    let senders = [
        (alice, 0),
        (alice, 1),
        (alice, 2),
        (alice, 3),
        (alice, u32::MAX),
        (bob, 1),
        (bob, 2),
        (stranger, 1),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let before = snapshot(&w.users[1].devices[0]);
    for round in 0..400 {
        let mut bytes: Vec<u8> = match round % 4 {
            0 => (0..rng.random_range(0..200))
                .map(|_| rng.random())
                .collect(),
            1 => {
                let mut b = real.clone();
                b.truncate(rng.random_range(0..real.len()));
                b
            }
            2 => {
                let mut b = real.clone();
                let i = rng.random_range(0..b.len());
                b[i] = rng.random();
                b
            }
            _ => {
                let mut b = real.clone();
                b.extend((0..rng.random_range(1..64)).map(|_| rng.random::<u8>()));
                b
            }
        };
        if round % 8 == 0 && !bytes.is_empty() {
            bytes[0] = [0x11, 0x12, 0x13][round % 3];
        }
        for &(a, d) in &senders {
            let r = w.users[1].devices[0].decrypt(a, d, &bytes, &mut w.rng);
            if bytes != real || (a, d) != (alice, 1) {
                assert!(r.is_err(), "round {round} from {d}");
            }
        }
    }
    assert_eq!(snapshot(&w.users[1].devices[0]), before);
    assert_eq!(ok(w.receive(1, 0)), vec![b"one".to_vec()]);
}

/// Store attacks the store resists: a value moved to another kind, to another record of its
/// own kind (two sessions records swapped), one byte flipped in any record, the device or
/// prekeys record deleted. Each is refused as corrupt; the untouched store still opens.
#[test]
fn swapped_moved_corrupted_or_deleted_records_are_refused() {
    let mut w = alice_and_bob(206);
    w.send(0, 0, 1, b"one").unwrap();
    let _ = ok(w.receive(1, 0));
    w.send(0, 1, 1, b"two").unwrap();
    let _ = ok(w.receive(1, 0));
    let backend = w.users[1].devices.remove(0).into_backend();
    let all = records(&backend);
    let sessions: Vec<_> = all.iter().filter(|r| r.0 == RecordKind::Sessions).collect();
    assert_eq!(sessions.len(), 2);
    // Two sessions records swapped.
    let mut b = backend.clone();
    put(&mut b, RecordKind::Sessions, sessions[0].1, &sessions[1].2);
    put(&mut b, RecordKind::Sessions, sessions[1].1, &sessions[0].2);
    assert!(reopen(b).is_err(), "sessions swapped");
    // Every record's value under every other kind's index of the same slot.
    for (kind, index, value) in &all {
        for other in RecordKind::ALL {
            if other == *kind {
                continue;
            }
            let mut b = backend.clone();
            put(&mut b, other, *index, value);
            if let Some((_, target, _)) = all.iter().find(|r| r.0 == other) {
                put(&mut b, other, *target, value);
            }
            assert!(reopen(b).is_err(), "{kind:?} as {other:?}");
        }
        // One byte flipped at a few positions.
        for pos in [0, 1, value.len() / 2, value.len() - 1] {
            let mut b = backend.clone();
            let mut v = value.clone();
            v[pos] ^= 0x40;
            put(&mut b, *kind, *index, &v);
            assert!(reopen(b).is_err(), "{kind:?} byte {pos}");
        }
        if matches!(kind, RecordKind::Device | RecordKind::Prekeys) {
            let mut b = backend.clone();
            b.apply(&[Write::Delete {
                kind: *kind,
                index: *index,
            }])
            .unwrap();
            assert!(reopen(b).is_err(), "{kind:?} deleted");
        }
    }
    assert!(reopen(backend).is_ok());
}

/// A stale answer that denies a real device ("extra: 1") or claims one the list lacks: after
/// the refresh, `StaleMismatch`; the ghost is never encrypted to.
#[test]
fn a_stale_answer_denying_a_real_device_is_a_mismatch() {
    let mut w = alice_and_bob(207);
    let bob = w.users[1].account;
    let fresh = w.relay.lists[&bob].clone();
    for stale in [
        StaleDevices {
            account: bob,
            missing: vec![],
            extra: vec![1],
        },
        StaleDevices {
            account: bob,
            missing: vec![4],
            extra: vec![],
        },
    ] {
        assert!(matches!(
            w.users[0].devices[0].handle_stale(&stale, fresh.clone(), &mut w.rng),
            Err(DeviceError::StaleMismatch)
        ));
    }
    assert_eq!(w.users[0].devices[0].recipients(bob).unwrap().len(), 2);
}

/// An account key change for a peer: while pending, a third key's list replaces the pending
/// one with a fresh event; an older pending list under the pending key is refused (no
/// rollback of the pending list either); sending stays blocked throughout.
#[test]
fn pending_key_changes_cannot_be_rolled_back_or_silently_replaced() {
    let mut w = alice_and_bob(208);
    let alice = w.users[0].account;
    let devices = w.relay.lists[&alice].list().devices().to_vec();
    let k1 = AccountKey::generate(&mut w.rng);
    let k2 = AccountKey::generate(&mut w.rng);
    let list = |v: u64, k: &AccountKey| {
        DeviceList::new(alice, v, NOW, devices.clone())
            .unwrap()
            .sign(k)
    };
    let bob = &mut w.users[1].devices[0];
    let o = bob.observe_list(list(5, &k1), &mut w.rng).unwrap();
    assert_eq!(o.events.len(), 1);
    assert!(matches!(
        bob.observe_list(list(4, &k1), &mut w.rng),
        Err(DeviceError::Trust(TrustError::RolledBack { .. }))
    ));
    let o = bob.observe_list(list(1, &k2), &mut w.rng).unwrap();
    assert!(matches!(
        o.events[..],
        [TrustEvent::AccountKeyChanged { .. }]
    ));
    assert_eq!(
        bob.account(alice).unwrap().pending_key(),
        Some(&k2.public())
    );
    assert!(matches!(
        bob.recipients(alice),
        Err(DeviceError::Trust(TrustError::KeyChangePending))
    ));
}

/// A link payload whose peers include the new device's own account (under another key,
/// marked verified): the own account is pinned from the signed list only, unverified; the
/// peer pin for it is ignored.
#[test]
fn a_link_payload_naming_the_own_account_as_a_peer_does_not_override_its_key() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(210);
    let account = AccountId::generate(&mut rng);
    let key = AccountKey::generate(&mut rng);
    let other_key = AccountKey::generate(&mut rng);
    let primary = sotto_handshake::DeviceIdentity::generate(&mut rng);
    let identity = sotto_handshake::DeviceIdentity::generate(&mut rng);
    let list = DeviceList::new(
        account,
        2,
        NOW,
        vec![
            DeviceEntry::new(1, primary.public()),
            DeviceEntry::new(2, identity.public()),
        ],
    )
    .unwrap()
    .sign(&key);
    let (code, mut pending) = sotto_devices::LinkCode::generate(identity.public(), &mut rng);
    let payload = sotto_devices::LinkPayload {
        account_id: account,
        device_id: 2,
        list,
        peers: vec![sotto_devices::PeerPin {
            account_id: account,
            account_key: other_key.public(),
            verified: true,
            min_version: 0,
        }],
    };
    let message = sotto_devices::link::seal(code, &payload, &mut rng).unwrap();
    let device = Device::from_link(
        MemoryBackend::new(),
        &store_key(),
        HandshakeConfig::default(),
        sotto_tests::world::policy(),
        identity,
        &mut pending,
        &message,
        NOW,
        &mut rng,
    )
    .unwrap();
    let own = device.account(account).unwrap();
    assert_eq!(own.pinned_key(), &key.public());
    assert!(!own.is_verified());
    assert!(device.pinned_peers().is_empty());
    assert_eq!(device.own_list().unwrap().list().version(), 2);
}

/// Finding 10. `Received` derives `Debug`, which prints the plaintext: a client that logs a
/// received message (or an `Ok` result in a test, as finding 2's output shows) writes the
/// message content to its logs. The handshake's `Response` prints only `plaintext_len`, and
/// threat model section 4 promises "no derived `Debug` on secret types; redacting
/// implementations".
#[test]
fn debug_of_a_received_message_does_not_print_the_plaintext() {
    let mut w = alice_and_bob(110);
    let (alice, bob) = (w.users[0].account, w.users[1].account);
    w.send(0, 0, 1, b"attack at dawn").unwrap();
    let bytes = w.relay.mailboxes[&(bob, 1)][0].bytes.clone();
    let received = w.users[1].devices[0]
        .decrypt(alice, 1, &bytes, &mut w.rng)
        .unwrap();
    let text = format!("{received:?}");
    assert!(
        !text.contains(&format!("{:?}", b"attack at dawn".to_vec())[1..20]),
        "{text}"
    );
}
