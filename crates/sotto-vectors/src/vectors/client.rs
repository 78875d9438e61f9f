//! `docs/vectors/client.json`: the client's end-to-end content (protocol.md 10.1) and its
//! state file (10.2), and the inputs their decoders must refuse (CLI-CT-01..CLI-CT-07,
//! CLI-ST-01..CLI-ST-04, in the order of the checks), each checked against this
//! implementation before it is written.

use serde::{Deserialize, Serialize};
use sotto::content::{self, CONTENT_VERSION};
use sotto::state::{STATE_VERSION, open_state_file, seal_state_file, state_key};
use sotto_crypto::{SecretBytes, aead, labels};
use sotto_sealed::access::{CONTENT_TYPE_MESSAGE, CONTENT_TYPE_PROFILE_KEY, ProfileKey};

use super::ratchet_negative::refusal;
use super::{VectorError, h, script_error};

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientVectors {
    /// Free text.
    pub description: String,
    /// `CONTENT_VERSION`.
    pub content_version: u8,
    /// The item kind of the text (`CONTENT_TYPE_MESSAGE`).
    pub kind_text: u8,
    /// The item kind of the profile-key share (`CONTENT_TYPE_PROFILE_KEY`).
    pub kind_share: u8,
    /// Texts, shares and their content.
    pub content: Vec<ContentVector>,
    /// `STATE_VERSION`.
    pub state_version: u8,
    /// The HKDF info of the state key, `CLIENT_STATE` (hex).
    pub state_label: String,
    /// Store keys, nonces and JSON, and their state files.
    pub state: Vec<StateVector>,
    /// Inputs the decoders refuse.
    pub negative: Vec<ClientNegative>,
}

/// One content encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentVector {
    /// What the case is.
    pub name: String,
    /// The text.
    pub text: String,
    /// The text's UTF-8 bytes (hex).
    pub text_utf8: String,
    /// The shared profile key (hex, 32 bytes), or empty when no share is carried.
    pub share_profile_key: String,
    /// The content bytes (hex).
    pub content: String,
}

/// One state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateVector {
    /// What the case is.
    pub name: String,
    /// The store key (hex, 32 bytes).
    pub store_key: String,
    /// `HKDF(salt absent, store key, CLIENT_STATE, 32)` (hex).
    pub state_key: String,
    /// The nonce (hex, 12 bytes; the client draws it at random for each write).
    pub nonce: String,
    /// `u8(STATE_VERSION) || CLIENT_STATE` (hex).
    pub associated_data: String,
    /// The JSON plaintext, as text.
    pub json: String,
    /// The file's bytes (hex).
    pub file: String,
}

/// An input a decoder refuses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientNegative {
    /// Case number, from 1.
    pub id: usize,
    /// The validation ID of protocol.md section 5.
    pub validation_id: String,
    /// What the input is.
    pub comment: String,
    /// `content` (decode `input` as content) or `state` (open `input` as a state file under
    /// the key of `store_key`).
    pub operation: String,
    /// The store key (hex) of a `state` case; empty for `content`.
    pub store_key: String,
    /// The bytes (hex).
    pub input: String,
    /// `ContentError::Variant` or `StateFileError::Variant`.
    pub expected_error: String,
}

/// The store key of the first state case and of the state negatives: 32 bytes of `0x5c`.
pub const STORE_KEY: [u8; 32] = [0x5c; 32];
/// The profile key of the cases with a share: 32 bytes of `0x3a`.
pub const PROFILE_KEY: [u8; 32] = [0x3a; 32];

/// Runs one negative case: the refusal's name, or what happened instead.
pub fn run_negative(case: &ClientNegative) -> Result<String, String> {
    let input = hex::decode(&case.input).map_err(|e| e.to_string())?;
    match case.operation.as_str() {
        "content" => refusal(content::decode(&input), "ContentError", "decoded"),
        "state" => {
            let store_key = hex::decode(&case.store_key).map_err(|e| e.to_string())?;
            let store_key =
                SecretBytes::<32>::from_slice(&store_key).ok_or("store key is not 32 bytes")?;
            refusal(
                open_state_file(&state_key(&store_key), &input),
                "StateFileError",
                "opened",
            )
        }
        other => Err(format!("unknown operation {other}")),
    }
}

fn profile_key() -> Result<ProfileKey, VectorError> {
    let mut share = vec![0x01];
    share.extend_from_slice(&PROFILE_KEY);
    ProfileKey::from_share(&share).map_err(|e| script_error(0, format!("{e:?}")))
}

