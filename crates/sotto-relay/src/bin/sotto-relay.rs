//! `sotto-relay --db FILE --addr 127.0.0.1:PORT [--durability power-loss]`: runs the relay
//! until interrupted. Prints `listening on ADDR` once bound; errors are one line.

use std::net::SocketAddr;
use std::process::ExitCode;

use sotto_relay::{Durability, Relay, RelayConfig};

const USAGE: &str =
    "usage: sotto-relay --db FILE [--addr 127.0.0.1:PORT] [--durability process-crash|power-loss]";

fn parse(args: &[String]) -> Result<RelayConfig, String> {
    let mut db = None;
    let mut addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut durability = Durability::ProcessCrash;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))?;
        match flag.as_str() {
            "--db" => db = Some(value.clone()),
            "--addr" => {
                addr = value
                    .parse()
                    .map_err(|_| format!("--addr {value}: not an address like 127.0.0.1:8080"))?;
            }
            "--durability" => {
                durability = match value.as_str() {
                    "process-crash" => Durability::ProcessCrash,
                    "power-loss" => Durability::PowerLoss,
                    other => {
                        return Err(format!("--durability {other}: process-crash or power-loss"));
                    }
                };
            }
            other => return Err(format!("unknown option {other}; {USAGE}")),
        }
    }
    let db = db.ok_or_else(|| format!("--db is required; {USAGE}"))?;
    let mut config = RelayConfig::new(db);
    config.addr = addr;
    config.durability = durability;
    Ok(config)
}

async fn run(config: RelayConfig) -> Result<(), String> {
    let relay = Relay::start(config).await.map_err(|e| e.to_string())?;
    println!("listening on {}", relay.local_addr);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for a signal: {e}"))?;
    relay.shutdown().await.map_err(|e| format!("server: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sotto-relay: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sotto-relay: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotto-relay: {e}");
            ExitCode::FAILURE
        }
    }
}
