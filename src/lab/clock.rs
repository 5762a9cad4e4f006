//! The lab clock: virtual wall time that can run faster than real time, and the timestamp
//! formats routers print with it.
//!
//! Every timer in the lab (retransmissions, ping timeouts, uptime) goes through one
//! [`LabClock`], so a test can run a five-retransmission failure at 50x speed in a second while a
//! user practising sees real-time behaviour at 1x.

use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Which IOS generation a router imitates: it decides the debug-line prefixes the IKE model
/// prints (`ISAKMP:(0):` on 15.x, `ISAKMP: (0):` on IOS-XE 16) and the `show version` banner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Ios15,
    IosXe,
}

impl LogFormat {
    /// The timestamp `service timestamps debug datetime msec` puts before a debug or log line,
    /// colon included: `*Nov 26 10:15:42.123:`. The leading `*` says the clock is not NTP
    /// synchronised; both generations print the same form.
    pub fn debug_stamp(self, t: LabTime, ntp_synced: bool) -> String {
        let c = t.civil();
        format!(
            "{}{} {:>2} {:02}:{:02}:{:02}.{:03}:",
            unsynced_mark(ntp_synced),
            MONTHS[c.month0],
            c.day,
            c.hour,
            c.minute,
            c.second,
            c.millis
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ClockError {
    #[error("lab clock speed must be a positive number, not {0}")]
    BadSpeed(f64),
    #[error("lab clock start time is before 1970")]
    BeforeEpoch,
}

/// Virtual wall time: `start + real elapsed * speed`. Cheap to clone; clones share the origin.
#[derive(Debug, Clone)]
pub struct LabClock {
    inner: Arc<Origin>,
}

#[derive(Debug)]
struct Origin {
    speed: f64,
    start_unix_ms: u64,
    started: Instant,
}

impl LabClock {
    /// A clock reading `start` now and advancing `speed` virtual seconds per real second.
    pub fn new(speed: f64, start: SystemTime) -> Result<LabClock, ClockError> {
        if !(speed.is_finite() && speed > 0.0) {
            return Err(ClockError::BadSpeed(speed));
        }
        let since = start
            .duration_since(UNIX_EPOCH)
            .map_err(|_| ClockError::BeforeEpoch)?;
        Ok(LabClock {
            inner: Arc::new(Origin {
                speed,
                start_unix_ms: u64::try_from(since.as_millis()).unwrap_or(u64::MAX),
                started: Instant::now(),
            }),
        })
    }

    pub fn speed(&self) -> f64 {
        self.inner.speed
    }

    /// Virtual time elapsed since the clock was made (a router's uptime).
    pub fn elapsed(&self) -> Duration {
        self.inner.started.elapsed().mul_f64(self.inner.speed)
    }

    pub fn now(&self) -> LabTime {
        let ms = u64::try_from(self.elapsed().as_millis()).unwrap_or(u64::MAX);
        LabTime {
            unix_ms: self.inner.start_unix_ms.saturating_add(ms),
        }
    }

    /// How long a virtual duration lasts in real time at this clock's speed.
    pub fn real(&self, virtual_duration: Duration) -> Duration {
        virtual_duration.div_f64(self.inner.speed)
    }

    /// Sleeps for a virtual duration (2 s of IOS timeout is 40 ms at speed 50).
    pub async fn sleep(&self, virtual_duration: Duration) {
        tokio::time::sleep(self.real(virtual_duration)).await;
    }

    /// Sleeps until lab time `at`. A chain of timers each due a fixed time after the one before
    /// (retransmissions) sleeps to its deadlines: a task that wakes late on a busy machine then
    /// delays one step, not every later one.
    pub async fn sleep_until(&self, at: LabTime) {
        let ms = at.unix_ms.saturating_sub(self.inner.start_unix_ms);
        let real = Duration::from_millis(ms).div_f64(self.inner.speed);
        tokio::time::sleep_until(self.inner.started + real).await;
    }
}

/// One instant of lab time, in milliseconds since 1970 (UTC; the lab has no time zones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LabTime {
    pub unix_ms: u64,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

fn unsynced_mark(ntp_synced: bool) -> &'static str {
    if ntp_synced { "" } else { "*" }
}

struct Civil {
    year: i64,
    month0: usize,
    day: u32,
    weekday: usize,
    hour: u64,
    minute: u64,
    second: u64,
    millis: u64,
}

impl LabTime {
    /// `show clock` output: `*10:15:42.123 UTC Thu Nov 26 2026`.
    pub fn show_clock(self, ntp_synced: bool) -> String {
        let c = self.civil();
        format!(
            "{}{:02}:{:02}:{:02}.{:03} UTC {} {} {} {}",
            unsynced_mark(ntp_synced),
            c.hour,
            c.minute,
            c.second,
            c.millis,
            WEEKDAYS[c.weekday],
            MONTHS[c.month0],
            c.day,
            c.year
        )
    }

    /// The stamp of `! Last configuration change at 09:58:12 UTC Thu Nov 26 2026`.
    pub fn config_stamp(self) -> String {
        let c = self.civil();
        format!(
            "{:02}:{:02}:{:02} UTC {} {} {} {}",
            c.hour, c.minute, c.second, WEEKDAYS[c.weekday], MONTHS[c.month0], c.day, c.year
        )
    }

    fn civil(self) -> Civil {
        let days = (self.unix_ms / 86_400_000) as i64;
        let ms_of_day = self.unix_ms % 86_400_000;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month0: (month - 1) as usize,
            day,
            // 1970-01-01 was a Thursday.
            weekday: ((days + 4) % 7) as usize,
            hour: ms_of_day / 3_600_000,
            minute: ms_of_day / 60_000 % 60,
            second: ms_of_day / 1000 % 60,
            millis: ms_of_day % 1000,
        }
    }
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`); std has no calendar and one function beats a dependency.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// IOS's uptime phrase: `1 week, 2 days, 3 hours, 4 minutes`; minutes always shown.
pub fn uptime_phrase(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    let parts = [
        (mins / (7 * 24 * 60), "week"),
        (mins / (24 * 60) % 7, "day"),
        (mins / 60 % 24, "hour"),
    ];
    let mut out: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| plural(*n, unit))
        .collect();
    out.push(plural(mins % 60, "minute"));
    out.join(", ")
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Thu Nov 26 2026 10:15:42.123 UTC
    const NOV_26: u64 = 1_795_688_142_123;

    #[test]
    fn formats_show_clock_like_ios() {
        let t = LabTime { unix_ms: NOV_26 };
        assert_eq!(t.show_clock(false), "*10:15:42.123 UTC Thu Nov 26 2026");
        assert_eq!(t.show_clock(true), "10:15:42.123 UTC Thu Nov 26 2026");
    }

    #[test]
    fn debug_stamp_pads_single_digit_days_with_a_space() {
        let t = LabTime { unix_ms: NOV_26 };
        assert_eq!(
            LogFormat::Ios15.debug_stamp(t, false),
            "*Nov 26 10:15:42.123:"
        );
        assert_eq!(
            LogFormat::IosXe.debug_stamp(t, true),
            "Nov 26 10:15:42.123:"
        );
        // 1 Mar 2026 00:42:09.431
        let march = LabTime {
            unix_ms: 1_772_325_729_431,
        };
        assert_eq!(
            LogFormat::Ios15.debug_stamp(march, false),
            "*Mar  1 00:42:09.431:"
        );
    }

    #[test]
    fn calendar_handles_leap_days_and_epoch() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn rejects_bad_speeds() {
        assert_eq!(
            LabClock::new(0.0, SystemTime::now()).unwrap_err(),
            ClockError::BadSpeed(0.0)
        );
        assert!(LabClock::new(f64::NAN, SystemTime::now()).is_err());
    }

    /// On tokio's paused clock the mapping is exact; on the real one a loaded machine only
    /// ever makes the sleep longer, which says nothing about the clock.
    #[tokio::test(start_paused = true)]
    async fn a_fast_clock_runs_virtual_time_faster() {
        let start = UNIX_EPOCH + Duration::from_millis(NOV_26);
        let clock = LabClock::new(50.0, start).unwrap();
        let real = tokio::time::Instant::now();
        clock.sleep(Duration::from_secs(2)).await;
        // Two lab seconds take 40 ms of real time at speed 50.
        assert_eq!(real.elapsed(), Duration::from_millis(40));
        assert_eq!(clock.now().unix_ms, NOV_26 + 2_000);
        assert_eq!(
            clock.real(Duration::from_secs(2)),
            Duration::from_millis(40)
        );
    }

    #[test]
    fn uptime_reads_like_show_version() {
        assert_eq!(uptime_phrase(Duration::from_secs(30)), "0 minutes");
        assert_eq!(uptime_phrase(Duration::from_secs(61)), "1 minute");
        assert_eq!(
            uptime_phrase(Duration::from_secs(8 * 86_400 + 3_600 + 120)),
            "1 week, 1 day, 1 hour, 2 minutes"
        );
    }
}
