//! Unit tests of the disclosure export, on databases built here: a schema shaped like the
//! relay's (so that the rules are checked against every kind of column they name) and the
//! relay's own schema from [`crate::SqliteStorage::open`].

use super::*;

const ALICE: [u8; 16] = [0xa1; 16];
const BOB: [u8; 16] = [0xb0; 16];
const CAROL: [u8; 16] = [0xc4; 16];

fn address(account: [u8; 16], device: u32) -> Vec<u8> {
    let mut a = account.to_vec();
    a.extend_from_slice(&device.to_be_bytes());
    a
}

fn hash(n: u8) -> Vec<u8> {
    vec![n; 32]
}

/// A WAL database shaped like schema v3, with Alice (two devices), Bob and Carol: Alice
/// sent a traced text to Bob, who forwarded it to Carol; Bob sent Carol another.
fn build(path: &Path) -> Connection {
    let conn = Connection::open(path).unwrap();
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    conn.execute_batch(
        "PRAGMA user_version = 3;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
        CREATE TABLE accounts (account_id BLOB PRIMARY KEY, phone TEXT, device_list BLOB NOT NULL,
            created_at INTEGER NOT NULL) STRICT;
        CREATE TABLE devices (account_id BLOB NOT NULL, device_id INTEGER NOT NULL,
            identity BLOB NOT NULL, last_ip TEXT, PRIMARY KEY (account_id, device_id)) STRICT;
        CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, recipient BLOB NOT NULL,
            sender BLOB, envelope BLOB NOT NULL, body TEXT, received_at INTEGER NOT NULL) STRICT;
        CREATE TABLE contacts (owner BLOB NOT NULL, contact BLOB NOT NULL, first_at INTEGER NOT NULL,
            PRIMARY KEY (owner, contact)) WITHOUT ROWID;
        CREATE TABLE trace (hash BLOB PRIMARY KEY, originator BLOB NOT NULL, first_at INTEGER NOT NULL);
        CREATE TABLE trace_log (hash BLOB NOT NULL, sender BLOB NOT NULL, recipient BLOB NOT NULL,
            at INTEGER NOT NULL);",
    )
    .unwrap();
    let mut list = vec![0x21u8];
    list.extend_from_slice(&ALICE);
    list.extend_from_slice(&[7u8; 100]);
    for (id, phone) in [
        (ALICE, "+15550100001"),
        (BOB, "+15550100002"),
        (CAROL, "+15550100003"),
    ] {
        let list = if id == ALICE {
            list.clone()
        } else {
            vec![id[0]; 50]
        };
        conn.execute(
            "INSERT INTO accounts VALUES (?1, ?2, ?3, 1000)",
            rusqlite::params![id.to_vec(), phone, list],
        )
        .unwrap();
    }
    for (id, device) in [(ALICE, 1u32), (ALICE, 2), (BOB, 1), (CAROL, 1)] {
        conn.execute(
            "INSERT INTO devices VALUES (?1, ?2, ?3, '127.0.0.1')",
            rusqlite::params![id.to_vec(), device, vec![id[0] ^ 0x55; 64]],
        )
        .unwrap();
    }
    let message = |recipient: Vec<u8>, sender: Option<Vec<u8>>, body: &str| {
        conn.execute(
            "INSERT INTO messages (recipient, sender, envelope, body, received_at)
             VALUES (?1, ?2, x'00', ?3, 2000)",
            rusqlite::params![recipient, sender, body],
        )
        .unwrap();
    };
    message(address(BOB, 1), Some(address(ALICE, 1)), "hi | Bob");
    message(address(ALICE, 2), Some(address(ALICE, 1)), "copy");
    message(address(CAROL, 1), None, "sealed");
    message(address(CAROL, 1), Some(address(BOB, 1)), "from Bob");
    for (owner, contact) in [(ALICE, BOB), (BOB, ALICE), (BOB, CAROL)] {
        conn.execute(
            "INSERT INTO contacts VALUES (?1, ?2, 3000)",
            rusqlite::params![owner.to_vec(), contact.to_vec()],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO trace VALUES (?1, ?2, 4000)",
        rusqlite::params![hash(1), ALICE.to_vec()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO trace VALUES (?1, ?2, 4001)",
        rusqlite::params![hash(2), BOB.to_vec()],
    )
    .unwrap();
    for (h, sender, recipient, at) in [
        (1, address(ALICE, 1), address(BOB, 1), 4000),
        (1, address(BOB, 1), address(CAROL, 1), 4100),
        (2, address(BOB, 1), address(CAROL, 1), 4200),
    ] {
        conn.execute(
            "INSERT INTO trace_log VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![hash(h), sender, recipient, at],
        )
        .unwrap();
    }
    for (key, value) in [
        ("trust_root_seed", ALICE.to_vec()),
        ("server_key_seed", address(ALICE, 1)),
        ("trust_root", vec![9u8; 32]),
        ("note", ALICE.to_vec()),
    ] {
        conn.execute(
            "INSERT INTO meta VALUES (?1, ?2)",
            rusqlite::params![key, value],
        )
        .unwrap();
    }
    conn
}

fn id(bytes: [u8; 16]) -> AccountId {
    AccountId::from_bytes(bytes)
}

/// The values of a table's rows with the reason, as `(reason, values)`.
fn rows<'a>(d: &'a Disclosure, table: &str) -> Vec<(Reason, &'a [Value])> {
    d.table(table)
        .unwrap_or_else(|| panic!("no table {table}"))
        .rows
        .iter()
        .map(|r| (r.reason, r.values.as_slice()))
        .collect()
}

