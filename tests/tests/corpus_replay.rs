//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the same functions the
//! cargo-fuzz targets call (`sotto_tests::fuzz_targets`), and generates its seeds.
//!
//! A missing or empty corpus directory fails, and so does a corpus whose seeds no longer reach
//! past the first checks (for example after a wire or pickle format change): regenerate it
//! with
//!
//! ```text
//! SOTTO_WRITE_CORPUS=1 cargo test -p sotto-tests --test corpus_replay generate_seed_corpus
//! ```
//!
//! Generated seeds are named `seed-*`; the generator replaces those and leaves every other
//! file (units found by the fuzzer, regression inputs) alone.

// clippy.toml allows these inside #[test] functions only; the helpers below are test code too.
#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::{Message, PickleKey, Session, SessionConfig, SessionSecret};
use sotto_tests::fuzz_targets::{
    self, Op, Party, Profile, encode_ops, known_messages, pickle_key, snapshot,
};

const TARGETS: [&str; 18] = [
    "bundle_decode",
    "certificate_decode",
    "device_list",
    "fan_out",
    "multi_device",
    "initial_message",
    "message_decode",
    "pickle_decode",
    "decrypt_bytes",
    "two_party",
    "safety_number",
    "link_code",
    "unpad",
    "sealed_open",
    "multi_split",
    "access_decode",
    "relay_request",
    "client_content",
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

/// Every file of a target's corpus, sorted by name; fails if there are none.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let entries = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("corpus directory {} is missing: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| {
            let path = entry.expect("read_dir").path();
            let name = path
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read(&path).expect("read corpus file"))
        })
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "corpus directory {} is empty",
        dir.display()
    );
    files
}

/// Runs `body` on every file of `target`'s corpus and returns how many it accepted.
fn replay(target: &str, mut body: impl FnMut(&[u8]) -> bool) -> usize {
    let mut accepted = 0;
    for (name, data) in corpus(target) {
        // Printed before the run, so a failing input is named in the test output.
        eprintln!("{target}: {name} ({} bytes)", data.len());
        accepted += usize::from(body(&data));
    }
    accepted
}

const STALE: &str = "the seed corpus is stale: regenerate it with \
    SOTTO_WRITE_CORPUS=1 cargo test -p sotto-tests --test corpus_replay generate_seed_corpus";

