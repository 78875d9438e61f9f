//! Property 2: one-time prekey exhaustion and replenishment (7.6, 7.7).

use super::*;

// ---------------------------------------------------------------------------------------------
// 2. One-time prekey exhaustion and replenishment (7.6, 7.7).
// ---------------------------------------------------------------------------------------------

/// Indices are taken modulo the list they refer to.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// Deliver the i-th pending initial message.
    Deliver(u8),
    /// Deliver the i-th delivered initial message again.
    Replay(u8),
}

#[derive(Debug, Clone)]
struct Exhaustion {
    seed: u64,
    post_quantum: PostQuantum,
    /// N: one-time X25519 prekeys.
    one_time: u32,
    /// M: one-time ML-KEM prekeys (none are made without post-quantum).
    kem_one_time: u32,
    /// K: initiators, 1 to N + M + 3.
    initiators: usize,
    arrivals: Vec<Arrival>,
}

fn exhaustion() -> impl Strategy<Value = Exhaustion> {
    (any::<u64>(), post_quantum(), 0..=4u32, 0..=4u32)
        .prop_flat_map(|(seed, post_quantum, n, m)| {
            let max = (n + m + 3) as usize;
            let arrival = prop_oneof![
                3 => any::<u8>().prop_map(Arrival::Deliver),
                1 => any::<u8>().prop_map(Arrival::Replay),
            ];
            (
                Just((seed, post_quantum, n, m)),
                1..=max,
                prop::collection::vec(arrival, 0..=2 * max),
            )
        })
        .prop_map(
            |((seed, post_quantum, one_time, kem_one_time), initiators, arrivals)| Exhaustion {
                seed,
                post_quantum,
                one_time,
                kem_one_time,
                initiators,
                arrivals,
            },
        )
}

#[derive(Default)]
struct ExhaustionStats {
    bundle_without_one_time: Cell<u64>,
    bundle_with_last_resort: Cell<u64>,
    both_exhausted: Cell<u64>,
    x3dh: Cell<u64>,
    out_of_order: Cell<u64>,
    replays_refused: Cell<u64>,
    replenished_after_exhaustion: Cell<u64>,
}

struct Initiator {
    index: usize,
    public: DeviceIdentityKey,
    session: Session,
    wire: Vec<u8>,
    plaintext: Vec<u8>,
    one_time: Option<u32>,
    kem: Option<(KemPrekeyKind, u32)>,
}

/// The `i`-th smallest element of a set.
fn nth(set: &BTreeSet<u32>, i: usize) -> Option<u32> {
    set.iter().nth(i).copied()
}

struct Responder<'a> {
    config: HandshakeConfig,
    post_quantum: PostQuantum,
    store: InMemoryPrekeyStore,
    rng: StdRng,
    last_resort: Option<u32>,
    stats: &'a ExhaustionStats,
}

