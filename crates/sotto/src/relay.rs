//! The relay API as the client calls it: requests, answers, and their decoding.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sotto_devices::{AccountId, SignedDeviceList, StaleDevices};

use crate::error::ClientError;
use crate::transport::{Method, Request, Response, Transport};

/// How a request authenticates.
pub(crate) enum Auth<'a> {
    /// Not at all.
    None,
    /// With the device token (base64).
    Token(&'a str),
    /// With a recipient's access key (base64), for a sealed send.
    AccessKey(&'a str),
    /// With both: a sealed send to the device's own account, leaving the device out.
    TokenAndKey(&'a str, &'a str),
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub(crate) fn unb64(text: &str) -> Result<Vec<u8>, ClientError> {
    STANDARD
        .decode(text)
        .map_err(|_| ClientError::MalformedAnswer("base64"))
}

pub(crate) fn parse_account(text: &str) -> Result<AccountId, ClientError> {
    AccountId::from_hex(text).ok_or(ClientError::MalformedAnswer("account id"))
}

/// Sends one request; JSON body if `body` is given.
pub(crate) async fn call<T: Transport>(
    transport: &T,
    method: Method,
    path: String,
    auth: Auth<'_>,
    body: Option<serde_json::Value>,
) -> Result<Response, ClientError> {
    let mut headers = Vec::new();
    match auth {
        Auth::None => {}
        Auth::Token(t) => headers.push(("Authorization".to_owned(), format!("Bearer {t}"))),
        Auth::AccessKey(k) => headers.push(("Sotto-Access-Key".to_owned(), k.to_owned())),
        Auth::TokenAndKey(t, k) => {
            headers.push(("Authorization".to_owned(), format!("Bearer {t}")));
            headers.push(("Sotto-Access-Key".to_owned(), k.to_owned()));
        }
    }
    let body = match body {
        Some(v) => {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
            serde_json::to_vec(&v).map_err(|_| ClientError::MalformedAnswer("request"))?
        }
        None => Vec::new(),
    };
    Ok(transport
        .call(Request {
            method,
            path,
            headers,
            body,
        })
        .await?)
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// The relay's refusal of `response`, as a [`ClientError::Relay`].
pub(crate) fn refusal(response: &Response) -> ClientError {
    let code = serde_json::from_slice::<ErrorBody>(&response.body)
        .map(|e| e.error)
        .unwrap_or_default();
    ClientError::Relay {
        status: response.status,
        code,
    }
}

/// A 2xx answer decoded as `R`, or the refusal.
pub(crate) fn ok_json<R: DeserializeOwned>(response: &Response) -> Result<R, ClientError> {
    if !(200..300).contains(&response.status) {
        return Err(refusal(response));
    }
    serde_json::from_slice(&response.body).map_err(|_| ClientError::MalformedAnswer("JSON"))
}

#[derive(Deserialize)]
struct StaleBody {
    error: String,
    account: String,
    missing: Vec<u32>,
    extra: Vec<u32>,
}

/// A 409 `stale_devices` answer, if `response` is one.
pub(crate) fn stale(response: &Response) -> Option<StaleDevices> {
    if response.status != 409 {
        return None;
    }
    let body: StaleBody = serde_json::from_slice(&response.body).ok()?;
    if body.error != "stale_devices" {
        return None;
    }
    Some(StaleDevices {
        account: parse_account(&body.account).ok()?,
        missing: body.missing,
        extra: body.extra,
    })
}

#[derive(Deserialize)]
pub(crate) struct Challenge {
    pub(crate) challenge: String,
}

#[derive(Deserialize)]
pub(crate) struct Token {
    pub(crate) device_token: String,
}

#[derive(Deserialize)]
pub(crate) struct List {
    pub(crate) device_list: String,
}

#[derive(Deserialize)]
pub(crate) struct Bundles {
    pub(crate) bundles: Vec<DeviceBundle>,
}

#[derive(Deserialize)]
pub(crate) struct DeviceBundle {
    pub(crate) device_id: u32,
    pub(crate) bundle: String,
}

#[derive(Deserialize)]
pub(crate) struct Count {
    pub(crate) count: u32,
}

#[derive(Deserialize)]
pub(crate) struct Certificates {
    pub(crate) trust_root: String,
    pub(crate) server_certificates: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct Certificate {
    pub(crate) certificate: String,
}

#[derive(Deserialize)]
pub(crate) struct Messages {
    pub(crate) messages: Vec<MessageIn>,
}

#[derive(Deserialize)]
pub(crate) struct MessageIn {
    pub(crate) id: i64,
    pub(crate) envelope: String,
    #[serde(default)]
    pub(crate) identified: bool,
    /// A `transport` message: the plaintext and its sender, as the relay states them.
    #[serde(default)]
    pub(crate) text: Option<String>,
    #[serde(default)]
    pub(crate) sender: Option<String>,
    #[serde(default)]
    pub(crate) sender_device: Option<u32>,
}

/// `GET /v1/profile`.
#[derive(Deserialize)]
pub(crate) struct ProfileBody {
    pub(crate) profile: String,
    pub(crate) phone_required: bool,
    pub(crate) plaintext: bool,
    pub(crate) sealed: bool,
    pub(crate) identified: bool,
    pub(crate) trace: bool,
    pub(crate) header_encryption: bool,
}

/// Fetches and decodes `account`'s signed device list (its signature is checked by the
/// decoder; trust decides whether it is accepted).
pub(crate) async fn device_list<T: Transport>(
    transport: &T,
    account: AccountId,
) -> Result<SignedDeviceList, ClientError> {
    let response = call(
        transport,
        Method::Get,
        format!("/v1/accounts/{}/devices", account.to_hex()),
        Auth::None,
        None,
    )
    .await?;
    let list: List = ok_json(&response)?;
    SignedDeviceList::from_bytes(&unb64(&list.device_list)?)
        .map_err(|_| ClientError::MalformedAnswer("device list"))
}
