//! Property 1: simultaneous initiation (docs/protocol.md 7.8).

use super::*;

// ---------------------------------------------------------------------------------------------
// 1. Simultaneous initiation (7.8).
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    A,
    B,
}

impl Party {
    const fn index(self) -> usize {
        match self {
            Self::A => 0,
            Self::B => 1,
        }
    }

    const fn peer(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }
}

/// Which of a device's two sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    /// The session the device initiated.
    Initiated,
    /// The session it accepted from its peer's initial message.
    Accepted,
}

impl Lane {
    const fn other(self) -> Self {
        match self {
            Self::Initiated => Self::Accepted,
            Self::Accepted => Self::Initiated,
        }
    }
}

/// One step of the conversation. Indices are taken modulo the list they refer to.
#[derive(Debug, Clone)]
enum Talk {
    /// A ratchet message of `len` extra bytes (ignored after [`MAX_MESSAGES`]).
    Send { from: Party, len: u8 },
    /// Deliver the i-th in-flight message among those the receiver can take.
    Deliver(u8),
    /// Deliver the i-th delivered message again.
    Replay(u8),
}

#[derive(Debug, Clone)]
struct Simultaneous {
    seed: u64,
    policies: [PrekeyPolicy; 2],
    header_encrypted: bool,
    steps: Vec<Talk>,
}

fn talk() -> impl Strategy<Value = Talk> {
    prop_oneof![
        3 => (0..=8u8).prop_map(|len| Talk::Send { from: Party::A, len }),
        3 => (0..=8u8).prop_map(|len| Talk::Send { from: Party::B, len }),
        5 => any::<u8>().prop_map(Talk::Deliver),
        1 => any::<u8>().prop_map(Talk::Replay),
    ]
}

fn simultaneous() -> impl Strategy<Value = Simultaneous> {
    (
        any::<u64>(),
        small_policy(),
        small_policy(),
        any::<bool>(),
        prop::collection::vec(talk(), 0..=MAX_TALK_STEPS),
    )
        .prop_map(|(seed, a, b, header_encrypted, steps)| Simultaneous {
            seed,
            policies: [a, b],
            header_encrypted,
            steps,
        })
}

#[derive(Default)]
struct SimultaneousStats {
    a_keeps_own: Cell<u64>,
    b_keeps_own: Cell<u64>,
    b_initial_first: Cell<u64>,
    mixed_modes: Cell<u64>,
    in_flight_on_discarded: Cell<u64>,
    discarded_after_kept_traffic: Cell<u64>,
    kept_reordered: Cell<u64>,
    replays_refused: Cell<u64>,
    initial_replays_refused: Cell<u64>,
    header_encrypted: Cell<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    /// The initial message (the first message of the sender's initiated session).
    Initial,
    /// A ratchet message on the sender's session of this lane.
    Ratchet(Lane),
}

#[derive(Debug, Clone)]
struct Packet {
    id: usize,
    from: Party,
    payload: Payload,
    wire: Vec<u8>,
    plaintext: Vec<u8>,
}

struct Device {
    store: InMemoryPrekeyStore,
    public: DeviceIdentityKey,
    rng: StdRng,
    initiated: Session,
    accepted: Option<Session>,
    /// The tie-break's answer for this device.
    keeps_own: bool,
    /// Ids of the messages on the kept sessions this device decrypted.
    kept_decrypted: Vec<usize>,
}

impl Device {
    const fn kept_lane(&self) -> Lane {
        if self.keeps_own {
            Lane::Initiated
        } else {
            Lane::Accepted
        }
    }

    fn session(&mut self, lane: Lane) -> Option<&mut Session> {
        match lane {
            Lane::Initiated => Some(&mut self.initiated),
            Lane::Accepted => self.accepted.as_mut(),
        }
    }
}

struct Pair<'a> {
    config: HandshakeConfig,
    policies: [PrekeyPolicy; 2],
    devices: [Device; 2],
    in_flight: Vec<Packet>,
    delivered: Vec<Packet>,
    decrypted: HashSet<usize>,
    messages: usize,
    next_id: usize,
    flush_rng: StdRng,
    stats: &'a SimultaneousStats,
}

