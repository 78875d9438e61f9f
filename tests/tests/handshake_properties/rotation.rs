//! Property 3: signed prekey rotation while initial messages are in flight (7.7).

use super::*;

// ---------------------------------------------------------------------------------------------
// 3. Signed prekey rotation while initial messages are in flight (7.7).
// ---------------------------------------------------------------------------------------------

/// Indices are taken modulo the list they refer to.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// A new initiator fetches a bundle (of the current signed prekey) and initiates.
    Initiate,
    /// The clock advances by this many seconds.
    Advance(u8),
    /// The responder rotates its signed prekey and uploads the new one.
    Rotate,
    /// The responder prunes.
    Prune,
    /// Deliver the i-th in-flight initial message.
    Deliver(u8),
    /// Deliver the i-th delivered initial message again.
    Replay(u8),
}

#[derive(Debug, Clone)]
struct Rotation {
    seed: u64,
    policy: PrekeyPolicy,
    events: Vec<Event>,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => Just(Event::Initiate),
        3 => (0..=8u8).prop_map(Event::Advance),
        2 => Just(Event::Rotate),
        2 => Just(Event::Prune),
        3 => any::<u8>().prop_map(Event::Deliver),
        1 => any::<u8>().prop_map(Event::Replay),
    ]
}

fn rotation() -> impl Strategy<Value = Rotation> {
    (
        any::<u64>(),
        small_policy(),
        0..=12u64,
        prop::collection::vec(event(), 1..=MAX_ROTATION_EVENTS),
    )
        .prop_map(|(seed, policy, grace, events)| Rotation {
            seed,
            policy: PrekeyPolicy {
                signed_prekey_grace: grace,
                ..policy
            },
            events,
        })
}

#[derive(Default)]
struct RotationStats {
    accepted_current: Cell<u64>,
    accepted_in_grace: Cell<u64>,
    accepted_two_rotations_back: Cell<u64>,
    refused_after_grace: Cell<u64>,
    pruned_at_boundary: Cell<u64>,
    kept_one_second_before_boundary: Cell<u64>,
    replay_refused_as_replay: Cell<u64>,
    replay_refused_after_prune: Cell<u64>,
    several_rotations: Cell<u64>,
}

/// The model of one signed prekey.
#[derive(Debug, Clone)]
struct SignedModel {
    id: u32,
    /// Rotation time plus grace, once replaced.
    retire_at: Option<u64>,
    pruned: bool,
    /// Rotations after this one (for statistics).
    generation: usize,
}

struct InFlight {
    index: usize,
    public: DeviceIdentityKey,
    session: Session,
    wire: Vec<u8>,
    plaintext: Vec<u8>,
    signed_prekey: u32,
    accepted: bool,
}

struct Rotating<'a> {
    config: HandshakeConfig,
    policy: PrekeyPolicy,
    store: InMemoryPrekeyStore,
    relay: PublishedPrekeys,
    rng: StdRng,
    now: u64,
    signed: Vec<SignedModel>,
    in_flight: Vec<InFlight>,
    delivered: Vec<InFlight>,
    initiators: usize,
    stats: &'a RotationStats,
}

impl<'a> Rotating<'a> {
    fn new(case: &Rotation, stats: &'a RotationStats) -> Result<Self, TestCaseError> {
        let (store, rng) = new_store(case.seed, case.policy);
        let relay = store
            .published()
            .ok_or_else(|| fail("nothing published".into()))?;
        let current = relay.signed_prekey;
        prop_assert_eq!(current.timestamp(), NOW);
        prop_assert_eq!(current.post_quantum(), case.policy.post_quantum);
        Ok(Self {
            config: HandshakeConfig::default(),
            policy: case.policy,
            store,
            relay,
            rng,
            now: NOW,
            signed: vec![SignedModel {
                id: current.id(),
                retire_at: None,
                pruned: false,
                generation: 0,
            }],
            in_flight: Vec::new(),
            delivered: Vec::new(),
            initiators: 0,
            stats,
        })
    }

