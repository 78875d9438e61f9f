//! Sotto's session-setup rows: `sotto_handshake` driven through its public API, from the bytes
//! a relay hands out to the session and first plaintext, as a device would run it.
//!
//! | routine | what one run does |
//! | --- | --- |
//! | [`bundle_verify`] | `PrekeyBundle::from_bytes` + `verify` |
//! | [`initiator`] | `PrekeyBundle::from_bytes` + `verify` + `initiate` (100-byte first plaintext) + `InitialMessage::to_bytes` |
//! | [`Responder`] | `InitialMessage::from_bytes` + `respond` against an [`InMemoryPrekeyStore`] |
//! | [`last_resort_both`] | both sides in PQXDH: the initiator's run, then the responder's, to a bundle of [`Prekeys::LongTerm`] |
//!
//! The bundles of the one-sided rows carry a one-time prekey (four DHs, the common case) and,
//! in PQXDH, a one-time ML-KEM prekey. The session kind is the standard one
//! (`HandshakeConfig::default()`; PQXDH rows also require post-quantum).
//!
//! The responder deletes the one-time prekeys a message used and records it against replays,
//! so every run needs an initial message of its own to an unused one-time prekey:
//! [`Responder`]'s `prepare` (untimed) builds a store with enough of them, takes one bundle
//! per run off its published prekeys as a relay would, and has the initiator build one
//! initial message from each.

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, InitialMessage, KemPrekeyKind, Mode,
    PostQuantum, PrekeyBundle, PrekeyPolicy, initiate, respond,
};

use crate::BenchError;
use crate::conversation::{SEED, SMALL};
use crate::timing::{Routine, routine};

/// The clock the stores are created at (seconds since the Unix epoch; nothing expires).
const NOW: u64 = 1_700_000_000;

/// The prekeys Bob's bundles carry besides his identity and signed prekey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prekeys {
    /// A one-time prekey, and in PQXDH a one-time ML-KEM prekey.
    OneTime,
    /// No one-time prekey; in PQXDH the last-resort ML-KEM prekey (libsignal's like-for-like
    /// case).
    LongTerm,
}

/// Alice (initiator) and Bob (responder, with his prekey store), and the generator both draw
/// from.
pub struct Devices {
    alice: DeviceIdentity,
    bob: InMemoryPrekeyStore,
    rng: StdRng,
    mode: Mode,
    prekeys: Prekeys,
    config: HandshakeConfig,
}

