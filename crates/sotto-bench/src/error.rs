//! The one error type of the benchmark harness.

/// A benchmark routine, a setup step or the report failed.
///
/// Every routine checks what it measures (a decrypted message must come back with the right
/// length, a skipped-key count must be what the scenario implies), so a broken build of Sotto
/// cannot produce a fast but meaningless number.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An X25519 exchange in a floor routine was refused.
    #[error("X25519: {0}")]
    Dh(#[from] sotto_crypto::x25519::DhError),
    /// A floor AEAD open failed authentication.
    #[error("AEAD: {0}")]
    Aead(#[from] sotto_crypto::aead::AeadError),
    /// Creating a Sotto session failed.
    #[error("Sotto session: {0}")]
    SottoSession(#[from] sotto_ratchet::SessionError),
    /// Sotto refused to encrypt.
    #[error("Sotto encrypt: {0}")]
    SottoEncrypt(#[from] sotto_ratchet::EncryptError),
    /// Sotto refused to decrypt.
    #[error("Sotto decrypt: {0}")]
    SottoDecrypt(#[from] sotto_ratchet::DecryptError),
    /// A Sotto message did not decode from its own bytes.
    #[error("Sotto decode: {0}")]
    SottoDecode(#[from] sotto_ratchet::DecodeError),
    /// A Sotto pickle did not restore.
    #[error("Sotto pickle: {0}")]
    SottoPickle(#[from] sotto_ratchet::PickleError),
    /// A floor Ed25519 key did not decode or a signature did not verify.
    #[error("Ed25519: {0}")]
    Signature(#[from] sotto_crypto::ed25519::SignatureError),
    /// A floor ML-KEM encapsulation key did not decode.
    #[error("ML-KEM: {0}")]
    Kem(#[from] sotto_crypto::kem::KemError),
    /// A prekey bundle or initial message did not decode from its own bytes.
    #[error("handshake decode: {0}")]
    HandshakeDecode(#[from] sotto_handshake::DecodeError),
    /// A device list did not decode or verify.
    #[error("device list: {0}")]
    DeviceList(#[from] sotto_devices::DeviceListError),
    /// A prekey bundle did not verify.
    #[error("bundle: {0}")]
    Bundle(#[from] sotto_handshake::BundleError),
    /// A multi-device session call failed.
    #[error("sotto sessions: {0}")]
    Sessions(#[from] sotto_devices::sessions::SessionsError),
    /// A fan-out could not be built.
    #[error("fan-out: {0}")]
    FanOut(#[from] sotto_devices::FanOutError),
    /// Sotto's session setup failed on either side.
    #[error("handshake: {0}")]
    Handshake(#[from] sotto_handshake::HandshakeError),
    /// A session setup ran in the other mode than the one measured (X3DH instead of PQXDH or
    /// the reverse), or a bundle lacked the prekeys its scenario needs.
    #[error("session setup scenario: {0}")]
    SetupScenario(&'static str),
    /// Creating a vodozemac (Olm) session failed.
    #[error("vodozemac session: {0}")]
    OlmSession(#[from] vodozemac::olm::SessionCreationError),
    /// A vodozemac pre-key message did not decode from its own bytes.
    #[error("vodozemac decode: {0}")]
    OlmDecode(#[from] vodozemac::DecodeError),
    /// vodozemac refused to encrypt.
    #[error("vodozemac encrypt: {0}")]
    OlmEncrypt(#[from] vodozemac::olm::EncryptionError),
    /// vodozemac refused to decrypt.
    #[error("vodozemac decrypt: {0}")]
    OlmDecrypt(#[from] vodozemac::olm::DecryptionError),
    /// A vodozemac pickle was not valid base64.
    #[error("vodozemac pickle base64: {0}")]
    OlmBase64(#[from] vodozemac::Base64DecodeError),
    /// The first Olm message of a session was not a pre-key message, or a later one was.
    #[error("unexpected Olm message type")]
    OlmMessageType,
    /// The peer's account published no one-time key.
    #[error("the vodozemac account has no one-time key")]
    OlmNoOneTimeKey,
    /// A decrypted plaintext differs from the one that was encrypted.
    #[error("decrypted plaintext of {got} bytes, expected {expected}")]
    Mismatch {
        /// Bytes encrypted.
        expected: usize,
        /// Bytes decrypted.
        got: usize,
    },
    /// A size scenario did not leave the state it is meant to measure.
    #[error("{what}: expected {expected}, got {got}")]
    Scenario {
        /// What was checked.
        what: &'static str,
        /// The value the scenario implies.
        expected: usize,
        /// The value found.
        got: usize,
    },
    /// A forged message was accepted.
    #[error("a forged message was accepted")]
    ForgeryAccepted,
    /// Refusing a forged message changed the session.
    #[error("refusing a forged message changed the session")]
    ForgeryChangedState,
    /// A row's floor formula names no primitive of the table, or cannot be read.
    #[error("floor formula term `{0}` names no primitive")]
    Formula(String),
    /// A batched routine ran more often than its `prepare` call provided inputs for.
    #[error("routine ran past the inputs prepared for its batch")]
    NotPrepared,
    /// Sealing a sealed-sender envelope failed.
    #[error("seal: {0}")]
    Seal(#[from] sotto_sealed::envelope::SealError),
    /// Opening a sealed-sender envelope failed (one opaque error).
    #[error("open: {0}")]
    Open(#[from] sotto_sealed::envelope::OpenError),
    /// The relay refused a multi-recipient message.
    #[error("split: {0}")]
    Split(#[from] sotto_sealed::multi::SplitError),
    /// A certificate could not be issued or added.
    #[error("certificate: {0}")]
    Certificate(#[from] sotto_sealed::certificate::CertificateError),
    /// The thread CPU-time clock could not be read.
    #[error("thread CPU clock: {0}")]
    CpuClock(std::io::Error),
    /// Writing the report failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A client-store backend failed (the store rows).
    #[error("client store: {0}")]
    Store(#[from] sotto_devices::store::StoreError),
    /// Serializing the report failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
