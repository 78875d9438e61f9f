//! Unit tests that need the session's internals: counter limits, eviction order, redaction.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::{KeyPair, PublicKey};

use crate::header_key::HeaderKey;
use crate::*;

const KEY: PickleKey = PickleKey::new([0x5a; 32]);
const CTX: &[u8] = b"alice/1 bob/1 generation 5";

fn pair(config: SessionConfig, seed: u64) -> (Session, Session, StdRng) {
    let mut rng = StdRng::seed_from_u64(seed);
    let bob_key = KeyPair::generate(&mut rng);
    let alice = Session::initiator(
        SessionSecret::new([3; 32]),
        b"AD",
        bob_key.public_key(),
        config,
        &mut rng,
    )
    .unwrap();
    let bob = Session::responder(SessionSecret::new([3; 32]), b"AD", bob_key, config).unwrap();
    (alice, bob, rng)
}

fn snapshot(s: &Session) -> Vec<u8> {
    s.pickle(&KEY, CTX, &mut StdRng::seed_from_u64(0)).unwrap()
}

fn kinds() -> [SessionConfig; 2] {
    [SessionConfig::standard(), SessionConfig::header_encrypted()]
}

#[test]
fn ping_pong_and_out_of_order_in_both_kinds() {
    for config in kinds() {
        let (mut alice, mut bob, mut rng) = pair(config, 1);
        let a0 = alice.encrypt(b"a0", &mut rng).unwrap();
        let a1 = alice.encrypt(b"a1", &mut rng).unwrap();
        assert_eq!(bob.decrypt(&a1).unwrap(), b"a1");
        assert_eq!(bob.skipped_key_count(), 1);
        let b0 = bob.encrypt(b"b0", &mut rng).unwrap();
        assert_eq!(alice.decrypt(&b0).unwrap(), b"b0");
        let a2 = alice.encrypt(b"a2", &mut rng).unwrap();
        // a0 is delayed across alice's DH ratchet step.
        assert_eq!(bob.decrypt(&a2).unwrap(), b"a2");
        assert_eq!(bob.decrypt(&a0).unwrap(), b"a0");
        assert_eq!(bob.skipped_key_count(), 0);
        assert!(bob.decrypt(&a0).is_err());
    }
}

#[test]
/// RAT-07, RAT-08, RAT-10: replays and every single-byte tamper are refused, state unchanged.
fn replay_and_tamper_leave_state_unchanged() {
    for config in kinds() {
        let (mut alice, mut bob, mut rng) = pair(config, 2);
        let m = alice.encrypt(b"hello", &mut rng).unwrap();
        bob.decrypt(&m).unwrap();
        let before = snapshot(&bob);
        let replay = bob.decrypt(&m).unwrap_err();
        assert!(
            matches!(
                replay,
                DecryptError::Duplicate | DecryptError::Authentication
            ),
            "{replay:?}"
        );
        assert_eq!(snapshot(&bob), before);
        let m2 = alice.encrypt(b"world", &mut rng).unwrap();
        for i in 0..m2.as_bytes().len() {
            let mut bytes = m2.as_bytes().to_vec();
            bytes[i] ^= 0x01;
            if let Ok(bad) = Message::from_bytes(&bytes) {
                assert!(bob.decrypt(&bad).is_err(), "byte {i} flipped was accepted");
            }
            assert_eq!(snapshot(&bob), before, "byte {i} changed the state");
        }
        assert_eq!(bob.decrypt(&m2).unwrap(), b"world");
    }
}

#[test]
/// RAT-07 and RAT-12: a used key is gone.
fn standard_replay_in_current_chain_is_duplicate() {
    let (mut alice, mut bob, mut rng) = pair(SessionConfig::standard(), 3);
    let m = alice.encrypt(b"x", &mut rng).unwrap();
    bob.decrypt(&m).unwrap();
    assert_eq!(bob.decrypt(&m), Err(DecryptError::Duplicate));
}

