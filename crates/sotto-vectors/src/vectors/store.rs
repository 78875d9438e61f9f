//! `docs/vectors/store.json`: the client store of protocol.md 8.6. A store key, the index key
//! and value key it gives, and every record one device (`sotto_devices::Device` over a
//! `MemoryBackend`, seeded randomness) holds after a short scripted conversation: kind, plain
//! key, index, context, plaintext, value, and the pickles embedded in the plaintext. Then
//! record sets `Device::open` refuses as corrupt.

use serde::{Deserialize, Serialize};
use sotto_crypto::SecretBytes;
use sotto_crypto::kdf::{HmacSha256, hkdf_sha256};
use sotto_crypto::labels::STORE_KEYS;
use sotto_devices::safety::Comparison;
use sotto_devices::store::{
    MemoryBackend, RecordBackend, RecordIndex, RecordKind, StoreErrorKind, StoreKeys, Write,
};
use sotto_devices::{
    AccountId, AccountKey, Device, DeviceEntry, DeviceError, DeviceList, SignedDeviceList,
};
use sotto_handshake::{DeviceIdentity, HandshakeConfig, PrekeyPolicy, VerifiedBundle};

use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreVectors {
    /// Free text.
    pub description: String,
    /// The 32-byte store key `SK`.
    pub store_key: String,
    /// `STORE_KEYS` (hex).
    pub label: String,
    /// `IK = okm[0..32]`.
    pub index_key: String,
    /// `VK = okm[32..64]`.
    pub value_key: String,
    /// `DK = okm[64..96]`, the key of the store digest's shares.
    pub digest_key: String,
    /// What the device did before its records were read, in order.
    pub script: Vec<String>,
    /// The device's account id.
    pub account_id: String,
    /// The device's id.
    pub device_id: u32,
    /// Every record the device holds, by kind, then by index.
    pub records: Vec<RecordVector>,
    /// Record sets `Device::open` refuses.
    pub negative: Vec<StoreNegative>,
}

/// A pickle sealed inside a record's plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedPickle {
    /// The slot byte appended to the record's context: 0 for the prekey store, the
    /// session's position (0 = active) for sessions.
    pub slot: u8,
    /// The pickle's context, `context || u8(slot)`.
    pub context: String,
    /// The pickle (`0x17` prekey store, `0x15` session), under `VK`.
    pub pickle: String,
}

/// One record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordVector {
    /// The kind byte (1 device, 2 prekeys, 3 account, 4 sessions).
    pub kind: u8,
    /// The kind's name.
    pub kind_name: String,
    /// The plain key.
    pub plain_key: String,
    /// `HMAC-SHA256(IK, u8(kind) || plain_key)`.
    pub index: String,
    /// `u8(kind) || index`.
    pub context: String,
    /// The record plaintext (the table of 8.6).
    pub plaintext: String,
    /// The salt of the value's envelope, `value[1..17]`.
    pub salt: String,
    /// The value: the `0x1D` envelope of the plaintext under `VK` and `context`.
    pub value: String,
    /// The pickles inside the plaintext, in order (kinds 2 and 4; empty otherwise).
    pub embedded_pickles: Vec<EmbeddedPickle>,
}

/// A change to the record set that makes `Device::open` refuse the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreNegative {
    /// Case number, from 1.
    pub id: usize,
    /// What the change is.
    pub comment: String,
    /// `put` (store `value` at `(kind, index)`, replacing what is there) or `delete`.
    pub operation: String,
    /// The kind byte.
    pub kind: u8,
    /// The index.
    pub index: String,
    /// `put`: the value; `delete`: empty.
    pub value: String,
    /// Always `DeviceError::Store` with kind `Corrupt`.
    pub expected_error: String,
}

/// The name of a kind.
#[must_use]
pub const fn kind_name(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Device => "device",
        RecordKind::Prekeys => "prekeys",
        RecordKind::Account => "account",
        RecordKind::Sessions => "sessions",
        _ => "unknown",
    }
}

