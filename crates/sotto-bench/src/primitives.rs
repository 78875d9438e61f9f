//! The primitive floor: each operation a protocol step cannot avoid, called through
//! `sotto-crypto` exactly as the ratchet and the handshake call it, plus the ML-KEM-768
//! implementations called directly for the comparison of issue 6 point 16: RustCrypto
//! `ml-kem`, `libcrux-ml-kem` with its run-time choice of AVX2 or portable code, and its
//! portable code alone. Each function builds one routine of [`crate::table::primitives`].
//!
//! The session-setup primitives take the sizes the handshake uses: Ed25519 verifies over the
//! 99-byte signed-prekey message and the 1243-byte ML-KEM-prekey message
//! ([`SPK_SIGNED_LEN`], [`KEM_SIGNED_LEN`]), and [`hkdf_sk`] over the smallest input keying
//! material of a handshake (F and three DH outputs, [`SK_IKM_LEN`]; a one-time prekey or PQXDH
//! adds 32 bytes each, which costs at most one SHA-256 block more), so the floor stays a lower
//! bound. The AEAD routines authenticate [`AD_LEN`] bytes of associated data.

use std::hint::black_box;

use libcrux_ml_kem::mlkem768 as lc;
use ml_kem::kem::{Decapsulate, Encapsulate, KeyExport};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sotto_crypto::aead::{self, TAG_LEN};
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::kdf::{hkdf_sha256, hmac_sha256};
use sotto_crypto::kem::{self, DecapsulationKeyPair};
use sotto_crypto::x25519::KeyPair;
use sotto_crypto::{SecretBytes, labels};

use crate::BenchError;
use crate::conversation::SEED;
use crate::timing::{Routine, routine};

/// What a primitive builder returns.
type Built = Result<Box<dyn Routine>, BenchError>;

/// Associated data length used by the AEAD floor: a 2-byte session AD plus a 41-byte header
/// (version, ratchet public key, previous-chain length, message number).
pub const AD_LEN: usize = 2 + 41;

/// Length of the message a signed prekey's signature covers (protocol section 7.1).
pub const SPK_SIGNED_LEN: usize = sotto_handshake::SignedPrekey::SIGNED_LEN;

/// Length of the message an ML-KEM prekey's signature covers: label, format version, X25519
/// identity key, kind, id and the 1184-byte encapsulation key (protocol section 7.1).
pub const KEM_SIGNED_LEN: usize =
    labels::KEM_PREKEY_SIGNATURE.len() + 1 + 32 + 1 + 4 + kem::ENCAPSULATION_KEY_LEN;

/// Input keying material of [`hkdf_sk`]: F (32 bytes) and DH1..DH3.
pub const SK_IKM_LEN: usize = 32 * 4;

fn rng() -> StdRng {
    StdRng::seed_from_u64(SEED)
}

/// X25519 key generation from a seeded RNG (the generator type Sotto's rows use).
pub fn x25519_keygen() -> Built {
    routine(rng(), |rng| {
        black_box(*KeyPair::generate(rng).public_key());
        Ok(())
    })
}

/// One X25519 Diffie-Hellman with the contributory check.
pub fn x25519_dh() -> Built {
    let mut rng = rng();
    let ours = KeyPair::generate(&mut rng);
    let theirs = *KeyPair::generate(&mut rng).public_key();
    routine((ours, theirs), |(ours, theirs)| {
        let shared = black_box(&*ours).diffie_hellman(black_box(theirs))?;
        black_box(shared.expose());
        Ok(())
    })
}

/// HMAC-SHA256 under a 32-byte key over one byte, key schedule included: half of KDF_CK.
pub fn hmac() -> Built {
    routine(SecretBytes::new([0x5a; 32]), |key| {
        black_box(hmac_sha256(black_box(key.expose()), black_box(&[0x01])).expose());
        Ok(())
    })
}

/// HKDF-SHA256 from a message key to 44 bytes of AEAD key and nonce.
pub fn hkdf44() -> Built {
    routine(SecretBytes::new([0x11; 32]), |mk| {
        black_box(hkdf_sha256::<44>(None, black_box(mk.expose()), labels::MESSAGE_KEYS).expose());
        Ok(())
    })
}

/// KDF_RK: HKDF-SHA256 salted with the root key over a DH output, to 64 bytes.
pub fn hkdf64() -> Built {
    routine(
        (SecretBytes::new([0x22; 32]), SecretBytes::new([0x33; 32])),
        |(rk, dh)| {
            let okm = hkdf_sha256::<64>(
                Some(black_box(rk.expose())),
                black_box(dh.expose()),
                labels::RATCHET_ROOT,
            );
            black_box(okm.expose());
            Ok(())
        },
    )
}

