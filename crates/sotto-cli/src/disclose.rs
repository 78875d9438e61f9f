//! `sotto disclose --db FILE --account ID [--format json|markdown]`: everything a relay's
//! database holds about one account ([`sotto_relay::disclose::export`]), queried from the
//! file (read-only; the relay may be running). Nothing in it is written by hand.

use std::io::Write;
use std::path::Path;

use sotto_devices::AccountId;
use sotto_relay::disclose::{DiscloseError, export};

/// The export's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON: every byte of every value (blobs in hex).
    Json,
    /// Markdown: a table per table, long blobs shortened.
    Markdown,
}

/// Why `sotto disclose` failed.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureCommandError {
    /// The account id does not parse.
    #[error("{0:?} is not an account id (32 lower-case hex digits, as `sotto register` prints)")]
    Account(String),
    /// The export failed (no file, not a relay database, SQLite).
    #[error("{0}")]
    Export(#[from] DiscloseError),
    /// Writing failed.
    #[error("output: {0}")]
    Output(#[from] std::io::Error),
    /// JSON serialisation failed.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// Runs the export of `account` (hex) from `db` and writes it to `out`.
pub fn run(
    db: &Path,
    account: &str,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), DisclosureCommandError> {
    let text = account.trim();
    let id = (text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| AccountId::from_hex(text))
        .flatten()
        .ok_or_else(|| DisclosureCommandError::Account(account.to_owned()))?;
    let disclosure = export(db, id)?;
    match format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&disclosure.to_json())?
        )?,
        Format::Markdown => write!(out, "{}", disclosure.to_markdown())?,
    }
    Ok(())
}