#[test]
/// RAT-06: the skip limit, exactly at and one past the limit.
fn skip_limit_is_enforced_exactly() {
    for config in kinds() {
        let config = config.with_max_skip(3);
        let (mut alice, mut bob, mut rng) = pair(config, 4);
        let msgs: Vec<_> = (0..6)
            .map(|i| alice.encrypt(&[i], &mut rng).unwrap())
            .collect();
        let before = snapshot(&bob);
        assert_eq!(
            bob.decrypt(&msgs[4]),
            Err(DecryptError::TooManySkipped { skip: 4, limit: 3 })
        );
        assert_eq!(snapshot(&bob), before);
        assert_eq!(bob.decrypt(&msgs[3]).unwrap(), [3]);
        assert_eq!(bob.skipped_key_count(), 3);
    }
}

#[test]
/// RAT-11: oldest skipped keys are evicted first; RAT-12: used ones are deleted.
fn stored_skipped_keys_evict_oldest_first() {
    for config in kinds() {
        let config = config.with_max_stored_skipped(2);
        let (mut alice, mut bob, mut rng) = pair(config, 5);
        let msgs: Vec<_> = (0..5)
            .map(|i| alice.encrypt(&[i], &mut rng).unwrap())
            .collect();
        assert_eq!(bob.decrypt(&msgs[4]).unwrap(), [4]);
        assert_eq!(bob.skipped_key_count(), 2);
        // Keys 0 and 1 were evicted; 2 and 3 remain.
        assert!(bob.decrypt(&msgs[0]).is_err());
        assert!(bob.decrypt(&msgs[1]).is_err());
        assert_eq!(bob.decrypt(&msgs[2]).unwrap(), [2]);
        assert_eq!(bob.decrypt(&msgs[3]).unwrap(), [3]);
        assert_eq!(bob.skipped_key_count(), 0);
    }
}

#[test]
/// RAT-09 on the sending side.
fn sending_counter_never_wraps() {
    for config in kinds() {
        let (mut alice, mut bob, mut rng) = pair(config, 6);
        if let Some(chain) = alice.sending.as_mut() {
            chain.n = u32::MAX - 1;
        }
        let last = alice.encrypt(b"last", &mut rng).unwrap();
        let before = snapshot(&alice);
        assert_eq!(
            alice.encrypt(b"one more", &mut rng),
            Err(EncryptError::CounterLimit)
        );
        assert_eq!(snapshot(&alice), before);
        // Bob would have to skip u32::MAX - 1 keys: refused, not attempted.
        assert!(matches!(
            bob.decrypt(&last),
            Err(DecryptError::TooManySkipped { .. })
        ));
    }
}

#[test]
/// RAT-09 on the receiving side.
fn receiving_counter_never_wraps() {
    let (mut alice, mut bob, mut rng) = pair(SessionConfig::standard(), 7);
    bob.decrypt(&alice.encrypt(b"a", &mut rng).unwrap())
        .unwrap();
    let mut bytes = alice.encrypt(b"b", &mut rng).unwrap().into_bytes();
    bytes[37..41].copy_from_slice(&u32::MAX.to_be_bytes());
    let before = snapshot(&bob);
    assert_eq!(
        bob.decrypt(&Message::from_bytes(&bytes).unwrap()),
        Err(DecryptError::CounterLimit)
    );
    assert_eq!(snapshot(&bob), before);
}

