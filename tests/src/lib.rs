//! # sotto-tests
//!
//! Tests that span crates: vector regeneration and replay, property tests, documentation
//! checks and the fuzz-corpus replay live in `tests/`. This library holds what the cargo-fuzz
//! package in `fuzz/` shares with them: the bodies of the fuzz targets.

pub mod fuzz_targets;
#[cfg(target_os = "linux")]
pub mod memory_scan;
// The README's example, compiled and run as a doctest so that it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
pub mod properties;
pub mod validation_ids;
pub mod world;
