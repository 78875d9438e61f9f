//! Target `multi_device`, and the engine of the property test `devices_properties`: a script
//! of operations across two or three users with one to three devices each, run on
//! [`World`] and checked against a model of which device must get which
//! message.
//!
//! Operations: link a device, revoke one (never the account-key holder), send (from a device
//! still in its account's list, to any account, its own included), receive (a device drains
//! its mailbox and acknowledges), receive with the acknowledgements lost (the relay delivers
//! the same mail again), restart a device from its store, and relay misbehaviour: a delivery
//! lost on the way (the mail stays queued and comes later), a queued mail duplicated, a
//! mailbox reordered, an older list served once to a sender. The fuzz target adds
//! injections: attacker bytes, or a mutated copy of a queued mail, delivered to a device as
//! if from some account's device. Then every device fetches every list it knows and receives
//! until the mailboxes are empty (bounded rounds); then every listed device sends once more
//! (to the next user), which is drained the same way, so a device left unable to continue
//! (after a refused input, a restart) shows.
//!
//! ## The property
//!
//! For a message `m` sent by device `s` of account `A` to account `B`, let `At(m)` be the
//! devices of `B`'s list and of `A`'s list, without `s`, as the relay published them when `m`
//! was sent (the relay refuses a fan-out that does not name exactly these, so `s` must
//! converge to them). Then:
//!
//! 1. `m` is delivered (decrypts to its plaintext, attributed to `s`) at most once on any
//!    device, and only on devices in `At(m)`: never on a device linked after it was sent,
//!    never on a device that is in no signed list;
//! 2. never on a device after it learned it was revoked;
//! 3. at the end, on every device of `At(m)` still in its account's list (a device revoked
//!    since is not required to get it: it may have learned of its revocation first), exactly
//!    once, unless `s` was revoked since and the device refused `m` because its list no
//!    longer holds `s` (DEV-TR-05: a device only reads mail from devices of the newest list);
//! 4. every refusal is an expected one: a copy of a message the device already read
//!    (a duplicate), mail from a revoked sender (DEV-TR-05) or to a device that learned it was
//!    revoked; any other error fails. Sends from a listed device always succeed.
//! 5. (injections) a refused injection leaves the device's store byte for byte unchanged,
//!    and an injection that decrypts obeys 1 and 2 (so the honest mail still arrives: 3).
//!
//! ## Input format (fuzz target)
//!
//! Byte 0: bit 0 picks two or three users; bits 1..=6 the initial device counts (two bits a
//! user, `1 + bits % 3`). Byte 1: the world's RNG seed. Then each byte starts an [`Op`]
//! (`byte % 12`) whose operands are the next bytes (missing ones read as 0); at most
//! [`MAX_OPS`] ops.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sotto_devices::store::MemoryBackend;
use sotto_devices::{AccountId, Device, DeviceError, TrustError};

use crate::world::World;

/// The most operations a script runs.
pub const MAX_OPS: usize = 64;
/// The most devices a user ever has (revoked ones included): ML-KEM key generation is the
/// main cost of a case.
pub const MAX_DEVICES_PER_USER: usize = 4;
/// The most devices of a user in its list at once.
pub const MAX_LISTED_PER_USER: usize = 3;
/// Rounds of the final phase.
pub const FINAL_ROUNDS: usize = 4;
/// The plaintext prefix; the message number follows (u32be).
const PREFIX: &[u8] = b"sotto-md";

