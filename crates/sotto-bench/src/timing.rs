//! Timing: the [`Routine`] interface shared by the criterion benchmarks and the report, and
//! the report's own interleaved median-of-rounds sampler.
//!
//! Criterion drives a routine through [`time_batch`] inside `Bencher::iter_custom`; the report
//! drives the same function from [`sample_interleaved`]. Both therefore time exactly the same
//! code: untimed [`Routine::prepare`], then `iters` timed calls of [`Routine::run`].
//!
//! The time that counts is the **thread's CPU time** (`CLOCK_THREAD_CPUTIME_ID`: user plus
//! kernel, so page faults and allocator system calls are included). Every routine is
//! single-threaded, so on an idle machine this equals wall time; on a shared two-core machine
//! it leaves out the time the benchmark thread spends descheduled while other jobs run, which
//! would otherwise land on whichever routine happened to be running. Wall time is recorded
//! alongside.

use std::time::{Duration, Instant};

use cpu_time::ThreadTime;

use crate::BenchError;

/// One measured operation.
pub trait Routine {
    /// Untimed setup for a batch of `iters` calls of [`Routine::run`] (for example fresh
    /// ciphertexts for an in-place open). The default does nothing.
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let _ = iters;
        Ok(())
    }

    /// The timed operation. It checks its own result, so a failure is an error, not a
    /// suspiciously fast sample.
    fn run(&mut self) -> Result<(), BenchError>;
}

/// A routine made of a state and a function that runs on it: what most table entries are.
struct FnRoutine<S> {
    state: S,
    run: fn(&mut S) -> Result<(), BenchError>,
}

impl<S> Routine for FnRoutine<S> {
    fn run(&mut self) -> Result<(), BenchError> {
        (self.run)(&mut self.state)
    }
}

/// Boxes `run` on `state` as a routine (no preparation).
pub fn routine<S: 'static>(
    state: S,
    run: fn(&mut S) -> Result<(), BenchError>,
) -> Result<Box<dyn Routine>, BenchError> {
    Ok(Box::new(FnRoutine { state, run }))
}

/// Boxes a routine that is a type of its own.
pub fn boxed<R: Routine + 'static>(routine: R) -> Result<Box<dyn Routine>, BenchError> {
    Ok(Box::new(routine))
}

/// The time one batch took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchTime {
    /// CPU time of the benchmark thread: the measurement.
    pub cpu: Duration,
    /// Wall time, for reference.
    pub wall: Duration,
}

/// Prepares a batch of `iters` runs, then times them. This is the body of criterion's
/// `iter_custom` (which receives [`BatchTime::cpu`]) and of every report sample.
pub fn time_batch<R: Routine + ?Sized>(
    routine: &mut R,
    iters: u64,
) -> Result<BatchTime, BenchError> {
    routine.prepare(iters)?;
    let wall = Instant::now();
    let cpu = ThreadTime::try_now().map_err(BenchError::CpuClock)?;
    for _ in 0..iters {
        routine.run()?;
    }
    let cpu = cpu.try_elapsed().map_err(BenchError::CpuClock)?;
    Ok(BatchTime {
        cpu,
        wall: wall.elapsed(),
    })
}

/// How long the report's sampler measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SamplerSettings {
    /// Minimum warm-up per routine before calibration ends.
    pub warm_up: Duration,
    /// Wall time one timed batch aims for; the iteration count per batch is calibrated to it
    /// (at least one iteration).
    pub batch_target: Duration,
    /// Timed batches per routine. Routines are interleaved round by round, so a slow phase of
    /// the machine (another build, frequency scaling) hits every routine alike.
    pub rounds: usize,
}

impl SamplerSettings {
    /// The report's settings: about 20 s for the whole suite on two cores. Batches are
    /// short (2 ms) so that most of them fit between two preemptions on a busy machine; the
    /// median over 201 rounds then discards the interrupted ones.
    pub const fn report() -> Self {
        Self {
            warm_up: Duration::from_millis(150),
            batch_target: Duration::from_millis(2),
            rounds: 201,
        }
    }

