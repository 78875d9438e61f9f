//! The compelled platform (docs/compelled.md): each action of the relay's admin interface
//! ([`sotto_relay::admin`], on the database file, never an HTTP route) run against real
//! clients over HTTP on loopback, with what the clients saw and what the operator obtained.
//! [`run`] is what `sotto demo --compelled` prints; [`admin`] is `sotto admin`.

use std::io::Write;
use std::path::{Path, PathBuf};

use sotto::{AccountId, Client, ClientConfig, ClientError, Event, HttpTransport, TrustEvent};
use sotto_crypto::SecretBytes;
use sotto_relay::admin::{Admin, AdminError, GhostVariant, parse_list};
use sotto_relay::{Relay, RelayConfig, StartError};

/// Why the compelled run stopped.
#[derive(Debug, thiserror::Error)]
pub enum CompelledError {
    /// The relay did not start.
    #[error("relay: {0}")]
    Relay(#[from] StartError),
    /// A client call that sets an action up failed.
    #[error("client: {0:?}")]
    Client(#[from] ClientError),
    /// An admin action failed.
    #[error("admin: {0}")]
    Admin(#[from] AdminError),
    /// A temporary directory or the output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// One action's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The action (issue 10's words).
    pub action: &'static str,
    /// What the clients saw: a refusal or an event by name, or that nothing shows.
    pub clients_saw: String,
    /// What the operator obtained.
    pub operator_obtained: String,
    /// The test that shows it (crates/sotto/tests/compelled.rs).
    pub test: &'static str,
}

type C = Client<HttpTransport>;

/// The name of an event, without its account bytes.
fn event_name(e: &Event) -> String {
    match e {
        Event::Message { .. } => "Event::Message".into(),
        Event::Trust(TrustEvent::AccountKeyChanged { was_verified, .. }) => {
            format!(
                "Event::Trust(TrustEvent::AccountKeyChanged {{ was_verified: {was_verified} }})"
            )
        }
        Event::Trust(TrustEvent::DeviceAdded { device_id, .. }) => {
            format!("Event::Trust(TrustEvent::DeviceAdded {{ device_id: {device_id} }})")
        }
        Event::Trust(TrustEvent::DeviceRemoved { device_id, .. }) => {
            format!("Event::Trust(TrustEvent::DeviceRemoved {{ device_id: {device_id} }})")
        }
        Event::ThisDeviceRevoked => "Event::ThisDeviceRevoked".into(),
        Event::Undecryptable { .. } => "Event::Undecryptable".into(),
        other => format!("{other:?}"),
    }
}

fn events_named(events: &[Event]) -> String {
    if events.is_empty() {
        return "no event".into();
    }
    events.iter().map(event_name).collect::<Vec<_>>().join(", ")
}

fn outcome(result: &Result<(), ClientError>) -> String {
    match result {
        Ok(()) => "the send went through".into(),
        Err(e) => format!("refused: ClientError::{e:?}"),
    }
}

fn texts(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// The clients of one run: a relay URL and a directory of homes.
struct World {
    url: String,
    db: PathBuf,
    dir: tempfile::TempDir,
    next: usize,
}

impl World {
    fn config(&mut self, name: &str) -> ClientConfig {
        self.next += 1;
        ClientConfig::new(
            self.dir.path().join(format!("{name}-{}", self.next)),
            SecretBytes::random(&mut rand::rng()),
        )
    }

    async fn register(&mut self, name: &str) -> Result<C, CompelledError> {
        let config = self.config(name);
        Ok(Client::register(HttpTransport::new(self.url.clone()), config).await?)
    }

    /// Alice and Bob in contact both ways: each holds the other's list and profile key.
    /// The one place first contact is made.
    async fn contacts(&mut self) -> Result<(C, C), CompelledError> {
        let mut alice = self.register("alice").await?;
        let mut bob = self.register("bob").await?;
        // The relay runs the `sotto` profile: contact cards go out of band first.
        alice.add_contact(&bob.contact_card()?).await?;
        bob.add_contact(&alice.contact_card()?).await?;
        alice.send_text(bob.account_id(), "hello").await?;
        bob.receive().await?;
        bob.send_text(alice.account_id(), "hi").await?;
        alice.receive().await?;
        Ok((alice, bob))
    }

    async fn link(&mut self, primary: &mut C) -> Result<C, CompelledError> {
        let pending = sotto::PendingDevice::new(self.config("alice2"));
        let message = primary.link_device(&pending.code()).await?;
        Ok(pending
            .finish(HttpTransport::new(self.url.clone()), message)
            .await?)
    }

    fn admin(&self) -> Result<Admin, CompelledError> {
        Ok(Admin::open(&self.db)?)
    }
}

async fn ghost(world: &mut World, variant: GhostVariant) -> Result<ActionResult, CompelledError> {
    let (mut alice, mut bob) = world.contacts().await?;
    let a = alice.account_id();
    let ghost = world.admin()?.inject_ghost(a, variant)?;
    let sent = bob.send_text(a, "secret").await;
    let events = bob.take_events();
    let held = world.admin()?.mailbox(a, ghost.device_id)?.len();
    let got = texts(&alice.receive().await?).len();
    let (action, test) = match variant {
        GhostVariant::TamperedList => (
            "inject a ghost device (the stored list with an added entry)",
            "compelled_ghost_device_in_a_tampered_list_is_refused_and_gets_nothing",
        ),
        GhostVariant::OperatorAccountKey => (
            "inject a ghost device (a list signed by an account key the operator made)",
            "compelled_ghost_device_under_an_operator_account_key_is_a_key_change_that_blocks_sending",
        ),
    };
    Ok(ActionResult {
        action,
        clients_saw: format!(
            "sender: {}; {}; recipient got {got} message(s)",
            outcome(&sent),
            events_named(&events)
        ),
        operator_obtained: format!(
            "no plaintext; the ghost (device {}) holds a token and keys but its mailbox holds {held} envelope(s)",
            ghost.device_id
        ),
        test,
    })
}

async fn swap(world: &mut World) -> Result<ActionResult, CompelledError> {
    let mut alice = world.register("alice").await?;
    let mut carol = world.register("carol").await?;
    let a = alice.account_id();
    carol.add_contact(&alice.contact_card()?).await?;
    let prekeys = world.admin()?.swap_bundle_identity(a, 1)?;
    let sent = carol.send_text(a, "secret").await;
    let held = world.admin()?.mailbox(a, 1)?.len();
    let got = alice.receive().await?.len();
    Ok(ActionResult {
        action: "swap a bundle's identity key",
        clients_saw: format!(
            "first-contact sender: {}; recipient got {got} event(s)",
            outcome(&sent)
        ),
        operator_obtained: format!(
            "no plaintext; its bundles ({} one-time prekeys held) were never used; {held} envelope(s) in the mailbox",
            prekeys.one_time_prekey_count()
        ),
        test: "compelled_bundle_identity_swap_is_refused_before_any_session",
    })
}

async fn rollback(world: &mut World) -> Result<ActionResult, CompelledError> {
    let (mut alice, mut bob) = world.contacts().await?;
    let a = alice.account_id();
    let old = world.admin()?.snapshot_list(a)?;
    let _alice2 = world.link(&mut alice).await?;
    bob.send_text(a, "to both").await?;
    bob.take_events();
    let raw = world.admin()?.write_list(a, &old)?;
    let sent = bob.send_text(a, "after the rollback").await;
    Ok(ActionResult {
        action: "roll back a device list",
        clients_saw: format!("sender: {}", outcome(&sent)),
        operator_obtained: format!(
            "nothing: the list of version {} it serves again is refused; no envelope was sent",
            raw.version
        ),
        test: "compelled_list_rollback_is_refused",
    })
}

async fn replay(world: &mut World) -> Result<ActionResult, CompelledError> {
    let (mut alice, mut bob) = world.contacts().await?;
    let a = alice.account_id();
    bob.send_text(a, "one").await?;
    bob.send_text(a, "two").await?;
    let recorded = world.admin()?.record_mailbox(a, 1)?;
    let first = texts(&alice.receive().await?).len();
    let replayed = world.admin()?.replay_recorded(a, 1)?;
    let events = alice.receive().await?;
    Ok(ActionResult {
        action: "replay an old envelope",
        clients_saw: format!(
            "{first} message(s) delivered once; the {replayed} replayed: {}",
            events_named(&events)
        ),
        operator_obtained: format!(
            "no plaintext; {recorded} recorded envelope(s), refused when replayed"
        ),
        test: "compelled_replayed_envelopes_are_refused_as_undecryptable",
    })
}

async fn withhold_revocation(world: &mut World) -> Result<ActionResult, CompelledError> {
    let (mut alice, mut bob) = world.contacts().await?;
    let a = alice.account_id();
    let alice2 = world.link(&mut alice).await?;
    let d2 = alice2.device_id();
    bob.send_text(a, "to both").await?;
    bob.take_events();
    let admin = world.admin()?;
    let before = admin.snapshot_list(a)?;
    alice.revoke_device(d2).await?;
    let after = admin.snapshot_list(a)?;
    admin.write_list(a, &before)?;
    bob.send_text(a, "after the revocation").await?;
    let withheld = bob.take_events();
    let held = admin.mailbox(a, d2)?.len();
    admin.write_list(a, &after)?;
    bob.send_text(a, "later").await?;
    let released = bob.take_events();
    Ok(ActionResult {
        action: "withhold a revocation",
        clients_saw: format!(
            "nothing: not preventable ({} while withheld); once the newer list is served: {}",
            events_named(&withheld),
            events_named(&released)
        ),
        operator_obtained: format!(
            "{held} envelope(s) for the revoked device {d2}: readable only by whoever holds that device"
        ),
        test: "compelled_withheld_revocation_is_not_seen_until_a_newer_list_reaches_the_peer",
    })
}

async fn withhold_messages(world: &mut World) -> Result<ActionResult, CompelledError> {
    let (mut alice, mut bob) = world.contacts().await?;
    let a = alice.account_id();
    bob.send_text(a, "one").await?;
    bob.send_text(a, "two").await?;
    let admin = world.admin()?;
    let withheld = admin.withhold(a, 1)?;
    bob.send_text(a, "three").await?;
    let first = texts(&alice.receive().await?);
    admin.release(a, 1)?;
    let later = texts(&alice.receive().await?);
    Ok(ActionResult {
        action: "withhold messages and release them later",
        clients_saw: format!(
            "nothing: not preventable (got {first:?}, later {later:?}, decrypted out of order)"
        ),
        operator_obtained: format!(
            "no plaintext; {withheld} envelope(s) delayed; nothing it did not hold already"
        ),
        test: "compelled_withheld_messages_released_later_decrypt_out_of_order",
    })
}

async fn forged_certificate(world: &mut World) -> Result<ActionResult, CompelledError> {
    let (mut alice, bob) = world.contacts().await?;
    let (a, b) = (alice.account_id(), bob.account_id());
    let admin = world.admin()?;
    let ghost = admin.forge_sender(b, a, 1, "from the operator")?;
    let listed = parse_list(&admin.snapshot_list(b)?)?.devices;
    let events = alice.receive().await?;
    Ok(ActionResult {
        action: "issue a sender certificate for a device that does not exist",
        clients_saw: format!(
            "recipient: {} (device {ghost} is not in the sender's list {listed:?})",
            events_named(&events)
        ),
        operator_obtained:
            "a certificate from its own server key, and no session: no reply, no plaintext".into(),
        test: "compelled_sender_certificate_for_a_device_that_does_not_exist_opens_no_session",
    })
}

fn print(out: &mut dyn Write, r: &ActionResult) -> std::io::Result<()> {
    writeln!(out, "action: {}", r.action)?;
    writeln!(out, "  clients saw:       {}", r.clients_saw)?;
    writeln!(out, "  operator obtained: {}", r.operator_obtained)?;
    writeln!(out, "  test:              {}", r.test)?;
    writeln!(out)
}

/// Starts a relay on a temporary database (127.0.0.1, a free port), runs every operator
/// action against fresh clients and prints one block per action.
pub async fn run(out: &mut dyn Write) -> Result<Vec<ActionResult>, CompelledError> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("relay.db");
    let relay = Relay::start(RelayConfig::new(&db)).await?;
    let mut world = World {
        url: format!("http://{}", relay.local_addr),
        db,
        dir,
        next: 0,
    };
    writeln!(
        out,
        "compelled platform: the operator acts on the relay's database ({}), the clients over HTTP\n",
        world.db.display()
    )?;
    let mut results = Vec::new();
    let result = async {
        results.push(ghost(&mut world, GhostVariant::TamperedList).await?);
        print(out, &results[results.len() - 1])?;
        results.push(ghost(&mut world, GhostVariant::OperatorAccountKey).await?);
        print(out, &results[results.len() - 1])?;
        results.push(swap(&mut world).await?);
        print(out, &results[results.len() - 1])?;
        results.push(rollback(&mut world).await?);
        print(out, &results[results.len() - 1])?;
        results.push(replay(&mut world).await?);
        print(out, &results[results.len() - 1])?;
        results.push(withhold_revocation(&mut world).await?);
        print(out, &results[results.len() - 1])?;
        results.push(withhold_messages(&mut world).await?);
        print(out, &results[results.len() - 1])?;
        results.push(forged_certificate(&mut world).await?);
        print(out, &results[results.len() - 1])?;
        Ok::<(), CompelledError>(())
    }
    .await;
    relay.shutdown().await?;
    result.map(|()| results)
}

/// An action of `sotto admin`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum AdminAction {
    /// Inject a ghost device into an account's list.
    Ghost {
        /// The account.
        #[arg(long)]
        account: String,
        /// Sign the list with a fresh operator account key instead of tampering with it.
        #[arg(long)]
        operator_key: bool,
    },
    /// Replace a device's bundles by the operator's.
    SwapBundle {
        /// The account.
        #[arg(long)]
        account: String,
        /// The device.
        #[arg(long)]
        device: u32,
    },
    /// Write an account's list bytes to a file.
    SnapshotList {
        /// The account.
        #[arg(long)]
        account: String,
        /// The file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve list bytes from a file as an account's list (rollback, withheld revocation).
    WriteList {
        /// The account.
        #[arg(long)]
        account: String,
        /// The file.
        #[arg(long)]
        list: PathBuf,
    },
    /// Record a mailbox's waiting envelopes.
    Record {
        /// The account.
        #[arg(long)]
        account: String,
        /// The device.
        #[arg(long)]
        device: u32,
    },
    /// Re-insert the recorded envelopes as new messages.
    Replay {
        /// The account.
        #[arg(long)]
        account: String,
        /// The device.
        #[arg(long)]
        device: u32,
    },
    /// Move a mailbox's waiting envelopes aside.
    Withhold {
        /// The account.
        #[arg(long)]
        account: String,
        /// The device.
        #[arg(long)]
        device: u32,
    },
    /// Move the withheld envelopes back.
    Release {
        /// The account.
        #[arg(long)]
        account: String,
        /// The device.
        #[arg(long)]
        device: u32,
    },
    /// Deliver a message under a sender certificate for a device the sender's list lacks.
    ForgeSender {
        /// The account the certificate names.
        #[arg(long)]
        claimed: String,
        /// The recipient account.
        #[arg(long)]
        victim: String,
        /// The recipient device.
        #[arg(long)]
        device: u32,
        /// The text.
        #[arg(long)]
        text: String,
    },
}

fn account(text: &str) -> Result<AccountId, String> {
    AccountId::from_hex(text).ok_or_else(|| format!("not an account id (32 hex digits): {text}"))
}

/// Runs one `sotto admin` action on the database file `db`; the error is one line.
pub fn admin(db: &Path, action: &AdminAction, out: &mut dyn Write) -> Result<(), String> {
    if !db.exists() {
        return Err(format!("no database at {}", db.display()));
    }
    let admin = Admin::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let line = match action {
        AdminAction::Ghost {
            account: acc,
            operator_key,
        } => {
            let variant = if *operator_key {
                GhostVariant::OperatorAccountKey
            } else {
                GhostVariant::TamperedList
            };
            let g = admin
                .inject_ghost(account(acc)?, variant)
                .map_err(|e| e.to_string())?;
            format!("ghost device {} listed and registered", g.device_id)
        }
        AdminAction::SwapBundle {
            account: acc,
            device,
        } => {
            admin
                .swap_bundle_identity(account(acc)?, *device)
                .map_err(|e| e.to_string())?;
            format!("bundles of device {device} replaced by the operator's")
        }
        AdminAction::SnapshotList { account: acc, out } => {
            let bytes = admin
                .snapshot_list(account(acc)?)
                .map_err(|e| e.to_string())?;
            std::fs::write(out, &bytes).map_err(|e| format!("{}: {e}", out.display()))?;
            format!("{} bytes written to {}", bytes.len(), out.display())
        }
        AdminAction::WriteList { account: acc, list } => {
            let bytes = std::fs::read(list).map_err(|e| format!("{}: {e}", list.display()))?;
            let raw = admin
                .write_list(account(acc)?, &bytes)
                .map_err(|e| e.to_string())?;
            format!(
                "the relay now serves version {} listing {:?}",
                raw.version, raw.devices
            )
        }
        AdminAction::Record {
            account: acc,
            device,
        } => {
            let n = admin
                .record_mailbox(account(acc)?, *device)
                .map_err(|e| e.to_string())?;
            format!("{n} envelope(s) recorded")
        }
        AdminAction::Replay {
            account: acc,
            device,
        } => {
            let n = admin
                .replay_recorded(account(acc)?, *device)
                .map_err(|e| e.to_string())?;
            format!("{n} envelope(s) replayed")
        }
        AdminAction::Withhold {
            account: acc,
            device,
        } => {
            let n = admin
                .withhold(account(acc)?, *device)
                .map_err(|e| e.to_string())?;
            format!("{n} envelope(s) withheld")
        }
        AdminAction::Release {
            account: acc,
            device,
        } => {
            let n = admin
                .release(account(acc)?, *device)
                .map_err(|e| e.to_string())?;
            format!("{n} envelope(s) released")
        }
        AdminAction::ForgeSender {
            claimed,
            victim,
            device,
            text,
        } => {
            let id = admin
                .forge_sender(account(claimed)?, account(victim)?, *device, text)
                .map_err(|e| e.to_string())?;
            format!("delivered as device {id} of {claimed}")
        }
    };
    writeln!(out, "{line}").map_err(|e| e.to_string())
}
