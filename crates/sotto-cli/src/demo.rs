//! `sotto demo`: one conversation between two devices, in process, in both session kinds.
//!
//! Every message is printed as it crosses the wire; at the end a table sets what the two
//! parties read beside what an observer holding the whole transcript (a relay, or anyone who
//! compels it) holds. Sessions start with PQXDH from a published prekey bundle. Until the
//! relay exists, "the wire" is memory.

use std::io::Write;

use sotto_crypto::CryptoRng;
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, InitialMessage, PrekeyBundle,
    PrekeyPolicy, initiate, respond,
};
use sotto_ratchet::{Message, SessionConfig, SessionKind};

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
            short_hex(h.ratchet_key().as_bytes(), 4),
            h.previous_chain_length(),
            h.message_number()
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
    let handshake = HandshakeConfig {
        session: config,
        require_post_quantum: true,
    };
    let alice_device = DeviceIdentity::generate(rng);
    let now = 1_764_000_000;
    let mut bob_store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(rng),
        PrekeyPolicy::default(),
        now,
        rng,
    );
    let published = bob_store
        .published()
        .ok_or_else(|| session_error("no signed prekey"))?;
    let bundle_bytes = published.clone().take_bundle().to_bytes();
    let bundle = PrekeyBundle::from_bytes(&bundle_bytes)
        .map_err(session_error)?
        .verify()
        .map_err(session_error)?;

    writeln!(out, "\n== {kind:?} session ==")?;
    writeln!(
        out,
        "the relay hands alice bob's {} B prekey bundle (signed prekey, one-time prekey, signed ML-KEM-768 prekey)",
        bundle_bytes.len()
    )?;
    let first = SCRIPT[0].1.as_bytes();
    // Each side names the device it expects (HS-11): alice the identity bob published, bob
    // alice's.
    let sent = initiate(
        &alice_device,
        &bundle,
        &published.identity,
        first,
        &handshake,
        rng,
    )
    .map_err(session_error)?;
    let initial_bytes = sent.message.to_bytes();
    let initial = InitialMessage::from_bytes(&initial_bytes).map_err(session_error)?;
    let got = respond(&mut bob_store, &initial, &alice_device.public(), &handshake)
        .map_err(session_error)?;
    writeln!(
        out,
        "alice -> bob  {:>4} B initial message ({:?}: 4 X25519 agreements + ML-KEM-768) carrying message 0",
        initial_bytes.len(),
        sent.mode
    )?;
    if got.plaintext != first {
        return Err(DemoError::Session(
            "the first message decrypted wrongly".into(),
        ));
    }
    let mut alice = sent.session;
    let mut bob = got.session;
    let mut rows = vec![Row {
        from: "alice",
        to: "bob",
        read: SCRIPT[0].1.to_string(),
        observed: format!(
            "{} B initial message: alice's identity keys in the clear",
            initial_bytes.len()
        ),
    }];
    let mut held_back: Option<(Message, usize)> = None;
    for (i, (from_alice, text)) in SCRIPT.iter().enumerate().skip(1) {
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
        "Sotto demo: one conversation between two devices: PQXDH session setup, then the Double Ratchet, in both session kinds."
    )?;
    writeln!(
        out,
        "The relay is not built yet, so the wire is memory; everything else is the real protocol."
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
