//! Unit tests of the SQLite storage: pragmas, schema versions, batches.

use super::*;

fn pragma(path: &Path, name: &str) -> i64 {
    let conn = Connection::open(path).unwrap();
    conn.pragma_query_value(None, name, |r| r.get(0)).unwrap()
}

#[test]
fn durability_sets_synchronous_and_the_schema_is_versioned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    for (durability, expected) in [(Durability::ProcessCrash, 1), (Durability::PowerLoss, 2)] {
        let storage = SqliteStorage::open(&path, durability).unwrap();
        let synchronous = storage
            .run(|conn| Ok(conn.pragma_query_value(None, "synchronous", |r| r.get::<_, i64>(0))?))
            .unwrap();
        assert_eq!(synchronous, expected);
        storage.close();
    }
    assert_eq!(pragma(&path, "user_version"), SCHEMA_VERSION);
    assert_eq!(
        Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0))
            .unwrap(),
        "wal"
    );
    // A database from a newer relay is refused, not migrated down.
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    assert!(matches!(
        SqliteStorage::open(&path, Durability::ProcessCrash),
        Err(StorageError::SchemaTooNew(v)) if v == SCHEMA_VERSION + 1
    ));
}

#[test]
fn a_refused_operation_in_a_batch_leaves_the_others_committed() {
    let dir = tempfile::tempdir().unwrap();
    let storage = std::sync::Arc::new(
        SqliteStorage::open(dir.path().join("relay.db"), Durability::ProcessCrash).unwrap(),
    );
    let account = AccountId::from_bytes([1; 16]);
    // Many concurrent operations, half of them refused (unknown account), share batches.
    let handles: Vec<_> = (0..64)
        .map(|i| {
            let storage = std::sync::Arc::clone(&storage);
            std::thread::spawn(move || {
                if i % 2 == 0 {
                    storage.store_keys(StoredKeys {
                        trust_root_seed: None,
                        trust_root: [i as u8; 32],
                        server_key_id: i,
                        server_key_seed: [0; 32],
                        server_certificate: vec![i as u8],
                    })
                } else {
                    storage.set_access_verifier(account, [0; 32])
                }
            })
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let result = h.join().unwrap();
        if i % 2 == 0 {
            assert!(result.is_ok());
        } else {
            assert!(matches!(result, Err(StorageError::UnknownAccount)));
        }
    }
    assert!(storage.keys().unwrap().is_some());
}

#[test]
fn a_submitted_operation_runs_its_calls_on_the_writer_and_replies_after_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let storage = std::sync::Arc::new(
        SqliteStorage::open(dir.path().join("relay.db"), Durability::ProcessCrash).unwrap(),
    );
    let keys = |id: u32| StoredKeys {
        trust_root_seed: None,
        trust_root: [id as u8; 32],
        server_key_id: id,
        server_key_seed: [0; 32],
        server_certificate: vec![id as u8],
    };
    let (tx, rx) = mpsc::channel();
    storage
        .submit(Box::new(move |s| {
            let writer = thread::current().name() == Some("sotto-relay-writer");
            // A call that succeeds, one that is refused, then one that sees the first.
            let stored = s.store_keys(keys(7));
            let refused = s.set_access_verifier(AccountId::from_bytes([1; 16]), [0; 32]);
            let seen = s.keys().map(|k| k.map(|k| k.server_key_id));
            Box::new(move |committed| {
                tx.send((writer, stored, refused, seen, committed)).unwrap();
            })
        }))
        .unwrap();
    let (writer, stored, refused, seen, committed) = rx.recv().unwrap();
    assert!(writer, "the operation ran on the writer thread");
    assert!(stored.is_ok());
    assert!(matches!(refused, Err(StorageError::UnknownAccount)));
    assert_eq!(seen.unwrap(), Some(7));
    assert!(committed);
    // Committed: a caller on another thread sees it, and the refused call left nothing.
    assert_eq!(storage.keys().unwrap().unwrap().server_key_id, 7);
    // Once closed, a submit is refused and the operation dropped unrun.
    storage.close();
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&ran);
    let result = storage.submit(Box::new(move |_| {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        Box::new(|_| {})
    }));
    assert!(matches!(result, Err(StorageError::WriterGone)));
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn a_version_1_database_migrates_to_3_keeping_its_mail_as_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let account = AccountId::from_bytes([5; 16]);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO messages (account_id, device_id, envelope, received_day)
             VALUES (?1, 1, x'1f01', 7)",
            params![account_bytes(account)],
        )
        .unwrap();
    }
    let storage = SqliteStorage::open(&path, Durability::ProcessCrash).unwrap();
    let mail = storage.fetch_messages(account, 1, 10).unwrap();
    assert_eq!(mail.len(), 1);
    // Day 7 becomes its first second.
    assert_eq!(
        (mail[0].envelope.clone(), mail[0].received_at),
        (vec![0x1f, 1], 7 * 86_400)
    );
    assert_eq!((mail[0].sender, mail[0].body.clone()), (None, None));
    storage.close();
    assert_eq!(pragma(&path, "user_version"), 3);
}

#[test]
fn a_version_2_identified_sender_becomes_one_20_byte_address() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let account = AccountId::from_bytes([5; 16]);
    let sender = AccountId::from_bytes([6; 16]);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO messages (account_id, device_id, envelope, received_day,
                                   sender_account, sender_device)
             VALUES (?1, 1, x'1f01', 7, ?2, 258)",
            params![account_bytes(account), account_bytes(sender)],
        )
        .unwrap();
    }
    let storage = SqliteStorage::open(&path, Durability::ProcessCrash).unwrap();
    let mail = storage.fetch_messages(account, 1, 10).unwrap();
    assert_eq!(mail[0].sender, Some((sender, 258)));
    storage.close();
    let conn = Connection::open(&path).unwrap();
    let stored: Vec<u8> = conn
        .query_row("SELECT sender FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, super::address(sender, 258).to_vec());
    assert_eq!(&stored[16..], &[0, 0, 1, 2]);
}

#[test]
fn a_database_refuses_another_profile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let storage = SqliteStorage::open(&path, Durability::ProcessCrash).unwrap();
    storage.bind_profile("e2ee").unwrap();
    storage.bind_profile("e2ee").unwrap();
    assert!(matches!(
        storage.bind_profile("sotto"),
        Err(StorageError::ProfileMismatch { stored }) if stored == "e2ee"
    ));
}
