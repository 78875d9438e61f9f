//! The vodozemac peer: two Olm v1 sessions (`SessionConfig::version_1()`, AES-256-CBC with
//! HMAC-SHA256 truncated to 8 bytes, as deployed in Matrix).
//!
//! Setup follows Olm: Bob publishes a one-time key, Alice creates an outbound session and
//! sends a pre-key message, Bob creates the inbound session from it and replies. From then on
//! both sides send normal messages, which is what every conversation row measures.
//!
//! Session creation itself is timed by [`outbound`] (Alice's side, with the first encrypt,
//! like Sotto's initiator) and [`OlmInbound`] (Bob's side, which decrypts the pre-key message,
//! like Sotto's responder, or both sides). Olm's 3DH has three DHs and no signature: Matrix
//! clients check the one-time key's signature outside vodozemac, which is not timed here.

use std::hint::black_box;

use vodozemac::Curve25519PublicKey;
use vodozemac::olm::{Account, OlmMessage, PreKeyMessage, Session, SessionConfig};

use crate::BenchError;
use crate::conversation::{Duplex, SMALL};
use crate::timing::{Routine, routine};

/// Alice's and Bob's Olm sessions, established in both directions.
pub struct OlmPair {
    /// The initiator.
    pub alice: Session,
    /// The responder.
    pub bob: Session,
    /// The last decrypted plaintext (vodozemac allocates a new one per message).
    last: Vec<u8>,
}

impl OlmPair {
    /// Runs the Olm handshake and one message each way (Alice's pre-key message, Bob's reply).
    pub fn established() -> Result<Self, BenchError> {
        let alice_account = Account::new();
        let mut bob_account = Account::new();
        bob_account.generate_one_time_keys(1);
        let one_time_key = bob_account
            .one_time_keys()
            .into_values()
            .next()
            .ok_or(BenchError::OlmNoOneTimeKey)?;
        bob_account.mark_keys_as_published();

        let mut alice = alice_account.create_outbound_session(
            SessionConfig::version_1(),
            bob_account.curve25519_key(),
            one_time_key,
        )?;
        let OlmMessage::PreKey(first) = alice.encrypt(b"first")? else {
            return Err(BenchError::OlmMessageType);
        };
        let inbound = bob_account.create_inbound_session(
            SessionConfig::version_1(),
            alice_account.curve25519_key(),
            &first,
        )?;
        let mut bob = inbound.session;
        let reply = bob.encrypt(b"reply")?;
        if !matches!(reply, OlmMessage::Normal(_)) {
            return Err(BenchError::OlmMessageType);
        }
        alice.decrypt(&reply)?;
        Ok(Self {
            alice,
            bob,
            last: Vec::new(),
        })
    }

    /// Encrypts on one side without delivering: the message as it would travel.
    pub fn encrypt(
        &mut self,
        from_alice: bool,
        plaintext: &[u8],
    ) -> Result<OlmMessage, BenchError> {
        let sender = if from_alice {
            &mut self.alice
        } else {
            &mut self.bob
        };
        Ok(sender.encrypt(plaintext)?)
    }
}

impl Duplex for OlmPair {
    fn transfer(&mut self, from_alice: bool, plaintext: &[u8]) -> Result<&[u8], BenchError> {
        let (sender, receiver) = if from_alice {
            (&mut self.alice, &mut self.bob)
        } else {
            (&mut self.bob, &mut self.alice)
        };
        let message = sender.encrypt(plaintext)?;
        self.last = receiver.decrypt(&message)?;
        Ok(&self.last)
    }
}

/// The wire form of an Olm message: the bytes Matrix base64-encodes into an event body.
pub fn wire_bytes(message: &OlmMessage) -> Vec<u8> {
    message.to_parts().1
}

/// Bob's unpublished one-time keys, marked as published.
fn publish_one_time_keys(bob: &mut Account, count: usize) -> Vec<Curve25519PublicKey> {
    bob.generate_one_time_keys(count);
    let keys = bob.one_time_keys().into_values().collect();
    bob.mark_keys_as_published();
    keys
}

/// Alice's side of session creation: an outbound session and the pre-key message carrying
/// `plaintext`, as wire bytes.
fn prekey_message(
    alice: &Account,
    bob_identity: Curve25519PublicKey,
    one_time_key: Curve25519PublicKey,
    plaintext: &[u8],
) -> Result<Vec<u8>, BenchError> {
    let mut session =
        alice.create_outbound_session(SessionConfig::version_1(), bob_identity, one_time_key)?;
    let message = session.encrypt(plaintext)?;
    if !matches!(message, OlmMessage::PreKey(_)) {
        return Err(BenchError::OlmMessageType);
    }
    Ok(wire_bytes(&message))
}

