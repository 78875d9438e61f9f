//! Persisted session state: an encrypted, versioned "pickle" bound to its type and to a
//! caller-supplied context.
//!
//! ```text
//! pickle = 0x15 || salt[16] || AEAD(key, nonce, ad, state) || tag[16]
//! key || nonce = HKDF-SHA256(salt = salt, ikm = pickle key, info = PICKLE_KEYS)[0..44]
//! ad = 0x15 || u16be(len(context)) || context
//! ```
//!
//! The envelope is [`sotto_crypto::pickle`]'s; the state inside is a fixed layout described in
//! `docs/protocol.md` (section 4, "Pickles"); decoding it is strict (PKL-04). Restoring refuses
//! another object's tag (PKL-01), a truncated input (PKL-02), a wrong key, a wrong context or
//! any modified byte (PKL-03), oversized input (PKL-05) and an oversized context (PKL-06).
//!
//! A session pickle holds chain state: restoring an older one replays message keys, and so
//! nonces, that were already used. The context is where a caller prevents that: bind it to
//! the session's owner and peer and to a generation counter kept outside the pickle (see
//! protocol.md section 4.1).

use sotto_crypto::pickle::{self as envelope, PickleKey};
use sotto_crypto::x25519::{KeyPair, PublicKey, SecretKey};
use sotto_crypto::{CryptoRng, SecretBytes};
use zeroize::Zeroizing;

use crate::chain_key::ChainKey;
use crate::header_key::HeaderKey;
use crate::message_key::MessageKey;
use crate::root_key::RootKey;
use crate::session::{Chain, NextHeaderKeys};
use crate::skipped_keys::{SkippedKey, SkippedKeys};
use crate::{PickleError, Session, SessionConfig};

/// Type tag (first byte) of a session pickle.
pub const PICKLE_VERSION: u8 = sotto_crypto::wire::SESSION_PICKLE;
/// Length of the per-pickle salt.
pub const PICKLE_SALT_LEN: usize = envelope::SALT_LEN;
/// Largest pickle accepted (32 MiB; the largest legal state is about 10 MiB).
pub const MAX_PICKLE_LEN: usize = 1 << 25;

const FLAG_HEADER_ENCRYPTED: u8 = 0x01;