    /// A quick look while developing: about a tenth of the report's time, rough numbers.
    pub const fn quick() -> Self {
        Self {
            warm_up: Duration::from_millis(20),
            batch_target: Duration::from_millis(2),
            rounds: 21,
        }
    }

    /// A smoke-test setting: a few iterations, no meaningful numbers.
    pub const fn smoke() -> Self {
        Self {
            warm_up: Duration::ZERO,
            batch_target: Duration::ZERO,
            rounds: 3,
        }
    }
}

/// Per-iteration statistics of one routine, in nanoseconds of thread CPU time unless named
/// otherwise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Median over the rounds of the per-iteration time of a batch.
    pub median_ns: f64,
    /// First quartile.
    pub q1_ns: f64,
    /// Third quartile.
    pub q3_ns: f64,
    /// Median in wall time, for reference.
    pub wall_median_ns: f64,
    /// Iterations per batch after calibration.
    pub iters_per_batch: u64,
}

/// Doubles the batch size until one batch takes `settings.batch_target` and at least
/// `settings.warm_up` has been spent on the routine; returns the calibrated batch size.
fn calibrate(routine: &mut dyn Routine, settings: &SamplerSettings) -> Result<u64, BenchError> {
    let mut iters = 1u64;
    let mut spent = Duration::ZERO;
    loop {
        let elapsed = time_batch(routine, iters)?.cpu;
        spent += elapsed;
        if elapsed >= settings.batch_target && spent >= settings.warm_up {
            return Ok(iters);
        }
        if elapsed < settings.batch_target {
            iters = iters.saturating_mul(2);
        }
    }
}

/// Measures every routine: calibrates each, then runs `settings.rounds` rounds in which each
/// routine times one batch. Returns the statistics in the order of `routines`.
pub fn sample_interleaved(
    routines: &mut [&mut dyn Routine],
    settings: &SamplerSettings,
) -> Result<Vec<Stats>, BenchError> {
    let mut batch = Vec::with_capacity(routines.len());
    for routine in routines.iter_mut() {
        batch.push(calibrate(&mut **routine, settings)?);
    }
    let rounds = settings.rounds.max(1);
    let mut cpu = vec![Vec::with_capacity(rounds); routines.len()];
    let mut wall = vec![Vec::with_capacity(rounds); routines.len()];
    for _ in 0..rounds {
        for (i, (routine, &iters)) in routines.iter_mut().zip(&batch).enumerate() {
            let elapsed = time_batch(&mut **routine, iters)?;
            cpu[i].push(elapsed.cpu.as_nanos() as f64 / iters as f64);
            wall[i].push(elapsed.wall.as_nanos() as f64 / iters as f64);
        }
    }
    Ok(cpu
        .into_iter()
        .zip(wall)
        .zip(batch)
        .map(|((mut cpu, mut wall), iters_per_batch)| {
            cpu.sort_by(f64::total_cmp);
            wall.sort_by(f64::total_cmp);
            Stats {
                median_ns: quantile(&cpu, 0.5),
                q1_ns: quantile(&cpu, 0.25),
                q3_ns: quantile(&cpu, 0.75),
                wall_median_ns: quantile(&wall, 0.5),
                iters_per_batch,
            }
        })
        .collect())
}

/// The `q`-quantile of sorted `values` by linear interpolation; 0 for no values.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else {
        return 0.0;
    };
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Count(u64);
    impl Routine for Count {
        fn run(&mut self) -> Result<(), BenchError> {
            self.0 += 1;
            Ok(())
        }
    }

    #[test]
    fn quantiles() {
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert_eq!(quantile(&[3.0], 0.5), 3.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0], 0.5), 2.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0);
    }

    #[test]
    fn batches_run_exactly_iters_times() {
        let mut c = Count(0);
        time_batch(&mut c, 17).unwrap();
        assert_eq!(c.0, 17);
        let mut a = Count(0);
        let mut b = Count(0);
        let stats = sample_interleaved(&mut [&mut a, &mut b], &SamplerSettings::smoke()).unwrap();
        assert_eq!(stats.len(), 2);
        // One calibration batch of one iteration, then three rounds of one iteration.
        assert_eq!(a.0, 4);
        assert_eq!(b.0, 4);
    }
}
