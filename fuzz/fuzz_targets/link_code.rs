//! Decodes arbitrary bytes as a link code (bytes and text), a link payload and a link message
//! against a fixed pending link; anything accepted must re-encode to its input.
//!
//! The body is `sotto_tests::fuzz_targets::link_code`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::link_code(data);
});
