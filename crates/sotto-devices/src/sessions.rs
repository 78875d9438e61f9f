//! The sessions with one peer device, Sesame-style (protocol.md 8.5): one active session and
//! at most [`MAX_ARCHIVED_SESSIONS`] archived ones.
//!
//! - Sending uses the active session. Until the peer's first reply on it, a session this
//!   device initiated re-attaches its setup header to every message
//!   ([`InitialMessage::with_message`]), so the peer can set the session up from any of them.
//! - Receiving tries the active session, then the archived ones, newest first; a session that
//!   decrypts becomes the active one (the previous active one is archived). A failed trial
//!   leaves a session unchanged (RAT-10), so a message costs at most `1 +
//!   MAX_ARCHIVED_SESSIONS` trials, each bounded by the ratchet's own constant.
//! - An initial message whose setup header is, byte for byte, the one that set up a held
//!   session is that session's next message: it is decrypted there and session
//!   setup, with its replay check, does not run again. Any other initial message is new
//!   session setup, for the caller to run with its prekeys.

use sotto_crypto::CryptoRng;
use sotto_crypto::hash::sha512;
use sotto_crypto::pickle::PickleKey;
use sotto_handshake::{InitialMessage, Initiation};
use sotto_ratchet::{DecryptError, EncryptError, Message, PickleError, Session};

/// The most archived sessions kept per peer device, oldest dropped first.
///
/// Sessions are archived when a new one is set up with the same device: after a simultaneous
/// initiation (one), or a reinstall or lost state on either side while messages were in
/// flight (one or two more). Four keeps those in reach; each one kept costs every message
/// that does not decrypt on the active session one more trial (a forged message pays all
/// five), which is why the bound is small (Signal keeps 40).
pub const MAX_ARCHIVED_SESSIONS: usize = 4;

/// One session and what it needs to be set up from either side.
struct Slot {
    session: Session,
    /// Initiator: the setup header, re-attached until the peer's first reply.
    pending_setup: Option<InitialMessage>,
    /// Responder: the setup header of the initial message that set the session up.
    setup_base: Option<SetupBase>,
}

/// What identifies the setup header of an initial message: SHA-512 of every byte of the
/// message before its ratchet message (tag, flags, initiator identity, ephemeral key, prekey
/// ids, ML-KEM encapsulation). A re-attached header is the same bytes; a header changed in
/// any byte is not, and goes to session setup, where the replay check refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupBase([u8; SETUP_BASE_LEN]);

/// Length of a [`SetupBase`].
const SETUP_BASE_LEN: usize = 64;

impl SetupBase {
    /// The base of `message`.
    #[must_use]
    pub fn of(message: &InitialMessage) -> Self {
        let bytes = message.to_bytes();
        let header_len = bytes.len() - message.message().as_bytes().len();
        Self(sha512(&bytes[..header_len]))
    }
}

/// Why a message did not decrypt with any held session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionsError {
    /// No session is held for the device (a ratchet message, or sending).
    #[error("no session with this device")]
    NoSession,
    /// No held session decrypted the message; the most specific failure is kept (a duplicate
    /// on the session it belongs to, else authentication).
    #[error("no session decrypted the message")]
    Decrypt(#[source] DecryptError),
    /// The active session could not encrypt.
    #[error("encryption failed")]
    Encrypt(#[source] EncryptError),
}

/// The outcome of [`DeviceSessions::decrypt_initial`].
#[derive(Debug)]
pub enum InitialOutcome {
    /// A held session was set up by this message's header: decrypted there.
    Decrypted(Vec<u8>),
    /// No held session was set up by it: run session setup (`sotto_handshake::respond`) and
    /// install the result with [`DeviceSessions::install_responded`].
    NeedsSetup,
}

/// The sessions with one peer device. Not `Clone`: sessions hold chain state.
#[derive(Default)]
pub struct DeviceSessions {
    /// Newest first: index 0 is the active session.
    slots: Vec<Slot>,
}

impl core::fmt::Debug for DeviceSessions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceSessions")
            .field("sessions", &self.slots.len())
            .field("active_pending_setup", &self.has_pending_setup())
            .finish()
    }
}

impl DeviceSessions {
    /// No session.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The kind of the active session (standard or header-encrypted), if any.
    #[must_use]
    pub fn active_kind(&self) -> Option<sotto_ratchet::SessionKind> {
        self.slots.first().map(|slot| slot.session.config().kind())
    }

    /// Whether there is an active session.
    #[must_use]
    pub fn has_active(&self) -> bool {
        !self.slots.is_empty()
    }

    /// Held sessions, active included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no session is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether the active session still re-attaches its setup header (no reply yet).
    #[must_use]
    pub fn has_pending_setup(&self) -> bool {
        self.slots
            .first()
            .is_some_and(|s| s.pending_setup.is_some())
    }

    fn push_active(&mut self, slot: Slot) {
        self.slots.insert(0, slot);
        self.slots.truncate(1 + MAX_ARCHIVED_SESSIONS);
    }

    /// Makes a session this device initiated the active one; it re-attaches `initiation`'s
    /// header until the peer's first reply. Returns the first message's bytes, to send.
    pub fn install_initiated(&mut self, initiation: Initiation) -> Vec<u8> {
        let bytes = initiation.message.to_bytes();
        self.push_active(Slot {
            session: initiation.session,
            pending_setup: Some(initiation.message),
            setup_base: None,
        });
        bytes
    }

    /// Makes a session set up by the peer's initial message the active one.
    pub fn install_responded(&mut self, session: Session, base: SetupBase) {
        self.push_active(Slot {
            session,
            pending_setup: None,
            setup_base: Some(base),
        });
    }

