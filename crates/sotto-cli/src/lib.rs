//! The library behind the `sotto` command: the scripted demo conversation (a deterministic
//! function so that tests can call it directly), `sotto relay`, `sotto bench-relay`, and the
//! chat commands (`register`, `link`, `send`, `receive`, `safety-number`, module [`chat`]).
//!
//! The test-vector generator is a developer tool of its own (`cargo run -p sotto-vectors`), so
//! that this user-facing binary does not compile the hazmat trace hooks.

pub mod bench;
pub mod chat;
pub mod compelled;
pub mod demo;
pub mod disclose;
pub mod matrix;
pub mod relay;