impl<'a> Pair<'a> {
    fn new(case: &Simultaneous, stats: &'a SimultaneousStats) -> Result<Self, TestCaseError> {
        let config = HandshakeConfig {
            session: if case.header_encrypted {
                SessionConfig::header_encrypted()
            } else {
                SessionConfig::default()
            },
            require_post_quantum: false,
        };
        let (store_a, mut rng_a) = new_store(case.seed ^ 0xa000_0000_0000_0001, case.policies[0]);
        let (store_b, mut rng_b) = new_store(case.seed ^ 0xb000_0000_0000_0002, case.policies[1]);
        let identity_a = store_a
            .identity()
            .map_err(|e| fail(format!("A's store: {e:?}")))?;
        let identity_b = store_b
            .identity()
            .map_err(|e| fail(format!("B's store: {e:?}")))?;
        let (public_a, public_b) = (identity_a.public(), identity_b.public());
        let mut relay_a = store_a
            .published()
            .ok_or_else(|| fail("A publishes nothing".into()))?;
        let mut relay_b = store_b
            .published()
            .ok_or_else(|| fail("B publishes nothing".into()))?;
        // Both fetch the other's bundle before either initial message arrives.
        let (_, bundle_of_b) = fetch(&mut relay_b)?;
        let (_, bundle_of_a) = fetch(&mut relay_a)?;
        let first = [plaintext("A", 0, 0), plaintext("B", 1, 0)];
        let from_a = initiate(
            &identity_a,
            &bundle_of_b,
            &public_b,
            &first[0],
            &config,
            &mut rng_a,
        )
        .map_err(|e| fail(format!("A initiates: {e:?}")))?;
        let from_b = initiate(
            &identity_b,
            &bundle_of_a,
            &public_a,
            &first[1],
            &config,
            &mut rng_b,
        )
        .map_err(|e| fail(format!("B initiates: {e:?}")))?;
        prop_assert_eq!(from_a.mode, mode_for(case.policies[1].post_quantum));
        prop_assert_eq!(from_b.mode, mode_for(case.policies[0].post_quantum));
        if from_a.mode != from_b.mode {
            bump(&stats.mixed_modes);
        }
        if case.header_encrypted {
            bump(&stats.header_encrypted);
        }

        // The tie-break, computed by each device on its own (7.8).
        let a_keeps_own = keep_own_initiation(&public_a, &public_b);
        let b_keeps_own = keep_own_initiation(&public_b, &public_a);
        prop_assert!(
            a_keeps_own != b_keeps_own,
            "tie-break not complementary: A keeps its own initiation: {}, B keeps its own: {}",
            a_keeps_own,
            b_keeps_own
        );
        bump(if a_keeps_own {
            &stats.a_keeps_own
        } else {
            &stats.b_keeps_own
        });

        let in_flight = vec![
            Packet {
                id: 0,
                from: Party::A,
                payload: Payload::Initial,
                wire: from_a.message.to_bytes(),
                plaintext: first[0].clone(),
            },
            Packet {
                id: 1,
                from: Party::B,
                payload: Payload::Initial,
                wire: from_b.message.to_bytes(),
                plaintext: first[1].clone(),
            },
        ];
        let device = |store, public, rng, initiated, keeps_own| Device {
            store,
            public,
            rng,
            initiated,
            accepted: None,
            keeps_own,
            kept_decrypted: Vec::new(),
        };
        Ok(Self {
            config,
            policies: case.policies,
            devices: [
                device(store_a, public_a, rng_a, from_a.session, a_keeps_own),
                device(store_b, public_b, rng_b, from_b.session, b_keeps_own),
            ],
            in_flight,
            delivered: Vec::new(),
            decrypted: HashSet::new(),
            messages: 0,
            next_id: 2,
            flush_rng: StdRng::seed_from_u64(case.seed ^ 0xf100_0000_0000_0003),
            stats,
        })
    }

    fn apply(&mut self, step: &Talk) -> TestCaseResult {
        match *step {
            Talk::Send { from, len } => self.send(from, len),
            Talk::Deliver(i) => {
                let ready = self.deliverable();
                if ready.is_empty() {
                    return Ok(());
                }
                let packet = self.in_flight.remove(ready[usize::from(i) % ready.len()]);
                self.deliver(&packet, false)?;
                self.delivered.push(packet);
                Ok(())
            }
            Talk::Replay(i) => {
                if self.delivered.is_empty() {
                    return Ok(());
                }
                let packet = self.delivered[usize::from(i) % self.delivered.len()].clone();
                self.deliver(&packet, true)
            }
        }
    }

