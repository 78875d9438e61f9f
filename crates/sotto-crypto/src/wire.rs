//! The type tags of every Sotto wire and state format, in one registry.
//!
//! The first byte of every object Sotto encodes says what it is: the high nibble is the format
//! version (1), the low nibble the object type. A receiver dispatches on that byte alone, and a
//! decoder refuses an object of another type before reading anything else. `docs/protocol.md`
//! ("Type tags") lists the same table; a test checks that the two agree.
//!
//! Tags are never reused: a later version of a format gets a new tag.

/// The format version every tag of this registry carries in its high nibble.
pub const FORMAT_VERSION: u8 = 1;

/// A ratchet message of the standard kind (protocol.md section 3.5).
pub const STANDARD_MESSAGE: u8 = 0x11;
/// A ratchet message of the header-encryption kind (section 3.5).
pub const HEADER_ENCRYPTED_MESSAGE: u8 = 0x12;
/// The initiator's first message of session setup (section 7.5).
pub const INITIAL_MESSAGE: u8 = 0x13;
/// A device's prekey bundle (section 7.2).
pub const PREKEY_BUNDLE: u8 = 0x14;
/// An encrypted session pickle (section 4).
pub const SESSION_PICKLE: u8 = 0x15;
/// An encrypted device-identity pickle (section 4.2).
pub const IDENTITY_PICKLE: u8 = 0x16;
/// An encrypted prekey-store pickle (section 4.2).
pub const PREKEY_STORE_PICKLE: u8 = 0x17;
/// A signed device list (section 8.1).
pub const DEVICE_LIST: u8 = 0x18;
/// The byte form of a safety number, for QR codes (section 8.2).
pub const SAFETY_NUMBER: u8 = 0x19;
/// A new device's link code: its identity and a one-time link secret (section 8.3).
pub const LINK_CODE: u8 = 0x1A;
/// The primary's link message to a new device, sealed under the link secret (section 8.3).
pub const LINK_MESSAGE: u8 = 0x1B;
/// A message fanned out to the devices of one account (section 8.5).
pub const FAN_OUT: u8 = 0x1C;
/// A record value of the client store (section 8.6).
pub const STORE_RECORD: u8 = 0x1D;
/// A sealed-sender certificate; its second byte says which: server or sender (section 9).
pub const SEALED_CERTIFICATE: u8 = 0x1E;
/// A sealed-sender envelope; its second byte says which: single or multi-recipient
/// (section 9).
pub const SEALED_ENVELOPE: u8 = 0x1F;

/// Every tag with its constant name, in the order `docs/protocol.md` lists them.
pub const ALL: &[(&str, u8)] = &[
    ("STANDARD_MESSAGE", STANDARD_MESSAGE),
    ("HEADER_ENCRYPTED_MESSAGE", HEADER_ENCRYPTED_MESSAGE),
    ("INITIAL_MESSAGE", INITIAL_MESSAGE),
    ("PREKEY_BUNDLE", PREKEY_BUNDLE),
    ("SESSION_PICKLE", SESSION_PICKLE),
    ("IDENTITY_PICKLE", IDENTITY_PICKLE),
    ("PREKEY_STORE_PICKLE", PREKEY_STORE_PICKLE),
    ("DEVICE_LIST", DEVICE_LIST),
    ("SAFETY_NUMBER", SAFETY_NUMBER),
    ("LINK_CODE", LINK_CODE),
    ("LINK_MESSAGE", LINK_MESSAGE),
    ("FAN_OUT", FAN_OUT),
    ("STORE_RECORD", STORE_RECORD),
    ("SEALED_CERTIFICATE", SEALED_CERTIFICATE),
    ("SEALED_ENVELOPE", SEALED_ENVELOPE),
];

/// The format version of a tag byte (its high nibble).
#[must_use]
pub const fn version_of(tag: u8) -> u8 {
    tag >> 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_carry_the_version_and_are_distinct() {
        for (i, (name, tag)) in ALL.iter().enumerate() {
            assert_eq!(version_of(*tag), FORMAT_VERSION, "{name}");
            assert_ne!(tag & 0x0f, 0, "{name}: type 0 is reserved");
            for (other, other_tag) in &ALL[i + 1..] {
                assert_ne!(tag, other_tag, "{name} and {other} share a tag");
            }
        }
    }
}
