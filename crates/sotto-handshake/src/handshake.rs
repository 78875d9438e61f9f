//! X3DH and PQXDH: the initiator's and the responder's side.
//!
//! Algorithm (both sides compute the same values; `a` is the initiator, `b` the responder):
//!
//! 1. DH1 = DH(IK_a, SPK_b), DH2 = DH(EK_a, IK_b), DH3 = DH(EK_a, SPK_b) and, if a one-time
//!    prekey is used, DH4 = DH(EK_a, OPK_b), as X3DH section 3.3 orders them.
//! 2. PQXDH only: (CT, SS) = ML-KEM-768.Encaps(PQPK_b).
//! 3. SK = HKDF-SHA256(salt = 32 zero bytes, ikm = 0xFF x 32 || DH1 || DH2 || DH3 [|| DH4]
//!    [|| SS], info = HANDSHAKE_X3DH or HANDSHAKE_PQXDH), 32 bytes.
//! 4. AD = identity_a[64] || identity_b[64].
//! 5. The ratchet session starts from SK and AD with SPK_b as the responder's first ratchet
//!    key pair; the initiator's first ratchet message travels inside the initial message.

use sotto_crypto::CryptoRng;
use sotto_crypto::x25519::EphemeralSecret;
use sotto_ratchet::{Session, SessionConfig, SessionSecret};

use crate::HandshakeError;
use crate::bundle::VerifiedBundle;
use crate::identity::{DeviceIdentity, DeviceIdentityKey};
use crate::initial_message::{InitialMessage, KemEncapsulation};
use crate::prekeys::PostQuantum;
use crate::secret::{associated_data, session_secret};
use crate::store::{PrekeyStore, ReplayTag, UsedPrekeys};
use crate::trace::HandshakeTrace;

/// Which key agreement a session was set up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Classic X3DH: the bundle offered no ML-KEM prekey.
    X3dh,
    /// Hybrid PQXDH with ML-KEM-768.
    Pqxdh,
}

/// Options of session setup, shared by both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HandshakeConfig {
    /// The ratchet session's configuration (kind and limits); both sides must use the same.
    pub session: SessionConfig,
    /// Refuse classic X3DH (HS-06).
    pub require_post_quantum: bool,
}

impl HandshakeConfig {
    /// Requires PQXDH.
    #[must_use]
    pub const fn post_quantum_only(mut self) -> Self {
        self.require_post_quantum = true;
        self
    }
}

/// The initiator's result.
#[must_use = "the session and the initial message are the point of the handshake"]
#[derive(Debug)]
pub struct Initiation {
    /// The initiator's ratchet session.
    pub session: Session,
    /// The message to send to the responder.
    pub message: InitialMessage,
    /// The key agreement used.
    pub mode: Mode,
}

/// The responder's result.
#[must_use = "the session and the plaintext are the point of the handshake"]
pub struct Response {
    /// The responder's ratchet session.
    pub session: Session,
    /// The first message's plaintext.
    pub plaintext: Vec<u8>,
    /// The initiator device's identity: the `expected_initiator` that [`respond`] checked
    /// (HS-11) against the message, all 64 bytes.
    pub initiator: DeviceIdentityKey,
    /// The key agreement used.
    pub mode: Mode,
}

impl core::fmt::Debug for Response {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Response")
            .field("session", &self.session)
            .field("plaintext_len", &self.plaintext.len())
            .field("initiator", &self.initiator)
            .field("mode", &self.mode)
            .finish()
    }
}

fn dh_error(_: sotto_crypto::x25519::DhError) -> HandshakeError {
    HandshakeError::NonContributory
}

/// The initiator's side: checks that the bundle is the device the caller means to talk to,
/// agrees on SK, creates the session and encrypts `first_plaintext`.
///
/// `expected_responder` is the device identity the caller trusts for this peer (from a
/// device list it verified, or pinned on first use): the bundle's identity must be exactly it,
/// both halves, or the call fails with [`HandshakeError::UnexpectedIdentity`] (HS-11) before
/// any randomness is drawn or any key is used. A caller that trusts on first use reads
/// [`crate::PrekeyBundle::identity`] and passes it, an explicit step.
///
/// Draws from `rng`, in order: the ephemeral key (32 bytes), the ML-KEM message `m` (32 bytes,
/// PQXDH only), then what [`Session::initiator`] and [`Session::encrypt`] draw.
pub fn initiate<R: CryptoRng + ?Sized>(
    identity: &DeviceIdentity,
    bundle: &VerifiedBundle,
    expected_responder: &DeviceIdentityKey,
    first_plaintext: &[u8],
    config: &HandshakeConfig,
    rng: &mut R,
) -> Result<Initiation, HandshakeError> {
    initiate_traced(
        identity,
        bundle,
        expected_responder,
        first_plaintext,
        config,
        rng,
        None,
    )
}