impl Devices {
    /// Two fresh devices; Bob publishes `prekeys`, with at least `one_time` one-time prekeys of
    /// each kind (and the default policy's number) for [`Prekeys::OneTime`].
    pub fn new(mode: Mode, prekeys: Prekeys, one_time: u32, seed: u64) -> Self {
        let default = PrekeyPolicy::default();
        let (one_time_prekeys, kem_one_time_prekeys) = match prekeys {
            Prekeys::OneTime => (
                one_time.max(default.one_time_prekeys),
                one_time.max(default.kem_one_time_prekeys),
            ),
            Prekeys::LongTerm => (0, 0),
        };
        let (post_quantum, config) = match mode {
            Mode::X3dh => (PostQuantum::Absent, HandshakeConfig::default()),
            Mode::Pqxdh => (
                PostQuantum::Offered,
                HandshakeConfig::default().post_quantum_only(),
            ),
        };
        let policy = PrekeyPolicy {
            post_quantum,
            one_time_prekeys,
            kem_one_time_prekeys,
            ..default
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let alice = DeviceIdentity::generate(&mut rng);
        let bob =
            InMemoryPrekeyStore::new(DeviceIdentity::generate(&mut rng), policy, NOW, &mut rng);
        Self {
            alice,
            bob,
            rng,
            mode,
            prekeys,
            config,
        }
    }

    /// `count` bundles as a relay hands them out, as bytes, each checked to carry what the
    /// scenario says. Fails if the store has too few unused one-time prekeys.
    pub fn bundles(&self, count: usize) -> Result<Vec<Vec<u8>>, BenchError> {
        let mut published = self
            .bob
            .published()
            .ok_or(BenchError::SetupScenario("the store has no signed prekey"))?;
        let kem = match (self.mode, self.prekeys) {
            (Mode::X3dh, _) => None,
            (Mode::Pqxdh, Prekeys::OneTime) => Some(KemPrekeyKind::OneTime),
            (Mode::Pqxdh, Prekeys::LongTerm) => Some(KemPrekeyKind::LastResort),
        };
        (0..count)
            .map(|_| {
                let bundle: PrekeyBundle = published.take_bundle();
                if bundle.one_time_prekey().is_some() != (self.prekeys == Prekeys::OneTime)
                    || bundle.kem_prekey().map(|k| k.kind()) != kem
                {
                    return Err(BenchError::SetupScenario("bundle with the wrong prekeys"));
                }
                Ok(bundle.to_bytes())
            })
            .collect()
    }

    /// The initiator's whole side: bundle bytes in, initial message bytes out, with a
    /// [`SMALL`]-byte first plaintext.
    pub fn initial_message(&mut self, bundle: &[u8]) -> Result<Vec<u8>, BenchError> {
        let bundle = PrekeyBundle::from_bytes(bundle)?.verify()?;
        // The initiator expects the device the bundle names (trust on first use): the same
        // 64-byte comparison (HS-11) as against a pinned identity.
        let expected = *bundle.bundle().identity();
        let sent = initiate(
            &self.alice,
            &bundle,
            &expected,
            &[0x42; SMALL],
            &self.config,
            &mut self.rng,
        )?;
        self.expect_mode(sent.mode)?;
        Ok(sent.message.to_bytes())
    }

    /// The responder's whole side: initial message bytes in, session and first plaintext out.
    pub fn respond(&mut self, message: &[u8]) -> Result<(), BenchError> {
        let initial = InitialMessage::from_bytes(message)?;
        let got = respond(&mut self.bob, &initial, &self.alice.public(), &self.config)?;
        self.expect_mode(got.mode)?;
        if got.plaintext.len() != SMALL {
            return Err(BenchError::Mismatch {
                expected: SMALL,
                got: got.plaintext.len(),
            });
        }
        drop(black_box(got));
        Ok(())
    }

    fn expect_mode(&self, got: Mode) -> Result<(), BenchError> {
        if got == self.mode {
            Ok(())
        } else {
            Err(BenchError::SetupScenario(
                "the handshake ran in the other mode",
            ))
        }
    }
}

/// Decoding and verifying a bundle with one-time prekeys: the initiator's first step, alone.
pub fn bundle_verify(mode: Mode) -> Result<Box<dyn Routine>, BenchError> {
    let bundle = Devices::new(mode, Prekeys::OneTime, 0, SEED).bundles(1)?;
    routine((bundle, mode), |(bundle, mode)| {
        let verified = PrekeyBundle::from_bytes(black_box(&bundle[0]))?.verify()?;
        if verified.bundle().kem_prekey().is_some() != (*mode == Mode::Pqxdh) {
            return Err(BenchError::SetupScenario(
                "bundle with the wrong ML-KEM prekey",
            ));
        }
        black_box(verified);
        Ok(())
    })
}

/// The initiator, to the same bundle every run (the initiator consumes nothing; each run draws
/// a fresh ephemeral key, ML-KEM message and ratchet key).
pub fn initiator(mode: Mode) -> Result<Box<dyn Routine>, BenchError> {
    let devices = Devices::new(mode, Prekeys::OneTime, 0, SEED);
    let bundle = devices.bundles(1)?;
    routine((devices, bundle), |(devices, bundle)| {
        black_box(devices.initial_message(black_box(&bundle[0]))?);
        Ok(())
    })
}

/// Both sides to a bundle of [`Prekeys::LongTerm`] in PQXDH: the initiator's run, then the
/// responder's on its message. Nothing is consumed, so every run answers a fresh initial
/// message to the same bundle; the replay record grows by one entry per run.
pub fn last_resort_both() -> Result<Box<dyn Routine>, BenchError> {
    let devices = Devices::new(Mode::Pqxdh, Prekeys::LongTerm, 0, SEED);
    let bundle = devices.bundles(1)?;
    routine((devices, bundle), |(devices, bundle)| {
        let message = devices.initial_message(black_box(&bundle[0]))?;
        devices.respond(black_box(&message))
    })
}

/// The responder: each run answers an initial message of its own, prepared untimed.
pub struct Responder {
    devices: Devices,
    seed: u64,
    messages: Vec<Vec<u8>>,
}

impl Responder {
    /// Alice and Bob with a store of the default policy.
    pub fn new(mode: Mode) -> Self {
        Self {
            devices: Devices::new(mode, Prekeys::OneTime, 0, SEED),
            seed: SEED,
            messages: Vec::new(),
        }
    }
}

impl Routine for Responder {
    /// A fresh store with at least `iters` one-time prekeys of each kind, and one initial
    /// message per run.
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let count = u32::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        self.seed = self.seed.wrapping_add(1);
        self.devices = Devices::new(self.devices.mode, Prekeys::OneTime, count, self.seed);
        self.messages = self
            .devices
            .bundles(count as usize)?
            .iter()
            .map(|bundle| self.devices.initial_message(bundle))
            .collect::<Result<_, _>>()?;
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let message = self.messages.pop().ok_or(BenchError::NotPrepared)?;
        self.devices.respond(black_box(&message))
    }
}

