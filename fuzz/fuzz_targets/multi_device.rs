//! Users with several devices over a misbehaving relay, driven by the input (link, revoke,
//! send, receive, lost acknowledgements, restart, lost, duplicated and reordered mail, stale
//! lists, injected and mutated mail), checked against a model of who must read what.
//!
//! The body is `sotto_tests::fuzz_targets::multi_device`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _stats = sotto_tests::fuzz_targets::multi_device(data);
});