/// Opens a device on a `MemoryBackend` holding `records` after `change`: `Ok` with the
/// refusal's description if it is refused as corrupt, else what happened.
pub fn open_refused(
    store_key: &SecretBytes<32>,
    records: &[(RecordKind, RecordIndex, Vec<u8>)],
    change: Option<&Write>,
) -> Result<String, String> {
    let mut backend = MemoryBackend::new();
    let mut batch: Vec<Write> = records
        .iter()
        .map(|(kind, index, value)| Write::Put {
            kind: *kind,
            index: *index,
            value: value.clone(),
        })
        .collect();
    batch.extend(change.cloned());
    backend.apply(&batch).map_err(|e| e.to_string())?;
    match Device::open(backend, store_key, HandshakeConfig::default()) {
        Ok(_) => Err("opened".into()),
        Err(DeviceError::Store(e)) if e.kind() == StoreErrorKind::Corrupt => {
            Ok("DeviceError::Store(Corrupt)".into())
        }
        Err(DeviceError::NoDevice) => Ok("DeviceError::NoDevice".into()),
        Err(e) => Err(format!("{e:?}")),
    }
}

fn fail(step: usize, what: impl core::fmt::Display) -> VectorError {
    script_error(step, what)
}

fn bundle(device: &Device<MemoryBackend>) -> Result<VerifiedBundle, VectorError> {
    device
        .published_prekeys()
        .ok_or_else(|| fail(0, "no published prekeys"))?
        .take_bundle()
        .verify()
        .map_err(|e| fail(0, e))
}

/// The one message of a one-device account's fan-out to `account`'s device 1.
fn message_to(
    fan_outs: &[sotto_devices::FanOut],
    account: AccountId,
) -> Result<Vec<u8>, VectorError> {
    fan_outs
        .iter()
        .find(|f| f.account() == account)
        .and_then(|f| f.message_for(1))
        .map(<[u8]>::to_vec)
        .ok_or_else(|| fail(0, "no message for device 1"))
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(bytes)).ok()
}