impl Responder<'_> {
    /// An initiator fetches a bundle and builds its initial message.
    fn initiator(
        &mut self,
        index: usize,
        relay: &mut PublishedPrekeys,
        expected_one_time: Option<u32>,
        expected_kem: Option<(KemPrekeyKind, u32)>,
    ) -> Result<Initiator, TestCaseError> {
        let identity = DeviceIdentity::generate(&mut self.rng);
        let (bundle, verified) = fetch(relay)?;
        prop_assert_eq!(
            bundle.one_time_prekey().map(|k| k.id()),
            expected_one_time,
            "one-time prekey of bundle {}",
            index
        );
        prop_assert_eq!(
            bundle.kem_prekey().map(|k| (k.kind(), k.id())),
            expected_kem,
            "ML-KEM prekey of bundle {}",
            index
        );
        if expected_one_time.is_none() {
            bump(&self.stats.bundle_without_one_time);
        }
        if matches!(expected_kem, Some((KemPrekeyKind::LastResort, _))) {
            bump(&self.stats.bundle_with_last_resort);
            if expected_one_time.is_none() {
                bump(&self.stats.both_exhausted);
            }
        }
        let text = plaintext("initiator", index, 4);
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
        prop_assert_eq!(sent.mode, mode_for(self.post_quantum));
        if sent.mode == Mode::X3dh {
            bump(&self.stats.x3dh);
        }
        prop_assert_eq!(sent.message.one_time_prekey_id(), expected_one_time);
        prop_assert_eq!(sent.message.kem().map(|k| (k.kind(), k.id())), expected_kem);
        Ok(Initiator {
            index,
            public: identity.public(),
            session: sent.session,
            wire: sent.message.to_bytes(),
            plaintext: text,
            one_time: expected_one_time,
            kem: expected_kem,
        })
    }

    /// A first delivery: accepted, and exactly its one-time prekeys are used up.
    fn accept(&mut self, initiator: &mut Initiator) -> TestCaseResult {
        let message = decode_initial(&initiator.wire)?;
        let (one_time, kem, seen) = (
            self.store.one_time_prekey_count(),
            self.store.kem_one_time_prekey_count(),
            self.store.seen_count(),
        );
        let mut response = respond(&mut self.store, &message, &initiator.public, &self.config)
            .map_err(|e| fail(format!("initial message {}: {e:?}", initiator.index)))?;
        prop_assert_eq!(&response.plaintext, &initiator.plaintext);
        prop_assert_eq!(response.initiator, initiator.public);
        prop_assert_eq!(response.mode, mode_for(self.post_quantum));
        let used_kem_one_time = matches!(initiator.kem, Some((KemPrekeyKind::OneTime, _)));
        prop_assert_eq!(
            self.store.one_time_prekey_count(),
            one_time - usize::from(initiator.one_time.is_some()),
            "one-time prekey count after message {}",
            initiator.index
        );
        prop_assert_eq!(
            self.store.kem_one_time_prekey_count(),
            kem - usize::from(used_kem_one_time),
            "one-time ML-KEM prekey count after message {}",
            initiator.index
        );
        prop_assert_eq!(self.store.seen_count(), seen + 1);
        if let Some(id) = initiator.one_time {
            prop_assert!(matches!(self.store.one_time_prekey(id), Ok(None)));
        }
        if let Some((kind, id)) = initiator.kem {
            prop_assert_eq!(
                self.store.kem_prekey(kind, id).is_some(),
                kind == KemPrekeyKind::LastResort,
                "ML-KEM prekey {:?} {} after use",
                kind,
                id
            );
        }
        // The sessions are peers.
        let reply = response
            .session
            .encrypt(b"reply", &mut self.rng)
            .map_err(|e| fail(format!("reply: {e:?}")))?;
        prop_assert_eq!(initiator.session.decrypt(&reply), Ok(b"reply".to_vec()));
        Ok(())
    }

    /// A second delivery: refused as a replay, store unchanged.
    fn refuse_replay(&mut self, initiator: &Initiator) -> TestCaseResult {
        let message = decode_initial(&initiator.wire)?;
        let before = store_state(&self.store);
        let result = respond(&mut self.store, &message, &initiator.public, &self.config);
        prop_assert_eq!(
            outcome(&result),
            refused(&HandshakeError::Replayed),
            "replay of initial message {}",
            initiator.index
        );
        prop_assert_eq!(
            store_state(&self.store),
            before,
            "refused replay changed the store"
        );
        bump(&self.stats.replays_refused);
        Ok(())
    }
}

