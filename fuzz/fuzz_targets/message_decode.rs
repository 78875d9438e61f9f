//! Decodes arbitrary bytes as a ratchet message; an accepted input must re-encode to itself.
//!
//! The body is `sotto_tests::fuzz_targets::message_decode`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::message_decode(data);
});