/// The session pickles of a sessions record's plaintext (protocol.md 8.6).
fn session_pickles(p: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (&version, rest) = p.get(20..)?.split_first()?;
    let (&n, mut r) = rest.split_first()?;
    if version != 1 {
        return None;
    }
    let mut out = Vec::new();
    for _ in 0..n {
        let (&flags, rest) = r.split_first()?;
        r = rest;
        if flags & 1 != 0 {
            let len = u32_at(r, 0)?;
            r = r.get(4 + len..)?;
        }
        if flags & 2 != 0 {
            r = r.get(64..)?;
        }
        let len = u32_at(r, 0)?;
        out.push(r.get(4..4 + len)?.to_vec());
        r = r.get(4 + len..)?;
    }
    r.is_empty().then_some(out)
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<StoreVectors, VectorError> {
    let mut rng = RecordingRng::new(0x5_70e);
    let now = super::handshake::NOW;
    let config = HandshakeConfig::default();
    let policy = PrekeyPolicy {
        one_time_prekeys: 2,
        replenish_below: 1,
        kem_one_time_prekeys: 1,
        ..PrekeyPolicy::default()
    };
    let store_key = SecretBytes::new([0x78; 32]);
    let create = |key: u8, rng: &mut RecordingRng| {
        Device::create_account(
            MemoryBackend::new(),
            &SecretBytes::new([key; 32]),
            config,
            policy,
            now,
            rng,
        )
        .map_err(|e| fail(0, format!("{e:?}")))
    };
    let mut alice = create(0x78, &mut rng)?;
    let mut bob = create(0x79, &mut rng)?;
    let mut carol = create(0x7a, &mut rng)?;
    let (a, b, c) = (alice.account_id(), bob.account_id(), carol.account_id());
    let step = |n: usize| move |e: DeviceError| fail(n, format!("{e:?}"));
    let mut script = Vec::new();
    script.push(
        "Alice, Bob and Carol each create an account with one device (Device::create_account, \
         one generator for all three, in that order; store keys 0x78, 0x79, 0x7a x 32; prekey \
         policy: 2 one-time prekeys, replenish below 1, 1 one-time ML-KEM prekey, \
         post-quantum offered); the vectors are Alice's store"
            .to_string(),
    );
    for (x, y) in [(a, b), (b, a), (a, c), (c, a)] {
        let list = [&alice, &bob, &carol]
            .into_iter()
            .find(|d| d.account_id() == y)
            .ok_or_else(|| fail(1, "no such device"))?
            .own_list()
            .map_err(step(1))?
            .clone();
        let device = [&mut alice, &mut bob, &mut carol]
            .into_iter()
            .find(|d| d.account_id() == x)
            .ok_or_else(|| fail(1, "no such device"))?;
        let _ = device.observe_list(list, &mut rng).map_err(step(1))?;
    }
    script.push("Alice and Bob, then Alice and Carol, observe each other's lists".into());
    let bob_bundle = bundle(&bob)?;
    let m = message_to(
        &alice
            .encrypt(b, b"hello Bob", &[(b, 1, bob_bundle)], &mut rng)
            .map_err(step(2))?,
        b,
    )?;
    bob.decrypt(a, 1, &m, &mut rng).map_err(step(2))?;
    script.push(
        "Alice sends \"hello Bob\" with Bob's bundle (an initial message); Bob decrypts it".into(),
    );
    let m = message_to(
        &bob.encrypt(a, b"hi Alice", &[], &mut rng)
            .map_err(step(3))?,
        a,
    )?;
    alice.decrypt(b, 1, &m, &mut rng).map_err(step(3))?;
    script.push("Bob replies \"hi Alice\" (a ratchet message); Alice decrypts it".into());
    let bob_key = *bob.account(b).ok_or_else(|| fail(4, "bob"))?.pinned_key();
    alice
        .mark_verified(b, &bob_key, Comparison::Match, &mut rng)
        .map_err(step(4))?;
    script.push("Alice marks Bob verified (a safety-number Match for his pinned key)".into());
    let carol_bundle = bundle(&carol)?;
    let _ = alice
        .encrypt(c, b"hello Carol", &[(c, 1, carol_bundle)], &mut rng)
        .map_err(step(5))?;
    script.push(
        "Alice sends \"hello Carol\" with Carol's bundle; it is never delivered (the session \
         keeps its setup to re-attach)"
            .into(),
    );
    let alice_bundle = bundle(&alice)?;
    let m = message_to(
        &carol
            .encrypt(a, b"hello Alice", &[(a, 1, alice_bundle)], &mut rng)
            .map_err(step(6))?,
        a,
    )?;
    alice.decrypt(c, 1, &m, &mut rng).map_err(step(6))?;
    script.push(
        "Carol, not having received it, sends \"hello Alice\" with Alice's bundle; Alice \
         decrypts it: a new active session (with its setup base), the one Alice initiated \
         archived"
            .into(),
    );
    let dave_key = AccountKey::generate(&mut rng);
    let dave = AccountId::generate(&mut rng);
    let dave_device = DeviceIdentity::generate(&mut rng).public();
    let dave_list = |key: &AccountKey| -> Result<SignedDeviceList, VectorError> {
        Ok(
            DeviceList::new(dave, 1, now, vec![DeviceEntry::new(1, dave_device)])
                .map_err(|e| fail(7, e))?
                .sign(key),
        )
    };
    let _ = alice
        .observe_list(dave_list(&dave_key)?, &mut rng)
        .map_err(step(7))?;
    let impostor = AccountKey::generate(&mut rng);
    let _ = alice
        .observe_list(dave_list(&impostor)?, &mut rng)
        .map_err(step(7))?;
    script.push(
        "Dave's list (his account key, account id and device drawn after that) is observed, \
         then a list of Dave's account signed by another key: a pending key change"
            .into(),
    );

    // The records.
    let okm = hkdf_sha256::<96>(None, store_key.expose(), STORE_KEYS);
    let (ik, rest) = okm.expose().split_at(32);
    let (vk, dk) = rest.split_at(32);
    let hmac = HmacSha256::new(ik);
    let keys = StoreKeys::derive(&store_key);
    let backend = alice.backend();
    let mut records = Vec::new();
    let mut raw = Vec::new();
    for kind in RecordKind::ALL {
        for (index, value) in backend.scan(kind).map_err(|e| fail(8, e))? {
            let plaintext = keys.open(kind, &index, &value).map_err(|e| fail(8, e))?;
            let plain_key = match kind {
                RecordKind::Account => plaintext.get(2..18),
                RecordKind::Sessions => plaintext.get(..20),
                _ => Some(&[][..]),
            }
            .ok_or_else(|| fail(8, "short plaintext"))?
            .to_vec();
            let mut input = vec![kind.to_byte()];
            input.extend_from_slice(&plain_key);
            if hmac.mac(&input).expose() != index.as_bytes()
                || keys.index(kind, &plain_key) != index
            {
                return Err(fail(8, "index is not HMAC(IK, kind || plain key)"));
            }
            let context = StoreKeys::context(kind, &index).to_vec();
            let slot_context = |slot: u8| {
                let mut c = context.clone();
                c.push(slot);
                c
            };
            let embedded_pickles = match kind {
                RecordKind::Prekeys => vec![(0u8, plaintext.to_vec())],
                RecordKind::Sessions => session_pickles(&plaintext)
                    .ok_or_else(|| fail(8, "sessions record does not parse"))?
                    .into_iter()
                    .enumerate()
                    .map(|(i, p)| (u8::try_from(i).unwrap_or(u8::MAX), p))
                    .collect(),
                _ => Vec::new(),
            }
            .into_iter()
            .map(|(slot, pickle)| EmbeddedPickle {
                slot,
                context: h(&slot_context(slot)),
                pickle: h(&pickle),
            })
            .collect();
            records.push(RecordVector {
                kind: kind.to_byte(),
                kind_name: kind_name(kind).into(),
                plain_key: h(&plain_key),
                index: h(index.as_bytes()),
                context: h(&context),
                plaintext: h(&plaintext),
                salt: h(value.get(1..17).unwrap_or_default()),
                value: h(&value),
                embedded_pickles,
            });
            raw.push((kind, index, value));
        }
    }
    open_refused(&store_key, &raw, None)
        .err()
        .filter(|e| e == "opened")
        .ok_or_else(|| fail(9, "the record set does not open"))?;

    // Negative cases.
    let find = |kind: RecordKind, plain_key: &[u8]| {
        let index = keys.index(kind, plain_key);
        raw.iter()
            .find(|(k, i, _)| *k == kind && *i == index)
            .map(|(_, i, v)| (*i, v.clone()))
            .ok_or_else(|| fail(10, "record not found"))
    };
    let open = |kind: RecordKind, index: &RecordIndex, value: &[u8]| {
        keys.open(kind, index, value)
            .map(|p| p.to_vec())
            .map_err(|e| fail(10, e))
    };
    let (device_index, device_value) = find(RecordKind::Device, &[])?;
    let (bob_index, bob_value) = find(RecordKind::Account, &b.to_bytes())?;
    let (carol_index, _) = find(RecordKind::Account, &c.to_bytes())?;
    let (own_index, _) = find(RecordKind::Account, &a.to_bytes())?;
    let mut sessions_key = c.to_bytes().to_vec();
    sessions_key.extend_from_slice(&1u32.to_be_bytes());
    let (sessions_index, sessions_value) = find(RecordKind::Sessions, &sessions_key)?;
    let device_plain = open(RecordKind::Device, &device_index, &device_value)?;
    let bob_plain = open(RecordKind::Account, &bob_index, &bob_value)?;
    let sessions_plain = open(RecordKind::Sessions, &sessions_index, &sessions_value)?;
    let mut put = |kind: RecordKind, index: RecordIndex, plaintext: &[u8]| Write::Put {
        kind,
        index,
        value: keys
            .seal(kind, &index, plaintext, &mut rng)
            .unwrap_or_default(),
    };
    let changed = |mut p: Vec<u8>, f: &dyn Fn(&mut Vec<u8>)| {
        f(&mut p);
        p
    };
    let cases: Vec<(&str, Write)> = vec![
        (
            "Bob's account value moved to Carol's account index (it does not open under \
             Carol's context)",
            Write::Put {
                kind: RecordKind::Account,
                index: carol_index,
                value: bob_value.clone(),
            },
        ),
        (
            "the Carol sessions value moved to the account kind at the same index (it does not \
             open under context 0x03 || index)",
            Write::Put {
                kind: RecordKind::Account,
                index: sessions_index,
                value: sessions_value.clone(),
            },
        ),
        (
            "Bob's account plaintext sealed for Carol's index: it opens, but its plain key \
             (Bob's account id) does not give the index",
            put(RecordKind::Account, carol_index, &bob_plain),
        ),
        (
            "the device record with the unknown flag bit 2 set (flags 0x05)",
            put(
                RecordKind::Device,
                device_index,
                &changed(device_plain.clone(), &|p| p[21] |= 0x04),
            ),
        ),
        (
            "Bob's account record with the unknown flag bit 3 set",
            put(
                RecordKind::Account,
                bob_index,
                &changed(bob_plain.clone(), &|p| p[1] |= 0x08),
            ),
        ),
        (
            "the Carol sessions record with the unknown flag bit 2 set on its first session",
            put(
                RecordKind::Sessions,
                sessions_index,
                &changed(sessions_plain.clone(), &|p| p[22] |= 0x04),
            ),
        ),
        (
            "the device record with one trailing zero byte",
            put(
                RecordKind::Device,
                device_index,
                &changed(device_plain.clone(), &|p| p.push(0)),
            ),
        ),
        (
            "Bob's account record with one trailing zero byte",
            put(
                RecordKind::Account,
                bob_index,
                &changed(bob_plain.clone(), &|p| p.push(0)),
            ),
        ),
        (
            "the Carol sessions record with one trailing zero byte",
            put(
                RecordKind::Sessions,
                sessions_index,
                &changed(sessions_plain.clone(), &|p| p.push(0)),
            ),
        ),
        (
            "Bob's account record with version byte 0x02",
            put(
                RecordKind::Account,
                bob_index,
                &changed(bob_plain.clone(), &|p| p[0] = 2),
            ),
        ),
        (
            "the Carol sessions record claiming 6 sessions (at most 5)",
            put(
                RecordKind::Sessions,
                sessions_index,
                &changed(sessions_plain.clone(), &|p| p[21] = 6),
            ),
        ),
        (
            "the Carol sessions record claiming 0 sessions (an empty record is never written)",
            put(
                RecordKind::Sessions,
                sessions_index,
                &changed(sessions_plain.clone(), &|p| {
                    p[21] = 0;
                    p.truncate(22);
                }),
            ),
        ),
        (
            "a second device record (the device plaintext sealed for kind 1 at Bob's account \
             index: kinds 1 and 2 hold exactly one record)",
            put(RecordKind::Device, bob_index, &device_plain),
        ),
        (
            "Carol's account record deleted (the device would forget her pinned key: refused by \
             the store digest)",
            Write::Delete {
                kind: RecordKind::Account,
                index: carol_index,
            },
        ),
        (
            "the own account record deleted",
            Write::Delete {
                kind: RecordKind::Account,
                index: own_index,
            },
        ),
        (
            "the device record deleted",
            Write::Delete {
                kind: RecordKind::Device,
                index: device_index,
            },
        ),
    ];
    let mut negative = Vec::new();
    for (i, (comment, write)) in cases.into_iter().enumerate() {
        let expected = open_refused(&store_key, &raw, Some(&write))
            .map_err(|e| fail(11 + i, format!("{comment}: {e}")))?;
        let (operation, kind, index, value) = match &write {
            Write::Put { kind, index, value } => ("put", kind, index, h(value)),
            Write::Delete { kind, index } => ("delete", kind, index, String::new()),
        };
        negative.push(StoreNegative {
            id: i + 1,
            comment: comment.into(),
            operation: operation.into(),
            kind: kind.to_byte(),
            index: h(index.as_bytes()),
            value,
            expected_error: expected,
        });
    }
    Ok(StoreVectors {
        description: "Sotto/1 client store (docs/protocol.md 8.6): the keys a store key gives, \
                      every record of one device after the script, with its plaintext and the \
                      pickles inside it; then changes to the record set that Device::open \
                      refuses as corrupt (no validation IDs; the error names are this \
                      implementation's)."
            .into(),
        store_key: h(store_key.expose()),
        label: h(STORE_KEYS),
        index_key: h(ik),
        value_key: h(vk),
        digest_key: h(dk),
        script,
        account_id: h(&a.to_bytes()),
        device_id: alice.device_id(),
        records,
        negative,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
