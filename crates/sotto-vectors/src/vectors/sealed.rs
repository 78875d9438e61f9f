//! `docs/vectors/sealed.json`: the sealed envelope of protocol.md 9.3 and the
//! multi-recipient messages of 9.4, with every input and every intermediate value, and the
//! inputs `open` and `SentEnvelope::parse` refuse (SEAL-ENV-01..10, SEAL-MR-01..05).
//!
//! The sender, its certificate, the trust root and the server certificate are those of
//! `certificates.json`. Every envelope is sealed by `sotto_sealed` with a recording generator
//! and then recomputed here from the documented formulas with `sotto_crypto` primitives; the
//! two must agree byte for byte. The forged negatives are built here from the same formulas.

use serde::{Deserialize, Serialize};
use sotto_crypto::ed25519::SigningKey;
use sotto_crypto::labels::{SEALED_ENVELOPE_EPHEMERAL, SEALED_ENVELOPE_STATIC};
use sotto_crypto::x25519::{KeyPair, PublicKey, SecretKey};
use sotto_crypto::{SecretBytes, aead, hash, kdf};
use sotto_devices::AccountId;
use sotto_handshake::DeviceIdentity;
use sotto_sealed::cache::StaticCache;
use sotto_sealed::certificate::{CertificateStore, SenderCertificate, TrustRoot};
use sotto_sealed::envelope::{self, OpenReason, Opened};
use sotto_sealed::multi::{Recipient, SentEnvelope, seal_multi};
use sotto_sealed::padding;

use super::certificates::{self, EXPIRES, VERIFY_AT};
use super::ratchet_negative::{error_name, refusal};
use super::{VectorError, h, script_error};
use crate::rng::RecordingRng;

/// The ephemeral private key of every forged envelope: `0x45` x 32.
pub const FORGED_E: [u8; 32] = [0x45; 32];
/// The content key a forged multi-recipient content is encrypted under: `0x4b` x 32.
pub const FORGED_K: [u8; 32] = [0x4b; 32];

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedVectors {
    /// Free text.
    pub description: String,
    /// `SEALED_ENVELOPE_EPHEMERAL`, the info of `okm1`, hex.
    pub info_ephemeral: String,
    /// `SEALED_ENVELOPE_STATIC`, the info of `okm2`, hex.
    pub info_static: String,
    /// The trust root's public key (`certificates.json` `root`).
    pub root: String,
    /// The server certificate the store holds (`certificates.json` `server.certificate`).
    pub server_certificate: String,
    /// The sender (`certificates.json` `sender`).
    pub sender: SenderVector,
    /// Recipient devices; cases name them by index.
    pub recipients: Vec<PartyVector>,
    /// Single-recipient envelopes (9.3).
    pub single: Vec<SingleCase>,
    /// One multi-recipient message (9.4).
    pub multi: MultiCase,
    /// Inputs that are refused.
    pub negative: Vec<SealedNegative>,
}

/// A device: where it is delivered and its device identity's private keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyVector {
    /// The account id (16 bytes).
    pub account_id: String,
    /// The device id.
    pub device_id: u32,
    /// The device identity's Ed25519 seed (input).
    pub signing_seed: String,
    /// The device identity's X25519 private key (input).
    pub identity_private: String,
    /// The 64-byte device identity `R_ed || R_x` (derived).
    pub identity: String,
}

/// The sender, with its certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderVector {
    /// The device and its keys (`certificates.json` `sender`).
    pub party: PartyVector,
    /// The 162-byte sender certificate (`certificates.json` `sender.certificate`).
    pub certificate: String,
    /// `certificate[0..22] || certificate[86..162]`, 98 bytes (derived).
    pub compact_certificate: String,
    /// The certificate's expiry.
    pub expires: u64,
}

/// What a recipient opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenedVector {
    /// The sender's account id.
    pub account_id: String,
    /// The sender's device id.
    pub device_id: u32,
    /// The sender's device identity.
    pub identity: String,
    /// The content type.
    pub content_type: u8,
    /// The message.
    pub message: String,
}

/// A single-recipient envelope with every intermediate value (all derived, but for the
/// fields marked input).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SingleCase {
    /// Name.
    pub name: String,
    /// Index into `recipients` (input).
    pub recipient: usize,
    /// The content type byte (input).
    pub content_type: u8,
    /// The message (input).
    pub message: String,
    /// The time the envelope is opened at (input).
    pub now: u64,
    /// `E`, the generator's 32-byte draw (input).
    pub e_private: String,
    /// `E_pub = X25519(E, 9)`.
    pub e_pub: String,
    /// `DH(E, R_x)`.
    pub e1: String,
    /// `HKDF(E_pub || R, e1, SEALED_ENVELOPE_EPHEMERAL, 76)`.
    pub okm1: String,
    /// `okm1[0..32]`.
    pub chain: String,
    /// `okm1[32..64]`.
    pub key1: String,
    /// `okm1[64..76]`.
    pub nonce1: String,
    /// `0x1f || 0x01 || E_pub`.
    pub header1: String,
    /// `AEAD(key1, nonce1, header1, S)`, 80 bytes.
    pub layer1_ct: String,
    /// `DH(S_x_priv, R_x)`.
    pub s: String,
    /// `HKDF(chain || layer1_ct, s, SEALED_ENVELOPE_STATIC, 44)`.
    pub okm2: String,
    /// `okm2[0..32]`.
    pub key2: String,
    /// `okm2[32..44]`.
    pub nonce2: String,
    /// `compact(cert)`.
    pub compact_certificate: String,
    /// `pad(message)` (9.1).
    pub padded_message: String,
    /// `u8(content_type) || compact(cert) || pad(message)`.
    pub inner: String,
    /// `header1 || layer1_ct`, 114 bytes.
    pub header2: String,
    /// `AEAD(key2, nonce2, header2, inner)`.
    pub layer2_ct: String,
    /// `header2 || layer2_ct`.
    pub envelope: String,
    /// The envelope's length.
    pub envelope_len: usize,
    /// `envelope_len - len(padded_message)`: 229.
    pub overhead: usize,
    /// What `open` returns at `now`.
    pub opened: OpenedVector,
}

