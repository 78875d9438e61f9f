//! The one table of measurements. A benchmark row is one [`Row`] entry in [`rows`]: a name,
//! the Sotto operation (a routine), its floor as a formula over the [`primitives`], an
//! optional peer operation and its targets. The report ([`crate::report`]) and criterion
//! (`benches/ratchet.rs`) both measure [`cases`], so adding a row here adds it to both, with
//! no other code.
//!
//! Names live in one namespace, `group/name`: `floor/<primitive>`, `sotto/<row>` and
//! `vodozemac/<peer>` (the [`peers`] that are not primitives). A formula is a sum of terms
//! `k*primitive` or `primitive` separated by ` + `; a row's peer names any case.

use sotto_crypto::aead::TAG_LEN;
use sotto_crypto::labels;
use sotto_handshake::Mode;
use sotto_ratchet::SessionConfig;

use crate::BenchError;
use crate::conversation::{Duplex, KIB, MIB, OneWay, PingPong, SEED, SMALL};
use crate::devices;
use crate::forged::{Forged, Forgery};
use crate::olm::{self, OlmInbound, OlmPair};
use crate::primitives::{self as p, KEM_SIGNED_LEN, MlKemLib, SPK_SIGNED_LEN};
use crate::sealed::{
    self, LAYER1_AD_LEN, LAYER1_SALT_LEN, LAYER2_AD_LEN, LAYER2_SALT_LEN, WRAP_AD_LEN,
};
use crate::setup::{self, Responder};
use crate::sotto::SottoPair;
use crate::store;
use crate::timing::{Routine, boxed};

/// Builds a routine with its keys or sessions set up (untimed).
pub type Build = fn() -> Result<Box<dyn Routine>, BenchError>;

/// One measured operation: a primitive, a row's Sotto operation or a peer operation.
#[derive(Clone, Copy)]
pub struct Case {
    /// `floor`, `sotto` or `vodozemac`: the criterion group.
    pub group: &'static str,
    /// The id within the group.
    pub name: &'static str,
    /// What one run does.
    pub what: &'static str,
    /// Bytes processed per run, for throughput (`None` where bytes do not apply).
    pub bytes: Option<u64>,
    /// Builds the routine.
    pub build: Build,
}

impl Case {
    /// `group/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id())
    }
}

/// A target a row must meet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// sotto <= k × floor.
    FloorRatio(f64),
    /// floor / sotto >= k: the fraction of the floor's throughput reached.
    FloorThroughput(f64),
    /// sotto <= k × `floor/x25519_dh` (k X25519-DH units).
    DhUnits(f64),
    /// sotto and the named row's sotto within a factor k of each other.
    Within(&'static str, f64),
    /// (sotto - base row) / n <= k × unit row: what each of n extra devices costs, against
    /// one operation of the unit row.
    PerExtraDevice(&'static str, u32, &'static str, f64),
    /// (sotto - base row) / n <= k × `floor/x25519_dh`: what each of n extra recipients
    /// costs, in X25519-DH units.
    PerExtraDh(&'static str, u32, f64),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::FloorRatio(k) => write!(f, "<= {k}x floor"),
            Self::FloorThroughput(k) => write!(f, ">= {:.0}% of floor throughput", k * 100.0),
            Self::DhUnits(k) => write!(f, "<= {k} DH units"),
            Self::Within(row, k) => write!(f, "within {k}x of {row}"),
            Self::PerExtraDevice(base, n, unit, k) => {
                write!(f, "(this - {base}) / {n} <= {k}x {unit}")
            }
            Self::PerExtraDh(base, n, k) => write!(f, "(this - {base}) / {n} <= {k} DH units"),
        }
    }
}

/// One benchmark row.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The Sotto operation, as `sotto/<name>`.
    pub sotto: Case,
    /// The floor as a formula over primitive names; `None` where no sum of primitives is a
    /// meaningful lower bound.
    pub floor: Option<&'static str>,
    /// The peer's operation, by case id (`vodozemac/...` or `floor/...`).
    pub peer: Option<&'static str>,
    /// What the row must meet.
    pub targets: &'static [Target],
}

const fn row(
    name: &'static str,
    what: &'static str,
    build: Build,
    floor: Option<&'static str>,
    peer: Option<&'static str>,
    targets: &'static [Target],
) -> Row {
    Row {
        sotto: Case {
            group: "sotto",
            name,
            what,
            bytes: None,
            build,
        },
        floor,
        peer,
        targets,
    }
}

