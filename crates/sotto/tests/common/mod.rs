//! Shared harness: an in-process relay, client configurations, tapping transports.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use sotto::transport::TransportError;
use sotto::{
    Client, ClientConfig, Event, InProcessTransport, PendingDevice, Request, Response, Transport,
};
use sotto_crypto::SecretBytes;
use sotto_handshake::{PostQuantum, PrekeyPolicy};
use sotto_relay::{InProcessRelay, Profile, Relay, RelayConfig};
use sotto_store_sqlite::Durability;

pub struct Net {
    pub relay: InProcessRelay,
    pub dir: tempfile::TempDir,
    keys: Mutex<HashMap<String, [u8; 32]>>,
}

impl Net {
    /// A relay under the `sealed` profile (Signal's: identified first contact, sealed
    /// after the profile-key share), which most client tests exercise.
    pub async fn new() -> Self {
        Self::with_profile(Profile::Sealed).await
    }

    pub async fn with_profile(profile: Profile) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = RelayConfig::new(dir.path().join("relay.db"));
        config.profile = profile;
        let relay = Relay::in_process(config).await.unwrap();
        Self {
            relay,
            dir,
            keys: Mutex::new(HashMap::new()),
        }
    }

    pub fn transport(&self) -> Tap {
        Tap::new(InProcessTransport::new(self.relay.router()))
    }

    /// The configuration of `name` (the same store key every time).
    pub fn config(&self, name: &str) -> ClientConfig {
        let key = *self
            .keys
            .lock()
            .unwrap()
            .entry(name.to_owned())
            .or_insert_with(|| *SecretBytes::<32>::random(&mut rand::rng()).expose());
        config(self.dir.path().join(name), key)
    }

    pub async fn register(&self, name: &str) -> Client<Tap> {
        Client::register(self.transport(), self.config(name))
            .await
            .unwrap()
    }

    /// Links a new device `name` to `primary`'s account.
    pub async fn link(&self, primary: &mut Client<Tap>, name: &str) -> Client<Tap> {
        let pending = PendingDevice::new(self.config(name));
        let message = primary.link_device(&pending.code()).await.unwrap();
        pending.finish(self.transport(), message).await.unwrap()
    }
}

pub fn config(home: std::path::PathBuf, key: [u8; 32]) -> ClientConfig {
    let mut c = ClientConfig::new(home, SecretBytes::from_slice(&key).unwrap());
    c.prekey_policy = PrekeyPolicy {
        post_quantum: PostQuantum::Offered,
        one_time_prekeys: 8,
        replenish_below: 4,
        kem_one_time_prekeys: 2,
        signed_prekey_grace: 3600,
    };
    c.durability = Durability::Process;
    // A phone number per store key, for the profiles that register with one.
    c.phone = Some(format!(
        "+1555{:07}",
        u32::from_be_bytes([key[0], key[1], key[2], key[3]]) % 10_000_000
    ));
    c
}

impl Tap {
    /// The sends made since the last call: `"sealed"` or `"identified"` each.
    pub fn sends(&self) -> Vec<&'static str> {
        let mut requests = self.requests.lock().unwrap();
        let out = requests
            .iter()
            .filter_map(|r| match r.as_str() {
                "Post /v1/sealed" => Some("sealed"),
                "Post /v1/messages" => Some("identified"),
                "Post /v1/transport" => Some("plaintext"),
                _ => None,
            })
            .collect();
        requests.clear();
        out
    }
}

/// The texts of the message events, with their sender and device.
pub fn texts(events: &[Event]) -> Vec<(sotto::AccountId, u32, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message {
                from, device, text, ..
            } => Some((*from, *device, text.clone())),
            _ => None,
        })
        .collect()
}

/// A path whose answer is replaced, and the body answered instead.
pub type Replacement = Arc<Mutex<Option<(String, Vec<u8>)>>>;

/// A transport that forwards to the relay and can lose acknowledgements, replace one
/// path's answer, and counts what the last mailbox fetch held.
#[derive(Clone)]
pub struct Tap {
    inner: InProcessTransport,
    pub fail_acks: Arc<AtomicBool>,
    pub last_fetch: Arc<AtomicUsize>,
    pub replace: Replacement,
    /// `METHOD path` of every request, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Tap {
    pub fn new(inner: InProcessTransport) -> Self {
        Self {
            inner,
            fail_acks: Arc::new(AtomicBool::new(false)),
            last_fetch: Arc::new(AtomicUsize::new(0)),
            replace: Arc::new(Mutex::new(None)),
            requests: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("acknowledgement lost")]
struct Lost;

impl Transport for Tap {
    async fn call(&self, request: Request) -> Result<Response, TransportError> {
        self.requests
            .lock()
            .unwrap()
            .push(format!("{:?} {}", request.method, request.path));
        if request.path == "/v1/messages/ack" && self.fail_acks.load(Ordering::SeqCst) {
            return Err(TransportError(Box::new(Lost)));
        }
        let replaced = self
            .replace
            .lock()
            .unwrap()
            .as_ref()
            .filter(|(path, _)| *path == request.path)
            .map(|(_, body)| body.clone());
        if let Some(body) = replaced {
            return Ok(Response { status: 200, body });
        }
        let is_fetch = request.path.starts_with("/v1/messages?");
        let response = self.inner.call(request).await?;
        if is_fetch && response.status == 200 {
            let v: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
            self.last_fetch
                .store(v["messages"].as_array().unwrap().len(), Ordering::SeqCst);
        }
        Ok(response)
    }
}