/// One recipient's part of the multi-recipient message, in the sent form's (sorted) order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiEntry {
    /// Index into `recipients`.
    pub recipient: usize,
    /// `account_id || u32be(device_id)`, the sort key.
    pub address: String,
    /// `DH(E, R_i_x)`.
    pub e1: String,
    /// `HKDF(E_pub || R_i, e1_i, SEALED_ENVELOPE_EPHEMERAL, 76)`.
    pub okm1: String,
    /// `okm1_i[0..32]`.
    pub chain: String,
    /// `okm1_i[32..64]`.
    pub key1: String,
    /// `okm1_i[64..76]`.
    pub nonce1: String,
    /// `AEAD(key1_i, nonce1_i, header1, S)`.
    pub layer1_ct: String,
    /// `DH(S_x_priv, R_i_x)`.
    pub s: String,
    /// `HKDF(chain_i || layer1_i, s_i, SEALED_ENVELOPE_STATIC, 44)`.
    pub okm2: String,
    /// `okm2_i[0..32]`.
    pub key2: String,
    /// `okm2_i[32..44]`.
    pub nonce2: String,
    /// `header1 || layer1_i || SHA-512(content_ct)`, 178 bytes.
    pub wrap_ad: String,
    /// `AEAD(key2_i, nonce2_i, wrap_ad, K)`, 48 bytes.
    pub wrap: String,
    /// `address || layer1_i || wrap_i`, 148 bytes.
    pub entry: String,
    /// `header1 || layer1_i || wrap_i || content_ct`, as the relay's split builds it.
    pub received: String,
    /// What this recipient opens at `now`.
    pub opened: OpenedVector,
}

/// The multi-recipient message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiCase {
    /// Indices into `recipients`, in the order handed to `seal_multi` (input; not sorted).
    pub recipients: Vec<usize>,
    /// The content type (input).
    pub content_type: u8,
    /// The message (input).
    pub message: String,
    /// The time each envelope is opened at (input).
    pub now: u64,
    /// `E`, the generator's first draw (input).
    pub e_private: String,
    /// `E_pub`.
    pub e_pub: String,
    /// `K`, the content key, the generator's second draw (input).
    pub content_key: String,
    /// `0x1f || 0x02 || E_pub`.
    pub header1: String,
    /// `compact(cert)`.
    pub compact_certificate: String,
    /// `pad(message)`.
    pub padded_message: String,
    /// `u8(content_type) || compact(cert) || pad(message)`.
    pub inner: String,
    /// `AEAD(K, 0^12, header1, inner)`.
    pub content_ct: String,
    /// `SHA-512(content_ct)`.
    pub content_ct_sha512: String,
    /// The entries, sorted by address.
    pub entries: Vec<MultiEntry>,
    /// `0x1f || 0x03 || E_pub || u16be(n) || entry_1 .. entry_n || content_ct`.
    pub sent: String,
    /// Its length, `36 + 148 n + 115 + L`.
    pub sent_len: usize,
}

/// An input that is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// How the input was made.
    pub comment: String,
    /// `open` (`envelope::open` by `recipients[recipient]` at `now` against a store holding
    /// `server_certificate` under `root`, the key ids of `revoked` revoked) or `split`
    /// (`SentEnvelope::parse`).
    pub operation: String,
    /// Index into `recipients` (`open`).
    pub recipient: usize,
    /// The opening time (`open`).
    pub now: u64,
    /// Revoked key ids (`open`).
    pub revoked: Vec<u32>,
    /// The bytes.
    pub input: String,
    /// `OpenReason::Variant` (with the SEAL-CERT or SEAL-PAD reason inside for 09 and 10) or
    /// `SplitError::Variant`.
    pub expected_error: String,
}

/// `OpenReason::Variant`, or `OpenReason::Certificate(CertificateError::Variant)`,
/// `OpenReason::Padding(PaddingError::Variant)`.
#[must_use]
pub fn reason_name(reason: &OpenReason) -> String {
    match reason {
        OpenReason::Certificate(e) => {
            format!(
                "OpenReason::Certificate({})",
                error_name("CertificateError", e)
            )
        }
        OpenReason::Padding(e) => format!("OpenReason::Padding({})", error_name("PaddingError", e)),
        other => error_name("OpenReason", other),
    }
}

fn unhex<const N: usize>(s: &str) -> Result<[u8; N], String> {
    hex::decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("not {N} bytes of hex: {s}"))
}

/// The device identity of a party, from its two private keys.
pub fn identity_of(p: &PartyVector) -> Result<DeviceIdentity, String> {
    Ok(DeviceIdentity::from_keys(
        SigningKey::from_seed(SecretBytes::new(unhex(&p.signing_seed)?)),
        KeyPair::from_secret(SecretKey::from_bytes(SecretBytes::new(unhex(
            &p.identity_private,
        )?))),
    ))
}

/// The recipients' store: the root and the server certificate, `revoked` revoked.
pub fn store_of(v: &SealedVectors, revoked: &[u32]) -> Result<CertificateStore, String> {
    let root = TrustRoot::from_bytes(&unhex(&v.root)?).map_err(|e| e.to_string())?;
    let mut store = CertificateStore::new(root);
    let server = hex::decode(&v.server_certificate).map_err(|e| e.to_string())?;
    store.add(&server).map_err(|e| format!("store: {e}"))?;
    for &id in revoked {
        store.revoke(id);
    }
    Ok(store)
}

/// Runs one negative case: the refusal's name, or what happened instead.
pub fn run_negative(v: &SealedVectors, case: &SealedNegative) -> Result<String, String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    match case.operation.as_str() {
        "open" => {
            let party = v.recipients.get(case.recipient).ok_or("recipient index")?;
            let recipient = identity_of(party)?;
            let store = store_of(v, &case.revoked)?;
            match envelope::open(&recipient, &store, case.now, &input) {
                Ok(_) => Err("opened".into()),
                Err(e) => Ok(reason_name(&e.reason())),
            }
        }
        "split" => refusal(SentEnvelope::parse(&input), "SplitError", "parsed"),
        other => Err(format!("unknown operation {other}")),
    }
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}

