//! Test vectors for session setup: X3DH and PQXDH, with and without one-time prekeys, every
//! private key, DH output and derived secret.

use serde::{Deserialize, Serialize};
use sotto_crypto::SecretBytes;
use sotto_crypto::x25519::SecretKey;
use sotto_handshake::hazmat::{initiate_with_trace, respond_with_trace};
use sotto_handshake::{
    DeviceIdentity, HandshakeConfig, InMemoryPrekeyStore, KemPrekey, KemPrekeyKind, Mode,
    PostQuantum, PrekeyPolicy, PrekeyStore, SignedPrekey,
};

use super::{LabelVector, VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The clock of every case: the signed prekey's timestamp.
pub const NOW: u64 = 1_764_000_000;

/// The responder's prekey policy of a case (the fields that shape the bundle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVector {
    /// Whether the device publishes ML-KEM prekeys.
    pub post_quantum: bool,
    /// One-time X25519 prekeys generated.
    pub one_time_prekeys: u32,
    /// One-time ML-KEM prekeys generated.
    pub kem_one_time_prekeys: u32,
}

impl PolicyVector {
    /// The policy these fields describe (other fields at their defaults).
    pub fn policy(&self) -> PrekeyPolicy {
        PrekeyPolicy {
            post_quantum: if self.post_quantum {
                PostQuantum::Offered
            } else {
                PostQuantum::Absent
            },
            one_time_prekeys: self.one_time_prekeys,
            kem_one_time_prekeys: self.kem_one_time_prekeys,
            ..PrekeyPolicy::default()
        }
    }
}

/// A device's identity keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityVector {
    /// Ed25519 seed.
    pub signing_seed: String,
    /// Ed25519 public key.
    pub signing_public: String,
    /// X25519 identity private key.
    pub identity_private: String,
    /// X25519 identity public key.
    pub identity_public: String,
    /// The 64-byte public encoding.
    pub encoded: String,
}

/// The signed prekey used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedPrekeyVector {
    /// Its id.
    pub id: u32,
    /// Its timestamp.
    pub timestamp: u64,
    /// The post-quantum flag byte.
    pub post_quantum: u8,
    /// Private key.
    pub private: String,
    /// Public key.
    pub public: String,
    /// The exact bytes signed.
    pub signed_message: String,
    /// The Ed25519 signature.
    pub signature: String,
}

/// The one-time prekey used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimePrekeyVector {
    /// Its id.
    pub id: u32,
    /// Private key.
    pub private: String,
    /// Public key.
    pub public: String,
}

/// The ML-KEM prekey used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KemPrekeyVector {
    /// Kind byte: 1 last resort, 2 one-time.
    pub kind: u8,
    /// Its id.
    pub id: u32,
    /// The 64-byte FIPS 203 seed d || z.
    pub seed: String,
    /// The 1184-byte encapsulation key.
    pub public: String,
    /// The exact bytes signed.
    pub signed_message: String,
    /// The Ed25519 signature.
    pub signature: String,
}

/// One handshake, from both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeCase {
    /// Short name.
    pub name: String,
    /// `x3dh` or `pqxdh`.
    pub mode: String,
    /// The responder's prekey policy.
    pub policy: PolicyVector,
    /// Every byte string the initiator's generator produced, in order.
    pub alice_random_draws: Vec<String>,
    /// Every byte string the responder's generator produced, in order.
    pub bob_random_draws: Vec<String>,
    /// The initiator's identity.
    pub alice: IdentityVector,
    /// The responder's identity.
    pub bob: IdentityVector,
    /// The responder's signed prekey.
    pub signed_prekey: SignedPrekeyVector,
    /// The one-time prekey in the bundle, if any.
    pub one_time_prekey: Option<OneTimePrekeyVector>,
    /// The ML-KEM prekey in the bundle, if any.
    pub kem_prekey: Option<KemPrekeyVector>,
    /// The bundle as the relay hands it out.
    pub bundle: String,
    /// The initiator's ephemeral private key.
    pub ephemeral_private: String,
    /// Its public key.
    pub ephemeral_public: String,
    /// DH1, DH2, DH3 [, DH4].
    pub dh_outputs: Vec<String>,
    /// The ML-KEM encapsulation message `m` (the initiator's draw).
    pub kem_encapsulation_message: Option<String>,
    /// The ML-KEM ciphertext.
    pub kem_ciphertext: Option<String>,
    /// The ML-KEM shared secret.
    pub kem_shared_secret: Option<String>,
    /// The HKDF input keying material.
    pub ikm: String,
    /// SK.
    pub session_secret: String,
    /// AD.
    pub associated_data: String,
    /// The first plaintext.
    pub first_plaintext: String,
    /// The first ratchet message (inside the initial message).
    pub ratchet_message: String,
    /// The initial message.
    pub initial_message: String,
    /// The responder's reply plaintext.
    pub reply_plaintext: String,
    /// The reply ratchet message.
    pub reply_message: String,
}

