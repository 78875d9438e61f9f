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
//! Two front ends share this library: `benches/ratchet.rs` (criterion; `cargo bench -p
//! sotto-bench`) and the `report` binary (`cargo run --release -p sotto-bench --bin report`),
//! which takes a short interleaved sample of every [`case::Case`], writes
//! `target/bench-report.json` and prints a table. Both time [`timing::Routine`]s through
//! [`timing::time_batch`], so they measure the same code. Times are the benchmark thread's
//! CPU time (see [`timing`]); [`sizes`] adds wire overhead and pickle sizes, which are not
//! timed.

pub mod case;
pub mod conversation;
pub mod error;
pub mod floor;
pub mod olm;
pub mod report;
pub mod sizes;
pub mod sotto;
pub mod timing;

pub use error::BenchError;
