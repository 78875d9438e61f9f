//! The relay's answer to a refused request: a status and the JSON body
//! `{"error": "<code>", "message": "<text>"}` (docs/relay.md, "Errors").

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::storage::StorageError;

/// Why a request was refused. Each variant has a stable `code` (the `error` field of the body)
/// and a status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not `application/json` (415).
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    /// The body is larger than the endpoint's limit (413).
    #[error("the body is larger than this endpoint's limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not the JSON the endpoint reads (400).
    #[error("malformed JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A field decodes but is not valid (400).
    #[error("field `{field}`: {reason}")]
    BadField {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The account is not registered (404).
    #[error("unknown account")]
    UnknownAccount,
    /// No such route (404).
    #[error("no such endpoint")]
    NoRoute,
    /// The endpoint exists but not with this method (405).
    #[error("this endpoint does not take this method")]
    MethodNotAllowed,
    /// The device token is missing or unknown (401).
    #[error("missing or unknown device token")]
    Unauthorized,
    /// A registration proof or challenge did not verify (401).
    #[error("the registration proof or challenge did not verify")]
    BadProof,
    /// The presented access key does not match the recipient's verifier (401).
    #[error("the access key does not match the recipient's verifier")]
    AccessRefused,
    /// The authenticated device may not act on this resource (403).
    #[error("this device may not act on that account")]
    Forbidden,
    /// The device list is signed by another account key than the stored one (403).
    #[error("the device list is not signed by the account's key")]
    AccountKeyMismatch,
    /// The account already exists (409).
    #[error("the account already exists")]
    AccountExists,
    /// The device is already registered (409).
    #[error("the device is already registered")]
    DeviceExists,
    /// The device list is not newer than the stored one (409).
    #[error("the device list is not newer than the stored version {stored}")]
    StaleList {
        /// The stored list's version.
        stored: u64,
    },
    /// The devices addressed are not the account's listed devices (409).
    #[error("the devices addressed are not the recipient's listed devices")]
    StaleDevices {
        /// The recipient account, lower-case hex.
        account: String,
        /// Listed devices the request left out.
        missing: Vec<u32>,
        /// Devices the request named that are not listed.
        extra: Vec<u32>,
    },
    /// The device would hold more one-time bundles than the limit (409).
    #[error("too many one-time bundles for this device")]
    TooManyPrekeys,
    /// The relay's profile does not take this request (403): an identified send under
    /// `sotto`, a sealed send under `e2ee`, anything but `POST /v1/transport` for text under
    /// `transport`, a phone number under `sotto` is refused with `BadField`.
    #[error("this relay's profile ({profile}) does not take {what}")]
    ProfileRefuses {
        /// The profile's name.
        profile: &'static str,
        /// What it refused.
        what: &'static str,
    },
    /// The phone number is registered to another account (409).
    #[error("the phone number is registered")]
    PhoneExists,
    /// The device exceeded its request rate (429).
    #[error("rate limited")]
    RateLimited,
    /// The store failed; nothing was acknowledged (500 or 503).
    #[error("storage failure")]
    Storage(#[source] StorageError),
}

impl ApiError {
    /// The stable error code of the body's `error` field.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::Json(_) => "malformed_json",
            Self::BadField { .. } => "bad_field",
            Self::UnknownAccount => "unknown_account",
            Self::NoRoute => "no_route",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Unauthorized => "unauthorized",
            Self::BadProof => "bad_proof",
            Self::AccessRefused => "access_refused",
            Self::Forbidden => "forbidden",
            Self::AccountKeyMismatch => "account_key_mismatch",
            Self::AccountExists => "account_exists",
            Self::DeviceExists => "device_exists",
            Self::StaleList { .. } => "stale_list",
            Self::StaleDevices { .. } => "stale_devices",
            Self::TooManyPrekeys => "too_many_prekeys",
            Self::ProfileRefuses { .. } => "profile_refuses",
            Self::PhoneExists => "phone_exists",
            Self::RateLimited => "rate_limited",
            Self::Storage(_) => "storage",
        }
    }

    /// The HTTP status.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Json(_) | Self::BadField { .. } => StatusCode::BAD_REQUEST,
            Self::UnknownAccount | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unauthorized | Self::BadProof | Self::AccessRefused => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::AccountKeyMismatch | Self::ProfileRefuses { .. } => {
                StatusCode::FORBIDDEN
            }
            Self::AccountExists
            | Self::PhoneExists
            | Self::DeviceExists
            | Self::StaleList { .. }
            | Self::StaleDevices { .. }
            | Self::TooManyPrekeys => StatusCode::CONFLICT,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::Storage(StorageError::WriterGone) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A `BadField` error.
    #[must_use]
    pub const fn field(field: &'static str, reason: &'static str) -> Self {
        Self::BadField { field, reason }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::UnknownAccount => Self::UnknownAccount,
            StorageError::AccountExists => Self::AccountExists,
            StorageError::DeviceExists => Self::DeviceExists,
            StorageError::StaleList { stored } => Self::StaleList { stored },
            StorageError::AccountKeyMismatch => Self::AccountKeyMismatch,
            StorageError::AccessRefused => Self::AccessRefused,
            StorageError::StaleDevices {
                account,
                missing,
                extra,
            } => Self::StaleDevices {
                account: account.to_hex(),
                missing,
                extra,
            },
            StorageError::TooManyPrekeys => Self::TooManyPrekeys,
            StorageError::PhoneExists => Self::PhoneExists,
            other => Self::Storage(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::StaleDevices {
                account,
                missing,
                extra,
            } => json!({
                "error": self.code(),
                "message": self.to_string(),
                "account": account,
                "missing": missing,
                "extra": extra,
            }),
            // A storage failure's details stay in the relay; the client learns only that
            // nothing was acknowledged.
            _ => json!({ "error": self.code(), "message": self.to_string() }),
        };
        (status, axum::Json(body)).into_response()
    }
}
