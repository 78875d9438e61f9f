//! What the relay keeps and logs: the one place for retention decisions (design.md, "The
//! platform and what it can hand over"; docs/disclosure.md). The server asks this module what
//! to accept and what to record; the storage writes exactly what it is handed; a disclosure
//! export reads what these decisions let it write.
//!
//! | profile | modelled on | sends | the relay records |
//! | --- | --- | --- | --- |
//! | `transport` | TamTam, Telegram cloud chats | plaintext to the server (`POST /v1/transport`) | phone, plaintext kept after delivery, sender, recipient, times to the second, sizes, contacts, client addresses |
//! | `e2ee` | WhatsApp | identified envelopes (`POST /v1/messages`) | phone, a delivery log (sender, recipient, time, size, address), contacts, client addresses, times to the second |
//! | `traceable` | WhatsApp under India's rule 4(2) | as `e2ee`, each with an originator hash | as `e2ee`, plus the first sender of every hash and every send of it |
//! | `sealed` | Signal | sealed envelopes (`POST /v1/sealed`); identified for first contact | phone, account creation to the second, last seen to the day, waiting envelopes with their recipient |
//! | `sotto` | this project | sealed envelopes only | waiting envelopes with their recipient, every time to the day; no phone |

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
pub const DAY: u64 = 86_400;

/// A retention profile: what the relay accepts and what it records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// TamTam, Telegram cloud chats: the server holds the plaintext.
    Transport,
    /// WhatsApp: end-to-end encrypted, every delivery logged with its metadata.
    E2ee,
    /// `E2ee` under India's rule 4(2): plus an originator hash of every message.
    Traceable,
    /// Signal: sealed sender; account creation and last-seen day.
    Sealed,
    /// As `Sealed`, with no phone number, no identified send and every time to the day.
    #[default]
    Sotto,
}

/// An event whose time the relay may store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamped {
    /// An account was created.
    AccountCreated,
    /// A device was registered.
    DeviceRegistered,
    /// A device made an authenticated request.
    LastSeen,
    /// A message was received (or, under `transport`, delivered).
    Message,
}

impl Profile {
    /// Every profile, in the disclosure matrix's order.
    pub const ALL: [Self; 5] = [
        Self::Transport,
        Self::E2ee,
        Self::Traceable,
        Self::Sealed,
        Self::Sotto,
    ];

    /// The profile's name (as `--profile` takes it).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Transport => "transport",
            Self::E2ee => "e2ee",
            Self::Traceable => "traceable",
            Self::Sealed => "sealed",
            Self::Sotto => "sotto",
        }
    }

    /// The profile of this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The time stored for `event` at `now` (seconds since the epoch): seconds since the
    /// epoch, truncated to the profile's granularity for that event (a multiple of
    /// [`DAY`] where the profile keeps the day only).
    #[must_use]
    pub const fn stamp(self, event: Stamped, now: u64) -> i64 {
        let unit = self.granularity(event);
        (now - now % unit) as i64
    }

    /// The granularity, in seconds, of the time stored for `event`.
    #[must_use]
    pub const fn granularity(self, event: Stamped) -> u64 {
        match (self, event) {
            (Self::Transport | Self::E2ee | Self::Traceable, _)
            | (Self::Sealed, Stamped::AccountCreated | Stamped::DeviceRegistered) => 1,
            (Self::Sealed | Self::Sotto, _) => DAY,
        }
    }

    /// An account registers with a phone number (every profile but `sotto`, which
    /// registers by key alone and refuses one).
    #[must_use]
    pub const fn requires_phone(self) -> bool {
        !matches!(self, Self::Sotto)
    }

    /// Messages go to the server in plaintext (`POST /v1/transport`), and only so.
    #[must_use]
    pub const fn plaintext(self) -> bool {
        matches!(self, Self::Transport)
    }

    /// Sealed sends (`POST /v1/sealed`) are accepted.
    #[must_use]
    pub const fn sealed_sends(self) -> bool {
        matches!(self, Self::Sealed | Self::Sotto)
    }

    /// Identified sends (`POST /v1/messages`) are accepted.
    #[must_use]
    pub const fn identified_sends(self) -> bool {
        matches!(self, Self::E2ee | Self::Traceable | Self::Sealed)
    }

    /// Every send is logged (`delivery_log`), the contact graph kept (`contacts`) and each
    /// device's client address stored (`devices.last_ip`).
    #[must_use]
    pub const fn logs_metadata(self) -> bool {
        matches!(self, Self::Transport | Self::E2ee | Self::Traceable)
    }

    /// Every identified send must carry an originator hash, kept in `trace`/`trace_log`.
    #[must_use]
    pub const fn traces(self) -> bool {
        matches!(self, Self::Traceable)
    }

    /// Clients set up header-encrypted ratchet sessions (`sotto` only): the ratchet keys and
    /// counters inside an envelope are encrypted too, so whoever later opens an envelope's
    /// sealed layer (with the recipient's identity key from a seized device) still cannot
    /// link its messages by ratchet key or count them per session. The relay sees no
    /// difference: under sealed sender the whole device message is inside the envelope.
    #[must_use]
    pub const fn header_encryption(self) -> bool {
        matches!(self, Self::Sotto)
    }

    /// An acknowledged message is kept (its `delivered_at` set) instead of deleted: a cloud
    /// history.
    #[must_use]
    pub const fn keeps_history(self) -> bool {
        matches!(self, Self::Transport)
    }
}

