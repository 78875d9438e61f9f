//! The validation IDs of docs/protocol.md section 5, read from its table, for the tests that
//! check every ID is implemented, tested and covered by a negative vector.

use std::collections::BTreeSet;
use std::path::Path;

/// The IDs in the first column of the validation table (`| RAT-01 | ...`) that start with one
/// of `prefixes` (for example `"RAT-"`). An unreadable document gives no IDs, which the callers'
/// minimum counts turn into a failure.
pub fn validation_ids(prefixes: &[&str]) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol.md");
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    doc.lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(' ').next())
        .filter(|id| prefixes.iter().any(|p| id.starts_with(p)))
        .map(str::to_string)
        .collect()
}
