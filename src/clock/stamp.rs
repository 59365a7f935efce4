//! The time at the head of a log line, `yyyy-MM-dd HH:mm:ss.SSS` local.
//!
//! Written on every call, so made cheaply: the text of the current second
//! is kept in a few atomic words, and most calls copy it and add the
//! milliseconds. No lock and no thread-local: it works from `atexit`
//! handlers and thread-local destructors too.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicU64, fence};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{civil_from_days, offset_at};

/// Appends now, local time, as `yyyy-MM-dd HH:mm:ss.SSS` (log lines).
pub fn stamp(out: &mut String) {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let mut b = SECOND.read(secs).unwrap_or_else(|| {
        let b = second_text(secs);
        SECOND.write(secs, b);
        b
    });
    let ms = since.subsec_millis() as usize;
    b[20..22].copy_from_slice(&DIGITS[ms / 10 * 2..ms / 10 * 2 + 2]);
    b[22] = b'0' + (ms % 10) as u8;
    // ASCII digits and separators: always UTF-8.
    out.push_str(std::str::from_utf8(&b[..23]).unwrap_or("0000-00-00 00:00:00.000"));
}

/// `secs` (since the epoch) as local `yyyy-MM-dd HH:mm:ss`, in a buffer
/// with room for the milliseconds.
fn second_text(secs: u64) -> [u8; 24] {
    let secs = i64::try_from(secs).unwrap_or(0);
    let local = secs + offset_at(secs);
    let (days, of_day) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as usize;
    let of_day = of_day as usize;
    let mut b = *b"0000-00-00 00:00:00.000\0";
    // Two digits at a time, from a table (no division by ten per digit).
    let mut two = |at: usize, v: usize| b[at..at + 2].copy_from_slice(&DIGITS[v * 2..v * 2 + 2]);
    two(0, y / 100);
    two(2, y % 100);
    two(5, m as usize);
    two(8, d as usize);
    two(11, of_day / 3600);
    two(14, of_day / 60 % 60);
    two(17, of_day % 60);
    b
}

/// "00" to "99", each number's two digits.
static DIGITS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[i * 2] = b'0' + (i / 10) as u8;
        t[i * 2 + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// The last second written, with its text: a sequence lock over atomic
/// words. A writer makes `seq` odd while it changes them, and even again
/// after; a reader keeps what it read only when `seq` was the same even
/// number before and after (else it works the text out itself).
struct Second {
    seq: AtomicU64,
    /// Seconds since the epoch, plus one (0: nothing kept yet).
    secs: AtomicU64,
    text: [AtomicU64; 3],
}

static SECOND: Second = Second {
    seq: AtomicU64::new(0),
    secs: AtomicU64::new(0),
    text: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
};

impl Second {
    fn read(&self, secs: u64) -> Option<[u8; 24]> {
        let before = self.seq.load(Acquire);
        let kept = self.secs.load(Relaxed);
        let words = [0, 1, 2].map(|i| self.text[i].load(Relaxed));
        fence(Acquire);
        let after = self.seq.load(Relaxed);
        if before % 2 == 1 || before != after || kept != secs.wrapping_add(1) {
            return None;
        }
        let mut b = [0u8; 24];
        for (i, w) in words.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        Some(b)
    }

    /// Keeps `text` for `secs`, unless another thread is writing.
    fn write(&self, secs: u64, text: [u8; 24]) {
        let seq = self.seq.load(Relaxed);
        if seq % 2 == 1
            || self
                .seq
                .compare_exchange(seq, seq + 1, Acquire, Relaxed)
                .is_err()
        {
            return;
        }
        fence(Release);
        self.secs.store(secs.wrapping_add(1), Relaxed);
        for (i, word) in text.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            self.text[i].store(word, Relaxed);
        }
        self.seq.store(seq + 2, Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_agrees_with_chrono() {
        let mut ours = String::new();
        stamp(&mut ours);
        assert_eq!(ours.len(), 23, "{ours}");
        let parsed = chrono::NaiveDateTime::parse_from_str(&ours, "%Y-%m-%d %H:%M:%S%.3f")
            .unwrap_or_else(|e| panic!("{ours}: {e}"));
        let theirs = chrono::Local::now().naive_local();
        let apart = (theirs - parsed).num_milliseconds().abs();
        assert!(apart < 2000, "{ours} vs {theirs}");
        for n in 0..100 {
            assert_eq!(&DIGITS[n * 2..n * 2 + 2], format!("{n:02}").as_bytes());
        }
    }

    /// What is kept is what is worked out, for any second; a second not
    /// kept is not read.
    #[test]
    fn a_kept_second_reads_back_as_written() {
        let cache = Second {
            seq: AtomicU64::new(0),
            secs: AtomicU64::new(0),
            text: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
        };
        assert_eq!(cache.read(0), None);
        for secs in [0, 1_700_000_000, 1_796_447_166, 4_102_444_799] {
            let text = second_text(secs);
            cache.write(secs, text);
            assert_eq!(cache.read(secs), Some(text));
            assert_eq!(cache.read(secs + 1), None);
        }
    }

    /// Threads stamping at once never see a torn text: every stamp is a
    /// well-formed time of the run.
    #[test]
    fn stamps_from_many_threads_are_whole() {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    let mut out = String::new();
                    for _ in 0..20_000 {
                        out.clear();
                        stamp(&mut out);
                        let b = out.as_bytes();
                        assert_eq!(b.len(), 23, "{out}");
                        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];
                        assert!(digits.iter().all(|&i| b[i].is_ascii_digit()), "{out}");
                        assert_eq!(
                            (b[4], b[7], b[10], b[13], b[16], b[19]),
                            (b'-', b'-', b' ', b':', b':', b'.')
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
