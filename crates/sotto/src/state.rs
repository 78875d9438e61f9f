//! The client's own files beside the device store, in the home directory:
//!
//! - `store.db`: the device store ([`sotto_store_sqlite::SqliteBackend`]), every record
//!   encrypted under the store key by the device layer;
//! - `generation`: [`sotto_devices::Device::generation`] after the last call, in decimal: the
//!   platform-kept counter that [`sotto_devices::Device::open_at_least`] checks, so a whole
//!   store put back from an older copy is refused;
//! - `client.state`: what the client keeps besides the device (the relay token, the pinned
//!   trust root, the profile keys, the unacknowledged message ids, prekey bookkeeping), as
//!   JSON sealed with ChaCha20-Poly1305 under `HKDF(salt absent, store key,
//!   labels::CLIENT_STATE)`: `u8(STATE_VERSION) || nonce[12] || ciphertext || tag`, with
//!   `u8(STATE_VERSION) || labels::CLIENT_STATE` as associated data (protocol.md 10.2).
//!
//! Both small files are replaced atomically (written beside, synced, renamed).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sotto_crypto::{SecretBytes, aead, kdf, labels};
use zeroize::Zeroizing;

use crate::error::ClientError;

/// The state file format version, its first byte (protocol.md 10.2).
pub const STATE_VERSION: u8 = 0x01;

/// The shortest state file: the version, the nonce and the tag.
pub const STATE_MIN_LEN: usize = 1 + aead::NONCE_LEN + aead::TAG_LEN;

/// Why a client state file does not open, in the order [`open_state_file`] checks
/// (protocol.md 10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateFileError {
    /// CLI-ST-01: the first byte is not [`STATE_VERSION`] (empty input counts as `0x00`).
    #[error("unknown client state version {0:#04x}")]
    UnknownVersion(u8),
    /// CLI-ST-02: the file is shorter than [`STATE_MIN_LEN`] bytes.
    #[error("client state file truncated")]
    Truncated,
    /// CLI-ST-03: the file does not authenticate under the key derived from the store key.
    #[error("client state file is under another key or corrupt")]
    WrongKeyOrCorrupted,
    /// CLI-ST-04: the plaintext is not the JSON object of protocol.md 10.2 (a field
    /// missing, unknown or of the wrong type, trailing data).
    #[error("client state JSON does not decode")]
    Malformed,
}

/// The state file's key: `HKDF(salt absent, store key, labels::CLIENT_STATE, 32)`.
#[must_use]
pub fn state_key(store_key: &SecretBytes<32>) -> SecretBytes<{ aead::KEY_LEN }> {
    kdf::hkdf_sha256(None, store_key.expose(), labels::CLIENT_STATE)
}

/// The associated data of the state file: `u8(STATE_VERSION) || labels::CLIENT_STATE`.
fn state_ad() -> Vec<u8> {
    let mut ad = vec![STATE_VERSION];
    ad.extend_from_slice(labels::CLIENT_STATE);
    ad
}

/// The state file's bytes for the JSON `json`, sealed under `key` (from [`state_key`]) with
/// `nonce`: `u8(STATE_VERSION) || nonce || AEAD(key, nonce, ad, json)`. The client draws a
/// fresh random nonce for every write.
#[must_use]
pub fn seal_state_file(
    key: &SecretBytes<{ aead::KEY_LEN }>,
    nonce: &[u8; aead::NONCE_LEN],
    json: &[u8],
) -> Vec<u8> {
    let mut out = vec![STATE_VERSION];
    out.extend_from_slice(nonce);
    out.extend_from_slice(&aead::seal(key, nonce, &state_ad(), json));
    out
}

/// Opens a state file under `key` (from [`state_key`]) with the checks of protocol.md 10.2
/// in their order (CLI-ST-01..CLI-ST-04) and returns its JSON, which decodes as the state.
pub fn open_state_file(
    key: &SecretBytes<{ aead::KEY_LEN }>,
    bytes: &[u8],
) -> Result<Zeroizing<Vec<u8>>, StateFileError> {
    let (json, _) = open_state(key, bytes)?;
    Ok(json)
}

