//! Clocks: the local time of day (log lines, outbox timestamps, file
//! names), moments shown and read as local time (local verification), and
//! the gateway's clock (where 5.1.1 finds an order: the time the gateway
//! received it, in its own clock and time zone).
//!
//! The local time is read without thread-local storage: chrono's `Local`
//! caches the time zone in a thread-local on Unix, which is gone when a
//! host program calls ywx from an `atexit` handler or a thread-local
//! destructor (no export may fail there). `localtime_r` keeps its state in
//! the C library.

mod stamp;

pub use stamp::stamp;

use std::sync::atomic::Ordering::{self, Relaxed};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::NaiveDateTime;

/// The gateway's time format, `yyyy-MM-dd HH:mm:ss`.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Milliseconds since the epoch, by the local clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        // Not `as_millis`, which divides 128 bits.
        .map(|d| d.as_secs() as i64 * 1000 + i64::from(d.subsec_millis()))
        .unwrap_or(0)
}

/// The gateway's clock as the `Date` of its HTTP responses shows it: how
/// far it is ahead of the local clock (a HIS whose clock is a day behind,
/// or a gateway whose clock is off, still finds its orders).
#[derive(Debug, Default)]
pub struct GatewayClock {
    offset_ms: AtomicI64,
    known: AtomicBool,
    /// The last `Date` read ([`date_key`]): the responses of one second
    /// say no more than the first of them.
    last_date: AtomicU64,
}

impl GatewayClock {
    /// A response's `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`).
    pub fn observe(&self, http_date: &str) {
        let key = date_key(http_date);
        if self.known.load(Ordering::Acquire) && self.last_date.load(Relaxed) == key {
            return;
        }
        if let Some(secs) = parse_http_date(http_date) {
            // The header is cut to the second: the middle of that second.
            let offset = secs * 1000 + 500 - now_ms();
            self.offset_ms.store(offset, Ordering::Relaxed);
            self.known.store(true, Ordering::Release);
            self.last_date.store(key, Relaxed);
        }
    }

    /// The gateway's clock minus the local clock, once a response said.
    pub fn offset_ms(&self) -> Option<i64> {
        self.known
            .load(Ordering::Acquire)
            .then(|| self.offset_ms.load(Ordering::Relaxed))
    }
}

/// This machine's time zone now, in minutes east of UTC.
pub fn local_zone_minutes() -> i32 {
    (offset_at(now_ms().div_euclid(1000)) / 60) as i32
}

/// A local instant (ms since the epoch) as the gateway writes it: moved by
/// the gateway clock's `offset_ms`, in the zone `zone_minutes` east of UTC.
pub fn gateway_text(local_ms: i64, offset_ms: i64, zone_minutes: i32) -> String {
    let at = local_ms + offset_ms + i64::from(zone_minutes) * 60_000;
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.naive_utc().format(FORMAT).to_string())
        .unwrap_or_default()
}

/// A digest of an HTTP date's text, to tell it from the last one without
/// reading it: its 29 bytes as four overlapping words, mixed by odd
/// multipliers (two different dates that collide only keep the offset
/// the earlier one gave). 0 for any other length.
fn date_key(s: &str) -> u64 {
    let b = s.as_bytes();
    if b.len() != 29 {
        return 0;
    }
    let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"));
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    [word(8), word(16), word(21)]
        .into_iter()
        .fold(word(0), |h, w| h.wrapping_mul(K) ^ w)
}

/// An HTTP date (RFC 9110's IMF-fixdate, the only form servers send now)
/// as seconds since the epoch; None for anything else, or a day that does
/// not exist. Read from every response (`Date`): plain arithmetic.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0, |n: i64, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == &b[8..11])? as i64 + 1;
    let (year, day) = (num(12..16)?, num(5..7)?);
    let (hour, minute, second) = (num(17..19)?, num(20..22)?, num(23..25)?.min(59));
    if !(1..=days_in_month(year, month)).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// The days of a month of the proleptic Gregorian calendar.
fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Now, local time, in the gateway's format `yyyy-MM-dd HH:mm:ss`
/// (outbox timestamps).
pub fn now_text() -> String {
    now().format(FORMAT).to_string()
}

/// Now, in the local time zone (to the millisecond).
#[cfg(unix)]
pub fn now() -> NaiveDateTime {
    let ms = now_ms();
    local_of(ms.div_euclid(1000))
        .map(|t| t + chrono::Duration::milliseconds(ms.rem_euclid(1000)))
        .unwrap_or_else(|| chrono::Utc::now().naive_utc())
}

/// Now, in the local time zone (chrono's `Local` keeps no thread-local here).
#[cfg(not(unix))]
pub fn now() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// Seconds since 1970 (UTC), now.
pub fn unix_now() -> i64 {
    now_ms().div_euclid(1000)
}

