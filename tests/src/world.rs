//! A small world for multi-device tests: users with devices (`sotto_devices::Device` on
//! in-memory stores) and a model relay that keeps each account's newest signed list, each
//! device's published prekeys and a mailbox per device. The relay can be told to misbehave
//! (serve an old list, drop, duplicate or reorder mail, offer a ghost device); the tests
//! check what the devices do about it.
//!
//! Delivery is at least once: a device takes its mailbox and acknowledges what it took; the
//! relay deletes mail only once acknowledged, so mail whose acknowledgement is lost is
//! delivered again ([`World::receive_mail`]). A fan-out is accepted for all accounts it goes
//! to or for none ([`Relay::accept_all`]), as one request.

use std::collections::{BTreeMap, BTreeSet};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_crypto::SecretBytes;
use sotto_devices::LinkCode;
use sotto_devices::store::MemoryBackend;
use sotto_devices::{
    AccountId, Device, DeviceError, FanOut, Observed, Received, SignedDeviceList, StaleDevices,
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
    /// Every list each account published, oldest first (what a lagging replica may serve).
    pub history: BTreeMap<AccountId, Vec<SignedDeviceList>>,
    /// Devices to which the next list fetched inside [`World::send`] is served stale (the
    /// list before the newest one), once.
    pub stale_for: BTreeSet<(AccountId, u32)>,
}

impl Relay {
    /// Publishes `list` as its account's newest list.
    pub fn publish(&mut self, list: SignedDeviceList) {
        let account = list.list().account_id();
        self.history.entry(account).or_default().push(list.clone());
        self.lists.insert(account, list);
    }

    /// The list of `account` served to device `requester` as a sender: the newest one, or,
    /// once after [`Relay::stale_for`] named the requester, the one published before it.
    #[must_use]
    pub fn fetch_for_sender(
        &mut self,
        requester: (AccountId, u32),
        account: AccountId,
    ) -> Option<SignedDeviceList> {
        if self.stale_for.remove(&requester)
            && let Some(history) = self.history.get(&account)
            && history.len() >= 2
        {
            return history.get(history.len() - 2).cloned();
        }
        self.lists.get(&account).cloned()
    }

    /// Accepts the fan-outs of one message (one per account) all together, or answers stale
    /// for the first account whose devices differ and queues nothing.
    pub fn accept_all(
        &mut self,
        from: AccountId,
        from_device: u32,
        fan_outs: &[FanOut],
    ) -> Result<(), (AccountId, StaleDevices)> {
        for f in fan_outs {
            self.check(from, from_device, f)
                .map_err(|s| (f.account(), s))?;
        }
        for f in fan_outs {
            self.accept(from, from_device, f)
                .map_err(|s| (f.account(), s))?;
        }
        Ok(())
    }

    /// The newest list the relay holds for an account (what a device fetches).
    #[must_use]
    pub fn list_for(&self, account: AccountId) -> Option<SignedDeviceList> {
        self.lists.get(&account).cloned()
    }

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
        self.check(from, from_device, fan_out)?;
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

    /// The stale answer to a fan-out, if its devices differ from those served.
    fn check(
        &self,
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
        Ok(())
    }

    /// Puts a copy of mail `index` of `device`'s mailbox at `position` (both modulo the
    /// mailbox's length, the position modulo one more). Returns whether there was mail.
    pub fn duplicate(&mut self, device: (AccountId, u32), index: usize, position: usize) -> bool {
        let Some(mail) = self.mailboxes.get_mut(&device).filter(|m| !m.is_empty()) else {
            return false;
        };
        let copy = mail[index % mail.len()].clone();
        let at = position % (mail.len() + 1);
        mail.insert(at, copy);
        true
    }

    /// Reorders `device`'s mailbox: rotated left by `shift`, then reversed if `reverse`.
    pub fn reorder(&mut self, device: (AccountId, u32), shift: usize, reverse: bool) -> bool {
        let Some(mail) = self.mailboxes.get_mut(&device).filter(|m| m.len() >= 2) else {
            return false;
        };
        let n = mail.len();
        mail.rotate_left(shift % n);
        if reverse {
            mail.reverse();
        }
        true
    }

