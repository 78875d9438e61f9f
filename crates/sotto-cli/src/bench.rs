//! `sotto bench-relay`: a bounded load on a relay started in process on a temporary file.
//!
//! `clients` sender/receiver pairs: each side is an account registered through the HTTP API
//! with real keys (a device identity, a signed device list, a prekey bundle, an access
//! verifier). Each sender fetches a sender certificate and sends sealed single-recipient
//! envelopes (`seal_cached`, 100-byte messages) to its receiver with the receiver's access
//! key, one request at a time; each receiver long-polls its mailbox and acknowledges what it
//! got. A message counts once its acknowledgement was answered 2xx; its latency runs from
//! the start of its sealing to that answer.
//!
//! The relay runs on its own tokio runtime (threads `relay-rt`, workers and blocking pool),
//! the clients on another (`bench-client`), so that the CPU time of each thread (from
//! `/proc/self/task`) shows where the time goes. Memory is the process's `VmRSS`: relay and
//! clients together (the clients hold little: a map of send times per pair).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, DeviceListError};
use sotto_handshake::{DeviceIdentity, InMemoryPrekeyStore, PostQuantum, PrekeyPolicy};
use sotto_relay::{Durability, Relay, RelayConfig, StartError};
use sotto_sealed::access::{CONTENT_TYPE_MESSAGE, ProfileKey};
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{CertificateError, CertificateStore, SenderCertificate, TrustRoot};
use sotto_sealed::envelope::SealError;

/// The plaintext size of every message.
pub const MESSAGE_LEN: usize = 100;
/// How long a receiver's long poll waits.
const POLL_WAIT_SECONDS: u64 = 5;
/// A receiver gives up after this many empty polls in a row.
const MAX_EMPTY_POLLS: usize = 6;
/// The most pairs a bench may run.
const MAX_CLIENTS: usize = 1024;
/// The most messages a bench may send.
const MAX_MESSAGES: usize = 10_000_000;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct BenchConfig {
    /// Sender/receiver pairs.
    pub clients: usize,
    /// Messages in total, spread over the pairs.
    pub messages: usize,
    /// The relay's durability setting.
    pub durability: Durability,
}

