//! `sotto-vectors`: writes the test vectors to docs/vectors/, or checks them.
//!
//! ```text
//! cargo run -p sotto-vectors              # regenerate docs/vectors/
//! cargo run -p sotto-vectors -- --check   # exit 1 if a committed file differs
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

/// Regenerates (or checks) Sotto's test vectors.
#[derive(Parser)]
#[command(name = "sotto-vectors", version, about)]
struct Cli {
    /// Directory to write to.
    #[arg(long, default_value = "docs/vectors")]
    out: PathBuf,
    /// Compare instead of writing; exit 1 on any difference.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli.out, cli.check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotto-vectors: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &Path, check: bool) -> Result<(), String> {
    let files = sotto_vectors::vectors::render_all().map_err(|e| e.to_string())?;
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