const fn case(
    group: &'static str,
    name: &'static str,
    what: &'static str,
    bytes: Option<u64>,
    build: Build,
) -> Case {
    Case {
        group,
        name,
        what,
        bytes,
        build,
    }
}

const fn floor(name: &'static str, what: &'static str, build: Build) -> Case {
    case("floor", name, what, None, build)
}

const fn aead(name: &'static str, what: &'static str, len: usize, build: Build) -> Case {
    case("floor", name, what, Some(len as u64), build)
}

fn sotto_pair() -> Result<SottoPair, BenchError> {
    SottoPair::established(SessionConfig::default(), SEED)
}

fn one_way<D: Duplex + 'static>(pair: D, len: usize) -> Result<Box<dyn Routine>, BenchError> {
    boxed(OneWay::new(pair, len))
}

/// The primitives floors are made of (group `floor`), in report order.
pub fn primitives() -> Vec<Case> {
    use MlKemLib::{Libcrux, LibcruxPortable, RustCrypto};
    vec![
        floor("x25519_keygen", "KeyPair::generate", p::x25519_keygen),
        floor(
            "x25519_dh",
            "KeyPair::diffie_hellman (contributory check)",
            p::x25519_dh,
        ),
        floor(
            "hmac",
            "hmac_sha256(32-byte key, [0x01]), key schedule included",
            p::hmac,
        ),
        floor(
            "hkdf44",
            "hkdf_sha256::<44>(None, message key, MESSAGE_KEYS)",
            p::hkdf44,
        ),
        floor(
            "hkdf64",
            "hkdf_sha256::<64>(root key, DH output, RATCHET_ROOT)",
            p::hkdf64,
        ),
        floor(
            "hkdf_sk",
            "hkdf_sha256::<32>(zero salt, F || DH1..DH3, HANDSHAKE_X3DH)",
            p::hkdf_sk,
        ),
        floor(
            "sha512_96",
            "sha512 of 96 bytes: one safety-number iteration (one compression)",
            p::sha512_96,
        ),
        floor(
            "ed25519_key_decode",
            "ed25519::VerifyingKey::from_bytes",
            p::ed25519_key_decode,
        ),
        floor(
            "ed25519_verify_99",
            "strict verify, signed-prekey message",
            || p::ed25519_verify(SPK_SIGNED_LEN),
        ),
        floor(
            "ed25519_verify_290",
            "strict verify, a 3-device list's signed message",
            || p::ed25519_verify(devices::signed_len(3)),
        ),
        floor(
            "device_identity_decode",
            "DeviceIdentityKey::from_bytes (Ed25519 point, canonical X25519)",
            p::device_identity_decode,
        ),
        floor(
            "ed25519_verify_1243",
            "strict verify, ML-KEM-prekey message",
            || p::ed25519_verify(KEM_SIGNED_LEN),
        ),
        floor(
            "mlkem768_key_decode",
            "kem::PublicKey::from_bytes (FIPS 203 key check)",
            p::kem_key_decode,
        ),
        floor(
            "mlkem768_keygen_libcrux",
            "libcrux-ml-kem keygen (AVX2 if present)",
            || p::mlkem_keygen(Libcrux),
        ),
        floor(
            "mlkem768_encaps_libcrux",
            "libcrux-ml-kem encapsulate (AVX2 if present)",
            || p::mlkem_encaps(Libcrux),
        ),
        floor(
            "mlkem768_decaps_libcrux",
            "libcrux-ml-kem decapsulate (AVX2 if present)",
            || p::mlkem_decaps(Libcrux),
        ),
        floor(
            "mlkem768_keygen_libcrux_portable",
            "libcrux-ml-kem portable keygen",
            || p::mlkem_keygen(LibcruxPortable),
        ),
        floor(
            "mlkem768_encaps_libcrux_portable",
            "libcrux-ml-kem portable encapsulate",
            || p::mlkem_encaps(LibcruxPortable),
        ),
        floor(
            "mlkem768_decaps_libcrux_portable",
            "libcrux-ml-kem portable decapsulate",
            || p::mlkem_decaps(LibcruxPortable),
        ),
        floor(
            "mlkem768_keygen_rustcrypto",
            "ml-kem 0.3 from_seed + ek bytes",
            || p::mlkem_keygen(RustCrypto),
        ),
        floor(
            "mlkem768_encaps_rustcrypto",
            "ml-kem 0.3 encapsulate_with_rng",
            || p::mlkem_encaps(RustCrypto),
        ),
        floor(
            "mlkem768_decaps_rustcrypto",
            "ml-kem 0.3 decapsulate",
            || p::mlkem_decaps(RustCrypto),
        ),
        floor(
            "store_memory_session_write",
            "MemoryBackend::apply, one 1 KiB sessions record",
            store::memory_write,
        ),
        floor(
            "store_memory_session_read",
            "MemoryBackend::get, one 1 KiB sessions record",
            store::memory_read,
        ),
        floor(
            "hkdf_sealed_layer1",
            "hkdf_sha256::<76>(96-byte salt, DH output, SEALED_ENVELOPE_EPHEMERAL)",
            || p::hkdf_salted::<76>(LAYER1_SALT_LEN, labels::SEALED_ENVELOPE_EPHEMERAL),
        ),
        floor(
            "hkdf_sealed_layer2",
            "hkdf_sha256::<44>(112-byte salt, DH output, SEALED_ENVELOPE_STATIC)",
            || p::hkdf_salted::<44>(LAYER2_SALT_LEN, labels::SEALED_ENVELOPE_STATIC),
        ),
        floor(
            "ed25519_verify_131",
            "strict verify, a sender certificate's signed message",
            || p::ed25519_verify(sealed::SENDER_CERT_SIGNED_LEN),
        ),
        floor(
            "sha512_243",
            "sha512 of 243 bytes: a multi-recipient message's content ciphertext, 100 B",
            || p::sha512(sealed::inner_len() + TAG_LEN),
        ),
        aead(
            "aead_seal_64_ad34",
            "aead::seal_in_place, 64 B, 34 B AD (layer 1)",
            64,
            || p::seal_ad(64, LAYER1_AD_LEN),
        ),
        aead(
            "aead_open_64_ad34",
            "aead::open_in_place, 64 B, 34 B AD (layer 1)",
            64,
            || boxed(p::Open::with_ad(64, LAYER1_AD_LEN)),
        ),
        aead(
            "aead_seal_227_ad114",
            "aead::seal_in_place, 227 B, 114 B AD (layer 2, 100 B message)",
            sealed::inner_len(),
            || p::seal_ad(sealed::inner_len(), LAYER2_AD_LEN),
        ),
        aead(
            "aead_open_227_ad114",
            "aead::open_in_place, 227 B, 114 B AD (layer 2, 100 B message)",
            sealed::inner_len(),
            || boxed(p::Open::with_ad(sealed::inner_len(), LAYER2_AD_LEN)),
        ),
        aead(
            "aead_seal_227_ad34",
            "aead::seal_in_place, 227 B, 34 B AD (multi-recipient content, 100 B message)",
            sealed::inner_len(),
            || p::seal_ad(sealed::inner_len(), LAYER1_AD_LEN),
        ),
        aead(
            "aead_seal_32_ad178",
            "aead::seal_in_place, 32 B, 178 B AD (multi-recipient key wrap)",
            32,
            || p::seal_ad(32, WRAP_AD_LEN),
        ),
        aead("aead_seal_100", "aead::seal_in_place, 100 B", SMALL, || {
            p::seal(SMALL)
        }),
        aead("aead_open_100", "aead::open_in_place, 100 B", SMALL, || {
            boxed(p::Open::new(SMALL))
        }),
        aead("aead_seal_1k", "aead::seal_in_place, 1 KiB", KIB, || {
            p::seal(KIB)
        }),
        aead("aead_open_1k", "aead::open_in_place, 1 KiB", KIB, || {
            boxed(p::Open::new(KIB))
        }),
        aead("aead_seal_1m", "aead::seal_in_place, 1 MiB", MIB, || {
            p::seal(MIB)
        }),
        aead("aead_open_1m", "aead::open_in_place, 1 MiB", MIB, || {
            boxed(p::Open::new(MIB))
        }),
    ]
}

