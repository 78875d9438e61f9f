//! Target `relay_request`: the relay's request decoders (`sotto_relay::api`), which run on
//! every body a client or a stranger sends it. The first byte picks the endpoint; the rest
//! is the body (or the header or query value).

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_handshake::DeviceIdentity;
use sotto_relay::ApiError;
use sotto_relay::api::{self, MAX_ACK_IDS, PrekeyMode};

/// The selector bytes, one per decoder, in the order of [`relay_request`]'s dispatch.
pub const RELAY_ENDPOINTS: [&str; 11] = [
    "register",
    "device_list",
    "prekeys_replace",
    "prekeys_add",
    "access",
    "sealed_single",
    "sealed_multi",
    "ack",
    "transport",
    "identified",
    "wait",
];

/// The device identity the prekey decoders check bundles against (seed 0x5e1a).
pub fn relay_identity() -> DeviceIdentity {
    DeviceIdentity::generate(&mut StdRng::seed_from_u64(0x5e1a))
}

/// The access key the single-recipient sealed decoder reads from its header.
pub const RELAY_HEADER_KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";

/// Decodes `data[1..]` with the decoder `data[0]` selects (modulo the number of decoders).
/// A refusal must be a 4xx error, never a 5xx; an accepted input must satisfy its decoder's
/// postconditions. Returns whether it was accepted.
pub fn relay_request(data: &[u8]) -> bool {
    let Some((&selector, body)) = data.split_first() else {
        return false;
    };
    let identity = relay_identity().public();
    let result: Result<(), ApiError> = match usize::from(selector) % RELAY_ENDPOINTS.len() {
        0 => api::decode_registration(body).map(|r| {
            let entry = r
                .list
                .list()
                .device(r.device_id)
                .expect("device not in its list");
            assert!(entry.identity().ct_matches(&r.identity));
            assert!(r.prekeys.last_resort.is_some());
        }),
        1 => api::decode_device_list(body).map(|list| {
            assert!(!list.list().devices().is_empty());
        }),
        2 => api::decode_prekeys(body, PrekeyMode::Replace, &identity).map(|p| {
            assert!(p.last_resort.is_some());
        }),
        3 => api::decode_prekeys(body, PrekeyMode::Add, &identity).map(|p| {
            assert!(p.last_resort.is_none());
        }),
        4 => api::decode_access(body).map(|_| ()),
        5 | 6 => {
            let header =
                (usize::from(selector) % RELAY_ENDPOINTS.len() == 5).then_some(RELAY_HEADER_KEY);
            api::decode_sealed(body, header).map(|deliveries| {
                assert!(!deliveries.is_empty());
                for d in &deliveries {
                    assert!(!d.envelopes.is_empty());
                    assert!(
                        d.envelopes.windows(2).all(|w| w[0].0 < w[1].0),
                        "device ids not strictly increasing"
                    );
                    for (_, e) in &d.envelopes {
                        assert_eq!(e.first(), Some(&0x1f));
                    }
                }
                assert!(
                    deliveries.windows(2).all(|w| w[0].account != w[1].account),
                    "an account split in two"
                );
            })
        }
        7 => api::decode_ack(body).map(|ids| {
            assert!((1..=MAX_ACK_IDS).contains(&ids.len()));
        }),
        8 => api::decode_transport(body).map(|(_, text)| {
            assert!((1..=api::MAX_TRANSPORT_TEXT).contains(&text.len()));
        }),
        9 => {
            let sender = sotto_devices::AccountId::from_bytes([7; 16]);
            api::decode_identified(body, sender, 1).map(|(d, _trace)| {
                assert!(!d.envelopes.is_empty());
                assert!(d.envelopes.windows(2).all(|w| w[0].0 < w[1].0));
            })
        }
        _ => match std::str::from_utf8(body) {
            Ok(query) => api::decode_wait(Some(query), 30).map(|w| assert!(w <= 30)),
            Err(_) => Ok(()),
        },
    };
    match result {
        Ok(()) => true,
        Err(e) => {
            assert!(
                e.status().is_client_error(),
                "a decoder answered {}: {e}",
                e.status()
            );
            false
        }
    }
}
