//! [`Client`]: one device of an account, talking to its relay through a [`Transport`].

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::json;
use sotto_crypto::SecretBytes;
use sotto_devices::safety::{Comparison, SafetyNumber};
use sotto_devices::{AccountId, Device, DeviceError, LinkCode, Observed, PendingLink, TrustEvent};
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, PrekeyBundle, PrekeyPolicy, PublishedPrekeys,
};
use sotto_ratchet::SessionKind;
use sotto_sealed::access::ProfileKey;
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{CertificateStore, SenderCertificate, TrustRoot};
use sotto_store_sqlite::{Durability, SqliteBackend};

use crate::error::ClientError;
use crate::relay::{self, Auth, b64, ok_json, unb64};
use crate::state::{Files, State, save_generation};
use crate::transport::{Method, Transport};

/// A sender certificate is renewed when it has less than this left (seconds).
pub const CERTIFICATE_RENEW_BEFORE: u64 = 3600;
/// The most bundles one upload carries (the relay's `MAX_BUNDLES_PER_UPLOAD`).
pub const MAX_BUNDLES_PER_UPLOAD: usize = 200;

/// How a client is set up: where its files are, the store key, what it pins, its prekeys.
pub struct ClientConfig {
    /// The home directory: `store.db`, `generation` and `client.state` live here.
    pub home: PathBuf,
    /// The store key (from the platform's key store): encrypts the device store and the
    /// client state file. Never written by the client.
    pub store_key: SecretBytes<32>,
    /// The relay's trust root, if the caller has it from elsewhere (shipped with the app).
    /// `None`: the root the relay serves at registration is pinned (trust on first use) and
    /// every later certificate must chain to it.
    pub trust_root: Option<TrustRoot>,
    /// Prekey counts and lifetimes.
    pub prekey_policy: PrekeyPolicy,
    /// Session setup options (both sides must agree).
    pub handshake: HandshakeConfig,
    /// How durable each store commit is.
    pub durability: Durability,
    /// Seconds after which the signed prekey is rotated (default 7 days).
    pub signed_prekey_lifetime: u64,
    /// Seconds between checks of the relay's one-time prekey count (default 1 hour; a
    /// receive that used prekeys checks at once).
    pub prekey_check_interval: u64,
    /// The phone number to register an account with (E.164), for a relay whose profile
    /// asks for one (every profile but `sotto`, which never receives it). Default none.
    pub phone: Option<String>,
}

impl core::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("home", &self.home)
            .field(
                "trust_root",
                &self.trust_root.as_ref().map(TrustRoot::to_bytes),
            )
            .field("prekey_policy", &self.prekey_policy)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// Defaults: trust on first use of the relay's root, the default prekey policy (PQXDH
    /// offered), power-loss durability, weekly signed-prekey rotation, hourly prekey checks.
    #[must_use]
    pub fn new(home: impl Into<PathBuf>, store_key: SecretBytes<32>) -> Self {
        Self {
            home: home.into(),
            store_key,
            trust_root: None,
            prekey_policy: PrekeyPolicy::default(),
            handshake: HandshakeConfig::default(),
            durability: Durability::PowerLoss,
            signed_prekey_lifetime: 7 * 24 * 3600,
            prekey_check_interval: 3600,
            phone: None,
        }
    }
}

/// Something a [`Client::receive`] hands the caller.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A text message.
    Message {
        /// The relay's message id (already acknowledged or about to be).
        id: i64,
        /// The sending account (this account for a copy from another own device).
        from: AccountId,
        /// The sending device.
        device: u32,
        /// The account the message was written to: this account, or, on a copy from
        /// another own device, the peer that device wrote to.
        to: AccountId,
        /// The text.
        text: String,
    },
    /// A trust change (a device added or removed, an account key changed): show it.
    Trust(TrustEvent),
    /// This device is no longer in its account's list: it neither sends nor receives.
    ThisDeviceRevoked,
    /// A message that did not open, decrypt or decode (forged, corrupted, or one whose
    /// processing was committed but whose id was lost in a crash): acknowledged, dropped.
    Undecryptable {
        /// The relay's message id.
        id: i64,
    },
}

