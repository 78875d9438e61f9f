//! `sotto disclose` on databases the demo script left: what one account's package holds,
//! and what it does not; errors in one line.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use sotto_cli::demo::{self, PEOPLE};
use sotto_relay::Profile;

fn script(profile: Profile, dir: &Path) -> demo::ProfileRun {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = dir.join(format!("{}.db", profile.name()));
    runtime
        .block_on(demo::run_profile(profile, &db, &dir.join("homes")))
        .unwrap()
}

fn disclose(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .arg("disclose")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn an_accounts_package_holds_its_records_and_not_an_unrelated_account() {
    let dir = tempfile::tempdir().unwrap();
    let run = script(Profile::E2ee, dir.path());
    let (alice, carol) = (run.accounts[0].to_hex(), run.accounts[2].to_hex());
    let (ok, json, err) = disclose(&[
        "--db",
        run.db.to_str().unwrap(),
        "--account",
        &alice,
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = v.to_string();
    assert!(text.contains(PEOPLE[0].1), "Alice's phone");
    for table in ["accounts", "devices", "delivery_log", "contacts"] {
        assert!(text.contains(&format!("\"{table}\"")), "{table}");
    }
    // Alice never wrote to Carol, nor Carol to her: nothing of Carol's is in the package.
    assert!(!text.contains(PEOPLE[2].1));
    assert!(!text.contains(&carol));
    let (ok, md, _) = disclose(&["--db", run.db.to_str().unwrap(), "--account", &alice]);
    assert!(ok);
    assert!(md.contains(PEOPLE[0].1));
}

#[test]
fn under_traceable_the_recipient_of_a_forward_is_handed_its_originator() {
    let dir = tempfile::tempdir().unwrap();
    let run = script(Profile::Traceable, dir.path());
    let (alice, carol) = (run.accounts[0].to_hex(), run.accounts[2].to_hex());
    let (ok, json, err) = disclose(&[
        "--db",
        run.db.to_str().unwrap(),
        "--account",
        &carol,
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    // The trace row of the rumour names Alice's address as its originator.
    assert!(json.contains(&alice), "Carol's package does not name Alice");
    let hash = hex::encode(sotto_relay::retention::trace_hash(demo::RUMOUR));
    assert!(json.contains(&hash));
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let not_relay = dir.path().join("other.db");
    rusqlite::Connection::open(&not_relay)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let id = "00".repeat(16);
    for (args, needle) in [
        (
            vec!["--db", missing.to_str().unwrap(), "--account", &id],
            "no such file",
        ),
        (
            vec!["--db", not_relay.to_str().unwrap(), "--account", &id],
            "not a Sotto relay database",
        ),
        (
            vec!["--db", not_relay.to_str().unwrap(), "--account", "xyz"],
            "not an account id",
        ),
        (
            vec![
                "--db",
                not_relay.to_str().unwrap(),
                "--account",
                &"AB".repeat(16),
            ],
            "not an account id",
        ),
    ] {
        let (ok, out, err) = disclose(&args);
        assert!(!ok && out.is_empty(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
}