pub(crate) fn initiate_traced<R: CryptoRng + ?Sized>(
    identity: &DeviceIdentity,
    bundle: &VerifiedBundle,
    expected_responder: &DeviceIdentityKey,
    first_plaintext: &[u8],
    config: &HandshakeConfig,
    rng: &mut R,
    mut trace: Option<&mut HandshakeTrace>,
) -> Result<Initiation, HandshakeError> {
    let b = bundle.bundle();
    // HS-11: before anything is drawn or computed.
    if !b.identity.ct_matches(expected_responder) {
        return Err(HandshakeError::UnexpectedIdentity);
    }
    if config.require_post_quantum && b.kem_prekey.is_none() {
        return Err(HandshakeError::PostQuantumRequired);
    }
    let spk = &b.signed_prekey.public_key;
    let ephemeral = EphemeralSecret::generate(rng);
    let ephemeral_key = *ephemeral.public_key();
    if let Some(t) = trace.as_deref_mut() {
        t.ephemeral_key = Some(ephemeral_key);
    }
    // At most four DH outputs: allocated once at that size, so pushing never moves a secret
    // into a new buffer and leaves the old one unwiped.
    let mut dhs = Vec::with_capacity(4);
    dhs.push(
        identity
            .agreement_key()
            .diffie_hellman(spk)
            .map_err(dh_error)?,
    );
    let mut peers = vec![&b.identity.agreement, spk];
    if let Some(opk) = &b.one_time_prekey {
        peers.push(&opk.public_key);
    }
    ephemeral.agree_into(&peers, &mut dhs).map_err(dh_error)?;
    let encapsulation = b.kem_prekey.as_ref().map(|k| {
        let (ciphertext, shared) = k.public_key.encapsulate(rng);
        (
            KemEncapsulation {
                kind: k.kind,
                id: k.id,
                ciphertext,
            },
            shared,
        )
    });
    let sk = session_secret(&dhs, encapsulation.as_ref().map(|(_, ss)| ss));
    let ad = associated_data(&identity.public(), &b.identity);
    if let Some(t) = trace {
        t.record(&dhs, encapsulation.as_ref().map(|(_, ss)| ss), &sk, &ad);
    }
    let mut session = Session::initiator(
        SessionSecret::from_secret(sk),
        &ad,
        spk,
        config.session,
        rng,
    )
    .map_err(HandshakeError::Session)?;
    let message = session
        .encrypt(first_plaintext, rng)
        .map_err(HandshakeError::Encryption)?;
    let mode = if encapsulation.is_some() {
        Mode::Pqxdh
    } else {
        Mode::X3dh
    };
    Ok(Initiation {
        session,
        message: InitialMessage {
            initiator: identity.public(),
            ephemeral_key,
            signed_prekey_id: b.signed_prekey.id,
            one_time_prekey_id: b.one_time_prekey.map(|o| o.id),
            kem: encapsulation.map(|(e, _)| e),
            message,
        },
        mode,
    })
}

/// The responder's side: checks that the message comes from the device the caller expects,
/// looks the prekeys up, derives SK, decrypts the first message and only then commits the
/// use of the prekeys ([`PrekeyStore::commit`]: one-time prekeys deleted, replay recorded,
/// one atomic step). On any error the store is unchanged.
///
/// `expected_initiator` is the device identity the caller trusts for the sender: the
/// message's initiator must be exactly it, all 64 bytes (the Ed25519 half, which session
/// setup alone does not prove, and the X25519 half, by its bytes, so an X25519 twin is
/// refused), or the call fails with [`HandshakeError::UnexpectedIdentity`] (HS-11) before any
/// key agreement and any store access. A caller that trusts on first use reads
/// [`InitialMessage::initiator`] and passes it, an explicit step.
///
/// Errors of the store reach the caller as [`HandshakeError::Store`] with their cause. A
/// commit that loses a race to a concurrent call with the same message or one-time prekey is
/// refused as that sequential call would have been ([`HandshakeError::Replayed`],
/// [`HandshakeError::UnknownOneTimePrekey`], ...).
pub fn respond<S: PrekeyStore + ?Sized>(
    store: &mut S,
    message: &InitialMessage,
    expected_initiator: &DeviceIdentityKey,
    config: &HandshakeConfig,
) -> Result<Response, HandshakeError> {
    respond_traced(store, message, expected_initiator, config, None)
}

