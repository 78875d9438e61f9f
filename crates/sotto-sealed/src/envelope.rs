//! The sealed envelope (protocol.md 9.3): two layers, after Signal's sealed sender v1, and
//! the form each recipient of a multi-recipient message receives (9.4).
//!
//! ```text
//! envelope = 0x1f || 0x01 || E_pub[32] || layer1_ct[80] || layer2_ct
//!
//! e1        = DH(E, R_x)                      R_x: the recipient identity's X25519 key
//! okm1[76]  = HKDF(salt = E_pub || recipient_identity[64], ikm = e1,
//!                  info = SEALED_ENVELOPE_EPHEMERAL)
//! chain, key1, nonce1 = okm1[0..32], okm1[32..64], okm1[64..76]
//! layer1_ct = AEAD(key1, nonce1, ad = envelope[0..34], sender_identity[64])
//!
//! s         = DH(S_x, R_x)                    S_x: the sender identity's X25519 key
//! okm2[44]  = HKDF(salt = chain || layer1_ct, ikm = s, info = SEALED_ENVELOPE_STATIC)
//! key2, nonce2 = okm2[0..32], okm2[32..44]
//! inner     = u8(content_type) || compact_certificate[98] || pad(message)
//! layer2_ct = AEAD(key2, nonce2, ad = envelope[0..114], inner)
//! ```
//!
//! The certificate travels without its device identity (layer 1 carries it): the recipient
//! puts layer 1's identity back before verifying the signature, so a certificate is accepted
//! only for the identity that authenticated layer 2.
//!
//! [`open`] runs its checks in this order; the first failing one decides the reason, and
//! every reason reaches the caller as the one opaque [`OpenError`]:
//!
//! 1. SEAL-ENV-01: the first byte is `0x1f` (an empty input counts as `0x00`);
//! 2. SEAL-ENV-02: the second byte is `0x01` (single) or `0x02` (multi-recipient, 9.4; a
//!    missing byte counts as `0x00`);
//! 3. SEAL-ENV-03: the length is within the subtype's bounds ([`MIN_LEN`] ..= [`MAX_LEN`]
//!    or [`MULTI_MIN_LEN`] ..= [`MULTI_MAX_LEN`]);
//! 4. SEAL-ENV-04: `E_pub` is canonical (HS-03's rule) and `e1` is not all zero (and, after
//!    step 6, neither is `s`);
//! 5. SEAL-ENV-05: layer 1 authenticates;
//! 6. SEAL-ENV-06: the sender identity decodes (HS-03's rules);
//! 7. SEAL-ENV-07: layer 2 authenticates (for subtype `0x02`: the key wrap);
//! 8. SEAL-ENV-08: subtype `0x02` only: the shared content authenticates under the
//!    unwrapped key;
//! 9. SEAL-ENV-09: the sender certificate, rebuilt with layer 1's identity, decodes and
//!    verifies at `now` (its SEAL-CERT reason);
//! 10. SEAL-ENV-10: the message unpads strictly (its SEAL-PAD reason).

use core::fmt;

use sotto_crypto::labels::{SEALED_ENVELOPE_EPHEMERAL, SEALED_ENVELOPE_STATIC};
use sotto_crypto::x25519::{EphemeralSecret, PublicKey};
use sotto_crypto::{CryptoRng, SecretBytes, aead, hash, kdf, wire};
use sotto_handshake::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentity, DeviceIdentityKey};
use zeroize::Zeroizing;

use crate::cache::{Memo, StaticCache};
use crate::certificate::{
    COMPACT_SENDER_CERTIFICATE_LEN, CertificateError, CertificateStore, SenderCertificate,
    VerifiedSender,
};
use crate::padding::{self, MAX_PADDED_LEN, PaddingError};