/// The peer operations that are not primitives (group `vodozemac`: Olm v1,
/// `SessionConfig::version_1()`).
pub fn peers() -> Vec<Case> {
    const V: &str = "vodozemac";
    vec![
        case(
            V,
            "symmetric_100",
            "Alice -> Bob, 100 B, encrypt + decrypt",
            Some(SMALL as u64),
            || one_way(OlmPair::established()?, SMALL),
        ),
        case(
            V,
            "pingpong_100",
            "alternating, 100 B",
            Some(SMALL as u64),
            || boxed(PingPong::new(OlmPair::established()?, SMALL)),
        ),
        case(
            V,
            "one_mib",
            "Alice -> Bob, 1 MiB",
            Some(MIB as u64),
            || one_way(OlmPair::established()?, MIB),
        ),
        case(
            V,
            "setup_outbound",
            "create_outbound_session + encrypt 100 B + wire bytes",
            None,
            olm::outbound,
        ),
        case(
            V,
            "setup_inbound",
            "PreKeyMessage::from_bytes + create_inbound_session",
            None,
            || boxed(OlmInbound::new(false)),
        ),
        case(
            V,
            "setup_both",
            "setup_outbound then setup_inbound on its message",
            None,
            || boxed(OlmInbound::new(true)),
        ),
    ]
}

