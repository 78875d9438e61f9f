//! Trust in one account (protocol.md 8.4): the account key pinned on first use, a verified
//! mark after a safety-number comparison, the newest device list that key signed, and a key
//! change waiting for the caller's decision.
//!
//! Every decision is an event the caller receives or an error it must handle: there is no
//! API that accepts a rolled-back list, a ghost device or a swapped device key, and no API
//! that sends to an account whose key changed until [`AccountTrust::accept_key_change`].

use sotto_crypto::ct_eq;
use sotto_handshake::DeviceIdentityKey;

use crate::device_list::{AccountId, AccountPublicKey, DeviceEntry, SignedDeviceList};
use crate::safety::Comparison;

/// Something the caller must show or act on. Returned by every call that changes trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustEvent {
    /// A device list signed by another account key arrived: sending to the account is blocked
    /// until the caller accepts the new key ([`AccountTrust::accept_key_change`]); the
    /// verified mark is cleared.
    AccountKeyChanged {
        /// The account.
        account: AccountId,
        /// Whether the account was verified before (the caller should say so loudly).
        was_verified: bool,
    },
    /// A newer list added a device (or a device came with an accepted key change).
    DeviceAdded {
        /// The account.
        account: AccountId,
        /// The device.
        device_id: u32,
    },
    /// A newer list no longer holds a device: its sessions are closed, nothing is encrypted
    /// to it any more.
    DeviceRemoved {
        /// The account.
        account: AccountId,
        /// The device.
        device_id: u32,
    },
}

/// A refusal of the trust layer. Each variant names its validation ID (protocol.md 8.4).
/// A refused input changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// DEV-TR-01: the list is of another account than the one asked about.
    #[error("device list is of another account")]
    WrongAccount,
    /// DEV-TR-02: the list's version is below the one held (a rollback).
    #[error("device list rolled back from version {held} to {offered}")]
    RolledBack {
        /// The version held.
        held: u64,
        /// The version offered.
        offered: u64,
    },
    /// DEV-TR-03: another list with the version held, signed by the same key (equivocation).
    #[error("two different device lists with version {0}")]
    Equivocation(u64),
    /// DEV-TR-04: a device id the newest list holds comes with other keys than the list's
    /// (in a newer list, a bundle or an initial message): a swapped device key.
    #[error("device {0} offered with keys other than its list's")]
    DeviceKeySwapped(u32),
    /// DEV-TR-05: a device the newest list does not hold (a ghost device).
    #[error("device {0} is not in the account's device list")]
    GhostDevice(u32),
    /// DEV-TR-06: the account key changed and the caller has not accepted it: nothing is sent
    /// to the account.
    #[error("account key changed; accept it before sending")]
    KeyChangePending,
    /// DEV-TR-07: no key change is waiting to be accepted, or a verification does not hold
    /// (not a match, or for another key than the pinned one, or while a change is pending).
    #[error("nothing to accept, or the verification does not hold")]
    NothingToAccept,
    /// DEV-TR-08: no device list of the account was observed yet: fetch it first.
    #[error("no device list of the account yet")]
    NoDeviceList,
    /// DEV-TR-09: a list of this device's own account signed by another key than the account
    /// key this device holds: forged (only the account key holder can tell; other devices
    /// see a key change).
    #[error("own device list signed by another key than the account key held")]
    ForgedOwnList,
}

/// What a device holds about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountTrust {
    account: AccountId,
    pinned: AccountPublicKey,
    verified: bool,
    /// The newest list signed by `pinned`; none yet for a peer pinned through linking.
    list: Option<SignedDeviceList>,
    pending: Option<SignedDeviceList>,
    /// While no list is held: the lowest version a first list may have (handed over by
    /// linking: the version of the newest list the primary held).
    floor: u64,
}

