//! Sizes, not timed: wire overhead per message and persisted session size.
//!
//! | field | scenario |
//! | --- | --- |
//! | `sotto_wire_overhead_100` | established standard session: `Message::as_bytes().len() - 100` |
//! | `sotto_he_wire_overhead_100` | the same with `SessionConfig::header_encrypted()` |
//! | `vodozemac_wire_overhead_100` | established Olm v1 session, normal message: wire bytes - 100 |
//! | `sotto_pickle_100_each_way` | Alice's pickle after 100 rounds of Alice→Bob, Bob→Alice (no skipped keys) |
//! | `sotto_pickle_2000_skipped` | Bob's pickle after Alice sent 2001 messages and Bob decrypted only the last (2000 stored skipped keys) |
//! | `vodozemac_pickle_100_each_way` | Alice's `session.pickle().encrypt(&[0; 32]).len()`, same conversation; base64 text |
//! | `vodozemac_pickle_100_each_way_raw` | the same pickle base64-decoded, comparable to Sotto's binary pickle |
//! | `vodozemac_pickle_after_gap_2000` | Bob's encrypted pickle after the 2001-message scenario (Olm keeps at most 40 skipped keys per chain) |
//! | `bundle_x3dh` | an X3DH prekey bundle with a one-time prekey, as the relay hands it out |
//! | `bundle_x3dh_no_one_time` | an X3DH bundle of a device whose one-time prekeys ran out |
//! | `bundle_pqxdh` | a PQXDH bundle with a one-time prekey and a one-time ML-KEM prekey |
//! | `initial_message_x3dh_100` | X3DH initial message (one-time prekey used), 100-byte first plaintext, standard session |
//! | `initial_message_pqxdh_100` | the same in PQXDH |
//! | `vodozemac_prekey_message_100` | Olm v1 pre-key message starting a session, 100-byte plaintext: wire bytes |
//! | `sealed_overhead_100` | sealed-sender envelope of a 100-byte message: envelope bytes - padded message bytes (128) |
//! | `sealed_multi_received_overhead_100` | the envelope one recipient of a multi-recipient message receives (after the relay's split), the same difference |
//! | `sealed_multi_sent_per_extra_recipient` | the sent form of a multi-recipient message to 2 devices minus the one to 1 device: one entry |
//! | `sealed_multi_sent_overhead_1` | the sent form to 1 device minus the padded message |
//!
//! Every scenario checks its own premise (skipped-key count, a pickle that restores and still
//! decrypts) and fails with [`BenchError::Scenario`] if it does not hold.

use serde::Serialize;
use sotto_ratchet::{PickleKey, Session, SessionConfig};

use crate::BenchError;
use crate::conversation::{Duplex, SMALL};
use crate::olm::{self, OlmPair};
use crate::sealed::{self, SealedSizes};
use crate::setup::{self, SetupSizes};
use crate::sotto::SottoPair;

/// Messages each way in the "no skipped keys" pickle scenario.
pub const EACH_WAY: usize = 100;
/// Messages Alice sends in the skipped-keys scenario; Bob decrypts only the last.
pub const GAP_SENT: usize = 2001;

const SEED: u64 = 0x51_2e5;

