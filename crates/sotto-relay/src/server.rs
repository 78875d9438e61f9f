//! The HTTP server: the axum router, its handlers, and [`Relay::start`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::routing::{get, post};
use sotto_crypto::SecretBytes;
use sotto_devices::{AccountId, SignedDeviceList};
use sotto_handshake::DeviceIdentityKey;
use sotto_sealed::certificate::{CertificateError, ServerKey, TrustRootKey};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

use crate::api::{self, PrekeyMode, b64};
use crate::auth::{self, Challenges};
use crate::error::ApiError;
use crate::limits::{Limits, RateLimiter};
use crate::retention::{self, Profile, Stamped};
use crate::storage::{
    Access, DeviceAuth, Durability, ListRecord, NewAccount, NewDevice, SendRecord, SqliteStorage,
    Storage, StorageError, StoredKeys,
};

/// How long a sender certificate is valid.
pub const SENDER_CERTIFICATE_LIFETIME: u64 = 24 * 3600;
/// How long a server certificate made at first start is valid.
pub const SERVER_CERTIFICATE_LIFETIME: u64 = 365 * 24 * 3600;

/// Keys an operator supplies instead of letting the relay generate them.
pub struct ConfiguredKeys {
    /// The trust root's seed.
    pub trust_root_seed: SecretBytes<32>,
    /// The server key's id.
    pub server_key_id: u32,
    /// The server key's seed.
    pub server_key_seed: SecretBytes<32>,
}

impl std::fmt::Debug for ConfiguredKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfiguredKeys")
            .field("server_key_id", &self.server_key_id)
            .finish_non_exhaustive()
    }
}

/// How to run a relay.
#[derive(Debug)]
pub struct RelayConfig {
    /// The database file.
    pub db: PathBuf,
    /// Where to listen (loopback by default; port 0 picks a free port).
    pub addr: SocketAddr,
    /// What a commit survives.
    pub durability: Durability,
    /// Request limits.
    pub limits: Limits,
    /// Retention profile.
    pub profile: Profile,
    /// Keys to use; when absent, the stored ones, or fresh ones stored at first start.
    pub keys: Option<ConfiguredKeys>,
}

impl RelayConfig {
    /// A relay on `db`, listening on 127.0.0.1 at a free port, with the defaults.
    #[must_use]
    pub fn new(db: impl Into<PathBuf>) -> Self {
        Self {
            db: db.into(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            durability: Durability::default(),
            limits: Limits::default(),
            profile: Profile::default(),
            keys: None,
        }
    }
}

/// Why a relay did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Storage(#[from] StorageError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The stored or configured keys do not fit together.
    #[error("relay keys: {0}")]
    Keys(#[from] CertificateError),
    /// A start-up task failed to run.
    #[error("start-up task failed")]
    Task,
}

/// A running relay.
#[derive(Debug)]
pub struct RunningRelay {
    /// The address it listens on.
    pub local_addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    storage: Arc<SqliteStorage>,
}

impl RunningRelay {
    /// Stops accepting, finishes the requests in flight, closes the database.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            // The server may have stopped already: nothing to tell it.
            let _ = tx.send(());
        }
        let result = (&mut self.task).await.unwrap_or(Ok(()));
        let storage = Arc::clone(&self.storage);
        drop(tokio::task::spawn_blocking(move || storage.close()).await);
        result
    }

    /// Waits until the server stops (it stops only on [`RunningRelay::shutdown`] or an I/O
    /// error).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

/// The relay.
#[derive(Debug)]
pub struct Relay;

struct Shared {
    storage: Arc<dyn Storage>,
    challenges: Challenges,
    limiter: RateLimiter,
    limits: Limits,
    profile: Profile,
    server_key: ServerKey,
    trust_root: [u8; 32],
    server_certificate: Vec<u8>,
    mailboxes: Mutex<HashMap<(AccountId, u32), Arc<Notify>>>,
}

type AppState = Arc<Shared>;

