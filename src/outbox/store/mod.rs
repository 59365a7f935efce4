//! The outbox's SQLite file, and every statement run on it: opening it
//! (owner-only, WAL), its schema and migration, and running statements
//! with the durability each needs (here); a push's row from write-ahead to
//! its end (`items.rs`); who may deliver an item (`lease.rs`); what
//! delivery writes (`records.rs`); what `ywx_outbox_list` reads
//! (`listing.rs`). No SQL is written anywhere else.

mod items;
mod lease;
mod listing;
mod records;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, params};

use crate::clock::now_ms;
use crate::config::OutboxSettings;
use crate::error::{Error, Result};

pub use items::Begun;
pub use lease::{Among, Claim, Claimed, Owner};
pub use listing::Row;
pub use records::Record;

/// One row per push (the order key: method, clientId, urId), whatever way
/// it went: queued, delivered (its answer kept `purgeAfterHours`) or
/// failed. `method` is the order's kind (`sign_data` for 4.3.5,
/// `sign_business` for 4.3.6: two orders even when they share a urId).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    seq          INTEGER PRIMARY KEY,
    method       TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    ur_id        TEXT    NOT NULL,
    request      TEXT    NOT NULL,
    state        TEXT    NOT NULL CHECK (state IN ('queued', 'delivered', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    queued_at    TEXT    NOT NULL,
    delivered_at TEXT,
    finished_ms  INTEGER,
    response     TEXT,
    lease_pid    INTEGER,
    lease_token  TEXT,
    lease_until  INTEGER,
    first_ms     INTEGER,
    unknown      INTEGER NOT NULL DEFAULT 0,
    provisional  INTEGER NOT NULL DEFAULT 0,
    last_ms      INTEGER,
    unique_id    TEXT,
    UNIQUE (method, client_id, ur_id)
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE INDEX IF NOT EXISTS outbox_ur_id ON outbox (ur_id);
CREATE INDEX IF NOT EXISTS outbox_unique_id ON outbox (unique_id);
";

/// The schema's version (`PRAGMA user_version`). Version 2 added
/// `first_ms` (the first send, local ms), `unknown` (the last attempt may
/// have reached the gateway) and `provisional` (a direct push in flight,
/// written ahead of sending); version 3 `last_ms` (the last send: the
/// reconciliation window runs from the first send to the last) and
/// `unique_id` (the order the gateway made, to tell kinds apart).
const VERSION: i64 = 3;

/// From version 1: version 2's columns; a queued item tried before may
/// have reached the gateway, so it is reconciled before it is sent again.
const MIGRATE_1_TO_2: &str = "
ALTER TABLE outbox ADD COLUMN first_ms INTEGER;
ALTER TABLE outbox ADD COLUMN unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET unknown = 1 WHERE state = 'queued' AND attempts > 0;
";

/// From version 2: version 3's columns, filled from what is known.
const MIGRATE_2_TO_3: &str = "
ALTER TABLE outbox ADD COLUMN last_ms INTEGER;
ALTER TABLE outbox ADD COLUMN unique_id TEXT;
UPDATE outbox SET last_ms = first_ms;
UPDATE outbox SET unique_id = json_extract(response, '$.data.uniqueId')
    WHERE state = 'delivered' AND json_valid(response);
CREATE INDEX IF NOT EXISTS outbox_unique_id ON outbox (unique_id);
";

/// How long SQLite waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often finished items are purged (besides when the file is opened).
const PURGE_EVERY_MS: i64 = 10 * 60 * 1000;

/// What identifies a push: one order per key. `method` is its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    pub method: String,
    pub client_id: String,
    pub ur_id: String,
}

/// An item's state, as `ywx_outbox_list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Queued,
    Delivered,
    Failed,
}

impl State {
    pub const ALL: [State; 3] = [State::Queued, State::Delivered, State::Failed];

    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Delivered => "delivered",
            State::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> State {
        State::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .unwrap_or(State::Failed)
    }
}

/// The open connection, and whether commits are synced (FULL) now.
struct Db {
    conn: Connection,
    durable: bool,
}

pub struct Store {
    path: PathBuf,
    purge_after_hours: u64,
    db: Mutex<Option<Db>>,
    /// When finished items were last purged (ms since the epoch).
    purged_at: AtomicI64,
}

fn local_time() -> String {
    crate::clock::now_text()
}