fn blob(b: &[u8]) -> Value {
    Value::Blob(b.to_vec())
}

#[test]
fn selects_every_row_naming_the_account_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let _writer = build(&path);
    let d = export(&path, id(ALICE)).unwrap();
    assert_eq!(d.schema_version, 3);
    let names: Vec<&str> = d.tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "accounts",
            "contacts",
            "devices",
            "messages",
            "meta",
            "trace",
            "trace_log"
        ]
    );
    assert_eq!(
        d.table("devices").unwrap().columns,
        ["account_id", "device_id", "identity", "last_ip"]
    );

    let accounts = rows(&d, "accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].1[0], blob(&ALICE));
    assert_eq!(accounts[0].1[1], Value::Text("+15550100001".into()));
    assert_eq!(accounts[0].1[3], Value::Integer(1000));

    let devices = rows(&d, "devices");
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0].1[1], Value::Integer(1));
    assert_eq!(devices[1].1[1], Value::Integer(2));
    assert!(devices.iter().all(|(_, v)| v[0] == blob(&ALICE)));

    // Addresses match by their first 16 bytes, as sender or recipient.
    let messages = rows(&d, "messages");
    let bodies: Vec<&Value> = messages.iter().map(|(_, v)| &v[4]).collect();
    assert_eq!(
        bodies,
        [&Value::Text("hi | Bob".into()), &Value::Text("copy".into())]
    );
    assert_eq!(rows(&d, "contacts").len(), 2);

    // Alice's trace_log row brings nothing new: the trace row of hash 1 names her anyway.
    let trace = rows(&d, "trace");
    assert_eq!(
        trace,
        [(
            Reason::Account,
            &[blob(&hash(1)), blob(&ALICE), Value::Integer(4000)][..]
        )]
    );
    // The trace row of her text brings the forward Bob → Carol; hash 2 is not hers.
    let log = rows(&d, "trace_log");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].0, Reason::Account);
    assert_eq!(log[1].0, Reason::SharedHash);
    assert_eq!(log[1].1[1], blob(&address(BOB, 1)));
    assert_eq!(log[1].1[2], blob(&address(CAROL, 1)));

    // The relay's seeds are withheld; another meta row holding the id is not.
    let meta = rows(&d, "meta");
    assert_eq!(
        meta,
        [(
            Reason::Account,
            &[Value::Text("note".into()), blob(&ALICE)][..]
        )]
    );
}

#[test]
fn the_originator_is_in_the_package_of_whoever_received_a_forward() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let _writer = build(&path);
    let d = export(&path, id(CAROL)).unwrap();
    // Carol's two trace_log rows (Bob → Carol) bring both trace rows: hash 1 names Alice
    // as the originator.
    let log = rows(&d, "trace_log");
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|(r, _)| *r == Reason::Account));
    let trace = rows(&d, "trace");
    assert_eq!(trace.len(), 2);
    assert!(trace.iter().all(|(r, _)| *r == Reason::SharedHash));
    assert_eq!(trace[0].1[1], blob(&ALICE));
    assert_eq!(trace[1].1[1], blob(&BOB));
    // The rows sharing a hash come from other tables only: Alice → Bob of hash 1 is not
    // Carol's.
    assert!(!log.iter().any(|(_, v)| v[1] == blob(&address(ALICE, 1))));
    assert_eq!(rows(&d, "accounts").len(), 1);
    assert_eq!(rows(&d, "meta").len(), 0);
}

