//! The time the time-based parts of Rapport go by: which jobs are due, which
//! dates are reached, which tasks are overdue, how long a record has been quiet.
//!
//! Servers use the real clock. Tests use an adjustable one, which follows the
//! real time shifted by an offset they move forward: what is written keeps real
//! timestamps, and a scan "three days later" sees those as three days old.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use rapport_domain::value::truncate_micros;

#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Microseconds added to the real time; `None` for the real clock.
    offset: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn real() -> Clock {
        Clock { offset: None }
    }

    /// A clock that starts at the real time and moves further only when told to.
    pub fn adjustable() -> Clock {
        Clock { offset: Some(Arc::new(AtomicI64::new(0))) }
    }

    /// The current time, to the microsecond (the precision both databases store).
    pub fn now(&self) -> DateTime<Utc> {
        let real = Utc::now();
        match &self.offset {
            None => truncate_micros(real),
            Some(o) => truncate_micros(real + Duration::microseconds(o.load(Ordering::SeqCst))),
        }
    }

    /// Moves an adjustable clock forward; every store sharing it sees the new time.
    ///
    /// # Panics
    /// On the real clock, which nothing may move.
    pub fn advance(&self, by: Duration) {
        let o = self.offset.as_ref().expect("only an adjustable clock can be moved");
        o.fetch_add(by.num_microseconds().expect("a duration of less than 290,000 years"), Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adjustable_clock_moves_forward_when_told() {
        let clock = Clock::adjustable();
        let shared = clock.clone();
        let before = shared.now();
        clock.advance(Duration::days(3));
        let after = shared.now();
        assert!(after - before >= Duration::days(3) && after - before < Duration::days(3) + Duration::minutes(1));
        assert!((Clock::real().now() - Utc::now()).num_seconds().abs() < 60);
    }
}
