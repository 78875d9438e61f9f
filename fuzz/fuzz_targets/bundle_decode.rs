//! Decodes arbitrary bytes as a prekey bundle; an accepted one must re-encode to itself, and
//! verifying and initiating from it must not panic.
//!
//! The body is `sotto_tests::fuzz_targets::bundle_decode`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::bundle_decode(data);
});
