//! Sotto's session-setup rows: `sotto_handshake` driven through its public API, from the bytes
//! a relay hands out to the session and first plaintext, as a device would run it.
//!
//! | routine | what one run does |
//! | --- | --- |
//! | [`BundleVerify`] | `PrekeyBundle::from_bytes` + `verify` |
//! | [`Initiator`] | `PrekeyBundle::from_bytes` + `verify` + `initiate` (100-byte first plaintext) + `InitialMessage::to_bytes` |
//! | [`Responder`] | `InitialMessage::from_bytes` + `respond` against an [`InMemoryPrekeyStore`] |
//! | [`LastResortBoth`] | both sides in PQXDH, like for like with libsignal: [`Initiator`]'s run, then [`Responder`]'s, to a bundle without a one-time prekey, carrying the last-resort ML-KEM prekey |
//!
//! Every bundle carries a one-time prekey (four DHs, the common case) and, in PQXDH, a
//! one-time ML-KEM prekey; the responder's store follows the default [`PrekeyPolicy`] (100
//! one-time prekeys, 20 one-time ML-KEM prekeys) unless a batch needs more. The session kind
//! is the standard one (`HandshakeConfig::default()`; PQXDH rows also require post-quantum).
//!
//! The responder deletes the one-time prekeys a message used and records its ephemeral key
//! against replays, so every run needs an initial message of its own to an unused one-time
//! prekey. [`Responder`]'s `prepare` (untimed) therefore tops the store up with
//! `InMemoryPrekeyStore::replenish`, takes one bundle per run off its published prekeys as a
//! relay would, and has the initiator build one initial message from each. The replay record
//! keeps growing over a run, as it does on a device between signed-prekey rotations.

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, InitialMessage, KemPrekeyKind, Mode,
    PostQuantum, PrekeyBundle, PrekeyPolicy, initiate, respond,
};

use crate::BenchError;
use crate::conversation::SMALL;
use crate::timing::Routine;

/// The clock the stores are created at (seconds since the Unix epoch; nothing expires).
const NOW: u64 = 1_700_000_000;

/// The handshake options of `mode`: standard session kind, default limits, and PQXDH required
/// in the PQXDH rows.
pub fn handshake_config(mode: Mode) -> HandshakeConfig {
    match mode {
        Mode::X3dh => HandshakeConfig::default(),
        Mode::Pqxdh => HandshakeConfig::default().post_quantum_only(),
    }
}

/// The default prekey policy, publishing ML-KEM prekeys in PQXDH only, with at least
/// `one_time` one-time prekeys of each kind.
pub fn policy(mode: Mode, one_time: u32) -> PrekeyPolicy {
    let default = PrekeyPolicy::default();
    let post_quantum = match mode {
        Mode::X3dh => PostQuantum::Absent,
        Mode::Pqxdh => PostQuantum::Offered,
    };
    PrekeyPolicy {
        post_quantum,
        one_time_prekeys: one_time.max(default.one_time_prekeys),
        kem_one_time_prekeys: one_time.max(default.kem_one_time_prekeys),
        ..default
    }
}

/// Alice (initiator) and Bob (responder, with his prekey store), and the generator both draw
/// from.
pub struct Devices {
    /// The initiator's identity.
    pub alice: DeviceIdentity,
    /// The responder's prekeys.
    pub bob: InMemoryPrekeyStore,
    /// Draws for key generation and the initiator's handshakes.
    pub rng: StdRng,
    mode: Mode,
}

