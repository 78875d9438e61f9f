//! The client store on disk (protocol.md 8.6): the `RecordBackend` contract on both backends,
//! what a seized SQLite file shows, a device restarted mid-conversation, and a process
//! killed with SIGKILL in the middle of its writes.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::SecretBytes;
use sotto_devices::store::{
    MemoryBackend, RecordBackend, RecordIndex, RecordKind, StoreErrorKind, Write,
};
use sotto_devices::{AccountId, Device, DeviceError};
use sotto_handshake::{HandshakeConfig, PrekeyPolicy, VerifiedBundle};
use sotto_store_sqlite::{Durability, SqliteBackend};

const NOW: u64 = 1_700_000_000;

fn idx(byte: u8) -> RecordIndex {
    RecordIndex::from_bytes([byte; 32])
}

fn put(kind: RecordKind, byte: u8, value: &[u8]) -> Write {
    Write::Put {
        kind,
        index: idx(byte),
        value: value.to_vec(),
    }
}

fn delete(kind: RecordKind, byte: u8) -> Write {
    Write::Delete {
        kind,
        index: idx(byte),
    }
}

// ---------------------------------------------------------------------- backend contract

/// What every backend must do: reads, scans of one kind in index order, batches applied in
/// order, deletes, replacements.
fn backend_contract<B: RecordBackend>(mut b: B) {
    use RecordKind::{Account, Device as Dev, Sessions};
    assert_eq!(b.get(Account, &idx(1)).unwrap(), None);
    assert_eq!(b.scan(Account).unwrap(), vec![]);
    b.apply(&[]).unwrap();
    // Out of index order on purpose, across kinds, with the same index under two kinds.
    b.apply(&[
        put(Account, 9, b"a9"),
        put(Account, 1, b"a1"),
        put(Sessions, 1, b"s1"),
        put(Account, 0xff, b"aff"),
        put(Dev, 0, b""),
    ])
    .unwrap();
    assert_eq!(b.get(Account, &idx(1)).unwrap(), Some(b"a1".to_vec()));
    assert_eq!(b.get(Sessions, &idx(1)).unwrap(), Some(b"s1".to_vec()));
    assert_eq!(b.get(Dev, &idx(0)).unwrap(), Some(Vec::new()));
    assert_eq!(b.get(Sessions, &idx(9)).unwrap(), None);
    assert_eq!(
        b.scan(Account).unwrap(),
        vec![
            (idx(1), b"a1".to_vec()),
            (idx(9), b"a9".to_vec()),
            (idx(0xff), b"aff".to_vec())
        ]
    );
    assert_eq!(b.scan(RecordKind::Prekeys).unwrap(), vec![]);
    // Index order is byte order, not the order of the first byte alone.
    let mut low = [0u8; 32];
    low[31] = 2;
    let mut high = [0u8; 32];
    high[0] = 1;
    b.apply(&[
        Write::Put {
            kind: RecordKind::Prekeys,
            index: RecordIndex::from_bytes(high),
            value: b"high".to_vec(),
        },
        Write::Put {
            kind: RecordKind::Prekeys,
            index: RecordIndex::from_bytes(low),
            value: b"low".to_vec(),
        },
    ])
    .unwrap();
    let scanned: Vec<_> = b
        .scan(RecordKind::Prekeys)
        .unwrap()
        .into_iter()
        .map(|(i, _)| *i.as_bytes())
        .collect();
    assert_eq!(scanned, vec![low, high]);
    // Writes of a batch apply in order: put, replace, delete, put again; a delete of what is
    // not there is no error.
    b.apply(&[
        put(Account, 1, b"first"),
        put(Account, 1, b"second"),
        delete(Account, 9),
        delete(Account, 9),
        delete(Sessions, 0x42),
        put(Sessions, 1, b"gone"),
        delete(Sessions, 1),
        put(Sessions, 1, b"back"),
    ])
    .unwrap();
    assert_eq!(b.get(Account, &idx(1)).unwrap(), Some(b"second".to_vec()));
    assert_eq!(b.get(Account, &idx(9)).unwrap(), None);
    assert_eq!(b.get(Sessions, &idx(1)).unwrap(), Some(b"back".to_vec()));
    assert_eq!(b.scan(Account).unwrap().len(), 2);
    // A delete under one kind leaves the same index under another.
    b.apply(&[delete(Sessions, 1)]).unwrap();
    assert_eq!(b.get(Account, &idx(1)).unwrap(), Some(b"second".to_vec()));
    // Values up to the limit round-trip.
    let big = vec![0xab; sotto_devices::store::MAX_RECORD_LEN];
    b.apply(&[put(Sessions, 3, &big)]).unwrap();
    assert_eq!(b.get(Sessions, &idx(3)).unwrap(), Some(big));
}

