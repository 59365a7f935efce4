//! The offline outbox (断网容灾): a sign push that cannot reach the gateway
//! is committed to a local SQLite file before the call returns, and
//! delivered later — by a background thread with backoff, on the next
//! successful call, or by `ywx_outbox_flush`.
//!
//! An item is keyed by (method, clientId, urId), as the gateway keys its
//! orders: a second push of a queued urId adds nothing, and a delivered one
//! answers with its stored reply. Leases in the file (`lease.rs`) keep
//! several threads or processes from sending one item at once. The
//! clientSecret is never stored: it is filled in at delivery.
//!
//! The outbox depends on the transport, the config and the log, never on
//! the client that owns it: `store.rs` (the file), `lease.rs` (who may
//! deliver), `deliver.rs` (sending and recording), `worker.rs` (the
//! thread), `report.rs` (list and flush).

mod deliver;
mod lease;
mod report;
mod store;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::codes;
use crate::config;
use crate::error::{Error, Result};
use crate::transport::Reply;
use crate::value::as_text;
use deliver::{Health, Outcome, is_ok};
use store::{Key, State, Store};
use worker::Worker;

pub use deliver::Sender;

/// Items delivered inline by a successful call when there is no thread.
const INLINE_BATCH: usize = 16;

/// One outbox per configured client.
pub struct Outbox {
    shared: Arc<Shared>,
    worker: Mutex<Option<Worker>>,
}

/// What the outbox and its thread share.
pub(crate) struct Shared {
    settings: config::Outbox,
    store: Store,
    sender: Sender,
    health: Health,
    owner: lease::Owner,
    /// Longest time a delivery may take before its lease is taken over.
    lease_for: Duration,
    /// Whether this process may have something queued (a hint, never
    /// trusted to skip the thread's periodic look at the file).
    maybe_queued: AtomicBool,
}

/// A push the outbox takes: the method, its path, and the request
/// (prepared, credentials filled).
pub struct Push<'a> {
    pub method: &'static str,
    pub path: &'static str,
    pub request: &'a Value,
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

impl Outbox {
    pub fn new(config: &config::Config, sender: Sender) -> Outbox {
        let lease_for = Duration::from_millis(config.connect_timeout_ms + config.timeout_ms)
            + Duration::from_secs(10);
        let shared = Arc::new(Shared {
            settings: config.outbox.clone(),
            store: Store::new(&config.outbox),
            sender,
            health: Health::default(),
            owner: lease::Owner::this_process(),
            lease_for,
            maybe_queued: AtomicBool::new(config.outbox.path.exists()),
        });
        Outbox {
            shared,
            worker: Mutex::new(None),
        }
    }

    pub fn enabled(&self) -> bool {
        self.shared.settings.enabled
    }

    /// Opens the file and starts the delivery thread (when the config wants
    /// one). A file that cannot be used is returned as a warning: pushes
    /// then go straight to the gateway.
    pub fn start(&self) -> Option<String> {
        let settings = &self.shared.settings;
        if !settings.enabled {
            return None;
        }
        let warning = self.shared.store.open_now().err().map(|e| e.message);
        if settings.background && warning.is_none() {
            *self.worker.lock().unwrap_or_else(|p| p.into_inner()) =
                Worker::start(self.shared.clone());
        }
        warning
    }

    /// Stops the delivery thread, waiting about a second at most.
    pub fn stop(&self) {
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = worker {
            w.stop();
        }
    }

