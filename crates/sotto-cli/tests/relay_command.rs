//! `sotto relay` and `sotto bench-relay` run as the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

#[tokio::test]
async fn relay_listens_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let relay = common::start_relay(dir.path());
    let addr = relay.url.strip_prefix("http://").unwrap().to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let resp = reqwest::get(format!("http://{addr}/v1/certificates"))
        .await
        .unwrap();
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap();
    drop(relay);
    assert_eq!(status, reqwest::StatusCode::OK);
    assert!(body["trust_root"].is_string(), "{body}");
    assert!(db.exists());
}

#[test]
fn relay_with_a_bad_db_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no such directory").join("relay.db");
    for db in [dir.path().to_path_buf(), missing] {
        let out = Command::new(env!("CARGO_BIN_EXE_sotto"))
            .args([
                "relay",
                "--db",
                db.to_str().unwrap(),
                "--addr",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{db:?} succeeded");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{db:?}: {stderr:?}");
        assert!(
            stderr.starts_with("sotto: database: "),
            "{db:?}: {stderr:?}"
        );
        assert!(out.stdout.is_empty(), "{db:?} printed on stdout");
    }
}

#[test]
fn bench_relay_runs_and_reports() {
    let out = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .args(["bench-relay", "--clients", "2", "--messages", "200"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    eprintln!("{stdout}");
    for prefix in [
        "bench-relay: 2 pairs, 200 sealed messages",
        "setup: 4 accounts",
        "throughput: ",
        "latency: p50 ",
        "memory: VmRSS ",
        "cpu: ",
        "requests: 200 sends",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(prefix)),
            "no line {prefix:?} in\n{stdout}"
        );
    }
    assert!(stdout.contains("(200 sealed, sent, delivered and acknowledged"));
}

#[test]
fn bench_relay_refuses_an_unbounded_load_in_one_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .args(["bench-relay", "--clients", "0", "--messages", "10"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("sotto: --clients"), "{stderr:?}");
}
