//! The Double Ratchet session.
//!
//! This is the state machine of the Signal Double Ratchet specification (revision 1),
//! sections 3 (standard) and 4 (header encryption), with these choices pinned by Sotto:
//!
//! 1. The session starts from a 32-byte secret (the handshake's output). Standard kind: it
//!    is the initial root key. Header-encryption kind: HKDF-SHA256(no salt, ikm = secret,
//!    info = RATCHET_HE_INIT) gives 96 bytes: root key, the initiator's first sending header
//!    key (`shared_hka`), the responder's first sending header key (`shared_nhkb`).
//! 2. The responder's first ratchet key pair is its signed prekey; the initiator generates a
//!    fresh one when the session is created and performs the first DH ratchet step at once.
//! 3. A party generates its next ratchet key pair lazily (specification section 6.5): at the
//!    first `encrypt` after a successful `decrypt` moved it to a new peer ratchet key. The
//!    receiving half of a DH ratchet step happens in `decrypt`, the sending half in `encrypt`.
//! 4. `decrypt` is transactional: it computes everything into locals and commits only after
//!    the AEAD tag verified (RAT-10). A message that fails leaves the session as it was.
//!
//! Validation IDs (RAT-xx) refer to `docs/protocol.md`.

use core::fmt;

use sotto_crypto::aead::TAG_LEN;
use sotto_crypto::x25519::{DhError, KeyPair, PublicKey, SharedSecret};
use sotto_crypto::{CryptoRng, SecretBytes};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::chain_key::ChainKey;
use crate::header::Header;
use crate::header_key::{HEADER_SALT_LEN, HeaderKey};
use crate::message::{MAX_PLAINTEXT_LEN, VERSION_HEADER_ENCRYPTED, VERSION_STANDARD};
use crate::message_key::size_buffer;
use crate::root_key::{RootKey, secret32};
use crate::skipped_keys::{SkippedKey, SkippedKeys};
use crate::trace::StepTrace;
use crate::{DecryptError, EncryptError, Message, SessionConfig, SessionError, SessionKind};

/// The 32-byte secret a session starts from: the output of session setup (X3DH/PQXDH).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionSecret(SecretBytes<32>);

impl SessionSecret {
    /// Wraps the secret bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(SecretBytes::new(bytes))
    }

    /// Wraps secret bytes that are already protected.
    pub const fn from_secret(bytes: SecretBytes<32>) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(..)")
    }
}

/// A sending or receiving chain: chain key, next message number and (header encryption
/// only) the chain's header key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Chain {
    pub(crate) chain_key: ChainKey,
    pub(crate) n: u32,
    pub(crate) header_key: Option<HeaderKey>,
}

/// NHKs and NHKr of the header-encryption variant.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct NextHeaderKeys {
    pub(crate) sending: HeaderKey,
    pub(crate) receiving: HeaderKey,
}

