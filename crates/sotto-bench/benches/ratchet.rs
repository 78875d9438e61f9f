//! Criterion benchmarks of every case of `sotto_bench::table` (groups `floor`, `sotto`,
//! `vodozemac`), timed through `sotto_bench::timing::time_batch` like the report. Criterion's
//! "time" is the benchmark thread's CPU time.
//!
//! `cargo bench -p sotto-bench` for full runs, `cargo bench -p sotto-bench -- --test` to run
//! each routine once.

// Benchmarks are harness code: a routine that fails has no number to report, so it aborts the
// run loudly instead of letting criterion time an error path.
#![allow(clippy::expect_used)]

use criterion::{Criterion, Throughput};
use sotto_bench::table;
use sotto_bench::timing::time_batch;

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    for case in table::cases() {
        let mut group = criterion.benchmark_group(case.group);
        if let Some(bytes) = case.bytes {
            group.throughput(Throughput::Bytes(bytes));
        }
        let mut routine = (case.build)().expect("benchmark setup failed");
        group.bench_function(case.name, |b| {
            b.iter_custom(|iters| {
                time_batch(routine.as_mut(), iters)
                    .expect("benchmark routine failed")
                    .cpu
            });
        });
        group.finish();
    }
    criterion.final_summary();
}
