//! The session-setup part of the report: each [`SetupRow`] against its floor and its
//! vodozemac peer, and the initiator-plus-responder totals.
//!
//! Floors (sums of medians measured in the same run; [`floor_terms`] is the single source of
//! both the number and the printed formula):
//!
//! - `bundle_verify_x3dh` = ed25519_key_decode + ed25519_verify_99 (the identity's Ed25519
//!   key, the signed prekey's signature);
//! - `bundle_verify_pqxdh` = that + mlkem768_key_decode + ed25519_verify_1243 (the ML-KEM
//!   prekey and its signature);
//! - `setup_x3dh_initiator` = bundle_verify_x3dh + 2 × x25519_keygen + 5 × x25519_dh +
//!   hkdf_sk + hkdf64 + 2 × hmac + hkdf44 + aead_seal_100: EK_a and the first ratchet key;
//!   DH1..DH4 and the ratchet's first DH; SK; KDF_RK; encrypting the first 100 bytes;
//! - `setup_pqxdh_initiator` = bundle_verify_pqxdh + the same + mlkem768_encaps;
//! - `setup_x3dh_responder` = ed25519_key_decode + 5 × x25519_dh + hkdf_sk + hkdf64 +
//!   2 × hmac + hkdf44 + aead_open_100: the initiator's identity key (checked when the initial
//!   message is decoded); DH1..DH4 and the ratchet's receiving DH; SK; KDF_RK; decrypting;
//! - `setup_pqxdh_responder` = the same + mlkem768_decaps;
//! - `setup_<mode>_total` = initiator + responder, for Sotto, the floor and vodozemac alike.
//!
//! The peer of an initiator is vodozemac's outbound session creation plus its first encrypt
//! of 100 bytes; the peer of a responder is its inbound creation from the pre-key message's
//! bytes, which decrypts it. Olm's 3DH does three DHs and verifies no signature, so vodozemac
//! does less work by design; the ratio says what Sotto's extra authentication (and ML-KEM)
//! costs, not an inefficiency.

use std::fmt::Write as _;

use serde::Serialize;
use sotto_handshake::Mode;

use crate::case::{Case, OlmSetup, Primitive, SMALL, SetupRow};
use crate::floor::{KEM_SIGNED_LEN, SPK_SIGNED_LEN};
use crate::report::Measurements;

/// libsignal's full PQXDH handshake (both sides) on this machine kind, nanoseconds
/// (`/work/shared/design.md`, "Performance").
pub const LIBSIGNAL_PQXDH_NS: f64 = 930_000.0;

/// The bound on sotto/floor for each side of session setup.
pub const FLOOR_RATIO_TARGET: f64 = 1.10;

/// What the setup rows measure, for the report's method section.
pub const METHOD: &str = "Sotto initiator: bundle bytes -> PrekeyBundle::from_bytes + verify + initiate + InitialMessage::to_bytes; \
responder: InitialMessage::from_bytes + respond against an InMemoryPrekeyStore (initial messages prepared untimed, one per run); \
one-time prekey (and one-time ML-KEM prekey in PQXDH) in every bundle, 100 B first plaintext, standard session. \
vodozemac: outbound = create_outbound_session + encrypt 100 B + wire bytes; inbound = PreKeyMessage::from_bytes + create_inbound_session (decrypts)";

/// `coefficient × primitive`.
pub type Term = (u32, Primitive);

