//! The catalogue of measurements. Criterion's `benches/ratchet.rs` and the `report` binary
//! both iterate [`Case::all`] and build each routine with [`Case::routine`], so they measure
//! the same code under the same names.

use sotto_ratchet::SessionConfig;

use crate::conversation::{OneWay, PingPong};
use crate::olm::OlmPair;
use crate::sotto::SottoPair;
use crate::timing::Routine;
use crate::{BenchError, floor};

/// 100 bytes: the "short message" of every row.
pub const SMALL: usize = 100;
/// 1 KiB.
pub const KIB: usize = 1024;
/// 1 MiB: the bulk row.
pub const MIB: usize = 1 << 20;

/// Seed of the RNGs behind key generation in the floor and in Sotto's rows.
const SEED: u64 = 0x5077_0b3e;

/// A row of the comparison: one conversation shape measured on Sotto and on vodozemac.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Row {
    /// One direction, 100-byte messages: symmetric ratchet only.
    Symmetric100,
    /// Alternating directions, 100-byte messages: a DH ratchet step on every message.
    PingPong100,
    /// One direction, 1 MiB messages: bulk AEAD throughput.
    OneMib,
}

impl Row {
    /// Every row, in report order.
    pub const ALL: [Self; 3] = [Self::Symmetric100, Self::PingPong100, Self::OneMib];

    /// Benchmark id within the `sotto` and `vodozemac` groups.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Symmetric100 => "symmetric_100",
            Self::PingPong100 => "pingpong_100",
            Self::OneMib => "one_mib",
        }
    }

    /// Plaintext bytes per message.
    pub const fn plaintext_len(self) -> usize {
        match self {
            Self::Symmetric100 | Self::PingPong100 => SMALL,
            Self::OneMib => MIB,
        }
    }
}

/// A floor primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Primitive {
    /// X25519 key generation.
    X25519Keygen,
    /// One X25519 Diffie-Hellman.
    X25519Dh,
    /// One HMAC-SHA256(32-byte key, 1 byte), key schedule included.
    Hmac,
    /// HKDF-SHA256 to 44 bytes (message key to AEAD key and nonce).
    Hkdf44,
    /// HKDF-SHA256 to 64 bytes (KDF_RK).
    Hkdf64,
    /// ChaCha20-Poly1305 seal in place of this many bytes.
    AeadSeal(usize),
    /// ChaCha20-Poly1305 open in place of this many bytes.
    AeadOpen(usize),
}

impl Primitive {
    /// Every floor primitive, in report order.
    pub const ALL: [Self; 11] = [
        Self::X25519Keygen,
        Self::X25519Dh,
        Self::Hmac,
        Self::Hkdf44,
        Self::Hkdf64,
        Self::AeadSeal(SMALL),
        Self::AeadOpen(SMALL),
        Self::AeadSeal(KIB),
        Self::AeadOpen(KIB),
        Self::AeadSeal(MIB),
        Self::AeadOpen(MIB),
    ];

    /// Benchmark id within the `floor` group.
    pub fn name(self) -> String {
        let size = |len: usize| match len {
            MIB => "1m".to_owned(),
            KIB => "1k".to_owned(),
            other => other.to_string(),
        };
        match self {
            Self::X25519Keygen => "x25519_keygen".to_owned(),
            Self::X25519Dh => "x25519_dh".to_owned(),
            Self::Hmac => "hmac".to_owned(),
            Self::Hkdf44 => "hkdf44".to_owned(),
            Self::Hkdf64 => "hkdf64".to_owned(),
            Self::AeadSeal(len) => format!("aead_seal_{}", size(len)),
            Self::AeadOpen(len) => format!("aead_open_{}", size(len)),
        }
    }
}

/// One measurement: a floor primitive, or a row on one implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Case {
    /// `floor/<primitive>`.
    Floor(Primitive),
    /// `sotto/<row>`.
    Sotto(Row),
    /// `vodozemac/<row>`.
    Vodozemac(Row),
}