    fn model(&self, id: u32) -> Result<&SignedModel, TestCaseError> {
        self.signed
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| fail(format!("signed prekey {id} unknown to the model")))
    }

    fn current(&self) -> u32 {
        self.signed.last().map_or(0, |s| s.id)
    }

    fn apply(&mut self, event: Event) -> TestCaseResult {
        match event {
            Event::Initiate => self.initiate(),
            Event::Advance(seconds) => {
                self.now += u64::from(seconds);
                Ok(())
            }
            Event::Rotate => self.rotate(),
            Event::Prune => self.prune(),
            Event::Deliver(i) => {
                if self.in_flight.is_empty() {
                    return Ok(());
                }
                let mut message = self.in_flight.remove(usize::from(i) % self.in_flight.len());
                self.deliver(&mut message, false)?;
                self.delivered.push(message);
                self.compare_with_model()
            }
            Event::Replay(i) => {
                if self.delivered.is_empty() {
                    return Ok(());
                }
                let index = usize::from(i) % self.delivered.len();
                let mut message = self.delivered.swap_remove(index);
                self.deliver(&mut message, true)?;
                self.delivered.push(message);
                self.compare_with_model()
            }
        }
    }

    fn initiate(&mut self) -> TestCaseResult {
        let index = self.initiators;
        self.initiators += 1;
        let identity = DeviceIdentity::generate(&mut self.rng);
        let (bundle, verified) = fetch(&mut self.relay)?;
        prop_assert_eq!(bundle.signed_prekey().id(), self.current());
        let text = plaintext("initiator", index, 2);
        let responder = self
            .store
            .identity()
            .map_err(|e| fail(format!("store: {e:?}")))?
            .public();
        let sent = initiate(
            &identity,
            &verified,
            &responder,
            &text,
            &self.config,
            &mut self.rng,
        )
        .map_err(|e| fail(format!("initiator {index}: {e:?}")))?;
        prop_assert_eq!(sent.message.signed_prekey_id(), self.current());
        self.in_flight.push(InFlight {
            index,
            public: identity.public(),
            session: sent.session,
            wire: sent.message.to_bytes(),
            plaintext: text,
            signed_prekey: bundle.signed_prekey().id(),
            accepted: false,
        });
        Ok(())
    }

    fn rotate(&mut self) -> TestCaseResult {
        self.store.rotate_signed_prekey(self.now, &mut self.rng);
        let current = *self
            .store
            .current_signed_prekey()
            .ok_or_else(|| fail("no current signed prekey".into()))?;
        prop_assert!(
            self.signed.iter().all(|s| s.id != current.id()),
            "rotation reused signed prekey id {}",
            current.id()
        );
        prop_assert_eq!(current.timestamp(), self.now);
        prop_assert_eq!(current.post_quantum(), self.policy.post_quantum);
        let retire_at = self.now + self.policy.signed_prekey_grace;
        for s in &mut self.signed {
            s.generation += 1;
        }
        if let Some(replaced) = self.signed.last_mut() {
            replaced.retire_at = Some(retire_at);
        }
        self.signed.push(SignedModel {
            id: current.id(),
            retire_at: None,
            pruned: false,
            generation: 0,
        });
        if self.signed.len() == 3 {
            bump(&self.stats.several_rotations);
        }
        // The device uploads the new signed prekey and the new last-resort ML-KEM prekey
        // (rotated with it, same grace period); the relay keeps the one-time lists.
        self.relay.signed_prekey = current;
        let published = self
            .store
            .published()
            .ok_or_else(|| fail("nothing published".into()))?;
        if self.policy.post_quantum == PostQuantum::Offered {
            prop_assert_ne!(
                published.kem_last_resort.as_ref().map(|k| k.id()),
                self.relay.kem_last_resort.as_ref().map(|k| k.id()),
                "the last-resort ML-KEM prekey was not rotated"
            );
        }
        self.relay.kem_last_resort = published.kem_last_resort;
        Ok(())
    }

    fn prune(&mut self) -> TestCaseResult {
        self.store.prune(self.now);
        let now = self.now;
        for s in &mut self.signed {
            match s.retire_at {
                Some(t) if t <= now && !s.pruned => {
                    s.pruned = true;
                    if t == now {
                        bump(&self.stats.pruned_at_boundary);
                    }
                }
                Some(t) if t == now + 1 => bump(&self.stats.kept_one_second_before_boundary),
                _ => {}
            }
        }
        self.compare_with_model()
    }

    /// The signed prekeys the store holds and its replay record count, against the model.
    fn compare_with_model(&self) -> TestCaseResult {
        for s in &self.signed {
            prop_assert_eq!(
                matches!(self.store.signed_prekey(s.id), Ok(Some(_))),
                !s.pruned,
                "signed prekey {} at {} (model {:?})",
                s.id,
                self.now - NOW,
                s
            );
        }
        prop_assert_eq!(
            self.store.current_signed_prekey().map(|s| s.id()),
            Some(self.current())
        );
        let mut seen = 0;
        for m in &self.delivered {
            if m.accepted && !self.model(m.signed_prekey)?.pruned {
                seen += 1;
            }
        }
        prop_assert_eq!(self.store.seen_count(), seen, "replay records");
        Ok(())
    }

    fn deliver(&mut self, message: &mut InFlight, replay: bool) -> TestCaseResult {
        let spk = self.model(message.signed_prekey)?.clone();
        let expected = if spk.pruned {
            refused(&HandshakeError::UnknownSignedPrekey(spk.id))
        } else if message.accepted {
            refused(&HandshakeError::Replayed)
        } else {
            Ok(())
        };
        let initial = decode_initial(&message.wire)?;
        let before = store_state(&self.store);
        let result = respond(&mut self.store, &initial, &message.public, &self.config);
        prop_assert_eq!(
            outcome(&result),
            expected,
            "initial message {} (replay: {}) under signed prekey {:?} at {} (current {})",
            message.index,
            replay,
            spk,
            self.now - NOW,
            self.current()
        );
        match result {
            Ok(mut response) => {
                prop_assert_eq!(&response.plaintext, &message.plaintext);
                prop_assert_eq!(response.initiator, message.public);
                let reply = response
                    .session
                    .encrypt(b"reply", &mut self.rng)
                    .map_err(|e| fail(format!("reply: {e:?}")))?;
                prop_assert_eq!(message.session.decrypt(&reply), Ok(b"reply".to_vec()));
                message.accepted = true;
                if spk.retire_at.is_none() {
                    bump(&self.stats.accepted_current);
                } else {
                    bump(&self.stats.accepted_in_grace);
                    if spk.generation >= 2 {
                        bump(&self.stats.accepted_two_rotations_back);
                    }
                }
            }
            Err(e) => {
                prop_assert_eq!(
                    store_state(&self.store),
                    before,
                    "refusal ({:?}) changed the store",
                    e
                );
                match (e, replay) {
                    (HandshakeError::Replayed, _) => bump(&self.stats.replay_refused_as_replay),
                    (_, true) if message.accepted => {
                        bump(&self.stats.replay_refused_after_prune);
                    }
                    (_, false) => bump(&self.stats.refused_after_grace),
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

fn run_rotation(case: &Rotation, stats: &RotationStats) -> TestCaseResult {
    let mut world = Rotating::new(case, stats)?;
    for &event in &case.events {
        world.apply(event)?;
    }
    while !world.in_flight.is_empty() {
        world.apply(Event::Deliver(0))?;
    }
    Ok(())
}

#[test]
fn signed_prekey_rotation() {
    let stats = RotationStats::default();
    let cases = check(rotation(), |case| run_rotation(&case, &stats));
    assert_exercised(
        cases,
        "accepted under the current signed prekey",
        &stats.accepted_current,
    );
    assert_exercised(
        cases,
        "accepted under a replaced signed prekey in its grace period",
        &stats.accepted_in_grace,
    );
    assert_exercised(
        cases,
        "accepted under a signed prekey replaced twice",
        &stats.accepted_two_rotations_back,
    );
    assert_exercised(
        cases,
        "refused after the grace period",
        &stats.refused_after_grace,
    );
    assert_exercised(
        cases,
        "pruned exactly at the end of the grace period",
        &stats.pruned_at_boundary,
    );
    assert_exercised(
        cases,
        "kept one second before the end of the grace period",
        &stats.kept_one_second_before_boundary,
    );
    assert_exercised(cases, "replay refused", &stats.replay_refused_as_replay);
    assert_exercised(
        cases,
        "replay refused as unknown after a prune",
        &stats.replay_refused_after_prune,
    );
    assert_exercised(cases, "several rotations", &stats.several_rotations);
}
