//! The `sotto` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sotto_relay::{Durability, RelayConfig};

/// Sotto: an end-to-end encryption messenger core.
#[derive(Parser)]
#[command(name = "sotto", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What a relay commit survives.
#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    /// A crash of the relay process (synchronous = NORMAL, the default).
    ProcessCrash,
    /// A power loss too (synchronous = FULL: one fsync per commit batch).
    PowerLoss,
}

impl From<DurabilityArg> for Durability {
    fn from(d: DurabilityArg) -> Self {
        match d {
            DurabilityArg::ProcessCrash => Self::ProcessCrash,
            DurabilityArg::PowerLoss => Self::PowerLoss,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a scripted conversation and show what the parties read and what the wire shows.
    Demo,
    /// Run the reference relay until Ctrl-C; prints `listening on ADDR` once bound.
    Relay {
        /// The database file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// What a commit survives.
        #[arg(long, value_enum, default_value = "process-crash")]
        durability: DurabilityArg,
    },
    /// Load a relay started in process on a temporary file and report throughput, latency,
    /// memory and CPU.
    BenchRelay {
        /// Sender/receiver pairs.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Messages in total.
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        /// What a commit survives.
        #[arg(long, value_enum, default_value = "process-crash")]
        durability: DurabilityArg,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Demo => {
            sotto_cli::demo::run(&mut rand::rng(), &mut stdout).map_err(|e| e.to_string())
        }
        Command::Relay {
            db,
            addr,
            durability,
        } => {
            let mut config = RelayConfig::new(db);
            config.addr = addr;
            config.durability = durability.into();
            sotto_cli::relay::run(config, &mut stdout).map_err(|e| e.to_string())
        }
        Command::BenchRelay {
            clients,
            messages,
            durability,
        } => {
            let config = sotto_cli::bench::BenchConfig {
                clients,
                messages,
                durability: durability.into(),
            };
            sotto_cli::bench::run(config, &mut stdout)
                .map(drop)
                .map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotto: {e}");
            ExitCode::FAILURE
        }
    }
}