    /// A sign push: sent at once when the gateway answers, stored when it
    /// cannot be reached. Returns the gateway's reply, or QUEUED_OFFLINE
    /// naming the urId.
    pub fn push(&self, push: Push) -> Result<Reply> {
        let s = &self.shared;
        let Some(key) = key_of(&push) else {
            return s.sender.post(push.path, &push.request.to_string());
        };
        if s.health.recently_down(s.retry_interval()) {
            // Straight to the outbox; `enqueue` itself answers a urId
            // already queued or delivered.
            return s.enqueue(&key, push.request, "网关在不久前超时未应答", None);
        }
        // An outbox that cannot be read never blocks a push: it goes
        // straight to the gateway.
        let found = if s.store.exists() {
            s.store.lookup(&key).ok().flatten()
        } else {
            None
        };
        let mut failed_before = false;
        if let Some(found) = found {
            match found.state {
                State::Delivered => {
                    if let Some(reply) = found.response.and_then(parse_reply) {
                        return Ok(reply);
                    }
                }
                State::Queued => {
                    // Already waiting: no second entry. Try it now.
                    if let Some(Outcome::Delivered(r) | Outcome::Failed(r)) =
                        s.try_now(found.seq)?
                    {
                        return Ok(r);
                    }
                    return Err(s.queued_error(&key, None));
                }
                State::Failed => failed_before = true,
            }
        }
        match s.sender.post(push.path, &push.request.to_string()) {
            Ok(reply) => {
                s.health.answered();
                if failed_before && is_ok(&reply) {
                    let _ = s.store.record_direct(&key, &reply.text);
                }
                Ok(reply)
            }
            Err(e) if worth_queueing(&e) => {
                s.health.failed(&e);
                let why = e.message.clone();
                s.enqueue(&key, push.request, &why, Some(e))
            }
            Err(e) => Err(e),
        }
    }

    /// A call got the gateway's answer: deliver what waits, in the
    /// background thread, or here (a few items) when there is no thread.
    pub fn after_success(&self) {
        let s = &self.shared;
        s.health.answered();
        if !s.settings.enabled || !s.maybe_queued.load(Ordering::SeqCst) {
            return;
        }
        match self
            .worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            Some(w) => w.wake(),
            None => {
                let _ = s.pass(None, false, INLINE_BATCH);
            }
        }
    }

    /// `ywx_outbox_list`.
    pub fn list(&self, request: &Value) -> Result<Value> {
        self.shared.list(request)
    }

    /// `ywx_outbox_flush`.
    pub fn flush(&self, request: &Value) -> Result<Value> {
        self.shared.flush(request)
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.stop();
    }
}

fn key_of(push: &Push) -> Option<Key> {
    let at = |p: &str| push.request.pointer(p).and_then(as_text);
    Some(Key {
        method: push.method.to_string(),
        client_id: at("/msg/head/clientId").unwrap_or_default(),
        ur_id: at("/msg/body/urId")?,
    })
}

fn parse_reply(text: String) -> Option<Reply> {
    let json = serde_json::from_str(&text).ok()?;
    Some(Reply { text, json })
}

impl Shared {
    fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.settings.retry_interval_ms.max(1))
    }

    /// Commits the push to the file (durably) and answers QUEUED_OFFLINE.
    /// When even that fails the caller learns that nothing was sent and
    /// nothing stored (OUTBOX_UNAVAILABLE).
    fn enqueue(
        &self,
        key: &Key,
        request: &Value,
        why: &str,
        network_error: Option<Error>,
    ) -> Result<Reply> {
        let mut stored = request.clone();
        if let Some(head) = stored
            .pointer_mut("/msg/head")
            .and_then(Value::as_object_mut)
        {
            head.remove("clientSecret");
        }
        match self.store.enqueue(key, &stored.to_string(), why) {
            Ok(Some(text)) => parse_reply(text).ok_or_else(|| self.queued_error(key, Some(why))),
            Ok(None) => {
                // No wake-up: the gateway is down; the thread's timer retries.
                self.maybe_queued.store(true, Ordering::SeqCst);
                Err(self.queued_error(key, Some(why)))
            }
            Err(db) => {
                let gateway = network_error.map_or(why.to_string(), |e| e.message);
                Err(Error::new(
                    &codes::OUTBOX_UNAVAILABLE,
                    format!(
                        "网关无法连接（{gateway}），而{}。签名请求 urId={} 没有发出，也没有存入离线缓存：请修复后重新推送",
                        db.message, key.ur_id
                    ),
                ))
            }
        }
    }

    fn queued_error(&self, key: &Key, why: Option<&str>) -> Error {
        let why = why.map(|w| format!("（{w}）")).unwrap_or_default();
        Error::new(
            &codes::QUEUED_OFFLINE,
            format!(
                "网关暂时无法连接{why}，签名请求 urId={} 已存入本地离线缓存，网络恢复后自动推送，请勿重复开单。可用 ywx_outbox_list 按 urId 查询推送结果（uniqueId）",
                key.ur_id
            ),
        )
        .with_data(json!({
            "urId": key.ur_id,
            "method": key.method,
            "state": "queued",
            "outbox": self.store.path().display().to_string(),
        }))
    }
}
