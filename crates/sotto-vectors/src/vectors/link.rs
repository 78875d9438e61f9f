//! `docs/vectors/link.json`: linking a new device (protocol.md 8.3). Each case has every
//! input (account key seed, account id, both devices' private keys, the list's version and
//! time, the link secret, the peers, the salt), the link code as bytes and text, the derived
//! AEAD key and nonce, the payload and the link message; the negative cases cover every
//! DEV-LK ID, each checked against this implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto_crypto::hash::sha512_concat;
use sotto_crypto::kdf::hkdf_sha256;
use sotto_crypto::labels::{LINK_CHANNEL, LINK_CODE_CHECKSUM};
use sotto_crypto::wire;
use sotto_devices::link::{
    self, ALPHABET, CHECKSUM_LEN, CodeError, LinkError, PayloadError, SealError, hazmat,
};
use sotto_devices::{
    AccountId, AccountKey, DeviceEntry, DeviceList, DeviceListError, LinkCode, LinkPayload,
    PeerPin, PendingLink, SignedDeviceList,
};
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};

use super::device_lists::DeviceVector;
use super::{VectorError, h, script_error};
use crate::rng::{RecordingRng, ScriptedRng};

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkVectors {
    /// Free text.
    pub description: String,
    /// `LINK_CODE_CHECKSUM` (hex).
    pub checksum_label: String,
    /// `LINK_CHANNEL` (hex).
    pub channel_label: String,
    /// The text alphabet, symbol 0 first.
    pub alphabet: String,
    /// Links that succeed.
    pub cases: Vec<LinkCase>,
    /// Inputs that are refused.
    pub negative: Vec<LinkNegative>,
}

/// One pinned peer of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerVector {
    /// The peer's account id.
    pub account_id: String,
    /// The peer's account key's Ed25519 seed.
    pub account_key_seed: String,
    /// The peer's account key.
    pub account_key: String,
    /// The verified flag.
    pub verified: bool,
    /// The version floor of the peer's first list on the new device.
    pub min_version: u64,
}

/// A link from code to opened payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkCase {
    /// Case number, from 1.
    pub id: usize,
    /// What the case is.
    pub comment: String,
    /// The account key's Ed25519 seed.
    pub account_key_seed: String,
    /// The public account key.
    pub account_key: String,
    /// The account id.
    pub account_id: String,
    /// The new list's version.
    pub version: u64,
    /// The new list's creation time.
    pub created_at: u64,
    /// The devices of the new list, by increasing id; the new device among them.
    pub devices: Vec<DeviceVector>,
    /// The device id assigned to the new device.
    pub new_device_id: u32,
    /// The new device's 64-byte identity.
    pub new_identity: String,
    /// The link secret (32 bytes).
    pub link_secret: String,
    /// The link code's 97 bytes.
    pub code: String,
    /// `SHA-512(LINK_CODE_CHECKSUM || code)[0..8]`.
    pub checksum: String,
    /// The text form.
    pub text: String,
    /// The new signed device list.
    pub device_list: String,
    /// The pinned peers.
    pub peers: Vec<PeerVector>,
    /// The message's salt (16 bytes).
    pub salt: String,
    /// `LINK_CHANNEL || identity`.
    pub hkdf_info: String,
    /// The AEAD key (HKDF output bytes 0..32).
    pub aead_key: String,
    /// The AEAD nonce (HKDF output bytes 32..44).
    pub nonce: String,
    /// `0x1B || identity`.
    pub associated_data: String,
    /// The payload (plaintext).
    pub payload: String,
    /// The link message.
    pub message: String,
}

/// An input that is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// `code_bytes`: decode `input` as a code. `code_text`: decode `input_text` as a code's
    /// text. `open`: case 1's new device (its identity and link secret) opens `input`.
    /// `open_twice`: it opens case 1's message, then `input`. `seal`: case 1's code seals the
    /// payload `input` (which decodes). `check_not_listed`: case 1's code against the signed
    /// list `input` as the primary's current list.
    pub operation: String,
    /// The bytes (hex); empty for `code_text`.
    pub input: String,
    /// The text, for `code_text`.
    pub input_text: String,
    /// `Type::Variant`, with the inner error for `Payload` and `DeviceList`.
    pub expected_error: String,
}

fn code_name(e: CodeError) -> String {
    super::ratchet_negative::error_name("CodeError", &e)
}

fn seal_name(e: SealError) -> String {
    super::ratchet_negative::error_name("SealError", &e)
}