/// Why the bench failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Clients or messages out of range.
    #[error("{0}")]
    Config(String),
    /// An I/O step failed (runtime, temporary directory, output).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The relay did not start.
    #[error("relay: {0}")]
    Start(#[from] StartError),
    /// An HTTP request failed.
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    /// The relay refused a request.
    #[error("{what}: the relay answered {status}: {body}")]
    Refused {
        /// The request.
        what: &'static str,
        /// The status.
        status: u16,
        /// The answer.
        body: String,
    },
    /// An answer did not have the expected shape.
    #[error("unexpected answer to {0}")]
    Answer(&'static str),
    /// A device list could not be built.
    #[error("device list: {0}")]
    DeviceList(#[from] DeviceListError),
    /// A certificate was refused.
    #[error("certificate: {0}")]
    Certificate(#[from] CertificateError),
    /// Sealing failed.
    #[error("seal: {0}")]
    Seal(#[from] SealError),
    /// A delivered envelope did not open, or was not one that was sent.
    #[error("a delivered envelope is not one that was sent")]
    Foreign,
    /// Messages were missing at the end.
    #[error("only {delivered} of {expected} messages were delivered and acknowledged")]
    Incomplete {
        /// Acknowledged.
        delivered: usize,
        /// Sent.
        expected: usize,
    },
    /// A client task failed to run.
    #[error("a client task failed")]
    Task,
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> BenchError {
    move |source| BenchError::Io { what, source }
}

/// CPU seconds of one group of threads over the measured phase.
#[derive(Debug, Clone, PartialEq)]
pub struct CpuShare {
    /// The group (thread name).
    pub group: String,
    /// CPU seconds (user + system).
    pub seconds: f64,
}

/// What the bench measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Messages sent, delivered and acknowledged.
    pub messages: usize,
    /// Wall time of the measured phase (first send to last acknowledgement).
    pub elapsed: Duration,
    /// Median latency, send start to acknowledgement.
    pub p50: Duration,
    /// 99th percentile latency (to 10 us below 100 ms, to 1 ms above).
    pub p99: Duration,
    /// Largest latency.
    pub max: Duration,
    /// `VmRSS` in KiB once the relay started.
    pub rss_start_kib: u64,
    /// `VmRSS` in KiB after registration, before the first send.
    pub rss_setup_kib: u64,
    /// `VmRSS` in KiB at the end, before the relay stops.
    pub rss_end_kib: u64,
    /// `VmRSS` in KiB once a tenth of the messages was acknowledged (the load's own
    /// allocations made: connections, buffers, SQLite's page cache).
    pub rss_tenth_kib: u64,
    /// Largest `VmRSS` sampled during the measured phase.
    pub rss_peak_kib: u64,
    /// CPU seconds per thread group over the measured phase.
    pub cpu: Vec<CpuShare>,
    /// Long polls and acknowledgements made by the receivers.
    pub fetches: usize,
}

impl BenchReport {
    /// Messages per second end to end.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, BenchError> {
    STANDARD.decode(text).map_err(|_| BenchError::Answer(what))
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `VmRSS` of this process in KiB (0 where /proc is unavailable).
#[must_use]
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// CPU ticks (user + system) of every thread of this process, by thread id: `(name, ticks)`.
fn thread_ticks() -> HashMap<String, (String, u64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for entry in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After the name: state is field 3, utime 14 and stime 15 (proc(5)).
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        out.insert(
            entry.file_name().to_string_lossy().into_owned(),
            (name, tick(11) + tick(12)),
        );
    }
    out
}

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

fn cpu_between(
    before: &HashMap<String, (String, u64)>,
    after: &HashMap<String, (String, u64)>,
) -> Vec<CpuShare> {
    let mut groups: HashMap<String, u64> = HashMap::new();
    for (tid, (name, ticks)) in after {
        let start = before.get(tid).map_or(0, |(_, t)| *t);
        *groups.entry(name.clone()).or_default() += ticks.saturating_sub(start);
    }
    let mut shares: Vec<CpuShare> = groups
        .into_iter()
        .map(|(group, ticks)| CpuShare {
            group,
            seconds: ticks as f64 / TICKS_PER_SECOND,
        })
        .collect();
    shares.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    shares
}

/// One registered account with one device.
struct Account {
    account: AccountId,
    identity: DeviceIdentity,
    profile: ProfileKey,
    token: String,
}

impl Account {
    fn hex(&self) -> String {
        hex::encode(self.account.to_bytes())
    }

    fn access_key(&self) -> String {
        b64(self.profile.access_key().to_bytes().expose())
    }
}

async fn answer(what: &'static str, resp: reqwest::Response) -> Result<Value, BenchError> {
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        return Err(BenchError::Refused {
            what,
            status: status.as_u16(),
            body,
        });
    }
    Ok(resp.json::<Value>().await?)
}

fn field<'a>(v: &'a Value, name: &str, what: &'static str) -> Result<&'a str, BenchError> {
    v[name].as_str().ok_or(BenchError::Answer(what))
}

/// Registers an account with one device (id 1), one one-time bundle and a last-resort
/// bundle (classic X3DH), as a real client does.
async fn register(http: &reqwest::Client, base: &str) -> Result<Account, BenchError> {
    let mut rng = rand::rng();
    let account = AccountId::generate(&mut rng);
    let account_key = AccountKey::generate(&mut rng);
    let identity = DeviceIdentity::generate(&mut rng);
    let profile = ProfileKey::generate(&mut rng);
    let list = DeviceList::new(
        account,
        1,
        now_seconds(),
        vec![DeviceEntry::new(1, identity.public())],
    )?
    .sign(&account_key);
    let policy = PrekeyPolicy {
        post_quantum: PostQuantum::Absent,
        one_time_prekeys: 1,
        replenish_below: 0,
        kem_one_time_prekeys: 0,
        signed_prekey_grace: 3600,
    };
    let copy = DeviceIdentity::from_keys(
        identity.signing_key().clone(),
        identity.agreement_key().clone(),
    );
    let store = InMemoryPrekeyStore::new(copy, policy, now_seconds(), &mut rng);
    let mut published = store
        .published()
        .ok_or(BenchError::Answer("prekey store"))?;
    let one_time = b64(&published.take_bundle().to_bytes());
    let last = b64(&published.take_bundle().to_bytes());

    let v = answer(
        "challenge",
        http.get(format!("{base}/v1/challenge")).send().await?,
    )
    .await?;
    let challenge: [u8; 32] = unb64(field(&v, "challenge", "challenge")?, "challenge")?
        .try_into()
        .map_err(|_| BenchError::Answer("challenge"))?;
    let message = sotto_relay::auth::registration_message(&challenge, account, 1);
    let proof = identity.signing_key().sign(&message).to_bytes();
    let body = json!({
        "challenge": b64(&challenge),
        "device_list": b64(list.as_bytes()),
        "device_id": 1,
        "proof": b64(&proof),
        "access_verifier": b64(&profile.verifier().to_bytes()),
        "bundles": [one_time],
        "last_resort_bundle": last,
    });
    let v = answer(
        "register",
        http.post(format!("{base}/v1/accounts"))
            .json(&body)
            .send()
            .await?,
    )
    .await?;
    let token = field(&v, "device_token", "register")?.to_owned();
    Ok(Account {
        account,
        identity,
        profile,
        token,
    })
}

/// Send start times of one pair, by the envelope's ephemeral key (random per envelope).
type Pending = Arc<Mutex<HashMap<[u8; 32], Instant>>>;

fn ephemeral(envelope: &[u8]) -> Option<[u8; 32]> {
    envelope
        .get(2..34)
        .and_then(|e| <[u8; 32]>::try_from(e).ok())
}

struct Pair {
    sender: Account,
    receiver: Account,
    certificate: SenderCertificate,
    count: usize,
}

async fn send_all(base: Arc<str>, pair: Arc<Pair>, pending: Pending) -> Result<(), BenchError> {
    let http = reqwest::Client::new();
    let url = format!("{base}/v1/sealed");
    let (to, key) = (pair.receiver.hex(), pair.receiver.access_key());
    let recipient = pair.receiver.identity.public();
    let mut cache = StaticCache::new();
    let mut message = [0u8; MESSAGE_LEN];
    for seq in 0..pair.count {
        let started = Instant::now();
        message[..8].copy_from_slice(&(seq as u64).to_be_bytes());
        let envelope = sotto_sealed::envelope::seal_cached(
            &pair.sender.identity,
            &mut cache,
            &pair.certificate,
            &recipient,
            CONTENT_TYPE_MESSAGE,
            &message,
            &mut rand::rng(),
        )?;
        let id = ephemeral(&envelope).ok_or(BenchError::Foreign)?;
        pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, started);
        let body = json!({
            "recipient": to,
            "envelopes": [{"device_id": 1, "envelope": b64(&envelope)}],
        });
        let resp = http
            .post(&url)
            .header("Sotto-Access-Key", &key)
            .json(&body)
            .send()
            .await?;
        answer("sealed send", resp).await?;
    }
    Ok(())
}

/// Latencies in fixed buckets (10 us wide below 100 ms, 1 ms wide up to 10 s, then one
/// overflow bucket): 80 KiB whatever the load, so that the bench's own bookkeeping does not
/// show as memory growth.
#[derive(Debug, Clone)]
pub struct Histogram {
    buckets: Vec<u32>,
    count: usize,
    max: Duration,
}

const FINE_US: u64 = 100_000;
const COARSE_US: u64 = 10_000_000;
const BUCKETS: usize = (FINE_US / 10 + (COARSE_US - FINE_US) / 1000 + 1) as usize;

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram.
    #[must_use]
    pub fn new() -> Self {
        Self {
            buckets: vec![0; BUCKETS],
            count: 0,
            max: Duration::ZERO,
        }
    }

    fn index(d: Duration) -> usize {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let i = if us < FINE_US {
            us / 10
        } else if us < COARSE_US {
            FINE_US / 10 + (us - FINE_US) / 1000
        } else {
            BUCKETS as u64 - 1
        };
        usize::try_from(i).map_or(BUCKETS - 1, |i| i.min(BUCKETS - 1))
    }

    /// The upper edge of bucket `i`.
    fn upper(i: usize) -> Duration {
        let i = i as u64;
        let us = if i < FINE_US / 10 {
            (i + 1) * 10
        } else {
            FINE_US + (i - FINE_US / 10 + 1) * 1000
        };
        Duration::from_micros(us)
    }

    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let i = Self::index(d);
        self.buckets[i] = self.buckets[i].saturating_add(1);
        self.count += 1;
        self.max = self.max.max(d);
    }

    /// Adds `other`'s samples.
    pub fn merge(&mut self, other: &Self) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a = a.saturating_add(*b);
        }
        self.count += other.count;
        self.max = self.max.max(other.max);
    }

    /// Samples recorded.
    #[must_use]
    pub const fn count(&self) -> usize {
        self.count
    }

    /// The `p` quantile (0 to 1), as its bucket's upper edge (at most the largest sample).
    #[must_use]
    pub fn quantile(&self, p: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((self.count as f64) * p).ceil().max(1.0) as usize;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += *n as usize;
            if seen >= rank {
                // The overflow bucket has no upper edge: its largest sample is the answer.
                if i == BUCKETS - 1 {
                    return self.max;
                }
                return Self::upper(i).min(self.max);
            }
        }
        self.max
    }
}