impl AccountTrust {
    /// First contact with an account: pins the key that signed `list` (trust on first use).
    #[must_use]
    pub fn pin_first_use(list: SignedDeviceList) -> (Self, Vec<TrustEvent>) {
        let account = list.list().account_id();
        let events = added(account, &list);
        (
            Self {
                account,
                pinned: *list.account_key(),
                verified: false,
                list: Some(list),
                pending: None,
                floor: 0,
            },
            events,
        )
    }

    /// An account pinned by another device of this account and handed over by linking: the
    /// key and the verified mark, no list yet (the first list must be signed by `key`).
    #[must_use]
    pub const fn pinned(account: AccountId, key: AccountPublicKey, verified: bool) -> Self {
        Self::pinned_at_least(account, key, verified, 0)
    }

    /// [`AccountTrust::pinned`] with a version floor: the first list under the pinned key must
    /// have at least version `floor` (DEV-TR-02 otherwise), the version of the newest list
    /// the device that handed the peer over held.
    #[must_use]
    pub const fn pinned_at_least(
        account: AccountId,
        key: AccountPublicKey,
        verified: bool,
        floor: u64,
    ) -> Self {
        Self {
            account,
            pinned: key,
            verified,
            list: None,
            pending: None,
            floor,
        }
    }

    /// The version floor of a first list (0 once a list is held, or if none was handed over).
    #[must_use]
    pub const fn floor(&self) -> u64 {
        if self.list.is_some() { 0 } else { self.floor }
    }

    /// Sets the version floor of a state without a list (restoring it from the store).
    #[must_use]
    pub const fn with_floor(mut self, floor: u64) -> Self {
        if self.list.is_none() {
            self.floor = floor;
        }
        self
    }

    /// Restores a state written from [`AccountTrust::parts`] (the store's record). `None` if
    /// the parts break what the type promises: lists of another account, a held list not
    /// signed by the pinned key, a pending list signed by it.
    pub fn from_parts(
        account: AccountId,
        pinned: AccountPublicKey,
        verified: bool,
        list: Option<SignedDeviceList>,
        pending: Option<SignedDeviceList>,
    ) -> Option<Self> {
        let of_account = |l: &SignedDeviceList| l.list().account_id() == account;
        if list
            .as_ref()
            .is_some_and(|l| !of_account(l) || !same_key(l.account_key(), &pinned))
            || pending
                .as_ref()
                .is_some_and(|p| !of_account(p) || same_key(p.account_key(), &pinned))
        {
            return None;
        }
        Some(Self {
            account,
            pinned,
            verified,
            list,
            pending,
            floor: 0,
        })
    }

    /// The state: the pinned key, the verified mark, the newest list under the pinned key,
    /// the pending list.
    #[must_use]
    pub const fn parts(
        &self,
    ) -> (
        &AccountPublicKey,
        bool,
        Option<&SignedDeviceList>,
        Option<&SignedDeviceList>,
    ) {
        (
            &self.pinned,
            self.verified,
            self.list.as_ref(),
            self.pending.as_ref(),
        )
    }

    /// The account.
    #[must_use]
    pub const fn account_id(&self) -> AccountId {
        self.account
    }

    /// The pinned account key.
    #[must_use]
    pub const fn pinned_key(&self) -> &AccountPublicKey {
        &self.pinned
    }

    /// The newest list signed by the pinned key, if one was observed.
    #[must_use]
    pub const fn list(&self) -> Option<&SignedDeviceList> {
        self.list.as_ref()
    }

    /// Whether the pinned key was verified by a safety-number comparison.
    #[must_use]
    pub const fn is_verified(&self) -> bool {
        self.verified
    }

    /// The account key waiting to be accepted, if the key changed.
    #[must_use]
    pub fn pending_key(&self) -> Option<&AccountPublicKey> {
        self.pending.as_ref().map(SignedDeviceList::account_key)
    }

    /// The devices to encrypt to: DEV-TR-06 while a key change waits, DEV-TR-08 before a
    /// first list was observed.
    pub fn devices_for_sending(&self) -> Result<&[DeviceEntry], TrustError> {
        if self.pending.is_some() {
            return Err(TrustError::KeyChangePending);
        }
        Ok(self
            .list
            .as_ref()
            .ok_or(TrustError::NoDeviceList)?
            .list()
            .devices())
    }

