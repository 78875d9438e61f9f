//! The bodies of the cargo-fuzz targets in `fuzz/fuzz_targets/`.
//!
//! Each target is one function here, so the fuzzer (`fuzz/`, which depends on this crate by
//! path) and the corpus replay under `cargo test` (`tests/tests/corpus_replay.rs`) run exactly
//! the same code. Every function must return normally on every input; a panic is a finding.
//!
//! | target | what it feeds | invariants |
//! | --- | --- | --- |
//! | [`message_decode`] | `Message::from_bytes` | no panic; an accepted input re-encodes to itself |
//! | [`pickle_decode`] | `Session::from_pickle`, `DeviceIdentity::from_pickle` and `InMemoryPrekeyStore::from_pickle` (fixed key and context), on the input and on the input sealed as a state | no panic; an accepted pickle re-pickles byte-identically |
//! | [`decrypt_bytes`] | `decrypt` on a live responder of each kind | only a real, undelivered message decrypts, to its plaintext; any failure leaves the session unchanged |
//! | [`bundle_decode`] | `PrekeyBundle::from_bytes`, then `verify` and `initiate` | no panic; an accepted bundle re-encodes to itself; a verified one sets up a session |
//! | [`initial_message`] | `InitialMessage::from_bytes`, then `respond` on a live prekey store | only a real initial message is accepted, once, to its plaintext; a refusal leaves the store unchanged |
//! | [`certificate_decode`] | `ServerCertificate::from_bytes` (fixed trust root) and `SenderCertificate::from_bytes`, then `verify` against a fixed store and clock | no panic; an accepted input re-encodes to itself; a verified sender certificate names the fixture's server key |
//! | [`device_list`] | `SignedDeviceList::from_bytes` | no panic; an accepted input re-encodes to itself |
//! | [`safety_number`] | `ScannedSafetyNumber::from_bytes` (the safety number's byte form) | no panic; the refusal is the first failing check of protocol.md 8.2; an accepted input re-encodes to itself and compares as `Match` with its mirror |
//! | [`link_code`] | `LinkCode::from_bytes`, `LinkCode::from_text`, `LinkPayload::from_bytes`, and `PendingLink::open` of a fixed link on the input and on the input sealed as a payload | no panic; an accepted code, text, payload or message re-encodes to its input; a refused message leaves the pending link able to open the genuine one |
//! | [`fan_out`](fn@fan_out) | `FanOut::from_bytes` (the relay's decoder of a sender's fan-out) | no panic; an accepted input re-encodes to itself and `FanOut::new` on its entries gives the same value |
//! | [`multi_device`](fn@multi_device) | a script of multi-device operations on the model world (link, revoke, send, receive, lost acknowledgements, restart, lost/duplicated/reordered mail, stale lists) and injected or mutated mail | every message reaches exactly the devices listed when it was sent and still listed, once; never a device that learned it was revoked; only expected refusals; a refused injection leaves the store unchanged |
//! | [`unpad`](fn@unpad) | `padding::unpad` (the recipient's unpadding of a sealed plaintext, protocol.md 9.1), and `pad` on the input as a plaintext | no panic; an accepted input re-pads to itself; a refusal is the first failing check of 9.1; any input within the limit pads to a bucket and unpads back |
//! | [`sealed_open`](fn@sealed_open) | `envelope::open` (protocol.md 9.3, both subtypes) against a fixed live recipient, store and clock | no panic; an accepted envelope names the fixture's sender; every refusal is the one opaque `OpenError` with a SEAL-ENV reason; `open` and `open_cached` (a long-lived cache) agree |
//! | [`multi_split`](fn@multi_split) | `multi::SentEnvelope::parse` (protocol.md 9.4, the relay's decoder), the split, and the fixture recipient's `open` of each envelope | no panic; a refusal has a SEAL-MR ID; an accepted message names 1 to 1024 recipients in strictly increasing order and splits into envelopes of the length 9.4 gives; whatever the fixture recipient opens names the fixture sender (an entry's address is routing, not authenticated) |
//! | [`access_decode`] | `ProfileKey::from_share`, `AccessKey::from_bytes` and `AccessVerifier::from_bytes` (the delivery-token decoders of protocol.md 9.5), then `check` against a fixed account's verifier | no panic; a refusal is the first failing check of 9.5 (SEAL-TOK-01..04); an accepted input re-encodes to itself; only the fixture's token passes the fixture's verifier (SEAL-TOK-05), and a check leaves the verifier unchanged |
//! | [`client_content`] | `sotto::content::decode` (the recipient's decoding of a device message's content, protocol.md 10.1), `sotto::state::open_state_file` under a fixed store key (10.2), the input sealed as a state file's JSON, and `sotto::card::decode` (the contact card, 10.4) | no panic; an accepted content re-encodes to itself; a content refusal is the first failing check of 10.1 (CLI-CT-01..07), a state refusal that of 10.2 (CLI-ST-01..04); an opened file re-seals to itself; sealed input opens back to itself or is refused as `Malformed`; a card is accepted exactly when 10.4's rule holds and re-encodes to itself |
//! | [`relay_request`](fn@relay_request) | the relay's request decoders (`sotto_relay::api`: registration, device list, prekeys, access verifier, both sealed forms, acknowledgement, long-poll query), the first byte choosing which | no panic; a refusal is a 4xx `ApiError`, never a 5xx; an accepted body meets its decoder's postconditions (the registering device is in its verified list, bundles are of the fixed identity, envelopes strictly increasing per account) |
//! | [`two_party`] | an op stream: send, deliver, reorder, drop, tamper, replay, reflect, save and restore | every message decrypts exactly when a reference model of the counters says so; failures leave the receiver unchanged |
//!
//! "Unchanged" is checked byte for byte on the session's pickle, taken with the same
//! deterministic generator before and after ([`snapshot`]).
//!
//! Run a target with `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET` in `fuzz/`; regenerate the seed
//! corpus with `SOTTO_WRITE_CORPUS=1 cargo test -p sotto-tests --test corpus_replay
//! generate_seed_corpus` (without the variable, that test checks the committed seeds are
//! current).

