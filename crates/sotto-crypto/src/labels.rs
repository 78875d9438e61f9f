//! Every HKDF `info` string and signature context Sotto uses, in one place.
//!
//! Each label is ASCII, at least 8 bytes long, starts with the protocol name and version
//! (`Sotto/1 `) and is used for exactly one derivation. `docs/protocol.md` lists them in ASCII
//! and hex; a test checks that the list there matches [`ALL`].

/// KDF_RK of the standard Double Ratchet: HKDF-SHA256(salt = root key, ikm = DH output).
pub const RATCHET_ROOT: &[u8] = b"Sotto/1 ratchet root";
/// KDF_RK of the header-encryption variant (96 bytes: root key, chain key, next header key).
pub const RATCHET_ROOT_HE: &[u8] = b"Sotto/1 ratchet root header-encryption";
/// Splits a session's initial secret into root key and the two initial header keys (HE only).
pub const RATCHET_HE_INIT: &[u8] = b"Sotto/1 ratchet header-encryption init";
/// ENCRYPT: message key to AEAD key and nonce.
pub const MESSAGE_KEYS: &[u8] = b"Sotto/1 message keys";
/// Header encryption: header key and per-message salt to AEAD key and nonce.
pub const HEADER_KEYS: &[u8] = b"Sotto/1 header keys";
/// Pickle encryption: pickle key and per-pickle salt to AEAD key and nonce.
pub const PICKLE_KEYS: &[u8] = b"Sotto/1 pickle keys";

/// X3DH: derives the 32-byte session secret from the DH outputs (no KEM).
pub const HANDSHAKE_X3DH: &[u8] = b"Sotto/1 X3DH X25519 SHA-256";
/// PQXDH: derives the 32-byte session secret from the DH outputs and the ML-KEM-768 secret.
pub const HANDSHAKE_PQXDH: &[u8] = b"Sotto/1 PQXDH X25519 SHA-256 ML-KEM-768";
/// Replay record of session setup: HKDF-SHA256(no salt, ikm = DH2 || DH3, 32 bytes), a tag
/// every X25519 twin of the ephemeral key shares.
pub const HANDSHAKE_REPLAY_TAG: &[u8] = b"Sotto/1 handshake replay tag";
/// Ed25519 signature context of a signed prekey.
pub const SIGNED_PREKEY_SIGNATURE: &[u8] = b"Sotto/1 signed prekey";
/// Ed25519 signature context of an ML-KEM prekey.
pub const KEM_PREKEY_SIGNATURE: &[u8] = b"Sotto/1 ML-KEM prekey";
/// Ed25519 signature context of a device list, signed by the account key.
pub const DEVICE_LIST_SIGNATURE: &[u8] = b"Sotto/1 device list";
/// The iterated hash of one side of a safety number.
pub const SAFETY_NUMBER: &[u8] = b"Sotto/1 safety number";
/// The checksum of a link code's text form: SHA-512 of this label and the code's bytes.
pub const LINK_CODE_CHECKSUM: &[u8] = b"Sotto/1 link code checksum";
/// The link channel: HKDF-SHA256(salt, ikm = link secret, info = this label || identity) to
/// the AEAD key and nonce of a link message.
pub const LINK_CHANNEL: &[u8] = b"Sotto/1 link channel";
/// HKDF `info` of the client store's index and value keys, from the store key.
pub const STORE_KEYS: &[u8] = b"Sotto/1 store keys";
/// Ed25519 signature context of a sealed-sender server certificate, signed by the trust root.
pub const SEALED_SERVER_CERTIFICATE: &[u8] = b"Sotto/1 sealed server certificate";
/// Ed25519 signature context of a sealed-sender sender certificate, signed by a server key.
pub const SEALED_SENDER_CERTIFICATE: &[u8] = b"Sotto/1 sealed sender certificate";
/// Sealed envelope, layer 1: HKDF-SHA256(salt = E_pub || recipient identity, ikm = DH(E,
/// recipient X25519)) to the chain key, AEAD key and nonce (76 bytes).
pub const SEALED_ENVELOPE_EPHEMERAL: &[u8] = b"Sotto/1 sealed envelope ephemeral";
/// Sealed envelope, layer 2: HKDF-SHA256(salt = chain key || layer-1 ciphertext, ikm =
/// DH(sender X25519, recipient X25519)) to the AEAD key and nonce (44 bytes).
pub const SEALED_ENVELOPE_STATIC: &[u8] = b"Sotto/1 sealed envelope static";
/// Delivery tokens: HKDF-SHA256(salt absent, ikm = profile key, info = this label) to the
/// 16-byte access key a sender presents to the relay.
pub const SEALED_ACCESS_KEY: &[u8] = b"Sotto/1 sealed access key";
/// Delivery tokens: SHA-256(this label || access key), the 32-byte verifier the relay stores
/// for an account.
pub const SEALED_ACCESS_VERIFIER: &[u8] = b"Sotto/1 sealed access verifier";
/// Relay registration: a device signs this label || challenge || account id || u32be(device
/// id) with its identity's Ed25519 key to prove it holds the identity it registers (docs/relay.md).
pub const RELAY_REGISTRATION: &[u8] = b"Sotto/1 relay registration";
/// Client state file: HKDF-SHA256(salt absent, ikm = store key, info = this label) to the
/// ChaCha20-Poly1305 key of the client state file; the file's associated data is
/// `u8(version) || this label` (protocol.md 10.2).
pub const CLIENT_STATE: &[u8] = b"Sotto/1 client state";

