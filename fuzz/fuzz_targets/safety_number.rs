//! Decodes arbitrary bytes as a safety number's byte form (QR code); an accepted input must
//! re-encode to itself and compare as a match with its mirror.
//!
//! The body is `sotto_tests::fuzz_targets::safety_number`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::safety_number(data);
});
