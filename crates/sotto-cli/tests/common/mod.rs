//! Shared by the binary tests: a `sotto relay` child process on a temporary database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A relay child process, killed on drop.
pub(crate) struct RelayProcess {
    /// The child.
    pub(crate) child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `sotto relay --db DIR/relay.db --addr 127.0.0.1:0` and reads its listening line.
pub(crate) fn start_relay(dir: &Path) -> RelayProcess {
    let db = dir.join("relay.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sotto"))
        .args([
            "relay",
            "--db",
            db.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ])
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
    RelayProcess {
        child,
        url: format!("http://{addr}"),
    }
}
