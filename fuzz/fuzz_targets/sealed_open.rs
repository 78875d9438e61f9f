//! Opens arbitrary bytes as a sealed envelope against a fixed live recipient, store and
//! clock; only genuine envelopes of the fixture's sender open, and every refusal is the one
//! opaque error.
//!
//! The body is `sotto_tests::fuzz_targets::sealed_open`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _opened = sotto_tests::fuzz_targets::sealed_open(data);
});
