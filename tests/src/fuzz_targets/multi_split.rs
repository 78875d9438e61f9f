//! Target `multi_split`: `SentEnvelope::parse` (protocol.md 9.4, the relay's decoding of a
//! multi-recipient message) of arbitrary bytes, then the split, then the fixture recipient's
//! `open` of every envelope the split yields.

use std::sync::OnceLock;

use sotto_devices::AccountId;
use sotto_sealed::envelope;
use sotto_sealed::multi::{ENTRY_LEN, MAX_RECIPIENTS, SENT_HEADER_LEN, SentEnvelope};

use super::{CERTIFICATE_NOW, SealedFixture, sealed_fixture};

/// Parses `data`. A refusal must carry a SEAL-MR ID and be deterministic. An accepted message
/// must name 1 to `MAX_RECIPIENTS` recipients in strictly increasing order, split into as many
/// envelopes, each of the length 9.4 gives; an envelope the fixture recipient opens names the
/// fixture's sender (the entry's address is routing, not authenticated: a genuine entry under
/// another address still opens for the device it was sealed to). Returns how many envelopes
/// the fixture recipient opened.
pub fn multi_split(data: &[u8]) -> usize {
    static FIXTURE: OnceLock<SealedFixture> = OnceLock::new();
    let fixture = FIXTURE.get_or_init(sealed_fixture);
    let parsed = match SentEnvelope::parse(data) {
        Ok(parsed) => parsed,
        Err(err) => {
            assert_eq!(SentEnvelope::parse(data).unwrap_err(), err);
            assert!(err.id().starts_with("SEAL-MR-"), "{err:?}");
            return 0;
        }
    };
    let n = parsed.len();
    assert!((1..=MAX_RECIPIENTS).contains(&n));
    let recipients: Vec<(AccountId, u32)> = parsed.recipients().collect();
    assert_eq!(recipients.len(), n);
    assert!(
        recipients.windows(2).all(|w| w[0] < w[1]),
        "not strictly increasing"
    );
    assert!(parsed.envelope(n).is_none() && parsed.recipient(n).is_none());
    let content_len = data.len() - SENT_HEADER_LEN - n * ENTRY_LEN;
    let deliveries = parsed.split();
    assert_eq!(deliveries.len(), n);
    let mut opened = 0;
    for d in &deliveries {
        assert_eq!(
            d.envelope.len(),
            envelope::HEADER_LEN + envelope::WRAP_LEN + content_len
        );
        let result = envelope::open(
            &fixture.recipient,
            &fixture.certificates.store,
            CERTIFICATE_NOW,
            &d.envelope,
        );
        // The address an entry carries is routing, outside the cryptography: whoever builds
        // the message (or a relay) can put a genuine entry under any address, and the device
        // it was sealed to still opens it (and only that device: its layer 1). What must hold
        // is that whatever opens comes from the fixture's sender.
        if let Ok(opened_envelope) = result {
            assert_eq!(
                opened_envelope.sender.account_id(),
                AccountId::from_bytes([0xa1; 16])
            );
            assert!(
                opened_envelope
                    .sender
                    .identity()
                    .ct_matches(&fixture.sender.public())
            );
            opened += 1;
        }
    }
    opened
}
