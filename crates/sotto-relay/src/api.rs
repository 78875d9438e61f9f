//! Request and response bodies, and every decoder of a request, as pure functions (no state,
//! no I/O) so that the fuzz target `relay_request` drives exactly what the server runs.
//!
//! Encoding (docs/relay.md, "Encoding"): JSON bodies; byte fields in standard base64 with
//! padding; account ids (16 bytes) in lower-case hex, in paths and in JSON alike.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sotto_crypto::ed25519::{SIGNATURE_LEN, Signature};
use sotto_devices::{AccountId, SignedDeviceList};
use sotto_handshake::{DeviceIdentityKey, PrekeyBundle};
use sotto_sealed::access::{AccessKey, AccessVerifier};
use sotto_sealed::envelope::{MAX_LEN, MIN_LEN, SINGLE_RECIPIENT_SUBTYPE};
use sotto_sealed::multi::SentEnvelope;

use crate::auth;
use crate::error::ApiError;
use crate::storage::{Access, Delivery};

/// A challenge's length in bytes.
pub const CHALLENGE_LEN: usize = 32;
/// The most one-time bundles one upload may carry.
pub const MAX_BUNDLES_PER_UPLOAD: usize = 200;
/// The most envelopes one single-recipient send may carry (one per device of a list).
pub const MAX_ENVELOPES: usize = sotto_devices::MAX_DEVICES;
/// The most ids one acknowledgement may carry.
pub const MAX_ACK_IDS: usize = 1000;
/// The longest account `identifier` accepted, in bytes.
pub const MAX_IDENTIFIER_LEN: usize = 64;
/// The longest text a `transport` send carries, in bytes (the client's limit,
/// `sotto::content::MAX_TEXT_LEN`, is below it).
pub const MAX_TRANSPORT_TEXT: usize = 65_536;

/// Encodes bytes as standard base64.
#[must_use]
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes a standard-base64 field.
pub fn unb64(field: &'static str, text: &str) -> Result<Vec<u8>, ApiError> {
    STANDARD
        .decode(text)
        .map_err(|_| ApiError::field(field, "not standard base64"))
}

fn unb64_array<const N: usize>(field: &'static str, text: &str) -> Result<[u8; N], ApiError> {
    let bytes = unb64(field, text)?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| ApiError::field(field, "wrong length"))
}

/// Encodes an account id as 32 lower-case hex digits.
#[must_use]
pub fn account_hex(account: AccountId) -> String {
    account.to_hex()
}

/// Decodes an account id: exactly 32 lower-case hex digits.
pub fn parse_account(field: &'static str, text: &str) -> Result<AccountId, ApiError> {
    if text.len() != 32
        || text
            .bytes()
            .any(|b| !matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(ApiError::field(field, "not 32 lower-case hex digits"));
    }
    AccountId::from_hex(text).ok_or_else(|| ApiError::field(field, "not hex"))
}

fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(ApiError::Json)
}

// ----- registration -----

/// `POST /v1/accounts` and `POST /v1/accounts/{account}/devices`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The challenge from `GET /v1/challenge`, base64.
    pub challenge: String,
    /// The signed device list (section 8.1 of protocol.md), base64.
    pub device_list: String,
    /// The registering device's id in that list.
    pub device_id: u32,
    /// The proof (docs/relay.md, "Authentication"), base64 of 64 bytes.
    pub proof: String,
    /// The account's access verifier (section 9.5), base64 of 32 bytes; required when an
    /// account is created, ignored when a device is added.
    #[serde(default)]
    pub access_verifier: Option<String>,
    /// One-time bundles (section 7.2), each holding one one-time prekey, base64.
    pub bundles: Vec<String>,
    /// The last-resort bundle (no one-time prekey), base64.
    pub last_resort_bundle: String,
    /// An optional identifier (a user name) the account chooses to publish.
    #[serde(default)]
    pub identifier: Option<String>,
    /// The phone number the account registers with, E.164 (`+` and 8 to 15 digits):
    /// required by every profile but `sotto`, which refuses it; ignored when a device is
    /// added.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /v1/accounts` and `POST /v1/accounts/{account}/devices`: the answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// The device token, base64 of 32 bytes: returned once, stored only as its SHA-256.
    pub device_token: String,
}

