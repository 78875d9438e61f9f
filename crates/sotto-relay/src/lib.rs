//! The Sotto reference relay: an HTTP server (axum on tokio) over SQLite that stores only
//! what the protocol lets it see (docs/relay.md).
//!
//! It keeps accounts, their signed device lists (as signed bytes), device tokens (as
//! hashes), prekey bundles (each one-time bundle handed out once) and mailboxes of sealed
//! envelopes, and issues sender certificates from its server key. It depends on public wire
//! formats and certificate issuance only: nothing here holds a client secret.
//!
//! Modules: [`api`] (request and response bodies, every decoder a pure function), [`auth`]
//! (challenges, registration proofs, device tokens), [`limits`] (body sizes, rate limit),
//! [`retention`] (what is kept and logged: one place), [`storage`] (the [`Storage`] trait,
//! [`SqliteStorage`] with commit batching), [`server`] ([`Relay::start`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), sotto_relay::StartError> {
//! let relay = sotto_relay::Relay::start(sotto_relay::RelayConfig::new("relay.db")).await?;
//! println!("listening on {}", relay.local_addr);
//! # Ok(()) }
//! ```

pub mod api;
pub mod auth;
pub mod error;
pub mod limits;
pub mod retention;
pub mod server;
pub mod storage;

pub use error::ApiError;
pub use limits::Limits;
pub use retention::Profile;
pub use server::{ConfiguredKeys, InProcessRelay, Relay, RelayConfig, RunningRelay, StartError};
pub use storage::{Durability, SqliteStorage, Storage, StorageError};
