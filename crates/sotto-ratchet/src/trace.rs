//! Intermediate values of one ratchet step, recorded for test vectors.

use crate::Header;
use crate::chain_key::ChainKey;
use crate::header_key::{HEADER_SALT_LEN, HeaderKey};
use crate::message_key::MessageKey;
use crate::root_key::RootKey;

/// Every intermediate value of one `encrypt` or `decrypt`, for test vectors. It holds secrets
/// in the clear and does not wipe them: use it for vectors and tests only.
#[derive(Clone, Default)]
#[cfg_attr(not(feature = "hazmat-trace"), allow(dead_code, unreachable_pub))]
pub struct StepTrace {
    /// Sender only: the sender's ratchet private key (DHs).
    pub ratchet_private_key: Option<[u8; 32]>,
    /// The root key at the time of the step (after any DH ratchet step it performed).
    pub root_key: Option<[u8; 32]>,
    /// The chain key the message key was derived from.
    pub chain_key: Option<[u8; 32]>,
    /// The message key.
    pub message_key: [u8; 32],
    /// The AEAD key derived from the message key.
    pub aead_key: [u8; 32],
    /// The AEAD nonce derived from the message key.
    pub nonce: [u8; 12],
    /// The full associated data of the body's AEAD.
    pub associated_data: Vec<u8>,
    /// The header in the clear.
    pub header: Option<Header>,
    /// Header encryption: the chain's header key.
    pub header_key: Option<[u8; 32]>,
    /// Header encryption: the header salt.
    pub header_salt: Option<[u8; HEADER_SALT_LEN]>,
    /// Header encryption: the header AEAD key.
    pub header_aead_key: Option<[u8; 32]>,
    /// Header encryption: the header AEAD nonce.
    pub header_nonce: Option<[u8; 12]>,
    /// Header encryption: the header AEAD's associated data.
    pub header_associated_data: Option<Vec<u8>>,
}

impl StepTrace {
    pub(crate) fn record(
        &mut self,
        root_key: &RootKey,
        chain_key: &ChainKey,
        message_key: &MessageKey,
        associated_data: Vec<u8>,
        header: Header,
    ) {
        self.root_key = Some(*root_key.expose());
        self.chain_key = Some(*chain_key.expose());
        self.record_key(message_key, associated_data, header);
    }

    pub(crate) fn record_key(
        &mut self,
        message_key: &MessageKey,
        associated_data: Vec<u8>,
        header: Header,
    ) {
        let (key, nonce) = message_key.aead_key_and_nonce();
        self.message_key = *message_key.expose();
        self.aead_key = *key.expose();
        self.nonce = nonce;
        self.associated_data = associated_data;
        self.header = Some(header);
    }

    pub(crate) fn record_header(
        &mut self,
        header_key: &HeaderKey,
        salt: [u8; HEADER_SALT_LEN],
        associated_data: Vec<u8>,
    ) {
        let (key, nonce) = header_key.aead_key_and_nonce(&salt);
        self.header_key = Some(*header_key.expose());
        self.header_salt = Some(salt);
        self.header_aead_key = Some(*key.expose());
        self.header_nonce = Some(nonce);
        self.header_associated_data = Some(associated_data);
    }
}
