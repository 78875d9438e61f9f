//! The store contract (protocol.md 7.11): a failing store's error reaches the caller with its
//! cause and leaves the store unchanged; a commit that loses a race is refused, store
//! unchanged; the store is `Send`.

use std::sync::{Arc, Mutex};

use sotto_crypto::kem;

use super::*;
use crate::error::{CommitError, StoreError, StoreErrorKind};
use crate::prekeys::SignedPrekeyPair;

/// The store calls `respond` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    Identity,
    SignedPrekey,
    OneTimePrekey,
    KemDecapsulate,
    HasSeen,
    Commit,
}

const ALL_CALLS: [Call; 6] = [
    Call::Identity,
    Call::SignedPrekey,
    Call::OneTimePrekey,
    Call::KemDecapsulate,
    Call::HasSeen,
    Call::Commit,
];

/// The cause a failing store reports.
const CAUSE: &str = "disk I/O error (test)";

/// The in-memory store, with one chosen call failing as a database would (I/O error), and a
/// log of the calls made. The log is a `Mutex` so that the wrapper stays `Send`.
pub(super) struct FailingStore {
    pub(super) inner: InMemoryPrekeyStore,
    fail_on: Option<Call>,
    calls: Mutex<Vec<Call>>,
}

impl FailingStore {
    pub(super) fn new(inner: InMemoryPrekeyStore, fail_on: Option<Call>) -> Self {
        Self {
            inner,
            fail_on,
            calls: Mutex::new(Vec::new()),
        }
    }

    fn call(&self, call: Call) -> Result<(), StoreError> {
        self.calls.lock().unwrap().push(call);
        if self.fail_on == Some(call) {
            Err(StoreError::backend(std::io::Error::other(CAUSE)))
        } else {
            Ok(())
        }
    }

    pub(super) fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

impl PrekeyStore for FailingStore {
    fn identity(&self) -> Result<DeviceIdentity, StoreError> {
        self.call(Call::Identity)?;
        self.inner.identity()
    }

    fn signed_prekey(&self, id: u32) -> Result<Option<SignedPrekeyPair>, StoreError> {
        self.call(Call::SignedPrekey)?;
        self.inner.signed_prekey(id)
    }

    fn one_time_prekey(&self, id: u32) -> Result<Option<OneTimePrekeyPair>, StoreError> {
        self.call(Call::OneTimePrekey)?;
        self.inner.one_time_prekey(id)
    }

    fn kem_decapsulate(
        &self,
        kind: KemPrekeyKind,
        id: u32,
        ciphertext: &kem::Ciphertext,
    ) -> Result<Option<kem::SharedSecret>, StoreError> {
        self.call(Call::KemDecapsulate)?;
        self.inner.kem_decapsulate(kind, id, ciphertext)
    }

    fn has_seen(&self, signed_prekey_id: u32, replay_tag: &ReplayTag) -> Result<bool, StoreError> {
        self.call(Call::HasSeen)?;
        self.inner.has_seen(signed_prekey_id, replay_tag)
    }