#[test]
fn message_decode_corpus() {
    let accepted = replay("message_decode", fuzz_targets::message_decode);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn pickle_decode_corpus() {
    let accepted = replay("pickle_decode", fuzz_targets::pickle_decode);
    assert!(accepted > 0, "no seed is a valid pickle; {STALE}");
}

#[test]
fn decrypt_bytes_corpus() {
    let accepted = replay("decrypt_bytes", fuzz_targets::decrypt_bytes);
    assert!(accepted > 0, "no seed decrypts; {STALE}");
}

#[test]
fn bundle_decode_corpus() {
    let accepted = replay("bundle_decode", fuzz_targets::bundle_decode);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn certificate_decode_corpus() {
    let accepted = replay("certificate_decode", fuzz_targets::certificate_decode);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn device_list_corpus() {
    let accepted = replay("device_list", fuzz_targets::device_list);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn initial_message_corpus() {
    let accepted = replay("initial_message", fuzz_targets::initial_message);
    assert!(accepted > 0, "no seed is accepted; {STALE}");
}

#[test]
fn safety_number_corpus() {
    let accepted = replay("safety_number", fuzz_targets::safety_number);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn link_code_corpus() {
    let accepted = replay("link_code", fuzz_targets::link_code);
    assert!(accepted > 0, "no seed is accepted; {STALE}");
}

#[test]
fn two_party_corpus() {
    let mut total = fuzz_targets::Stats::default();
    let accepted = replay("two_party", |data| {
        let stats = fuzz_targets::two_party(data);
        eprintln!("  {stats:?}");
        total.sent += stats.sent;
        total.accepted += stats.accepted;
        total.refused += stats.refused;
        stats.accepted > 0
    });
    eprintln!("two_party total: {total:?}");
    assert!(
        accepted > 0 && total.refused > 0,
        "seeds exercise too little ({total:?}); {STALE}"
    );
}

#[test]
fn fan_out_corpus() {
    let accepted = replay("fan_out", fuzz_targets::fan_out);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn sealed_open_corpus() {
    let accepted = replay("sealed_open", fuzz_targets::sealed_open);
    assert!(accepted > 0, "no seed opens; {STALE}");
}

#[test]
fn multi_split_corpus() {
    let opened: usize = corpus("multi_split")
        .iter()
        .map(|(_, data)| fuzz_targets::multi_split(data))
        .sum();
    assert!(opened > 0, "no seed opens; {STALE}");
}

#[test]
fn client_content_corpus() {
    let accepted = replay("client_content", fuzz_targets::client_content);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn unpad_corpus() {
    let accepted = replay("unpad", fuzz_targets::unpad);
    assert!(accepted > 0, "no seed unpads; {STALE}");
}

#[test]
fn access_decode_corpus() {
    let accepted = replay("access_decode", fuzz_targets::access_decode);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn relay_request_corpus() {
    let accepted = replay("relay_request", fuzz_targets::relay_request);
    assert!(accepted > 0, "no seed decodes; {STALE}");
}

#[test]
fn multi_device_corpus() {
    let mut delivered = 0;
    let mut refused = 0;
    let accepted = replay("multi_device", |data| {
        let stats = fuzz_targets::multi_device(data);
        eprintln!("  {stats:?}");
        delivered += stats.delivered;
        refused += stats.duplicates_refused + stats.injections_refused;
        stats.delivered > 0
    });
    assert!(
        accepted > 0 && delivered > 0 && refused > 0,
        "seeds exercise too little; {STALE}"
    );
}

#[test]
fn every_target_has_a_corpus_directory() {
    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/fuzz_targets");
    let mut targets: Vec<String> = fs::read_dir(&fuzz_dir)
        .expect("fuzz/fuzz_targets")
        .map(|e| e.expect("read_dir").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
        .collect();
    targets.sort();
    let mut expected: Vec<String> = TARGETS.iter().map(|t| t.to_string()).collect();
    expected.sort();
    assert_eq!(
        targets, expected,
        "fuzz targets and replayed corpora differ"
    );
    for target in TARGETS {
        corpus(target);
    }
}

/// Writes the generated seeds with `SOTTO_WRITE_CORPUS=1`; otherwise checks that the
/// committed seeds are the ones the generator makes today (so a change to a format or a
/// vector that leaves the corpus stale fails here, not only when someone regenerates).
#[test]
fn generate_seed_corpus() {
    let write = std::env::var_os("SOTTO_WRITE_CORPUS").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (target, seeds) in [
        ("message_decode", message_seeds()),
        ("pickle_decode", pickle_seeds()),
        ("decrypt_bytes", decrypt_seeds()),
        ("two_party", two_party_seeds()),
        ("bundle_decode", bundle_seeds()),
        ("initial_message", initial_message_seeds()),
        ("device_list", device_list_seeds()),
        ("certificate_decode", certificate_seeds()),
        ("safety_number", safety_number_seeds()),
        ("link_code", link_code_seeds()),
        ("fan_out", fan_out_seeds()),
        ("multi_device", multi_device_seeds()),
        ("unpad", unpad_seeds()),
        ("sealed_open", sealed_open_seeds()),
        ("multi_split", multi_split_seeds()),
        ("access_decode", access_decode_seeds()),
        ("relay_request", relay_request_seeds()),
        ("client_content", client_content_seeds()),
    ] {
        let dir = corpus_dir(target);
        let mut existing: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        if let Ok(entries) = fs::read_dir(&dir) {
            for entry in entries {
                let path = entry.expect("read_dir").path();
                let name = path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned();
                if name.starts_with("seed-") {
                    existing.insert(name, fs::read(&path).expect("read"));
                }
            }
        }
        for (name, data) in &seeds {
            if existing.remove(name).as_ref() != Some(data) {
                stale.push(format!("{target}/{name}"));
                if write {
                    fs::create_dir_all(&dir).expect("create corpus directory");
                    fs::write(dir.join(name), data).expect("write seed");
                }
            }
        }
        for name in existing.keys() {
            stale.push(format!("{target}/{name} (no longer generated)"));
            if write {
                fs::remove_file(dir.join(name)).expect("remove old seed");
            }
        }
    }
    if write {
        eprintln!("rewrote {} seed files", stale.len());
    } else {
        assert!(stale.is_empty(), "{STALE}; differing: {stale:#?}");
    }
}

type Seeds = BTreeMap<String, Vec<u8>>;

fn add(seeds: &mut Seeds, name: &str, data: Vec<u8>) {
    let previous = seeds.insert(format!("seed-{name}"), data);
    assert!(previous.is_none(), "two seeds named {name}");
}

fn message_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let known = known_messages();
    for prefix in ["std-", "he-"] {
        let mut of_kind = known.iter().filter(|m| m.name.starts_with(prefix));
        let first = of_kind.next().expect("a message of each kind");
        add(
            &mut seeds,
            &format!("valid-{}", first.name),
            first.bytes.clone(),
        );
        let long = of_kind
            .max_by_key(|m| m.bytes.len())
            .expect("more than one");
        add(
            &mut seeds,
            &format!("valid-{}", long.name),
            long.bytes.clone(),
        );
        let mut short = first.bytes.clone();
        short.pop();
        add(&mut seeds, &format!("truncated-{}", first.name), short);
    }
    add(&mut seeds, "empty", Vec::new());
    add(&mut seeds, "tag-11-only", vec![0x11]);
    add(&mut seeds, "tag-12-only", vec![0x12]);
    // Unknown first bytes, the unversioned 0x01 and 0x02, and other objects' tags.
    for v in [0x00u8, 0x01, 0x02, 0x03, 0x14, 0x15, 0x21, 0xff] {
        add(&mut seeds, &format!("unknown-version-{v:02x}"), vec![v; 64]);
    }
    // The smallest message of each kind, and one byte less.
    for (name, version, min) in [("std", 0x11u8, 57usize), ("he", 0x12, 89)] {
        let mut m = vec![0u8; min];
        m[0] = version;
        add(&mut seeds, &format!("{name}-minimum"), m.clone());
        m.pop();
        add(&mut seeds, &format!("{name}-minimum-less-one"), m);
    }
    // Initial messages, which `Incoming` hands to the initial-message decoder.
    let responder = fuzz_targets::responder();
    let (initial, _) = responder.valid.first().expect("a valid initial message");
    add(&mut seeds, "initial-message", initial.clone());
    add(
        &mut seeds,
        "initial-message-truncated",
        initial[..100].to_vec(),
    );
    seeds
}

/// Alice and Bob after a short conversation with a skipped message on each side.
fn conversation(header_encrypted: bool) -> (Session, Session) {
    let config = if header_encrypted {
        SessionConfig::header_encrypted()
    } else {
        SessionConfig::default()
    };
    let mut rng = StdRng::seed_from_u64(0x9c41_e000 + u64::from(header_encrypted));
    let bob_ratchet = KeyPair::generate(&mut rng);
    let bob_public = *bob_ratchet.public_key();
    let mut alice = Session::initiator(
        SessionSecret::new([9; 32]),
        b"seed",
        &bob_public,
        config,
        &mut rng,
    )
    .expect("initiator");
    let mut bob = Session::responder(SessionSecret::new([9; 32]), b"seed", bob_ratchet, config)
        .expect("responder");
    let a: Vec<Message> = (0..3)
        .map(|i| alice.encrypt(&[i; 5], &mut rng).expect("encrypt"))
        .collect();
    bob.decrypt(&a[0]).expect("a0");
    bob.decrypt(&a[2]).expect("a2");
    let b: Vec<Message> = (0..2)
        .map(|i| bob.encrypt(&[i; 7], &mut rng).expect("encrypt"))
        .collect();
    alice.decrypt(&b[1]).expect("b1");
    let a3 = alice.encrypt(b"after", &mut rng).expect("encrypt");
    bob.decrypt(&a3).expect("a3");
    (alice, bob)
}

fn pickle_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let key = pickle_key();
    let mut valid = Vec::new();
    for (kind, he) in [("std", false), ("he", true)] {
        let config = if he {
            SessionConfig::header_encrypted()
        } else {
            SessionConfig::default()
        };
        let mut rng = StdRng::seed_from_u64(0x9c41_f000 + u64::from(he));
        let bob_ratchet = KeyPair::generate(&mut rng);
        let bob_public = *bob_ratchet.public_key();
        let fresh_alice = Session::initiator(
            SessionSecret::new([3; 32]),
            b"",
            &bob_public,
            config,
            &mut rng,
        )
        .expect("initiator");
        let fresh_bob = Session::responder(SessionSecret::new([3; 32]), b"", bob_ratchet, config)
            .expect("responder");
        add(
            &mut seeds,
            &format!("valid-{kind}-fresh-initiator"),
            snapshot(&fresh_alice),
        );
        add(
            &mut seeds,
            &format!("valid-{kind}-fresh-responder"),
            snapshot(&fresh_bob),
        );
        let (alice, bob) = conversation(he);
        add(
            &mut seeds,
            &format!("valid-{kind}-alice-talking"),
            snapshot(&alice),
        );
        let bob_pickle = snapshot(&bob);
        add(
            &mut seeds,
            &format!("valid-{kind}-bob-talking"),
            bob_pickle.clone(),
        );
        let other_nonce = bob
            .pickle(
                &key,
                fuzz_targets::PICKLE_CONTEXT,
                &mut StdRng::seed_from_u64(77),
            )
            .expect("pickle");
        add(
            &mut seeds,
            &format!("valid-{kind}-bob-other-nonce"),
            other_nonce,
        );
        let wrong_key = bob
            .pickle(
                &PickleKey::new([0xa5; 32]),
                fuzz_targets::PICKLE_CONTEXT,
                &mut rng,
            )
            .expect("pickle");
        add(&mut seeds, &format!("{kind}-wrong-key"), wrong_key);
        valid.push((kind, bob_pickle));
    }
    let (kind, pickle) = &valid[0];
    add(&mut seeds, "empty", Vec::new());
    add(&mut seeds, "version-only", pickle[..1].to_vec());
    let mut wrong_version = pickle.clone();
    wrong_version[0] = wrong_version[0].wrapping_add(1);
    add(&mut seeds, &format!("{kind}-wrong-version"), wrong_version);
    add(
        &mut seeds,
        &format!("{kind}-truncated-by-one"),
        pickle[..pickle.len() - 1].to_vec(),
    );
    add(
        &mut seeds,
        &format!("{kind}-truncated-half"),
        pickle[..pickle.len() / 2].to_vec(),
    );
    let mut extended = pickle.clone();
    extended.push(0);
    add(&mut seeds, &format!("{kind}-extended"), extended);
    let mut flipped = pickle.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    add(&mut seeds, &format!("{kind}-flipped-middle"), flipped);
    // Plaintext states, which the target also seals itself: a session's and an identity's.
    let (alice, _) = conversation(true);
    add(&mut seeds, "session-state-he-alice", alice.pickle_state());
    let identity = sotto_handshake::DeviceIdentity::generate(&mut StdRng::seed_from_u64(0x1d));
    let identity_pickle = identity
        .pickle(
            &key,
            fuzz_targets::PICKLE_CONTEXT,
            &mut StdRng::seed_from_u64(0x1e),
        )
        .expect("pickle");
    let mut identity_state = identity.signing_key().expose_seed().to_vec();
    identity_state.extend_from_slice(identity.agreement_key().secret_key().expose());
    add(&mut seeds, "identity-state", identity_state);
    add(&mut seeds, "identity-pickle", identity_pickle);
    // A prekey store (post-quantum, one prekey of each kind) as a pickle and as a state.
    let policy = sotto_handshake::PrekeyPolicy {
        one_time_prekeys: 1,
        kem_one_time_prekeys: 1,
        ..sotto_handshake::PrekeyPolicy::default()
    };
    let mut rng = StdRng::seed_from_u64(0x1f);
    let store = sotto_handshake::InMemoryPrekeyStore::new(
        sotto_handshake::DeviceIdentity::generate(&mut rng),
        policy,
        1_700_000_000,
        &mut rng,
    );
    let store_pickle = store
        .pickle(&key, fuzz_targets::PICKLE_CONTEXT, &mut rng)
        .expect("pickle");
    let store_state = sotto_crypto::pickle::open(
        sotto_handshake::PREKEY_STORE_PICKLE_TAG,
        &key,
        fuzz_targets::PICKLE_CONTEXT,
        &store_pickle,
        sotto_handshake::MAX_PREKEY_STORE_PICKLE_LEN,
    )
    .expect("open");
    add(&mut seeds, "store-pickle", store_pickle);
    add(&mut seeds, "store-state", store_state.to_vec());
    seeds
}

fn decrypt_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let known = known_messages();
    for m in &known {
        add(&mut seeds, &m.name, m.bytes.clone());
    }
    for prefix in ["std-", "he-"] {
        let m = known
            .iter()
            .find(|m| m.name.starts_with(prefix) && m.pending)
            .expect("a pending message of each kind");
        let mut flipped = m.bytes.clone();
        *flipped.last_mut().expect("non-empty") ^= 0x80;
        add(&mut seeds, &format!("{}-tag-flipped", m.name), flipped);
        let mut header = m.bytes.clone();
        header[20] ^= 0x01;
        add(&mut seeds, &format!("{}-header-flipped", m.name), header);
        add(
            &mut seeds,
            &format!("{}-truncated", m.name),
            m.bytes[..m.bytes.len() - 1].to_vec(),
        );
        let mut extended = m.bytes.clone();
        extended.push(0);
        add(&mut seeds, &format!("{}-extended", m.name), extended);
    }
    seeds
}

fn two_party_seeds() -> Seeds {
    use Op::*;
    use Party::{Alice, Bob};
    let mut seeds = Seeds::new();
    let ping_pong = [
        Send { from: Bob, len: 3 }, // refused: Bob has not received yet
        Send {
            from: Alice,
            len: 5,
        },
        DeliverOldest,
        Send { from: Bob, len: 0 },
        DeliverOldest,
        Send {
            from: Alice,
            len: 47,
        },
        DeliverOldest,
        SaveRestore { party: Alice },
        SaveRestore { party: Bob },
        Send { from: Bob, len: 9 },
        DeliverOldest,
    ];
    let out_of_order = [
        Send {
            from: Alice,
            len: 1,
        },
        Send {
            from: Alice,
            len: 2,
        },
        Send {
            from: Alice,
            len: 3,
        },
        Send {
            from: Alice,
            len: 4,
        },
        Deliver { index: 2 },
        Deliver { index: 0 },
        Send { from: Bob, len: 5 },
        Send { from: Bob, len: 6 },
        Deliver { index: 3 },
        Send {
            from: Alice,
            len: 7,
        },
        Deliver { index: 3 },
        SaveRestore { party: Bob },
        Deliver { index: 0 },
        Deliver { index: 1 },
    ];
    let adversary = [
        Send {
            from: Alice,
            len: 8,
        },
        Tamper {
            index: 0,
            position: 0,
            mask: 0x03,
        },
        Tamper {
            index: 0,
            position: 30,
            mask: 0x01,
        },
        Tamper {
            index: 0,
            position: 255,
            mask: 0x80,
        },
        Tamper {
            index: 0,
            position: 60,
            mask: 0,
        },
        Reflect { index: 0 },
        DeliverOldest,
        Replay { index: 0 },
        Send { from: Bob, len: 8 },
        Send { from: Bob, len: 8 },
        Drop { index: 0 },
        Tamper {
            index: 0,
            position: 100,
            mask: 0x40,
        },
        DeliverOldest,
        Replay { index: 1 },
        Send {
            from: Alice,
            len: 2,
        },
        Reflect { index: 0 },
        SaveRestore { party: Alice },
        Replay { index: 0 },
    ];
    // Alice runs far ahead in one chain, then Bob answers and Alice starts a new chain while
    // the old one's messages are still arriving.
    let mut chains = vec![
        Send {
            from: Alice,
            len: 1
        };
        6
    ];
    chains.extend([
        Deliver { index: 5 },
        Deliver { index: 1 },
        Send { from: Bob, len: 2 },
        Deliver { index: 4 },
        Send {
            from: Alice,
            len: 3,
        },
        Send {
            from: Alice,
            len: 3,
        },
        Deliver { index: 5 },
        Deliver { index: 0 },
        Send { from: Bob, len: 4 },
        Deliver { index: 5 },
        Send {
            from: Alice,
            len: 5,
        },
        Deliver { index: 5 },
    ]);
    // Tampered copies of a message whose key waits in the skipped store: the key must
    // survive the refusals. Byte 60 is the tag of a standard message with a 4-byte
    // plaintext, byte 92 that of a header-encryption one.
    let skipped_tamper = [
        Send {
            from: Alice,
            len: 4,
        },
        Send {
            from: Alice,
            len: 4,
        },
        Send {
            from: Alice,
            len: 4,
        },
        Deliver { index: Op::NEWEST },
        Tamper {
            index: 0,
            position: 60,
            mask: 0x10,
        },
        Tamper {
            index: 0,
            position: 92,
            mask: 0x10,
        },
        Tamper {
            index: 1,
            position: 20,
            mask: 0x01,
        },
        Deliver { index: 0 },
        Replay { index: 1 },
        Send { from: Bob, len: 1 },
        Tamper {
            index: 1,
            position: 60,
            mask: 0x10,
        },
        Tamper {
            index: 1,
            position: 92,
            mask: 0x10,
        },
        Deliver { index: 1 },
    ];
    for (kind, he) in [("std", false), ("he", true)] {
        add(
            &mut seeds,
            &format!("{kind}-skipped-tamper"),
            encode_ops(he, Profile::Default, &skipped_tamper),
        );
        add(
            &mut seeds,
            &format!("{kind}-ping-pong"),
            encode_ops(he, Profile::Default, &ping_pong),
        );
        add(
            &mut seeds,
            &format!("{kind}-out-of-order"),
            encode_ops(he, Profile::Default, &out_of_order),
        );
        add(
            &mut seeds,
            &format!("{kind}-adversary"),
            encode_ops(he, Profile::Default, &adversary),
        );
        for (name, profile) in [
            ("default", Profile::Default),
            ("small", Profile::Small),
            ("evict-first", Profile::EvictFirst),
            ("zero", Profile::Zero),
        ] {
            add(
                &mut seeds,
                &format!("{kind}-chains-{name}"),
                encode_ops(he, profile, &chains),
            );
        }
    }
    // The default limits, exactly: message 2001 would skip 2001 keys and is refused; once it
    // is dropped, message 2000 skips 2000 (the limit) and fills the store to its 2000 keys,
    // and the final flush delivers all of them from the store.
    let mut limit = vec![
        Send {
            from: Alice,
            len: 0
        };
        2002
    ];
    limit.extend([
        Deliver { index: Op::NEWEST },
        Drop { index: Op::NEWEST },
        Deliver { index: Op::NEWEST },
        Send { from: Bob, len: 1 },
        Deliver { index: Op::NEWEST },
    ]);
    add(
        &mut seeds,
        "std-default-limits",
        encode_ops(false, Profile::Default, &limit),
    );
    add(
        &mut seeds,
        "he-default-limits",
        encode_ops(true, Profile::Default, &limit),
    );
    seeds
}

/// Valid bundles of both modes, with and without optional parts, and damaged copies.
fn bundle_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let responder = fuzz_targets::responder();
    for (i, bundle) in responder.bundles.iter().enumerate() {
        add(&mut seeds, &format!("pqxdh-{i}"), bundle.clone());
    }
    let first = &responder.bundles[0];
    let mut truncated = first.clone();
    truncated.pop();
    add(&mut seeds, "pqxdh-0-truncated", truncated);
    let mut trailing = first.clone();
    trailing.push(0);
    add(&mut seeds, "pqxdh-0-trailing", trailing);
    let mut forged = first.clone();
    forged[100] ^= 1;
    add(&mut seeds, "pqxdh-0-signature-flipped", forged);
    let mut stripped = first[..first.len() - 1 - 4 - 1184 - 64 - 1].to_vec();
    stripped.push(0);
    add(&mut seeds, "pqxdh-0-kem-stripped", stripped);
    // A classic device's bundle.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xc1a5);
    let policy = sotto_handshake::PrekeyPolicy {
        post_quantum: sotto_handshake::PostQuantum::Absent,
        one_time_prekeys: 1,
        ..sotto_handshake::PrekeyPolicy::default()
    };
    let store = sotto_handshake::InMemoryPrekeyStore::new(
        sotto_handshake::DeviceIdentity::generate(&mut rng),
        policy,
        1_764_000_000,
        &mut rng,
    );
    let mut published = store.published().expect("signed prekey");
    add(
        &mut seeds,
        "x3dh-with-one-time-prekey",
        published.take_bundle().to_bytes(),
    );
    add(
        &mut seeds,
        "x3dh-without-one-time-prekey",
        published.take_bundle().to_bytes(),
    );
    add(&mut seeds, "empty", Vec::new());
    add(&mut seeds, "tag-only", vec![0x14]);
    add(&mut seeds, "unversioned-0x01", vec![0x01; 176]);
    add(&mut seeds, "initial-message-tag", vec![0x13; 176]);
    seeds
}

/// The valid initial messages of the fuzz responder, and damaged copies.
/// The fuzz fixture's two certificates, the certificates of the vectors, and every input of
/// the certificate vectors' negative cases.
fn certificate_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let fixture = fuzz_targets::certificate_fixture();
    add(&mut seeds, "server", fixture.server_certificate.clone());
    add(&mut seeds, "sender", fixture.sender_certificate.clone());
    let v = sotto_vectors::vectors::certificates::generate().expect("certificate vectors");
    add(
        &mut seeds,
        "vectors-server",
        hex::decode(&v.server.certificate).expect("hex"),
    );
    add(
        &mut seeds,
        "vectors-sender",
        hex::decode(&v.sender.certificate).expect("hex"),
    );
    for case in &v.negative {
        add(
            &mut seeds,
            &format!("{}-{}", case.validation_id.to_lowercase(), case.id),
            hex::decode(&case.input).expect("hex"),
        );
    }
    // The fixture's sender certificate verifies, so the target reaches its last check.
    let verified =
        sotto_sealed::certificate::SenderCertificate::from_bytes(&fixture.sender_certificate)
            .and_then(|c| c.verify(&fixture.store, fuzz_targets::CERTIFICATE_NOW));
    assert!(verified.is_ok(), "{verified:?}");
    seeds
}

/// The device lists of the vectors and their negative cases.
fn device_list_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let v = sotto_vectors::vectors::device_lists::generate().expect("device-list vectors");
    for (i, list) in v.lists.iter().enumerate() {
        add(
            &mut seeds,
            &format!("valid-{i}"),
            hex::decode(&list.device_list).expect("hex"),
        );
    }
    for case in &v.negative {
        add(
            &mut seeds,
            &format!("{}-{}", case.validation_id.to_lowercase(), case.id),
            hex::decode(&case.input).expect("hex"),
        );
    }
    seeds
}

fn initial_message_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    for (i, (bytes, _)) in fuzz_targets::responder().valid.iter().enumerate() {
        add(&mut seeds, &format!("valid-{i}"), bytes.clone());
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        add(&mut seeds, &format!("valid-{i}-tag-flipped"), flipped);
        let mut ephemeral = bytes.clone();
        ephemeral[66] ^= 1;
        add(
            &mut seeds,
            &format!("valid-{i}-ephemeral-flipped"),
            ephemeral,
        );
        add(
            &mut seeds,
            &format!("valid-{i}-truncated"),
            bytes[..bytes.len() / 2].to_vec(),
        );
    }
    add(&mut seeds, "empty", Vec::new());
    add(&mut seeds, "flags-only", vec![0x13, 0x03]);
    seeds
}

/// Byte forms of the safety-number vectors' conversations, and one refused input per check.
fn safety_number_seeds() -> Seeds {
    use sotto_crypto::SecretBytes;
    use sotto_devices::safety::SafetyNumber;
    use sotto_devices::{AccountId, AccountKey};
    let mut seeds = Seeds::new();
    let alice = AccountKey::from_seed(SecretBytes::new([0x01; 32])).public();
    let bob = AccountKey::from_seed(SecretBytes::new([0x02; 32])).public();
    let (alice_id, bob_id) = (
        AccountId::from_bytes([0xa1; 16]),
        AccountId::from_bytes([0xb0; 16]),
    );
    let alice_view = SafetyNumber::derive(&alice, &alice_id, &bob, &bob_id);
    let bob_view = SafetyNumber::derive(&bob, &bob_id, &alice, &alice_id);
    let good = alice_view.to_bytes().to_vec();
    add(&mut seeds, "alice", good.clone());
    add(&mut seeds, "bob", bob_view.to_bytes().to_vec());
    add(&mut seeds, "empty", Vec::new());
    add(&mut seeds, "tag-only", vec![0x19]);
    let mut tag = good.clone();
    tag[0] = 0x18;
    add(&mut seeds, "device-list-tag", tag);
    add(&mut seeds, "truncated", good[..good.len() - 1].to_vec());
    let mut version = good.clone();
    version[1] = 0x02;
    add(&mut seeds, "version-2", version);
    let mut trailing = good.clone();
    trailing.push(0);
    add(&mut seeds, "trailing", trailing);
    seeds
}

/// The fuzz fixture's code (bytes and text), payload and message, damaged copies, and every
/// input of the link vectors' negative cases.
fn link_code_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let fixture = fuzz_targets::link_fixture();
    let (code, _) = fixture.code();
    let code_bytes = code.to_bytes().expose().to_vec();
    let text = code.to_text().as_bytes().to_vec();
    add(&mut seeds, "code", code_bytes.clone());
    add(&mut seeds, "code-text", text.clone());
    add(&mut seeds, "code-text-lower", text.to_ascii_lowercase());
    add(&mut seeds, "payload", fixture.payload.to_bytes().to_vec());
    add(&mut seeds, "message", fixture.message.clone());
    let mut flipped = fixture.message.clone();
    flipped[40] ^= 1;
    add(&mut seeds, "message-flipped", flipped);
    add(
        &mut seeds,
        "message-truncated",
        fixture.message[..fixture.message.len() - 1].to_vec(),
    );
    add(&mut seeds, "code-truncated", code_bytes[..96].to_vec());
    add(&mut seeds, "empty", Vec::new());
    let v = sotto_vectors::vectors::link::generate().expect("link vectors");
    for case in &v.negative {
        let data = if case.operation == "code_text" {
            case.input_text.as_bytes().to_vec()
        } else {
            hex::decode(&case.input).expect("hex")
        };
        add(
            &mut seeds,
            &format!("{}-{}", case.validation_id.to_lowercase(), case.id),
            data,
        );
    }
    seeds
}
/// Valid fan-outs of 1, 2 and 32 entries (every kind of device message), and one input
/// refused by each check of protocol.md 8.5.
fn fan_out_seeds() -> Seeds {
    use sotto_devices::{AccountId, FanOut, FanOutError};
    let mut seeds = Seeds::new();
    let account = AccountId::from_bytes([0xa1; 16]);
    let one = FanOut::new(account, vec![(1, vec![0x11, 1, 2, 3])]).expect("fan-out");
    let two = FanOut::new(account, vec![(2, vec![0x13; 9]), (7, vec![0x12; 5])]).expect("fan-out");
    let full = FanOut::new(
        account,
        (1..=32u32)
            .map(|id| {
                (
                    id * 3,
                    vec![[0x11, 0x12, 0x13][id as usize % 3]; id as usize],
                )
            })
            .collect(),
    )
    .expect("fan-out");
    let good = two.to_bytes();
    add(&mut seeds, "valid-1", one.to_bytes());
    add(&mut seeds, "valid-2", good.clone());
    add(&mut seeds, "valid-32", full.to_bytes());
    add(&mut seeds, "dev-fo-01-empty", Vec::new());
    add(&mut seeds, "dev-fo-01-device-list-tag", {
        let mut b = good.clone();
        b[0] = 0x18;
        b
    });
    add(&mut seeds, "dev-fo-02-header-only-cut", good[..17].to_vec());
    add(
        &mut seeds,
        "dev-fo-02-entry-cut",
        good[..good.len() - 1].to_vec(),
    );
    add(&mut seeds, "dev-fo-02-trailing", {
        let mut b = good.clone();
        b.push(0);
        b
    });
    add(&mut seeds, "dev-fo-03-zero", {
        let mut b = good.clone();
        b[17] = 0;
        b
    });
    add(&mut seeds, "dev-fo-03-33", {
        let mut b = full.to_bytes();
        b[17] = 33;
        b
    });
    add(&mut seeds, "dev-fo-04-decreasing", {
        let mut b = good.clone();
        b[18..22].copy_from_slice(&9u32.to_be_bytes());
        b
    });
    add(&mut seeds, "dev-fo-04-zero-id", {
        let mut b = one.to_bytes();
        b[18..22].copy_from_slice(&0u32.to_be_bytes());
        b
    });
    add(&mut seeds, "dev-fo-05-tag", {
        let mut b = one.to_bytes();
        b[26] = 0x14;
        b
    });
    add(&mut seeds, "dev-fo-05-empty-message", {
        let mut b = one.to_bytes();
        b.truncate(22);
        b.extend_from_slice(&0u32.to_be_bytes());
        b
    });
    // Each refusal is refused by the check it is named after.
    for (name, data) in &seeds {
        let accepted = fuzz_targets::fan_out(data);
        assert_eq!(accepted, name.starts_with("seed-valid"), "{name}");
        let expected = match &name["seed-".len()..name.len().min(14)] {
            "dev-fo-01" => Some(FanOutError::UnknownVersion(
                data.first().copied().unwrap_or(0),
            )),
            "dev-fo-02" => Some(FanOutError::Length),
            "dev-fo-03" => Some(FanOutError::Count),
            "dev-fo-04" => Some(FanOutError::DeviceIds),
            "dev-fo-05" => Some(FanOutError::Message),
            _ => None,
        };
        if let Some(expected) = expected {
            assert_eq!(FanOut::from_bytes(data), Err(expected), "{name}");
        }
    }
    seeds
}

/// The contents, the state file under the fixture's store key and every negative case of
/// docs/vectors/client.json (protocol.md chapter 10), each named after its validation ID.
fn client_content_seeds() -> Seeds {
    let v = sotto_vectors::vectors::client::generate().expect("client vectors");
    let mut seeds = Seeds::new();
    for (i, case) in v.content.iter().enumerate() {
        add(
            &mut seeds,
            &format!("valid-content-{i}"),
            hex::decode(&case.content).expect("hex"),
        );
    }
    for (i, case) in v.state.iter().enumerate() {
        add(
            &mut seeds,
            &format!("state-{i}"),
            hex::decode(&case.file).expect("hex"),
        );
    }
    for case in &v.negative {
        let name = format!("{}-{:02}", case.validation_id.to_lowercase(), case.id);
        add(&mut seeds, &name, hex::decode(&case.input).expect("hex"));
    }
    // Contact cards (10.4): the documented example, and spellings the rule refuses.
    let card = format!("000102030405060708090a0b0c0d0e0f.{}", "3a".repeat(32));
    add(&mut seeds, "valid-card", card.clone().into_bytes());
    for (name, bad) in [
        ("card-upper", card.to_uppercase()),
        ("card-no-dot", card.replace('.', "0")),
        ("card-short", card[1..].to_owned()),
        ("card-space", format!("{card} ")),
    ] {
        add(&mut seeds, name, bad.into_bytes());
    }
    let fixture = hex::encode(fuzz_targets::CLIENT_FIXTURE_STORE_KEY);
    for (name, data) in &seeds {
        let accepted = fuzz_targets::client_content(data);
        // Content decodes; of the state files, only the one under the fixture's key opens.
        let expected = name.starts_with("seed-valid")
            || (name.starts_with("seed-state-")
                && v.state[name["seed-state-".len()..].parse::<usize>().expect("index")].store_key
                    == fixture);
        assert_eq!(accepted, expected, "{name}");
    }
    seeds
}

/// Paddings of plaintexts of several lengths (fixed buckets and Padmé ones), and inputs refused
/// by SEAL-PAD-02..04 of protocol.md 9.1. SEAL-PAD-01 needs more than 2^24 bytes, too large for
/// a seed (and above the fuzzer's input sizes); the unit and vector tests cover it.
fn unpad_seeds() -> Seeds {
    use sotto_sealed::padding::{PaddingError, pad, unpad};
    let mut seeds = Seeds::new();
    let plaintext = |len: usize| -> Vec<u8> { (0..len).map(|i| (i % 251) as u8).collect() };
    for len in [0, 1, 5, 31, 32, 129, 255, 256, 1000, 4000] {
        add(
            &mut seeds,
            &format!("valid-{len}"),
            pad(&plaintext(len)).expect("pad"),
        );
    }
    let hello = pad(b"hello").expect("pad");
    add(&mut seeds, "seal-pad-02-empty", Vec::new());
    add(&mut seeds, "seal-pad-02-boundary-only", vec![0x80]);
    add(&mut seeds, "seal-pad-02-appended", {
        let mut b = hello.clone();
        b.push(0);
        b
    });
    add(&mut seeds, "seal-pad-02-truncated", hello[..31].to_vec());
    add(&mut seeds, "seal-pad-02-257", {
        let mut b = pad(&plaintext(255)).expect("pad");
        b.push(0);
        b
    });
    add(&mut seeds, "seal-pad-03-zeros", vec![0; 32]);
    add(&mut seeds, "seal-pad-03-full", vec![0x61; 32]);
    add(&mut seeds, "seal-pad-03-boundary-0x81", {
        let mut b = hello.clone();
        b[5] = 0x81;
        b
    });
    add(&mut seeds, "seal-pad-03-after-boundary", {
        let mut b = hello.clone();
        b[31] = 1;
        b
    });
    add(&mut seeds, "seal-pad-04-larger-bucket", {
        let mut b = hello.clone();
        b.resize(64, 0);
        b
    });
    add(&mut seeds, "seal-pad-04-255-in-272", {
        let mut b = pad(&plaintext(255)).expect("pad");
        b.resize(272, 0);
        b
    });
    // Each refusal is refused by the check it is named after.
    for (name, data) in &seeds {
        let accepted = fuzz_targets::unpad(data);
        assert_eq!(accepted, name.starts_with("seed-valid"), "{name}");
        let matches = match &name["seed-".len()..name.len().min(16)] {
            "seal-pad-02" => matches!(unpad(data), Err(PaddingError::NotABucket { .. })),
            "seal-pad-03" => unpad(data) == Err(PaddingError::NoBoundary),
            "seal-pad-04" => matches!(unpad(data), Err(PaddingError::NotCanonical { .. })),
            _ => unpad(data).is_ok(),
        };
        assert!(matches, "{name}: {:?}", unpad(data));
    }
    seeds
}

/// A valid share, access key and verifier of the target's fixture (profile key bytes 0..31)
/// and of another account, and inputs refused by SEAL-TOK-01..05 of protocol.md 9.5.
fn access_decode_seeds() -> Seeds {
    use sotto_crypto::SecretBytes;
    use sotto_sealed::access::{AccessError, AccessKey, AccessVerifier, ProfileKey};
    let mut seeds = Seeds::new();
    let mut bytes = [0u8; 32];
    for (i, b) in (0u8..).zip(bytes.iter_mut()) {
        *b = i;
    }
    let fixture = ProfileKey::from_bytes(SecretBytes::new(bytes));
    let other = ProfileKey::from_bytes(SecretBytes::new([0x5a; 32]));
    let share = fixture.to_share().expose().to_vec();
    let token = fixture.access_key().to_bytes().expose().to_vec();
    let verifier = fixture.verifier().to_bytes().to_vec();
    add(&mut seeds, "valid-share", share.clone());
    add(&mut seeds, "valid-token", token.clone());
    add(&mut seeds, "valid-verifier", verifier.clone());
    add(
        &mut seeds,
        "valid-other-share",
        other.to_share().expose().to_vec(),
    );
    add(
        &mut seeds,
        "valid-other-token",
        other.access_key().to_bytes().expose().to_vec(),
    );
    add(&mut seeds, "seal-tok-01-empty", Vec::new());
    add(&mut seeds, "seal-tok-01-version-2", {
        let mut b = share.clone();
        b[0] = 0x02;
        b
    });
    add(&mut seeds, "seal-tok-02-truncated", share[..20].to_vec());
    add(&mut seeds, "seal-tok-02-trailing", {
        let mut b = share.clone();
        b.push(0);
        b
    });
    add(&mut seeds, "seal-tok-03-15-bytes", token[..15].to_vec());
    add(&mut seeds, "seal-tok-04-31-bytes", verifier[..31].to_vec());
    add(&mut seeds, "seal-tok-05-flipped", {
        let mut b = token.clone();
        b[0] ^= 1;
        b
    });
    // Each seed does what its name says.
    let fixture_verifier = fixture.verifier();
    for (name, data) in &seeds {
        let accepted = fuzz_targets::access_decode(data);
        // A wrong token of the right length decodes (the relay's check refuses it).
        let expect_accepted =
            name.starts_with("seed-valid") || name.starts_with("seed-seal-tok-05");
        assert_eq!(accepted, expect_accepted, "{name}");
        let matches = match &name["seed-".len()..name.len().min(16)] {
            "seal-tok-01" => matches!(
                ProfileKey::from_share(data),
                Err(AccessError::ShareVersion(_))
            ),
            "seal-tok-02" => matches!(
                ProfileKey::from_share(data),
                Err(AccessError::ShareLength { .. })
            ),
            "seal-tok-03" => matches!(
                AccessKey::from_bytes(data),
                Err(AccessError::AccessKeyLength { .. })
            ),
            "seal-tok-04" => matches!(
                AccessVerifier::from_bytes(data),
                Err(AccessError::VerifierLength { .. })
            ),
            "seal-tok-05" => AccessKey::from_bytes(data)
                .is_ok_and(|k| fixture_verifier.check(&k) == Err(AccessError::Refused)),
            _ => true,
        };
        assert!(matches, "{name}");
    }
    assert_eq!(
        fixture_verifier.check(&AccessKey::from_bytes(&token).expect("token")),
        Ok(())
    );
    seeds
}

/// Scripts of the multi-device target: conversations with links and revocations, relay
/// misbehaviour, and injections.
fn multi_device_seeds() -> Seeds {
    use sotto_tests::fuzz_targets::multi_device::{Op, Script, encode_script};
    let mut seeds = Seeds::new();
    let send = |user, device, to| Op::Send { user, device, to };
    let receive = |user, device| Op::Receive { user, device };
    let conversation = vec![
        send(0, 0, 1),
        send(1, 0, 0),
        receive(1, 0),
        receive(0, 1),
        send(1, 0, 0),
        receive(0, 0),
        send(0, 1, 0),
        Op::ReceiveUnacknowledged { user: 0, device: 0 },
        receive(0, 0),
    ];
    add(
        &mut seeds,
        "conversation",
        encode_script(&Script {
            devices: vec![2, 1],
            seed: 1,
            ops: conversation,
        }),
    );
    let churn = vec![
        send(0, 1, 1),
        Op::Link { user: 1 },
        Op::Revoke { user: 0, device: 0 },
        send(1, 0, 0),
        Op::StaleList { user: 1, device: 1 },
        send(1, 1, 2),
        Op::Restart { user: 1, device: 0 },
        receive(1, 0),
        Op::Link { user: 0 },
        send(2, 0, 0),
        receive(0, 2),
    ];
    add(
        &mut seeds,
        "links-and-revocations",
        encode_script(&Script {
            devices: vec![2, 1, 1],
            seed: 2,
            ops: churn,
        }),
    );
    let relay = vec![
        send(0, 0, 1),
        send(0, 0, 1),
        send(1, 1, 0),
        Op::Duplicate {
            user: 1,
            device: 0,
            index: 0,
            position: 5,
        },
        Op::Reorder {
            user: 1,
            device: 0,
            shift: 1,
            reverse: true,
        },
        Op::LoseDelivery {
            user: 0,
            device: 0,
            index: 0,
        },
        receive(1, 0),
        receive(0, 0),
        Op::Revoke { user: 1, device: 0 },
        receive(1, 1),
    ];
    add(
        &mut seeds,
        "relay-misbehaviour",
        encode_script(&Script {
            devices: vec![1, 2],
            seed: 3,
            ops: relay,
        }),
    );
    let injections = vec![
        send(0, 0, 1),
        Op::InjectMutated {
            user: 1,
            device: 0,
            index: 0,
            byte: 70,
            mask: 0x01,
            from: 0,
            from_device: 1,
        },
        Op::InjectMutated {
            user: 1,
            device: 0,
            index: 0,
            byte: 0,
            mask: 0,
            from: 0,
            from_device: 2,
        },
        Op::InjectBytes {
            user: 1,
            device: 0,
            from: 0,
            from_device: 1,
            bytes: vec![0x11; 80],
        },
        Op::InjectBytes {
            user: 1,
            device: 0,
            from: 1,
            from_device: 9,
            bytes: vec![0x13; 40],
        },
        receive(1, 0),
        send(1, 0, 0),
        Op::InjectMutated {
            user: 0,
            device: 0,
            index: 0,
            byte: 300,
            mask: 0x80,
            from: 1,
            from_device: 1,
        },
        Op::InjectMutated {
            user: 0,
            device: 0,
            index: 0,
            byte: 0,
            mask: 0,
            from: 1,
            from_device: 1,
        },
        receive(0, 0),
    ];
    add(
        &mut seeds,
        "injections",
        encode_script(&Script {
            devices: vec![1, 1],
            seed: 4,
            ops: injections,
        }),
    );
    seeds
}

fn multi_split_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let fixture = fuzz_targets::sealed_fixture();
    add(&mut seeds, "one", fixture.seal_multi(b"just you", 0, 1));
    let three = fixture.seal_multi(&[0x33; 300], 2, 2);
    add(&mut seeds, "three", three.clone());
    let mut count = three.clone();
    count[35] = 4;
    add(&mut seeds, "seal-mr-04-count", count);
    let mut order = three.clone();
    let entry = sotto_sealed::multi::ENTRY_LEN;
    let first = sotto_sealed::multi::SENT_HEADER_LEN;
    let copy = order[first..first + entry].to_vec();
    order[first + entry..first + 2 * entry].copy_from_slice(&copy);
    add(&mut seeds, "seal-mr-05-repeated", order);
    let mut subtype = three;
    subtype[1] = 0x02;
    add(&mut seeds, "seal-mr-02-subtype", subtype);
    for (name, data) in &seeds {
        let expect = usize::from(!name.contains("seal-mr"));
        assert_eq!(fuzz_targets::multi_split(data), expect, "{name}");
    }
    seeds
}

