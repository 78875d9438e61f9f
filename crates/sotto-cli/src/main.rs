//! The `sotto` command.

use std::path::PathBuf;
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
    /// Write the test vectors to docs/vectors/ (or check them with --check).
    Vectors {
        /// Directory to write to.
        #[arg(long, default_value = "docs/vectors")]
        out: PathBuf,
        /// Compare instead of writing; exit 1 on any difference.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo => {
            let mut stdout = std::io::stdout().lock();
            sotto_cli::demo::run(&mut rand::rng(), &mut stdout).map_err(|e| e.to_string())
        }
        Command::Vectors { out, check } => vectors(&out, check),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotto: {e}");
            ExitCode::FAILURE
        }
    }
}

fn vectors(dir: &std::path::Path, check: bool) -> Result<(), String> {
    let files = sotto_cli::vectors::render_all().map_err(|e| e.to_string())?;
    if !check {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut differ = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        if check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != text {
                differ.push(path.display().to_string());
            }
        } else {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if differ.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "vectors differ from the generator: {}",
            differ.join(", ")
        ))
    }
}
