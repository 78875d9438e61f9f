//! The single-recipient sealed envelope (protocol.md 9.3): two layers, after Signal's sealed
//! sender v1.
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
//! layer2_ct = AEAD(key2, nonce2, ad = envelope[0..114],
//!                  u8(content_type) || u16be(len(cert)) || cert || pad(message))
//! ```
//!
//! [`open`] runs its checks in this order; the first failing one decides the reason, and
//! every reason reaches the caller as the one opaque [`OpenError`]:
//!
//! 1. SEAL-ENV-01: the first byte is `0x1f` (an empty input counts as `0x00`);
//! 2. SEAL-ENV-02: the second byte is `0x01` (a missing byte counts as `0x00`);
//! 3. SEAL-ENV-03: the length is within [`MIN_LEN`] ..= [`MAX_LEN`];
//! 4. SEAL-ENV-04: `e1` is not all zero (and, after step 6, neither is `s`);
//! 5. SEAL-ENV-05: layer 1 authenticates;
//! 6. SEAL-ENV-06: the sender identity decodes (HS-03's rules);
//! 7. SEAL-ENV-07: layer 2 authenticates;
//! 8. SEAL-ENV-08: the inner plaintext is well-formed (at least 3 bytes, the certificate
//!    length within it);
//! 9. SEAL-ENV-09: the sender certificate decodes and verifies at `now` (its SEAL-CERT
//!    reason);
//! 10. SEAL-ENV-10: the certificate's identity is the layer-1 identity, all 64 bytes,
//!     compared in constant time;
//! 11. SEAL-ENV-11: the message unpads strictly (its SEAL-PAD reason).

use core::fmt;

use sotto_crypto::labels::{SEALED_ENVELOPE_EPHEMERAL, SEALED_ENVELOPE_STATIC};
use sotto_crypto::x25519::{EphemeralSecret, PublicKey, SharedSecret};
use sotto_crypto::{CryptoRng, SecretBytes, aead, kdf, wire};
use sotto_handshake::{DEVICE_IDENTITY_KEY_LEN, DeviceIdentity, DeviceIdentityKey};
use zeroize::Zeroizing;

use crate::certificate::{
    CertificateError, SENDER_CERTIFICATE_LEN, SenderCertificate, VerifiedSender,
};
use crate::padding::{self, MAX_PADDED_LEN, PaddingError};

/// The subtype byte of a single-recipient envelope (after the tag `0x1f`).
pub const SINGLE_RECIPIENT_SUBTYPE: u8 = 0x01;
/// Tag, subtype and the ephemeral public key: the associated data of layer 1.
pub const PREFIX_LEN: usize = 2 + 32;
/// Length of layer 1's ciphertext: the sender identity and a tag.
pub const LAYER1_LEN: usize = DEVICE_IDENTITY_KEY_LEN + aead::TAG_LEN;
/// Everything before layer 2: its associated data.
pub const HEADER_LEN: usize = PREFIX_LEN + LAYER1_LEN;
/// Content type and certificate length before the certificate, inside layer 2.
const INNER_PREFIX_LEN: usize = 3;
/// The shortest envelope: a sender certificate and the smallest padding bucket.
pub const MIN_LEN: usize = HEADER_LEN
    + INNER_PREFIX_LEN
    + SENDER_CERTIFICATE_LEN
    + padding::SMALL_BUCKETS[0]
    + aead::TAG_LEN;
/// The longest envelope: a sender certificate and the largest padded message.
pub const MAX_LEN: usize =
    HEADER_LEN + INNER_PREFIX_LEN + SENDER_CERTIFICATE_LEN + MAX_PADDED_LEN + aead::TAG_LEN;

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
    /// SEAL-ENV-04: a DH output with the recipient's identity key is all zero.
    #[error("X25519 output is all zero (non-contributory recipient key)")]
    NonContributory,
    /// SEAL-ENV-10: the certificate does not name the sender's identity.
    #[error("the sender certificate is for another identity")]
    CertificateMismatch,
}