/// The handshake vector file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeVectors {
    /// What the file is.
    pub description: String,
    /// The labels.
    pub labels: Vec<LabelVector>,
    /// The clock.
    pub now: u64,
    /// The cases.
    pub cases: Vec<HandshakeCase>,
}

/// (name, seed, policy) of each case.
///
/// The last case is protocol.md 7.7's decision: a device that publishes no ML-KEM prekeys
/// ignores a one-time ML-KEM count (here 3) and draws, holds and publishes what `x3dh` would.
pub const CASES: [(&str, u64, bool, u32, u32); 5] = [
    ("pqxdh", 0x5051_0001, true, 1, 1),
    (
        "pqxdh-last-resort-no-one-time-prekey",
        0x5051_0002,
        true,
        0,
        0,
    ),
    ("x3dh", 0x5833_0001, false, 1, 0),
    ("x3dh-no-one-time-prekey", 0x5833_0002, false, 0, 0),
    ("x3dh-kem-one-time-count-ignored", 0x5833_0003, false, 1, 3),
];

fn identity_vector(identity: &DeviceIdentity) -> IdentityVector {
    IdentityVector {
        signing_seed: h(identity.signing_key().expose_seed()),
        signing_public: h(&identity.signing_key().verifying_key().to_bytes()),
        identity_private: h(identity.agreement_key().secret_key().expose()),
        identity_public: h(identity.agreement_key().public_key().as_bytes()),
        encoded: h(&identity.public().to_bytes()),
    }
}

fn signed_prekey_vector(
    store: &InMemoryPrekeyStore,
    spk: &SignedPrekey,
) -> Option<SignedPrekeyVector> {
    let pair = store.signed_prekey(spk.id()).ok()??;
    let device = store.identity().ok()?;
    let identity = device.agreement_key().public_key();
    Some(SignedPrekeyVector {
        id: spk.id(),
        timestamp: spk.timestamp(),
        post_quantum: u8::from(spk.post_quantum() == PostQuantum::Offered),
        private: h(pair.key_pair.secret_key().expose()),
        public: h(spk.public_key().as_bytes()),
        signed_message: h(&SignedPrekey::signed_bytes(
            identity,
            spk.id(),
            spk.timestamp(),
            spk.post_quantum(),
            spk.public_key(),
        )),
        signature: h(&spk.signature().to_bytes()),
    })
}

fn kem_prekey_vector(store: &InMemoryPrekeyStore, k: &KemPrekey) -> Option<KemPrekeyVector> {
    let pair = store.kem_prekey(k.kind(), k.id())?;
    let device = store.identity().ok()?;
    let identity = device.agreement_key().public_key();
    Some(KemPrekeyVector {
        kind: match k.kind() {
            KemPrekeyKind::LastResort => 1,
            KemPrekeyKind::OneTime => 2,
        },
        id: k.id(),
        seed: h(pair.key_pair.expose_seed()),
        public: h(k.public_key().as_bytes()),
        signed_message: h(&KemPrekey::signed_bytes(
            identity,
            k.kind(),
            k.id(),
            k.public_key(),
        )),
        signature: h(&k.signature().to_bytes()),
    })
}

