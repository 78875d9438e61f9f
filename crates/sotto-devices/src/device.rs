//! One device of an account, with everything it keeps (protocol.md 8.4 to 8.6): its keys and
//! prekeys, the trust it holds in every account it talks to (its own included), its sessions
//! with every peer device, all in a [`RecordBackend`] encrypted under the store key.
//!
//! Every call that changes state writes what it changed as one atomic batch before it
//! returns; a call that fails leaves the device and its store as they were (the in-memory
//! state is reloaded from the store if a write failed half-way through the call).

use std::collections::BTreeMap;

use sotto_crypto::{CryptoRng, SecretBytes};
use sotto_handshake::{
    DeviceIdentity, DeviceIdentityKey, HandshakeConfig, HandshakeError, InMemoryPrekeyStore,
    Incoming, PrekeyPolicy, PrekeyStore, PublishedPrekeys, VerifiedBundle, initiate, respond,
};

use crate::device_list::{
    AccountId, AccountKey, AccountPublicKey, DeviceEntry, DeviceList, DeviceListError,
    SignedDeviceList,
};
use crate::fanout::{FanOut, FanOutError, StaleDevices};
use crate::safety::{Comparison, SafetyNumber};
use crate::sessions::{DeviceSessions, InitialOutcome, SessionsError, SetupBase};
use crate::store::{RecordBackend, RecordIndex, RecordKind, StoreError, StoreKeys, Write};
use crate::trust::{AccountTrust, TrustError, TrustEvent};