/// A Double Ratchet session with one peer device.
///
/// ```
/// use sotto_crypto::x25519::KeyPair;
/// use sotto_ratchet::{Session, SessionConfig, SessionSecret};
///
/// let mut rng = rand::rng();
/// let secret = [7u8; 32]; // from the handshake in real use
/// let bob_prekey = KeyPair::generate(&mut rng);
/// let mut alice = Session::initiator(
///     SessionSecret::new(secret),
///     b"alice-id bob-id",
///     bob_prekey.public_key(),
///     SessionConfig::default(),
///     &mut rng,
/// )?;
/// let mut bob = Session::responder(
///     SessionSecret::new(secret),
///     b"alice-id bob-id",
///     bob_prekey,
///     SessionConfig::default(),
/// )?;
/// let wire = alice.encrypt(b"hello", &mut rng)?;
/// assert_eq!(bob.decrypt(&wire)?, b"hello");
/// let reply = bob.encrypt(b"hi", &mut rng)?;
/// assert_eq!(alice.decrypt(&reply)?, b"hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A session is deliberately not `Clone`: a copy would encrypt a second plaintext under the
/// same message key and nonce, and accept a message the original already accepted. Persist
/// and restore it with [`Session::pickle`] and [`Session::from_pickle`] instead.
///
/// ```compile_fail,E0599
/// fn copy(session: &sotto_ratchet::Session) -> sotto_ratchet::Session {
///     session.clone()
/// }
/// ```
pub struct Session {
    pub(crate) config: SessionConfig,
    /// u16be(len(AD)) || AD: the prefix of every AEAD associated data.
    pub(crate) ad_prefix: Vec<u8>,
    pub(crate) root_key: RootKey,
    /// DHs, with its public key cached.
    pub(crate) our_ratchet: KeyPair,
    /// PN.
    pub(crate) previous_chain_length: u32,
    /// CKs, Ns, HKs; `None` until the next DH ratchet step on the sending side.
    pub(crate) sending: Option<Chain>,
    /// DHr.
    pub(crate) peer_ratchet_key: Option<PublicKey>,
    /// CKr, Nr, HKr.
    pub(crate) receiving: Option<Chain>,
    /// NHKs, NHKr (header encryption only).
    pub(crate) next_header_keys: Option<NextHeaderKeys>,
    pub(crate) skipped: SkippedKeys,
}

/// Where an incoming message's key comes from.
enum Source {
    Skipped(usize),
    Current,
    New,
}

