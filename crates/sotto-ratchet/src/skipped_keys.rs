//! MKSKIPPED: message keys of messages not yet received, oldest first.

use std::collections::VecDeque;

use sotto_crypto::x25519::PublicKey;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::SessionConfig;
use crate::header_key::HeaderKey;
use crate::message_key::MessageKey;

/// One skipped message key, indexed by the chain's ratchet key and the message number. In a
/// header-encryption session the entry also holds the chain's header key, which is how an
/// encrypted header finds it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SkippedKey {
    #[zeroize(skip)]
    pub(crate) ratchet_key: PublicKey,
    pub(crate) n: u32,
    pub(crate) header_key: Option<HeaderKey>,
    pub(crate) message_key: MessageKey,
}

/// The store: insertion order is age order; when it is over its limit the oldest entries are
/// deleted first (RAT-11).
#[derive(Clone, Default)]
pub(crate) struct SkippedKeys {
    entries: VecDeque<SkippedKey>,
}

impl SkippedKeys {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &SkippedKey> {
        self.entries.iter()
    }

    /// Index of the key for message `n` of the chain with `ratchet_key`.
    pub(crate) fn position(&self, ratchet_key: &PublicKey, n: u32) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.n == n && e.ratchet_key == *ratchet_key)
    }

    pub(crate) fn get(&self, index: usize) -> Option<&SkippedKey> {
        self.entries.get(index)
    }

    /// Deletes a used key (RAT-12).
    pub(crate) fn remove(&mut self, index: usize) {
        drop(self.entries.remove(index));
    }

    /// Appends keys in order, then evicts the oldest beyond `max_stored` entries and beyond
    /// [`SessionConfig::MAX_SKIPPED_CHAINS`] chains (RAT-11).
    pub(crate) fn extend(&mut self, keys: Vec<SkippedKey>, max_stored: u32) {
        self.entries.extend(keys);
        let max = usize::try_from(max_stored).unwrap_or(usize::MAX);
        let mut evict = self.entries.len().saturating_sub(max);
        // A chain's entries are next to each other: walking from the newest, the first entry
        // of the (MAX_SKIPPED_CHAINS + 1)-th chain ends the part to keep.
        let mut chains = 0;
        let mut previous: Option<&PublicKey> = None;
        for (index, entry) in self.entries.iter().enumerate().rev() {
            if previous != Some(&entry.ratchet_key) {
                chains += 1;
                if chains > SessionConfig::MAX_SKIPPED_CHAINS {
                    evict = evict.max(index + 1);
                    break;
                }
                previous = Some(&entry.ratchet_key);
            }
        }
        for _ in 0..evict {
            drop(self.entries.pop_front());
        }
    }

    /// Header keys of the stored chains, oldest chain first. A chain's entries are stored
    /// next to each other, so comparing each key with the previous one lists every chain
    /// once in linear time; were a chain ever split, its key would only be tried twice.
    pub(crate) fn header_keys(&self) -> Vec<&HeaderKey> {
        let mut out: Vec<&HeaderKey> = Vec::new();
        for hk in self.entries.iter().filter_map(|e| e.header_key.as_ref()) {
            if out.last() != Some(&hk) {
                out.push(hk);
            }
        }
        out
    }

    pub(crate) fn push_raw(&mut self, key: SkippedKey) {
        self.entries.push_back(key);
    }
}
