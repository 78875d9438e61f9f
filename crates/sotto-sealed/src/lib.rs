//! # sotto-sealed
//!
//! Sealed sender (`docs/protocol.md`, chapter 9): the relay delivers a message without
//! learning who sent it. This crate grows module by module (issue 8): padding, certificates,
//! the two-layer envelope, multi-recipient sending and delivery tokens.
//!
//! - [`padding`]: the inner plaintext padded to a size bucket (fixed buckets, then Padmé) and
//!   unpadded strictly (protocol.md 9.1, SEAL-PAD-01..04).
//! - [`certificate`]: trust root, server certificates and sender certificates (section 9.2).
//! - [`envelope`]: the single-recipient two-layer envelope, `seal` and `open` (section 9.3,
//!   SEAL-ENV-01..11; every refusal one opaque error).
//! - [`access`]: delivery tokens: the profile key and its share payload, the access key a
//!   sender presents and the verifier the relay stores, rotation (section 9.5,
//!   SEAL-TOK-01..05).

pub mod access;
pub mod certificate;
pub mod envelope;
pub mod padding;
