//! The kill test: a bounded load on the `sotto-relay` binary, SIGKILL mid-way, a restart on
//! the same file; every accepted message arrives exactly once, every message that arrives
//! was sent and is intact, and no acknowledged message comes back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::sync::Mutex;

const CLIENTS: usize = 8;
const MESSAGES: usize = 10_000;
const PER_CLIENT: usize = MESSAGES / CLIENTS;
/// Kill once this many messages were accepted.
const KILL_AFTER: usize = MESSAGES * 2 / 5;

fn spawn_relay(db: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sotto-relay"))
        .args(["--db", db.to_str().unwrap(), "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"));
    (child, format!("http://{addr}"))
}

#[derive(Default)]
struct Ledger {
    /// Markers whose send was attempted (sent, answer unknown or 2xx).
    attempted: HashSet<u64>,
    /// Markers whose send got a 2xx.
    accepted: HashSet<u64>,
    /// Message id to marker, as received (first time).
    received: HashMap<i64, u64>,
    /// Ids whose acknowledgement got a 2xx.
    acked: HashSet<i64>,
    /// Ids delivered again after their acknowledgement was confirmed (must stay empty).
    redelivered_after_ack: Vec<i64>,
}

fn marker_of(envelope: &[u8]) -> u64 {
    let marker = u64::from_be_bytes(envelope[2..10].try_into().unwrap());
    assert_eq!(
        envelope,
        fake_envelope(marker),
        "an envelope arrived changed"
    );
    marker
}

/// Sends client `c`'s messages from `start` while the relay answers; returns where it stopped.
async fn sender(
    relay: Arc<TestRelay>,
    to: String,
    key: String,
    c: usize,
    start: usize,
    ledger: Arc<Mutex<Ledger>>,
    accepted: Arc<AtomicUsize>,
) -> usize {
    for seq in start..PER_CLIENT {
        let marker = ((c as u64) << 32) | seq as u64;
        ledger.lock().await.attempted.insert(marker);
        let body = json!({
            "recipient": to,
            "envelopes": [{"device_id": 1, "envelope": b64(&fake_envelope(marker))}],
        });
        let resp = relay
            .http
            .post(relay.url("/v1/sealed"))
            .header("Sotto-Access-Key", &key)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match resp {
            Ok(r) if r.status() == StatusCode::OK => {
                ledger.lock().await.accepted.insert(marker);
                accepted.fetch_add(1, Ordering::Relaxed);
            }
            // Killed: this message's fate is unknown; resend nothing, stop.
            _ => return seq + 1,
        }
    }
    PER_CLIENT
}