/// What one receiver saw.
struct Received {
    latencies: Histogram,
    requests: usize,
}

async fn receive_all(
    base: Arc<str>,
    pair: Arc<Pair>,
    pending: Pending,
    store: Arc<CertificateStore>,
    acknowledged: Arc<AtomicUsize>,
) -> Result<Received, BenchError> {
    let http = reqwest::Client::new();
    let fetch = format!("{base}/v1/messages?wait={POLL_WAIT_SECONDS}");
    let ack = format!("{base}/v1/messages/ack");
    let token = &pair.receiver.token;
    let mut latencies = Histogram::new();
    let mut requests = 0;
    let mut empty = 0;
    let mut checked = false;
    // Each round either acknowledges at least one message or counts an empty poll.
    for _ in 0..pair.count + MAX_EMPTY_POLLS {
        if latencies.count() >= pair.count {
            break;
        }
        let v = answer("fetch", http.get(&fetch).bearer_auth(token).send().await?).await?;
        requests += 1;
        let messages = v["messages"]
            .as_array()
            .ok_or(BenchError::Answer("fetch"))?;
        if messages.is_empty() {
            empty += 1;
            if empty >= MAX_EMPTY_POLLS {
                break;
            }
            continue;
        }
        empty = 0;
        let mut ids = Vec::with_capacity(messages.len());
        let mut starts = Vec::with_capacity(messages.len());
        for m in messages {
            ids.push(m["id"].as_i64().ok_or(BenchError::Answer("fetch"))?);
            let envelope = unb64(field(m, "envelope", "fetch")?, "fetch")?;
            if !checked {
                // The first envelope of each pair is opened: real, and from the sender.
                let opened = sotto_sealed::envelope::open(
                    &pair.receiver.identity,
                    &store,
                    now_seconds(),
                    &envelope,
                )
                .map_err(|_| BenchError::Foreign)?;
                if opened.sender.account_id() != pair.sender.account
                    || opened.message.len() != MESSAGE_LEN
                {
                    return Err(BenchError::Foreign);
                }
                checked = true;
            }
            let id = ephemeral(&envelope).ok_or(BenchError::Foreign)?;
            let started = pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&id)
                .ok_or(BenchError::Foreign)?;
            starts.push(started);
        }
        answer(
            "acknowledge",
            http.post(&ack)
                .bearer_auth(token)
                .json(&json!({ "ids": ids }))
                .send()
                .await?,
        )
        .await?;
        requests += 1;
        let done = Instant::now();
        acknowledged.fetch_add(starts.len(), Ordering::Relaxed);
        for s in starts {
            latencies.record(done.duration_since(s));
        }
    }
    Ok(Received {
        latencies,
        requests,
    })
}