#[test]
/// RAT-04 and RAT-14.
fn wrong_kind_and_responder_first_send_are_refused() {
    let (mut alice, mut bob, mut rng) = pair(SessionConfig::standard(), 8);
    let (mut he_alice, _, mut rng2) = pair(SessionConfig::header_encrypted(), 8);
    let he = he_alice.encrypt(b"x", &mut rng2).unwrap();
    assert_eq!(
        bob.decrypt(&he),
        Err(DecryptError::WrongKind {
            expected: SessionKind::Standard,
            got: SessionKind::HeaderEncrypted
        })
    );
    let before = snapshot(&bob);
    assert_eq!(
        bob.encrypt(b"too early", &mut rng).unwrap_err(),
        EncryptError::NoPeerRatchetKey
    );
    assert_eq!(snapshot(&bob), before);
    let m = alice.encrypt(b"x", &mut rng).unwrap();
    bob.decrypt(&m).unwrap();
    assert!(bob.encrypt(b"now", &mut rng).is_ok());
}

#[test]
/// RAT-13 and RAT-05 at session creation.
fn constructor_checks() {
    let mut rng = StdRng::seed_from_u64(9);
    let key = KeyPair::generate(&mut rng);
    let long = vec![0u8; 65536];
    assert_eq!(
        Session::responder(
            SessionSecret::new([0; 32]),
            &long,
            key.clone(),
            SessionConfig::default()
        )
        .unwrap_err(),
        SessionError::AssociatedDataTooLong { len: 65536 }
    );
    assert!(
        Session::responder(
            SessionSecret::new([0; 32]),
            &long[..65535],
            key,
            SessionConfig::default()
        )
        .is_ok()
    );
    assert_eq!(
        Session::initiator(
            SessionSecret::new([0; 32]),
            b"",
            &PublicKey::from_bytes([0; 32]),
            SessionConfig::default(),
            &mut rng
        )
        .unwrap_err(),
        SessionError::NonContributory
    );
}

#[test]
/// RAT-05 in a message header.
fn low_order_ratchet_key_in_message_is_refused() {
    let (mut alice, mut bob, mut rng) = pair(SessionConfig::standard(), 10);
    let mut bytes = alice.encrypt(b"x", &mut rng).unwrap().into_bytes();
    bytes[1..33].copy_from_slice(&[0u8; 32]);
    let before = snapshot(&bob);
    assert_eq!(
        bob.decrypt(&Message::from_bytes(&bytes).unwrap()),
        Err(DecryptError::NonContributory)
    );
    assert_eq!(snapshot(&bob), before);
}

#[test]
/// PKL-01, PKL-02, PKL-03.
fn pickle_roundtrip_and_refusals() {
    for config in kinds() {
        let (mut alice, mut bob, mut rng) = pair(config, 11);
        let m0 = alice.encrypt(b"0", &mut rng).unwrap();
        let m1 = alice.encrypt(b"1", &mut rng).unwrap();
        bob.decrypt(&m1).unwrap();
        let saved = bob.pickle(&KEY, CTX, &mut rng).unwrap();
        let mut restored = Session::from_pickle(&KEY, CTX, &saved).unwrap();
        assert_eq!(snapshot(&restored), snapshot(&bob));
        assert_eq!(restored.decrypt(&m0).unwrap(), b"0");

        assert_eq!(
            Session::from_pickle(&PickleKey::new([0; 32]), CTX, &saved).unwrap_err(),
            PickleError::WrongKeyOrCorrupted
        );
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &[]).unwrap_err(),
            PickleError::UnknownVersion(0)
        );
        let mut v2 = saved.clone();
        v2[0] = 2;
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &v2).unwrap_err(),
            PickleError::UnknownVersion(2)
        );
        // Another object's tag (here an identity pickle's) is refused before decryption.
        v2[0] = sotto_crypto::wire::IDENTITY_PICKLE;
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &v2).unwrap_err(),
            PickleError::UnknownVersion(sotto_crypto::wire::IDENTITY_PICKLE)
        );
        // PKL-03: another context (another owner, or an older generation) is refused.
        assert_eq!(
            Session::from_pickle(&KEY, b"alice/1 bob/1 generation 6", &saved).unwrap_err(),
            PickleError::WrongKeyOrCorrupted
        );
        assert_eq!(
            Session::from_pickle(&KEY, b"", &saved).unwrap_err(),
            PickleError::WrongKeyOrCorrupted
        );
        // PKL-06
        let long = vec![0u8; 65_536];
        assert_eq!(
            bob.pickle(&KEY, &long, &mut rng).unwrap_err(),
            PickleError::ContextTooLong
        );
        assert_eq!(
            Session::from_pickle(&KEY, &long, &saved).unwrap_err(),
            PickleError::ContextTooLong
        );
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &saved[..32]).unwrap_err(),
            PickleError::Truncated
        );
        // PKL-05
        let mut huge = vec![PICKLE_VERSION; MAX_PICKLE_LEN + 1];
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &huge).unwrap_err(),
            PickleError::TooLong
        );
        huge.truncate(MAX_PICKLE_LEN);
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &huge).unwrap_err(),
            PickleError::WrongKeyOrCorrupted
        );
        for cut in [33, saved.len() - 1] {
            assert_eq!(
                Session::from_pickle(&KEY, CTX, &saved[..cut]).unwrap_err(),
                PickleError::WrongKeyOrCorrupted
            );
        }
        let mut trailing = saved.clone();
        trailing.push(0);
        assert_eq!(
            Session::from_pickle(&KEY, CTX, &trailing).unwrap_err(),
            PickleError::WrongKeyOrCorrupted
        );
        for i in 0..saved.len() {
            let mut bad = saved.clone();
            bad[i] ^= 0x80;
            assert!(
                Session::from_pickle(&KEY, CTX, &bad).is_err(),
                "flipped byte {i} accepted"
            );
        }
    }
}

