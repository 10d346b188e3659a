//! The sandbox's notion of "now": a base [`Clock`] plus an offset a test can push forward.
//!
//! In-process tests may hand the sandbox a `ManualClock`; tests that reach the sandbox only over
//! HTTP (another process, `siyu dev`) move time with `POST /sandbox/clock/advance`. Both end up
//! here, so expiry logic reads one clock and no test ever sleeps for five minutes.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use siyu_core::Clock;

/// A clock that can be advanced at run time on top of a base clock.
#[derive(Debug, Clone)]
pub struct SandboxClock {
    base: Arc<dyn Clock>,
    offset: Arc<Mutex<Duration>>,
}

impl SandboxClock {
    /// A clock that reads `base` with no offset.
    pub fn new(base: Arc<dyn Clock>) -> Self {
        Self {
            base,
            offset: Arc::new(Mutex::new(Duration::zero())),
        }
    }

    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.base.now() + *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the sandbox's time forward by `by`; returns the new now.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut offset = self.offset.lock().unwrap_or_else(PoisonError::into_inner);
        *offset += by;
        self.base.now() + *offset
    }
}

#[cfg(test)]
mod tests {
    use siyu_core::ManualClock;

    use super::*;

    #[test]
    fn advance_adds_to_the_base_clock() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let base = ManualClock::new(start);
        let clock = SandboxClock::new(Arc::new(base.clone()));
        assert_eq!(clock.now(), start);
        assert_eq!(
            clock.advance(Duration::seconds(301)),
            start + Duration::seconds(301)
        );
        base.advance(Duration::seconds(1));
        assert_eq!(clock.now(), start + Duration::seconds(302));
    }
}