impl core::fmt::Debug for Event {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Message {
                id,
                from,
                device,
                to,
                text,
            } => f
                .debug_struct("Message")
                .field("id", id)
                .field("from", from)
                .field("device", device)
                .field("to", to)
                .field("text_len", &text.len())
                .finish(),
            Self::Trust(e) => f.debug_tuple("Trust").field(e).finish(),
            Self::ThisDeviceRevoked => f.write_str("ThisDeviceRevoked"),
            Self::Undecryptable { id } => f.debug_struct("Undecryptable").field("id", id).finish(),
        }
    }
}

pub(crate) type SharedDevice = Arc<Mutex<Device<SqliteBackend>>>;

/// One device of an account: its store, its relay session, its sealed-sender state.
///
/// Device calls (SQLite, X25519, ML-KEM) run on tokio's blocking pool with
/// `spawn_blocking` on a `std::sync::Mutex<Device>` shared through an `Arc`: the executor's
/// threads never wait on the disk or on a long computation, and the lock is never held
/// across an `.await`.
pub struct Client<T: Transport> {
    pub(crate) transport: T,
    pub(crate) files: Files,
    pub(crate) state: State,
    pub(crate) device: SharedDevice,
    pub(crate) cache: Arc<Mutex<StaticCache>>,
    pub(crate) account: AccountId,
    pub(crate) device_id: u32,
    pub(crate) policy: PrekeyPolicy,
    pub(crate) signed_prekey_lifetime: u64,
    pub(crate) prekey_check_interval: u64,
    pub(crate) configured_root: Option<TrustRoot>,
    pub(crate) certificates: Option<CertificateStore>,
    pub(crate) sender_certificate: Option<(SenderCertificate, u64)>,
    pub(crate) events: Vec<Event>,
    pub(crate) phone: Option<String>,
    pub(crate) relay_profile: Option<RelayProfile>,
    /// The session kind of [`ClientConfig::handshake`], used unless the profile asks for
    /// header encryption.
    configured_kind: SessionKind,
}

/// What the relay's platform profile takes (`GET /v1/profile`, docs/relay.md, "Profiles"):
/// the client picks its path from it, and the same code runs under every profile.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayProfile {
    /// The profile's name (`transport`, `e2ee`, `traceable`, `sealed`, `sotto`).
    pub name: String,
    /// Accounts register with a phone number.
    pub phone_required: bool,
    /// Text goes to the server in plaintext (no end-to-end encryption), and only so.
    pub plaintext: bool,
    /// Sealed sends are taken.
    pub sealed: bool,
    /// Identified sends are taken.
    pub identified: bool,
    /// Identified sends carry an originator hash of their text.
    pub trace: bool,
    /// New ratchet sessions are header-encrypted (the `sotto` profile): the client sets
    /// them up so, whatever [`ClientConfig::handshake`] says about the kind.
    pub header_encryption: bool,
}

impl<T: Transport> core::fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("account", &self.account)
            .field("device_id", &self.device_id)
            .field("home", &self.files.home)
            .finish_non_exhaustive()
    }
}

pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs `f` on the blocking pool.
pub(crate) async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, ClientError> + Send + 'static,
) -> Result<R, ClientError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ClientError::Task)?
}

/// The one-time bundles for every prekey with an id above `after` (at most one ML-KEM
/// one-time prekey each while they last, then the last-resort one), the last-resort bundle,
/// and the highest id they carry.
pub(crate) fn bundles_after(
    published: &PublishedPrekeys,
    after: u32,
) -> (Vec<Vec<u8>>, Vec<u8>, u32) {
    let mut fresh = published.clone();
    fresh.one_time.retain(|k| k.id() > after);
    fresh.kem_one_time.retain(|k| k.id() > after);
    let mut max = after;
    let mut bundles = Vec::with_capacity(fresh.one_time.len());
    while !fresh.one_time.is_empty() {
        let bundle: PrekeyBundle = fresh.take_bundle();
        if let Some(k) = bundle.one_time_prekey() {
            max = max.max(k.id());
        }
        if let Some(k) = bundle.kem_prekey()
            && k.kind() == sotto_handshake::KemPrekeyKind::OneTime
        {
            max = max.max(k.id());
        }
        bundles.push(bundle.to_bytes());
    }
    let mut last = published.clone();
    last.one_time.clear();
    last.kem_one_time.clear();
    (bundles, last.take_bundle().to_bytes(), max)
}

