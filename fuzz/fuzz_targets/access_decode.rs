//! Decodes arbitrary bytes as a delivery token's profile-key share, access key and verifier
//! (protocol.md 9.5); a refusal must be the first failing check, an accepted input must
//! re-encode to itself, and only the fixture's token may pass the fixture's verifier.
//!
//! The body is `sotto_tests::fuzz_targets::access_decode`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::access_decode(data);
});