impl Session {
    /// Serializes and encrypts the session under `key`, bound to `context` (at most 65535
    /// bytes; PKL-06 otherwise). `rng` supplies the 16-byte salt.
    pub fn pickle<R: CryptoRng + ?Sized>(
        &self,
        key: &PickleKey,
        context: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, PickleError> {
        let state = self.encode_state();
        Ok(envelope::seal(PICKLE_VERSION, key, context, &state, rng)?)
    }

    /// Decrypts and restores a session pickled under `key` with the same `context`.
    pub fn from_pickle(
        key: &PickleKey,
        context: &[u8],
        pickle: &[u8],
    ) -> Result<Self, PickleError> {
        let state = envelope::open(PICKLE_VERSION, key, context, pickle, MAX_PICKLE_LEN)?;
        Self::decode_state(&state)
    }

    /// The plaintext state layout (see `docs/protocol.md`).
    pub(crate) fn encode_state(&self) -> Zeroizing<Vec<u8>> {
        let he = self.config.is_header_encrypted();
        // Exactly the state's length: the buffer never reallocates, so no unwiped copy of a
        // secret is freed; `Zeroizing` wipes it when it is dropped.
        let mut w = Zeroizing::new(Vec::with_capacity(self.state_len()));
        w.push(if he { FLAG_HEADER_ENCRYPTED } else { 0 });
        w.extend_from_slice(&self.config.max_skip().to_be_bytes());
        w.extend_from_slice(&self.config.max_stored_skipped().to_be_bytes());
        w.extend_from_slice(&self.ad_prefix);
        w.extend_from_slice(self.root_key.expose());
        w.extend_from_slice(self.our_ratchet.secret_key().expose());
        w.extend_from_slice(&self.previous_chain_length.to_be_bytes());
        write_chain(&mut w, self.sending.as_ref(), he);
        match &self.peer_ratchet_key {
            Some(key) => {
                w.push(1);
                w.extend_from_slice(key.as_bytes());
            }
            None => w.push(0),
        }
        write_chain(&mut w, self.receiving.as_ref(), he);
        if let Some(next) = &self.next_header_keys {
            w.extend_from_slice(next.sending.expose());
            w.extend_from_slice(next.receiving.expose());
        }
        let count = u32::try_from(self.skipped.len()).unwrap_or(u32::MAX);
        w.extend_from_slice(&count.to_be_bytes());
        for entry in self.skipped.iter() {
            w.extend_from_slice(entry.ratchet_key.as_bytes());
            w.extend_from_slice(&entry.n.to_be_bytes());
            w.extend_from_slice(entry.message_key.expose());
            if let Some(hk) = &entry.header_key {
                w.extend_from_slice(hk.expose());
            }
        }
        debug_assert_eq!(w.len(), w.capacity(), "state_len matches encode_state");
        w
    }

    /// The length of [`Session::encode_state`]'s output.
    fn state_len(&self) -> usize {
        let he = self.config.is_header_encrypted();
        let chain_len = |chain: Option<&Chain>| match chain {
            None => 1,
            Some(c) => 1 + 32 + 4 + if he && c.header_key.is_some() { 32 } else { 0 },
        };
        let skipped: usize = self
            .skipped
            .iter()
            .map(|e| 32 + 4 + 32 + if e.header_key.is_some() { 32 } else { 0 })
            .sum();
        1 + 4
            + 4
            + self.ad_prefix.len()
            + 32
            + 32
            + 4
            + chain_len(self.sending.as_ref())
            + if self.peer_ratchet_key.is_some() {
                33
            } else {
                1
            }
            + chain_len(self.receiving.as_ref())
            + if self.next_header_keys.is_some() {
                64
            } else {
                0
            }
            + 4
            + skipped
    }

    pub(crate) fn decode_state(state: &[u8]) -> Result<Self, PickleError> {
        let mut r = Reader { rest: state };
        let he = match r.u8()? {
            0 => false,
            FLAG_HEADER_ENCRYPTED => true,
            _ => return Err(PickleError::Malformed),
        };
        let max_skip = r.u32()?;
        let max_stored = r.u32()?;
        if max_skip > SessionConfig::LIMIT_CEILING || max_stored > SessionConfig::LIMIT_CEILING {
            return Err(PickleError::Malformed);
        }
        let base = if he {
            SessionConfig::header_encrypted()
        } else {
            SessionConfig::standard()
        };
        let config = base
            .with_max_skip(max_skip)
            .with_max_stored_skipped(max_stored);
        let ad_len = usize::from(u16::from_be_bytes(r.array::<2>()?));
        let ad = r.take(ad_len)?;
        let mut ad_prefix = Vec::with_capacity(2 + ad_len);
        ad_prefix.extend_from_slice(
            &u16::try_from(ad_len)
                .map_err(|_| PickleError::Malformed)?
                .to_be_bytes(),
        );
        ad_prefix.extend_from_slice(ad);
        let root_key = RootKey::new(r.secret()?);
        let our_ratchet = KeyPair::from_secret(SecretKey::from_bytes(r.secret()?));
        let previous_chain_length = r.u32()?;
        let sending = read_chain(&mut r, he)?;
        let peer_ratchet_key = match r.u8()? {
            0 => None,
            1 => Some(PublicKey::from_bytes(r.array::<32>()?)),
            _ => return Err(PickleError::Malformed),
        };
        let receiving = read_chain(&mut r, he)?;
        if (receiving.is_some() || sending.is_some()) && peer_ratchet_key.is_none() {
            return Err(PickleError::Malformed);
        }
        let next_header_keys = if he {
            Some(NextHeaderKeys {
                sending: HeaderKey::new(r.secret()?),
                receiving: HeaderKey::new(r.secret()?),
            })
        } else {
            None
        };
        let count = r.u32()?;
        if count > max_stored {
            return Err(PickleError::Malformed);
        }
        // Room for every entry the remaining bytes can hold, so the store does not grow.
        let entry_len = if he { 100 } else { 68 };
        let count_usize = usize::try_from(count).unwrap_or(usize::MAX);
        let mut skipped = SkippedKeys::with_capacity(count_usize.min(r.rest.len() / entry_len));
        // The invariants the store keeps (RAT-11, RAT-07): a chain's entries are next to each
        // other, with increasing message numbers and one header key; at most
        // MAX_SKIPPED_CHAINS chains.
        let mut chains: Vec<PublicKey> = Vec::new();
        let mut previous: Option<(PublicKey, u32)> = None;
        for _ in 0..count {
            let ratchet_key = PublicKey::from_bytes(r.array::<32>()?);
            let n = r.u32()?;
            let message_key = MessageKey::new(r.secret()?);
            let header_key = if he {
                Some(HeaderKey::new(r.secret()?))
            } else {
                None
            };
            match previous {
                Some((key, last_n)) if key == ratchet_key => {
                    let same_header_key = skipped
                        .iter()
                        .last()
                        .is_some_and(|e| e.header_key == header_key);
                    if n <= last_n || !same_header_key {
                        return Err(PickleError::Malformed);
                    }
                }
                _ => {
                    if chains.contains(&ratchet_key)
                        || chains.len() == SessionConfig::MAX_SKIPPED_CHAINS
                    {
                        return Err(PickleError::Malformed);
                    }
                    chains.push(ratchet_key);
                }
            }
            previous = Some((ratchet_key, n));
            skipped.push_raw(SkippedKey {
                ratchet_key,
                n,
                header_key,
                message_key,
            });
        }
        if !r.rest.is_empty() {
            return Err(PickleError::Malformed);
        }
        Ok(Session {
            config,
            ad_prefix,
            root_key,
            our_ratchet,
            previous_chain_length,
            sending,
            peer_ratchet_key,
            receiving,
            next_header_keys,
            skipped,
        })
    }
}

fn write_chain(w: &mut Vec<u8>, chain: Option<&Chain>, he: bool) {
    let Some(chain) = chain else {
        w.push(0);
        return;
    };
    w.push(1);
    w.extend_from_slice(chain.chain_key.expose());
    w.extend_from_slice(&chain.n.to_be_bytes());
    if he && let Some(hk) = &chain.header_key {
        w.extend_from_slice(hk.expose());
    }
}

fn read_chain(r: &mut Reader<'_>, he: bool) -> Result<Option<Chain>, PickleError> {
    match r.u8()? {
        0 => Ok(None),
        1 => {
            let chain_key = ChainKey::new(r.secret()?);
            let n = r.u32()?;
            let header_key = if he {
                Some(HeaderKey::new(r.secret()?))
            } else {
                None
            };
            Ok(Some(Chain {
                chain_key,
                n,
                header_key,
            }))
        }
        _ => Err(PickleError::Malformed),
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        if self.rest.len() < n {
            return Err(PickleError::Malformed);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn secret(&mut self) -> Result<SecretBytes<32>, PickleError> {
        SecretBytes::from_slice(self.take(32)?).ok_or(PickleError::Malformed)
    }

    fn u8(&mut self) -> Result<u8, PickleError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, PickleError> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }
}