    /// Checks a device the relay offers (a bundle) or that sends to us (an initial message)
    /// against the newest list: DEV-TR-05 if the list does not hold `device_id` (a ghost),
    /// DEV-TR-04 if it holds it with other keys (all 64 bytes compared, in constant time).
    pub fn check_device(
        &self,
        device_id: u32,
        identity: &DeviceIdentityKey,
    ) -> Result<(), TrustError> {
        let entry = self
            .list
            .as_ref()
            .and_then(|l| l.list().device(device_id))
            .ok_or(TrustError::GhostDevice(device_id))?;
        if entry.identity().ct_matches(identity) {
            Ok(())
        } else {
            Err(TrustError::DeviceKeySwapped(device_id))
        }
    }

    /// A list the relay served for this account. In this order:
    ///
    /// 1. of another account: DEV-TR-01;
    /// 2. signed by another key than the pinned one: an account key change. It is held as
    ///    pending (a newer pending list replaces an older one; an older or equivocating one is
    ///    refused as in 3), the verified mark is cleared and
    ///    [`TrustEvent::AccountKeyChanged`] is returned the first time;
    /// 3. signed by the pinned key: a version below the held one is a rollback (DEV-TR-02); the
    ///    same version is accepted only as the same bytes (no event), otherwise DEV-TR-03; a
    ///    newer list that gives a held device id other keys is refused (DEV-TR-04); a newer
    ///    list replaces the held one and its added and removed devices are returned.
    pub fn observe(&mut self, offered: SignedDeviceList) -> Result<Vec<TrustEvent>, TrustError> {
        let account = self.account_id();
        if offered.list().account_id() != account {
            return Err(TrustError::WrongAccount);
        }
        if !same_key(offered.account_key(), self.pinned_key()) {
            if let Some(pending) = &self.pending
                && same_key(offered.account_key(), pending.account_key())
            {
                if !newer(pending, &offered)? {
                    return Ok(Vec::new());
                }
                self.pending = Some(offered);
                return Ok(Vec::new());
            }
            let was_verified = self.verified;
            self.pending = Some(offered);
            self.verified = false;
            return Ok(vec![TrustEvent::AccountKeyChanged {
                account,
                was_verified,
            }]);
        }
        let Some(held) = &self.list else {
            if offered.list().version() < self.floor {
                return Err(TrustError::RolledBack {
                    held: self.floor,
                    offered: offered.list().version(),
                });
            }
            let events = added(account, &offered);
            self.list = Some(offered);
            return Ok(events);
        };
        if !newer(held, &offered)? {
            return Ok(Vec::new());
        }
        for entry in offered.list().devices() {
            if let Some(h) = held.list().device(entry.device_id())
                && !h.identity().ct_matches(entry.identity())
            {
                return Err(TrustError::DeviceKeySwapped(entry.device_id()));
            }
        }
        let events = changes(account, held, &offered);
        self.list = Some(offered);
        Ok(events)
    }

    /// [`AccountTrust::observe`] on the device that holds the account key (`held`, its public
    /// key): a list of the account signed by any other key can only be forged, and is
    /// refused (DEV-TR-09) instead of becoming a key change to show and accept.
    pub fn observe_as_key_holder(
        &mut self,
        offered: SignedDeviceList,
        held: &AccountPublicKey,
    ) -> Result<Vec<TrustEvent>, TrustError> {
        if !same_key(offered.account_key(), held) {
            return Err(TrustError::ForgedOwnList);
        }
        self.observe(offered)
    }

