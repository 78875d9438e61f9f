//! Alice and Bob over an adversarial network driven by the input (send, deliver, reorder,
//! drop, tamper, replay, reflect, save and restore), checked against a reference model of
//! the ratchet's counters.
//!
//! The body is `sotto_tests::fuzz_targets::two_party`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _stats = sotto_tests::fuzz_targets::two_party(data);
});
