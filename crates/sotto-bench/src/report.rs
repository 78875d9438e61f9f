//! The report: measures the cases of [`crate::table`] in one interleaved run and renders
//! every [`Row`] through one code path, as JSON and as an aligned table. For each row: Sotto's
//! median, its floor (the formula's sum of primitive medians from the same run), the peer's
//! median, the ratios to both, the row in X25519-DH units (its time divided by
//! `floor/x25519_dh`'s) and each target, met or missed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::BenchError;
use crate::sizes::Sizes;
use crate::table::{self, Case, Row, Target};
use crate::timing::{Routine, SamplerSettings, Stats, sample_interleaved};

/// File name of the JSON report inside the target directory.
pub const JSON_FILE: &str = "bench-report.json";

/// The case every row's DH units divide by.
pub const DH_UNIT: &str = "floor/x25519_dh";

/// Statistics of every measured case by id, from one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    /// By `group/name`.
    pub stats: BTreeMap<String, Stats>,
}

impl Measurements {
    /// Builds every routine of `cases` (untimed setup), then samples them all interleaved.
    pub fn run(cases: &[Case], settings: &SamplerSettings) -> Result<Self, BenchError> {
        let mut routines = cases
            .iter()
            .map(|case| (case.build)())
            .collect::<Result<Vec<_>, _>>()?;
        let mut refs: Vec<&mut dyn Routine> = routines
            .iter_mut()
            .map(|r| &mut **r as &mut dyn Routine)
            .collect();
        let stats = sample_interleaved(&mut refs, settings)?;
        Ok(Self {
            stats: cases.iter().map(Case::id).zip(stats).collect(),
        })
    }

    /// The median of a case in nanoseconds, if measured.
    pub fn median(&self, id: &str) -> Option<f64> {
        self.stats.get(id).map(|s| s.median_ns)
    }

    /// The floor of a formula: the sum of its terms' medians; `None` if a term is unmeasured.
    pub fn floor(&self, formula: &str) -> Result<Option<f64>, BenchError> {
        let mut sum = 0.0;
        for (k, name) in table::parse_formula(formula)? {
            match self.median(&format!("floor/{name}")) {
                Some(ns) => sum += k * ns,
                None => return Ok(None),
            }
        }
        Ok(Some(sum))
    }
}

/// The cases the rows whose names contain `filter` need: their Sotto operations, the
/// primitives of their floors, their peers, the rows their targets compare with (and their
/// needs), and the DH unit. An empty filter selects everything.
pub fn cases_for(filter: &str) -> Result<Vec<Case>, BenchError> {
    let all = table::cases();
    if filter.is_empty() {
        return Ok(all);
    }
    let rows = table::rows();
    let mut wanted: Vec<String> = vec![DH_UNIT.to_owned()];
    let mut selected: Vec<&Row> = rows
        .iter()
        .filter(|r| r.sotto.name.contains(filter))
        .collect();
    let compared: Vec<&Row> = selected
        .iter()
        .flat_map(|r| r.targets)
        .flat_map(|t| match t {
            Target::Within(other, _) => vec![*other],
            Target::PerExtraDevice(base, _, unit, _) => vec![*base, *unit],
            Target::PerExtraDh(base, _, _) => vec![*base],
            _ => Vec::new(),
        })
        .filter_map(|name| rows.iter().find(|r| r.sotto.name == name))
        .collect();
    selected.extend(compared);
    for r in selected {
        wanted.push(r.sotto.id());
        wanted.extend(r.peer.map(str::to_owned));
        if let Some(formula) = r.floor {
            for (_, name) in table::parse_formula(formula)? {
                wanted.push(format!("floor/{name}"));
            }
        }
    }
    Ok(all
        .into_iter()
        .filter(|c| wanted.contains(&c.id()))
        .collect())
}

/// One target of a row and whether it is met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetReport {
    /// The condition, e.g. `<= 1.1x floor`.
    pub target: String,
    /// The measured quantity the target bounds (a ratio, a share of throughput, DH units, or
    /// per extra device the multiple of its unit); `None` if not measured.
    pub value: Option<f64>,
    /// Whether the row meets it; `None` if a number it needs was not measured.
    pub met: Option<bool>,
}