/// All size measurements, in bytes (the skipped-key count is a count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sizes {
    /// Sotto (standard) message bytes minus plaintext bytes, 100-byte plaintext.
    pub sotto_wire_overhead_100: usize,
    /// Sotto (header encryption) message bytes minus plaintext bytes, 100-byte plaintext.
    pub sotto_he_wire_overhead_100: usize,
    /// vodozemac Olm v1 normal-message bytes minus plaintext bytes, 100-byte plaintext.
    pub vodozemac_wire_overhead_100: usize,
    /// Sotto pickle after 100 messages each way.
    pub sotto_pickle_100_each_way: usize,
    /// Sotto pickle holding 2000 skipped keys.
    pub sotto_pickle_2000_skipped: usize,
    /// Skipped keys Bob's Sotto session reported before pickling (2000 expected).
    pub sotto_skipped_key_count: usize,
    /// vodozemac encrypted session pickle after 100 messages each way (base64 text length).
    pub vodozemac_pickle_100_each_way: usize,
    /// The same pickle, base64-decoded.
    pub vodozemac_pickle_100_each_way_raw: usize,
    /// vodozemac encrypted session pickle (base64 text) after a 2000-message gap.
    pub vodozemac_pickle_after_gap_2000: usize,
    /// Sotto's bundles and initial messages (flattened into this object in JSON).
    #[serde(flatten)]
    pub setup: SetupSizes,
    /// vodozemac (Olm v1) pre-key message with a 100-byte plaintext.
    pub vodozemac_prekey_message_100: usize,
    /// Sealed-sender envelopes (flattened into this object in JSON).
    #[serde(flatten)]
    pub sealed: SealedSizes,
}

/// Message bytes minus plaintext bytes for a 100-byte plaintext on an established session.
pub fn sotto_wire_overhead(config: SessionConfig) -> Result<usize, BenchError> {
    let mut pair = SottoPair::established(config, SEED)?;
    let message = pair.encrypt(true, &[0u8; SMALL])?;
    Ok(message.as_bytes().len().saturating_sub(SMALL))
}

/// The same for vodozemac (a normal message; pre-key messages are larger).
pub fn vodozemac_wire_overhead() -> Result<usize, BenchError> {
    let mut pair = OlmPair::established()?;
    let message = pair.encrypt(true, &[0u8; SMALL])?;
    Ok(olm::wire_bytes(&message).len().saturating_sub(SMALL))
}

/// The context the size rows pickle under (its length is not part of the pickle).
const PICKLE_CONTEXT: &[u8] = b"sotto-bench sizes";

fn pickle_key() -> PickleKey {
    PickleKey::new([1u8; 32])
}

/// Pickles `session` with a fixed key and checks that it restores.
fn sotto_pickle(session: &Session, rng_seed: u64) -> Result<Vec<u8>, BenchError> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(rng_seed);
    let pickle = session.pickle(&pickle_key(), PICKLE_CONTEXT, &mut rng)?;
    Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, &pickle)?;
    Ok(pickle)
}

/// Alice's pickle after [`EACH_WAY`] messages in each direction, alternating.
pub fn sotto_pickle_each_way() -> Result<usize, BenchError> {
    let mut pair = SottoPair::fresh(SessionConfig::default(), SEED)?;
    for _ in 0..EACH_WAY {
        pair.transfer(true, &[0u8; SMALL])?;
        pair.transfer(false, &[0u8; SMALL])?;
    }
    let skipped = pair.alice.skipped_key_count();
    if skipped != 0 {
        return Err(BenchError::Scenario {
            what: "Alice's skipped keys",
            expected: 0,
            got: skipped,
        });
    }
    Ok(sotto_pickle(&pair.alice, SEED)?.len())
}

/// Bob's pickle holding `GAP_SENT - 1` skipped keys, and the count his session reported.
pub fn sotto_pickle_skipped() -> Result<(usize, usize), BenchError> {
    let mut pair = SottoPair::fresh(SessionConfig::default(), SEED)?;
    let first = pair.encrypt(true, &[0u8; SMALL])?;
    let mut last = None;
    for _ in 1..GAP_SENT {
        last = Some(pair.encrypt(true, &[0u8; SMALL])?);
    }
    let last = last.ok_or(BenchError::Scenario {
        what: "messages sent",
        expected: GAP_SENT,
        got: 1,
    })?;
    pair.bob.decrypt(&last)?;
    let skipped = pair.bob.skipped_key_count();
    if skipped != GAP_SENT - 1 {
        return Err(BenchError::Scenario {
            what: "Bob's skipped keys",
            expected: GAP_SENT - 1,
            got: skipped,
        });
    }
    let pickle = sotto_pickle(&pair.bob, SEED)?;
    // The restored session must still hold the skipped keys: the oldest one decrypts.
    let mut restored = Session::from_pickle(&pickle_key(), PICKLE_CONTEXT, &pickle)?;
    let plaintext = restored.decrypt(&first)?;
    if plaintext.len() != SMALL {
        return Err(BenchError::Mismatch {
            expected: SMALL,
            got: plaintext.len(),
        });
    }
    Ok((pickle.len(), skipped))
}

