//! Decodes arbitrary bytes as a device message's content (protocol.md 10.1), opens them as
//! a client state file under a fixed store key (10.2) and reads them as a contact card
//! (10.4); an accepted content or card re-encodes to itself, refusals follow the documented
//! order of checks.
//!
//! The body is `sotto_tests::fuzz_targets::client_content`, shared with the corpus replay.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = sotto_tests::fuzz_targets::client_content(data);
});