impl std::fmt::Debug for Devices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devices")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Devices {
    /// Two fresh devices; Bob's store follows `policy(mode, one_time)`.
    pub fn new(mode: Mode, one_time: u32, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let alice = DeviceIdentity::generate(&mut rng);
        let bob = InMemoryPrekeyStore::new(
            DeviceIdentity::generate(&mut rng),
            policy(mode, one_time),
            NOW,
            &mut rng,
        );
        Self {
            alice,
            bob,
            rng,
            mode,
        }
    }

    /// The key agreement the devices run.
    pub const fn mode(&self) -> Mode {
        self.mode
    }

    /// `count` bundles as a relay hands them out, each with its own one-time prekey (and
    /// one-time ML-KEM prekey in PQXDH). Fails if the store has too few unused ones.
    pub fn bundles(&self, count: usize) -> Result<Vec<PrekeyBundle>, BenchError> {
        let mut published = self
            .bob
            .published()
            .ok_or(BenchError::SetupScenario("the store has no signed prekey"))?;
        (0..count)
            .map(|_| {
                let bundle = published.take_bundle();
                check_bundle(&bundle, self.mode)?;
                Ok(bundle)
            })
            .collect()
    }

    /// Alice's initial message bytes, from a bundle as bytes, with a `SMALL`-byte first
    /// plaintext: what [`Initiator`] times.
    pub fn initial_message(&mut self, bundle: &[u8]) -> Result<Vec<u8>, BenchError> {
        initial_message(
            &self.alice,
            bundle,
            &[0x42; SMALL],
            &handshake_config(self.mode),
            self.mode,
            &mut self.rng,
        )
    }
}

/// Checks that a bundle carries what the measured scenario says: a one-time prekey, and a
/// one-time ML-KEM prekey exactly in PQXDH.
fn check_bundle(bundle: &PrekeyBundle, mode: Mode) -> Result<(), BenchError> {
    if bundle.one_time_prekey().is_none() {
        return Err(BenchError::SetupScenario(
            "bundle without a one-time prekey",
        ));
    }
    let expected_kem = match mode {
        Mode::X3dh => None,
        Mode::Pqxdh => Some(KemPrekeyKind::OneTime),
    };
    if bundle.kem_prekey().map(|k| k.kind) != expected_kem {
        return Err(BenchError::SetupScenario(
            "bundle with the wrong ML-KEM prekey",
        ));
    }
    Ok(())
}

fn expect_mode(got: Mode, expected: Mode) -> Result<(), BenchError> {
    if got == expected {
        Ok(())
    } else {
        Err(BenchError::SetupScenario(
            "the handshake ran in the other mode",
        ))
    }
}

/// The initiator's whole side: bundle bytes in, initial message bytes out.
fn initial_message(
    alice: &DeviceIdentity,
    bundle: &[u8],
    plaintext: &[u8],
    config: &HandshakeConfig,
    mode: Mode,
    rng: &mut StdRng,
) -> Result<Vec<u8>, BenchError> {
    let bundle = PrekeyBundle::from_bytes(bundle)?.verify()?;
    let sent = initiate(alice, &bundle, plaintext, config, rng)?;
    expect_mode(sent.mode, mode)?;
    Ok(sent.message.to_bytes())
}

/// Decoding and verifying a bundle: the initiator's first step, timed alone.
#[derive(Debug)]
pub struct BundleVerify {
    bundle: Vec<u8>,
    mode: Mode,
}

impl BundleVerify {
    /// A bundle of `mode` with a one-time prekey.
    pub fn new(mode: Mode, seed: u64) -> Result<Self, BenchError> {
        let devices = Devices::new(mode, 0, seed);
        let bundle = devices.bundles(1)?.remove(0).to_bytes();
        Ok(Self { bundle, mode })
    }
}

impl Routine for BundleVerify {
    fn run(&mut self) -> Result<(), BenchError> {
        let verified = PrekeyBundle::from_bytes(black_box(&self.bundle))?.verify()?;
        if verified.bundle().kem_prekey().is_some() != (self.mode == Mode::Pqxdh) {
            return Err(BenchError::SetupScenario(
                "bundle with the wrong ML-KEM prekey",
            ));
        }
        black_box(verified);
        Ok(())
    }
}

/// The initiator: the same bundle bytes every run (the initiator consumes nothing; each run
/// draws a fresh ephemeral key, ML-KEM message and ratchet key).
#[derive(Debug)]
pub struct Initiator {
    devices: Devices,
    bundle: Vec<u8>,
}

impl Initiator {
    /// Alice and a bundle of Bob's with a one-time prekey.
    pub fn new(mode: Mode, seed: u64) -> Result<Self, BenchError> {
        let devices = Devices::new(mode, 0, seed);
        let bundle = devices.bundles(1)?.remove(0).to_bytes();
        Ok(Self { devices, bundle })
    }
}