pub(crate) fn observed_events(observed: Observed) -> Vec<Event> {
    let mut out: Vec<Event> = observed.events.into_iter().map(Event::Trust).collect();
    if observed.this_device_revoked {
        out.push(Event::ThisDeviceRevoked);
    }
    out
}

/// A new device waiting to be linked: it shows [`PendingDevice::code`] to the primary and
/// finishes with the link message the primary's [`Client::link_device`] returns.
pub struct PendingDevice {
    config: ClientConfig,
    identity: DeviceIdentity,
    pending: PendingLink,
    code: LinkCode,
}

impl core::fmt::Debug for PendingDevice {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PendingDevice")
            .field("home", &self.config.home)
            .finish_non_exhaustive()
    }
}

impl PendingDevice {
    /// A fresh device identity and link code for a device to be linked with `config`.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        let mut rng = rand::rng();
        let identity = DeviceIdentity::generate(&mut rng);
        let (code, pending) = LinkCode::generate(identity.public(), &mut rng);
        Self {
            config,
            identity,
            pending,
            code,
        }
    }

    /// The link code as text, to show to (or type into) the primary device. It holds the
    /// link secret: wiped when the returned value drops.
    #[must_use]
    pub fn code(&self) -> zeroize::Zeroizing<String> {
        self.code.to_text()
    }

    /// Opens the primary's link `message`, creates the device store from it and registers
    /// the device with the relay as a linked device of the account.
    pub async fn finish<T: Transport>(
        self,
        transport: T,
        message: Vec<u8>,
    ) -> Result<Client<T>, ClientError> {
        let Self {
            config,
            identity,
            mut pending,
            code: _,
        } = self;
        let files = Files::new(&config.home, &config.store_key);
        if files.exists() {
            return Err(ClientError::AlreadyRegistered);
        }
        let (home, path) = (config.home.clone(), files.store_path());
        let (key, handshake, policy, durability) = (
            config.store_key.clone(),
            config.handshake,
            config.prekey_policy,
            config.durability,
        );
        let device = blocking(move || {
            std::fs::create_dir_all(&home)?;
            let backend = SqliteBackend::open(path, durability).map_err(DeviceError::from)?;
            let device = Device::from_link(
                backend,
                &key,
                handshake,
                policy,
                identity,
                &mut pending,
                &message,
                now(),
                &mut rand::rng(),
            )?;
            save_generation(&home, device.generation())?;
            Ok(device)
        })
        .await?;
        let client = Client::assemble(transport, files, State::default(), device, &config);
        client.finish_registration(false).await
    }
}

impl<T: Transport> Client<T> {
    fn assemble(
        transport: T,
        files: Files,
        state: State,
        device: Device<SqliteBackend>,
        config: &ClientConfig,
    ) -> Self {
        Self {
            transport,
            files,
            state,
            account: device.account_id(),
            device_id: device.device_id(),
            device: Arc::new(Mutex::new(device)),
            cache: Arc::new(Mutex::new(StaticCache::new())),
            policy: config.prekey_policy,
            signed_prekey_lifetime: config.signed_prekey_lifetime,
            prekey_check_interval: config.prekey_check_interval,
            configured_root: config.trust_root,
            certificates: None,
            sender_certificate: None,
            events: Vec::new(),
            phone: config.phone.clone(),
            relay_profile: None,
            configured_kind: config.handshake.session.kind(),
        }
    }