const SETUP_FLOOR: Target = Target::FloorRatio(1.10);

/// Every benchmark row, in report order.
pub fn rows() -> Vec<Row> {
    use Target::*;
    let mut rows = vec![
        row(
            "symmetric_100",
            "Alice -> Bob, 100 B, encrypt_with_buffer + decrypt_into: symmetric ratchet only",
            || one_way(sotto_pair()?, SMALL),
            Some("4*hmac + 2*hkdf44 + aead_seal_100 + aead_open_100"),
            Some("vodozemac/symmetric_100"),
            &[FloorRatio(1.20)],
        ),
        row(
            "pingpong_100",
            "alternating, 100 B: a DH ratchet step per message",
            || boxed(PingPong::new(sotto_pair()?, SMALL)),
            Some(
                "4*hmac + 2*hkdf44 + aead_seal_100 + aead_open_100 + x25519_keygen \
                 + 2*x25519_dh + 2*hkdf64",
            ),
            Some("vodozemac/pingpong_100"),
            &[FloorRatio(1.05)],
        ),
        row(
            "one_mib",
            "Alice -> Bob, 1 MiB",
            || one_way(sotto_pair()?, MIB),
            Some("4*hmac + 2*hkdf44 + aead_seal_1m + aead_open_1m"),
            Some("vodozemac/one_mib"),
            &[FloorThroughput(0.90)],
        ),
        row(
            "forged_he_1_chain",
            "header-encrypted session, 1 dropped chain behind it: refuse random bytes of a valid \
             message's length (no header key opens them)",
            || boxed(Forged::new(1, Forgery::Random)?),
            None,
            None,
            &[Within("forged_he_1000_chains", 2.0)],
        ),
        row(
            "forged_he_1000_chains",
            "the same with 1000 dropped chains behind it",
            || boxed(Forged::new(1000, Forgery::Random)?),
            None,
            None,
            &[Within("forged_he_1_chain", 2.0)],
        ),
        row(
            "forged_tag_he_1_chain",
            "header-encrypted session, 1 dropped chain behind it: refuse a new chain's valid \
             message with a flipped tag byte (header opens, X25519 and KDF_RK, body fails)",
            || boxed(Forged::new(1, Forgery::FlippedTag)?),
            None,
            None,
            &[Within("forged_tag_he_1000_chains", 2.0)],
        ),
        row(
            "forged_tag_he_1000_chains",
            "the same with 1000 dropped chains behind it",
            || boxed(Forged::new(1000, Forgery::FlippedTag)?),
            None,
            None,
            &[Within("forged_tag_he_1_chain", 2.0)],
        ),
        row(
            "device_list_verify_3",
            "SignedDeviceList::from_bytes, 3 devices (decode, 4 keys, strict signature check)",
            || devices::device_list_verify(3),
            Some("ed25519_key_decode + 3*device_identity_decode + ed25519_verify_290"),
            None,
            &[FloorRatio(1.05)],
        ),
        row(
            "ratchet_encrypt_100",
            "Session::encrypt, 100 B, established session (the fan-out's per-device unit)",
            devices::ratchet_encrypt,
            Some("2*hmac + hkdf44 + aead_seal_100"),
            None,
            &[],
        ),
        row(
            "fan_out_1",
            "one 100 B message to 1 device: DeviceSessions::encrypt + FanOut encoding",
            || devices::fan_out(1),
            Some("2*hmac + hkdf44 + aead_seal_100"),
            None,
            &[],
        ),
        row(
            "fan_out_3",
            "the same to 3 devices",
            || devices::fan_out(3),
            Some("6*hmac + 3*hkdf44 + 3*aead_seal_100"),
            None,
            &[PerExtraDevice("fan_out_1", 2, "ratchet_encrypt_100", 1.05)],
        ),
        row(
            "fan_out_10",
            "the same to 10 devices",
            || devices::fan_out(10),
            Some("20*hmac + 10*hkdf44 + 10*aead_seal_100"),
            None,
            &[PerExtraDevice("fan_out_1", 9, "ratchet_encrypt_100", 1.05)],
        ),
        row(
            "safety_number",
            "SafetyNumber::derive: 2 x 5200 SHA-512, digits (floor: Signal's published \
             construction, the same 5200 iterations per side)",
            devices::safety_number,
            Some("10400*sha512_96"),
            None,
            &[FloorRatio(1.05)],
        ),
        row(
            "bundle_verify_x3dh",
            "PrekeyBundle::from_bytes + verify, X3DH",
            || setup::bundle_verify(Mode::X3dh),
            Some("ed25519_key_decode + ed25519_verify_99"),
            None,
            &[],
        ),
        row(
            "setup_x3dh_initiator",
            "bundle bytes (one-time prekey) -> verify, initiate (100 B), initial message bytes",
            || setup::initiator(Mode::X3dh),
            Some(
                "ed25519_key_decode + ed25519_verify_99 + 2*x25519_keygen + 5*x25519_dh \
                 + hkdf_sk + hkdf64 + 2*hmac + hkdf44 + aead_seal_100",
            ),
            Some("vodozemac/setup_outbound"),
            &[SETUP_FLOOR],
        ),
        row(
            "setup_x3dh_responder",
            "initial message bytes -> respond (store, replay record, first plaintext)",
            || boxed(Responder::new(Mode::X3dh)),
            Some(
                "ed25519_key_decode + 5*x25519_dh + hkdf_sk + hkdf64 + 2*hmac + hkdf44 \
                 + aead_open_100",
            ),
            Some("vodozemac/setup_inbound"),
            &[SETUP_FLOOR],
        ),
        row(
            "bundle_verify_pqxdh",
            "PrekeyBundle::from_bytes + verify, PQXDH",
            || setup::bundle_verify(Mode::Pqxdh),
            Some(
                "ed25519_key_decode + ed25519_verify_99 + mlkem768_key_decode \
                 + ed25519_verify_1243",
            ),
            None,
            &[],
        ),
        row(
            "setup_pqxdh_initiator",
            "the X3DH initiator's run in PQXDH, one-time ML-KEM prekey",
            || setup::initiator(Mode::Pqxdh),
            Some(
                "ed25519_key_decode + ed25519_verify_99 + mlkem768_key_decode \
                 + ed25519_verify_1243 + 2*x25519_keygen + 5*x25519_dh + hkdf_sk + hkdf64 \
                 + 2*hmac + hkdf44 + aead_seal_100 + mlkem768_encaps_libcrux",
            ),
            Some("vodozemac/setup_outbound"),
            &[SETUP_FLOOR],
        ),
        row(
            "setup_pqxdh_responder",
            "the X3DH responder's run in PQXDH, one-time ML-KEM prekey",
            || boxed(Responder::new(Mode::Pqxdh)),
            Some(
                "ed25519_key_decode + 5*x25519_dh + hkdf_sk + hkdf64 + 2*hmac + hkdf44 \
                 + aead_open_100 + mlkem768_decaps_libcrux",
            ),
            Some("vodozemac/setup_inbound"),
            &[SETUP_FLOOR],
        ),
        row(
            "setup_pqxdh_last_resort_both",
            "both sides, like for like with libsignal: no one-time prekey, last-resort ML-KEM \
             prekey; initiator's run then responder's",
            setup::last_resort_both,
            Some(
                "2*ed25519_key_decode + ed25519_verify_99 + mlkem768_key_decode \
                 + ed25519_verify_1243 + 2*x25519_keygen + 8*x25519_dh + 2*hkdf_sk + 2*hkdf64 \
                 + 4*hmac + 2*hkdf44 + aead_seal_100 + aead_open_100 + mlkem768_encaps_libcrux \
                 + mlkem768_decaps_libcrux",
            ),
            Some("vodozemac/setup_both"),
            &[DhUnits(13.0), SETUP_FLOOR],
        ),
    ];
    rows.extend(kem_rows());
    rows.extend(store_rows());
    rows.extend(sealed_rows());
    rows
}