fn run_exhaustion(case: &Exhaustion, stats: &ExhaustionStats) -> TestCaseResult {
    let n = case.one_time as usize;
    let m = match case.post_quantum {
        PostQuantum::Offered => case.kem_one_time as usize,
        PostQuantum::Absent => 0,
    };
    let policy = PrekeyPolicy {
        post_quantum: case.post_quantum,
        one_time_prekeys: case.one_time,
        kem_one_time_prekeys: case.kem_one_time,
        ..PrekeyPolicy::default()
    };
    let (store, rng) = new_store(case.seed, policy);
    let mut relay = store
        .published()
        .ok_or_else(|| fail("nothing published".into()))?;
    let mut responder = Responder {
        config: HandshakeConfig::default(),
        post_quantum: case.post_quantum,
        store,
        rng,
        last_resort: relay.kem_last_resort.as_ref().map(|k| k.id()),
        stats,
    };
    prop_assert_eq!(
        responder.last_resort.is_some(),
        case.post_quantum == PostQuantum::Offered
    );
    prop_assert_eq!(responder.store.one_time_prekey_count(), n);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m);
    let mut one_time_ids: BTreeSet<u32> = relay.one_time.iter().map(|k| k.id()).collect();
    let mut kem_ids: BTreeSet<u32> = relay.kem_one_time.iter().map(|k| k.id()).collect();
    prop_assert_eq!(one_time_ids.len(), n);
    prop_assert_eq!(kem_ids.len(), m);

    // K initiators take bundles: one-time prekeys in id order, then none / the last resort.
    let mut pending = Vec::with_capacity(case.initiators);
    for k in 0..case.initiators {
        let expected_one_time = nth(&one_time_ids, k);
        let expected_kem = match nth(&kem_ids, k) {
            Some(id) => Some((KemPrekeyKind::OneTime, id)),
            None => responder
                .last_resort
                .map(|id| (KemPrekeyKind::LastResort, id)),
        };
        pending.push(responder.initiator(k, &mut relay, expected_one_time, expected_kem)?);
    }
    // Handing out bundles does not touch the device's store.
    prop_assert_eq!(responder.store.one_time_prekey_count(), n);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m);

    // Deliveries in random order, some twice; then the rest.
    let mut delivered: Vec<Initiator> = Vec::new();
    let arrivals = case
        .arrivals
        .iter()
        .copied()
        .chain(std::iter::repeat_n(Arrival::Deliver(0), case.initiators));
    for arrival in arrivals {
        match arrival {
            Arrival::Deliver(i) => {
                if pending.is_empty() {
                    continue;
                }
                let mut initiator = pending.remove(usize::from(i) % pending.len());
                if delivered.iter().any(|d| d.index > initiator.index) {
                    bump(&stats.out_of_order);
                }
                responder.accept(&mut initiator)?;
                delivered.push(initiator);
            }
            Arrival::Replay(i) => {
                if !delivered.is_empty() {
                    responder.refuse_replay(&delivered[usize::from(i) % delivered.len()])?;
                }
            }
        }
    }
    prop_assert!(pending.is_empty());
    let used_one_time = case.initiators.min(n);
    let used_kem = case.initiators.min(m);
    prop_assert_eq!(responder.store.one_time_prekey_count(), n - used_one_time);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m - used_kem);

    // Replenish and upload: the counts are back, with fresh ids.
    let before_ids: BTreeSet<u32> = one_time_ids.iter().chain(&kem_ids).copied().collect();
    let (new_one_time, new_kem) = responder.store.replenish(&mut responder.rng);
    prop_assert_eq!(new_one_time.len(), used_one_time);
    prop_assert_eq!(new_kem.len(), used_kem);
    prop_assert_eq!(responder.store.one_time_prekey_count(), n);
    prop_assert_eq!(responder.store.kem_one_time_prekey_count(), m);
    let fresh: BTreeSet<u32> = new_one_time
        .iter()
        .map(|k| k.id())
        .chain(new_kem.iter().map(|k| k.id()))
        .collect();
    prop_assert_eq!(fresh.len(), used_one_time + used_kem, "duplicate new ids");
    prop_assert!(
        fresh.is_disjoint(&before_ids)
            && responder.last_resort.is_none_or(|id| !fresh.contains(&id)),
        "replenish reused an id"
    );
    relay.one_time.extend(new_one_time);
    relay.kem_one_time.extend(new_kem);
    one_time_ids = relay.one_time.iter().map(|k| k.id()).collect();
    kem_ids = relay.kem_one_time.iter().map(|k| k.id()).collect();
    // What the relay holds is exactly what the device holds unused.
    let published = responder
        .store
        .published()
        .ok_or_else(|| fail("nothing published".into()))?;
    prop_assert_eq!(
        published
            .one_time
            .iter()
            .map(|k| k.id())
            .collect::<BTreeSet<_>>(),
        one_time_ids.clone()
    );
    prop_assert_eq!(
        published
            .kem_one_time
            .iter()
            .map(|k| k.id())
            .collect::<BTreeSet<_>>(),
        kem_ids.clone()
    );

    // The next bundle carries one-time prekeys again and is accepted.
    let expected_one_time = nth(&one_time_ids, 0);
    let expected_kem = match nth(&kem_ids, 0) {
        Some(id) => Some((KemPrekeyKind::OneTime, id)),
        None => responder
            .last_resort
            .map(|id| (KemPrekeyKind::LastResort, id)),
    };
    prop_assert_eq!(expected_one_time.is_some(), n > 0);
    prop_assert_eq!(
        matches!(expected_kem, Some((KemPrekeyKind::OneTime, _))),
        m > 0
    );
    let mut last =
        responder.initiator(case.initiators, &mut relay, expected_one_time, expected_kem)?;
    responder.accept(&mut last)?;
    if case.initiators >= n.max(m) && n + m > 0 {
        bump(&stats.replenished_after_exhaustion);
    }
    responder.refuse_replay(&last)
}

#[test]
fn prekey_exhaustion() {
    let stats = ExhaustionStats::default();
    let cases = check(exhaustion(), |case| run_exhaustion(&case, &stats));
    assert_exercised(
        cases,
        "bundle without a one-time prekey",
        &stats.bundle_without_one_time,
    );
    assert_exercised(
        cases,
        "bundle with the last-resort ML-KEM prekey",
        &stats.bundle_with_last_resort,
    );
    assert_exercised(
        cases,
        "bundle with neither one-time prekey (PQXDH)",
        &stats.both_exhausted,
    );
    assert_exercised(cases, "X3DH", &stats.x3dh);
    assert_exercised(cases, "out-of-order delivery", &stats.out_of_order);
    assert_exercised(cases, "refused replay", &stats.replays_refused);
    assert_exercised(
        cases,
        "replenishment after exhaustion",
        &stats.replenished_after_exhaustion,
    );
}