#[test]
fn backend_contract_memory() {
    backend_contract(MemoryBackend::new());
}

#[test]
fn backend_contract_sqlite_in_memory() {
    backend_contract(SqliteBackend::open_in_memory().unwrap());
}

#[test]
fn backend_contract_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contract.db");
    backend_contract(SqliteBackend::open(&path, Durability::Process).unwrap());
    // And the state it left is what a reopen reads.
    let b = SqliteBackend::open(&path, Durability::PowerLoss).unwrap();
    assert_eq!(
        b.get(RecordKind::Account, &idx(1)).unwrap(),
        Some(b"second".to_vec())
    );
}

/// A batch that fails at its third write inside SQLite (a trigger installed through a second
/// connection aborts any insert of the value `x'DEAD'`) leaves nothing of its first two
/// writes, a replacement and a delete among them; the backend keeps working afterwards.
#[test]
fn a_batch_that_fails_mid_way_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atomic.db");
    let mut b = SqliteBackend::open(&path, Durability::Process).unwrap();
    b.apply(&[
        put(RecordKind::Account, 1, b"old"),
        put(RecordKind::Account, 2, b"keep"),
    ])
    .unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER fail_dead BEFORE INSERT ON records WHEN NEW.value = x'DEAD'
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
        )
        .unwrap();
    let e = b
        .apply(&[
            put(RecordKind::Account, 1, b"new"),
            delete(RecordKind::Account, 2),
            put(RecordKind::Account, 3, &[0xde, 0xad]),
            put(RecordKind::Account, 4, b"after"),
        ])
        .unwrap_err();
    assert_eq!(e.kind(), StoreErrorKind::Backend);
    let cause = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<rusqlite::Error>())
        .unwrap();
    assert_eq!(
        cause.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation)
    );
    assert_eq!(
        b.scan(RecordKind::Account).unwrap(),
        vec![(idx(1), b"old".to_vec()), (idx(2), b"keep".to_vec())]
    );
    // Nothing half-done reached the file either: a fresh connection sees the same.
    drop(b);
    let b = SqliteBackend::open(&path, Durability::Process).unwrap();
    assert_eq!(b.scan(RecordKind::Account).unwrap().len(), 2);
    let mut b = b;
    b.apply(&[put(RecordKind::Account, 3, b"fine")]).unwrap();
    assert_eq!(b.scan(RecordKind::Account).unwrap().len(), 3);
}

// ---------------------------------------------------------------------- devices

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn store_key(byte: u8) -> SecretBytes<32> {
    SecretBytes::new([byte; 32])
}

fn new_device<B: RecordBackend>(backend: B, key: &SecretBytes<32>, r: &mut StdRng) -> Device<B> {
    Device::create_account(
        backend,
        key,
        HandshakeConfig::default(),
        PrekeyPolicy::default(),
        NOW,
        r,
    )
    .unwrap()
}

fn sqlite_file(path: &Path) -> SqliteBackend {
    SqliteBackend::open(path, Durability::Process).unwrap()
}

/// `a` and `b` pin each other's account from their device lists.
fn introduce<A: RecordBackend, B: RecordBackend>(
    a: &mut Device<A>,
    b: &mut Device<B>,
    r: &mut StdRng,
) {
    let list = b.own_list().unwrap().clone();
    let _ = a.observe_list(list, r).unwrap();
    let list = a.own_list().unwrap().clone();
    let _ = b.observe_list(list, r).unwrap();
}

/// Encrypts `text` from `from` to `to`'s account (with a bundle from `to`'s published
/// prekeys where no session exists yet) and decrypts it on `to`; returns the message bytes.
fn send<A: RecordBackend, B: RecordBackend>(
    from: &mut Device<A>,
    to: &mut Device<B>,
    text: &[u8],
    r: &mut StdRng,
) -> Vec<u8> {
    let message = encrypt_to(from, to, text, r);
    let received = to
        .decrypt(from.account_id(), from.device_id(), &message, r)
        .unwrap();
    assert_eq!(received.plaintext, text);
    assert_eq!(received.account, from.account_id());
    message
}