/// A moment (seconds since 1970, UTC) as local time, `yyyy-MM-dd HH:mm:ss`
/// (certificates' validity, signing and timestamp times).
pub fn text_of(unix: i64) -> String {
    local_of(unix)
        .unwrap_or_else(|| {
            chrono::DateTime::from_timestamp(unix, 0)
                .map_or_else(Default::default, |d| d.naive_utc())
        })
        .format(FORMAT)
        .to_string()
}

/// Local time `yyyy-MM-dd HH:mm:ss` as seconds since 1970 (UTC).
pub fn parse_local(text: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(text.trim(), FORMAT).ok()?;
    unix_of_local(t)
}

/// A moment as local time, to the second. Read without thread-local
/// storage (see the module's note): `localtime_r` keeps its state in the
/// C library. A leap second (tm_sec 60) is shown as :59.
#[cfg(unix)]
fn local_of(unix: i64) -> Option<NaiveDateTime> {
    let secs = libc::time_t::try_from(unix).ok()?;
    // SAFETY: `tm` is a plain C struct, written by localtime_r before it is
    // read; localtime_r is thread-safe and reads only `secs`.
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

/// Local time minus UTC, in seconds, at `secs`.
fn utc_offset(secs: i64) -> i64 {
    local_of(secs).map_or(0, |t| t.and_utc().timestamp() - secs)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// algorithm).
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
    use super::*;

    #[test]
    fn http_dates_and_the_gateways_time() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sunday, 06-Nov-94 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        // 00:30 UTC is 08:30 in China Standard Time; a clock an hour ahead.
        let t = 784_111_777_000 - (8 * 3600 + 19 * 60 + 37) * 1000;
        assert_eq!(gateway_text(t, 0, 480), "1994-11-06 08:30:00");
        assert_eq!(gateway_text(t, 3_600_000, 480), "1994-11-06 09:30:00");
        let clock = GatewayClock::default();
        assert_eq!(clock.offset_ms(), None);
        clock.observe("Sun, 06 Nov 1994 08:49:37 GMT");
        let off = clock.offset_ms().unwrap();
        assert!(off < -1_000_000_000, "a gateway of 1994: {off}");
        // The same second again says nothing new; the next one does.
        clock.observe("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(clock.offset_ms(), Some(off));
        clock.observe("Sun, 06 Nov 1994 08:49:38 GMT");
        let next = clock.offset_ms().unwrap();
        assert!((next - off - 1000).abs() < 1000, "{off} then {next}");
        // A date not read (a malformed one) leaves it.
        clock.observe("Sun, 06 Nov 1994 08:49:99 GMT x");
        assert_eq!(clock.offset_ms(), Some(next));
        // Every second of two days, and every hour of ten years, has a
        // key of its own.
        let start = 1_767_225_599i64; // 2025-12-31 23:59:59 UTC
        let seconds: Vec<i64> = (0..2 * 86_400)
            .chain((0..10 * 8_784).map(|h| 3 * 86_400 + h * 3600))
            .map(|s| start + s)
            .collect();
        let keys: std::collections::HashSet<u64> = seconds
            .iter()
            .map(|&s| {
                let t = chrono::DateTime::from_timestamp(s, 0).unwrap();
                date_key(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
            })
            .collect();
        assert_eq!(keys.len(), seconds.len());
    }

    /// The arithmetic agrees with chrono's calendar on every day of four
    /// centuries, on days that do not exist and on times out of range.
    #[test]
    fn http_dates_agree_with_chrono() {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let chronos = |y: i32, m: u32, d: u32, hh: u32, mm: u32, ss: u32| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)?
                .and_hms_opt(hh, mm, ss.min(59))
                .map(|t| t.and_utc().timestamp())
        };
        for y in (1899..2301).chain([0, 1, 1600, 9999]) {
            for m in 1..=12u32 {
                for (d, hh, mm, ss) in (0..=32).map(|d| (d, 23, 59, 60)).chain([
                    (1, 24, 0, 0),
                    (1, 0, 60, 0),
                    (1, 7, 8, 99),
                ]) {
                    let text = format!(
                        "Sun, {d:02} {} {y:04} {hh:02}:{mm:02}:{ss:02} GMT",
                        MONTHS[m as usize - 1]
                    );
                    assert_eq!(
                        parse_http_date(&text),
                        chronos(y, m, d, hh, mm, ss),
                        "{text}"
                    );
                }
            }
        }
        for bad in [
            "Sun, 06 Nov 199x 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:4é:37 GM",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_local_zone_is_chronos() {
        let theirs = chrono::Local::now().offset().local_minus_utc() / 60;
        assert_eq!(local_zone_minutes(), theirs);
    }

    #[test]
    fn local_text_round_trips() {
        let now = super::unix_now();
        let text = super::text_of(now);
        assert_eq!(super::parse_local(&text), Some(now));
        assert_eq!(super::parse_local("2024-02-30 00:00:00"), None);
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