    /// Encrypts with the active session: the bytes to send (an initial message while the
    /// setup is pending, else a ratchet message).
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, SessionsError> {
        let slot = self.slots.first_mut().ok_or(SessionsError::NoSession)?;
        let message = slot
            .session
            .encrypt(plaintext, rng)
            .map_err(SessionsError::Encrypt)?;
        Ok(match &slot.pending_setup {
            Some(setup) => setup.with_message(message).to_bytes(),
            None => message.into_bytes(),
        })
    }

    /// Decrypts a ratchet message: the active session, then the archived ones; the one that
    /// decrypts becomes active and stops re-attaching its setup. On error nothing changed.
    pub fn decrypt(&mut self, message: &Message) -> Result<Vec<u8>, SessionsError> {
        if self.slots.is_empty() {
            return Err(SessionsError::NoSession);
        }
        let mut failure = DecryptError::Authentication;
        for i in 0..self.slots.len() {
            match self.slots[i].session.decrypt(message) {
                Ok(plaintext) => {
                    self.promote(i);
                    return Ok(plaintext);
                }
                Err(DecryptError::Authentication) => {}
                Err(e) => {
                    if failure == DecryptError::Authentication {
                        failure = e;
                    }
                }
            }
        }
        Err(SessionsError::Decrypt(failure))
    }

    /// An initial message: decrypted by the held session it set up, if there is one;
    /// otherwise [`InitialOutcome::NeedsSetup`]. On error nothing changed.
    pub fn decrypt_initial(
        &mut self,
        message: &InitialMessage,
    ) -> Result<InitialOutcome, SessionsError> {
        let base = SetupBase::of(message);
        let Some(i) = self
            .slots
            .iter()
            .position(|s| s.setup_base.as_ref() == Some(&base))
        else {
            return Ok(InitialOutcome::NeedsSetup);
        };
        let plaintext = self.slots[i]
            .session
            .decrypt(message.message())
            .map_err(SessionsError::Decrypt)?;
        self.promote(i);
        Ok(InitialOutcome::Decrypted(plaintext))
    }

    fn promote(&mut self, i: usize) {
        let mut slot = self.slots.remove(i);
        slot.pending_setup = None;
        self.slots.insert(0, slot);
    }

    /// The state for the store: per session, newest first, `u8(flags) || [u32be(len) ||
    /// initial message]` (flag 1) `|| [setup base[64]]` (flag 2) `||
    /// u32be(len) || session pickle`, preceded by `u8(version 1) || u8(n)`. Each session pickle
    /// is sealed under `key` with `context || u8(slot)`.
    pub(crate) fn encode<R: CryptoRng + ?Sized>(
        &self,
        key: &PickleKey,
        context: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        // Only public data and sealed pickles: nothing here needs wiping.
        let mut out = Vec::new();
        out.push(1);
        out.push(u8::try_from(self.slots.len()).unwrap_or(u8::MAX));
        for (i, slot) in self.slots.iter().enumerate() {
            let flags =
                u8::from(slot.pending_setup.is_some()) | (u8::from(slot.setup_base.is_some()) << 1);
            out.push(flags);
            if let Some(setup) = &slot.pending_setup {
                put_bytes(&mut out, &setup.to_bytes());
            }
            if let Some(base) = &slot.setup_base {
                out.extend_from_slice(&base.0);
            }
            let pickle = slot.session.pickle(key, &slot_context(context, i), rng)?;
            put_bytes(&mut out, &pickle);
        }
        Ok(out)
    }

    /// Restores [`DeviceSessions::encode`]'s state; `None` if it is malformed (an unknown
    /// version or flag, too many sessions, a length beyond the input, trailing bytes, a
    /// pickle that does not open).
    pub(crate) fn decode(key: &PickleKey, context: &[u8], bytes: &[u8]) -> Option<Self> {
        let mut r = bytes;
        let [1, n, rest @ ..] = r else {
            return None;
        };
        r = rest;
        let n = usize::from(*n);
        // An empty record is never written (no session left deletes the record).
        if n == 0 || n > 1 + MAX_ARCHIVED_SESSIONS {
            return None;
        }
        let mut slots = Vec::with_capacity(n);
        for i in 0..n {
            let (&flags, rest) = r.split_first()?;
            r = rest;
            if flags & !0b11 != 0 {
                return None;
            }
            let pending_setup = if flags & 1 != 0 {
                Some(InitialMessage::from_bytes(take_bytes(&mut r)?).ok()?)
            } else {
                None
            };
            let setup_base = if flags & 2 != 0 {
                let mut base = [0u8; SETUP_BASE_LEN];
                base.copy_from_slice(take(&mut r, SETUP_BASE_LEN)?);
                Some(SetupBase(base))
            } else {
                None
            };
            let session =
                Session::from_pickle(key, &slot_context(context, i), take_bytes(&mut r)?).ok()?;
            slots.push(Slot {
                session,
                pending_setup,
                setup_base,
            });
        }
        r.is_empty().then_some(Self { slots })
    }
}

fn slot_context(context: &[u8], slot: usize) -> Vec<u8> {
    let mut c = Vec::with_capacity(context.len() + 1);
    c.extend_from_slice(context);
    c.push(u8::try_from(slot).unwrap_or(u8::MAX));
    c
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if r.len() < n {
        return None;
    }
    let (head, rest) = r.split_at(n);
    *r = rest;
    Some(head)
}

fn take_bytes<'a>(r: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = take(r, 4)?;
    let len = usize::try_from(u32::from_be_bytes([len[0], len[1], len[2], len[3]])).ok()?;
    take(r, len)
}
