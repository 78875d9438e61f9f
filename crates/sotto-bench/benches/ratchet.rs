//! Criterion benchmarks: `floor/*`, `sotto/*` and `vodozemac/*`, one group each, built from
//! the shared catalogue in `sotto_bench::case` and timed through `sotto_bench::timing`. The
//! `sotto` and `vodozemac` groups include session setup (`sotto/setup_*`,
//! `sotto/bundle_verify_*`, `vodozemac/setup_*`); their routines prepare per-run inputs
//! (fresh initial messages, unused one-time keys) untimed, in `Routine::prepare`.
//!
//! `cargo bench -p sotto-bench` for full runs, `cargo bench -p sotto-bench -- --test` to run
//! each routine once. Criterion's "time" is the benchmark thread's CPU time (see
//! `sotto_bench::timing`), which equals wall time on an idle machine.

// Benchmarks are harness code: a routine that fails has no number to report, so it aborts the
// run loudly instead of letting criterion time an error path.
#![allow(clippy::expect_used)]

use criterion::{Criterion, Throughput};
use sotto_bench::case::Case;
use sotto_bench::timing::time_batch;

fn ratchet_benches(c: &mut Criterion) {
    let cases = Case::all();
    for group_name in ["floor", "sotto", "vodozemac"] {
        let mut group = c.benchmark_group(group_name);
        // Cases without a byte count come first in each group, so a throughput set for one
        // case never carries over to a case that processes no bytes.
        for case in cases.iter().filter(|case| case.group() == group_name) {
            if let Some(bytes) = case.throughput_bytes() {
                group.throughput(Throughput::Bytes(bytes));
            }
            let mut routine = case.routine().expect("benchmark setup failed");
            group.bench_function(case.name(), |b| {
                b.iter_custom(|iters| {
                    time_batch(routine.as_mut(), iters)
                        .expect("benchmark routine failed")
                        .cpu
                });
            });
        }
        group.finish();
    }
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    ratchet_benches(&mut criterion);
    criterion.final_summary();
}
