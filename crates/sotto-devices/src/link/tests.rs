//! Tests of the link code and the link message (protocol.md 8.3).

use rand::SeedableRng;
use rand::rngs::StdRng;
use sotto_handshake::DeviceIdentity;

use super::*;
use crate::{AccountKey, DeviceEntry};

/// An account with one device (id 1), a new device that showed a code, and the payload
/// the primary sends it (id 2, two peers).
struct World {
    account: AccountKey,
    account_id: AccountId,
    primary: DeviceEntry,
    code: LinkCode,
    pending: PendingLink,
    payload: LinkPayload,
}

fn world(seed: u64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let account = AccountKey::generate(&mut rng);
    let account_id = AccountId::generate(&mut rng);
    let primary = DeviceEntry::new(1, DeviceIdentity::generate(&mut rng).public());
    let new_device = DeviceIdentity::generate(&mut rng).public();
    let (code, pending) = LinkCode::generate(new_device, &mut rng);
    let list = list_of(
        &account,
        account_id,
        &[primary, DeviceEntry::new(2, new_device)],
    );
    let peers = (0..2u8)
        .map(|i| PeerPin {
            account_id: AccountId::from_bytes([0x50 + i; 16]),
            account_key: AccountKey::generate(&mut rng).public(),
            verified: i == 1,
            min_version: u64::from(i) * 7,
        })
        .collect();
    let payload = LinkPayload {
        account_id,
        device_id: 2,
        list,
        peers,
    };
    World {
        account,
        account_id,
        primary,
        code,
        pending,
        payload,
    }
}

fn list_of(key: &AccountKey, id: AccountId, devices: &[DeviceEntry]) -> SignedDeviceList {
    DeviceList::new(id, 2, 1_764_000_000, devices.to_vec())
        .unwrap()
        .sign(key)
}

fn code_again(code: &LinkCode) -> LinkCode {
    LinkCode::from_bytes(code.to_bytes().expose()).unwrap()
}