/// One operation. User and device operands are taken modulo what exists (`user` a user
/// index, `device` an index into the user's devices, `to` and `from` user indices).
#[allow(
    missing_docs,
    reason = "the operands are described on the enum and each variant"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Link a new device to `user` (skipped at the device limits).
    Link { user: u8 },
    /// Revoke one of `user`'s listed devices other than the account-key holder.
    Revoke { user: u8, device: u8 },
    /// A listed device of `user` sends a message to account `to`.
    Send { user: u8, device: u8, to: u8 },
    /// A device drains its mailbox.
    Receive { user: u8, device: u8 },
    /// A device drains its mailbox, but its acknowledgements are lost.
    ReceiveUnacknowledged { user: u8, device: u8 },
    /// A device restarts from its store.
    Restart { user: u8, device: u8 },
    /// The delivery of mail `index` to a device is lost: it comes again after the rest.
    LoseDelivery { user: u8, device: u8, index: u8 },
    /// The relay queues a copy of mail `index` at `position`.
    Duplicate {
        user: u8,
        device: u8,
        index: u8,
        position: u8,
    },
    /// The relay reorders a mailbox.
    Reorder {
        user: u8,
        device: u8,
        shift: u8,
        reverse: bool,
    },
    /// The next list a device fetches as a sender is the one before the newest.
    StaleList { user: u8, device: u8 },
    /// (Fuzz) attacker bytes delivered to a device as if from `from`'s device `from_device`
    /// (a device id, not an index).
    InjectBytes {
        user: u8,
        device: u8,
        from: u8,
        from_device: u8,
        bytes: Vec<u8>,
    },
    /// (Fuzz) a copy of mail `index` of a device's mailbox with `byte ^= mask` (mask 0: an
    /// exact copy) delivered to it as if from `from`'s device `from_device`.
    InjectMutated {
        user: u8,
        device: u8,
        index: u8,
        byte: u16,
        mask: u8,
        from: u8,
        from_device: u8,
    },
}

/// A script: the users, their initial device counts, the RNG seed and the operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Initial devices per user (2 or 3 users, 1 to 3 devices each).
    pub devices: Vec<u8>,
    /// The world's RNG seed.
    pub seed: u64,
    /// The operations.
    pub ops: Vec<Op>,
}

/// What a run exercised.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages sent.
    pub sent: u64,
    /// Deliveries to the application.
    pub delivered: u64,
    /// Duplicates refused.
    pub duplicates_refused: u64,
    /// Mail refused because its sender was revoked.
    pub from_revoked_refused: u64,
    /// Mail refused because the receiving device learned it was revoked.
    pub to_revoked_refused: u64,
    /// Sends that met a stale answer or a stale list and converged.
    pub stale_converged: u64,
    /// Links.
    pub links: u64,
    /// Revocations.
    pub revocations: u64,
    /// Restarts.
    pub restarts: u64,
    /// Injections refused.
    pub injections_refused: u64,
    /// Injections that decrypted (an exact copy of queued mail).
    pub injections_accepted: u64,
}

struct Message {
    /// (user, device index) of the sender.
    from: (usize, usize),
    /// Devices that were listed when it was sent, (user, device index).
    at_send: BTreeSet<(usize, usize)>,
}

struct Model {
    messages: Vec<Message>,
    /// Ciphertext bytes → message number.
    by_bytes: HashMap<Vec<u8>, usize>,
    delivered: BTreeMap<(usize, (usize, usize)), u32>,
    /// (message, device): refused because the sender was revoked.
    excused: BTreeSet<(usize, (usize, usize))>,
    /// Devices revoked (by the account-key holder), (user, device index).
    revoked: BTreeSet<(usize, usize)>,
    stats: Stats,
}

fn plaintext(n: usize) -> Vec<u8> {
    let mut p = PREFIX.to_vec();
    p.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
    p
}

fn message_number(p: &[u8]) -> Option<usize> {
    let rest = p.strip_prefix(PREFIX)?;
    let b: [u8; 4] = rest.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(b)).ok()
}

fn snapshot(d: &Device<MemoryBackend>) -> Vec<Vec<u8>> {
    d.backend().values().map(<[u8]>::to_vec).collect()
}

struct Run {
    world: World,
    model: Model,
}

type Check = Result<(), String>;

impl Run {
    fn new(script: &Script) -> Result<Self, String> {
        let mut world = World::new(script.seed);
        let users = script.devices.len().clamp(2, 3);
        for _ in 0..users {
            world.add_user().map_err(|e| format!("add_user: {e:?}"))?;
        }
        let accounts: Vec<AccountId> = world.users.iter().map(|u| u.account).collect();
        for u in 0..users {
            for a in &accounts {
                let _ = world
                    .refresh(u, 0, *a)
                    .map_err(|e| format!("setup refresh: {e:?}"))?;
            }
        }
        for (u, &n) in script.devices.iter().enumerate().take(users) {
            for _ in 1..n.clamp(1, 3) {
                world.link(u).map_err(|e| format!("setup link: {e:?}"))?;
            }
        }
        Ok(Self {
            world,
            model: Model {
                messages: Vec::new(),
                by_bytes: HashMap::new(),
                delivered: BTreeMap::new(),
                excused: BTreeSet::new(),
                revoked: BTreeSet::new(),
                stats: Stats::default(),
            },
        })
    }