/// Runs one case.
pub fn generate_case(
    name: &str,
    seed: u64,
    policy: PolicyVector,
) -> Result<HandshakeCase, VectorError> {
    let err = |what: String| script_error(0, format!("{name}: {what}"));
    let mut alice_rng = RecordingRng::new(seed);
    let mut bob_rng = RecordingRng::new(seed ^ 0xb0b);
    let alice = DeviceIdentity::generate(&mut alice_rng);
    let mut store = InMemoryPrekeyStore::new(
        DeviceIdentity::generate(&mut bob_rng),
        policy.policy(),
        NOW,
        &mut bob_rng,
    );
    let bundle = store
        .published()
        .ok_or_else(|| err("no signed prekey".into()))?
        .take_bundle();
    let signed_prekey = signed_prekey_vector(&store, bundle.signed_prekey())
        .ok_or_else(|| err("signed prekey missing".into()))?;
    let one_time_prekey = match bundle.one_time_prekey() {
        Some(o) => Some(OneTimePrekeyVector {
            id: o.id(),
            private: h(store
                .one_time_prekey(o.id())
                .map_err(|e| err(e.to_string()))?
                .ok_or_else(|| err("opk".into()))?
                .secret_key()
                .expose()),
            public: h(o.public_key().as_bytes()),
        }),
        None => None,
    };
    let kem_prekey = match bundle.kem_prekey() {
        Some(k) => Some(kem_prekey_vector(&store, k).ok_or_else(|| err("kem prekey".into()))?),
        None => None,
    };
    let bundle_bytes = bundle.to_bytes();
    let verified = bundle.verify().map_err(|e| err(e.to_string()))?;
    let config = HandshakeConfig::default();
    let first = format!("{name}: first message").into_bytes();
    let bob = store.identity().map_err(|e| err(e.to_string()))?;
    let (mut sent, trace) = initiate_with_trace(
        &alice,
        &verified,
        &bob.public(),
        &first,
        &config,
        &mut alice_rng,
    )
    .map_err(|e| err(e.to_string()))?;
    let (mut got, bob_trace) =
        respond_with_trace(&mut store, &sent.message, &alice.public(), &config)
            .map_err(|e| err(e.to_string()))?;
    if got.plaintext != first || bob_trace.session_secret != trace.session_secret {
        return Err(err("the two sides disagree".into()));
    }
    let reply_plaintext = format!("{name}: reply").into_bytes();
    let reply = got
        .session
        .encrypt(&reply_plaintext, &mut bob_rng)
        .map_err(|e| err(e.to_string()))?;
    if sent
        .session
        .decrypt(&reply)
        .map_err(|e| err(e.to_string()))?
        != reply_plaintext
    {
        return Err(err("reply decrypted wrongly".into()));
    }
    // The initiator's draws: identity (32 + 32), ephemeral (32), [ML-KEM m (32)], ratchet (32).
    let draws = alice_rng.draws();
    let ephemeral_private = draws.get(2).cloned().unwrap_or_default();
    let ephemeral_public = SecretKey::from_bytes(
        SecretBytes::from_slice(&ephemeral_private).ok_or_else(|| err("ephemeral draw".into()))?,
    )
    .public_key();
    if Some(ephemeral_public) != trace.ephemeral_key {
        return Err(err("ephemeral key is not the third draw".into()));
    }
    let pq = sent.mode == Mode::Pqxdh;
    let kem = sent.message.kem();
    Ok(HandshakeCase {
        name: name.to_string(),
        mode: if pq { "pqxdh" } else { "x3dh" }.to_string(),
        policy,
        alice_random_draws: draws.iter().map(|d| h(d)).collect(),
        bob_random_draws: bob_rng.draws().iter().map(|d| h(d)).collect(),
        alice: identity_vector(&alice),
        bob: identity_vector(&bob),
        signed_prekey,
        one_time_prekey,
        kem_prekey,
        bundle: h(&bundle_bytes),
        ephemeral_private: h(&ephemeral_private),
        ephemeral_public: h(ephemeral_public.as_bytes()),
        dh_outputs: trace.dh_outputs.iter().map(|d| h(d)).collect(),
        kem_encapsulation_message: pq.then(|| draws.get(3).map(|d| h(d)).unwrap_or_default()),
        kem_ciphertext: kem.map(|k| h(k.ciphertext().as_bytes())),
        kem_shared_secret: trace.kem_shared_secret.map(|s| h(&s)),
        ikm: h(&trace.ikm),
        session_secret: h(&trace.session_secret),
        associated_data: h(&trace.associated_data),
        first_plaintext: h(&first),
        ratchet_message: h(sent.message.message().as_bytes()),
        initial_message: h(&sent.message.to_bytes()),
        reply_plaintext: h(&reply_plaintext),
        reply_message: h(reply.as_bytes()),
    })
}

/// All cases.
pub fn generate() -> Result<HandshakeVectors, VectorError> {
    let cases = CASES
        .iter()
        .map(
            |(name, seed, post_quantum, one_time_prekeys, kem_one_time_prekeys)| {
                generate_case(
                    name,
                    *seed,
                    PolicyVector {
                        post_quantum: *post_quantum,
                        one_time_prekeys: *one_time_prekeys,
                        kem_one_time_prekeys: *kem_one_time_prekeys,
                    },
                )
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HandshakeVectors {
        description: "Sotto/1 session setup: X3DH and PQXDH (ML-KEM-768) with every intermediate value. See docs/protocol.md, chapter 'Session setup'.".to_string(),
        labels: super::label_vectors(),
        now: NOW,
        cases,
    })
}