/// A registration whose every signature verified; only the challenge (state) is left to
/// check.
#[derive(Debug)]
pub struct Registration {
    /// The challenge the proof signs.
    pub challenge: [u8; CHALLENGE_LEN],
    /// The verified device list.
    pub list: SignedDeviceList,
    /// The registering device.
    pub device_id: u32,
    /// Its identity, as the list holds it.
    pub identity: DeviceIdentityKey,
    /// The access verifier, if one was given.
    pub verifier: Option<AccessVerifier>,
    /// The prekeys, verified.
    pub prekeys: PrekeyUpload,
    /// The published identifier, if any.
    pub identifier: Option<String>,
    /// The phone number, if any (E.164, checked).
    pub phone: Option<String>,
}

/// Decodes and verifies a registration body: JSON, base64, the device list (its signature
/// under the account key it names), the device in it, the proof under that device's
/// identity, and every bundle (verified, of that identity).
pub fn decode_registration(body: &[u8]) -> Result<Registration, ApiError> {
    let req: RegisterRequest = json(body)?;
    let challenge = unb64_array::<CHALLENGE_LEN>("challenge", &req.challenge)?;
    let list = decode_list(&req.device_list)?;
    let identity = *list
        .list()
        .device(req.device_id)
        .ok_or(ApiError::field("device_id", "not in the device list"))?
        .identity();
    let proof = Signature::from_bytes(unb64_array::<SIGNATURE_LEN>("proof", &req.proof)?);
    let message = auth::registration_message(&challenge, list.list().account_id(), req.device_id);
    identity
        .signing()
        .verify(&message, &proof)
        .map_err(|_| ApiError::BadProof)?;
    let verifier = req
        .access_verifier
        .as_deref()
        .map(decode_verifier_field)
        .transpose()?;
    let prekeys = decode_prekey_parts(&req.bundles, Some(&req.last_resort_bundle), &identity)?;
    if let Some(id) = &req.identifier
        && (id.is_empty() || id.len() > MAX_IDENTIFIER_LEN || id.chars().any(char::is_control))
    {
        return Err(ApiError::field(
            "identifier",
            "empty, too long or with control characters",
        ));
    }
    if let Some(phone) = &req.phone {
        check_phone(phone)?;
    }
    Ok(Registration {
        challenge,
        list,
        device_id: req.device_id,
        identity,
        verifier,
        prekeys,
        identifier: req.identifier,
        phone: req.phone,
    })
}

/// Checks a phone number: E.164, `+` then 8 to 15 ASCII digits, the first not 0.
pub fn check_phone(phone: &str) -> Result<(), ApiError> {
    let digits = phone.strip_prefix('+').unwrap_or("");
    if !(8..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err(ApiError::field(
            "phone",
            "not an E.164 number (+ and 8 to 15 digits)",
        ));
    }
    Ok(())
}

fn decode_list(text: &str) -> Result<SignedDeviceList, ApiError> {
    let bytes = unb64("device_list", text)?;
    SignedDeviceList::from_bytes(&bytes)
        .map_err(|_| ApiError::field("device_list", "not a valid signed device list"))
}

// ----- device list -----

/// `PUT /v1/accounts/{account}/devices` and the answer of the `GET`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceListBody {
    /// The signed device list, base64.
    pub device_list: String,
}

/// Decodes a device-list upload (the list's own signature verified).
pub fn decode_device_list(body: &[u8]) -> Result<SignedDeviceList, ApiError> {
    let req: DeviceListBody = json(body)?;
    decode_list(&req.device_list)
}

// ----- prekeys -----

/// `PUT /v1/prekeys` (replace) and `POST /v1/prekeys` (add).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrekeysRequest {
    /// One-time bundles, base64, each with one one-time prekey.
    pub bundles: Vec<String>,
    /// The last-resort bundle, base64: required by `PUT`, refused by `POST`.
    #[serde(default)]
    pub last_resort_bundle: Option<String>,
}

