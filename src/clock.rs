//! The local time of day, for log lines, outbox timestamps and file names.
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

#[cfg(test)]
mod tests {
    #[test]
    fn agrees_with_chrono() {
        let ours = super::now();
        let theirs = chrono::Local::now().naive_local();
        let apart = (theirs - ours).num_milliseconds().abs();
        assert!(apart < 2000, "{ours} vs {theirs}");
    }
}
