//! Decodes arbitrary bytes as a signed device list; an accepted input must round-trip.
//!
//! The body is `sotto_tests::fuzz_targets::device_list`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::device_list(data);
});