/// Why a device call failed. In every case the device and its store are unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The store failed, or holds a record that does not open or decode.
    #[error("client store")]
    Store(#[source] StoreError),
    /// The trust layer refused (rollback, ghost device, swapped key, pending key change...).
    #[error("trust")]
    Trust(#[from] TrustError),
    /// Session setup failed.
    #[error("session setup")]
    Handshake(#[from] HandshakeError),
    /// No session decrypted or encrypted the message.
    #[error("session")]
    Sessions(#[from] SessionsError),
    /// A device list could not be built.
    #[error("device list")]
    DeviceList(#[from] DeviceListError),
    /// A fan-out could not be built.
    #[error("fan-out")]
    FanOut(#[from] FanOutError),
    /// The message is not a device message (HS-01 and the decoders' checks).
    #[error("message does not decode")]
    Decode(#[source] sotto_handshake::DecodeError),
    /// Only the device holding the account key can sign device lists.
    #[error("this device does not hold the account key")]
    NotAccountKeyHolder,
    /// This device is not in its account's newest list: it was revoked and neither sends nor
    /// receives.
    #[error("this device was revoked")]
    Revoked,
    /// Nothing is known about the account: fetch its device list and observe it first.
    #[error("unknown account")]
    UnknownAccount(AccountId),
    /// Sending needs a prekey bundle for each of these devices (no session with them yet).
    #[error("prekey bundles needed")]
    NeedBundles(Vec<(AccountId, u32)>),
    /// A bundle offered for a device came with another account's id.
    #[error("bundle offered for another account")]
    UnexpectedBundle,
    /// After a refresh, the relay's stale-device answer still disagrees with the verified
    /// list: the relay claims devices the account key did not sign (or denies ones it did).
    #[error("the relay's device set disagrees with the signed device list")]
    StaleMismatch,
    /// The device to add is already in the list (a replayed link code).
    #[error("the device is already in the list")]
    AlreadyInList,
    /// A device cannot be revoked: it is this device, or not in the list.
    #[error("cannot revoke this device")]
    CannotRevoke,
}

impl From<StoreError> for DeviceError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

fn corrupt(what: &'static str) -> DeviceError {
    DeviceError::Store(StoreError::corrupt(what))
}

/// A message that decrypted.
#[derive(Debug, PartialEq, Eq)]
pub struct Received {
    /// The sending account.
    pub account: AccountId,
    /// The sending device.
    pub device_id: u32,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

/// The events of a call that changed trust, and whether this device learned it was revoked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[must_use = "trust events must be shown to the user"]
pub struct Observed {
    /// What changed.
    pub events: Vec<TrustEvent>,
    /// This device is not in its own account's newest list.
    pub this_device_revoked: bool,
}

/// This device: its account, its id, the account key if it holds it.
struct Own {
    account: AccountId,
    device_id: u32,
    account_key: Option<AccountKey>,
    revoked: bool,
}

/// One device and its encrypted store. Not `Clone`.
pub struct Device<B: RecordBackend> {
    backend: B,
    keys: StoreKeys,
    config: HandshakeConfig,
    own: Own,
    prekeys: InMemoryPrekeyStore,
    accounts: BTreeMap<AccountId, AccountTrust>,
    sessions: BTreeMap<(AccountId, u32), DeviceSessions>,
}

impl<B: RecordBackend> core::fmt::Debug for Device<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Device")
            .field("account", &self.own.account)
            .field("device_id", &self.own.device_id)
            .field("holds_account_key", &self.own.account_key.is_some())
            .field("revoked", &self.own.revoked)
            .field("accounts", &self.accounts.len())
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

fn sessions_key(account: AccountId, device_id: u32) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..16].copy_from_slice(&account.to_bytes());
    k[16..].copy_from_slice(&device_id.to_be_bytes());
    k
}

fn slot_context(kind: RecordKind, index: &RecordIndex) -> Vec<u8> {
    StoreKeys::context(kind, index).to_vec()
}

impl<B: RecordBackend> Device<B> {
    /// Creates an account on a new device: a fresh account id, account key and device
    /// identity, device id 1, a first list (version 1, created at `now`) and prekeys under
    /// `policy`; everything is written to `backend`, encrypted under `store_key`.
    pub fn create_account<R: CryptoRng + ?Sized>(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
        policy: PrekeyPolicy,
        now: u64,
        rng: &mut R,
    ) -> Result<Self, DeviceError> {
        let account = AccountId::generate(rng);
        let account_key = AccountKey::generate(rng);
        let identity = DeviceIdentity::generate(rng);
        let list = DeviceList::new(
            account,
            1,
            now,
            vec![DeviceEntry::new(1, identity.public())],
        )?
        .sign(&account_key);
        let (trust, _) = AccountTrust::pin_first_use(list);
        Self::install(
            backend,
            store_key,
            config,
            Own {
                account,
                device_id: 1,
                account_key: Some(account_key),
                revoked: false,
            },
            InMemoryPrekeyStore::new(identity, policy, now, rng),
            trust,
            Vec::new(),
            rng,
        )
    }

    /// A device set up from what linking delivered (section 8.3): its identity, the account
    /// and the device id the account key holder gave it, the signed list that holds it, and
    /// the peers the account trusts (account id, pinned key, verified). The list must hold
    /// `identity` under `device_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn from_link<R: CryptoRng + ?Sized>(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
        policy: PrekeyPolicy,
        identity: DeviceIdentity,
        device_id: u32,
        list: SignedDeviceList,
        peers: Vec<(AccountId, AccountPublicKey, bool)>,
        now: u64,
        rng: &mut R,
    ) -> Result<Self, DeviceError> {
        let (trust, _) = AccountTrust::pin_first_use(list);
        trust.check_device(device_id, &identity.public())?;
        Self::install(
            backend,
            store_key,
            config,
            Own {
                account: trust.account_id(),
                device_id,
                account_key: None,
                revoked: false,
            },
            InMemoryPrekeyStore::new(identity, policy, now, rng),
            trust,
            peers,
            rng,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn install<R: CryptoRng + ?Sized>(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
        own: Own,
        prekeys: InMemoryPrekeyStore,
        trust: AccountTrust,
        peers: Vec<(AccountId, AccountPublicKey, bool)>,
        rng: &mut R,
    ) -> Result<Self, DeviceError> {
        let mut accounts = BTreeMap::new();
        for (account, key, verified) in peers {
            accounts.insert(account, AccountTrust::pinned(account, key, verified));
        }
        accounts.insert(trust.account_id(), trust);
        let mut device = Self {
            backend,
            keys: StoreKeys::derive(store_key),
            config,
            own,
            prekeys,
            accounts,
            sessions: BTreeMap::new(),
        };
        let mut batch = vec![device.device_write(rng)?, device.prekeys_write(rng)?];
        for account in device.accounts.keys() {
            batch.push(device.account_write(*account, rng)?);
        }
        device.backend.apply(&batch)?;
        Ok(device)
    }

    /// Opens a device from its store.
    pub fn open(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
    ) -> Result<Self, DeviceError> {
        let keys = StoreKeys::derive(store_key);
        let state = load(&backend, &keys)?;
        Ok(Self {
            backend,
            keys,
            config,
            own: state.own,
            prekeys: state.prekeys,
            accounts: state.accounts,
            sessions: state.sessions,
        })
    }

    /// Gives the backend back (to reopen it, or to inspect it in a test).
    pub fn into_backend(self) -> B {
        self.backend
    }

    /// The backend.
    pub const fn backend(&self) -> &B {
        &self.backend
    }

    /// This device's account.
    #[must_use]
    pub const fn account_id(&self) -> AccountId {
        self.own.account
    }

    /// This device's id.
    #[must_use]
    pub const fn device_id(&self) -> u32 {
        self.own.device_id
    }

    /// Whether this device holds the account key.
    #[must_use]
    pub const fn holds_account_key(&self) -> bool {
        self.own.account_key.is_some()
    }

    /// Whether this device learned it was revoked.
    #[must_use]
    pub const fn is_revoked(&self) -> bool {
        self.own.revoked
    }

    /// This device's identity keys.
    pub fn identity_key(&self) -> Result<DeviceIdentityKey, DeviceError> {
        Ok(self.prekeys.identity()?.public())
    }

    /// The newest own list this device holds.
    pub fn own_list(&self) -> Result<&SignedDeviceList, DeviceError> {
        self.trust(self.own.account)?
            .list()
            .ok_or_else(|| corrupt("own account without a list"))
    }

    /// What this device holds about `account`, if anything.
    #[must_use]
    pub fn account(&self, account: AccountId) -> Option<&AccountTrust> {
        self.accounts.get(&account)
    }

    fn trust(&self, account: AccountId) -> Result<&AccountTrust, DeviceError> {
        self.accounts
            .get(&account)
            .ok_or(DeviceError::UnknownAccount(account))
    }

    /// The prekeys to publish.
    #[must_use]
    pub fn published_prekeys(&self) -> Option<PublishedPrekeys> {
        self.prekeys.published()
    }

    /// The peers this account trusts (account id, pinned key, verified): what linking hands
    /// a new device.
    #[must_use]
    pub fn pinned_peers(&self) -> Vec<(AccountId, AccountPublicKey, bool)> {
        self.accounts
            .values()
            .filter(|t| t.account_id() != self.own.account)
            .map(|t| (t.account_id(), *t.pinned_key(), t.is_verified()))
            .collect()
    }

    /// How many sessions (active and archived) this device holds with `account`'s
    /// `device_id`.
    #[must_use]
    pub fn session_count(&self, account: AccountId, device_id: u32) -> usize {
        self.sessions
            .get(&(account, device_id))
            .map_or(0, DeviceSessions::len)
    }

    /// The safety number with `account`, from this account's key and the pinned one.
    pub fn safety_number(&self, account: AccountId) -> Result<SafetyNumber, DeviceError> {
        let own = self.trust(self.own.account)?;
        let peer = self.trust(account)?;
        Ok(SafetyNumber::derive(
            own.pinned_key(),
            &self.own.account,
            peer.pinned_key(),
            &account,
        ))
    }

    // ------------------------------------------------------------------ account key holder

    /// Adds a device (from its checked link code) to the own list: an id above every id the
    /// account ever gave (one above the higher of the list's version and its highest id),
    /// a new version signed by the account key. Returns the id and the new list, to hand to the
    /// new device and to publish, with the events. Refused if the list already holds the
    /// identity ([`DeviceError::AlreadyInList`]).
    pub fn add_device<R: CryptoRng + ?Sized>(
        &mut self,
        identity: DeviceIdentityKey,
        now: u64,
        rng: &mut R,
    ) -> Result<(u32, SignedDeviceList, Observed), DeviceError> {
        let list = self.own_list()?.list();
        if list
            .devices()
            .iter()
            .any(|d| d.identity().ct_matches(&identity))
        {
            return Err(DeviceError::AlreadyInList);
        }
        // Never an id a revoked device had: peers holding a list with that id under the old
        // keys would refuse the new list (DEV-TR-04), and mail queued for the old device
        // would go to the new one. Every list the account key signs is one version above the
        // one before, and a device added to the list of version `v` gets an id at most `v`,
        // so `v + 1` is above every id ever given.
        let highest = list
            .devices()
            .iter()
            .map(DeviceEntry::device_id)
            .max()
            .unwrap_or(0);
        let version = u32::try_from(list.version()).map_err(|_| DeviceListError::DeviceIds)?;
        let id = highest
            .max(version)
            .checked_add(1)
            .ok_or(DeviceListError::DeviceIds)?;
        let mut devices = list.devices().to_vec();
        devices.push(DeviceEntry::new(id, identity));
        let signed = self.sign_own_list(devices, now)?;
        let observed = self.observe_list(signed.clone(), rng)?;
        Ok((id, signed, observed))
    }

    /// Revokes a device: a new own list without it. Peers that observe the list close its
    /// sessions and stop encrypting to it; the revoked device learns it when it observes the
    /// list.
    pub fn revoke_device<R: CryptoRng + ?Sized>(
        &mut self,
        device_id: u32,
        now: u64,
        rng: &mut R,
    ) -> Result<(SignedDeviceList, Observed), DeviceError> {
        let list = self.own_list()?.list();
        if device_id == self.own.device_id || list.device(device_id).is_none() {
            return Err(DeviceError::CannotRevoke);
        }
        let devices = list
            .devices()
            .iter()
            .filter(|d| d.device_id() != device_id)
            .copied()
            .collect();
        let signed = self.sign_own_list(devices, now)?;
        let observed = self.observe_list(signed.clone(), rng)?;
        Ok((signed, observed))
    }

    fn sign_own_list(
        &self,
        devices: Vec<DeviceEntry>,
        now: u64,
    ) -> Result<SignedDeviceList, DeviceError> {
        let key = self
            .own
            .account_key
            .as_ref()
            .ok_or(DeviceError::NotAccountKeyHolder)?;
        let version =
            self.own_list()?
                .list()
                .version()
                .checked_add(1)
                .ok_or(TrustError::RolledBack {
                    held: u64::MAX,
                    offered: 0,
                })?;
        Ok(DeviceList::new(self.own.account, version, now, devices)?.sign(key))
    }

    // ------------------------------------------------------------------ trust

    /// A device list the relay served. An unknown account is pinned on first use; a known one
    /// goes through [`AccountTrust::observe`]. Sessions with removed devices are closed. The
    /// own account's list tells this device whether it was revoked.
    pub fn observe_list<R: CryptoRng + ?Sized>(
        &mut self,
        list: SignedDeviceList,
        rng: &mut R,
    ) -> Result<Observed, DeviceError> {
        let account = list.list().account_id();
        let events = match self.accounts.get_mut(&account) {
            Some(trust) => trust.observe(list)?,
            None => {
                let (trust, events) = AccountTrust::pin_first_use(list);
                self.accounts.insert(account, trust);
                events
            }
        };
        self.after_trust_change(account, events, rng)
    }

    /// Accepts `account`'s pending key change (DEV-TR-07 if there is none).
    pub fn accept_key_change<R: CryptoRng + ?Sized>(
        &mut self,
        account: AccountId,
        rng: &mut R,
    ) -> Result<Observed, DeviceError> {
        let events = self
            .accounts
            .get_mut(&account)
            .ok_or(DeviceError::UnknownAccount(account))?
            .accept_key_change()?;
        self.after_trust_change(account, events, rng)
    }

    /// Marks `account` verified after a safety-number comparison of the number derived from
    /// `compared` gave `result` (see [`AccountTrust::mark_verified`]).
    pub fn mark_verified<R: CryptoRng + ?Sized>(
        &mut self,
        account: AccountId,
        compared: &AccountPublicKey,
        result: Comparison,
        rng: &mut R,
    ) -> Result<(), DeviceError> {
        self.accounts
            .get_mut(&account)
            .ok_or(DeviceError::UnknownAccount(account))?
            .mark_verified(compared, result)?;
        let write = self.account_write(account, rng)?;
        self.commit(vec![write])
    }

    fn after_trust_change<R: CryptoRng + ?Sized>(
        &mut self,
        account: AccountId,
        events: Vec<TrustEvent>,
        rng: &mut R,
    ) -> Result<Observed, DeviceError> {
        let mut batch = vec![self.account_write(account, rng)?];
        for event in &events {
            if let TrustEvent::DeviceRemoved { device_id, .. } = event
                && self.sessions.remove(&(account, *device_id)).is_some()
            {
                batch.push(self.sessions_delete(account, *device_id));
            }
        }
        let mut this_device_revoked = false;
        if account == self.own.account {
            let held = self.trust(account)?;
            let me = self.prekeys.identity()?.public();
            if held.check_device(self.own.device_id, &me).is_err() && !self.own.revoked {
                self.own.revoked = true;
                this_device_revoked = true;
                batch.push(self.device_write(rng)?);
            }
        }
        self.commit(batch)?;
        Ok(Observed {
            events,
            this_device_revoked,
        })
    }

    /// The relay answered a fan-out with [`StaleDevices`]: after the caller fetched
    /// `fresh`, the account's signed list, this observes it and checks that the relay's claim
    /// now agrees with it (its missing devices are in the list, its extra ones are not);
    /// otherwise [`DeviceError::StaleMismatch`] and the list is still observed. Then send again.
    pub fn handle_stale<R: CryptoRng + ?Sized>(
        &mut self,
        stale: &StaleDevices,
        fresh: SignedDeviceList,
        rng: &mut R,
    ) -> Result<Observed, DeviceError> {
        let account = fresh.list().account_id();
        let observed = self.observe_list(fresh, rng)?;
        let list = self
            .trust(account)?
            .list()
            .ok_or(TrustError::NoDeviceList)?
            .list();
        let agrees = stale.missing.iter().all(|id| list.device(*id).is_some())
            && stale.extra.iter().all(|id| list.device(*id).is_none());
        if agrees {
            Ok(observed)
        } else {
            Err(DeviceError::StaleMismatch)
        }
    }

    // ------------------------------------------------------------------ sending

    /// The devices a message to `account` goes to: its trusted devices, and this account's
    /// other devices; errors if a key change is pending (DEV-TR-06) or this device is revoked.
    pub fn recipients(&self, account: AccountId) -> Result<Vec<(AccountId, u32)>, DeviceError> {
        if self.own.revoked {
            return Err(DeviceError::Revoked);
        }
        let mut out: Vec<(AccountId, u32)> = self
            .trust(account)?
            .devices_for_sending()?
            .iter()
            .map(|d| (account, d.device_id()))
            .collect();
        if account != self.own.account {
            out.extend(
                self.trust(self.own.account)?
                    .devices_for_sending()?
                    .iter()
                    .map(|d| (self.own.account, d.device_id())),
            );
        }
        out.retain(|&(a, d)| !(a == self.own.account && d == self.own.device_id));
        Ok(out)
    }

    /// The recipients of a message to `account` with which no session is held: fetch a
    /// bundle for each before [`Device::encrypt`].
    pub fn missing_sessions(
        &self,
        account: AccountId,
    ) -> Result<Vec<(AccountId, u32)>, DeviceError> {
        let mut out = self.recipients(account)?;
        out.retain(|k| !self.sessions.get(k).is_some_and(DeviceSessions::has_active));
        Ok(out)
    }

    /// Encrypts `plaintext` to every trusted device of `account` and to this account's other
    /// devices: one fan-out per account. A recipient without a session needs a bundle in
    /// `bundles` (keyed by account and device id, as the relay offered them); each bundle is
    /// checked against the newest list first (a ghost device DEV-TR-05, a swapped key
    /// DEV-TR-04) and the handshake checks the full identity again (HS-11). Missing bundles:
    /// [`DeviceError::NeedBundles`], nothing changed.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        account: AccountId,
        plaintext: &[u8],
        bundles: &[(AccountId, u32, VerifiedBundle)],
        rng: &mut R,
    ) -> Result<Vec<FanOut>, DeviceError> {
        let recipients = self.recipients(account)?;
        // Every bundle offered is checked, used or not: a ghost offered is refused loudly.
        for (a, d, bundle) in bundles {
            self.trust(*a)?
                .check_device(*d, bundle.bundle().identity())?;
        }
        let needed: Vec<_> = recipients
            .iter()
            .filter(|k| !self.sessions.get(k).is_some_and(DeviceSessions::has_active))
            .filter(|(a, d)| !bundles.iter().any(|(ba, bd, _)| ba == a && bd == d))
            .copied()
            .collect();
        if !needed.is_empty() {
            return Err(DeviceError::NeedBundles(needed));
        }
        let identity = self.prekeys.identity()?;
        let result = (|| {
            let mut per_account: BTreeMap<AccountId, Vec<(u32, Vec<u8>)>> = BTreeMap::new();
            for &(a, d) in &recipients {
                let sessions = self.sessions.entry((a, d)).or_default();
                let bytes = if sessions.has_active() {
                    sessions.encrypt(plaintext, rng)?
                } else {
                    let (_, _, bundle) = bundles
                        .iter()
                        .find(|(ba, bd, _)| *ba == a && *bd == d)
                        .ok_or(DeviceError::NeedBundles(vec![(a, d)]))?;
                    let expected = *bundle.bundle().identity();
                    let initiation =
                        initiate(&identity, bundle, &expected, plaintext, &self.config, rng)?;
                    sessions.install_initiated(initiation)
                };
                per_account.entry(a).or_default().push((d, bytes));
            }
            let mut batch = Vec::new();
            for &(a, d) in &recipients {
                batch.push(self.sessions_write(a, d, rng)?);
            }
            let fan_outs = per_account
                .into_iter()
                .map(|(a, entries)| FanOut::new(a, entries))
                .collect::<Result<Vec<_>, _>>()?;
            self.backend.apply(&batch)?;
            Ok(fan_outs)
        })();
        self.reload_on_error(result)
    }

    // ------------------------------------------------------------------ receiving

    /// Decrypts a message the relay delivered from `account`'s device `device_id`. The
    /// device must be in the account's newest list (DEV-TR-05); an initial message must come
    /// from exactly that device's identity (DEV-TR-04, then HS-11 in session setup). An
    /// initial message that re-attaches the setup of a held session decrypts on it without
    /// running session setup again; any other sets a new session up with this device's
    /// prekeys. The sessions and the prekeys used are written in one batch.
    pub fn decrypt<R: CryptoRng + ?Sized>(
        &mut self,
        account: AccountId,
        device_id: u32,
        bytes: &[u8],
        rng: &mut R,
    ) -> Result<Received, DeviceError> {
        if self.own.revoked {
            return Err(DeviceError::Revoked);
        }
        if account == self.own.account && device_id == self.own.device_id {
            return Err(TrustError::GhostDevice(device_id).into());
        }
        let trust = self.trust(account)?;
        let entry = *trust
            .list()
            .and_then(|l| l.list().device(device_id))
            .ok_or(TrustError::GhostDevice(device_id))?;
        let incoming = Incoming::from_bytes(bytes).map_err(DeviceError::Decode)?;
        let result = (|| {
            let mut prekeys_used = false;
            let plaintext = match incoming {
                Incoming::Message(message) => self
                    .sessions
                    .get_mut(&(account, device_id))
                    .ok_or(SessionsError::NoSession)?
                    .decrypt(&message)?,
                Incoming::Initial(initial) => {
                    if !entry.identity().ct_matches(initial.initiator()) {
                        return Err(TrustError::DeviceKeySwapped(device_id).into());
                    }
                    let sessions = self.sessions.entry((account, device_id)).or_default();
                    match sessions.decrypt_initial(&initial)? {
                        InitialOutcome::Decrypted(p) => p,
                        InitialOutcome::NeedsSetup => {
                            let response = respond(
                                &mut self.prekeys,
                                &initial,
                                entry.identity(),
                                &self.config,
                            )?;
                            sessions.install_responded(response.session, SetupBase::of(&initial));
                            prekeys_used = true;
                            response.plaintext
                        }
                    }
                }
                // `Incoming` may grow new kinds; none of them is a message of this version.
                _ => {
                    return Err(DeviceError::Decode(
                        sotto_handshake::DecodeError::UnknownVersion(
                            bytes.first().copied().unwrap_or(0),
                        ),
                    ));
                }
            };
            let mut batch = vec![self.sessions_write(account, device_id, rng)?];
            if prekeys_used {
                batch.push(self.prekeys_write(rng)?);
            }
            self.backend.apply(&batch)?;
            Ok(Received {
                account,
                device_id,
                plaintext,
            })
        })();
        // A session entry created for a message that failed must not linger.
        if result.is_err()
            && let Some(s) = self.sessions.get(&(account, device_id))
            && s.is_empty()
        {
            self.sessions.remove(&(account, device_id));
        }
        self.reload_on_error(result)
    }

    /// Replenishes one-time prekeys and rotates the signed prekey as the policy says (for the
    /// caller's schedule); written before it returns.
    pub fn refresh_prekeys<R: CryptoRng + ?Sized>(
        &mut self,
        now: u64,
        rng: &mut R,
    ) -> Result<(), DeviceError> {
        self.prekeys.prune(now);
        drop(self.prekeys.replenish(rng));
        let write = self.prekeys_write(rng)?;
        let result = self.backend.apply(&[write]).map_err(DeviceError::from);
        self.reload_on_error(result)
    }

    // ------------------------------------------------------------------ persistence

    fn commit(&mut self, batch: Vec<Write>) -> Result<(), DeviceError> {
        let result = self.backend.apply(&batch).map_err(DeviceError::from);
        self.reload_on_error(result)
    }

    /// On an error after the in-memory state may have changed, the state is read back from
    /// the store, which the failed call did not change.
    fn reload_on_error<T>(&mut self, result: Result<T, DeviceError>) -> Result<T, DeviceError> {
        if result.is_err()
            && let Ok(state) = load(&self.backend, &self.keys)
        {
            self.own = state.own;
            self.prekeys = state.prekeys;
            self.accounts = state.accounts;
            self.sessions = state.sessions;
        }
        result
    }

    fn put<R: CryptoRng + ?Sized>(
        &self,
        kind: RecordKind,
        plain_key: &[u8],
        plaintext: &[u8],
        rng: &mut R,
    ) -> Write {
        let index = self.keys.index(kind, plain_key);
        Write::Put {
            kind,
            index,
            value: self.keys.seal(kind, &index, plaintext, rng),
        }
    }

    /// `0x01 || account_id[16] || u32be(device_id) || u8(flags: 1 account key, 2 revoked)
    /// || [account key seed[32]]`.
    fn device_write<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<Write, DeviceError> {
        let mut p = zeroize::Zeroizing::new(Vec::with_capacity(1 + 16 + 4 + 1 + 32));
        p.push(1);
        p.extend_from_slice(&self.own.account.to_bytes());
        p.extend_from_slice(&self.own.device_id.to_be_bytes());
        p.push(u8::from(self.own.account_key.is_some()) | (u8::from(self.own.revoked) << 1));
        if let Some(key) = &self.own.account_key {
            p.extend_from_slice(key.expose_seed());
        }
        Ok(self.put(RecordKind::Device, &[], &p, rng))
    }

    /// The prekey-store pickle (section 4.2) under the value key, context `u8(2) || index`.
    fn prekeys_write<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<Write, DeviceError> {
        let index = self.keys.index(RecordKind::Prekeys, &[]);
        let pickle = self
            .prekeys
            .pickle(
                self.keys.value_key(),
                &slot_context(RecordKind::Prekeys, &index),
                rng,
            )
            .map_err(|_| corrupt("prekey store does not pickle"))?;
        Ok(self.put(RecordKind::Prekeys, &[], &pickle, rng))
    }

    /// `0x01 || u8(flags: 1 verified, 2 list, 4 pending) || account_id[16] || pinned[32] ||
    /// [u16be(len) || list] || [u16be(len) || pending list]`.
    fn account_write<R: CryptoRng + ?Sized>(
        &self,
        account: AccountId,
        rng: &mut R,
    ) -> Result<Write, DeviceError> {
        let (pinned, verified, list, pending) = self.trust(account)?.parts();
        let flags = u8::from(verified)
            | (u8::from(list.is_some()) << 1)
            | (u8::from(pending.is_some()) << 2);
        let mut p = vec![1, flags];
        p.extend_from_slice(&account.to_bytes());
        p.extend_from_slice(&pinned.to_bytes());
        for l in list.into_iter().chain(pending) {
            let bytes = l.as_bytes();
            p.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
            p.extend_from_slice(bytes);
        }
        Ok(self.put(RecordKind::Account, &account.to_bytes(), &p, rng))
    }

    /// `account_id[16] || u32be(device_id) || sessions` (see `DeviceSessions::encode`), or a
    /// delete when no session is left.
    fn sessions_write<R: CryptoRng + ?Sized>(
        &self,
        account: AccountId,
        device_id: u32,
        rng: &mut R,
    ) -> Result<Write, DeviceError> {
        let key = sessions_key(account, device_id);
        let index = self.keys.index(RecordKind::Sessions, &key);
        let Some(sessions) = self.sessions.get(&(account, device_id)) else {
            return Ok(self.sessions_delete(account, device_id));
        };
        let mut p = key.to_vec();
        p.extend_from_slice(
            &sessions
                .encode(
                    self.keys.value_key(),
                    &slot_context(RecordKind::Sessions, &index),
                    rng,
                )
                .map_err(|_| corrupt("session does not pickle"))?,
        );
        Ok(self.put(RecordKind::Sessions, &key, &p, rng))
    }

    fn sessions_delete(&self, account: AccountId, device_id: u32) -> Write {
        Write::Delete {
            kind: RecordKind::Sessions,
            index: self
                .keys
                .index(RecordKind::Sessions, &sessions_key(account, device_id)),
        }
    }
}

struct State {
    own: Own,
    prekeys: InMemoryPrekeyStore,
    accounts: BTreeMap<AccountId, AccountTrust>,
    sessions: BTreeMap<(AccountId, u32), DeviceSessions>,
}

/// Reads every record and checks each against its index.
fn load<B: RecordBackend + ?Sized>(backend: &B, keys: &StoreKeys) -> Result<State, DeviceError> {
    let open_one = |kind: RecordKind| -> Result<zeroize::Zeroizing<Vec<u8>>, DeviceError> {
        let index = keys.index(kind, &[]);
        let value = backend
            .get(kind, &index)?
            .ok_or_else(|| corrupt("record missing"))?;
        keys.open(kind, &index, &value)
            .map_err(|_| corrupt("record does not open"))
    };
    let p = open_one(RecordKind::Device)?;
    let (account, device_id, flags, rest) = match p.as_slice() {
        [1, rest @ ..] if rest.len() >= 21 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&rest[..16]);
            let d = u32::from_be_bytes([rest[16], rest[17], rest[18], rest[19]]);
            (AccountId::from_bytes(a), d, rest[20], &rest[21..])
        }
        _ => return Err(corrupt("device record")),
    };
    if flags & !0b11 != 0 || rest.len() != if flags & 1 != 0 { 32 } else { 0 } {
        return Err(corrupt("device record"));
    }
    let account_key = (flags & 1 != 0).then(|| {
        let mut seed = SecretBytes::<32>::zero();
        seed.expose_mut().copy_from_slice(rest);
        AccountKey::from_seed(seed)
    });
    let own = Own {
        account,
        device_id,
        account_key,
        revoked: flags & 2 != 0,
    };
    let prekeys_index = keys.index(RecordKind::Prekeys, &[]);
    let p = open_one(RecordKind::Prekeys)?;
    let prekeys = InMemoryPrekeyStore::from_pickle(
        keys.value_key(),
        &slot_context(RecordKind::Prekeys, &prekeys_index),
        &p,
    )
    .map_err(|_| corrupt("prekey store"))?;

    let mut accounts = BTreeMap::new();
    for (index, value) in backend.scan(RecordKind::Account)? {
        let p = keys
            .open(RecordKind::Account, &index, &value)
            .map_err(|_| corrupt("account record does not open"))?;
        let trust = decode_account(&p).ok_or_else(|| corrupt("account record"))?;
        let id = trust.account_id();
        if keys.index(RecordKind::Account, &id.to_bytes()) != index {
            return Err(corrupt("account record under another index"));
        }
        accounts.insert(id, trust);
    }
    if !accounts.contains_key(&own.account) {
        return Err(corrupt("own account record missing"));
    }
    let mut sessions = BTreeMap::new();
    for (index, value) in backend.scan(RecordKind::Sessions)? {
        let p = keys
            .open(RecordKind::Sessions, &index, &value)
            .map_err(|_| corrupt("sessions record does not open"))?;
        if p.len() < 20 {
            return Err(corrupt("sessions record"));
        }
        let (key, rest) = p.split_at(20);
        if keys.index(RecordKind::Sessions, key) != index {
            return Err(corrupt("sessions record under another index"));
        }
        let mut a = [0u8; 16];
        a.copy_from_slice(&key[..16]);
        let d = u32::from_be_bytes([key[16], key[17], key[18], key[19]]);
        let s = DeviceSessions::decode(
            keys.value_key(),
            &slot_context(RecordKind::Sessions, &index),
            rest,
        )
        .ok_or_else(|| corrupt("sessions record"))?;
        sessions.insert((AccountId::from_bytes(a), d), s);
    }
    Ok(State {
        own,
        prekeys,
        accounts,
        sessions,
    })
}

fn decode_account(p: &[u8]) -> Option<AccountTrust> {
    let [1, flags, rest @ ..] = p else {
        return None;
    };
    if flags & !0b111 != 0 || rest.len() < 48 {
        return None;
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&rest[..16]);
    let mut key = [0u8; 32];
    key.copy_from_slice(&rest[16..48]);
    let pinned = AccountPublicKey::from_bytes(&key).ok()?;
    let mut r = &rest[48..];
    let mut take_list = |present: bool| -> Option<Option<SignedDeviceList>> {
        if !present {
            return Some(None);
        }
        if r.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([r[0], r[1]]));
        if r.len() < 2 + len {
            return None;
        }
        let list = SignedDeviceList::from_bytes(&r[2..2 + len]).ok()?;
        r = &r[2 + len..];
        Some(Some(list))
    };
    let list = take_list(flags & 2 != 0)?;
    let pending = take_list(flags & 4 != 0)?;
    if !r.is_empty() {
        return None;
    }
    AccountTrust::from_parts(
        AccountId::from_bytes(id),
        pinned,
        flags & 1 != 0,
        list,
        pending,
    )
}