    /// The relay's profile, fetched once per client.
    pub async fn relay_profile(&mut self) -> Result<RelayProfile, ClientError> {
        if let Some(p) = &self.relay_profile {
            return Ok(p.clone());
        }
        let response = relay::call(
            &self.transport,
            Method::Get,
            "/v1/profile".to_owned(),
            Auth::None,
            None,
        )
        .await?;
        let body: relay::ProfileBody = ok_json(&response)?;
        let profile = RelayProfile {
            name: body.profile,
            phone_required: body.phone_required,
            plaintext: body.plaintext,
            sealed: body.sealed,
            identified: body.identified,
            trace: body.trace,
            header_encryption: body.header_encryption,
        };
        // Every client of this relay sets sessions up the same way: both sides of a session
        // must use the same kind.
        let want = if profile.header_encryption {
            SessionKind::HeaderEncrypted
        } else {
            self.configured_kind
        };
        self.with_device(move |d, _| {
            let mut config = d.handshake_config();
            if config.session.kind() != want {
                config.session = config.session.with_kind(want);
                d.set_handshake_config(config);
            }
            Ok(())
        })
        .await?;
        self.relay_profile = Some(profile.clone());
        Ok(profile)
    }

    /// This account's contact card, `ACCOUNT_HEX.PROFILE_KEY_HEX` (32 and 64 hex digits):
    /// handed to a contact out of band, it lets the contact send to this account sealed
    /// from the first message, so the relay never learns who wrote first (the `sotto`
    /// profile takes nothing else). It holds the profile key: whoever has it can deliver
    /// to this account, so hand it only to contacts (rotating the key revokes it).
    pub fn contact_card(&self) -> Result<zeroize::Zeroizing<String>, ClientError> {
        let key = self.own_profile_key().ok_or(ClientError::State)?;
        Ok(crate::card::encode(self.account, &key))
    }

    /// Keeps a contact's card (from [`Client::contact_card`]): its profile key, for sealed
    /// sends to it. Returns the contact's account.
    pub async fn add_contact(&mut self, card: &str) -> Result<AccountId, ClientError> {
        let (account, key) = crate::card::decode(card)?;
        if account != self.account {
            self.state
                .peers
                .insert(account.to_hex(), hex::encode(key.expose()));
            self.save().await?;
        }
        Ok(account)
    }

