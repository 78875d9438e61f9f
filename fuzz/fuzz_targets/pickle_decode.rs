//! Restores a session from arbitrary bytes under a fixed pickle key; an accepted pickle must
//! round-trip byte for byte.
//!
//! The body is `sotto_tests::fuzz_targets::pickle_decode`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::pickle_decode(data);
});