/// One row of the report. Times are medians of thread CPU time per run, in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowReport {
    /// Row name.
    pub name: &'static str,
    /// What one run does.
    pub what: &'static str,
    /// Sotto.
    pub sotto_ns: f64,
    /// Sotto's interquartile range over the rounds.
    pub sotto_iqr_ns: [f64; 2],
    /// Sotto's median in wall time.
    pub sotto_wall_ns: f64,
    /// The floor's formula.
    pub floor_formula: Option<&'static str>,
    /// The floor.
    pub floor_ns: Option<f64>,
    /// sotto_ns / floor_ns.
    pub ratio_floor: Option<f64>,
    /// The peer operation's case id.
    pub peer: Option<&'static str>,
    /// The peer.
    pub peer_ns: Option<f64>,
    /// sotto_ns / peer_ns.
    pub ratio_peer: Option<f64>,
    /// sotto_ns / the x25519_dh primitive's median.
    pub dh_units: Option<f64>,
    /// The row's targets.
    pub targets: Vec<TargetReport>,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::INFINITY }
}

impl RowReport {
    /// The report of `row`, or `None` if its Sotto operation was not measured.
    pub fn new(row: &Row, m: &Measurements) -> Result<Option<Self>, BenchError> {
        let Some(stats) = m.stats.get(&row.sotto.id()) else {
            return Ok(None);
        };
        let sotto_ns = stats.median_ns;
        let floor_ns = match row.floor {
            Some(formula) => m.floor(formula)?,
            None => None,
        };
        let peer_ns = row.peer.and_then(|peer| m.median(peer));
        let dh_units = m.median(DH_UNIT).map(|dh| ratio(sotto_ns, dh));
        let ratio_floor = floor_ns.map(|f| ratio(sotto_ns, f));
        let targets = row
            .targets
            .iter()
            .map(|&t| {
                // The measured quantity the target bounds, and the bound.
                let (value, met) = match t {
                    Target::FloorRatio(k) => (ratio_floor, ratio_floor.map(|r| r <= k)),
                    Target::FloorThroughput(k) => {
                        let share = ratio_floor.map(|r| 1.0 / r);
                        (share, share.map(|s| s >= k))
                    }
                    Target::DhUnits(k) => (dh_units, dh_units.map(|u| u <= k)),
                    Target::Within(other, k) => {
                        let within = m
                            .median(&format!("sotto/{other}"))
                            .map(|o| ratio(sotto_ns, o).max(ratio(o, sotto_ns)));
                        (within, within.map(|w| w <= k))
                    }
                    Target::PerExtraDevice(base, n, unit, k) => {
                        let per = m
                            .median(&format!("sotto/{base}"))
                            .zip(m.median(&format!("sotto/{unit}")))
                            .map(|(b, u)| ratio((sotto_ns - b) / f64::from(n), u));
                        (per, per.map(|p| p <= k))
                    }
                    Target::PerExtraDh(base, n, k) => {
                        let per = m
                            .median(&format!("sotto/{base}"))
                            .zip(m.median(DH_UNIT))
                            .map(|(b, dh)| ratio((sotto_ns - b) / f64::from(n), dh));
                        (per, per.map(|p| p <= k))
                    }
                };
                TargetReport {
                    target: t.to_string(),
                    value,
                    met,
                }
            })
            .collect();
        Ok(Some(Self {
            name: row.sotto.name,
            what: row.sotto.what,
            sotto_ns,
            sotto_iqr_ns: [stats.q1_ns, stats.q3_ns],
            sotto_wall_ns: stats.wall_median_ns,
            floor_formula: row.floor,
            floor_ns,
            ratio_floor,
            peer: row.peer,
            peer_ns,
            ratio_peer: peer_ns.map(|p| ratio(sotto_ns, p)),
            dh_units,
            targets,
        }))
    }
}

/// A measured case that is not a row's Sotto operation (a primitive or a peer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    /// What one run does.
    pub what: &'static str,
    /// Median, nanoseconds.
    pub median_ns: f64,
    /// Interquartile range, nanoseconds.
    pub iqr_ns: [f64; 2],
    /// Throughput at the median in MB/s (10^6 bytes), where bytes apply.
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
    /// Target time of one batch, milliseconds.
    pub batch_target_ms: f64,
    /// glibc malloc tunables in the environment (empty: the defaults); they matter for
    /// `one_mib`, whose 1 MiB buffers are above the mmap threshold by default.
    pub allocator_env: Vec<String>,
}