/// The subtype byte of a single-recipient envelope (after the tag `0x1f`).
pub const SINGLE_RECIPIENT_SUBTYPE: u8 = 0x01;
/// The subtype byte of the envelope one recipient of a multi-recipient message receives
/// (protocol.md 9.4).
pub const MULTI_RECIPIENT_SUBTYPE: u8 = 0x02;
/// Tag, subtype and the ephemeral public key: the associated data of layer 1.
pub const PREFIX_LEN: usize = 2 + 32;
/// Length of layer 1's ciphertext: the sender identity and a tag.
pub const LAYER1_LEN: usize = DEVICE_IDENTITY_KEY_LEN + aead::TAG_LEN;
/// Everything before layer 2: its associated data.
pub const HEADER_LEN: usize = PREFIX_LEN + LAYER1_LEN;
/// Length of the key wrap of a multi-recipient envelope: the content key and a tag.
pub const WRAP_LEN: usize = aead::KEY_LEN + aead::TAG_LEN;
/// Content type and the compact certificate, before the padded message in `inner`.
pub const INNER_PREFIX_LEN: usize = 1 + COMPACT_SENDER_CERTIFICATE_LEN;
/// What an envelope adds to the padded message: header, content type, compact
/// certificate and layer 2's tag (229 bytes).
pub const OVERHEAD: usize = HEADER_LEN + INNER_PREFIX_LEN + aead::TAG_LEN;
/// The shortest envelope: the smallest padding bucket.
pub const MIN_LEN: usize = OVERHEAD + padding::SMALL_BUCKETS[0];
/// The longest envelope: the largest padded message.
pub const MAX_LEN: usize = OVERHEAD + MAX_PADDED_LEN;
/// What a multi-recipient envelope adds to the padded message: [`OVERHEAD`] and the wrap.
pub const MULTI_OVERHEAD: usize = OVERHEAD + WRAP_LEN;
/// The shortest multi-recipient envelope.
pub const MULTI_MIN_LEN: usize = MULTI_OVERHEAD + padding::SMALL_BUCKETS[0];
/// The longest multi-recipient envelope.
pub const MULTI_MAX_LEN: usize = MULTI_OVERHEAD + MAX_PADDED_LEN;

/// The nonce of the shared content of a multi-recipient message: its key is fresh and
/// random for each message and encrypts nothing else.
pub(crate) const CONTENT_NONCE: [u8; aead::NONCE_LEN] = [0u8; aead::NONCE_LEN];

const CHAIN_LEN: usize = 32;
const LAYER1_OKM_LEN: usize = CHAIN_LEN + aead::KEY_LEN + aead::NONCE_LEN;
const LAYER2_OKM_LEN: usize = aead::KEY_LEN + aead::NONCE_LEN;

/// Why an envelope could not be sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// SEAL-PAD-01: the message is too long to pad.
    #[error("message cannot be padded: {0}")]
    Padding(PaddingError),
    /// SEAL-ENV-04: a DH output with a recipient's identity key is all zero.
    #[error("X25519 output is all zero (non-contributory recipient key)")]
    NonContributory,
    /// The certificate does not name the sender's identity: every recipient would refuse it
    /// (SEAL-ENV-09, its signature does not cover the sender's identity).
    #[error("the sender certificate is for another identity")]
    CertificateMismatch,
    /// SEAL-MR-03: no recipient, or more than [`crate::multi::MAX_RECIPIENTS`].
    #[error("recipient count out of range")]
    RecipientCount,
    /// SEAL-MR-05: a recipient (account and device id) is named twice.
    #[error("a recipient is named twice")]
    DuplicateRecipient,
}