/// All labels with their constant names, in the order `docs/protocol.md` lists them.
pub const ALL: &[(&str, &[u8])] = &[
    ("RATCHET_ROOT", RATCHET_ROOT),
    ("RATCHET_ROOT_HE", RATCHET_ROOT_HE),
    ("RATCHET_HE_INIT", RATCHET_HE_INIT),
    ("MESSAGE_KEYS", MESSAGE_KEYS),
    ("HEADER_KEYS", HEADER_KEYS),
    ("PICKLE_KEYS", PICKLE_KEYS),
    ("HANDSHAKE_X3DH", HANDSHAKE_X3DH),
    ("HANDSHAKE_PQXDH", HANDSHAKE_PQXDH),
    ("HANDSHAKE_REPLAY_TAG", HANDSHAKE_REPLAY_TAG),
    ("SIGNED_PREKEY_SIGNATURE", SIGNED_PREKEY_SIGNATURE),
    ("KEM_PREKEY_SIGNATURE", KEM_PREKEY_SIGNATURE),
    ("DEVICE_LIST_SIGNATURE", DEVICE_LIST_SIGNATURE),
    ("SAFETY_NUMBER", SAFETY_NUMBER),
    ("LINK_CODE_CHECKSUM", LINK_CODE_CHECKSUM),
    ("LINK_CHANNEL", LINK_CHANNEL),
    ("STORE_KEYS", STORE_KEYS),
    ("SEALED_SERVER_CERTIFICATE", SEALED_SERVER_CERTIFICATE),
    ("SEALED_SENDER_CERTIFICATE", SEALED_SENDER_CERTIFICATE),
    ("SEALED_ENVELOPE_EPHEMERAL", SEALED_ENVELOPE_EPHEMERAL),
    ("SEALED_ENVELOPE_STATIC", SEALED_ENVELOPE_STATIC),
    ("SEALED_ACCESS_KEY", SEALED_ACCESS_KEY),
    ("SEALED_ACCESS_VERIFIER", SEALED_ACCESS_VERIFIER),
    ("RELAY_REGISTRATION", RELAY_REGISTRATION),
    ("CLIENT_STATE", CLIENT_STATE),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_well_formed_and_distinct() {
        for (i, (name, label)) in ALL.iter().enumerate() {
            assert!(label.len() >= 8, "{name} is shorter than 8 bytes");
            assert!(label.is_ascii(), "{name} is not ASCII");
            assert!(
                label.starts_with(b"Sotto/1 "),
                "{name} lacks the protocol prefix"
            );
            for (other, other_label) in &ALL[i + 1..] {
                assert_ne!(label, other_label, "{name} and {other} collide");
            }
        }
    }
}