#[test]
/// PKL-04.
fn pickle_inner_state_is_strict() {
    let (alice, _, _) = pair(SessionConfig::standard(), 12);
    let state = alice.encode_state();
    assert!(Session::decode_state(&state).is_ok());
    let mut trailing = state.to_vec();
    trailing.push(0);
    assert_eq!(
        Session::decode_state(&trailing).unwrap_err(),
        PickleError::Malformed
    );
    assert_eq!(
        Session::decode_state(&state[..state.len() - 1]).unwrap_err(),
        PickleError::Malformed
    );
    let mut flags = state.to_vec();
    flags[0] = 2;
    assert_eq!(
        Session::decode_state(&flags).unwrap_err(),
        PickleError::Malformed
    );
    let mut limit = state.to_vec();
    limit[1..5].copy_from_slice(&(SessionConfig::LIMIT_CEILING + 1).to_be_bytes());
    assert_eq!(
        Session::decode_state(&limit).unwrap_err(),
        PickleError::Malformed
    );
}

#[test]
fn debug_output_is_redacted() {
    let (alice, _, _) = pair(SessionConfig::standard(), 13);
    let shown = format!("{alice:?}");
    assert!(
        shown.starts_with("Session { kind: Standard, ratchet_key: x25519::PublicKey("),
        "{shown}"
    );
    assert!(shown.ends_with("skipped_keys: 0, .. }"), "{shown}");
    assert_eq!(format!("{KEY:?}"), "PickleKey(..)");
    assert_eq!(
        format!("{:?}", SessionSecret::new([1; 32])),
        "SessionSecret(..)"
    );
    let root = alice.root_key.expose();
    assert!(!shown.contains(&hex::encode(root)));
}

#[test]
/// RAT-03 on the sending side: the plaintext limit.
fn oversized_plaintext_is_refused() {
    let (mut alice, _, mut rng) = pair(SessionConfig::standard(), 14);
    let before = snapshot(&alice);
    let big = vec![0u8; MAX_PLAINTEXT_LEN + 1];
    assert_eq!(
        alice.encrypt(&big, &mut rng).unwrap_err(),
        EncryptError::PlaintextTooLong {
            len: MAX_PLAINTEXT_LEN + 1
        }
    );
    assert_eq!(snapshot(&alice), before);
}

