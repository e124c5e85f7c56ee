//! Time comes from a `Clock` so the core can be tested without the wall clock.

use chrono::{DateTime, SecondsFormat, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says what it is told; the demo and tests move it by hand.
#[derive(Debug)]
pub struct FixedClock(std::sync::Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(std::sync::Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The one date format stored everywhere (due, until, KEV dates): `YYYY-MM-DD`.
pub fn day(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    // Written by hand for four-digit years: the import formats a due date per finding, and
    // chrono's format string is interpreted anew on every call.
    match d.year() {
        y @ 0..=9999 => format!("{y:04}-{:02}-{:02}", d.month(), d.day()),
        _ => d.format("%Y-%m-%d").to_string(),
    }
}

/// A stored date; `None` for anything that is not `YYYY-MM-DD`.
pub fn parse_day(s: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The one timestamp format stored everywhere: RFC 3339, UTC, whole seconds.
pub fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::{day, parse_day};
    use chrono::NaiveDate;

    #[test]
    fn days_are_written_as_chrono_writes_them_and_read_back() {
        for (y, m, d) in [
            (2026, 1, 7),
            (1, 12, 31),
            (999, 2, 3),
            (9999, 12, 31),
            (10000, 1, 1),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(day(date), date.format("%Y-%m-%d").to_string());
            if y <= 9999 {
                assert_eq!(parse_day(&day(date)), Some(date));
            }
        }
    }
}
