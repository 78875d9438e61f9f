//! Contact cards (protocol.md 10.4): an account id and its profile key as text, handed to a
//! contact out of band so that the first message to the account can be sealed.

use sotto_crypto::SecretBytes;
use sotto_devices::AccountId;
use sotto_sealed::access::ProfileKey;
use zeroize::Zeroizing;

use crate::error::ClientError;

/// A card's length: 32 hex digits, `.`, 64 hex digits.
pub const CONTACT_CARD_LEN: usize = 97;

/// The card of `account` with profile key `key`: `lower_hex(account) || "." ||
/// lower_hex(key)`. It holds the key, so it is wiped on drop.
#[must_use]
pub fn encode(account: AccountId, key: &ProfileKey) -> Zeroizing<String> {
    let key_hex = Zeroizing::new(hex::encode(key.expose()));
    let mut card = Zeroizing::new(String::with_capacity(CONTACT_CARD_LEN));
    card.push_str(&account.to_hex());
    card.push('.');
    card.push_str(&key_hex);
    card
}

/// Reads a card: exactly 32 lower-case hex digits, `.`, 64 lower-case hex digits (one
/// spelling per card). Anything else is `BadContactCard`.
pub fn decode(card: &str) -> Result<(AccountId, ProfileKey), ClientError> {
    let lower_hex = |s: &str, len: usize| {
        s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    let (account, key) = card.split_once('.').ok_or(ClientError::BadContactCard)?;
    if !lower_hex(account, 32) || !lower_hex(key, 64) {
        return Err(ClientError::BadContactCard);
    }
    let account = AccountId::from_hex(account).ok_or(ClientError::BadContactCard)?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(key, bytes.as_mut_slice()).map_err(|_| ClientError::BadContactCard)?;
    Ok((account, ProfileKey::from_bytes(SecretBytes::new(*bytes))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_round_trips_and_other_spellings_are_refused() {
        let account = AccountId::from_bytes(core::array::from_fn(|i| i as u8));
        let key = ProfileKey::from_bytes(SecretBytes::new([0x3a; 32]));
        let card = encode(account, &key);
        // protocol.md 10.4's example.
        assert_eq!(
            card.as_str(),
            format!("000102030405060708090a0b0c0d0e0f.{}", "3a".repeat(32))
        );
        assert_eq!(card.len(), CONTACT_CARD_LEN);
        let (a, k) = decode(&card).unwrap();
        assert_eq!((a, k.expose()), (account, &[0x3a; 32]));
        for bad in [
            card.to_uppercase(),
            card.replacen('a', "A", 1),
            card.replace('.', ""),
            format!("{}.", card.as_str()),
            format!("{} ", card.as_str()),
            card[1..].to_owned(),
            card.replace('.', ".."),
            String::new(),
        ] {
            assert!(
                matches!(decode(&bad), Err(ClientError::BadContactCard)),
                "{bad}"
            );
        }
    }
}
