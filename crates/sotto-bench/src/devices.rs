//! Device rows (sotto-devices): decoding and verifying a signed device list.

use std::hint::black_box;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_devices::{AccountId, AccountKey, DeviceEntry, DeviceList, SignedDeviceList};
use sotto_handshake::DeviceIdentity;

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