impl Relay {
    /// Opens the database, loads or makes the keys, binds and serves.
    pub async fn start(config: RelayConfig) -> Result<RunningRelay, StartError> {
        let addr = config.addr;
        let (shared, storage) = Self::open(config).await?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(shared).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    drop(rx.await);
                })
                .await
        });
        Ok(RunningRelay {
            local_addr,
            shutdown: Some(tx),
            task,
            storage,
        })
    }
    /// The relay without a socket: the same database, keys and router as [`Relay::start`]
    /// (every handler, limit and check), for a client that drives the router itself (tests
    /// of the `sotto` client, with `tower::ServiceExt::oneshot`). `config.addr` is unused.
    pub async fn in_process(config: RelayConfig) -> Result<InProcessRelay, StartError> {
        let (shared, storage) = Self::open(config).await?;
        Ok(InProcessRelay {
            router: router(shared),
            storage,
        })
    }

    async fn open(config: RelayConfig) -> Result<(AppState, Arc<SqliteStorage>), StartError> {
        let RelayConfig {
            db,
            addr: _,
            durability,
            limits,
            profile,
            keys,
        } = config;
        let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(db, durability))
            .await
            .map_err(|_| StartError::Task)??;
        let storage = Arc::new(storage);
        let binder = Arc::clone(&storage);
        tokio::task::spawn_blocking(move || binder.bind_profile(profile.name()))
            .await
            .map_err(|_| StartError::Task)??;
        let loader = Arc::clone(&storage);
        let (server_key, trust_root, server_certificate) =
            tokio::task::spawn_blocking(move || load_keys(&*loader, keys))
                .await
                .map_err(|_| StartError::Task)??;
        let shared = Arc::new(Shared {
            storage: Arc::clone(&storage) as Arc<dyn Storage>,
            challenges: Challenges::default(),
            limiter: RateLimiter::new(limits.rate_per_second, limits.rate_burst),
            limits,
            profile,
            server_key,
            trust_root,
            server_certificate,
            mailboxes: Mutex::new(HashMap::new()),
        });
        Ok((shared, storage))
    }
}

/// A relay served without a socket ([`Relay::in_process`]): its router answers requests
/// handed to it directly.
#[derive(Debug)]
pub struct InProcessRelay {
    router: Router,
    storage: Arc<SqliteStorage>,
}

impl InProcessRelay {
    /// The router (cheap to clone: the state is shared). Every clone serves the same relay.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Closes the database (requests still handed to a router clone afterwards fail with a
    /// storage error).
    pub async fn close(self) {
        let storage = Arc::clone(&self.storage);
        drop(tokio::task::spawn_blocking(move || storage.close()).await);
    }
}

fn load_keys(
    storage: &dyn Storage,
    configured: Option<ConfiguredKeys>,
) -> Result<(ServerKey, [u8; 32], Vec<u8>), StartError> {
    let now = retention::now();
    if configured.is_none()
        && let Some(stored) = storage.keys()?
    {
        let seed = SecretBytes::<32>::from_slice(&stored.server_key_seed)
            .ok_or(StartError::Storage(StorageError::Corrupt))?;
        let key = ServerKey::from_seed(stored.server_key_id, seed);
        return Ok((key, stored.trust_root, stored.server_certificate));
    }
    let (root, key) = match configured {
        Some(c) => (
            TrustRootKey::from_seed(c.trust_root_seed),
            ServerKey::from_seed(c.server_key_id, c.server_key_seed),
        ),
        None => (
            TrustRootKey::generate(&mut rand::rng()),
            ServerKey::generate(1, &mut rand::rng()),
        ),
    };
    let certificate = root.certify(
        key.key_id(),
        &key.public(),
        now.saturating_sub(24 * 3600),
        now.saturating_add(SERVER_CERTIFICATE_LIFETIME),
    )?;
    storage.store_keys(StoredKeys {
        trust_root_seed: Some(*root.expose_seed()),
        trust_root: root.public().to_bytes(),
        server_key_id: key.key_id(),
        server_key_seed: *key.expose_seed(),
        server_certificate: certificate.as_bytes().to_vec(),
    })?;
    Ok((
        key,
        root.public().to_bytes(),
        certificate.as_bytes().to_vec(),
    ))
}

/// The router with every endpoint of docs/relay.md.
fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/challenge", get(challenge))
        .route("/v1/profile", get(profile))
        .route("/v1/transport", post(transport))
        .route("/v1/accounts", post(register_account))
        .route(
            "/v1/accounts/{account}/devices",
            post(register_device).put(put_devices).get(get_devices),
        )
        .route("/v1/accounts/{account}/bundles", get(get_bundles))
        .route("/v1/prekeys", post(add_prekeys).put(replace_prekeys))
        .route("/v1/prekeys/count", get(prekey_count))
        .route("/v1/access", axum::routing::put(put_access))
        .route("/v1/certificates", get(certificates))
        .route("/v1/certificate", post(certificate))
        .route("/v1/sealed", post(sealed))
        .route("/v1/messages", get(messages).post(identified))
        .route("/v1/messages/ack", post(ack))
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state)
}

