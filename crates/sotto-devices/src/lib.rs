//! # sotto-devices
//!
//! A user's devices, as peers see them (`docs/protocol.md`, chapter 8):
//!
//! - an **account key** (Ed25519), the user's identity, kept on the device that created the
//!   account ([`AccountKey`]);
//! - the **signed device list** it signs: account id, a monotonic version, a creation time and
//!   each device's id and both public keys ([`DeviceList`], [`SignedDeviceList`]); a peer
//!   trusts a device only if the newest list signed by the account key it pinned contains it;
//! - **linking** a new device: the link code it shows and the link message the primary seals
//!   to it under the code's one-time secret ([`link`]);
//! - **safety numbers** derived from both account keys, which two people compare to upgrade
//!   trust on first use to verified ([`safety`]);
//! - **trust** in each account: the pinned key, the verified mark, the newest list, a pending
//!   key change, and the refusals of rolled-back lists, ghost devices and swapped keys
//!   ([`trust`]);
//! - **sessions per peer device**, Sesame-style, and the **fan-out** of one message to every
//!   device of an account ([`sessions`], [`fanout`]);
//! - the **encrypted client store** ([`store`]) and the [`Device`] that ties it all together:
//!   a device's keys, prekeys, trust and sessions, every change written as one atomic batch.
//!
//! Validation IDs (DEV-xx) in the error docs refer to the devices chapter of the protocol.

mod device;
mod device_list;
pub mod fanout;
pub mod link;
pub mod safety;
pub mod sessions;
pub mod store;
pub mod trust;

pub use device::{Device, DeviceError, Observed, Received};
pub use fanout::{DevicePlaintext, FanOut, FanOutError, StaleDevices};
pub use trust::{AccountTrust, TrustError, TrustEvent};

pub use device_list::{
    ACCOUNT_ID_LEN, AccountId, AccountKey, AccountPublicKey, DeviceEntry, DeviceList,
    DeviceListError, MAX_DEVICES, SignedDeviceList,
};
pub use link::{LinkCode, LinkPayload, PeerPin, PendingLink};
