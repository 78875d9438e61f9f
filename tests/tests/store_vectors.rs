//! docs/vectors/store.json against docs/protocol.md 8.6: the index key and value key derive
//! from the store key; every record's index is `HMAC-SHA256(IK, kind || plain key)`, its value
//! opens under `VK` with its context, re-seals with its own salt to the same bytes, and its
//! plaintext parses as the table of 8.6 says (a parser written here from the document); the
//! pickles inside open and re-seal the same way; `Device::open` accepts exactly these records
//! and refuses every negative change as corrupt.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sotto_crypto::SecretBytes;
use sotto_crypto::kdf::{hkdf_sha256, hmac_sha256};
use sotto_crypto::pickle::{self, PickleKey};
use sotto_devices::store::{
    MemoryBackend, RecordBackend, RecordIndex, RecordKind, StoreErrorKind, Write,
};
use sotto_devices::{AccountId, Device, DeviceError, SignedDeviceList};
use sotto_handshake::{HandshakeConfig, InitialMessage};
use sotto_vectors::rng::ScriptedRng;
use sotto_vectors::vectors::store::{RecordVector, StoreNegative, StoreVectors, generate};

fn load() -> StoreVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/store.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

type Check<T> = Result<T, String>;

fn unhex(s: &str) -> Check<Vec<u8>> {
    hex::decode(s).map_err(|e| e.to_string())
}

const STORE_RECORD: u8 = 0x1D;
const SESSION_PICKLE: u8 = 0x15;
const PREKEY_STORE_PICKLE: u8 = 0x17;
/// Larger than any value here; the envelope's own limit is not what this test checks.
const MAX: usize = 1 << 26;

/// `IK`, `VK` from `SK` (8.6).
fn keys(v: &StoreVectors) -> Check<([u8; 32], [u8; 32])> {
    let okm = hkdf_sha256::<96>(None, &unhex(&v.store_key)?, b"Sotto/1 store keys");
    let mut ik = [0u8; 32];
    let mut vk = [0u8; 32];
    ik.copy_from_slice(&okm.expose()[..32]);
    vk.copy_from_slice(&okm.expose()[32..64]);
    Ok((ik, vk))
}

/// `DK = okm[64..96]`.
fn digest_key(v: &StoreVectors) -> Check<[u8; 32]> {
    let okm = hkdf_sha256::<96>(None, &unhex(&v.store_key)?, b"Sotto/1 store keys");
    let mut dk = [0u8; 32];
    dk.copy_from_slice(&okm.expose()[64..]);
    Ok(dk)
}

/// The XOR of HMAC-SHA256(DK, u8(kind) || index || value) over every record but the device
/// record, written from 8.6.
fn store_digest(v: &StoreVectors, records: &[(u8, Vec<u8>, Vec<u8>)]) -> Check<[u8; 32]> {
    let dk = digest_key(v)?;
    let mut digest = [0u8; 32];
    for (kind, index, value) in records.iter().filter(|(k, _, _)| *k != 1) {
        let mut input = vec![*kind];
        input.extend_from_slice(index);
        input.extend_from_slice(value);
        let share = sotto_crypto::kdf::hmac_sha256(&dk, &input);
        for (d, s) in digest.iter_mut().zip(share.expose()) {
            *d ^= s;
        }
    }
    Ok(digest)
}

/// Opens a pickle of type `tag` and seals its state again with the pickle's own salt: the
/// envelope is deterministic given the salt, so the bytes must be the same.
fn open_and_reseal(tag: u8, vk: &[u8; 32], context: &[u8], sealed: &[u8]) -> Check<Vec<u8>> {
    let key = PickleKey::new(*vk);
    let state = pickle::open(tag, &key, context, sealed, MAX).map_err(|e| format!("{e:?}"))?;
    let salt = sealed.get(1..17).ok_or("no salt")?.to_vec();
    let mut rng = ScriptedRng::new(vec![salt]);
    let again = pickle::seal(tag, &key, context, &state, &mut rng).map_err(|e| format!("{e:?}"))?;
    if again != sealed {
        return Err("re-sealing with the same salt gives other bytes".into());
    }
    Ok(state.to_vec())
}