/// The whole report, as written to `target/bench-report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Every measured row, in table order.
    pub rows: Vec<RowReport>,
    /// Every other measured case (primitives and peers) by id.
    pub cases: BTreeMap<String, CaseReport>,
    /// Sizes (bytes), not timed; `None` when not measured (a filtered run).
    pub sizes: Option<Sizes>,
    /// How the numbers were taken.
    pub method: Method,
}

impl Report {
    /// Assembles the report from measurements and sizes.
    pub fn new(
        m: &Measurements,
        sizes: Option<Sizes>,
        settings: &SamplerSettings,
    ) -> Result<Self, BenchError> {
        let mut rows = Vec::new();
        for row in table::rows() {
            rows.extend(RowReport::new(&row, m)?);
        }
        let cases = table::primitives()
            .into_iter()
            .chain(table::peers())
            .filter_map(|c| {
                let s = m.stats.get(&c.id())?;
                let mb_per_s = c
                    .bytes
                    .filter(|_| s.median_ns > 0.0)
                    .map(|b| b as f64 * 1e3 / s.median_ns);
                let report = CaseReport {
                    what: c.what,
                    median_ns: s.median_ns,
                    iqr_ns: [s.q1_ns, s.q3_ns],
                    mb_per_s,
                };
                Some((c.id(), report))
            })
            .collect();
        let allocator_env = std::env::vars()
            .filter(|(name, _)| name.starts_with("MALLOC_") || name == "GLIBC_TUNABLES")
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        Ok(Self {
            rows,
            cases,
            sizes,
            method: Method {
                clock: "thread CPU time (CLOCK_THREAD_CPUTIME_ID), median over interleaved rounds",
                rounds: settings.rounds,
                batch_target_ms: settings.batch_target.as_secs_f64() * 1e3,
                allocator_env,
            },
        })
    }

    /// The aligned text table printed by the `report` binary.
    pub fn table(&self) -> String {
        let us = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.2}", v / 1e3));
        let x = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3}x"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<30} {:>10} {:>10} {:>8} {:>10} {:>8} {:>8}  targets",
            "row", "sotto_us", "floor_us", "/floor", "peer_us", "/peer", "DH"
        );
        for r in &self.rows {
            let targets: Vec<String> = r
                .targets
                .iter()
                .map(|t| {
                    let verdict = match t.met {
                        Some(true) => "met",
                        Some(false) => "MISSED",
                        None => "n/a",
                    };
                    match t.value {
                        Some(v) => format!("{}: {verdict} ({v:.3})", t.target),
                        None => format!("{}: {verdict}", t.target),
                    }
                })
                .collect();
            let _ = writeln!(
                out,
                "{:<30} {:>10} {:>10} {:>8} {:>10} {:>8} {:>8}  {}",
                r.name,
                us(Some(r.sotto_ns)),
                us(r.floor_ns),
                x(r.ratio_floor),
                us(r.peer_ns),
                x(r.ratio_peer),
                r.dh_units.map_or("-".to_owned(), |u| format!("{u:.2}")),
                targets.join("; "),
            );
        }
        let _ = writeln!(out, "\nrows:");
        for r in &self.rows {
            let _ = writeln!(out, "  {:<30} {}", r.name, r.what);
            if let Some(f) = r.floor_formula {
                let _ = writeln!(out, "  {:<30} floor = {f}", "");
            }
            if let Some(p) = r.peer {
                let _ = writeln!(out, "  {:<30} peer  = {p}", "");
            }
            let [q1, q3] = r.sotto_iqr_ns;
            let _ = writeln!(out, "  {:<30} IQR {:.2}..{:.2} us", "", q1 / 1e3, q3 / 1e3);
        }
        let _ = writeln!(out, "\nprimitives and peers:");
        for (id, c) in &self.cases {
            let _ = write!(
                out,
                "  {id:<42} {:>10.2} us  (IQR {:.2}..{:.2})",
                c.median_ns / 1e3,
                c.iqr_ns[0] / 1e3,
                c.iqr_ns[1] / 1e3
            );
            if let Some(mbps) = c.mb_per_s {
                let _ = write!(out, "  {mbps:.0} MB/s");
            }
            let _ = writeln!(out, "  {}", c.what);
        }
        let _ = writeln!(
            out,
            "\n{}; {} rounds of {} ms batches; allocator: {}",
            self.method.clock,
            self.method.rounds,
            self.method.batch_target_ms,
            if self.method.allocator_env.is_empty() {
                "default tunables".to_owned()
            } else {
                self.method.allocator_env.join(" ")
            }
        );
        if let Some(sizes) = &self.sizes {
            let _ = writeln!(out, "\nsizes (bytes):");
            if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(sizes) {
                for (name, value) in map {
                    let _ = writeln!(out, "  {name:<42} {value:>8}");
                }
            }
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
            manifest
                .ancestors()
                .nth(2)
                .unwrap_or(manifest)
                .join("target")
        }
    }
}

