//! The outbox's SQLite file: its schema, and every statement but the lease
//! claim (`lease.rs`). WAL mode; an enqueue is committed with synchronous
//! FULL before the push is answered.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::config;
use crate::error::{Error, Result};

const SCHEMA: &str = "
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
    UNIQUE (method, client_id, ur_id)
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE INDEX IF NOT EXISTS outbox_ur_id ON outbox (ur_id);
PRAGMA user_version = 1;
";

/// How long SQLite waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How often finished items are purged (besides when the file is opened).
const PURGE_EVERY_MS: i64 = 10 * 60 * 1000;

/// What identifies an item: the gateway keys its orders the same way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
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

    fn parse(s: &str) -> State {
        State::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .unwrap_or(State::Failed)
    }
}

/// What the file knows of a key.
#[derive(Debug)]
pub struct Found {
    pub seq: i64,
    pub state: State,
    /// The gateway's answer, once delivered or refused.
    pub response: Option<String>,
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

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub fn local_time() -> String {
    crate::clock::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

impl Store {
    pub fn new(settings: &config::Outbox) -> Store {
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
            let horizon = now - (self.purge_after_hours as i64).saturating_mul(3_600_000);
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
    /// commit is on disk before this returns (synchronous FULL), as an
    /// enqueue must be. Delivery bookkeeping needs no sync of its own: a
    /// lost mark leaves an item queued, and it is reconciled before any
    /// re-send.
    pub fn with_db_sync<T>(
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

    pub fn with_db<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        self.with_db_sync(false, f)
    }

    pub fn lookup(&self, key: &Key) -> Result<Option<Found>> {
        self.with_db(|c| {
            c.query_row(
                "SELECT seq, state, response FROM outbox
                 WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                params![key.method, key.client_id, key.ur_id],
                |r| {
                    Ok(Found {
                        seq: r.get(0)?,
                        state: State::parse(&r.get::<_, String>(1)?),
                        response: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    /// Commits a push (durably), unless its key is already queued or
    /// delivered; a failed one is queued again. Returns the stored answer
    /// when the key was delivered already.
    pub fn enqueue(&self, key: &Key, request: &str, why: &str) -> Result<Option<String>> {
        let now = local_time();
        self.with_db_sync(true, |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT state, response FROM outbox
                     WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                    params![key.method, key.client_id, key.ur_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let k = params![key.method, key.client_id, key.ur_id, request, why, now];
            let answer = match existing.map(|(s, r)| (State::parse(&s), r)) {
                None => {
                    tx.execute(
                        "INSERT INTO outbox (method, client_id, ur_id, request, state,
                                             last_error, queued_at)
                         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6)",
                        k,
                    )?;
                    None
                }
                Some((State::Failed, _)) => {
                    tx.execute(
                        "UPDATE outbox SET state = 'queued', request = ?4, attempts = 0,
                                last_error = ?5, queued_at = ?6, delivered_at = NULL,
                                finished_ms = NULL, response = NULL
                         WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                        k,
                    )?;
                    None
                }
                Some((State::Delivered, response)) => response,
                Some((State::Queued, _)) => None,
            };
            tx.commit()?;
            Ok(answer)
        })
    }

    /// A push that went straight through after an earlier one failed for
    /// good: the list shows it delivered now.
    pub fn record_direct(&self, key: &Key, response: &str) -> Result<()> {
        self.with_db(|c| {
            c.execute(
                "UPDATE outbox SET state = 'delivered', response = ?4, delivered_at = ?5,
                        finished_ms = ?6, last_error = NULL
                 WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3 AND state = 'failed'",
                params![
                    key.method,
                    key.client_id,
                    key.ur_id,
                    response,
                    local_time(),
                    now_ms()
                ],
            )
            .map(drop)
        })
    }

    /// The gateway answered a delivery: the item ends `state`.
    pub fn finish(
        &self,
        seq: i64,
        state: State,
        response: &str,
        last_error: Option<&str>,
    ) -> Result<()> {
        let delivered_at = (state == State::Delivered).then(local_time);
        self.with_db(|c| {
            c.execute(
                "UPDATE outbox SET state = ?2, response = ?3, last_error = ?4,
                        delivered_at = ?5, finished_ms = ?6, lease_pid = NULL,
                        lease_token = NULL, lease_until = NULL
                 WHERE seq = ?1 AND state = 'queued'",
                params![
                    seq,
                    state.name(),
                    response,
                    last_error,
                    delivered_at,
                    now_ms()
                ],
            )
            .map(drop)
        })
    }

    /// A delivery got no answer: the item stays queued, its lease released.
    pub fn release(&self, seq: i64, last_error: &str) -> Result<()> {
        self.with_db(|c| {
            c.execute(
                "UPDATE outbox SET last_error = ?2, lease_pid = NULL,
                        lease_token = NULL, lease_until = NULL
                 WHERE seq = ?1 AND state = 'queued'",
                params![seq, last_error],
            )
            .map(drop)
        })
    }

    /// The queued items of a urId, oldest first.
    pub fn queued_seqs(&self, ur_id: &str) -> Result<Vec<i64>> {
        self.with_db(|c| {
            let mut stmt = c.prepare(
                "SELECT seq FROM outbox WHERE ur_id = ?1 AND state = 'queued' ORDER BY seq",
            )?;
            stmt.query_map(params![ur_id], |r| r.get(0))?.collect()
        })
    }

    /// How many items (of a urId) are still queued.
    pub fn count_queued(&self, ur_id: Option<&str>) -> Result<i64> {
        if !self.exists() {
            return Ok(0);
        }
        self.with_db(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND (?1 IS NULL OR ur_id = ?1)",
                params![ur_id],
                |r| r.get(0),
            )
        })
    }
}

/// Opens (creating owner-only) the outbox database, WAL and synchronous FULL.
fn open(path: &Path) -> std::result::Result<Connection, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io_why(&e))?;
    }
    create_private(path).map_err(|e| io_why(&e))?;
    let conn = Connection::open(path).map_err(|e| sqlite_why(&e))?;
    let setup = |c: &Connection| -> rusqlite::Result<()> {
        c.busy_timeout(BUSY_TIMEOUT)?;
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        c.execute_batch("PRAGMA synchronous = FULL;")?;
        c.execute_batch(SCHEMA)?;
        Ok(())
    };
    setup(&conn).map_err(|e| sqlite_why(&e))?;
    Ok(conn)
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
mod tests {
    use super::*;

    pub fn temp_store(name: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("ywx-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let settings = config::Outbox {
            path: dir.join("outbox.db"),
            ..config::Outbox::default()
        };
        Store::new(&settings)
    }

    fn key(ur: &str) -> Key {
        Key {
            method: "sign_data".into(),
            client_id: "c1".into(),
            ur_id: ur.into(),
        }
    }

    #[test]
    fn a_key_is_queued_once_then_delivered_then_answers_with_its_response() {
        let store = temp_store("once");
        assert!(!store.exists());
        assert_eq!(store.enqueue(&key("A1"), "{}", "down").unwrap(), None);
        assert_eq!(store.enqueue(&key("A1"), "{}", "down").unwrap(), None);
        assert_eq!(store.count_queued(None).unwrap(), 1);
        let found = store.lookup(&key("A1")).unwrap().unwrap();
        assert_eq!(found.state, State::Queued);
        store
            .finish(found.seq, State::Delivered, r#"{"status":"0"}"#, None)
            .unwrap();
        assert_eq!(store.count_queued(None).unwrap(), 0);
        let again = store.enqueue(&key("A1"), "{}", "down").unwrap();
        assert_eq!(again.as_deref(), Some(r#"{"status":"0"}"#));
    }

    #[test]
    fn a_failed_key_can_be_queued_again_and_release_keeps_it_queued() {
        let store = temp_store("failed");
        store.enqueue(&key("B1"), "{}", "down").unwrap();
        let seq = store.lookup(&key("B1")).unwrap().unwrap().seq;
        store.release(seq, "still down").unwrap();
        assert_eq!(store.queued_seqs("B1").unwrap(), vec![seq]);
        store
            .finish(seq, State::Failed, r#"{"status":"1"}"#, Some("refused"))
            .unwrap();
        assert!(store.queued_seqs("B1").unwrap().is_empty());
        assert_eq!(store.enqueue(&key("B1"), "{}", "down").unwrap(), None);
        assert_eq!(store.queued_seqs("B1").unwrap().len(), 1);
    }

    #[test]
    fn a_file_that_is_not_an_outbox_is_reported_and_kept() {
        let store = temp_store("corrupt");
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let junk = vec![0x5a_u8; 8192];
        std::fs::write(store.path(), &junk).unwrap();
        let e = store.open_now().unwrap_err();
        assert_eq!(e.code.number, crate::codes::OUTBOX_UNAVAILABLE.number);
        assert!(e.message.contains("outbox.path"), "{}", e.message);
        assert_eq!(
            std::fs::read(store.path()).unwrap(),
            junk,
            "never overwritten"
        );
    }
}