/// `X25519(private, public)`; `None` for an all-zero output.
fn dh(private: &[u8; 32], public: &[u8]) -> Option<[u8; 32]> {
    let public: [u8; 32] = public.try_into().ok()?;
    SecretKey::from_bytes(SecretBytes::new(*private))
        .diffie_hellman(&PublicKey::from_bytes(public))
        .ok()
        .map(|s| *s.expose())
}

fn x25519_public(private: &[u8; 32]) -> [u8; 32] {
    SecretKey::from_bytes(SecretBytes::new(*private))
        .public_key()
        .to_bytes()
}

fn key(bytes: &[u8]) -> SecretBytes<32> {
    let mut k = [0u8; 32];
    k.copy_from_slice(&bytes[..32]);
    SecretBytes::new(k)
}

fn nonce(bytes: &[u8]) -> [u8; 12] {
    let mut n = [0u8; 12];
    n.copy_from_slice(&bytes[..12]);
    n
}

/// Both layers' values for one recipient, from the formulas of 9.3 and 9.4.
struct Layers {
    e1: [u8; 32],
    okm1: Vec<u8>,
    layer1_ct: Vec<u8>,
    s: Option<[u8; 32]>,
    okm2: Vec<u8>,
}

/// Layer 1 (to the recipient of identity `recipient`, carrying `layer1_identity`) and the
/// layer-2 key material under `s` (none when `s` is `None`).
fn layers(
    e: &[u8; 32],
    header1: &[u8],
    recipient: &[u8; 64],
    layer1_identity: &[u8; 64],
    s: Option<[u8; 32]>,
) -> Option<Layers> {
    let e_pub = x25519_public(e);
    let e1 = dh(e, &recipient[32..])?;
    let mut salt1 = e_pub.to_vec();
    salt1.extend_from_slice(recipient);
    let okm1 = kdf::hkdf_sha256::<76>(Some(&salt1), &e1, SEALED_ENVELOPE_EPHEMERAL);
    let okm1 = okm1.expose().to_vec();
    let layer1_ct = aead::seal(
        &key(&okm1[32..64]),
        &nonce(&okm1[64..76]),
        header1,
        layer1_identity,
    );
    let okm2 = match s {
        Some(s) => {
            let mut salt2 = okm1[..32].to_vec();
            salt2.extend_from_slice(&layer1_ct);
            kdf::hkdf_sha256::<44>(Some(&salt2), &s, SEALED_ENVELOPE_STATIC)
                .expose()
                .to_vec()
        }
        None => Vec::new(),
    };
    Some(Layers {
        e1,
        okm1,
        layer1_ct,
        s,
        okm2,
    })
}

fn header1(subtype: u8, e: &[u8; 32]) -> Vec<u8> {
    let mut out = vec![0x1f, subtype];
    out.extend_from_slice(&x25519_public(e));
    out
}

/// A single-recipient envelope by the formulas of 9.3, with `E = e`, layer 1 carrying
/// `layer1_identity`, layer 2 under `s` around `inner` (with `s` `None`, layer 2 is
/// `inner.len() + 16` zero bytes).
fn forge_single(
    e: &[u8; 32],
    subtype: u8,
    recipient: &[u8; 64],
    layer1_identity: &[u8; 64],
    s: Option<[u8; 32]>,
    inner: &[u8],
) -> Option<Vec<u8>> {
    let mut out = header1(subtype, e);
    let l = layers(e, &out, recipient, layer1_identity, s)?;
    out.extend_from_slice(&l.layer1_ct);
    if l.s.is_some() {
        let ct = aead::seal(&key(&l.okm2[..32]), &nonce(&l.okm2[32..44]), &out, inner);
        out.extend_from_slice(&ct);
    } else {
        out.resize(out.len() + inner.len() + aead::TAG_LEN, 0);
    }
    Some(out)
}

/// `pattern(len, salt)`: byte `i` is `(i + salt) mod 251`.
fn pattern(len: usize, salt: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i + salt) % 251).unwrap_or(0))
        .collect()
}

fn party(identity: &DeviceIdentity, account: &AccountId, device_id: u32) -> PartyVector {
    PartyVector {
        account_id: h(&account.to_bytes()),
        device_id,
        signing_seed: h(identity.signing_key().expose_seed()),
        identity_private: h(identity.agreement_key().secret_key().expose()),
        identity: h(&identity.public().to_bytes()),
    }
}

fn opened_vector(o: &Opened) -> OpenedVector {
    OpenedVector {
        account_id: h(&o.sender.account_id().to_bytes()),
        device_id: o.sender.device_id(),
        identity: h(&o.sender.identity().to_bytes()),
        content_type: o.content_type,
        message: h(&o.message),
    }
}