/// Runs the bench and writes its report lines to `out`.
pub fn run(config: BenchConfig, out: &mut dyn Write) -> Result<BenchReport, BenchError> {
    if !(1..=MAX_CLIENTS).contains(&config.clients) {
        return Err(BenchError::Config(format!(
            "--clients must be 1 to {MAX_CLIENTS}"
        )));
    }
    if !(config.clients..=MAX_MESSAGES).contains(&config.messages) {
        return Err(BenchError::Config(format!(
            "--messages must be at least --clients and at most {MAX_MESSAGES}"
        )));
    }
    let dir = tempfile::tempdir().map_err(io("temporary directory"))?;
    let relay_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("relay-rt")
        .enable_all()
        .build()
        .map_err(io("relay runtime"))?;
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .map_err(io("client runtime"))?;
    let mut relay_config = RelayConfig::new(dir.path().join("relay.db"));
    relay_config.durability = config.durability;
    let relay = relay_rt.block_on(Relay::start(relay_config))?;
    let rss_start_kib = rss_kib();
    let base: Arc<str> = Arc::from(format!("http://{}", relay.local_addr));
    let durability = match config.durability {
        Durability::ProcessCrash => "process-crash",
        Durability::PowerLoss => "power-loss",
    };
    writeln!(
        out,
        "bench-relay: {} pairs, {} sealed messages of {MESSAGE_LEN} B, durability {durability}, relay on {}",
        config.clients, config.messages, relay.local_addr
    )
    .map_err(io("output"))?;

    let result = client_rt.block_on(drive(config, Arc::clone(&base), rss_start_kib, out));
    let shutdown = relay_rt.block_on(relay.shutdown());
    let report = result?;
    shutdown.map_err(io("relay shutdown"))?;
    Ok(report)
}

