//! Call log: one file a day (`ywx-YYYY-MM-DD.log`), one line a call.
//!
//! Only what the caller of [`Logger::call`] passes is written: method,
//! duration, status, and the order's urId or uniqueId. Secrets, patients'
//! names and card numbers and base64 payloads never reach this module.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

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
    dir: Option<PathBuf>,
    level: Level,
    file: Mutex<Option<(String, File)>>,
}

impl Logger {
    pub fn new(dir: Option<PathBuf>, level: Level) -> Logger {
        Logger {
            dir,
            level,
            file: Mutex::new(None),
        }
    }

    /// Whether anything is logged at all.
    pub fn enabled(&self) -> bool {
        self.dir.is_some() && self.level != Level::Off
    }

    /// Logs one finished call. `status` is the envelope's status; `key` the
    /// urId / uniqueId / requestId the call was about, if any.
    pub fn call(&self, method: &str, took: Duration, status: &str, message: &str, key: &str) {
        let failed = status != "0";
        let level = if failed { Level::Error } else { Level::Info };
        if self.dir.is_none() || self.level < level || self.level == Level::Off {
            return;
        }
        let mut line = format!(
            "{} {method} {}ms status={status}",
            crate::clock::now().format("%Y-%m-%d %H:%M:%S%.3f"),
            took.as_millis()
        );
        if !key.is_empty() {
            line.push_str(&format!(" {key}"));
        }
        if failed {
            line.push_str(&format!(" message={}", message.replace('\n', " ")));
        }
        self.write(&line);
    }

    /// Logs a warning about the config (at every init, whatever the level
    /// but off).
    pub fn warn(&self, text: &str) {
        if self.dir.is_none() || self.level == Level::Off {
            return;
        }
        let line = format!(
            "{} WARN {}",
            crate::clock::now().format("%Y-%m-%d %H:%M:%S%.3f"),
            text.replace('\n', " ")
        );
        self.write(&line);
    }

    fn write(&self, line: &str) {
        let Some(dir) = &self.dir else { return };
        let day = crate::clock::now().format("%Y-%m-%d").to_string();
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_none_or(|(d, _)| *d != day) {
            let _ = std::fs::create_dir_all(dir);
            let path = dir.join(format!("ywx-{day}.log"));
            let mut options = OpenOptions::new();
            options.create(true).append(true);
            // Readable by the owner only: the log names orders and doctors.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            *guard = options.open(path).ok().map(|f| (day, f));
        }
        if let Some((_, file)) = guard.as_mut() {
            // A log that cannot be written must never fail the call.
            let _ = writeln!(file, "{line}");
        }
    }

    pub fn flush(&self) {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, file)) = guard.as_mut() {
            let _ = file.flush();
        }
        *guard = None;
    }
}