/// Verified prekeys, as wire bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrekeyUpload {
    /// One-time bundles.
    pub bundles: Vec<Vec<u8>>,
    /// The last-resort bundle.
    pub last_resort: Option<Vec<u8>>,
}

/// Which prekey upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrekeyMode {
    /// `PUT`: replace everything; a last-resort bundle is required.
    Replace,
    /// `POST`: add one-time bundles; no last-resort bundle.
    Add,
}

/// Decodes a prekey upload for a device of `identity`.
pub fn decode_prekeys(
    body: &[u8],
    mode: PrekeyMode,
    identity: &DeviceIdentityKey,
) -> Result<PrekeyUpload, ApiError> {
    let req: PrekeysRequest = json(body)?;
    match (mode, &req.last_resort_bundle) {
        (PrekeyMode::Replace, None) => {
            return Err(ApiError::field("last_resort_bundle", "required"));
        }
        (PrekeyMode::Add, Some(_)) => {
            return Err(ApiError::field(
                "last_resort_bundle",
                "replace it with PUT /v1/prekeys",
            ));
        }
        _ => {}
    }
    decode_prekey_parts(&req.bundles, req.last_resort_bundle.as_deref(), identity)
}

fn decode_prekey_parts(
    bundles: &[String],
    last_resort: Option<&str>,
    identity: &DeviceIdentityKey,
) -> Result<PrekeyUpload, ApiError> {
    if bundles.len() > MAX_BUNDLES_PER_UPLOAD {
        return Err(ApiError::field("bundles", "too many in one upload"));
    }
    let mut out = Vec::with_capacity(bundles.len());
    for text in bundles {
        let bytes = decode_bundle("bundles", text, identity)?;
        out.push(bytes.0);
        if !bytes.1 {
            return Err(ApiError::field(
                "bundles",
                "a bundle without a one-time prekey",
            ));
        }
    }
    let last_resort = match last_resort {
        Some(text) => {
            let (bytes, one_time) = decode_bundle("last_resort_bundle", text, identity)?;
            if one_time {
                return Err(ApiError::field(
                    "last_resort_bundle",
                    "holds a one-time prekey",
                ));
            }
            Some(bytes)
        }
        None => None,
    };
    Ok(PrekeyUpload {
        bundles: out,
        last_resort,
    })
}

/// Decodes and verifies one bundle of `identity`: its bytes and whether it holds a one-time
/// prekey. A one-time ML-KEM prekey is allowed only beside a one-time X25519 prekey.
fn decode_bundle(
    field: &'static str,
    text: &str,
    identity: &DeviceIdentityKey,
) -> Result<(Vec<u8>, bool), ApiError> {
    let bytes = unb64(field, text)?;
    let bundle = PrekeyBundle::from_bytes(&bytes)
        .map_err(|_| ApiError::field(field, "not a valid prekey bundle"))?;
    if !bundle.identity().ct_matches(identity) {
        return Err(ApiError::field(field, "not of this device's identity"));
    }
    let verified = bundle
        .verify()
        .map_err(|_| ApiError::field(field, "a signature does not verify"))?;
    let one_time = verified.bundle().one_time_prekey().is_some();
    let kem_one_time = verified
        .bundle()
        .kem_prekey()
        .is_some_and(|k| k.kind() == sotto_handshake::KemPrekeyKind::OneTime);
    if kem_one_time && !one_time {
        return Err(ApiError::field(
            field,
            "a one-time ML-KEM prekey in a last-resort bundle",
        ));
    }
    Ok((bytes, one_time))
}

/// `GET /v1/prekeys/count`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PrekeyCount {
    /// One-time bundles left.
    pub count: u32,
}

/// One bundle of `GET /v1/accounts/{account}/bundles`.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceBundle {
    /// The device.
    pub device_id: u32,
    /// The bundle, base64.
    pub bundle: String,
}

