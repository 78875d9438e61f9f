//! `sotto register`, `sotto link`, `sotto send`, `sotto receive` and `sotto safety-number`:
//! a chat client over [`sotto::Client`] and [`sotto::HttpTransport`], one device per home
//! directory.
//!
//! ## The home directory
//!
//! Besides the client's own files (`store.db`, `generation`, `client.state`, see the
//! `sotto` crate docs), the command keeps two files in `HOME`:
//!
//! - `store.key`: the 32-byte store key, random at `register` (or at `link` on a new
//!   device), created with mode 0600. This is a demonstration shortcut: the key sits next to
//!   the store it encrypts, so it only protects against someone who copies `store.db` alone.
//!   A real application keeps the store key in the OS keystore (Keychain, Android Keystore,
//!   the Secret Service, DPAPI) and never writes it beside the store.
//! - `relay.url`: the relay's base URL given at `register` or `link`, so later commands do
//!   not need `--relay`.
//!
//! ## Linking a device
//!
//! A new device's pending link (its fresh identity and the link secret) lives only in
//! memory ([`sotto::PendingDevice`] cannot be saved), so the new device's `sotto link` keeps
//! running: it prints the link code, then reads the link message (hex, one line) from
//! standard input. On the primary, `sotto link --code CODE` signs the new device list,
//! uploads it and prints the link message; the user pastes it into the waiting terminal.

use std::io::{BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sotto::{AccountId, Client, ClientConfig, ClientError, Event, HttpTransport, TrustEvent};
use sotto_crypto::SecretBytes;

/// The store key's file in the home directory.
pub const STORE_KEY_FILE: &str = "store.key";
/// The relay URL's file in the home directory.
pub const RELAY_URL_FILE: &str = "relay.url";
/// The longest `--wait` accepted, in seconds (one hour).
pub const MAX_WAIT: u64 = 3600;

/// Why a chat command failed. Its `Display` with [`error_line`] is the one line printed.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The home directory holds no client of this command.
    #[error(
        "{0}: no sotto client here (no {STORE_KEY_FILE}); run `sotto register --home DIR --relay URL` or `sotto link --home DIR --relay URL` first"
    )]
    NoClient(PathBuf),
    /// `open` on a home with a store key but no registered client (an interrupted
    /// `register` or `link`).
    #[error(
        "{0}: no registered client here (an interrupted register or link?); run `sotto register` or `sotto link` with this --home again"
    )]
    NotRegistered(PathBuf),
    /// `register` or a new device's `link` on a home that already holds a client.
    #[error("{0}: already holds a sotto client; use another --home")]
    AlreadyThere(PathBuf),
    /// A file of the home directory could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `store.key` is not 32 bytes.
    #[error("{0}: not a 32-byte store key")]
    BadStoreKey(PathBuf),
    /// A new device's `link` without `--relay`.
    #[error("a new device needs --relay URL (or pass --code CODE on the primary device)")]
    RelayMissing,
    /// An argument did not parse.
    #[error("{0}")]
    Argument(String),
    /// The link message never came (standard input closed).
    #[error("no link message on standard input")]
    NoMessage,
    /// Writing the output failed.
    #[error("output: {0}")]
    Output(#[source] std::io::Error),
    /// The relay refused this device's token (HTTP 401): the device was revoked, or the
    /// relay lost its registration.
    #[error(
        "the relay no longer accepts this device: it was revoked (see `sotto revoke`) or the relay forgot it"
    )]
    DeviceRefused,
    /// The client refused.
    #[error("{0}")]
    Client(#[from] ClientError),
}

/// A 401 from the relay, told as what it means for the user ([`ChatError::DeviceRefused`]).
fn refused(e: ChatError) -> ChatError {
    match e {
        ChatError::Client(ClientError::Relay { status: 401, .. }) => ChatError::DeviceRefused,
        other => other,
    }
}

/// `err` and its sources joined by `: `, as the one line `sotto: ...` prints.
#[must_use]
pub fn error_line(err: &dyn std::error::Error) -> String {
    let mut line = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = s.source();
    }
    line.replace('\n', " ")
}