/// Session setup's SK: HKDF-SHA256 with a zero salt over [`SK_IKM_LEN`] bytes, to 32 bytes.
pub fn hkdf_sk() -> Built {
    routine(vec![0x44u8; SK_IKM_LEN], |ikm| {
        let sk = hkdf_sha256::<32>(
            Some(black_box(&[0u8; 32])),
            black_box(ikm),
            labels::HANDSHAKE_X3DH,
        );
        black_box(sk.expose());
        Ok(())
    })
}

/// SHA-512 of 96 bytes (one compression): one iteration of the safety-number hash, and of
/// Signal's published construction (5200 iterations of SHA-512 per side).
pub fn sha512_96() -> Built {
    routine([0x33u8; 96], |input| {
        black_box(sotto_crypto::hash::sha512(black_box(input)));
        Ok(())
    })
}

/// HKDF-SHA256 to `N` bytes with a `salt_len`-byte salt (longer than SHA-256's 64-byte
/// block, so HMAC hashes it first, as the sealed envelope's salts are) over a 32-byte DH
/// output, under `info`.
pub fn hkdf_salted<const N: usize>(salt_len: usize, info: &'static [u8]) -> Built {
    routine(
        (vec![0x21u8; salt_len], SecretBytes::new([0x31; 32]), info),
        |(salt, ikm, info)| {
            let okm = hkdf_sha256::<N>(Some(black_box(salt)), black_box(ikm.expose()), info);
            black_box(okm.expose());
            Ok(())
        },
    )
}

/// SHA-512 of `len` bytes.
pub fn sha512(len: usize) -> Built {
    routine(vec![0x33u8; len], |input| {
        black_box(sotto_crypto::hash::sha512(black_box(input)));
        Ok(())
    })
}

/// Decoding a 32-byte Ed25519 public key (point decompression).
pub fn ed25519_key_decode() -> Built {
    let bytes = SigningKey::generate(&mut rng()).verifying_key().to_bytes();
    routine(bytes, |bytes| {
        black_box(sotto_crypto::ed25519::VerifyingKey::from_bytes(black_box(
            bytes,
        ))?);
        Ok(())
    })
}

/// Strict Ed25519 verification of a valid signature over a `len`-byte message.
pub fn ed25519_verify(len: usize) -> Built {
    let signing = SigningKey::generate(&mut rng());
    let message = vec![0x77; len];
    let signature = signing.sign(&message);
    routine(
        (signing.verifying_key(), message, signature),
        |(key, message, signature)| {
            black_box(&*key).verify(black_box(message), black_box(signature))?;
            Ok(())
        },
    )
}

/// Decoding a 64-byte device identity (an Ed25519 point and a canonical X25519 key), as a
/// device list or a bundle decodes each identity.
pub fn device_identity_decode() -> Built {
    let identity = sotto_handshake::DeviceIdentity::generate(&mut rng())
        .public()
        .to_bytes();
    routine(identity, |bytes| {
        black_box(sotto_handshake::DeviceIdentityKey::from_bytes(black_box(
            bytes,
        ))?);
        Ok(())
    })
}

/// Decoding and validating an ML-KEM-768 encapsulation key from its 1184 bytes, through
/// `sotto_crypto::kem`.
pub fn kem_key_decode() -> Built {
    let pair = DecapsulationKeyPair::generate(&mut rng());
    routine(pair.public_key().as_bytes().to_vec(), |bytes| {
        black_box(kem::PublicKey::from_bytes(black_box(bytes))?);
        Ok(())
    })
}

/// ML-KEM-768 key generation from a fixed seed through `sotto_crypto::kem` (expands the key
/// pair and keeps the encapsulation key's bytes).
pub fn kem_keygen() -> Built {
    routine(SecretBytes::new(MLKEM_SEED), |seed| {
        let pair = DecapsulationKeyPair::from_seed(black_box(seed.clone()));
        black_box(pair.public_key().as_bytes());
        Ok(())
    })
}

/// ML-KEM-768 encapsulation through `sotto_crypto::kem` (32 bytes drawn).
pub fn kem_encaps() -> Built {
    let mut rng = rng();
    let key = DecapsulationKeyPair::generate(&mut rng)
        .public_key()
        .clone();
    routine((key, rng), |(key, rng)| {
        let (ct, ss) = black_box(&*key).encapsulate(rng);
        black_box((ct.as_bytes(), ss.expose()));
        Ok(())
    })
}

