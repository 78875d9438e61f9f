//! Feeds arbitrary bytes as an initial message to a live responder: only a real initial
//! message is accepted (once), and every refusal leaves the prekey store unchanged.
//!
//! The body is `sotto_tests::fuzz_targets::initial_message`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::initial_message(data);
});
