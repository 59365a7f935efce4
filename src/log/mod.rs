//! Call log: one file a day (`ywx-YYYY-MM-DD.log`), one line a call.
//!
//! Only what the caller of [`Logger::call`] passes is written: method,
//! duration, status, and the order's urId or uniqueId. Secrets, patients'
//! names and card numbers and base64 payloads never reach this module.
//!
//! Off the call path: a call formats its line (the time from a per-second
//! cache, `clock::stamp`) and queues it without a lock (`queue.rs`); a
//! writer thread of the log's own appends the queued lines in batches,
//! within 200 ms (`sink.rs`). The queue is written out at `ywx_shutdown`,
//! before `ywx_init` answers, at exit and at unload (`process.rs`), so a
//! killed process loses at most the lines of its last 200 ms. A full queue
//! (100 000 lines) drops lines and the log says how many. A forked child
//! starts a writer of its own on its first line.

mod process;
mod queue;
mod sink;
mod thread;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sink::Sink;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off,
    Error,
    Info,
    Debug,
}

impl Level {
    pub fn parse(s: &str) -> Level {
        match s {
            "off" => Level::Off,
            "error" => Level::Error,
            "debug" => Level::Debug,
            _ => Level::Info,
        }
    }
}

pub struct Logger {
    level: Level,
    /// None when nothing is logged.
    sink: Option<Arc<Sink>>,
}

impl Logger {
    pub fn new(dir: Option<PathBuf>, level: Level) -> Logger {
        let sink = dir.filter(|_| level != Level::Off).map(|dir| {
            let sink = Arc::new(Sink::new(dir));
            process::register(&sink);
            sink
        });
        Logger { level, sink }
    }

    /// Whether anything is logged at all.
    pub fn enabled(&self) -> bool {
        self.sink.is_some()
    }

    /// Logs one finished call. `status` is the envelope's status; `key` the
    /// urId / uniqueId / requestId the call was about, if any.
    pub fn call(&self, method: &str, took: Duration, status: &str, message: &str, key: &str) {
        let failed = status != "0";
        let level = if failed { Level::Error } else { Level::Info };
        let Some(sink) = self.sink.as_ref().filter(|_| self.level >= level) else {
            return;
        };
        let mut line =
            String::with_capacity(48 + method.len() + status.len() + key.len() + message.len());
        crate::clock::stamp(&mut line);
        line.push(' ');
        line.push_str(method);
        line.push(' ');
        // Whole milliseconds in 64 bits (`as_millis` divides 128).
        let ms = took.as_secs().saturating_mul(1000);
        line.push_str(
            itoa::Buffer::new().format(ms.saturating_add(u64::from(took.subsec_millis()))),
        );
        line.push_str("ms status=");
        line.push_str(status);
        if !key.is_empty() {
            line.push(' ');
            line.push_str(key);
        }
        if failed {
            line.push_str(" message=");
            push_one_line(&mut line, message);
        }
        line.push('\n');
        sink.push(line);
    }

    /// Logs a warning about the config (at every init, whatever the level
    /// but off), written before this returns.
    pub fn warn(&self, text: &str) {
        let Some(sink) = &self.sink else { return };
        let mut line = String::with_capacity(32 + text.len());
        crate::clock::stamp(&mut line);
        line.push_str(" WARN ");
        push_one_line(&mut line, text);
        line.push('\n');
        sink.push(line);
        sink.flush();
    }

    /// Writes every line logged so far.
    pub fn flush(&self) {
        if let Some(sink) = &self.sink {
            sink.flush();
        }
    }

    /// Stops the writer thread, writing every line logged so far; lines
    /// logged later (by calls still running on the old config) are written
    /// by their calling thread.
    pub fn stop(&self) {
        if let Some(sink) = &self.sink {
            sink.stop();
        }
    }
}

impl Drop for Logger {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes every line queued in every live log (the `ywx` command and tests
/// read the files; at exit and unload this happens by itself).
pub fn flush_all() {
    for sink in process::live() {
        sink.flush();
    }
}

/// `text` with its line breaks as spaces: one line a call.
fn push_one_line(line: &mut String, text: &str) {
    for c in text.chars() {
        line.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(dir: &std::path::Path) -> String {
        let mut text = String::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap());
        }
        text
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ywx-log-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_line_a_call_in_the_day_file_written_by_flush_and_stop() {
        let dir = scratch("lines");
        let log = Logger::new(Some(dir.clone()), Level::Info);
        log.call(
            "sign_status",
            Duration::from_millis(12),
            "0",
            "",
            "uniqueId=u1",
        );
        log.call(
            "sign_data",
            Duration::from_millis(3),
            "YWX-2001",
            "连不上\r\n网关",
            "urId=u2",
        );
        log.flush();
        let text = read_all(&dir);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].ends_with(" sign_status 12ms status=0 uniqueId=u1"),
            "{text}"
        );
        assert!(
            lines[1].ends_with(" sign_data 3ms status=YWX-2001 urId=u2 message=连不上  网关"),
            "{text}"
        );
        let day = &lines[0][..10];
        assert!(dir.join(format!("ywx-{day}.log")).is_file());
        // Stopped: a later line is written before `call` returns.
        log.stop();
        log.call("sign_list", Duration::ZERO, "0", "", "");
        assert_eq!(read_all(&dir).lines().count(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn levels_choose_what_is_written() {
        let dir = scratch("levels");
        let errors = Logger::new(Some(dir.clone()), Level::Error);
        errors.call("a", Duration::ZERO, "0", "", "");
        errors.call("b", Duration::ZERO, "1", "no", "");
        errors.flush();
        let text = read_all(&dir);
        assert!(!text.contains(" a ") && text.contains(" b "), "{text}");
        assert!(!Logger::new(Some(dir.clone()), Level::Off).enabled());
        assert!(!Logger::new(None, Level::Debug).enabled());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_writer_thread_writes_without_a_flush() {
        let dir = scratch("writer");
        let log = Logger::new(Some(dir.clone()), Level::Info);
        for i in 0..1000 {
            log.call(
                "sign_status",
                Duration::ZERO,
                "0",
                "",
                &format!("uniqueId=w{i}"),
            );
        }
        // No timing asserted: wait for the writer as long as it takes.
        while read_all_or_empty(&dir).lines().count() < 1000 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = read_all(&dir);
        for (i, line) in text.lines().enumerate() {
            assert!(line.ends_with(&format!("uniqueId=w{i}")), "{line}");
        }
        drop(log);
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn read_all_or_empty(dir: &std::path::Path) -> String {
        if dir.exists() {
            read_all(dir)
        } else {
            String::new()
        }
    }
}
