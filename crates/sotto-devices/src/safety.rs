//! Safety numbers: derived from both account keys (`docs/protocol.md` 8.2).
//!
//! Each side of a conversation has a **fingerprint**, an iterated SHA-512 of its account key
//! and account id:
//!
//! ```text
//! d_1 = SHA-512(SAFETY_NUMBER label [21] || VERSION (0x01) || account key [32] || account id [16])
//! d_i = SHA-512(d_{i-1} || account key)        for i = 2 ..= ITERATIONS (5200)
//! fingerprint = d_5200[0..32]
//! ```
//!
//! Its first 30 bytes, as 6 chunks of 5 bytes, each read big-endian and reduced mod 100000,
//! give 30 decimal digits. The safety number is the two sides' 30 digits, the side whose
//! fingerprint is smaller as bytes first, so both people see the same 60 digits; it is shown
//! as 12 groups of 5 digits. The byte form for a QR code is
//! `0x19 || 0x01 || shower's own fingerprint [32] || shower's peer fingerprint [32]`, and
//! [`SafetyNumber::compare`] says which side differs when a scan does not match.
//!
//! **Iteration count.** 5200, Signal's published count for its SHA-512 fingerprints. The
//! iterations make each guess of an attacker who searches for an account key whose 30 digits
//! equal a victim's (about 2^99.7 guesses for one side) cost 5200 SHA-512 compressions instead
//! of one, about 2^12.3 times more (so about 2^112 compressions in all); for an honest client
//! it is two derivations of a few milliseconds each, once per peer when the number is shown.
//! Taking Signal's count keeps the margin equal to Signal's and makes the cost comparable to
//! it one to one.

use core::cmp::Ordering;
use core::fmt;

use sotto_crypto::hash::sha512_concat;
use sotto_crypto::{ct_eq, labels, wire};

use crate::{AccountId, AccountPublicKey};

/// The version byte: in the first hash input and as the second byte of the byte form.
pub const VERSION: u8 = 0x01;
/// SHA-512 iterations per side (Signal's published count; see the module docs).
pub const ITERATIONS: u32 = 5200;
/// Length of a fingerprint (one side) in bytes.
pub const FINGERPRINT_LEN: usize = 32;
/// Length of the byte form: tag, version and two fingerprints.
pub const BYTE_FORM_LEN: usize = 2 + 2 * FINGERPRINT_LEN;
/// Decimal digits per side.
pub const DIGITS_PER_SIDE: usize = 30;
/// Decimal digits of a safety number.
pub const DIGITS: usize = 2 * DIGITS_PER_SIDE;

/// One side's fingerprint: the first 32 bytes of the iterated hash of its account key and
/// account id. Public data; equality is constant time.
#[derive(Clone)]
pub struct Fingerprint([u8; FINGERPRINT_LEN]);

impl Fingerprint {
    /// The fingerprint of `account_key` and `account_id` (the derivation of the module docs).
    #[must_use]
    pub fn derive(account_key: &AccountPublicKey, account_id: &AccountId) -> Self {
        let key = account_key.to_bytes();
        let id = account_id.to_bytes();
        let mut digest = sha512_concat(&[labels::SAFETY_NUMBER, &[VERSION], &key, &id]);
        for _ in 1..ITERATIONS {
            digest = sha512_concat(&[&digest, &key]);
        }
        let mut out = [0u8; FINGERPRINT_LEN];
        out.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        Self(out)
    }

    /// Wraps 32 bytes (as read from a byte form).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; FINGERPRINT_LEN]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; FINGERPRINT_LEN] {
        &self.0
    }

    /// The 30 digits of this side: bytes 0..30 as 6 chunks of 5 bytes, each big-endian mod
    /// 100000, written as 5 decimal digits with leading zeros.
    #[must_use]
    pub fn digits(&self) -> String {
        let mut out = String::with_capacity(DIGITS_PER_SIDE);
        for chunk in self.0[..DIGITS_PER_SIDE].chunks_exact(5) {
            let value = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            out.push_str(&format!("{:05}", value % 100_000));
        }
        out
    }
}