    fn commit(&mut self, used: &UsedPrekeys) -> Result<(), CommitError> {
        self.call(Call::Commit)?;
        self.inner.commit(used)
    }
}

/// Everything the store shows: counts, ids and the replay record.
fn full_state(s: &InMemoryPrekeyStore) -> (String, String) {
    (store_state(s), format!("{s:?}"))
}

fn is<T: Send>() {}

#[test]
fn stores_are_send() {
    is::<InMemoryPrekeyStore>();
    is::<Box<dyn PrekeyStore>>();
    is::<StoreError>();
    is::<HandshakeError>();
    // A boxed store moves to another thread and answers there.
    let w = world(40, policy(PostQuantum::Offered, 1, 1));
    let expected = w.bob.identity().unwrap().public();
    let boxed: Box<dyn PrekeyStore> = Box::new(w.bob);
    let identity = std::thread::spawn(move || boxed.identity().unwrap().public())
        .join()
        .unwrap();
    assert_eq!(identity, expected);
}

#[test]
/// Every store call `respond` makes, failing in turn: the failure reaches the caller as
/// `HandshakeError::Store` with the store's cause reachable through `Error::source`, the
/// store is unchanged, and the same message is accepted once the store works again.
fn a_failing_store_call_reaches_the_caller_with_its_cause_and_changes_nothing() {
    for fail_on in ALL_CALLS {
        let mut w = world(41, policy(PostQuantum::Offered, 1, 1));
        let bundle = w.published.take_bundle().verify().unwrap();
        let bob = *bundle.bundle().identity();
        let sent = initiate(&w.alice, &bundle, &bob, b"x", &config(), &mut w.rng).unwrap();
        // The message uses every lookup: a one-time prekey and a one-time ML-KEM prekey.
        assert!(sent.message.one_time_prekey_id.is_some() && sent.message.kem.is_some());
        let before = full_state(&w.bob);
        let mut store = FailingStore::new(w.bob, Some(fail_on));
        let err = respond(&mut store, &sent.message, &w.alice.public(), &config())
            .err()
            .unwrap_or_else(|| panic!("accepted although {fail_on:?} failed"));
        assert!(
            matches!(&err, HandshakeError::Store(e) if e.kind() == StoreErrorKind::Backend),
            "{fail_on:?}: {err:?}"
        );
        assert_eq!(store.calls().last(), Some(&fail_on), "{fail_on:?} was made");
        // The cause: HandshakeError -> StoreError -> io::Error.
        let store_error = std::error::Error::source(&err).unwrap();
        assert!(store_error.is::<StoreError>(), "{fail_on:?}");
        let cause = store_error.source().unwrap();
        assert_eq!(
            cause
                .downcast_ref::<std::io::Error>()
                .map(ToString::to_string),
            Some(CAUSE.to_string()),
            "{fail_on:?}"
        );
        assert_eq!(
            full_state(&store.inner),
            before,
            "{fail_on:?} changed the store"
        );
        // Nothing was used up: the same message is accepted by the working store.
        let mut bob = store.inner;
        let got = respond(&mut bob, &sent.message, &w.alice.public(), &config()).unwrap();
        assert_eq!(got.plaintext, b"x");
    }
}

#[test]
/// A message without a one-time prekey or ML-KEM makes only the other calls; the set of
/// calls of a full message is exactly `ALL_CALLS`, so the test above covers every one.
fn respond_makes_every_store_call_once_and_commits_last() {
    let mut w = world(42, policy(PostQuantum::Offered, 1, 1));
    let bundle = w.published.take_bundle().verify().unwrap();
    let bob = *bundle.bundle().identity();
    let sent = initiate(&w.alice, &bundle, &bob, b"x", &config(), &mut w.rng).unwrap();
    let mut store = FailingStore::new(w.bob, None);
    let _accepted = respond(&mut store, &sent.message, &w.alice.public(), &config()).unwrap();
    let calls = store.calls();
    assert_eq!(calls.len(), ALL_CALLS.len(), "{calls:?}");
    for call in ALL_CALLS {
        assert!(calls.contains(&call), "{call:?} not made: {calls:?}");
    }
    assert_eq!(calls.last(), Some(&Call::Commit));
}

/// What a concurrent `respond` does to the store.
type Race = Box<dyn FnOnce(&mut InMemoryPrekeyStore) + Send>;

/// Whether a commit refusal is the expected one.
type IsExpected = fn(&CommitError) -> bool;

/// The in-memory store with a hook that runs on it just before `commit`: a concurrent
/// `respond` that wins the race between our lookups and our commit. The early `has_seen`
/// check can be told to answer "not seen", as it would have before the concurrent commit.
struct RacingStore {
    inner: InMemoryPrekeyStore,
    race: Option<Race>,
    hide_seen: bool,
    raced: Arc<Mutex<bool>>,
}

impl PrekeyStore for RacingStore {
    fn identity(&self) -> Result<DeviceIdentity, StoreError> {
        self.inner.identity()
    }

    fn signed_prekey(&self, id: u32) -> Result<Option<SignedPrekeyPair>, StoreError> {
        self.inner.signed_prekey(id)
    }

    fn one_time_prekey(&self, id: u32) -> Result<Option<OneTimePrekeyPair>, StoreError> {
        self.inner.one_time_prekey(id)
    }

    fn kem_decapsulate(
        &self,
        kind: KemPrekeyKind,
        id: u32,
        ciphertext: &kem::Ciphertext,
    ) -> Result<Option<kem::SharedSecret>, StoreError> {
        self.inner.kem_decapsulate(kind, id, ciphertext)
    }

    fn has_seen(&self, signed_prekey_id: u32, replay_tag: &ReplayTag) -> Result<bool, StoreError> {
        if self.hide_seen {
            return Ok(false);
        }
        self.inner.has_seen(signed_prekey_id, replay_tag)
    }

