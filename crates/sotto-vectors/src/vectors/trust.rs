//! `docs/vectors/trust.json`: the trust decisions of protocol.md 8.4 as data. Each case gives
//! a held state (pinned key, verified mark, held list, pending list: the lists with every
//! input of 8.1), one operation and what `sotto_devices::AccountTrust` does: the events and
//! the new state, or the refusal with its validation ID (the state is then unchanged).

use serde::{Deserialize, Serialize};
use sotto_devices::safety::Comparison;
use sotto_devices::{
    AccountId, AccountKey, AccountPublicKey, AccountTrust, DeviceEntry, DeviceList,
    SignedDeviceList, TrustError, TrustEvent,
};
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};

use super::device_lists::DeviceVector;
use super::ratchet_negative::error_name;
use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustVectors {
    /// Free text.
    pub description: String,
    /// The cases.
    pub cases: Vec<TrustCase>,
}

/// A signed device list with every input (protocol.md 8.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListVector {
    /// The Ed25519 seed of the account key that signs the list.
    pub account_key_seed: String,
    /// Its public key.
    pub account_key: String,
    /// The account id.
    pub account_id: String,
    /// The version.
    pub version: u64,
    /// The creation time.
    pub created_at: u64,
    /// The devices, by increasing id.
    pub devices: Vec<DeviceVector>,
    /// The signed list's bytes.
    pub device_list: String,
}

/// What the device holds about the account before the operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldState {
    /// The pinned account key.
    pub pinned_key: String,
    /// The verified mark.
    pub verified: bool,
    /// The newest list under the pinned key, or `null` (a peer handed over by linking).
    pub list: Option<ListVector>,
    /// The pending list (signed by another key), or `null`.
    pub pending: Option<ListVector>,
}

/// The state after the operation; the lists as their bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateVector {
    /// The pinned account key.
    pub pinned_key: String,
    /// The verified mark.
    pub verified: bool,
    /// The held list's bytes, or `null`.
    pub list: Option<String>,
    /// The pending list's bytes, or `null`.
    pub pending: Option<String>,
}

/// An event of 8.4, for the case's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventVector {
    /// `AccountKeyChanged`, `DeviceAdded` or `DeviceRemoved`.
    pub event: String,
    /// The device (`DeviceAdded`, `DeviceRemoved`), else `null`.
    pub device_id: Option<u32>,
    /// Whether the account was verified (`AccountKeyChanged`), else `null`.
    pub was_verified: Option<bool>,
}

/// One trust decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustCase {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of a refusal, `null` for an accepted input.
    pub validation_id: Option<String>,
    /// What the case shows.
    pub comment: String,
    /// The account asked about.
    pub account_id: String,
    /// The state before, or `null` when nothing is held (first contact: `pin_first_use`).
    pub held: Option<HeldState>,
    /// `observe`, `check_device`, `devices_for_sending`, `accept_key_change` or
    /// `mark_verified`.
    pub operation: String,
    /// `observe`: the list offered.
    pub offered_list: Option<ListVector>,
    /// `check_device`: the device id offered.
    pub device_id: Option<u32>,
    /// `check_device`: the 64-byte identity offered.
    pub identity: Option<String>,
    /// `mark_verified`: the account key the safety number was derived from.
    pub compared_key: Option<String>,
    /// `mark_verified`: the comparison's result (`Match`, `LocalSideDiffers`,
    /// `RemoteSideDiffers`, `BothDiffer`).
    pub comparison: Option<String>,
    /// The events, in order (empty for a refusal).
    pub events: Vec<EventVector>,
    /// `devices_for_sending` when accepted: the device ids, in list order.
    pub sending_to: Option<Vec<u32>>,
    /// `TrustError::Variant`, or `null` when accepted.
    pub expected_error: Option<String>,
    /// The state after the operation (the held state itself after a refusal).
    pub state: StateVector,
}