/// The floor of `row` as a sum of primitives.
pub fn floor_terms(row: SetupRow) -> Vec<Term> {
    use Primitive::*;
    let bundle_x3dh = [(1, Ed25519KeyDecode), (1, Ed25519Verify(SPK_SIGNED_LEN))];
    let bundle_kem = [(1, MlKemKeyDecode), (1, Ed25519Verify(KEM_SIGNED_LEN))];
    let initiator = [
        (2, X25519Keygen),
        (5, X25519Dh),
        (1, HkdfSk),
        (1, Hkdf64),
        (2, Hmac),
        (1, Hkdf44),
        (1, AeadSeal(SMALL)),
    ];
    let responder = [
        (1, Ed25519KeyDecode),
        (5, X25519Dh),
        (1, HkdfSk),
        (1, Hkdf64),
        (2, Hmac),
        (1, Hkdf44),
        (1, AeadOpen(SMALL)),
    ];
    let mut terms = Vec::new();
    match row {
        SetupRow::BundleVerifyX3dh => terms.extend(bundle_x3dh),
        SetupRow::BundleVerifyPqxdh => terms.extend(bundle_x3dh.into_iter().chain(bundle_kem)),
        SetupRow::X3dhInitiator => terms.extend(bundle_x3dh.into_iter().chain(initiator)),
        SetupRow::PqxdhInitiator => {
            terms.extend(bundle_x3dh.into_iter().chain(bundle_kem).chain(initiator));
            terms.push((1, MlKemEncaps));
        }
        SetupRow::X3dhResponder => terms.extend(responder),
        SetupRow::PqxdhResponder => {
            terms.extend(responder);
            terms.push((1, MlKemDecaps));
        }
    }
    terms
}

/// The printed formula of `terms`: `a + 2*b + ...`.
pub fn formula(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|&(k, p)| match k {
            1 => p.name(),
            k => format!("{k}*{}", p.name()),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The floor of `row` in nanoseconds.
pub fn floor_ns(m: &Measurements, row: SetupRow) -> f64 {
    floor_terms(row)
        .iter()
        .map(|&(k, p)| f64::from(k) * m.median(Case::Floor(p)))
        .sum()
}

/// The initiator and responder rows of `mode`.
pub const fn sides(mode: Mode) -> [SetupRow; 2] {
    match mode {
        Mode::X3dh => [SetupRow::X3dhInitiator, SetupRow::X3dhResponder],
        Mode::Pqxdh => [SetupRow::PqxdhInitiator, SetupRow::PqxdhResponder],
    }
}

const fn peer_text(peer: OlmSetup) -> &'static str {
    match peer {
        OlmSetup::Outbound => "vodozemac/setup_outbound (create_outbound_session + encrypt 100 B)",
        OlmSetup::Inbound => "vodozemac/setup_inbound (decode + create_inbound_session, decrypts)",
    }
}

/// One line of the session-setup table. Times are medians per session setup (one side, or
/// both for a total).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetupReport {
    /// Row name (`setup_pqxdh_initiator`, `setup_pqxdh_total`, ...).
    pub name: &'static str,
    /// Sotto, nanoseconds.
    pub sotto_ns: f64,
    /// The floor, nanoseconds.
    pub floor_ns: f64,
    /// sotto_ns / floor_ns.
    pub ratio_floor: f64,
    /// How the floor is composed.
    pub floor_formula: String,
    /// Sotto's interquartile range over the rounds (measured rows only).
    pub sotto_iqr_ns: Option<[f64; 2]>,
    /// Sotto's median in wall time (measured rows only).
    pub sotto_wall_ns: Option<f64>,
    /// What the vodozemac number is, if the row has a peer.
    pub vodozemac: Option<&'static str>,
    /// vodozemac, nanoseconds.
    pub vodozemac_ns: Option<f64>,
    /// sotto_ns / vodozemac_ns.
    pub ratio_vodozemac: Option<f64>,
    /// The target, if the row has one.
    pub target: Option<&'static str>,
    /// Whether Sotto meets it.
    pub meets_target: Option<bool>,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::INFINITY }
}

impl SetupReport {
    fn row(row: SetupRow, m: &Measurements) -> Self {
        let case = Case::SottoSetup(row);
        let sotto_ns = m.median(case);
        let floor_ns = floor_ns(m, row);
        let ratio_floor = ratio(sotto_ns, floor_ns);
        let vodozemac_ns = row.peer().map(|p| m.median(Case::VodozemacSetup(p)));
        let has_target = row.peer().is_some();
        Self {
            name: row.name(),
            sotto_ns,
            floor_ns,
            ratio_floor,
            floor_formula: formula(&floor_terms(row)),
            sotto_iqr_ns: m.stats(case).map(|s| [s.q1_ns, s.q3_ns]),
            sotto_wall_ns: m.stats(case).map(|s| s.wall_median_ns),
            vodozemac: row.peer().map(peer_text),
            vodozemac_ns,
            ratio_vodozemac: vodozemac_ns.map(|v| ratio(sotto_ns, v)),
            target: has_target.then_some("sotto/floor <= 1.10"),
            meets_target: has_target.then_some(ratio_floor <= FLOOR_RATIO_TARGET),
        }
    }

