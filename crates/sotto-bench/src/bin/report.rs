//! `cargo run --release -p sotto-bench --bin report [-- --quick] [-- --only NAME]`: an
//! interleaved measurement of every case of the table, written to `target/bench-report.json`
//! and printed as a table. `--quick` takes a short sample (for development; the numbers are
//! rough); `--only NAME` measures the rows whose names contain NAME and what they need (to
//! rerun rows a busy machine distorted), without the sizes.

use std::process::ExitCode;
use std::time::Instant;

use sotto_bench::report::{Measurements, Report, cases_for, target_dir, write_json};
use sotto_bench::timing::SamplerSettings;
use sotto_bench::{BenchError, sizes};

fn run() -> Result<(), BenchError> {
    let start = Instant::now();
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for meaningful numbers");
    }
    let mut settings = SamplerSettings::report();
    let mut only = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => settings = SamplerSettings::quick(),
            "--only" => only = args.next().unwrap_or_default(),
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    let cases = cases_for(&only)?;
    let sizes = if only.is_empty() {
        Some(sizes::measure()?)
    } else {
        None
    };
    let measurements = Measurements::run(&cases, &settings)?;
    let report = Report::new(&measurements, sizes, &settings)?;
    print!("{}", report.table());
    let path = write_json(&report, &target_dir())?;
    println!(
        "\nwrote {} in {:.1} s",
        path.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("report failed: {err}");
            ExitCode::FAILURE
        }
    }
}