    fn users(&self) -> usize {
        self.world.users.len()
    }

    fn user(&self, u: u8) -> usize {
        usize::from(u) % self.users()
    }

    /// Any device of `user` (revoked ones included).
    fn any_device(&self, user: usize, d: u8) -> usize {
        usize::from(d) % self.world.users[user].devices.len()
    }

    fn listed(&self, user: usize) -> Vec<usize> {
        (0..self.world.users[user].devices.len())
            .filter(|i| !self.model.revoked.contains(&(user, *i)))
            .collect()
    }

    fn key(&self, user: usize, index: usize) -> (AccountId, u32) {
        let d = &self.world.users[user].devices[index];
        (d.account_id(), d.device_id())
    }

    /// The (user, index) of a listed device with this account and id.
    fn find_listed(&self, account: AccountId, device_id: u32) -> Option<(usize, usize)> {
        let u = self.world.users.iter().position(|u| u.account == account)?;
        self.listed(u)
            .into_iter()
            .find(|i| self.world.users[u].devices[*i].device_id() == device_id)
            .map(|i| (u, i))
    }

    fn op(&mut self, op: &Op) -> Check {
        match *op {
            Op::Link { user } => {
                let u = self.user(user);
                if self.world.users[u].devices.len() < MAX_DEVICES_PER_USER
                    && self.listed(u).len() < MAX_LISTED_PER_USER
                {
                    self.world.link(u).map_err(|e| format!("link: {e:?}"))?;
                    self.model.stats.links += 1;
                }
            }
            Op::Revoke { user, device } => {
                let u = self.user(user);
                let candidates: Vec<usize> =
                    self.listed(u).into_iter().filter(|i| *i != 0).collect();
                if !candidates.is_empty() {
                    let i = candidates[usize::from(device) % candidates.len()];
                    let _ = self
                        .world
                        .revoke(u, i)
                        .map_err(|e| format!("revoke: {e:?}"))?;
                    self.model.revoked.insert((u, i));
                    self.model.stats.revocations += 1;
                }
            }
            Op::Send { user, device, to } => {
                let u = self.user(user);
                let listed = self.listed(u);
                let i = listed[usize::from(device) % listed.len()];
                let to = self.user(to);
                self.send(u, i, to)?;
            }
            Op::Receive { user, device } => {
                let u = self.user(user);
                let i = self.any_device(u, device);
                self.receive(u, i, true)?;
            }
            Op::ReceiveUnacknowledged { user, device } => {
                let u = self.user(user);
                let i = self.any_device(u, device);
                self.receive(u, i, false)?;
            }
            Op::Restart { user, device } => {
                let u = self.user(user);
                let i = self.any_device(u, device);
                self.world
                    .restart(u, i)
                    .map_err(|e| format!("restart of ({u}, {i}): {e:?}"))?;
                self.model.stats.restarts += 1;
            }
            Op::LoseDelivery {
                user,
                device,
                index,
            } => {
                let u = self.user(user);
                let key = self.key(u, self.any_device(u, device));
                let _ = self.world.relay.lose_delivery(key, usize::from(index));
            }
            Op::Duplicate {
                user,
                device,
                index,
                position,
            } => {
                let u = self.user(user);
                let key = self.key(u, self.any_device(u, device));
                let _ = self
                    .world
                    .relay
                    .duplicate(key, usize::from(index), usize::from(position));
            }
            Op::Reorder {
                user,
                device,
                shift,
                reverse,
            } => {
                let u = self.user(user);
                let key = self.key(u, self.any_device(u, device));
                let _ = self.world.relay.reorder(key, usize::from(shift), reverse);
            }
            Op::StaleList { user, device } => {
                let u = self.user(user);
                let key = self.key(u, self.any_device(u, device));
                self.world.relay.stale_for.insert(key);
            }
            Op::InjectBytes {
                user,
                device,
                from,
                from_device,
                ref bytes,
            } => {
                let u = self.user(user);
                let i = self.any_device(u, device);
                let from = self.world.users[self.user(from)].account;
                self.inject(u, i, from, u32::from(from_device), bytes)?;
            }
            Op::InjectMutated {
                user,
                device,
                index,
                byte,
                mask,
                from,
                from_device,
            } => {
                let u = self.user(user);
                let i = self.any_device(u, device);
                let key = self.key(u, i);
                let Some(mail) = self
                    .world
                    .relay
                    .mailboxes
                    .get(&key)
                    .filter(|m| !m.is_empty())
                else {
                    return Ok(());
                };
                let mut bytes = mail[usize::from(index) % mail.len()].bytes.clone();
                let at = usize::from(byte) % bytes.len();
                bytes[at] ^= mask;
                let from = self.world.users[self.user(from)].account;
                self.inject(u, i, from, u32::from(from_device), &bytes)?;
            }
        }
        Ok(())
    }

