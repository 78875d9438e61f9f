//! What the relay keeps and logs: the one place for retention decisions (design.md, "The
//! platform and what it can hand over"). The storage and the server ask this module; a
//! disclosure export reads exactly what it lets them write.
//!
//! Today there is one profile, `sotto`: ciphertext only, the recipient, day-granularity
//! times (account creation, device registration, last seen, message receipt), messages
//! deleted on acknowledgement, no delivery log, no request log, nothing of the sender.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds in a day.
const DAY: u64 = 86_400;

/// A retention profile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Profile {
    /// As Signal's sealed sender, plus padding, delete on acknowledge, no delivery log.
    #[default]
    Sotto,
}

impl Profile {
    /// The profile's name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sotto => "sotto",
        }
    }

    /// The time stamp stored for an event at `now` (seconds since the epoch): days since
    /// the epoch, so the database holds no finer time than the day.
    #[must_use]
    pub const fn stamp(self, now: u64) -> i64 {
        match self {
            Self::Sotto => (now / DAY) as i64,
        }
    }
}

/// Seconds since the Unix epoch (0 if the clock is before it).
#[must_use]
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
