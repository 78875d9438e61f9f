//! `sotto demo`: one conversation between two devices, in process, in both session kinds.
//!
//! Every message is printed as it crosses the wire; at the end a table sets what the two
//! parties read beside what an observer holding the whole transcript (a relay, or anyone who
//! compels it) holds. Until session setup (X3DH/PQXDH) and the relay exist, the parties start
//! from a shared secret drawn at random here, and "the wire" is a vector in memory.

use std::io::Write;

use sotto_crypto::CryptoRng;
use sotto_crypto::x25519::KeyPair;
use sotto_ratchet::{Message, Session, SessionConfig, SessionKind, SessionSecret};

/// The demo failed: a session operation or the output stream.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Writing the report failed.
    #[error("output: {0}")]
    Io(#[from] std::io::Error),
    /// A session step failed (a bug: the script only does legal things).
    #[error("session: {0}")]
    Session(String),
}

fn session_error(e: impl core::fmt::Display) -> DemoError {
    DemoError::Session(e.to_string())
}

const SCRIPT: &[(bool, &str)] = &[
    (true, "Hi Bob, it's Alice."),
    (true, "Are we still meeting at the station at six?"),
    (false, "Yes. Bring the documents."),
    (true, "Will do."),
    (false, "See you then."),
];

/// One row of the closing table.
struct Row {
    from: &'static str,
    to: &'static str,
    read: String,
    observed: String,
}

fn short_hex(bytes: &[u8], head: usize) -> String {
    let shown: String = bytes
        .iter()
        .take(head)
        .map(|b| format!("{b:02x}"))
        .collect();
    if bytes.len() > head {
        format!("{shown}..")
    } else {
        shown
    }
}

fn observed(message: &Message) -> String {
    match message.header() {
        Some(h) => format!(
            "{} B, ratchet key {}, PN {}, N {}",
            message.as_bytes().len(),
            short_hex(h.ratchet_key.as_bytes(), 4),
            h.previous_chain_length,
            h.message_number
        ),
        None => format!(
            "{} B, opaque: {}",
            message.as_bytes().len(),
            short_hex(message.as_bytes(), 8)
        ),
    }
}

fn run_kind<R: CryptoRng + ?Sized>(
    kind: SessionKind,
    rng: &mut R,
    out: &mut dyn Write,
) -> Result<(), DemoError> {
    let config = match kind {
        SessionKind::Standard => SessionConfig::standard(),
        SessionKind::HeaderEncrypted => SessionConfig::header_encrypted(),
    };
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut secret);
    let ad = b"alice-device-1 bob-device-1";
    let bob_prekey = KeyPair::generate(rng);
    let mut alice = Session::initiator(
        SessionSecret::new(secret),
        ad,
        bob_prekey.public_key(),
        config,
        rng,
    )
    .map_err(session_error)?;
    let mut bob = Session::responder(SessionSecret::new(secret), ad, bob_prekey, config)
        .map_err(session_error)?;
    secret.fill(0);

    writeln!(out, "\n== {kind:?} session ==")?;
    let mut rows = Vec::new();
    let mut held_back: Option<(Message, usize)> = None;
    for (i, (from_alice, text)) in SCRIPT.iter().enumerate() {
        let (sender, receiver, from, to) = if *from_alice {
            (&mut alice, &mut bob, "alice", "bob")
        } else {
            (&mut bob, &mut alice, "bob", "alice")
        };
        let message = sender
            .encrypt(text.as_bytes(), rng)
            .map_err(session_error)?;
        writeln!(
            out,
            "{from:>5} -> {to:<5} {:>3} B on the wire: {}",
            message.as_bytes().len(),
            short_hex(message.as_bytes(), 24)
        )?;
        rows.push(Row {
            from,
            to,
            read: (*text).to_string(),
            observed: observed(&message),
        });
        // The relay delays the second message until after the third is sent.
        if i == 1 {
            writeln!(
                out,
                "              (the relay holds this one back; it arrives late)"
            )?;
            held_back = Some((message, i));
            continue;
        }
        let plaintext = receiver.decrypt(&message).map_err(session_error)?;
        if plaintext != text.as_bytes() {
            return Err(DemoError::Session(format!("message {i} decrypted wrongly")));
        }
        if let Some((late, j)) = held_back.take() {
            let plaintext = bob.decrypt(&late).map_err(session_error)?;
            writeln!(
                out,
                "              late message {j} delivered: decrypts from the skipped-key store"
            )?;
            if plaintext != SCRIPT[j].1.as_bytes() {
                return Err(DemoError::Session(format!("message {j} decrypted wrongly")));
            }
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<14} | {:<46} | what an observer of the wire holds",
        "", "what the parties read"
    )?;
    writeln!(out, "{:-<14}-+-{:-<46}-+-{:-<50}", "", "", "")?;
    for row in &rows {
        writeln!(
            out,
            "{:<14} | {:<46} | {}",
            format!("{} -> {}", row.from, row.to),
            row.read,
            row.observed
        )?;
    }
    let replay = rows.len();
    writeln!(
        out,
        "({replay} messages; every key that decrypted one of them is already deleted)"
    )?;
    Ok(())
}

/// Runs the demo, writing the report to `out`.
pub fn run<R: CryptoRng + ?Sized>(rng: &mut R, out: &mut dyn Write) -> Result<(), DemoError> {
    writeln!(
        out,
        "Sotto demo: one conversation, two devices, the Double Ratchet in both session kinds."
    )?;
    writeln!(
        out,
        "Session setup (X3DH/PQXDH) and the relay are not built yet: the devices start from a\n\
         shared secret drawn here, and the wire is in memory. Everything else is the real protocol."
    )?;
    run_kind(SessionKind::Standard, rng, out)?;
    run_kind(SessionKind::HeaderEncrypted, rng, out)?;
    writeln!(
        out,
        "\nStandard headers show the observer each sender's ratchet key and counters, so it can\n\
         group messages into chains; header encryption leaves it sizes and timing only."
    )?;
    Ok(())
}
