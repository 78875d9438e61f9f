//! The `sotto` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Sotto: an end-to-end encryption messenger core.
#[derive(Parser)]
#[command(name = "sotto", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scripted conversation and show what the parties read and what the wire shows.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => {
            let mut stdout = std::io::stdout().lock();
            sotto_cli::demo::run(&mut rand::rng(), &mut stdout).map_err(|e| e.to_string())
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