/// Why [`open`] refused an envelope, by validation ID: for logs only. The caller sees just
/// [`OpenError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenReason {
    /// SEAL-ENV-01: the first byte is not `0x1f`.
    WrongTag,
    /// SEAL-ENV-02: the second byte is not `0x01` or `0x02`.
    WrongSubtype,
    /// SEAL-ENV-03: the length is outside the subtype's bounds.
    Length,
    /// SEAL-ENV-04: `E_pub` is not a canonical X25519 key (HS-03's rule: below 2^255 - 19,
    /// top bit clear), so one envelope key would have two encodings.
    NonCanonicalEphemeral,
    /// SEAL-ENV-04: a DH output (ephemeral or static) is all zero.
    NonContributory,
    /// SEAL-ENV-05: layer 1 does not authenticate.
    Layer1,
    /// SEAL-ENV-06: the sender identity of layer 1 does not decode (HS-03).
    SenderIdentity,
    /// SEAL-ENV-07: layer 2 (or, for subtype `0x02`, the key wrap) does not authenticate.
    Layer2,
    /// SEAL-ENV-08: the shared content of a multi-recipient envelope does not authenticate
    /// under the unwrapped key.
    Content,
    /// SEAL-ENV-09: the sender certificate, rebuilt with layer 1's identity, is refused (its
    /// SEAL-CERT reason).
    Certificate(CertificateError),
    /// SEAL-ENV-10: the message's padding is refused (its SEAL-PAD reason).
    Padding(PaddingError),
}

impl OpenReason {
    /// The validation ID of protocol.md section 5.
    #[must_use]
    pub const fn id(&self) -> &'static str {
        match self {
            Self::WrongTag => "SEAL-ENV-01",
            Self::WrongSubtype => "SEAL-ENV-02",
            Self::Length => "SEAL-ENV-03",
            Self::NonCanonicalEphemeral | Self::NonContributory => "SEAL-ENV-04",
            Self::Layer1 => "SEAL-ENV-05",
            Self::SenderIdentity => "SEAL-ENV-06",
            Self::Layer2 => "SEAL-ENV-07",
            Self::Content => "SEAL-ENV-08",
            Self::Certificate(_) => "SEAL-ENV-09",
            Self::Padding(_) => "SEAL-ENV-10",
        }
    }
}

/// An envelope was refused. Deliberately opaque: neither `Display` nor `Debug` says why;
/// [`OpenError::reason`] does, for logs.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sealed envelope refused")]
pub struct OpenError {
    reason: OpenReason,
}

impl OpenError {
    /// Why, for logs only: never show it to the sender or act on it differently.
    #[must_use]
    pub const fn reason(&self) -> OpenReason {
        self.reason
    }
}

impl fmt::Debug for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpenError(..)")
    }
}

impl From<OpenReason> for OpenError {
    fn from(reason: OpenReason) -> Self {
        Self { reason }
    }
}

/// An opened envelope: the verified sender, the content type and the message (wiped on
/// drop). `Debug` prints the message's length only.
pub struct Opened {
    /// The sender, as its certificate says and layer 2 authenticated.
    pub sender: VerifiedSender,
    /// The sender's content type byte.
    pub content_type: u8,
    /// The unpadded message.
    pub message: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("sender", &self.sender)
            .field("content_type", &self.content_type)
            .field("message_len", &self.message.len())
            .finish_non_exhaustive()
    }
}

/// Layer 1's keys: the chain key for layer 2, the AEAD key and nonce.
pub(crate) fn layer1_keys(
    e1: &[u8; 32],
    e_pub: &PublicKey,
    recipient: &DeviceIdentityKey,
) -> SecretBytes<LAYER1_OKM_LEN> {
    let mut salt = [0u8; 32 + DEVICE_IDENTITY_KEY_LEN];
    salt[..32].copy_from_slice(e_pub.as_bytes());
    salt[32..].copy_from_slice(&recipient.to_bytes());
    kdf::hkdf_sha256(Some(&salt), e1, SEALED_ENVELOPE_EPHEMERAL)
}

