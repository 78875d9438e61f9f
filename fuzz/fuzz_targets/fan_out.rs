//! Decodes arbitrary bytes as a fan-out (the relay's decoder); an accepted input must
//! re-encode to itself and rebuild to the same value with `FanOut::new`.
//!
//! The body is `sotto_tests::fuzz_targets::fan_out`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::fan_out(data);
});