fn encrypt_to<A: RecordBackend, B: RecordBackend>(
    from: &mut Device<A>,
    to: &Device<B>,
    text: &[u8],
    r: &mut StdRng,
) -> Vec<u8> {
    let peer = to.account_id();
    let mut bundles: Vec<(AccountId, u32, VerifiedBundle)> = Vec::new();
    for (account, device_id) in from.missing_sessions(peer).unwrap() {
        assert_eq!((account, device_id), (peer, to.device_id()));
        let mut published = to.published_prekeys().unwrap();
        bundles.push((
            account,
            device_id,
            published.take_bundle().verify().unwrap(),
        ));
    }
    let fan_outs = from.encrypt(peer, text, &bundles, r).unwrap();
    let fan_out = fan_outs.iter().find(|f| f.account() == peer).unwrap();
    fan_out.message_for(to.device_id()).unwrap().to_vec()
}

/// Everything that must not appear in a store file in the clear, with a name for the
/// failure message.
struct Secrets(Vec<(String, Vec<u8>)>);

impl Secrets {
    fn add(&mut self, name: impl Into<String>, bytes: &[u8]) {
        self.0.push((name.into(), bytes.to_vec()));
    }

    /// What a device's store must hide: its account id, its account key, both halves of its
    /// identity, and every peer account's id and pinned key.
    fn of_device<B: RecordBackend>(&mut self, name: &str, d: &Device<B>, peers: &[AccountId]) {
        let id = d.account_id();
        self.add(format!("{name} account id"), &id.to_bytes());
        let own = d.account(id).unwrap();
        self.add(format!("{name} account key"), &own.pinned_key().to_bytes());
        let identity = d.identity_key().unwrap().to_bytes();
        self.add(format!("{name} identity (Ed25519)"), &identity[..32]);
        self.add(format!("{name} identity (X25519)"), &identity[32..]);
        for peer in peers {
            let trust = d.account(*peer).unwrap();
            self.add(format!("{name}'s peer id"), &peer.to_bytes());
            self.add(
                format!("{name}'s peer account key"),
                &trust.pinned_key().to_bytes(),
            );
        }
    }

    /// The names of the secrets found in `haystack`.
    fn found_in(&self, haystack: &[u8]) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(_, needle)| {
                haystack
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice())
            })
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// The database file and, where they exist, its `-wal` and `-shm` files.
fn store_files(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect()
}

fn assert_hidden(secrets: &Secrets, path: &Path, expect_wal: bool) {
    let files = store_files(path);
    assert!(!files.is_empty());
    assert_eq!(
        files
            .iter()
            .any(|(p, b)| p.to_string_lossy().ends_with("-wal") && !b.is_empty()),
        expect_wal,
        "WAL presence for {}",
        path.display()
    );
    for (file, bytes) in &files {
        let found = secrets.found_in(bytes);
        assert!(found.is_empty(), "{} shows {found:?}", file.display());
    }
}

