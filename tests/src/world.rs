//! A small world for multi-device tests: users with devices (`sotto_devices::Device` on
//! in-memory stores) and a model relay that keeps each account's newest signed list, each
//! device's published prekeys and a mailbox per device. The relay can be told to misbehave
//! (serve an old list, drop, duplicate or reorder mail, offer a ghost device); the tests
//! check what the devices do about it.

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::SecretBytes;
use sotto_devices::LinkCode;
use sotto_devices::store::MemoryBackend;
use sotto_devices::{
    AccountId, Device, DeviceError, FanOut, Observed, SignedDeviceList, StaleDevices,
};
use sotto_handshake::{HandshakeConfig, PrekeyPolicy, PublishedPrekeys};

/// Seconds since the epoch used as "now".
pub const NOW: u64 = 1_780_000_000;

/// A small prekey policy, so stores stay cheap.
#[must_use]
pub fn policy() -> PrekeyPolicy {
    PrekeyPolicy {
        one_time_prekeys: 4,
        replenish_below: 2,
        kem_one_time_prekeys: 1,
        ..PrekeyPolicy::default()
    }
}

/// One piece of mail on the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Sending account.
    pub from: AccountId,
    /// Sending device.
    pub from_device: u32,
    /// The device message.
    pub bytes: Vec<u8>,
}

/// The model relay.
#[derive(Debug, Default)]
pub struct Relay {
    /// The newest list each account published (the bytes, as a relay keeps them).
    pub lists: BTreeMap<AccountId, SignedDeviceList>,
    /// Published prekeys per device.
    pub prekeys: BTreeMap<(AccountId, u32), PublishedPrekeys>,
    /// Mail per device.
    pub mailboxes: BTreeMap<(AccountId, u32), Vec<Mail>>,
}

impl Relay {
    /// The devices the relay serves for an account: those of its newest published list.
    #[must_use]
    pub fn served(&self, account: AccountId) -> Vec<u32> {
        self.lists.get(&account).map_or_else(Vec::new, |l| {
            l.list().devices().iter().map(|d| d.device_id()).collect()
        })
    }

    /// Accepts a fan-out or answers "stale" with the missing and extra devices.
    pub fn accept(
        &mut self,
        from: AccountId,
        from_device: u32,
        fan_out: &FanOut,
    ) -> Result<(), StaleDevices> {
        let served = self.served(fan_out.account());
        let named: Vec<u32> = fan_out.device_ids().collect();
        let is_sender = |d: &u32| fan_out.account() == from && *d == from_device;
        let missing: Vec<u32> = served
            .iter()
            .filter(|d| !named.contains(d) && !is_sender(d))
            .copied()
            .collect();
        let extra: Vec<u32> = named
            .iter()
            .filter(|d| !served.contains(d))
            .copied()
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            return Err(StaleDevices {
                account: fan_out.account(),
                missing,
                extra,
            });
        }
        // The wire round trip, as a real relay would decode it.
        let decoded = FanOut::from_bytes(&fan_out.to_bytes()).map_err(|_| StaleDevices {
            account: fan_out.account(),
            missing: Vec::new(),
            extra: Vec::new(),
        })?;
        for (device, bytes) in decoded.entries() {
            self.mailboxes
                .entry((decoded.account(), *device))
                .or_default()
                .push(Mail {
                    from,
                    from_device,
                    bytes: bytes.clone(),
                });
        }
        Ok(())
    }
}

/// A user: an account with devices (index 0 holds the account key).
#[derive(Debug)]
pub struct User {
    /// The account.
    pub account: AccountId,
    /// The devices, by index; `None` once revoked and discarded.
    pub devices: Vec<Device<MemoryBackend>>,
}

/// Users, the relay, a seeded RNG and the store key every device uses.
#[derive(Debug)]
pub struct World {
    /// The users.
    pub users: Vec<User>,
    /// The relay.
    pub relay: Relay,
    /// Randomness.
    pub rng: StdRng,
}

/// The store key of every device in the world.
#[must_use]
pub fn store_key() -> SecretBytes<32> {
    SecretBytes::new([0x5a; 32])
}

