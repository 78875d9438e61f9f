//! Persisted session state: an encrypted, versioned "pickle".
//!
//! ```text
//! pickle = 0x01 || salt[16] || AEAD(key, nonce, ad = 0x01, state) || tag[16]
//! key || nonce = HKDF-SHA256(salt = salt, ikm = pickle key, info = PICKLE_KEYS)[0..44]
//! ```
//!
//! The state inside is a fixed layout described in `docs/protocol.md` ("Session pickle");
//! decoding it is strict (PKL-04). Restoring refuses an unknown version (PKL-01), a truncated
//! input (PKL-02), a wrong key or any modified byte (PKL-03) and oversized input (PKL-05).

use core::fmt;

use sotto_crypto::aead::{self, TAG_LEN};
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::labels::PICKLE_KEYS;
use sotto_crypto::x25519::{KeyPair, PublicKey, SecretKey};
use sotto_crypto::{CryptoRng, SecretBytes};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::chain_key::ChainKey;
use crate::header_key::HeaderKey;
use crate::message_key::MessageKey;
use crate::root_key::RootKey;
use crate::session::{Chain, NextHeaderKeys};
use crate::skipped_keys::{SkippedKey, SkippedKeys};
use crate::{PickleError, Session, SessionConfig};

/// Version byte of the pickle format.
pub const PICKLE_VERSION: u8 = 0x01;
/// Length of the per-pickle salt.
pub const PICKLE_SALT_LEN: usize = 16;
/// Largest pickle accepted (32 MiB; the largest legal state is about 10 MiB).
pub const MAX_PICKLE_LEN: usize = 1 << 25;

const FLAG_HEADER_ENCRYPTED: u8 = 0x01;

/// The 32-byte key a caller encrypts pickles under.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PickleKey(SecretBytes<32>);

impl PickleKey {
    /// Wraps the key bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(SecretBytes::new(bytes))
    }

    fn aead_key_and_nonce(&self, salt: &[u8]) -> (SecretBytes<32>, [u8; 12]) {
        let okm = hkdf_sha256::<44>(Some(salt), self.0.expose(), PICKLE_KEYS);
        let mut key = SecretBytes::<32>::zero();
        key.expose_mut().copy_from_slice(&okm.expose()[..32]);
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&okm.expose()[32..]);
        (key, nonce)
    }
}

impl fmt::Debug for PickleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PickleKey(..)")
    }
}

impl Session {
    /// Serializes and encrypts the session under `key`. `rng` supplies the 16-byte salt.
    pub fn pickle<R: CryptoRng + ?Sized>(&self, key: &PickleKey, rng: &mut R) -> Vec<u8> {
        let state = self.encode_state();
        let mut salt = [0u8; PICKLE_SALT_LEN];
        rng.fill_bytes(&mut salt);
        let (aead_key, nonce) = key.aead_key_and_nonce(&salt);
        let mut out = Vec::with_capacity(1 + PICKLE_SALT_LEN + state.len() + TAG_LEN);
        out.push(PICKLE_VERSION);
        out.extend_from_slice(&salt);
        let start = out.len();
        out.extend_from_slice(&state);
        let tag = aead::seal_in_place(&aead_key, &nonce, &[PICKLE_VERSION], &mut out[start..]);
        out.extend_from_slice(&tag);
        out
    }

    /// Decrypts and restores a session pickled under `key`.
    pub fn from_pickle(key: &PickleKey, pickle: &[u8]) -> Result<Self, PickleError> {
        match pickle.first() {
            Some(&PICKLE_VERSION) => {}
            Some(&other) => return Err(PickleError::UnknownVersion(other)),
            None => return Err(PickleError::UnknownVersion(0)),
        }
        if pickle.len() < 1 + PICKLE_SALT_LEN + TAG_LEN {
            return Err(PickleError::Truncated);
        }
        if pickle.len() > MAX_PICKLE_LEN {
            return Err(PickleError::TooLong);
        }
        let (salt, rest) = pickle[1..].split_at(PICKLE_SALT_LEN);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut tag_bytes = [0u8; TAG_LEN];
        tag_bytes.copy_from_slice(tag);
        let (aead_key, nonce) = key.aead_key_and_nonce(salt);
        let mut state = Zeroizing::new(ciphertext.to_vec());
        aead::open_in_place(&aead_key, &nonce, &[PICKLE_VERSION], &mut state, &tag_bytes)
            .map_err(|_| PickleError::WrongKeyOrCorrupted)?;
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
        for _ in 0..count {
            let ratchet_key = PublicKey::from_bytes(r.array::<32>()?);
            let n = r.u32()?;
            let message_key = MessageKey::new(r.secret()?);
            let header_key = if he {
                Some(HeaderKey::new(r.secret()?))
            } else {
                None
            };
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