/// Sealed sender (sotto-sealed, protocol.md 9.3 and 9.4), 100 B messages.
fn sealed_rows() -> [Row; 8] {
    use Target::*;
    const SEALED: &[Target] = &[FloorRatio(1.15)];
    [
        row(
            "sealed_seal_100",
            "envelope::seal, 100 B (cold: ephemeral key, two agreements)",
            || sealed::seal(false),
            Some(
                "x25519_keygen + 2*x25519_dh + hkdf_sealed_layer1 + aead_seal_64_ad34 \
                 + hkdf_sealed_layer2 + aead_seal_227_ad114",
            ),
            None,
            SEALED,
        ),
        row(
            "sealed_seal_100_warm",
            "envelope::seal_cached, 100 B, static-static secret cached",
            || sealed::seal(true),
            Some(
                "x25519_keygen + x25519_dh + hkdf_sealed_layer1 + aead_seal_64_ad34 \
                 + hkdf_sealed_layer2 + aead_seal_227_ad114",
            ),
            None,
            SEALED,
        ),
        row(
            "sealed_open_100",
            "envelope::open, 100 B (cold: two agreements, certificate's Ed25519 verification)",
            || sealed::open(false),
            Some(
                "2*x25519_dh + hkdf_sealed_layer1 + aead_open_64_ad34 + device_identity_decode \
                 + hkdf_sealed_layer2 + aead_open_227_ad114 + ed25519_verify_131",
            ),
            None,
            SEALED,
        ),
        row(
            "sealed_open_100_warm",
            "envelope::open_cached, 100 B, verified certificate remembered (the static \
             secret is computed: opening never takes it from the cache)",
            || sealed::open(true),
            Some(
                "2*x25519_dh + hkdf_sealed_layer1 + aead_open_64_ad34 + device_identity_decode \
                 + hkdf_sealed_layer2 + aead_open_227_ad114",
            ),
            None,
            SEALED,
        ),
        row(
            "sealed_multi_1",
            "multi::seal_multi, 100 B to 1 device, warm cache",
            || sealed::multi(1),
            Some(
                "x25519_keygen + aead_seal_227_ad34 + sha512_243 + x25519_dh \
                 + hkdf_sealed_layer1 + aead_seal_64_ad34 + hkdf_sealed_layer2 \
                 + aead_seal_32_ad178",
            ),
            None,
            &[],
        ),
        row(
            "sealed_multi_10",
            "the same to 10 devices",
            || sealed::multi(10),
            Some(
                "x25519_keygen + aead_seal_227_ad34 + sha512_243 + 10*x25519_dh \
                 + 10*hkdf_sealed_layer1 + 10*aead_seal_64_ad34 + 10*hkdf_sealed_layer2 \
                 + 10*aead_seal_32_ad178",
            ),
            None,
            &[PerExtraDh("sealed_multi_1", 9, 1.1)],
        ),
        row(
            "sealed_multi_100",
            "the same to 100 devices",
            || sealed::multi(100),
            Some(
                "x25519_keygen + aead_seal_227_ad34 + sha512_243 + 100*x25519_dh \
                 + 100*hkdf_sealed_layer1 + 100*aead_seal_64_ad34 + 100*hkdf_sealed_layer2 \
                 + 100*aead_seal_32_ad178",
            ),
            None,
            &[PerExtraDh("sealed_multi_1", 99, 1.1)],
        ),
        row(
            "sealed_split_100",
            "the relay: SentEnvelope::parse + split of a 100 B message to 100 devices (no \
             cryptography: checks and 100 envelope copies)",
            || sealed::split(100),
            None,
            None,
            &[],
        ),
    ]
}

