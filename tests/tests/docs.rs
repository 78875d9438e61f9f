//! docs/protocol.md agrees with the code: the label table lists exactly the label constants,
//! and every validation ID appears in the implementation and in a test.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use sotto_tests::validation_ids::validation_ids;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn protocol() -> String {
    std::fs::read_to_string(root().join("docs/protocol.md")).unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn label_table_matches_the_constants() {
    let doc = protocol();
    let rows: Vec<(String, String, usize, String)> = doc
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains("`Sotto/1 "))
        .map(|l| {
            let cells: Vec<&str> = l
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            let strip = |c: &str| c.trim_matches('`').to_string();
            (
                strip(cells[0]),
                strip(cells[1]),
                cells[2].parse().unwrap(),
                strip(cells[3]),
            )
        })
        .collect();
    let constants = sotto_crypto::labels::ALL;
    assert_eq!(
        rows.len(),
        constants.len(),
        "label rows in docs/protocol.md"
    );
    for ((name, ascii, len, hex), (const_name, bytes)) in rows.iter().zip(constants) {
        assert_eq!(name, const_name);
        assert_eq!(ascii.as_bytes(), *bytes, "{name}: ASCII");
        assert_eq!(*len, bytes.len(), "{name}: length");
        assert_eq!(hex, &hex::encode(bytes), "{name}: hex");
    }
}

#[test]
fn type_tag_table_matches_the_registry() {
    let doc = protocol();
    let section = doc
        .split_once("### 1.1 Type tags")
        .unwrap()
        .1
        .split_once("\n## ")
        .unwrap()
        .0;
    let rows: Vec<(u8, String)> = section
        .lines()
        .filter(|l| l.starts_with("| `0x"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let tag = u8::from_str_radix(cells[1].trim_matches('`').trim_start_matches("0x"), 16)
                .unwrap();
            (tag, cells[2].trim_matches('`').to_string())
        })
        .collect();
    let registry: Vec<(u8, String)> = sotto_crypto::wire::ALL
        .iter()
        .map(|(name, tag)| (*tag, (*name).to_string()))
        .collect();
    assert_eq!(
        rows, registry,
        "docs/protocol.md section 1.1 against sotto_crypto::wire::ALL"
    );
}

/// Which crate implements the validation IDs of each prefix (docs/protocol.md section 5).
const ID_CRATES: &[(&str, &str)] = &[
    ("RAT-", "crates/sotto-ratchet/src"),
    ("PKL-", "crates/sotto-ratchet/src"),
    ("HS-", "crates/sotto-handshake/src"),
    ("DEV-", "crates/sotto-devices/src"),
    ("SEAL-", "crates/sotto-sealed/src"),
    ("CLI-", "crates/sotto/src"),
];

/// The implementation and the test code of one crate's sources: `#[cfg(test)]` parts and
/// `tests.rs` files count as tests.
fn code_and_tests(dir: &Path) -> (String, String) {
    let mut sources = Vec::new();
    rust_files(dir, &mut sources);
    let mut implementation = String::new();
    let mut tests = String::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).unwrap();
        match text.split_once("#[cfg(test)]") {
            _ if path.ends_with("tests.rs") => tests.push_str(&text),
            Some((code, test_part)) => {
                implementation.push_str(code);
                tests.push_str(test_part);
            }
            None => implementation.push_str(&text),
        }
    }
    (implementation, tests)
}

#[test]
fn validation_ids_appear_in_code_and_tests() {
    let prefixes: Vec<&str> = ID_CRATES.iter().map(|(prefix, _)| *prefix).collect();
    let ids = validation_ids(&prefixes);
    assert!(ids.len() >= 40, "validation ID table: {ids:?}");

    let mut all_tests = String::new();
    let mut test_files = Vec::new();
    rust_files(&root().join("tests/tests"), &mut test_files);
    for path in &test_files {
        all_tests.push_str(&std::fs::read_to_string(path).unwrap());
    }
    for (prefix, dir) in ID_CRATES {
        let (implementation, tests) = code_and_tests(&root().join(dir));
        for id in ids.iter().filter(|id| id.starts_with(prefix)) {
            assert!(
                implementation.contains(id.as_str()),
                "{id} does not appear in the code of {dir}"
            );
            assert!(
                tests.contains(id.as_str()) || all_tests.contains(id.as_str()),
                "{id} is not named by any test"
            );
        }
    }
}

#[test]
fn every_test_the_threat_model_names_exists() {
    let doc = std::fs::read_to_string(root().join("docs/threat-model.md")).unwrap();
    let mut sources = String::new();
    for dir in ["crates", "tests"] {
        let mut files = Vec::new();
        rust_files(&root().join(dir), &mut files);
        for path in files {
            sources.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    let mut named = 0;
    for row in doc
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| threat"))
    {
        let cells: Vec<&str> = row.split(" | ").collect();
        let Some(shown_by) = cells.last() else {
            continue;
        };
        for token in shown_by.split('`').skip(1).step_by(2) {
            let is_name = token.contains('_')
                && token
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':');
            if !is_name {
                continue;
            }
            let function = token.rsplit("::").next().unwrap();
            let fuzz_target = root()
                .join("fuzz/fuzz_targets")
                .join(format!("{function}.rs"));
            assert!(
                sources.contains(&format!("fn {function}(")) || fuzz_target.exists(),
                "docs/threat-model.md names `{token}`, which is neither a test nor a fuzz target"
            );
            named += 1;
        }
    }
    assert!(named >= 20, "only {named} tests named in the threat model");
}

/// The user-facing `sotto` binary does not compile the hazmat trace hooks: sotto-cli enables no
/// `hazmat-trace` feature and does not depend on the vector generator; only sotto-vectors and
/// the tests do.
#[test]
fn the_sotto_binary_does_not_compile_the_hazmat_hooks() {
    let manifest = std::fs::read_to_string(root().join("crates/sotto-cli/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("name = \"sotto\""),
        "sotto-cli builds the sotto binary"
    );
    assert!(
        !manifest.contains("hazmat"),
        "sotto-cli must not enable the hazmat hooks"
    );
    assert!(
        !manifest.contains("sotto-vectors"),
        "sotto-cli must not depend on sotto-vectors"
    );
    let vectors = std::fs::read_to_string(root().join("crates/sotto-vectors/Cargo.toml")).unwrap();
    assert!(vectors.contains("publish = false") && vectors.contains("hazmat-trace"));
}
