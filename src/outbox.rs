//! The offline outbox (断网容灾, DESIGN §5): a sign push that cannot reach
//! the gateway is committed to a local SQLite database before the call
//! returns, and delivered later — by a background thread with backoff, on
//! the next successful call, or by `ywx_outbox_flush`.
//!
//! An item is keyed by (method, clientId, urId), as the gateway keys its
//! orders, so a replay is harmless and a second push of a queued urId adds
//! nothing. Delivery claims an item with a lease written in the database
//! (owner pid, process token, expiry), so several HIS processes sharing one
//! file never send an item at the same time; a lease of a process that died
//! is taken over at once. The clientSecret is never stored: it is filled
//! from the config in force when the item is delivered.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Value, json};

use crate::api::Client;
use crate::codes;
use crate::config;
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, Result};
use crate::rules::as_text;
use crate::transport::Reply;

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

/// Longest pause of the background thread between two delivery attempts
/// while the gateway stays unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Items delivered inline by a successful call when there is no thread.
const INLINE_BATCH: usize = 16;
/// How long SQLite waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How often finished items are purged (besides when the file is opened).
const PURGE_EVERY_MS: i64 = 10 * 60 * 1000;

/// The states `ywx_outbox_list` shows.
const STATES: [&str; 3] = ["queued", "delivered", "failed"];

/// One outbox per configured client.
pub struct Outbox {
    settings: config::Outbox,
    /// Longest time a delivery may take before its lease is taken over.
    lease: Duration,
    /// `pid-nanos`: tells this process's leases from a dead predecessor's.
    token: String,
    conn: Mutex<Option<Db>>,
    /// When the gateway was last found unreachable (cleared by any answer).
    down_since: Mutex<Option<Instant>>,
    /// Whether this process may have something queued (a hint, never trusted
    /// to skip the background thread's periodic look at the file).
    maybe_queued: AtomicBool,
    /// When finished items were last purged (ms since the epoch).
    purged_at: AtomicI64,
    worker: Mutex<Option<Worker>>,
}

/// The connection, and whether commits are synced (synchronous FULL) now.
struct Db {
    conn: Connection,
    durable: bool,
}

struct Worker {
    signal: Arc<Signal>,
    thread: JoinHandle<()>,
}

#[derive(Default)]
struct Signal {
    state: Mutex<(bool, bool)>, // (stop, wake)
    cond: Condvar,
}

/// What became of one delivery attempt.
enum Outcome {
    /// The gateway answered "0": the order exists.
    Delivered(Reply),
    /// The gateway answered with a business error: the item is failed.
    Failed(Reply),
    /// No answer (unreachable, timeout, not the gateway's JSON): still queued.
    Unreachable(Error),
}

/// What a delivery pass did, for `ywx_outbox_flush`.
#[derive(Default)]
struct Pass {
    delivered: usize,
    failed: usize,
    touched: Vec<i64>,
    unreachable: Option<String>,
}

/// A queued item's lease: (seq, owner pid, owner token, expiry in ms).
type Lease = (i64, Option<u32>, Option<String>, Option<i64>);

/// A claimed item.
struct Claimed {
    seq: i64,
    method: String,
    ur_id: String,
    request: String,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn local_time() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

fn db_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::not_configured(format!(
        "离线缓存文件 outbox.path = {} 无法使用：{e}。请确认该目录存在且当前 Windows 用户可写",
        path.display()
    ))
}

/// Whether a push that ended in `e` may have reached the gateway or may
/// reach it later: nothing answered, the answer was lost, or the gateway
/// (or a proxy before it) failed on its side. Such a push is queued; a TLS
/// or 4xx failure is a configuration problem, reported at once.
fn worth_queueing(e: &Error) -> bool {
    let n = e.code.number;
    n == codes::NETWORK_UNREACHABLE.number
        || n == codes::TIMEOUT.number
        || n == codes::GATEWAY_BAD_REPLY.number
        || (n == codes::GATEWAY_HTTP.number
            && e.data
                .get("httpStatus")
                .and_then(Value::as_u64)
                .is_some_and(|s| s >= 500))
}