impl Store {
    pub fn new(settings: &OutboxSettings) -> Store {
        Store {
            path: settings.path.clone(),
            purge_after_hours: settings.purge_after_hours,
            db: Mutex::new(None),
            purged_at: AtomicI64::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file exists (nothing can be queued when it does not).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Opens the file now (at `ywx_init`), to report a file that cannot be
    /// used before the first push needs it.
    pub fn open_now(&self) -> Result<()> {
        self.with_db(|_| Ok(()))
    }

    /// The purge horizon: finished items older than this go.
    fn purge_before(&self, now: i64) -> i64 {
        now - (self.purge_after_hours as i64).saturating_mul(3_600_000)
    }

    /// A failure of the file, naming it.
    fn error(&self, e: impl std::fmt::Display) -> Error {
        let who = if cfg!(windows) {
            "当前 Windows 用户"
        } else {
            "运行 HIS 的用户"
        };
        Error::new(
            &crate::codes::OUTBOX_UNAVAILABLE,
            format!(
                "离线缓存文件 outbox.path = {} 无法使用：{e}。请确认该目录存在、{who}可写，且该文件是 ywx 的离线缓存（ywx 不会删除或覆盖它）",
                self.path.display()
            ),
        )
    }

    /// The open database, opened (and created owner-only) on first use.
    fn db(&self) -> Result<MutexGuard<'_, Option<Db>>> {
        let mut guard = self.db.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let conn = open(&self.path).map_err(|e| self.error(e))?;
            *guard = Some(Db {
                conn,
                durable: true,
            });
        }
        let now = now_ms();
        if now - self.purged_at.load(Ordering::Relaxed) > PURGE_EVERY_MS {
            self.purged_at.store(now, Ordering::Relaxed);
            let horizon = self.purge_before(now);
            let db = guard.as_ref().expect("opened above");
            db.conn
                .execute(
                    "DELETE FROM outbox WHERE state IN ('delivered', 'failed') AND finished_ms < ?1",
                    params![horizon],
                )
                .map_err(|e| self.error(sqlite_why(&e)))?;
        }
        Ok(guard)
    }

    /// Runs `f` on the database; a failure names the file. `durable`: the
    /// commit is on disk before this returns (synchronous FULL), as a push
    /// answered "queued" must be. Other writes need no sync of their own:
    /// they survive a killed process (the OS has them), and a mark lost to
    /// a power cut leaves an item queued, reconciled before any re-send.
    fn with_db_sync<T>(
        &self,
        durable: bool,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut guard = self.db()?;
        let db = guard.as_mut().expect("opened by db()");
        let run = |db: &mut Db| {
            if db.durable != durable {
                let mode = if durable { "FULL" } else { "NORMAL" };
                db.conn
                    .execute_batch(&format!("PRAGMA synchronous = {mode};"))?;
                db.durable = durable;
            }
            f(&mut db.conn)
        };
        run(db).map_err(|e| self.error(sqlite_why(&e)))
    }

    fn with_db<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        self.with_db_sync(false, f)
    }
}

/// Opens (creating owner-only) the outbox database, WAL and synchronous FULL.
fn open(path: &Path) -> std::result::Result<Connection, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_why(&e))?;
    }
    create_private(path).map_err(|e| io_why(&e))?;
    let conn = Connection::open(path).map_err(|e| sqlite_why(&e))?;
    // Every statement of the outbox stays prepared (rusqlite keeps 16).
    conn.set_prepared_statement_cache_capacity(64);
    let setup = |c: &Connection| -> rusqlite::Result<()> {
        c.busy_timeout(BUSY_TIMEOUT)?;
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        c.execute_batch("PRAGMA synchronous = FULL;")?;
        migrate(c)
    };
    setup(&conn).map_err(|e| sqlite_why(&e))?;
    Ok(conn)
}

/// Creates the schema, or brings an older one to [`VERSION`].
fn migrate(c: &Connection) -> rusqlite::Result<()> {
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let has_table: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox')",
        [],
        |r| r.get(0),
    )?;
    let steps = match version {
        1 => format!("{MIGRATE_1_TO_2} {MIGRATE_2_TO_3}"),
        2 => MIGRATE_2_TO_3.to_string(),
        _ => String::new(),
    };
    if has_table && !steps.is_empty() {
        c.execute_batch(&format!(
            "BEGIN; {steps} PRAGMA user_version = {VERSION}; COMMIT;"
        ))?;
    } else if !has_table || version < VERSION {
        c.execute_batch(&format!("{SCHEMA} PRAGMA user_version = {VERSION};"))?;
    }
    Ok(())
}

/// What SQLite found wrong with the file, in Chinese (its own words are
/// English): the cases an implementer can act on, else SQLite's text.
fn sqlite_why(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::*;
    let why = match e.sqlite_error_code() {
        Some(NotADatabase) => "它不是 SQLite 数据库（文件已损坏，或是其他程序的文件）",
        Some(DatabaseCorrupt) => "数据库文件已损坏",
        Some(ReadOnly) | Some(PermissionDenied) => "没有写入权限",
        Some(CannotOpen) => "无法打开（目录不存在或没有权限）",
        Some(DiskFull) => "磁盘已满",
        Some(DatabaseBusy) | Some(DatabaseLocked) => "被其他程序长时间锁住",
        Some(SystemIoFailure) => "读写出错（磁盘或网络共享故障）",
        _ => return format!("SQLite 报错：{e}"),
    };
    why.to_string()
}

/// A file-system error while creating the outbox, in Chinese.
fn io_why(e: &std::io::Error) -> String {
    match (e.kind(), e.raw_os_error()) {
        (std::io::ErrorKind::PermissionDenied, _) => "没有写入权限".into(),
        (_, Some(n)) => format!("无法创建（系统错误码 {n}）"),
        _ => e.to_string(),
    }
}

/// Creates the file readable and writable by its owner only (Unix), before
/// SQLite opens it; SQLite gives its -wal and -shm files the same mode. An
/// existing path must be a regular file: ywx never opens a device or a
/// directory as its database.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if std::fs::metadata(path)?.is_file() {
                Ok(())
            } else {
                Err(std::io::Error::other("不是普通文件"))
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
pub(crate) mod tests;