/// Runs storage calls through [`Storage::submit`] and waits, without a thread of its own,
/// for their result once committed (`CommitFailed` if the commit failed).
async fn store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn Storage) -> Result<T, StorageError> + Send + 'static,
) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    state.storage.submit(Box::new(move |storage| {
        let result = f(storage);
        Box::new(move |committed| {
            let answer = if committed {
                result
            } else {
                Err(StorageError::CommitFailed)
            };
            // The request may have been cancelled: nothing to tell.
            drop(tx.send(answer));
        })
    }))?;
    rx.await
        .map_err(|_| ApiError::Storage(StorageError::WriterGone))?
        .map_err(ApiError::from)
}

/// Runs CPU-heavy decoding (signature checks) on a blocking thread.
async fn decode<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Storage(StorageError::WriterGone))?
}

/// Checks the content type and the size, and reads the body.
async fn read_json(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge { limit })
}

/// The address of the connection a request came on (absent for a router driven in
/// process). Stored only where the profile logs metadata.
struct ClientIp(Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

impl Shared {
    /// The client address to store: only where the profile logs metadata.
    fn kept_ip(&self, ip: &ClientIp) -> Option<String> {
        ip.0.filter(|_| self.profile.logs_metadata())
            .map(|a| a.to_string())
    }

    /// What to record with a send at `now`.
    fn send_record(&self, ip: &ClientIp, trace: Option<[u8; 32]>, logged: bool) -> SendRecord {
        SendRecord {
            at: self.profile.stamp(Stamped::Message, retention::now()),
            log: logged && self.profile.logs_metadata(),
            ip: self.kept_ip(ip),
            trace: trace.filter(|_| self.profile.traces()),
        }
    }

    fn refuse(&self, what: &'static str) -> ApiError {
        ApiError::ProfileRefuses {
            profile: self.profile.name(),
            what,
        }
    }
}

async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    ip: &ClientIp,
) -> Result<DeviceAuth, ApiError> {
    let hash = auth::bearer_hash(headers)?;
    let seen = state.profile.stamp(Stamped::LastSeen, retention::now());
    let ip = state.kept_ip(ip);
    let device = store(state, move |s| s.authenticate(hash, seen, ip))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !state.limiter.allow(device.account, device.device_id) {
        return Err(ApiError::RateLimited);
    }
    Ok(device)
}

/// The `{account}` of a path (a malformed path segment is a 400 with the JSON body).
fn path_account(path: Result<Path<String>, PathRejection>) -> Result<AccountId, ApiError> {
    let Path(text) = path.map_err(|_| ApiError::field("account", "not a path segment"))?;
    api::parse_account("account", &text)
}

fn device_identity(device: &DeviceAuth) -> Result<DeviceIdentityKey, ApiError> {
    DeviceIdentityKey::from_bytes(&device.identity)
        .map_err(|_| ApiError::Storage(StorageError::Corrupt))
}

fn list_record(list: &SignedDeviceList) -> ListRecord {
    ListRecord {
        bytes: list.as_bytes().to_vec(),
        version: list.list().version(),
        account_key: list.account_key().to_bytes(),
        devices: list
            .list()
            .devices()
            .iter()
            .map(|d| d.device_id())
            .collect(),
    }
}

impl Shared {
    fn mailbox(&self, account: AccountId, device_id: u32) -> Arc<Notify> {
        let mut boxes = self
            .mailboxes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(boxes.entry((account, device_id)).or_default())
    }

    fn forget_devices(&self, account: AccountId, removed: &[u32]) {
        let mut boxes = self
            .mailboxes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in removed {
            if let Some(notify) = boxes.remove(&(account, *id)) {
                notify.notify_waiters();
            }
            self.limiter.forget(account, *id);
        }
    }
}

async fn challenge(State(state): State<AppState>) -> Json<api::ChallengeResponse> {
    Json(api::ChallengeResponse {
        challenge: b64(&state.challenges.issue()),
    })
}

async fn profile(State(state): State<AppState>) -> Json<api::ProfileResponse> {
    let p = state.profile;
    Json(api::ProfileResponse {
        profile: p.name().to_owned(),
        phone_required: p.requires_phone(),
        plaintext: p.plaintext(),
        sealed: p.sealed_sends(),
        identified: p.identified_sends(),
        trace: p.traces(),
        header_encryption: p.header_encryption(),
    })
}

