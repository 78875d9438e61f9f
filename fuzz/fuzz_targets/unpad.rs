//! Unpads arbitrary bytes as a sealed envelope's inner plaintext (protocol.md 9.1); an
//! accepted input must re-pad to itself, and the input padded as a plaintext must unpad back.
//!
//! The body is `sotto_tests::fuzz_targets::unpad`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::unpad(data);
});