impl Case {
    /// Every case: the floor, then Sotto, then vodozemac.
    pub fn all() -> Vec<Self> {
        Primitive::ALL
            .into_iter()
            .map(Self::Floor)
            .chain(Row::ALL.into_iter().map(Self::Sotto))
            .chain(Row::ALL.into_iter().map(Self::Vodozemac))
            .collect()
    }

    /// The criterion group: `floor`, `sotto` or `vodozemac`.
    pub const fn group(self) -> &'static str {
        match self {
            Self::Floor(_) => "floor",
            Self::Sotto(_) => "sotto",
            Self::Vodozemac(_) => "vodozemac",
        }
    }

    /// The benchmark id within its group.
    pub fn name(self) -> String {
        match self {
            Self::Floor(primitive) => primitive.name(),
            Self::Sotto(row) | Self::Vodozemac(row) => row.name().to_owned(),
        }
    }

    /// Bytes processed per run, for throughput reporting; `None` where bytes do not apply.
    pub const fn throughput_bytes(self) -> Option<u64> {
        match self {
            Self::Floor(Primitive::AeadSeal(len) | Primitive::AeadOpen(len)) => Some(len as u64),
            Self::Floor(_) => None,
            Self::Sotto(row) | Self::Vodozemac(row) => Some(row.plaintext_len() as u64),
        }
    }

    /// Builds the routine, with its sessions or keys set up (untimed).
    pub fn routine(self) -> Result<Box<dyn Routine>, BenchError> {
        Ok(match self {
            Self::Floor(Primitive::X25519Keygen) => Box::new(floor::Keygen::new(SEED)),
            Self::Floor(Primitive::X25519Dh) => Box::new(floor::Dh::new(SEED)),
            Self::Floor(Primitive::Hmac) => Box::new(floor::Hmac::new()),
            Self::Floor(Primitive::Hkdf44) => Box::new(floor::Hkdf44::new()),
            Self::Floor(Primitive::Hkdf64) => Box::new(floor::Hkdf64::new()),
            Self::Floor(Primitive::AeadSeal(len)) => Box::new(floor::Seal::new(len)),
            Self::Floor(Primitive::AeadOpen(len)) => Box::new(floor::Open::new(len)),
            Self::Sotto(row) => {
                let pair = SottoPair::established(SessionConfig::default(), SEED)?;
                conversation(pair, row)
            }
            Self::Vodozemac(row) => conversation(OlmPair::established()?, row),
        })
    }
}

fn conversation<D: crate::conversation::Duplex + 'static>(duplex: D, row: Row) -> Box<dyn Routine> {
    match row {
        Row::Symmetric100 | Row::OneMib => Box::new(OneWay::new(duplex, row.plaintext_len())),
        Row::PingPong100 => Box::new(PingPong::new(duplex, row.plaintext_len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::time_batch;

    #[test]
    fn names_are_unique_and_match_the_brief() {
        let names: Vec<String> = Case::all()
            .iter()
            .map(|c| format!("{}/{}", c.group(), c.name()))
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for expected in [
            "floor/x25519_keygen",
            "floor/x25519_dh",
            "floor/hmac",
            "floor/hkdf44",
            "floor/hkdf64",
            "floor/aead_seal_100",
            "floor/aead_open_100",
            "floor/aead_seal_1k",
            "floor/aead_open_1k",
            "floor/aead_seal_1m",
            "floor/aead_open_1m",
            "sotto/symmetric_100",
            "sotto/pingpong_100",
            "sotto/one_mib",
            "vodozemac/symmetric_100",
            "vodozemac/pingpong_100",
            "vodozemac/one_mib",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing");
        }
    }

    #[test]
    fn every_routine_runs() {
        for case in Case::all() {
            let mut routine = case.routine().unwrap();
            time_batch(routine.as_mut(), 3).unwrap();
        }
    }
}