#[test]
fn a_table_the_code_does_not_know_is_exported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let writer = build(&path);
    writer
        .execute_batch(
            "CREATE TABLE \"future log\" (account_id TEXT, \"what \"\"quoted\"\"\" TEXT, n REAL);
             CREATE TABLE sightings (place TEXT, who BLOB, hash BLOB);",
        )
        .unwrap();
    writer
        .execute(
            "INSERT INTO \"future log\" VALUES (?1, 'upper-case hex', 1.5), (?2, 'lower-case hex', NULL),
             ('00000000000000000000000000000000', 'someone else', 2.0)",
            rusqlite::params![hex::encode_upper(ALICE), hex::encode(ALICE)],
        )
        .unwrap();
    // A BLOB column of any name matches; the hash links Carol's sighting to nothing of
    // Alice's, but the one sharing her trace hash is hers.
    writer
        .execute(
            "INSERT INTO sightings VALUES ('Rome', ?1, NULL), ('Oslo', ?2, ?3), ('Lima', ?2, ?4)",
            rusqlite::params![address(ALICE, 2), CAROL.to_vec(), hash(1), hash(2)],
        )
        .unwrap();
    let d = export(&path, id(ALICE)).unwrap();
    let future = d.table("future log").unwrap();
    assert_eq!(future.columns, ["account_id", "what \"quoted\"", "n"]);
    let notes: Vec<&Value> = future.rows.iter().map(|r| &r.values[1]).collect();
    assert_eq!(
        notes,
        [
            &Value::Text("upper-case hex".into()),
            &Value::Text("lower-case hex".into())
        ]
    );
    assert_eq!(future.rows[0].values[2], Value::Real(1.5));
    assert_eq!(future.rows[1].values[2], Value::Null);
    let sightings = rows(&d, "sightings");
    let places: Vec<(Reason, &Value)> = sightings.iter().map(|(r, v)| (*r, &v[0])).collect();
    assert_eq!(
        places,
        [
            (Reason::Account, &Value::Text("Rome".into())),
            (Reason::SharedHash, &Value::Text("Oslo".into()))
        ]
    );
    // TEXT matches only in the named columns: a text column `place` holding the hex is not
    // Alice's.
    writer
        .execute(
            "INSERT INTO sightings VALUES (?1, NULL, NULL)",
            rusqlite::params![hex::encode(ALICE)],
        )
        .unwrap();
    assert_eq!(
        export(&path, id(ALICE))
            .unwrap()
            .table("sightings")
            .unwrap()
            .rows
            .len(),
        2
    );
}

#[test]
fn a_meta_table_without_a_key_column_is_withheld_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE meta (name TEXT, value BLOB);
         CREATE TABLE accounts (account_id BLOB);
         CREATE TABLE devices (account_id BLOB);",
    )
    .unwrap();
    for sql in [
        "INSERT INTO meta VALUES ('server_key_seed', ?1)",
        "INSERT INTO accounts VALUES (?1)",
        "INSERT INTO devices VALUES (?1)",
    ] {
        conn.execute(sql, rusqlite::params![ALICE.to_vec()])
            .unwrap();
    }
    let d = export(&path, id(ALICE)).unwrap();
    assert_eq!(rows(&d, "accounts").len(), 1);
    assert_eq!(rows(&d, "devices").len(), 1);
    assert_eq!(rows(&d, "meta").len(), 0);
    let count: i64 = conn
        .query_row("SELECT count(*) FROM meta", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[test]
fn reads_a_consistent_snapshot_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let writer = build(&path);
    let before = std::fs::read(&path).unwrap();
    // A write in progress is not seen, and does not block the export.
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute(
            "INSERT INTO devices VALUES (?1, 3, x'00', NULL)",
            rusqlite::params![ALICE.to_vec()],
        )
        .unwrap();
    assert_eq!(rows(&export(&path, id(ALICE)).unwrap(), "devices").len(), 2);
    writer.execute_batch("COMMIT").unwrap();
    assert_eq!(rows(&export(&path, id(ALICE)).unwrap(), "devices").len(), 3);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn the_relays_own_schema_is_a_relay_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let storage = crate::SqliteStorage::open(&path, crate::Durability::ProcessCrash).unwrap();
    let d = export(&path, id(ALICE)).unwrap();
    assert_eq!(d.schema_version, crate::storage::SCHEMA_VERSION);
    for table in RELAY_TABLES {
        assert!(d.table(table).is_some(), "{table}");
    }
    assert!(d.tables.iter().all(|t| t.rows.is_empty()));
    assert!(d.tables.iter().all(|t| !t.name.starts_with("sqlite_")));
    storage.close();
}