fn item(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![kind];
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// The JSON of a freshly registered client.
pub const JSON_FRESH: &str = concat!(
    r#"{"token":"c290dG8gdmVjdG9yIHRva2VuOiAzMiBieXRlcyBvay4=","profile_key":"#,
    r#""3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b3b","#,
    r#""trust_root":"1010101010101010101010101010101010101010101010101010101010101010","#,
    r#""peers":{},"sealed_from":[],"pending_acks":[],"uploaded_prekey_max":100,"#,
    r#""signed_prekey_at":1767225600,"next_prekey_check":1767229200}"#
);

/// The JSON of a client with a peer, a sealed sender and unacknowledged messages; a linked
/// device that has not learnt its account's profile key yet.
pub const JSON_BUSY: &str = concat!(
    r#"{"token":"YnVzeSB2ZWN0b3IgdG9rZW4sIDMyIGJ5dGVzIGxvbmc=","profile_key":null,"#,
    r#""trust_root":"1010101010101010101010101010101010101010101010101010101010101010","#,
    r#""peers":{"a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1":"#,
    r#""3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a"},"#,
    r#""sealed_from":[["a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1",2]],"#,
    r#""pending_acks":[17,18,20],"uploaded_prekey_max":300,"#,
    r#""signed_prekey_at":1767225600,"next_prekey_check":1767312000}"#
);

/// Builds the file.
#[allow(clippy::too_many_lines)]
pub fn generate() -> Result<ClientVectors, VectorError> {
    let share = profile_key()?;
    let mut content_cases = Vec::new();
    for (name, text, with_share) in [
        ("text only", "hello", false),
        (
            "text with a profile-key share: the share item first",
            "hi Bob",
            true,
        ),
        ("empty text", "", false),
        (
            "non-ASCII UTF-8 text (2-, 3- and 4-byte sequences)",
            "été ✓ 🦀",
            false,
        ),
    ] {
        let bytes = content::encode(text, with_share.then_some(&share))
            .ok_or_else(|| script_error(content_cases.len(), "encode refused"))?;
        let back = content::decode(&bytes)
            .map_err(|e| script_error(content_cases.len(), format!("{e:?}")))?;
        if back.text != text
            || back.share.as_ref().map(|k| *k.expose()) != with_share.then_some(PROFILE_KEY)
        {
            return Err(script_error(content_cases.len(), "does not round-trip"));
        }
        content_cases.push(ContentVector {
            name: name.into(),
            text: text.into(),
            text_utf8: h(text.as_bytes()),
            share_profile_key: if with_share {
                h(&PROFILE_KEY)
            } else {
                String::new()
            },
            content: h(&bytes),
        });
    }

    let mut ad = vec![STATE_VERSION];
    ad.extend_from_slice(labels::CLIENT_STATE);
    let mut state_cases = Vec::new();
    for (name, store_key, nonce, json) in [
        (
            "a freshly registered client",
            STORE_KEY,
            [0x6e_u8; aead::NONCE_LEN],
            JSON_FRESH,
        ),
        (
            "a linked device with a peer, a sealed sender and unacknowledged messages",
            [0x5d; 32],
            [0x6f; aead::NONCE_LEN],
            JSON_BUSY,
        ),
    ] {
        let key = state_key(&SecretBytes::new(store_key));
        let file = seal_state_file(&key, &nonce, json.as_bytes());
        match open_state_file(&key, &file) {
            Ok(back) if back.as_slice() == json.as_bytes() => {}
            other => {
                return Err(script_error(
                    state_cases.len(),
                    format!("{name}: {:?}", other.err()),
                ));
            }
        }
        state_cases.push(StateVector {
            name: name.into(),
            store_key: h(&store_key),
            state_key: h(key.expose()),
            nonce: h(&nonce),
            associated_data: h(&ad),
            json: json.into(),
            file: h(&file),
        });
    }

    let mut negative: Vec<ClientNegative> = Vec::new();
    let mut push =
        |validation_id: &str, comment: &str, operation: &str, input: Vec<u8>, expected: &str| {
            let case = ClientNegative {
                id: negative.len() + 1,
                validation_id: validation_id.into(),
                comment: comment.into(),
                operation: operation.into(),
                store_key: if operation == "state" {
                    h(&STORE_KEY)
                } else {
                    String::new()
                },
                input: h(&input),
                expected_error: expected.into(),
            };
            match run_negative(&case) {
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
    let cat = |parts: &[&[u8]]| parts.concat();
    let text = |t: &[u8]| item(CONTENT_TYPE_MESSAGE, t);
    let mut share_payload = vec![0x01];
    share_payload.extend_from_slice(&PROFILE_KEY);
    let share_item = item(CONTENT_TYPE_PROFILE_KEY, &share_payload);
    let v = [CONTENT_VERSION];
    const C: &str = "content";
    const S: &str = "state";

    // CLI-CT-01.
    push(
        "CLI-CT-01",
        "empty input",
        C,
        vec![],
        "ContentError::UnknownVersion",
    )?;
    push(
        "CLI-CT-01",
        "version 0x02 before a valid text item",
        C,
        cat(&[&[0x02], &text(b"hi")]),
        "ContentError::UnknownVersion",
    )?;
    push(
        "CLI-CT-01",
        "a ratchet message's type tag 0x11 as the first byte",
        C,
        cat(&[&[0x11], &text(b"hi")]),
        "ContentError::UnknownVersion",
    )?;
    // CLI-CT-02.
    push(
        "CLI-CT-02",
        "a kind and 3 of its 4 length bytes",
        C,
        vec![0x01, 0x01, 0, 0, 0],
        "ContentError::Truncated",
    )?;
    push(
        "CLI-CT-02",
        "a text item whose length (5) runs past the end (2 bytes)",
        C,
        vec![0x01, 0x01, 0, 0, 0, 5, b'h', b'i'],
        "ContentError::Truncated",
    )?;
    push(
        "CLI-CT-02",
        "a length of 2^32 - 1",
        C,
        vec![0x01, 0x01, 0xff, 0xff, 0xff, 0xff, b'h'],
        "ContentError::Truncated",
    )?;
    push(
        "CLI-CT-02",
        "a valid content and one trailing 0x00 (a kind with no length)",
        C,
        cat(&[&v, &text(b"hi"), &[0]]),
        "ContentError::Truncated",
    )?;
    // CLI-CT-03.
    push(
        "CLI-CT-03",
        "kind 0x00",
        C,
        cat(&[&v, &item(0x00, b"")]),
        "ContentError::UnknownKind",
    )?;
    push(
        "CLI-CT-03",
        "kind 0x03 after a valid text item",
        C,
        cat(&[&v, &text(b"hi"), &item(0x03, b"x")]),
        "ContentError::UnknownKind",
    )?;
    // CLI-CT-04.
    push(
        "CLI-CT-04",
        "the text twice",
        C,
        cat(&[&v, &text(b"hi"), &text(b"hi")]),
        "ContentError::Order",
    )?;
    push(
        "CLI-CT-04",
        "the share after the text",
        C,
        cat(&[&v, &text(b"hi"), &share_item]),
        "ContentError::Order",
    )?;
    push(
        "CLI-CT-04",
        "the share twice",
        C,
        cat(&[&v, &share_item, &share_item, &text(b"hi")]),
        "ContentError::Order",
    )?;
    // CLI-CT-05.
    push(
        "CLI-CT-05",
        "a share payload of 32 bytes (no payload version)",
        C,
        cat(&[
            &v,
            &item(CONTENT_TYPE_PROFILE_KEY, &PROFILE_KEY),
            &text(b"hi"),
        ]),
        "ContentError::Share",
    )?;
    let mut share_v2 = share_payload.clone();
    share_v2[0] = 0x02;
    push(
        "CLI-CT-05",
        "a share payload of payload version 0x02",
        C,
        cat(&[&v, &item(CONTENT_TYPE_PROFILE_KEY, &share_v2), &text(b"hi")]),
        "ContentError::Share",
    )?;
    push(
        "CLI-CT-05",
        "a share payload with a trailing byte (34 bytes)",
        C,
        cat(&[
            &v,
            &item(CONTENT_TYPE_PROFILE_KEY, &cat(&[&share_payload, &[0]])),
            &text(b"hi"),
        ]),
        "ContentError::Share",
    )?;
    // CLI-CT-06.
    push(
        "CLI-CT-06",
        "text 0xff",
        C,
        cat(&[&v, &text(&[0xff])]),
        "ContentError::NotUtf8",
    )?;
    push(
        "CLI-CT-06",
        "text in an overlong encoding of U+0000 (0xc0 0x80)",
        C,
        cat(&[&v, &text(&[0xc0, 0x80])]),
        "ContentError::NotUtf8",
    )?;
    push(
        "CLI-CT-06",
        "text holding a surrogate (0xed 0xa0 0x80)",
        C,
        cat(&[&v, &text(&[0xed, 0xa0, 0x80])]),
        "ContentError::NotUtf8",
    )?;
    push(
        "CLI-CT-06",
        "text cut inside a 4-byte sequence",
        C,
        cat(&[&v, &text(&"🦀".as_bytes()[..3])]),
        "ContentError::NotUtf8",
    )?;
    // CLI-CT-07.
    push(
        "CLI-CT-07",
        "the version alone",
        C,
        v.to_vec(),
        "ContentError::NoText",
    )?;
    push(
        "CLI-CT-07",
        "a share and no text",
        C,
        cat(&[&v, &share_item]),
        "ContentError::NoText",
    )?;

    let key = state_key(&SecretBytes::new(STORE_KEY));
    let nonce = [0x6e_u8; aead::NONCE_LEN];
    let good = seal_state_file(&key, &nonce, JSON_FRESH.as_bytes());
    // CLI-ST-01.
    push(
        "CLI-ST-01",
        "empty input",
        S,
        vec![],
        "StateFileError::UnknownVersion",
    )?;
    push(
        "CLI-ST-01",
        "version 0x02, the rest of a valid file",
        S,
        cat(&[&[0x02], &good[1..]]),
        "StateFileError::UnknownVersion",
    )?;
    let old = cat(&[
        &[0x5a; aead::NONCE_LEN],
        &aead::seal(
            &key,
            &[0x5a; aead::NONCE_LEN],
            labels::CLIENT_STATE,
            JSON_FRESH.as_bytes(),
        ),
    ]);
    push(
        "CLI-ST-01",
        "the unversioned format of before (nonce || ciphertext || tag, the label as associated data)",
        S,
        old,
        "StateFileError::UnknownVersion",
    )?;
    // CLI-ST-02.
    push(
        "CLI-ST-02",
        "the version alone",
        S,
        vec![STATE_VERSION],
        "StateFileError::Truncated",
    )?;
    push(
        "CLI-ST-02",
        "28 bytes: one short of version, nonce and tag",
        S,
        good[..28].to_vec(),
        "StateFileError::Truncated",
    )?;
    // CLI-ST-03.
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    push(
        "CLI-ST-03",
        "a valid file with bit 0 of the tag's last byte flipped",
        S,
        flipped,
        "StateFileError::WrongKeyOrCorrupted",
    )?;
    let mut flipped = good.clone();
    flipped[1] ^= 0x80;
    push(
        "CLI-ST-03",
        "a valid file with bit 7 of the nonce's first byte flipped",
        S,
        flipped,
        "StateFileError::WrongKeyOrCorrupted",
    )?;
    let other = seal_state_file(
        &state_key(&SecretBytes::new([0x5d; 32])),
        &nonce,
        JSON_FRESH.as_bytes(),
    );
    push(
        "CLI-ST-03",
        "a file sealed under another store key (32 bytes of 0x5d)",
        S,
        other,
        "StateFileError::WrongKeyOrCorrupted",
    )?;
    push(
        "CLI-ST-03",
        "exactly 29 bytes: an empty ciphertext and a zero tag",
        S,
        cat(&[&[STATE_VERSION], &nonce, &[0; aead::TAG_LEN]]),
        "StateFileError::WrongKeyOrCorrupted",
    )?;
    // CLI-ST-04.
    for (comment, json) in [
        (
            "an authentic empty JSON object (every field missing)",
            "{}".to_string(),
        ),
        (
            "an authentic plaintext that is not JSON",
            "not json".to_string(),
        ),
        (
            "an authentic state with an unknown field",
            JSON_FRESH.replace("\"peers\"", "\"extra\":1,\"peers\""),
        ),
        (
            "an authentic state with pending_acks as a string",
            JSON_FRESH.replace("\"pending_acks\":[]", "\"pending_acks\":\"\""),
        ),
        (
            "an authentic state followed by trailing data",
            format!("{JSON_FRESH} x"),
        ),
    ] {
        push(
            "CLI-ST-04",
            comment,
            S,
            seal_state_file(&key, &nonce, json.as_bytes()),
            "StateFileError::Malformed",
        )?;
    }

    Ok(ClientVectors {
        description:
            "The client's end-to-end content (protocol.md 10.1) and its state file (10.2): \
            encodings, and inputs each decoder refuses with the ID of the first failing check"
                .into(),
        content_version: CONTENT_VERSION,
        kind_text: CONTENT_TYPE_MESSAGE,
        kind_share: CONTENT_TYPE_PROFILE_KEY,
        content: content_cases,
        state_version: STATE_VERSION,
        state_label: h(labels::CLIENT_STATE),
        state: state_cases,
        negative,
    })
}

/// The file's text.
pub fn render() -> Result<String, VectorError> {
    let mut text = serde_json::to_string_pretty(&generate()?)?;
    text.push('\n');
    Ok(text)
}
