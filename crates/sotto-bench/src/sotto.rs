//! Sotto's rows: two `sotto_ratchet` sessions driven through their public API only.
//!
//! Setup mirrors the vodozemac rows: Alice (initiator) sends one message, Bob (responder)
//! replies, so both directions are established before anything is timed.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::{Message, Session, SessionConfig, SessionSecret};

use crate::BenchError;
use crate::conversation::Duplex;

/// Session associated data used by every Sotto row (two bytes; the floor's AEAD routines
/// authenticate the same length plus a header, see [`crate::primitives::AD_LEN`]).
pub const ASSOCIATED_DATA: &[u8] = b"ad";

/// Alice's and Bob's Sotto sessions and the RNG their sends draw from.
pub struct SottoPair {
    /// The initiator.
    pub alice: Session,
    /// The responder.
    pub bob: Session,
    rng: StdRng,
    /// The last message's bytes, recycled as the next message's buffer.
    spare: Vec<u8>,
    /// The last decrypted plaintext, its buffer reused by the next decryption.
    plaintext: Vec<u8>,
}

impl std::fmt::Debug for SottoPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SottoPair(..)")
    }
}

impl SottoPair {
    /// Two fresh sessions from a shared secret, before any message.
    pub fn fresh(config: SessionConfig, seed: u64) -> Result<Self, BenchError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let bob_ratchet = KeyPair::generate(&mut rng);
        let bob_public = *bob_ratchet.public_key();
        let secret = [7u8; 32];
        let alice = Session::initiator(
            SessionSecret::new(secret),
            ASSOCIATED_DATA,
            &bob_public,
            config,
            &mut rng,
        )?;
        let bob = Session::responder(
            SessionSecret::new(secret),
            ASSOCIATED_DATA,
            bob_ratchet,
            config,
        )?;
        Ok(Self {
            alice,
            bob,
            rng,
            spare: Vec::new(),
            plaintext: Vec::new(),
        })
    }

    /// Fresh sessions after one message each way (Alice's first, Bob's reply).
    pub fn established(config: SessionConfig, seed: u64) -> Result<Self, BenchError> {
        let mut pair = Self::fresh(config, seed)?;
        pair.transfer(true, b"first")?;
        pair.transfer(false, b"reply")?;
        Ok(pair)
    }

    /// Encrypts on one side without delivering.
    pub fn encrypt(&mut self, from_alice: bool, plaintext: &[u8]) -> Result<Message, BenchError> {
        let sender = if from_alice {
            &mut self.alice
        } else {
            &mut self.bob
        };
        Ok(sender.encrypt(plaintext, &mut self.rng)?)
    }
}

impl Duplex for SottoPair {
    /// Uses the buffer-reusing forms (`encrypt_with_buffer`, `decrypt_into`), which a client
    /// streaming large messages would use: no allocation and no fresh pages per message.
    fn transfer(&mut self, from_alice: bool, plaintext: &[u8]) -> Result<&[u8], BenchError> {
        let (sender, receiver) = if from_alice {
            (&mut self.alice, &mut self.bob)
        } else {
            (&mut self.bob, &mut self.alice)
        };
        let buffer = std::mem::take(&mut self.spare);
        let message = sender.encrypt_with_buffer(plaintext, &mut self.rng, buffer)?;
        receiver.decrypt_into(&message, &mut self.plaintext)?;
        self.spare = message.into_bytes();
        Ok(&self.plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sotto_pair_round_trips_both_kinds() {
        for config in [SessionConfig::default(), SessionConfig::header_encrypted()] {
            let mut pair = SottoPair::established(config, 3).unwrap();
            for i in 0..4 {
                let pt = vec![i as u8; 100];
                assert_eq!(pair.transfer(i % 2 == 0, &pt).unwrap(), pt);
            }
            let message = pair.encrypt(true, &[0u8; 100]).unwrap();
            let again = Message::from_bytes(message.as_bytes()).unwrap();
            assert_eq!(pair.bob.decrypt(&again).unwrap(), vec![0u8; 100]);
        }
    }
}
