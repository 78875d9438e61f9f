//! The catalogue of measurements. Criterion's `benches/ratchet.rs` and the `report` binary
//! both iterate [`Case::all`] and build each routine with [`Case::routine`], so they measure
//! the same code under the same names.

use sotto_handshake::Mode;
use sotto_ratchet::SessionConfig;

use crate::conversation::{OneWay, PingPong};
use crate::floor::{KEM_SIGNED_LEN, SPK_SIGNED_LEN};
use crate::olm::{OlmInbound, OlmOutbound, OlmPair};
use crate::setup::{BundleVerify, Initiator, Responder};
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

/// A session-setup row measured on Sotto (`sotto_handshake`, first plaintext of [`SMALL`]
/// bytes, standard session, bundles with a one-time prekey and, in PQXDH, a one-time ML-KEM
/// prekey).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SetupRow {
    /// `PrekeyBundle::from_bytes` + `verify` of an X3DH bundle: the initiator's first step.
    BundleVerifyX3dh,
    /// The same for a PQXDH bundle (two signatures, an ML-KEM key to validate).
    BundleVerifyPqxdh,
    /// X3DH initiator: bundle bytes to initial message bytes (decode, verify, `initiate`).
    X3dhInitiator,
    /// X3DH responder: initial message bytes to session and plaintext (`respond`).
    X3dhResponder,
    /// PQXDH initiator.
    PqxdhInitiator,
    /// PQXDH responder.
    PqxdhResponder,
}

impl SetupRow {
    /// Every setup row, in report order.
    pub const ALL: [Self; 6] = [
        Self::BundleVerifyX3dh,
        Self::X3dhInitiator,
        Self::X3dhResponder,
        Self::BundleVerifyPqxdh,
        Self::PqxdhInitiator,
        Self::PqxdhResponder,
    ];

    /// Benchmark id within the `sotto` group.
    pub const fn name(self) -> &'static str {
        match self {
            Self::BundleVerifyX3dh => "bundle_verify_x3dh",
            Self::BundleVerifyPqxdh => "bundle_verify_pqxdh",
            Self::X3dhInitiator => "setup_x3dh_initiator",
            Self::X3dhResponder => "setup_x3dh_responder",
            Self::PqxdhInitiator => "setup_pqxdh_initiator",
            Self::PqxdhResponder => "setup_pqxdh_responder",
        }
    }

    /// The key agreement the row runs.
    pub const fn mode(self) -> Mode {
        match self {
            Self::BundleVerifyX3dh | Self::X3dhInitiator | Self::X3dhResponder => Mode::X3dh,
            Self::BundleVerifyPqxdh | Self::PqxdhInitiator | Self::PqxdhResponder => Mode::Pqxdh,
        }
    }

    /// The vodozemac row it is compared with: Olm outbound creation for an initiator, inbound
    /// creation for a responder, none for a bundle check (Olm signs no prekeys).
    pub const fn peer(self) -> Option<OlmSetup> {
        match self {
            Self::X3dhInitiator | Self::PqxdhInitiator => Some(OlmSetup::Outbound),
            Self::X3dhResponder | Self::PqxdhResponder => Some(OlmSetup::Inbound),
            Self::BundleVerifyX3dh | Self::BundleVerifyPqxdh => None,
        }
    }
}

/// An Olm session creation on vodozemac (`SessionConfig::version_1()`, 100-byte first
/// plaintext).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OlmSetup {
    /// `Account::create_outbound_session` to an identity key and a one-time key, then the
    /// first encrypt and its wire bytes: like Sotto's initiator, which encrypts the first
    /// message.
    Outbound,
    /// Decoding the pre-key message and `Account::create_inbound_session`, which decrypts it
    /// and removes the one-time key.
    Inbound,
}

impl OlmSetup {
    /// Both, in report order.
    pub const ALL: [Self; 2] = [Self::Outbound, Self::Inbound];

    /// Benchmark id within the `vodozemac` group.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Outbound => "setup_outbound",
            Self::Inbound => "setup_inbound",
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
    /// HKDF-SHA256 of session setup's input keying material to SK (32 bytes).
    HkdfSk,
    /// Decoding an Ed25519 public key (point decompression).
    Ed25519KeyDecode,
    /// Strict Ed25519 verification over a message of this many bytes.
    Ed25519Verify(usize),
    /// Decoding and validating an ML-KEM-768 encapsulation key.
    MlKemKeyDecode,
    /// ML-KEM-768 encapsulation.
    MlKemEncaps,
    /// ML-KEM-768 decapsulation.
    MlKemDecaps,
    /// ChaCha20-Poly1305 seal in place of this many bytes.
    AeadSeal(usize),
    /// ChaCha20-Poly1305 open in place of this many bytes.
    AeadOpen(usize),
}