/// The validation ID of a refusal (protocol.md section 5).
#[must_use]
pub const fn validation_id(error: &TrustError) -> &'static str {
    match error {
        TrustError::WrongAccount => "DEV-TR-01",
        TrustError::RolledBack { .. } => "DEV-TR-02",
        TrustError::Equivocation(_) => "DEV-TR-03",
        TrustError::DeviceKeySwapped(_) => "DEV-TR-04",
        TrustError::GhostDevice(_) => "DEV-TR-05",
        TrustError::KeyChangePending => "DEV-TR-06",
        TrustError::NothingToAccept => "DEV-TR-07",
        TrustError::NoDeviceList => "DEV-TR-08",
        TrustError::ForgedOwnList => "DEV-TR-09",
        _ => "unknown",
    }
}

/// The name of a comparison result as the vectors write it.
#[must_use]
pub const fn comparison_name(c: Comparison) -> &'static str {
    match c {
        Comparison::Match => "Match",
        Comparison::LocalSideDiffers => "LocalSideDiffers",
        Comparison::RemoteSideDiffers => "RemoteSideDiffers",
        Comparison::BothDiffer => "BothDiffer",
        _ => "unknown",
    }
}

/// An event as the vectors write it.
#[must_use]
pub fn event_vector(event: &TrustEvent) -> EventVector {
    match event {
        TrustEvent::AccountKeyChanged { was_verified, .. } => EventVector {
            event: "AccountKeyChanged".into(),
            device_id: None,
            was_verified: Some(*was_verified),
        },
        TrustEvent::DeviceAdded { device_id, .. } => EventVector {
            event: "DeviceAdded".into(),
            device_id: Some(*device_id),
            was_verified: None,
        },
        TrustEvent::DeviceRemoved { device_id, .. } => EventVector {
            event: "DeviceRemoved".into(),
            device_id: Some(*device_id),
            was_verified: None,
        },
        _ => EventVector {
            event: "unknown".into(),
            device_id: None,
            was_verified: None,
        },
    }
}

/// A device of the fixture: its id and identity.
#[derive(Clone)]
struct Dev {
    id: u32,
    vector: DeviceVector,
    public: DeviceIdentityKey,
}

fn device(rng: &mut RecordingRng, id: u32) -> Dev {
    let identity = DeviceIdentity::generate(rng);
    Dev {
        id,
        vector: DeviceVector {
            device_id: id,
            signing_seed: h(identity.signing_key().expose_seed()),
            identity_private: h(identity.agreement_key().secret_key().expose()),
            identity: h(&identity.public().to_bytes()),
        },
        public: identity.public(),
    }
}

/// A list and its inputs.
#[derive(Clone)]
struct List {
    vector: ListVector,
    signed: SignedDeviceList,
}

fn list(
    key: &AccountKey,
    account: AccountId,
    version: u64,
    devices: &[&Dev],
) -> Result<List, VectorError> {
    let created_at = super::handshake::NOW + version;
    let entries = devices
        .iter()
        .map(|d| DeviceEntry::new(d.id, d.public))
        .collect();
    let signed = DeviceList::new(account, version, created_at, entries)
        .map_err(|e| script_error(0, e))?
        .sign(key);
    Ok(List {
        vector: ListVector {
            account_key_seed: h(key.expose_seed()),
            account_key: h(&key.public().to_bytes()),
            account_id: h(&account.to_bytes()),
            version,
            created_at,
            devices: devices.iter().map(|d| d.vector.clone()).collect(),
            device_list: h(signed.as_bytes()),
        },
        signed,
    })
}

/// A held state of the fixture.
#[derive(Clone)]
struct Held {
    pinned: AccountPublicKey,
    verified: bool,
    list: Option<List>,
    pending: Option<List>,
}

fn held(pinned: &AccountKey, verified: bool, list: Option<&List>, pending: Option<&List>) -> Held {
    Held {
        pinned: pinned.public(),
        verified,
        list: list.cloned(),
        pending: pending.cloned(),
    }
}