/// Three accounts on three SQLite files set up sessions and talk; then every file of every
/// store (database, WAL, shared memory), open and after closing, is searched for the
/// account ids, account keys, identity halves, plaintexts and store keys of all three. None
/// appears. The search is shown able to fail: the same scan finds a marker written raw into a
/// copy of a store, and finds the secrets in a buffer that holds them.
#[test]
fn a_store_file_shows_no_ids_keys_or_plaintexts() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = ["alice", "bob", "carol"]
        .iter()
        .map(|n| dir.path().join(format!("{n}.db")))
        .collect();
    let keys = [store_key(0xa1), store_key(0xb2), store_key(0xc3)];
    let mut r = rng(1);
    let mut alice = new_device(sqlite_file(&paths[0]), &keys[0], &mut r);
    let mut bob = new_device(sqlite_file(&paths[1]), &keys[1], &mut r);
    let mut carol = new_device(sqlite_file(&paths[2]), &keys[2], &mut r);
    introduce(&mut alice, &mut bob, &mut r);
    introduce(&mut alice, &mut carol, &mut r);
    introduce(&mut bob, &mut carol, &mut r);

    let mut plaintexts: Vec<Vec<u8>> = Vec::new();
    let mut text = |what: &str, i: usize| {
        let t = format!("raw-file scan plaintext {what} #{i}: meet at the north gate").into_bytes();
        plaintexts.push(t.clone());
        t
    };
    for i in 0..4 {
        send(&mut alice, &mut bob, &text("alice->bob", i), &mut r);
        send(&mut bob, &mut alice, &text("bob->alice", i), &mut r);
        send(&mut carol, &mut alice, &text("carol->alice", i), &mut r);
        send(&mut alice, &mut carol, &text("alice->carol", i), &mut r);
        send(&mut bob, &mut carol, &text("bob->carol", i), &mut r);
        send(&mut carol, &mut bob, &text("carol->bob", i), &mut r);
    }
    let ids = [alice.account_id(), bob.account_id(), carol.account_id()];
    let mut secrets = Secrets(Vec::new());
    secrets.of_device("alice", &alice, &[ids[1], ids[2]]);
    secrets.of_device("bob", &bob, &[ids[0], ids[2]]);
    secrets.of_device("carol", &carol, &[ids[0], ids[1]]);
    for (i, p) in plaintexts.iter().enumerate() {
        secrets.add(format!("plaintext {i}"), p);
    }
    for (i, k) in keys.iter().enumerate() {
        secrets.add(format!("store key {i}"), k.expose());
    }
    assert_eq!(secrets.0.len(), 3 * 8 + 24 + 3);

    // Open: the WAL holds the recent commits.
    for path in &paths {
        assert_hidden(&secrets, path, true);
    }

    // The scanner fails when it should: on a buffer that holds each secret, and on a copy of
    // a store into which a marker was written through SQL, unencrypted.
    let mut planted = b"prefix".to_vec();
    for (_, s) in &secrets.0 {
        planted.extend_from_slice(s);
        planted.push(0);
    }
    assert_eq!(secrets.found_in(&planted).len(), secrets.0.len());
    let copy = dir.path().join("copy.db");
    {
        let c = rusqlite::Connection::open(&paths[0]).unwrap();
        c.execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
            .unwrap();
    }
    let marker = Secrets(vec![("marker".into(), ids[1].to_bytes().to_vec())]);
    assert!(marker.found_in(&std::fs::read(&copy).unwrap()).is_empty());
    rusqlite::Connection::open(&copy)
        .unwrap()
        .execute_batch(&format!(
            "CREATE TABLE scratch (b BLOB); INSERT INTO scratch VALUES (x'{}');",
            hex::encode(ids[1].to_bytes())
        ))
        .unwrap();
    assert_eq!(
        marker.found_in(&std::fs::read(&copy).unwrap()),
        vec!["marker"]
    );

    // Closed: SQLite checkpoints and removes the WAL; the database file shows nothing either.
    drop(alice);
    drop(bob);
    drop(carol);
    for path in &paths {
        assert_hidden(&secrets, path, false);
    }
}

/// A device on SQLite talks, is dropped and reopened from its file, and the conversation goes
/// on in both directions on the same sessions (no new session setup); trust (pinned key,
/// safety number) survived. Opening with a wrong store key fails as `WrongStoreKey`.
#[test]
fn a_device_restarted_mid_conversation_carries_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.db");
    let key = store_key(0x5a);
    let mut r = rng(2);
    let mut alice = new_device(sqlite_file(&path), &key, &mut r);
    let mut bob = new_device(MemoryBackend::new(), &store_key(0x6b), &mut r);
    introduce(&mut alice, &mut bob, &mut r);
    for i in 0..3 {
        send(
            &mut alice,
            &mut bob,
            format!("before {i}").as_bytes(),
            &mut r,
        );
        send(
            &mut bob,
            &mut alice,
            format!("reply {i}").as_bytes(),
            &mut r,
        );
    }
    // One message from Bob in flight across the restart, and one skipped (never delivered).
    let _skipped = encrypt_to(&mut bob, &alice, b"lost on the way", &mut r);
    let in_flight = encrypt_to(&mut bob, &alice, b"in flight", &mut r);
    let (alice_id, bob_id) = (alice.account_id(), bob.account_id());
    let safety = alice.safety_number(bob_id).unwrap();
    let pinned = *alice.account(bob_id).unwrap().pinned_key();
    let sessions = alice.session_count(bob_id, 1);
    drop(alice.into_backend());

    let wrong = Device::open(
        sqlite_file(&path),
        &store_key(0x5b),
        HandshakeConfig::default(),
    )
    .unwrap_err();
    assert!(matches!(&wrong, DeviceError::WrongStoreKey), "{wrong:?}");

    let mut alice = Device::open(sqlite_file(&path), &key, HandshakeConfig::default()).unwrap();
    assert_eq!(alice.account_id(), alice_id);
    assert!(alice.holds_account_key());
    assert_eq!(alice.safety_number(bob_id).unwrap(), safety);
    assert_eq!(*alice.account(bob_id).unwrap().pinned_key(), pinned);
    assert_eq!(alice.session_count(bob_id, 1), sessions);
    assert!(alice.missing_sessions(bob_id).unwrap().is_empty());
    let got = alice.decrypt(bob_id, 1, &in_flight, &mut r).unwrap();
    assert_eq!(got.plaintext, b"in flight");
    for i in 0..3 {
        send(
            &mut alice,
            &mut bob,
            format!("after {i}").as_bytes(),
            &mut r,
        );
        send(
            &mut bob,
            &mut alice,
            format!("again {i}").as_bytes(),
            &mut r,
        );
    }
    assert_eq!(alice.session_count(bob_id, 1), sessions);
    // A message decrypted before the restart is not accepted again after it.
    drop(alice);
    let mut alice = Device::open(sqlite_file(&path), &key, HandshakeConfig::default()).unwrap();
    assert!(alice.decrypt(bob_id, 1, &in_flight, &mut r).is_err());
    send(&mut bob, &mut alice, b"still fine", &mut r);
}

