//! Targets `bundle_decode` and `initial_message`: the decoders of session setup, and a live
//! responder fed arbitrary initial messages.

use std::sync::OnceLock;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, HandshakeError, InMemoryPrekeyStore, InitialMessage,
    PostQuantum, PrekeyBundle, PrekeyPolicy, initiate, respond,
};

/// The responder's clock.
const NOW: u64 = 1_764_000_000;

/// Decodes `data` as a prekey bundle. An accepted bundle must re-encode to exactly `data`;
/// verifying it must return (not panic), and a verified bundle must set up a session whose
/// initial message decodes again. Returns whether `data` decoded.
pub fn bundle_decode(data: &[u8]) -> bool {
    let Ok(bundle) = PrekeyBundle::from_bytes(data) else {
        return false;
    };
    assert_eq!(
        bundle.to_bytes(),
        data,
        "bundle does not re-encode to its input"
    );
    if let Ok(verified) = bundle.verify() {
        let mut rng = StdRng::seed_from_u64(7);
        let alice = DeviceIdentity::generate(&mut rng);
        // Trust on first use: the fuzzed bundle's own identity is the expected one.
        let expected = *verified.bundle().identity();
        if let Ok(sent) = initiate(
            &alice,
            &verified,
            &expected,
            b"fuzz",
            &HandshakeConfig::default(),
            &mut rng,
        ) {
            let wire = sent.message.to_bytes();
            assert_eq!(
                InitialMessage::from_bytes(&wire).expect("own initial message"),
                sent.message
            );
        }
    }
    true
}

/// The seed of the responder's store; `fresh_store` rebuilds the same store from it.
const STORE_SEED: u64 = 0x5e7;

/// Bob's store before any message (post-quantum, two one-time prekeys, one one-time ML-KEM
/// prekey), built anew from [`STORE_SEED`]: the store is not `Clone` (a copy would hand out
/// its one-time prekeys twice), so every input gets its own identical store.
pub(super) fn fresh_store() -> InMemoryPrekeyStore {
    new_store(&mut StdRng::seed_from_u64(STORE_SEED))
}

fn new_store(rng: &mut StdRng) -> InMemoryPrekeyStore {
    let policy = PrekeyPolicy {
        post_quantum: PostQuantum::Offered,
        one_time_prekeys: 2,
        kem_one_time_prekeys: 1,
        ..PrekeyPolicy::default()
    };
    InMemoryPrekeyStore::new(DeviceIdentity::generate(rng), policy, NOW, rng)
}

/// The initial messages that are valid against `fresh_store`.
pub struct Responder {
    /// Valid initial messages: with a one-time prekey and the one-time ML-KEM prekey; with
    /// the second one-time prekey and the last-resort ML-KEM prekey; with neither.
    pub valid: Vec<(Vec<u8>, Vec<u8>)>,
    /// The bundles those messages were built from.
    pub bundles: Vec<Vec<u8>>,
}

/// The responder every input runs against, built once.
pub fn responder() -> &'static Responder {
    static RESPONDER: OnceLock<Responder> = OnceLock::new();
    RESPONDER.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(STORE_SEED);
        let store = new_store(&mut rng);
        let mut published = store.published().expect("a signed prekey");
        let mut valid = Vec::new();
        let mut bundles = Vec::new();
        for i in 0..3u8 {
            let bundle = published.take_bundle();
            bundles.push(bundle.to_bytes());
            let verified = bundle.verify().expect("own bundle");
            let alice = DeviceIdentity::generate(&mut rng);
            let plaintext = vec![i; 10 + usize::from(i)];
            let sent = initiate(
                &alice,
                &verified,
                verified.bundle().identity(),
                &plaintext,
                &HandshakeConfig::default(),
                &mut rng,
            )
            .expect("initiate");
            valid.push((sent.message.to_bytes(), plaintext));
        }
        Responder { valid, bundles }
    })
}

/// What must not change when `respond` refuses a message.
fn store_state(store: &InMemoryPrekeyStore) -> (usize, usize, usize) {
    (
        store.one_time_prekey_count(),
        store.kem_one_time_prekey_count(),
        store.seen_count(),
    )
}

/// Decodes `data` as an initial message and responds to it with a `fresh_store`. Only one of the valid messages may be accepted, with its plaintext,
/// and a second delivery must then be refused as a replay; any refusal must leave the store
/// unchanged. Returns whether the message was accepted.
pub fn initial_message(data: &[u8]) -> bool {
    let responder = responder();
    let Ok(message) = InitialMessage::from_bytes(data) else {
        return false;
    };
    assert_eq!(
        message.to_bytes(),
        data,
        "initial message does not re-encode to its input"
    );
    let mut store = fresh_store();
    let before = store_state(&store);
    let config = HandshakeConfig::default();
    // Trust on first use: the message's own initiator is the expected one, so a fuzzed
    // identity reaches the key agreement and the AD instead of stopping at HS-11.
    let expected = *message.initiator();
    match respond(&mut store, &message, &expected, &config) {
        Ok(got) => {
            let (_, plaintext) = responder
                .valid
                .iter()
                .find(|(bytes, _)| bytes.as_slice() == data)
                .expect("an initial message that was never sent was accepted");
            assert_eq!(&got.plaintext, plaintext);
            let after = store_state(&store);
            assert_eq!(after.2, before.2 + 1, "the replay record did not grow");
            assert!(matches!(
                respond(&mut store, &message, &expected, &config),
                Err(HandshakeError::Replayed)
            ));
            assert_eq!(
                store_state(&store),
                after,
                "a refused replay changed the store"
            );
            true
        }
        Err(_) => {
            assert_eq!(
                store_state(&store),
                before,
                "a refused message changed the store"
            );
            false
        }
    }
}
