//! The ratio report: measures every [`Case`] in one interleaved run, derives each row's floor
//! from the measured primitive medians, and renders JSON and an aligned table.
//!
//! Floors (sums of medians measured in the same run):
//!
//! - `symmetric_100` = 4 × hmac + 2 × hkdf44 + aead_seal_100 + aead_open_100
//!   (sender: KDF_CK's two HMACs, ENCRYPT's HKDF, seal; receiver: the same with open);
//! - `pingpong_100` = symmetric_100 floor + x25519_keygen + 2 × x25519_dh + 2 × hkdf64
//!   (one DH ratchet step per message: the sender's new key pair and DH, the receiver's DH,
//!   KDF_RK on each side);
//! - `one_mib` = 4 × hmac + 2 × hkdf44 + aead_seal_1m + aead_open_1m.
//!
//! "hmac" is one complete `hmac_sha256(32-byte key, [0x01])`, key schedule included, so the
//! floor's KDF_CK (two such calls) is an upper bound on what a keyed-state implementation pays.
//!
//! The floor's AEAD works in place on buffers that live for the whole run; Sotto's API returns
//! a new `Message` from `encrypt` and a new `Vec` from `decrypt`. At 1 MiB those buffers are
//! above glibc malloc's mmap and trim thresholds with default tunables, so each message
//! returns them to the kernel and faults them in again; [`Method::allocator_env`] records
//! which tunables were in force.
//!
//! Session setup has its own table, floors and targets: [`crate::setup_report`].

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::BenchError;
use crate::case::{Case, Primitive, Row};
use crate::setup_report::{self, SetupReport};
use crate::sizes::Sizes;
use crate::timing::{SamplerSettings, Stats, sample_interleaved};

/// File name of the JSON report inside the target directory.
pub const JSON_FILE: &str = "bench-report.json";

/// Medians of every case, measured in one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurements {
    stats: BTreeMap<Case, Stats>,
}

impl Measurements {
    /// Builds every routine (untimed setup), then samples them all interleaved.
    pub fn run(settings: &SamplerSettings) -> Result<Self, BenchError> {
        let cases = Case::all();
        let mut routines = cases
            .iter()
            .map(|case| case.routine())
            .collect::<Result<Vec<_>, _>>()?;
        let mut refs: Vec<&mut dyn crate::timing::Routine> = routines
            .iter_mut()
            .map(|r| &mut **r as &mut dyn crate::timing::Routine)
            .collect();
        let stats = sample_interleaved(&mut refs, settings)?;
        Ok(Self {
            stats: cases.into_iter().zip(stats).collect(),
        })
    }

    /// Statistics of one case (`None` only if it was not measured).
    pub fn stats(&self, case: Case) -> Option<&Stats> {
        self.stats.get(&case)
    }

    /// The median of one case in nanoseconds (0 if it was not measured).
    pub fn median(&self, case: Case) -> f64 {
        self.stats(case).map_or(0.0, |s| s.median_ns)
    }

    fn floor(&self, primitive: Primitive) -> f64 {
        self.median(Case::Floor(primitive))
    }

    /// The floor of `row` in nanoseconds, by the formulas of this module's documentation.
    pub fn floor_ns(&self, row: Row) -> f64 {
        let chain_steps = 4.0 * self.floor(Primitive::Hmac) + 2.0 * self.floor(Primitive::Hkdf44);
        let aead = self.aead_ns(row);
        match row {
            Row::Symmetric100 | Row::OneMib => chain_steps + aead,
            Row::PingPong100 => {
                chain_steps
                    + aead
                    + self.floor(Primitive::X25519Keygen)
                    + 2.0 * self.floor(Primitive::X25519Dh)
                    + 2.0 * self.floor(Primitive::Hkdf64)
            }
        }
    }

    /// Seal plus open of the row's plaintext size: the raw AEAD part of its floor.
    pub fn aead_ns(&self, row: Row) -> f64 {
        let len = row.plaintext_len();
        self.floor(Primitive::AeadSeal(len)) + self.floor(Primitive::AeadOpen(len))
    }
}

