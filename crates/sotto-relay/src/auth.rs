//! Device authentication (docs/relay.md, "Authentication").
//!
//! A device proves once, at registration, that it holds the identity its account's signed
//! device list names: it signs `RELAY_REGISTRATION || challenge || account_id ||
//! u32be(device_id)` with the identity's Ed25519 key over a fresh single-use challenge. The
//! relay answers with a **device token**, 32 random bytes, and stores only their SHA-256.
//! Every later request carries `Authorization: Bearer <base64 token>`.
//!
//! Why a token and not a signature per request: at 5 000 messages per second a signature
//! check per request (about 31 us each here) would cost a core's sixth on verification
//! alone, and each would need a fresh challenge round trip or a replay window; a token costs
//! one SHA-256 and one indexed look-up. The token is as strong (256 bits, unguessable) and a
//! stolen database yields no tokens, only their hashes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use sotto_crypto::SecretBytes;
use sotto_crypto::hash::sha256_concat;
use sotto_crypto::labels::RELAY_REGISTRATION;
use sotto_devices::AccountId;

use crate::api::{CHALLENGE_LEN, unb64};
use crate::error::ApiError;

/// How long a challenge stays valid.
pub const CHALLENGE_LIFETIME: Duration = Duration::from_secs(60);
/// The most challenges outstanding at once; past it the oldest expire first.
pub const MAX_CHALLENGES: usize = 10_000;

/// The bytes a registration proof signs.
#[must_use]
pub fn registration_message(
    challenge: &[u8; CHALLENGE_LEN],
    account: AccountId,
    device_id: u32,
) -> Vec<u8> {
    let mut m = Vec::with_capacity(RELAY_REGISTRATION.len() + CHALLENGE_LEN + 16 + 4);
    m.extend_from_slice(RELAY_REGISTRATION);
    m.extend_from_slice(challenge);
    m.extend_from_slice(&account.to_bytes());
    m.extend_from_slice(&device_id.to_be_bytes());
    m
}

/// A fresh device token: 32 bytes from the operating system's generator, and its hash.
#[must_use]
pub fn new_token() -> (SecretBytes<32>, [u8; 32]) {
    let token = SecretBytes::<32>::random(&mut rand::rng());
    let hash = token_hash(token.expose());
    (token, hash)
}

/// What the relay stores of a token.
#[must_use]
pub fn token_hash(token: &[u8]) -> [u8; 32] {
    sha256_concat(&[token])
}

/// The token hash of a request's `Authorization: Bearer <base64>` header.
pub fn bearer_hash(headers: &HeaderMap) -> Result<[u8; 32], ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?
        .to_str()
        .map_err(|_| ApiError::Unauthorized)?;
    let token = value
        .strip_prefix("Bearer ")
        .ok_or(ApiError::Unauthorized)?;
    let bytes = unb64("Authorization", token).map_err(|_| ApiError::Unauthorized)?;
    if bytes.len() != 32 {
        return Err(ApiError::Unauthorized);
    }
    Ok(token_hash(&bytes))
}

/// Outstanding challenges, in memory only: single use, expiring.
#[derive(Debug, Default)]
pub struct Challenges {
    issued: Mutex<HashMap<[u8; CHALLENGE_LEN], Instant>>,
}

impl Challenges {
    /// Issues a fresh challenge.
    pub fn issue(&self) -> [u8; CHALLENGE_LEN] {
        let challenge = *SecretBytes::<CHALLENGE_LEN>::random(&mut rand::rng()).expose();
        let now = Instant::now();
        let mut issued = self
            .issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        issued.retain(|_, at| now.duration_since(*at) < CHALLENGE_LIFETIME);
        if issued.len() >= MAX_CHALLENGES
            && let Some(oldest) = issued.iter().min_by_key(|(_, at)| **at).map(|(c, _)| *c)
        {
            issued.remove(&oldest);
        }
        issued.insert(challenge, now);
        challenge
    }

    /// Consumes `challenge`: true if it was issued less than 60 s ago and not used.
    pub fn consume(&self, challenge: &[u8; CHALLENGE_LEN]) -> bool {
        let mut issued = self
            .issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        issued
            .remove(challenge)
            .is_some_and(|at| at.elapsed() < CHALLENGE_LIFETIME)
    }
}
