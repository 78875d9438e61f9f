//! The test-vector generator behind the `sotto-vectors` developer tool: deterministic
//! functions that run the protocol with scripted randomness through the hazmat trace hooks and
//! render `docs/vectors/`. Tests call them directly to check the committed files.
//!
//! This crate enables the `hazmat-trace` features of sotto-ratchet and sotto-handshake, which
//! expose every intermediate secret. It is a developer tool (`publish = false`); the
//! user-facing `sotto` binary (sotto-cli) does not depend on it and does not compile the hooks.

pub mod rng;
pub mod vectors;
