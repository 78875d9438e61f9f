//! `cargo run --release -p sotto-bench --bin report`: a short, interleaved measurement of
//! every benchmark case, written to `target/bench-report.json` and printed as a table.

use std::process::ExitCode;
use std::time::Instant;

use sotto_bench::report::{Measurements, Report, target_dir, write_json};
use sotto_bench::timing::SamplerSettings;
use sotto_bench::{BenchError, sizes};

fn run() -> Result<(), BenchError> {
    let start = Instant::now();
    if cfg!(debug_assertions) {
        eprintln!("warning: debug build; run with --release for meaningful numbers");
    }
    let settings = SamplerSettings::report();
    let sizes = sizes::measure()?;
    let measurements = Measurements::run(&settings)?;
    let report = Report::new(&measurements, sizes, &settings);
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