    /// Runs a device call on the blocking pool (see [`Client`]), then writes the device's
    /// generation beside the store if the call changed it.
    pub(crate) async fn with_device<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Device<SqliteBackend>, &mut StaticCache) -> Result<R, ClientError>
        + Send
        + 'static,
    ) -> Result<R, ClientError> {
        let device = Arc::clone(&self.device);
        let cache = Arc::clone(&self.cache);
        let home = self.files.home.clone();
        blocking(move || {
            let mut device = device.lock().map_err(|_| ClientError::Task)?;
            let mut cache = cache.lock().map_err(|_| ClientError::Task)?;
            let before = device.generation();
            let result = f(&mut device, &mut cache);
            if device.generation() != before {
                save_generation(&home, device.generation())?;
            }
            result
        })
        .await
    }

    /// Writes the client state file (on the blocking pool).
    pub(crate) async fn save(&self) -> Result<(), ClientError> {
        let sealed = self.files.seal_state(&self.state)?;
        let home = self.files.home.clone();
        blocking(move || crate::state::write_state(&home, &sealed)).await
    }

    /// Creates an account on a new device in `config.home` and registers it with the relay:
    /// the account's first device (id 1), its prekeys, and the access verifier of a fresh
    /// profile key. The relay's trust root is pinned (or checked against the configured one).
    pub async fn register(transport: T, config: ClientConfig) -> Result<Self, ClientError> {
        let files = Files::new(&config.home, &config.store_key);
        if files.exists() {
            return Err(ClientError::AlreadyRegistered);
        }
        let (home, path) = (config.home.clone(), files.store_path());
        let (key, handshake, policy, durability) = (
            config.store_key.clone(),
            config.handshake,
            config.prekey_policy,
            config.durability,
        );
        let device = blocking(move || {
            std::fs::create_dir_all(&home)?;
            let backend = SqliteBackend::open(path, durability).map_err(DeviceError::from)?;
            let device =
                Device::create_account(backend, &key, handshake, policy, now(), &mut rand::rng())?;
            save_generation(&home, device.generation())?;
            Ok(device)
        })
        .await?;
        let state = State {
            profile_key: Some(hex::encode(ProfileKey::generate(&mut rand::rng()).expose())),
            ..State::default()
        };
        let client = Self::assemble(transport, files, state, device, &config);
        client.finish_registration(true).await
    }

    /// Opens a registered client from its home: the device store at no older a generation
    /// than the one kept beside it, and the client state.
    pub async fn open(transport: T, config: ClientConfig) -> Result<Self, ClientError> {
        let files = Files::new(&config.home, &config.store_key);
        let state = files.load_state()?;
        if state.token.is_empty() {
            return Err(ClientError::NotRegistered);
        }
        let generation = files.load_generation()?;
        let (path, key, handshake, durability) = (
            files.store_path(),
            config.store_key.clone(),
            config.handshake,
            config.durability,
        );
        let device = blocking(move || {
            let backend = SqliteBackend::open(path, durability).map_err(DeviceError::from)?;
            Ok(Device::open_at_least(backend, &key, handshake, generation)?)
        })
        .await?;
        Ok(Self::assemble(transport, files, state, device, &config))
    }

    /// This device's account.
    #[must_use]
    pub const fn account_id(&self) -> AccountId {
        self.account
    }

    /// This device's id.
    #[must_use]
    pub const fn device_id(&self) -> u32 {
        self.device_id
    }

    /// How many one-time bundles the relay holds for this device (`GET /v1/prekeys/count`).
    pub async fn prekey_count(&self) -> Result<u32, ClientError> {
        let response = relay::call(
            &self.transport,
            Method::Get,
            "/v1/prekeys/count".to_owned(),
            Auth::Token(&self.state.token),
            None,
        )
        .await?;
        Ok(ok_json::<relay::Count>(&response)?.count)
    }

    /// The transport.
    #[must_use]
    pub const fn transport(&self) -> &T {
        &self.transport
    }

    /// The pinned trust root.
    pub fn trust_root(&self) -> Result<TrustRoot, ClientError> {
        let bytes: [u8; 32] = hex::decode(&self.state.trust_root)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(ClientError::State)?;
        Ok(TrustRoot::from_bytes(&bytes)?)
    }

    /// Fetches the relay's certificates; pins the root on first use (or the configured
    /// one), refuses a relay serving another root, keeps the server certificates that chain
    /// to it.
    pub(crate) async fn pin_trust_root(&mut self) -> Result<(), ClientError> {
        let response = relay::call(
            &self.transport,
            Method::Get,
            "/v1/certificates".to_owned(),
            Auth::None,
            None,
        )
        .await?;
        let answer: relay::Certificates = ok_json(&response)?;
        let served: [u8; 32] = unb64(&answer.trust_root)?
            .try_into()
            .map_err(|_| ClientError::MalformedAnswer("trust root"))?;
        let pinned = if self.state.trust_root.is_empty() {
            let root = self
                .configured_root
                .as_ref()
                .map_or(served, TrustRoot::to_bytes);
            self.state.trust_root = hex::encode(root);
            root
        } else {
            self.trust_root()?.to_bytes()
        };
        if served != pinned {
            return Err(ClientError::TrustRootMismatch);
        }
        let mut store = CertificateStore::new(TrustRoot::from_bytes(&pinned)?);
        for certificate in &answer.server_certificates {
            store.add(&unb64(certificate)?)?;
        }
        self.certificates = Some(store);
        Ok(())
    }

    /// The server certificates under the pinned root (fetched once per process).
    pub(crate) async fn certificates(&mut self) -> Result<CertificateStore, ClientError> {
        if self.certificates.is_none() {
            self.pin_trust_root().await?;
        }
        self.certificates
            .clone()
            .ok_or(ClientError::MalformedAnswer("certificates"))
    }

    /// Pins the trust root and registers with the relay; on failure removes the files made
    /// so far, so the same home can register again.
    async fn finish_registration(mut self, primary: bool) -> Result<Self, ClientError> {
        let result = match self.pin_trust_root().await {
            Ok(()) => self.register_with_relay(primary).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => Ok(self),
            Err(e) => {
                let Self { files, device, .. } = self;
                // The store's connection closes before its files go.
                drop(device);
                blocking(move || {
                    files.remove_all();
                    Ok(())
                })
                .await?;
                Err(e)
            }
        }
    }

    /// Registers this device with the relay (`primary`: the account with it) and uploads
    /// its prekeys; keeps the token.
    async fn register_with_relay(&mut self, primary: bool) -> Result<(), ClientError> {
        let response = relay::call(
            &self.transport,
            Method::Get,
            "/v1/challenge".to_owned(),
            Auth::None,
            None,
        )
        .await?;
        let challenge: [u8; 32] = unb64(&ok_json::<relay::Challenge>(&response)?.challenge)?
            .try_into()
            .map_err(|_| ClientError::MalformedAnswer("challenge"))?;
        let (proof, list, published) = self
            .with_device(move |d, _| {
                let proof = d.sign_relay_registration(&challenge)?;
                let list = d.own_list()?.as_bytes().to_vec();
                let published = d
                    .published_prekeys()
                    .ok_or(ClientError::Device(DeviceError::NoDevice))?;
                Ok((proof, list, published))
            })
            .await?;
        let (mut bundles, last_resort, max) = bundles_after(&published, 0);
        let rest = bundles.split_off(bundles.len().min(MAX_BUNDLES_PER_UPLOAD));
        let mut body = json!({
            "challenge": b64(&challenge),
            "device_list": b64(&list),
            "device_id": self.device_id,
            "proof": b64(&proof.to_bytes()),
            "bundles": bundles.iter().map(|b| b64(b)).collect::<Vec<_>>(),
            "last_resort_bundle": b64(&last_resort),
        });
        let path = if primary {
            let key = self.own_profile_key().ok_or(ClientError::State)?;
            body["access_verifier"] = json!(b64(&key.verifier().to_bytes()));
            // The phone goes only to a relay that asks for it.
            if self.relay_profile().await?.phone_required {
                body["phone"] = json!(self.phone.as_deref().ok_or(ClientError::PhoneRequired)?);
            }
            "/v1/accounts".to_owned()
        } else {
            format!("/v1/accounts/{}/devices", self.account.to_hex())
        };
        let response =
            relay::call(&self.transport, Method::Post, path, Auth::None, Some(body)).await?;
        self.state.token = ok_json::<relay::Token>(&response)?.device_token;
        self.state.uploaded_prekey_max = max;
        self.state.signed_prekey_at = published.signed_prekey.timestamp();
        self.state.next_prekey_check = now().saturating_add(self.prekey_check_interval);
        self.save().await?;
        self.post_bundles(rest).await
    }

    /// Uploads one-time bundles in chunks the relay takes.
    pub(crate) async fn post_bundles(&self, bundles: Vec<Vec<u8>>) -> Result<(), ClientError> {
        for chunk in bundles.chunks(MAX_BUNDLES_PER_UPLOAD) {
            let body = json!({"bundles": chunk.iter().map(|b| b64(b)).collect::<Vec<_>>()});
            let response = relay::call(
                &self.transport,
                Method::Post,
                "/v1/prekeys".to_owned(),
                Auth::Token(&self.state.token),
                Some(body),
            )
            .await?;
            ok_json::<relay::Count>(&response)?;
        }
        Ok(())
    }

    /// The own account's profile key, if this device holds it.
    pub(crate) fn own_profile_key(&self) -> Option<ProfileKey> {
        self.state.profile_key.as_deref().and_then(profile_key)
    }

    /// A peer's profile key, if shared with this device.
    pub(crate) fn peer_profile_key(&self, account: AccountId) -> Option<ProfileKey> {
        if account == self.account {
            return self.own_profile_key();
        }
        self.state
            .peers
            .get(&account.to_hex())
            .and_then(|k| profile_key(k))
    }

    pub(crate) fn queue(&mut self, observed: Observed) {
        self.events.extend(observed_events(observed));
    }

    /// Takes the trust events queued since the last [`Client::receive`] (a send, a link or
    /// a revocation observes device lists, and their events wait here for the next
    /// receive). They live in memory only: a process that exits before its next receive
    /// takes them first, or they are lost.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    // ------------------------------------------------------------------ devices

    /// The primary (account key holder) links the device that shows `code`: a new list
    /// with it, signed and uploaded to the relay. Returns the link message to hand to the
    /// new device ([`PendingDevice::finish`]), over a channel the user trusts as much as the
    /// code's (the message is sealed under the code's secret).
    pub async fn link_device(&mut self, code: &str) -> Result<Vec<u8>, ClientError> {
        let code = LinkCode::from_text(code)?;
        let (message, list, observed) = self
            .with_device(move |d, _| Ok(d.link_device(code, now(), &mut rand::rng())?))
            .await?;
        self.put_list(list.as_bytes()).await?;
        self.queue(observed);
        Ok(message)
    }

    /// The primary revokes one of the account's other devices: a new list without it,
    /// uploaded (the relay drops the device's token, prekeys and mail).
    pub async fn revoke_device(&mut self, device_id: u32) -> Result<(), ClientError> {
        let (list, observed) = self
            .with_device(move |d, _| Ok(d.revoke_device(device_id, now(), &mut rand::rng())?))
            .await?;
        self.put_list(list.as_bytes()).await?;
        self.queue(observed);
        Ok(())
    }

    async fn put_list(&self, list: &[u8]) -> Result<(), ClientError> {
        let response = relay::call(
            &self.transport,
            Method::Put,
            format!("/v1/accounts/{}/devices", self.account.to_hex()),
            Auth::Token(&self.state.token),
            Some(json!({"device_list": b64(list)})),
        )
        .await?;
        ok_json::<serde_json::Value>(&response).map(drop)
    }

    // ------------------------------------------------------------------ trust

    /// The kind of the active ratchet session with `peer`'s `device_id`, or `None` without
    /// one: header-encrypted under the `sotto` profile, standard elsewhere unless
    /// [`ClientConfig::handshake`] asks otherwise.
    pub async fn session_kind(
        &self,
        peer: AccountId,
        device_id: u32,
    ) -> Result<Option<SessionKind>, ClientError> {
        self.with_device(move |d, _| Ok(d.session_kind(peer, device_id)))
            .await
    }

    /// The safety number with `peer` (to compare in person).
    pub async fn safety_number(&self, peer: AccountId) -> Result<SafetyNumber, ClientError> {
        self.with_device(move |d, _| Ok(d.safety_number(peer)?))
            .await
    }

    /// Compares the safety number scanned from `peer`'s screen (its byte form) with ours and
    /// marks `peer` verified on a match. Returns the comparison.
    pub async fn mark_verified(
        &mut self,
        peer: AccountId,
        scanned: Vec<u8>,
    ) -> Result<Comparison, ClientError> {
        self.with_device(move |d, _| {
            let number = d.safety_number(peer)?;
            let result = number
                .compare_bytes(&scanned)
                .map_err(|_| ClientError::MalformedAnswer("safety number"))?;
            if result == Comparison::Match {
                let key = *d
                    .account(peer)
                    .ok_or(DeviceError::UnknownAccount(peer))?
                    .pinned_key();
                d.mark_verified(peer, &key, result, &mut rand::rng())?;
            }
            Ok(result)
        })
        .await
    }

    /// Whether `peer` is marked verified.
    pub async fn is_verified(&self, peer: AccountId) -> Result<bool, ClientError> {
        self.with_device(move |d, _| Ok(d.account(peer).is_some_and(|t| t.is_verified())))
            .await
    }

    /// Accepts `peer`'s pending account-key change (after the user saw
    /// [`TrustEvent::AccountKeyChanged`]): sending to it resumes. Returns the events.
    pub async fn accept_key_change(&mut self, peer: AccountId) -> Result<Vec<Event>, ClientError> {
        let observed = self
            .with_device(move |d, _| Ok(d.accept_key_change(peer, &mut rand::rng())?))
            .await?;
        Ok(observed_events(observed))
    }
}

fn profile_key(hex_key: &str) -> Option<ProfileKey> {
    let bytes = hex::decode(hex_key).ok()?;
    Some(ProfileKey::from_bytes(SecretBytes::from_slice(&bytes)?))
}
