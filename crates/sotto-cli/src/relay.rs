//! `sotto relay`: runs the reference relay ([`sotto_relay::Relay::start`]) until Ctrl-C.

use std::io::Write;

use sotto_relay::{Relay, RelayConfig, StartError};

/// Why `sotto relay` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RelayCommandError {
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The relay did not start (database, address, keys).
    #[error("{0}")]
    Start(#[from] StartError),
    /// Writing the `listening on` line failed.
    #[error("output: {0}")]
    Output(#[source] std::io::Error),
    /// Waiting for Ctrl-C failed.
    #[error("cannot wait for a signal: {0}")]
    Signal(#[source] std::io::Error),
    /// The server stopped with an I/O error.
    #[error("server: {0}")]
    Server(#[source] std::io::Error),
}

/// Starts the relay on `config`, writes `listening on ADDR` (one line, flushed) to `out`,
/// and serves until Ctrl-C, then finishes the requests in flight and closes the database.
pub fn run(config: RelayConfig, out: &mut dyn Write) -> Result<(), RelayCommandError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RelayCommandError::Runtime)?;
    runtime.block_on(async {
        let relay = Relay::start(config).await?;
        writeln!(out, "listening on {}", relay.local_addr).map_err(RelayCommandError::Output)?;
        out.flush().map_err(RelayCommandError::Output)?;
        tokio::signal::ctrl_c()
            .await
            .map_err(RelayCommandError::Signal)?;
        relay.shutdown().await.map_err(RelayCommandError::Server)
    })
}