// A fuzz harness reports a finding by panicking, so the workspace's bans on `panic!`,
// `unwrap` and `expect` are lifted for this module (and only here).
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod access_decode;
mod certificate_decode;
mod client_content;
mod decrypt_bytes;
mod device_list;
mod fan_out;
mod handshake;
mod link_code;
mod message_decode;
mod model;
pub mod multi_device;
mod multi_split;
mod pickle_decode;
mod relay_request;
mod safety_number;
mod sealed_open;
mod two_party;
mod unpad;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_ratchet::{PickleKey, Session};

pub use access_decode::access_decode;
pub use certificate_decode::{
    CERTIFICATE_NOW, CertificateFixture, certificate_decode, certificate_fixture,
};
pub use client_content::{CLIENT_FIXTURE_STORE_KEY, client_content};
pub use decrypt_bytes::{KnownMessage, decrypt_bytes, known_messages};
pub use device_list::device_list;
pub use fan_out::fan_out;
pub use handshake::{Responder, bundle_decode, initial_message, responder};
pub use link_code::{LinkFixture, link_code, link_fixture};
pub use message_decode::message_decode;
pub use multi_device::multi_device;
pub use multi_split::multi_split;
pub use pickle_decode::pickle_decode;
pub use relay_request::{RELAY_ENDPOINTS, RELAY_HEADER_KEY, relay_identity, relay_request};
pub use safety_number::safety_number;
pub use sealed_open::{FIXTURE_RECIPIENT_ACCOUNT, SealedFixture, sealed_fixture, sealed_open};
pub use two_party::{Op, Party, Profile, Stats, encode_ops, two_party};
pub use unpad::unpad;

/// The pickle context every target uses.
pub const PICKLE_CONTEXT: &[u8] = b"sotto-tests fuzz";

/// The pickle key every target uses.
pub fn pickle_key() -> PickleKey {
    PickleKey::new([0x5a; 32])
}

/// The session's pickle under [`pickle_key`] with a generator seeded with 0: equal snapshots
/// mean equal states.
pub fn snapshot(session: &Session) -> Vec<u8> {
    session
        .pickle(&pickle_key(), PICKLE_CONTEXT, &mut StdRng::seed_from_u64(0))
        .expect("pickle")
}
