//! `sotto demo` as a newcomer runs it: the matrix, then the compelled-operator results;
//! no colour when piped; the markdown and JSON forms.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

fn demo(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .arg("demo")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn the_demo_prints_the_matrix_then_every_compelled_action() {
    let (out, progress) = demo(&[]);
    assert!(!out.contains('\u{1b}'), "colour on a pipe");
    // The matrix (everything before the compelled section) fits a 100-column terminal.
    let matrix = out.split("compelled platform").next().unwrap();
    assert!(matrix.len() < out.len(), "no compelled section");
    for line in matrix.lines() {
        assert!(line.chars().count() <= 100, "{line:?}");
    }
    for row in sotto_cli::demo::ROWS {
        let first = row.split(' ').next().unwrap();
        assert!(out.contains(first), "row {row} missing");
    }
    for p in sotto_relay::Profile::ALL {
        assert!(out.contains(p.name()));
        assert!(
            progress.contains(&format!("sotto demo: {}", p.name())),
            "{progress}"
        );
    }
    let actions = out.lines().filter(|l| l.starts_with("action: ")).count();
    assert_eq!(actions, 8, "{out}");
    // Each action names the test that proves it, and that test exists.
    let tests = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sotto/tests/compelled.rs"),
    )
    .unwrap();
    for line in out.lines().filter_map(|l| l.trim().strip_prefix("test:")) {
        assert!(tests.contains(&format!("fn {}(", line.trim())), "{line}");
    }
}

#[test]
fn markdown_and_json_write_the_matrix_only() {
    let (md, _) = demo(&["--markdown"]);
    assert!(md.starts_with("| record | transport | e2ee | traceable | sealed | sotto |"));
    assert!(!md.contains("action:"));
    let (json, _) = demo(&["--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["rows"].as_array().unwrap().len(),
        sotto_cli::demo::ROWS.len()
    );
}

#[test]
fn keep_leaves_one_database_per_profile() {
    let dir = tempfile::tempdir().unwrap();
    let keep = dir.path().join("dbs");
    demo(&["--markdown", "--keep", keep.to_str().unwrap()]);
    for p in sotto_relay::Profile::ALL {
        let db = keep.join(format!("{}.db", p.name()));
        let conn = rusqlite::Connection::open(&db).unwrap();
        let profile: Vec<u8> = conn
            .query_row("SELECT value FROM meta WHERE key = 'profile'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(profile, p.name().as_bytes());
    }
}