/// The floor formula of `row`, as printed in the report.
pub const fn floor_formula(row: Row) -> &'static str {
    match row {
        Row::Symmetric100 => "4*hmac + 2*hkdf44 + aead_seal_100 + aead_open_100",
        Row::PingPong100 => {
            "4*hmac + 2*hkdf44 + aead_seal_100 + aead_open_100 + x25519_keygen + 2*x25519_dh + 2*hkdf64"
        }
        Row::OneMib => "4*hmac + 2*hkdf44 + aead_seal_1m + aead_open_1m",
    }
}

/// The target for `row`, as a human-readable condition.
pub const fn target_text(row: Row) -> &'static str {
    match row {
        Row::Symmetric100 => "sotto/floor <= 1.20",
        Row::PingPong100 => "sotto/floor <= 1.05",
        Row::OneMib => "raw AEAD (seal+open 1 MiB) / sotto >= 0.90",
    }
}

/// One row of the report. Times are medians per message (one encrypt plus one decrypt).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReport {
    /// Row name (`symmetric_100`, `pingpong_100`, `one_mib`).
    pub name: &'static str,
    /// Sotto, nanoseconds per message.
    pub sotto_ns: f64,
    /// The floor, nanoseconds per message.
    pub floor_ns: f64,
    /// vodozemac, nanoseconds per message.
    pub vodozemac_ns: f64,
    /// Sotto's median in wall time (the other times are thread CPU time).
    pub sotto_wall_ns: f64,
    /// vodozemac's median in wall time.
    pub vodozemac_wall_ns: f64,
    /// sotto_ns / floor_ns.
    pub ratio_floor: f64,
    /// sotto_ns / vodozemac_ns.
    pub ratio_vodozemac: f64,
    /// How the floor is composed.
    pub floor_formula: &'static str,
    /// Sotto's interquartile range over the rounds, nanoseconds.
    pub sotto_iqr_ns: [f64; 2],
    /// vodozemac's interquartile range over the rounds, nanoseconds.
    pub vodozemac_iqr_ns: [f64; 2],
    /// Raw AEAD (seal + open of the plaintext size) divided by Sotto's time: the fraction of
    /// raw AEAD throughput Sotto reaches.
    pub aead_throughput_fraction: f64,
    /// The target against the floor.
    pub floor_target: &'static str,
    /// Whether Sotto meets it.
    pub meets_floor_target: bool,
    /// Whether Sotto is faster than vodozemac.
    pub faster_than_vodozemac: bool,
}

impl RowReport {
    fn new(row: Row, m: &Measurements) -> Self {
        let sotto_ns = m.median(Case::Sotto(row));
        let vodozemac_ns = m.median(Case::Vodozemac(row));
        let floor_ns = m.floor_ns(row);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::INFINITY };
        let ratio_floor = ratio(sotto_ns, floor_ns);
        let aead_throughput_fraction = ratio(m.aead_ns(row), sotto_ns);
        let meets_floor_target = match row {
            Row::Symmetric100 => ratio_floor <= 1.20,
            Row::PingPong100 => ratio_floor <= 1.05,
            Row::OneMib => aead_throughput_fraction >= 0.90,
        };
        let iqr = |case| {
            m.stats(case)
                .map_or([0.0; 2], |s: &Stats| [s.q1_ns, s.q3_ns])
        };
        Self {
            name: row.name(),
            sotto_ns,
            floor_ns,
            vodozemac_ns,
            ratio_floor,
            ratio_vodozemac: ratio(sotto_ns, vodozemac_ns),
            sotto_wall_ns: m.stats(Case::Sotto(row)).map_or(0.0, |s| s.wall_median_ns),
            vodozemac_wall_ns: m
                .stats(Case::Vodozemac(row))
                .map_or(0.0, |s| s.wall_median_ns),
            floor_formula: floor_formula(row),
            sotto_iqr_ns: iqr(Case::Sotto(row)),
            vodozemac_iqr_ns: iqr(Case::Vodozemac(row)),
            aead_throughput_fraction,
            floor_target: target_text(row),
            meets_floor_target,
            faster_than_vodozemac: sotto_ns < vodozemac_ns,
        }
    }
}

/// One floor primitive's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrimitiveReport {
    /// Median, nanoseconds.
    pub median_ns: f64,
    /// First quartile, nanoseconds.
    pub q1_ns: f64,
    /// Third quartile, nanoseconds.
    pub q3_ns: f64,
    /// Throughput at the median in MB/s (10^6 bytes), for the AEAD primitives.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mb_per_s: Option<f64>,
}