/// Why [`open`] refused an envelope, by validation ID: for logs only. The caller sees just
/// [`OpenError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenReason {
    /// SEAL-ENV-01: the first byte is not `0x1f`.
    WrongTag,
    /// SEAL-ENV-02: the second byte is not `0x01`.
    WrongSubtype,
    /// SEAL-ENV-03: shorter than [`MIN_LEN`] or longer than [`MAX_LEN`].
    Length,
    /// SEAL-ENV-04: a DH output (ephemeral or static) is all zero.
    NonContributory,
    /// SEAL-ENV-05: layer 1 does not authenticate.
    Layer1,
    /// SEAL-ENV-06: the sender identity of layer 1 does not decode (HS-03).
    SenderIdentity,
    /// SEAL-ENV-07: layer 2 does not authenticate.
    Layer2,
    /// SEAL-ENV-08: the inner plaintext is malformed.
    Inner,
    /// SEAL-ENV-09: the sender certificate is refused (its SEAL-CERT reason).
    Certificate(CertificateError),
    /// SEAL-ENV-10: the certificate's identity is not the one that authenticated layer 2.
    IdentityMismatch,
    /// SEAL-ENV-11: the message's padding is refused (its SEAL-PAD reason).
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
            Self::NonContributory => "SEAL-ENV-04",
            Self::Layer1 => "SEAL-ENV-05",
            Self::SenderIdentity => "SEAL-ENV-06",
            Self::Layer2 => "SEAL-ENV-07",
            Self::Inner => "SEAL-ENV-08",
            Self::Certificate(_) => "SEAL-ENV-09",
            Self::IdentityMismatch => "SEAL-ENV-10",
            Self::Padding(_) => "SEAL-ENV-11",
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
fn layer1_keys(
    e1: &SharedSecret,
    e_pub: &PublicKey,
    recipient: &DeviceIdentityKey,
) -> SecretBytes<LAYER1_OKM_LEN> {
    let mut salt = [0u8; 32 + DEVICE_IDENTITY_KEY_LEN];
    salt[..32].copy_from_slice(e_pub.as_bytes());
    salt[32..].copy_from_slice(&recipient.to_bytes());
    kdf::hkdf_sha256(Some(&salt), e1.expose(), SEALED_ENVELOPE_EPHEMERAL)
}

