//! Target `fan_out`: the decoder of fan-outs (protocol.md 8.5, type tag `0x1C`), which the
//! relay runs on every message a sender hands it.

use sotto_devices::FanOut;

/// Decodes `data` as a fan-out. An accepted input must re-encode to exactly `data`, and
/// building a fan-out from the decoded account and entries with [`FanOut::new`] (which runs
/// the same checks) must give the same value. Returns whether `data` was accepted.
pub fn fan_out(data: &[u8]) -> bool {
    match FanOut::from_bytes(data) {
        Ok(decoded) => {
            assert_eq!(
                decoded.to_bytes(),
                data,
                "re-encoding differs from the input"
            );
            let rebuilt = FanOut::new(decoded.account(), decoded.entries().to_vec())
                .expect("FanOut::new refused what from_bytes accepted");
            assert_eq!(rebuilt, decoded);
            for (id, message) in decoded.entries() {
                assert_eq!(decoded.message_for(*id), Some(message.as_slice()));
            }
            true
        }
        Err(_) => false,
    }
}
