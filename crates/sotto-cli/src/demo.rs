//! `sotto demo`: one scripted conversation under every platform profile, each on a real
//! relay (HTTP on loopback, its own SQLite file), then the disclosure matrix read from the
//! five databases (docs/disclosure.md).
//!
//! The script ([`run_profile`]): Alice (two devices), Bob and Carol register (with phone
//! numbers where the profile asks for one; under `sotto` they exchange contact cards out of
//! band instead); Alice links her second device; Alice and Bob talk; Alice tells Bob a
//! rumour and Bob forwards the same text to Carol; Carol answers; Alice revokes her second
//! device; Bob writes to Alice again; Bob's last message to Carol stays in her mailbox
//! unread. Every cell of [`matrix`] is a query on the database file the relay left; the
//! script's names (Alice, Bob, Carol) only label the account ids the queries return.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};
use sotto::{AccountId, Client, ClientConfig, ClientError, Event, HttpTransport, PendingDevice};
use sotto_crypto::SecretBytes;
use sotto_relay::{Profile, Relay, RelayConfig};

use crate::matrix::{Cell, Matrix, Row};

/// The demo failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Writing the report failed.
    #[error("output: {0}")]
    Io(#[from] std::io::Error),
    /// A relay did not start.
    #[error("relay: {0}")]
    Relay(#[from] sotto_relay::StartError),
    /// A client step failed (a bug: the script only does legal things).
    #[error("client: {0}")]
    Client(#[from] ClientError),
    /// Reading a relay's database failed.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// A message of the script did not arrive as sent.
    #[error("the script went wrong: {0}")]
    Script(String),
}

/// The script's people, in order; their phone numbers where a profile asks for one.
pub const PEOPLE: [(&str, &str); 3] = [
    ("Alice", "+15550100001"),
    ("Bob", "+15550100002"),
    ("Carol", "+15550100003"),
];

/// The script's texts, by (sender, recipient, text), in the order they are sent (people by
/// index in [`PEOPLE`]). The rumour is sent twice: by Alice, then forwarded by Bob.
pub const TEXTS: [(usize, usize, &str); 7] = [
    (0, 1, "Lunch at noon?"),
    (1, 0, "Yes, see you there."),
    (0, 1, RUMOUR),
    (1, 2, RUMOUR),
    (2, 1, "Thanks for the warning."),
    (1, 0, "Noted, I told Carol."),
    (1, 2, UNREAD),
];

/// The text Bob forwards.
pub const RUMOUR: &str = "They say the bridge closes on Friday.";
/// The text Carol never fetches.
pub const UNREAD: &str = "Call me tonight.";

/// What one profile's run left: the database file, and the script's identifiers.
#[derive(Debug)]
pub struct ProfileRun {
    /// The profile.
    pub profile: Profile,
    /// The relay's database file (the relay has shut down cleanly).
    pub db: PathBuf,
    /// Each person's account, in [`PEOPLE`]'s order.
    pub accounts: Vec<AccountId>,
    /// Every device the script registered: (account, device id).
    pub devices: Vec<(AccountId, u32)>,
}

impl ProfileRun {
    /// The script's name for an account id, or its first hex digits.
    #[must_use]
    pub fn name(&self, account: &[u8]) -> String {
        self.accounts
            .iter()
            .position(|a| a.to_bytes().as_slice() == account)
            .map_or_else(
                || format!("{}…", hex::encode(account.get(..4).unwrap_or(account))),
                |i| PEOPLE[i].0.to_owned(),
            )
    }
}

fn script_error(what: impl Into<String>) -> DemoError {
    DemoError::Script(what.into())
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

async fn expect(client: &mut Client<HttpTransport>, text: &str) -> Result<(), DemoError> {
    let got = texts(&client.receive_wait(5).await?);
    if got.iter().any(|t| t == text) {
        Ok(())
    } else {
        Err(script_error(format!("expected {text:?}, got {got:?}")))
    }
}

/// Runs the script under `profile` on a relay whose database is `db` (created; it must not
/// exist), client homes under `homes`; shuts the relay down cleanly.
pub async fn run_profile(
    profile: Profile,
    db: &Path,
    homes: &Path,
) -> Result<ProfileRun, DemoError> {
    let mut config = RelayConfig::new(db);
    config.profile = profile;
    let relay = Relay::start(config).await?;
    let url = format!("http://{}", relay.local_addr);
    let result = script(profile, &url, homes).await;
    relay.shutdown().await?;
    let (accounts, devices) = result?;
    Ok(ProfileRun {
        profile,
        db: db.to_path_buf(),
        accounts,
        devices,
    })
}

fn client_config(home: PathBuf, phone: &str) -> ClientConfig {
    let mut config = ClientConfig::new(home, SecretBytes::random(&mut rand::rng()));
    config.phone = Some(phone.to_owned());
    config
}

type Script = (Vec<AccountId>, Vec<(AccountId, u32)>);

async fn script(profile: Profile, url: &str, homes: &Path) -> Result<Script, DemoError> {
    let transport = || HttpTransport::new(url);
    let mut people = Vec::new();
    for (name, phone) in PEOPLE {
        let config = client_config(homes.join(name), phone);
        people.push(Client::register(transport(), config).await?);
    }
    let [mut alice, mut bob, mut carol] =
        <[_; 3]>::try_from(people).map_err(|_| script_error("three people"))?;
    // Alice links her second device.
    let pending = PendingDevice::new(client_config(homes.join("Alice-2"), PEOPLE[0].1));
    let link = alice.link_device(&pending.code()).await?;
    let mut alice2 = pending.finish(transport(), link).await?;
    if profile == Profile::Sotto {
        // Only sealed sends exist: contact cards go out of band (in person, a QR code).
        let (a, b, c) = (
            alice.contact_card()?,
            bob.contact_card()?,
            carol.contact_card()?,
        );
        alice.add_contact(&b).await?;
        bob.add_contact(&a).await?;
        bob.add_contact(&c).await?;
        carol.add_contact(&b).await?;
    }
    let (a, b, c) = (alice.account_id(), bob.account_id(), carol.account_id());
    let devices = vec![
        (a, alice.device_id()),
        (a, alice2.device_id()),
        (b, 1),
        (c, 1),
    ];

    alice.send_text(b, TEXTS[0].2).await?;
    expect(&mut bob, TEXTS[0].2).await?;
    bob.send_text(a, TEXTS[1].2).await?;
    expect(&mut alice, TEXTS[1].2).await?;
    alice.send_text(b, TEXTS[2].2).await?;
    expect(&mut bob, TEXTS[2].2).await?;
    // Bob forwards the same text to Carol.
    bob.send_text(c, TEXTS[3].2).await?;
    expect(&mut carol, TEXTS[3].2).await?;
    carol.send_text(b, TEXTS[4].2).await?;
    expect(&mut bob, TEXTS[4].2).await?;
    // Alice's second device reads what reached it, then Alice revokes it.
    alice2.receive().await?;
    alice.revoke_device(alice2.device_id()).await?;
    bob.send_text(a, TEXTS[5].2).await?;
    expect(&mut alice, TEXTS[5].2).await?;
    // Bob's last message waits in Carol's mailbox: she never fetches it.
    bob.send_text(c, TEXTS[6].2).await?;
    Ok((vec![a, b, c], devices))
}

// ------------------------------------------------------------------ the matrix

/// The matrix's rows, in order.
pub const ROWS: [&str; 11] = [
    "Subscriber identity",
    "Message content",
    "Who talks to whom",
    "Timestamps",
    "Message sizes",
    "Contact graph",
    "Device list",
    "Client addresses",
    "Account creation",
    "Last seen",
    "Originator of a forward",
];

fn open(db: &Path) -> Result<Connection, DemoError> {
    Ok(Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?)
}

fn rows(conn: &Connection, sql: &str) -> Result<Vec<Vec<Value>>, DemoError> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let out = stmt
        .query_map([], |r| {
            (0..n).map(|i| r.get(i)).collect::<Result<Vec<Value>, _>>()
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(t) => Some(t),
        _ => None,
    }
}

fn bytes(v: &Value) -> &[u8] {
    match v {
        Value::Blob(b) => b,
        _ => &[],
    }
}

/// A stored time as the database holds it: a date where it is a day boundary, else a
/// date and time (UTC).
#[must_use]
pub fn show_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    if secs == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// "to the second" or "to the day", from the values themselves.
fn granularity(times: &[i64]) -> &'static str {
    if times.iter().all(|t| t % 86_400 == 0) {
        "day"
    } else {
        "second"
    }
}

fn held_times(what: &str, times: &[i64]) -> Cell {
    match times.iter().min() {
        None => Cell::NotHeld,
        Some(first) => Cell::Held(format!(
            "{}, to the {}: {}",
            count(times.len(), what),
            granularity(times),
            show_time(*first)
        )),
    }
}

/// `n` and `what`, plural when `n` is not 1.
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn pair(run: &ProfileRun, from: &[u8], to: &[u8]) -> String {
    let from = run.name(from.get(..16).unwrap_or(from));
    let to = run.name(to.get(..16).unwrap_or(to));
    format!("{from}→{to}")
}

/// One column of the matrix: every row's cell for one profile's database.
pub fn column(run: &ProfileRun) -> Result<Vec<Cell>, DemoError> {
    let conn = open(&run.db)?;
    let q = |sql: &str| rows(&conn, sql);
    let mut cells = Vec::with_capacity(ROWS.len());

    // Subscriber identity.
    let phones = q("SELECT phone FROM accounts WHERE phone IS NOT NULL ORDER BY phone")?;
    cells.push(match phones.first().and_then(|r| text(&r[0])) {
        Some(p) => Cell::Held(format!("{} phones: {p}, …", phones.len())),
        None => Cell::NotHeld,
    });

    // Message content.
    let bodies = q("SELECT body FROM messages WHERE body IS NOT NULL ORDER BY id")?;
    cells.push(match bodies.first().and_then(|r| text(&r[0])) {
        Some(b) => Cell::Held(format!("{} texts: \"{b}\", …", bodies.len())),
        None => Cell::NotHeld,
    });

    // Who talks to whom: the delivery log, and senders of waiting messages.
    let mut pairs: Vec<String> = Vec::new();
    for r in q("SELECT sender, recipient FROM delivery_log ORDER BY id")? {
        pairs.push(pair(run, bytes(&r[0]), bytes(&r[1])));
    }
    for r in q("SELECT sender, account_id FROM messages WHERE sender IS NOT NULL ORDER BY id")? {
        pairs.push(pair(run, bytes(&r[0]), bytes(&r[1])));
    }
    let sends = pairs.len();
    pairs.sort();
    pairs.dedup();
    cells.push(if sends == 0 {
        Cell::NotHeld
    } else {
        Cell::Held(format!("{sends} sends: {}", pairs.join(", ")))
    });

    // Timestamps of messages.
    let mut times: Vec<i64> = Vec::new();
    for sql in [
        "SELECT at FROM delivery_log",
        "SELECT received_at FROM messages",
        "SELECT delivered_at FROM messages WHERE delivered_at IS NOT NULL",
    ] {
        times.extend(q(sql)?.iter().filter_map(|r| int(&r[0])));
    }
    cells.push(held_times("time", &times));

    // Message sizes.
    let mut sizes: Vec<i64> = q("SELECT size FROM delivery_log")?
        .iter()
        .filter_map(|r| int(&r[0]))
        .collect();
    if sizes.is_empty() {
        sizes = q("SELECT length(envelope) + length(coalesce(body, '')) FROM messages")?
            .iter()
            .filter_map(|r| int(&r[0]))
            .collect();
    }
    cells.push(match (sizes.iter().min(), sizes.iter().max()) {
        (Some(lo), Some(hi)) if lo == hi => {
            Cell::Held(format!("{}: {lo} B", count(sizes.len(), "size")))
        }
        (Some(lo), Some(hi)) => Cell::Held(format!("{}, {lo}–{hi} B", count(sizes.len(), "size"))),
        _ => Cell::NotHeld,
    });

    // Contact graph.
    let mut contacts: Vec<String> = q("SELECT owner, contact FROM contacts")?
        .iter()
        .map(|r| pair(run, bytes(&r[0]), bytes(&r[1])))
        .collect();
    contacts.sort();
    cells.push(if contacts.is_empty() {
        Cell::NotHeld
    } else {
        Cell::Held(contacts.join(", "))
    });

    // Device list.
    let lists = q(
        "SELECT account_id, list_version, length(listed_devices) / 4 FROM accounts ORDER BY created_at",
    )?;
    cells.push(if lists.is_empty() {
        Cell::NotHeld
    } else {
        Cell::Held({
            let mut lists: Vec<String> = lists
                .iter()
                .map(|r| {
                    format!(
                        "{} v{}: {} dev",
                        run.name(bytes(&r[0])),
                        int(&r[1]).unwrap_or(0),
                        int(&r[2]).unwrap_or(0)
                    )
                })
                .collect();
            lists.sort();
            lists.join(", ")
        })
    });

    // Client addresses.
    let mut ips: Vec<String> = q("SELECT last_ip FROM devices WHERE last_ip IS NOT NULL")?
        .iter()
        .chain(q("SELECT ip FROM delivery_log WHERE ip IS NOT NULL")?.iter())
        .filter_map(|r| text(&r[0]).map(str::to_owned))
        .collect();
    let n = ips.len();
    ips.sort();
    ips.dedup();
    cells.push(if n == 0 {
        Cell::NotHeld
    } else {
        Cell::Held(format!("{n} records: {}", ips.join(", ")))
    });

    // Account creation and last seen.
    let created: Vec<i64> = q("SELECT created_at FROM accounts")?
        .iter()
        .filter_map(|r| int(&r[0]))
        .collect();
    cells.push(held_times("account", &created));
    let seen: Vec<i64> = q("SELECT last_seen_at FROM devices")?
        .iter()
        .filter_map(|r| int(&r[0]))
        .collect();
    cells.push(held_times("device", &seen));

    // Originator of a forwarded message: a hash sent more than once, or a plaintext sent by
    // more than one sender.
    let traced = q(
        "SELECT t.originator, count(*) FROM trace t JOIN trace_log l ON l.hash = t.hash
                    GROUP BY t.hash HAVING count(*) > 1",
    )?;
    let searched = q("SELECT m.sender FROM messages m
                      WHERE m.body IN (SELECT body FROM messages WHERE body IS NOT NULL
                                       GROUP BY body HAVING count(DISTINCT sender) > 1)
                      ORDER BY m.id LIMIT 1")?;
    cells.push(match (traced.first(), searched.first()) {
        (Some(r), _) => Cell::Held(format!(
            "{} (trace hash, {} sends)",
            run.name(bytes(&r[0]).get(..16).unwrap_or(&[])),
            int(&r[1]).unwrap_or(0)
        )),
        (None, Some(r)) => Cell::Held(format!(
            "{} (by searching plaintext)",
            run.name(bytes(&r[0]).get(..16).unwrap_or(&[]))
        )),
        (None, None) => Cell::NotHeld,
    });
    Ok(cells)
}

/// The matrix of `runs`, one column each.
pub fn matrix(runs: &[ProfileRun]) -> Result<Matrix, DemoError> {
    let columns: Vec<Vec<Cell>> = runs.iter().map(column).collect::<Result<_, _>>()?;
    Ok(Matrix {
        columns: runs.iter().map(|r| r.profile.name().to_owned()).collect(),
        rows: ROWS
            .iter()
            .enumerate()
            .map(|(i, name)| Row {
                name: (*name).to_owned(),
                cells: columns.iter().map(|c| c[i].clone()).collect(),
            })
            .collect(),
    })
}

/// How `sotto demo` writes the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for a terminal of 100 columns, in colour if `colour`.
    Terminal {
        /// ANSI colours.
        colour: bool,
    },
    /// The markdown table of docs/disclosure.md.
    Markdown,
    /// JSON.
    Json,
}

/// Runs every profile (databases in `keep`, or a temporary directory removed afterwards),
/// writes one progress line per profile to `progress` and the matrix to `out`.
pub fn run(
    keep: Option<&Path>,
    format: Format,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<Matrix, DemoError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let scratch = tempfile::tempdir()?;
    let dbs = match keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.to_path_buf()
        }
        None => scratch.path().to_path_buf(),
    };
    let mut runs = Vec::new();
    for profile in Profile::ALL {
        let db = dbs.join(format!("{}.db", profile.name()));
        for suffix in ["", "-wal", "-shm"] {
            let mut path = db.clone().into_os_string();
            path.push(suffix);
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        let homes = scratch.path().join(format!("homes-{}", profile.name()));
        let started = std::time::Instant::now();
        write!(progress, "sotto demo: {:<9} ", profile.name())?;
        progress.flush()?;
        let run = runtime.block_on(run_profile(profile, &db, &homes))?;
        writeln!(
            progress,
            "script done in {:.1} s, database {}",
            started.elapsed().as_secs_f64(),
            if keep.is_some() {
                db.display().to_string()
            } else {
                "temporary".to_owned()
            }
        )?;
        runs.push(run);
    }
    let matrix = matrix(&runs)?;
    match format {
        Format::Terminal { colour } => {
            writeln!(
                out,
                "What each relay's database holds after the same conversation (docs/disclosure.md):\n"
            )?;
            write!(
                out,
                "{}",
                crate::matrix::render_terminal(&matrix, 100, colour)
            )?;
            if keep.is_some() {
                writeln!(
                    out,
                    "\nEach database is kept: open it with `sqlite3 DIR/PROFILE.db`."
                )?;
            }
        }
        Format::Markdown => write!(out, "{}", crate::matrix::render_markdown(&matrix))?,
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&crate::matrix::render_json(&matrix))
                .map_err(|e| script_error(e.to_string()))?
        )?,
    }
    Ok(matrix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_as_dates_on_day_boundaries() {
        assert_eq!(show_time(0), "1970-01-01");
        assert_eq!(show_time(1_764_806_400), "2025-12-04");
        assert_eq!(show_time(1_764_806_401), "2025-12-04 00:00:01");
        assert_eq!(show_time(951_782_400), "2000-02-29");
        assert_eq!(granularity(&[86_400, 172_800]), "day");
        assert_eq!(granularity(&[86_400, 172_801]), "second");
    }
}