/// Writes `report` as pretty JSON to `dir/bench-report.json`, creating `dir` if needed.
pub fn write_json(report: &Report, dir: &Path) -> Result<PathBuf, BenchError> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(JSON_FILE);
    let mut json = serde_json::to_string_pretty(report)?;
    json.push('\n');
    std::fs::write(&path, json)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Measurements in which every case's statistics are `ns(id)`.
    fn fake(ns: impl Fn(&str) -> f64) -> Measurements {
        let stats = table::cases()
            .iter()
            .map(|c| {
                let v = ns(&c.id());
                let stats = Stats {
                    median_ns: v,
                    wall_median_ns: v,
                    q1_ns: v,
                    q3_ns: v,
                    iters_per_batch: 1,
                };
                (c.id(), stats)
            })
            .collect();
        Measurements { stats }
    }

    fn report(m: &Measurements) -> Report {
        Report::new(m, None, &SamplerSettings::smoke()).unwrap()
    }

    fn row<'a>(r: &'a Report, name: &str) -> &'a RowReport {
        r.rows.iter().find(|r| r.name == name).unwrap()
    }

    #[test]
    fn floors_follow_the_formulas() {
        // Powers of ten make each coefficient visible in the sum.
        let m = fake(|id| match id {
            "floor/hmac" => 1.0,
            "floor/hkdf44" => 10.0,
            "floor/hkdf64" => 100.0,
            "floor/x25519_keygen" => 1000.0,
            "floor/x25519_dh" => 10_000.0,
            "floor/aead_seal_100" => 100_000.0,
            "floor/aead_open_100" => 200_000.0,
            _ => 0.0,
        });
        let r = report(&m);
        assert_eq!(row(&r, "symmetric_100").floor_ns, Some(300_024.0));
        assert_eq!(row(&r, "pingpong_100").floor_ns, Some(321_224.0));
        assert_eq!(
            row(&r, "setup_pqxdh_last_resort_both").floor_ns,
            Some(2.0 * 1000.0 + 8.0 * 10_000.0 + 2.0 * 100.0 + 4.0 + 20.0 + 300_000.0)
        );
    }

    #[test]
    fn ratios_dh_units_and_targets() {
        let m = fake(|id| match id {
            "floor/x25519_dh" => 100.0,
            "floor/aead_seal_100" => 500.0,
            "floor/aead_open_100" => 500.0,
            "sotto/symmetric_100" => 1100.0,
            "sotto/pingpong_100" => 1100.0,
            "vodozemac/symmetric_100" => 2200.0,
            "sotto/forged_he_1_chain" => 1000.0,
            "sotto/forged_he_1000_chains" => 2500.0,
            "sotto/setup_pqxdh_last_resort_both" => 1200.0,
            _ => 0.0,
        });
        let r = report(&m);
        let sym = row(&r, "symmetric_100");
        assert_eq!(sym.ratio_floor, Some(1.1));
        assert_eq!(sym.ratio_peer, Some(0.5));
        assert_eq!(sym.dh_units, Some(11.0));
        assert_eq!(sym.targets[0].met, Some(true));
        // 1100 / (200 + 1000) ≈ 0.917 <= 1.05, then 1100 / 1000 > 1.05 below.
        assert_eq!(row(&r, "pingpong_100").targets[0].met, Some(true));
        assert_eq!(row(&r, "forged_he_1_chain").targets[0].met, Some(false));
        assert_eq!(row(&r, "forged_he_1000_chains").targets[0].met, Some(false));
        let both = row(&r, "setup_pqxdh_last_resort_both");
        assert_eq!(both.dh_units, Some(12.0));
        assert_eq!(both.targets[0].met, Some(true));
        let table = r.table();
        assert!(table.contains("MISSED"));
        assert!(table.contains("forged_he_1000_chains"));
        let m = fake(|id| match id {
            "floor/x25519_dh" => 100.0,
            "sotto/pingpong_100" => 1300.0,
            "sotto/forged_he_1_chain" => 1000.0,
            "sotto/forged_he_1000_chains" => 1900.0,
            "sotto/setup_pqxdh_last_resort_both" => 1400.0,
            "floor/aead_seal_100" => 500.0,
            "floor/aead_open_100" => 500.0,
            _ => 0.0,
        });
        let r = report(&m);
        assert_eq!(row(&r, "pingpong_100").targets[0].met, Some(false));
        assert_eq!(row(&r, "forged_he_1_chain").targets[0].met, Some(true));
        assert_eq!(
            row(&r, "setup_pqxdh_last_resort_both").targets[0].met,
            Some(false)
        );
    }

    #[test]
    fn per_extra_recipient_in_dh_units() {
        // (1090 - 100) / 9 = 110 = 1.1 DH: met; (11100 - 100) / 99 = 111.1 > 1.1 DH: missed.
        let m = fake(|id| match id {
            "floor/x25519_dh" => 100.0,
            "sotto/sealed_multi_1" => 100.0,
            "sotto/sealed_multi_10" => 1090.0,
            "sotto/sealed_multi_100" => 11_100.0,
            _ => 0.0,
        });
        let r = report(&m);
        let ten = &row(&r, "sealed_multi_10").targets[0];
        assert_eq!(ten.met, Some(true));
        assert!((ten.value.unwrap() - 1.1).abs() < 1e-9);
        let hundred = &row(&r, "sealed_multi_100").targets[0];
        assert_eq!(hundred.met, Some(false));
        assert!(r.table().contains("<= 1.1 DH units: MISSED (1.111)"));
        let ids: Vec<String> = cases_for("sealed_multi_100")
            .unwrap()
            .iter()
            .map(Case::id)
            .collect();
        assert!(ids.contains(&"sotto/sealed_multi_1".to_owned()));
        assert!(ids.contains(&"floor/sha512_243".to_owned()));
    }

    #[test]
    fn filtered_runs_measure_what_their_rows_need() {
        let cases = cases_for("forged_he_1_").unwrap();
        let ids: Vec<String> = cases.iter().map(Case::id).collect();
        assert!(ids.contains(&"sotto/forged_he_1000_chains".to_owned()));
        assert!(ids.contains(&DH_UNIT.to_owned()));
        assert_eq!(ids.len(), 3);
        let cases = cases_for("setup_x3dh_initiator").unwrap();
        let ids: Vec<String> = cases.iter().map(Case::id).collect();
        assert!(ids.contains(&"vodozemac/setup_outbound".to_owned()));
        assert!(ids.contains(&"floor/ed25519_verify_99".to_owned()));
        assert!(!ids.contains(&"floor/aead_open_100".to_owned()));
        assert_eq!(cases_for("").unwrap().len(), table::cases().len());
    }

    #[test]
    fn json_has_every_row_and_round_trips() {
        let m = fake(|_| 50.0);
        let r = report(&m);
        assert_eq!(r.rows.len(), table::rows().len());
        let json = serde_json::to_value(&r).unwrap();
        for key in [
            "name",
            "sotto_ns",
            "floor_ns",
            "ratio_floor",
            "peer_ns",
            "ratio_peer",
            "dh_units",
            "targets",
        ] {
            assert!(json["rows"][0].get(key).is_some(), "{key} missing");
        }
        assert!(json["cases"]["floor/aead_seal_1m"]["mb_per_s"].is_number());
        let dir = std::env::temp_dir().join(format!("sotto-bench-test-{}", std::process::id()));
        let path = write_json(&r, &dir).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(back["rows"][0]["name"], "symmetric_100");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