    fn send(&mut self, u: usize, i: usize, to: usize) -> Check {
        let n = self.model.messages.len();
        let stale_armed = self.world.relay.stale_for.contains(&self.key(u, i));
        let mut at_send = BTreeSet::new();
        for user in [u, to] {
            for d in self.listed(user) {
                if (user, d) != (u, i) {
                    at_send.insert((user, d));
                }
            }
        }
        let fan_outs = self
            .world
            .send(u, i, to, &plaintext(n))
            .map_err(|e| format!("send of message {n} from ({u}, {i}) to {to}: {e:?}"))?;
        if stale_armed && !self.world.relay.stale_for.contains(&self.key(u, i)) {
            self.model.stats.stale_converged += 1;
        }
        for f in &fan_outs {
            for (_, bytes) in f.entries() {
                let _ = self.model.by_bytes.insert(bytes.clone(), n);
            }
        }
        let named: BTreeSet<(usize, usize)> = fan_outs
            .iter()
            .flat_map(|f| f.device_ids().map(move |d| (f.account(), d)))
            .filter_map(|(a, d)| self.find_listed(a, d))
            .collect();
        if named != at_send {
            return Err(format!(
                "message {n}: the relay accepted a fan-out to {named:?}, the lists hold {at_send:?}"
            ));
        }
        self.model.messages.push(Message {
            from: (u, i),
            at_send,
        });
        self.model.stats.sent += 1;
        Ok(())
    }

    /// Checks a decrypted message on device `(u, i)`.
    fn delivered(
        &mut self,
        u: usize,
        i: usize,
        revoked_before: bool,
        r: &sotto_devices::Received,
    ) -> Check {
        let n = message_number(&r.plaintext)
            .filter(|n| *n < self.model.messages.len())
            .ok_or_else(|| {
                format!(
                    "({u}, {i}) decrypted an unknown plaintext {:?}",
                    r.plaintext
                )
            })?;
        let m = &self.model.messages[n];
        if revoked_before {
            return Err(format!(
                "message {n} delivered on ({u}, {i}) after it learned it was revoked"
            ));
        }
        if !m.at_send.contains(&(u, i)) {
            return Err(format!(
                "message {n} delivered on ({u}, {i}), which was not in the lists when it was sent"
            ));
        }
        let (fu, fi) = m.from;
        if self.key(fu, fi) != (r.account, r.device_id) {
            return Err(format!(
                "message {n} from ({fu}, {fi}) delivered on ({u}, {i}) as from {:?}/{}",
                r.account, r.device_id
            ));
        }
        let count = self.model.delivered.entry((n, (u, i))).or_insert(0);
        *count += 1;
        if *count > 1 {
            return Err(format!("message {n} delivered twice on ({u}, {i})"));
        }
        self.model.stats.delivered += 1;
        Ok(())
    }

    fn receive(&mut self, u: usize, i: usize, acknowledge: bool) -> Check {
        let deliveries = self.world.receive_mail(u, i, acknowledge);
        for d in deliveries {
            let n = *self
                .model
                .by_bytes
                .get(&d.mail.bytes)
                .ok_or("mail the model does not know")?;
            match d.result {
                Ok(r) => self.delivered(u, i, d.revoked_before, &r)?,
                Err(e) => self.refused(u, i, n, &e)?,
            }
        }
        Ok(())
    }