impl PartialEq for Fingerprint {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl Eq for Fingerprint {}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", hex_string(&self.0))
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The safety number of a conversation, as the local device computes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetyNumber {
    local: Fingerprint,
    remote: Fingerprint,
}

impl SafetyNumber {
    /// Derives both fingerprints: this device's account (`local_*`) and the peer's
    /// (`remote_*`). The displayed number does not depend on which side is which.
    #[must_use]
    pub fn derive(
        local_key: &AccountPublicKey,
        local_account: &AccountId,
        remote_key: &AccountPublicKey,
        remote_account: &AccountId,
    ) -> Self {
        Self::from_fingerprints(
            Fingerprint::derive(local_key, local_account),
            Fingerprint::derive(remote_key, remote_account),
        )
    }

    /// A safety number from fingerprints already derived.
    #[must_use]
    pub const fn from_fingerprints(local: Fingerprint, remote: Fingerprint) -> Self {
        Self { local, remote }
    }

    /// This device's account's fingerprint.
    #[must_use]
    pub const fn local(&self) -> &Fingerprint {
        &self.local
    }

    /// The peer account's fingerprint.
    #[must_use]
    pub const fn remote(&self) -> &Fingerprint {
        &self.remote
    }

    /// The 60 digits, without separators: the 30 digits of the side whose fingerprint is
    /// smaller (lexicographically, as 32 bytes) first. Equal fingerprints give the same
    /// digits in either order.
    #[must_use]
    pub fn digits(&self) -> String {
        let (first, second) = match self.local.0.cmp(&self.remote.0) {
            Ordering::Greater => (&self.remote, &self.local),
            Ordering::Less | Ordering::Equal => (&self.local, &self.remote),
        };
        let mut out = first.digits();
        out.push_str(&second.digits());
        out
    }

    /// The 60 digits as 12 groups of 5, separated by single spaces (71 characters).
    #[must_use]
    pub fn display(&self) -> String {
        let digits = self.digits();
        let groups: Vec<&str> = (0..DIGITS / 5).map(|i| &digits[5 * i..5 * i + 5]).collect();
        groups.join(" ")
    }

    /// The byte form this device shows as a QR code:
    /// `0x19 || VERSION || local fingerprint [32] || remote fingerprint [32]`.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; BYTE_FORM_LEN] {
        ScannedSafetyNumber {
            own: self.local.clone(),
            peer: self.remote.clone(),
        }
        .to_bytes()
    }

    /// Compares a byte form scanned from the peer's screen with this computation. The peer
    /// shows its own fingerprint first: it must equal our `remote`, and the peer's view of
    /// us must equal our `local`.
    #[must_use]
    pub fn compare(&self, scanned: &ScannedSafetyNumber) -> Comparison {
        let remote_same = scanned.own == self.remote;
        let local_same = scanned.peer == self.local;
        match (local_same, remote_same) {
            (true, true) => Comparison::Match,
            (false, true) => Comparison::LocalSideDiffers,
            (true, false) => Comparison::RemoteSideDiffers,
            (false, false) => Comparison::BothDiffer,
        }
    }

    /// Decodes `scanned` ([`ScannedSafetyNumber::from_bytes`]) and compares it.
    pub fn compare_bytes(&self, scanned: &[u8]) -> Result<Comparison, DecodeError> {
        ScannedSafetyNumber::from_bytes(scanned).map(|s| self.compare(&s))
    }
}

/// The result of comparing a scanned safety number with the local computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Comparison {
    /// Both fingerprints agree: the caller may mark the peer verified.
    Match,
    /// The peer's device sees a different key or account id for *our* account than ours.
    LocalSideDiffers,
    /// The peer's own fingerprint differs from the one we derived for the peer: the key we
    /// hold for them is not theirs.
    RemoteSideDiffers,
    /// Neither fingerprint agrees.
    BothDiffer,
}

/// A decoded byte form, as scanned from the peer's screen: the shower's own fingerprint and
/// the shower's fingerprint of its peer (us).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedSafetyNumber {
    own: Fingerprint,
    peer: Fingerprint,
}