/// Layer 2's AEAD key and nonce from the chain key, layer 1's ciphertext and `s`.
fn layer2_keys(
    okm1: &SecretBytes<LAYER1_OKM_LEN>,
    layer1_ct: &[u8],
    s: &SharedSecret,
) -> SecretBytes<LAYER2_OKM_LEN> {
    let mut salt = Zeroizing::new(Vec::with_capacity(CHAIN_LEN + LAYER1_LEN));
    salt.extend_from_slice(&okm1.expose()[..CHAIN_LEN]);
    salt.extend_from_slice(layer1_ct);
    kdf::hkdf_sha256(Some(&salt), s.expose(), SEALED_ENVELOPE_STATIC)
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

/// Seals `message` of `content_type` from `sender`, with its `certificate`, to `recipient`.
///
/// Refuses a certificate that does not name `sender`'s identity (SEAL-ENV-10), a message too
/// long to pad (SEAL-PAD-01) and a recipient key whose DH output is all zero (SEAL-ENV-04).
/// Draws the 32-byte ephemeral private key from `rng`.
pub fn seal<R: CryptoRng + ?Sized>(
    sender: &DeviceIdentity,
    certificate: &SenderCertificate,
    recipient: &DeviceIdentityKey,
    content_type: u8,
    message: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let certified = certificate
        .as_bytes()
        .get(22..22 + DEVICE_IDENTITY_KEY_LEN)
        .ok_or(SealError::CertificateMismatch)?;
    if !sotto_crypto::ct_eq(certified, &sender.public().to_bytes()) {
        return Err(SealError::CertificateMismatch);
    }
    seal_unchecked(
        sender,
        &sender.public().to_bytes(),
        certificate.as_bytes(),
        recipient,
        content_type,
        message,
        EphemeralSecret::generate(rng),
    )
}

/// [`seal`] without the certificate check; `layer1_identity` is what layer 1 carries (the
/// sender's own identity, except in tests that forge).
fn seal_unchecked(
    sender: &DeviceIdentity,
    layer1_identity: &[u8; DEVICE_IDENTITY_KEY_LEN],
    certificate: &[u8],
    recipient: &DeviceIdentityKey,
    content_type: u8,
    message: &[u8],
    ephemeral: EphemeralSecret,
) -> Result<Vec<u8>, SealError> {
    let cert_len = u16::try_from(certificate.len()).map_err(|_| SealError::CertificateMismatch)?;
    let padded = Zeroizing::new(padding::pad(message).map_err(SealError::Padding)?);
    let mut inner = Zeroizing::new(Vec::with_capacity(
        INNER_PREFIX_LEN + certificate.len() + padded.len(),
    ));
    inner.push(content_type);
    inner.extend_from_slice(&cert_len.to_be_bytes());
    inner.extend_from_slice(certificate);
    inner.extend_from_slice(&padded);
    seal_raw(sender, layer1_identity, recipient, &inner, ephemeral)
}

/// Both layers around `inner`, layer 2's plaintext as it stands.
fn seal_raw(
    sender: &DeviceIdentity,
    layer1_identity: &[u8; DEVICE_IDENTITY_KEY_LEN],
    recipient: &DeviceIdentityKey,
    inner: &[u8],
    ephemeral: EphemeralSecret,
) -> Result<Vec<u8>, SealError> {
    let e_pub = *ephemeral.public_key();
    let e1 = ephemeral
        .agree(&[recipient.agreement()])
        .map_err(|_| SealError::NonContributory)?;
    let e1 = e1.first().ok_or(SealError::NonContributory)?;
    let s = sender
        .agreement_key()
        .diffie_hellman(recipient.agreement())
        .map_err(|_| SealError::NonContributory)?;

    let mut out = Vec::with_capacity(HEADER_LEN + inner.len() + aead::TAG_LEN);
    out.extend_from_slice(&[wire::SEALED_ENVELOPE, SINGLE_RECIPIENT_SUBTYPE]);
    out.extend_from_slice(e_pub.as_bytes());

    let okm1 = layer1_keys(e1, &e_pub, recipient);
    let (key1, nonce1) = key_and_nonce(&okm1, CHAIN_LEN);
    let layer1 = aead::seal(&key1, &nonce1, &out, layer1_identity);
    out.extend_from_slice(&layer1);

    let okm2 = layer2_keys(&okm1, &layer1, &s);
    let (key2, nonce2) = key_and_nonce(&okm2, 0);
    let layer2 = aead::seal(&key2, &nonce2, &out, inner);
    out.extend_from_slice(&layer2);
    Ok(out)
}

/// Opens an envelope addressed to `recipient`, verifying the sender certificate against
/// `store` at `now` (seconds since the Unix epoch). The checks and their order are in the
/// module documentation; every failure is the same opaque [`OpenError`].
pub fn open(
    recipient: &DeviceIdentity,
    store: &crate::certificate::CertificateStore,
    now: u64,
    bytes: &[u8],
) -> Result<Opened, OpenError> {
    open_inner(recipient, store, now, bytes).map_err(OpenError::from)
}

fn open_inner(
    recipient: &DeviceIdentity,
    store: &crate::certificate::CertificateStore,
    now: u64,
    bytes: &[u8],
) -> Result<Opened, OpenReason> {
    if bytes.first().copied().unwrap_or(0) != wire::SEALED_ENVELOPE {
        return Err(OpenReason::WrongTag);
    }
    if bytes.get(1).copied().unwrap_or(0) != SINGLE_RECIPIENT_SUBTYPE {
        return Err(OpenReason::WrongSubtype);
    }
    if bytes.len() < MIN_LEN || bytes.len() > MAX_LEN {
        return Err(OpenReason::Length);
    }
    let mut e_bytes = [0u8; 32];
    e_bytes.copy_from_slice(&bytes[2..PREFIX_LEN]);
    let e_pub = PublicKey::from_bytes(e_bytes);
    let agreement = recipient.agreement_key();
    let e1 = agreement
        .diffie_hellman(&e_pub)
        .map_err(|_| OpenReason::NonContributory)?;

    let recipient_public = recipient.public();
    let okm1 = layer1_keys(&e1, &e_pub, &recipient_public);
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

    let s = agreement
        .diffie_hellman(sender_identity.agreement())
        .map_err(|_| OpenReason::NonContributory)?;
    let okm2 = layer2_keys(&okm1, layer1, &s);
    let (key2, nonce2) = key_and_nonce(&okm2, 0);
    let inner = Zeroizing::new(
        aead::open(&key2, &nonce2, &bytes[..HEADER_LEN], &bytes[HEADER_LEN..])
            .map_err(|_| OpenReason::Layer2)?,
    );

    let (&content_type, rest) = inner.split_first().ok_or(OpenReason::Inner)?;
    let len_bytes = rest.get(..2).ok_or(OpenReason::Inner)?;
    let cert_len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
    let certificate = rest.get(2..2 + cert_len).ok_or(OpenReason::Inner)?;
    let padded = &rest[2 + cert_len..];

    let sender = SenderCertificate::from_bytes(certificate)
        .and_then(|c| c.verify(store, now))
        .map_err(OpenReason::Certificate)?;
    if !sender.identity().ct_matches(&sender_identity) {
        return Err(OpenReason::IdentityMismatch);
    }
    let message = padding::unpad(padded).map_err(OpenReason::Padding)?;
    Ok(Opened {
        sender,
        content_type,
        message: Zeroizing::new(message.to_vec()),
    })
}

#[cfg(test)]
mod tests;