/// How the numbers were taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Method {
    /// What the nanoseconds are.
    pub clock: &'static str,
    /// Timed batches per case, interleaved round-robin across all cases.
    pub rounds: usize,
    /// Target wall time of one batch, milliseconds.
    pub batch_target_ms: f64,
    /// What one Sotto or vodozemac sample is.
    pub per_message: &'static str,
    /// The vodozemac configuration.
    pub vodozemac: &'static str,
    /// What one session-setup sample is, on each implementation.
    pub setup: &'static str,
    /// glibc malloc tunables set in the environment (empty: the defaults). They matter for
    /// `one_mib`: with the defaults, every 1 MiB message and plaintext buffer is returned to
    /// the kernel when freed and page-faulted in again by the next message.
    pub allocator_env: Vec<String>,
}

/// The glibc malloc tunables present in the environment, as `NAME=value`.
fn allocator_env() -> Vec<String> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("MALLOC_") || name == "GLIBC_TUNABLES")
        .map(|(name, value)| format!("{name}={value}"))
        .collect()
}

/// The whole report, as written to `target/bench-report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The comparison rows.
    pub rows: Vec<RowReport>,
    /// Session setup: each side against its floor and vodozemac, and the totals.
    pub setup: Vec<SetupReport>,
    /// Every floor primitive by benchmark id.
    pub primitives: BTreeMap<String, PrimitiveReport>,
    /// Sizes (bytes), not timed.
    pub sizes: Sizes,
    /// How the numbers were taken.
    pub method: Method,
}

impl Report {
    /// Assembles the report from measurements and sizes.
    pub fn new(m: &Measurements, sizes: Sizes, settings: &SamplerSettings) -> Self {
        let rows = Row::ALL
            .into_iter()
            .map(|row| RowReport::new(row, m))
            .collect();
        let primitives = Primitive::ALL
            .into_iter()
            .filter_map(|p| {
                let case = Case::Floor(p);
                let s = m.stats(case)?;
                let mb_per_s = case
                    .throughput_bytes()
                    .filter(|_| s.median_ns > 0.0)
                    .map(|bytes| bytes as f64 * 1e3 / s.median_ns);
                Some((
                    p.name(),
                    PrimitiveReport {
                        median_ns: s.median_ns,
                        q1_ns: s.q1_ns,
                        q3_ns: s.q3_ns,
                        mb_per_s,
                    },
                ))
            })
            .collect();
        Self {
            rows,
            setup: setup_report::setup_reports(m),
            primitives,
            sizes,
            method: Method {
                clock: "thread CPU time (CLOCK_THREAD_CPUTIME_ID), medians over rounds; equals wall time on an idle machine",
                rounds: settings.rounds,
                batch_target_ms: settings.batch_target.as_secs_f64() * 1e3,
                per_message: "one encrypt on the sender plus one decrypt on the receiver, in memory (no wire re-parse)",
                vodozemac: "vodozemac 0.11 Olm, SessionConfig::version_1(), normal (non-pre-key) messages",
                setup: setup_report::METHOD,
                allocator_env: allocator_env(),
            },
        }
    }

