//! Request limits: body sizes per endpoint, batch sizes, and the per-device rate limit.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use sotto_devices::AccountId;

/// Every limit the relay enforces (docs/relay.md, "Limits").
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Bodies of the small endpoints (device list, access verifier, acknowledgement).
    pub small_body: usize,
    /// Bodies of registration and prekey uploads.
    pub prekey_body: usize,
    /// Bodies of `POST /v1/sealed`.
    pub sealed_body: usize,
    /// Messages per `GET /v1/messages` answer.
    pub fetch_batch: usize,
    /// The longest long poll, in seconds.
    pub max_wait: u64,
    /// One-time bundles a device may hold.
    pub max_prekeys: u32,
    /// Authenticated requests per second per device, sustained.
    pub rate_per_second: f64,
    /// Authenticated requests a device may make in a burst.
    pub rate_burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            small_body: 64 * 1024,
            prekey_body: 1024 * 1024,
            // A maximal envelope (2^24 + 277 bytes) in base64, with room for the JSON.
            sealed_body: 23 * 1024 * 1024,
            fetch_batch: 100,
            max_wait: 30,
            max_prekeys: 10_000,
            rate_per_second: 1000.0,
            rate_burst: 2000.0,
        }
    }
}

/// A token bucket per device.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<(AccountId, u32), (f64, Instant)>>,
}

impl RateLimiter {
    /// A limiter refilling `per_second` tokens up to `burst`.
    #[must_use]
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for the device; false when its bucket is empty (answer 429).
    pub fn allow(&self, account: AccountId, device_id: u32) -> bool {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, last) = buckets
            .entry((account, device_id))
            .or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_second;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Forgets a revoked device's bucket.
    pub fn forget(&self, account: AccountId, device_id: u32) {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(account, device_id));
    }
}
