//! The local time of day, for log lines, outbox timestamps and file names.
//!
//! Read without thread-local storage: chrono's `Local` caches the time zone
//! in a thread-local on Unix, which is gone when a host program calls ywx
//! from an `atexit` handler or a thread-local destructor (no export may
//! fail there). `localtime_r` keeps its state in the C library.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Appends now, local time, as `yyyy-MM-dd HH:mm:ss.SSS` (log lines).
///
/// Cheap enough for every call: the zone's offset from UTC is looked up
/// at most once a second per process and kept in one atomic word (no lock,
/// no thread-local, so it works from `atexit` handlers and thread-local
/// destructors too); the rest is arithmetic on the system clock.
pub fn stamp(out: &mut String) {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(since.as_secs()).unwrap_or(0);
    let local = secs + offset_at(secs);
    let (days, of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let mut b = *b"0000-00-00 00:00:00.000";
    let mut put = |at: usize, width: usize, mut v: i64| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y.clamp(0, 9999));
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, of_day / 3600);
    put(14, 2, of_day / 60 % 60);
    put(17, 2, of_day % 60);
    put(20, 3, i64::from(since.subsec_millis()));
    // ASCII digits and separators: always UTF-8.
    out.push_str(std::str::from_utf8(&b).unwrap_or("0000-00-00 00:00:00.000"));
}

/// The local zone's offset from UTC at `secs` (seconds since the epoch),
/// from a cache of the last second looked up: `secs << 20 | offset + 2^19`
/// (0: nothing cached). Threads racing to refresh it store the same value.
fn offset_at(secs: i64) -> i64 {
    static CACHE: AtomicU64 = AtomicU64::new(0);
    const BIAS: i64 = 1 << 19;
    let cached = CACHE.load(Relaxed);
    if cached != 0 && (cached >> 20) as i64 == secs {
        return (cached & 0xF_FFFF) as i64 - BIAS;
    }
    let offset = utc_offset(secs).clamp(1 - BIAS, BIAS - 1);
    if secs >= 0 {
        CACHE.store(((secs as u64) << 20) | (offset + BIAS) as u64, Relaxed);
    }
    offset
}

/// Local time minus UTC, in seconds, at `secs` (localtime_r: the C
/// library's zone, no thread-local).
#[cfg(unix)]
fn utc_offset(secs: i64) -> i64 {
    let Some(t) = u64::try_from(secs)
        .ok()
        .and_then(|s| libc::time_t::try_from(s).ok())
    else {
        return 0;
    };
    // SAFETY: as in `now`.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm
    };
    let days = days_from_civil(
        i64::from(tm.tm_year) + 1900,
        i64::from(tm.tm_mon) + 1,
        i64::from(tm.tm_mday),
    );
    let local = days * 86_400
        + i64::from(tm.tm_hour) * 3600
        + i64::from(tm.tm_min) * 60
        + i64::from(tm.tm_sec.min(59));
    local - secs
}

#[cfg(not(unix))]
fn utc_offset(secs: i64) -> i64 {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_opt(secs, 0)
        .earliest()
        .map_or(0, |t| i64::from(t.offset().local_minus_utc()))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
#[cfg_attr(not(unix), allow(dead_code))]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01: (year, month, day).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamp_agrees_with_chrono() {
        let mut ours = String::new();
        super::stamp(&mut ours);
        assert_eq!(ours.len(), 23, "{ours}");
        let parsed = chrono::NaiveDateTime::parse_from_str(&ours, "%Y-%m-%d %H:%M:%S%.3f")
            .unwrap_or_else(|e| panic!("{ours}: {e}"));
        let theirs = chrono::Local::now().naive_local();
        let apart = (theirs - parsed).num_milliseconds().abs();
        assert!(apart < 2000, "{ours} vs {theirs}");
    }

    #[test]
    fn civil_dates_round_trip() {
        use chrono::Datelike;
        for days in (-800_000..800_000)
            .step_by(997)
            .chain([-1, 0, 59, 60, 11_016, 19_782])
        {
            let (y, m, d) = super::civil_from_days(days);
            let want =
                chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(days);
            assert_eq!(
                (y, m, d),
                (
                    i64::from(want.year()),
                    i64::from(want.month()),
                    i64::from(want.day())
                ),
                "{days}"
            );
            assert_eq!(super::days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn agrees_with_chrono() {
        let ours = super::now();
        let theirs = chrono::Local::now().naive_local();
        let apart = (theirs - ours).num_milliseconds().abs();
        assert!(apart < 2000, "{ours} vs {theirs}");
    }
}