/// ML-KEM-768 decapsulation of a valid ciphertext through `sotto_crypto::kem`.
pub fn kem_decaps() -> Built {
    let mut rng = rng();
    let pair = DecapsulationKeyPair::generate(&mut rng);
    let (ct, _) = pair.public_key().encapsulate(&mut rng);
    routine((pair, ct), |(pair, ct)| {
        black_box(black_box(&*pair).decapsulate(black_box(ct)).expose());
        Ok(())
    })
}

/// An ML-KEM-768 implementation called directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MlKemLib {
    /// RustCrypto `ml-kem` 0.3.
    RustCrypto,
    /// `libcrux-ml-kem`, AVX2 or portable code chosen at run time.
    Libcrux,
    /// `libcrux-ml-kem`'s portable code.
    LibcruxPortable,
}

type RcDk = ml_kem::DecapsulationKey<ml_kem::MlKem768>;

const MLKEM_SEED: [u8; 64] = [0x3c; 64];

fn rc_keygen(seed: [u8; 64]) -> RcDk {
    RcDk::from_seed(ml_kem::Seed::from(seed))
}

fn lc_keygen(portable: bool, seed: [u8; 64]) -> lc::MlKem768KeyPair {
    if portable {
        lc::portable::generate_key_pair(seed)
    } else {
        lc::generate_key_pair(seed)
    }
}

fn lc_encaps(
    portable: bool,
    key: &lc::MlKem768PublicKey,
    m: [u8; 32],
) -> (lc::MlKem768Ciphertext, [u8; 32]) {
    if portable {
        lc::portable::encapsulate(key, m)
    } else {
        lc::encapsulate(key, m)
    }
}

/// Key generation from a fixed seed, with the encapsulation key's bytes.
pub fn mlkem_keygen(lib: MlKemLib) -> Built {
    match lib {
        MlKemLib::RustCrypto => routine((), |()| {
            black_box(
                rc_keygen(black_box(MLKEM_SEED))
                    .encapsulation_key()
                    .to_bytes(),
            );
            Ok(())
        }),
        lib => routine(lib == MlKemLib::LibcruxPortable, |&mut portable| {
            black_box(lc_keygen(portable, black_box(MLKEM_SEED)));
            Ok(())
        }),
    }
}

/// Encapsulation to a decoded key, the 32-byte message drawn from a seeded generator.
pub fn mlkem_encaps(lib: MlKemLib) -> Built {
    match lib {
        MlKemLib::RustCrypto => {
            let key = rc_keygen(MLKEM_SEED).encapsulation_key().clone();
            routine((key, rng()), |(key, rng)| {
                black_box(black_box(&*key).encapsulate_with_rng(rng));
                Ok(())
            })
        }
        lib => {
            let portable = lib == MlKemLib::LibcruxPortable;
            let key = Box::new(lc_keygen(portable, MLKEM_SEED).into_parts().1);
            routine((portable, key, rng()), |(portable, key, rng)| {
                let mut m = [0u8; 32];
                rng.fill_bytes(&mut m);
                black_box(lc_encaps(*portable, black_box(key), m));
                Ok(())
            })
        }
    }
}

/// Decapsulation of a valid ciphertext.
pub fn mlkem_decaps(lib: MlKemLib) -> Built {
    match lib {
        MlKemLib::RustCrypto => {
            let dk = rc_keygen(MLKEM_SEED);
            let (ct, _) = dk.encapsulation_key().encapsulate_with_rng(&mut rng());
            routine((dk, ct), |(dk, ct)| {
                black_box(black_box(&*dk).decapsulate(black_box(ct)));
                Ok(())
            })
        }
        lib => {
            let portable = lib == MlKemLib::LibcruxPortable;
            let pair = lc_keygen(portable, MLKEM_SEED);
            let (ct, _) = lc_encaps(portable, pair.public_key(), [0x17; 32]);
            routine((portable, Box::new((pair, ct))), |(portable, keys)| {
                let (pair, ct) = &**keys;
                let ss = if *portable {
                    lc::portable::decapsulate(black_box(pair.private_key()), black_box(ct))
                } else {
                    lc::decapsulate(black_box(pair.private_key()), black_box(ct))
                };
                black_box(ss);
                Ok(())
            })
        }
    }
}

