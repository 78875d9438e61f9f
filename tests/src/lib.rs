//! x

pub mod fuzz_targets;