/// Sizes of session setup's wire formats, in bytes (part of [`crate::sizes::Sizes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SetupSizes {
    /// An X3DH bundle with a one-time prekey.
    pub bundle_x3dh: usize,
    /// An X3DH bundle without one (the device ran out).
    pub bundle_x3dh_no_one_time: usize,
    /// A PQXDH bundle with a one-time prekey and a one-time ML-KEM prekey.
    pub bundle_pqxdh: usize,
    /// An X3DH initial message (one-time prekey used) carrying a 100-byte first plaintext.
    pub initial_message_x3dh_100: usize,
    /// The same in PQXDH.
    pub initial_message_pqxdh_100: usize,
}

/// Bundle and initial message bytes of `mode` and `prekeys`; checks that Bob accepts it.
fn sizes_of(mode: Mode, prekeys: Prekeys) -> Result<(usize, usize), BenchError> {
    let mut devices = Devices::new(mode, prekeys, 0, SEED);
    let bundle = devices.bundles(1)?.remove(0);
    let message = devices.initial_message(&bundle)?;
    devices.respond(&message)?;
    Ok((bundle.len(), message.len()))
}

/// Measures [`SetupSizes`].
pub fn sizes() -> Result<SetupSizes, BenchError> {
    let (bundle_x3dh, initial_message_x3dh_100) = sizes_of(Mode::X3dh, Prekeys::OneTime)?;
    let (bundle_pqxdh, initial_message_pqxdh_100) = sizes_of(Mode::Pqxdh, Prekeys::OneTime)?;
    let (bundle_x3dh_no_one_time, _) = sizes_of(Mode::X3dh, Prekeys::LongTerm)?;
    Ok(SetupSizes {
        bundle_x3dh,
        bundle_x3dh_no_one_time,
        bundle_pqxdh,
        initial_message_x3dh_100,
        initial_message_pqxdh_100,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::time_batch;

    #[test]
    fn setup_routines_run_in_both_modes() {
        for mode in [Mode::X3dh, Mode::Pqxdh] {
            time_batch(bundle_verify(mode).unwrap().as_mut(), 3).unwrap();
            time_batch(initiator(mode).unwrap().as_mut(), 3).unwrap();
            let mut responder = Responder::new(mode);
            time_batch(&mut responder, 3).unwrap();
            // A run past the prepared batch is an error, not a replay.
            assert!(matches!(responder.run(), Err(BenchError::NotPrepared)));
            // Batches beyond the default policy's one-time prekeys get a larger store.
            time_batch(&mut responder, 45).unwrap();
        }
        time_batch(last_resort_both().unwrap().as_mut(), 3).unwrap();
    }

    #[test]
    fn a_replayed_initial_message_is_refused() {
        for prekeys in [Prekeys::OneTime, Prekeys::LongTerm] {
            let mut devices = Devices::new(Mode::Pqxdh, prekeys, 0, 2);
            let bundle = devices.bundles(1).unwrap().remove(0);
            let message = devices.initial_message(&bundle).unwrap();
            devices.respond(&message).unwrap();
            assert!(matches!(
                devices.respond(&message),
                Err(BenchError::Handshake(_))
            ));
        }
    }

    #[test]
    fn sizes_match_the_protocol() {
        let s = sizes().unwrap();
        assert_eq!(s.bundle_x3dh_no_one_time, sotto_handshake::BUNDLE_MIN_LEN);
        // The one-time prekey's presence byte is part of the minimum.
        assert_eq!(s.bundle_x3dh, sotto_handshake::BUNDLE_MIN_LEN + 36);
        assert_eq!(s.bundle_pqxdh, sotto_handshake::BUNDLE_MAX_LEN);
        // docs/protocol.md section 7.5.
        assert_eq!(s.initial_message_x3dh_100, 263);
        assert_eq!(s.initial_message_pqxdh_100, 1356);
    }
}
