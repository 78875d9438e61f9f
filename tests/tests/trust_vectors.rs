//! docs/vectors/trust.json replayed through `sotto_devices::AccountTrust` (docs/protocol.md
//! 8.4): every list is rebuilt from its seeds (8.1) and must be the listed bytes; the held
//! state is restored (`from_parts`, `pinned` for a linked peer, `pin_first_use` when nothing
//! is held); the operation gives exactly the listed events and new state, or the listed
//! refusal with the state unchanged; the refusals cover exactly the DEV-TR IDs of section 5.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use sotto_crypto::SecretBytes;
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::x25519::{KeyPair, SecretKey};
use sotto_devices::safety::Comparison;
use sotto_devices::{
    AccountId, AccountKey, AccountPublicKey, AccountTrust, DeviceEntry, DeviceList,
    SignedDeviceList, TrustError, TrustEvent,
};
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};
use sotto_tests::validation_ids::validation_ids;
use sotto_vectors::vectors::trust::{ListVector, StateVector, TrustCase, TrustVectors, generate};

fn load() -> TrustVectors {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/vectors/trust.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

type Check<T> = Result<T, String>;

fn unhex(s: &str) -> Check<Vec<u8>> {
    hex::decode(s).map_err(|e| e.to_string())
}

fn array<const N: usize>(s: &str) -> Check<[u8; N]> {
    unhex(s)?
        .try_into()
        .map_err(|_| format!("not {N} bytes: {s}"))
}

fn secret(s: &str) -> Check<SecretBytes<32>> {
    Ok(SecretBytes::new(array(s)?))
}

fn key(s: &str) -> Check<AccountPublicKey> {
    AccountPublicKey::from_bytes(&array(s)?).map_err(|e| format!("{e:?}"))
}

/// Rebuilds a list from its inputs (8.1) and checks it is the listed bytes.
fn rebuild(v: &ListVector) -> Check<SignedDeviceList> {
    let account_key = AccountKey::from_seed(secret(&v.account_key_seed)?);
    if hex::encode(account_key.public().to_bytes()) != v.account_key {
        return Err("account key".into());
    }
    let mut entries = Vec::new();
    for d in &v.devices {
        let identity = DeviceIdentity::from_keys(
            SigningKey::from_seed(secret(&d.signing_seed)?),
            KeyPair::from_secret(SecretKey::from_bytes(secret(&d.identity_private)?)),
        );
        if hex::encode(identity.public().to_bytes()) != d.identity {
            return Err(format!("device {} identity", d.device_id));
        }
        entries.push(DeviceEntry::new(d.device_id, identity.public()));
    }
    let id = AccountId::from_bytes(array(&v.account_id)?);
    let signed = DeviceList::new(id, v.version, v.created_at, entries)
        .map_err(|e| format!("{e:?}"))?
        .sign(&account_key);
    if hex::encode(signed.as_bytes()) != v.device_list {
        return Err("list bytes differ from the rebuilt list".into());
    }
    let decoded =
        SignedDeviceList::from_bytes(&unhex(&v.device_list)?).map_err(|e| format!("{e:?}"))?;
    if decoded != signed {
        return Err("decoded list differs".into());
    }
    Ok(signed)
}

fn state_of(trust: &AccountTrust) -> StateVector {
    let (pinned, verified, list, pending) = trust.parts();
    StateVector {
        pinned_key: hex::encode(pinned.to_bytes()),
        verified,
        list: list.map(|l| hex::encode(l.as_bytes())),
        pending: pending.map(|l| hex::encode(l.as_bytes())),
    }
}

fn comparison(name: &str) -> Check<Comparison> {
    Ok(match name {
        "Match" => Comparison::Match,
        "LocalSideDiffers" => Comparison::LocalSideDiffers,
        "RemoteSideDiffers" => Comparison::RemoteSideDiffers,
        "BothDiffer" => Comparison::BothDiffer,
        other => return Err(format!("comparison {other}")),
    })
}

/// The error's name and its ID in section 5.
fn describe(e: &TrustError) -> (&'static str, &'static str) {
    match e {
        TrustError::WrongAccount => ("TrustError::WrongAccount", "DEV-TR-01"),
        TrustError::RolledBack { .. } => ("TrustError::RolledBack", "DEV-TR-02"),
        TrustError::Equivocation(_) => ("TrustError::Equivocation", "DEV-TR-03"),
        TrustError::DeviceKeySwapped(_) => ("TrustError::DeviceKeySwapped", "DEV-TR-04"),
        TrustError::GhostDevice(_) => ("TrustError::GhostDevice", "DEV-TR-05"),
        TrustError::KeyChangePending => ("TrustError::KeyChangePending", "DEV-TR-06"),
        TrustError::NothingToAccept => ("TrustError::NothingToAccept", "DEV-TR-07"),
        TrustError::NoDeviceList => ("TrustError::NoDeviceList", "DEV-TR-08"),
        TrustError::ForgedOwnList => ("TrustError::ForgedOwnList", "DEV-TR-09"),
        _ => ("unknown", "unknown"),
    }
}

fn event_of(
    account: AccountId,
    e: &sotto_vectors::vectors::trust::EventVector,
) -> Check<TrustEvent> {
    let id = || e.device_id.ok_or("device_id missing");
    Ok(match e.event.as_str() {
        "AccountKeyChanged" => TrustEvent::AccountKeyChanged {
            account,
            was_verified: e.was_verified.ok_or("was_verified missing")?,
        },
        "DeviceAdded" => TrustEvent::DeviceAdded {
            account,
            device_id: id()?,
        },
        "DeviceRemoved" => TrustEvent::DeviceRemoved {
            account,
            device_id: id()?,
        },
        other => return Err(format!("event {other}")),
    })
}

/// Replays one case; `Err` says what differs.
fn check(case: &TrustCase) -> Check<()> {
    let account = AccountId::from_bytes(array(&case.account_id)?);
    let offered = case.offered_list.as_ref().map(rebuild).transpose()?;
    let expected_events = case
        .events
        .iter()
        .map(|e| event_of(account, e))
        .collect::<Check<Vec<_>>>()?;
    let Some(held) = &case.held else {
        // Nothing held: first contact pins the offered list's key.
        let list = offered.ok_or("first contact needs a list")?;
        if case.operation != "observe" || case.expected_error.is_some() {
            return Err("first contact is an accepted observe".into());
        }
        let (trust, events) = AccountTrust::pin_first_use(list);
        if trust.account_id() != account || trust.is_verified() {
            return Err("first contact state".into());
        }
        if events != expected_events {
            return Err(format!("events {events:?}"));
        }
        return if state_of(&trust) == case.state {
            Ok(())
        } else {
            Err("state after first contact".into())
        };
    };
    let pinned = key(&held.pinned_key)?;
    let list = held.list.as_ref().map(rebuild).transpose()?;
    let pending = held.pending.as_ref().map(rebuild).transpose()?;
    let linked = list.is_none() && pending.is_none();
    let mut trust = AccountTrust::from_parts(account, pinned, held.verified, list, pending)
        .ok_or("from_parts refused the held state")?;
    if linked && trust != AccountTrust::pinned(account, pinned, held.verified) {
        return Err("a linked peer's state is not AccountTrust::pinned".into());
    }
    let before = trust.clone();
    let mut sending_to = None;
    let result = match case.operation.as_str() {
        "observe" => trust.observe(offered.ok_or("observe needs a list")?),
        "check_device" => {
            let identity =
                DeviceIdentityKey::from_bytes(&array(case.identity.as_deref().unwrap_or(""))?)
                    .map_err(|e| format!("{e:?}"))?;
            trust
                .check_device(case.device_id.ok_or("device_id")?, &identity)
                .map(|()| vec![])
        }
        "devices_for_sending" => trust.devices_for_sending().map(|d| {
            sending_to = Some(d.iter().map(DeviceEntry::device_id).collect::<Vec<_>>());
            vec![]
        }),
        "accept_key_change" => trust.accept_key_change(),
        "mark_verified" => {
            let compared = key(case.compared_key.as_deref().unwrap_or(""))?;
            let result = comparison(case.comparison.as_deref().unwrap_or(""))?;
            trust.mark_verified(&compared, result).map(|()| vec![])
        }
        "observe_as_key_holder" => {
            let held = key(case.compared_key.as_deref().unwrap_or(""))?;
            trust.observe_as_key_holder(offered.ok_or("observe needs a list")?, &held)
        }
        other => return Err(format!("operation {other}")),
    };
    match (result, &case.expected_error) {
        (Ok(events), None) => {
            if case.validation_id.is_some() {
                return Err("an accepted case has a validation ID".into());
            }
            if events != expected_events {
                return Err(format!("events {events:?}"));
            }
            if sending_to != case.sending_to {
                return Err(format!("devices for sending {sending_to:?}"));
            }
        }
        (Err(e), Some(expected)) => {
            let (name, id) = describe(&e);
            if name != expected || Some(id) != case.validation_id.as_deref() {
                return Err(format!("refused with {e:?} ({id})"));
            }
            if trust != before || !expected_events.is_empty() || case.sending_to.is_some() {
                return Err("a refusal changed the state or lists events".into());
            }
        }
        (result, expected) => return Err(format!("got {result:?}, expected {expected:?}")),
    }
    if state_of(&trust) == case.state {
        Ok(())
    } else {
        Err(format!("state after: {:?}", state_of(&trust)))
    }
}

#[test]
fn every_case_replays_through_account_trust() {
    let v = load();
    assert!(v.cases.len() >= 30);
    for (i, case) in v.cases.iter().enumerate() {
        assert_eq!(case.id, i + 1);
        assert_eq!(check(case), Ok(()), "case {}: {}", case.id, case.comment);
    }
}

#[test]
fn the_refusals_cover_every_trust_id_and_the_positive_paths_are_there() {
    let v = load();
    let covered: BTreeSet<String> = v
        .cases
        .iter()
        .filter_map(|c| c.validation_id.clone())
        .collect();
    let ids = validation_ids(&["DEV-TR-"]);
    assert_eq!(ids.len(), 9, "DEV-TR IDs in docs/protocol.md section 5");
    assert_eq!(covered, ids);
    let positive =
        |f: &dyn Fn(&TrustCase) -> bool| v.cases.iter().any(|c| c.expected_error.is_none() && f(c));
    let has = |c: &TrustCase, e: &str| c.events.iter().any(|x| x.event == e);
    // First contact; a newer list with removed and added devices; the same list again.
    assert!(positive(&|c| c.held.is_none()));
    assert!(positive(&|c| has(c, "DeviceRemoved")
        && has(c, "DeviceAdded")
        && c.operation == "observe"));
    assert!(positive(&|c| c.operation == "observe"
        && c.events.is_empty()
        && c.held.as_ref().is_some_and(|h| h.pending.is_none())));
    // A linked peer's first list; a key change; the same pending again; a newer pending.
    assert!(positive(&|c| c
        .held
        .as_ref()
        .is_some_and(|h| h.list.is_none() && h.pending.is_none())
        && has(c, "DeviceAdded")));
    assert!(positive(&|c| has(c, "AccountKeyChanged")));
    assert!(positive(&|c| c.operation == "observe"
        && c.events.is_empty()
        && c.held
            .as_ref()
            .and_then(|h| h.pending.as_ref())
            .map(|p| &p.device_list)
            == c.state.pending.as_ref()));
    assert!(positive(&|c| c.operation == "observe"
        && c.events.is_empty()
        && c.state.pending.is_some()
        && c.held
            .as_ref()
            .and_then(|h| h.pending.as_ref())
            .map(|p| &p.device_list)
            != c.state.pending.as_ref()));
    // Accepting, and marking verified.
    assert!(positive(&|c| c.operation == "accept_key_change"));
    assert!(positive(
        &|c| c.operation == "mark_verified" && c.state.verified
    ));
}

/// The replay can fail: a changed expected state, event, error or list byte is caught.
#[test]
fn the_replay_fails_on_mutated_cases() {
    let v = load();
    for case in &v.cases {
        let mut m = case.clone();
        m.state.verified = !m.state.verified;
        assert!(check(&m).is_err(), "case {}: verified", case.id);
        let mut m = case.clone();
        if m.events.pop().is_none() {
            m.events.push(sotto_vectors::vectors::trust::EventVector {
                event: "DeviceAdded".into(),
                device_id: Some(1),
                was_verified: None,
            });
        }
        assert!(check(&m).is_err(), "case {}: events", case.id);
        let mut m = case.clone();
        m.expected_error = match &case.expected_error {
            Some(_) => None,
            None => Some("TrustError::WrongAccount".into()),
        };
        assert!(check(&m).is_err(), "case {}: error", case.id);
        if let Some(list) = &case.offered_list {
            let mut m = case.clone();
            let mut bytes = unhex(&list.device_list).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            m.offered_list.as_mut().unwrap().device_list = hex::encode(bytes);
            assert!(check(&m).is_err(), "case {}: list byte", case.id);
        }
    }
}

#[test]
fn the_committed_file_is_the_generator_output() {
    assert_eq!(load(), generate().unwrap());
}