#[test]
/// RAT-10 for the buffer-reusing forms: a refused message leaves the session unchanged and
/// the buffer empty; reused buffers give the same bytes as fresh ones.
fn buffer_reusing_forms() {
    for config in kinds() {
        let (mut alice, mut bob, mut rng) = pair(config, 15);
        let (mut alice2, mut bob2, mut rng2) = pair(config, 15);
        let mut recycled = vec![0xAAu8; 5000];
        let mut plaintext = vec![0x55u8; 7000];
        for (i, len) in [0usize, 10, 4000, 3, 6000].into_iter().enumerate() {
            let data: Vec<u8> = (0..len).map(|j| (i + j) as u8).collect();
            let m = alice
                .encrypt_with_buffer(&data, &mut rng, recycled)
                .unwrap();
            let fresh = alice2.encrypt(&data, &mut rng2).unwrap();
            assert_eq!(m, fresh);
            bob.decrypt_into(&m, &mut plaintext).unwrap();
            assert_eq!(plaintext, data);
            assert_eq!(bob2.decrypt(&fresh).unwrap(), data);
            let mut bad = m.as_bytes().to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            let before = snapshot(&bob);
            assert!(
                bob.decrypt_into(&Message::from_bytes(&bad).unwrap(), &mut plaintext)
                    .is_err()
            );
            assert!(plaintext.is_empty());
            assert_eq!(snapshot(&bob), before);
            recycled = m.into_bytes();
        }
    }
}

#[test]
/// RAT-05 on the sending side: a (forged) state with a small-order peer key refuses to send
/// and changes nothing.
fn low_order_peer_key_refuses_the_sending_step() {
    let (mut alice, _, mut rng) = pair(SessionConfig::standard(), 16);
    alice.peer_ratchet_key = Some(PublicKey::from_bytes([0; 32]));
    alice.sending = None;
    let before = snapshot(&alice);
    assert_eq!(
        alice.encrypt(b"x", &mut rng).unwrap_err(),
        EncryptError::NonContributory
    );
    assert_eq!(snapshot(&alice), before);
}

/// A relay that drops one message of every chain used to make a header-encrypted receiver keep
/// one more header key per chain, and try all of them on every message it could not place
/// (protocol.md 3.8). The store now keeps keys of at most `MAX_SKIPPED_CHAINS` chains, so the
/// trial list stays bounded however many chains were dropped from.
#[test]
fn dropped_chains_do_not_grow_the_header_key_trial_list() {
    for config in kinds() {
        let (mut alice, mut bob, mut rng) = pair(config, 71);
        for round in 0..200u32 {
            let dropped = alice.encrypt(b"dropped", &mut rng).unwrap();
            drop(dropped);
            let kept = alice.encrypt(b"kept", &mut rng).unwrap();
            bob.decrypt(&kept).unwrap();
            let reply = bob.encrypt(b"reply", &mut rng).unwrap();
            alice.decrypt(&reply).unwrap();
            let chains = bob.skipped.header_keys().len();
            if config.is_header_encrypted() {
                assert_eq!(
                    chains,
                    (round as usize + 1).min(SessionConfig::MAX_SKIPPED_CHAINS),
                    "round {round}"
                );
            }
            assert_eq!(
                bob.skipped_key_count(),
                (round as usize + 1).min(SessionConfig::MAX_SKIPPED_CHAINS)
            );
        }
        // A forgery is refused without change; it is tried against at most
        // MAX_SKIPPED_CHAINS + 2 header keys.
        let before = snapshot(&bob);
        let mut forged = alice.encrypt(b"forged", &mut rng).unwrap().into_bytes();
        forged[5] ^= 1;
        let forged = Message::from_bytes(&forged).unwrap();
        assert!(bob.decrypt(&forged).is_err());
        assert_eq!(snapshot(&bob), before);
    }
}