impl World {
    /// An empty world.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            users: Vec::new(),
            relay: Relay::default(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// A new user with one device; its list and prekeys are published.
    pub fn add_user(&mut self) -> Result<usize, DeviceError> {
        let device = Device::create_account(
            MemoryBackend::new(),
            &store_key(),
            HandshakeConfig::default(),
            policy(),
            NOW,
            &mut self.rng,
        )?;
        let account = device.account_id();
        self.relay.lists.insert(account, device.own_list()?.clone());
        self.publish_prekeys(&device);
        self.users.push(User {
            account,
            devices: vec![device],
        });
        Ok(self.users.len() - 1)
    }

    fn publish_prekeys(&mut self, device: &Device<MemoryBackend>) {
        if let Some(p) = device.published_prekeys() {
            self.relay
                .prekeys
                .insert((device.account_id(), device.device_id()), p);
        }
    }

    /// Links a new device to `user` as a person does (section 8.3): the new device shows a
    /// link code as text, the first device (it holds the account key) reads it and answers
    /// with a link message, the new device opens it. The new list and the device's prekeys
    /// are published. Returns the new device's index.
    pub fn link(&mut self, user: usize) -> Result<usize, DeviceError> {
        let identity = sotto_handshake::DeviceIdentity::generate(&mut self.rng);
        let (code, mut pending) = LinkCode::generate(identity.public(), &mut self.rng);
        let text = code.to_text();
        let read = LinkCode::from_text(&text)?;
        let primary = &mut self.users[user].devices[0];
        let (message, list, _) = primary.link_device(read, NOW, &mut self.rng)?;
        let device = Device::from_link(
            MemoryBackend::new(),
            &store_key(),
            HandshakeConfig::default(),
            policy(),
            identity,
            &mut pending,
            &message,
            NOW,
            &mut self.rng,
        )?;
        self.relay.lists.insert(self.users[user].account, list);
        self.publish_prekeys(&device);
        self.users[user].devices.push(device);
        Ok(self.users[user].devices.len() - 1)
    }

    /// Revokes `user`'s device `index` (by its first device); the list is published.
    pub fn revoke(&mut self, user: usize, index: usize) -> Result<Observed, DeviceError> {
        let device_id = self.users[user].devices[index].device_id();
        let (list, observed) =
            self.users[user].devices[0].revoke_device(device_id, NOW, &mut self.rng)?;
        self.relay.lists.insert(self.users[user].account, list);
        Ok(observed)
    }

    /// Device `(user, index)` fetches and observes `account`'s list from the relay.
    pub fn refresh(
        &mut self,
        user: usize,
        index: usize,
        account: AccountId,
    ) -> Result<Observed, DeviceError> {
        let list = self
            .relay
            .lists
            .get(&account)
            .cloned()
            .ok_or(DeviceError::UnknownAccount(account))?;
        self.users[user].devices[index].observe_list(list, &mut self.rng)
    }

    /// Sends `plaintext` from device `(user, index)` to `to`'s account, as a client does:
    /// fetch bundles it lacks, hand the fan-outs to the relay, refresh and retry on a stale
    /// answer (at most three rounds).
    pub fn send(
        &mut self,
        user: usize,
        index: usize,
        to: usize,
        plaintext: &[u8],
    ) -> Result<(), DeviceError> {
        let to_account = self.users[to].account;
        let from = self.users[user].account;
        for _ in 0..3 {
            let device = &mut self.users[user].devices[index];
            let needed = device.missing_sessions(to_account)?;
            let mut bundles = Vec::new();
            for (a, d) in needed {
                if let Some(published) = self.relay.prekeys.get_mut(&(a, d))
                    && let Ok(b) = published.take_bundle().verify()
                {
                    bundles.push((a, d, b));
                }
            }
            let from_device = device.device_id();
            let fan_outs = device.encrypt(to_account, plaintext, &bundles, &mut self.rng)?;
            let mut stale = None;
            for f in &fan_outs {
                if let Err(s) = self.relay.accept(from, from_device, f) {
                    stale = Some((f.account(), s));
                }
            }
            let Some((account, s)) = stale else {
                return Ok(());
            };
            let fresh = self
                .relay
                .lists
                .get(&account)
                .cloned()
                .ok_or(DeviceError::StaleMismatch)?;
            let device = &mut self.users[user].devices[index];
            let _ = device.handle_stale(&s, fresh, &mut self.rng)?;
        }
        Err(DeviceError::StaleMismatch)
    }

    /// Device `(user, index)` takes its mailbox and decrypts every piece of mail in order, as
    /// a client does: mail from an account it does not know, or from a device its list of
    /// that account lacks, makes it fetch the account's list from the relay, verify it and
    /// try once more. Returns the results.
    pub fn receive(&mut self, user: usize, index: usize) -> Vec<Result<Vec<u8>, DeviceError>> {
        let key = {
            let device = &self.users[user].devices[index];
            (device.account_id(), device.device_id())
        };
        let mail = self.relay.mailboxes.remove(&key).unwrap_or_default();
        let mut out = Vec::with_capacity(mail.len());
        for m in mail {
            let mut result = self.users[user].devices[index].decrypt(
                m.from,
                m.from_device,
                &m.bytes,
                &mut self.rng,
            );
            if matches!(
                result,
                Err(DeviceError::UnknownAccount(_)
                    | DeviceError::Trust(sotto_devices::TrustError::GhostDevice(_)))
            ) && self.refresh(user, index, m.from).is_ok()
            {
                result = self.users[user].devices[index].decrypt(
                    m.from,
                    m.from_device,
                    &m.bytes,
                    &mut self.rng,
                );
            }
            out.push(result.map(|r| r.plaintext));
        }
        out
    }
}
