//! Random strings shaped like WeChat's: codes, tokens, session keys, openids.

use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One seeded generator per sandbox; the workspace builds rand without `thread_rng`.
#[derive(Debug)]
pub(crate) struct Random {
    rng: Mutex<StdRng>,
}

impl Random {
    pub(crate) fn new() -> Self {
        Self {
            rng: Mutex::new(StdRng::from_os_rng()),
        }
    }

    /// `len` characters from `[A-Za-z0-9]`.
    pub(crate) fn alphanumeric(&self, len: usize) -> String {
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        Alphanumeric.sample_string(&mut *rng, len)
    }

    /// `len` lowercase hex characters.
    pub(crate) fn hex(&self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        (0..len)
            .map(|_| char::from(DIGITS[rng.random_range(0..16)]))
            .collect()
    }

    /// A random `u32`, for the tail of a WeChat `rid`.
    pub(crate) fn u32(&self) -> u32 {
        self.rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random()
    }

    /// 16 random bytes in standard base64 (24 chars), the shape of a real `session_key`.
    pub(crate) fn session_key(&self) -> String {
        let bytes: [u8; 16] = self
            .rng
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .random();
        STANDARD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_right() {
        let random = Random::new();
        assert_eq!(random.session_key().len(), 24);
        assert_eq!(random.hex(64).len(), 64);
        assert!(random.hex(64).chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(random.alphanumeric(32), random.alphanumeric(32));
    }
}