/// `POST /v1/transport` (`transport` only): the text in plaintext, from the authenticated
/// device, stored for every listed device of the recipient.
async fn transport(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::SealedResponse>, ApiError> {
    if !state.profile.plaintext() {
        return Err(state.refuse("plaintext sends"));
    }
    let device = authenticate(&state, &headers, &ip).await?;
    let bytes = read_json(&headers, body, state.limits.sealed_body).await?;
    let (recipient, text) = api::decode_transport(&bytes)?;
    let record = state.send_record(&ip, None, true);
    let sender = (device.account, device.device_id);
    let stored = store(&state, move |s| {
        s.deliver_plain(sender, recipient, text, record)
    })
    .await?;
    let devices = list_devices(&state, recipient).await;
    for device_id in devices {
        state.mailbox(recipient, device_id).notify_waiters();
    }
    Ok(Json(api::SealedResponse { stored }))
}

/// The device ids of an account's stored list (for waking mailboxes; empty on error).
async fn list_devices(state: &AppState, account: AccountId) -> Vec<u32> {
    let Ok(bytes) = store(state, move |s| s.device_list(account)).await else {
        return Vec::new();
    };
    SignedDeviceList::from_bytes(&bytes)
        .map(|l| l.list().devices().iter().map(|d| d.device_id()).collect())
        .unwrap_or_default()
}

async fn register(
    state: &AppState,
    path_account: Option<AccountId>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Json<api::RegisterResponse>, ApiError> {
    let bytes = read_json(headers, body, state.limits.prekey_body).await?;
    let reg = decode(move || api::decode_registration(&bytes)).await?;
    let account = reg.list.list().account_id();
    if path_account.is_some_and(|path| path != account) {
        return Err(ApiError::field("device_list", "names another account"));
    }
    if !state.challenges.consume(&reg.challenge) {
        return Err(ApiError::BadProof);
    }
    let last_resort = reg
        .prekeys
        .last_resort
        .ok_or(ApiError::field("last_resort_bundle", "required"))?;
    if reg.prekeys.bundles.len() > state.limits.max_prekeys as usize {
        return Err(ApiError::TooManyPrekeys);
    }
    let now = retention::now();
    let (token, token_hash) = auth::new_token();
    let device = NewDevice {
        device_id: reg.device_id,
        identity: reg.identity.to_bytes(),
        token_hash,
        bundles: reg.prekeys.bundles,
        last_resort,
        registered_at: state.profile.stamp(Stamped::DeviceRegistered, now),
        seen_at: state.profile.stamp(Stamped::LastSeen, now),
    };
    let list = list_record(&reg.list);
    match path_account {
        None => {
            if list.version < 1 {
                return Err(ApiError::field("device_list", "version must be at least 1"));
            }
            let verifier = reg
                .verifier
                .ok_or(ApiError::field("access_verifier", "required"))?
                .to_bytes();
            let phone = match (state.profile.requires_phone(), reg.phone) {
                (true, Some(phone)) => Some(phone),
                (true, None) => return Err(ApiError::field("phone", "this relay requires one")),
                (false, Some(_)) => {
                    return Err(ApiError::field(
                        "phone",
                        "this relay registers by key alone",
                    ));
                }
                (false, None) => None,
            };
            let new = NewAccount {
                account,
                list,
                verifier,
                identifier: reg.identifier,
                phone,
                created_at: state.profile.stamp(Stamped::AccountCreated, now),
                device,
            };
            store(state, move |s| s.create_account(new)).await?;
        }
        Some(_) => {
            store(state, move |s| s.add_device(account, list, device)).await?;
        }
    }
    Ok(Json(api::RegisterResponse {
        device_token: b64(token.expose()),
    }))
}

async fn register_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::RegisterResponse>, ApiError> {
    register(&state, None, &headers, body).await
}

async fn register_device(
    State(state): State<AppState>,
    account: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::RegisterResponse>, ApiError> {
    let account = path_account(account)?;
    register(&state, Some(account), &headers, body).await
}

async fn put_devices(
    State(state): State<AppState>,
    ip: ClientIp,
    account: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let account = path_account(account)?;
    let device = authenticate(&state, &headers, &ip).await?;
    if device.account != account {
        return Err(ApiError::Forbidden);
    }
    let bytes = read_json(&headers, body, state.limits.small_body).await?;
    let list = decode(move || api::decode_device_list(&bytes)).await?;
    if list.list().account_id() != account {
        return Err(ApiError::field("device_list", "names another account"));
    }
    let record = list_record(&list);
    let removed = store(&state, move |s| s.update_device_list(account, record)).await?;
    state.forget_devices(account, &removed);
    Ok(Json(serde_json::json!({ "removed": removed })))
}

async fn get_devices(
    State(state): State<AppState>,
    account: Result<Path<String>, PathRejection>,
) -> Result<Json<api::DeviceListBody>, ApiError> {
    let account = path_account(account)?;
    let bytes = store(&state, move |s| s.device_list(account)).await?;
    Ok(Json(api::DeviceListBody {
        device_list: b64(&bytes),
    }))
}

async fn get_bundles(
    State(state): State<AppState>,
    account: Result<Path<String>, PathRejection>,
) -> Result<Json<api::BundlesResponse>, ApiError> {
    let account = path_account(account)?;
    let bundles = store(&state, move |s| s.take_bundles(account)).await?;
    Ok(Json(api::BundlesResponse {
        bundles: bundles
            .into_iter()
            .map(|(device_id, bundle)| api::DeviceBundle {
                device_id,
                bundle: b64(&bundle),
            })
            .collect(),
    }))
}

async fn prekeys(
    state: &AppState,
    headers: &HeaderMap,
    ip: &ClientIp,
    body: Body,
    mode: PrekeyMode,
) -> Result<Json<api::PrekeyCount>, ApiError> {
    let device = authenticate(state, headers, ip).await?;
    let identity = device_identity(&device)?;
    let bytes = read_json(headers, body, state.limits.prekey_body).await?;
    let upload = decode(move || api::decode_prekeys(&bytes, mode, &identity)).await?;
    let (account, id, max) = (device.account, device.device_id, state.limits.max_prekeys);
    let count = store(state, move |s| {
        match (mode, upload.last_resort) {
            (PrekeyMode::Replace, Some(last)) => {
                s.replace_prekeys(account, id, upload.bundles, last, max)?;
            }
            _ => s.add_prekeys(account, id, upload.bundles, max)?,
        }
        s.prekey_count(account, id)
    })
    .await?;
    Ok(Json(api::PrekeyCount { count }))
}

async fn replace_prekeys(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::PrekeyCount>, ApiError> {
    prekeys(&state, &headers, &ip, body, PrekeyMode::Replace).await
}

async fn add_prekeys(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::PrekeyCount>, ApiError> {
    prekeys(&state, &headers, &ip, body, PrekeyMode::Add).await
}

async fn prekey_count(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Json<api::PrekeyCount>, ApiError> {
    let device = authenticate(&state, &headers, &ip).await?;
    let count = store(&state, move |s| {
        s.prekey_count(device.account, device.device_id)
    })
    .await?;
    Ok(Json(api::PrekeyCount { count }))
}

async fn put_access(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let device = authenticate(&state, &headers, &ip).await?;
    let bytes = read_json(&headers, body, state.limits.small_body).await?;
    let verifier = api::decode_access(&bytes)?.to_bytes();
    store(&state, move |s| {
        s.set_access_verifier(device.account, verifier)
    })
    .await?;
    Ok(Json(serde_json::json!({})))
}

async fn certificates(State(state): State<AppState>) -> Json<api::CertificatesResponse> {
    Json(api::CertificatesResponse {
        trust_root: b64(&state.trust_root),
        server_certificates: vec![b64(&state.server_certificate)],
    })
}

async fn certificate(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
) -> Result<Json<api::CertificateResponse>, ApiError> {
    let device = authenticate(&state, &headers, &ip).await?;
    let identity = device_identity(&device)?;
    let expires = retention::now().saturating_add(SENDER_CERTIFICATE_LIFETIME);
    let cert = state
        .server_key
        .issue(device.account, device.device_id, &identity, expires);
    Ok(Json(api::CertificateResponse {
        certificate: b64(cert.as_bytes()),
        expires,
    }))
}

async fn sealed(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::SealedResponse>, ApiError> {
    if !state.profile.sealed_sends() {
        return Err(state.refuse("sealed sends"));
    }
    // A device token is optional: presented, it lets a send to the device's own account
    // leave that device out (copies to its other devices); no sender is recorded.
    let owner = if headers.contains_key(header::AUTHORIZATION) {
        Some(authenticate(&state, &headers, &ip).await?)
    } else {
        None
    };
    let bytes = read_json(&headers, body, state.limits.sealed_body).await?;
    let header_key = headers
        .get("sotto-access-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| ApiError::field("Sotto-Access-Key", "not ASCII"))?;
    let mut deliveries = api::decode_sealed(&bytes, header_key.as_deref())?;
    if let Some(owner) = owner {
        for d in &mut deliveries {
            if d.account == owner.account {
                let access = std::mem::replace(
                    &mut d.access,
                    Access::Sender {
                        account: owner.account,
                        device_id: owner.device_id,
                    },
                );
                if let Access::Key(key) = access {
                    d.access = Access::Own {
                        key,
                        device_id: owner.device_id,
                    };
                }
            }
        }
    }
    let targets: Vec<(AccountId, u32)> = deliveries
        .iter()
        .flat_map(|d| d.envelopes.iter().map(|(id, _)| (d.account, *id)))
        .collect();
    let record = state.send_record(&ip, None, false);
    let stored = store(&state, move |s| s.deliver(deliveries, record)).await?;
    for (account, device_id) in targets {
        state.mailbox(account, device_id).notify_waiters();
    }
    Ok(Json(api::SealedResponse { stored }))
}

/// `POST /v1/messages`: an identified send. The sender is the authenticated device (the
/// relay records it with each envelope); no access key is needed, the device's rate limit
/// applies. For first contact, before the sender holds the recipient's profile key.
async fn identified(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::SealedResponse>, ApiError> {
    if !state.profile.identified_sends() {
        return Err(state.refuse("identified sends"));
    }
    let device = authenticate(&state, &headers, &ip).await?;
    let bytes = read_json(&headers, body, state.limits.sealed_body).await?;
    let (delivery, trace) = api::decode_identified(&bytes, device.account, device.device_id)?;
    match (state.profile.traces(), trace.is_some()) {
        (true, false) => return Err(ApiError::field("trace", "this relay requires one")),
        (false, true) => return Err(ApiError::field("trace", "this relay keeps no trace")),
        _ => {}
    }
    let targets: Vec<(AccountId, u32)> = delivery
        .envelopes
        .iter()
        .map(|(id, _)| (delivery.account, *id))
        .collect();
    let record = state.send_record(&ip, trace, true);
    let stored = store(&state, move |s| s.deliver(vec![delivery], record)).await?;
    for (account, device_id) in targets {
        state.mailbox(account, device_id).notify_waiters();
    }
    Ok(Json(api::SealedResponse { stored }))
}

async fn messages(
    State(state): State<AppState>,
    ip: ClientIp,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Json<api::MessagesResponse>, ApiError> {
    let device = authenticate(&state, &headers, &ip).await?;
    let wait = api::decode_wait(query.as_deref(), state.limits.max_wait)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let (account, id, limit) = (device.account, device.device_id, state.limits.fetch_batch);
    loop {
        let notify = state.mailbox(account, id);
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let found = store(&state, move |s| s.fetch_messages(account, id, limit)).await?;
        if !found.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(api::MessagesResponse {
                messages: found
                    .into_iter()
                    .map(|m| {
                        let transport = m.body.is_some();
                        api::MessageOut {
                            id: m.id,
                            envelope: b64(&m.envelope),
                            received_at: m.received_at,
                            identified: m.sender.is_some(),
                            sender: m.sender.filter(|_| transport).map(|(a, _)| a.to_hex()),
                            sender_device: m.sender.filter(|_| transport).map(|(_, d)| d),
                            text: m.body,
                        }
                    })
                    .collect(),
            }));
        }
        // Woken by a delivery or at the deadline; either way look again.
        drop(tokio::time::timeout_at(deadline, notified).await);
    }
}

async fn ack(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<api::AckResponse>, ApiError> {
    let device = authenticate(&state, &headers, &ip).await?;
    let bytes = read_json(&headers, body, state.limits.small_body).await?;
    let ids = api::decode_ack(&bytes)?;
    let keep = state
        .profile
        .keeps_history()
        .then(|| state.profile.stamp(Stamped::Message, retention::now()));
    let acknowledged = store(&state, move |s| {
        s.acknowledge(device.account, device.device_id, ids, keep)
    })
    .await?;
    Ok(Json(api::AckResponse { acknowledged }))
}