/// A cursor over a plaintext.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Check<&'a [u8]> {
        if self.0.len() < n {
            return Err(format!("{n} bytes beyond the record"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn byte(&mut self) -> Check<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Check<usize> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn u32(&mut self) -> Check<usize> {
        let b = self.take(4)?;
        Ok(usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).unwrap())
    }
    fn end(&self) -> Check<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err("trailing bytes".into())
        }
    }
}

/// What a record's plaintext gives: its plain key and the pickles inside it with their type
/// tags, each with its slot.
struct Parsed {
    plain_key: Vec<u8>,
    pickles: Vec<(u8, u8, Vec<u8>)>,
}

/// The table of 8.6.
fn parse(kind: u8, p: &[u8]) -> Check<Parsed> {
    let mut r = Reader(p);
    let mut pickles = Vec::new();
    let plain_key = match kind {
        1 => {
            if r.byte()? != 1 {
                return Err("device record version".into());
            }
            r.take(16)?;
            r.take(4)?;
            let flags = r.byte()?;
            if flags & !0b11 != 0 {
                return Err("device record flags".into());
            }
            if flags & 1 != 0 {
                r.take(32)?;
            }
            r.take(8)?; // generation
            r.take(32)?; // store digest
            Vec::new()
        }
        2 => {
            if p.first() != Some(&PREKEY_STORE_PICKLE) {
                return Err("prekeys record is not a 0x17 pickle".into());
            }
            pickles.push((0, PREKEY_STORE_PICKLE, p.to_vec()));
            r.take(p.len())?;
            Vec::new()
        }
        3 => {
            if r.byte()? != 1 {
                return Err("account record version".into());
            }
            let flags = r.byte()?;
            if flags & !0b1111 != 0 || (flags & 8 != 0 && flags & 2 != 0) {
                return Err("account record flags".into());
            }
            let account = r.take(16)?.to_vec();
            let pinned = r.take(32)?.to_vec();
            for (bit, pinned_signs) in [(2, true), (4, false)] {
                if flags & bit != 0 {
                    let len = r.u16()?;
                    let list =
                        SignedDeviceList::from_bytes(r.take(len)?).map_err(|e| format!("{e:?}"))?;
                    if list.list().account_id().to_bytes().as_slice() != account.as_slice() {
                        return Err("list of another account".into());
                    }
                    if (list.account_key().to_bytes().as_slice() == pinned.as_slice())
                        != pinned_signs
                    {
                        return Err(
                            "held list not under the pinned key, or pending under it".into()
                        );
                    }
                }
            }
            if flags & 8 != 0 && u64::from_be_bytes(r.take(8)?.try_into().unwrap()) == 0 {
                return Err("a version floor of 0 is never written".into());
            }
            account
        }
        4 => {
            let plain_key = r.take(20)?.to_vec();
            if r.byte()? != 1 {
                return Err("sessions record version".into());
            }
            let n = r.byte()?;
            if n > 5 {
                return Err("more than 5 sessions".into());
            }
            for slot in 0..n {
                let flags = r.byte()?;
                if flags & !0b11 != 0 {
                    return Err("session flags".into());
                }
                if flags & 1 != 0 {
                    let len = r.u32()?;
                    InitialMessage::from_bytes(r.take(len)?).map_err(|e| format!("{e:?}"))?;
                }
                if flags & 2 != 0 {
                    r.take(64)?;
                }
                let len = r.u32()?;
                pickles.push((slot, SESSION_PICKLE, r.take(len)?.to_vec()));
            }
            plain_key
        }
        other => return Err(format!("kind {other}")),
    };
    r.end()?;
    Ok(Parsed { plain_key, pickles })
}

