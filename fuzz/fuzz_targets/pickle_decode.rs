//! Restores a session, a device identity and a prekey store from arbitrary bytes, and from
//! the bytes sealed as a state, under a fixed pickle key and context; an accepted pickle
//! must round-trip.
//!
//! The body is `sotto_tests::fuzz_targets::pickle_decode`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::pickle_decode(data);
});
