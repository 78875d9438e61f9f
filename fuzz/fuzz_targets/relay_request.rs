//! Decodes arbitrary bytes as a relay request body (the first byte picks the endpoint); a
//! refusal must be a 4xx error and an accepted body must meet its decoder's postconditions.
//!
//! The body is `sotto_tests::fuzz_targets::relay_request`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::relay_request(data);
});