/// The client store on SQLite against the in-memory backend as the floor; no target yet
/// (the ratio is SQLite's cost per transaction, not a Sotto choice).
fn store_rows() -> [Row; 3] {
    [
        row(
            "store_sqlite_session_write",
            "SqliteBackend::apply, one 1 KiB sessions record: one transaction, temp file, WAL, \
             Durability::Process (no sync)",
            store::sqlite_write,
            Some("store_memory_session_write"),
            None,
            &[],
        ),
        row(
            "store_sqlite_session_write_synced",
            "the same with Durability::PowerLoss (the default): one WAL sync per batch (thread \
             CPU time: the wait for the disk is in the wall time only)",
            store::sqlite_write_synced,
            Some("store_memory_session_write"),
            None,
            &[],
        ),
        row(
            "store_sqlite_session_read",
            "SqliteBackend::get, one 1 KiB sessions record (temp file, WAL)",
            store::sqlite_read,
            Some("store_memory_session_read"),
            None,
            &[],
        ),
    ]
}

/// Sotto's ML-KEM through `sotto_crypto::kem` against the libcrux floor and RustCrypto's
/// `ml-kem` as the peer.
fn kem_rows() -> [Row; 3] {
    const KEM: &[Target] = &[Target::FloorRatio(1.10)];
    [
        row(
            "mlkem768_keygen",
            "kem::DecapsulationKeyPair::from_seed (expand d || z, keep ek bytes)",
            p::kem_keygen,
            Some("mlkem768_keygen_libcrux"),
            Some("floor/mlkem768_keygen_rustcrypto"),
            KEM,
        ),
        row(
            "mlkem768_encaps",
            "kem::PublicKey::encapsulate (32 bytes drawn)",
            p::kem_encaps,
            Some("mlkem768_encaps_libcrux"),
            Some("floor/mlkem768_encaps_rustcrypto"),
            KEM,
        ),
        row(
            "mlkem768_decaps",
            "kem::DecapsulationKeyPair::decapsulate (implicit rejection)",
            p::kem_decaps,
            Some("mlkem768_decaps_libcrux"),
            Some("floor/mlkem768_decaps_rustcrypto"),
            KEM,
        ),
    ]
}

