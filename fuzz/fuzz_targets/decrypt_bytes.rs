//! Offers arbitrary bytes to a live responder of each session kind: only a real, undelivered
//! message may decrypt, and every failure leaves the session unchanged.
//!
//! The body is `sotto_tests::fuzz_targets::decrypt_bytes`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::decrypt_bytes(data);
});