fn link_name(e: LinkError) -> String {
    match e {
        LinkError::Payload(p) => format!(
            "LinkError::Payload({})",
            super::ratchet_negative::error_name("PayloadError", &p)
        ),
        LinkError::DeviceList(d) => format!(
            "LinkError::DeviceList({})",
            super::ratchet_negative::error_name("DeviceListError", &d)
        ),
        other => super::ratchet_negative::error_name("LinkError", &other),
    }
}

/// Case 1's new device: its pending link, rebuilt from its identity and link secret.
pub fn pending_of(case: &LinkCase) -> Result<(LinkCode, PendingLink), String> {
    let identity: [u8; 64] = hex::decode(&case.new_identity)
        .map_err(|e| e.to_string())?
        .try_into()
        .map_err(|_| "identity length".to_string())?;
    let identity = DeviceIdentityKey::from_bytes(&identity).map_err(|e| e.to_string())?;
    let secret = hex::decode(&case.link_secret).map_err(|e| e.to_string())?;
    Ok(LinkCode::generate(
        identity,
        &mut ScriptedRng::new(vec![secret]),
    ))
}

/// Runs a negative case against case `first`: the refusal's name, or what happened instead.
pub fn run_negative(case: &LinkNegative, first: &LinkCase) -> Result<String, String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    let (code, mut pending) = pending_of(first)?;
    let salt = || ScriptedRng::new(vec![vec![0x5a; 16]]);
    match case.operation.as_str() {
        "code_bytes" => LinkCode::from_bytes(&input)
            .map(|_| "decoded".to_string())
            .map_or_else(|e| Ok(code_name(e)), Err),
        "code_text" => LinkCode::from_text(&case.input_text)
            .map(|_| "decoded".to_string())
            .map_or_else(|e| Ok(code_name(e)), Err),
        "open" | "open_twice" => {
            if case.operation == "open_twice" {
                let message = hex::decode(&first.message).map_err(|e| e.to_string())?;
                pending
                    .open(&message)
                    .map_err(|e| format!("first open: {e}"))?;
            }
            let before = pending.is_used();
            match pending.open(&input) {
                Ok(_) => Err("opened".into()),
                Err(_) if pending.is_used() != before => Err("state changed".into()),
                Err(e) => Ok(link_name(e)),
            }
        }
        "seal" => {
            let payload = LinkPayload::from_bytes(&input).map_err(|e| format!("payload: {e}"))?;
            link::seal(code, &payload, &mut salt())
                .map(|_| "sealed".to_string())
                .map_or_else(|e| Ok(seal_name(e)), Err)
        }
        "check_not_listed" => {
            let list = SignedDeviceList::from_bytes(&input).map_err(|e| format!("list: {e}"))?;
            code.check_not_listed(list.list())
                .map(|()| "not listed".to_string())
                .map_or_else(|e| Ok(seal_name(e)), Err)
        }
        other => Err(format!("unknown operation {other}")),
    }
}

fn device_vector(device_id: u32, identity: &DeviceIdentity) -> DeviceVector {
    DeviceVector {
        device_id,
        signing_seed: h(identity.signing_key().expose_seed()),
        identity_private: h(identity.agreement_key().secret_key().expose()),
        identity: h(&identity.public().to_bytes()),
    }
}

