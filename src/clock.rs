//! The one clock: every "now" in Bulletin comes from a [`Clock`], so tests and replays can
//! fix the time for the pipeline, the web layer and the renderers alike. Nothing else
//! reads the system time (a test in `tests/invariants.rs` checks).

use chrono::{DateTime, Utc};

/// Where "now" comes from: the system, or a fixed instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that always reads `at`.
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock { fixed: Some(at) }
    }

    /// `Some` when the clock is fixed.
    pub fn fixed_at(&self) -> Option<DateTime<Utc>> {
        self.fixed
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stands_still() {
        let at = "2026-12-02T09:00:00Z".parse().unwrap();
        assert_eq!(Clock::fixed(at).now(), at);
        assert!(Clock::system().now() > at - chrono::Duration::days(3650));
    }
}