fn is_ok(reply: &Reply) -> bool {
    reply.json.get("status").and_then(as_text).as_deref() == Some("0")
}

/// The urId of a prepared push, and where it sits for error messages.
fn ur_id(value: &Value) -> Option<String> {
    value.pointer("/msg/body/urId").and_then(as_text)
}

fn client_id(value: &Value) -> String {
    value
        .pointer("/msg/head/clientId")
        .and_then(as_text)
        .unwrap_or_default()
}

impl Outbox {
    pub fn new(config: &config::Config) -> Outbox {
        let lease = Duration::from_millis(config.connect_timeout_ms + config.timeout_ms)
            + Duration::from_secs(10);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Outbox {
            settings: config.outbox.clone(),
            lease,
            token: format!("{}-{nanos:08x}", std::process::id()),
            conn: Mutex::new(None),
            down_since: Mutex::new(None),
            maybe_queued: AtomicBool::new(config.outbox.path.exists()),
            purged_at: AtomicI64::new(0),
            worker: Mutex::new(None),
        }
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled
    }

    // ----- the database -------------------------------------------------

    /// The open database, opened (and created owner-only) on first use.
    fn db(&self) -> Result<MutexGuard<'_, Option<Db>>> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let conn = open(&self.settings.path)?;
            *guard = Some(Db {
                conn,
                durable: true,
            });
        }
        let now = now_ms();
        if now - self.purged_at.load(Ordering::Relaxed) > PURGE_EVERY_MS {
            self.purged_at.store(now, Ordering::Relaxed);
            let horizon = now - (self.settings.purge_after_hours as i64).saturating_mul(3_600_000);
            let db = guard.as_ref().expect("opened above");
            db.conn
                .execute(
                    "DELETE FROM outbox WHERE state IN ('delivered', 'failed') AND finished_ms < ?1",
                    params![horizon],
                )
                .map_err(|e| db_error(&self.settings.path, e))?;
        }
        Ok(guard)
    }

    /// Runs `f` on the database; a failure names the file. `durable`:
    /// the commit is on disk before this returns (synchronous FULL), as an
    /// enqueue must be. Delivery bookkeeping needs no sync of its own: if a
    /// power cut loses it, the item is sent again, which the gateway's
    /// keying by urId makes harmless.
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
        run(db).map_err(|e| db_error(&self.settings.path, e))
    }

    fn with_db<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> Result<T> {
        self.with_db_sync(false, f)
    }

    // ----- pushes ---------------------------------------------------------

    /// A sign push (prepared, credentials filled): sent at once when the
    /// gateway answers, queued when it cannot be reached. Returns the
    /// gateway's reply, or the QUEUED_OFFLINE error naming the urId.
    pub fn push(&self, client: &Client, ep: &Endpoint, value: Value) -> Result<Reply> {
        let Some(ur_id) = ur_id(&value) else {
            return client.send(ep, &value);
        };
        let cid = client_id(&value);
        if self.recently_down() {
            // Straight to the outbox; `enqueue` itself answers a urId
            // already queued or delivered.
            let why = "网关在不久前超时未应答";
            return self.enqueue(ep.name, &cid, &ur_id, &value, why, None);
        }
        let mut failed_before = false;
        if self.settings.path.exists() {
            match self.lookup(ep.name, &cid, &ur_id)? {
                Some((_, state, Some(text))) if state == "delivered" => {
                    if let Ok(json) = serde_json::from_str(&text) {
                        return Ok(Reply { text, json });
                    }
                }
                Some((seq, state, _)) if state == "queued" => {
                    // Already waiting: no second entry. Try it now.
                    if let Some(claimed) = self.claim(Some(seq))? {
                        match self.deliver(client, claimed)? {
                            Outcome::Delivered(r) | Outcome::Failed(r) => return Ok(r),
                            Outcome::Unreachable(_) => {}
                        }
                    }
                    return Err(self.queued_error(ep.name, &ur_id, None));
                }
                Some((_, state, _)) => failed_before = state == "failed",
                None => {}
            }
        }
        match client.send(ep, &value) {
            Ok(reply) => {
                self.gateway_answered();
                if failed_before {
                    self.record_direct(ep.name, &cid, &ur_id, &reply);
                }
                Ok(reply)
            }
            Err(e) if worth_queueing(&e) => {
                self.gateway_down(&e);
                let why = e.message.clone();
                self.enqueue(ep.name, &cid, &ur_id, &value, &why, Some(e))
            }
            Err(e) => Err(e),
        }
    }

    fn lookup(
        &self,
        method: &str,
        client_id: &str,
        ur_id: &str,
    ) -> Result<Option<(i64, String, Option<String>)>> {
        self.with_db(|c| {
            c.query_row(
                "SELECT seq, state, response FROM outbox
                 WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                params![method, client_id, ur_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
    }

    /// Commits the push to the outbox (durably: WAL, synchronous FULL) and
    /// answers QUEUED_OFFLINE. When even that fails, the caller gets the
    /// network error, told that nothing was stored.
    fn enqueue(
        &self,
        method: &str,
        client_id: &str,
        ur_id: &str,
        value: &Value,
        why: &str,
        network_error: Option<Error>,
    ) -> Result<Reply> {
        let mut stored = value.clone();
        if let Some(head) = stored
            .pointer_mut("/msg/head")
            .and_then(Value::as_object_mut)
        {
            head.remove("clientSecret");
        }
        let request = stored.to_string();
        let now = local_time();
        let result = self.with_db_sync(true, |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, Option<String>)> = tx
                .query_row(
                    "SELECT state, response FROM outbox
                     WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                    params![method, client_id, ur_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let answer = match existing {
                None => {
                    tx.execute(
                        "INSERT INTO outbox (method, client_id, ur_id, request, state,
                                             last_error, queued_at)
                         VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6)",
                        params![method, client_id, ur_id, request, why, now],
                    )?;
                    None
                }
                Some((state, _)) if state == "failed" => {
                    tx.execute(
                        "UPDATE outbox SET state = 'queued', request = ?4, attempts = 0,
                                last_error = ?5, queued_at = ?6, delivered_at = NULL,
                                finished_ms = NULL, response = NULL
                         WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3",
                        params![method, client_id, ur_id, request, why, now],
                    )?;
                    None
                }
                Some((state, response)) if state == "delivered" => response,
                Some(_) => None,
            };
            tx.commit()?;
            Ok(answer)
        });
        match result {
            Ok(Some(text)) => match serde_json::from_str(&text) {
                Ok(json) => Ok(Reply { text, json }),
                Err(_) => Err(self.queued_error(method, ur_id, Some(why))),
            },
            Ok(None) => {
                // No wake-up: the gateway is down; the thread's timer retries.
                self.maybe_queued.store(true, Ordering::SeqCst);
                Err(self.queued_error(method, ur_id, Some(why)))
            }
            Err(db) => Err(match network_error {
                Some(mut e) => {
                    e.message = format!(
                        "{}。签名请求没有发出，也未能存入离线缓存（{}），请稍后重新推送",
                        e.message, db.message
                    );
                    e
                }
                None => db,
            }),
        }
    }

    fn queued_error(&self, method: &str, ur_id: &str, why: Option<&str>) -> Error {
        let why = why.map(|w| format!("（{w}）")).unwrap_or_default();
        Error::new(
            &codes::QUEUED_OFFLINE,
            format!(
                "网关暂时无法连接{why}，签名请求 urId={ur_id} 已存入本地离线缓存，网络恢复后自动推送，请勿重复开单。可用 ywx_outbox_list 按 urId 查询推送结果（uniqueId）"
            ),
        )
        .with_data(json!({
            "urId": ur_id,
            "method": method,
            "state": "queued",
            "outbox": self.settings.path.display().to_string(),
        }))
    }

    /// A push that went straight through after an earlier one failed for
    /// good: the list shows it delivered now.
    fn record_direct(&self, method: &str, client_id: &str, ur_id: &str, reply: &Reply) {
        if !is_ok(reply) {
            return;
        }
        let now = local_time();
        let _ = self.with_db(|c| {
            c.execute(
                "UPDATE outbox SET state = 'delivered', response = ?4, delivered_at = ?5,
                        finished_ms = ?6, last_error = NULL
                 WHERE method = ?1 AND client_id = ?2 AND ur_id = ?3 AND state = 'failed'",
                params![method, client_id, ur_id, reply.text, now, now_ms()],
            )
        });
    }

    // ----- gateway health ---------------------------------------------------

    /// While the gateway timed out less than a retry interval ago, pushes go
    /// straight to the outbox instead of each waiting for its own timeout.
    /// (A refused connection or a DNS failure answers at once: such pushes
    /// keep trying the gateway, so the first one after it is back goes
    /// straight through.)
    fn recently_down(&self) -> bool {
        let since = *self.down_since.lock().unwrap_or_else(|p| p.into_inner());
        since.is_some_and(|t| t.elapsed() < self.retry_interval())
    }

    fn gateway_down(&self, e: &Error) {
        if e.code.number == codes::TIMEOUT.number {
            *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
    }

    /// Any answer from the gateway: it is reachable again.
    fn gateway_answered(&self) {
        *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.settings.retry_interval_ms.max(1))
    }

    /// A call got the gateway's answer: deliver what waits, in the background
    /// thread, or here (a few items) when the config wants no thread.
    pub fn after_success(&self, client: &Client) {
        self.gateway_answered();
        if !self.settings.enabled || !self.maybe_queued.load(Ordering::SeqCst) {
            return;
        }
        if self.has_worker() {
            self.wake();
        } else {
            let _ = self.pass(client, None, false, INLINE_BATCH);
        }
    }

    // ----- delivery ---------------------------------------------------------

    /// Claims the next deliverable queued item (or item `only`), writing a
    /// lease so that no other thread or process sends it meanwhile.
    fn claim(&self, only: Option<i64>) -> Result<Option<Claimed>> {
        let lease_until = now_ms() + self.lease.as_millis() as i64;
        let pid = std::process::id();
        let token = self.token.clone();
        self.with_db(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = now_ms();
            let candidates: Vec<Lease> = {
                // Two statements rather than `?1 IS NULL OR`, so that SQLite
                // walks the (state, seq) index instead of the whole table.
                let row = |r: &rusqlite::Row| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
                match only {
                    Some(seq) => tx
                        .prepare_cached(
                            "SELECT seq, lease_pid, lease_token, lease_until FROM outbox
                             WHERE seq = ?1 AND state = 'queued'",
                        )?
                        .query_map(params![seq], row)?
                        .collect::<rusqlite::Result<_>>()?,
                    None => tx
                        .prepare_cached(
                            "SELECT seq, lease_pid, lease_token, lease_until FROM outbox
                             WHERE state = 'queued' ORDER BY seq LIMIT 64",
                        )?
                        .query_map([], row)?
                        .collect::<rusqlite::Result<_>>()?,
                }
            };
            let free = |lease: &Lease| match lease {
                (_, _, None, _) => true,
                (_, _, _, Some(until)) if *until < now => true,
                (_, Some(p), Some(t), _) if *p == pid => *t != token,
                (_, Some(p), _, _) => !crate::platform::process_alive(*p),
                _ => true,
            };
            let Some(&(seq, ..)) = candidates.iter().find(|c| free(c)) else {
                return Ok(None);
            };
            tx.execute(
                "UPDATE outbox SET lease_pid = ?2, lease_token = ?3, lease_until = ?4,
                        attempts = attempts + 1
                 WHERE seq = ?1",
                params![seq, pid, token, lease_until],
            )?;
            let claimed = tx.query_row(
                "SELECT seq, method, ur_id, request FROM outbox WHERE seq = ?1",
                params![seq],
                |r| {
                    Ok(Claimed {
                        seq: r.get(0)?,
                        method: r.get(1)?,
                        ur_id: r.get(2)?,
                        request: r.get(3)?,
                    })
                },
            )?;
            tx.commit()?;
            Ok(Some(claimed))
        })
    }

    /// Whether queued items (matching `ur_id`) are leased by a live owner.
    fn leased_elsewhere(&self, ur_id: Option<&str>) -> Result<bool> {
        let now = now_ms();
        self.with_db(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE state = 'queued'
                    AND (?1 IS NULL OR ur_id = ?1)
                    AND lease_token IS NOT NULL AND lease_until >= ?2)",
                params![ur_id, now],
                |r| r.get(0),
            )
        })
    }

    /// Sends one claimed item and records the outcome.
    fn deliver(&self, client: &Client, item: Claimed) -> Result<Outcome> {
        let started = Instant::now();
        let outcome = match (
            endpoints::find(&item.method),
            serde_json::from_str::<Value>(&item.request),
        ) {
            (Some(ep), Ok(mut value)) => {
                crate::request::fill_from_config(ep, &client.config, &mut value);
                match client.send(ep, &value) {
                    Ok(reply) if is_ok(&reply) => Outcome::Delivered(reply),
                    Ok(reply) => Outcome::Failed(reply),
                    Err(e) => Outcome::Unreachable(e),
                }
            }
            _ => Outcome::Unreachable(Error::internal(format!(
                "离线缓存中的条目 {} 无法读取（方法 {}）",
                item.seq, item.method
            ))),
        };
        let now = local_time();
        let (status, message) = match &outcome {
            Outcome::Delivered(r) | Outcome::Failed(r) => {
                self.gateway_answered();
                let state = if is_ok(r) { "delivered" } else { "failed" };
                let message = r.json.get("message").and_then(as_text).unwrap_or_default();
                let last_error = (state == "failed").then(|| {
                    let status = r.json.get("status").and_then(as_text).unwrap_or_default();
                    format!("网关拒绝（status {status}）：{message}")
                });
                self.with_db(|c| {
                    c.execute(
                        "UPDATE outbox SET state = ?2, response = ?3, last_error = ?4,
                                delivered_at = CASE WHEN ?2 = 'delivered' THEN ?5 END,
                                finished_ms = ?6, lease_pid = NULL, lease_token = NULL,
                                lease_until = NULL
                         WHERE seq = ?1 AND state = 'queued'",
                        params![item.seq, state, r.text, last_error, now, now_ms()],
                    )
                })?;
                let status = r.json.get("status").and_then(as_text).unwrap_or_default();
                (status, message)
            }
            Outcome::Unreachable(e) => {
                self.gateway_down(e);
                self.with_db(|c| {
                    c.execute(
                        "UPDATE outbox SET last_error = ?2, lease_pid = NULL,
                                lease_token = NULL, lease_until = NULL
                         WHERE seq = ?1 AND state = 'queued'",
                        params![item.seq, e.message],
                    )
                })?;
                (e.code.status(), e.message.clone())
            }
        };
        client.log_call(
            "outbox_deliver",
            started.elapsed(),
            &status,
            &message,
            &format!("urId={}", item.ur_id),
        );
        Ok(outcome)
    }

    /// Delivers queued items in order until none is left, the gateway
    /// cannot be reached, or `limit` items were tried. `wait` also waits
    /// for items another thread or process is delivering.
    fn pass(&self, client: &Client, ur_id: Option<&str>, wait: bool, limit: usize) -> Result<Pass> {
        let mut pass = Pass::default();
        if !self.settings.path.exists() {
            self.maybe_queued.store(false, Ordering::SeqCst);
            return Ok(pass);
        }
        let only = match ur_id {
            None => None,
            Some(u) => {
                let seqs: Vec<i64> = self.with_db(|c| {
                    let mut stmt = c.prepare(
                        "SELECT seq FROM outbox WHERE ur_id = ?1 AND state = 'queued' ORDER BY seq",
                    )?;
                    stmt.query_map(params![u], |r| r.get(0))?.collect()
                })?;
                Some(seqs)
            }
        };
        let deadline = Instant::now() + self.lease;
        let mut tried = 0;
        loop {
            let next = match &only {
                None => self.claim(None)?,
                Some(seqs) => {
                    let mut found = None;
                    for seq in seqs {
                        if let Some(c) = self.claim(Some(*seq))? {
                            found = Some(c);
                            break;
                        }
                    }
                    found
                }
            };
            let Some(item) = next else {
                if wait && Instant::now() < deadline && self.leased_elsewhere(ur_id)? {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                if ur_id.is_none() && !self.leased_elsewhere(None)? {
                    self.maybe_queued.store(false, Ordering::SeqCst);
                }
                break;
            };
            pass.touched.push(item.seq);
            tried += 1;
            match self.deliver(client, item)? {
                Outcome::Delivered(_) => pass.delivered += 1,
                Outcome::Failed(_) => pass.failed += 1,
                Outcome::Unreachable(e) => {
                    pass.unreachable = Some(e.message);
                    break;
                }
            }
            if tried >= limit {
                break;
            }
        }
        Ok(pass)
    }

    // ----- the exports --------------------------------------------------------

    /// `ywx_outbox_list`: items by urId and state, oldest first.
    pub fn list(&self, request: &Value) -> Result<Value> {
        let (ur_id, state) = filters(request)?;
        if !self.settings.path.exists() {
            return Ok(json!({"status": "0", "message": "success", "data": {"items": []}}));
        }
        let items = self.rows(ur_id.as_deref(), state.as_deref(), None)?;
        Ok(json!({"status": "0", "message": "success", "data": {"items": items}}))
    }

    /// `ywx_outbox_flush`: deliver now, ignoring the backoff, and report.
    pub fn flush(&self, client: &Client, request: &Value) -> Result<Value> {
        let (ur_id, state) = filters(request)?;
        if state.is_some() {
            return Err(Error::arg("state", "ywx_outbox_flush 只接受 urId"));
        }
        let pass = self.pass(client, ur_id.as_deref(), true, usize::MAX)?;
        let queued = if self.settings.path.exists() {
            self.with_db(|c| {
                c.query_row(
                    "SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND (?1 IS NULL OR ur_id = ?1)",
                    params![ur_id],
                    |r| r.get::<_, i64>(0),
                )
            })?
        } else {
            0
        };
        let items = self.rows(None, None, Some(&pass.touched))?;
        let message = match &pass.unreachable {
            Some(why) => format!("网关仍无法连接，{queued} 条仍在离线缓存中等待：{why}"),
            None if queued > 0 => format!("{queued} 条正由其他进程推送或仍在等待"),
            None => "success".into(),
        };
        Ok(json!({
            "status": "0",
            "message": message,
            "data": {
                "delivered": pass.delivered,
                "failed": pass.failed,
                "queued": queued,
                "items": items,
            },
        }))
    }

    fn rows(
        &self,
        ur_id: Option<&str>,
        state: Option<&str>,
        seqs: Option<&[i64]>,
    ) -> Result<Vec<Value>> {
        if seqs.is_some_and(|s| s.is_empty()) {
            return Ok(Vec::new());
        }
        // Only the filters given, so that SQLite uses the urId index.
        let mut clauses = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(u) = ur_id {
            args.push(u.into());
            clauses.push(format!("ur_id = ?{}", args.len()));
        }
        if let Some(st) = state {
            args.push(st.into());
            clauses.push(format!("state = ?{}", args.len()));
        }
        if let Some(seqs) = seqs {
            args.push(serde_json::to_string(seqs).unwrap_or_else(|_| "[]".into()));
            clauses.push(format!(
                "seq IN (SELECT value FROM json_each(?{}))",
                args.len()
            ));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        self.with_db(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT ur_id, method, state, attempts, last_error, queued_at, delivered_at, response
                 FROM outbox {filter} ORDER BY seq"
            ))?;
            stmt.query_map(rusqlite::params_from_iter(&args), |r| {
                let response: Option<String> = r.get(7)?;
                Ok(json!({
                    "urId": r.get::<_, String>(0)?,
                    "method": r.get::<_, String>(1)?,
                    "state": r.get::<_, String>(2)?,
                    "attempts": r.get::<_, i64>(3)?,
                    "lastError": r.get::<_, Option<String>>(4)?,
                    "queuedAt": r.get::<_, String>(5)?,
                    "deliveredAt": r.get::<_, Option<String>>(6)?,
                    "response": response
                        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                        .unwrap_or(Value::Null),
                }))
            })?
            .collect()
        })
    }

    // ----- the background thread ------------------------------------------------

    fn has_worker(&self) -> bool {
        self.worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    fn wake(&self) {
        if let Some(w) = self
            .worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let mut s = w.signal.state.lock().unwrap_or_else(|p| p.into_inner());
            s.1 = true;
            w.signal.cond.notify_all();
        }
    }

    /// Starts the delivery thread (config `outbox.background`). It looks at
    /// the file at once — resuming what a killed process left queued — then
    /// every `retryIntervalMs`, backing off to a minute while the gateway
    /// stays unreachable.
    pub fn start(client: &Arc<Client>) {
        let outbox = &client.outbox;
        if !outbox.settings.enabled || !outbox.settings.background {
            return;
        }
        let signal = Arc::new(Signal::default());
        let weak: Weak<Client> = Arc::downgrade(client);
        let thread_signal = signal.clone();
        let spawned = std::thread::Builder::new()
            .name("ywx-outbox".into())
            .spawn(move || worker_loop(weak, thread_signal));
        if let Ok(thread) = spawned {
            *outbox.worker.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Worker { signal, thread });
        }
    }

    /// Stops the delivery thread and waits for it (at most one delivery).
    pub fn stop(&self) {
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = worker {
            {
                let mut s = w.signal.state.lock().unwrap_or_else(|p| p.into_inner());
                s.0 = true;
                w.signal.cond.notify_all();
            }
            if w.thread.thread().id() != std::thread::current().id() {
                let _ = w.thread.join();
            }
        }
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.stop();
    }
}

