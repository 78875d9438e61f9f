//! Target `link_code`: the decoders of device linking (`docs/protocol.md` 8.3): a link code
//! as bytes and as text, a link payload, and a link message opened by a fixed pending link
//! (on the input itself, and on the input sealed as a payload under the fixed link code).

use std::convert::Infallible;
use std::sync::OnceLock;

use rand::SeedableRng;
use rand::rand_core::utils::next_word_via_fill;
use rand::rngs::StdRng;
use rand::{TryCryptoRng, TryRng};
use sotto_crypto::SecretBytes;
use sotto_devices::link::{self, hazmat};
use sotto_devices::{
    AccountId, AccountKey, DeviceEntry, DeviceList, LinkCode, LinkPayload, PeerPin, PendingLink,
};
use sotto_handshake::{DeviceIdentity, DeviceIdentityKey};

/// The fixed link every input is checked against: the new device's identity and link secret,
/// and a genuine message with its payload.
#[derive(Debug)]
pub struct LinkFixture {
    /// The new device's identity.
    pub identity: DeviceIdentityKey,
    /// The link secret.
    pub secret: [u8; 32],
    /// The payload the primary sends (device id 2 of a two-device list, two peers).
    pub payload: LinkPayload,
    /// `payload` sealed with the salt `0x5a` x 16.
    pub message: Vec<u8>,
}

impl LinkFixture {
    /// The link code and pending link of the fixture (a fresh pair on every call).
    pub fn code(&self) -> (LinkCode, PendingLink) {
        LinkCode::generate(self.identity, &mut FixedRng(self.secret.to_vec()))
    }
}

/// A generator that hands out the same bytes (cycled) on every call: the fixture's secret and
/// salts.
struct FixedRng(Vec<u8>);

impl TryRng for FixedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        next_word_via_fill(self)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        next_word_via_fill(self)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for (d, s) in dst.iter_mut().zip(self.0.iter().cycle()) {
            *d = *s;
        }
        Ok(())
    }
}

impl TryCryptoRng for FixedRng {}

/// The fixture, built once.
pub fn link_fixture() -> &'static LinkFixture {
    static FIXTURE: OnceLock<LinkFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(0x11a0);
        let account = AccountKey::from_seed(SecretBytes::new([0x41; 32]));
        let account_id = AccountId::from_bytes([0xac; 16]);
        let primary = DeviceIdentity::generate(&mut rng).public();
        let identity = DeviceIdentity::generate(&mut rng).public();
        let list = DeviceList::new(
            account_id,
            2,
            1_764_000_000,
            vec![DeviceEntry::new(1, primary), DeviceEntry::new(2, identity)],
        )
        .expect("list")
        .sign(&account);
        let peers = (0..2u8)
            .map(|i| PeerPin {
                account_id: AccountId::from_bytes([0x50 + i; 16]),
                account_key: AccountKey::from_seed(SecretBytes::new([0x60 + i; 32])).public(),
                verified: i == 0,
                min_version: u64::from(i),
            })
            .collect();
        let payload = LinkPayload {
            account_id,
            device_id: 2,
            list,
            peers,
        };
        let mut fixture = LinkFixture {
            identity,
            secret: [0x5e; 32],
            payload,
            message: Vec::new(),
        };
        let (code, _) = fixture.code();
        fixture.message =
            link::seal(code, &fixture.payload, &mut FixedRng(vec![0x5a])).expect("seal");
        fixture
    })
}

/// Separators dropped, letters upper-cased: the form two equal texts share.
fn canonical_text(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\t' | '\r' | '\n'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Opens `message` with a fresh pending link of the fixture. An accepted message re-seals, with
/// its own salt, to exactly itself and leaves the link used; a refused one leaves it unused and
/// the genuine message still opens.
fn open_message(message: &[u8]) -> bool {
    let fixture = link_fixture();
    let (code, mut pending) = fixture.code();
    match pending.open(message) {
        Ok(payload) => {
            assert!(pending.is_used(), "an opened link is not used up");
            assert!(pending.open(message).is_err(), "a message opened twice");
            let salt = message[1..1 + link::SALT_LEN].to_vec();
            let again = link::seal(code, &payload, &mut FixedRng(salt)).expect("re-seal");
            assert_eq!(again, message, "does not re-seal to its input");
            true
        }
        Err(_) => {
            assert!(!pending.is_used(), "a refusal used up the link");
            assert_eq!(
                pending.open(&fixture.message).expect("genuine message"),
                fixture.payload
            );
            false
        }
    }
}

/// Decodes `data` as a link code's bytes and (if UTF-8) its text, as a payload, and as a link
/// message, both as it is and sealed as a payload under the fixture's code. Anything accepted
/// re-encodes to exactly its input (the text up to case and separators). Returns whether any
/// decoder accepted `data`.
pub fn link_code(data: &[u8]) -> bool {
    let mut accepted = false;
    if let Ok(code) = LinkCode::from_bytes(data) {
        assert_eq!(code.to_bytes().expose().as_slice(), data, "code bytes");
        let text = code.to_text();
        assert_eq!(LinkCode::from_text(&text).expect("own text"), code);
        accepted = true;
    }
    if let Ok(text) = core::str::from_utf8(data)
        && let Ok(code) = LinkCode::from_text(text)
    {
        assert_eq!(
            canonical_text(&code.to_text()),
            canonical_text(text),
            "text"
        );
        assert_eq!(
            LinkCode::from_bytes(code.to_bytes().expose()).expect("own bytes"),
            code
        );
        accepted = true;
    }
    if let Ok(payload) = LinkPayload::from_bytes(data) {
        assert_eq!(payload.to_bytes().as_slice(), data, "payload bytes");
        accepted = true;
    }
    accepted |= open_message(data);
    if data.len() <= link::MAX_PAYLOAD_LEN {
        let (code, _) = link_fixture().code();
        let sealed = hazmat::seal_plaintext(code, data, &mut FixedRng(vec![0x5b]));
        accepted |= open_message(&sealed);
    }
    accepted
}