/// Parses an account id: 32 hex digits.
pub fn parse_account(text: &str) -> Result<AccountId, ChatError> {
    AccountId::from_hex(text.trim()).ok_or_else(|| {
        ChatError::Argument(format!(
            "{text:?} is not an account id (32 hex digits, as `sotto register` prints)"
        ))
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, ChatError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ChatError::Runtime)
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> ChatError + '_ {
    move |source| ChatError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `home` (if missing) with a fresh store key (mode 0600) and the relay URL. A
/// store key left by an interrupted `register` or `link` (no client files beside it) is
/// replaced.
fn create_home(home: &Path, relay: &str) -> Result<SecretBytes<32>, ChatError> {
    if home.join("client.state").exists() || home.join("store.db").exists() {
        return Err(ChatError::AlreadyThere(home.to_path_buf()));
    }
    std::fs::create_dir_all(home).map_err(file_error(home))?;
    let key = SecretBytes::<32>::random(&mut rand::rng());
    let path = home.join(STORE_KEY_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(file_error(&path)(e)),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(file_error(&path))?;
    file.write_all(key.expose()).map_err(file_error(&path))?;
    file.sync_all().map_err(file_error(&path))?;
    let url = home.join(RELAY_URL_FILE);
    std::fs::write(&url, format!("{}\n", relay.trim_end_matches('/'))).map_err(file_error(&url))?;
    Ok(key)
}

/// Removes the two files [`create_home`] wrote (after a failed registration).
fn remove_home_files(home: &Path) {
    let _ = std::fs::remove_file(home.join(STORE_KEY_FILE));
    let _ = std::fs::remove_file(home.join(RELAY_URL_FILE));
}

/// Reads the store key and the relay URL of `home`.
fn load_home(home: &Path) -> Result<(SecretBytes<32>, String), ChatError> {
    let path = home.join(STORE_KEY_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ChatError::NoClient(home.to_path_buf()));
        }
        Err(e) => return Err(file_error(&path)(e)),
    };
    let key = SecretBytes::<32>::from_slice(&bytes).ok_or(ChatError::BadStoreKey(path))?;
    let url_path = home.join(RELAY_URL_FILE);
    let url = std::fs::read_to_string(&url_path).map_err(file_error(&url_path))?;
    Ok((key, url.trim().to_owned()))
}

async fn open(home: &Path) -> Result<Client<HttpTransport>, ChatError> {
    let (key, url) = load_home(home)?;
    Client::open(HttpTransport::new(url), ClientConfig::new(home, key))
        .await
        .map_err(|e| match e {
            ClientError::NotRegistered => ChatError::NotRegistered(home.to_path_buf()),
            other => other.into(),
        })
}

/// `sotto register`: creates an account in `home` on the relay at `relay` (with `phone`,
/// for a relay whose profile asks for one) and prints its id, then its contact card.
pub fn register(
    home: &Path,
    relay: &str,
    phone: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), ChatError> {
    let key = create_home(home, relay)?;
    let mut config = ClientConfig::new(home, key);
    config.phone = phone.map(str::to_owned);
    let result = runtime()?.block_on(async {
        Client::register(HttpTransport::new(relay), config)
            .await
            .map_err(|e| match e {
                ClientError::PhoneRequired => ChatError::Argument(
                    "this relay registers accounts with a phone number: pass --phone +NUMBER"
                        .to_owned(),
                ),
                other => other.into(),
            })
    });
    match result {
        Ok(client) => {
            let card = client.contact_card()?;
            writeln!(out, "{}", client.account_id().to_hex()).map_err(ChatError::Output)?;
            writeln!(out, "contact card: {}", card.as_str()).map_err(ChatError::Output)
        }
        Err(e) => {
            remove_home_files(home);
            Err(e)
        }
    }
}

/// `sotto link --code CODE` on the primary: links the device showing `code` and prints the
/// link message (hex, one line) to paste into the new device's waiting `sotto link`.
pub fn link_primary(home: &Path, code: &str, out: &mut dyn Write) -> Result<(), ChatError> {
    let message = runtime()?.block_on(async {
        let mut client = open(home).await?;
        Ok::<_, ChatError>(client.link_device(code.trim()).await?)
    })?;
    writeln!(out, "{}", hex::encode(message)).map_err(ChatError::Output)
}

/// `sotto link` on a new device: prints the link code, reads the link message (hex, one
/// line) from `input`, finishes the link and prints the account id.
pub fn link_new(
    home: &Path,
    relay: Option<&str>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ChatError> {
    let relay = relay.ok_or(ChatError::RelayMissing)?;
    let key = create_home(home, relay)?;
    let result = link_new_inner(home, relay, key, input, out);
    if result.is_err() && !home.join("client.state").exists() {
        remove_home_files(home);
    }
    result
}

fn link_new_inner(
    home: &Path,
    relay: &str,
    key: SecretBytes<32>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<(), ChatError> {
    let pending = sotto::PendingDevice::new(ClientConfig::new(home, key));
    writeln!(out, "link code: {}", pending.code().as_str()).map_err(ChatError::Output)?;
    writeln!(
        out,
        "on the primary run `sotto link --home PRIMARY_HOME --code CODE` and paste the message it prints here:"
    )
    .map_err(ChatError::Output)?;
    out.flush().map_err(ChatError::Output)?;
    let mut line = String::new();
    loop {
        line.clear();
        let n = input
            .read_line(&mut line)
            .map_err(|e| ChatError::Argument(format!("standard input: {e}")))?;
        if n == 0 {
            return Err(ChatError::NoMessage);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let message = hex::decode(line.trim())
        .map_err(|_| ChatError::Argument("the link message is not hex".to_owned()))?;
    let client = runtime()?.block_on(pending.finish(HttpTransport::new(relay), message))?;
    writeln!(
        out,
        "linked: account {} device {}",
        client.account_id().to_hex(),
        client.device_id()
    )
    .map_err(ChatError::Output)
}

/// `sotto revoke`: on the primary, removes device `device_id` from the account's signed
/// list and uploads the list (the relay drops the device's token, prekeys and mail; peers
/// see `trust: device removed` when they next fetch the list).
pub fn revoke(home: &Path, device_id: u32, out: &mut dyn Write) -> Result<(), ChatError> {
    runtime()?.block_on(async {
        let mut client = open(home).await?;
        if device_id == client.device_id() {
            return Err(ChatError::Argument(
                "a device cannot revoke itself: run `sotto revoke` on the primary".to_owned(),
            ));
        }
        client.revoke_device(device_id).await?;
        Ok::<_, ChatError>(())
    })?;
    writeln!(out, "revoked device {device_id}").map_err(ChatError::Output)
}

/// `sotto send`: sends `text` to every trusted device of `to`, and prints the trust events
/// the send observed (one line each, as [`event_line`]).
///
/// `to` is an account id, or a contact card (`ID.KEY`, as `sotto register` prints), which
/// is kept first: a relay under the `sotto` profile takes sealed sends only, and a first
/// message needs the recipient's card.
pub fn send(home: &Path, to: &str, text: &str, out: &mut dyn Write) -> Result<(), ChatError> {
    let card = to.trim().contains('.').then(|| to.trim().to_owned());
    let to = match &card {
        Some(c) => parse_account(c.split('.').next().unwrap_or(""))?,
        None => parse_account(to)?,
    };
    let (own, events) = runtime()?.block_on(async {
        let mut client = open(home).await?;
        if let Some(card) = &card {
            client.add_contact(card).await.map_err(|_| {
                ChatError::Argument(
                    "not a contact card (ACCOUNT.KEY, as `sotto register` prints)".to_owned(),
                )
            })?;
        }
        client.send_text(to, text).await.map_err(|e| match e {
            ClientError::NoAccessKey(_) => ChatError::Argument(format!(
                "this relay takes sealed sends only and this device has no contact card for {}: pass the card `sotto register` printed for them as --to",
                to.to_hex()
            )),
            ClientError::Relay { status: 404, .. } => ChatError::Argument(format!(
                "the relay knows no account {}",
                to.to_hex()
            )),
            ClientError::Device(sotto_devices::DeviceError::Trust(
                sotto_devices::TrustError::KeyChangePending,
            )) => ChatError::Argument(format!(
                "the account key of {} changed: compare safety numbers, then run `sotto safety-number --peer {} --accept-key-change`",
                to.to_hex(),
                to.to_hex()
            )),
            other => other.into(),
        })?;
        Ok::<_, ChatError>((client.account_id(), client.take_events()))
    })
    .map_err(refused)?;
    // The trust events the send observed (a device added or removed): the process ends
    // here, so they are shown now rather than lost.
    for event in &events {
        writeln!(out, "{}", event_line(own, event)).map_err(ChatError::Output)?;
    }
    Ok(())
}

/// `sotto receive`: fetches the mail, waiting up to `wait` seconds for some, and prints one
/// line per event ([`event_line`]).
pub fn receive(home: &Path, wait: u64, out: &mut dyn Write) -> Result<(), ChatError> {
    if wait > MAX_WAIT {
        return Err(ChatError::Argument(format!(
            "--wait: at most {MAX_WAIT} seconds"
        )));
    }
    let (own, events) = runtime()?
        .block_on(async {
            let mut client = open(home).await?;
            let deadline = Instant::now() + Duration::from_secs(wait);
            loop {
                let left = deadline.saturating_duration_since(Instant::now()).as_secs();
                let events = client.receive_wait(left.min(30)).await?;
                if !events.is_empty() || left == 0 {
                    return Ok::<_, ChatError>((client.account_id(), events));
                }
            }
        })
        .map_err(refused)?;
    for event in &events {
        writeln!(out, "{}", event_line(own, event)).map_err(ChatError::Output)?;
    }
    Ok(())
}

/// One event as `sotto receive` prints it.
#[must_use]
pub fn event_line(own: AccountId, event: &Event) -> String {
    match event {
        Event::Message {
            from,
            device,
            to,
            text,
            ..
        } if *from == own => format!(
            "to {} from own device {device}: {}",
            to.to_hex(),
            one_line(text)
        ),
        Event::Message {
            from, device, text, ..
        } => format!("from {} device {device}: {}", from.to_hex(), one_line(text)),
        Event::Trust(TrustEvent::DeviceAdded { account, device_id }) => format!(
            "trust: device added: account {} device {device_id}",
            account.to_hex()
        ),
        Event::Trust(TrustEvent::DeviceRemoved { account, device_id }) => format!(
            "trust: device removed: account {} device {device_id}",
            account.to_hex()
        ),
        Event::Trust(TrustEvent::AccountKeyChanged {
            account,
            was_verified,
        }) => format!(
            "trust: account key changed: account {}{}; sending to it is blocked until `sotto safety-number --peer {} --accept-key-change`",
            account.to_hex(),
            if *was_verified {
                " (it was VERIFIED: compare safety numbers again)"
            } else {
                ""
            },
            account.to_hex()
        ),
        Event::Trust(other) => format!("trust: {other:?}"),
        Event::ThisDeviceRevoked => {
            "this device was revoked: it can no longer send or receive".to_owned()
        }
        Event::Undecryptable { id } => format!("undecryptable message {id} (dropped)"),
        _ => "unknown event".to_owned(),
    }
}

/// Control characters of a received text shown escaped: a message cannot rewrite the
/// terminal or fake a second line.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// What `sotto safety-number` does besides printing the number.
#[derive(Debug, Clone, Default)]
pub struct SafetyOptions {
    /// The number read from the peer's screen (60 digits, spaces allowed): on a match the
    /// peer is marked verified.
    pub verify: Option<String>,
    /// Accept the peer's pending account-key change.
    pub accept_key_change: bool,
}

/// `sotto safety-number`: prints the safety number with `peer` (12 groups of 5 digits) and
/// whether it is verified; with [`SafetyOptions`], verifies or accepts a key change first.
pub fn safety_number(
    home: &Path,
    peer: &str,
    options: &SafetyOptions,
    out: &mut dyn Write,
) -> Result<(), ChatError> {
    let peer = parse_account(peer)?;
    let own_line = runtime()?.block_on(async {
        let mut client = open(home).await?;
        let own = client.account_id();
        let mut lines = Vec::new();
        if options.accept_key_change {
            let events = client.accept_key_change(peer).await?;
            lines.push("accepted the new account key".to_owned());
            lines.extend(events.iter().map(|e| event_line(own, e)));
        }
        let number = client.safety_number(peer).await.map_err(|e| match e {
            ClientError::Device(sotto_devices::DeviceError::UnknownAccount(_)) => {
                ChatError::Argument(format!(
                    "no conversation with {} yet: send or receive a message first",
                    peer.to_hex()
                ))
            }
            other => other.into(),
        })?;
        if let Some(typed) = &options.verify {
            let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
            if typed != number.digits() {
                return Err(ChatError::Argument(
                    "the safety numbers differ: do not mark this peer verified".to_owned(),
                ));
            }
            // Both sides show the same digits; the byte form the peer would show is ours
            // with the two fingerprints swapped (0x19 || version || own || peer).
            let bytes = number.to_bytes();
            let half = (bytes.len() - 2) / 2;
            let mut theirs = bytes[..2].to_vec();
            theirs.extend_from_slice(&bytes[2 + half..]);
            theirs.extend_from_slice(&bytes[2..2 + half]);
            let comparison = client.mark_verified(peer, theirs).await?;
            if comparison != sotto::Comparison::Match {
                return Err(ChatError::Argument(format!(
                    "the safety numbers differ ({comparison:?})"
                )));
            }
            lines.push("verified".to_owned());
        }
        let verified = client.is_verified(peer).await?;
        lines.insert(
            0,
            format!(
                "{}{}",
                number.display(),
                if verified { " (verified)" } else { "" }
            ),
        );
        Ok::<_, ChatError>(lines)
    })?;
    for line in own_line {
        writeln!(out, "{line}").map_err(ChatError::Output)?;
    }
    Ok(())
}
