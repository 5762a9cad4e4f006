//! Deadlines from durations a user or a file chose. `Instant + Duration` panics when the sum
//! does not fit (`--idle-cutoff 18446744073709551615s`, a typo in an inventory's timeout), and a
//! panic in the middle of a debug window is exactly what must not happen; so every deadline
//! is computed here, saturating instead.

use std::time::Duration;
use tokio::time::Instant;

/// About thirty years: later than any run lives, small enough to add to any clock.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// `start + d`, or a point far enough in the future that it never comes.
pub fn after(start: Instant, d: Duration) -> Instant {
    start
        .checked_add(d)
        .or_else(|| start.checked_add(FAR))
        .unwrap_or(start)
}

/// `now + d`, saturating.
pub fn from_now(d: Duration) -> Instant {
    after(Instant::now(), d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_saturate_instead_of_panicking() {
        let now = Instant::now();
        let huge = Duration::from_secs(u64::MAX);
        assert!(after(now, huge) > after(now, Duration::from_secs(3600)));
        assert_eq!(
            after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        assert!(from_now(Duration::MAX) > now);
    }
}