    /// The aligned text table printed by the `report` binary.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<14} {:>12} {:>12} {:>13} {:>12} {:>16}  {:<6} {:<6}",
            "row",
            "sotto_ns",
            "floor_ns",
            "vodozemac_ns",
            "sotto/floor",
            "sotto/vodozemac",
            "floor",
            "vodoz."
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{:<14} {:>12.0} {:>12.0} {:>13.0} {:>11.3}x {:>15.3}x  {:<6} {:<6}",
                r.name,
                r.sotto_ns,
                r.floor_ns,
                r.vodozemac_ns,
                r.ratio_floor,
                r.ratio_vodozemac,
                if r.meets_floor_target { "ok" } else { "MISS" },
                if r.faster_than_vodozemac {
                    "ok"
                } else {
                    "MISS"
                },
            );
        }
        let _ = writeln!(out, "\ntargets and floors:");
        for r in &self.rows {
            let _ = writeln!(out, "  {:<14} target {}", r.name, r.floor_target);
            let _ = writeln!(out, "  {:<14} floor  = {}", "", r.floor_formula);
            let _ = writeln!(
                out,
                "  {:<14} IQR sotto {:.0}..{:.0} ns, vodozemac {:.0}..{:.0} ns; raw AEAD / sotto = {:.3}",
                "",
                r.sotto_iqr_ns[0],
                r.sotto_iqr_ns[1],
                r.vodozemac_iqr_ns[0],
                r.vodozemac_iqr_ns[1],
                r.aead_throughput_fraction
            );
        }
        setup_report::write_table(&mut out, &self.setup);
        let _ = writeln!(out, "\nprimitives (medians of this run):");
        for (name, p) in &self.primitives {
            let _ = write!(
                out,
                "  {name:<20} {:>12.0} ns  (IQR {:.0}..{:.0})",
                p.median_ns, p.q1_ns, p.q3_ns
            );
            if let Some(mbps) = p.mb_per_s {
                let _ = write!(out, "  {mbps:.0} MB/s");
            }
            let _ = writeln!(out);
        }
        let allocator = if self.method.allocator_env.is_empty() {
            "system allocator, default tunables".to_owned()
        } else {
            self.method.allocator_env.join(" ")
        };
        let _ = writeln!(
            out,
            "\nthread CPU time, median of {} interleaved rounds per case; {allocator}",
            self.method.rounds
        );
        let s = &self.sizes;
        let _ = writeln!(out, "\nsizes (bytes):");
        let lines: [(&str, usize); 15] = [
            (
                "sotto wire overhead, 100 B message",
                s.sotto_wire_overhead_100,
            ),
            (
                "sotto (header encryption) wire overhead, 100 B",
                s.sotto_he_wire_overhead_100,
            ),
            (
                "vodozemac Olm v1 wire overhead, 100 B normal message",
                s.vodozemac_wire_overhead_100,
            ),
            (
                "sotto pickle after 100 messages each way",
                s.sotto_pickle_100_each_way,
            ),
            (
                "sotto pickle with 2000 skipped keys",
                s.sotto_pickle_2000_skipped,
            ),
            (
                "  (skipped_key_count before pickling)",
                s.sotto_skipped_key_count,
            ),
            (
                "vodozemac encrypted pickle, 100 each way (base64 text)",
                s.vodozemac_pickle_100_each_way,
            ),
            (
                "vodozemac encrypted pickle, 100 each way (decoded)",
                s.vodozemac_pickle_100_each_way_raw,
            ),
            (
                "vodozemac encrypted pickle after a 2000-message gap (base64)",
                s.vodozemac_pickle_after_gap_2000,
            ),
            ("sotto X3DH bundle, one-time prekey", s.setup.bundle_x3dh),
            (
                "sotto X3DH bundle, no one-time prekey",
                s.setup.bundle_x3dh_no_one_time,
            ),
            (
                "sotto PQXDH bundle, one-time prekey + one-time ML-KEM prekey",
                s.setup.bundle_pqxdh,
            ),
            (
                "sotto X3DH initial message, 100 B first plaintext",
                s.setup.initial_message_x3dh_100,
            ),
            (
                "sotto PQXDH initial message, 100 B first plaintext",
                s.setup.initial_message_pqxdh_100,
            ),
            (
                "vodozemac Olm v1 pre-key message, 100 B plaintext",
                s.vodozemac_prekey_message_100,
            ),
        ];
        for (label, value) in lines {
            let _ = writeln!(out, "  {label:<62} {value:>8}");
        }
        out
    }
}

/// The target directory: `$CARGO_TARGET_DIR` if set, else the workspace root's `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => {
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            // crates/sotto-bench -> workspace root
            manifest
                .ancestors()
                .nth(2)
                .unwrap_or(manifest)
                .join("target")
        }
    }
}