/// One link: an account with `existing` devices links a new one as `new_id`, handing over
/// `peers` pinned accounts. Returns the case and the payload (for the negative cases).
fn build(
    id: usize,
    comment: &str,
    seed: u64,
    existing: &[u32],
    new_id: u32,
    peers: usize,
) -> Result<(LinkCase, LinkPayload, AccountKey), VectorError> {
    let mut rng = RecordingRng::new(seed);
    let key = AccountKey::generate(&mut rng);
    let account_id = AccountId::generate(&mut rng);
    let mut devices = Vec::new();
    let mut entries = Vec::new();
    for &device_id in existing {
        let identity = DeviceIdentity::generate(&mut rng);
        devices.push(device_vector(device_id, &identity));
        entries.push(DeviceEntry::new(device_id, identity.public()));
    }
    let new_device = DeviceIdentity::generate(&mut rng);
    devices.push(device_vector(new_id, &new_device));
    devices.sort_by_key(|d| d.device_id);
    let (code, mut pending) = LinkCode::generate(new_device.public(), &mut rng);
    let link_secret = rng.draws().last().cloned().unwrap_or_default();
    let current = DeviceList::new(account_id, 1, super::handshake::NOW, entries.clone())
        .map_err(|e| script_error(id, e))?;
    code.check_not_listed(&current)
        .map_err(|e| script_error(id, e))?;
    entries.push(DeviceEntry::new(new_id, new_device.public()));
    let version = 2;
    let created_at = super::handshake::NOW + 60;
    let list = DeviceList::new(account_id, version, created_at, entries)
        .map_err(|e| script_error(id, e))?
        .sign(&key);
    let mut peer_vectors = Vec::new();
    let mut pins = Vec::new();
    for i in 0..peers {
        let peer_key = AccountKey::generate(&mut rng);
        let peer_id = AccountId::generate(&mut rng);
        let verified = i % 2 == 0;
        // The version of the newest list of the peer the primary held (0: none yet).
        let min_version = [3u64, 0, 0x0102_0304_0506_0708][i % 3];
        peer_vectors.push(PeerVector {
            account_id: h(&peer_id.to_bytes()),
            account_key_seed: h(peer_key.expose_seed()),
            account_key: h(&peer_key.public().to_bytes()),
            verified,
            min_version,
        });
        pins.push(PeerPin {
            account_id: peer_id,
            account_key: peer_key.public(),
            verified,
            min_version,
        });
    }
    let payload = LinkPayload {
        account_id,
        device_id: new_id,
        list: list.clone(),
        peers: pins,
    };
    let code_bytes = code.to_bytes().expose().to_vec();
    let text = code.to_text().to_string();
    let message = link::seal(code, &payload, &mut rng).map_err(|e| script_error(id, e))?;
    let salt = message[1..17].to_vec();
    let identity = new_device.public().to_bytes();
    let mut info = LINK_CHANNEL.to_vec();
    info.extend_from_slice(&identity);
    let okm = hkdf_sha256::<44>(Some(&salt), &link_secret, &info);
    let mut ad = vec![wire::LINK_MESSAGE];
    ad.extend_from_slice(&identity);
    let opened = pending.open(&message).map_err(|e| script_error(id, e))?;
    if opened != payload {
        return Err(script_error(id, "opened payload differs"));
    }
    let checksum = sha512_concat(&[LINK_CODE_CHECKSUM, &code_bytes]);
    Ok((
        LinkCase {
            id,
            comment: comment.into(),
            account_key_seed: h(key.expose_seed()),
            account_key: h(&key.public().to_bytes()),
            account_id: h(&account_id.to_bytes()),
            version,
            created_at,
            devices,
            new_device_id: new_id,
            new_identity: h(&identity),
            link_secret: h(&link_secret),
            code: h(&code_bytes),
            checksum: h(&checksum[..CHECKSUM_LEN]),
            text,
            device_list: h(list.as_bytes()),
            peers: peer_vectors,
            salt: h(&salt),
            hkdf_info: h(&info),
            aead_key: h(&okm.expose()[..32]),
            nonce: h(&okm.expose()[32..]),
            associated_data: h(&ad),
            payload: h(&payload.to_bytes()),
            message: h(&message),
        },
        payload,
        key,
    ))
}

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<LinkVectors, VectorError> {
    let (first, payload, account) = build(
        1,
        "a second device joins an account of one device, with three pinned peers",
        0x11a1,
        &[1],
        2,
        3,
    )?;
    let (second, _, _) = build(
        2,
        "a fourth device joins as id 7 between ids 3 and 9, no pinned peer",
        0x11a2,
        &[1, 3, 9],
        7,
        0,
    )?;
    let code = hex::decode(&first.code).map_err(|e| script_error(0, e))?;
    let message = hex::decode(&first.message).map_err(|e| script_error(0, e))?;
    let plain = payload.to_bytes().to_vec();
    let (seal_code, _) = pending_of(&first).map_err(|e| script_error(0, e))?;
    let identity = *seal_code.identity();
    let raw = |plaintext: &[u8]| -> Result<Vec<u8>, VectorError> {
        let (code, _) = pending_of(&first).map_err(|e| script_error(0, e))?;
        Ok(hazmat::seal_plaintext(
            code,
            plaintext,
            &mut ScriptedRng::new(vec![vec![0x5a; 16]]),
        ))
    };
    let mut negative: Vec<LinkNegative> = Vec::new();
    let mut push = |validation_id: &str,
                    comment: &str,
                    operation: &str,
                    input: &[u8],
                    input_text: &str,
                    expected: &str|
     -> Result<(), VectorError> {
        let case = LinkNegative {
            id: negative.len() + 1,
            validation_id: validation_id.into(),
            comment: comment.into(),
            operation: operation.into(),
            input: h(input),
            input_text: input_text.into(),
            expected_error: expected.into(),
        };
        match run_negative(&case, &first) {
            Ok(got) if got == expected => {}
            other => {
                return Err(script_error(
                    case.id,
                    format!("{validation_id} {comment}: expected {expected}, got {other:?}"),
                ));
            }
        }
        negative.push(case);
        Ok(())
    };
    let with = |f: &dyn Fn(&mut Vec<u8>), base: &[u8]| {
        let mut b = base.to_vec();
        f(&mut b);
        b
    };
    // Codes, bytes.
    push(
        "DEV-LK-01",
        "empty input",
        "code_bytes",
        &[],
        "",
        "CodeError::WrongTag",
    )?;
    push(
        "DEV-LK-01",
        "case 1's code with the link message's tag 0x1b",
        "code_bytes",
        &with(&|b| b[0] = wire::LINK_MESSAGE, &code),
        "",
        "CodeError::WrongTag",
    )?;
    push(
        "DEV-LK-02",
        "case 1's code without its last byte",
        "code_bytes",
        &code[..96],
        "",
        "CodeError::Truncated",
    )?;
    push(
        "DEV-LK-03",
        "case 1's code with one trailing zero byte",
        "code_bytes",
        &with(&|b| b.push(0), &code),
        "",
        "CodeError::TrailingBytes",
    )?;
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    push(
        "DEV-LK-04",
        "the identity's Ed25519 key y = 2 (not a point)",
        "code_bytes",
        &with(&|b| b[1..33].copy_from_slice(&not_a_point), &code),
        "",
        "CodeError::InvalidIdentity",
    )?;
    push(
        "DEV-LK-04",
        "the identity's X25519 key 0xff x 32 (not canonical)",
        "code_bytes",
        &with(&|b| b[33..65].fill(0xff), &code),
        "",
        "CodeError::InvalidIdentity",
    )?;
    // Codes, text.
    let text = first.text.clone();
    let replace_at = |at: usize, with: &str| format!("{}{with}{}", &text[..at], &text[at + 1..]);
    push(
        "DEV-LK-05",
        "case 1's text with its first symbol replaced by the letter O (not in the alphabet)",
        "code_text",
        &[],
        &replace_at(0, "O"),
        "CodeError::BadCharacter",
    )?;
    push(
        "DEV-LK-05",
        "case 1's text with a '+' at byte 5",
        "code_text",
        &[],
        &replace_at(5, "+"),
        "CodeError::BadCharacter",
    )?;
    push(
        "DEV-LK-06",
        "case 1's text without its last symbol",
        "code_text",
        &[],
        &text[..text.len() - 1],
        "CodeError::TextLength",
    )?;
    push(
        "DEV-LK-06",
        "case 1's text with one more symbol",
        "code_text",
        &[],
        &format!("{text}0"),
        "CodeError::TextLength",
    )?;
    let last = text.len() - 1;
    let bumped = ALPHABET[(ALPHABET
        .iter()
        .position(|&s| s == text.as_bytes()[last])
        .unwrap_or(0)
        + 1)
        % 32];
    push(
        "DEV-LK-07",
        "case 1's text with its last symbol changed (a typo in the checksum)",
        "code_text",
        &[],
        &replace_at(last, &char::from(bumped).to_string()),
        "CodeError::Checksum",
    )?;
    let mut swapped = text.clone().into_bytes();
    let at = (0..swapped.len() - 1)
        .find(|&i| swapped[i] != swapped[i + 1] && swapped[i] != b'-' && swapped[i + 1] != b'-')
        .unwrap_or(0);
    swapped.swap(at, at + 1);
    push(
        "DEV-LK-07",
        &format!(
            "case 1's text with the symbols at bytes {at} and {} swapped",
            at + 1
        ),
        "code_text",
        &[],
        &String::from_utf8_lossy(&swapped),
        "CodeError::Checksum",
    )?;
    // Messages.
    push(
        "DEV-LK-08",
        "case 1's message a second time, after it opened",
        "open_twice",
        &message,
        "",
        "LinkError::AlreadyUsed",
    )?;
    let (again, _) = pending_of(&first).map_err(|e| script_error(0, e))?;
    let second_message = link::seal(again, &payload, &mut ScriptedRng::new(vec![vec![0x77; 16]]))
        .map_err(|e| script_error(0, e))?;
    push(
        "DEV-LK-08",
        "a second message sealed under the same link secret (another salt), after case 1's opened",
        "open_twice",
        &second_message,
        "",
        "LinkError::AlreadyUsed",
    )?;
    push(
        "DEV-LK-09",
        "empty input",
        "open",
        &[],
        "",
        "LinkError::WrongTag",
    )?;
    push(
        "DEV-LK-09",
        "case 1's message with the link code's tag 0x1a",
        "open",
        &with(&|b| b[0] = wire::LINK_CODE, &message),
        "",
        "LinkError::WrongTag",
    )?;
    push(
        "DEV-LK-10",
        "the first 255 bytes of case 1's message (shorter than the shortest, 256)",
        "open",
        &message[..255],
        "",
        "LinkError::Truncated",
    )?;
    let mut long = vec![0u8; link::MAX_MESSAGE_LEN + 1];
    long[0] = wire::LINK_MESSAGE;
    push(
        "DEV-LK-10",
        "0x1b and 60732 zero bytes (one more than the longest message)",
        "open",
        &long,
        "",
        "LinkError::TooLong",
    )?;
    push(
        "DEV-LK-11",
        "case 2's message (another link secret and identity)",
        "open",
        &hex::decode(&second.message).map_err(|e| script_error(0, e))?,
        "",
        "LinkError::Authentication",
    )?;
    let other_secret = {
        let mut rng = ScriptedRng::new(vec![vec![0x33; 32]]);
        let (code, _) = LinkCode::generate(identity, &mut rng);
        link::seal(code, &payload, &mut ScriptedRng::new(vec![vec![0x5a; 16]]))
            .map_err(|e| script_error(0, e))?
    };
    push(
        "DEV-LK-11",
        "case 1's payload sealed for the same identity under another link secret (0x33 x 32)",
        "open",
        &other_secret,
        "",
        "LinkError::Authentication",
    )?;
    for (at, what) in [
        (1, "the first byte of the salt"),
        (17, "the first byte of the ciphertext"),
        (message.len() - 1, "the last byte of the tag"),
    ] {
        push(
            "DEV-LK-11",
            &format!("case 1's message with bit 0 of {what} flipped"),
            "open",
            &with(&|b| b[at] ^= 1, &message),
            "",
            "LinkError::Authentication",
        )?;
    }
    push(
        "DEV-LK-11",
        "case 1's message with a trailing zero byte",
        "open",
        &with(&|b| b.push(0), &message),
        "",
        "LinkError::Authentication",
    )?;
    let list_len = payload.list.as_bytes().len();
    let peers_at = 22 + list_len;
    let payload_cases: Vec<(&str, Vec<u8>, PayloadError)> = vec![
        (
            "the list length 2307 (the bytes end inside the list)",
            with(
                &|b| b[20..22].copy_from_slice(&2307u16.to_be_bytes()),
                &plain,
            ),
            PayloadError::Truncated,
        ),
        (
            "the list length 198 (shorter than a one-device list)",
            with(
                &|b| b[20..22].copy_from_slice(&198u16.to_be_bytes()),
                &plain,
            ),
            PayloadError::ListLength,
        ),
        (
            "the list length 2308",
            with(
                &|b| b[20..22].copy_from_slice(&2308u16.to_be_bytes()),
                &plain,
            ),
            PayloadError::ListLength,
        ),
        (
            "a peer count of 1025",
            with(
                &|b| b[peers_at..peers_at + 2].copy_from_slice(&1025u16.to_be_bytes()),
                &plain,
            ),
            PayloadError::TooManyPeers,
        ),
        (
            "the last byte of the last peer's version floor missing",
            plain[..plain.len() - 1].to_vec(),
            PayloadError::Truncated,
        ),
        (
            "a trailing zero byte after the last peer",
            with(&|b| b.push(0), &plain),
            PayloadError::TrailingBytes,
        ),
        (
            "the first peer's account key y = 2 (not a point)",
            with(
                &|b| b[peers_at + 18..peers_at + 50].copy_from_slice(&not_a_point),
                &plain,
            ),
            PayloadError::PeerKey,
        ),
        (
            "the first peer's verified flag 0x02",
            with(&|b| b[peers_at + 50] = 2, &plain),
            PayloadError::VerifiedFlag,
        ),
        (
            "the second peer with the first peer's account id",
            with(
                &|b| {
                    let first_id = b[peers_at + 2..peers_at + 18].to_vec();
                    let second = peers_at + 2 + sotto_devices::link::PEER_LEN;
                    b[second..second + 16].copy_from_slice(&first_id);
                },
                &plain,
            ),
            PayloadError::DuplicatePeer,
        ),
    ];
    for (comment, p, expected) in payload_cases {
        push(
            "DEV-LK-12",
            &format!("case 1's payload with {comment}, sealed correctly"),
            "open",
            &raw(&p)?,
            "",
            &link_name(LinkError::Payload(expected)),
        )?;
    }
    push(
        "DEV-LK-13",
        "case 1's payload with the last byte of the list's signature flipped, sealed correctly",
        "open",
        &raw(&with(&|b| b[peers_at - 1] ^= 1, &plain))?,
        "",
        &link_name(LinkError::DeviceList(DeviceListError::Signature)),
    )?;
    push(
        "DEV-LK-13",
        "case 1's payload with the list's tag 0x19, sealed correctly",
        "open",
        &raw(&with(&|b| b[22] = wire::SAFETY_NUMBER, &plain))?,
        "",
        &link_name(LinkError::DeviceList(DeviceListError::UnknownVersion(0x19))),
    )?;
    let other_account = with(&|b| b[0] ^= 1, &plain);
    push(
        "DEV-LK-14",
        "case 1's payload with bit 0 of the account id flipped, sealed correctly",
        "open",
        &raw(&other_account)?,
        "",
        "LinkError::AccountMismatch",
    )?;
    let primary_id = with(&|b| b[16..20].copy_from_slice(&1u32.to_be_bytes()), &plain);
    push(
        "DEV-LK-15",
        "case 1's payload assigning device id 1 (the primary's), sealed correctly",
        "open",
        &raw(&primary_id)?,
        "",
        "LinkError::NotInList",
    )?;
    let primary = payload.list.list().devices()[0];
    let sign = |entries: Vec<DeviceEntry>| -> Result<SignedDeviceList, VectorError> {
        Ok(
            DeviceList::new(payload.account_id, 2, super::handshake::NOW + 60, entries)
                .map_err(|e| script_error(0, e))?
                .sign(&account),
        )
    };
    let without = LinkPayload {
        list: sign(vec![primary])?,
        ..payload.clone()
    };
    push(
        "DEV-LK-15",
        "a payload whose list (signed by the account key) lacks the new device, sealed correctly",
        "open",
        &raw(&without.to_bytes())?,
        "",
        "LinkError::NotInList",
    )?;
    let twice = LinkPayload {
        list: sign(vec![
            primary,
            DeviceEntry::new(2, identity),
            DeviceEntry::new(3, identity),
        ])?,
        ..payload.clone()
    };
    push(
        "DEV-LK-16",
        "a payload whose list holds the new device's identity under ids 2 and 3, sealed correctly",
        "open",
        &raw(&twice.to_bytes())?,
        "",
        "LinkError::DuplicateIdentity",
    )?;
    // The primary's refusals.
    push(
        "DEV-LK-14",
        "seal: case 1's payload with another account id",
        "seal",
        &other_account,
        "",
        "SealError::AccountMismatch",
    )?;
    push(
        "DEV-LK-15",
        "seal: case 1's payload assigning device id 1",
        "seal",
        &primary_id,
        "",
        "SealError::NotInList",
    )?;
    push(
        "DEV-LK-16",
        "seal: a list with the new device under ids 2 and 3",
        "seal",
        &twice.to_bytes(),
        "",
        "SealError::DuplicateIdentity",
    )?;
    push(
        "DEV-LK-17",
        "check_not_listed: case 1's new list (which already holds the device) as the current list",
        "check_not_listed",
        payload.list.as_bytes(),
        "",
        "SealError::AlreadyListed",
    )?;
    Ok(LinkVectors {
        description: "Sotto/1 device linking (docs/protocol.md 8.3): link codes as bytes and \
                      text, the derived channel keys, payloads and link messages with every \
                      input; then inputs that are refused, with their validation IDs (the error \
                      names are this implementation's)."
            .into(),
        checksum_label: h(LINK_CODE_CHECKSUM),
        channel_label: h(LINK_CHANNEL),
        alphabet: String::from_utf8_lossy(ALPHABET).into_owned(),
        cases: vec![first, second],
        negative,
    })
}
