//! # sotto-bench
//!
//! Benchmarks of Sotto's Double Ratchet against two references, measured side by side in one
//! run and reported as ratios:
//!
//! - the **floor**: the primitives a ratchet step cannot avoid, each called through
//!   `sotto-crypto` exactly as `sotto-ratchet` calls it ([`floor`]);
//! - **vodozemac** 0.11, the Matrix Olm implementation ([`olm`]).
//!
//! Three rows are compared, each per message (one encrypt plus one decrypt):
//!
//! | row | conversation | floor |
//! | --- | --- | --- |
//! | `symmetric_100` | Alice → Bob, 100 B, repeatedly | 4 × hmac + 2 × hkdf44 + seal_100 + open_100 |
//! | `pingpong_100` | alternating, 100 B: a DH ratchet step per message | symmetric + keygen + 2 × dh + 2 × hkdf64 |
//! | `one_mib` | Alice → Bob, 1 MiB | 4 × hmac + 2 × hkdf44 + seal_1m + open_1m |
//!
//! Session setup (X3DH and PQXDH, `sotto-handshake`) is measured in the same run ([`setup`],
//! [`setup_report`]): each side from wire bytes to session and first plaintext (100 B), against
//! a floor of signature checks, X25519 and ML-KEM operations, and against vodozemac's Olm
//! session creation.
//!
//! | row | what one run does | floor |
//! | --- | --- | --- |
//! | `setup_x3dh_initiator` | decode + verify the bundle, `initiate`, encode | key decode + verify_99 + 2 × keygen + 5 × dh + KDFs + seal_100 |
//! | `setup_x3dh_responder` | decode the initial message, `respond` | key decode + 5 × dh + KDFs + open_100 |
//! | `setup_pqxdh_initiator` | the same in PQXDH | X3DH's + ML-KEM key decode + verify_1243 + encaps |
//! | `setup_pqxdh_responder` | the same in PQXDH | X3DH's + decaps |
//!
//! Two front ends share this library: `benches/ratchet.rs` (criterion; `cargo bench -p
//! sotto-bench`) and the `report` binary (`cargo run --release -p sotto-bench --bin report`),
//! which takes a short interleaved sample of every [`case::Case`], writes
//! `target/bench-report.json` and prints a table. Both time [`timing::Routine`]s through
//! [`timing::time_batch`], so they measure the same code. Times are the benchmark thread's
//! CPU time (see [`timing`]); [`sizes`] adds what is not timed: wire overhead, pickle sizes,
//! and the sizes of prekey bundles and initial messages.

pub mod case;
pub mod conversation;
pub mod error;
pub mod floor;
pub mod olm;
pub mod report;
pub mod setup;
pub mod setup_report;
pub mod sizes;
pub mod sotto;
pub mod timing;

pub use error::BenchError;
