//! Test vectors: `cargo run -p sotto-vectors` writes them to `docs/vectors/`; the tests in `tests/tests/`
//! check that the files are exactly what these modules produce and replay them through the
//! public APIs.

pub mod access_tokens;
pub mod certificates;
pub mod client;
pub mod device_lists;
pub mod device_plaintext;
pub mod ed25519_negative;
pub mod fan_out;
pub mod handshake;
pub mod handshake_negative;
pub mod link;
pub mod padding;
pub mod pickles;
pub mod ratchet;
pub mod ratchet_negative;
pub mod safety_numbers;
pub mod sealed;
pub mod store;
pub mod trust;

use serde::{Deserialize, Serialize};
use sotto_ratchet::SessionKind;

pub use ratchet::{Event, MessageVector, PickleVector, RatchetVectors};

/// The two parties of the scripted conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The initiator.
    Alice,
    /// The responder.
    Bob,
}

/// A label as listed in the vectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelVector {
    /// The constant's name in `sotto_crypto::labels`.
    pub name: String,
    /// The label as ASCII.
    pub ascii: String,
    /// The label as hex.
    pub hex: String,
}

/// Errors while generating vectors (each means the implementation is broken).
#[derive(Debug, thiserror::Error)]
pub enum VectorError {
    /// A session operation failed during the script.
    #[error("script step {step}: {what}")]
    Script {
        /// Index of the failing event.
        step: usize,
        /// What failed.
        what: String,
    },
    /// Serialization failed.
    #[error("serialization: {0}")]
    Json(#[from] serde_json::Error),
}

pub(crate) fn h(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

pub(crate) fn script_error(step: usize, what: impl core::fmt::Display) -> VectorError {
    VectorError::Script {
        step,
        what: what.to_string(),
    }
}

/// Every label, as the vectors list them.
pub(crate) fn label_vectors() -> Vec<LabelVector> {
    sotto_crypto::labels::ALL
        .iter()
        .map(|(name, label)| LabelVector {
            name: (*name).to_string(),
            ascii: String::from_utf8_lossy(label).into_owned(),
            hex: h(label),
        })
        .collect()
}

/// Every vector file as (file name under `docs/vectors/`, contents).
pub fn render_all() -> Result<Vec<(&'static str, String)>, VectorError> {
    let mut out = Vec::new();
    for (name, kind) in [
        ("ratchet.json", SessionKind::Standard),
        (
            "ratchet-header-encryption.json",
            SessionKind::HeaderEncrypted,
        ),
    ] {
        let mut text = serde_json::to_string_pretty(&ratchet::generate(kind)?)?;
        text.push('\n');
        out.push((name, text));
    }
    let handshake_vectors = handshake::generate()?;
    let mut text = serde_json::to_string_pretty(&handshake_vectors)?;
    text.push('\n');
    out.push(("handshake.json", text));
    let mut text =
        serde_json::to_string_pretty(&handshake_negative::generate(&handshake_vectors)?)?;
    text.push('\n');
    out.push(("handshake-negative.json", text));
    let mut text = serde_json::to_string_pretty(&ratchet_negative::generate()?)?;
    text.push('\n');
    out.push(("ratchet-negative.json", text));
    let mut text = serde_json::to_string_pretty(&pickles::generate()?)?;
    text.push('\n');
    out.push(("pickles.json", text));
    let mut text = serde_json::to_string_pretty(&ed25519_negative::generate()?)?;
    text.push('\n');
    out.push(("ed25519-negative.json", text));
    let mut text = serde_json::to_string_pretty(&device_lists::generate()?)?;
    text.push('\n');
    out.push(("device-lists.json", text));
    let mut text = serde_json::to_string_pretty(&safety_numbers::generate()?)?;
    text.push('\n');
    out.push(("safety-numbers.json", text));
    let mut text = serde_json::to_string_pretty(&link::generate()?)?;
    text.push('\n');
    out.push(("link.json", text));
    out.push(("fan-out.json", fan_out::render()?));
    out.push(("device-plaintext.json", device_plaintext::render()?));
    out.push(("trust.json", trust::render()?));
    out.push(("store.json", store::render()?));
    out.push(("padding.json", padding::render()?));
    out.push(("certificates.json", certificates::render()?));
    out.push(("access-tokens.json", access_tokens::render()?));
    out.push(("sealed.json", sealed::render()?));
    out.push(("client.json", client::render()?));
    Ok(out)
}
