//! What the property tests in `tests/tests/` share: how many cases to run and a runner that
//! reports proptest's shrunk failing input.

use std::cell::Cell;

use proptest::strategy::Strategy;
use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, RngSeed, TestCaseResult, TestRunner,
};

/// The generator seed of every property run unless `PROPTEST_RNG_SEED` is set: a fixed seed
/// makes `cargo test` deterministic, so the coverage floors of [`assert_exercised`] cannot
/// flake; set `PROPTEST_RNG_SEED` to explore other cases (a failure prints the seed's
/// shrunk input either way).
pub const DEFAULT_RNG_SEED: u64 = 0x5077_0001;

/// The number of cases: `PROPTEST_CASES` if set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `test` on `cases` values of `strategy`. A failure panics with proptest's minimal
/// (shrunk) failing input, as `proptest!` does, and is persisted next to `source_file` (pass
/// `file!()`), where proptest's default location cannot place an integration test.
#[expect(clippy::panic, reason = "a failed property fails its test")]
pub fn run<S: Strategy>(
    source_file: &'static str,
    cases: u32,
    strategy: &S,
    test: impl Fn(S::Value) -> TestCaseResult,
) {
    let defaults = ProptestConfig::default();
    let rng_seed = match defaults.rng_seed {
        RngSeed::Random => RngSeed::Fixed(DEFAULT_RNG_SEED),
        fixed @ RngSeed::Fixed(_) => fixed,
    };
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        rng_seed,
        source_file: Some(source_file),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..defaults
    });
    if let Err(e) = runner.run(strategy, test) {
        panic!("{e}\n{runner}");
    }
}

/// Asserts that an event a property means to exercise happened in at least 1 % of the cases
/// (skipped for runs of fewer than 200 cases, where 1 % is noise).
#[expect(clippy::panic, reason = "an unexercised property fails its test")]
pub fn assert_exercised(cases: u32, name: &str, counter: &Cell<u64>) {
    if cases >= 200 && counter.get() * 100 < u64::from(cases) {
        panic!(
            "{name} happened only {} times in {cases} cases",
            counter.get()
        );
    }
}