    /// A delivery of mail `index` of `device`'s mailbox is lost on the way (before the device
    /// saw it, so it was never acknowledged): the relay keeps it and delivers it again later,
    /// after the mail queued behind it.
    pub fn lose_delivery(&mut self, device: (AccountId, u32), index: usize) -> bool {
        let Some(mail) = self.mailboxes.get_mut(&device).filter(|m| !m.is_empty()) else {
            return false;
        };
        let lost = mail.remove(index % mail.len());
        mail.push(lost);
        true
    }
}

/// A user: an account with devices (index 0 holds the account key).
#[derive(Debug)]
pub struct User {
    /// The account.
    pub account: AccountId,
    /// The devices, by index (index 0 holds the account key); revoked ones stay.
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
        self.relay.publish(device.own_list()?.clone());
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
        self.relay.publish(list);
        self.publish_prekeys(&device);
        self.users[user].devices.push(device);
        Ok(self.users[user].devices.len() - 1)
    }

    /// Revokes `user`'s device `index` (by its first device); the list is published.
    pub fn revoke(&mut self, user: usize, index: usize) -> Result<Observed, DeviceError> {
        let device_id = self.users[user].devices[index].device_id();
        let (list, observed) =
            self.users[user].devices[0].revoke_device(device_id, NOW, &mut self.rng)?;
        self.relay.publish(list);
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

    /// Restarts device `(user, index)`: it is opened again from its store. If its store
    /// does not open, the device is gone (and the user's later devices move down by one).
    pub fn restart(&mut self, user: usize, index: usize) -> Result<(), DeviceError> {
        let backend = self.users[user].devices.remove(index).into_backend();
        let device = Device::open(backend, &store_key(), HandshakeConfig::default())?;
        self.users[user].devices.insert(index, device);
        Ok(())
    }

    /// Sends `plaintext` from device `(user, index)` to `to`'s account, as a client does:
    /// fetch the lists it lacks (a device set up by linking holds its peers' keys but not
    /// their lists) and the bundles it lacks, hand the fan-outs to the relay, and on a stale
    /// answer fetch the list and retry; a list fetch that is refused (the relay served an
    /// older list than the one held, [`Relay::stale_for`]) or disagrees with the stale answer
    /// is fetched again in the next round. At most [`SEND_ROUNDS`] rounds. Returns the
    /// fan-outs the relay accepted.
    pub fn send(
        &mut self,
        user: usize,
        index: usize,
        to: usize,
        plaintext: &[u8],
    ) -> Result<Vec<FanOut>, DeviceError> {
        let to_account = self.users[to].account;
        let from = self.users[user].account;
        let mut last = DeviceError::StaleMismatch;
        for _ in 0..SEND_ROUNDS {
            let device = &mut self.users[user].devices[index];
            let from_device = device.device_id();
            let needed = match device.missing_sessions(to_account) {
                Ok(needed) => needed,
                Err(
                    e @ (DeviceError::UnknownAccount(_)
                    | DeviceError::Trust(sotto_devices::TrustError::NoDeviceList)),
                ) => {
                    // Fetch the lists this device lacks: the peer's and its own account's.
                    for account in [to_account, from] {
                        if device.account(account).is_some_and(|t| t.list().is_some()) {
                            continue;
                        }
                        let list = self
                            .relay
                            .fetch_for_sender((from, from_device), account)
                            .ok_or(DeviceError::UnknownAccount(account))?;
                        match device.observe_list(list, &mut self.rng) {
                            Ok(_)
                            | Err(DeviceError::Trust(sotto_devices::TrustError::RolledBack {
                                ..
                            })) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    last = e;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut bundles = Vec::new();
            for (a, d) in needed {
                if let Some(published) = self.relay.prekeys.get_mut(&(a, d))
                    && let Ok(b) = published.take_bundle().verify()
                {
                    bundles.push((a, d, b));
                }
            }
            let fan_outs = device.encrypt(to_account, plaintext, &bundles, &mut self.rng)?;
            let Err((account, s)) = self.relay.accept_all(from, from_device, &fan_outs) else {
                return Ok(fan_outs);
            };
            let fresh = self
                .relay
                .fetch_for_sender((from, from_device), account)
                .ok_or(DeviceError::StaleMismatch)?;
            let device = &mut self.users[user].devices[index];
            match device.handle_stale(&s, fresh, &mut self.rng) {
                Ok(_) => {}
                Err(
                    e @ (DeviceError::StaleMismatch
                    | DeviceError::Trust(sotto_devices::TrustError::RolledBack { .. })),
                ) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Device `(user, index)` takes its mailbox and decrypts every piece of mail in order, as
    /// a client does: mail from an account it does not know, or from a device its list of
    /// that account lacks, makes it fetch the account's list from the relay, verify it and
    /// try once more. Returns the results.
    pub fn receive(&mut self, user: usize, index: usize) -> Vec<Result<Vec<u8>, DeviceError>> {
        self.receive_mail(user, index, true)
            .into_iter()
            .map(|d| d.result.map(|r| r.plaintext))
            .collect()
    }

    /// [`World::receive`] with each result next to its mail. With `acknowledge` false the
    /// acknowledgements are lost: the relay keeps the mail, in the same order, ahead of any
    /// that came since, and delivers it again.
    pub fn receive_mail(&mut self, user: usize, index: usize, acknowledge: bool) -> Vec<Delivery> {
        let key = {
            let device = &self.users[user].devices[index];
            (device.account_id(), device.device_id())
        };
        let mail = self.relay.mailboxes.remove(&key).unwrap_or_default();
        let mut out = Vec::with_capacity(mail.len());
        for m in mail {
            let mut revoked_before = self.users[user].devices[index].is_revoked();
            let mut result = self.users[user].devices[index].decrypt(
                m.from,
                m.from_device,
                &m.bytes,
                &mut self.rng,
            );
            // Mail from an account the device does not know: fetch its list and decrypt
            // under first contact, which pins the account only if the mail decrypts.
            if matches!(result, Err(DeviceError::UnknownAccount(_)))
                && let Some(list) = self.relay.list_for(m.from)
            {
                revoked_before = self.users[user].devices[index].is_revoked();
                result = self.users[user].devices[index]
                    .decrypt_first_contact(list, m.from_device, &m.bytes, &mut self.rng)
                    .map(|(received, _)| received);
            } else if matches!(
                result,
                Err(DeviceError::Trust(sotto_devices::TrustError::GhostDevice(
                    _
                )))
            ) && self.refresh(user, index, m.from).is_ok()
            {
                revoked_before = self.users[user].devices[index].is_revoked();
                result = self.users[user].devices[index].decrypt(
                    m.from,
                    m.from_device,
                    &m.bytes,
                    &mut self.rng,
                );
            }
            out.push(Delivery {
                mail: m,
                revoked_before,
                result,
            });
        }
        if !acknowledge && !out.is_empty() {
            let mut kept: Vec<Mail> = out.iter().map(|d| d.mail.clone()).collect();
            kept.extend(self.relay.mailboxes.remove(&key).unwrap_or_default());
            self.relay.mailboxes.insert(key, kept);
        }
        out
    }
}

/// One piece of mail a device took from its mailbox, and what decrypting it gave.
#[derive(Debug)]
pub struct Delivery {
    /// The mail.
    pub mail: Mail,
    /// Whether the device knew it was revoked just before the decryption that gave `result`.
    pub revoked_before: bool,
    /// The decryption.
    pub result: Result<Received, DeviceError>,
}

/// The most rounds [`World::send`] takes (fetching lists, answering stale).
pub const SEND_ROUNDS: usize = 4;
