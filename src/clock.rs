//! The local time of day, for log lines, outbox timestamps and file names,
//! and moments shown and read as local time (local verification).
//!
//! Read without thread-local storage: chrono's `Local` caches the time zone
//! in a thread-local on Unix, which is gone when a host program calls ywx
//! from an `atexit` handler or a thread-local destructor (no export may
//! fail there). `localtime_r` keeps its state in the C library.

use chrono::NaiveDateTime;

/// The local time `offset_ms` from now in the gateway's format,
/// `yyyy-MM-dd HH:mm:ss` (outbox timestamps, 5.1.1 look-ups).
pub fn text_at(offset_ms: i64) -> String {
    (now() + chrono::Duration::milliseconds(offset_ms))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Now, in the local time zone.
#[cfg(unix)]
pub fn now() -> NaiveDateTime {
    use std::time::{SystemTime, UNIX_EPOCH};
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let Ok(secs) = libc::time_t::try_from(since.as_secs()) else {
        return chrono::Utc::now().naive_utc();
    };
    // SAFETY: `tm` is a plain C struct, written by localtime_r before it is
    // read; localtime_r is thread-safe and reads only `secs`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return chrono::Utc::now().naive_utc();
        }
        tm
    };
    chrono::NaiveDate::from_ymd_opt(tm.tm_year + 1900, (tm.tm_mon + 1) as u32, tm.tm_mday as u32)
        .and_then(|d| {
            // A leap second (tm_sec 60) is shown as :59.
            d.and_hms_milli_opt(
                tm.tm_hour as u32,
                tm.tm_min as u32,
                tm.tm_sec.min(59) as u32,
                since.subsec_millis(),
            )
        })
        .unwrap_or_else(|| chrono::Utc::now().naive_utc())
}

/// Now, in the local time zone (chrono's `Local` keeps no thread-local here).
#[cfg(not(unix))]
pub fn now() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// Seconds since 1970 (UTC), now.
pub fn unix_now() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A moment (seconds since 1970, UTC) as local time, `yyyy-MM-dd HH:mm:ss`
/// (certificates' validity, signing and timestamp times).
pub fn text_of(unix: i64) -> String {
    local_of(unix)
        .unwrap_or_else(|| {
            chrono::DateTime::from_timestamp(unix, 0)
                .map_or_else(Default::default, |d| d.naive_utc())
        })
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Local time `yyyy-MM-dd HH:mm:ss` as seconds since 1970 (UTC).
pub fn parse_local(text: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    unix_of_local(t)
}

#[cfg(unix)]
fn local_of(unix: i64) -> Option<NaiveDateTime> {
    let secs = libc::time_t::try_from(unix).ok()?;
    // SAFETY: as in `now`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return None;
        }
        tm
    };
    chrono::NaiveDate::from_ymd_opt(tm.tm_year + 1900, (tm.tm_mon + 1) as u32, tm.tm_mday as u32)?
        .and_hms_opt(
            tm.tm_hour as u32,
            tm.tm_min as u32,
            tm.tm_sec.min(59) as u32,
        )
}

#[cfg(unix)]
fn unix_of_local(t: NaiveDateTime) -> Option<i64> {
    use chrono::{Datelike, Timelike};
    // SAFETY: `tm` is a plain C struct filled here; mktime reads and
    // normalises it and keeps its state in the C library.
    let secs = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = t.year() - 1900;
        tm.tm_mon = t.month0() as i32;
        tm.tm_mday = t.day() as i32;
        tm.tm_hour = t.hour() as i32;
        tm.tm_min = t.minute() as i32;
        tm.tm_sec = t.second() as i32;
        tm.tm_isdst = -1;
        libc::mktime(&mut tm)
    };
    (secs != -1).then_some(secs as i64)
}

#[cfg(not(unix))]
fn local_of(unix: i64) -> Option<NaiveDateTime> {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(unix, 0)
        .single()
        .map(|d| d.naive_local())
}

#[cfg(not(unix))]
fn unix_of_local(t: NaiveDateTime) -> Option<i64> {
    use chrono::TimeZone;
    chrono::Local
        .from_local_datetime(&t)
        .earliest()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_text_round_trips() {
        let now = super::unix_now();
        let text = super::text_of(now);
        assert_eq!(super::parse_local(&text), Some(now));
        assert_eq!(super::parse_local("2024-02-30 00:00:00"), None);
    }

    #[test]
    fn agrees_with_chrono() {
        let ours = super::now();
        let theirs = chrono::Local::now().naive_local();
        let apart = (theirs - ours).num_milliseconds().abs();
        assert!(apart < 2000, "{ours} vs {theirs}");
    }
}