fn vodozemac_pickle(session: &vodozemac::olm::Session) -> String {
    session.pickle().encrypt(&[0u8; 32])
}

/// vodozemac: Alice's encrypted pickle after [`EACH_WAY`] messages each way (text length and
/// decoded length).
pub fn vodozemac_pickle_each_way() -> Result<(usize, usize), BenchError> {
    // Establishing already moved one message each way.
    let mut pair = OlmPair::established()?;
    for _ in 1..EACH_WAY {
        pair.transfer(true, &[0u8; SMALL])?;
        pair.transfer(false, &[0u8; SMALL])?;
    }
    let pickle = vodozemac_pickle(&pair.alice);
    let raw = vodozemac::base64_decode(&pickle)?;
    Ok((pickle.len(), raw.len()))
}

/// vodozemac: Bob's encrypted pickle after Alice sent [`GAP_SENT`] messages and Bob decrypted
/// only the last.
pub fn vodozemac_pickle_after_gap() -> Result<usize, BenchError> {
    let mut pair = OlmPair::established()?;
    let mut last = None;
    for _ in 0..GAP_SENT {
        last = Some(pair.encrypt(true, &[0u8; SMALL])?);
    }
    let last = last.ok_or(BenchError::Scenario {
        what: "messages sent",
        expected: GAP_SENT,
        got: 0,
    })?;
    pair.bob.decrypt(&last)?;
    Ok(vodozemac_pickle(&pair.bob).len())
}

/// Runs every size scenario.
pub fn measure() -> Result<Sizes, BenchError> {
    let (sotto_pickle_2000_skipped, sotto_skipped_key_count) = sotto_pickle_skipped()?;
    let (vodozemac_pickle_100_each_way, vodozemac_pickle_100_each_way_raw) =
        vodozemac_pickle_each_way()?;
    Ok(Sizes {
        sotto_wire_overhead_100: sotto_wire_overhead(SessionConfig::default())?,
        sotto_he_wire_overhead_100: sotto_wire_overhead(SessionConfig::header_encrypted())?,
        vodozemac_wire_overhead_100: vodozemac_wire_overhead()?,
        sotto_pickle_100_each_way: sotto_pickle_each_way()?,
        sotto_pickle_2000_skipped,
        sotto_skipped_key_count,
        vodozemac_pickle_100_each_way,
        vodozemac_pickle_100_each_way_raw,
        vodozemac_pickle_after_gap_2000: vodozemac_pickle_after_gap()?,
        setup: setup::sizes()?,
        vodozemac_prekey_message_100: olm::prekey_message_len(SMALL)?,
        sealed: sealed::sizes()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_scenarios_hold() {
        let sizes = measure().unwrap();
        assert_eq!(sizes.sotto_skipped_key_count, GAP_SENT - 1);
        assert_eq!(
            sizes.sotto_wire_overhead_100,
            sotto_ratchet::STANDARD_OVERHEAD
        );
        assert_eq!(
            sizes.sotto_he_wire_overhead_100,
            sotto_ratchet::HEADER_ENCRYPTED_OVERHEAD
        );
        assert!(sizes.sotto_pickle_2000_skipped > sizes.sotto_pickle_100_each_way);
        assert!(sizes.vodozemac_pickle_100_each_way > sizes.vodozemac_pickle_100_each_way_raw);
        assert_eq!(sizes.setup.initial_message_pqxdh_100, 1356);
        assert!(sizes.vodozemac_prekey_message_100 > SMALL + sizes.vodozemac_wire_overhead_100);
        assert_eq!(
            sizes.sealed.sealed_overhead_100,
            sotto_sealed::envelope::OVERHEAD
        );
    }
}