/// The operation of a case.
enum Op<'a> {
    Observe(&'a List),
    CheckDevice(u32, DeviceIdentityKey),
    DevicesForSending,
    AcceptKeyChange,
    MarkVerified(AccountPublicKey, Comparison),
    /// `observe_as_key_holder`: the list, and the account key the device holds.
    ObserveAsKeyHolder(&'a List, AccountPublicKey),
}

fn state_vector(trust: &AccountTrust) -> StateVector {
    let (pinned, verified, list, pending) = trust.parts();
    StateVector {
        pinned_key: h(&pinned.to_bytes()),
        verified,
        list: list.map(|l| h(l.as_bytes())),
        pending: pending.map(|l| h(l.as_bytes())),
    }
}

struct Cases {
    account: AccountId,
    cases: Vec<TrustCase>,
}

impl Cases {
    /// Runs `op` on `before` and records what happened; refuses to record a case whose
    /// refusal is not `expected_id`.
    fn push(
        &mut self,
        expected_id: Option<&str>,
        comment: &str,
        before: Option<&Held>,
        op: &Op<'_>,
    ) -> Result<(), VectorError> {
        let n = self.cases.len() + 1;
        let fail = |what: String| script_error(n, format!("{comment}: {what}"));
        let mut trust = match before {
            Some(b) => AccountTrust::from_parts(
                self.account,
                b.pinned,
                b.verified,
                b.list.as_ref().map(|l| l.signed.clone()),
                b.pending.as_ref().map(|l| l.signed.clone()),
            )
            .ok_or_else(|| fail("held state refused by from_parts".into()))?,
            None => match op {
                Op::Observe(l) => {
                    // First contact: the state before is nothing; `pin_first_use` decides.
                    let (trust, events) = AccountTrust::pin_first_use(l.signed.clone());
                    let case = self.case(n, None, comment, before, op, &events, None, None, &trust);
                    if expected_id.is_some() {
                        return Err(fail("first use cannot be refused".into()));
                    }
                    self.cases.push(case);
                    return Ok(());
                }
                _ => return Err(fail("nothing held".into())),
            },
        };
        let unchanged = trust.clone();
        let mut sending_to = None;
        let result = match op {
            Op::Observe(l) => trust.observe(l.signed.clone()),
            Op::CheckDevice(id, identity) => trust.check_device(*id, identity).map(|()| vec![]),
            Op::DevicesForSending => trust.devices_for_sending().map(|d| {
                sending_to = Some(d.iter().map(DeviceEntry::device_id).collect());
                vec![]
            }),
            Op::AcceptKeyChange => trust.accept_key_change(),
            Op::MarkVerified(key, c) => trust.mark_verified(key, *c).map(|()| vec![]),
            Op::ObserveAsKeyHolder(l, key) => trust.observe_as_key_holder(l.signed.clone(), key),
        };
        let (events, error) = match result {
            Ok(events) => (events, None),
            Err(e) => {
                if trust != unchanged {
                    return Err(fail("a refusal changed the state".into()));
                }
                (vec![], Some(e))
            }
        };
        let got_id = error.as_ref().map(validation_id);
        if got_id != expected_id {
            return Err(fail(format!("expected {expected_id:?}, got {error:?}")));
        }
        let case = self.case(
            n,
            error.as_ref(),
            comment,
            before,
            op,
            &events,
            sending_to,
            got_id,
            &trust,
        );
        self.cases.push(case);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn case(
        &self,
        n: usize,
        error: Option<&TrustError>,
        comment: &str,
        before: Option<&Held>,
        op: &Op<'_>,
        events: &[TrustEvent],
        sending_to: Option<Vec<u32>>,
        validation: Option<&str>,
        after: &AccountTrust,
    ) -> TrustCase {
        let (operation, offered_list, device_id, identity, compared_key, comparison) = match op {
            Op::Observe(l) => ("observe", Some(l.vector.clone()), None, None, None, None),
            Op::CheckDevice(id, identity) => (
                "check_device",
                None,
                Some(*id),
                Some(h(&identity.to_bytes())),
                None,
                None,
            ),
            Op::DevicesForSending => ("devices_for_sending", None, None, None, None, None),
            Op::AcceptKeyChange => ("accept_key_change", None, None, None, None, None),
            Op::MarkVerified(key, c) => (
                "mark_verified",
                None,
                None,
                None,
                Some(h(&key.to_bytes())),
                Some(comparison_name(*c).to_string()),
            ),
            Op::ObserveAsKeyHolder(l, key) => (
                "observe_as_key_holder",
                Some(l.vector.clone()),
                None,
                None,
                Some(h(&key.to_bytes())),
                None,
            ),
        };
        TrustCase {
            id: n,
            validation_id: validation.map(str::to_string),
            comment: comment.into(),
            account_id: h(&self.account.to_bytes()),
            held: before.map(|b| HeldState {
                pinned_key: h(&b.pinned.to_bytes()),
                verified: b.verified,
                list: b.list.as_ref().map(|l| l.vector.clone()),
                pending: b.pending.as_ref().map(|l| l.vector.clone()),
            }),
            operation: operation.into(),
            offered_list,
            device_id,
            identity,
            compared_key,
            comparison,
            events: events.iter().map(event_vector).collect(),
            sending_to,
            expected_error: error.map(|e| error_name("TrustError", e)),
            state: state_vector(after),
        }
    }
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<TrustVectors, VectorError> {
    let mut rng = RecordingRng::new(0x7_2057);
    let k1 = AccountKey::generate(&mut rng);
    let account = AccountId::generate(&mut rng);
    let d1 = device(&mut rng, 1);
    let d2 = device(&mut rng, 2);
    let d3 = device(&mut rng, 3);
    let d2_new = device(&mut rng, 2);
    let d1_new = device(&mut rng, 1);
    let d5 = device(&mut rng, 5);
    // The key of a key change (a lost account key, or an impostor), and a third key.
    let k2 = AccountKey::generate(&mut rng);
    let k3 = AccountKey::generate(&mut rng);
    let other_key = AccountKey::generate(&mut rng);
    let other_account = AccountId::generate(&mut rng);
    let o1 = device(&mut rng, 1);

    let l1 = list(&k1, account, 1, &[&d1, &d2])?;
    let l1_equivocating = list(&k1, account, 1, &[&d1, &d2, &d3])?;
    let l2 = list(&k1, account, 2, &[&d2, &d3])?;
    let l3_swap = list(&k1, account, 3, &[&d1, &d2_new])?;
    let p1 = list(&k2, account, 1, &[&d1_new, &d2])?;
    let p1_equivocating = list(&k2, account, 1, &[&d1_new])?;
    let p2 = list(&k2, account, 2, &[&d1_new, &d2, &d5])?;
    let q1 = list(&k3, account, 1, &[&d1_new])?;
    let other = list(&other_key, other_account, 1, &[&o1])?;
    let other_by_k1 = list(&k1, other_account, 5, &[&d1])?;

    let on_l1 = held(&k1, false, Some(&l1), None);
    let on_l1_verified = held(&k1, true, Some(&l1), None);
    let on_l2 = held(&k1, false, Some(&l2), None);
    let linked = held(&k1, true, None, None);
    let on_l1_p1 = held(&k1, false, Some(&l1), Some(&p1));
    let on_l1_p2 = held(&k1, false, Some(&l1), Some(&p2));
    let linked_p1 = held(&k1, false, None, Some(&p1));

    let mut c = Cases {
        account,
        cases: Vec::new(),
    };
    // Accepted inputs.
    c.push(
        None,
        "first contact: nothing held, the first list pins its key (pin_first_use); every device is added",
        None,
        &Op::Observe(&l1),
    )?;
    c.push(
        None,
        "a newer list under the pinned key with device 1 removed and device 3 added",
        Some(&on_l1),
        &Op::Observe(&l2),
    )?;
    c.push(
        None,
        "the held list again: accepted, no event, nothing changes",
        Some(&on_l2),
        &Op::Observe(&l2),
    )?;
    c.push(
        None,
        "a peer handed over by linking (pinned, verified, no list): its first list under the pinned key is taken as is and stays verified",
        Some(&linked),
        &Op::Observe(&l1),
    )?;
    c.push(
        None,
        "an account key change on a verified account: the list becomes pending, the mark is cleared",
        Some(&on_l1_verified),
        &Op::Observe(&p1),
    )?;
    c.push(
        None,
        "the same pending list again: ignored, no event",
        Some(&on_l1_p1),
        &Op::Observe(&p1),
    )?;
    c.push(
        None,
        "a newer list under the pending key: it replaces the pending list, no event",
        Some(&on_l1_p1),
        &Op::Observe(&p2),
    )?;
    c.push(
        None,
        "a list under a third key while a change is pending: a new key change (the mark was already cleared)",
        Some(&on_l1_p1),
        &Op::Observe(&q1),
    )?;
    c.push(
        None,
        "a newer list under the pinned key while a change is pending: the held list is replaced, the pending one stays",
        Some(&on_l1_p1),
        &Op::Observe(&l2),
    )?;
    c.push(
        None,
        "accepting the key change: the new key is pinned, its list is held; device 1 got new keys (removed and added), device 5 is added",
        Some(&on_l1_p2),
        &Op::AcceptKeyChange,
    )?;
    c.push(
        None,
        "a linked peer whose first list is under another key: a key change, the mark is cleared",
        Some(&linked),
        &Op::Observe(&p1),
    )?;
    c.push(
        None,
        "accepting a key change with no list held yet: every device of the pending list is added",
        Some(&linked_p1),
        &Op::AcceptKeyChange,
    )?;
    c.push(
        None,
        "a safety-number match for the pinned key marks the account verified",
        Some(&on_l1),
        &Op::MarkVerified(k1.public(), Comparison::Match),
    )?;
    c.push(
        None,
        "devices to send to: the held list's devices",
        Some(&on_l1),
        &Op::DevicesForSending,
    )?;
    c.push(
        None,
        "a device offered with the list's identity for its id",
        Some(&on_l1),
        &Op::CheckDevice(2, d2.public),
    )?;
    // Refusals.
    c.push(
        Some("DEV-TR-01"),
        "a list of another account",
        Some(&on_l1),
        &Op::Observe(&other),
    )?;
    c.push(
        Some("DEV-TR-01"),
        "a list of another account signed by the pinned key (the account is checked first)",
        Some(&on_l1),
        &Op::Observe(&other_by_k1),
    )?;
    c.push(
        Some("DEV-TR-02"),
        "rollback: version 1 offered while version 2 is held",
        Some(&on_l2),
        &Op::Observe(&l1),
    )?;
    c.push(
        Some("DEV-TR-02"),
        "rollback of the pending list: version 1 under the pending key while its version 2 is pending",
        Some(&on_l1_p2),
        &Op::Observe(&p1),
    )?;
    c.push(
        Some("DEV-TR-03"),
        "equivocation: another list with the held version under the pinned key",
        Some(&on_l1),
        &Op::Observe(&l1_equivocating),
    )?;
    c.push(
        Some("DEV-TR-03"),
        "equivocation of the pending list: another list with the pending version under the pending key",
        Some(&on_l1_p1),
        &Op::Observe(&p1_equivocating),
    )?;
    c.push(
        Some("DEV-TR-04"),
        "a newer list that gives device 2 other keys",
        Some(&on_l1),
        &Op::Observe(&l3_swap),
    )?;
    c.push(
        Some("DEV-TR-04"),
        "device 2 offered with other keys than the list's",
        Some(&on_l1),
        &Op::CheckDevice(2, d2_new.public),
    )?;
    c.push(
        Some("DEV-TR-04"),
        "device 2 offered with device 1's keys",
        Some(&on_l1),
        &Op::CheckDevice(2, d1.public),
    )?;
    c.push(
        Some("DEV-TR-04"),
        "while a key change is pending the old list decides: device 1 offered with the pending list's keys for it",
        Some(&on_l1_p1),
        &Op::CheckDevice(1, d1_new.public),
    )?;
    c.push(
        Some("DEV-TR-05"),
        "a ghost: device 3, which the held list does not hold",
        Some(&on_l1),
        &Op::CheckDevice(3, d3.public),
    )?;
    c.push(
        Some("DEV-TR-05"),
        "a removed device: device 1, no longer in the held list",
        Some(&on_l2),
        &Op::CheckDevice(1, d1.public),
    )?;
    c.push(
        Some("DEV-TR-05"),
        "a linked peer with no list yet: every device is a ghost",
        Some(&linked),
        &Op::CheckDevice(1, d1.public),
    )?;
    c.push(
        Some("DEV-TR-06"),
        "sending while a key change is pending",
        Some(&on_l1_p1),
        &Op::DevicesForSending,
    )?;
    c.push(
        Some("DEV-TR-06"),
        "sending while a key change is pending and no list is held (the pending change is checked first)",
        Some(&linked_p1),
        &Op::DevicesForSending,
    )?;
    c.push(
        Some("DEV-TR-07"),
        "accepting a key change when none is pending",
        Some(&on_l1),
        &Op::AcceptKeyChange,
    )?;
    for result in [
        Comparison::LocalSideDiffers,
        Comparison::RemoteSideDiffers,
        Comparison::BothDiffer,
    ] {
        c.push(
            Some("DEV-TR-07"),
            &format!(
                "marking verified after a comparison that gave {}",
                comparison_name(result)
            ),
            Some(&on_l1),
            &Op::MarkVerified(k1.public(), result),
        )?;
    }
    c.push(
        Some("DEV-TR-07"),
        "marking verified after a match for another key than the pinned one",
        Some(&on_l1),
        &Op::MarkVerified(k2.public(), Comparison::Match),
    )?;
    c.push(
        Some("DEV-TR-07"),
        "marking verified after a match for the pinned key while a key change is pending",
        Some(&on_l1_p1),
        &Op::MarkVerified(k1.public(), Comparison::Match),
    )?;
    c.push(
        Some("DEV-TR-07"),
        "marking verified after a match for the pending key",
        Some(&on_l1_p1),
        &Op::MarkVerified(k2.public(), Comparison::Match),
    )?;
    c.push(
        Some("DEV-TR-08"),
        "sending to a linked peer before any list of it was observed",
        Some(&linked),
        &Op::DevicesForSending,
    )?;
    c.push(
        None,
        "the account key holder observes its own newer list, signed by the key it holds",
        Some(&on_l1),
        &Op::ObserveAsKeyHolder(&l2, k1.public()),
    )?;
    c.push(
        Some("DEV-TR-09"),
        "the account key holder is served a list of its own account signed by another key: \
         forged, not a key change",
        Some(&on_l1),
        &Op::ObserveAsKeyHolder(&p1, k1.public()),
    )?;
    Ok(TrustVectors {
        description: "Sotto/1 trust decisions (docs/protocol.md 8.4): per case a held state, \
                      one operation and the outcome (events in order and the new state, or the \
                      refusal with its validation ID, the state then unchanged). Lists carry \
                      every input of 8.1 (seeds, ids, versions, creation times) and their bytes; \
                      the error names are this implementation's."
            .into(),
        cases: c.cases,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