    fn send(&mut self, from: Party, len: u8) -> TestCaseResult {
        if self.messages >= MAX_MESSAGES {
            return Ok(());
        }
        let id = self.next_id;
        let plaintext = plaintext(if from == Party::A { "A" } else { "B" }, id, len);
        let device = &mut self.devices[from.index()];
        // Before its peer's initial message arrives a device knows of one session only.
        let lane = if device.accepted.is_some() {
            device.kept_lane()
        } else {
            Lane::Initiated
        };
        let Device {
            initiated,
            accepted,
            rng,
            ..
        } = device;
        let session = match lane {
            Lane::Initiated => initiated,
            Lane::Accepted => accepted
                .as_mut()
                .ok_or_else(|| fail("no accepted session".into()))?,
        };
        let message = session
            .encrypt(&plaintext, rng)
            .map_err(|e| fail(format!("{from:?} sends on {lane:?}: {e:?}")))?;
        self.in_flight.push(Packet {
            id,
            from,
            payload: Payload::Ratchet(lane),
            wire: message.into_bytes(),
            plaintext,
        });
        self.next_id += 1;
        self.messages += 1;
        Ok(())
    }

    /// The receiver's session for a ratchet message: messages on the sender's kept session go
    /// to the receiver's kept session, the others to the session it keeps for receiving.
    fn receiving_lane(&self, from: Party, lane: Lane) -> Lane {
        let sender = &self.devices[from.index()];
        let receiver = &self.devices[from.peer().index()];
        if lane == sender.kept_lane() {
            receiver.kept_lane()
        } else {
            receiver.kept_lane().other()
        }
    }

    /// Indices of the in-flight packets the receiver can take now: initial messages always,
    /// ratchet messages once the receiver holds the session they go to (until then a client
    /// would keep them back, or the sender would attach its initial message).
    fn deliverable(&self) -> Vec<usize> {
        (0..self.in_flight.len())
            .filter(|&i| {
                let packet = &self.in_flight[i];
                match packet.payload {
                    Payload::Initial => true,
                    Payload::Ratchet(lane) => {
                        self.receiving_lane(packet.from, lane) == Lane::Initiated
                            || self.devices[packet.from.peer().index()].accepted.is_some()
                    }
                }
            })
            .collect()
    }

    fn deliver(&mut self, packet: &Packet, replay: bool) -> TestCaseResult {
        match packet.payload {
            Payload::Initial => self.deliver_initial(packet, replay),
            Payload::Ratchet(lane) => self.deliver_ratchet(packet, lane, replay),
        }
    }

    fn deliver_initial(&mut self, packet: &Packet, replay: bool) -> TestCaseResult {
        let to = packet.from.peer();
        let sender_public = self.devices[packet.from.index()].public;
        let sender_policy = self.policies[to.index()];
        let message = decode_initial(&packet.wire)?;
        let receiver = &mut self.devices[to.index()];
        let before = store_state(&receiver.store);
        let result = respond(&mut receiver.store, &message, &sender_public, &self.config);
        if replay {
            prop_assert_eq!(
                outcome(&result),
                refused(&HandshakeError::Replayed),
                "{:?}'s initial message replayed to {:?}",
                packet.from,
                to
            );
            prop_assert_eq!(
                store_state(&receiver.store),
                before,
                "refused replay changed the store"
            );
            bump(&self.stats.initial_replays_refused);
            return Ok(());
        }
        let response =
            result.map_err(|e| fail(format!("{to:?} accepts {:?}: {e:?}", packet.from)))?;
        prop_assert_eq!(&response.plaintext, &packet.plaintext);
        prop_assert_eq!(response.initiator, sender_public);
        prop_assert_eq!(response.mode, mode_for(sender_policy.post_quantum));
        prop_assert!(receiver.accepted.is_none(), "{:?} accepted twice", to);
        receiver.accepted = Some(response.session);
        if packet.from == Party::B && self.devices[1].accepted.is_none() {
            bump(&self.stats.b_initial_first);
        }
        Ok(())
    }