fn open_state(
    key: &SecretBytes<{ aead::KEY_LEN }>,
    bytes: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, State), StateFileError> {
    let version = bytes.first().copied().unwrap_or(0);
    if version != STATE_VERSION {
        return Err(StateFileError::UnknownVersion(version));
    }
    if bytes.len() < STATE_MIN_LEN {
        return Err(StateFileError::Truncated);
    }
    let nonce: [u8; aead::NONCE_LEN] = bytes
        .get(1..=aead::NONCE_LEN)
        .and_then(|n| n.try_into().ok())
        .ok_or(StateFileError::Truncated)?;
    let json = Zeroizing::new(
        aead::open(key, &nonce, &state_ad(), &bytes[1 + aead::NONCE_LEN..])
            .map_err(|_| StateFileError::WrongKeyOrCorrupted)?,
    );
    let state = serde_json::from_slice(&json).map_err(|_| StateFileError::Malformed)?;
    Ok((json, state))
}

/// The device store's file name.
pub(crate) const STORE_FILE: &str = "store.db";
/// The generation file's name.
pub(crate) const GENERATION_FILE: &str = "generation";
/// The client state file's name.
pub(crate) const STATE_FILE: &str = "client.state";

/// What the client keeps besides the device store.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct State {
    /// The device token (base64), as the relay answered it at registration.
    pub(crate) token: String,
    /// The own account's profile key (hex); a linked device learns it from a share.
    pub(crate) profile_key: Option<String>,
    /// The pinned trust root (hex).
    pub(crate) trust_root: String,
    /// Peers' profile keys: account (hex) to key (hex).
    pub(crate) peers: BTreeMap<String, String>,
    /// Devices that sent to this device sealed (so they hold this account's profile key).
    pub(crate) sealed_from: BTreeSet<(String, u32)>,
    /// Ids of messages processed (committed to the device store) and not yet acknowledged.
    pub(crate) pending_acks: Vec<i64>,
    /// The highest prekey id uploaded to the relay.
    pub(crate) uploaded_prekey_max: u32,
    /// When the current signed prekey was made (seconds).
    pub(crate) signed_prekey_at: u64,
    /// When the relay's prekey count is checked next (seconds).
    pub(crate) next_prekey_check: u64,
}

/// The client's files in one home directory, and the key of the state file.
pub(crate) struct Files {
    pub(crate) home: PathBuf,
    key: SecretBytes<{ aead::KEY_LEN }>,
}

impl Files {
    pub(crate) fn new(home: &Path, store_key: &SecretBytes<32>) -> Self {
        Self {
            home: home.to_path_buf(),
            key: state_key(store_key),
        }
    }

    pub(crate) fn store_path(&self) -> PathBuf {
        self.home.join(STORE_FILE)
    }

    /// Removes every file a failed registration may have left (the home directory stays).
    pub(crate) fn remove_all(&self) {
        for name in [
            STORE_FILE,
            "store.db-wal",
            "store.db-shm",
            GENERATION_FILE,
            STATE_FILE,
        ] {
            // A file that is not there is what we want.
            drop(std::fs::remove_file(self.home.join(name)));
        }
    }

    pub(crate) fn exists(&self) -> bool {
        self.home.join(STATE_FILE).exists() || self.store_path().exists()
    }

    /// The state file's bytes for `state`: a fresh nonce, then the sealed JSON.
    pub(crate) fn seal_state(&self, state: &State) -> Result<Vec<u8>, ClientError> {
        let json =
            zeroize::Zeroizing::new(serde_json::to_vec(state).map_err(|_| ClientError::State)?);
        let nonce_bytes = SecretBytes::<{ aead::NONCE_LEN }>::random(&mut rand::rng());
        Ok(seal_state_file(&self.key, nonce_bytes.expose(), &json))
    }

    #[cfg(test)]
    fn save_state(&self, state: &State) -> Result<(), ClientError> {
        write_state(&self.home, &self.seal_state(state)?)
    }

