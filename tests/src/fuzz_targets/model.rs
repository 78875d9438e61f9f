//! A reference model of the Double Ratchet's counters and skipped-key store, without any
//! cryptography: it predicts whether a message must be accepted, must be refused, or (in the
//! one place the specification leaves open) may go either way.
//!
//! A sending chain is named by its sender and an epoch that counts the sender's ratchet key
//! pairs. The initiator sends in epoch 0 from the start; the responder's epoch 0 is its
//! prekey, so its first sending chain is epoch 1. Every DH ratchet step starts the receiver's
//! next epoch.

use std::collections::VecDeque;

use super::two_party::Party;

/// The limits of a session configuration.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most keys one message may make the receiver skip.
    pub(crate) max_skip: u32,
    /// Most skipped keys stored; the oldest are evicted first.
    pub(crate) max_stored: u32,
}

/// Where a message sits in its sender's chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    /// The sender.
    pub(crate) sender: Party,
    /// The sender's epoch (which ratchet key pair).
    pub(crate) epoch: u32,
    /// PN: length of the sender's previous sending chain.
    pub(crate) pn: u32,
    /// N: number in the chain.
    pub(crate) n: u32,
}

/// The model's verdict on delivering a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Must decrypt to its plaintext.
    Accept,
    /// Must fail and leave the receiver unchanged.
    Reject,
    /// A DH step whose two skips are each within `max_skip` but not their sum: whether the
    /// limit applies per chain (the specification) or per message is left to the
    /// implementation. Either outcome is fine; a failure must leave the receiver unchanged.
    Either,
}

/// One party's counters.
#[derive(Debug, Clone)]
pub(crate) struct PartyModel {
    me: Party,
    /// Epoch and Ns of the sending chain; `None` until the responder first receives.
    send: Option<(u32, u32)>,
    /// PN that our next message carries.
    pn: u32,
    /// Epoch and Nr of the receiving chain.
    recv: Option<(u32, u32)>,
    /// Skipped keys of the peer's chains, oldest first: (epoch, n).
    skipped: VecDeque<(u32, u32)>,
    /// Epoch of our next ratchet key pair.
    next_epoch: u32,
}

impl PartyModel {
    pub(crate) fn initiator() -> Self {
        Self {
            me: Party::Alice,
            send: Some((0, 0)),
            pn: 0,
            recv: None,
            skipped: VecDeque::new(),
            next_epoch: 1,
        }
    }

    pub(crate) fn responder() -> Self {
        Self {
            me: Party::Bob,
            send: None,
            pn: 0,
            recv: None,
            skipped: VecDeque::new(),
            next_epoch: 1,
        }
    }

    /// Whether `encrypt` must succeed.
    pub(crate) fn can_send(&self) -> bool {
        self.send.is_some()
    }

    /// Records one sent message; `None` if this party cannot send yet.
    pub(crate) fn send(&mut self) -> Option<Meta> {
        let (epoch, ns) = self.send.as_mut()?;
        let meta = Meta {
            sender: self.me,
            epoch: *epoch,
            pn: self.pn,
            n: *ns,
        };
        *ns += 1;
        Some(meta)
    }

    /// The verdict on receiving `meta` now.
    pub(crate) fn expect(&self, meta: &Meta, limits: Limits) -> Expect {
        if meta.sender == self.me {
            return Expect::Reject; // a reflected message
        }
        if self.skipped.contains(&(meta.epoch, meta.n)) {
            return Expect::Accept;
        }
        match self.recv {
            Some((epoch, nr)) if meta.epoch == epoch => {
                if meta.n < nr || meta.n - nr > limits.max_skip {
                    Expect::Reject
                } else {
                    Expect::Accept
                }
            }
            Some((epoch, _)) if meta.epoch < epoch => Expect::Reject,
            _ => {
                let previous = self.previous_chain_skip(meta);
                if previous > limits.max_skip || meta.n > limits.max_skip {
                    Expect::Reject
                } else if u64::from(previous) + u64::from(meta.n) > u64::from(limits.max_skip) {
                    Expect::Either
                } else {
                    Expect::Accept
                }
            }
        }
    }

    /// Keys left in the current receiving chain that a DH step to `meta`'s chain skips.
    fn previous_chain_skip(&self, meta: &Meta) -> u32 {
        match self.recv {
            Some((epoch, nr)) => {
                assert_eq!(meta.epoch, epoch + 1, "model: a chain was skipped entirely");
                assert!(meta.pn >= nr, "model: PN below Nr");
                meta.pn - nr
            }
            None => 0,
        }
    }

    /// Applies a successful decryption of `meta`.
    pub(crate) fn accept(&mut self, meta: &Meta, limits: Limits) {
        if let Some(i) = self.skipped.iter().position(|k| *k == (meta.epoch, meta.n)) {
            self.skipped.remove(i);
            return;
        }
        match self.recv {
            Some((epoch, nr)) if meta.epoch == epoch => {
                self.skipped.extend((nr..meta.n).map(|n| (epoch, n)));
                self.recv = Some((epoch, meta.n + 1));
            }
            previous => {
                if let Some((epoch, nr)) = previous {
                    self.skipped.extend((nr..meta.pn).map(|n| (epoch, n)));
                }
                self.skipped.extend((0..meta.n).map(|n| (meta.epoch, n)));
                self.recv = Some((meta.epoch, meta.n + 1));
                // DH ratchet step: our next sending chain under a new key pair.
                self.pn = self.send.map_or(0, |(_, ns)| ns);
                self.send = Some((self.next_epoch, 0));
                self.next_epoch += 1;
            }
        }
        let max = usize::try_from(limits.max_stored).unwrap_or(usize::MAX);
        while self.skipped.len() > max {
            self.skipped.pop_front();
        }
    }
}