    fn total(mode: Mode, m: &Measurements) -> Self {
        let [initiator, responder] = sides(mode);
        let sotto_ns =
            m.median(Case::SottoSetup(initiator)) + m.median(Case::SottoSetup(responder));
        let floor_ns = floor_ns(m, initiator) + floor_ns(m, responder);
        let vodozemac_ns = OlmSetup::ALL
            .into_iter()
            .map(|p| m.median(Case::VodozemacSetup(p)))
            .sum();
        let ratio_floor = ratio(sotto_ns, floor_ns);
        let (name, target, meets) = match mode {
            Mode::X3dh => (
                "setup_x3dh_total",
                "sotto/floor <= 1.10",
                ratio_floor <= FLOOR_RATIO_TARGET,
            ),
            Mode::Pqxdh => (
                "setup_pqxdh_total",
                "sotto < 930 us (libsignal's full PQXDH handshake) and sotto/floor <= 1.10",
                sotto_ns < LIBSIGNAL_PQXDH_NS && ratio_floor <= FLOOR_RATIO_TARGET,
            ),
        };
        Self {
            name,
            sotto_ns,
            floor_ns,
            ratio_floor,
            floor_formula: format!("{} floor + {} floor", initiator.name(), responder.name()),
            sotto_iqr_ns: None,
            sotto_wall_ns: None,
            vodozemac: Some("vodozemac/setup_outbound + vodozemac/setup_inbound"),
            vodozemac_ns: Some(vodozemac_ns),
            ratio_vodozemac: Some(ratio(sotto_ns, vodozemac_ns)),
            target: Some(target),
            meets_target: Some(meets),
        }
    }
}

/// Every setup line: per mode, the bundle check, the initiator, the responder and their
/// total.
pub fn setup_reports(m: &Measurements) -> Vec<SetupReport> {
    let mut out = Vec::new();
    for mode in [Mode::X3dh, Mode::Pqxdh] {
        for row in SetupRow::ALL.into_iter().filter(|r| r.mode() == mode) {
            out.push(SetupReport::row(row, m));
        }
        out.push(SetupReport::total(mode, m));
    }
    out
}