// ---------------------------------------------------------------------- SIGKILL

const CHILD_ENV: &str = "SOTTO_STORE_CHILD";
const CHILD_MODE_ENV: &str = "SOTTO_STORE_CHILD_MODE";
/// Records each batch of the batch child writes: the counter in all of them.
const COUNTER_RECORDS: u8 = 4;
const CHILD_BATCHES: u64 = 100_000;
const CHILD_MESSAGES: u64 = 5_000;
const ALICE_KEY: u8 = 0xa5;
const BOB_KEY: u8 = 0xb5;

/// Batch `n`: the counter record `n` (big-endian, padded) at every one of four indexes, a
/// marker record at an index derived from `n` and the delete of the marker of `n - 1`.
fn counter_batch(n: u64) -> Vec<Write> {
    let value = counter_value(n);
    let mut batch: Vec<Write> = (0..COUNTER_RECORDS)
        .map(|i| put(RecordKind::Sessions, i, &value))
        .collect();
    batch.push(Write::Put {
        kind: RecordKind::Account,
        index: marker_index(n),
        value: n.to_be_bytes().to_vec(),
    });
    if n > 1 {
        batch.push(Write::Delete {
            kind: RecordKind::Account,
            index: marker_index(n - 1),
        });
    }
    batch
}

fn counter_value(n: u64) -> Vec<u8> {
    let mut value = n.to_be_bytes().to_vec();
    value.resize(600, (n % 251) as u8);
    value
}

fn marker_index(n: u64) -> RecordIndex {
    let mut i = [0u8; 32];
    i[..8].copy_from_slice(&n.to_be_bytes());
    RecordIndex::from_bytes(i)
}

/// The last batch the store holds, checking that it holds all of it and nothing of a later
/// or half-applied one; 0 for an empty store.
fn consistent_counter(b: &SqliteBackend) -> u64 {
    let sessions = b.scan(RecordKind::Sessions).unwrap();
    let markers = b.scan(RecordKind::Account).unwrap();
    if sessions.is_empty() {
        assert!(markers.is_empty());
        return 0;
    }
    assert_eq!(sessions.len(), usize::from(COUNTER_RECORDS));
    let n = u64::from_be_bytes(sessions[0].1[..8].try_into().unwrap());
    for (i, (index, value)) in sessions.iter().enumerate() {
        assert_eq!(*index, idx(u8::try_from(i).unwrap()));
        assert_eq!(*value, counter_value(n), "records of different batches");
    }
    assert_eq!(
        markers,
        vec![(marker_index(n), n.to_be_bytes().to_vec())],
        "marker of batch {n}"
    );
    n
}

