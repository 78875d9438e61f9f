//! The identified send (`POST /v1/messages`) and the in-process entry point.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sotto_relay::{Relay, RelayConfig};
use tower::ServiceExt as _;

#[tokio::test]
async fn identified_send_needs_a_token_not_an_access_key_and_records_the_sender() {
    let relay = TestRelay::start_profile(sotto_relay::Profile::Sealed).await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    let body = json!({
        "recipient": b.hex(),
        "envelopes": [{"device_id": 1, "envelope": b64(&fake_envelope(7))}],
    });
    let before = relay.dump();
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    // The device set is checked as for a sealed send.
    let stale = json!({
        "recipient": b.hex(),
        "envelopes": [{"device_id": 2, "envelope": b64(&fake_envelope(7))}],
    });
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(a.token()),
            Some(stale),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::CONFLICT, Some("stale_devices"))
    );
    assert_eq!(relay.dump(), before);
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(a.token()),
            Some(body),
        )
        .await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    let conn = rusqlite::Connection::open(&relay.db).unwrap();
    let sender: Vec<u8> = conn
        .query_row("SELECT sender FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sender, sotto_relay::storage::address(a.account, 1).to_vec());
    let (_, got) = fetch(&relay, b.token(), 0).await;
    assert_eq!(got[0].1, fake_envelope(7));
    let (_, v) = relay
        .call(reqwest::Method::GET, "/v1/messages", Some(b.token()), None)
        .await;
    assert_eq!(v["messages"][0]["identified"], json!(true));
    // A sealed send records no sender.
    let (s, _) = send(&relay, &a.hex(), &a.access_key(), &[(1, fake_envelope(8))]).await;
    assert_eq!(s, StatusCode::OK);
    let nulls: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE sender IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(nulls, 1);
    let (_, v) = relay
        .call(reqwest::Method::GET, "/v1/messages", Some(a.token()), None)
        .await;
    assert!(v["messages"][0].get("identified").is_none(), "{v}");
}

#[tokio::test]
async fn the_multi_form_is_refused_on_the_identified_send() {
    let relay = TestRelay::start_profile(sotto_relay::Profile::Sealed).await;
    let a = register(&relay, 1).await;
    let body = json!({"sent": b64(&[0x1f, 0x03]), "access_keys": {}});
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(a.token()),
            Some(body),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_field"))
    );
}

#[tokio::test]
async fn in_process_router_serves_the_api_without_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::in_process(RelayConfig::new(dir.path().join("relay.db")))
        .await
        .unwrap();
    let resp = relay
        .router()
        .oneshot(
            Request::get("/v1/certificates")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = relay
        .router()
        .oneshot(Request::get("/v1/nothing").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    relay.close().await;
}

#[tokio::test]
async fn an_identified_send_to_the_own_account_leaves_out_only_the_sending_device() {
    let relay = TestRelay::start_profile(sotto_relay::Profile::Sealed).await;
    let mut a = register(&relay, 1).await;
    link(&relay, &mut a, 2, 1).await;
    let to_own = |ids: &[u32]| {
        json!({
            "recipient": a.hex(),
            "envelopes": ids
                .iter()
                .map(|id| json!({"device_id": id, "envelope": b64(&fake_envelope(1))}))
                .collect::<Vec<_>>(),
        })
    };
    // Device 1 writes to device 2 only: accepted.
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(&a.tokens[0]),
            Some(to_own(&[2])),
        )
        .await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)), "{v}");
    // Device 2 leaving out device 1 is stale: only the sender itself is left out.
    let (s, v) = relay
        .call(
            reqwest::Method::POST,
            "/v1/messages",
            Some(&a.tokens[0]),
            Some(to_own(&[1])),
        )
        .await;
    assert_eq!(
        (s, v["missing"].clone()),
        (StatusCode::CONFLICT, json!([2]))
    );
    // A sealed send to the own account still addresses every listed device.
    let (s, v) = send(&relay, &a.hex(), &a.access_key(), &[(2, fake_envelope(1))]).await;
    assert_eq!(
        (s, v["missing"].clone()),
        (StatusCode::CONFLICT, json!([1]))
    );
}