/// The canonical X25519 twins of `key`: the u-coordinates of P + T, for P either point with
/// u-coordinate `key` and T each point of the 8-torsion subgroup, that are canonical and
/// differ from `key`. A clamped scalar is a multiple of 8, so each gives the same DH output.
fn twins(key: &PublicKey) -> Vec<PublicKey> {
    use curve25519_dalek::constants::EIGHT_TORSION;
    use curve25519_dalek::montgomery::MontgomeryPoint;

    let mut out: Vec<PublicKey> = Vec::new();
    for sign in [0, 1] {
        let p = MontgomeryPoint(key.to_bytes()).to_edwards(sign).unwrap();
        for t in &EIGHT_TORSION {
            let twin = PublicKey::from_bytes((p + t).to_montgomery().to_bytes());
            if twin.is_canonical() && twin != *key && !out.contains(&twin) {
                out.push(twin);
            }
        }
    }
    out
}

/// The header key among `receiver`'s (HKr, the skipped chains', NHKr) that opens the
/// header of a header-encrypted `message`, the header, and the header's associated data.
fn open_any<'s>(receiver: &'s Session, message: &Message) -> (&'s HeaderKey, Header, Vec<u8>) {
    let (salt, encrypted) = message.encrypted_header().unwrap();
    let mut ad = receiver.ad_prefix.clone();
    ad.push(VERSION_HEADER_ENCRYPTED);
    ad.extend_from_slice(salt);
    let mut keys: Vec<&HeaderKey> = Vec::new();
    if let Some(hk) = receiver
        .receiving
        .as_ref()
        .and_then(|c| c.header_key.as_ref())
    {
        keys.push(hk);
    }
    keys.extend(receiver.skipped.header_keys());
    if let Some(next) = &receiver.next_header_keys {
        keys.push(&next.receiving);
    }
    let (hk, header) = keys
        .into_iter()
        .find_map(|hk| hk.open(salt, &ad, encrypted).map(|h| (hk, h)))
        .unwrap();
    (hk, header, ad)
}

/// The ratchet key in `message`'s header, as `receiver` reads it.
fn ratchet_key_of(receiver: &Session, message: &Message) -> PublicKey {
    match message.kind() {
        SessionKind::Standard => message.header().unwrap().ratchet_key,
        SessionKind::HeaderEncrypted => open_any(receiver, message).1.ratchet_key,
    }
}

/// `message` with its header's ratchet key replaced by `twin`. A header-encrypted message is
/// opened with whichever of `receiver`'s header keys opens it and sealed again under that key
/// and the same salt: an adversary stronger than the relay, who knows the header keys.
fn with_ratchet_key(receiver: &Session, message: &Message, twin: &PublicKey) -> Message {
    let mut bytes = message.as_bytes().to_vec();
    match message.kind() {
        SessionKind::Standard => bytes[1..33].copy_from_slice(twin.as_bytes()),
        SessionKind::HeaderEncrypted => {
            let (hk, mut header, ad) = open_any(receiver, message);
            header.ratchet_key = *twin;
            let (salt, _) = message.encrypted_header().unwrap();
            let sealed = hk.seal(salt, &ad, &header);
            let start = 1 + salt.len();
            bytes[start..start + sealed.len()].copy_from_slice(&sealed);
        }
    }
    Message::from_bytes(&bytes).unwrap()
}

/// Replaces the header's ratchet key of `message` by each canonical twin and checks that
/// `bob` refuses every one with his state unchanged (pickle bytes equal), though each twin
/// gives the same DH output with his ratchet key as the genuine key.
fn refuse_twins(bob: &mut Session, message: &Message, what: &str) {
    let key = ratchet_key_of(bob, message);
    let all = twins(&key);
    assert!(all.len() >= 3, "{what}: only {} twins", all.len());
    let before = snapshot(bob);
    for twin in all {
        assert_eq!(
            bob.our_ratchet.diffie_hellman(&twin).unwrap().expose(),
            bob.our_ratchet.diffie_hellman(&key).unwrap().expose(),
            "{what}: a twin gives the same DH output"
        );
        let forged = with_ratchet_key(bob, message, &twin);
        let refused = bob.decrypt(&forged);
        assert!(
            matches!(
                refused,
                Err(DecryptError::Authentication | DecryptError::Duplicate)
            ),
            "{what}: twin {twin:?}: {refused:?}"
        );
        assert_eq!(
            snapshot(bob),
            before,
            "{what}: twin {twin:?} changed the state"
        );
    }
}