fn expect_opened(
    step: usize,
    o: &OpenedVector,
    sender: &SenderVector,
    content_type: u8,
    message: &[u8],
) -> Result<(), VectorError> {
    let want = OpenedVector {
        account_id: sender.party.account_id.clone(),
        device_id: sender.party.device_id,
        identity: sender.party.identity.clone(),
        content_type,
        message: h(message),
    };
    if *o == want {
        Ok(())
    } else {
        Err(script_error(
            step,
            format!("opened {o:?}, expected {want:?}"),
        ))
    }
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<SealedVectors, VectorError> {
    let certs = certificates::generate()?;
    let c = &certs.sender;
    let sender_party = PartyVector {
        account_id: c.account_id.clone(),
        device_id: c.device_id,
        signing_seed: c.signing_seed.clone(),
        identity_private: c.identity_private.clone(),
        identity: c.identity.clone(),
    };
    let sender = identity_of(&sender_party).map_err(|e| script_error(0, e))?;
    let cert_bytes = hex::decode(&c.certificate).map_err(|e| script_error(0, e))?;
    let certificate = SenderCertificate::from_bytes(&cert_bytes).map_err(|e| script_error(0, e))?;
    let compact = certificate.compact();
    let s_priv = *sender.agreement_key().secret_key().expose();
    let s_pub = sender.public().to_bytes();

    let mut rng = RecordingRng::new(0x5ea3);
    // recipients[0]: the single-recipient cases' recipient; 1 to 3: the multi-recipient
    // devices (two of one account, one of another), in the reverse of their sorted order; 4:
    // a device whose identity a forged layer 1 carries in place of the sender's (SEAL-ENV-09).
    let single_device = DeviceIdentity::generate(&mut rng);
    let single_account = AccountId::generate(&mut rng);
    let account_a = AccountId::generate(&mut rng);
    let account_b = AccountId::generate(&mut rng);
    let a1 = DeviceIdentity::generate(&mut rng);
    let a2 = DeviceIdentity::generate(&mut rng);
    let b5 = DeviceIdentity::generate(&mut rng);
    let other = DeviceIdentity::generate(&mut rng);
    let other_account = AccountId::generate(&mut rng);
    let mut multi_devices = vec![
        (&a1, account_a, 1u32),
        (&a2, account_a, 2),
        (&b5, account_b, 5),
    ];
    // The input order is the reverse of the sorted one, so the sorting shows.
    multi_devices.sort_by_key(|(_, account, id)| {
        let mut a = account.to_bytes().to_vec();
        a.extend_from_slice(&id.to_be_bytes());
        a
    });
    multi_devices.reverse();
    let mut recipients = vec![party(&single_device, &single_account, 1)];
    for (d, account, id) in &multi_devices {
        recipients.push(party(d, account, *id));
    }
    recipients.push(party(&other, &other_account, 9));

    let mut v = SealedVectors {
        description: "Sotto/1 sealed envelopes (docs/protocol.md 9.3) and a multi-recipient \
                      message (9.4) with every input and intermediate value; then envelopes \
                      open refuses (SEAL-ENV-01..10) and sent forms the relay refuses \
                      (SEAL-MR-01..05). The sender, its certificate, the root and the server \
                      certificate are those of certificates.json. The error names are this \
                      implementation's."
            .into(),
        info_ephemeral: h(SEALED_ENVELOPE_EPHEMERAL),
        info_static: h(SEALED_ENVELOPE_STATIC),
        root: certs.root.clone(),
        server_certificate: certs.server.certificate.clone(),
        sender: SenderVector {
            party: sender_party,
            certificate: c.certificate.clone(),
            compact_certificate: h(&compact),
            expires: EXPIRES,
        },
        recipients,
        single: Vec::new(),
        multi: MultiCase {
            recipients: vec![1, 2, 3],
            content_type: 0,
            message: String::new(),
            now: VERIFY_AT,
            e_private: String::new(),
            e_pub: String::new(),
            content_key: String::new(),
            header1: String::new(),
            compact_certificate: h(&compact),
            padded_message: String::new(),
            inner: String::new(),
            content_ct: String::new(),
            content_ct_sha512: String::new(),
            entries: Vec::new(),
            sent: String::new(),
            sent_len: 0,
        },
        negative: Vec::new(),
    };
    let store = store_of(&v, &[]).map_err(|e| script_error(1, e))?;
    let recipient_id = single_device.public().to_bytes();

    // Single-recipient cases.
    for (step, (name, len, content_type)) in [
        ("empty message", 0usize, 1u8),
        ("100-byte message", 100, 2),
        (
            "300-byte message, padded to 304 (above the fixed buckets)",
            300,
            3,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let message = pattern(len, step);
        let before = rng.draws().len();
        let sealed = envelope::seal(
            &sender,
            &certificate,
            &single_device.public(),
            content_type,
            &message,
            &mut rng,
        )
        .map_err(|e| script_error(10 + step, e))?;
        let draws = &rng.draws()[before..];
        let e: [u8; 32] = match draws {
            [e] => e
                .as_slice()
                .try_into()
                .map_err(|_| script_error(10 + step, "E is not 32 bytes"))?,
            _ => return Err(script_error(10 + step, "seal drew other than one E")),
        };
        let padded = padding::pad(&message).map_err(|e| script_error(10 + step, e))?;
        let mut inner = vec![content_type];
        inner.extend_from_slice(&compact);
        inner.extend_from_slice(&padded);
        let hdr1 = header1(0x01, &e);
        let s = dh(&s_priv, &recipient_id[32..]);
        let l = layers(&e, &hdr1, &recipient_id, &s_pub, s)
            .ok_or_else(|| script_error(10 + step, "all-zero e1"))?;
        let mut hdr2 = hdr1.clone();
        hdr2.extend_from_slice(&l.layer1_ct);
        let layer2_ct = aead::seal(&key(&l.okm2[..32]), &nonce(&l.okm2[32..44]), &hdr2, &inner);
        let mut env = hdr2.clone();
        env.extend_from_slice(&layer2_ct);
        if env != sealed {
            return Err(script_error(
                10 + step,
                "the documented formulas do not rebuild seal's envelope",
            ));
        }
        let opened = envelope::open(&single_device, &store, VERIFY_AT, &sealed)
            .map_err(|e| script_error(10 + step, format!("{:?}", e.reason())))?;
        let opened = opened_vector(&opened);
        expect_opened(10 + step, &opened, &v.sender, content_type, &message)?;
        v.single.push(SingleCase {
            name: name.into(),
            recipient: 0,
            content_type,
            message: h(&message),
            now: VERIFY_AT,
            e_private: h(&e),
            e_pub: h(&hdr1[2..]),
            e1: h(&l.e1),
            okm1: h(&l.okm1),
            chain: h(&l.okm1[..32]),
            key1: h(&l.okm1[32..64]),
            nonce1: h(&l.okm1[64..76]),
            header1: h(&hdr1),
            layer1_ct: h(&l.layer1_ct),
            s: h(&l.s.unwrap_or_default()),
            okm2: h(&l.okm2),
            key2: h(&l.okm2[..32]),
            nonce2: h(&l.okm2[32..44]),
            compact_certificate: h(&compact),
            padded_message: h(&padded),
            inner: h(&inner),
            header2: h(&hdr2),
            layer2_ct: h(&layer2_ct),
            envelope: h(&env),
            envelope_len: env.len(),
            overhead: env.len() - padded.len(),
            opened,
        });
    }

    // The multi-recipient message.
    let multi_message = pattern(20, 7);
    let multi_type = 4u8;
    let input: Vec<Recipient> = multi_devices
        .iter()
        .map(|(d, account, id)| Recipient {
            account: *account,
            device_id: *id,
            identity: d.public(),
        })
        .collect();
    let before = rng.draws().len();
    let mut cache = StaticCache::new();
    let sent = seal_multi(
        &sender,
        &mut cache,
        &certificate,
        &input,
        multi_type,
        &multi_message,
        &mut rng,
    )
    .map_err(|e| script_error(20, e))?;
    let draws = &rng.draws()[before..];
    let (e, k): ([u8; 32], [u8; 32]) = match draws {
        [e, k] => (
            e.as_slice()
                .try_into()
                .map_err(|_| script_error(20, "E is not 32 bytes"))?,
            k.as_slice()
                .try_into()
                .map_err(|_| script_error(20, "K is not 32 bytes"))?,
        ),
        _ => return Err(script_error(20, "seal_multi drew other than E and K")),
    };
    let padded = padding::pad(&multi_message).map_err(|e| script_error(20, e))?;
    let mut inner = vec![multi_type];
    inner.extend_from_slice(&compact);
    inner.extend_from_slice(&padded);
    let hdr1 = header1(0x02, &e);
    let content_ct = aead::seal(&SecretBytes::new(k), &[0u8; 12], &hdr1, &inner);
    let content_hash = hash::sha512(&content_ct);
    // Sorted order: indices 3, 2, 1 of `recipients` (the input was reversed).
    let mut order: Vec<usize> = (1..=3).collect();
    order.sort_by_key(|&i| {
        let p = &v.recipients[i];
        format!("{}{:08x}", p.account_id, p.device_id)
    });
    let mut rebuilt = hdr1.clone();
    rebuilt[1] = 0x03;
    rebuilt.extend_from_slice(&3u16.to_be_bytes());
    let mut entries = Vec::new();
    for &i in &order {
        let p = &v.recipients[i];
        let rid: [u8; 64] = unhex(&p.identity).map_err(|e| script_error(21, e))?;
        let s = dh(&s_priv, &rid[32..]);
        let l =
            layers(&e, &hdr1, &rid, &s_pub, s).ok_or_else(|| script_error(21, "all-zero e1"))?;
        let mut ad = hdr1.clone();
        ad.extend_from_slice(&l.layer1_ct);
        ad.extend_from_slice(&content_hash);
        let wrap = aead::seal(&key(&l.okm2[..32]), &nonce(&l.okm2[32..44]), &ad, &k);
        let mut address = hex::decode(&p.account_id).map_err(|e| script_error(21, e))?;
        address.extend_from_slice(&p.device_id.to_be_bytes());
        let mut entry = address.clone();
        entry.extend_from_slice(&l.layer1_ct);
        entry.extend_from_slice(&wrap);
        rebuilt.extend_from_slice(&entry);
        let mut received = hdr1.clone();
        received.extend_from_slice(&l.layer1_ct);
        received.extend_from_slice(&wrap);
        received.extend_from_slice(&content_ct);
        entries.push((i, address, l, ad, wrap, entry, received));
    }
    rebuilt.extend_from_slice(&content_ct);
    if rebuilt != sent {
        return Err(script_error(
            22,
            "the documented formulas do not rebuild seal_multi's message",
        ));
    }
    let parsed = SentEnvelope::parse(&sent).map_err(|e| script_error(23, e))?;
    let split = parsed.split();
    if split.len() != entries.len() {
        return Err(script_error(23, "split count"));
    }
    let multi_devices_by_index = |i: usize| match i {
        1..=3 => Some(multi_devices[i - 1].0),
        _ => None,
    };
    for ((i, address, l, ad, wrap, entry, received), delivery) in entries.into_iter().zip(split) {
        let mut got_address = delivery.account.to_bytes().to_vec();
        got_address.extend_from_slice(&delivery.device_id.to_be_bytes());
        if got_address != address || delivery.envelope != received {
            return Err(script_error(
                24,
                "split differs from the documented envelope",
            ));
        }
        let device = multi_devices_by_index(i).ok_or_else(|| script_error(24, "index"))?;
        let opened = envelope::open(device, &store, VERIFY_AT, &delivery.envelope)
            .map_err(|e| script_error(24, format!("{:?}", e.reason())))?;
        let opened = opened_vector(&opened);
        expect_opened(24, &opened, &v.sender, multi_type, &multi_message)?;
        v.multi.entries.push(MultiEntry {
            recipient: i,
            address: h(&address),
            e1: h(&l.e1),
            okm1: h(&l.okm1),
            chain: h(&l.okm1[..32]),
            key1: h(&l.okm1[32..64]),
            nonce1: h(&l.okm1[64..76]),
            layer1_ct: h(&l.layer1_ct),
            s: h(&l.s.unwrap_or_default()),
            okm2: h(&l.okm2),
            key2: h(&l.okm2[..32]),
            nonce2: h(&l.okm2[32..44]),
            wrap_ad: h(&ad),
            wrap: h(&wrap),
            entry: h(&entry),
            received: h(&received),
            opened,
        });
    }
    let m = &mut v.multi;
    m.content_type = multi_type;
    m.message = h(&multi_message);
    m.e_private = h(&e);
    m.e_pub = h(&hdr1[2..]);
    m.content_key = h(&k);
    m.header1 = h(&hdr1);
    m.padded_message = h(&padded);
    m.inner = h(&inner);
    m.content_ct = h(&content_ct);
    m.content_ct_sha512 = h(&content_hash);
    m.sent = h(&sent);
    m.sent_len = sent.len();

    negatives(&mut v, &sent, &other, &s_priv, &s_pub, &compact)?;
    Ok(v)
}

/// The negative cases, each checked against the implementation.
#[allow(clippy::too_many_lines)]
fn negatives(
    v: &mut SealedVectors,
    sent: &[u8],
    other: &DeviceIdentity,
    s_priv: &[u8; 32],
    s_pub: &[u8; 64],
    compact: &[u8; 98],
) -> Result<(), VectorError> {
    let err = |e: String| script_error(30, e);
    let env0 = hex::decode(&v.single[0].envelope).map_err(|e| err(e.to_string()))?;
    let env2 = hex::decode(&v.single[2].envelope).map_err(|e| err(e.to_string()))?;
    let received = hex::decode(&v.multi.entries[0].received).map_err(|e| err(e.to_string()))?;
    let multi_r = v.multi.entries[0].recipient;
    let r0: [u8; 64] = unhex(&v.recipients[0].identity).map_err(err)?;
    let rm: [u8; 64] = unhex(&v.recipients[multi_r].identity).map_err(err)?;
    let with = |base: &[u8], f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = base.to_vec();
        f(&mut b);
        b
    };
    let inner_of = |content_type: u8, padded: &[u8]| {
        let mut i = vec![content_type];
        i.extend_from_slice(compact);
        i.extend_from_slice(padded);
        i
    };
    let good_padded = padding::pad(&[]).map_err(|e| err(e.to_string()))?;
    let s_r0 = dh(s_priv, &r0[32..]);
    let forge = |identity: &[u8; 64], s: Option<[u8; 32]>, inner: &[u8]| {
        forge_single(&FORGED_E, 0x01, &r0, identity, s, inner)
            .ok_or_else(|| script_error(31, "forged E gives an all-zero e1"))
    };

    type Case = (
        &'static str,
        String,
        &'static str,
        usize,
        u64,
        Vec<u32>,
        Vec<u8>,
        String,
    );
    let mut cases: Vec<Case> = Vec::new();
    let mut open = |id: &'static str, comment: &str, recipient, now, input, error: &str| {
        cases.push((
            id,
            comment.into(),
            "open",
            recipient,
            now,
            Vec::new(),
            input,
            error.into(),
        ));
    };
    let r = "OpenReason::";
    open(
        "SEAL-ENV-01",
        "empty input",
        0,
        VERIFY_AT,
        Vec::new(),
        &format!("{r}WrongTag"),
    );
    open(
        "SEAL-ENV-01",
        "single[0].envelope with its first byte replaced by a certificate's tag 0x1e",
        0,
        VERIFY_AT,
        with(&env0, &|b| b[0] = 0x1e),
        &format!("{r}WrongTag"),
    );
    open(
        "SEAL-ENV-02",
        "the tag 0x1f alone (missing subtype counts as 0x00)",
        0,
        VERIFY_AT,
        vec![0x1f],
        &format!("{r}WrongSubtype"),
    );
    open(
        "SEAL-ENV-02",
        "multi.sent (subtype 0x03, the relay's form) given to open",
        multi_r,
        VERIFY_AT,
        sent.to_vec(),
        &format!("{r}WrongSubtype"),
    );
    open(
        "SEAL-ENV-03",
        "single[0].envelope (261 bytes, MIN_LEN) without its last byte",
        0,
        VERIFY_AT,
        env0[..env0.len() - 1].to_vec(),
        &format!("{r}Length"),
    );
    open(
        "SEAL-ENV-03",
        "single[0].envelope relabelled subtype 0x02: 261 bytes is below MULTI_MIN_LEN (309)",
        0,
        VERIFY_AT,
        with(&env0, &|b| b[1] = 0x02),
        &format!("{r}Length"),
    );
    open(
        "SEAL-ENV-03",
        "multi.entries[0].received (309 bytes, MULTI_MIN_LEN) without its last byte",
        multi_r,
        VERIFY_AT,
        received[..received.len() - 1].to_vec(),
        &format!("{r}Length"),
    );
    open(
        "SEAL-ENV-04",
        "single[0].envelope with E_pub (bytes 2..34) replaced by u = 0, a point of small order",
        0,
        VERIFY_AT,
        with(&env0, &|b| b[2..34].fill(0)),
        &format!("{r}NonContributory"),
    );
    open(
        "SEAL-ENV-04",
        "single[0].envelope with E_pub replaced by u = 1, a point of small order",
        0,
        VERIFY_AT,
        with(&env0, &|b| {
            b[2..34].fill(0);
            b[2] = 1;
        }),
        &format!("{r}NonContributory"),
    );
    open(
        "SEAL-ENV-04",
        "single[0].envelope with the top bit of E_pub's last byte (byte 33) set: a twin \
         encoding of the same key (HS-03's canonical rule), refused before any DH",
        0,
        VERIFY_AT,
        with(&env0, &|b| b[33] |= 0x80),
        &format!("{r}NonCanonicalEphemeral"),
    );
    open(
        "SEAL-ENV-04",
        "single[0].envelope with E_pub replaced by p + 1 = 2^255 - 18 (bytes ee ff .. ff 7f), \
         not canonical (a twin of u = 1)",
        0,
        VERIFY_AT,
        with(&env0, &|b| {
            b[2] = 0xee;
            b[3..33].fill(0xff);
            b[33] = 0x7f;
        }),
        &format!("{r}NonCanonicalEphemeral"),
    );
    let mut small = *s_pub;
    small[32..].fill(0);
    small[32] = 1;
    open(
        "SEAL-ENV-04",
        "forged: E = 0x45 x 32, layer 1 to recipients[0] carrying the sender's Ed25519 key and \
         the X25519 key u = 1 (small order, canonical), layer 2 147 zero bytes (s is all zero, \
         so no layer-2 key exists)",
        0,
        VERIFY_AT,
        forge(&small, None, &inner_of(1, &good_padded))?,
        &format!("{r}NonContributory"),
    );
    open(
        "SEAL-ENV-05",
        "single[0].envelope with bit 0 of the last byte of layer 1's tag (byte 113) flipped",
        0,
        VERIFY_AT,
        with(&env0, &|b| b[113] ^= 0x01),
        &format!("{r}Layer1"),
    );
    open(
        "SEAL-ENV-05",
        "single[0].envelope with bit 0 of E_pub's first byte (byte 2) flipped",
        0,
        VERIFY_AT,
        with(&env0, &|b| b[2] ^= 0x01),
        &format!("{r}Layer1"),
    );
    open(
        "SEAL-ENV-05",
        "single[2].envelope (533 bytes) relabelled subtype 0x02: header1 differs, layer 1 fails",
        0,
        VERIFY_AT,
        with(&env2, &|b| b[1] = 0x02),
        &format!("{r}Layer1"),
    );
    open(
        "SEAL-ENV-05",
        &format!("single[0].envelope opened by recipients[{multi_r}], to whom it is not sealed"),
        multi_r,
        VERIFY_AT,
        env0.clone(),
        &format!("{r}Layer1"),
    );
    let mut not_canonical = *s_pub;
    not_canonical[32..].fill(0xff);
    open(
        "SEAL-ENV-06",
        "forged: E = 0x45 x 32, layer 1 to recipients[0] carrying the sender's Ed25519 key and \
         the X25519 key 0xff x 32 (not canonical), layer 2 147 zero bytes",
        0,
        VERIFY_AT,
        forge(&not_canonical, None, &inner_of(1, &good_padded))?,
        &format!("{r}SenderIdentity"),
    );
    let mut not_a_point = *s_pub;
    not_a_point[..32].fill(0);
    not_a_point[0] = 2;
    open(
        "SEAL-ENV-06",
        "forged: as above with the sender's X25519 key and the Ed25519 key y = 2 (not a point)",
        0,
        VERIFY_AT,
        forge(&not_a_point, None, &inner_of(1, &good_padded))?,
        &format!("{r}SenderIdentity"),
    );
    open(
        "SEAL-ENV-07",
        "single[0].envelope with bit 0 of its last byte (layer 2's tag) flipped",
        0,
        VERIFY_AT,
        with(&env0, &|b| {
            if let Some(x) = b.last_mut() {
                *x ^= 0x01;
            }
        }),
        &format!("{r}Layer2"),
    );
    open(
        "SEAL-ENV-07",
        "single[0].envelope with a zero byte appended (262 bytes, within the bounds)",
        0,
        VERIFY_AT,
        with(&env0, &|b| b.push(0)),
        &format!("{r}Layer2"),
    );
    open(
        "SEAL-ENV-07",
        "multi.entries[0].received with bit 0 of the wrap's first byte (byte 114) flipped",
        multi_r,
        VERIFY_AT,
        with(&received, &|b| b[114] ^= 0x01),
        &format!("{r}Layer2"),
    );
    open(
        "SEAL-ENV-07",
        "multi.entries[0].received with bit 0 of content_ct's last byte flipped: the wrap's \
         associated data holds SHA-512(content_ct)",
        multi_r,
        VERIFY_AT,
        with(&received, &|b| {
            if let Some(x) = b.last_mut() {
                *x ^= 0x01;
            }
        }),
        &format!("{r}Layer2"),
    );
    // SEAL-ENV-08: a content under K' = 0x4b x 32, and a wrap of multi.content_key over it.
    let multi_inner = hex::decode(&v.multi.inner).map_err(|e| err(e.to_string()))?;
    let k: [u8; 32] = unhex(&v.multi.content_key).map_err(err)?;
    let hdr1 = header1(0x02, &FORGED_E);
    let s_rm = dh(s_priv, &rm[32..]);
    let l = layers(&FORGED_E, &hdr1, &rm, s_pub, s_rm).ok_or_else(|| err("e1".into()))?;
    let content_ct = aead::seal(&SecretBytes::new(FORGED_K), &[0u8; 12], &hdr1, &multi_inner);
    let mut ad = hdr1.clone();
    ad.extend_from_slice(&l.layer1_ct);
    ad.extend_from_slice(&hash::sha512(&content_ct));
    let wrap = aead::seal(&key(&l.okm2[..32]), &nonce(&l.okm2[32..44]), &ad, &k);
    let mut forged_multi = hdr1.clone();
    forged_multi.extend_from_slice(&l.layer1_ct);
    forged_multi.extend_from_slice(&wrap);
    forged_multi.extend_from_slice(&content_ct);
    open(
        "SEAL-ENV-08",
        "forged multi-recipient envelope to multi.entries[0]'s recipient by the formulas of \
         9.4 with E = 0x45 x 32: content_ct = AEAD(0x4b x 32, 0^12, header1, multi.inner), but \
         the wrap (over that content_ct's SHA-512) holds multi.content_key",
        multi_r,
        VERIFY_AT,
        forged_multi,
        &format!("{r}Content"),
    );
    let other_pub = other.public().to_bytes();
    let other_priv = *other.agreement_key().secret_key().expose();
    let s_other = dh(&other_priv, &r0[32..]);
    let c = "OpenReason::Certificate(CertificateError::";
    open(
        "SEAL-ENV-09",
        "forged: E = 0x45 x 32, layer 1 to recipients[0] carrying recipients[4]'s identity, \
         layer 2 under s = DH(recipients[4] X25519 private, R_x) around u8(1) || the sender's \
         compact certificate || pad(empty): the certificate rebuilt with that identity fails \
         its signature",
        0,
        VERIFY_AT,
        forge(&other_pub, s_other, &inner_of(1, &good_padded))?,
        &format!("{c}Signature)"),
    );
    let mut half = *s_pub;
    half[..32].copy_from_slice(&other_pub[..32]);
    open(
        "SEAL-ENV-09",
        "forged as above, layer 1 carrying recipients[4]'s Ed25519 key with the sender's own \
         X25519 key, layer 2 under the sender's s: sharing only S_x, the certificate fails its \
         signature",
        0,
        VERIFY_AT,
        forge(&half, s_r0, &inner_of(1, &good_padded))?,
        &format!("{c}Signature)"),
    );
    open(
        "SEAL-ENV-09",
        "single[0].envelope opened one second after the sender certificate's expiry",
        0,
        EXPIRES + 1,
        env0.clone(),
        &format!("{c}Expired)"),
    );
    let mut bad_cert = inner_of(1, &good_padded);
    bad_cert[1 + 33] ^= 0x01;
    open(
        "SEAL-ENV-09",
        "forged: E = 0x45 x 32, the sender's identity in layer 1, layer 2 under the sender's s \
         around u8(1) || the compact certificate with bit 0 of its byte 33 (last byte of the \
         server key id) flipped, 7 to 6 || pad(empty)",
        0,
        VERIFY_AT,
        forge(s_pub, s_r0, &bad_cert)?,
        &format!("{c}UnknownServerKey)"),
    );
    let mut padded_too_big = vec![0u8; 64];
    padded_too_big[0] = 0x80;
    let mut no_boundary = vec![0u8; 32];
    no_boundary[0] = 0x00;
    let mut not_bucket = vec![0u8; 33];
    not_bucket[0] = 0x80;
    let p = "OpenReason::Padding(PaddingError::";
    for (padded, what, error) in [
        (
            padded_too_big,
            "0x80 and 63 zero bytes (the empty message in the 64-byte bucket, not its own)",
            "NotCanonical",
        ),
        (
            no_boundary,
            "32 zero bytes (no 0x80 boundary)",
            "NoBoundary",
        ),
        (
            not_bucket,
            "0x80 and 32 zero bytes (33 is not a bucket length)",
            "NotABucket",
        ),
    ] {
        open(
            "SEAL-ENV-10",
            &format!(
                "forged: E = 0x45 x 32, the sender's identity in layer 1, layer 2 under the \
                 sender's s around u8(1) || the compact certificate || {what}"
            ),
            0,
            VERIFY_AT,
            forge(s_pub, s_r0, &inner_of(1, &padded))?,
            &format!("{p}{error})"),
        );
    }
    cases.push((
        "SEAL-ENV-09",
        "single[0].envelope opened with the server key id 7 revoked".into(),
        "open",
        0,
        VERIFY_AT,
        vec![7],
        env0.clone(),
        format!("{c}Revoked)"),
    ));
    let mut split = |id: &'static str, comment: &str, input: Vec<u8>, error: &str| {
        cases.push((
            id,
            comment.into(),
            "split",
            0,
            0,
            Vec::new(),
            input,
            format!("SplitError::{error}"),
        ));
    };
    split("SEAL-MR-01", "empty input", Vec::new(), "WrongTag");
    split(
        "SEAL-MR-01",
        "multi.sent with its first byte replaced by 0x1e",
        with(sent, &|b| b[0] = 0x1e),
        "WrongTag",
    );
    split(
        "SEAL-MR-02",
        "the tag 0x1f alone",
        vec![0x1f],
        "WrongSubtype",
    );
    split(
        "SEAL-MR-02",
        "multi.entries[0].received (subtype 0x02) given to the relay",
        received.clone(),
        "WrongSubtype",
    );
    split(
        "SEAL-MR-03",
        "multi.sent with its count (bytes 34..36) set to 0",
        with(sent, &|b| b[34..36].fill(0)),
        "RecipientCount",
    );
    split(
        "SEAL-MR-03",
        "multi.sent with its count set to 1025",
        with(sent, &|b| b[34..36].copy_from_slice(&1025u16.to_be_bytes())),
        "RecipientCount",
    );
    split(
        "SEAL-MR-03",
        "multi.sent cut to 35 bytes: the count's missing low byte counts as 0, giving 0",
        sent[..35].to_vec(),
        "RecipientCount",
    );
    split(
        "SEAL-MR-04",
        "multi.sent without its last byte (content of 146 bytes, below 147)",
        sent[..sent.len() - 1].to_vec(),
        "Length",
    );
    split(
        "SEAL-MR-04",
        "multi.sent with its count set to 4 (the entries would overlap the content)",
        with(sent, &|b| b[34..36].copy_from_slice(&4u16.to_be_bytes())),
        "Length",
    );
    split(
        "SEAL-MR-05",
        "multi.sent with entries 0 and 1 swapped (Order, index 1)",
        with(sent, &|b| {
            let e0 = b[36..184].to_vec();
            let e1 = b[184..332].to_vec();
            b[36..184].copy_from_slice(&e1);
            b[184..332].copy_from_slice(&e0);
        }),
        "Order",
    );
    split(
        "SEAL-MR-05",
        "multi.sent with entry 2 replaced by a copy of entry 1 (a recipient named twice; Order, \
         index 2)",
        with(sent, &|b| {
            let e1 = b[184..332].to_vec();
            b[332..480].copy_from_slice(&e1);
        }),
        "Order",
    );

    for (n, (validation_id, comment, operation, recipient, now, revoked, input, error)) in
        cases.into_iter().enumerate()
    {
        let case = SealedNegative {
            id: n + 1,
            validation_id: validation_id.into(),
            comment,
            operation: operation.into(),
            recipient,
            now,
            revoked,
            input: h(&input),
            expected_error: error,
        };
        match run_negative(v, &case) {
            Ok(got) if got == case.expected_error => {}
            other => {
                return Err(script_error(
                    100 + case.id,
                    format!(
                        "{validation_id} ({}): expected {}, got {other:?}",
                        case.comment, case.expected_error
                    ),
                ));
            }
        }
        v.negative.push(case);
    }
    Ok(())
}
