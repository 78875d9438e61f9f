//! The vodozemac peer: two Olm v1 sessions (`SessionConfig::version_1()`, AES-256-CBC with
//! HMAC-SHA256 truncated to 8 bytes, as deployed in Matrix).
//!
//! Setup follows Olm: Bob publishes a one-time key, Alice creates an outbound session and
//! sends a pre-key message, Bob creates the inbound session from it and replies. From then on
//! both sides send normal messages, which is what every conversation row measures.
//!
//! Session creation itself is timed by [`OlmOutbound`] (Alice's side, with the first
//! encrypt, like Sotto's initiator) and [`OlmInbound`] (Bob's side, which decrypts the
//! pre-key message, like Sotto's responder). Olm's 3DH has three DHs and no signature: Matrix
//! clients check the one-time key's signature outside vodozemac, which is not timed here.

use std::hint::black_box;

use vodozemac::Curve25519PublicKey;
use vodozemac::olm::{Account, OlmMessage, PreKeyMessage, Session, SessionConfig};

use crate::BenchError;
use crate::conversation::{Duplex, SMALL};
use crate::timing::Routine;

/// Alice's and Bob's Olm sessions, established in both directions.
pub struct OlmPair {
    /// The initiator.
    pub alice: Session,
    /// The responder.
    pub bob: Session,
    /// The last decrypted plaintext (vodozemac allocates a new one per message).
    last: Vec<u8>,
}

impl std::fmt::Debug for OlmPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OlmPair(..)")
    }
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
    let mut outbound = OlmOutbound::new()?;
    outbound.plaintext = vec![0u8; len];
    Ok(outbound.message()?.len())
}

/// Outbound session creation plus the first encrypt of [`SMALL`] bytes, to the same identity
/// and one-time key every run (the initiator consumes nothing).
pub struct OlmOutbound {
    alice: Account,
    bob_identity: Curve25519PublicKey,
    one_time_key: Curve25519PublicKey,
    plaintext: Vec<u8>,
}

impl std::fmt::Debug for OlmOutbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OlmOutbound(..)")
    }
}

impl OlmOutbound {
    /// Alice's account and one of Bob's one-time keys.
    pub fn new() -> Result<Self, BenchError> {
        let mut bob = Account::new();
        let one_time_key = publish_one_time_keys(&mut bob, 1)
            .pop()
            .ok_or(BenchError::OlmNoOneTimeKey)?;
        Ok(Self {
            alice: Account::new(),
            bob_identity: bob.curve25519_key(),
            one_time_key,
            plaintext: vec![0x42; SMALL],
        })
    }

    fn message(&self) -> Result<Vec<u8>, BenchError> {
        prekey_message(
            &self.alice,
            self.bob_identity,
            self.one_time_key,
            &self.plaintext,
        )
    }
}

impl Routine for OlmOutbound {
    fn run(&mut self) -> Result<(), BenchError> {
        black_box(self.message()?);
        Ok(())
    }
}

/// Inbound session creation from a pre-key message's bytes. Each run uses up one of Bob's
/// one-time keys, so [`Routine::prepare`] (untimed) publishes one per run and has Alice build
/// a pre-key message to each.
pub struct OlmInbound {
    alice: Account,
    bob: Account,
    messages: Vec<Vec<u8>>,
    next: usize,
}

impl std::fmt::Debug for OlmInbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OlmInbound(..)")
    }
}

impl OlmInbound {
    /// Two fresh accounts.
    pub fn new() -> Self {
        Self {
            alice: Account::new(),
            bob: Account::new(),
            messages: Vec::new(),
            next: 0,
        }
    }
}

impl Default for OlmInbound {
    fn default() -> Self {
        Self::new()
    }
}

impl Routine for OlmInbound {
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let iters = usize::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        let keys = publish_one_time_keys(&mut self.bob, iters);
        if keys.len() != iters {
            return Err(BenchError::OlmNoOneTimeKey);
        }
        let bob_identity = self.bob.curve25519_key();
        self.messages = keys
            .into_iter()
            .map(|key| prekey_message(&self.alice, bob_identity, key, &[0x42; SMALL]))
            .collect::<Result<_, _>>()?;
        self.next = 0;
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let bytes = self
            .messages
            .get(self.next)
            .ok_or(BenchError::NotPrepared)?;
        self.next += 1;
        let message = PreKeyMessage::from_bytes(black_box(bytes))?;
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

/// Both sides of Olm session creation in one run: [`OlmOutbound`]'s run, then
/// [`OlmInbound`]'s on its message. [`Routine::prepare`] publishes one one-time key per run.
pub struct OlmBoth {
    alice: Account,
    bob: Account,
    keys: Vec<Curve25519PublicKey>,
}

impl std::fmt::Debug for OlmBoth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OlmBoth(..)")
    }
}

impl OlmBoth {
    /// Two fresh accounts.
    pub fn new() -> Self {
        Self {
            alice: Account::new(),
            bob: Account::new(),
            keys: Vec::new(),
        }
    }
}

impl Default for OlmBoth {
    fn default() -> Self {
        Self::new()
    }
}

impl Routine for OlmBoth {
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let iters = usize::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        self.keys = publish_one_time_keys(&mut self.bob, iters);
        if self.keys.len() != iters {
            return Err(BenchError::OlmNoOneTimeKey);
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let key = self.keys.pop().ok_or(BenchError::NotPrepared)?;
        let bytes = prekey_message(&self.alice, self.bob.curve25519_key(), key, &[0x42; SMALL])?;
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
        time_batch(&mut OlmOutbound::new().unwrap(), 3).unwrap();
        let mut inbound = OlmInbound::new();
        time_batch(&mut inbound, 3).unwrap();
        assert!(matches!(inbound.run(), Err(BenchError::NotPrepared)));
        time_batch(&mut inbound, 60).unwrap();
        let mut both = OlmBoth::new();
        time_batch(&mut both, 3).unwrap();
        assert!(matches!(both.run(), Err(BenchError::NotPrepared)));
        assert!(prekey_message_len(100).unwrap() > prekey_message_len(0).unwrap());
    }
}