/// `GET /v1/accounts/{account}/bundles`.
#[derive(Debug, Serialize, Deserialize)]
pub struct BundlesResponse {
    /// One bundle per listed device that published prekeys.
    pub bundles: Vec<DeviceBundle>,
}

// ----- access -----

/// `PUT /v1/access`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessBody {
    /// The new access verifier, base64 of 32 bytes.
    pub access_verifier: String,
}

fn decode_verifier_field(text: &str) -> Result<AccessVerifier, ApiError> {
    let bytes = unb64("access_verifier", text)?;
    AccessVerifier::from_bytes(&bytes)
        .map_err(|_| ApiError::field("access_verifier", "not 32 bytes"))
}

/// Decodes `PUT /v1/access`.
pub fn decode_access(body: &[u8]) -> Result<AccessVerifier, ApiError> {
    let req: AccessBody = json(body)?;
    decode_verifier_field(&req.access_verifier)
}

/// Decodes the `Sotto-Access-Key` header's value.
pub fn decode_access_key(text: &str) -> Result<AccessKey, ApiError> {
    let bytes = unb64("Sotto-Access-Key", text)?;
    AccessKey::from_bytes(&bytes).map_err(|_| ApiError::field("Sotto-Access-Key", "not 16 bytes"))
}

// ----- certificates -----

/// `GET /v1/certificates`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CertificatesResponse {
    /// The trust root's public key, base64 of 32 bytes.
    pub trust_root: String,
    /// Server certificates (section 9.2), base64.
    pub server_certificates: Vec<String>,
}

/// `POST /v1/certificate`.
#[derive(Debug, Serialize, Deserialize)]
pub struct CertificateResponse {
    /// The sender certificate (section 9.2), base64.
    pub certificate: String,
    /// Its last second of validity.
    pub expires: u64,
}

// ----- sending -----

/// One envelope of a single-recipient send.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceEnvelope {
    /// The recipient device.
    pub device_id: u32,
    /// A single-recipient sealed envelope (section 9.3), base64.
    pub envelope: String,
}

/// `POST /v1/sealed`: either the single form (`recipient` and `envelopes`, the access key in
/// the `Sotto-Access-Key` header) or the multi-recipient form (`sent` and `access_keys`).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedRequest {
    /// Single form: the recipient account, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// Single form: one envelope per listed device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelopes: Option<Vec<DeviceEnvelope>>,
    /// Multi form: the sent form (section 9.4), base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<String>,
    /// Multi form: account (hex) to access key (base64 of 16 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_keys: Option<BTreeMap<String, String>>,
    /// The originator hash of an identified send under `traceable` (docs/relay.md,
    /// "Profiles"): base64 of 32 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// `POST /v1/transport` (`transport` profile only): a text to the server, in plaintext.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportRequest {
    /// The recipient account, hex.
    pub recipient: String,
    /// The text.
    pub text: String,
}

/// Decodes a `transport` send: the recipient and the text (at most
/// [`MAX_TRANSPORT_TEXT`] bytes, not empty).
pub fn decode_transport(body: &[u8]) -> Result<(AccountId, String), ApiError> {
    let req: TransportRequest = json(body)?;
    let recipient = parse_account("recipient", &req.recipient)?;
    if req.text.is_empty() || req.text.len() > MAX_TRANSPORT_TEXT {
        return Err(ApiError::field("text", "empty or longer than 65536 bytes"));
    }
    Ok((recipient, req.text))
}

/// The envelopes of a single-recipient send: 1 to [`MAX_ENVELOPES`], each a single-recipient
/// sealed envelope, no device named twice; sorted by device id.
fn decode_envelopes(envelopes: Vec<DeviceEnvelope>) -> Result<Vec<(u32, Vec<u8>)>, ApiError> {
    if envelopes.is_empty() || envelopes.len() > MAX_ENVELOPES {
        return Err(ApiError::field("envelopes", "1 to 32 envelopes"));
    }
    let mut out = Vec::with_capacity(envelopes.len());
    for e in envelopes {
        let bytes = unb64("envelope", &e.envelope)?;
        check_single_envelope(&bytes)?;
        out.push((e.device_id, bytes));
    }
    out.sort_by_key(|(id, _)| *id);
    if out.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(ApiError::field("envelopes", "a device named twice"));
    }
    Ok(out)
}

