//! # sotto-sealed
//!
//! Sealed sender (`docs/protocol.md`, chapter 9): the relay delivers a message without
//! learning who sent it. This crate grows module by module (issue 8): padding, certificates,
//! the two-layer envelope, multi-recipient sending and delivery tokens.
//!
//! - [`padding`]: the inner plaintext padded to a size bucket (fixed buckets, then Padmé) and
//!   unpadded strictly (protocol.md 9.1, SEAL-PAD-01..04).
//! - [`certificate`]: trust root, server certificates and sender certificates (section 9.2).
//! - [`envelope`]: the two-layer envelope, `seal` and `open` (section 9.3, SEAL-ENV-01..10;
//!   every refusal one opaque error).
//! - [`multi`]: multi-recipient sending: one encryption of the content, a key wrap per
//!   recipient, split by the relay into envelopes `open` accepts (section 9.4, SEAL-MR).
//! - [`cache`]: the bounded, wiped cache of static-static secrets that makes a seal or an
//!   open to a known peer cost one X25519 agreement less.
//! - [`access`]: delivery tokens: the profile key and its share payload, the access key a
//!   sender presents and the verifier the relay stores, rotation (section 9.5,
//!   SEAL-TOK-01..05).

pub mod access;
pub mod cache;
pub mod certificate;
pub mod envelope;
pub mod multi;
pub mod padding;
