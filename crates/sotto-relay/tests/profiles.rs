//! Platform profiles (retention.rs): what each one takes, refuses and records, read back
//! from the database file.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sotto_relay::{Profile, Relay, RelayConfig, StartError, StorageError};

fn query(relay: &TestRelay, sql: &str) -> Vec<Vec<rusqlite::types::Value>> {
    let conn = rusqlite::Connection::open_with_flags(
        &relay.db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let cols = stmt.column_count();
    stmt.query_map([], |r| (0..cols).map(|i| r.get(i)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// One authenticated request per member, so that the last-seen time and client address a
/// refused request would also write are written before a state is compared.
async fn touch(relay: &TestRelay, members: &[&Member]) {
    for m in members {
        let (s, _) = relay
            .call(
                reqwest::Method::GET,
                "/v1/prekeys/count",
                Some(m.token()),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
}

fn blob(v: &rusqlite::types::Value) -> Vec<u8> {
    match v {
        rusqlite::types::Value::Blob(b) => b.clone(),
        other => panic!("not a blob: {other:?}"),
    }
}

fn address(m: &Member, device: u32) -> Vec<u8> {
    sotto_relay::storage::address(m.account, device).to_vec()
}

async fn identified(
    relay: &TestRelay,
    from: &Member,
    to: &Member,
    trace: Option<&str>,
) -> (StatusCode, Value) {
    let mut body = json!({
        "recipient": to.hex(),
        "envelopes": [{"device_id": 1, "envelope": b64(&fake_envelope(7))}],
    });
    if let Some(t) = trace {
        body["trace"] = json!(b64(&sotto_relay::retention::trace_hash(t)));
    }
    relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(from.token()),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn each_profile_states_what_it_takes() {
    for p in Profile::ALL {
        let relay = TestRelay::start_profile(p).await;
        let (s, v) = relay
            .call(reqwest::Method::GET, "/v1/profile", None, None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["profile"], p.name());
        assert_eq!(v["phone_required"], p.requires_phone());
        assert_eq!(v["plaintext"], p.plaintext());
        assert_eq!(v["sealed"], p.sealed_sends());
        assert_eq!(v["identified"], p.identified_sends());
        assert_eq!(v["trace"], p.traces());
    }
}

#[tokio::test]
async fn sotto_registers_by_key_alone_and_refuses_identified_sends() {
    let relay = TestRelay::start_profile(Profile::Sotto).await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    // A phone number is refused, not silently dropped.
    let mut m = register(&relay, 1).await;
    m.account = sotto_devices::AccountId::generate(&mut rand::rng());
    let mut body = registration_body(&relay, &m, 1, 1).await;
    body["phone"] = json!("+15550100001");
    let before = relay.dump();
    let (s, v) = relay
        .call(reqwest::Method::POST, "/v1/accounts", None, Some(body))
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_field"))
    );
    assert!(relay.dump() == before, "state changed");
    let (s, v) = identified(&relay, &a, &b, None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("profile_refuses"))
    );
    assert!(relay.dump() == before, "state changed");
    // Every time is a day boundary; no phone, no sender, nothing logged.
    for row in query(&relay, "SELECT created_at, phone FROM accounts") {
        assert_eq!(row[1], rusqlite::types::Value::Null);
        let rusqlite::types::Value::Integer(t) = row[0] else {
            panic!()
        };
        assert_eq!(t % 86_400, 0);
    }
    assert!(query(&relay, "SELECT * FROM delivery_log").is_empty());
    assert!(
        query(
            &relay,
            "SELECT last_ip FROM devices WHERE last_ip IS NOT NULL"
        )
        .is_empty()
    );
}

#[tokio::test]
async fn profiles_that_register_by_phone_refuse_an_account_without_one_or_a_taken_one() {
    for p in [
        Profile::Transport,
        Profile::E2ee,
        Profile::Traceable,
        Profile::Sealed,
    ] {
        let relay = TestRelay::start_profile(p).await;
        let a = register(&relay, 1).await;
        let mut m = register(&relay, 1).await;
        m.account = sotto_devices::AccountId::generate(&mut rand::rng());
        let mut body = registration_body(&relay, &m, 1, 1).await;
        let before = relay.dump();
        body.as_object_mut().unwrap().remove("phone");
        let (s, v) = relay
            .call(
                reqwest::Method::POST,
                "/v1/accounts",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_field")),
            "{p}"
        );
        body["phone"] = json!("0123");
        let (s, _) = relay
            .call(
                reqwest::Method::POST,
                "/v1/accounts",
                None,
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        let mut body = registration_body(&relay, &m, 1, 1).await;
        body["phone"] = json!(phone_of(a.account));
        let (s, v) = relay
            .call(reqwest::Method::POST, "/v1/accounts", None, Some(body))
            .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::CONFLICT, Some("phone_exists")),
            "{p}"
        );
        assert!(relay.dump() == before, "state changed under {p}");
        let phones = query(&relay, "SELECT phone FROM accounts");
        assert!(phones.contains(&vec![rusqlite::types::Value::Text(phone_of(a.account))]));
    }
}

#[tokio::test]
async fn e2ee_logs_every_identified_send_and_refuses_sealed_ones() {
    let relay = TestRelay::start_profile(Profile::E2ee).await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    touch(&relay, &[&a, &b]).await;
    let before = relay.dump();
    let (s, v) = send(&relay, &b.hex(), &b.access_key(), &[(1, fake_envelope(1))]).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("profile_refuses"))
    );
    let (s, v) = identified(&relay, &a, &b, Some("a trace")).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_field"))
    );
    assert!(relay.dump() == before, "state changed");
    let (s, _) = identified(&relay, &a, &b, None).await;
    assert_eq!(s, StatusCode::OK);
    let log = query(
        &relay,
        "SELECT sender, recipient, size, ip FROM delivery_log",
    );
    assert_eq!(log.len(), 1);
    assert_eq!(blob(&log[0][0]), address(&a, 1));
    assert_eq!(blob(&log[0][1]), address(&b, 1));
    assert_eq!(
        log[0][2],
        rusqlite::types::Value::Integer(fake_envelope(7).len() as i64)
    );
    assert_eq!(log[0][3], rusqlite::types::Value::Text("127.0.0.1".into()));
    let contacts = query(&relay, "SELECT owner, contact FROM contacts");
    assert_eq!(contacts.len(), 1);
    assert_eq!(blob(&contacts[0][0]), a.account.to_bytes().to_vec());
    assert_eq!(blob(&contacts[0][1]), b.account.to_bytes().to_vec());
    // The delivery log outlives the message.
    let (_, v) = relay
        .call(reqwest::Method::GET, "/v1/messages", Some(b.token()), None)
        .await;
    let id = v["messages"][0]["id"].as_i64().unwrap();
    relay
        .call(
            reqwest::Method::POST,
            "/v1/messages/ack",
            Some(b.token()),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert!(query(&relay, "SELECT * FROM messages").is_empty());
    assert_eq!(query(&relay, "SELECT * FROM delivery_log").len(), 1);
    assert!(query(&relay, "SELECT * FROM trace").is_empty());
}

#[tokio::test]
async fn traceable_keeps_the_first_sender_of_a_text_through_a_forward() {
    let relay = TestRelay::start_profile(Profile::Traceable).await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    let c = register(&relay, 1).await;
    touch(&relay, &[&a, &b, &c]).await;
    let before = relay.dump();
    let (s, v) = identified(&relay, &a, &b, None).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_field"))
    );
    assert!(relay.dump() == before, "state changed");
    assert_eq!(
        identified(&relay, &a, &b, Some("the rumour")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        identified(&relay, &b, &c, Some("the rumour")).await.0,
        StatusCode::OK
    );
    let hash = sotto_relay::retention::trace_hash("the rumour").to_vec();
    let trace = query(&relay, "SELECT hash, originator FROM trace");
    assert_eq!(trace.len(), 1);
    assert_eq!(
        (blob(&trace[0][0]), blob(&trace[0][1])),
        (hash.clone(), address(&a, 1))
    );
    let log = query(
        &relay,
        "SELECT hash, sender, recipient FROM trace_log ORDER BY id",
    );
    assert_eq!(log.len(), 2);
    assert_eq!(blob(&log[1][1]), address(&b, 1));
    assert_eq!(blob(&log[1][2]), c.account.to_bytes().to_vec());
}

#[tokio::test]
async fn transport_stores_the_plaintext_and_keeps_it_after_delivery() {
    let relay = TestRelay::start_profile(Profile::Transport).await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    touch(&relay, &[&a, &b]).await;
    let before = relay.dump();
    let (s, _) = send(&relay, &b.hex(), &b.access_key(), &[(1, fake_envelope(1))]).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        identified(&relay, &a, &b, None).await.0,
        StatusCode::FORBIDDEN
    );
    for bad in [
        json!({"recipient": b.hex(), "text": ""}),
        json!({"recipient": b.hex()}),
        json!({"recipient": "zz", "text": "x"}),
    ] {
        let (s, _) = relay
            .call(
                reqwest::Method::POST,
                "/v1/transport",
                Some(a.token()),
                Some(bad),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    let (s, _) = relay
        .call(
            reqwest::Method::POST,
            "/v1/transport",
            None,
            Some(json!({"recipient": b.hex(), "text": "x"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(relay.dump() == before, "state changed");
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/transport",
            Some(a.token()),
            Some(json!({"recipient": b.hex(), "text": "meet at noon"})),
        )
        .await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)));
    let (_, v) = relay
        .call(reqwest::Method::GET, "/v1/messages", Some(b.token()), None)
        .await;
    let m = &v["messages"][0];
    assert_eq!(m["text"], "meet at noon");
    assert_eq!(m["sender"], a.hex());
    assert_eq!(m["sender_device"], 1);
    let id = m["id"].as_i64().unwrap();
    relay
        .call(
            reqwest::Method::POST,
            "/v1/messages/ack",
            Some(b.token()),
            Some(json!({"ids": [id]})),
        )
        .await;
    // Delivered: not fetched again, but kept with its plaintext.
    let (_, v) = relay
        .call(reqwest::Method::GET, "/v1/messages", Some(b.token()), None)
        .await;
    assert_eq!(v["messages"], json!([]));
    let rows = query(&relay, "SELECT body, sender, delivered_at FROM messages");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0][0],
        rusqlite::types::Value::Text("meet at noon".into())
    );
    assert_eq!(blob(&rows[0][1]), address(&a, 1));
    assert!(matches!(rows[0][2], rusqlite::types::Value::Integer(_)));
    assert_eq!(
        query(&relay, "SELECT size FROM delivery_log"),
        vec![vec![rusqlite::types::Value::Integer(12)]]
    );
}

#[tokio::test]
async fn a_sealed_copy_to_the_own_account_with_a_token_leaves_out_the_sender_and_records_none() {
    let relay = TestRelay::start_profile(Profile::Sealed).await;
    let mut a = register(&relay, 1).await;
    link(&relay, &mut a, 2, 1).await;
    // Without the token, the sending device must be addressed too.
    let (s, v) = send(&relay, &a.hex(), &a.access_key(), &[(2, fake_envelope(1))]).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("stale_devices"))
    );
    let resp = relay
        .http
        .post(relay.url("/v1/sealed"))
        .bearer_auth(a.token())
        .header("Sotto-Access-Key", a.access_key())
        .json(&json!({"recipient": a.hex(), "envelopes": [{"device_id": 2, "envelope": b64(&fake_envelope(2))}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let rows = query(&relay, "SELECT device_id, sender FROM messages");
    assert_eq!(
        rows,
        vec![vec![
            rusqlite::types::Value::Integer(2),
            rusqlite::types::Value::Null
        ]]
    );
    assert!(query(&relay, "SELECT * FROM delivery_log").is_empty());
}

#[tokio::test]
async fn a_database_made_under_one_profile_does_not_start_under_another() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let mut config = RelayConfig::new(&db);
    config.profile = Profile::E2ee;
    Relay::start(config)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
    let result = Relay::start(RelayConfig::new(&db)).await;
    assert!(matches!(
        result,
        Err(StartError::Storage(StorageError::ProfileMismatch { ref stored })) if stored == "e2ee"
    ));
}

#[tokio::test]
async fn a_disclosed_database_yields_no_working_token() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 1).await;
    let stored = query(&relay, "SELECT token_hash FROM devices");
    let hash = blob(&stored[0][0]);
    // Neither the stored hash nor anything but the token itself authenticates.
    for candidate in [b64(&hash), hex::encode(&hash)] {
        let (s, _) = relay
            .call(
                reqwest::Method::GET,
                "/v1/prekeys/count",
                Some(&candidate),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let token = unb64(a.token());
    assert_eq!(sotto_crypto::hash::sha256_concat(&[&token]).to_vec(), hash);
    assert!(!relay.dump().concat().contains(a.token()));
}

/// The raw bytes of the database file and of its WAL, as they are on disk while the relay
/// runs.
fn raw_files(relay: &TestRelay) -> Vec<u8> {
    let mut bytes = std::fs::read(&relay.db).unwrap();
    let mut wal = relay.db.clone().into_os_string();
    wal.push("-wal");
    if let Ok(w) = std::fs::read(&wal) {
        bytes.extend(w);
    }
    bytes
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn an_acknowledged_envelope_leaves_the_file_and_its_wal_while_the_relay_runs() {
    use rand::Rng;
    let relay = TestRelay::start_profile(Profile::Sealed).await;
    let _a = register(&relay, 1).await;
    let b = register(&relay, 2).await;
    let mut envelope = fake_envelope(9);
    envelope.resize(600, 0);
    rand::rng().fill_bytes(&mut envelope[10..]);
    let needle = envelope[10..74].to_vec();
    let (s, _) = send(&relay, &b.hex(), &b.access_key(), &[(1, envelope)]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(holds(&raw_files(&relay), &needle), "held while it waits");
    let (s, got) = fetch(&relay, b.token(), 0).await;
    assert_eq!((s, got.len()), (StatusCode::OK, 1));
    let (s, _) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages/ack",
            Some(b.token()),
            Some(json!({"ids": [got[0].0]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Gone from both files within the checkpoint interval (with room), the relay still up.
    let limit = sotto_relay::storage::CHECKPOINT_INTERVAL * 5;
    let deadline = std::time::Instant::now() + limit;
    while holds(&raw_files(&relay), &needle) {
        assert!(
            std::time::Instant::now() < deadline,
            "the acknowledged envelope is still in the database file or its WAL after {limit:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
