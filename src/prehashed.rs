//! Hash maps and sets keyed by values that are already uniformly distributed hashes (fingerprint
//! keys): hashing them again with SipHash costs import time for nothing.

use std::hash::{BuildHasherDefault, Hasher};

/// Passes a `u64` key (or an `i64`, which `Hasher` forwards to `write_u64`) straight through.
#[derive(Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    /// Only reached for keys that are not integers; folds them in rather than dropping bytes.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type BuildPassThrough = BuildHasherDefault<PassThrough>;
