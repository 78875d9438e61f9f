//! The compelled operator (docs/compelled.md, threat-model.md 2c): each action of the
//! relay's admin interface (`sotto_relay::admin`, on the database file, never an HTTP route)
//! against real clients, what they see, and what the operator obtains.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use sotto::{Client, ClientError, Event, TrustEvent};
use sotto_devices::{DeviceError, TrustError};
use sotto_relay::admin::{Admin, GhostVariant};

fn admin(net: &Net) -> Admin {
    Admin::open(net.dir.path().join("relay.db")).unwrap()
}

/// Alice and Bob, in contact both ways (each holds the other's profile key and list).
async fn contacts(net: &Net) -> (Client<Tap>, Client<Tap>) {
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let (a, b) = (alice.account_id(), bob.account_id());
    alice.send_text(b, "hello").await.unwrap();
    assert_eq!(
        texts(&bob.receive().await.unwrap()),
        [(a, 1, "hello".into())]
    );
    bob.send_text(a, "hi").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "hi".into())]
    );
    (alice, bob)
}

fn undecryptable(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Undecryptable { .. }))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_ghost_device_in_a_tampered_list_is_refused_and_gets_nothing() {
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let a = alice.account_id();
    let ghost = admin(&net)
        .inject_ghost(a, GhostVariant::TamperedList)
        .unwrap();
    // The relay serves the list with the ghost: its signature no longer verifies.
    let sent = bob.send_text(a, "secret").await;
    assert!(
        matches!(sent, Err(ClientError::MalformedAnswer("device list"))),
        "{sent:?}"
    );
    // Nothing reached the ghost's mailbox (nor Alice's: the send stopped before encrypting).
    let admin = admin(&net);
    assert!(admin.mailbox(a, ghost.device_id).unwrap().is_empty());
    assert!(admin.mailbox(a, 1).unwrap().is_empty());
    assert!(texts(&alice.receive().await.unwrap()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_ghost_device_under_an_operator_account_key_is_a_key_change_that_blocks_sending()
{
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let a = alice.account_id();
    let ghost = admin(&net)
        .inject_ghost(a, GhostVariant::OperatorAccountKey)
        .unwrap();
    let sent = bob.send_text(a, "secret").await;
    assert!(
        matches!(
            sent,
            Err(ClientError::Device(DeviceError::Trust(
                TrustError::KeyChangePending
            )))
        ),
        "{sent:?}"
    );
    let events = bob.take_events();
    assert!(
        events.contains(&Event::Trust(TrustEvent::AccountKeyChanged {
            account: a,
            was_verified: false
        })),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| matches!(
        e,
        Event::Trust(TrustEvent::DeviceAdded { device_id, .. }) if *device_id == ghost.device_id
    )));
    let admin = admin(&net);
    assert!(admin.mailbox(a, ghost.device_id).unwrap().is_empty());
    assert!(admin.mailbox(a, 1).unwrap().is_empty());
    assert!(texts(&alice.receive().await.unwrap()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_bundle_identity_swap_is_refused_before_any_session() {
    let net = Net::new().await;
    let mut alice = net.register("alice").await;
    let mut carol = net.register("carol").await;
    let a = alice.account_id();
    admin(&net).swap_bundle_identity(a, 1).unwrap();
    // Carol's first contact: the list is Alice's, the bundle the operator's.
    let sent = carol.send_text(a, "secret").await;
    assert!(
        matches!(
            sent,
            Err(ClientError::Device(DeviceError::Trust(
                TrustError::DeviceKeySwapped(1)
            )))
        ),
        "{sent:?}"
    );
    assert!(admin(&net).mailbox(a, 1).unwrap().is_empty());
    assert!(alice.receive().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_list_rollback_is_refused() {
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let a = alice.account_id();
    let old = admin(&net).snapshot_list(a).unwrap();
    let _alice2 = net.link(&mut alice, "alice2").await;
    bob.send_text(a, "to both").await.unwrap();
    let newer = admin(&net).snapshot_list(a).unwrap();
    let (held, offered) = (
        sotto_relay::admin::parse_list(&newer).unwrap().version,
        sotto_relay::admin::parse_list(&old).unwrap().version,
    );
    assert!(held > offered);
    admin(&net).write_list(a, &old).unwrap();
    let sent = bob.send_text(a, "rolled back").await;
    assert!(
        matches!(
            sent,
            Err(ClientError::Device(DeviceError::Trust(TrustError::RolledBack { held: h, offered: o })))
                if h == held && o == offered
        ),
        "{sent:?}"
    );
    // Alice got the message sent before the rollback only.
    let b = bob.account_id();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "to both".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_replayed_envelopes_are_refused_as_undecryptable() {
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let (a, b) = (alice.account_id(), bob.account_id());
    bob.send_text(a, "one").await.unwrap();
    bob.send_text(a, "two").await.unwrap();
    let admin = admin(&net);
    assert_eq!(admin.record_mailbox(a, 1).unwrap(), 2);
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "one".into()), (b, 1, "two".into())]
    );
    assert_eq!(admin.replay_recorded(a, 1).unwrap(), 2);
    let replayed = alice.receive().await.unwrap();
    assert_eq!(undecryptable(&replayed), 2, "{replayed:?}");
    assert!(texts(&replayed).is_empty());
    // The session goes on.
    bob.send_text(a, "three").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "three".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_withheld_revocation_is_not_seen_until_a_newer_list_reaches_the_peer() {
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let a = alice.account_id();
    let alice2 = net.link(&mut alice, "alice2").await;
    let d2 = alice2.device_id();
    bob.send_text(a, "to both").await.unwrap();
    let admin = admin(&net);
    let before = admin.snapshot_list(a).unwrap();
    alice.revoke_device(d2).await.unwrap();
    let after = admin.snapshot_list(a).unwrap();
    // The operator keeps serving the list that holds the revoked device.
    admin.write_list(a, &before).unwrap();
    bob.take_events();
    bob.send_text(a, "after the revocation").await.unwrap();
    let seen = bob.take_events();
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, Event::Trust(TrustEvent::DeviceRemoved { .. }))),
        "{seen:?}"
    );
    // Not preventable: Bob encrypted to the revoked device, whose envelope the operator holds.
    assert_eq!(admin.mailbox(a, d2).unwrap().len(), 1);
    // Once a newer list reaches Bob, the revocation shows and cannot be undone.
    admin.write_list(a, &after).unwrap();
    bob.send_text(a, "later").await.unwrap();
    let seen = bob.take_events();
    assert!(
        seen.contains(&Event::Trust(TrustEvent::DeviceRemoved {
            account: a,
            device_id: d2
        })),
        "{seen:?}"
    );
    admin.write_list(a, &before).unwrap();
    let sent = bob.send_text(a, "rolled back").await;
    assert!(
        matches!(
            sent,
            Err(ClientError::Device(DeviceError::Trust(
                TrustError::RolledBack { .. }
            )))
        ),
        "{sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_withheld_messages_released_later_decrypt_out_of_order() {
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let (a, b) = (alice.account_id(), bob.account_id());
    bob.send_text(a, "one").await.unwrap();
    bob.send_text(a, "two").await.unwrap();
    let admin = admin(&net);
    assert_eq!(admin.withhold(a, 1).unwrap(), 2);
    assert!(admin.mailbox(a, 1).unwrap().is_empty());
    bob.send_text(a, "three").await.unwrap();
    // Nothing tells Alice anything was withheld: not preventable.
    let first = alice.receive().await.unwrap();
    assert_eq!(texts(&first), [(b, 1, "three".into())]);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(admin.release(a, 1).unwrap(), 2);
    let released = alice.receive().await.unwrap();
    assert_eq!(
        texts(&released),
        [(b, 1, "one".into()), (b, 1, "two".into())]
    );
    assert_eq!(undecryptable(&released), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compelled_sender_certificate_for_a_device_that_does_not_exist_opens_no_session() {
    let net = Net::new().await;
    let (mut alice, mut bob) = contacts(&net).await;
    let (a, b) = (alice.account_id(), bob.account_id());
    let ghost = admin(&net)
        .forge_sender(b, a, 1, "from the operator")
        .unwrap();
    assert!(
        !sotto_relay::admin::parse_list(&admin(&net).snapshot_list(b).unwrap())
            .unwrap()
            .devices
            .contains(&ghost)
    );
    let events = alice.receive().await.unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        matches!(events[0], Event::Undecryptable { .. }),
        "{events:?}"
    );
    // Bob's real device still gets through, in the same session as before.
    bob.send_text(a, "real").await.unwrap();
    assert_eq!(
        texts(&alice.receive().await.unwrap()),
        [(b, 1, "real".into())]
    );
}
