//! Fixed-size secret byte strings.
//!
//! [`SecretBytes`] is the building block of every secret in Sotto: it zeroizes its memory when
//! dropped, is never `Copy`, prints as `SecretBytes<N>(..)` and compares in constant time.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// `N` secret bytes, wiped on drop.
///
/// Equality (`==`) runs in constant time through [`subtle::ConstantTimeEq`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes<const N: usize>([u8; N]);

impl<const N: usize> SecretBytes<N> {
    /// Takes ownership of `bytes`. The caller's copy (if any) is the caller's to wipe.
    pub const fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }

    /// All-zero bytes, for buffers that are filled afterwards.
    pub const fn zero() -> Self {
        Self([0u8; N])
    }

    /// Draws `N` bytes from `rng`.
    pub fn random<R: crate::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut out = Self::zero();
        rng.fill_bytes(&mut out.0);
        out
    }

    /// Copies `N` bytes out of `slice`; `None` if its length is not exactly `N`.
    pub fn from_slice(slice: &[u8]) -> Option<Self> {
        let array: [u8; N] = slice.try_into().ok()?;
        Some(Self(array))
    }

    /// The secret bytes. They stay owned (and wiped) by `self`; do not copy them out unless
    /// the copy is wiped too.
    pub const fn expose(&self) -> &[u8; N] {
        &self.0
    }

    /// Mutable access, for filling a buffer created with [`SecretBytes::zero`].
    pub const fn expose_mut(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> fmt::Debug for SecretBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes<{N}>(..)")
    }
}

impl<const N: usize> ConstantTimeEq for SecretBytes<N> {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl<const N: usize> PartialEq for SecretBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        bool::from(ConstantTimeEq::ct_eq(self, other))
    }
}

impl<const N: usize> Eq for SecretBytes<N> {}

/// Constant-time equality of two byte strings. Slices of different lengths are unequal; the
/// lengths themselves are not secret.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretBytes::new([0x41u8; 32]);
        assert_eq!(format!("{s:?}"), "SecretBytes<32>(..)");
        assert_eq!(format!("{s:#?}"), "SecretBytes<32>(..)");
    }

    #[test]
    fn equality_and_slices() {
        let a = SecretBytes::new([1u8; 4]);
        assert_eq!(a, SecretBytes::new([1u8; 4]));
        assert_ne!(a, SecretBytes::new([1, 1, 1, 2]));
        assert!(SecretBytes::<4>::from_slice(&[1, 2, 3]).is_none());
        assert!(SecretBytes::<4>::from_slice(&[1, 2, 3, 4, 5]).is_none());
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }

    #[test]
    fn zeroize_wipes() {
        let mut s = SecretBytes::new([7u8; 16]);
        s.zeroize();
        assert_eq!(s.expose(), &[0u8; 16]);
    }
}
