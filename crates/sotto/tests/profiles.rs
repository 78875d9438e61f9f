//! The same client code under every relay profile: the path it takes (plaintext,
//! identified, sealed) follows `GET /v1/profile`, and what the profile refuses fails before
//! anything is sent.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use sotto::{Client, ClientError};
use sotto_relay::Profile;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_profile_sends_by_its_own_path_and_the_text_arrives() {
    let expected = [
        (Profile::Transport, ["plaintext", "plaintext"]),
        (Profile::E2ee, ["identified", "identified"]),
        (Profile::Traceable, ["identified", "identified"]),
        (Profile::Sealed, ["identified", "sealed"]),
        (Profile::Sotto, ["sealed", "sealed"]),
    ];
    for (profile, paths) in expected {
        let net = Net::with_profile(profile).await;
        let mut alice = net.register("alice").await;
        let mut bob = net.register("bob").await;
        assert_eq!(alice.relay_profile().await.unwrap().name, profile.name());
        let (a, b) = (alice.account_id(), bob.account_id());
        if profile == Profile::Sotto {
            alice
                .add_contact(&bob.contact_card().unwrap())
                .await
                .unwrap();
        }
        alice.transport().sends();
        alice.send_text(b, "one").await.unwrap();
        assert_eq!(texts(&bob.receive().await.unwrap()), [(a, 1, "one".into())]);
        bob.send_text(a, "two").await.unwrap();
        assert_eq!(
            texts(&alice.receive().await.unwrap()),
            [(b, 1, "two".into())]
        );
        let mut sent = alice.transport().sends();
        sent.extend(bob.transport().sends());
        assert_eq!(sent, paths, "{profile}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_sotto_a_first_message_without_a_contact_card_is_refused_before_sending() {
    let net = Net::with_profile(Profile::Sotto).await;
    let mut alice = net.register("alice").await;
    let bob = net.register("bob").await;
    alice.transport().sends();
    let err = alice.send_text(bob.account_id(), "hi").await.unwrap_err();
    assert!(
        matches!(err, ClientError::NoAccessKey(id) if id == bob.account_id()),
        "{err:?}"
    );
    assert!(alice.transport().sends().is_empty());
    // A malformed card is refused and keeps nothing.
    let card = bob.contact_card().unwrap();
    for bad in [
        card.replace('.', ":"),
        format!("{}0", card.as_str()),
        card[..40].to_owned(),
        card.to_uppercase(),
        // Upper case in the account id alone: a card has one spelling.
        format!("{}{}", card[..32].to_uppercase(), &card[32..]),
        format!(" {}", card.as_str()),
        format!("{}.", card.as_str()),
    ] {
        assert!(matches!(
            alice.add_contact(&bad).await,
            Err(ClientError::BadContactCard)
        ));
    }
    assert!(matches!(
        alice.send_text(bob.account_id(), "hi").await,
        Err(ClientError::NoAccessKey(_))
    ));
    assert_eq!(alice.add_contact(&card).await.unwrap(), bob.account_id());
    alice.send_text(bob.account_id(), "hi").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_that_registers_by_phone_needs_one_and_sotto_never_gets_it() {
    let net = Net::with_profile(Profile::E2ee).await;
    let mut config = net.config("nophone");
    config.phone = None;
    let err = Client::register(net.transport(), config).await.unwrap_err();
    assert!(matches!(err, ClientError::PhoneRequired), "{err:?}");
    // The failed registration left nothing behind: the same home registers with a phone.
    net.register("nophone").await;

    // Under sotto a configured phone number is not sent.
    let net = Net::with_profile(Profile::Sotto).await;
    net.register("alice").await;
    let conn = rusqlite::Connection::open(net.dir.path().join("relay.db")).unwrap();
    let phones: i64 = conn
        .query_row(
            "SELECT count(*) FROM accounts WHERE phone IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(phones, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traceable_sends_the_texts_hash_and_a_forward_keeps_its_originator() {
    let net = Net::with_profile(Profile::Traceable).await;
    let mut alice = net.register("alice").await;
    let mut bob = net.register("bob").await;
    let carol = net.register("carol").await;
    alice
        .send_text(bob.account_id(), "pass it on")
        .await
        .unwrap();
    bob.receive().await.unwrap();
    bob.send_text(carol.account_id(), "pass it on")
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(net.dir.path().join("relay.db")).unwrap();
    let (hash, originator): (Vec<u8>, Vec<u8>) = conn
        .query_row("SELECT hash, originator FROM trace", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(hash, sotto::content::trace_hash("pass it on").to_vec());
    assert_eq!(&originator[..16], alice.account_id().to_bytes().as_slice());
    let sends: i64 = conn
        .query_row("SELECT count(*) FROM trace_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sends, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_header_encrypted_under_sotto_only_and_stay_so_after_a_reopen() {
    use sotto::SessionKind;
    for profile in [
        Profile::E2ee,
        Profile::Traceable,
        Profile::Sealed,
        Profile::Sotto,
    ] {
        let want = if profile == Profile::Sotto {
            SessionKind::HeaderEncrypted
        } else {
            SessionKind::Standard
        };
        let net = Net::with_profile(profile).await;
        let mut alice = net.register("alice").await;
        let mut alice2 = net.link(&mut alice, "alice2").await;
        let mut bob = net.register("bob").await;
        let carol = net.register("carol").await;
        let (a, b, c) = (alice.account_id(), bob.account_id(), carol.account_id());
        for card in [bob.contact_card().unwrap(), carol.contact_card().unwrap()] {
            alice.add_contact(&card).await.unwrap();
        }
        bob.add_contact(&alice.contact_card().unwrap())
            .await
            .unwrap();
        assert_eq!(alice.session_kind(b, 1).await.unwrap(), None);
        alice.send_text(b, "one").await.unwrap();
        assert_eq!(texts(&bob.receive().await.unwrap()), [(a, 1, "one".into())]);
        bob.send_text(a, "two").await.unwrap();
        assert_eq!(
            texts(&alice.receive().await.unwrap()),
            [(b, 1, "two".into())]
        );
        alice2.receive().await.unwrap();
        for (holder, peer, device) in [
            (&alice, b, 1),
            (&bob, a, 1),
            (&bob, a, 2),
            (&alice, a, 2),
            (&alice2, a, 1),
        ] {
            let kind = holder.session_kind(peer, device).await.unwrap();
            assert_eq!(kind, Some(want), "{profile}: {peer:?} device {device}");
        }
        // Reopened clients set new sessions up the same way, and they work both ways.
        drop((alice, carol));
        let mut alice = Client::open(net.transport(), net.config("alice"))
            .await
            .unwrap();
        let mut carol = Client::open(net.transport(), net.config("carol"))
            .await
            .unwrap();
        alice.send_text(c, "three").await.unwrap();
        assert_eq!(
            texts(&carol.receive().await.unwrap()),
            [(a, 1, "three".into())]
        );
        carol.send_text(a, "four").await.unwrap();
        assert_eq!(
            texts(&alice.receive().await.unwrap()),
            [(c, 1, "four".into())]
        );
        assert_eq!(
            alice.session_kind(c, 1).await.unwrap(),
            Some(want),
            "{profile}"
        );
        assert_eq!(
            carol.session_kind(a, 1).await.unwrap(),
            Some(want),
            "{profile}"
        );
    }
}
