//! Hazardous material: access to the intermediate secrets of a ratchet step.
//!
//! Enabled by the `hazmat-trace` feature, for generating and checking test vectors. Nothing
//! here is needed to use a session, and everything here defeats forward secrecy if it is
//! kept: do not enable the feature in a product.

use sotto_crypto::CryptoRng;

pub use crate::trace::StepTrace;
use crate::{DecryptError, EncryptError, Message, Session};

impl Session {
    /// [`Session::encrypt`], also returning every intermediate value.
    pub fn encrypt_with_trace<R: CryptoRng + ?Sized>(
        &mut self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<(Message, StepTrace), EncryptError> {
        let mut trace = StepTrace::default();
        let message = self.encrypt_traced(plaintext, rng, Vec::new(), Some(&mut trace))?;
        Ok((message, trace))
    }

    /// [`Session::decrypt`], also returning every intermediate value.
    pub fn decrypt_with_trace(
        &mut self,
        message: &Message,
    ) -> Result<(Vec<u8>, StepTrace), DecryptError> {
        let mut trace = StepTrace::default();
        let mut plaintext = Vec::new();
        self.decrypt_traced(message, &mut plaintext, Some(&mut trace))?;
        Ok((plaintext, trace))
    }
}

impl Session {
    /// The plaintext state that [`Session::pickle`] encrypts, for pickle vectors.
    pub fn pickle_state(&self) -> Vec<u8> {
        self.encode_state().to_vec()
    }
}