    fn deliver_ratchet(&mut self, packet: &Packet, lane: Lane, replay: bool) -> TestCaseResult {
        let to = packet.from.peer();
        let receiving = self.receiving_lane(packet.from, lane);
        let message = Message::from_bytes(&packet.wire)
            .map_err(|e| fail(format!("message does not decode: {e:?}")))?;
        let receiver = &mut self.devices[to.index()];
        let on_kept = receiving == receiver.kept_lane();
        let session = receiver.session(receiving).ok_or_else(|| {
            fail(format!(
                "{to:?} has no {receiving:?} session for message {}",
                packet.id
            ))
        })?;
        let result = session.decrypt(&message);
        if replay {
            prop_assert!(
                matches!(
                    result,
                    Err(DecryptError::Duplicate | DecryptError::Authentication)
                ),
                "{:?} decrypted message {} a second time: {:?}",
                to,
                packet.id,
                result
            );
            bump(&self.stats.replays_refused);
            return Ok(());
        }
        prop_assert_eq!(
            result,
            Ok(packet.plaintext.clone()),
            "{:?} receiving message {} sent on {:?}'s {:?} session with its {:?} session",
            to,
            packet.id,
            packet.from,
            lane,
            receiving
        );
        prop_assert!(
            self.decrypted.insert(packet.id),
            "message {} decrypted twice",
            packet.id
        );
        if on_kept {
            if receiver.kept_decrypted.iter().any(|&id| id > packet.id) {
                bump(&self.stats.kept_reordered);
            }
            receiver.kept_decrypted.push(packet.id);
        } else {
            bump(&self.stats.in_flight_on_discarded);
            if !receiver.kept_decrypted.is_empty() {
                bump(&self.stats.discarded_after_kept_traffic);
            }
        }
        Ok(())
    }

    /// Delivers everything still in flight, in random order.
    fn flush(&mut self) -> TestCaseResult {
        while !self.in_flight.is_empty() {
            let ready = self.deliverable();
            prop_assert!(!ready.is_empty(), "messages stuck in flight");
            let packet = self
                .in_flight
                .remove(ready[self.flush_rng.random_range(0..ready.len())]);
            self.deliver(&packet, false)?;
            self.delivered.push(packet);
        }
        prop_assert_eq!(
            self.decrypted.len(),
            self.messages,
            "not every message decrypted"
        );
        Ok(())
    }

    /// One more message each way on the kept sessions.
    fn kept_round_trip(&mut self) -> TestCaseResult {
        for from in [Party::A, Party::B] {
            let id = self.next_id;
            self.next_id += 1;
            let text = plaintext("final", id, 3);
            let [a, b] = &mut self.devices;
            let (sender, receiver) = match from {
                Party::A => (a, b),
                Party::B => (b, a),
            };
            let (send_lane, receive_lane) = (sender.kept_lane(), receiver.kept_lane());
            let Device {
                initiated,
                accepted,
                rng,
                ..
            } = sender;
            let session = match send_lane {
                Lane::Initiated => initiated,
                Lane::Accepted => accepted
                    .as_mut()
                    .ok_or_else(|| fail("no accepted session".into()))?,
            };
            let message = session
                .encrypt(&text, rng)
                .map_err(|e| fail(format!("{from:?} sends on its kept session: {e:?}")))?;
            let session = receiver
                .session(receive_lane)
                .ok_or_else(|| fail("no kept session".into()))?;
            prop_assert_eq!(
                session.decrypt(&message),
                Ok(text),
                "kept sessions are not peers ({:?} sending)",
                from
            );
        }
        Ok(())
    }
}

fn run_simultaneous(case: &Simultaneous, stats: &SimultaneousStats) -> TestCaseResult {
    let mut pair = Pair::new(case, stats)?;
    for step in &case.steps {
        pair.apply(step)?;
    }
    pair.flush()?;
    pair.kept_round_trip()
}

#[test]
fn simultaneous_initiation() {
    let stats = SimultaneousStats::default();
    let cases = check(simultaneous(), |case| run_simultaneous(&case, &stats));
    assert_exercised(cases, "A's initiation kept", &stats.a_keeps_own);
    assert_exercised(cases, "B's initiation kept", &stats.b_keeps_own);
    assert_exercised(cases, "B's initial message first", &stats.b_initial_first);
    assert_exercised(cases, "X3DH one way, PQXDH the other", &stats.mixed_modes);
    assert_exercised(
        cases,
        "in-flight message on a discarded session",
        &stats.in_flight_on_discarded,
    );
    assert_exercised(
        cases,
        "discarded-session message after kept-session traffic",
        &stats.discarded_after_kept_traffic,
    );
    assert_exercised(
        cases,
        "reordering on the kept sessions",
        &stats.kept_reordered,
    );
    assert_exercised(cases, "refused ratchet replay", &stats.replays_refused);
    assert_exercised(
        cases,
        "refused initial message replay",
        &stats.initial_replays_refused,
    );
    assert_exercised(cases, "header-encrypted sessions", &stats.header_encrypted);
}
