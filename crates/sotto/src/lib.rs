//! # sotto
//!
//! The client library: a [`Client`] is one device of an account, talking to a Sotto relay
//! through a [`Transport`] ([`HttpTransport`] over HTTP, [`InProcessTransport`] to a relay
//! router in the same process). Two users exchanging messages through a relay started here:
//!
//! ```
//! use sotto::{Client, ClientConfig, Event, InProcessTransport};
//! use sotto_crypto::SecretBytes;
//! use sotto_relay::{Relay, RelayConfig};
//!
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! // A relay on a temporary database, served without a socket.
//! let relay = Relay::in_process(RelayConfig::new(dir.path().join("relay.db"))).await?;
//! let transport = || InProcessTransport::new(relay.router());
//! // Each user keeps a home directory; the store key comes from the platform's key store.
//! let key = || SecretBytes::random(&mut rand::rng());
//! let mut alice = Client::register(transport(), ClientConfig::new(dir.path().join("alice"), key())).await?;
//! let mut bob = Client::register(transport(), ClientConfig::new(dir.path().join("bob"), key())).await?;
//!
//! // The relay's default profile, `sotto`, takes sealed sends only: contact cards (the
//! // account id and the profile key) are exchanged out of band (a QR code, a link), so
//! // the relay never learns who writes to whom, not even for the first message.
//! let bob_id = alice.add_contact(&bob.contact_card()?).await?;
//! bob.add_contact(&alice.contact_card()?).await?;
//! alice.send_text(bob_id, "hello").await?;
//! // Bob gets the message, and the trust events of pinning Alice's account on first use.
//! assert_eq!(texts(&bob.receive().await?), ["hello"]);
//!
//! // Bob replies, sealed too.
//! bob.send_text(alice.account_id(), "hi Alice").await?;
//! assert_eq!(texts(&alice.receive().await?), ["hi Alice"]);
//!
//! // Both sides derive the same safety number, to compare in person.
//! assert_eq!(
//!     alice.safety_number(bob.account_id()).await?.digits(),
//!     bob.safety_number(alice.account_id()).await?.digits(),
//! );
//! # Ok(())
//! # }
//!
//! fn texts(events: &[Event]) -> Vec<&str> {
//!     events
//!         .iter()
//!         .filter_map(|e| match e {
//!             Event::Message { text, .. } => Some(text.as_str()),
//!             _ => None,
//!         })
//!         .collect()
//! }
//! ```
//!
//! ## What a client does for its caller
//!
//! - **Register** ([`Client::register`]): creates the account on a new device
//!   (`Device::create_account` over a [`sotto_store_sqlite::SqliteBackend`] in
//!   `HOME/store.db`), proves the device identity to the relay (a signature over the relay's
//!   challenge, `Device::sign_relay_registration`), uploads its prekey bundles and the
//!   access verifier of a fresh profile key, and keeps the device token.
//! - **Open** ([`Client::open`]): restarts from the store, refusing one older than the
//!   generation kept in `HOME/generation` (`Device::open_at_least`).
//! - **Link** ([`PendingDevice`], [`Client::link_device`]): the new device shows a link
//!   code; the primary signs a list with it, uploads the list and returns the link message;
//!   the new device opens it (`Device::from_link`) and registers as a linked device.
//!   [`Client::revoke_device`] removes one.
//! - **Send** ([`Client::send_text`]): fans a message out to every trusted device of the
//!   peer and to this account's other devices (`Device::encrypt`), fetching bundles for new
//!   devices; each device message is sealed (`envelope::seal_cached`) under a sender
//!   certificate fetched from the relay and renewed an hour before it expires, and posted to
//!   `POST /v1/sealed` with the recipient's access key. A `409 stale_devices` answer is
//!   handled (`Device::handle_stale`) and the send retried once.
//! - **Receive** ([`Client::receive`]): fetches the mailbox, opens each envelope
//!   (`envelope::open_cached`) against the server certificates that chain to the pinned
//!   trust root, decrypts (`Device::decrypt`, or `Device::decrypt_first_contact` with the
//!   sender's list for an unknown account) and returns [`Event`]s: messages, trust events,
//!   this device's revocation. It acknowledges only after the store committed; an id whose
//!   acknowledgement was lost is acknowledged again and not returned twice.
//! - **Trust**: [`Client::safety_number`], [`Client::mark_verified`],
//!   [`Client::accept_key_change`]; a key change blocks sending to the account until it is
//!   accepted.
//! - **Prekeys** ([`Client::maintain`], run inside send and receive): the relay's one-time
//!   prekey count is checked (hourly, and right after prekeys were used) and topped up
//!   below the policy's threshold (`Device::refresh_prekeys`); the signed prekey is rotated
//!   weekly and every bundle replaced.
//!
//! ## First contact and access keys
//!
//! A sealed send needs the recipient's access key, derived from its profile key
//! (protocol.md 9.5), and contacts learn a profile key only inside end-to-end messages. So
//! the first message to an account cannot be sealed. The client then uses the relay's
//! **identified send**, `POST /v1/messages`: the same envelopes, authenticated with the
//! device token instead of the access key; the relay records the sender (account and
//! device) with each envelope and marks it `identified` in the recipient's fetch. Every
//! message's content (module `content`: items tagged with the content types of 9.5) carries
//! the sender account's profile-key share while some recipient device has not yet shown it
//! holds the key; a device shows it by sending to this device sealed (with this account's
//! access key). Once a device holds a peer's profile key it sends sealed; a refused access
//! key (the owner rotated its profile key) falls back to the identified send. What the
//! identified send reveals to the relay: who wrote to whom, once per new contact (and per
//! new device that has not learnt the key yet), which sealed sender otherwise hides.
//!
//! A device linked later learns its own account's profile key from the share in its other
//! devices' copies, and peers' keys from their next messages with a share; until then it
//! sends identified.
//!
//! ## Executor
//!
//! Every device call (SQLite, X25519, ML-KEM, Ed25519) and every file write runs on tokio's
//! blocking pool (`tokio::task::spawn_blocking`), on a `std::sync::Mutex<Device>` shared
//! through an `Arc` and never held across an `.await`: the client never blocks the
//! executor's threads, on any runtime flavour (no `block_in_place`).
//!
//! ## Trust root
//!
//! Sender certificates are verified against a trust root the client pins: the one in
//! [`ClientConfig::trust_root`] if the application ships it, else the one the relay serves
//! at registration (trust on first use), kept in the client state. Every later run checks
//! that the relay still serves that root ([`ClientError::TrustRootMismatch`] otherwise): a
//! relay cannot later swap in a root of its own and forge the senders of sealed messages.
//! TOFU is the default because the reference relay makes its own root at first start; an
//! operator who publishes its root should have applications configure it.
//!
//! ## Files
//!
//! In the home directory: `store.db` (the device store, every record encrypted under the
//! store key), `generation`, and `client.state` (the token, the pinned root, profile keys,
//! unacknowledged ids, prekey bookkeeping; sealed with ChaCha20-Poly1305 under a key derived
//! from the store key). The store key itself is never written.
//!
//! ## Known limits
//!
//! - `GET /v1/accounts/{account}/bundles` hands out one bundle for every registered device
//!   of the account, so fetching bundles for one new device also spends one of each other
//!   device's one-time prekeys.
//! - One-time prekeys the relay handed out but whose initial message has not arrived yet
//!   still count as held locally: the top-up adds keys only once they are used.
//! - A signed-prekey rotation re-uploads every unused one-time prekey held locally, which
//!   may include some the relay handed out already (their second use then fails).
//! - A crash between a decrypt's commit and the state file's write loses the message's id:
//!   the redelivered message no longer decrypts (its keys are gone) and is reported as
//!   [`Event::Undecryptable`], never as a second message.

pub mod card;
mod client;
pub mod content;
mod error;
mod messaging;
mod relay;
pub mod state;
pub mod transport;

pub use client::{
    CERTIFICATE_RENEW_BEFORE, Client, ClientConfig, Event, MAX_BUNDLES_PER_UPLOAD, PendingDevice,
    RelayProfile,
};
pub use error::ClientError;
pub use transport::{HttpTransport, InProcessTransport, Method, Request, Response, Transport};

pub use sotto_devices::safety::{Comparison, SafetyNumber};
pub use sotto_devices::{AccountId, TrustEvent};
pub use sotto_ratchet::SessionKind;
