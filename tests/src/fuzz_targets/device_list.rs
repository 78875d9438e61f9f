//! Target `device_list`: the decoder of signed device lists (protocol.md 8.1), signature
//! included.

use sotto_devices::SignedDeviceList;

/// Decodes `data` as a signed device list. An accepted input must be exactly the list's
/// bytes and decode again to the same list (the decoder neither drops nor invents bytes).
/// Returns whether `data` was accepted.
pub fn device_list(data: &[u8]) -> bool {
    match SignedDeviceList::from_bytes(data) {
        Ok(list) => {
            assert_eq!(list.as_bytes(), data, "as_bytes() is not the decoded input");
            let again = SignedDeviceList::from_bytes(list.as_bytes()).expect("re-decoding failed");
            assert_eq!(again, list);
            true
        }
        Err(_) => false,
    }
}
