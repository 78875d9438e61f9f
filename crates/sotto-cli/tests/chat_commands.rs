//! `sotto register`, `link`, `send`, `receive` and `safety-number` run as the built binary
//! against a `sotto relay` child process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::start_relay;
use std::time::{Duration, Instant};

/// Runs `sotto ARGS`, killed after 60 s (every wait is bounded).
fn sotto(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("sotto {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = sotto(args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "sotto {args:?}: {stdout}\n{stderr}");
    stdout
}

fn fails_in_one_line(args: &[&str]) -> String {
    let out = sotto(args);
    assert_eq!(out.status.code(), Some(1), "sotto {args:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "sotto {args:?}: {stderr:?}");
    assert!(stderr.starts_with("sotto: "), "{stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr:?}");
    stderr
}

/// Registers and returns the account id (first line) and the contact card (second line).
fn register(home: &Path, url: &str) -> (String, String) {
    let out = ok(&["register", "--home", home.to_str().unwrap(), "--relay", url]);
    let mut lines = out.lines();
    let id = lines.next().unwrap().trim().to_owned();
    assert_eq!(id.len(), 32, "{id:?}");
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id:?}");
    let card = lines
        .next()
        .and_then(|l| l.strip_prefix("contact card: "))
        .unwrap_or_else(|| panic!("no contact card in {out:?}"))
        .to_owned();
    assert!(card.starts_with(&format!("{id}.")), "{card}");
    (id, card)
}

#[test]
fn two_people_chat_through_a_relay() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path());
    let (alice_home, bob_home) = (dir.path().join("alice"), dir.path().join("bob"));
    let (a, b) = (alice_home.to_str().unwrap(), bob_home.to_str().unwrap());
    let (alice, _) = register(&alice_home, &relay.url);
    let (bob, bob_card) = register(&bob_home, &relay.url);
    assert_ne!(alice, bob);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(alice_home.join("store.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Under the relay's default profile (`sotto`) a first message needs the contact card;
    // with only the id, the send is refused before anything leaves.
    let err = fails_in_one_line(&["send", "--home", a, "--to", &bob, "hello Bob"]);
    assert!(err.contains("no contact card"), "{err}");
    ok(&["send", "--home", a, "--to", &bob_card, "hello Bob"]);
    let got = ok(&["receive", "--home", b, "--wait", "10"]);
    assert!(
        got.lines()
            .any(|l| l == format!("from {alice} device 1: hello Bob")),
        "{got}"
    );

    ok(&["send", "--home", b, "--to", &alice, "hi Alice"]);
    let got = ok(&["receive", "--home", a, "--wait", "10"]);
    assert!(
        got.lines()
            .any(|l| l == format!("from {bob} device 1: hi Alice")),
        "{got}"
    );
    // Nothing new: an empty answer, at once.
    assert_eq!(ok(&["receive", "--home", a]), "");

    let number_a = ok(&["safety-number", "--home", a, "--peer", &bob]);
    let number_b = ok(&["safety-number", "--home", b, "--peer", &alice]);
    let first_a = number_a.lines().next().unwrap().to_owned();
    assert_eq!(first_a, number_b.lines().next().unwrap());
    assert_eq!(first_a.split(' ').count(), 12, "{first_a}");

    // Alice types the number she reads on Bob's screen.
    let verified = ok(&[
        "safety-number",
        "--home",
        a,
        "--peer",
        &bob,
        "--verify",
        &first_a,
    ]);
    assert!(
        verified.lines().next().unwrap().ends_with("(verified)"),
        "{verified}"
    );
    let wrong = "1".repeat(60);
    let err = fails_in_one_line(&[
        "safety-number",
        "--home",
        b,
        "--peer",
        &alice,
        "--verify",
        &wrong,
    ]);
    assert!(err.contains("differ"), "{err}");
}

#[test]
fn a_second_device_links_and_receives() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path());
    let (alice_home, bob_home, bob2_home) = (
        dir.path().join("alice"),
        dir.path().join("bob"),
        dir.path().join("bob2"),
    );
    let (a, b, b2) = (
        alice_home.to_str().unwrap(),
        bob_home.to_str().unwrap(),
        bob2_home.to_str().unwrap(),
    );
    let (alice, _) = register(&alice_home, &relay.url);
    let (bob, bob_card) = register(&bob_home, &relay.url);

    let mut new_device = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .args(["link", "--home", b2, "--relay", &relay.url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(new_device.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let code = first
        .strip_prefix("link code: ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let message = ok(&["link", "--home", b, "--code", &code]);
    let mut stdin = new_device.stdin.take().unwrap();
    stdin.write_all(message.as_bytes()).unwrap();
    drop(stdin);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = new_device.wait().unwrap();
    assert!(status.success(), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l == &format!("linked: account {bob} device 2")),
        "{rest:?}"
    );

    ok(&["send", "--home", a, "--to", &bob_card, "to both of you"]);
    for home in [b, b2] {
        let got = ok(&["receive", "--home", home, "--wait", "10"]);
        assert!(
            got.lines()
                .any(|l| l == format!("from {alice} device 1: to both of you")),
            "{home}: {got}"
        );
    }

    // Bob's reply from his first device reaches Alice, and a copy reaches his second device;
    // a newline in a text is shown escaped, on one line.
    ok(&["send", "--home", b, "--to", &alice, "reply\nfrom Bob"]);
    let got = ok(&["receive", "--home", a, "--wait", "10"]);
    assert!(
        got.lines()
            .any(|l| l == format!("from {bob} device 1: reply\\nfrom Bob")),
        "{got}"
    );
    let got = ok(&["receive", "--home", b2, "--wait", "10"]);
    assert!(
        got.lines()
            .any(|l| l == format!("to {alice} from own device 1: reply\\nfrom Bob")),
        "{got}"
    );

    // Bob revokes his second device from the primary: it learns it was revoked, Alice is
    // told, and her next text reaches only the primary.
    let err = fails_in_one_line(&["revoke", "--home", b, "--device", "1"]);
    assert!(err.contains("cannot revoke itself"), "{err}");
    assert_eq!(
        ok(&["revoke", "--home", b, "--device", "2"]),
        "revoked device 2\n"
    );
    let got = ok(&["send", "--home", a, "--to", &bob, "only the primary"]);
    assert!(
        got.lines()
            .any(|l| l == format!("trust: device removed: account {bob} device 2")),
        "{got}"
    );
    let got = ok(&["receive", "--home", b, "--wait", "10"]);
    assert!(
        got.lines()
            .any(|l| l == format!("from {alice} device 1: only the primary")),
        "{got}"
    );
    let revoked = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .args(["receive", "--home", b2, "--wait", "0"])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&revoked.stdout),
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert!(!text.contains("only the primary"), "{text}");
    assert!(
        text.contains("the relay no longer accepts this device"),
        "{text}"
    );
    assert!(!revoked.status.success());
}

#[test]
fn errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nobody");
    let err = fails_in_one_line(&[
        "send",
        "--home",
        missing.to_str().unwrap(),
        "--to",
        &"00".repeat(16),
        "hi",
    ]);
    assert!(err.contains("no sotto client here"), "{err}");

    let err = fails_in_one_line(&["receive"]);
    assert!(err.contains("--home"), "{err}");

    // No relay listening: the register fails in one line and leaves the home reusable.
    let home = dir.path().join("alice");
    let err = fails_in_one_line(&[
        "register",
        "--home",
        home.to_str().unwrap(),
        "--relay",
        "http://127.0.0.1:9",
    ]);
    assert!(err.contains("transport"), "{err}");
    assert!(!home.join("store.key").exists());

    let relay = start_relay(dir.path());
    // A new device's link whose message never comes (standard input closed): one line, and
    // the home stays usable.
    let new_home = dir.path().join("new");
    let err = fails_in_one_line(&[
        "link",
        "--home",
        new_home.to_str().unwrap(),
        "--relay",
        &relay.url,
    ]);
    assert!(err.contains("no link message"), "{err}");
    // A store key left behind without a client (an interrupted link): a clear message, then
    // a register in the same home works.
    std::fs::write(new_home.join("store.key"), [7u8; 32]).unwrap();
    std::fs::write(new_home.join("relay.url"), &relay.url).unwrap();
    let err = fails_in_one_line(&["receive", "--home", new_home.to_str().unwrap()]);
    assert!(err.contains("no registered client here"), "{err}");
    register(&new_home, &relay.url);

    let (id, _) = register(&home, &relay.url);
    let err = fails_in_one_line(&[
        "register",
        "--home",
        home.to_str().unwrap(),
        "--relay",
        &relay.url,
    ]);
    assert!(err.contains("already holds"), "{err}");
    let err = fails_in_one_line(&[
        "send",
        "--home",
        home.to_str().unwrap(),
        "--to",
        "not-hex",
        "hi",
    ]);
    assert!(err.contains("not an account id"), "{err}");
    // An account the relay does not know.
    let err = fails_in_one_line(&[
        "send",
        "--home",
        home.to_str().unwrap(),
        "--to",
        &format!("{}.{}", "00".repeat(16), "11".repeat(32)),
        "hi",
    ]);
    assert!(err.contains("the relay knows no account 0000"), "{err}");
    assert!(!err.contains(&id), "{err}");
    // A peer never written to has no safety number yet.
    let err = fails_in_one_line(&[
        "safety-number",
        "--home",
        home.to_str().unwrap(),
        "--peer",
        &"00".repeat(16),
    ]);
    assert!(err.contains("no conversation with"), "{err}");
    // A store key that is not 32 bytes.
    std::fs::write(home.join("store.key"), b"short").unwrap();
    let err = fails_in_one_line(&["receive", "--home", home.to_str().unwrap()]);
    assert!(err.contains("not a 32-byte store key"), "{err}");
}