    /// Checks that device `(u, i)` was right to refuse message `n`.
    fn refused(&mut self, u: usize, i: usize, n: usize, e: &DeviceError) -> Check {
        let device = &self.world.users[u].devices[i];
        let (fu, fi) = self.model.messages[n].from;
        match e {
            DeviceError::Revoked if device.is_revoked() && self.model.revoked.contains(&(u, i)) => {
                self.model.stats.to_revoked_refused += 1;
                Ok(())
            }
            DeviceError::Trust(TrustError::GhostDevice(d))
                if self.model.revoked.contains(&(fu, fi))
                    && *d == self.world.users[fu].devices[fi].device_id() =>
            {
                let _ = self.model.excused.insert((n, (u, i)));
                self.model.stats.from_revoked_refused += 1;
                Ok(())
            }
            DeviceError::Sessions(_) | DeviceError::Handshake(_)
                if self.model.delivered.contains_key(&(n, (u, i))) =>
            {
                self.model.stats.duplicates_refused += 1;
                Ok(())
            }
            _ => Err(format!(
                "message {n} from ({fu}, {fi}) refused on ({u}, {i}): {e:?}"
            )),
        }
    }

    fn inject(
        &mut self,
        u: usize,
        i: usize,
        from: AccountId,
        from_device: u32,
        bytes: &[u8],
    ) -> Check {
        let revoked_before = self.world.users[u].devices[i].is_revoked();
        let before = snapshot(&self.world.users[u].devices[i]);
        let result =
            self.world.users[u].devices[i].decrypt(from, from_device, bytes, &mut self.world.rng);
        match result {
            Ok(r) => {
                self.model.stats.injections_accepted += 1;
                self.delivered(u, i, revoked_before, &r)
            }
            Err(DeviceError::Store(e)) => Err(format!("injection: store error {e:?}")),
            Err(_) => {
                if snapshot(&self.world.users[u].devices[i]) != before {
                    return Err(format!("a refused injection changed ({u}, {i})'s store"));
                }
                self.model.stats.injections_refused += 1;
                Ok(())
            }
        }
    }

    /// Every device fetches every list it knows and receives, until no mail is left.
    fn drain(&mut self) -> Check {
        let accounts: Vec<AccountId> = self.world.users.iter().map(|u| u.account).collect();
        for _ in 0..FINAL_ROUNDS {
            for u in 0..self.users() {
                for i in 0..self.world.users[u].devices.len() {
                    for a in &accounts {
                        if self.world.users[u].devices[i].account(*a).is_none() {
                            continue;
                        }
                        match self.world.refresh(u, i, *a) {
                            Ok(_) => {}
                            Err(DeviceError::Revoked) if self.model.revoked.contains(&(u, i)) => {}
                            Err(e) => return Err(format!("final refresh on ({u}, {i}): {e:?}")),
                        }
                    }
                    self.receive(u, i, true)?;
                }
            }
            if self.world.relay.mailboxes.values().all(Vec::is_empty) {
                return Ok(());
            }
        }
        Err("mail left after the final rounds".into())
    }