#[test]
/// An X25519 twin of the sender's ratchet key in a header, in both kinds and at every place
/// the receiver looks a ratchet key up: the current chain (a replay, a number still ahead),
/// a stored skipped key (of the current and of a previous chain), and the first message of a
/// new chain, where the twin gives the same DH output, root key and message key as the
/// genuine one and only the header's bytes in the body's associated data tell them apart.
/// Each is refused, state unchanged, and the genuine messages still decrypt afterwards (no
/// desynchronisation).
fn ratchet_key_twins_are_refused_and_leave_state_unchanged() {
    for config in kinds() {
        let name = format!("{:?}", config.kind());
        let (mut alice, mut bob, mut rng) = pair(config, 31);
        let a0 = alice.encrypt(b"a0", &mut rng).unwrap();
        let a1 = alice.encrypt(b"a1", &mut rng).unwrap();
        let a2 = alice.encrypt(b"a2", &mut rng).unwrap();
        let a3 = alice.encrypt(b"a3", &mut rng).unwrap();
        // The very first message opens Bob's first receiving chain: a new chain too.
        refuse_twins(
            &mut bob,
            &a0,
            &format!("{name}: first message of the session"),
        );
        assert_eq!(bob.decrypt(&a0).unwrap(), b"a0");
        assert_eq!(bob.decrypt(&a2).unwrap(), b"a2");
        assert_eq!(bob.skipped_key_count(), 1);

        refuse_twins(&mut bob, &a0, &format!("{name}: replay, current chain"));
        refuse_twins(&mut bob, &a2, &format!("{name}: replay, current chain"));
        refuse_twins(&mut bob, &a1, &format!("{name}: stored skipped key"));
        refuse_twins(&mut bob, &a3, &format!("{name}: number still ahead"));

        // Alice's next DH ratchet step: the first message of her new chain.
        let b0 = bob.encrypt(b"b0", &mut rng).unwrap();
        assert_eq!(alice.decrypt(&b0).unwrap(), b"b0");
        let a4 = alice.encrypt(b"a4", &mut rng).unwrap();
        refuse_twins(
            &mut bob,
            &a4,
            &format!("{name}: first message of a new chain"),
        );
        assert_eq!(bob.decrypt(&a4).unwrap(), b"a4");
        // a1 and a3 are now stored skipped keys of Alice's previous chain.
        assert_eq!(bob.skipped_key_count(), 2);
        refuse_twins(
            &mut bob,
            &a1,
            &format!("{name}: skipped key, previous chain"),
        );
        refuse_twins(
            &mut bob,
            &a3,
            &format!("{name}: skipped key, previous chain"),
        );
        refuse_twins(&mut bob, &a4, &format!("{name}: replay after the step"));

        // The genuine messages are all still accepted, once.
        assert_eq!(bob.decrypt(&a1).unwrap(), b"a1");
        // (a3's entry keeps the previous chain's header key in the trial list.)
        refuse_twins(&mut bob, &a1, &format!("{name}: used skipped key"));
        assert_eq!(bob.decrypt(&a3).unwrap(), b"a3");
        assert_eq!(bob.skipped_key_count(), 0);
        let b1 = bob.encrypt(b"b1", &mut rng).unwrap();
        assert_eq!(alice.decrypt(&b1).unwrap(), b"b1");
    }
}

mod attack;