/// Layer 2's AEAD key and nonce from the chain key, layer 1's ciphertext and `s`.
pub(crate) fn layer2_keys(
    okm1: &SecretBytes<LAYER1_OKM_LEN>,
    layer1_ct: &[u8],
    s: &[u8; 32],
) -> SecretBytes<LAYER2_OKM_LEN> {
    let mut salt = Zeroizing::new([0u8; CHAIN_LEN + LAYER1_LEN]);
    salt[..CHAIN_LEN].copy_from_slice(&okm1.expose()[..CHAIN_LEN]);
    if let Some(dst) = salt.get_mut(CHAIN_LEN..CHAIN_LEN + layer1_ct.len()) {
        dst.copy_from_slice(layer1_ct);
    }
    kdf::hkdf_sha256(Some(salt.as_slice()), s, SEALED_ENVELOPE_STATIC)
}

/// Splits `okm[at..at + 32]` and `okm[at + 32..at + 44]` into an AEAD key and nonce.
fn key_and_nonce<const N: usize>(
    okm: &SecretBytes<N>,
    at: usize,
) -> (SecretBytes<{ aead::KEY_LEN }>, [u8; aead::NONCE_LEN]) {
    let mut key = SecretBytes::<{ aead::KEY_LEN }>::zero();
    key.expose_mut()
        .copy_from_slice(&okm.expose()[at..at + aead::KEY_LEN]);
    let mut nonce = [0u8; aead::NONCE_LEN];
    nonce.copy_from_slice(&okm.expose()[at + aead::KEY_LEN..at + aead::KEY_LEN + aead::NONCE_LEN]);
    (key, nonce)
}

/// Checks that `certificate` names `sender`'s identity, all 64 bytes in constant time.
pub(crate) fn check_certificate(
    sender: &DeviceIdentity,
    certificate: &SenderCertificate,
) -> Result<(), SealError> {
    if certificate.identity().ct_matches(&sender.public()) {
        Ok(())
    } else {
        Err(SealError::CertificateMismatch)
    }
}

/// `u8(content_type) || compact certificate || pad(message)`: layer 2's plaintext, and the
/// shared content of a multi-recipient message.
pub(crate) fn inner_plaintext(
    compact_certificate: &[u8; COMPACT_SENDER_CERTIFICATE_LEN],
    content_type: u8,
    message: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let padded_len = padding::padded_len(message.len()).map_err(SealError::Padding)?;
    let mut inner = Zeroizing::new(Vec::with_capacity(INNER_PREFIX_LEN + padded_len));
    inner.push(content_type);
    inner.extend_from_slice(compact_certificate);
    let padded = Zeroizing::new(padding::pad(message).map_err(SealError::Padding)?);
    inner.extend_from_slice(&padded);
    Ok(inner)
}

/// Layer 1 (the sender identity under `e1`) for the envelope whose first 34 bytes are
/// `prefix`, and the chain, key and nonce material it was sealed with.
pub(crate) fn seal_layer1(
    e1: &[u8; 32],
    prefix: &[u8; PREFIX_LEN],
    recipient: &DeviceIdentityKey,
    layer1_identity: &[u8; DEVICE_IDENTITY_KEY_LEN],
) -> (SecretBytes<LAYER1_OKM_LEN>, [u8; LAYER1_LEN]) {
    let mut e_pub = [0u8; 32];
    e_pub.copy_from_slice(&prefix[2..]);
    let okm1 = layer1_keys(e1, &PublicKey::from_bytes(e_pub), recipient);
    let (key1, nonce1) = key_and_nonce(&okm1, CHAIN_LEN);
    let mut layer1 = [0u8; LAYER1_LEN];
    layer1[..DEVICE_IDENTITY_KEY_LEN].copy_from_slice(layer1_identity);
    let tag = aead::seal_in_place(
        &key1,
        &nonce1,
        prefix,
        &mut layer1[..DEVICE_IDENTITY_KEY_LEN],
    );
    layer1[DEVICE_IDENTITY_KEY_LEN..].copy_from_slice(&tag);
    (okm1, layer1)
}

/// Layer 2's key and nonce for a layer 1 sealed with `okm1`, under the static secret `s`.
pub(crate) fn layer2_key_and_nonce(
    okm1: &SecretBytes<LAYER1_OKM_LEN>,
    layer1: &[u8],
    s: &[u8; 32],
) -> (SecretBytes<{ aead::KEY_LEN }>, [u8; aead::NONCE_LEN]) {
    key_and_nonce(&layer2_keys(okm1, layer1, s), 0)
}