/// Writes `report` as pretty JSON to `dir/bench-report.json`, creating `dir` if needed.
/// Returns the path written.
pub fn write_json(report: &Report, dir: &Path) -> Result<PathBuf, BenchError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(JSON_FILE);
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    std::fs::write(&path, json)?;
    Ok(path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::case::{MIB, SMALL};

    /// Measurements in which every case's statistics are `ns(case)`.
    pub(crate) fn fake(ns: impl Fn(Case) -> f64) -> Measurements {
        Measurements {
            stats: Case::all()
                .into_iter()
                .map(|c| {
                    let v = ns(c);
                    (
                        c,
                        Stats {
                            median_ns: v,
                            wall_median_ns: v,
                            q1_ns: v,
                            q3_ns: v,
                            iters_per_batch: 1,
                        },
                    )
                })
                .collect(),
        }
    }

    fn sizes() -> Sizes {
        Sizes {
            sotto_wire_overhead_100: 1,
            sotto_he_wire_overhead_100: 2,
            vodozemac_wire_overhead_100: 3,
            sotto_pickle_100_each_way: 4,
            sotto_pickle_2000_skipped: 5,
            sotto_skipped_key_count: 2000,
            vodozemac_pickle_100_each_way: 6,
            vodozemac_pickle_100_each_way_raw: 7,
            vodozemac_pickle_after_gap_2000: 8,
            setup: crate::setup::SetupSizes {
                bundle_x3dh: 212,
                bundle_x3dh_no_one_time: 176,
                bundle_pqxdh: 1465,
                initial_message_x3dh_100: 263,
                initial_message_pqxdh_100: 1356,
            },
            vodozemac_prekey_message_100: 9,
        }
    }

    #[test]
    fn floors_follow_the_formulas() {
        let m = fake(|c| match c {
            Case::Floor(Primitive::Hmac) => 1.0,
            Case::Floor(Primitive::Hkdf44) => 10.0,
            Case::Floor(Primitive::Hkdf64) => 100.0,
            Case::Floor(Primitive::X25519Keygen) => 1000.0,
            Case::Floor(Primitive::X25519Dh) => 10_000.0,
            Case::Floor(Primitive::AeadSeal(SMALL)) => 100_000.0,
            Case::Floor(Primitive::AeadOpen(SMALL)) => 200_000.0,
            Case::Floor(Primitive::AeadSeal(MIB)) => 1e7,
            Case::Floor(Primitive::AeadOpen(MIB)) => 2e7,
            _ => 0.0,
        });
        assert_eq!(m.floor_ns(Row::Symmetric100), 4.0 + 20.0 + 300_000.0);
        assert_eq!(
            m.floor_ns(Row::PingPong100),
            4.0 + 20.0 + 300_000.0 + 1000.0 + 20_000.0 + 200.0
        );
        assert_eq!(m.floor_ns(Row::OneMib), 4.0 + 20.0 + 3e7);
    }

    #[test]
    fn report_json_has_the_promised_shape() {
        let m = fake(|c| match c {
            Case::Sotto(_) => 110.0,
            Case::Vodozemac(_) => 200.0,
            Case::Floor(Primitive::AeadSeal(_)) => 50.0,
            Case::Floor(Primitive::AeadOpen(_)) => 50.0,
            _ => 0.0,
        });
        let report = Report::new(&m, sizes(), &SamplerSettings::smoke());
        let json: serde_json::Value = serde_json::to_value(&report).unwrap();
        let rows = json["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3);
        for row in rows {
            for key in [
                "name",
                "sotto_ns",
                "floor_ns",
                "vodozemac_ns",
                "ratio_floor",
                "ratio_vodozemac",
            ] {
                assert!(row.get(key).is_some(), "{key} missing");
            }
            assert_eq!(row["ratio_floor"].as_f64().unwrap(), 1.1);
            assert_eq!(row["ratio_vodozemac"].as_f64().unwrap(), 0.55);
        }
        assert_eq!(rows[0]["meets_floor_target"], true);
        assert_eq!(rows[1]["meets_floor_target"], false);
        assert_eq!(rows[2]["meets_floor_target"], true);
        assert_eq!(json["sizes"]["sotto_skipped_key_count"], 2000);
        assert_eq!(json["sizes"]["initial_message_pqxdh_100"], 1356);
        assert_eq!(json["setup"].as_array().unwrap().len(), 8);
        assert!(json["primitives"]["aead_seal_1m"]["mb_per_s"].is_number());
        assert!(json["primitives"]["hmac"].get("mb_per_s").is_none());
        let table = report.table();
        assert!(table.contains("symmetric_100"));
        assert!(table.contains("MISS"));
        let dir = std::env::temp_dir().join(format!("sotto-bench-test-{}", std::process::id()));
        let path = write_json(&report, &dir).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Floats are compared loosely: serde_json's default parser is not bit-exact.
        assert_eq!(back["sizes"], json["sizes"]);
        assert_eq!(back["rows"][2]["name"], "one_mib");
        assert!((back["rows"][0]["ratio_floor"].as_f64().unwrap() - 1.1).abs() < 1e-12);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
