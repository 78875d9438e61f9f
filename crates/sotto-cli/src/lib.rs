//! The library behind the `sotto` command: the scripted demo conversation and the test-vector
//! generator. Both are deterministic functions so that tests can call them directly.

pub mod demo;
pub mod rng;
pub mod vectors;