/// Seals `message` of `content_type` from `sender`, with its `certificate`, to `recipient`.
///
/// Refuses a certificate that does not name `sender`'s identity, a message too long to pad
/// (SEAL-PAD-01) and a recipient key whose DH output is all zero (SEAL-ENV-04). Draws the
/// 32-byte ephemeral private key from `rng`. Three X25519 operations (a key generation and
/// two agreements); [`seal_cached`] saves the static one for a recipient seen before.
pub fn seal<R: CryptoRng + ?Sized>(
    sender: &DeviceIdentity,
    certificate: &SenderCertificate,
    recipient: &DeviceIdentityKey,
    content_type: u8,
    message: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    check_certificate(sender, certificate)?;
    let inner = inner_plaintext(&certificate.compact(), content_type, message)?;
    let s = sender
        .agreement_key()
        .diffie_hellman(recipient.agreement())
        .map_err(|_| SealError::NonContributory)?;
    seal_raw(
        &sender.public().to_bytes(),
        s.expose(),
        recipient,
        &inner,
        EphemeralSecret::generate(rng),
    )
}

/// [`seal`], taking the static-static secret with `recipient` from `cache` (and holding it
/// there when it was not): two X25519 operations for a recipient seen before.
pub fn seal_cached<R: CryptoRng + ?Sized>(
    sender: &DeviceIdentity,
    cache: &mut StaticCache,
    certificate: &SenderCertificate,
    recipient: &DeviceIdentityKey,
    content_type: u8,
    message: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    check_certificate(sender, certificate)?;
    let inner = inner_plaintext(&certificate.compact(), content_type, message)?;
    let s = cache
        .agree(sender, recipient)
        .map_err(|_| SealError::NonContributory)?;
    seal_raw(
        &sender.public().to_bytes(),
        s.expose(),
        recipient,
        &inner,
        EphemeralSecret::generate(rng),
    )
}