impl Routine for Initiator {
    fn run(&mut self) -> Result<(), BenchError> {
        let message = self.devices.initial_message(black_box(&self.bundle))?;
        black_box(message);
        Ok(())
    }
}

/// The responder: each run answers an initial message of its own, prepared untimed.
#[derive(Debug)]
pub struct Responder {
    devices: Devices,
    seed: u64,
    config: HandshakeConfig,
    /// One-time prekeys a batch may use: the fewer of the two kinds the store's policy keeps.
    capacity: usize,
    messages: Vec<Vec<u8>>,
    next: usize,
}

impl Responder {
    /// Alice and Bob with a store of the default policy.
    pub fn new(mode: Mode, seed: u64) -> Result<Self, BenchError> {
        let devices = Devices::new(mode, 0, seed);
        let default = policy(mode, 0);
        let capacity = usize::try_from(default.one_time_prekeys.min(default.kem_one_time_prekeys))
            .map_err(|_| BenchError::NotPrepared)?;
        Ok(Self {
            devices,
            seed,
            config: handshake_config(mode),
            capacity,
            messages: Vec::new(),
            next: 0,
        })
    }
}

impl Routine for Responder {
    /// Tops Bob's one-time prekeys up (a new store with a larger policy if the batch needs
    /// more than it keeps), then builds one initial message per run.
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let iters = usize::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        if iters > self.capacity {
            self.capacity = iters.max(2 * self.capacity);
            let one_time = u32::try_from(self.capacity).map_err(|_| BenchError::NotPrepared)?;
            self.seed = self.seed.wrapping_add(1);
            self.devices = Devices::new(self.devices.mode(), one_time, self.seed);
        } else {
            drop(self.devices.bob.replenish(&mut self.devices.rng));
        }
        self.messages.clear();
        self.next = 0;
        for bundle in self.devices.bundles(iters)? {
            let message = self.devices.initial_message(&bundle.to_bytes())?;
            self.messages.push(message);
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let bytes = self
            .messages
            .get(self.next)
            .ok_or(BenchError::NotPrepared)?;
        self.next += 1;
        let initial = InitialMessage::from_bytes(black_box(bytes))?;
        let got = respond(&mut self.devices.bob, &initial, &self.config)?;
        expect_mode(got.mode, self.devices.mode())?;
        if got.plaintext.len() != SMALL {
            return Err(BenchError::Mismatch {
                expected: SMALL,
                got: got.plaintext.len(),
            });
        }
        drop(black_box(got));
        Ok(())
    }
}

/// Both sides of a PQXDH session setup to a bundle with neither a one-time X25519 prekey nor
/// a one-time ML-KEM prekey (the last-resort ML-KEM prekey), the comparison libsignal's
/// both-sides PQXDH number was measured on. Nothing is consumed, so every run answers a fresh
/// initial message to the same bundle; the replay record grows by one tag per run.
#[derive(Debug)]
pub struct LastResortBoth {
    devices: Devices,
    bundle: Vec<u8>,
    config: HandshakeConfig,
}

impl LastResortBoth {
    /// Alice, and Bob publishing no one-time prekeys of either kind.
    pub fn new(seed: u64) -> Result<Self, BenchError> {
        let mut rng = StdRng::seed_from_u64(seed);
        let alice = DeviceIdentity::generate(&mut rng);
        let policy = PrekeyPolicy {
            one_time_prekeys: 0,
            kem_one_time_prekeys: 0,
            ..policy(Mode::Pqxdh, 0)
        };
        let bob =
            InMemoryPrekeyStore::new(DeviceIdentity::generate(&mut rng), policy, NOW, &mut rng);
        let devices = Devices {
            alice,
            bob,
            rng,
            mode: Mode::Pqxdh,
        };
        let bundle = devices
            .bob
            .published()
            .ok_or(BenchError::SetupScenario("the store has no signed prekey"))?
            .take_bundle();
        if bundle.one_time_prekey().is_some()
            || bundle.kem_prekey().map(|k| k.kind) != Some(KemPrekeyKind::LastResort)
        {
            return Err(BenchError::SetupScenario(
                "bundle is not signed prekey + last-resort ML-KEM prekey",
            ));
        }
        Ok(Self {
            devices,
            bundle: bundle.to_bytes(),
            config: handshake_config(Mode::Pqxdh),
        })
    }
}

