//! [`ClientError`]: why a client call failed.

use sotto_devices::{AccountId, DeviceError};

use crate::transport::TransportError;

/// Why a client call failed. A failed call leaves the device store as the device layer left
/// it (every device call is atomic); messages already received in the call are not lost
/// (they stay in the relay's mailbox until acknowledged).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The transport could not deliver the request or read the answer.
    #[error("transport")]
    Transport(#[from] TransportError),
    /// The relay refused the request: its status and error code (docs/relay.md, "Errors").
    #[error("relay answered {status} {code}")]
    Relay {
        /// The HTTP status.
        status: u16,
        /// The relay's `error` code (empty if the body had none).
        code: String,
    },
    /// The relay's answer did not decode (not the JSON the endpoint answers, bad base64, a
    /// wire object that does not parse).
    #[error("malformed relay answer: {0}")]
    MalformedAnswer(&'static str),
    /// The device layer refused (trust, sessions, store...). A pending key change is
    /// `Device(DeviceError::Trust(TrustError::KeyChangePending))`.
    #[error("device")]
    Device(#[from] DeviceError),
    /// The client's files could not be read or written.
    #[error("client files")]
    Io(#[from] std::io::Error),
    /// The client's own bookkeeping is inconsistent (the generation file does not parse, a
    /// value the state should hold is missing).
    #[error("client state is inconsistent")]
    State,
    /// The client state file does not open (protocol.md 10.2, CLI-ST-01..CLI-ST-04).
    #[error("client state file: {0}")]
    StateFile(#[from] crate::state::StateFileError),
    /// `register` or `link` on a home that already holds a client.
    #[error("the home directory already holds a client")]
    AlreadyRegistered,
    /// `open` on a home that holds no registered client.
    #[error("the home directory holds no registered client")]
    NotRegistered,
    /// The relay serves a trust root other than the one this client pinned.
    #[error("the relay's trust root is not the pinned one")]
    TrustRootMismatch,
    /// A sender or server certificate did not verify against the pinned trust root.
    #[error("certificate")]
    Certificate(#[from] sotto_sealed::certificate::CertificateError),
    /// Sealing an envelope failed.
    #[error("sealing")]
    Seal(#[from] sotto_sealed::envelope::SealError),
    /// A link code did not decode.
    #[error("link code")]
    LinkCode(#[from] sotto_devices::link::CodeError),
    /// The relay's device set still disagreed after one refresh and retry.
    #[error("the relay's device set for {0:?} still disagrees after a retry")]
    StillStale(AccountId),
    /// The text is longer than a message may be.
    #[error("message too long")]
    TooLong,
    /// The relay registers accounts with a phone number and the configuration has none
    /// (`ClientConfig::phone`).
    #[error("this relay requires a phone number to register")]
    PhoneRequired,
    /// The relay takes only sealed sends and this device holds no access key for the
    /// account: add its contact card first ([`crate::Client::add_contact`]).
    #[error("no contact card for {0:?}: this relay takes sealed sends only")]
    NoAccessKey(AccountId),
    /// A contact card did not decode (`ACCOUNT_HEX.PROFILE_KEY_HEX`).
    #[error("not a contact card")]
    BadContactCard,
    /// A blocking task panicked or was cancelled, or a lock was poisoned by a panic.
    #[error("a background task failed")]
    Task,
}