fn sealed(w: &World, seed: u64) -> Vec<u8> {
    seal(
        code_again(&w.code),
        &w.payload,
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap()
}

fn raw(w: &World, plaintext: &[u8]) -> Vec<u8> {
    hazmat::seal_plaintext(
        code_again(&w.code),
        plaintext,
        &mut StdRng::seed_from_u64(9),
    )
}

#[test]
fn sizes() {
    assert_eq!(CODE_LEN, 97);
    assert_eq!(TEXT_SYMBOLS, 168);
    assert_eq!(MAX_LIST_LEN, 2307);
    assert_eq!(MIN_MESSAGE_LEN, 256);
    assert_eq!(MAX_MESSAGE_LEN, 60_732);
}

#[test]
fn code_round_trips_as_bytes_and_text() {
    let w = world(1);
    let bytes = w.code.to_bytes();
    assert_eq!(bytes.expose()[0], 0x1a);
    assert_eq!(&bytes.expose()[1..65], &w.code.identity().to_bytes());
    assert_eq!(LinkCode::from_bytes(bytes.expose()).unwrap(), w.code);
    let text = w.code.to_text();
    assert_eq!(text.len(), TEXT_SYMBOLS + TEXT_SYMBOLS / TEXT_GROUP - 1);
    let groups: Vec<&str> = text.split('-').collect();
    assert_eq!(groups.len(), 42);
    assert!(
        groups
            .iter()
            .all(|g| g.len() == 4 && g.bytes().all(|c| ALPHABET.contains(&c)))
    );
    assert_eq!(LinkCode::from_text(&text).unwrap(), w.code);
    // Another code (another secret) differs.
    assert_ne!(world(2).code, w.code);
}

#[test]
fn text_is_case_insensitive_and_ignores_separators() {
    let w = world(3);
    let text = w.code.to_text();
    let bare: String = text.chars().filter(|c| *c != '-').collect();
    let spaced = text.replace('-', " ");
    let lines: String = bare
        .as_bytes()
        .chunks(20)
        .map(|c| format!("{}\r\n\t", core::str::from_utf8(c).unwrap()))
        .collect();
    for variant in [
        bare.clone(),
        bare.to_lowercase(),
        spaced.to_lowercase(),
        lines,
        format!("  {}  ", &*text),
        text.replace('-', "--"),
    ] {
        assert_eq!(LinkCode::from_text(&variant).unwrap(), w.code, "{variant}");
    }
}

#[test]
fn every_single_symbol_change_and_swap_is_caught_by_the_checksum() {
    let w = world(4);
    let text: Vec<u8> = w.code.to_text().bytes().filter(|c| *c != b'-').collect();
    let decode = |t: &[u8]| LinkCode::from_text(core::str::from_utf8(t).unwrap());
    for at in 0..TEXT_SYMBOLS {
        for &other in ALPHABET.iter().filter(|&&s| s != text[at]) {
            let mut typo = text.clone();
            typo[at] = other;
            assert_eq!(decode(&typo), Err(CodeError::Checksum), "symbol {at}");
        }
    }
    let mut swaps = 0;
    for at in 0..TEXT_SYMBOLS - 1 {
        if text[at] != text[at + 1] {
            let mut typo = text.clone();
            typo.swap(at, at + 1);
            assert_eq!(decode(&typo), Err(CodeError::Checksum), "swap {at}");
            swaps += 1;
        }
    }
    assert!(swaps > 100);
    // A dropped or repeated symbol changes the count.
    assert_eq!(decode(&text[1..]), Err(CodeError::TextLength(167)));
    let mut longer = text.clone();
    longer.push(b'0');
    assert_eq!(decode(&longer), Err(CodeError::TextLength(169)));
}

#[test]
fn code_refusals_have_their_validation_ids() {
    let w = world(5);
    let good = w.code.to_bytes().expose().to_vec();
    let decode = LinkCode::from_bytes;
    // DEV-LK-01
    assert_eq!(decode(&[]).unwrap_err(), CodeError::WrongTag(0));
    for tag in [0x00, 0x01, wire::LINK_MESSAGE, wire::SAFETY_NUMBER, 0x2a] {
        let mut b = good.clone();
        b[0] = tag;
        assert_eq!(decode(&b).unwrap_err(), CodeError::WrongTag(tag));
    }
    // DEV-LK-02: every shorter length.
    for len in 1..CODE_LEN {
        assert_eq!(decode(&good[..len]).unwrap_err(), CodeError::Truncated(len));
    }
    // DEV-LK-03
    let mut b = good.clone();
    b.extend_from_slice(&[0, 0]);
    assert_eq!(decode(&b).unwrap_err(), CodeError::TrailingBytes(2));
    // DEV-LK-04: Ed25519 half not a point (y = 2), X25519 half not canonical.
    let mut b = good.clone();
    b[1..33].copy_from_slice(&[0; 32]);
    b[1] = 2;
    assert_eq!(decode(&b).unwrap_err(), CodeError::InvalidIdentity);
    let mut b = good.clone();
    b[33..65].fill(0xff);
    assert_eq!(decode(&b).unwrap_err(), CodeError::InvalidIdentity);
    // DEV-LK-05: a letter outside the alphabet (O, I, L, U), punctuation, non-ASCII; the
    // offset is the first bad byte's, even when the length is also wrong.
    let text = w.code.to_text();
    for bad in ["O", "i", "L", "u", "_", "é", "+"] {
        let t = format!("{}{bad}{}", &text[..10], &text[11..]);
        assert_eq!(
            LinkCode::from_text(&t).unwrap_err(),
            CodeError::BadCharacter(10)
        );
    }
    assert_eq!(
        LinkCode::from_text("ab!").unwrap_err(),
        CodeError::BadCharacter(2)
    );
    // DEV-LK-06
    assert_eq!(
        LinkCode::from_text("").unwrap_err(),
        CodeError::TextLength(0)
    );
    assert_eq!(
        LinkCode::from_text(&text[..text.len() - 1]).unwrap_err(),
        CodeError::TextLength(167)
    );
    // DEV-LK-07: shown in the typo test; here a text of the right length.
    assert_eq!(
        LinkCode::from_text(&"0".repeat(168)).unwrap_err(),
        CodeError::Checksum
    );
    // After the checksum, the byte checks: another tag, an invalid identity.
    // Texts with a valid checksum over other bytes.
    let text_of = |bytes: &[u8]| {
        let mut data = [0u8; CODE_LEN + CHECKSUM_LEN];
        data[..CODE_LEN].copy_from_slice(bytes);
        data[CODE_LEN..].copy_from_slice(&checksum(bytes));
        grouped_base32(&data).to_string()
    };
    let mut other_tag = good.clone();
    other_tag[0] = wire::SAFETY_NUMBER;
    assert_eq!(
        LinkCode::from_text(&text_of(&other_tag)).unwrap_err(),
        CodeError::WrongTag(wire::SAFETY_NUMBER)
    );
    let mut bad_key = good.clone();
    bad_key[33..65].fill(0xff);
    assert_eq!(
        LinkCode::from_text(&text_of(&bad_key)).unwrap_err(),
        CodeError::InvalidIdentity
    );
    assert_eq!(LinkCode::from_text(&text_of(&good)).unwrap(), w.code);
}

#[test]
fn a_link_message_opens_once_to_the_payload() {
    let mut w = world(6);
    let message = sealed(&w, 1);
    assert_eq!(message[0], 0x1b);
    assert_eq!(message.len(), MESSAGE_OVERHEAD + w.payload.to_bytes().len());
    assert!(!w.pending.is_used());
    assert_eq!(w.pending.open(&message).unwrap(), w.payload);
    assert!(w.pending.is_used());
    // DEV-LK-08, reuse: the same message, and another one sealed under the same secret.
    assert_eq!(w.pending.open(&message), Err(LinkError::AlreadyUsed));
    assert_eq!(w.pending.open(&sealed(&w, 2)), Err(LinkError::AlreadyUsed));
    // Two seals of one payload differ (fresh salt) and both would open.
    assert_ne!(sealed(&w, 1), sealed(&w, 2));
    assert_eq!(
        LinkPayload::from_bytes(&w.payload.to_bytes()).unwrap(),
        w.payload
    );
}

#[test]
fn every_refusal_leaves_the_pending_link_usable() {
    let mut w = world(7);
    let good = sealed(&w, 3);
    let mut rng = StdRng::seed_from_u64(70);
    let new_identity = *w.code.identity();
    // A code with the same identity and another secret; one with another identity.
    let (other_secret, _) = LinkCode::generate(new_identity, &mut rng);
    let other_device = DeviceIdentity::generate(&mut rng).public();
    let (other_identity, _) = LinkCode::generate(other_device, &mut rng);
    let other_list = list_of(
        &w.account,
        w.account_id,
        &[w.primary, DeviceEntry::new(2, other_device)],
    );
    let mut cases: Vec<(Vec<u8>, LinkError)> = Vec::new();
    // DEV-LK-09, DEV-LK-10
    cases.push((Vec::new(), LinkError::WrongTag(0)));
    let mut b = good.clone();
    b[0] = wire::LINK_CODE;
    cases.push((b, LinkError::WrongTag(wire::LINK_CODE)));
    cases.push((
        good[..MIN_MESSAGE_LEN - 1].to_vec(),
        LinkError::Truncated(255),
    ));
    let mut long = vec![0u8; MAX_MESSAGE_LEN + 1];
    long[0] = wire::LINK_MESSAGE;
    cases.push((long, LinkError::TooLong(MAX_MESSAGE_LEN + 1)));
    // DEV-LK-11: another secret, another identity, truncated, trailing, flipped.
    let payload_for_other = LinkPayload {
        list: other_list,
        ..w.payload.clone()
    };
    cases.push((
        seal(other_secret, &w.payload, &mut rng).unwrap(),
        LinkError::Authentication,
    ));
    cases.push((
        seal(other_identity, &payload_for_other, &mut rng).unwrap(),
        LinkError::Authentication,
    ));
    cases.push((good[..good.len() - 1].to_vec(), LinkError::Authentication));
    let mut b = good.clone();
    b.push(0);
    cases.push((b, LinkError::Authentication));
    for at in [1, 17, 40, good.len() - 1] {
        let mut b = good.clone();
        b[at] ^= 0x80;
        cases.push((b, LinkError::Authentication));
    }
    // DEV-LK-12: sealed correctly, malformed inside.
    let plain = w.payload.to_bytes().to_vec();
    let list_len = w.payload.list.as_bytes().len();
    let peers_at = PAYLOAD_HEADER_LEN + list_len;
    let mut p = plain.clone();
    p.push(0);
    cases.push((raw(&w, &p), PayloadError::TrailingBytes.into()));
    cases.push((
        raw(&w, &plain[..plain.len() - 1]),
        PayloadError::Truncated.into(),
    ));
    let mut p = plain.clone();
    p[20..22].copy_from_slice(&198u16.to_be_bytes());
    cases.push((raw(&w, &p), PayloadError::ListLength.into()));
    let mut p = plain.clone();
    p[peers_at..peers_at + 2].copy_from_slice(&1025u16.to_be_bytes());
    cases.push((raw(&w, &p), PayloadError::TooManyPeers.into()));
    let mut p = plain.clone();
    p[peers_at + 2 + 16..peers_at + 2 + 48].copy_from_slice(&[0; 32]);
    p[peers_at + 2 + 16] = 2;
    cases.push((raw(&w, &p), PayloadError::PeerKey.into()));
    let mut p = plain.clone();
    p[peers_at + 2 + 48] = 2;
    cases.push((raw(&w, &p), PayloadError::VerifiedFlag.into()));
    let mut p = plain.clone();
    let first = p[peers_at + 2..peers_at + 2 + 16].to_vec();
    p[peers_at + 2 + PEER_LEN..peers_at + 2 + PEER_LEN + 16].copy_from_slice(&first);
    cases.push((raw(&w, &p), PayloadError::DuplicatePeer.into()));
    // DEV-LK-13: the list's signature broken.
    let mut p = plain.clone();
    p[peers_at - 1] ^= 1;
    cases.push((
        raw(&w, &p),
        LinkError::DeviceList(DeviceListError::Signature),
    ));
    // DEV-LK-14: another account id in the payload.
    let mut p = plain.clone();
    p[0] ^= 1;
    cases.push((raw(&w, &p), LinkError::AccountMismatch));
    // DEV-LK-15: another device id; a list without this device.
    let mut p = plain.clone();
    p[16..20].copy_from_slice(&1u32.to_be_bytes());
    cases.push((raw(&w, &p), LinkError::NotInList));
    let without = LinkPayload {
        list: list_of(&w.account, w.account_id, &[w.primary]),
        ..w.payload.clone()
    };
    cases.push((raw(&w, &without.to_bytes()), LinkError::NotInList));
    // DEV-LK-16: the device's identity listed a second time.
    let twice = LinkPayload {
        list: list_of(
            &w.account,
            w.account_id,
            &[
                w.primary,
                DeviceEntry::new(2, new_identity),
                DeviceEntry::new(3, new_identity),
            ],
        ),
        ..w.payload.clone()
    };
    cases.push((raw(&w, &twice.to_bytes()), LinkError::DuplicateIdentity));
    for (i, (message, expected)) in cases.iter().enumerate() {
        assert_eq!(w.pending.open(message), Err(*expected), "case {i}");
        assert!(!w.pending.is_used(), "case {i}");
    }
    assert_eq!(w.pending.open(&good).unwrap(), w.payload);
}

#[test]
fn every_flipped_byte_of_a_message_is_refused() {
    let mut w = world(8);
    let good = sealed(&w, 4);
    for at in 0..good.len() {
        for mask in [0x01, 0x80] {
            let mut b = good.clone();
            b[at] ^= mask;
            assert!(w.pending.open(&b).is_err(), "byte {at} mask {mask:#x}");
        }
    }
    assert!(w.pending.open(&good).is_ok());
}

#[test]
fn the_primary_refuses_what_the_new_device_would() {
    let w = world(9);
    let mut rng = StdRng::seed_from_u64(90);
    let new_identity = *w.code.identity();
    let seal_with =
        |payload: &LinkPayload| seal(code_again(&w.code), payload, &mut StdRng::seed_from_u64(1));
    // DEV-LK-12
    let mut p = w.payload.clone();
    p.peers.push(p.peers[0]);
    assert_eq!(seal_with(&p), Err(SealError::Peers));
    let mut p = w.payload.clone();
    p.peers = (0..=MAX_PEERS)
        .map(|i| PeerPin {
            account_id: AccountId::from_bytes([
                (i % 256) as u8,
                (i / 256) as u8,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
            ]),
            account_key: w.account.public(),
            verified: false,
            min_version: 0,
        })
        .collect();
    assert_eq!(seal_with(&p), Err(SealError::Peers));
    p.peers.pop();
    assert!(seal_with(&p).is_ok(), "exactly MAX_PEERS peers are sealed");
    // DEV-LK-14
    let mut p = w.payload.clone();
    p.account_id = AccountId::from_bytes([0xee; 16]);
    assert_eq!(seal_with(&p), Err(SealError::AccountMismatch));
    // DEV-LK-15
    let mut p = w.payload.clone();
    p.device_id = 1;
    assert_eq!(seal_with(&p), Err(SealError::NotInList));
    // DEV-LK-16: the new device's X25519 key already under device 1.
    let mut clash = new_identity.to_bytes();
    clash[..32].copy_from_slice(&w.primary.identity().to_bytes()[..32]);
    let clash = DeviceIdentityKey::from_bytes(&clash).unwrap();
    let mut p = w.payload.clone();
    p.list = list_of(
        &w.account,
        w.account_id,
        &[
            DeviceEntry::new(1, clash),
            DeviceEntry::new(2, new_identity),
        ],
    );
    assert_eq!(seal_with(&p), Err(SealError::DuplicateIdentity));
    // DEV-LK-17: a code whose identity the current list already holds.
    let current = list_of(&w.account, w.account_id, &[w.primary]);
    assert_eq!(w.code.check_not_listed(current.list()), Ok(()));
    assert_eq!(
        w.code.check_not_listed(w.payload.list.list()),
        Err(SealError::AlreadyListed)
    );
    let (reused, _) = LinkCode::generate(clash, &mut rng);
    assert_eq!(
        reused.check_not_listed(current.list()),
        Err(SealError::AlreadyListed)
    );
}

#[test]
fn debug_output_redacts_the_secret() {
    let w = world(10);
    let identity = format!("{:?}", w.code.identity());
    let secret_hex: String = w.code.to_bytes().expose()[65..]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let code = format!("{:?}", w.code);
    assert_eq!(
        code,
        format!("LinkCode {{ identity: {identity}, secret: \"..\" }}")
    );
    let pending = format!("{:?}", w.pending);
    assert_eq!(
        pending,
        format!("PendingLink {{ identity: {identity}, used: false, .. }}")
    );
    for text in [code, pending, format!("{:#?}", w.code)] {
        assert!(!text.contains(&secret_hex));
        assert!(!text.contains(&format!("{:?}", &w.code.to_bytes().expose()[65..])));
    }
}
