//! The vodozemac peer: two Olm v1 sessions (`SessionConfig::version_1()`, AES-256-CBC with
//! HMAC-SHA256 truncated to 8 bytes, as deployed in Matrix).
//!
//! Setup follows Olm: Bob publishes a one-time key, Alice creates an outbound session and
//! sends a pre-key message, Bob creates the inbound session from it and replies. From then on
//! both sides send normal messages, which is what every timed row measures.

use vodozemac::olm::{Account, OlmMessage, Session, SessionConfig};

use crate::BenchError;
use crate::conversation::Duplex;

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
}
