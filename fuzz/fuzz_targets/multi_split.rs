//! Parses arbitrary bytes as a multi-recipient message the way the relay does, splits it and
//! opens every resulting envelope as a fixed live recipient.
//!
//! The body is `sotto_tests::fuzz_targets::multi_split`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _opened = sotto_tests::fuzz_targets::multi_split(data);
});
