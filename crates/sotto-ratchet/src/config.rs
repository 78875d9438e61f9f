//! Session configuration: the session kind and the skipped-key limits.

/// Which variant of the Double Ratchet a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// The Double Ratchet of the specification's section 3: headers travel in the clear.
    Standard,
    /// The header-encryption variant of the specification's section 4: headers are encrypted
    /// under header keys, so the relay cannot link messages by ratchet key or counters.
    HeaderEncrypted,
}

/// How a [`Session`](crate::Session) behaves. Build it with [`SessionConfig::default`] or
/// [`SessionConfig::header_encrypted`] and adjust the limits with the `with_*` methods.
///
/// Both parties of a session should use the same limits: a receiver refuses messages that
/// skip more keys than its `max_skip` (RAT-06).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    kind: SessionKind,
    max_skip: u32,
    max_stored_skipped: u32,
}

impl SessionConfig {
    /// Default for the number of message keys one message may make the receiver skip.
    pub const DEFAULT_MAX_SKIP: u32 = 2000;
    /// Default for the number of skipped message keys a session stores.
    pub const DEFAULT_MAX_STORED_SKIPPED: u32 = 2000;
    /// Upper bound for both limits; larger values are clamped to it.
    pub const LIMIT_CEILING: u32 = 100_000;
    /// The skipped-key store holds keys of at most this many chains; when a new chain's keys
    /// would make it more, the oldest keys are evicted until it holds this many (RAT-11). It
    /// bounds the header keys a header-encrypted session tries on a message it cannot place
    /// (at most this many plus `HKr` and `NHKr`), so a forgery's cost does not grow with the
    /// chains a relay made the receiver store by dropping messages. Five, as libsignal keeps
    /// five previous receiving chains.
    pub const MAX_SKIPPED_CHAINS: usize = 5;

    /// A standard-kind configuration with the default limits.
    pub const fn standard() -> Self {
        Self {
            kind: SessionKind::Standard,
            max_skip: Self::DEFAULT_MAX_SKIP,
            max_stored_skipped: Self::DEFAULT_MAX_STORED_SKIPPED,
        }
    }

    /// A header-encryption configuration with the default limits.
    pub const fn header_encrypted() -> Self {
        Self {
            kind: SessionKind::HeaderEncrypted,
            ..Self::standard()
        }
    }

    /// Sets the session kind, keeping the limits.
    #[must_use]
    pub const fn with_kind(mut self, kind: SessionKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets how many message keys one message may make the receiver skip (clamped to
    /// [`Self::LIMIT_CEILING`]).
    #[must_use]
    pub const fn with_max_skip(mut self, max_skip: u32) -> Self {
        self.max_skip = if max_skip > Self::LIMIT_CEILING {
            Self::LIMIT_CEILING
        } else {
            max_skip
        };
        self
    }

    /// Sets how many skipped message keys the session keeps; when more arrive, the oldest are
    /// deleted first (clamped to [`Self::LIMIT_CEILING`]).
    #[must_use]
    pub const fn with_max_stored_skipped(mut self, max_stored: u32) -> Self {
        self.max_stored_skipped = if max_stored > Self::LIMIT_CEILING {
            Self::LIMIT_CEILING
        } else {
            max_stored
        };
        self
    }

    /// The session kind.
    pub const fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The skip limit per message.
    pub const fn max_skip(&self) -> u32 {
        self.max_skip
    }

    /// The limit on stored skipped keys.
    pub const fn max_stored_skipped(&self) -> u32 {
        self.max_stored_skipped
    }

    pub(crate) const fn is_header_encrypted(&self) -> bool {
        matches!(self.kind, SessionKind::HeaderEncrypted)
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self::standard()
    }
}
