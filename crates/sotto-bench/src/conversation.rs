//! Conversation shapes shared by the Sotto and vodozemac rows: one direction over and over,
//! and strict alternation (ping-pong); and the workload constants every routine uses.

use std::hint::black_box;

use crate::BenchError;
use crate::timing::Routine;

/// 100 bytes: the "short message" of every row, and every session's first plaintext.
pub const SMALL: usize = 100;
/// 1 KiB.
pub const KIB: usize = 1024;
/// 1 MiB: the bulk row.
pub const MIB: usize = 1 << 20;
/// Seed of the RNGs behind key generation in every routine.
pub const SEED: u64 = 0x5077_0b3e;

/// Two established sessions that can move a message either way.
pub trait Duplex {
    /// Encrypts `plaintext` on one side (Alice's if `from_alice`) and decrypts it on the
    /// other; returns the decrypted plaintext (borrowed: an implementation may keep it in a
    /// buffer it reuses).
    fn transfer(&mut self, from_alice: bool, plaintext: &[u8]) -> Result<&[u8], BenchError>;
}

/// Moves `plaintext` one way and checks that the same number of bytes came out. The full
/// comparison is left to the tests: at 1 MiB it would be a cost of the harness, not of the
/// ratchet.
fn checked_transfer<D: Duplex>(
    duplex: &mut D,
    from_alice: bool,
    plaintext: &[u8],
) -> Result<(), BenchError> {
    let decrypted = duplex.transfer(from_alice, plaintext)?;
    if decrypted.len() != plaintext.len() {
        return Err(BenchError::Mismatch {
            expected: plaintext.len(),
            got: decrypted.len(),
        });
    }
    black_box(decrypted);
    Ok(())
}

/// Alice encrypts, Bob decrypts, every run: the symmetric-key ratchet only, in order, so no
/// key is ever skipped.
#[derive(Debug)]
pub struct OneWay<D> {
    duplex: D,
    plaintext: Vec<u8>,
}

impl<D: Duplex> OneWay<D> {
    /// Sends `len`-byte plaintexts from Alice to Bob.
    pub fn new(duplex: D, len: usize) -> Self {
        Self {
            duplex,
            plaintext: vec![0x42; len],
        }
    }
}

impl<D: Duplex> Routine for OneWay<D> {
    fn run(&mut self) -> Result<(), BenchError> {
        checked_transfer(&mut self.duplex, true, &self.plaintext)
    }
}

/// The direction flips every run, so every message carries a new ratchet key: one key
/// generation and one DH on the sending side, one DH on the receiving side, plus a root KDF
/// on each.
#[derive(Debug)]
pub struct PingPong<D> {
    duplex: D,
    plaintext: Vec<u8>,
    alice_next: bool,
}

impl<D: Duplex> PingPong<D> {
    /// Alternates `len`-byte plaintexts, starting with Alice. The duplex must be established
    /// in both directions, with Bob's message the last one delivered.
    pub fn new(duplex: D, len: usize) -> Self {
        Self {
            duplex,
            plaintext: vec![0x42; len],
            alice_next: true,
        }
    }
}

impl<D: Duplex> Routine for PingPong<D> {
    fn run(&mut self) -> Result<(), BenchError> {
        checked_transfer(&mut self.duplex, self.alice_next, &self.plaintext)?;
        self.alice_next = !self.alice_next;
        Ok(())
    }
}
