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
use crate::fanout::{DevicePlaintext, FanOut, FanOutError, StaleDevices};
use crate::link::{self, LinkCode, LinkError, LinkPayload, PeerPin, PendingLink, SealError};
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
    /// A link code did not decode (DEV-LK-01..07): for callers that read the code and link
    /// in one step.
    #[error("link code")]
    LinkCode(#[from] link::CodeError),
    /// Linking refused the code or the message (DEV-LK-xx, section 8.3).
    #[error("linking")]
    Link(#[from] LinkError),
    /// The primary refused to link the code (DEV-LK-12, 14..17).
    #[error("linking")]
    LinkSeal(#[from] SealError),
    /// The identity given is not the one the pending link was made for.
    #[error("the identity is not the one of the pending link")]
    NotThisDevicesLink,
    /// A call failed after changing the in-memory state and the state could not be read back
    /// from the store: open the device again.
    #[error("device state could not be restored from the store; reopen it")]
    Broken,
    /// The store holds a device, under another store key (or the records were moved).
    #[error("the store was written under another store key")]
    WrongStoreKey,
    /// The store holds no device.
    #[error("the store holds no device")]
    NoDevice,
    /// A device is created only on an empty store.
    #[error("the store already holds a device")]
    StoreNotEmpty,
    /// The store is older than the generation the platform kept.
    #[error("the store is at generation {stored}, older than {expected}")]
    RolledBack {
        /// The store's generation.
        stored: u64,
        /// The generation the caller expected at least.
        expected: u64,
    },
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

/// A message that decrypted. Its `Debug` prints the plaintext's length, not its bytes.
#[derive(PartialEq, Eq)]
pub struct Received {
    /// The sending account.
    pub account: AccountId,
    /// The sending device.
    pub device_id: u32,
    /// The account the message is to: this account, or, on a copy from another device of
    /// this account, the peer that device wrote to.
    pub recipient: AccountId,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

impl core::fmt::Debug for Received {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Received")
            .field("account", &self.account)
            .field("device_id", &self.device_id)
            .field("recipient", &self.recipient)
            .field("plaintext_len", &self.plaintext.len())
            .finish()
    }
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
    /// A reload after a failed call failed: see [`DeviceError::Broken`].
    broken: bool,
    /// Every record's share of the store digest (all kinds but the device record).
    shares: BTreeMap<(RecordKind, RecordIndex), [u8; 32]>,
    /// The XOR of `shares`, as the device record holds it.
    digest: [u8; 32],
    /// How many batches the store has taken; written in the device record.
    generation: u64,
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

/// The context of a record: `u8(kind) || index`, to which sessions append their position.
fn record_context(kind: RecordKind, index: &RecordIndex) -> Vec<u8> {
    StoreKeys::context(kind, index).to_vec()
}

/// The context of the prekey-store pickle inside its record: `0x02 || index || 0x00`.
fn prekeys_context(index: &RecordIndex) -> Vec<u8> {
    let mut c = record_context(RecordKind::Prekeys, index);
    c.push(0);
    c
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

    /// A new device joins its account (section 8.3): `pending` is the half of the link code
    /// it showed, `message` the link message the account key holder sent back. The message
    /// must open under the link secret (DEV-LK-08..16) and its list must hold `identity`
    /// under the device id it assigns; the account's key is pinned from that list, and the
    /// peers it hands over are pinned with their verified marks (their lists are fetched
    /// later and must be signed by those keys). On any error nothing is written and `pending`
    /// can still open the genuine message.
    #[allow(clippy::too_many_arguments)]
    pub fn from_link<R: CryptoRng + ?Sized>(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
        policy: PrekeyPolicy,
        identity: DeviceIdentity,
        pending: &mut PendingLink,
        message: &[u8],
        now: u64,
        rng: &mut R,
    ) -> Result<Self, DeviceError> {
        if !pending.identity().ct_matches(&identity.public()) {
            return Err(DeviceError::NotThisDevicesLink);
        }
        let payload = pending.open(message)?;
        let (trust, _) = AccountTrust::pin_first_use(payload.list);
        trust.check_device(payload.device_id, &identity.public())?;
        let peers = payload
            .peers
            .iter()
            .filter(|p| p.account_id != payload.account_id)
            .map(|p| {
                AccountTrust::pinned_at_least(
                    p.account_id,
                    p.account_key,
                    p.verified,
                    p.min_version,
                )
            })
            .collect();
        Self::install(
            backend,
            store_key,
            config,
            Own {
                account: trust.account_id(),
                device_id: payload.device_id,
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
        peers: Vec<AccountTrust>,
        rng: &mut R,
    ) -> Result<Self, DeviceError> {
        let mut accounts = BTreeMap::new();
        for peer in peers {
            accounts.insert(peer.account_id(), peer);
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
            broken: false,
            shares: BTreeMap::new(),
            digest: [0; 32],
            generation: 0,
        };
        if !device.backend.scan(RecordKind::Device)?.is_empty() {
            return Err(DeviceError::StoreNotEmpty);
        }
        let mut batch = vec![device.prekeys_write(rng)?];
        for account in device.accounts.keys() {
            batch.push(device.account_write(*account, rng)?);
        }
        device.write(batch, rng)?;
        Ok(device)
    }

    /// Opens a device from its store.
    pub fn open(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
    ) -> Result<Self, DeviceError> {
        Self::open_at_least(backend, store_key, config, 0)
    }

    /// Opens a device from its store, refusing a store older than `generation`
    /// ([`DeviceError::RolledBack`]): the platform keeps [`Device::generation`] outside the
    /// store (a key store, a counter in secure hardware) and passes it here, which detects a
    /// whole store put back from an older copy. A record put back, deleted or added on its own
    /// is detected by the store digest in any case (protocol.md 8.6).
    pub fn open_at_least(
        backend: B,
        store_key: &SecretBytes<32>,
        config: HandshakeConfig,
        generation: u64,
    ) -> Result<Self, DeviceError> {
        let keys = StoreKeys::derive(store_key);
        let state = load(&backend, &keys)?;
        if state.generation < generation {
            return Err(DeviceError::RolledBack {
                stored: state.generation,
                expected: generation,
            });
        }
        Ok(Self {
            backend,
            keys,
            config,
            own: state.own,
            prekeys: state.prekeys,
            accounts: state.accounts,
            sessions: state.sessions,
            broken: false,
            digest: digest_of(&state.shares),
            shares: state.shares,
            generation: state.generation,
        })
    }

    /// How many batches this device's store has taken: keep it outside the store and give it
    /// to [`Device::open_at_least`].
    #[must_use]
    pub const fn generation(&self) -> u64 {
        self.generation
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

    /// The peers linking hands a new device: the verified ones first, then the others, at
    /// most [`link::MAX_PEERS`].
    fn peers_to_hand_over(&self) -> Vec<(AccountId, AccountPublicKey, bool)> {
        let mut peers = self.pinned_peers();
        peers.sort_by_key(|(_, _, verified)| !*verified);
        peers.truncate(link::MAX_PEERS);
        peers
    }

    /// How many sessions (active and archived) this device holds with `account`'s
    /// `device_id`.
    #[must_use]
    pub fn session_count(&self, account: AccountId, device_id: u32) -> usize {
        self.sessions
            .get(&(account, device_id))
            .map_or(0, DeviceSessions::len)
    }

    /// The kind of the active session with `account`'s `device_id` (sessions keep the kind
    /// they were set up with), or `None` without one.
    #[must_use]
    pub fn session_kind(
        &self,
        account: AccountId,
        device_id: u32,
    ) -> Option<sotto_ratchet::SessionKind> {
        self.sessions
            .get(&(account, device_id))
            .and_then(DeviceSessions::active_kind)
    }

    /// The session setup options new sessions get.
    #[must_use]
    pub const fn handshake_config(&self) -> HandshakeConfig {
        self.config
    }

    /// Replaces the session setup options new sessions get (held sessions keep theirs; both
    /// sides of a new session must use the same, see [`HandshakeConfig`]).
    pub fn set_handshake_config(&mut self, config: HandshakeConfig) {
        self.config = config;
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

    /// Links the device that showed `code` (read from its screen: [`LinkCode::from_text`] or
    /// [`LinkCode::from_bytes`]): refuses a code whose keys the own list already holds
    /// (DEV-LK-17), adds the device under the next free id to a new list signed by the
    /// account key, and seals the link message (section 8.3) with the new list and the trust
    /// state (every pinned peer with its verified mark). Returns the message for the new
    /// device, the new list to publish and the events. On error nothing changed.
    pub fn link_device<R: CryptoRng + ?Sized>(
        &mut self,
        code: LinkCode,
        now: u64,
        rng: &mut R,
    ) -> Result<(Vec<u8>, SignedDeviceList, Observed), DeviceError> {
        self.usable()?;
        let list = self.own_list()?.list();
        code.check_not_listed(list)?;
        // The new device's id is the version of the list that adds it: versions never repeat
        // under one account key, so an id is never given twice (a revoked device's id is
        // never reused, and a peer that missed the revocation sees a new id, not a swap).
        let device_id = list
            .version()
            .checked_add(1)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or(DeviceListError::DeviceIds)?;
        let mut devices = list.devices().to_vec();
        devices.push(DeviceEntry::new(device_id, *code.identity()));
        let signed = self.sign_own_list(devices, now)?;
        let payload = LinkPayload {
            account_id: self.own.account,
            device_id,
            list: signed.clone(),
            peers: self
                .peers_to_hand_over()
                .into_iter()
                .map(|(account_id, account_key, verified)| PeerPin {
                    account_id,
                    account_key,
                    verified,
                    min_version: self
                        .accounts
                        .get(&account_id)
                        .map_or(0, |t| t.list().map_or(t.floor(), |l| l.list().version())),
                })
                .collect(),
        };
        let message = link::seal(code, &payload, rng)?;
        let observed = self.observe_list(signed.clone(), rng)?;
        Ok((message, signed, observed))
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
        self.usable()?;
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
        self.usable()?;
        let account = list.list().account_id();
        // The device holding the account key knows it: an own list signed by any other key
        // can only be forged (DEV-TR-09), never a key change to show and accept.
        let key_held = (account == self.own.account)
            .then(|| self.own.account_key.as_ref().map(AccountKey::public))
            .flatten();
        let events = match self.accounts.get_mut(&account) {
            Some(trust) => match &key_held {
                Some(key) => trust.observe_as_key_holder(list, key)?,
                None => trust.observe(list)?,
            },
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
        self.usable()?;
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
        self.usable()?;
        self.accounts
            .get_mut(&account)
            .ok_or(DeviceError::UnknownAccount(account))?
            .mark_verified(compared, result)?;
        let write = self.account_write(account, rng)?;
        self.commit(vec![write], rng)
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
                // Written with the batch: the device record is part of every batch.
                self.own.revoked = true;
                this_device_revoked = true;
            }
        }
        self.commit(batch, rng)?;
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
        self.usable()?;
        let account = stale.account;
        // The list must be of the account the answer is about (DEV-TR-01), checked before
        // the list is observed (or pinned).
        if fresh.list().account_id() != account {
            return Err(TrustError::WrongAccount.into());
        }
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
        self.usable()?;
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
        let framed = DevicePlaintext::new(
            self.own.account,
            self.own.device_id,
            account,
            plaintext.to_vec(),
        )
        .to_bytes();
        let plaintext = framed.as_slice();
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
            self.write(batch, rng)?;
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
        self.decrypt_inner(account, device_id, bytes, false, rng)
    }

    /// Mail from an account this device does not know yet ([`Device::decrypt`] gave
    /// [`DeviceError::UnknownAccount`]): `list` is the sender account's list the caller
    /// fetched. The account is pinned on first use **only if the message decrypts** (and
    /// its device plaintext checks, DEV-PT-02), in the same batch as the new session; mail
    /// that does not decrypt leaves nothing behind, so a relay cannot make a device pin
    /// accounts of its own by sending junk. A list of another account than the mail's is
    /// refused (DEV-TR-01); for an account already known this is `observe_list` then
    /// `decrypt`.
    pub fn decrypt_first_contact<R: CryptoRng + ?Sized>(
        &mut self,
        list: SignedDeviceList,
        device_id: u32,
        bytes: &[u8],
        rng: &mut R,
    ) -> Result<(Received, Observed), DeviceError> {
        self.usable()?;
        let account = list.list().account_id();
        if self.accounts.contains_key(&account) {
            let observed = self.observe_list(list, rng)?;
            return Ok((self.decrypt(account, device_id, bytes, rng)?, observed));
        }
        let (trust, events) = AccountTrust::pin_first_use(list);
        self.accounts.insert(account, trust);
        match self.decrypt_inner(account, device_id, bytes, true, rng) {
            Ok(received) => Ok((
                received,
                Observed {
                    events,
                    this_device_revoked: false,
                },
            )),
            Err(e) => {
                // Nothing was written; the tentative pin goes (a reload already dropped it
                // if the failure came after the state changed).
                self.accounts.remove(&account);
                Err(e)
            }
        }
    }

    fn decrypt_inner<R: CryptoRng + ?Sized>(
        &mut self,
        account: AccountId,
        device_id: u32,
        bytes: &[u8],
        first_contact: bool,
        rng: &mut R,
    ) -> Result<Received, DeviceError> {
        self.usable()?;
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
        // Phase 1: every step either succeeds or fails without changing anything (a failed
        // trial leaves a session as it was, RAT-10; `respond` commits the prekeys' use only
        // after the first message decrypted), so a refused message costs no reload.
        let decrypted = (|| {
            match incoming {
                Incoming::Message(message) => Ok((
                    self.sessions
                        .get_mut(&(account, device_id))
                        .ok_or(SessionsError::NoSession)?
                        .decrypt(&message)?,
                    false,
                )),
                Incoming::Initial(initial) => {
                    if !entry.identity().ct_matches(initial.initiator()) {
                        return Err(TrustError::DeviceKeySwapped(device_id).into());
                    }
                    let sessions = self.sessions.entry((account, device_id)).or_default();
                    match sessions.decrypt_initial(&initial)? {
                        InitialOutcome::Decrypted(p) => Ok((p, false)),
                        InitialOutcome::NeedsSetup => {
                            let response = respond(
                                &mut self.prekeys,
                                &initial,
                                entry.identity(),
                                &self.config,
                            )?;
                            sessions.install_responded(response.session, SetupBase::of(&initial));
                            Ok((response.plaintext, true))
                        }
                    }
                }
                // `Incoming` may grow new kinds; none of them is a message of this version.
                _ => Err(DeviceError::Decode(
                    sotto_handshake::DecodeError::UnknownVersion(
                        bytes.first().copied().unwrap_or(0),
                    ),
                )),
            }
        })();
        let (plaintext, prekeys_used) = match decrypted {
            Ok(d) => d,
            Err(e) => {
                // A session entry created for a message that failed must not linger.
                if let Some(s) = self.sessions.get(&(account, device_id))
                    && s.is_empty()
                {
                    self.sessions.remove(&(account, device_id));
                }
                return Err(e);
            }
        };
        // Phase 2: the state changed; any failure from here is undone by reloading the store.
        let result = (|| {
            let inner = DevicePlaintext::from_bytes(&plaintext)?;
            inner.check_addressed(account, device_id, self.own.account)?;
            let mut batch = vec![self.sessions_write(account, device_id, rng)?];
            if first_contact {
                batch.push(self.account_write(account, rng)?);
            }
            if prekeys_used {
                batch.push(self.prekeys_write(rng)?);
            }
            self.write(batch, rng)?;
            Ok(Received {
                account,
                device_id,
                recipient: inner.recipient(),
                plaintext: inner.into_body(),
            })
        })();
        self.reload_on_error(result)
    }

    /// Replenishes one-time prekeys and rotates the signed prekey as the policy says (for the
    /// caller's schedule); written before it returns.
    pub fn refresh_prekeys<R: CryptoRng + ?Sized>(
        &mut self,
        now: u64,
        rng: &mut R,
    ) -> Result<(), DeviceError> {
        self.usable()?;
        self.prekeys.prune(now);
        drop(self.prekeys.replenish(rng));
        let write = self.prekeys_write(rng)?;
        let result = self.write(vec![write], rng);
        self.reload_on_error(result)
    }

    /// Rotates the signed prekey (and the last-resort ML-KEM prekey with it) at `now`; the
    /// previous ones stay usable for the policy's grace period and
    /// [`Device::refresh_prekeys`] prunes them afterwards. Written before it returns. The
    /// caller publishes [`Device::published_prekeys`] again (a relay's replace-all upload).
    pub fn rotate_signed_prekey<R: CryptoRng + ?Sized>(
        &mut self,
        now: u64,
        rng: &mut R,
    ) -> Result<(), DeviceError> {
        self.usable()?;
        self.prekeys.rotate_signed_prekey(now, rng);
        let write = self.prekeys_write(rng)?;
        let result = self.write(vec![write], rng);
        self.reload_on_error(result)
    }

    // ------------------------------------------------------------------ relay and sealed sender

    /// Signs a relay registration proof with this device identity's Ed25519 key (docs/relay.md,
    /// "Authentication"): `RELAY_REGISTRATION || challenge || account_id || u32be(device_id)`,
    /// for this device's account and id. The relay verifies it under the identity in the
    /// signed device list.
    pub fn sign_relay_registration(
        &self,
        challenge: &[u8; 32],
    ) -> Result<sotto_crypto::ed25519::Signature, DeviceError> {
        self.usable()?;
        let label = sotto_crypto::labels::RELAY_REGISTRATION;
        let mut message = Vec::with_capacity(label.len() + 32 + 16 + 4);
        message.extend_from_slice(label);
        message.extend_from_slice(challenge);
        message.extend_from_slice(&self.own.account.to_bytes());
        message.extend_from_slice(&self.own.device_id.to_be_bytes());
        Ok(self.prekeys.identity()?.signing_key().sign(&message))
    }

    /// A copy of this device's **secret** identity, for sealed sender only (protocol.md
    /// chapter 9: `seal` takes the sender's identity, `open` the recipient's). The copy holds
    /// the private keys (wiped when it drops); keep it no longer than the seal or open.
    pub fn sealed_sender_identity(&self) -> Result<DeviceIdentity, DeviceError> {
        self.usable()?;
        Ok(self.prekeys.identity()?)
    }

    // ------------------------------------------------------------------ persistence

    fn commit<R: CryptoRng + ?Sized>(
        &mut self,
        batch: Vec<Write>,
        rng: &mut R,
    ) -> Result<(), DeviceError> {
        let result = self.write(batch, rng);
        self.reload_on_error(result)
    }

    /// Writes `batch` and, with it, the device record with the next generation and the store
    /// digest over every record as the batch leaves them: one atomic step. The shares and the
    /// generation in memory change only once the backend took the batch.
    fn write<R: CryptoRng + ?Sized>(
        &mut self,
        mut batch: Vec<Write>,
        rng: &mut R,
    ) -> Result<(), DeviceError> {
        // Only the records the batch touches change: the digest moves by XOR-ing out their
        // old shares and in their new ones, so a write costs the batch, not the store's size.
        let mut changed: BTreeMap<(RecordKind, RecordIndex), Option<[u8; 32]>> = BTreeMap::new();
        for w in &batch {
            match w {
                Write::Put { kind, index, value } => {
                    let share = self.keys.digest_share(*kind, index, value);
                    changed.insert((*kind, *index), Some(share));
                }
                Write::Delete { kind, index } => {
                    changed.insert((*kind, *index), None);
                }
            }
        }
        let mut digest = self.digest;
        for (key, new) in &changed {
            for share in self.shares.get(key).into_iter().chain(new.as_ref()) {
                xor_into(&mut digest, share);
            }
        }
        let generation = self
            .generation
            .checked_add(1)
            .ok_or_else(|| corrupt("store generation exhausted"))?;
        batch.push(self.device_write(generation, &digest, rng)?);
        self.backend.apply(&batch)?;
        for (key, new) in changed {
            match new {
                Some(share) => self.shares.insert(key, share),
                None => self.shares.remove(&key),
            };
        }
        self.digest = digest;
        self.generation = generation;
        Ok(())
    }

    /// On an error after the in-memory state may have changed, the state is read back from
    /// the store, which the failed call did not change. If even that fails, the device is
    /// **broken**: every later call fails with [`DeviceError::Broken`] until it is opened
    /// again, so it never works on a state the store does not hold.
    fn reload_on_error<T>(&mut self, result: Result<T, DeviceError>) -> Result<T, DeviceError> {
        if result.is_err() {
            match load(&self.backend, &self.keys) {
                Ok(state) => {
                    self.own = state.own;
                    self.prekeys = state.prekeys;
                    self.accounts = state.accounts;
                    self.sessions = state.sessions;
                    self.digest = digest_of(&state.shares);
                    self.shares = state.shares;
                    self.generation = state.generation;
                }
                Err(_) => self.broken = true,
            }
        }
        result
    }

    /// [`DeviceError::Broken`] once a reload failed.
    fn usable(&self) -> Result<(), DeviceError> {
        if self.broken {
            Err(DeviceError::Broken)
        } else {
            Ok(())
        }
    }

    fn put<R: CryptoRng + ?Sized>(
        &self,
        kind: RecordKind,
        plain_key: &[u8],
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Write, DeviceError> {
        let index = self.keys.index(kind, plain_key);
        Ok(Write::Put {
            kind,
            index,
            value: self
                .keys
                .seal(kind, &index, plaintext, rng)
                .map_err(|_| corrupt("record does not seal"))?,
        })
    }

    /// `0x01 || account_id[16] || u32be(device_id) || u8(flags: 1 account key, 2 revoked)
    /// || [account key seed[32]] || u64be(generation) || digest[32]`.
    fn device_write<R: CryptoRng + ?Sized>(
        &self,
        generation: u64,
        digest: &[u8; 32],
        rng: &mut R,
    ) -> Result<Write, DeviceError> {
        let mut p = zeroize::Zeroizing::new(Vec::with_capacity(1 + 16 + 4 + 1 + 32 + 8 + 32));
        p.push(1);
        p.extend_from_slice(&self.own.account.to_bytes());
        p.extend_from_slice(&self.own.device_id.to_be_bytes());
        p.push(u8::from(self.own.account_key.is_some()) | (u8::from(self.own.revoked) << 1));
        if let Some(key) = &self.own.account_key {
            p.extend_from_slice(key.expose_seed());
        }
        p.extend_from_slice(&generation.to_be_bytes());
        p.extend_from_slice(digest);
        self.put(RecordKind::Device, &[], &p, rng)
    }

    /// The prekey-store pickle (section 4.2) under the value key, context `u8(2) || index`.
    fn prekeys_write<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Result<Write, DeviceError> {
        let index = self.keys.index(RecordKind::Prekeys, &[]);
        let pickle = self
            .prekeys
            .pickle(self.keys.value_key(), &prekeys_context(&index), rng)
            .map_err(|_| corrupt("prekey store does not pickle"))?;
        self.put(RecordKind::Prekeys, &[], &pickle, rng)
    }

    /// `0x01 || u8(flags: 1 verified, 2 list, 4 pending, 8 floor) || account_id[16] ||
    /// pinned[32] || [u16be(len) || list] || [u16be(len) || pending list] || [u64be(floor)]`.
    fn account_write<R: CryptoRng + ?Sized>(
        &self,
        account: AccountId,
        rng: &mut R,
    ) -> Result<Write, DeviceError> {
        let trust = self.trust(account)?;
        let floor = trust.floor();
        let (pinned, verified, list, pending) = trust.parts();
        let flags = u8::from(verified)
            | (u8::from(list.is_some()) << 1)
            | (u8::from(pending.is_some()) << 2)
            | (u8::from(floor > 0) << 3);
        let mut p = vec![1, flags];
        p.extend_from_slice(&account.to_bytes());
        p.extend_from_slice(&pinned.to_bytes());
        for l in list.into_iter().chain(pending) {
            let bytes = l.as_bytes();
            p.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
            p.extend_from_slice(bytes);
        }
        if floor > 0 {
            p.extend_from_slice(&floor.to_be_bytes());
        }
        self.put(RecordKind::Account, &account.to_bytes(), &p, rng)
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
        let Some(sessions) = self
            .sessions
            .get(&(account, device_id))
            .filter(|s| !s.is_empty())
        else {
            return Ok(self.sessions_delete(account, device_id));
        };
        let mut p = key.to_vec();
        p.extend_from_slice(
            &sessions
                .encode(
                    self.keys.value_key(),
                    &record_context(RecordKind::Sessions, &index),
                    rng,
                )
                .map_err(|_| corrupt("session does not pickle"))?,
        );
        self.put(RecordKind::Sessions, &key, &p, rng)
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
    shares: BTreeMap<(RecordKind, RecordIndex), [u8; 32]>,
    generation: u64,
}

/// The XOR of every share.
fn digest_of(shares: &BTreeMap<(RecordKind, RecordIndex), [u8; 32]>) -> [u8; 32] {
    let mut digest = [0u8; 32];
    for share in shares.values() {
        xor_into(&mut digest, share);
    }
    digest
}

fn xor_into(digest: &mut [u8; 32], share: &[u8; 32]) {
    for (d, s) in digest.iter_mut().zip(share) {
        *d ^= s;
    }
}

/// Reads every record and checks each against its index.
fn load<B: RecordBackend + ?Sized>(backend: &B, keys: &StoreKeys) -> Result<State, DeviceError> {
    // Kinds 1 and 2 hold exactly one record, at the index of the empty plain key: a stray
    // record of those kinds anywhere else is refused, not ignored.
    let open_one = |kind: RecordKind| -> Result<zeroize::Zeroizing<Vec<u8>>, DeviceError> {
        let index = keys.index(kind, &[]);
        let records = backend.scan(kind)?;
        let [(at, value)] = records.as_slice() else {
            return Err(if records.is_empty() && kind == RecordKind::Device {
                DeviceError::NoDevice
            } else {
                corrupt("not exactly one record of a single-record kind")
            });
        };
        if *at != index {
            // The one device record is not where this key puts it: another store key wrote
            // it (or it was moved), and nothing else can be read either.
            return Err(if kind == RecordKind::Device {
                DeviceError::WrongStoreKey
            } else {
                corrupt("record under another index")
            });
        }
        keys.open(kind, &index, value)
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
    let seed_len = if flags & 1 != 0 { 32 } else { 0 };
    if flags & !0b11 != 0 || rest.len() != seed_len + 8 + 32 {
        return Err(corrupt("device record"));
    }
    let (seed_bytes, tail) = rest.split_at(seed_len);
    let account_key = (flags & 1 != 0).then(|| {
        let mut seed = SecretBytes::<32>::zero();
        seed.expose_mut().copy_from_slice(seed_bytes);
        AccountKey::from_seed(seed)
    });
    let mut generation = [0u8; 8];
    generation.copy_from_slice(&tail[..8]);
    let generation = u64::from_be_bytes(generation);
    let mut stored_digest = [0u8; 32];
    stored_digest.copy_from_slice(&tail[8..]);
    // Every other record's share, checked against the digest the device record holds: a
    // record put back from an older copy, deleted or added is refused here.
    let mut shares = BTreeMap::new();
    for kind in [
        RecordKind::Prekeys,
        RecordKind::Account,
        RecordKind::Sessions,
    ] {
        for (index, value) in backend.scan(kind)? {
            shares.insert((kind, index), keys.digest_share(kind, &index, &value));
        }
    }
    if !sotto_crypto::ct_eq(&digest_of(&shares), &stored_digest) {
        return Err(corrupt(
            "store digest mismatch: a record was put back, deleted or added",
        ));
    }
    let own = Own {
        account,
        device_id,
        account_key,
        revoked: flags & 2 != 0,
    };
    let prekeys_index = keys.index(RecordKind::Prekeys, &[]);
    let p = open_one(RecordKind::Prekeys)?;
    let prekeys =
        InMemoryPrekeyStore::from_pickle(keys.value_key(), &prekeys_context(&prekeys_index), &p)
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
            &record_context(RecordKind::Sessions, &index),
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
        shares,
        generation,
    })
}

fn decode_account(p: &[u8]) -> Option<AccountTrust> {
    let [1, flags, rest @ ..] = p else {
        return None;
    };
    // Bit 3 (a version floor) only without a list: a held list supersedes a floor.
    if flags & !0b1111 != 0 || rest.len() < 48 || (flags & 8 != 0 && flags & 2 != 0) {
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
    let floor = if flags & 8 != 0 {
        let bytes: [u8; 8] = r.get(..8)?.try_into().ok()?;
        r = r.get(8..)?;
        // Written only when above 0.
        match u64::from_be_bytes(bytes) {
            0 => return None,
            floor => floor,
        }
    } else {
        0
    };
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
    .map(|t| t.with_floor(floor))
}

#[cfg(test)]
mod relay_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::store::MemoryBackend;

    fn device() -> Device<MemoryBackend> {
        Device::create_account(
            MemoryBackend::default(),
            &SecretBytes::random(&mut rand::rng()),
            HandshakeConfig::default(),
            PrekeyPolicy {
                post_quantum: sotto_handshake::PostQuantum::Absent,
                one_time_prekeys: 2,
                replenish_below: 1,
                kem_one_time_prekeys: 0,
                signed_prekey_grace: 60,
            },
            1_000,
            &mut rand::rng(),
        )
        .unwrap()
    }

    #[test]
    fn relay_registration_proof_signs_label_challenge_account_and_device_id() {
        let d = device();
        let challenge = [7u8; 32];
        let signature = d.sign_relay_registration(&challenge).unwrap();
        let mut message = sotto_crypto::labels::RELAY_REGISTRATION.to_vec();
        message.extend_from_slice(&challenge);
        message.extend_from_slice(&d.account_id().to_bytes());
        message.extend_from_slice(&1u32.to_be_bytes());
        let key = d.identity_key().unwrap();
        key.signing().verify(&message, &signature).unwrap();
        // Another challenge or device id does not verify.
        let mut other = message.clone();
        *other.last_mut().unwrap() = 2;
        assert!(key.signing().verify(&other, &signature).is_err());
        let other = d.sign_relay_registration(&[8u8; 32]).unwrap();
        assert!(key.signing().verify(&message, &other).is_err());
    }

    #[test]
    fn sealed_sender_identity_is_this_devices_identity() {
        let d = device();
        let identity = d.sealed_sender_identity().unwrap();
        assert!(identity.public().ct_matches(&d.identity_key().unwrap()));
    }

    #[test]
    fn rotating_the_signed_prekey_changes_the_published_one_and_is_stored() {
        let mut d = device();
        let before = d.published_prekeys().unwrap().signed_prekey;
        let generation = d.generation();
        d.rotate_signed_prekey(2_000, &mut rand::rng()).unwrap();
        let after = d.published_prekeys().unwrap().signed_prekey;
        assert_ne!(before.id(), after.id());
        assert_eq!(after.timestamp(), 2_000);
        assert_eq!(d.generation(), generation + 1);
    }
}