async fn drive(
    config: BenchConfig,
    base: Arc<str>,
    rss_start_kib: u64,
    out: &mut dyn Write,
) -> Result<BenchReport, BenchError> {
    let setup_started = Instant::now();
    let http = reqwest::Client::new();
    let certs = answer(
        "certificates",
        http.get(format!("{base}/v1/certificates")).send().await?,
    )
    .await?;
    let root: [u8; 32] = unb64(field(&certs, "trust_root", "certificates")?, "certificates")?
        .try_into()
        .map_err(|_| BenchError::Answer("certificates"))?;
    let mut store = CertificateStore::new(TrustRoot::from_bytes(&root)?);
    for c in certs["server_certificates"]
        .as_array()
        .ok_or(BenchError::Answer("certificates"))?
    {
        store.add(&unb64(
            c.as_str().ok_or(BenchError::Answer("certificates"))?,
            "certificates",
        )?)?;
    }
    let store = Arc::new(store);

    let mut pairs = Vec::with_capacity(config.clients);
    for c in 0..config.clients {
        let sender = register(&http, &base).await?;
        let receiver = register(&http, &base).await?;
        let v = answer(
            "certificate",
            http.post(format!("{base}/v1/certificate"))
                .bearer_auth(&sender.token)
                .send()
                .await?,
        )
        .await?;
        let certificate = SenderCertificate::from_bytes(&unb64(
            field(&v, "certificate", "certificate")?,
            "certificate",
        )?)?;
        let count =
            config.messages / config.clients + usize::from(c < config.messages % config.clients);
        pairs.push(Arc::new(Pair {
            sender,
            receiver,
            certificate,
            count,
        }));
    }
    let rss_setup_kib = rss_kib();
    writeln!(
        out,
        "setup: {} accounts registered in {:.2} s",
        2 * config.clients,
        setup_started.elapsed().as_secs_f64()
    )
    .map_err(io("output"))?;

    let done = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let done = Arc::clone(&done);
        let acknowledged = Arc::clone(&acknowledged);
        let tenth = config.messages / 10;
        tokio::spawn(async move {
            let (mut peak, mut at_tenth) = (0, 0);
            // Bounded: at most an hour of samples.
            for _ in 0..100 * 3600 {
                let rss = rss_kib();
                peak = peak.max(rss);
                if at_tenth == 0 && acknowledged.load(Ordering::Relaxed) >= tenth {
                    at_tenth = rss;
                }
                if done.load(Ordering::Relaxed) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (peak, at_tenth)
        })
    };
    let ticks_before = thread_ticks();
    let started = Instant::now();
    let mut senders = Vec::with_capacity(pairs.len());
    let mut receivers = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        let pending: Pending = Arc::new(Mutex::new(HashMap::new()));
        receivers.push(tokio::spawn(receive_all(
            Arc::clone(&base),
            Arc::clone(pair),
            Arc::clone(&pending),
            Arc::clone(&store),
            Arc::clone(&acknowledged),
        )));
        senders.push(tokio::spawn(send_all(
            Arc::clone(&base),
            Arc::clone(pair),
            pending,
        )));
    }
    for s in senders {
        s.await.map_err(|_| BenchError::Task)??;
    }
    let mut latencies = Histogram::new();
    let mut fetches = 0;
    for r in receivers {
        let got = r.await.map_err(|_| BenchError::Task)??;
        latencies.merge(&got.latencies);
        fetches += got.requests;
    }
    let elapsed = started.elapsed();
    let ticks_after = thread_ticks();
    let rss_end_kib = rss_kib();
    done.store(true, Ordering::Relaxed);
    let (rss_peak_kib, rss_tenth_kib) = sampler.await.map_err(|_| BenchError::Task)?;
    let rss_peak_kib = rss_peak_kib.max(rss_end_kib);
    if latencies.count() != config.messages {
        return Err(BenchError::Incomplete {
            delivered: latencies.count(),
            expected: config.messages,
        });
    }
    let report = BenchReport {
        messages: latencies.count(),
        elapsed,
        p50: latencies.quantile(0.50),
        p99: latencies.quantile(0.99),
        max: latencies.max,
        rss_start_kib,
        rss_setup_kib,
        rss_end_kib,
        rss_tenth_kib,
        rss_peak_kib,
        cpu: cpu_between(&ticks_before, &ticks_after),
        fetches,
    };
    write_report(&report, out).map_err(io("output"))?;
    Ok(report)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn write_report(r: &BenchReport, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "throughput: {:.0} messages/s end to end ({} sealed, sent, delivered and acknowledged in {:.2} s)",
        r.rate(),
        r.messages,
        r.elapsed.as_secs_f64()
    )?;
    writeln!(
        out,
        "latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (seal start to acknowledgement)",
        ms(r.p50),
        ms(r.p99),
        ms(r.max)
    )?;
    let growth = |from: u64| {
        if from == 0 {
            0.0
        } else {
            (r.rss_end_kib as f64 / from as f64 - 1.0) * 100.0
        }
    };
    writeln!(
        out,
        "memory: VmRSS {:.1} MiB at start, {:.1} MiB after setup, {:.1} MiB at 10 % of the load, {:.1} MiB at the end ({:+.1} % since 10 %, {:+.1} % since setup), peak {:.1} MiB",
        mib(r.rss_start_kib),
        mib(r.rss_setup_kib),
        mib(r.rss_tenth_kib),
        mib(r.rss_end_kib),
        growth(r.rss_tenth_kib),
        growth(r.rss_setup_kib),
        mib(r.rss_peak_kib)
    )?;
    let total: f64 = r.cpu.iter().map(|c| c.seconds).sum();
    let wall = r.elapsed.as_secs_f64();
    let parts: Vec<String> = r
        .cpu
        .iter()
        .filter(|c| c.seconds > 0.0)
        .map(|c| format!("{} {:.2} s", c.group, c.seconds))
        .collect();
    writeln!(
        out,
        "cpu: {total:.2} s over {wall:.2} s wall ({:.2} cores busy): {}",
        total / wall.max(1e-9),
        parts.join(", ")
    )?;
    let relay: f64 = r
        .cpu
        .iter()
        .filter(|c| c.group.starts_with("relay") || c.group.starts_with("sotto-relay"))
        .map(|c| c.seconds)
        .sum();
    let client = total - relay;
    let per = |s: f64| s * 1e6 / r.messages.max(1) as f64;
    writeln!(
        out,
        "cpu per message: relay {:.0} us (runtime and writer), clients {:.0} us (sealing, HTTP)",
        per(relay),
        per(client)
    )?;
    writeln!(
        out,
        "requests: {} sends, {} fetches and acknowledgements ({:.1} messages per fetch)",
        r.messages,
        r.fetches,
        2.0 * r.messages as f64 / r.fetches.max(1) as f64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_bucket_edges_within_the_samples() {
        let mut h = Histogram::new();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us * 100));
        }
        assert_eq!(h.count(), 1000);
        assert_eq!(h.quantile(0.5), Duration::from_micros(50_010));
        assert_eq!(h.quantile(0.99), Duration::from_micros(99_010));
        assert_eq!(h.quantile(1.0), Duration::from_millis(100));
        let mut other = Histogram::new();
        other.record(Duration::from_secs(20));
        h.merge(&other);
        assert_eq!(h.count(), 1001);
        assert_eq!(h.quantile(1.0), Duration::from_secs(20));
        assert_eq!(Histogram::new().quantile(0.5), Duration::ZERO);
    }
}
