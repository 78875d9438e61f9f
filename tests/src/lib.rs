//! # sotto-tests
//!
//! Tests that span crates: vector regeneration and replay, property tests, documentation
//! checks and the fuzz-corpus replay live in `tests/`. This library holds what the cargo-fuzz
//! package in `fuzz/` shares with them: the bodies of the fuzz targets.

pub mod fuzz_targets;
pub mod properties;