    /// Accepts a pending account key change: the new key is pinned, its list replaces the
    /// held one (a device whose keys changed counts as removed and added), the account stays
    /// unverified. DEV-TR-07 if no change is pending.
    pub fn accept_key_change(&mut self) -> Result<Vec<TrustEvent>, TrustError> {
        let pending = self.pending.take().ok_or(TrustError::NothingToAccept)?;
        let events = match &self.list {
            Some(held) => changes(self.account, held, &pending),
            None => added(self.account, &pending),
        };
        self.pinned = *pending.account_key();
        self.list = Some(pending);
        self.verified = false;
        Ok(events)
    }

    /// Marks the pinned key verified after a safety-number comparison of `compared` (the key
    /// the number was derived from) gave `result`. DEV-TR-07 unless `result` is a match,
    /// `compared` is the pinned key and no key change is pending.
    pub fn mark_verified(
        &mut self,
        compared: &AccountPublicKey,
        result: Comparison,
    ) -> Result<(), TrustError> {
        if result != Comparison::Match
            || self.pending.is_some()
            || !same_key(compared, self.pinned_key())
        {
            return Err(TrustError::NothingToAccept);
        }
        self.verified = true;
        Ok(())
    }
}

/// Ed25519 public keys compared by their bytes, in constant time. Decoding refuses
/// non-canonical encodings (rule 1 of protocol.md 7.1), so one key has one encoding.
fn same_key(a: &AccountPublicKey, b: &AccountPublicKey) -> bool {
    ct_eq(&a.to_bytes(), &b.to_bytes())
}

/// Whether `offered` is newer than `held` (same key): `Ok(false)` for the same list, errors
/// for a rollback or an equivocation.
fn newer(held: &SignedDeviceList, offered: &SignedDeviceList) -> Result<bool, TrustError> {
    let (h, o) = (held.list().version(), offered.list().version());
    if o < h {
        return Err(TrustError::RolledBack {
            held: h,
            offered: o,
        });
    }
    if o == h {
        return if held.as_bytes() == offered.as_bytes() {
            Ok(false)
        } else {
            Err(TrustError::Equivocation(h))
        };
    }
    Ok(true)
}

/// Every device of `list`, as added.
fn added(account: AccountId, list: &SignedDeviceList) -> Vec<TrustEvent> {
    list.list()
        .devices()
        .iter()
        .map(|d| TrustEvent::DeviceAdded {
            account,
            device_id: d.device_id(),
        })
        .collect()
}