/// Decodes an identified send (`POST /v1/messages`) from the authenticated device
/// `sender_account`/`sender_device`: the single form of [`decode_sealed`] (`recipient` and
/// `envelopes`), no access key; the multi-recipient form is refused.
pub fn decode_identified(
    body: &[u8],
    sender_account: AccountId,
    sender_device: u32,
) -> Result<(Delivery, Option<[u8; 32]>), ApiError> {
    let req: SealedRequest = json(body)?;
    let trace = req
        .trace
        .as_deref()
        .map(|t| unb64_array::<32>("trace", t))
        .transpose()?;
    match (req.recipient, req.envelopes, req.sent, req.access_keys) {
        (Some(recipient), Some(envelopes), None, None) => Ok((
            Delivery {
                account: parse_account("recipient", &recipient)?,
                access: Access::Sender {
                    account: sender_account,
                    device_id: sender_device,
                },
                envelopes: decode_envelopes(envelopes)?,
            },
            trace,
        )),
        _ => Err(ApiError::field(
            "recipient",
            "an identified send takes recipient and envelopes only",
        )),
    }
}

/// Decodes a sealed send: `header_key` is the `Sotto-Access-Key` header (required by the
/// single form, refused with the multi form). Each single-recipient envelope's tag, subtype
/// and length are checked (section 9.3); a multi-recipient form is checked by
/// `SentEnvelope::parse` (section 9.4) and split.
pub fn decode_sealed(body: &[u8], header_key: Option<&str>) -> Result<Vec<Delivery>, ApiError> {
    let req: SealedRequest = json(body)?;
    if req.trace.is_some() {
        return Err(ApiError::field("trace", "a sealed send carries no trace"));
    }
    match (req.recipient, req.envelopes, req.sent, req.access_keys) {
        (Some(recipient), Some(envelopes), None, None) => {
            let account = parse_account("recipient", &recipient)?;
            let access_key = decode_access_key(
                header_key.ok_or(ApiError::field("Sotto-Access-Key", "required"))?,
            )?;
            Ok(vec![Delivery {
                account,
                access: Access::Key(access_key),
                envelopes: decode_envelopes(envelopes)?,
            }])
        }
        (None, None, Some(sent), Some(access_keys)) => {
            if header_key.is_some() {
                return Err(ApiError::field(
                    "Sotto-Access-Key",
                    "the multi-recipient form carries access_keys",
                ));
            }
            let bytes = unb64("sent", &sent)?;
            let parsed = SentEnvelope::parse(&bytes)
                .map_err(|_| ApiError::field("sent", "not a valid multi-recipient sent form"))?;
            let mut keys = BTreeMap::new();
            for (account, key) in &access_keys {
                keys.insert(
                    parse_account("access_keys", account)?,
                    decode_access_key(key)?,
                );
            }
            // Entries are sorted by account then device (SEAL-MR-05), so each account's
            // devices are consecutive and increasing.
            let mut out: Vec<Delivery> = Vec::new();
            for delivery in parsed.split() {
                match out.last_mut() {
                    Some(last) if last.account == delivery.account => {
                        last.envelopes.push((delivery.device_id, delivery.envelope));
                    }
                    _ => {
                        let access_key = keys
                            .remove(&delivery.account)
                            .ok_or(ApiError::AccessRefused)?;
                        out.push(Delivery {
                            account: delivery.account,
                            access: Access::Key(access_key),
                            envelopes: vec![(delivery.device_id, delivery.envelope)],
                        });
                    }
                }
            }
            if !keys.is_empty() {
                return Err(ApiError::field(
                    "access_keys",
                    "names an account the message does not",
                ));
            }
            Ok(out)
        }
        _ => Err(ApiError::field(
            "body",
            "either recipient and envelopes, or sent and access_keys",
        )),
    }
}