/// Builds `u16be(len(AD)) || AD` (RAT-13).
fn ad_prefix(associated_data: &[u8]) -> Result<Vec<u8>, SessionError> {
    let len =
        u16::try_from(associated_data.len()).map_err(|_| SessionError::AssociatedDataTooLong {
            len: associated_data.len(),
        })?;
    let mut out = Vec::with_capacity(2 + associated_data.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(associated_data);
    Ok(out)
}

/// The initial root key and, for header encryption, (shared_hka, shared_nhkb).
fn initial_keys(
    secret: &SessionSecret,
    config: &SessionConfig,
) -> (RootKey, Option<(HeaderKey, HeaderKey)>) {
    if config.is_header_encrypted() {
        let okm = sotto_crypto::kdf::hkdf_sha256::<96>(
            None,
            secret.0.expose(),
            sotto_crypto::labels::RATCHET_HE_INIT,
        );
        let bytes = okm.expose();
        (
            RootKey::new(secret32(&bytes[..32])),
            Some((
                HeaderKey::new(secret32(&bytes[32..64])),
                HeaderKey::new(secret32(&bytes[64..])),
            )),
        )
    } else {
        (RootKey::new(SecretBytes::new(*secret.0.expose())), None)
    }
}

/// The sending half of a DH ratchet step: KDF_RK(RK, dh) and, for header encryption, the
/// new chain's header key (the old NHKs) and the new NHKs.
fn sending_step(
    root_key: &RootKey,
    next_header_keys: Option<&NextHeaderKeys>,
    dh: &SharedSecret,
) -> (RootKey, Chain, Option<HeaderKey>) {
    match next_header_keys {
        Some(next) => {
            let (rk, ck, nhk) = root_key.advance_he(dh);
            (
                rk,
                Chain {
                    chain_key: ck,
                    n: 0,
                    header_key: Some(next.sending.clone()),
                },
                Some(nhk),
            )
        }
        None => {
            let (rk, ck) = root_key.advance(dh);
            (
                rk,
                Chain {
                    chain_key: ck,
                    n: 0,
                    header_key: None,
                },
                None,
            )
        }
    }
}

/// The temporary list of the keys one message skips, with room for exactly `skip` of them
/// (already checked against MAX_SKIP): it never reallocates, so no unwiped copy of a key is
/// freed, and `Zeroizing` wipes its whole buffer on success and error alike.
fn skipped_buffer(skip: u64) -> Zeroizing<Vec<SkippedKey>> {
    Zeroizing::new(Vec::with_capacity(usize::try_from(skip).unwrap_or(0)))
}

/// Steps `chain_key` from message `from` to message `until`, collecting the keys passed
/// over; returns the chain key for message `until`.
fn skip_keys(
    chain_key: &ChainKey,
    from: u32,
    until: u32,
    ratchet_key: &PublicKey,
    header_key: Option<&HeaderKey>,
    out: &mut Vec<SkippedKey>,
) -> ChainKey {
    let mut ck = chain_key.clone();
    for n in from..until {
        let (message_key, next) = ck.step();
        out.push(SkippedKey {
            ratchet_key: *ratchet_key,
            n,
            header_key: header_key.cloned(),
            message_key,
        });
        ck = next;
    }
    ck
}

/// Takes the message key of chain key `ck`, opens the body into `out` and records the trace;
/// returns the chain key that follows. Changes nothing in the session.
fn open_body(
    ck: &ChainKey,
    root_key: &RootKey,
    ad: Vec<u8>,
    message: &Message,
    header: Header,
    out: &mut Vec<u8>,
    trace: Option<&mut StepTrace>,
) -> Result<ChainKey, DecryptError> {
    let (message_key, next_chain_key) = ck.step();
    message_key
        .open_into(&ad, message.body(), out)
        .map_err(|_| DecryptError::Authentication)?;
    if let Some(trace) = trace {
        trace.record(root_key, ck, &message_key, ad, header);
    }
    Ok(next_chain_key)
}

impl Session {
    /// Creates the initiator's session (Alice): generates its first ratchet key pair from
    /// `rng` and performs the first sending DH ratchet step against `their_ratchet_key`
    /// (the responder's signed prekey).
    pub fn initiator<R: CryptoRng + ?Sized>(
        secret: SessionSecret,
        associated_data: &[u8],
        their_ratchet_key: &PublicKey,
        config: SessionConfig,
        rng: &mut R,
    ) -> Result<Self, SessionError> {
        let ad_prefix = ad_prefix(associated_data)?;
        let (root, header_keys) = initial_keys(&secret, &config);
        let our_ratchet = KeyPair::generate(rng);
        let mut session = Self {
            config,
            ad_prefix,
            root_key: root,
            our_ratchet: our_ratchet.clone(),
            previous_chain_length: 0,
            sending: None,
            peer_ratchet_key: Some(*their_ratchet_key),
            receiving: None,
            next_header_keys: header_keys.map(|(hka, nhkb)| NextHeaderKeys {
                sending: hka,
                receiving: nhkb,
            }),
            skipped: SkippedKeys::default(),
        };
        session
            .start_sending_chain(our_ratchet, their_ratchet_key)
            .map_err(|_| SessionError::NonContributory)?;
        Ok(session)
    }

    /// Creates the responder's session (Bob), whose first ratchet key pair is the signed
    /// prekey the initiator used. It can send once it has decrypted a message (RAT-14).
    pub fn responder(
        secret: SessionSecret,
        associated_data: &[u8],
        our_ratchet_key: KeyPair,
        config: SessionConfig,
    ) -> Result<Self, SessionError> {
        let ad_prefix = ad_prefix(associated_data)?;
        let (root_key, header_keys) = initial_keys(&secret, &config);
        Ok(Self {
            config,
            ad_prefix,
            root_key,
            our_ratchet: our_ratchet_key,
            previous_chain_length: 0,
            sending: None,
            peer_ratchet_key: None,
            receiving: None,
            next_header_keys: header_keys.map(|(hka, nhkb)| NextHeaderKeys {
                sending: nhkb,
                receiving: hka,
            }),
            skipped: SkippedKeys::default(),
        })
    }

    /// The session's configuration.
    pub const fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Our current ratchet public key.
    pub const fn ratchet_key(&self) -> &PublicKey {
        self.our_ratchet.public_key()
    }

    /// How many skipped message keys are stored.
    pub fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }

    /// Encrypts `plaintext`. `rng` is drawn from only for a new ratchet key pair (32 bytes,
    /// at the first send after receiving a new peer ratchet key) and, in header-encryption
    /// sessions, for each header's 16-byte salt, in that order.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Message, EncryptError> {
        self.encrypt_traced(plaintext, rng, Vec::new(), None)
    }

    /// [`Session::encrypt`], building the message in `buffer` (for example the bytes of a
    /// message already sent, from [`Message::into_bytes`]) so that its allocation is reused:
    /// for large messages this saves an allocation and the page faults of fresh memory. The
    /// buffer's contents are ignored; on error it is dropped.
    pub fn encrypt_with_buffer<R: CryptoRng + ?Sized>(
        &mut self,
        plaintext: &[u8],
        rng: &mut R,
        buffer: Vec<u8>,
    ) -> Result<Message, EncryptError> {
        self.encrypt_traced(plaintext, rng, buffer, None)
    }

    pub(crate) fn encrypt_traced<R: CryptoRng + ?Sized>(
        &mut self,
        plaintext: &[u8],
        rng: &mut R,
        buffer: Vec<u8>,
        trace: Option<&mut StepTrace>,
    ) -> Result<Message, EncryptError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(EncryptError::PlaintextTooLong {
                len: plaintext.len(),
            });
        }
        match &self.sending {
            Some(chain) if chain.n == u32::MAX => return Err(EncryptError::CounterLimit),
            Some(_) => {}
            None => self.ratchet_sending_chain(rng)?,
        }
        let salt = self.config.is_header_encrypted().then(|| {
            let mut salt = [0u8; HEADER_SALT_LEN];
            rng.fill_bytes(&mut salt);
            salt
        });
        let Some(chain) = self.sending.as_mut() else {
            return Err(EncryptError::NoPeerRatchetKey);
        };
        let (message_key, next_chain_key) = chain.chain_key.step();
        let header = Header {
            ratchet_key: *self.our_ratchet.public_key(),
            previous_chain_length: self.previous_chain_length,
            message_number: chain.n,
        };
        // One zeroed allocation for the whole message (calloc: no separate pass for large
        // messages), the prefix written into it, then the body in one pass from the plaintext.
        let overhead = match salt {
            Some(_) => crate::HEADER_ENCRYPTED_OVERHEAD,
            None => crate::STANDARD_OVERHEAD,
        };
        let mut bytes = buffer;
        size_buffer(&mut bytes, overhead + plaintext.len());
        let prefix_len = overhead - TAG_LEN;
        let mut header_ad = None;
        match (&chain.header_key, salt) {
            (Some(header_key), Some(salt)) => {
                let mut ad = Vec::with_capacity(self.ad_prefix.len() + 1 + HEADER_SALT_LEN);
                ad.extend_from_slice(&self.ad_prefix);
                ad.push(VERSION_HEADER_ENCRYPTED);
                ad.extend_from_slice(&salt);
                bytes[0] = VERSION_HEADER_ENCRYPTED;
                bytes[1..1 + HEADER_SALT_LEN].copy_from_slice(&salt);
                bytes[1 + HEADER_SALT_LEN..prefix_len]
                    .copy_from_slice(&header_key.seal(&salt, &ad, &header));
                header_ad = Some(ad);
            }
            _ => {
                bytes[0] = VERSION_STANDARD;
                bytes[1..prefix_len].copy_from_slice(&header.to_bytes());
            }
        }
        let mut ad = Vec::with_capacity(self.ad_prefix.len() + prefix_len);
        ad.extend_from_slice(&self.ad_prefix);
        ad.extend_from_slice(&bytes[..prefix_len]);
        let (body, tag_out) = bytes[prefix_len..].split_at_mut(plaintext.len());
        // The lengths match by construction, so sealing cannot fail; if it did, nothing has
        // changed yet.
        let tag = message_key.seal_to(&ad, plaintext, body).map_err(|_| {
            EncryptError::PlaintextTooLong {
                len: plaintext.len(),
            }
        })?;
        tag_out.copy_from_slice(&tag);

        if let Some(trace) = trace {
            trace.record(&self.root_key, &chain.chain_key, &message_key, ad, header);
            trace.ratchet_private_key = Some(*self.our_ratchet.secret_key().expose());
            if let (Some(hk), Some(salt), Some(had)) = (&chain.header_key, salt, header_ad) {
                trace.record_header(hk, salt, had);
            }
        }
        chain.chain_key = next_chain_key;
        chain.n += 1;
        let kind = self.config.kind();
        Ok(Message::from_parts(bytes, kind))
    }

    /// The sending half of a DH ratchet step with a fresh key pair. Changes nothing on error.
    fn ratchet_sending_chain<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<(), EncryptError> {
        let peer = self
            .peer_ratchet_key
            .ok_or(EncryptError::NoPeerRatchetKey)?;
        // The peer key already passed the DH check in `decrypt` (or at creation), so this
        // cannot fail with a state this library produced; it is still reported, not assumed
        // away.
        self.start_sending_chain(KeyPair::generate(rng), &peer)
            .map_err(|_| EncryptError::NonContributory)
    }

    /// Makes `pair` our ratchet key pair and derives the sending chain from DH(pair, `peer`):
    /// KDF_RK and, for header encryption, HKs = NHKs and the new NHKs. Changes nothing on
    /// error. Shared by the initiator's first step and every later sending step.
    fn start_sending_chain(&mut self, pair: KeyPair, peer: &PublicKey) -> Result<(), DhError> {
        let dh = pair.diffie_hellman(peer)?;
        let (root_key, chain, nhks) =
            sending_step(&self.root_key, self.next_header_keys.as_ref(), &dh);
        self.root_key = root_key;
        self.our_ratchet = pair;
        self.sending = Some(chain);
        if let (Some(next), Some(nhks)) = (self.next_header_keys.as_mut(), nhks) {
            next.sending = nhks;
        }
        Ok(())
    }

    /// Decrypts `message`. On any error the session is exactly as it was (RAT-10).
    pub fn decrypt(&mut self, message: &Message) -> Result<Vec<u8>, DecryptError> {
        let mut plaintext = Vec::new();
        self.decrypt_traced(message, &mut plaintext, None)?;
        Ok(plaintext)
    }

    /// [`Session::decrypt`] into a caller-supplied buffer, whose allocation is reused when it
    /// is large enough: for large messages this saves an allocation and the page faults of
    /// fresh memory per message. On error the session is unchanged and `plaintext` is empty.
    pub fn decrypt_into(
        &mut self,
        message: &Message,
        plaintext: &mut Vec<u8>,
    ) -> Result<(), DecryptError> {
        let result = self.decrypt_traced(message, plaintext, None);
        if result.is_err() {
            plaintext.clear();
        }
        result
    }

    pub(crate) fn decrypt_traced(
        &mut self,
        message: &Message,
        out: &mut Vec<u8>,
        trace: Option<&mut StepTrace>,
    ) -> Result<(), DecryptError> {
        if message.kind() != self.config.kind() {
            return Err(DecryptError::WrongKind {
                expected: self.config.kind(),
                got: message.kind(),
            });
        }
        let (header, source, new_header_key) = match message.kind() {
            SessionKind::Standard => {
                let header = message.header().ok_or(DecryptError::Authentication)?;
                (header, self.locate(&header)?, None)
            }
            SessionKind::HeaderEncrypted => self.open_header(message)?,
        };
        let n = header.message_number;
        if n == u32::MAX {
            return Err(DecryptError::CounterLimit);
        }
        let mut ad = Vec::with_capacity(self.ad_prefix.len() + message.prefix().len());
        ad.extend_from_slice(&self.ad_prefix);
        ad.extend_from_slice(message.prefix());

        match source {
            Source::Skipped(index) => {
                let entry = self.skipped.get(index).ok_or(DecryptError::Duplicate)?;
                entry
                    .message_key
                    .open_into(&ad, message.body(), out)
                    .map_err(|_| DecryptError::Authentication)?;
                if let Some(trace) = trace {
                    trace.record_key(&entry.message_key, ad, header);
                }
                self.skipped.remove(index);
                Ok(())
            }
            Source::Current => {
                let Some(chain) = self.receiving.as_ref() else {
                    return Err(DecryptError::Authentication);
                };
                if n < chain.n {
                    return Err(DecryptError::Duplicate);
                }
                self.check_skip(u64::from(n - chain.n))?;
                // Exact capacity (bounded by MAX_SKIP): the temporary never reallocates, and
                // `Zeroizing` wipes its whole buffer on every path.
                let mut passed = skipped_buffer(u64::from(n - chain.n));
                let ck = skip_keys(
                    &chain.chain_key,
                    chain.n,
                    n,
                    &header.ratchet_key,
                    chain.header_key.as_ref(),
                    &mut passed,
                );
                let next_chain_key =
                    open_body(&ck, &self.root_key, ad, message, header, out, trace)?;
                self.skipped
                    .extend(&mut passed, self.config.max_stored_skipped());
                if let Some(chain) = self.receiving.as_mut() {
                    chain.chain_key = next_chain_key;
                    chain.n = n + 1;
                }
                Ok(())
            }
            Source::New => {
                let pn = header.previous_chain_length;
                let old_skip = match (&self.receiving, &self.peer_ratchet_key) {
                    (Some(chain), Some(_)) => u64::from(pn.saturating_sub(chain.n)),
                    _ => 0,
                };
                self.check_skip(old_skip + u64::from(n))?;
                let dh = self
                    .our_ratchet
                    .diffie_hellman(&header.ratchet_key)
                    .map_err(|_| DecryptError::NonContributory)?;
                let (root_key, chain_key, next_receiving_hk) = match &self.next_header_keys {
                    Some(_) => {
                        let (rk, ck, nhk) = self.root_key.advance_he(&dh);
                        (rk, ck, Some(nhk))
                    }
                    None => {
                        let (rk, ck) = self.root_key.advance(&dh);
                        (rk, ck, None)
                    }
                };
                let mut passed = skipped_buffer(old_skip + u64::from(n));
                if let (Some(chain), Some(old_key)) = (&self.receiving, &self.peer_ratchet_key)
                    && pn > chain.n
                {
                    drop(skip_keys(
                        &chain.chain_key,
                        chain.n,
                        pn,
                        old_key,
                        chain.header_key.as_ref(),
                        &mut passed,
                    ));
                }
                let ck = skip_keys(
                    &chain_key,
                    0,
                    n,
                    &header.ratchet_key,
                    new_header_key.as_ref(),
                    &mut passed,
                );
                let next_chain_key = open_body(&ck, &root_key, ad, message, header, out, trace)?;
                // Commit.
                self.skipped
                    .extend(&mut passed, self.config.max_stored_skipped());
                self.root_key = root_key;
                if let Some(sending) = self.sending.take() {
                    self.previous_chain_length = sending.n;
                }
                self.peer_ratchet_key = Some(header.ratchet_key);
                self.receiving = Some(Chain {
                    chain_key: next_chain_key,
                    n: n + 1,
                    header_key: new_header_key,
                });
                if let (Some(next), Some(nhk)) = (self.next_header_keys.as_mut(), next_receiving_hk)
                {
                    next.receiving = nhk;
                }
                Ok(())
            }
        }
    }

    fn check_skip(&self, skip: u64) -> Result<(), DecryptError> {
        let limit = self.config.max_skip();
        if skip > u64::from(limit) {
            return Err(DecryptError::TooManySkipped { skip, limit });
        }
        Ok(())
    }

    /// Standard kind: finds the key source from the clear header.
    fn locate(&self, header: &Header) -> Result<Source, DecryptError> {
        let n = header.message_number;
        let current = self
            .receiving
            .as_ref()
            .filter(|_| self.peer_ratchet_key == Some(header.ratchet_key));
        if let Some(chain) = current {
            if n >= chain.n {
                return Ok(Source::Current);
            }
            // RAT-07: an older number of the current chain is valid only while its skipped
            // key is stored.
            return self
                .skipped
                .position(&header.ratchet_key, n)
                .map(Source::Skipped)
                .ok_or(DecryptError::Duplicate);
        }
        Ok(self
            .skipped
            .position(&header.ratchet_key, n)
            .map_or(Source::New, Source::Skipped))
    }

    /// Header-encryption kind: trial-decrypts the header with HKr, the skipped chains'
    /// header keys, then NHKr. Returns the header, the key source and, for a new chain, the
    /// header key that opened it (the new HKr).
    fn open_header(
        &self,
        message: &Message,
    ) -> Result<(Header, Source, Option<HeaderKey>), DecryptError> {
        let (salt, encrypted) = message
            .encrypted_header()
            .ok_or(DecryptError::Authentication)?;
        let mut ad = Vec::with_capacity(self.ad_prefix.len() + 1 + HEADER_SALT_LEN);
        ad.extend_from_slice(&self.ad_prefix);
        ad.push(VERSION_HEADER_ENCRYPTED);
        ad.extend_from_slice(salt);

        let mut trials = 0;
        if let Some(chain) = &self.receiving
            && let Some(hk) = &chain.header_key
        {
            trials += 1;
            if let Some(header) = hk.open(salt, &ad, encrypted) {
                // The header key names the chain; its ratchet key must be the chain's (RAT-08).
                if self.peer_ratchet_key != Some(header.ratchet_key) {
                    return Err(DecryptError::Authentication);
                }
                let n = header.message_number;
                if n >= chain.n {
                    return Ok((header, Source::Current, None));
                }
                let index = self
                    .skipped
                    .position(&header.ratchet_key, n)
                    .ok_or(DecryptError::Duplicate)?;
                return Ok((header, Source::Skipped(index), None));
            }
        }
        for hk in self.skipped.header_keys() {
            trials += 1;
            if let Some(header) = hk.open(salt, &ad, encrypted) {
                let index = self
                    .skipped
                    .position(&header.ratchet_key, header.message_number)
                    .ok_or(DecryptError::Duplicate)?;
                return Ok((header, Source::Skipped(index), None));
            }
        }
        if let Some(next) = &self.next_header_keys
            && let Some(header) = next.receiving.open(salt, &ad, encrypted)
        {
            return Ok((header, Source::New, Some(next.receiving.clone())));
        }
        // A refused header costs the same whatever the session's history (protocol.md 3.8):
        // as many trials as the most a session can hold, the extra ones with NHKr again.
        trials += 1;
        if let Some(next) = &self.next_header_keys {
            for _ in trials..MAX_HEADER_TRIALS {
                core::hint::black_box(next.receiving.open(salt, &ad, encrypted));
            }
        }
        Err(DecryptError::Authentication)
    }
}

/// Header trial decryptions of a refused header-encrypted message: `HKr`, the header keys
/// of at most [`SessionConfig::MAX_SKIPPED_CHAINS`] stored chains, `NHKr`.
const MAX_HEADER_TRIALS: usize = SessionConfig::MAX_SKIPPED_CHAINS + 2;

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("kind", &self.config.kind())
            .field("ratchet_key", self.our_ratchet.public_key())
            .field("peer_ratchet_key", &self.peer_ratchet_key)
            .field("sending_n", &self.sending.as_ref().map(|c| c.n))
            .field("receiving_n", &self.receiving.as_ref().map(|c| c.n))
            .field("previous_chain_length", &self.previous_chain_length)
            .field("skipped_keys", &self.skipped.len())
            .finish_non_exhaustive()
    }
}
