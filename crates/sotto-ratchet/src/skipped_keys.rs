//! MKSKIPPED: message keys of messages not yet received, oldest first.
//!
//! Deletion is real: no operation of the store leaves a copy of a key in memory it no longer
//! uses. The entries live in one `Vec` that is only permuted in place (`rotate_left`) and
//! shortened after the departing entries were zeroized where they lie; when it must grow, the
//! entries move to a new allocation and the old one is zeroized over its whole capacity
//! before it is freed. (A `VecDeque` or `Vec::remove` would shift entries with a memory copy
//! and leave stale copies beyond the new length; plain growth frees the old buffer unwiped.)

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

/// The store: insertion order is age order; when it is over its limit (entries, or chains) the
/// oldest entries are deleted first (RAT-11).
#[derive(Default)]
pub(crate) struct SkippedKeys {
    entries: Vec<SkippedKey>,
}

impl Clone for SkippedKeys {
    fn clone(&self) -> Self {
        let mut entries = Vec::with_capacity(self.entries.len());
        entries.extend(self.entries.iter().cloned());
        Self { entries }
    }
}

impl Drop for SkippedKeys {
    fn drop(&mut self) {
        // The entries wipe themselves; this also wipes the spare capacity.
        self.entries.zeroize();
    }
}

impl SkippedKeys {
    /// An empty store with room for `capacity` entries.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::with_capacity(capacity),
        }
    }

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

    /// Deletes a used key (RAT-12): the entry is rotated to the end (the others keep their
    /// order), zeroized in place and dropped.
    pub(crate) fn remove(&mut self, index: usize) {
        let Some(tail) = self.entries.get_mut(index..) else {
            return;
        };
        if tail.is_empty() {
            return;
        }
        tail.rotate_left(1);
        self.wipe_last(1);
    }

    /// Appends the keys of `keys` in order (emptying it), then deletes the oldest beyond
    /// `max_stored`. Entries that would be deleted at once are never stored. The caller
    /// wipes `keys`' buffer (it is a `Zeroizing` temporary).
    pub(crate) fn extend(&mut self, keys: &mut Vec<SkippedKey>, max_stored: u32) {
        let max = usize::try_from(max_stored).unwrap_or(usize::MAX);
        let excess = (self.entries.len() + keys.len()).saturating_sub(max);
        // Evict the oldest stored entries first, then skip the oldest new ones.
        let evict = excess.min(self.entries.len());
        if evict > 0 {
            self.entries.rotate_left(evict);
            self.wipe_last(evict);
        }
        let skip_new = excess - evict;
        let added = keys.len() - skip_new;
        self.reserve(added, max);
        // Dropped skipped entries wipe themselves; the moved-out bytes left in `keys`'
        // buffer are the caller's to wipe.
        self.entries.extend(keys.drain(..).skip(skip_new));
        self.evict_old_chains();
    }

    /// Keeps the keys of at most [`SessionConfig::MAX_SKIPPED_CHAINS`] chains, deleting the
    /// oldest entries (RAT-11). A chain's entries are next to each other: walking from the
    /// newest, the first entry of the (MAX_SKIPPED_CHAINS + 1)-th chain ends the part to keep.
    fn evict_old_chains(&mut self) {
        let mut chains = 0;
        let mut previous: Option<&PublicKey> = None;
        let mut evict = 0;
        for (index, entry) in self.entries.iter().enumerate().rev() {
            if previous != Some(&entry.ratchet_key) {
                chains += 1;
                if chains > SessionConfig::MAX_SKIPPED_CHAINS {
                    evict = index + 1;
                    break;
                }
                previous = Some(&entry.ratchet_key);
            }
        }
        if evict > 0 {
            self.entries.rotate_left(evict);
            self.wipe_last(evict);
        }
    }

    /// Appends one entry (pickle decoding), growing the store without leaving copies.
    pub(crate) fn push_raw(&mut self, key: SkippedKey) {
        self.reserve(1, usize::MAX);
        self.entries.push(key);
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

    /// Zeroizes the last `count` entries where they lie, then drops them.
    fn wipe_last(&mut self, count: usize) {
        let keep = self.entries.len().saturating_sub(count);
        for entry in &mut self.entries[keep..] {
            entry.zeroize();
        }
        self.entries.truncate(keep);
    }

    /// Makes room for `additional` more entries. Growing moves the entries to a new
    /// allocation (amortised doubling, at most `max` entries when that suffices) and
    /// zeroizes the old one over its whole capacity before freeing it.
    fn reserve(&mut self, additional: usize, max: usize) {
        let needed = self.entries.len().saturating_add(additional);
        if needed <= self.entries.capacity() {
            return;
        }
        let capacity = self
            .entries
            .capacity()
            .saturating_mul(2)
            .max(4)
            .min(max)
            .max(needed);
        let mut grown = Vec::with_capacity(capacity);
        grown.append(&mut self.entries);
        // `append` moved the entries out and left their bytes behind: wipe the old buffer.
        self.entries.zeroize();
        self.entries = grown;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use sotto_crypto::SecretBytes;

    use super::*;

    fn key(n: u32) -> SkippedKey {
        SkippedKey {
            ratchet_key: PublicKey::from_bytes([9; 32]),
            n,
            header_key: None,
            message_key: MessageKey::new(SecretBytes::new([u8::try_from(n).unwrap(); 32])),
        }
    }

    fn numbers(store: &SkippedKeys) -> Vec<u32> {
        store.iter().map(|e| e.n).collect()
    }

    #[test]
    fn order_is_kept_through_remove_evict_and_growth() {
        let mut store = SkippedKeys::default();
        let mut keys: Vec<SkippedKey> = (0..3).map(key).collect();
        store.extend(&mut keys, 5);
        assert!(keys.is_empty());
        assert_eq!(numbers(&store), [0, 1, 2]);
        // Over the limit: the oldest stored go first.
        let mut keys: Vec<SkippedKey> = (3..7).map(key).collect();
        store.extend(&mut keys, 5);
        assert_eq!(numbers(&store), [2, 3, 4, 5, 6]);
        // More new keys than the limit: only the newest are stored.
        let mut keys: Vec<SkippedKey> = (10..18).map(key).collect();
        store.extend(&mut keys, 5);
        assert_eq!(numbers(&store), [13, 14, 15, 16, 17]);
        store.remove(1);
        store.remove(3);
        store.remove(0);
        assert_eq!(numbers(&store), [15, 16]);
        store.remove(7);
        assert_eq!(numbers(&store), [15, 16]);
        let position = store.position(&PublicKey::from_bytes([9; 32]), 16).unwrap();
        assert_eq!(store.get(position).unwrap().message_key.expose(), &[16; 32]);
        // Growth without a limit (pickle decoding) keeps the order too.
        for n in 20..60 {
            store.push_raw(key(n));
        }
        assert_eq!(store.len(), 42);
        assert_eq!(numbers(&store)[..3], [15, 16, 20]);
        assert_eq!(numbers(&store.clone()), numbers(&store));
    }
}
