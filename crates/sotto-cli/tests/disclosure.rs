//! The disclosure matrix is true of the databases: every cell, in both directions, checked
//! against the raw bytes of each profile's SQLite file and its WAL (not through the export
//! or the matrix's own queries), and docs/disclosure.md holds the current matrix.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use sotto_cli::demo::{self, PEOPLE, ProfileRun, ROWS, RUMOUR, TEXTS};
use sotto_cli::matrix::{Cell, Matrix};
use sotto_relay::Profile;

fn run_all(dir: &Path) -> (Vec<ProfileRun>, Matrix) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let runs: Vec<ProfileRun> = Profile::ALL
        .into_iter()
        .map(|p| {
            let db = dir.join(format!("{}.db", p.name()));
            let homes = dir.join(format!("homes-{}", p.name()));
            runtime.block_on(demo::run_profile(p, &db, &homes)).unwrap()
        })
        .collect();
    let matrix = demo::matrix(&runs).unwrap();
    (runs, matrix)
}

/// The database file and its WAL, as bytes.
fn raw(db: &Path) -> Vec<u8> {
    let mut out = std::fs::read(db).unwrap();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(bytes) = std::fs::read(Path::new(&wal)) {
        out.extend(bytes);
    }
    out
}

fn occurrences(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

fn any_found(hay: &[u8], needles: &[Vec<u8>]) -> bool {
    needles.iter().any(|n| occurrences(hay, n) > 0)
}

fn held(matrix: &Matrix, row: &str, column: usize) -> bool {
    let r = matrix.rows.iter().find(|r| r.name == row).unwrap();
    matches!(r.cells[column], Cell::Held(_))
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// What the matrix must say, per row, per profile (transport, e2ee, traceable, sealed,
/// sotto): docs/disclosure.md's claims.
const EXPECTED: [(&str, [bool; 5]); 11] = [
    ("Subscriber identity", [true, true, true, true, false]),
    ("Message content", [true, false, false, false, false]),
    ("Who talks to whom", [true, true, true, false, false]),
    ("Timestamps", [true, true, true, true, true]),
    ("Message sizes", [true, true, true, true, true]),
    ("Contact graph", [true, true, true, false, false]),
    ("Device list", [true, true, true, true, true]),
    ("Client addresses", [true, true, true, false, false]),
    ("Account creation", [true, true, true, true, true]),
    ("Last seen", [true, true, true, true, true]),
    ("Originator of a forward", [true, false, true, false, false]),
];

#[test]
fn every_cell_is_true_in_both_directions() {
    let dir = tempfile::tempdir().unwrap();
    let (runs, matrix) = run_all(dir.path());
    assert_eq!(
        matrix
            .rows
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ROWS
    );
    let phones: Vec<Vec<u8>> = PEOPLE.iter().map(|(_, p)| p.as_bytes().to_vec()).collect();
    let texts: Vec<Vec<u8>> = TEXTS.iter().map(|t| t.2.as_bytes().to_vec()).collect();
    let hashes: Vec<Vec<u8>> = TEXTS
        .iter()
        .map(|t| sotto_relay::retention::trace_hash(t.2).to_vec())
        .collect();
    for (column, run) in runs.iter().enumerate() {
        let p = run.profile;
        let bytes = raw(&run.db);
        let senders: Vec<Vec<u8>> = run
            .devices
            .iter()
            .map(|(a, d)| sotto_relay::storage::address(*a, *d).to_vec())
            .collect();
        // The raw scan: what the script knows in advance.
        let scanned = [
            ("Subscriber identity", any_found(&bytes, &phones)),
            ("Message content", any_found(&bytes, &texts)),
            ("Who talks to whom", any_found(&bytes, &senders)),
            ("Client addresses", occurrences(&bytes, b"127.0.0.1") > 0),
            (
                "Originator of a forward",
                any_found(&bytes, &hashes) || occurrences(&bytes, RUMOUR.as_bytes()) >= 2,
            ),
        ];
        for (row, found) in scanned {
            assert_eq!(held(&matrix, row, column), found, "{p}: {row} (raw scan)");
        }
        // The rows whose values the script does not choose (times, sizes, keys): by direct
        // queries, written here independently of the matrix's.
        let queried = [
            (
                "Timestamps",
                count(
                    &run.db,
                    "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM delivery_log)",
                ) > 0,
            ),
            (
                "Message sizes",
                count(
                    &run.db,
                    "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM delivery_log)",
                ) > 0,
            ),
            (
                "Contact graph",
                count(&run.db, "SELECT count(*) FROM contacts") > 0,
            ),
            (
                "Device list",
                count(
                    &run.db,
                    "SELECT count(*) FROM accounts WHERE length(device_list) > 0",
                ) > 0,
            ),
            (
                "Account creation",
                count(&run.db, "SELECT count(*) FROM accounts") > 0,
            ),
            (
                "Last seen",
                count(&run.db, "SELECT count(*) FROM devices") > 0,
            ),
        ];
        for (row, found) in queried {
            assert_eq!(held(&matrix, row, column), found, "{p}: {row} (query)");
        }
        for (row, expected) in EXPECTED {
            assert_eq!(
                held(&matrix, row, column),
                expected[column],
                "{p}: {row} (docs)"
            );
        }
        // Where the relay keeps no plaintext, no text of the script is anywhere in the
        // file, nor under `sealed` and `sotto` any sender address: deleted rows were
        // overwritten (secure_delete) and the WAL checkpointed away at shutdown.
        if p != Profile::Transport {
            for t in &texts {
                assert_eq!(occurrences(&bytes, t), 0, "{p}: plaintext in the file");
            }
        }
    }
    // Under the sotto profile the matrix's time samples are whole days.
    let sotto = &runs[4];
    assert_eq!(
        count(
            &sotto.db,
            "SELECT count(*) FROM messages WHERE received_at % 86400 != 0"
        ),
        0
    );
    assert_eq!(
        count(
            &sotto.db,
            "SELECT count(*) FROM devices WHERE last_seen_at % 86400 != 0 OR registered_at % 86400 != 0"
        ),
        0
    );
}

/// Dates and times in a rendered matrix, replaced so that a rerun compares equal.
fn normalise(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let is_date = |s: &[u8]| {
        s.len() >= 10
            && s[..4].iter().all(u8::is_ascii_digit)
            && s[4] == b'-'
            && s[5..7].iter().all(u8::is_ascii_digit)
            && s[7] == b'-'
            && s[8..10].iter().all(u8::is_ascii_digit)
    };
    let is_time = |s: &[u8]| {
        s.len() >= 9
            && s[0] == b' '
            && s[1..3].iter().all(u8::is_ascii_digit)
            && s[3] == b':'
            && s[4..6].iter().all(u8::is_ascii_digit)
            && s[6] == b':'
            && s[7..9].iter().all(u8::is_ascii_digit)
    };
    while i < b.len() {
        if is_date(&b[i..]) {
            out.push_str("DATE");
            i += 10;
            if is_time(&b[i..]) {
                out.push_str(" TIME");
                i += 9;
            }
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[test]
fn docs_disclosure_md_holds_the_current_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let (_, matrix) = run_all(dir.path());
    let markdown = sotto_cli::matrix::render_markdown(&matrix);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/disclosure.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let current = sotto_cli::matrix::replace_block(&doc, &markdown).unwrap();
    if std::env::var_os("SOTTO_WRITE_DOCS").is_some() {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    assert_eq!(
        normalise(&doc),
        normalise(&current),
        "docs/disclosure.md is not current: run `SOTTO_WRITE_DOCS=1 cargo test -p sotto-cli --test disclosure` (or paste `sotto demo --markdown`)"
    );
}

#[test]
fn normalise_replaces_dates_and_times_only() {
    assert_eq!(
        normalise("3 accounts, to the second: 2026-12-04 18:02:19 | 2026-12-04 |"),
        "3 accounts, to the second: DATE TIME | DATE |"
    );
    assert_eq!(normalise("Alice→Bob 14–37 B"), "Alice→Bob 14–37 B");
}