    fn commit(&mut self, used: &UsedPrekeys) -> Result<(), CommitError> {
        if let Some(race) = self.race.take() {
            race(&mut self.inner);
            *self.raced.lock().unwrap() = true;
        }
        self.inner.commit(used)
    }
}

/// Runs `ours` through a [`RacingStore`] whose concurrent call accepts `theirs` first (with
/// `theirs_from` as its expected initiator). Returns our result, the store's state after the
/// concurrent call alone, and the store afterwards.
fn race(
    bob: InMemoryPrekeyStore,
    ours: (&InitialMessage, DeviceIdentityKey),
    theirs: (InitialMessage, DeviceIdentityKey),
    hide_seen: bool,
) -> (
    Result<Response, HandshakeError>,
    (String, String),
    InMemoryPrekeyStore,
) {
    let won = Arc::new(Mutex::new(None));
    let won_state = Arc::clone(&won);
    let raced = Arc::new(Mutex::new(false));
    let mut store = RacingStore {
        inner: bob,
        race: Some(Box::new(move |inner: &mut InMemoryPrekeyStore| {
            let got = respond(inner, &theirs.0, &theirs.1, &config()).unwrap();
            assert!(!got.plaintext.is_empty());
            *won_state.lock().unwrap() = Some(full_state(inner));
        })),
        hide_seen,
        raced: Arc::clone(&raced),
    };
    let result = respond(&mut store, ours.0, &ours.1, &config());
    assert!(*raced.lock().unwrap(), "the race ran before the commit");
    let after_race = won.lock().unwrap().take().unwrap();
    (result, after_race, store.inner)
}

#[test]
/// HS-09 at the commit: a concurrent `respond` accepted the same message between our
/// `has_seen` check and our commit. The commit itself refuses (the tag is recorded), so the
/// message is accepted once, and our refusal leaves the store as the winner left it.
fn a_commit_that_loses_the_race_to_the_same_message_is_refused() {
    for (pq, one_time) in [(PostQuantum::Offered, 1), (PostQuantum::Absent, 0)] {
        let mut w = world(43, policy(pq, one_time, 0));
        let bundle = w.published.take_bundle().verify().unwrap();
        let bob = *bundle.bundle().identity();
        let sent = initiate(&w.alice, &bundle, &bob, b"once", &config(), &mut w.rng).unwrap();
        let alice = w.alice.public();
        let seen = w.bob.seen_count();
        let (result, after_race, bob) = race(
            w.bob,
            (&sent.message, alice),
            (sent.message.clone(), alice),
            true,
        );
        assert!(
            matches!(result, Err(HandshakeError::Replayed)),
            "{pq:?}: {:?}",
            result.as_ref().map(|r| &r.plaintext)
        );
        assert_eq!(
            full_state(&bob),
            after_race,
            "{pq:?}: the loser changed the store"
        );
        assert_eq!(bob.seen_count(), seen + 1, "{pq:?}: accepted exactly once");
    }
}

#[test]
/// HS-08 at the commit: two initiators were handed the same bundle (one-time prekeys and
/// all); a concurrent `respond` used the one-time prekey (X25519, or ML-KEM) between our
/// lookup and our commit. Our commit is refused, store as the winner left it.
fn a_commit_that_loses_the_race_for_a_one_time_prekey_is_refused() {
    // (one-time X25519 prekeys, one-time ML-KEM prekeys)
    for (one_time, kem_one_time) in [(1, 0), (0, 1)] {
        let mut w = world(44, policy(PostQuantum::Offered, one_time, kem_one_time));
        let bundle = w.published.take_bundle().verify().unwrap();
        let bob = *bundle.bundle().identity();
        let carol = DeviceIdentity::generate(&mut w.rng);
        let ours = initiate(&w.alice, &bundle, &bob, b"ours", &config(), &mut w.rng).unwrap();
        let theirs = initiate(&carol, &bundle, &bob, b"theirs", &config(), &mut w.rng).unwrap();
        let (result, after_race, bob) = race(
            w.bob,
            (&ours.message, w.alice.public()),
            (theirs.message, carol.public()),
            false,
        );
        match (one_time, &result) {
            (1, Err(HandshakeError::UnknownOneTimePrekey(id))) => {
                assert_eq!(Some(*id), ours.message.one_time_prekey_id);
            }
            (0, Err(HandshakeError::UnknownKemPrekey(id))) => {
                assert_eq!(Some(*id), ours.message.kem.as_ref().map(|k| k.id));
            }
            _ => panic!(
                "({one_time}, {kem_one_time}): {:?}",
                result.as_ref().map(|r| &r.plaintext)
            ),
        }
        assert_eq!(full_state(&bob), after_race);
    }
}

#[test]
/// The in-memory commit's own checks, called directly: each refusal leaves the store
/// unchanged; a refused commit can be followed by a valid one.
fn commit_refuses_what_is_not_held_or_already_recorded() {
    let mut w = world(45, policy(PostQuantum::Offered, 1, 1));
    let published = w.bob.published().unwrap();
    let spk = published.signed_prekey.id;
    let opk = published.one_time[0].id;
    let kem_one_time = published.kem_one_time[0].id;
    let last_resort = published.kem_last_resort.as_ref().unwrap().id;
    let tag = ReplayTag::from_bytes([7; 32]);
    let used = |one_time_prekey_id, kem_prekey| UsedPrekeys {
        signed_prekey_id: spk,
        replay_tag: tag,
        one_time_prekey_id,
        kem_prekey,
    };
    let before = full_state(&w.bob);
    let refusals: [(UsedPrekeys, IsExpected); 4] = [
        (
            UsedPrekeys {
                signed_prekey_id: 999,
                ..used(None, None)
            },
            |e| matches!(e, CommitError::SignedPrekeyGone(999)),
        ),
        (used(Some(999), None), |e| {
            matches!(e, CommitError::OneTimePrekeyGone(999))
        }),
        (used(Some(opk), Some((KemPrekeyKind::OneTime, 999))), |e| {
            matches!(e, CommitError::KemPrekeyGone(999))
        }),
        (
            used(Some(opk), Some((KemPrekeyKind::OneTime, last_resort))),
            |e| matches!(e, CommitError::KemPrekeyGone(_)),
        ),
    ];
    for (u, expected) in refusals {
        let err = w.bob.commit(&u).unwrap_err();
        assert!(expected(&err), "{u:?}: {err:?}");
        assert_eq!(full_state(&w.bob), before, "{u:?}");
    }
    let first = used(Some(opk), Some((KemPrekeyKind::OneTime, kem_one_time)));
    w.bob.commit(&first).unwrap();
    assert_eq!(w.bob.seen_count(), 1);
    assert_eq!(w.bob.one_time_prekey_count(), 0);
    assert_eq!(w.bob.kem_one_time_prekey_count(), 0);
    let after = full_state(&w.bob);
    // The same tag again, even without one-time prekeys: a replay.
    let again = used(None, Some((KemPrekeyKind::LastResort, last_resort)));
    assert!(matches!(w.bob.commit(&again), Err(CommitError::Replayed)));
    assert_eq!(full_state(&w.bob), after);
    // The one-time prekeys are gone for any other tag too.
    let other = UsedPrekeys {
        replay_tag: ReplayTag::from_bytes([8; 32]),
        ..first
    };
    assert!(matches!(
        w.bob.commit(&other),
        Err(CommitError::OneTimePrekeyGone(id)) if id == opk
    ));
    assert_eq!(full_state(&w.bob), after);
    // A lookup of a used or unknown id is "not held", not an error.
    assert!(matches!(w.bob.one_time_prekey(opk), Ok(None)));
    assert!(matches!(w.bob.signed_prekey(999), Ok(None)));
}

#[test]
/// `StoreError`: kind, cause and messages.
fn store_error_carries_kind_and_cause() {
    let plain = StoreError::new(StoreErrorKind::Corrupt);
    assert_eq!(plain.kind(), StoreErrorKind::Corrupt);
    assert!(std::error::Error::source(&plain).is_none());
    assert_eq!(plain.to_string(), "store: stored value is corrupt");
    let caused = StoreError::corrupt("row 7 does not decode");
    assert_eq!(caused.kind(), StoreErrorKind::Corrupt);
    assert_eq!(
        std::error::Error::source(&caused).map(ToString::to_string),
        Some("row 7 does not decode".to_string())
    );
    let handshake = HandshakeError::from(CommitError::from(StoreError::backend(
        std::io::Error::other(CAUSE),
    )));
    assert!(matches!(&handshake, HandshakeError::Store(e) if e.kind() == StoreErrorKind::Backend));
}