    pub(crate) fn load_state(&self) -> Result<State, ClientError> {
        let bytes = match std::fs::read(self.home.join(STATE_FILE)) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ClientError::NotRegistered);
            }
            Err(e) => return Err(e.into()),
        };
        Ok(open_state(&self.key, &bytes)?.1)
    }

    /// The generation kept beside the store (0 if none was written yet).
    pub(crate) fn load_generation(&self) -> Result<u64, ClientError> {
        match std::fs::read_to_string(self.home.join(GENERATION_FILE)) {
            Ok(text) => text.trim().parse().map_err(|_| ClientError::State),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }
}

/// Writes the sealed state file (on the blocking thread).
pub(crate) fn write_state(home: &Path, sealed: &[u8]) -> Result<(), ClientError> {
    replace(&home.join(STATE_FILE), sealed)
}

/// Writes the generation file (called after every device call, on the blocking thread).
pub(crate) fn save_generation(home: &Path, generation: u64) -> Result<(), ClientError> {
    replace(
        &home.join(GENERATION_FILE),
        generation.to_string().as_bytes(),
    )
}

/// Replaces `path` with `bytes` atomically: a file beside it, synced, renamed over it.
fn replace(path: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn state_round_trips_and_refuses_another_key_or_a_flipped_bit() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretBytes::random(&mut rand::rng());
        let files = Files::new(dir.path(), &key);
        assert!(matches!(
            files.load_state(),
            Err(ClientError::NotRegistered)
        ));
        let state = State {
            token: "t".into(),
            pending_acks: vec![3, 4],
            ..State::default()
        };
        files.save_state(&state).unwrap();
        let back = files.load_state().unwrap();
        assert_eq!((back.token.as_str(), back.pending_acks), ("t", vec![3, 4]));
        let other = Files::new(dir.path(), &SecretBytes::random(&mut rand::rng()));
        assert!(matches!(
            other.load_state(),
            Err(ClientError::StateFile(StateFileError::WrongKeyOrCorrupted))
        ));
        let path = dir.path().join(STATE_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            files.load_state(),
            Err(ClientError::StateFile(StateFileError::WrongKeyOrCorrupted))
        ));
    }

    #[test]
    fn state_file_refusals_carry_their_ids_in_order() {
        let key = state_key(&SecretBytes::new([7; 32]));
        let nonce = [9; aead::NONCE_LEN];
        let good = seal_state_file(&key, &nonce, br#"{"token":"t"}"#);
        // CLI-ST-01: empty input, another version (checked before the length).
        assert_eq!(
            open_state_file(&key, &[]).err(),
            Some(StateFileError::UnknownVersion(0))
        );
        let mut v = good.clone();
        v[0] = 2;
        assert_eq!(
            open_state_file(&key, &v).err(),
            Some(StateFileError::UnknownVersion(2))
        );
        // CLI-ST-02: shorter than version, nonce and tag.
        for n in 1..STATE_MIN_LEN {
            assert_eq!(
                open_state_file(&key, &good[..n]).err(),
                Some(StateFileError::Truncated)
            );
        }
        // CLI-ST-03: a flipped bit anywhere after the version, or another key.
        for i in 1..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x80;
            assert_eq!(
                open_state_file(&key, &b).err(),
                Some(StateFileError::WrongKeyOrCorrupted)
            );
        }
        let other = state_key(&SecretBytes::new([8; 32]));
        assert_eq!(
            open_state_file(&other, &good).err(),
            Some(StateFileError::WrongKeyOrCorrupted)
        );
        // CLI-ST-04: authentic bytes that are not the state's JSON.
        for json in [&b"{}"[..], b"not json", br#"{"token":"t","x":1}"#] {
            let bad = seal_state_file(&key, &nonce, json);
            assert_eq!(
                open_state_file(&key, &bad).err(),
                Some(StateFileError::Malformed)
            );
        }
    }

    #[test]
    fn generation_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::new(dir.path(), &SecretBytes::random(&mut rand::rng()));
        assert_eq!(files.load_generation().unwrap(), 0);
        save_generation(dir.path(), 42).unwrap();
        assert_eq!(files.load_generation().unwrap(), 42);
    }
}