/// A byte form was refused. The checks run in the order of the variants (protocol.md 8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// DEV-SN-01: the first byte is not the safety number's type tag `0x19` (empty input
    /// counts as `0x00`).
    #[error("not a safety number: first byte {0:#04x}")]
    WrongTag(u8),
    /// DEV-SN-02: fewer than 66 bytes.
    #[error("safety number truncated: {0} bytes")]
    Truncated(usize),
    /// DEV-SN-03: the second byte is not the version `0x01`.
    #[error("unknown safety number version {0:#04x}")]
    UnknownVersion(u8),
    /// DEV-SN-04: more than 66 bytes.
    #[error("{0} trailing bytes after the safety number")]
    TrailingBytes(usize),
}

impl ScannedSafetyNumber {
    /// Decodes exactly [`BYTE_FORM_LEN`] bytes: tag (DEV-SN-01), length (DEV-SN-02), version
    /// (DEV-SN-03), no trailing bytes (DEV-SN-04), in this order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let tag = bytes.first().copied().unwrap_or(0);
        if tag != wire::SAFETY_NUMBER {
            return Err(DecodeError::WrongTag(tag));
        }
        if bytes.len() < BYTE_FORM_LEN {
            return Err(DecodeError::Truncated(bytes.len()));
        }
        if bytes[1] != VERSION {
            return Err(DecodeError::UnknownVersion(bytes[1]));
        }
        if bytes.len() > BYTE_FORM_LEN {
            return Err(DecodeError::TrailingBytes(bytes.len() - BYTE_FORM_LEN));
        }
        let mut own = [0u8; FINGERPRINT_LEN];
        let mut peer = [0u8; FINGERPRINT_LEN];
        own.copy_from_slice(&bytes[2..2 + FINGERPRINT_LEN]);
        peer.copy_from_slice(&bytes[2 + FINGERPRINT_LEN..]);
        Ok(Self {
            own: Fingerprint(own),
            peer: Fingerprint(peer),
        })
    }

    /// The shower's own fingerprint (bytes 2..34).
    #[must_use]
    pub const fn own(&self) -> &Fingerprint {
        &self.own
    }

    /// The shower's fingerprint of its peer (bytes 34..66).
    #[must_use]
    pub const fn peer(&self) -> &Fingerprint {
        &self.peer
    }

    /// The 66 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; BYTE_FORM_LEN] {
        let mut out = [0u8; BYTE_FORM_LEN];
        out[0] = wire::SAFETY_NUMBER;
        out[1] = VERSION;
        out[2..2 + FINGERPRINT_LEN].copy_from_slice(&self.own.0);
        out[2 + FINGERPRINT_LEN..].copy_from_slice(&self.peer.0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sotto_crypto::SecretBytes;

    fn key(seed: u8) -> AccountPublicKey {
        crate::AccountKey::from_seed(SecretBytes::new([seed; 32])).public()
    }

    const ALICE: AccountId = AccountId::from_bytes([0xa1; 16]);
    const BOB: AccountId = AccountId::from_bytes([0xb0; 16]);

    fn alice_view() -> SafetyNumber {
        SafetyNumber::derive(&key(1), &ALICE, &key(2), &BOB)
    }

    fn bob_view() -> SafetyNumber {
        SafetyNumber::derive(&key(2), &BOB, &key(1), &ALICE)
    }

    #[test]
    fn both_sides_compute_the_same_number() {
        let (a, b) = (alice_view(), bob_view());
        assert_eq!(a.digits(), b.digits());
        assert_eq!(a.display(), b.display());
        assert_eq!(a.local(), b.remote());
        assert_eq!(a.remote(), b.local());
        assert_eq!(
            a.compare(&ScannedSafetyNumber::from_bytes(&b.to_bytes()).unwrap()),
            Comparison::Match
        );
        assert_eq!(b.compare_bytes(&a.to_bytes()), Ok(Comparison::Match));
    }

    #[test]
    fn a_change_of_key_or_account_id_changes_exactly_that_half() {
        let base = alice_view();
        let base_halves = [base.local().digits(), base.remote().digits()];
        let variants = [
            (SafetyNumber::derive(&key(3), &ALICE, &key(2), &BOB), 0),
            (
                SafetyNumber::derive(&key(1), &AccountId::from_bytes([0xa2; 16]), &key(2), &BOB),
                0,
            ),
            (SafetyNumber::derive(&key(1), &ALICE, &key(4), &BOB), 1),
            (
                SafetyNumber::derive(&key(1), &ALICE, &key(2), &AccountId::from_bytes([0xb1; 16])),
                1,
            ),
        ];
        for (variant, changed) in variants {
            let halves = [variant.local().digits(), variant.remote().digits()];
            assert_ne!(halves[changed], base_halves[changed]);
            assert_eq!(halves[1 - changed], base_halves[1 - changed]);
            assert_ne!(variant.digits(), base.digits());
            // The displayed number is the two halves, whichever order they take.
            let digits = variant.digits();
            assert!(
                digits == format!("{}{}", halves[0], halves[1])
                    || digits == format!("{}{}", halves[1], halves[0])
            );
        }
    }

    #[test]
    fn the_smaller_fingerprint_comes_first() {
        let n = alice_view();
        let (small, large) = if n.local().as_bytes() < n.remote().as_bytes() {
            (n.local(), n.remote())
        } else {
            (n.remote(), n.local())
        };
        assert_eq!(n.digits(), format!("{}{}", small.digits(), large.digits()));
        // A conversation with oneself (same key and id): the same digits twice.
        let own = SafetyNumber::derive(&key(1), &ALICE, &key(1), &ALICE);
        assert_eq!(own.digits()[..30], own.digits()[30..]);
    }

    #[test]
    fn displayed_format_is_12_groups_of_5_digits() {
        let n = alice_view();
        assert_eq!(n.digits().len(), DIGITS);
        assert!(n.digits().bytes().all(|c| c.is_ascii_digit()));
        let shown = n.display();
        assert_eq!(shown.len(), 71);
        let groups: Vec<&str> = shown.split(' ').collect();
        assert_eq!(groups.len(), 12);
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 5 && g.bytes().all(|c| c.is_ascii_digit()))
        );
        assert_eq!(groups.concat(), n.digits());
    }

    #[test]
    fn digit_encoding_is_big_endian_chunks_mod_100000() {
        let mut bytes = [0u8; 32];
        // Chunk 0: 0x00000186a0 = 100000 -> 00000; chunk 1: 0x000001869f = 99999;
        // chunk 2: 0xffffffffff = 1099511627775 -> 27775; chunk 3: 0x0000000001 = 1.
        bytes[..20].copy_from_slice(&[
            0, 0, 1, 0x86, 0xa0, 0, 0, 1, 0x86, 0x9f, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1,
        ]);
        // Bytes 30 and 31 do not enter the digits.
        bytes[30] = 0xff;
        bytes[31] = 0xff;
        assert_eq!(
            Fingerprint::from_bytes(bytes).digits(),
            "000009999927775000010000000000"
        );
    }

    #[test]
    fn byte_form_round_trips() {
        let n = alice_view();
        let bytes = n.to_bytes();
        assert_eq!(bytes.len(), BYTE_FORM_LEN);
        assert_eq!(bytes[0], 0x19);
        assert_eq!(bytes[1], VERSION);
        assert_eq!(&bytes[2..34], n.local().as_bytes());
        assert_eq!(&bytes[34..], n.remote().as_bytes());
        let scanned = ScannedSafetyNumber::from_bytes(&bytes).unwrap();
        assert_eq!(scanned.own(), n.local());
        assert_eq!(scanned.peer(), n.remote());
        assert_eq!(scanned.to_bytes(), bytes);
    }

    #[test]
    fn decoder_refusals() {
        let good = alice_view().to_bytes();
        // DEV-SN-01: wrong tag, other objects' tags, empty input.
        assert_eq!(
            ScannedSafetyNumber::from_bytes(&[]),
            Err(DecodeError::WrongTag(0))
        );
        for tag in [0x00u8, 0x01, 0x18, 0x29, 0xff] {
            let mut b = good;
            b[0] = tag;
            assert_eq!(
                ScannedSafetyNumber::from_bytes(&b),
                Err(DecodeError::WrongTag(tag))
            );
        }
        // DEV-SN-02: every shorter length.
        for len in 1..BYTE_FORM_LEN {
            assert_eq!(
                ScannedSafetyNumber::from_bytes(&good[..len]),
                Err(DecodeError::Truncated(len))
            );
        }
        // DEV-SN-03: another version.
        for version in [0x00u8, 0x02, 0x19, 0xff] {
            let mut b = good;
            b[1] = version;
            assert_eq!(
                ScannedSafetyNumber::from_bytes(&b),
                Err(DecodeError::UnknownVersion(version))
            );
        }
        // DEV-SN-04: trailing bytes.
        for extra in [1usize, 2, 100] {
            let mut b = good.to_vec();
            b.extend(std::iter::repeat_n(0u8, extra));
            assert_eq!(
                ScannedSafetyNumber::from_bytes(&b),
                Err(DecodeError::TrailingBytes(extra))
            );
        }
    }

    #[test]
    fn comparison_outcomes() {
        let mine = alice_view();
        // Bob's device, honest: a match.
        assert_eq!(
            mine.compare_bytes(&bob_view().to_bytes()),
            Ok(Comparison::Match)
        );
        // Bob's device holds a swapped key for Alice: our side differs.
        let swapped_for_alice = SafetyNumber::derive(&key(2), &BOB, &key(9), &ALICE);
        assert_eq!(
            mine.compare_bytes(&swapped_for_alice.to_bytes()),
            Ok(Comparison::LocalSideDiffers)
        );
        // We hold a swapped key for Bob: the peer's own fingerprint differs from ours of it.
        let bob_real = SafetyNumber::derive(&key(2), &BOB, &key(1), &ALICE);
        let mine_swapped = SafetyNumber::derive(&key(1), &ALICE, &key(8), &BOB);
        assert_eq!(
            mine_swapped.compare_bytes(&bob_real.to_bytes()),
            Ok(Comparison::RemoteSideDiffers)
        );
        // Both: a man in the middle who gave each side a key of its own.
        assert_eq!(
            mine_swapped.compare_bytes(&swapped_for_alice.to_bytes()),
            Ok(Comparison::BothDiffer)
        );
        // Our own byte form scanned back (a mirror) matches only when both sides are equal.
        assert_eq!(
            mine.compare_bytes(&mine.to_bytes()),
            Ok(Comparison::BothDiffer)
        );
        // A refused byte form is an error, not a comparison.
        assert_eq!(mine.compare_bytes(&[0x19]), Err(DecodeError::Truncated(1)));
    }

    /// Pins the derivation, iteration count included: changing `ITERATIONS`, the label, the
    /// version or the input order changes this fingerprint.
    #[test]
    fn iteration_count_is_pinned_by_a_vector() {
        assert_eq!(ITERATIONS, 5200);
        let fp = Fingerprint::derive(&key(1), &ALICE);
        // Recomputed independently of `derive`: d_1, then 5199 more hashes of d || key.
        let k = key(1).to_bytes();
        let mut input = labels::SAFETY_NUMBER.to_vec();
        input.push(VERSION);
        input.extend_from_slice(&k);
        input.extend_from_slice(&ALICE.to_bytes());
        let mut d = sotto_crypto::hash::sha512(&input);
        for _ in 0..5199 {
            let mut next = d.to_vec();
            next.extend_from_slice(&k);
            d = sotto_crypto::hash::sha512(&next);
        }
        assert_eq!(fp.as_bytes(), &d[..32]);
        assert_eq!(hex::encode(fp.as_bytes()), PINNED);
    }

    /// A rough cost print: `cargo test --release -p sotto-devices -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing print, not a check"]
    fn rough_cost_of_one_side() {
        let start = std::time::Instant::now();
        let rounds = 200u32;
        for i in 0..rounds {
            let _ = Fingerprint::derive(&key(1), &AccountId::from_bytes([i as u8; 16]));
        }
        let per_side = start.elapsed() / rounds;
        eprintln!("one side ({ITERATIONS} SHA-512 iterations): {per_side:?}");
    }

    const PINNED: &str = "ae1062fb19d78d3ea9a4bc6d2218772d696501210898129438172a30aa308a10";
}