impl Routine for LastResortBoth {
    fn run(&mut self) -> Result<(), BenchError> {
        let message = self.devices.initial_message(black_box(&self.bundle))?;
        let initial = InitialMessage::from_bytes(black_box(&message))?;
        let got = respond(&mut self.devices.bob, &initial, &self.config)?;
        expect_mode(got.mode, Mode::Pqxdh)?;
        if got.plaintext.len() != SMALL {
            return Err(BenchError::Mismatch {
                expected: SMALL,
                got: got.plaintext.len(),
            });
        }
        drop(black_box(got));
        Ok(())
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

/// Bundle and initial message bytes of `mode` (with a one-time prekey); checks that Bob
/// accepts the message.
fn sizes_of(mode: Mode, seed: u64) -> Result<(usize, usize), BenchError> {
    let mut devices = Devices::new(mode, 0, seed);
    let bundle = devices.bundles(1)?.remove(0).to_bytes();
    let message = devices.initial_message(&bundle)?;
    let got = respond(
        &mut devices.bob,
        &InitialMessage::from_bytes(&message)?,
        &handshake_config(mode),
    )?;
    if got.plaintext.len() != SMALL {
        return Err(BenchError::Mismatch {
            expected: SMALL,
            got: got.plaintext.len(),
        });
    }
    Ok((bundle.len(), message.len()))
}

/// Measures [`SetupSizes`].
pub fn sizes(seed: u64) -> Result<SetupSizes, BenchError> {
    let (bundle_x3dh, initial_message_x3dh_100) = sizes_of(Mode::X3dh, seed)?;
    let (bundle_pqxdh, initial_message_pqxdh_100) = sizes_of(Mode::Pqxdh, seed)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let no_one_time = PrekeyPolicy {
        one_time_prekeys: 0,
        ..policy(Mode::X3dh, 0)
    };
    let store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut rng),
        no_one_time,
        NOW,
        &mut rng,
    );
    let bundle = store
        .published()
        .ok_or(BenchError::SetupScenario("the store has no signed prekey"))?
        .take_bundle();
    if bundle.one_time_prekey().is_some() || bundle.kem_prekey().is_some() {
        return Err(BenchError::SetupScenario("bundle with optional prekeys"));
    }
    Ok(SetupSizes {
        bundle_x3dh,
        bundle_x3dh_no_one_time: bundle.to_bytes().len(),
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
            time_batch(&mut BundleVerify::new(mode, 1).unwrap(), 3).unwrap();
            time_batch(&mut Initiator::new(mode, 1).unwrap(), 3).unwrap();
            let mut responder = Responder::new(mode, 1).unwrap();
            time_batch(&mut responder, 3).unwrap();
            // A run past the prepared batch is an error, not a replay.
            assert!(matches!(responder.run(), Err(BenchError::NotPrepared)));
            // Batches beyond the store's one-time prekeys get a larger store.
            time_batch(&mut responder, 45).unwrap();
            assert!(responder.capacity >= 45);
            time_batch(&mut responder, 2).unwrap();
        }
        time_batch(&mut LastResortBoth::new(1).unwrap(), 3).unwrap();
    }

    #[test]
    fn a_replayed_initial_message_is_refused() {
        let mut responder = Responder::new(Mode::X3dh, 2).unwrap();
        responder.prepare(1).unwrap();
        responder.run().unwrap();
        responder.next = 0;
        assert!(matches!(responder.run(), Err(BenchError::Handshake(_))));
    }

    #[test]
    fn sizes_match_the_protocol() {
        let s = sizes(3).unwrap();
        assert_eq!(s.bundle_x3dh_no_one_time, sotto_handshake::BUNDLE_MIN_LEN);
        // The one-time prekey's presence byte is part of the minimum.
        assert_eq!(s.bundle_x3dh, sotto_handshake::BUNDLE_MIN_LEN + 36);
        assert_eq!(s.bundle_pqxdh, sotto_handshake::BUNDLE_MAX_LEN);
        // docs/protocol.md section 7.5.
        assert_eq!(s.initial_message_x3dh_100, 263);
        assert_eq!(s.initial_message_pqxdh_100, 1356);
    }
}
