//! A scanner of the process's own memory, for the tests that prove deletion
//! (`tests/tests/memory_wipe.rs`, `tests/tests/attack_memory.rs`): it reads the writable
//! private mappings (heap, anonymous mappings, `.data`/`.bss`) through `/proc/self/mem` and
//! counts copies of 32-byte keys. The current thread's stack is not scanned (stack residue of
//! moved values is outside what safe Rust can wipe). A needle is held XOR-masked (mask and
//! masked bytes in separate allocations), so the scanner never finds its own copy, and the
//! scan buffer is left out of the scan. `MEMORY_WIPE_DEBUG=1` prints every hit. Linux only.

// Test support: a failed read of /proc is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use zeroize::Zeroize;

/// Length of a needle.
pub const KEY_LEN: usize = 32;
const CHUNK: usize = 1 << 20;

/// A 32-byte key held as `mask` and `key ^ mask` in two allocations.
pub struct Needle {
    mask: Box<[u8; KEY_LEN]>,
    masked: Box<[u8; KEY_LEN]>,
}

impl Needle {
    /// Takes the key out of `key`, wiping it.
    pub fn take(key: &mut [u8; KEY_LEN]) -> Self {
        let mask = Box::new(rand::random::<[u8; KEY_LEN]>());
        let mut masked = Box::new([0u8; KEY_LEN]);
        for i in 0..KEY_LEN {
            masked[i] = key[i] ^ mask[i];
        }
        key.zeroize();
        Self { mask, masked }
    }

    /// Unmasks one byte at a time while comparing.
    fn matches_at(&self, hay: &[u8]) -> bool {
        (0..KEY_LEN).all(|j| hay[j] ^ self.mask[j] == self.masked[j])
    }
}

/// Readable, writable private mappings, without the current thread's stack.
pub fn regions() -> Vec<(u64, u64)> {
    let here = 0u8;
    let stack_addr = std::ptr::from_ref(&here) as u64;
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let mut out = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let name = fields.nth(3).unwrap_or("");
        let perms = perms.as_bytes();
        if perms.len() < 4 || perms[0] != b'r' || perms[1] != b'w' || perms[3] != b'p' {
            continue;
        }
        if name.starts_with("[vvar") || name == "[vsyscall]" || name == "[stack]" {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            continue;
        };
        if (start..end).contains(&stack_addr) {
            continue;
        }
        out.push((start, end));
    }
    out
}

/// How many copies of each needle the scanned memory holds.
pub fn count(needles: &[&Needle]) -> Vec<usize> {
    let debug = std::env::var_os("MEMORY_WIPE_DEBUG").is_some();
    let mut counts = vec![0usize; needles.len()];
    let mut mem = File::open("/proc/self/mem").unwrap();
    let mut buf = vec![0u8; CHUNK];
    // The scan buffer itself is left out: reading it into itself would replicate what it
    // holds.
    let buf_start = buf.as_ptr() as u64;
    let buf_end = buf_start + CHUNK as u64;
    let mut pieces = Vec::new();
    for (start, end) in regions() {
        if buf_end <= start || end <= buf_start {
            pieces.push((start, end));
        } else {
            pieces.push((start, buf_start.max(start)));
            pieces.push((buf_end.min(end), end));
        }
    }
    for (start, end) in pieces {
        let mut off = start;
        while off < end {
            let len = usize::try_from((end - off).min(CHUNK as u64)).unwrap();
            let ok =
                mem.seek(SeekFrom::Start(off)).is_ok() && mem.read_exact(&mut buf[..len]).is_ok();
            if !ok {
                break; // an unreadable region is skipped
            }
            if len >= KEY_LEN {
                for i in 0..=len - KEY_LEN {
                    for (k, (c, n)) in counts.iter_mut().zip(needles).enumerate() {
                        if n.matches_at(&buf[i..i + KEY_LEN]) {
                            if debug {
                                eprintln!(
                                    "needle {k} at {:#x} in {start:#x}-{end:#x}",
                                    off + i as u64
                                );
                            }
                            *c += 1;
                        }
                    }
                }
            }
            buf[..len].zeroize();
            if off + len as u64 >= end {
                break;
            }
            // Overlap by KEY_LEN - 1 bytes so a copy across the chunk boundary is found.
            off += (len - (KEY_LEN - 1)) as u64;
        }
    }
    buf.zeroize();
    counts
}