fn check_record(v: &StoreVectors, record: &RecordVector) -> Check<()> {
    let (ik, vk) = keys(v)?;
    let plain_key = unhex(&record.plain_key)?;
    let index = unhex(&record.index)?;
    let mut input = vec![record.kind];
    input.extend_from_slice(&plain_key);
    if hmac_sha256(&ik, &input).expose().as_slice() != index.as_slice() {
        return Err("index is not HMAC-SHA256(IK, kind || plain key)".into());
    }
    let mut context = vec![record.kind];
    context.extend_from_slice(&index);
    if unhex(&record.context)? != context {
        return Err("context is not kind || index".into());
    }
    let value = unhex(&record.value)?;
    if value.get(1..17) != Some(unhex(&record.salt)?.as_slice()) {
        return Err("salt is not value[1..17]".into());
    }
    let plaintext = open_and_reseal(STORE_RECORD, &vk, &context, &value)?;
    if plaintext != unhex(&record.plaintext)? {
        return Err("the value does not open to the plaintext".into());
    }
    let parsed = parse(record.kind, &plaintext)?;
    if parsed.plain_key != plain_key {
        return Err("the plaintext's plain key differs".into());
    }
    if parsed.pickles.len() != record.embedded_pickles.len() {
        return Err("embedded pickle count".into());
    }
    for ((slot, tag, sealed), listed) in parsed.pickles.iter().zip(&record.embedded_pickles) {
        let mut c = context.clone();
        c.push(*slot);
        if listed.slot != *slot || unhex(&listed.context)? != c || unhex(&listed.pickle)? != *sealed
        {
            return Err(format!("embedded pickle {slot}"));
        }
        open_and_reseal(*tag, &vk, &c, sealed)?;
    }
    Ok(())
}

fn kind(byte: u8) -> RecordKind {
    RecordKind::from_byte(byte).unwrap()
}

fn index(s: &str) -> RecordIndex {
    RecordIndex::from_bytes(unhex(s).unwrap().try_into().unwrap())
}

fn backend(v: &StoreVectors, change: Option<&StoreNegative>) -> MemoryBackend {
    let mut batch: Vec<Write> = v
        .records
        .iter()
        .map(|r| Write::Put {
            kind: kind(r.kind),
            index: index(&r.index),
            value: unhex(&r.value).unwrap(),
        })
        .collect();
    if let Some(n) = change {
        batch.push(match n.operation.as_str() {
            "put" => Write::Put {
                kind: kind(n.kind),
                index: index(&n.index),
                value: unhex(&n.value).unwrap(),
            },
            "delete" => Write::Delete {
                kind: kind(n.kind),
                index: index(&n.index),
            },
            other => panic!("operation {other}"),
        });
    }
    let mut b = MemoryBackend::new();
    b.apply(&batch).unwrap();
    b
}

fn store_key(v: &StoreVectors) -> SecretBytes<32> {
    SecretBytes::new(unhex(&v.store_key).unwrap().try_into().unwrap())
}

fn open(v: &StoreVectors, b: MemoryBackend) -> Result<Device<MemoryBackend>, DeviceError> {
    Device::open(b, &store_key(v), HandshakeConfig::default())
}

#[test]
fn the_keys_derive_from_the_store_key() {
    let v = load();
    assert_eq!(v.label, hex::encode(b"Sotto/1 store keys"));
    assert_eq!(v.label, hex::encode(sotto_crypto::labels::STORE_KEYS));
    let (ik, vk) = keys(&v).unwrap();
    assert_eq!(hex::encode(ik), v.index_key);
    assert_eq!(hex::encode(vk), v.value_key);
    assert_eq!(hex::encode(digest_key(&v).unwrap()), v.digest_key);
}

#[test]
fn the_device_record_holds_the_store_digest() {
    let v = load();
    let records: Vec<(u8, Vec<u8>, Vec<u8>)> = v
        .records
        .iter()
        .map(|r| (r.kind, unhex(&r.index).unwrap(), unhex(&r.value).unwrap()))
        .collect();
    let device = v.records.iter().find(|r| r.kind == 1).unwrap();
    let plaintext = unhex(&device.plaintext).unwrap();
    let stored = &plaintext[plaintext.len() - 32..];
    assert_eq!(stored, store_digest(&v, &records).unwrap());
    // The generation, before the digest, counts the script's batches.
    let generation = u64::from_be_bytes(
        plaintext[plaintext.len() - 40..plaintext.len() - 32]
            .try_into()
            .unwrap(),
    );
    assert!(generation >= 5, "{generation}");
    // The check can fail: without one record the digest differs.
    let without_last = &records[..records.len() - 1];
    assert_ne!(records.last().unwrap().0, 1);
    assert_ne!(stored, store_digest(&v, without_last).unwrap());
}