/// A single-recipient envelope's structure as the relay can check it: tag `0x1f`, subtype
/// `0x01`, `MIN_LEN..=MAX_LEN` bytes.
pub fn check_single_envelope(bytes: &[u8]) -> Result<(), ApiError> {
    if bytes.first() != Some(&sotto_crypto::wire::SEALED_ENVELOPE) {
        return Err(ApiError::field("envelope", "not a sealed envelope (tag)"));
    }
    if bytes.get(1) != Some(&SINGLE_RECIPIENT_SUBTYPE) {
        return Err(ApiError::field(
            "envelope",
            "not a single-recipient envelope",
        ));
    }
    if !(MIN_LEN..=MAX_LEN).contains(&bytes.len()) {
        return Err(ApiError::field("envelope", "wrong length"));
    }
    Ok(())
}

/// `POST /v1/sealed`: the answer, sent after the messages are committed.
#[derive(Debug, Serialize, Deserialize)]
pub struct SealedResponse {
    /// Envelopes stored.
    pub stored: usize,
}

// ----- mailbox -----

/// One message of `GET /v1/messages`.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessageOut {
    /// The id to acknowledge.
    pub id: i64,
    /// The envelope, base64 (empty for a `transport` message, which carries `text`).
    pub envelope: String,
    /// When it was received: seconds since the Unix epoch, truncated by the profile.
    pub received_at: i64,
    /// A `transport` message's plaintext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// A `transport` message's sender account, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// A `transport` message's sending device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_device: Option<u32>,
    /// Present (`true`) only for a message of an identified send (`POST /v1/messages`): the
    /// recipient learns that the sender did not present its access key.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identified: bool,
}

/// `GET /v1/profile`: what this relay takes and keeps, so a client picks its path.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProfileResponse {
    /// The profile's name.
    pub profile: String,
    /// An account registers with a phone number.
    pub phone_required: bool,
    /// Text goes in plaintext by `POST /v1/transport`, and only so.
    pub plaintext: bool,
    /// `POST /v1/sealed` is taken.
    pub sealed: bool,
    /// `POST /v1/messages` (identified) is taken.
    pub identified: bool,
    /// Identified sends must carry a `trace` hash.
    pub trace: bool,
    /// Clients set up header-encrypted ratchet sessions.
    pub header_encryption: bool,
}

/// `GET /v1/messages`.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessagesResponse {
    /// Oldest first, at most the batch limit.
    pub messages: Vec<MessageOut>,
}

/// `POST /v1/messages/ack`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckRequest {
    /// Message ids.
    pub ids: Vec<i64>,
}

/// `POST /v1/messages/ack`: the answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct AckResponse {
    /// Messages of this device deleted (ids of other devices, or already deleted, count 0).
    pub acknowledged: u64,
}

/// Decodes an acknowledgement: 1 to [`MAX_ACK_IDS`] ids.
pub fn decode_ack(body: &[u8]) -> Result<Vec<i64>, ApiError> {
    let req: AckRequest = json(body)?;
    if req.ids.is_empty() || req.ids.len() > MAX_ACK_IDS {
        return Err(ApiError::field("ids", "1 to 1000 ids"));
    }
    Ok(req.ids)
}

/// Decodes the query of `GET /v1/messages`: `wait=SECONDS` (0 to `max_wait`), nothing else.
pub fn decode_wait(query: Option<&str>, max_wait: u64) -> Result<u64, ApiError> {
    let mut wait = 0;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("wait", value)) => {
                wait = value
                    .parse::<u64>()
                    .map_err(|_| ApiError::field("wait", "not a number of seconds"))?;
            }
            _ => return Err(ApiError::field("query", "only wait=SECONDS")),
        }
    }
    Ok(wait.min(max_wait))
}

/// `GET /v1/challenge`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// 32 random bytes, base64: single use, valid 60 seconds.
    pub challenge: String,
}