impl Primitive {
    /// Every floor primitive, in report order (those without a byte count first, see
    /// [`Case::throughput_bytes`]).
    pub const ALL: [Self; 18] = [
        Self::X25519Keygen,
        Self::X25519Dh,
        Self::Hmac,
        Self::Hkdf44,
        Self::Hkdf64,
        Self::HkdfSk,
        Self::Ed25519KeyDecode,
        Self::Ed25519Verify(SPK_SIGNED_LEN),
        Self::Ed25519Verify(KEM_SIGNED_LEN),
        Self::MlKemKeyDecode,
        Self::MlKemEncaps,
        Self::MlKemDecaps,
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
            Self::HkdfSk => "hkdf_sk".to_owned(),
            Self::Ed25519KeyDecode => "ed25519_key_decode".to_owned(),
            Self::Ed25519Verify(len) => format!("ed25519_verify_{len}"),
            Self::MlKemKeyDecode => "mlkem768_key_decode".to_owned(),
            Self::MlKemEncaps => "mlkem768_encaps".to_owned(),
            Self::MlKemDecaps => "mlkem768_decaps".to_owned(),
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
    /// `sotto/<setup row>`.
    SottoSetup(SetupRow),
    /// `vodozemac/<setup>`.
    VodozemacSetup(OlmSetup),
}

impl Case {
    /// Every case: the floor, then Sotto, then vodozemac; in each group the session-setup
    /// cases, which process no byte count, come before the conversation rows.
    pub fn all() -> Vec<Self> {
        Primitive::ALL
            .into_iter()
            .map(Self::Floor)
            .chain(SetupRow::ALL.into_iter().map(Self::SottoSetup))
            .chain(Row::ALL.into_iter().map(Self::Sotto))
            .chain(OlmSetup::ALL.into_iter().map(Self::VodozemacSetup))
            .chain(Row::ALL.into_iter().map(Self::Vodozemac))
            .collect()
    }

    /// The criterion group: `floor`, `sotto` or `vodozemac`.
    pub const fn group(self) -> &'static str {
        match self {
            Self::Floor(_) => "floor",
            Self::Sotto(_) | Self::SottoSetup(_) => "sotto",
            Self::Vodozemac(_) | Self::VodozemacSetup(_) => "vodozemac",
        }
    }

    /// The benchmark id within its group.
    pub fn name(self) -> String {
        match self {
            Self::Floor(primitive) => primitive.name(),
            Self::Sotto(row) | Self::Vodozemac(row) => row.name().to_owned(),
            Self::SottoSetup(row) => row.name().to_owned(),
            Self::VodozemacSetup(setup) => setup.name().to_owned(),
        }
    }

    /// Bytes processed per run, for throughput reporting; `None` where bytes do not apply
    /// (a session setup is counted per setup, not per plaintext byte).
    pub const fn throughput_bytes(self) -> Option<u64> {
        match self {
            Self::Floor(Primitive::AeadSeal(len) | Primitive::AeadOpen(len)) => Some(len as u64),
            Self::Floor(_) | Self::SottoSetup(_) | Self::VodozemacSetup(_) => None,
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
            Self::Floor(Primitive::HkdfSk) => Box::new(floor::HkdfSk::new()),
            Self::Floor(Primitive::Ed25519KeyDecode) => {
                Box::new(floor::Ed25519KeyDecode::new(SEED))
            }
            Self::Floor(Primitive::Ed25519Verify(len)) => {
                Box::new(floor::Ed25519Verify::new(SEED, len))
            }
            Self::Floor(Primitive::MlKemKeyDecode) => Box::new(floor::KemKeyDecode::new(SEED)),
            Self::Floor(Primitive::MlKemEncaps) => Box::new(floor::KemEncaps::new(SEED)),
            Self::Floor(Primitive::MlKemDecaps) => Box::new(floor::KemDecaps::new(SEED)),
            Self::Floor(Primitive::AeadSeal(len)) => Box::new(floor::Seal::new(len)),
            Self::Floor(Primitive::AeadOpen(len)) => Box::new(floor::Open::new(len)),
            Self::Sotto(row) => {
                let pair = SottoPair::established(SessionConfig::default(), SEED)?;
                conversation(pair, row)
            }
            Self::Vodozemac(row) => conversation(OlmPair::established()?, row),
            Self::SottoSetup(row) => match row {
                SetupRow::BundleVerifyX3dh | SetupRow::BundleVerifyPqxdh => {
                    Box::new(BundleVerify::new(row.mode(), SEED)?)
                }
                SetupRow::X3dhInitiator | SetupRow::PqxdhInitiator => {
                    Box::new(Initiator::new(row.mode(), SEED)?)
                }
                SetupRow::X3dhResponder | SetupRow::PqxdhResponder => {
                    Box::new(Responder::new(row.mode(), SEED)?)
                }
            },
            Self::VodozemacSetup(OlmSetup::Outbound) => Box::new(OlmOutbound::new()?),
            Self::VodozemacSetup(OlmSetup::Inbound) => Box::new(OlmInbound::new()),
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
            "floor/hkdf_sk",
            "floor/ed25519_key_decode",
            "floor/ed25519_verify_99",
            "floor/ed25519_verify_1243",
            "floor/mlkem768_key_decode",
            "floor/mlkem768_encaps",
            "floor/mlkem768_decaps",
            "sotto/bundle_verify_x3dh",
            "sotto/bundle_verify_pqxdh",
            "sotto/setup_x3dh_initiator",
            "sotto/setup_x3dh_responder",
            "sotto/setup_pqxdh_initiator",
            "sotto/setup_pqxdh_responder",
            "vodozemac/setup_outbound",
            "vodozemac/setup_inbound",
        ] {
            assert!(names.iter().any(|n| n == expected), "{expected} missing");
        }
    }

    #[test]
    fn cases_without_a_byte_count_come_first_in_each_group() {
        let cases = Case::all();
        for group in ["floor", "sotto", "vodozemac"] {
            let counted: Vec<bool> = cases
                .iter()
                .filter(|c| c.group() == group)
                .map(|c| c.throughput_bytes().is_some())
                .collect();
            assert!(counted.windows(2).all(|w| w[0] <= w[1]), "{group}");
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
