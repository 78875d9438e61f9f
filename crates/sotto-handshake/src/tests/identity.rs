//! HS-11: both sides name the peer device they expect; any other identity (another device,
//! one half changed, an X25519 twin of the agreement key) is refused before any key
//! agreement, any store access and any randomness.

use rand::RngExt;

use super::eight_torsion_twins;
use super::store::{Call, FailingStore};
use super::*;

/// Identities that are not `expected`: another device, `expected` with the other device's
/// Ed25519 half, with its X25519 half, and with each X25519 twin of its agreement key.
fn impostors(expected: &DeviceIdentityKey, rng: &mut StdRng) -> Vec<(String, DeviceIdentityKey)> {
    let other = DeviceIdentity::generate(rng).public();
    let mut out = vec![
        ("another device".to_string(), other),
        (
            "Ed25519 half only".to_string(),
            DeviceIdentityKey {
                signing: other.signing,
                ..*expected
            },
        ),
        (
            "X25519 half only".to_string(),
            DeviceIdentityKey {
                agreement: other.agreement,
                ..*expected
            },
        ),
    ];
    let twins = eight_torsion_twins(&expected.agreement);
    assert!(twins.len() >= 3);
    for twin in twins {
        out.push((
            format!("X25519 twin {twin:?}"),
            DeviceIdentityKey {
                agreement: twin,
                ..*expected
            },
        ));
    }
    for (name, impostor) in &out {
        assert_ne!(impostor.to_bytes(), expected.to_bytes(), "{name}");
        assert!(!impostor.ct_matches(expected), "{name}");
    }
    assert!(expected.ct_matches(expected));
    out
}

#[test]
/// The responder refuses an initial message from any device but the expected one: no store
/// call is made (so no DH: the prekeys are never looked up), the store is unchanged, and the
/// message is accepted afterwards from the expected device.
fn respond_refuses_an_unexpected_initiator_before_touching_the_store() {
    for pq in [PostQuantum::Offered, PostQuantum::Absent] {
        let mut w = world(50, policy(pq, 1, 1));
        let bundle = w.published.take_bundle().verify().unwrap();
        let bob = *bundle.bundle().identity();
        let sent = initiate(&w.alice, &bundle, &bob, b"to bob", &config(), &mut w.rng).unwrap();
        let alice = w.alice.public();
        let before = (store_state(&w.bob), format!("{:?}", w.bob));
        // A store that fails on every lookup would report any access; none happens.
        let mut store = FailingStore::new(w.bob, Some(Call::SignedPrekey));
        for (name, expected) in impostors(&alice, &mut w.rng) {
            let refused = respond(&mut store, &sent.message, &expected, &config());
            assert!(
                matches!(refused, Err(HandshakeError::UnexpectedIdentity)),
                "{pq:?}, {name}: {:?}",
                refused.as_ref().map(|r| &r.plaintext)
            );
            assert!(
                store.calls().is_empty(),
                "{pq:?}, {name}: {:?}",
                store.calls()
            );
        }
        let bob_store = store.inner;
        assert_eq!((store_state(&bob_store), format!("{bob_store:?}")), before);
        let mut bob_store = bob_store;
        let got = respond(&mut bob_store, &sent.message, &alice, &config()).unwrap();
        assert_eq!(got.plaintext, b"to bob");
        assert_eq!(got.initiator, alice);
    }
}

#[test]
/// A message from another device is refused when Bob expects Alice, even though it is a
/// perfectly valid initial message to Bob's bundle.
fn respond_refuses_a_valid_message_from_another_device() {
    let mut w = world(51, policy(PostQuantum::Offered, 2, 2));
    let bob = w.published.identity;
    let mallory = DeviceIdentity::generate(&mut w.rng);
    let bundle = w.published.take_bundle().verify().unwrap();
    let from_mallory = initiate(&mallory, &bundle, &bob, b"hi", &config(), &mut w.rng).unwrap();
    let before = store_state(&w.bob);
    assert!(matches!(
        respond(
            &mut w.bob,
            &from_mallory.message,
            &w.alice.public(),
            &config()
        ),
        Err(HandshakeError::UnexpectedIdentity)
    ));
    assert_eq!(store_state(&w.bob), before);
    // Trusting on first use is the explicit step of reading the message's claim.
    let claimed = *from_mallory.message.initiator();
    assert_eq!(claimed, mallory.public());
    assert!(respond(&mut w.bob, &from_mallory.message, &claimed, &config()).is_ok());
}

#[test]
/// The initiator refuses a bundle of any device but the expected one, before drawing any
/// randomness; the expected device's bundle still works afterwards.
fn initiate_refuses_a_bundle_of_an_unexpected_device_before_using_it() {
    for pq in [PostQuantum::Offered, PostQuantum::Absent] {
        let mut w = world(52, policy(pq, 1, 1));
        let bob = w.published.identity;
        let bundle = w.published.take_bundle().verify().unwrap();
        let mut rng = StdRng::seed_from_u64(53);
        for (name, expected) in impostors(&bob, &mut rng) {
            // Two generators in the same state: the one `initiate` gets must not move.
            let (mut given, mut probe) = (StdRng::seed_from_u64(56), StdRng::seed_from_u64(56));
            let refused = initiate(&w.alice, &bundle, &expected, b"x", &config(), &mut given);
            assert!(
                matches!(refused, Err(HandshakeError::UnexpectedIdentity)),
                "{pq:?}, {name}: {:?}",
                refused.as_ref().map(|i| i.mode)
            );
            assert_eq!(
                given.random::<u64>(),
                probe.random::<u64>(),
                "{pq:?}, {name}: randomness was drawn"
            );
        }
        let sent = initiate(&w.alice, &bundle, &bob, b"x", &config(), &mut w.rng).unwrap();
        assert!(respond(&mut w.bob, &sent.message, &w.alice.public(), &config()).is_ok());
    }
}

#[test]
/// Another device's genuine, verified bundle is refused when Alice expects Bob.
fn initiate_refuses_another_devices_valid_bundle() {
    let mut w = world(54, policy(PostQuantum::Offered, 1, 1));
    let bob = w.published.identity;
    let mut other = world(55, policy(PostQuantum::Offered, 1, 1));
    let foreign = other.published.take_bundle().verify().unwrap();
    assert_ne!(*foreign.bundle().identity(), bob);
    assert!(matches!(
        initiate(&w.alice, &foreign, &bob, b"x", &config(), &mut w.rng),
        Err(HandshakeError::UnexpectedIdentity)
    ));
}
