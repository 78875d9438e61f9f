//! Attack finding 6 (branch `atk`): the session-pickle decoder restores skipped keys of more
//! chains than RAT-11 allows.

use crate::Session;
use crate::config::SessionConfig;

/// A header-encrypted state (protocol.md section 4) with no chains and `chains` skipped
/// entries, each of its own chain (its own ratchet key and header key).
fn state_with_skipped_chains(chains: u8) -> Vec<u8> {
    let mut s = vec![0x01];
    s.extend_from_slice(&1000u32.to_be_bytes()); // max_skip
    s.extend_from_slice(&1000u32.to_be_bytes()); // max_stored
    s.extend_from_slice(&0u16.to_be_bytes()); // ad
    s.extend_from_slice(&[1; 32]); // root key
    s.extend_from_slice(&[2; 32]); // ratchet private key
    s.extend_from_slice(&0u32.to_be_bytes()); // PN
    s.push(0); // no sending chain
    s.push(0); // no peer ratchet key
    s.push(0); // no receiving chain
    s.extend_from_slice(&[3; 64]); // next header keys
    s.extend_from_slice(&u32::from(chains).to_be_bytes());
    for c in 0..chains {
        s.extend_from_slice(&[0x40 + c; 32]); // ratchet key
        s.extend_from_slice(&0u32.to_be_bytes()); // n
        s.extend_from_slice(&[0x80 + c; 32]); // message key
        s.extend_from_slice(&[0xc0 - c; 32]); // header key
    }
    s
}

/// RAT-11: at most `MAX_SKIPPED_CHAINS` chains are kept, and a header-encrypted receiver
/// trial-decrypts every incoming header with each stored chain's header key; `open_header`
/// pads a refused header to exactly `MAX_HEADER_TRIALS` = 7 trials on the assumption that no
/// session holds more than 5 chains (protocol.md 3.8). The decoder checks only
/// `count <= max_stored` (up to 100000), so a restored session can hold 100000 chains: every
/// forged message then costs 100002 header trials instead of 7, and the cost again depends on
/// the session's history. It should refuse the state (PKL-04) or evict down to the bound.
#[test]

fn a_restored_session_holds_at_most_max_skipped_chains() {
    let state = state_with_skipped_chains(6);
    let Ok(session) = Session::decode_state(&state) else {
        return; // refused (PKL-04): the fix this test accepts
    };
    let chains = session.skipped.header_keys().len();
    assert!(
        chains <= SessionConfig::MAX_SKIPPED_CHAINS,
        "restored session holds skipped keys of {chains} chains"
    );
}

/// Finding 6, second case: the decoder accepts the same skipped entry (ratchet key, n) twice.
/// Using a skipped key deletes the first entry only, so the restored session decrypts a
/// replay of that message a second time (RAT-07: a message key is used once).
#[test]

fn a_restored_session_refuses_a_replay_of_a_skipped_message() {
    for config in super::kinds() {
        let (mut alice, mut bob, mut rng) = super::pair(config, 61);
        let m0 = alice.encrypt(b"zero", &mut rng).unwrap();
        let m1 = alice.encrypt(b"one", &mut rng).unwrap();
        assert_eq!(bob.decrypt(&m1).unwrap(), b"one");
        assert_eq!(bob.skipped_key_count(), 1);
        let mut state = bob.encode_state().to_vec();
        let entry_len = if config.is_header_encrypted() {
            100
        } else {
            68
        };
        let count_at = state.len() - entry_len - 4;
        assert_eq!(state[count_at..count_at + 4], 1u32.to_be_bytes());
        state[count_at..count_at + 4].copy_from_slice(&2u32.to_be_bytes());
        let entry = state[state.len() - entry_len..].to_vec();
        state.extend_from_slice(&entry);
        let Ok(mut restored) = Session::decode_state(&state) else {
            continue; // refused (PKL-04): the fix this test accepts
        };
        assert_eq!(restored.decrypt(&m0).unwrap(), b"zero");
        assert!(
            restored.decrypt(&m0).is_err(),
            "a replay of a skipped message decrypted again"
        );
    }
}