/// Devices removed from `old` and added in `new` (a device id whose keys differ is both).
fn changes(account: AccountId, old: &SignedDeviceList, new: &SignedDeviceList) -> Vec<TrustEvent> {
    let same = |a: &DeviceEntry, list: &SignedDeviceList| {
        list.list()
            .device(a.device_id())
            .is_some_and(|b| b.identity().ct_matches(a.identity()))
    };
    let removed = old
        .list()
        .devices()
        .iter()
        .filter(|d| !same(d, new))
        .map(|d| TrustEvent::DeviceRemoved {
            account,
            device_id: d.device_id(),
        });
    let added = new
        .list()
        .devices()
        .iter()
        .filter(|d| !same(d, old))
        .map(|d| TrustEvent::DeviceAdded {
            account,
            device_id: d.device_id(),
        });
    removed.chain(added).collect()
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use sotto_handshake::DeviceIdentity;

    use super::*;
    use crate::device_list::{AccountKey, DeviceList};

    struct Account {
        key: AccountKey,
        id: AccountId,
        devices: Vec<DeviceEntry>,
    }

    impl Account {
        fn new(rng: &mut StdRng, n: u32) -> Self {
            Self {
                key: AccountKey::generate(rng),
                id: AccountId::generate(rng),
                devices: (1..=n)
                    .map(|i| DeviceEntry::new(i, DeviceIdentity::generate(rng).public()))
                    .collect(),
            }
        }

        fn list(&self, version: u64) -> SignedDeviceList {
            DeviceList::new(self.id, version, 0, self.devices.clone())
                .unwrap()
                .sign(&self.key)
        }
    }

    #[test]
    fn newer_lists_report_added_and_removed_devices() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut a = Account::new(&mut rng, 2);
        let (mut trust, events) = AccountTrust::pin_first_use(a.list(1));
        assert_eq!(events.len(), 2);
        a.devices.remove(0);
        a.devices.push(DeviceEntry::new(
            3,
            DeviceIdentity::generate(&mut rng).public(),
        ));
        let events = trust.observe(a.list(2)).unwrap();
        assert_eq!(
            events,
            vec![
                TrustEvent::DeviceRemoved {
                    account: a.id,
                    device_id: 1
                },
                TrustEvent::DeviceAdded {
                    account: a.id,
                    device_id: 3
                }
            ]
        );
        assert_eq!(trust.list().unwrap().list().version(), 2);
        assert_eq!(trust.observe(a.list(2)).unwrap(), vec![]);
    }

    /// DEV-TR-02 rollback, DEV-TR-03 equivocation, DEV-TR-04 swap in a newer list, DEV-TR-01
    /// another account.
    #[test]
    fn rollback_equivocation_and_swapped_keys_are_refused_and_change_nothing() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut a = Account::new(&mut rng, 2);
        let (mut trust, _) = AccountTrust::pin_first_use(a.list(5));
        let before = trust.clone();
        assert_eq!(
            trust.observe(a.list(4)),
            Err(TrustError::RolledBack {
                held: 5,
                offered: 4
            })
        );
        a.devices.push(DeviceEntry::new(
            9,
            DeviceIdentity::generate(&mut rng).public(),
        ));
        assert_eq!(trust.observe(a.list(5)), Err(TrustError::Equivocation(5)));
        a.devices[0] = DeviceEntry::new(1, DeviceIdentity::generate(&mut rng).public());
        assert_eq!(
            trust.observe(a.list(6)),
            Err(TrustError::DeviceKeySwapped(1))
        );
        let other = Account::new(&mut rng, 1);
        assert_eq!(trust.observe(other.list(9)), Err(TrustError::WrongAccount));
        assert_eq!(trust, before);
    }

    /// DEV-TR-05 ghost, DEV-TR-04 swap, for a device offered or sending.
    #[test]
    fn ghost_devices_and_swapped_keys_are_refused_at_setup() {
        let mut rng = StdRng::seed_from_u64(3);
        let a = Account::new(&mut rng, 2);
        let (trust, _) = AccountTrust::pin_first_use(a.list(1));
        assert_eq!(trust.check_device(2, a.devices[1].identity()), Ok(()));
        let stranger = DeviceIdentity::generate(&mut rng).public();
        assert_eq!(
            trust.check_device(3, &stranger),
            Err(TrustError::GhostDevice(3))
        );
        assert_eq!(
            trust.check_device(2, &stranger),
            Err(TrustError::DeviceKeySwapped(2))
        );
        // Device 1's keys under device 2's id: also a swap.
        assert_eq!(
            trust.check_device(2, a.devices[0].identity()),
            Err(TrustError::DeviceKeySwapped(2))
        );
    }

    /// DEV-TR-06 sending blocked, DEV-TR-07 nothing to accept / verification refused.
    #[test]
    fn a_key_change_blocks_sending_and_clears_verified_until_accepted() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut a = Account::new(&mut rng, 1);
        let (mut trust, _) = AccountTrust::pin_first_use(a.list(3));
        let pinned = *trust.pinned_key();
        assert_eq!(
            trust.mark_verified(&pinned, Comparison::RemoteSideDiffers),
            Err(TrustError::NothingToAccept)
        );
        trust.mark_verified(&pinned, Comparison::Match).unwrap();
        assert!(trust.is_verified());
        assert_eq!(trust.accept_key_change(), Err(TrustError::NothingToAccept));

        // The account key is lost: a new key signs a list (its versions start again).
        a.key = AccountKey::generate(&mut rng);
        a.devices[0] = DeviceEntry::new(1, DeviceIdentity::generate(&mut rng).public());
        let events = trust.observe(a.list(1)).unwrap();
        assert_eq!(
            events,
            vec![TrustEvent::AccountKeyChanged {
                account: a.id,
                was_verified: true
            }]
        );
        assert!(!trust.is_verified());
        assert_eq!(
            trust.devices_for_sending(),
            Err(TrustError::KeyChangePending)
        );
        // The old key's list still rules devices until the change is accepted.
        assert_eq!(trust.pinned_key(), &pinned);
        assert_eq!(
            trust.check_device(1, a.devices[0].identity()),
            Err(TrustError::DeviceKeySwapped(1))
        );
        // Pending lists follow the same rules; the same one again is no new event.
        assert_eq!(trust.observe(a.list(1)), Ok(vec![]));
        assert_eq!(
            trust.observe(a.list(0)),
            Err(TrustError::RolledBack {
                held: 1,
                offered: 0
            })
        );
        let new_key = a.key.public();
        assert_eq!(
            trust.mark_verified(&new_key, Comparison::Match),
            Err(TrustError::NothingToAccept)
        );
        let events = trust.accept_key_change().unwrap();
        assert_eq!(
            events,
            vec![
                TrustEvent::DeviceRemoved {
                    account: a.id,
                    device_id: 1
                },
                TrustEvent::DeviceAdded {
                    account: a.id,
                    device_id: 1
                }
            ]
        );
        assert_eq!(trust.pinned_key(), &new_key);
        assert_eq!(trust.devices_for_sending().unwrap().len(), 1);
        assert!(!trust.is_verified());
    }

    /// DEV-TR-08: a peer handed over by linking has no list until one is observed, and the
    /// first list must be signed by the pinned key.
    #[test]
    fn a_linked_peer_needs_a_list_signed_by_its_pinned_key() {
        let mut rng = StdRng::seed_from_u64(5);
        let a = Account::new(&mut rng, 1);
        let mut trust = AccountTrust::pinned(a.id, a.key.public(), true);
        assert_eq!(trust.devices_for_sending(), Err(TrustError::NoDeviceList));
        assert_eq!(
            trust.check_device(1, a.devices[0].identity()),
            Err(TrustError::GhostDevice(1))
        );
        let impostor = Account {
            key: AccountKey::generate(&mut rng),
            id: a.id,
            devices: a.devices.clone(),
        };
        let events = trust.observe(impostor.list(1)).unwrap();
        assert!(matches!(
            events[..],
            [TrustEvent::AccountKeyChanged {
                was_verified: true,
                ..
            }]
        ));
        let mut trust = AccountTrust::pinned(a.id, a.key.public(), true);
        let events = trust.observe(a.list(1)).unwrap();
        assert_eq!(
            events,
            vec![TrustEvent::DeviceAdded {
                account: a.id,
                device_id: 1
            }]
        );
        assert!(trust.is_verified());
        assert_eq!(trust.devices_for_sending().unwrap().len(), 1);
    }

    /// DEV-TR-02 for a linked peer: its first list must reach the version floor the primary
    /// handed over; at or above it, it is taken.
    #[test]
    fn a_linked_peers_first_list_is_refused_below_the_handed_over_floor() {
        let mut rng = StdRng::seed_from_u64(6);
        let a = Account::new(&mut rng, 1);
        let mut trust = AccountTrust::pinned_at_least(a.id, a.key.public(), false, 4);
        assert_eq!(trust.floor(), 4);
        let before = trust.clone();
        assert_eq!(
            trust.observe(a.list(3)),
            Err(TrustError::RolledBack {
                held: 4,
                offered: 3
            })
        );
        assert_eq!(trust, before);
        assert_eq!(trust.observe(a.list(4)).unwrap().len(), 1);
        assert_eq!(trust.floor(), 0, "a held list supersedes the floor");
        assert_eq!(
            AccountTrust::pinned(a.id, a.key.public(), false)
                .with_floor(9)
                .floor(),
            9
        );
    }
}
