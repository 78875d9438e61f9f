//! Hazardous material: the intermediate secrets of a handshake, for test vectors.
//!
//! Enabled by the `hazmat-trace` feature. Do not enable it in a product.

use sotto_crypto::CryptoRng;

use crate::handshake::{initiate_traced, respond_traced};
use crate::identity::{DeviceIdentity, DeviceIdentityKey};
pub use crate::trace::HandshakeTrace;
use crate::{
    HandshakeConfig, HandshakeError, InitialMessage, Initiation, PrekeyStore, Response,
    VerifiedBundle,
};

/// [`crate::initiate`], also returning every intermediate value.
pub fn initiate_with_trace<R: CryptoRng + ?Sized>(
    identity: &DeviceIdentity,
    bundle: &VerifiedBundle,
    expected_responder: &DeviceIdentityKey,
    first_plaintext: &[u8],
    config: &HandshakeConfig,
    rng: &mut R,
) -> Result<(Initiation, HandshakeTrace), HandshakeError> {
    let mut trace = HandshakeTrace::default();
    let out = initiate_traced(
        identity,
        bundle,
        expected_responder,
        first_plaintext,
        config,
        rng,
        Some(&mut trace),
    )?;
    Ok((out, trace))
}

/// [`crate::respond`], also returning every intermediate value.
pub fn respond_with_trace<S: PrekeyStore + ?Sized>(
    store: &mut S,
    message: &InitialMessage,
    expected_initiator: &DeviceIdentityKey,
    config: &HandshakeConfig,
) -> Result<(Response, HandshakeTrace), HandshakeError> {
    let mut trace = HandshakeTrace::default();
    let out = respond_traced(store, message, expected_initiator, config, Some(&mut trace))?;
    Ok((out, trace))
}