/// Both layers around `inner`, layer 2's plaintext as it stands; `layer1_identity` is what
/// layer 1 carries (the sender's own identity, except in tests that forge) and `s` the
/// static secret.
fn seal_raw(
    layer1_identity: &[u8; DEVICE_IDENTITY_KEY_LEN],
    s: &[u8; 32],
    recipient: &DeviceIdentityKey,
    inner: &[u8],
    ephemeral: EphemeralSecret,
) -> Result<Vec<u8>, SealError> {
    let mut prefix = [0u8; PREFIX_LEN];
    prefix[0] = wire::SEALED_ENVELOPE;
    prefix[1] = SINGLE_RECIPIENT_SUBTYPE;
    prefix[2..].copy_from_slice(ephemeral.public_key().as_bytes());
    let e1 = ephemeral
        .agree(&[recipient.agreement()])
        .map_err(|_| SealError::NonContributory)?;
    let e1 = e1.first().ok_or(SealError::NonContributory)?;

    let (okm1, layer1) = seal_layer1(e1.expose(), &prefix, recipient, layer1_identity);
    let (key2, nonce2) = layer2_key_and_nonce(&okm1, &layer1, s);
    let mut out = Vec::with_capacity(HEADER_LEN + inner.len() + aead::TAG_LEN);
    out.extend_from_slice(&prefix);
    out.extend_from_slice(&layer1);
    out.extend_from_slice(inner);
    let (ad, body) = out.split_at_mut(HEADER_LEN);
    let tag = aead::seal_in_place(&key2, &nonce2, ad, body);
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens an envelope (subtype `0x01`, or `0x02` from a multi-recipient message) addressed to
/// `recipient`, verifying the sender certificate against `store` at `now` (seconds since the
/// Unix epoch). The checks and their order are in the module documentation; every failure
/// is the same opaque [`OpenError`]. Two X25519 agreements and one Ed25519 verification;
/// [`open_cached`] saves the verification for a sender certificate seen before.
pub fn open(
    recipient: &DeviceIdentity,
    store: &CertificateStore,
    now: u64,
    bytes: &[u8],
) -> Result<Opened, OpenError> {
    open_inner(recipient, None, store, now, bytes).map_err(OpenError::from)
}

/// [`open`], skipping the signature check of a sender certificate whose exact bytes already
/// verified under the same server key (every other certificate check runs), and holding the
/// static secret for a later [`seal_cached`] to that peer. The static secret is never taken
/// from the cache here: before layer 2 authenticates, the sender identity is anyone's claim,
/// and a shortcut for cached peers would time the recipient's contacts. The secret and the
/// certificate enter the cache only once the whole envelope opened, so refused envelopes
/// leave the cache as it was. Two X25519 agreements, no Ed25519 verification for a known
/// sender certificate.
pub fn open_cached(
    recipient: &DeviceIdentity,
    cache: &mut StaticCache,
    store: &CertificateStore,
    now: u64,
    bytes: &[u8],
) -> Result<Opened, OpenError> {
    open_inner(recipient, Some(cache), store, now, bytes).map_err(OpenError::from)
}

fn open_inner(
    recipient: &DeviceIdentity,
    mut cache: Option<&mut StaticCache>,
    store: &CertificateStore,
    now: u64,
    bytes: &[u8],
) -> Result<Opened, OpenReason> {
    if bytes.first().copied().unwrap_or(0) != wire::SEALED_ENVELOPE {
        return Err(OpenReason::WrongTag);
    }
    let subtype = bytes.get(1).copied().unwrap_or(0);
    let (min, max) = match subtype {
        SINGLE_RECIPIENT_SUBTYPE => (MIN_LEN, MAX_LEN),
        MULTI_RECIPIENT_SUBTYPE => (MULTI_MIN_LEN, MULTI_MAX_LEN),
        _ => return Err(OpenReason::WrongSubtype),
    };
    if bytes.len() < min || bytes.len() > max {
        return Err(OpenReason::Length);
    }
    let mut e_bytes = [0u8; 32];
    e_bytes.copy_from_slice(&bytes[2..PREFIX_LEN]);
    let e_pub = PublicKey::from_bytes(e_bytes);
    if !e_pub.is_canonical() {
        return Err(OpenReason::NonCanonicalEphemeral);
    }
    let agreement = recipient.agreement_key();
    let e1 = agreement
        .diffie_hellman(&e_pub)
        .map_err(|_| OpenReason::NonContributory)?;

    let recipient_public = recipient.public();
    let okm1 = layer1_keys(e1.expose(), &e_pub, &recipient_public);
    let (key1, nonce1) = key_and_nonce(&okm1, CHAIN_LEN);
    let layer1 = &bytes[PREFIX_LEN..HEADER_LEN];
    let mut identity_bytes = [0u8; DEVICE_IDENTITY_KEY_LEN];
    let (layer1_body, layer1_tag) = layer1.split_at(DEVICE_IDENTITY_KEY_LEN);
    let mut tag = [0u8; aead::TAG_LEN];
    tag.copy_from_slice(layer1_tag);
    aead::open_to(
        &key1,
        &nonce1,
        &bytes[..PREFIX_LEN],
        layer1_body,
        &tag,
        &mut identity_bytes,
    )
    .map_err(|_| OpenReason::Layer1)?;
    let sender_identity =
        DeviceIdentityKey::from_bytes(&identity_bytes).map_err(|_| OpenReason::SenderIdentity)?;

    // Never from the cache: the identity is not authenticated yet, and a shortcut taken for
    // a cached peer would let whoever built layer 1 (anyone: it needs only the recipient's
    // public key) time which peers the recipient knows.
    let s = agreement
        .diffie_hellman(sender_identity.agreement())
        .map_err(|_| OpenReason::NonContributory)?;
    let (key2, nonce2) = layer2_key_and_nonce(&okm1, layer1, s.expose());
    let inner = if subtype == SINGLE_RECIPIENT_SUBTYPE {
        Zeroizing::new(
            aead::open(&key2, &nonce2, &bytes[..HEADER_LEN], &bytes[HEADER_LEN..])
                .map_err(|_| OpenReason::Layer2)?,
        )
    } else {
        open_shared_content(&key2, &nonce2, bytes)?
    };

    let (&content_type, rest) = inner.split_first().ok_or(OpenReason::Length)?;
    let compact: &[u8; COMPACT_SENDER_CERTIFICATE_LEN] = rest
        .get(..COMPACT_SENDER_CERTIFICATE_LEN)
        .and_then(|c| c.try_into().ok())
        .ok_or(OpenReason::Length)?;
    let padded = &rest[COMPACT_SENDER_CERTIFICATE_LEN..];
    let certificate = SenderCertificate::from_compact_identity(compact, &sender_identity)
        .map_err(OpenReason::Certificate)?;
    let memo = cache
        .as_deref_mut()
        .and_then(|c| c.memo(recipient, &sender_identity))
        .filter(|m| m.certificate.as_slice() == certificate.as_bytes())
        .map(|m| m.server_key);
    let sender = certificate
        .verify_inner(store, now, memo.as_ref())
        .map_err(OpenReason::Certificate)?;
    let message = padding::unpad(padded).map_err(OpenReason::Padding)?;
    let opened = Opened {
        sender,
        content_type,
        message: Zeroizing::new(message.to_vec()),
    };
    if let Some(cache) = cache {
        let memo = certificate.server_key_in(store).and_then(|server_key| {
            Some(Memo {
                certificate: certificate.as_bytes().try_into().ok()?,
                server_key,
            })
        });
        cache.insert(recipient, &sender_identity, s.expose(), memo);
    }
    Ok(opened)
}

/// The associated data of a multi-recipient key wrap: the envelope's first 114 bytes and the
/// SHA-512 of the shared content ciphertext.
pub(crate) fn wrap_associated_data(
    header: &[u8],
    content_ct: &[u8],
) -> [u8; HEADER_LEN + hash::SHA512_LEN] {
    let mut ad = [0u8; HEADER_LEN + hash::SHA512_LEN];
    if let Some(dst) = ad.get_mut(..header.len()) {
        dst.copy_from_slice(header);
    }
    ad[HEADER_LEN..].copy_from_slice(&hash::sha512(content_ct));
    ad
}

/// Subtype `0x02` after layer 1: unwraps the content key under layer 2's key (SEAL-ENV-07),
/// then opens the shared content under it (SEAL-ENV-08).
fn open_shared_content(
    key2: &SecretBytes<{ aead::KEY_LEN }>,
    nonce2: &[u8; aead::NONCE_LEN],
    bytes: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenReason> {
    let wrap = &bytes[HEADER_LEN..HEADER_LEN + WRAP_LEN];
    let content_ct = &bytes[HEADER_LEN + WRAP_LEN..];
    let ad = wrap_associated_data(&bytes[..HEADER_LEN], content_ct);
    let mut content_key = SecretBytes::<{ aead::KEY_LEN }>::zero();
    let mut tag = [0u8; aead::TAG_LEN];
    tag.copy_from_slice(&wrap[aead::KEY_LEN..]);
    aead::open_to(
        key2,
        nonce2,
        &ad,
        &wrap[..aead::KEY_LEN],
        &tag,
        content_key.expose_mut(),
    )
    .map_err(|_| OpenReason::Layer2)?;
    let inner = aead::open(
        &content_key,
        &CONTENT_NONCE,
        &bytes[..PREFIX_LEN],
        content_ct,
    )
    .map_err(|_| OpenReason::Content)?;
    Ok(Zeroizing::new(inner))
}

#[cfg(test)]
mod tests;
