//! The relay's HTTP API against a relay on 127.0.0.1, port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sotto_handshake::PrekeyBundle;
use sotto_relay::Limits;
use sotto_sealed::access::{CONTENT_TYPE_MESSAGE, ProfileKey};
use sotto_sealed::certificate::{CertificateStore, SenderCertificate, TrustRoot};

#[tokio::test]
async fn round_trip_register_prekeys_bundles_sealed_receive_ack() {
    let relay = TestRelay::start().await;
    let alice = register(&relay, 3).await;
    let bob = register(&relay, 3).await;

    // Bob replenishes, then counts.
    let (more, _) = bundles(&bob.devices[0].1, 2);
    let (s, v) = relay
        .call(
            Method::POST,
            "/v1/prekeys",
            Some(bob.token()),
            Some(json!({ "bundles": more })),
        )
        .await;
    assert_eq!((s, v["count"].as_u64()), (StatusCode::OK, Some(5)));

    // Alice fetches Bob's bundle: verified, Bob's identity, with a one-time prekey.
    let (s, v) = relay
        .call(
            Method::GET,
            &format!("/v1/accounts/{}/bundles", bob.hex()),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let bundle = PrekeyBundle::from_bytes(&unb64(v["bundles"][0]["bundle"].as_str().unwrap()))
        .unwrap()
        .verify()
        .unwrap();
    assert!(
        bundle
            .bundle()
            .identity()
            .ct_matches(&bob.devices[0].1.public())
    );
    assert!(bundle.bundle().one_time_prekey().is_some());
    let (_, v) = relay
        .call(Method::GET, "/v1/prekeys/count", Some(bob.token()), None)
        .await;
    assert_eq!(v["count"].as_u64(), Some(4));

    // Alice gets a sender certificate and seals a real envelope to Bob.
    let (s, v) = relay
        .call(Method::POST, "/v1/certificate", Some(alice.token()), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let cert = SenderCertificate::from_bytes(&unb64(v["certificate"].as_str().unwrap())).unwrap();
    let envelope = sotto_sealed::envelope::seal(
        &alice.devices[0].1,
        &cert,
        &bob.devices[0].1.public(),
        CONTENT_TYPE_MESSAGE,
        b"hello bob",
        &mut rand::rng(),
    )
    .unwrap();
    let (s, v) = send(
        &relay,
        &bob.hex(),
        &bob.access_key(),
        &[(1, envelope.clone())],
    )
    .await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(1)));

    // Bob receives it, checks it against the relay's certificates, acknowledges it.
    let (s, msgs) = fetch(&relay, bob.token(), 5).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].1, envelope);
    let (_, certs) = relay
        .call(Method::GET, "/v1/certificates", None, None)
        .await;
    let root = TrustRoot::from_bytes(
        &unb64(certs["trust_root"].as_str().unwrap())
            .try_into()
            .unwrap(),
    )
    .unwrap();
    let mut store = CertificateStore::new(root);
    store
        .add(&unb64(certs["server_certificates"][0].as_str().unwrap()))
        .unwrap();
    let opened =
        sotto_sealed::envelope::open(&bob.devices[0].1, &store, now(), &msgs[0].1).unwrap();
    assert_eq!(opened.message.as_slice(), b"hello bob");
    assert_eq!(opened.sender.account_id(), alice.account);

    let (s, v) = relay
        .call(
            Method::POST,
            "/v1/messages/ack",
            Some(bob.token()),
            Some(json!({"ids": [msgs[0].0]})),
        )
        .await;
    assert_eq!((s, v["acknowledged"].as_u64()), (StatusCode::OK, Some(1)));
    let (_, msgs) = fetch(&relay, bob.token(), 0).await;
    assert!(msgs.is_empty());
    // Deleted on acknowledgement: no row left.
    assert!(!relay.dump().iter().any(|l| l.starts_with("messages:")));
}