/// Receives and acknowledges until `stop` (or, when draining, until the mailbox is empty).
async fn receiver(
    relay: Arc<TestRelay>,
    token: String,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<AtomicBool>,
    drain: bool,
) {
    for _ in 0..100_000 {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let resp = relay
            .http
            .get(relay.url("/v1/messages?wait=1"))
            .bearer_auth(&token)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let Ok(resp) = resp else { return };
        let Ok(v) = resp.json::<serde_json::Value>().await else {
            return;
        };
        let msgs = v["messages"].as_array().cloned().unwrap_or_default();
        if msgs.is_empty() && drain {
            return;
        }
        let mut ids = Vec::new();
        {
            let mut l = ledger.lock().await;
            for m in &msgs {
                let id = m["id"].as_i64().unwrap();
                let marker = marker_of(&unb64(m["envelope"].as_str().unwrap()));
                if l.acked.contains(&id) {
                    l.redelivered_after_ack.push(id);
                }
                // The application sees each id once (a redelivery after an unconfirmed
                // acknowledgement is recognised by its id).
                let previous = l.received.insert(id, marker);
                assert!(
                    previous.is_none_or(|p| p == marker),
                    "id {id} changed content"
                );
                ids.push(id);
            }
        }
        if ids.is_empty() {
            continue;
        }
        let resp = relay
            .http
            .post(relay.url("/v1/messages/ack"))
            .bearer_auth(&token)
            .json(&json!({ "ids": ids }))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match resp {
            Ok(r) if r.status() == StatusCode::OK => {
                ledger.lock().await.acked.extend(ids);
            }
            _ => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_no_accepted_message_and_duplicates_none() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let (mut child, base) = spawn_relay(&db);
    let relay = Arc::new(TestRelay::remote(base, db.clone(), dir));

    let mut recipients = Vec::new();
    for _ in 0..CLIENTS {
        recipients.push(register(&relay, 1).await);
    }
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let accepted = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    // Phase 1: 8 senders and 8 receivers, killed once KILL_AFTER messages were accepted.
    let mut senders = Vec::new();
    let mut receivers = Vec::new();
    for (c, r) in recipients.iter().enumerate() {
        senders.push(tokio::spawn(sender(
            Arc::clone(&relay),
            r.hex(),
            r.access_key(),
            c,
            0,
            Arc::clone(&ledger),
            Arc::clone(&accepted),
        )));
        receivers.push(tokio::spawn(receiver(
            Arc::clone(&relay),
            r.token().to_owned(),
            Arc::clone(&ledger),
            Arc::clone(&stop),
            false,
        )));
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while accepted.load(Ordering::Relaxed) < KILL_AFTER {
        assert!(
            Instant::now() < deadline,
            "the load did not reach the kill point"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let killed_at = accepted.load(Ordering::Relaxed);
    let mut resume = Vec::new();
    for s in senders {
        resume.push(s.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    for r in receivers {
        r.await.unwrap();
    }

    // Phase 2: restart on the same file, send the rest, drain every mailbox.
    let (mut child, base) = spawn_relay(&db);
    let dir2 = tempfile::tempdir().unwrap();
    let relay2 = Arc::new(TestRelay::remote(base, db.clone(), dir2));
    let mut senders = Vec::new();
    for (c, r) in recipients.iter().enumerate() {
        senders.push(tokio::spawn(sender(
            Arc::clone(&relay2),
            r.hex(),
            r.access_key(),
            c,
            resume[c],
            Arc::clone(&ledger),
            Arc::clone(&accepted),
        )));
    }
    for s in senders {
        assert_eq!(
            s.await.unwrap(),
            PER_CLIENT,
            "a send failed after the restart"
        );
    }
    let running = Arc::new(AtomicBool::new(false));
    let mut receivers = Vec::new();
    for r in &recipients {
        receivers.push(tokio::spawn(receiver(
            Arc::clone(&relay2),
            r.token().to_owned(),
            Arc::clone(&ledger),
            Arc::clone(&running),
            true,
        )));
    }
    for r in receivers {
        r.await.unwrap();
    }
    for r in &recipients {
        let (s, left) = fetch(&relay2, r.token(), 0).await;
        assert_eq!(
            (s, left.len()),
            (StatusCode::OK, 0),
            "a mailbox was not drained"
        );
    }
    let (s, _) = relay2
        .call(Method::GET, "/v1/certificates", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    child.kill().unwrap();
    child.wait().unwrap();

    let l = ledger.lock().await;
    let mut arrived: HashMap<u64, usize> = HashMap::new();
    for marker in l.received.values() {
        *arrived.entry(*marker).or_default() += 1;
    }
    assert!(
        l.redelivered_after_ack.is_empty(),
        "acknowledged ids came back: {:?}",
        &l.redelivered_after_ack[..l.redelivered_after_ack.len().min(5)]
    );
    for marker in &l.accepted {
        assert_eq!(
            arrived.get(marker),
            Some(&1),
            "accepted message {marker:#x} arrived {:?} times",
            arrived.get(marker)
        );
    }
    for (marker, n) in &arrived {
        assert!(
            l.attempted.contains(marker),
            "message {marker:#x} was never sent"
        );
        assert_eq!(*n, 1, "message {marker:#x} stored twice");
    }
    assert!(
        l.accepted.len() >= MESSAGES - CLIENTS,
        "only {} accepted",
        l.accepted.len()
    );
    eprintln!(
        "kill test: {} attempted, {} accepted ({} before the kill), {} arrived, {} unconfirmed; {:.1} s",
        l.attempted.len(),
        l.accepted.len(),
        killed_at,
        arrived.len(),
        l.attempted.len() - l.accepted.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn binary_errors_are_one_readable_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let db = db.to_str().unwrap();
    // A port already in use: bind a listener first.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let not_a_db = dir.path().to_str().unwrap();
    for args in [
        vec!["--addr", "127.0.0.1:0"],
        vec!["--db"],
        vec!["--db", db, "--addr", "localhost"],
        vec!["--db", db, "--durability", "sometimes"],
        vec!["--db", db, "--bogus", "1"],
        vec!["--db", db, "--addr", taken.as_str()],
        vec!["--db", not_a_db, "--addr", "127.0.0.1:0"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sotto-relay"))
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} succeeded");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr:?}");
        assert!(stderr.starts_with("sotto-relay: "), "{args:?}: {stderr:?}");
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout");
    }
}