/// Appends the session-setup table and its floors to `out`.
pub fn write_table(out: &mut String, lines: &[SetupReport]) {
    let _ = writeln!(
        out,
        "\n{:<22} {:>10} {:>10} {:>12} {:>13} {:>16}  {:<6}",
        "session setup",
        "sotto_ns",
        "floor_ns",
        "sotto/floor",
        "vodozemac_ns",
        "sotto/vodozemac",
        "target"
    );
    let dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    for l in lines {
        let _ = writeln!(
            out,
            "{:<22} {:>10.0} {:>10.0} {:>11.3}x {:>13} {:>16}  {:<6}",
            l.name,
            l.sotto_ns,
            l.floor_ns,
            l.ratio_floor,
            dash(l.vodozemac_ns.map(|v| format!("{v:.0}"))),
            dash(l.ratio_vodozemac.map(|r| format!("{r:.3}x"))),
            dash(
                l.meets_target
                    .map(|ok| if ok { "ok" } else { "MISS" }.to_owned())
            ),
        );
    }
    let _ = writeln!(out, "\nsession setup floors and peers:");
    for l in lines {
        let _ = writeln!(out, "  {:<22} floor  = {}", l.name, l.floor_formula);
        if let Some(target) = l.target {
            let _ = writeln!(out, "  {:<22} target {target}", "");
        }
        if let Some(peer) = l.vodozemac {
            let _ = writeln!(out, "  {:<22} peer   {peer}", "");
        }
        if let Some([q1, q3]) = l.sotto_iqr_ns {
            let _ = writeln!(out, "  {:<22} IQR sotto {q1:.0}..{q3:.0} ns", "");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::fake;

    #[test]
    fn formulas_and_floors_agree() {
        assert_eq!(
            formula(&floor_terms(SetupRow::X3dhInitiator)),
            "ed25519_key_decode + ed25519_verify_99 + 2*x25519_keygen + 5*x25519_dh + hkdf_sk \
             + hkdf64 + 2*hmac + hkdf44 + aead_seal_100"
        );
        assert_eq!(
            formula(&floor_terms(SetupRow::PqxdhResponder)),
            "ed25519_key_decode + 5*x25519_dh + hkdf_sk + hkdf64 + 2*hmac + hkdf44 \
             + aead_open_100 + mlkem768_decaps"
        );
        // Powers of ten per primitive make each coefficient visible in the sum.
        let m = fake(|c| match c {
            Case::Floor(Primitive::X25519Keygen) => 1.0,
            Case::Floor(Primitive::X25519Dh) => 10.0,
            Case::Floor(Primitive::Ed25519KeyDecode) => 1000.0,
            Case::Floor(Primitive::Ed25519Verify(SPK_SIGNED_LEN)) => 10_000.0,
            Case::Floor(Primitive::Ed25519Verify(KEM_SIGNED_LEN)) => 100_000.0,
            Case::Floor(Primitive::MlKemEncaps) => 1e6,
            Case::Floor(Primitive::MlKemDecaps) => 1e7,
            Case::Floor(Primitive::MlKemKeyDecode) => 1e8,
            _ => 0.0,
        });
        assert_eq!(floor_ns(&m, SetupRow::X3dhInitiator), 11_052.0);
        assert_eq!(floor_ns(&m, SetupRow::PqxdhInitiator), 101_111_052.0);
        assert_eq!(floor_ns(&m, SetupRow::X3dhResponder), 1050.0);
        assert_eq!(floor_ns(&m, SetupRow::PqxdhResponder), 10_001_050.0);
        assert_eq!(floor_ns(&m, SetupRow::BundleVerifyPqxdh), 100_111_000.0);
    }

    #[test]
    fn totals_and_targets() {
        let m = fake(|c| match c {
            Case::Floor(Primitive::X25519Dh) => 100_000.0,
            Case::SottoSetup(SetupRow::PqxdhInitiator) => 560_000.0,
            Case::SottoSetup(SetupRow::PqxdhResponder) => 540_000.0,
            Case::SottoSetup(_) => 500_000.0,
            Case::VodozemacSetup(_) => 200_000.0,
            _ => 0.0,
        });
        let lines = setup_reports(&m);
        let names: Vec<&str> = lines.iter().map(|l| l.name).collect();
        assert_eq!(
            names,
            [
                "bundle_verify_x3dh",
                "setup_x3dh_initiator",
                "setup_x3dh_responder",
                "setup_x3dh_total",
                "bundle_verify_pqxdh",
                "setup_pqxdh_initiator",
                "setup_pqxdh_responder",
                "setup_pqxdh_total",
            ]
        );
        let total = &lines[7];
        assert_eq!(total.sotto_ns, 1_100_000.0);
        assert_eq!(total.floor_ns, 1_000_000.0);
        assert_eq!(total.vodozemac_ns, Some(400_000.0));
        // Within 1.10 of the floor, but above libsignal's 930 us.
        assert_eq!(total.meets_target, Some(false));
        assert_eq!(lines[5].meets_target, Some(false)); // 560 / 500 = 1.12
        assert_eq!(lines[6].meets_target, Some(true));
        assert_eq!(lines[0].meets_target, None);
        assert_eq!(lines[0].vodozemac_ns, None);
        let mut table = String::new();
        write_table(&mut table, &lines);
        assert!(table.contains("setup_pqxdh_total"));
        assert!(table.contains("MISS"));
    }
}
