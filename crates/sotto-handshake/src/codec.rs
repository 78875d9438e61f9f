//! A strict reader for the fixed layouts of this crate.

use crate::DecodeError;

pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// An X25519 public key in canonical encoding (HS-03).
    pub(crate) fn x25519(&mut self) -> Result<sotto_crypto::x25519::PublicKey, DecodeError> {
        let key = sotto_crypto::x25519::PublicKey::from_bytes(self.array()?);
        if key.is_canonical() {
            Ok(key)
        } else {
            Err(DecodeError::InvalidKey)
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array::<8>()?))
    }

    /// A presence byte: `0x00` absent, `0x01` present, anything else refused.
    pub(crate) fn present(&mut self) -> Result<bool, DecodeError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(DecodeError::InvalidFlag),
        }
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Checks the version byte: empty input is version 0.
pub(crate) fn version(bytes: &[u8], expected: u8) -> Result<&[u8], DecodeError> {
    match bytes.split_first() {
        Some((&v, rest)) if v == expected => Ok(rest),
        Some((&v, _)) => Err(DecodeError::UnknownVersion(v)),
        None => Err(DecodeError::UnknownVersion(0)),
    }
}
