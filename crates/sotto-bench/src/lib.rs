//! # sotto-bench
//!
//! Benchmarks of Sotto against two references, measured side by side in one run and reported
//! as ratios: the **floor**, the primitives an operation cannot avoid, each called as Sotto
//! calls it ([`primitives`]); and a **peer**, vodozemac 0.11 (Matrix Olm, [`olm`]) or, for
//! ML-KEM, RustCrypto's `ml-kem`.
//!
//! A benchmark row is one entry of the table in [`table`]: its name, the Sotto operation (a
//! [`timing::Routine`]), its floor as a formula over primitives, the peer operation and its
//! targets. [`report`] renders every row through one code path (ratios to floor and peer,
//! X25519-DH units, targets met or missed), so a new row is a new table entry and nothing
//! else.
//!
//! Two front ends measure the same routines through [`timing::time_batch`]: `benches/ratchet.rs`
//! (criterion; `cargo bench -p sotto-bench`) and the `report` binary (`cargo run --release -p
//! sotto-bench --bin report [-- --quick] [-- --only NAME]`), which samples every case
//! interleaved, writes `target/bench-report.json` and prints the table. Times are the
//! benchmark thread's CPU time (see [`timing`]); [`sizes`] adds what is not timed.
//!
//! Modules depend one way: [`timing`] and [`error`] at the bottom; the routines
//! ([`primitives`], [`conversation`], [`sotto`], [`olm`], [`setup`], [`forged`],
//! [`store`], [`devices`], [`sealed`]) on them; [`table`] on the routines; [`report`] on the table and [`sizes`].

pub mod conversation;
pub mod devices;
pub mod error;
pub mod forged;
pub mod olm;
pub mod primitives;
pub mod report;
pub mod sealed;
pub mod setup;
pub mod sizes;
pub mod sotto;
pub mod store;
pub mod table;
pub mod timing;

pub use error::BenchError;