fn worker_loop(client: Weak<Client>, signal: Arc<Signal>) {
    let mut delay = Duration::ZERO;
    loop {
        {
            let mut s = signal.state.lock().unwrap_or_else(|p| p.into_inner());
            let deadline = Instant::now() + delay;
            while !s.0 && !s.1 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                s = signal
                    .cond
                    .wait_timeout(s, left)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if s.0 {
                return;
            }
            s.1 = false;
        }
        let Some(client) = client.upgrade() else {
            return;
        };
        let outbox = &client.outbox;
        let interval = outbox.retry_interval();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            outbox.pass(&client, None, false, usize::MAX)
        }));
        // Backoff while unreachable: doubling, at most 12 intervals or a minute.
        let longest = (interval * 12).min(MAX_BACKOFF).max(interval);
        delay = match result {
            Ok(Ok(pass)) if pass.unreachable.is_some() => (delay * 2).clamp(interval, longest),
            _ => interval,
        };
    }
}

/// Opens (creating owner-only) the outbox database, WAL and synchronous FULL.
fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| db_error(path, e))?;
    }
    create_private(path).map_err(|e| db_error(path, e))?;
    let conn = Connection::open(path).map_err(|e| db_error(path, e))?;
    let setup = |c: &Connection| -> rusqlite::Result<()> {
        c.busy_timeout(BUSY_TIMEOUT)?;
        c.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        c.execute_batch("PRAGMA synchronous = FULL;")?;
        c.execute_batch(SCHEMA)?;
        Ok(())
    };
    setup(&conn).map_err(|e| db_error(path, e))?;
    Ok(conn)
}

/// Creates the file readable and writable by its owner only (Unix), before
/// SQLite opens it; SQLite gives its -wal and -shm files the same mode.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// The `urId` and `state` filters of list and flush.
fn filters(request: &Value) -> Result<(Option<String>, Option<String>)> {
    if !request.is_object() {
        return Err(Error::arg(
            "request",
            "必须是 JSON 对象，例如 {\"urId\":\"...\"}",
        ));
    }
    let text = |name: &str| -> Result<Option<String>> {
        match request.get(name).filter(|v| !v.is_null() && *v != "") {
            None => Ok(None),
            Some(v) => as_text(v)
                .map(Some)
                .ok_or_else(|| Error::arg(name, "必须是字符串")),
        }
    };
    let state = text("state")?;
    if let Some(s) = &state
        && !STATES.contains(&s.as_str())
    {
        return Err(Error::arg("state", "只能是 queued、delivered 或 failed"));
    }
    Ok((text("urId")?, state))
}
