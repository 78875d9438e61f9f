//! Shared test harness: a relay on 127.0.0.1 port 0 over a temporary database, and clients
//! built from the public crates.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, SignedDeviceList};
use sotto_handshake::{DeviceIdentity, InMemoryPrekeyStore, PostQuantum, PrekeyPolicy};
use sotto_relay::{Limits, Profile, Relay, RelayConfig, RunningRelay};
use sotto_sealed::access::ProfileKey;

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    STANDARD.decode(text).unwrap()
}

pub fn hex_id(account: AccountId) -> String {
    hex::encode(account.to_bytes())
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub struct TestRelay {
    pub running: Option<RunningRelay>,
    pub base: String,
    pub http: reqwest::Client,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
    pub profile: Profile,
}

impl TestRelay {
    pub async fn start() -> Self {
        Self::start_with(Limits::default()).await
    }

    pub async fn start_with(limits: Limits) -> Self {
        Self::start_as(limits, Profile::default()).await
    }

    pub async fn start_profile(profile: Profile) -> Self {
        Self::start_as(Limits::default(), profile).await
    }

    pub async fn start_as(limits: Limits, profile: Profile) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("relay.db");
        let mut config = RelayConfig::new(&db);
        config.limits = limits;
        config.profile = profile;
        let running = Relay::start(config).await.unwrap();
        assert!(running.local_addr.ip().is_loopback());
        let base = format!("http://{}", running.local_addr);
        Self {
            running: Some(running),
            base,
            http: reqwest::Client::new(),
            db,
            dir,
            profile,
        }
    }

    /// A client of a relay running elsewhere (a child process) on `db`.
    pub fn remote(base: String, db: PathBuf, dir: tempfile::TempDir) -> Self {
        Self {
            running: None,
            base,
            http: reqwest::Client::new(),
            db,
            dir,
            profile: Profile::default(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn challenge(&self) -> [u8; 32] {
        let v: Value = self
            .http
            .get(self.url("/v1/challenge"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        unb64(v["challenge"].as_str().unwrap()).try_into().unwrap()
    }

    /// Sends `body` as JSON with an optional token; returns the status and the JSON answer.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let value = resp.json::<Value>().await.unwrap_or(Value::Null);
        (status, value)
    }

    /// Every row of every table, as text, for before/after comparisons.
    pub fn dump(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut out = Vec::new();
        for table in [
            "meta",
            "accounts",
            "devices",
            "prekeys",
            "messages",
            "delivery_log",
            "contacts",
            "trace",
            "trace_log",
        ] {
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
                .unwrap();
            let cols = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let mut line = format!("{table}:");
                    for i in 0..cols {
                        let v: rusqlite::types::Value = r.get(i)?;
                        line.push_str(&format!(" {v:?}"));
                    }
                    Ok(line)
                })
                .unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }
}

pub fn copy_identity(id: &DeviceIdentity) -> DeviceIdentity {
    DeviceIdentity::from_keys(
        SigningKey::from_seed(SecretBytes::from_slice(id.signing_key().expose_seed()).unwrap()),
        KeyPair::from_secret(SecretKey::from_bytes(
            SecretBytes::from_slice(id.agreement_key().secret_key().expose()).unwrap(),
        )),
    )
}

/// `n` one-time bundles and a last-resort bundle of `identity` (classic X3DH, so fast).
pub fn bundles(identity: &DeviceIdentity, n: u32) -> (Vec<String>, String) {
    let policy = PrekeyPolicy {
        post_quantum: PostQuantum::Absent,
        one_time_prekeys: n,
        replenish_below: 0,
        kem_one_time_prekeys: 0,
        signed_prekey_grace: 3600,
    };
    let store = InMemoryPrekeyStore::new(copy_identity(identity), policy, now(), &mut rand::rng());
    let mut published = store.published().unwrap();
    let one_time = (0..n)
        .map(|_| b64(&published.take_bundle().to_bytes()))
        .collect();
    let last = b64(&published.take_bundle().to_bytes());
    (one_time, last)
}

pub struct Member {
    pub account: AccountId,
    pub account_key: AccountKey,
    pub devices: Vec<(u32, DeviceIdentity)>,
    pub tokens: Vec<String>,
    pub profile: ProfileKey,
    pub version: u64,
}

impl Member {
    pub fn token(&self) -> &str {
        &self.tokens[0]
    }

    pub fn hex(&self) -> String {
        hex_id(self.account)
    }

    pub fn access_key(&self) -> String {
        b64(self.profile.access_key().to_bytes().expose())
    }

    pub fn list(&self, ids: &[u32]) -> SignedDeviceList {
        let entries = self
            .devices
            .iter()
            .filter(|(id, _)| ids.contains(id))
            .map(|(id, d)| DeviceEntry::new(*id, d.public()))
            .collect();
        DeviceList::new(self.account, self.version, now(), entries)
            .unwrap()
            .sign(&self.account_key)
    }
}

pub fn proof(
    identity: &DeviceIdentity,
    challenge: &[u8; 32],
    account: AccountId,
    id: u32,
) -> String {
    let message = sotto_relay::auth::registration_message(challenge, account, id);
    b64(&identity.signing_key().sign(&message).to_bytes())
}

/// Registers a new account with one device holding `n` one-time bundles.
pub async fn register(relay: &TestRelay, n: u32) -> Member {
    let mut rng = rand::rng();
    let account = AccountId::generate(&mut rng);
    let identity = DeviceIdentity::generate(&mut rng);
    let mut member = Member {
        account,
        account_key: AccountKey::generate(&mut rng),
        devices: vec![(1, identity)],
        tokens: Vec::new(),
        profile: ProfileKey::generate(&mut rng),
        version: 1,
    };
    let body = registration_body(relay, &member, 1, n).await;
    let (status, v) = relay
        .call(reqwest::Method::POST, "/v1/accounts", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    member
        .tokens
        .push(v["device_token"].as_str().unwrap().to_owned());
    member
}

pub async fn registration_body(relay: &TestRelay, member: &Member, id: u32, n: u32) -> Value {
    let challenge = relay.challenge().await;
    let identity = &member.devices.iter().find(|(d, _)| *d == id).unwrap().1;
    let ids: Vec<u32> = member.devices.iter().map(|(d, _)| *d).collect();
    let (one_time, last) = bundles(identity, n);
    let mut body = json!({
        "challenge": b64(&challenge),
        "device_list": b64(member.list(&ids).as_bytes()),
        "device_id": id,
        "proof": proof(identity, &challenge, member.account, id),
        "access_verifier": b64(&member.profile.verifier().to_bytes()),
        "bundles": one_time,
        "last_resort_bundle": last,
    });
    if relay.profile.requires_phone() {
        body["phone"] = json!(phone_of(member.account));
    }
    body
}

/// A phone number per account (distinct for distinct accounts, almost surely).
pub fn phone_of(account: AccountId) -> String {
    let b = account.to_bytes();
    format!(
        "+1{:010}",
        u64::from_be_bytes([0, 0, 0, b[0], b[1], b[2], b[3], b[4]]) % 10_000_000_000
    )
}

/// Links a second device (id `id`) with a list of the next version.
pub async fn link(relay: &TestRelay, member: &mut Member, id: u32, n: u32) {
    member
        .devices
        .push((id, DeviceIdentity::generate(&mut rand::rng())));
    member.version += 1;
    let body = registration_body(relay, member, id, n).await;
    let (status, v) = relay
        .call(
            reqwest::Method::POST,
            &format!("/v1/accounts/{}/devices", member.hex()),
            None,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    member
        .tokens
        .push(v["device_token"].as_str().unwrap().to_owned());
}

/// A structurally valid single-recipient envelope (the relay cannot open one) with a marker.
pub fn fake_envelope(marker: u64) -> Vec<u8> {
    let mut e = vec![0x1f, 0x01];
    e.resize(sotto_sealed::envelope::MIN_LEN, 0);
    e[2..10].copy_from_slice(&marker.to_be_bytes());
    e
}

/// Sends `envelopes` to `to` with `key` as the access key; returns the status and answer.
pub async fn send(
    relay: &TestRelay,
    to: &str,
    key: &str,
    envelopes: &[(u32, Vec<u8>)],
) -> (StatusCode, Value) {
    let body = json!({
        "recipient": to,
        "envelopes": envelopes
            .iter()
            .map(|(id, e)| json!({"device_id": id, "envelope": b64(e)}))
            .collect::<Vec<_>>(),
    });
    let resp = relay
        .http
        .post(relay.url("/v1/sealed"))
        .header("Sotto-Access-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The messages of a device: `(id, envelope)`.
pub async fn fetch(relay: &TestRelay, token: &str, wait: u64) -> (StatusCode, Vec<(i64, Vec<u8>)>) {
    let (status, v) = relay
        .call(
            reqwest::Method::GET,
            &format!("/v1/messages?wait={wait}"),
            Some(token),
            None,
        )
        .await;
    let msgs = v["messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["id"].as_i64().unwrap(),
                        unb64(m["envelope"].as_str().unwrap()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (status, msgs)
}