fn aead_inputs() -> (SecretBytes<32>, [u8; 12]) {
    (SecretBytes::new([0x44; 32]), [0x55; 12])
}

/// ChaCha20-Poly1305 encryption in place of `len` bytes (the buffer is re-encrypted each run;
/// the cost does not depend on its contents).
pub fn seal(len: usize) -> Built {
    seal_ad(len, AD_LEN)
}

/// [`seal`] with `ad_len` bytes of associated data.
pub fn seal_ad(len: usize, ad_len: usize) -> Built {
    let (key, nonce) = aead_inputs();
    routine(
        (key, nonce, vec![0x66u8; ad_len], vec![0xa5u8; len]),
        |(key, nonce, ad, buffer)| {
            black_box(aead::seal_in_place(key, nonce, ad, buffer));
            Ok(())
        },
    )
}

/// ChaCha20-Poly1305 decryption in place of `len` bytes. [`Routine::prepare`] lays out one
/// copy of the ciphertext per run (untimed); each run opens the next copy.
#[derive(Debug)]
pub struct Open {
    key: SecretBytes<32>,
    nonce: [u8; 12],
    ad: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
    batch: Vec<u8>,
    next: usize,
}

impl Open {
    /// Seals one `len`-byte plaintext whose copies the runs open.
    pub fn new(len: usize) -> Self {
        Self::with_ad(len, AD_LEN)
    }

    /// [`Open::new`] with `ad_len` bytes of associated data.
    pub fn with_ad(len: usize, ad_len: usize) -> Self {
        let (key, nonce) = aead_inputs();
        let ad = vec![0x66u8; ad_len];
        let mut ciphertext = vec![0xa5; len];
        let tag = aead::seal_in_place(&key, &nonce, &ad, &mut ciphertext);
        Self {
            key,
            nonce,
            ad,
            ciphertext,
            tag,
            batch: Vec::new(),
            next: 0,
        }
    }
}

impl Routine for Open {
    fn prepare(&mut self, iters: u64) -> Result<(), BenchError> {
        let iters = usize::try_from(iters).map_err(|_| BenchError::NotPrepared)?;
        self.batch.clear();
        for _ in 0..iters {
            self.batch.extend_from_slice(&self.ciphertext);
        }
        self.next = 0;
        Ok(())
    }

    fn run(&mut self) -> Result<(), BenchError> {
        let len = self.ciphertext.len();
        let start = self.next;
        self.next += len;
        let buffer = self
            .batch
            .get_mut(start..start + len)
            .ok_or(BenchError::NotPrepared)?;
        aead::open_in_place(&self.key, &self.nonce, &self.ad, buffer, &self.tag)?;
        black_box(buffer);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timing::time_batch;

    #[test]
    fn a_run_past_the_prepared_batch_is_an_error() {
        let mut open = Open::new(100);
        time_batch(&mut open, 3).unwrap();
        assert!(matches!(open.run(), Err(BenchError::NotPrepared)));
        time_batch(&mut open, 2).unwrap();
    }

    /// The compared implementations compute the same function: the same encapsulation key
    /// from a seed, and the same shared secret from a message `m`.
    #[test]
    fn rustcrypto_and_libcrux_agree() {
        let rc = rc_keygen(MLKEM_SEED);
        for portable in [false, true] {
            let pair = lc_keygen(portable, MLKEM_SEED);
            assert_eq!(rc.encapsulation_key().to_bytes().as_slice(), pair.pk());
            let (ct, ss) = lc_encaps(portable, pair.public_key(), [0x21; 32]);
            let rc_ct = ml_kem::Ciphertext::<ml_kem::MlKem768>::try_from(ct.as_ref()).unwrap();
            assert_eq!(rc.decapsulate(&rc_ct).as_slice(), ss);
        }
    }

    #[test]
    fn setup_floor_sizes_match_the_handshake() {
        use sotto_handshake::{KemPrekey, KemPrekeyKind};
        let mut rng = StdRng::seed_from_u64(2);
        let pair = DecapsulationKeyPair::generate(&mut rng);
        let identity = KeyPair::generate(&mut rng);
        let signed = KemPrekey::signed_bytes(
            identity.public_key(),
            KemPrekeyKind::OneTime,
            7,
            pair.public_key(),
        );
        assert_eq!(signed.len(), KEM_SIGNED_LEN);
        assert_eq!(KEM_SIGNED_LEN, 1243);
        assert_eq!(SPK_SIGNED_LEN, 99);
    }
}