/// The child of `sigkill_*`: does nothing unless started by one with its variables set.
#[cfg(unix)]
#[test]
#[ignore = "started by the SIGKILL tests in a child process"]
fn sigkill_child() {
    let (Ok(path), Ok(mode)) = (std::env::var(CHILD_ENV), std::env::var(CHILD_MODE_ENV)) else {
        return;
    };
    let path = PathBuf::from(path);
    match mode.as_str() {
        "batches" => {
            let mut b = sqlite_file(&path);
            let start = consistent_counter(&b);
            for n in start + 1..=start + CHILD_BATCHES {
                b.apply(&counter_batch(n)).unwrap();
            }
        }
        "device" => {
            let mut r = rng(u64::from(std::process::id()));
            let bob_path = PathBuf::from(format!("{}.bob", path.display()));
            let mut alice = new_device(sqlite_file(&path), &store_key(ALICE_KEY), &mut r);
            let mut bob = new_device(sqlite_file(&bob_path), &store_key(BOB_KEY), &mut r);
            introduce(&mut alice, &mut bob, &mut r);
            send(&mut alice, &mut bob, b"hello", &mut r);
            send(&mut bob, &mut alice, b"hello back", &mut r);
            std::fs::write(format!("{}.ready", path.display()), b"ready").unwrap();
            for i in 0..CHILD_MESSAGES {
                // Runs of both lengths, so some messages ride a chain and some turn it.
                if i % 3 == 0 {
                    send(&mut bob, &mut alice, b"from bob", &mut r);
                } else {
                    send(&mut alice, &mut bob, b"from alice", &mut r);
                }
            }
        }
        _ => {}
    }
}

/// Starts the child in `mode` on `path`, waits until `ready` says it is under way (at most
/// 20 s), lets it write for `delay` more, kills it with SIGKILL and checks it died of it.
#[cfg(unix)]
fn kill_child_mid_write(path: &Path, mode: &str, ready: impl Fn() -> bool, delay: Duration) {
    use std::os::unix::process::ExitStatusExt;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "sigkill_child", "--nocapture", "--ignored"])
        .env(CHILD_ENV, path)
        .env(CHILD_MODE_ENV, mode)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child made no progress in time");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(delay);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the child finished before it was killed"
    );
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "{status:?}");
}

fn wal_len(path: &Path) -> u64 {
    std::fs::metadata(format!("{}-wal", path.display()))
        .map(|m| m.len())
        .unwrap_or(0)
}

/// A child applies batches of six writes in a loop (Durability::Process) and is killed with
/// SIGKILL while it writes, three times on the same file; each time the store reopens and
/// holds exactly the writes of the batches up to one (all four counter records agree, the
/// marker of that batch is there and no other), and the next child carries on from there.
#[cfg(unix)]
#[test]
fn sigkill_during_batches_leaves_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batches.db");
    let mut last = 0;
    for (round, delay_ms) in [(0u64, 30u64), (1, 77), (2, 151)] {
        kill_child_mid_write(
            &path,
            "batches",
            || wal_len(&path) > 256 * 1024,
            Duration::from_millis(delay_ms),
        );
        let b = sqlite_file(&path);
        let n = consistent_counter(&b);
        assert!(n > last, "round {round}: no batch since the last kill");
        assert!(n < last + CHILD_BATCHES, "round {round}: the loop ran out");
        last = n;
    }
}

/// Two devices on SQLite files converse in a child until it is killed with SIGKILL in the
/// middle; both reopen from their files, and the conversation goes on in both directions
/// (the message in flight at the kill, if any, is simply skipped).
#[cfg(unix)]
#[test]
fn sigkill_during_a_conversation_leaves_devices_that_open_and_talk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.db");
    let bob_path = PathBuf::from(format!("{}.bob", path.display()));
    let ready = PathBuf::from(format!("{}.ready", path.display()));
    kill_child_mid_write(
        &path,
        "device",
        || ready.exists(),
        Duration::from_millis(300),
    );
    let config = HandshakeConfig::default;
    let mut alice = Device::open(sqlite_file(&path), &store_key(ALICE_KEY), config()).unwrap();
    let mut bob = Device::open(sqlite_file(&bob_path), &store_key(BOB_KEY), config()).unwrap();
    let mut r = rng(3);
    assert!(alice.missing_sessions(bob.account_id()).unwrap().is_empty());
    assert!(bob.missing_sessions(alice.account_id()).unwrap().is_empty());
    for i in 0..3 {
        send(
            &mut alice,
            &mut bob,
            format!("after kill {i}").as_bytes(),
            &mut r,
        );
        send(
            &mut bob,
            &mut alice,
            format!("reply {i}").as_bytes(),
            &mut r,
        );
    }
}