/// Wire bytes of the pre-key message that starts a session with a `len`-byte plaintext.
pub fn prekey_message_len(len: usize) -> Result<usize, BenchError> {
    let mut bob = Account::new();
    let key = publish_one_time_keys(&mut bob, 1)
        .pop()
        .ok_or(BenchError::OlmNoOneTimeKey)?;
    Ok(prekey_message(&Account::new(), bob.curve25519_key(), key, &vec![0; len])?.len())
}

/// Outbound session creation plus the first encrypt of [`SMALL`] bytes and its wire bytes, to
/// the same identity and one-time key every run (the initiator consumes nothing).
pub fn outbound() -> Result<Box<dyn Routine>, BenchError> {
    let mut bob = Account::new();
    let key = publish_one_time_keys(&mut bob, 1)
        .pop()
        .ok_or(BenchError::OlmNoOneTimeKey)?;
    routine(
        (Account::new(), bob.curve25519_key(), key),
        |(alice, bob, key)| {
            black_box(prekey_message(alice, *bob, *key, &[0x42; SMALL])?);
            Ok(())
        },
    )
}

/// Inbound session creation from a pre-key message's bytes (which decrypts it), or with
/// `both` the outbound side's run and then the inbound side's. Each run uses up one of Bob's
/// one-time keys, so [`Routine::prepare`] (untimed) publishes one per run and, without
/// `both`, has Alice build a pre-key message to each.
pub struct OlmInbound {
    alice: Account,
    bob: Account,
    both: bool,
    keys: Vec<Curve25519PublicKey>,
    messages: Vec<Vec<u8>>,
}

impl OlmInbound {
    /// Two fresh accounts; `both` times the outbound side too.
    pub fn new(both: bool) -> Self {
        Self {
            alice: Account::new(),
            bob: Account::new(),
            both,
            keys: Vec::new(),
            messages: Vec::new(),
        }
    }
}

impl Routine for OlmInbound {
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let iters = usize::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        self.keys = publish_one_time_keys(&mut self.bob, iters);
        if self.keys.len() != iters {
            return Err(BenchError::OlmNoOneTimeKey);
        }
        if !self.both {
            let bob = self.bob.curve25519_key();
            self.messages = std::mem::take(&mut self.keys)
                .into_iter()
                .map(|key| prekey_message(&self.alice, bob, key, &[0x42; SMALL]))
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let bytes = if self.both {
            let key = self.keys.pop().ok_or(BenchError::NotPrepared)?;
            prekey_message(&self.alice, self.bob.curve25519_key(), key, &[0x42; SMALL])?
        } else {
            self.messages.pop().ok_or(BenchError::NotPrepared)?
        };
        let message = PreKeyMessage::from_bytes(black_box(&bytes))?;
        let created = self.bob.create_inbound_session(
            SessionConfig::version_1(),
            self.alice.curve25519_key(),
            &message,
        )?;
        if created.plaintext.len() != SMALL {
            return Err(BenchError::Mismatch {
                expected: SMALL,
                got: created.plaintext.len(),
            });
        }
        black_box(created.session);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn olm_pair_round_trips() {
        let mut pair = OlmPair::established().unwrap();
        for i in 0..4 {
            let pt = vec![i as u8; 100];
            assert_eq!(pair.transfer(i % 2 == 0, &pt).unwrap(), pt);
        }
        let message = pair.encrypt(true, &[0u8; 100]).unwrap();
        assert!(matches!(message, OlmMessage::Normal(_)));
        assert!(wire_bytes(&message).len() > 100);
    }

    #[test]
    fn olm_setup_routines_run() {
        use crate::timing::time_batch;
        time_batch(outbound().unwrap().as_mut(), 3).unwrap();
        for both in [false, true] {
            let mut inbound = OlmInbound::new(both);
            time_batch(&mut inbound, 3).unwrap();
            assert!(matches!(inbound.run(), Err(BenchError::NotPrepared)));
            time_batch(&mut inbound, 60).unwrap();
        }
        assert!(prekey_message_len(100).unwrap() > prekey_message_len(0).unwrap());
    }
}