fn sealed_open_seeds() -> Seeds {
    let mut seeds = Seeds::new();
    let fixture = fuzz_targets::sealed_fixture();
    let genuine = fixture.seal(1, b"hello", 1);
    add(&mut seeds, "empty", fixture.seal(0, b"", 2));
    add(&mut seeds, "hello", genuine.clone());
    add(&mut seeds, "long", fixture.seal(7, &[0x5a; 1000], 3));
    let mut flipped = genuine.clone();
    flipped[200] ^= 1;
    add(&mut seeds, "seal-env-07-flipped", flipped);
    add(
        &mut seeds,
        "seal-env-03-truncated",
        genuine[..genuine.len() - 1].to_vec(),
    );
    let mut tag = genuine;
    tag[0] = 0x1e;
    add(&mut seeds, "seal-env-01-tag", tag);
    let sent = fixture.seal_multi(b"to many", 2, 4);
    let parsed = sotto_sealed::multi::SentEnvelope::parse(&sent).expect("parse");
    add(&mut seeds, "multi", parsed.envelope(0).expect("first"));
    let mut content = parsed.envelope(0).expect("first");
    let last = content.len() - 1;
    content[last] ^= 1;
    add(&mut seeds, "seal-env-07-multi-content", content);
    for (name, data) in &seeds {
        let expect_open = !name.contains("seal-env");
        assert_eq!(fuzz_targets::sealed_open(data), expect_open, "{name}");
    }
    seeds
}

