//! The `sotto` command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sotto_cli::chat;
use sotto_relay::{Durability, Profile, RelayConfig};

/// A chat command's result with its error as one line.
fn chat(result: Result<(), chat::ChatError>) -> Result<(), String> {
    result.map_err(|e| chat::error_line(&e))
}

/// Sotto: an end-to-end encryption messenger core.
///
/// Chat from two terminals: start a relay (`sotto relay --db relay.db --addr 127.0.0.1:8080`),
/// then each person runs `sotto register --home DIR --relay http://127.0.0.1:8080`, shares the
/// account id it prints, and uses `send`, `receive` and `safety-number` with the same `--home`.
/// Each home holds one device: its encrypted store, and `store.key` (mode 0600), the key of
/// that store, which a real application would keep in the OS keystore instead.
#[derive(Parser)]
#[command(name = "sotto", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What a relay commit survives.
#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    /// A crash of the relay process (synchronous = NORMAL, the default).
    ProcessCrash,
    /// A power loss too (synchronous = FULL: one fsync per commit batch).
    PowerLoss,
}

impl From<DurabilityArg> for Durability {
    fn from(d: DurabilityArg) -> Self {
        match d {
            DurabilityArg::ProcessCrash => Self::ProcessCrash,
            DurabilityArg::PowerLoss => Self::PowerLoss,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Json,
    Markdown,
}

#[derive(Subcommand)]
enum Command {
    /// The compelled operator's admin interface: an action on the relay's database file
    /// (never reachable through the client API; the relay may be running). See
    /// docs/compelled.md.
    Admin {
        /// The relay's database file.
        #[arg(long)]
        db: PathBuf,
        /// The action.
        #[command(subcommand)]
        action: sotto_cli::compelled::AdminAction,
    },
    /// Run one scripted conversation under every platform profile, each on a real relay
    /// with its own SQLite file, print what each database holds (the disclosure matrix of
    /// docs/disclosure.md), then run every compelled-operator action against fresh clients
    /// and print what they saw and what the operator obtained (docs/compelled.md).
    Demo {
        /// Write only the matrix, as markdown (the table of docs/disclosure.md).
        #[arg(long, conflicts_with_all = ["json", "compelled"])]
        markdown: bool,
        /// Write only the matrix, as JSON.
        #[arg(long, conflicts_with = "compelled")]
        json: bool,
        /// Run only the compelled-operator actions.
        #[arg(long)]
        compelled: bool,
        /// Keep each profile's database as DIR/PROFILE.db (for `sqlite3`).
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
    /// Export everything a relay's database holds about one account: the package a
    /// platform would hand over (read-only; the relay may be running).
    Disclose {
        /// The relay's database file.
        #[arg(long)]
        db: PathBuf,
        /// The account id (32 hex digits).
        #[arg(long)]
        account: String,
        /// The form.
        #[arg(long, value_enum, default_value = "markdown")]
        format: FormatArg,
    },
    /// Run the reference relay until Ctrl-C; prints `listening on ADDR` once bound.
    Relay {
        /// The database file (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// What a commit survives.
        #[arg(long, value_enum, default_value = "process-crash")]
        durability: DurabilityArg,
        /// The platform profile: what the relay takes and keeps (docs/relay.md, "Profiles"):
        /// transport, e2ee, traceable, sealed or sotto.
        #[arg(long, default_value = "sotto", value_parser = parse_profile)]
        profile: Profile,
    },
    /// Load a relay started in process on a temporary file and report throughput, latency,
    /// memory and CPU.
    BenchRelay {
        /// Sender/receiver pairs.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Messages in total.
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
        /// What a commit survives.
        #[arg(long, value_enum, default_value = "process-crash")]
        durability: DurabilityArg,
    },
    /// Create an account on a relay (this device is its first) and print its id and contact
    /// card.
    ///
    /// The account id (32 hex digits) names you; the contact card (`ID.KEY`) is what the
    /// people who may write to you pass to `--to` the first time (it carries your profile
    /// key, which lets them send sealed: the relay does not learn who writes to you).
    ///
    /// Writes HOME/store.key (32 random bytes, mode 0600: a real application keeps this key
    /// in the OS keystore) and HOME/relay.url, so later commands need only `--home`.
    Register {
        /// The directory holding this device's state (created if missing; must not hold a
        /// client yet).
        #[arg(long)]
        home: PathBuf,
        /// The relay's base URL.
        #[arg(long)]
        relay: String,
        /// A phone number (E.164, `+` and digits), for a relay whose profile registers
        /// accounts with one (every profile but `sotto`, which is never sent it).
        #[arg(long)]
        phone: Option<String>,
    },
    /// Link a second device to an account, in two terminals.
    ///
    /// 1. On the new device: `sotto link --home NEW --relay URL` prints a link code and waits
    ///    for the link message on standard input (keep it running: the pending link exists
    ///    only in this process).
    /// 2. On the primary: `sotto link --home PRIMARY --code CODE` prints the link message
    ///    (hex, one line).
    /// 3. Paste that line into the new device's terminal: it finishes and prints
    ///    `linked: account ID device N`.
    ///
    /// The code and the message hold the link secret: carry them only over a channel you
    /// trust (the same screen, the same person).
    Link {
        /// The device's state directory.
        #[arg(long)]
        home: PathBuf,
        /// On the primary: the code the new device printed.
        #[arg(long, conflicts_with = "relay")]
        code: Option<String>,
        /// On the new device: the relay's base URL.
        #[arg(long)]
        relay: Option<String>,
    },
    /// Send a text to an account.
    ///
    /// It goes to every trusted device of the account, and a copy to your other devices.
    Send {
        /// The device's state directory.
        #[arg(long)]
        home: PathBuf,
        /// The recipient's contact card (`ID.KEY`, needed the first time under the `sotto`
        /// profile), or their account id (32 hex digits) once the card is kept.
        #[arg(long)]
        to: String,
        /// The text.
        text: String,
    },
    /// Revoke another device of your account (run it on the primary).
    ///
    /// The account's signed device list is replaced by one without the device; the relay
    /// drops its token, prekeys and mail, and your contacts see `trust: device removed`.
    Revoke {
        /// The primary device's state directory.
        #[arg(long)]
        home: PathBuf,
        /// The id of the device to revoke (as `linked: account ID device N` printed it).
        #[arg(long)]
        device: u32,
    },
    /// Fetch and print new messages and trust events, one line each.
    ///
    /// The lines: `from ACCOUNT device N: TEXT`, `to ACCOUNT from own device N: TEXT` (a copy from another device of yours),
    /// `trust: device added: ...`, `trust: device removed: ...`,
    /// `trust: account key changed: ...`, `undecryptable message ID (dropped)`.
    Receive {
        /// The device's state directory.
        #[arg(long)]
        home: PathBuf,
        /// Wait up to this many seconds for a first message (0: do not wait; at most 3600).
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Print the safety number with a peer, or verify it.
    ///
    /// 12 groups of 5 digits; both sides see the same number: compare it in person, then
    /// mark the peer verified with `--verify`.
    SafetyNumber {
        /// The device's state directory.
        #[arg(long)]
        home: PathBuf,
        /// The peer's account id (32 hex digits).
        #[arg(long)]
        peer: String,
        /// The number shown on the peer's screen (spaces allowed): on a match the peer is
        /// marked verified, else the command fails.
        #[arg(long, value_name = "NUMBER")]
        verify: Option<String>,
        /// Accept the peer's new account key after `trust: account key changed` (sending
        /// to the peer is blocked until then).
        #[arg(long)]
        accept_key_change: bool,
    },
}

/// A profile by name.
fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
        format!("unknown profile {name:?} (one of {})", names.join(", "))
    })
}

/// A clap error (other than `--help` and `--version`) as one line.
fn parse_cli() -> Result<Cli, String> {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            e.exit()
        }
        Err(e) => {
            let rendered = e.render().to_string();
            let message: Vec<&str> = rendered
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let message = message.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            Err(format!("{message} (see `sotto --help`)"))
        }
    }
}

fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("sotto: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        Command::Demo {
            markdown,
            json,
            compelled,
            keep,
        } => {
            let format = if markdown {
                sotto_cli::demo::Format::Markdown
            } else if json {
                sotto_cli::demo::Format::Json
            } else {
                sotto_cli::demo::Format::Terminal {
                    colour: sotto_cli::matrix::colour_for_stdout(),
                }
            };
            let mut progress = std::io::stderr().lock();
            let matrix = if compelled {
                Ok(())
            } else {
                sotto_cli::demo::run(keep.as_deref(), format, &mut stdout, &mut progress)
                    .map(drop)
                    .map_err(|e| e.to_string())
            };
            let terminal = matches!(format, sotto_cli::demo::Format::Terminal { .. });
            matrix.and_then(|()| {
                if !terminal {
                    return Ok(());
                }
                use std::io::Write as _;
                if !compelled {
                    writeln!(stdout).map_err(|e| e.to_string())?;
                }
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
                    .and_then(|rt| {
                        rt.block_on(sotto_cli::compelled::run(&mut stdout))
                            .map(drop)
                            .map_err(|e| e.to_string())
                    })
            })
        }
        Command::Disclose {
            db,
            account,
            format,
        } => {
            let format = match format {
                FormatArg::Json => sotto_cli::disclose::Format::Json,
                FormatArg::Markdown => sotto_cli::disclose::Format::Markdown,
            };
            sotto_cli::disclose::run(&db, &account, format, &mut stdout).map_err(|e| e.to_string())
        }
        Command::Admin { db, action } => sotto_cli::compelled::admin(&db, &action, &mut stdout),
        Command::Relay {
            db,
            addr,
            durability,
            profile,
        } => {
            let mut config = RelayConfig::new(db);
            config.addr = addr;
            config.durability = durability.into();
            config.profile = profile;
            sotto_cli::relay::run(config, &mut stdout).map_err(|e| e.to_string())
        }
        Command::BenchRelay {
            clients,
            messages,
            durability,
        } => {
            let config = sotto_cli::bench::BenchConfig {
                clients,
                messages,
                durability: durability.into(),
            };
            sotto_cli::bench::run(config, &mut stdout)
                .map(drop)
                .map_err(|e| e.to_string())
        }
        Command::Register { home, relay, phone } => {
            chat(chat::register(&home, &relay, phone.as_deref(), &mut stdout))
        }
        Command::Link {
            home,
            code: Some(code),
            ..
        } => chat(chat::link_primary(&home, &code, &mut stdout)),
        Command::Link {
            home,
            code: None,
            relay,
        } => chat(chat::link_new(
            &home,
            relay.as_deref(),
            &mut std::io::stdin().lock(),
            &mut stdout,
        )),
        Command::Send { home, to, text } => chat(chat::send(&home, &to, &text, &mut stdout)),
        Command::Revoke { home, device } => chat(chat::revoke(&home, device, &mut stdout)),
        Command::Receive { home, wait } => chat(chat::receive(&home, wait, &mut stdout)),
        Command::SafetyNumber {
            home,
            peer,
            verify,
            accept_key_change,
        } => {
            let options = chat::SafetyOptions {
                verify,
                accept_key_change,
            };
            chat(chat::safety_number(&home, &peer, &options, &mut stdout))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotto: {e}");
            ExitCode::FAILURE
        }
    }
}