impl core::fmt::Display for Profile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
#[must_use]
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The originator hash a `traceable` relay keeps for a text:
/// `SHA-256("SOTTO_TRACE_V1" || UTF-8 text)` (docs/relay.md, "Profiles").
#[must_use]
pub fn trace_hash(text: &str) -> [u8; 32] {
    sotto_crypto::hash::sha256_concat(&[b"SOTTO_TRACE_V1", text.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_none() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_name(p.name()), Some(p));
        }
        assert_eq!(Profile::from_name("Sotto"), None);
        assert_eq!(Profile::from_name(""), None);
    }

    #[test]
    fn stamps_truncate_to_the_profiles_granularity() {
        let now = 1_764_806_399; // one second before a day boundary
        let day = (now - now % DAY) as i64;
        assert_eq!(Profile::E2ee.stamp(Stamped::Message, now), now as i64);
        assert_eq!(
            Profile::Sealed.stamp(Stamped::AccountCreated, now),
            now as i64
        );
        assert_eq!(Profile::Sealed.stamp(Stamped::LastSeen, now), day);
        for event in [
            Stamped::AccountCreated,
            Stamped::DeviceRegistered,
            Stamped::LastSeen,
            Stamped::Message,
        ] {
            assert_eq!(Profile::Sotto.stamp(event, now), day);
            assert_eq!(Profile::Sotto.stamp(event, now) % DAY as i64, 0);
        }
    }

    #[test]
    fn only_sotto_refuses_identified_sends_and_phones() {
        for p in Profile::ALL {
            assert_eq!(p.requires_phone(), p != Profile::Sotto);
            // Exactly one way to send text exists in every profile but `sealed`, which has
            // sealed sends and identified first contact.
            assert!(p.plaintext() || p.sealed_sends() || p.identified_sends());
        }
        assert!(!Profile::Sotto.identified_sends());
        assert!(!Profile::Transport.identified_sends() && !Profile::Transport.sealed_sends());
    }

    #[test]
    fn trace_hash_matches_an_independent_sha256() {
        // python3 -c "import hashlib; print(hashlib.sha256(b'SOTTO_TRACE_V1hello Bob').hexdigest())"
        assert_eq!(
            hex::encode(trace_hash("hello Bob")),
            "45a3192fb5e964b1be162186515429c49acee978cf31c75e97722a9ac5578ba1"
        );
        assert_ne!(trace_hash("hello Bob!"), trace_hash("hello Bob"));
    }
}
