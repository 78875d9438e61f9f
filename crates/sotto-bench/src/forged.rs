//! Forged messages on header-encrypted sessions (issue 6, point 5): the receiver's cost of
//! refusing one must not grow with the session's history.
//!
//! The history is built by a relay that drops one message of every chain: Alice sends a
//! message that is dropped and one that is delivered, Bob replies, `chains` times over. Each
//! round leaves Bob one skipped key (and its chain's header key) behind; the ratchet keeps the
//! keys of at most `SessionConfig::MAX_SKIPPED_CHAINS` chains (protocol.md 3.7 step 6, 3.8).
//!
//! A forgery is Alice's next message (the first of a new chain) changed in one of two ways
//! ([`Forgery`]): every byte after the version byte replaced by random bytes, so that no header
//! key opens it and the receiver tries all of them; or one byte of the body's tag flipped, so
//! that the last header key tried (`NHKr`) opens the header and the receiver also pays the new
//! chain's X25519 and key derivation before the body fails. Either is refused (RAT-08) and
//! leaves the session exactly as it was, so one session serves every run; [`Forged::new`]
//! checks that on a pickle for both kinds, and every run checks that its forgery is refused
//! and the skipped-key count unchanged.

use std::hint::black_box;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sotto_ratchet::{Message, PickleKey, Session, SessionConfig};

use crate::BenchError;
use crate::conversation::{Duplex, SEED, SMALL};
use crate::sotto::SottoPair;
use crate::timing::Routine;

/// Distinct forgeries a routine cycles through.
const FORGERIES: usize = 16;

/// How a forgery is made from a valid message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// The version byte kept, every other byte random.
    Random,
    /// One byte of the body's 16-byte tag flipped.
    FlippedTag,
}

/// Bob's header-encrypted session with `chains` dropped chains behind it, and forgeries.
pub struct Forged {
    bob: Session,
    forgeries: Vec<Message>,
    skipped: usize,
    next: usize,
}

impl std::fmt::Debug for Forged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forged")
            .field("skipped", &self.skipped)
            .finish_non_exhaustive()
    }
}

/// A pickle under a fixed key, context and salt: equal bytes mean equal state.
fn snapshot(session: &Session) -> Result<Vec<u8>, BenchError> {
    let mut rng = StdRng::seed_from_u64(1);
    Ok(session.pickle(&PickleKey::new([9; 32]), b"sotto-bench forged", &mut rng)?)
}

impl Forged {
    /// Builds the history (untimed) and checks its premises.
    pub fn new(chains: usize, kind: Forgery) -> Result<Self, BenchError> {
        let mut pair = SottoPair::established(SessionConfig::header_encrypted(), SEED)?;
        for _ in 0..chains {
            drop(pair.encrypt(true, b"dropped")?);
            pair.transfer(true, b"kept")?;
            pair.transfer(false, b"reply")?;
        }
        let expected = chains.min(SessionConfig::MAX_SKIPPED_CHAINS);
        let skipped = pair.bob.skipped_key_count();
        if skipped != expected {
            return Err(BenchError::Scenario {
                what: "Bob's skipped keys after the dropped chains",
                expected,
                got: skipped,
            });
        }
        let valid = pair.encrypt(true, &[0x42; SMALL])?.into_bytes();
        let mut rng = StdRng::seed_from_u64(SEED);
        let mut random = Vec::with_capacity(FORGERIES);
        let mut flipped = Vec::with_capacity(FORGERIES);
        for i in 0..FORGERIES {
            let mut bytes = valid.clone();
            rng.fill_bytes(&mut bytes[1..]);
            random.push(Message::from_bytes(&bytes)?);
            let mut bytes = valid.clone();
            let at = bytes.len() - 1 - i;
            bytes[at] ^= 0x01;
            flipped.push(Message::from_bytes(&bytes)?);
        }
        let mut bob = pair.bob;
        let before = snapshot(&bob)?;
        for forgery in random.iter().chain(&flipped) {
            if bob.decrypt(forgery).is_ok() {
                return Err(BenchError::ForgeryAccepted);
            }
        }
        if snapshot(&bob)? != before {
            return Err(BenchError::ForgeryChangedState);
        }
        let forgeries = match kind {
            Forgery::Random => random,
            Forgery::FlippedTag => flipped,
        };
        Ok(Self {
            bob,
            forgeries,
            skipped,
            next: 0,
        })
    }
}

impl Routine for Forged {
    fn run(&mut self) -> Result<(), BenchError> {
        let forgery = &self.forgeries[self.next % FORGERIES];
        self.next = self.next.wrapping_add(1);
        if black_box(self.bob.decrypt(black_box(forgery))).is_ok() {
            return Err(BenchError::ForgeryAccepted);
        }
        if self.bob.skipped_key_count() != self.skipped {
            return Err(BenchError::ForgeryChangedState);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::time_batch;

    #[test]
    fn forgeries_are_refused_and_leave_the_session_unchanged() {
        for (chains, kind) in [(1, Forgery::Random), (40, Forgery::FlippedTag)] {
            let mut forged = Forged::new(chains, kind).unwrap();
            let before = snapshot(&forged.bob).unwrap();
            time_batch(&mut forged, 2 * FORGERIES as u64).unwrap();
            assert_eq!(snapshot(&forged.bob).unwrap(), before);
            assert!(forged.skipped >= 1);
        }
    }
}