/// Bodies of every relay endpoint, valid (`valid-*`) and refused (`bad-*`), each prefixed
/// with its selector byte (`RELAY_ENDPOINTS`).
fn relay_request_seeds() -> Seeds {
    use serde_json::json;
    use sotto_crypto::hash::sha256_concat;
    use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList};
    use sotto_handshake::{InMemoryPrekeyStore, PostQuantum, PrekeyPolicy};
    use sotto_relay::api::b64;
    use sotto_tests::fuzz_targets::{RELAY_ENDPOINTS, relay_identity};

    let select = |endpoint: &str, body: &[u8]| -> Vec<u8> {
        let index = RELAY_ENDPOINTS
            .iter()
            .position(|e| *e == endpoint)
            .expect("endpoint");
        let mut out = vec![u8::try_from(index).expect("selector")];
        out.extend_from_slice(body);
        out
    };
    let mut rng = StdRng::seed_from_u64(0x5e1b);
    let account = AccountId::from_bytes([0x42; 16]);
    let account_key = AccountKey::generate(&mut rng);
    let identity = relay_identity();
    let list = DeviceList::new(
        account,
        1,
        1_700_000_000,
        vec![DeviceEntry::new(1, identity.public())],
    )
    .expect("list")
    .sign(&account_key);
    let policy = PrekeyPolicy {
        post_quantum: PostQuantum::Absent,
        one_time_prekeys: 2,
        replenish_below: 0,
        kem_one_time_prekeys: 0,
        signed_prekey_grace: 3600,
    };
    let store = InMemoryPrekeyStore::new(relay_identity(), policy, 1_700_000_000, &mut rng);
    let mut published = store.published().expect("published");
    let one_time: Vec<String> = (0..2)
        .map(|_| b64(&published.take_bundle().to_bytes()))
        .collect();
    let last = b64(&published.take_bundle().to_bytes());
    let challenge = [7u8; 32];
    let proof = identity
        .signing_key()
        .sign(&sotto_relay::auth::registration_message(
            &challenge, account, 1,
        ));
    let verifier = sha256_concat(&[b"not a real verifier, 32 bytes of hash"]);
    let registration = json!({
        "challenge": b64(&challenge),
        "device_list": b64(list.as_bytes()),
        "device_id": 1,
        "proof": b64(&proof.to_bytes()),
        "access_verifier": b64(&verifier),
        "bundles": one_time,
        "last_resort_bundle": last,
        "identifier": "alice",
    });
    let mut envelope = vec![0x1f, 0x01];
    envelope.resize(sotto_sealed::envelope::MIN_LEN, 0xab);
    let mut sent = vec![0x1f, 0x03];
    sent.extend_from_slice(&[9u8; 32]);
    sent.extend_from_slice(&2u16.to_be_bytes());
    for device in [1u32, 2] {
        sent.extend_from_slice(&account.to_bytes());
        sent.extend_from_slice(&device.to_be_bytes());
        sent.extend_from_slice(&[5u8; 128]);
    }
    sent.extend_from_slice(&[6u8; sotto_sealed::multi::MIN_CONTENT_LEN]);
    let hex_account = hex::encode(account.to_bytes());
    let body = |v: serde_json::Value| serde_json::to_vec(&v).expect("json");

    let mut seeds = Seeds::new();
    add(
        &mut seeds,
        "valid-register",
        select("register", &body(registration.clone())),
    );
    add(
        &mut seeds,
        "valid-device-list",
        select(
            "device_list",
            &body(json!({"device_list": b64(list.as_bytes())})),
        ),
    );
    add(
        &mut seeds,
        "valid-prekeys-replace",
        select(
            "prekeys_replace",
            &body(json!({"bundles": registration["bundles"], "last_resort_bundle": last})),
        ),
    );
    add(
        &mut seeds,
        "valid-prekeys-add",
        select(
            "prekeys_add",
            &body(json!({"bundles": registration["bundles"]})),
        ),
    );
    add(
        &mut seeds,
        "valid-access",
        select("access", &body(json!({"access_verifier": b64(&verifier)}))),
    );
    add(
        &mut seeds,
        "valid-sealed-single",
        select(
            "sealed_single",
            &body(
                json!({"recipient": hex_account, "envelopes": [{"device_id": 1, "envelope": b64(&envelope)}]}),
            ),
        ),
    );
    add(
        &mut seeds,
        "valid-sealed-multi",
        select(
            "sealed_multi",
            &body(
                json!({"sent": b64(&sent), "access_keys": {hex_account.clone(): "AAECAwQFBgcICQoLDA0ODw=="}}),
            ),
        ),
    );
    add(
        &mut seeds,
        "valid-ack",
        select("ack", &body(json!({"ids": [1, 2, 3]}))),
    );
    add(&mut seeds, "valid-wait", select("wait", b"wait=5"));
    add(
        &mut seeds,
        "valid-transport",
        select(
            "transport",
            &body(json!({"recipient": hex_account, "text": "meet at noon"})),
        ),
    );
    add(
        &mut seeds,
        "bad-transport-empty-text",
        select(
            "transport",
            &body(json!({"recipient": hex_account, "text": ""})),
        ),
    );
    add(
        &mut seeds,
        "valid-identified-traced",
        select(
            "identified",
            &body(json!({
                "recipient": hex_account,
                "envelopes": [{"device_id": 1, "envelope": b64(&envelope)}],
                "trace": b64(&[3u8; 32]),
            })),
        ),
    );
    add(
        &mut seeds,
        "bad-identified-trace-31-bytes",
        select(
            "identified",
            &body(json!({
                "recipient": hex_account,
                "envelopes": [{"device_id": 1, "envelope": b64(&envelope)}],
                "trace": b64(&[3u8; 31]),
            })),
        ),
    );
    let mut with_phone = registration.clone();
    with_phone["phone"] = json!("+15550100001");
    add(
        &mut seeds,
        "valid-register-phone",
        select("register", &body(with_phone.clone())),
    );
    with_phone["phone"] = json!("+0555");
    add(
        &mut seeds,
        "bad-register-phone",
        select("register", &body(with_phone)),
    );

    let mut bad_register = registration.clone();
    bad_register["device_id"] = json!(2);
    add(
        &mut seeds,
        "bad-register-device-not-listed",
        select("register", &body(bad_register)),
    );
    let mut bad_register = registration.clone();
    bad_register["challenge"] = json!(b64(&[8u8; 32]));
    add(
        &mut seeds,
        "bad-register-proof",
        select("register", &body(bad_register)),
    );
    let mut bad_register = registration.clone();
    bad_register["proof"] = json!("not base64!");
    add(
        &mut seeds,
        "bad-register-base64",
        select("register", &body(bad_register)),
    );
    add(
        &mut seeds,
        "bad-register-truncated-json",
        select("register", &body(registration)[..100]),
    );
    let mut trailing = list.as_bytes().to_vec();
    trailing.push(0);
    add(
        &mut seeds,
        "bad-device-list-trailing",
        select("device_list", &body(json!({"device_list": b64(&trailing)}))),
    );
    add(
        &mut seeds,
        "bad-prekeys-replace-no-last-resort",
        select("prekeys_replace", &body(json!({"bundles": []}))),
    );
    add(
        &mut seeds,
        "bad-prekeys-add-last-resort-as-one-time",
        select("prekeys_add", &body(json!({"bundles": [last]}))),
    );
    add(
        &mut seeds,
        "bad-access-31-bytes",
        select(
            "access",
            &body(json!({"access_verifier": b64(&verifier[..31])})),
        ),
    );
    let mut wrong_tag = envelope.clone();
    wrong_tag[0] = 0x1e;
    add(
        &mut seeds,
        "bad-sealed-single-tag",
        select(
            "sealed_single",
            &body(
                json!({"recipient": hex_account, "envelopes": [{"device_id": 1, "envelope": b64(&wrong_tag)}]}),
            ),
        ),
    );
    add(
        &mut seeds,
        "bad-sealed-single-twice",
        select(
            "sealed_single",
            &body(
                json!({"recipient": hex_account, "envelopes": [{"device_id": 1, "envelope": b64(&envelope)}, {"device_id": 1, "envelope": b64(&envelope)}]}),
            ),
        ),
    );
    add(
        &mut seeds,
        "bad-sealed-multi-no-key",
        select(
            "sealed_multi",
            &body(json!({"sent": b64(&sent), "access_keys": {}})),
        ),
    );
    add(
        &mut seeds,
        "bad-sealed-multi-truncated",
        select(
            "sealed_multi",
            &body(
                json!({"sent": b64(&sent[..sent.len() - 1]), "access_keys": {hex_account: "AAECAwQFBgcICQoLDA0ODw=="}}),
            ),
        ),
    );
    add(
        &mut seeds,
        "bad-ack-empty",
        select("ack", &body(json!({"ids": []}))),
    );
    add(&mut seeds, "bad-wait", select("wait", b"wait=soon"));
    add(&mut seeds, "bad-empty", Vec::new());
    // Each seed does what its name says.
    for (name, data) in &seeds {
        let accepted = fuzz_targets::relay_request(data);
        assert_eq!(accepted, name.starts_with("seed-valid"), "{name}");
    }
    seeds
}