#[test]
fn every_record_checks_against_the_document() {
    let v = load();
    for record in &v.records {
        assert_eq!(
            check_record(&v, record),
            Ok(()),
            "{} {}",
            record.kind_name,
            record.plain_key
        );
    }
    // What the script leaves: one device and one prekeys record, four accounts (own, Bob
    // verified, Carol, Dave with a pending key change), two session records (Carol's with an
    // active session that has a setup base and an archived one that re-attaches its setup).
    let kinds: Vec<u8> = v.records.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [1, 2, 3, 3, 3, 3, 4, 4]);
    let account_flags: Vec<&str> = v
        .records
        .iter()
        .filter(|r| r.kind == 3)
        .map(|r| &r.plaintext[2..4])
        .collect();
    for flags in ["02", "03", "06"] {
        assert!(account_flags.contains(&flags), "account flags {flags}");
    }
    let device = &v.records[0];
    assert_eq!(&device.plaintext[2..34], v.account_id);
    assert_eq!(
        &device.plaintext[34..42],
        hex::encode(v.device_id.to_be_bytes())
    );
    assert!(
        v.records
            .iter()
            .any(|r| r.kind == 4 && r.embedded_pickles.len() == 2)
    );
}

#[test]
fn device_open_accepts_exactly_these_records() {
    let v = load();
    let device = open(&v, backend(&v, None)).unwrap();
    assert_eq!(hex::encode(device.account_id().to_bytes()), v.account_id);
    assert_eq!(device.device_id(), v.device_id);
    assert!(device.holds_account_key());
    for r in v.records.iter().filter(|r| r.kind == 4) {
        let key = unhex(&r.plain_key).unwrap();
        let account = AccountId::from_bytes(key[..16].try_into().unwrap());
        let id = u32::from_be_bytes(key[16..].try_into().unwrap());
        assert_eq!(device.session_count(account, id), r.embedded_pickles.len());
    }
    // Opening changed nothing: the records are still exactly these.
    assert_eq!(device.backend().len(), v.records.len());
}

#[test]
fn every_negative_change_is_refused_as_corrupt() {
    let v = load();
    assert!(v.negative.len() >= 3);
    for (i, case) in v.negative.iter().enumerate() {
        assert_eq!(case.id, i + 1);
        match (
            case.expected_error.as_str(),
            open(&v, backend(&v, Some(case))),
        ) {
            ("DeviceError::Store(Corrupt)", Err(DeviceError::Store(e))) => {
                assert_eq!(e.kind(), StoreErrorKind::Corrupt, "{}", case.comment);
            }
            // Only the deletion of the one device record reads as an empty store.
            ("DeviceError::NoDevice", Err(DeviceError::NoDevice)) => {
                assert!(case.comment.contains("device record deleted"));
            }
            (expected, other) => panic!("{}: expected {expected}, got {other:?}", case.comment),
        }
    }
    for what in ["moved", "flag bit", "trailing"] {
        assert!(
            v.negative.iter().any(|c| c.comment.contains(what)),
            "{what}"
        );
    }
}

/// The checks can fail: a changed byte of a value, a plaintext, a plain key or an embedded
/// pickle is caught, and `Device::open` refuses a changed value.
#[test]
fn the_checks_fail_on_mutated_records() {
    let v = load();
    for (i, record) in v.records.iter().enumerate() {
        let flip = |s: &str, at: usize| {
            let mut b = unhex(s).unwrap();
            b[at] ^= 1;
            hex::encode(b)
        };
        let mut m = record.clone();
        let last = unhex(&m.value).unwrap().len() - 1;
        m.value = flip(&m.value, last);
        assert!(check_record(&v, &m).is_err());
        let mut mutated = v.clone();
        mutated.records[i] = m;
        assert!(matches!(
            open(&v, backend(&mutated, None)),
            Err(DeviceError::Store(_))
        ));
        let mut m = record.clone();
        m.plaintext = flip(&m.plaintext, 0);
        assert!(check_record(&v, &m).is_err());
        let mut m = record.clone();
        m.index = flip(&m.index, 0);
        assert!(check_record(&v, &m).is_err());
        if let Some(e) = record.embedded_pickles.first() {
            let mut m = record.clone();
            m.embedded_pickles[0].pickle = flip(&e.pickle, 20);
            assert!(check_record(&v, &m).is_err());
        }
    }
    // The parser refuses what 8.6 forbids.
    let device = unhex(&v.records[0].plaintext).unwrap();
    let mut trailing = device.clone();
    trailing.push(0);
    assert!(parse(1, &trailing).is_err());
    let mut flags = device;
    flags[21] |= 4;
    assert!(parse(1, &flags).is_err());
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