#[tokio::test]
async fn long_poll_wakes_on_delivery() {
    let relay = TestRelay::start().await;
    let bob = register(&relay, 1).await;
    let (hex, key) = (bob.hex(), bob.access_key());
    let started = std::time::Instant::now();
    let sender = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        send(&relay, &hex, &key, &[(1, fake_envelope(7))]).await
    };
    let ((s, msgs), (sent, _)) = tokio::join!(fetch(&relay, bob.token(), 10), sender);
    assert_eq!((s, sent), (StatusCode::OK, StatusCode::OK));
    assert_eq!(msgs.len(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

// ----- isolation: one test per endpoint -----

#[tokio::test]
async fn isolation_b_cannot_read_a_mail() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    send(&relay, &a.hex(), &a.access_key(), &[(1, fake_envelope(1))]).await;
    let (s, msgs) = fetch(&relay, b.token(), 0).await;
    assert_eq!(s, StatusCode::OK);
    assert!(msgs.is_empty());
    let (_, msgs) = fetch(&relay, a.token(), 0).await;
    assert_eq!(msgs.len(), 1);
}

#[tokio::test]
async fn isolation_b_cannot_ack_or_delete_a_mail() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    send(&relay, &a.hex(), &a.access_key(), &[(1, fake_envelope(1))]).await;
    let (_, msgs) = fetch(&relay, a.token(), 0).await;
    let id = msgs[0].0;
    let (s, v) = relay
        .call(
            Method::POST,
            "/v1/messages/ack",
            Some(b.token()),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!((s, v["acknowledged"].as_u64()), (StatusCode::OK, Some(0)));
    let (_, msgs) = fetch(&relay, a.token(), 0).await;
    assert_eq!(msgs.len(), 1, "B's acknowledgement deleted A's mail");
    // Without a token, or with a forged one: 401.
    let (s, _) = relay
        .call(
            Method::POST,
            "/v1/messages/ack",
            None,
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = relay
        .call(
            Method::POST,
            "/v1/messages/ack",
            Some(&b64(&[7u8; 32])),
            Some(json!({"ids": [id]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn isolation_b_cannot_publish_a_prekeys() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 2).await;
    let b = register(&relay, 2).await;
    // B uploads bundles of A's identity with B's token: refused, they are not B's identity.
    let (one_time, last) = bundles(&a.devices[0].1, 2);
    let before = relay.dump();
    for method in [Method::PUT, Method::POST] {
        let body = if method == Method::PUT {
            json!({"bundles": one_time, "last_resort_bundle": last})
        } else {
            json!({"bundles": one_time})
        };
        let (s, v) = relay
            .call(method, "/v1/prekeys", Some(b.token()), Some(body))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
    assert_eq!(relay.dump(), before);
    // B's own upload touches only B's prekeys.
    let (one_time, last) = bundles(&b.devices[0].1, 1);
    let (s, _) = relay
        .call(
            Method::PUT,
            "/v1/prekeys",
            Some(b.token()),
            Some(json!({"bundles": one_time, "last_resort_bundle": last})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = relay
        .call(Method::GET, "/v1/prekeys/count", Some(a.token()), None)
        .await;
    assert_eq!(v["count"].as_u64(), Some(2));
}

#[tokio::test]
async fn isolation_b_cannot_change_a_device_list() {
    let relay = TestRelay::start().await;
    let mut a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    a.version += 1;
    let list = a.list(&[1]);
    let path = format!("/v1/accounts/{}/devices", a.hex());
    let before = relay.dump();
    let (s, _) = relay
        .call(
            Method::PUT,
            &path,
            Some(b.token()),
            Some(json!({"device_list": b64(list.as_bytes())})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // B's own path with A's list: names another account.
    let (s, _) = relay
        .call(
            Method::PUT,
            &format!("/v1/accounts/{}/devices", b.hex()),
            Some(b.token()),
            Some(json!({"device_list": b64(list.as_bytes())})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Registering a device into A's account under a list signed by B's key: refused.
    let mut forged = register(&relay, 1).await;
    forged.account = a.account;
    forged.version = 5;
    let body = registration_body(&relay, &forged, 1, 1).await;
    let before_forged = relay.dump();
    let (s, _) = relay.call(Method::POST, &path, None, Some(body)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(relay.dump(), before_forged);
    assert!(before.iter().all(|l| before_forged.contains(l)));
    // A can.
    let (s, v) = relay
        .call(
            Method::PUT,
            &path,
            Some(a.token()),
            Some(json!({"device_list": b64(list.as_bytes())})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn isolation_b_cannot_rotate_a_access_verifier() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    let rotated = ProfileKey::generate(&mut rand::rng());
    // B's token rotates B's verifier only; A's old access key still delivers.
    let (s, _) = relay
        .call(
            Method::PUT,
            "/v1/access",
            Some(b.token()),
            Some(json!({"access_verifier": b64(&rotated.verifier().to_bytes())})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(&relay, &a.hex(), &a.access_key(), &[(1, fake_envelope(1))]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(&relay, &b.hex(), &b.access_key(), &[(1, fake_envelope(1))]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let new_key = b64(rotated.access_key().to_bytes().expose());
    let (s, _) = send(&relay, &b.hex(), &new_key, &[(1, fake_envelope(1))]).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn wrong_access_key_is_refused_and_stores_nothing() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    let before = relay.dump();
    let (s, v) = send(&relay, &a.hex(), &b.access_key(), &[(1, fake_envelope(1))]).await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("access_refused"))
    );
    let (s, _) = send(&relay, &a.hex(), &b64(&[0u8; 15]), &[(1, fake_envelope(1))]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(relay.dump(), before);
}

#[tokio::test]
async fn stale_device_set_gets_409_with_missing_and_extra() {
    let relay = TestRelay::start().await;
    let mut a = register(&relay, 1).await;
    link(&relay, &mut a, 2, 1).await;
    let before = relay.dump();
    let (s, v) = send(
        &relay,
        &a.hex(),
        &a.access_key(),
        &[(1, fake_envelope(1)), (3, fake_envelope(1))],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"], "stale_devices");
    assert_eq!(v["missing"], json!([2]));
    assert_eq!(v["extra"], json!([3]));
    assert_eq!(relay.dump(), before);
    let (s, v) = send(
        &relay,
        &a.hex(),
        &a.access_key(),
        &[(1, fake_envelope(1)), (2, fake_envelope(2))],
    )
    .await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(2)));
    let (_, m2) = fetch(&relay, &a.tokens[1], 0).await;
    assert_eq!(m2[0].1, fake_envelope(2));
}

#[tokio::test]
async fn revocation_removes_token_prekeys_and_mailbox() {
    let relay = TestRelay::start().await;
    let mut a = register(&relay, 1).await;
    link(&relay, &mut a, 2, 3).await;
    send(
        &relay,
        &a.hex(),
        &a.access_key(),
        &[(1, fake_envelope(1)), (2, fake_envelope(2))],
    )
    .await;
    a.version += 1;
    let list = a.list(&[1]);
    let (s, v) = relay
        .call(
            Method::PUT,
            &format!("/v1/accounts/{}/devices", a.hex()),
            Some(a.token()),
            Some(json!({"device_list": b64(list.as_bytes())})),
        )
        .await;
    assert_eq!((s, v["removed"].clone()), (StatusCode::OK, json!([2])));
    let (s, _) = fetch(&relay, &a.tokens[1], 0).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let dump = relay.dump();
    assert_eq!(dump.iter().filter(|l| l.starts_with("devices:")).count(), 1);
    assert_eq!(
        dump.iter().filter(|l| l.starts_with("messages:")).count(),
        1
    );
    // An older list is refused.
    let (s, _) = relay
        .call(
            Method::PUT,
            &format!("/v1/accounts/{}/devices", a.hex()),
            Some(a.token()),
            Some(json!({"device_list": b64(list.as_bytes())})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, v) = relay
        .call(
            Method::GET,
            &format!("/v1/accounts/{}/devices", a.hex()),
            None,
            None,
        )
        .await;
    assert_eq!(
        (s, unb64(v["device_list"].as_str().unwrap())),
        (StatusCode::OK, list.as_bytes().to_vec())
    );
}

#[tokio::test]
async fn multi_recipient_sent_form_is_split_per_device() {
    let relay = TestRelay::start().await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    // A structurally valid sent form (the relay cannot open one): entries sorted.
    let mut entries = vec![(a.account, 1u32), (b.account, 1u32)];
    entries.sort_by_key(|(acc, id)| (acc.to_bytes(), *id));
    let mut sent = vec![0x1f, 0x03];
    sent.extend_from_slice(&[9u8; 32]);
    sent.extend_from_slice(&2u16.to_be_bytes());
    for (acc, id) in &entries {
        sent.extend_from_slice(&acc.to_bytes());
        sent.extend_from_slice(&id.to_be_bytes());
        sent.extend_from_slice(&[5u8; 128]);
    }
    sent.extend_from_slice(&[6u8; sotto_sealed::multi::MIN_CONTENT_LEN]);
    let body = |keys: serde_json::Value| json!({"sent": b64(&sent), "access_keys": keys});
    let before = relay.dump();
    let (s, _) = relay
        .call(
            Method::POST,
            "/v1/sealed",
            None,
            Some(body(json!({a.hex(): a.access_key()}))),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(relay.dump(), before);
    let (s, v) = relay
        .call(
            Method::POST,
            "/v1/sealed",
            None,
            Some(body(
                json!({a.hex(): a.access_key(), b.hex(): b.access_key()}),
            )),
        )
        .await;
    assert_eq!((s, v["stored"].as_u64()), (StatusCode::OK, Some(2)), "{v}");
    let (_, ma) = fetch(&relay, a.token(), 0).await;
    let (_, mb) = fetch(&relay, b.token(), 0).await;
    assert_eq!((ma.len(), mb.len()), (1, 1));
    assert_eq!(&ma[0].1[..2], &[0x1f, 0x02]);
    assert_eq!(ma[0].1.len(), mb[0].1.len());
}

#[tokio::test]
async fn each_one_time_bundle_is_handed_out_once_under_concurrent_fetches() {
    let relay = std::sync::Arc::new(TestRelay::start().await);
    let a = register(&relay, 20).await;
    let path = format!("/v1/accounts/{}/bundles", a.hex());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let relay = std::sync::Arc::clone(&relay);
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..4 {
                let (s, v) = relay.call(Method::GET, &path, None, None).await;
                assert_eq!(s, StatusCode::OK);
                got.push(unb64(v["bundles"][0]["bundle"].as_str().unwrap()));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 32);
    let mut one_time: Vec<u32> = Vec::new();
    let mut last_resort = 0;
    for bytes in &all {
        let bundle = PrekeyBundle::from_bytes(bytes).unwrap();
        match bundle.one_time_prekey() {
            Some(opk) => one_time.push(opk.id()),
            None => last_resort += 1,
        }
    }
    let mut unique = one_time.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        one_time.len(),
        "a one-time bundle was handed out twice"
    );
    assert_eq!((one_time.len(), last_resort), (20, 12));
}

#[tokio::test]
async fn bad_requests_get_a_json_4xx_and_leave_the_database_unchanged() {
    let relay = TestRelay::start_with(Limits {
        small_body: 1024,
        ..Limits::default()
    })
    .await;
    let a = register(&relay, 2).await;
    send(&relay, &a.hex(), &a.access_key(), &[(1, fake_envelope(1))]).await;
    let before = relay.dump();
    let raw = |method: Method, path: &str, ct: Option<&str>, body: Vec<u8>, token: Option<&str>| {
        let mut req = relay.http.request(method, relay.url(path)).body(body);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t.to_owned());
        }
        req
    };
    let json_ct = Some("application/json");
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode)> = vec![
        (
            "malformed JSON",
            raw(
                Method::POST,
                "/v1/accounts",
                json_ct,
                b"{\"challenge\":".to_vec(),
                None,
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "oversized body",
            raw(
                Method::PUT,
                "/v1/access",
                json_ct,
                vec![b' '; 4096],
                Some(a.token()),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "wrong content type",
            raw(
                Method::POST,
                "/v1/messages/ack",
                Some("text/plain"),
                b"{\"ids\":[1]}".to_vec(),
                Some(a.token()),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "no content type",
            raw(Method::POST, "/v1/accounts", None, b"{}".to_vec(), None),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "unknown account",
            raw(
                Method::GET,
                &format!("/v1/accounts/{}/bundles", "00".repeat(16)),
                None,
                vec![],
                None,
            ),
            StatusCode::NOT_FOUND,
        ),
        (
            "bad account id",
            raw(Method::GET, "/v1/accounts/xyz/devices", None, vec![], None),
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown route",
            raw(Method::GET, "/v2/nothing", None, vec![], None),
            StatusCode::NOT_FOUND,
        ),
        (
            "bad base64",
            raw(
                Method::PUT,
                "/v1/access",
                json_ct,
                br#"{"access_verifier":"***"}"#.to_vec(),
                Some(a.token()),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong verifier length",
            raw(
                Method::PUT,
                "/v1/access",
                json_ct,
                format!(r#"{{"access_verifier":"{}"}}"#, b64(&[1; 31])).into_bytes(),
                Some(a.token()),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "unknown field",
            raw(
                Method::POST,
                "/v1/messages/ack",
                json_ct,
                br#"{"ids":[1],"x":1}"#.to_vec(),
                Some(a.token()),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            "bad wait",
            raw(
                Method::GET,
                "/v1/messages?wait=soon",
                None,
                vec![],
                Some(a.token()),
            ),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (name, req, expected) in cases {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), expected, "{name}");
        let v: serde_json::Value = resp
            .json()
            .await
            .unwrap_or_else(|_| panic!("{name}: no JSON body"));
        assert!(
            v["error"].is_string() && v["message"].is_string(),
            "{name}: {v}"
        );
    }
    // Bad wire bytes and trailing bytes, in every kind of wire field.
    let envelope = fake_envelope(1);
    let mut trailing = envelope.clone();
    trailing.extend_from_slice(&vec![0u8; sotto_sealed::envelope::MAX_LEN]);
    let mut wrong_tag = envelope.clone();
    wrong_tag[0] = 0x1e;
    let mut multi_subtype = envelope.clone();
    multi_subtype[1] = 0x02;
    for bad in [
        wrong_tag,
        multi_subtype,
        envelope[..envelope.len() - 1].to_vec(),
        trailing,
    ] {
        let (s, v) = send(&relay, &a.hex(), &a.access_key(), &[(1, bad)]).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_field"))
        );
    }
    let (one_time, last) = bundles(&a.devices[0].1, 1);
    let mut long_bundle = unb64(&one_time[0]);
    long_bundle.push(0);
    let mut bad_sig = unb64(&one_time[0]);
    bad_sig[100] ^= 1;
    let mut version_2 = unb64(&one_time[0]);
    version_2[0] = 0x24;
    for bad in [long_bundle, bad_sig, version_2, vec![0x14], vec![]] {
        let (s, _) = relay
            .call(
                Method::POST,
                "/v1/prekeys",
                Some(a.token()),
                Some(json!({"bundles": [b64(&bad)]})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
    }
    // A last-resort bundle as a one-time bundle, and the reverse.
    let (s, _) = relay
        .call(
            Method::POST,
            "/v1/prekeys",
            Some(a.token()),
            Some(json!({"bundles": [last.clone()]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = relay
        .call(
            Method::PUT,
            "/v1/prekeys",
            Some(a.token()),
            Some(json!({"bundles": [], "last_resort_bundle": one_time[0]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A device list with a trailing byte, and a registration replaying a used challenge.
    a_list_with_trailing_byte(&relay, &a).await;
    assert_eq!(relay.dump(), before);
}

async fn a_list_with_trailing_byte(relay: &TestRelay, a: &Member) {
    let mut bytes = a.list(&[1]).as_bytes().to_vec();
    bytes.push(0);
    let (s, _) = relay
        .call(
            Method::PUT,
            &format!("/v1/accounts/{}/devices", a.hex()),
            Some(a.token()),
            Some(json!({"device_list": b64(&bytes)})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let mut body = registration_body(relay, a, 1, 1).await;
    let (s, _) = relay
        .call(Method::POST, "/v1/accounts", None, Some(body.clone()))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the account exists");
    // The same challenge again: single use.
    body["device_id"] = json!(1);
    let (s, v) = relay
        .call(Method::POST, "/v1/accounts", None, Some(body))
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_proof"))
    );
}

#[tokio::test]
async fn rate_limit_answers_429() {
    let relay = TestRelay::start_with(Limits {
        rate_per_second: 5.0,
        rate_burst: 10.0,
        ..Limits::default()
    })
    .await;
    let a = register(&relay, 1).await;
    let b = register(&relay, 1).await;
    let mut limited = None;
    for i in 0..100 {
        let (s, v) = relay
            .call(Method::GET, "/v1/prekeys/count", Some(a.token()), None)
            .await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(v["error"], "rate_limited");
            limited = Some(i);
            break;
        }
    }
    let i = limited.expect("never rate limited");
    assert!((10..20).contains(&i), "limited after {i} requests");
    // Per device: B is not limited.
    let (s, _) = relay
        .call(Method::GET, "/v1/prekeys/count", Some(b.token()), None)
        .await;
    assert_eq!(s, StatusCode::OK);
}
