//! Decodes arbitrary bytes as sealed-sender server and sender certificates against a fixed
//! trust root, store and clock; an accepted input must round-trip.
//!
//! The body is `sotto_tests::fuzz_targets::certificate_decode`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::certificate_decode(data);
});