    fn check_end(&self) -> Check {
        for (n, m) in self.model.messages.iter().enumerate() {
            for &d in &m.at_send {
                if self.model.revoked.contains(&d) {
                    continue;
                }
                let count = self.model.delivered.get(&(n, d)).copied().unwrap_or(0);
                if count != 1 && !self.model.excused.contains(&(n, d)) {
                    return Err(format!(
                        "message {n} from {:?} delivered {count} times on {d:?}",
                        m.from
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Runs `script` and checks the property of this module. Returns what it exercised, or the
/// first violation.
pub fn run_script(script: &Script) -> Result<Stats, String> {
    let mut run = Run::new(script)?;
    for (k, op) in script.ops.iter().take(MAX_OPS).enumerate() {
        run.op(op).map_err(|e| format!("op {k} {op:?}: {e}"))?;
    }
    run.drain()?;
    // Probe: every listed device writes once more (to the next user's account), so a state
    // that broke late in the script (a refused input, a restart) shows in the deliveries.
    for u in 0..run.users() {
        for i in run.listed(u) {
            let to = (u + 1) % run.users();
            run.send(u, i, to).map_err(|e| format!("probe: {e}"))?;
        }
    }
    run.drain()?;
    run.check_end()?;
    Ok(run.model.stats)
}

/// Reads a [`Script`] from fuzz input (see the module docs).
pub fn decode_script(data: &[u8]) -> Script {
    let mut r = Reader(data);
    let head = r.u8();
    let users = 2 + usize::from(head & 1);
    let devices = (0..users)
        .map(|u| 1 + ((head >> (1 + 2 * u)) & 3) % 3)
        .collect();
    let seed = u64::from(r.u8());
    let mut ops = Vec::new();
    while !r.0.is_empty() && ops.len() < MAX_OPS {
        let op = match r.u8() % 12 {
            0 => Op::Link { user: r.u8() },
            1 => Op::Revoke {
                user: r.u8(),
                device: r.u8(),
            },
            2 | 3 => Op::Send {
                user: r.u8(),
                device: r.u8(),
                to: r.u8(),
            },
            4 => Op::Receive {
                user: r.u8(),
                device: r.u8(),
            },
            5 => Op::ReceiveUnacknowledged {
                user: r.u8(),
                device: r.u8(),
            },
            6 => Op::Restart {
                user: r.u8(),
                device: r.u8(),
            },
            7 => Op::LoseDelivery {
                user: r.u8(),
                device: r.u8(),
                index: r.u8(),
            },
            8 => Op::Duplicate {
                user: r.u8(),
                device: r.u8(),
                index: r.u8(),
                position: r.u8(),
            },
            9 => Op::Reorder {
                user: r.u8(),
                device: r.u8(),
                shift: r.u8(),
                reverse: r.u8() & 1 == 1,
            },
            10 => {
                let (user, device, from, from_device) = (r.u8(), r.u8(), r.u8(), r.u8());
                if r.u8() & 1 == 0 {
                    Op::StaleList { user, device }
                } else {
                    let len = usize::from(r.u8());
                    Op::InjectBytes {
                        user,
                        device,
                        from,
                        from_device,
                        bytes: r.take(len).to_vec(),
                    }
                }
            }
            _ => Op::InjectMutated {
                user: r.u8(),
                device: r.u8(),
                index: r.u8(),
                byte: u16::from_be_bytes([r.u8(), r.u8()]),
                mask: r.u8(),
                from: r.u8(),
                from_device: r.u8(),
            },
        };
        ops.push(op);
    }
    Script { devices, seed, ops }
}

/// Writes `script` as fuzz input that [`decode_script`] reads back (the seed is cut to a
/// byte, the device counts to 1..=3, users to 2 or 3).
pub fn encode_script(script: &Script) -> Vec<u8> {
    let users = script.devices.len().clamp(2, 3);
    let mut head = u8::from(users == 3);
    for (u, &n) in script.devices.iter().enumerate().take(users) {
        head |= ((n.clamp(1, 3) - 1) & 3) << (1 + 2 * u);
    }
    let mut out = vec![head, (script.seed & 0xff) as u8];
    for op in &script.ops {
        match op {
            Op::Link { user } => out.extend([0, *user]),
            Op::Revoke { user, device } => out.extend([1, *user, *device]),
            Op::Send { user, device, to } => out.extend([2, *user, *device, *to]),
            Op::Receive { user, device } => out.extend([4, *user, *device]),
            Op::ReceiveUnacknowledged { user, device } => out.extend([5, *user, *device]),
            Op::Restart { user, device } => out.extend([6, *user, *device]),
            Op::LoseDelivery {
                user,
                device,
                index,
            } => out.extend([7, *user, *device, *index]),
            Op::Duplicate {
                user,
                device,
                index,
                position,
            } => out.extend([8, *user, *device, *index, *position]),
            Op::Reorder {
                user,
                device,
                shift,
                reverse,
            } => out.extend([9, *user, *device, *shift, u8::from(*reverse)]),
            Op::StaleList { user, device } => out.extend([10, *user, *device, 0, 0, 0]),
            Op::InjectBytes {
                user,
                device,
                from,
                from_device,
                bytes,
            } => {
                let len = bytes.len().min(255);
                out.extend([10, *user, *device, *from, *from_device, 1, len as u8]);
                out.extend_from_slice(&bytes[..len]);
            }
            Op::InjectMutated {
                user,
                device,
                index,
                byte,
                mask,
                from,
                from_device,
            } => {
                let [hi, lo] = byte.to_be_bytes();
                out.extend([
                    11,
                    *user,
                    *device,
                    *index,
                    hi,
                    lo,
                    *mask,
                    *from,
                    *from_device,
                ]);
            }
        }
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
}

/// The fuzz target: decodes a script, runs it, panics on a violation.
pub fn multi_device(data: &[u8]) -> Stats {
    let script = decode_script(data);
    match run_script(&script) {
        Ok(stats) => stats,
        Err(e) => panic!("multi_device: {e}\nscript: {script:?}"),
    }
}