/// Every case to measure: the primitives, the rows' Sotto operations, then the peers.
pub fn cases() -> Vec<Case> {
    primitives()
        .into_iter()
        .chain(rows().into_iter().map(|r| r.sotto))
        .chain(peers())
        .collect()
}

/// Parses a floor formula into `(coefficient, primitive name)` terms, checking each name
/// against the primitives.
pub fn parse_formula(formula: &str) -> Result<Vec<(f64, &str)>, BenchError> {
    let known = primitives();
    formula
        .split(" + ")
        .map(|term| {
            let term = term.trim();
            let (k, name) = match term.split_once('*') {
                Some((k, name)) => (
                    k.trim()
                        .parse::<f64>()
                        .map_err(|_| BenchError::Formula(term.to_owned()))?,
                    name.trim(),
                ),
                None => (1.0, term),
            };
            if known.iter().any(|c| c.name == name) {
                Ok((k, name))
            } else {
                Err(BenchError::Formula(term.to_owned()))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::time_batch;

    #[test]
    fn ids_are_unique_and_references_resolve() {
        let cases = cases();
        let mut ids: Vec<String> = cases.iter().map(Case::id).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), before, "duplicate case ids");
        let names: Vec<&str> = rows().iter().map(|r| r.sotto.name).collect();
        for r in rows() {
            if let Some(formula) = r.floor {
                assert!(!parse_formula(formula).unwrap().is_empty());
            }
            if let Some(peer) = r.peer {
                assert!(ids.iter().any(|id| id == peer), "{peer} is no case");
            }
            for t in r.targets {
                if let Target::Within(other, _) = t {
                    assert!(names.contains(other), "{other} is no row");
                }
                if matches!(t, Target::FloorRatio(_) | Target::FloorThroughput(_)) {
                    assert!(
                        r.floor.is_some(),
                        "{} has a floor target and no floor",
                        r.sotto.name
                    );
                }
            }
        }
        assert!(ids.iter().any(|id| id == "floor/x25519_dh"));
    }

    #[test]
    fn formulas_parse_and_refuse_unknown_terms() {
        assert_eq!(
            parse_formula("4*hmac + hkdf44 + 2*x25519_dh").unwrap(),
            [(4.0, "hmac"), (1.0, "hkdf44"), (2.0, "x25519_dh")]
        );
        assert!(matches!(
            parse_formula("hmac + nope"),
            Err(BenchError::Formula(_))
        ));
        assert!(matches!(
            parse_formula("x*hmac"),
            Err(BenchError::Formula(_))
        ));
    }

    #[test]
    fn every_case_builds_and_runs() {
        for case in cases() {
            let mut routine = (case.build)().unwrap();
            time_batch(routine.as_mut(), 2).unwrap();
        }
    }
}
