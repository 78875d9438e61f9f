//! The client end to end over the in-process relay (and once over HTTP on loopback).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::Ordering;

use common::*;
use sotto::{Client, ClientError, Comparison, Event, HttpTransport, TrustEvent};
use sotto_devices::{AccountKey, DeviceError, DeviceList, SignedDeviceList, TrustError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_every_device_of_the_recipient_and_the_senders_other_device_once() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let mut alice2 = net.link(&mut alice, "alice2").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    assert_eq!(alice2.account_id(), a);
    assert_ne!(alice2.device_id(), alice.device_id());

    // First contact (identified): Bob, and Alice's other device, get it once.
    alice.send_text(b, "one").await.unwrap();
    assert_eq!(texts(&bob.receive().await.unwrap()), [(a, 1, "one".into())]);
    let copy = alice2.receive().await.unwrap();
    assert!(
        copy.iter().any(
            |e| matches!(e, Event::Message { from, device: 1, to, text, .. }
            if *from == a && *to == b && text == "one")
        ),
        "{copy:?}"
    );
    assert!(texts(&bob.receive().await.unwrap()).is_empty());
    assert!(texts(&alice2.receive().await.unwrap()).is_empty());

    // Bob replies (sealed, he holds Alice's profile key now): both of Alice's devices.
    bob.send_text(a, "two").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "two".into())]
    );
    assert_eq!(
        texts(&alice2.receive().await.unwrap()),
        [(b, 1, "two".into())]
    );

    // Alice's second device writes: Bob and Alice's first device get it.
    let d2 = alice2.device_id();
    alice2.send_text(b, "three").await.unwrap();
    assert_eq!(
        texts(&bob.receive().await.unwrap()),
        [(a, d2, "three".into())]
    );
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(a, d2, "three".into())]
    );
    for c in [&mut alice, &mut alice2, &mut bob] {
        assert!(texts(&c.receive().await.unwrap()).is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reopened_from_its_store_keeps_talking() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "before").await.unwrap();
    assert_eq!(texts(&bob.receive().await.unwrap()).len(), 1);
    drop(bob);
    let mut bob = Client::open(net.transport(), net.config("bob"))
        .await
        .unwrap();
    assert_eq!(bob.account_id(), b);
    bob.send_text(a, "after restart").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "after restart".into())]
    );
    drop(alice);
    let mut alice = Client::open(net.transport(), net.config("alice"))
        .await
        .unwrap();
    alice.send_text(b, "again").await.unwrap();
    assert_eq!(
        texts(&bob.receive().await.unwrap()),
        [(a, 1, "again".into())]
    );
    // Opening twice, or registering over an existing home, is refused.
    assert!(matches!(
        Client::register(net.transport(), net.config("alice")).await,
        Err(ClientError::AlreadyRegistered)
    ));
    // A store key that is not the home's does not open it.
    let wrong = common::config(net.dir.path().join("alice"), [9; 32]);
    assert!(Client::open(net.transport(), wrong).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_stops_receiving() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let mut alice2 = net.link(&mut alice, "alice2").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "hi").await.unwrap();
    bob.receive().await.unwrap();
    bob.send_text(a, "to both").await.unwrap();
    let got = texts(&alice2.receive().await.unwrap());
    assert_eq!(got, [(a, 1, "hi".into()), (b, 1, "to both".into())]);
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "to both".into())]
    );

    alice.revoke_device(alice2.device_id()).await.unwrap();
    bob.send_text(a, "to one").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "to one".into())]
    );
    let removed = bob.receive().await.unwrap();
    assert!(
        removed.contains(&Event::Trust(TrustEvent::DeviceRemoved {
            account: a,
            device_id: alice2.device_id()
        })),
        "{removed:?}"
    );
    // The relay dropped its token: it gets nothing more.
    assert!(matches!(
        alice2.receive().await,
        Err(ClientError::Relay { status: 401, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safety_numbers_of_both_sides_match_and_a_match_marks_verified() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let mut carol = net.register("carol").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "hi").await.unwrap();
    bob.receive().await.unwrap();
    carol.send_text(b, "hi").await.unwrap();
    bob.receive().await.unwrap();
    let at_alice = alice.safety_number(b).await.unwrap();
    let at_bob = bob.safety_number(a).await.unwrap();
    assert_eq!(at_alice.digits(), at_bob.digits());
    assert_ne!(
        bob.safety_number(carol.account_id())
            .await
            .unwrap()
            .digits(),
        at_bob.digits()
    );
    // Carol's screen, scanned for Bob: no match, not verified.
    let carols = carol.safety_number(b).await.unwrap().to_bytes().to_vec();
    assert_ne!(
        alice.mark_verified(b, carols).await.unwrap(),
        Comparison::Match
    );
    assert!(!alice.is_verified(b).await.unwrap());
    let bobs = at_bob.to_bytes().to_vec();
    assert_eq!(
        alice.mark_verified(b, bobs).await.unwrap(),
        Comparison::Match
    );
    assert!(alice.is_verified(b).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_change_surfaces_as_an_event_and_blocks_sending_until_accepted() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "hi").await.unwrap();
    bob.receive().await.unwrap();

    // The relay now serves Bob's devices under another account key (a reinstall, or a
    // forgery): the same devices, a newer list, a new signature.
    let real = net.transport();
    let path = format!("/v1/accounts/{}/devices", hex::encode(b.to_bytes()));
    let held = {
        use sotto::Transport as _;
        let r = real
            .call(sotto::Request {
                method: sotto::Method::Get,
                path: path.clone(),
                headers: vec![],
                body: vec![],
            })
            .await
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v["device_list"].as_str().unwrap())
            .unwrap();
        SignedDeviceList::from_bytes(&bytes).unwrap()
    };
    let list = held.list();
    let forged = DeviceList::new(b, list.version() + 1, 1, list.devices().to_vec())
        .unwrap()
        .sign(&AccountKey::generate(&mut rand::rng()));
    use base64::Engine as _;
    let body = serde_json::to_vec(&serde_json::json!({
        "device_list": base64::engine::general_purpose::STANDARD.encode(forged.as_bytes())
    }))
    .unwrap();
    *alice.transport().replace.lock().unwrap() = Some((path, body));

    let err = alice.send_text(b, "blocked").await.unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::Device(DeviceError::Trust(TrustError::KeyChangePending))
        ),
        "{err:?}"
    );
    let events = alice.receive().await.unwrap();
    assert!(
        events.iter().any(|e| matches!(e,
            Event::Trust(TrustEvent::AccountKeyChanged { account, .. }) if *account == b)),
        "{events:?}"
    );
    // Still blocked until accepted; nothing reached Bob.
    assert!(alice.send_text(b, "blocked").await.is_err());
    assert!(texts(&bob.receive().await.unwrap()).is_empty());
    alice.accept_key_change(b).await.unwrap();
    alice.send_text(b, "accepted").await.unwrap();
    assert_eq!(
        texts(&bob.receive().await.unwrap()),
        [(a, 1, "accepted".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_delivery_whose_ack_was_lost_is_not_returned_twice() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let b = bob.account_id();
    alice.send_text(b, "once").await.unwrap();
    bob.transport().fail_acks.store(true, Ordering::SeqCst);
    assert_eq!(texts(&bob.receive().await.unwrap()).len(), 1);
    // Lost again: the relay hands the message out again, the client does not return it.
    assert!(bob.receive().await.unwrap().is_empty());
    assert_eq!(bob.transport().last_fetch.load(Ordering::SeqCst), 1);
    // A crash with the acknowledgement still lost: the reopened client knows the id too.
    drop(bob);
    let mut bob = Client::open(net.transport(), net.config("bob"))
        .await
        .unwrap();
    assert!(bob.receive().await.unwrap().is_empty());
    assert_eq!(bob.transport().last_fetch.load(Ordering::SeqCst), 1);
    // That call acknowledged it: the mailbox is empty now.
    assert!(bob.receive().await.unwrap().is_empty());
    assert_eq!(bob.transport().last_fetch.load(Ordering::SeqCst), 0);
    alice.send_text(b, "next").await.unwrap();
    assert_eq!(texts(&bob.receive().await.unwrap()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prekeys_are_replenished_when_they_run_low() {
    let net = Net::new().await;
    let mut bob = net.register("bob").await;
    let b = bob.account_id();
    assert_eq!(bob.prekey_count().await.unwrap(), 8);
    // Five first contacts spend five of Bob's eight one-time bundles: 3 left, below 4.
    for name in ["s1", "s2", "s3", "s4", "s5"] {
        let mut sender = net.register(name).await;
        sender.send_text(b, name).await.unwrap();
    }
    assert_eq!(bob.prekey_count().await.unwrap(), 3);
    let events = bob.receive().await.unwrap();
    assert_eq!(texts(&events).len(), 5);
    // The receive used prekeys, saw the count low and topped it up to the policy's 8.
    assert_eq!(bob.prekey_count().await.unwrap(), 8);
    // The new bundles work.
    let mut late = net.register("late").await;
    late.send_text(b, "late").await.unwrap();
    assert_eq!(texts(&bob.receive().await.unwrap()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_signed_prekey_rotation_replaces_the_bundles_and_first_contact_still_works() {
    let net = Net::new().await;
    let mut config = net.config("bob");
    config.signed_prekey_lifetime = 0;
    let mut bob = Client::register(net.transport(), config).await.unwrap();
    let b = bob.account_id();
    // Rotation due at once: the receive replaces every bundle (a PUT resets the count).
    bob.receive().await.unwrap();
    assert_eq!(bob.prekey_count().await.unwrap(), 8);
    let mut alice = net.register("alice").await;
    alice.send_text(b, "after rotation").await.unwrap();
    assert_eq!(texts(&bob.receive().await.unwrap()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_talk_over_http_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = sotto_relay::RelayConfig::new(dir.path().join("r.db"));
    config.profile = sotto_relay::Profile::Sealed;
    let relay = sotto_relay::Relay::start(config).await.unwrap();
    let base = format!("http://{}", relay.local_addr);
    let key = |b| common::config(dir.path().join(format!("home{b}")), [b; 32]);
    let mut alice = Client::register(HttpTransport::new(base.clone()), key(1))
        .await
        .unwrap();
    let mut bob = Client::register(HttpTransport::new(base.clone()), key(2))
        .await
        .unwrap();
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "over http").await.unwrap();
    assert_eq!(
        texts(&bob.receive().await.unwrap()),
        [(a, 1, "over http".into())]
    );
    bob.send_text(a, "back").await.unwrap();
    assert_eq!(
        texts(&alice.receive_wait(1).await.unwrap()),
        [(b, 1, "back".into())]
    );
    relay.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_contact_goes_identified_and_everything_after_the_share_is_sealed() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "first").await.unwrap();
    assert_eq!(alice.transport().sends(), ["identified"]);
    bob.receive().await.unwrap();
    // Alice's share came with her message: Bob's reply is sealed.
    bob.send_text(a, "reply").await.unwrap();
    assert_eq!(bob.transport().sends(), ["sealed"]);
    alice.receive().await.unwrap();
    // And Bob's share with his: Alice now sends sealed too.
    alice.send_text(b, "second").await.unwrap();
    assert_eq!(alice.transport().sends(), ["sealed"]);
    assert_eq!(
        texts(&bob.receive().await.unwrap()),
        [(a, 1, "second".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_serving_another_trust_root_than_the_configured_one_is_refused() {
    let net = Net::new().await;
    let mut config = net.config("alice");
    config.trust_root =
        Some(sotto_sealed::certificate::TrustRootKey::generate(&mut rand::rng()).public());
    assert!(matches!(
        Client::register(net.transport(), config).await,
        Err(ClientError::TrustRootMismatch)
    ));
    // Nothing was left behind: the same home registers once the root is right.
    let alice = net.register("alice").await;
    let pinned = alice.trust_root().unwrap().to_bytes();
    let mut bob_config = net.config("bob");
    bob_config.trust_root = Some(alice.trust_root().unwrap());
    let bob = Client::register(net.transport(), bob_config).await.unwrap();
    assert_eq!(bob.trust_root().unwrap().to_bytes(), pinned);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_linked_after_first_contact_is_learnt_from_its_first_message() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "hi").await.unwrap();
    bob.receive().await.unwrap();
    // Bob's view of Alice's list predates this device.
    let mut alice2 = net.link(&mut alice, "alice2").await;
    let d2 = alice2.device_id();
    alice2.send_text(b, "from the new device").await.unwrap();
    let events = bob.receive().await.unwrap();
    assert!(
        events.contains(&Event::Trust(TrustEvent::DeviceAdded {
            account: a,
            device_id: d2
        })),
        "{events:?}"
    );
    assert_eq!(texts(&events), [(a, d2, "from the new device".into())]);
    // Bob's answer reaches both of Alice's devices.
    bob.send_text(a, "both").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()).last().unwrap().2,
        "both"
    );
    assert_eq!(
        texts(&alice2.receive().await.unwrap()),
        [(b, 1, "both".into())]
    );
}

/// Compiles only if the client's futures can be spawned on a multi-threaded runtime.
#[allow(dead_code)]
fn client_futures_are_send(client: &mut Client<sotto::InProcessTransport>, to: sotto::AccountId) {
    fn is_send<F: Send>(_: F) {}
    is_send(client.send_text(to, "x"));
    is_send(client.receive());
    is_send(client.link_device("code"));
    is_send(client.maintain());
}
