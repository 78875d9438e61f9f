//! Device rows (sotto-devices): verifying a signed device list, fanning one message out to
//! several devices, deriving a safety number.

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_devices::safety::SafetyNumber;
use sotto_devices::sessions::DeviceSessions;
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, FanOut, SignedDeviceList};
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, PrekeyPolicy, initiate, respond,
};
use sotto_ratchet::{Message, Session};

use crate::BenchError;
use crate::conversation::SEED;
use crate::timing::{Routine, routine};

/// Length of the message a device list of `devices` devices signs: the label (19 bytes), the
/// 67-byte header and 68 bytes per device (protocol.md 8.1).
#[must_use]
pub const fn signed_len(devices: usize) -> usize {
    19 + 67 + 68 * devices
}

/// `SignedDeviceList::from_bytes` on a list of `devices` devices: decoding, the account key
/// and every device identity, and the signature.
pub fn device_list_verify(devices: usize) -> Result<Box<dyn Routine>, BenchError> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let key = AccountKey::generate(&mut rng);
    let entries = (1..=devices)
        .map(|i| {
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            DeviceEntry::new(id, DeviceIdentity::generate(&mut rng).public())
        })
        .collect();
    let bytes = DeviceList::new(AccountId::generate(&mut rng), 1, 0, entries)?
        .sign(&key)
        .as_bytes()
        .to_vec();
    routine((bytes, devices), |(bytes, devices)| {
        let list = SignedDeviceList::from_bytes(black_box(bytes))?;
        if list.list().devices().len() != *devices {
            return Err(BenchError::SetupScenario(
                "device list with the wrong devices",
            ));
        }
        black_box(list);
        Ok(())
    })
}

/// The plaintext of the fan-out rows.
const FAN_OUT_PLAINTEXT: [u8; 100] = [0x42; 100];

/// Sessions from one device to `devices` peer devices, each past its setup: the peer
/// answered once, so messages are plain ratchet messages (tag `0x11`), as in a conversation.
fn established_sessions(devices: usize) -> Result<(StdRng, Vec<DeviceSessions>), BenchError> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let config = HandshakeConfig::default();
    let sender = DeviceIdentity::generate(&mut rng);
    let mut out = Vec::with_capacity(devices);
    for _ in 0..devices {
        let peer = DeviceIdentity::generate(&mut rng);
        let policy = PrekeyPolicy {
            one_time_prekeys: 1,
            kem_one_time_prekeys: 0,
            ..PrekeyPolicy::default()
        };
        let mut store = InMemoryPrekeyStore::new(peer, policy, 0, &mut rng);
        let mut published = store
            .published()
            .ok_or(BenchError::SetupScenario("no published prekeys"))?;
        let bundle = published.take_bundle().verify()?;
        let expected = *bundle.bundle().identity();
        let initiation = initiate(&sender, &bundle, &expected, b"hello", &config, &mut rng)?;
        let initial = initiation.message.clone();
        let mut sessions = DeviceSessions::new();
        let _first = sessions.install_initiated(initiation);
        let mut response = respond(&mut store, &initial, &sender.public(), &config)?;
        let reply = response.session.encrypt(b"reply", &mut rng)?;
        sessions.decrypt(&reply)?;
        if sessions.has_pending_setup() {
            return Err(BenchError::SetupScenario(
                "setup still pending after a reply",
            ));
        }
        out.push(sessions);
    }
    Ok((rng, out))
}

/// One 100-byte message to `devices` devices with established sessions: one ratchet
/// encryption per device and the fan-out's encoding (protocol.md 8.5), what
/// `Device::encrypt` does before it writes the sessions to the store.
pub fn fan_out(devices: usize) -> Result<Box<dyn Routine>, BenchError> {
    let (rng, sessions) = established_sessions(devices)?;
    let account = AccountId::from_bytes([7; 16]);
    routine((rng, sessions, account), |(rng, sessions, account)| {
        let mut entries = Vec::with_capacity(sessions.len());
        for (i, s) in sessions.iter_mut().enumerate() {
            let id = u32::try_from(i + 1).unwrap_or(u32::MAX);
            entries.push((id, s.encrypt(black_box(&FAN_OUT_PLAINTEXT), rng)?));
        }
        let bytes = FanOut::new(*account, entries)?.to_bytes();
        black_box(bytes);
        Ok(())
    })
}

/// One ratchet encryption of 100 bytes on an established session: the unit the fan-out's
/// cost per extra device is compared with.
pub fn ratchet_encrypt() -> Result<Box<dyn Routine>, BenchError> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let config = HandshakeConfig::default();
    let sender = DeviceIdentity::generate(&mut rng);
    let peer = DeviceIdentity::generate(&mut rng);
    let mut store = InMemoryPrekeyStore::new(peer, PrekeyPolicy::default(), 0, &mut rng);
    let bundle = store
        .published()
        .ok_or(BenchError::SetupScenario("no published prekeys"))?
        .take_bundle()
        .verify()?;
    let expected = *bundle.bundle().identity();
    let initiation = initiate(&sender, &bundle, &expected, b"hello", &config, &mut rng)?;
    let mut response = respond(&mut store, &initiation.message, &sender.public(), &config)?;
    let mut session: Session = initiation.session;
    let reply: Message = response.session.encrypt(b"reply", &mut rng)?;
    session.decrypt(&reply)?;
    routine((rng, session), |(rng, session)| {
        black_box(session.encrypt(black_box(&FAN_OUT_PLAINTEXT), rng)?);
        Ok(())
    })
}

/// `SafetyNumber::derive` for two accounts: 2 x 5200 SHA-512 runs (protocol.md 8.2).
pub fn safety_number() -> Result<Box<dyn Routine>, BenchError> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let a = (
        AccountKey::generate(&mut rng).public(),
        AccountId::generate(&mut rng),
    );
    let b = (
        AccountKey::generate(&mut rng).public(),
        AccountId::generate(&mut rng),
    );
    routine((a, b), |(a, b)| {
        black_box(SafetyNumber::derive(
            black_box(&a.0),
            &a.1,
            black_box(&b.0),
            &b.1,
        ));
        Ok(())
    })
}
