//! Random generators for reproducible runs: one that records what it hands out and one that
//! replays a recorded list.

use core::convert::Infallible;

use rand::rand_core::utils::next_word_via_fill;
use rand::rngs::StdRng;
use rand::{SeedableRng, TryCryptoRng, TryRng};

/// A seeded generator that remembers every draw, so vectors can list them.
#[derive(Debug)]
pub struct RecordingRng {
    inner: StdRng,
    draws: Vec<Vec<u8>>,
}

impl RecordingRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            inner: StdRng::seed_from_u64(seed),
            draws: Vec::new(),
        }
    }

    /// Every `fill_bytes` call so far, in order.
    pub fn draws(&self) -> &[Vec<u8>] {
        &self.draws
    }
}

impl TryRng for RecordingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        rand::Rng::fill_bytes(&mut self.inner, dst);
        self.draws.push(dst.to_vec());
        Ok(())
    }
}

impl TryCryptoRng for RecordingRng {}

/// A generator that hands out a fixed list of byte strings, one per `fill_bytes` call. It
/// serves vectors only: asking for more draws than listed, or for a different length, is a
/// bug in the caller and panics with a message saying so.
#[derive(Debug)]
pub struct ScriptedRng {
    draws: std::collections::VecDeque<Vec<u8>>,
}

impl ScriptedRng {
    /// Serves `draws` in order.
    pub fn new(draws: Vec<Vec<u8>>) -> Self {
        Self {
            draws: draws.into(),
        }
    }

    /// Draws not yet served.
    pub fn remaining(&self) -> usize {
        self.draws.len()
    }
}

impl TryRng for ScriptedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        next_word_via_fill(self)
    }

    #[allow(clippy::panic)]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match self.draws.pop_front() {
            Some(next) if next.len() == dst.len() => dst.copy_from_slice(&next),
            Some(next) => panic!(
                "scripted draw of {} bytes, {} requested",
                next.len(),
                dst.len()
            ),
            None => panic!("scripted randomness exhausted"),
        }
        Ok(())
    }
}

impl TryCryptoRng for ScriptedRng {}