pub(crate) fn respond_traced<S: PrekeyStore + ?Sized>(
    store: &mut S,
    message: &InitialMessage,
    expected_initiator: &DeviceIdentityKey,
    config: &HandshakeConfig,
    trace: Option<&mut HandshakeTrace>,
) -> Result<Response, HandshakeError> {
    // HS-11: before any DH and any store access.
    if !message.initiator.ct_matches(expected_initiator) {
        return Err(HandshakeError::UnexpectedIdentity);
    }
    if config.require_post_quantum && message.kem.is_none() {
        return Err(HandshakeError::PostQuantumRequired);
    }
    let spk = store
        .signed_prekey(message.signed_prekey_id)
        .map_err(HandshakeError::Store)?
        .ok_or(HandshakeError::UnknownSignedPrekey(
            message.signed_prekey_id,
        ))?;
    if (spk.public.post_quantum == PostQuantum::Offered) != message.kem.is_some() {
        return Err(HandshakeError::PostQuantumMismatch);
    }
    let identity = store.identity().map_err(HandshakeError::Store)?;
    let ek = &message.ephemeral_key;
    // At most four DH outputs, in a buffer of that size from the start (see `initiate`).
    let mut dhs = Vec::with_capacity(4);
    dhs.push(
        spk.key_pair
            .diffie_hellman(&message.initiator.agreement)
            .map_err(dh_error)?,
    );
    dhs.push(
        identity
            .agreement_key()
            .diffie_hellman(ek)
            .map_err(dh_error)?,
    );
    dhs.push(spk.key_pair.diffie_hellman(ek).map_err(dh_error)?);
    // HS-09: the replay record keys on a tag of DH2 and DH3, which every X25519 twin of EK
    // shares; checked before anything that depends on one-time keys, store unchanged. This is
    // an early refusal; `commit` checks again, atomically.
    let replay_tag = ReplayTag::derive(&dhs[1], &dhs[2]);
    if store
        .has_seen(message.signed_prekey_id, &replay_tag)
        .map_err(HandshakeError::Store)?
    {
        return Err(HandshakeError::Replayed);
    }
    if let Some(id) = message.one_time_prekey_id {
        let opk = store
            .one_time_prekey(id)
            .map_err(HandshakeError::Store)?
            .ok_or(HandshakeError::UnknownOneTimePrekey(id))?;
        dhs.push(opk.diffie_hellman(ek).map_err(dh_error)?);
    }
    let kem_secret = match &message.kem {
        Some(k) => Some(
            store
                .kem_decapsulate(k.kind, k.id, &k.ciphertext)
                .map_err(HandshakeError::Store)?
                .ok_or(HandshakeError::UnknownKemPrekey(k.id))?,
        ),
        None => None,
    };
    let sk = session_secret(&dhs, kem_secret.as_ref());
    let ad = associated_data(&message.initiator, &identity.public());
    if let Some(t) = trace {
        t.record(&dhs, kem_secret.as_ref(), &sk, &ad);
    }
    let mut session = Session::responder(
        SessionSecret::from_secret(sk),
        &ad,
        spk.key_pair,
        config.session,
    )
    .map_err(HandshakeError::Session)?;
    let plaintext = session
        .decrypt(&message.message)
        .map_err(|_| HandshakeError::Decryption)?;
    store.commit(&UsedPrekeys {
        signed_prekey_id: message.signed_prekey_id,
        replay_tag,
        one_time_prekey_id: message.one_time_prekey_id,
        kem_prekey: message.kem.as_ref().map(|k| (k.kind, k.id)),
    })?;
    let mode = if message.kem.is_some() {
        Mode::Pqxdh
    } else {
        Mode::X3dh
    };
    Ok(Response {
        session,
        plaintext,
        initiator: message.initiator,
        mode,
    })
}

/// When two devices initiated sessions to each other at the same time, both keep the session
/// initiated by the device whose 64-byte identity encoding is smaller (byte-wise); the other
/// session is kept for receiving only until its in-flight messages are in. Returns `true` if
/// the session *we* initiated is the one to keep.
pub fn keep_own_initiation(ours: &DeviceIdentityKey, theirs: &DeviceIdentityKey) -> bool {
    ours.to_bytes() < theirs.to_bytes()
}