fn one_line(e: &DiscloseError) -> String {
    let line = e.to_string();
    assert_eq!(line.lines().count(), 1, "{line:?}");
    line
}

#[test]
fn files_that_are_not_relay_databases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.db");
    let e = export(&missing, id(ALICE)).unwrap_err();
    assert!(matches!(e, DiscloseError::Missing { .. }), "{e:?}");
    assert!(one_line(&e).ends_with("absent.db: no such file"));

    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "this is not a database, it is a long enough text file\n".repeat(20),
    )
    .unwrap();
    let e = export(&text, id(ALICE)).unwrap_err();
    assert!(matches!(e, DiscloseError::NotARelay { .. }), "{e:?}");
    assert!(one_line(&e).contains("not a SQLite database"));

    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE accounts (account_id BLOB)")
        .unwrap();
    let e = export(&other, id(ALICE)).unwrap_err();
    assert!(one_line(&e).contains("no table meta, devices"), "{e}");

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        export(&empty, id(ALICE)),
        Err(DiscloseError::NotARelay { .. })
    ));
    // A directory exists but is no database.
    assert!(export(dir.path(), id(ALICE)).is_err());
}

#[test]
fn json_keeps_every_byte_and_markdown_shortens_long_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.db");
    let _writer = build(&path);
    let d = export(&path, id(ALICE)).unwrap();
    let json = d.to_json();
    assert_eq!(json["account"], hex::encode(ALICE));
    assert_eq!(json["schema_version"], 3);
    assert_eq!(json["withheld_meta_keys"][1], "server_key_seed");
    let accounts = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "accounts")
        .unwrap();
    assert_eq!(accounts["columns"][2], "device_list");
    let row = &accounts["rows"][0];
    assert_eq!(row["reason"], "account");
    assert_eq!(row["values"][0]["blob"], hex::encode(ALICE));
    assert_eq!(row["values"][1]["text"], "+15550100001");
    assert_eq!(row["values"][3]["integer"], 1000);
    let list = row["values"][2]["blob"].as_str().unwrap();
    assert_eq!(list.len(), 2 * 117);
    let log = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "trace_log")
        .unwrap();
    assert_eq!(log["rows"][1]["reason"], "shared hash");

    let md = d.to_markdown();
    assert!(md.starts_with(&format!(
        "# What the relay holds about account {}\n",
        hex::encode(ALICE)
    )));
    assert!(!md.contains(list), "the long blob is shortened");
    assert!(md.contains(&format!("{}…(117 bytes)", &list[..64])), "{md}");
    assert!(md.contains(&format!("| {} |", hex::encode(address(BOB, 1)))));
    assert!(md.contains("| hi \\| Bob |"), "{md}");
    assert!(md.contains("\n## accounts\n\n| account_id | phone | device_list | created_at |\n| --- | --- | --- | --- |\n"));
    assert!(
        md.contains("| --- | --- | --- | --- | --- |\n"),
        "trace_log has a selected-by column"
    );
    assert!(md.contains(" | shared hash |\n"));
    // A table without selected rows says so.
    let carol = export(&path, id(CAROL)).unwrap().to_markdown();
    assert!(carol.contains("\n## meta\n\nNo row.\n"), "{carol}");
}

#[test]
fn markdown_cells_escape_the_table_syntax() {
    assert_eq!(markdown_cell("a|b"), "a\\|b");
    assert_eq!(markdown_cell("a\\|b"), "a\\\\\\|b");
    assert_eq!(
        markdown_cell("one\r\ntwo\nthree\rfour"),
        "one<br>two<br>three<br>four"
    );
    assert_eq!(markdown_cell("plain"), "plain");
    assert_eq!(Value::Null.to_markdown(), "NULL");
    assert_eq!(Value::Blob(vec![0xab; 32]).to_markdown(), "ab".repeat(32));
    assert_eq!(
        Value::Blob(vec![0xab; 33]).to_markdown(),
        format!("{}…(33 bytes)", "ab".repeat(32))
    );
    assert_eq!(
        Value::Real(f64::INFINITY).to_json()["real"],
        serde_json::Value::Null
    );
}
