//! The offline outbox (断网容灾): a sign push that cannot reach the gateway
//! is committed to a local SQLite file before the call returns, and
//! delivered later — by a background thread with backoff, on the next
//! successful call, or by `ywx_outbox_flush`.
//!
//! An item is keyed by (method, clientId, urId): a second push of a queued
//! urId adds nothing, and a delivered one answers with its stored reply.
//! A push whose outcome is unknown (written, answer lost; or its process
//! killed) is reconciled through 5.1.1 before any re-send, so exactly-once
//! does not rest on the gateway ignoring a second push. Leases in the file
//! keep several threads or processes from sending one item at once. The
//! clientSecret is never stored: it is filled in at delivery.
//!
//! The outbox depends on the transport, the config and the log, never on
//! the client that owns it: `store.rs` (the file), `items.rs` (its
//! statements), `records.rs` (what delivery writes, a batch at a time),
//! `lease.rs` (who may deliver), `deliver.rs` (sending and recording),
//! `reconcile.rs` (asking the gateway first), `worker.rs` (the thread),
//! `report.rs` (list and flush).

mod deliver;
mod items;
mod lease;
mod reconcile;
mod records;
mod report;
mod store;
mod worker;

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::attach::{Attachment, Document, inline_text};
use crate::codes;
use crate::config;
use crate::error::{Error, Result};
use crate::transport::{BeforeSend, Failure, Hook, Reached, Reply, Transport};
use crate::value::{as_text, to_json};
use deliver::{Health, Outcome, post};
use items::Begun;
use store::{Key, State, Store, now_ms};
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

/// A push the outbox takes: the method, its path, the request (prepared,
/// credentials filled) and the documents it sends.
pub struct Push<'a> {
    pub method: &'static str,
    pub path: &'static str,
    pub request: &'a mut Value,
    pub files: Vec<Attachment>,
}

/// A push as sent and as stored.
struct Outgoing {
    /// The body sent, the clientSecret in it.
    body: Document,
    /// The request as stored (no clientSecret), documents as placeholders.
    stored: String,
}

impl Outgoing {
    fn send(&mut self, via: &Transport, path: &str) -> std::result::Result<Reply, Failure> {
        if self.body.files.is_empty() {
            return post(via, path, &self.body.text);
        }
        via.post_document(path, &mut self.body)
    }

    /// The request as stored, with its documents' base64.
    fn stored_whole(&mut self) -> Result<Cow<'_, str>> {
        if self.body.files.is_empty() {
            return Ok(Cow::Borrowed(&self.stored));
        }
        inline_text(&self.stored, &mut self.body.files).map(Cow::Owned)
    }
}

/// What to do with a direct push that got no usable answer.
enum Disposition {
    /// Queue it; `unknown`: it may have reached the gateway.
    Queue { unknown: bool },
    /// Report the error: it is a configuration problem, or the gateway (or
    /// a proxy) rejected the request, or it never got through whole.
    Refuse,
}

fn disposition(f: &Failure) -> Disposition {
    let http = f.error.data.get("httpStatus").and_then(Value::as_u64);
    match (f.reached, http) {
        (Reached::No, _) if f.transient => Disposition::Queue { unknown: false },
        (Reached::No, _) => Disposition::Refuse,
        (Reached::Maybe, Some(s)) if (300..500).contains(&s) && !f.transient => Disposition::Refuse,
        (Reached::Maybe, _) => Disposition::Queue { unknown: true },
    }
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

    /// Stops the delivery thread within about a second: its request in
    /// flight, if any, is abandoned (and reconciled later).
    pub fn stop(&self) {
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = worker {
            w.stop(&self.shared.sender.background);
        }
    }

    /// A sign push, written ahead and sent at once; stored when the gateway
    /// cannot be reached. Returns the gateway's reply, or QUEUED_OFFLINE
    /// naming the urId.
    ///
    /// A push with documents (`pdfFile`) is written ahead without them (a
    /// placeholder in their place) and streamed to the gateway; their
    /// base64 is stored only when the push must be queued, read again
    /// through the handle it was sent from. Should the process die
    /// mid-push, the row written ahead is reconciled, and if the gateway
    /// has no such order it fails, asking for the push again: the document
    /// is never re-read from the path at delivery (it may be gone).
    pub fn push(&self, push: Push) -> Result<Reply> {
        let s = &self.shared;
        let key = key_of(&push);
        let mut out = Outgoing {
            body: Document {
                text: to_json(push.request),
                files: push.files,
            },
            stored: String::new(),
        };
        let Some(key) = key else {
            return out
                .send(&s.sender.transport, push.path)
                .map_err(|f| f.error);
        };
        out.stored = stored(push.request);
        if s.health.recently_down(s.retry_interval()) {
            // Straight to the outbox; `enqueue` itself answers a urId
            // already queued or delivered.
            let why = "网关在不久前超时未应答";
            let whole = out.stored_whole()?;
            return s.enqueue(&key, &whole, why, None, false);
        }
        // Written ahead once the connection is up, right before the first
        // byte of the push is written: a gateway that cannot be reached
        // costs no write-ahead, only the durable enqueue (`unsent`).
        let begun = Rc::new(Cell::new(None));
        let armed = BeforeSend::arm(self.write_ahead(&key, &out.stored, begun.clone()));
        let sent = out.send(&s.sender.transport, push.path);
        drop(armed);
        let fresh = match begun.take() {
            // The urId was delivered or is queued: the push was held back.
            Some(Begun::Delivered(Some(text))) => {
                if let Some(reply) = Reply::stored(text) {
                    return Ok(reply);
                }
                None
            }
            Some(Begun::Queued(seq)) => return s.retry_queued(&key, seq),
            Some(Begun::Fresh { seq, existed }) => Some((seq, existed)),
            Some(Begun::Delivered(None)) | None => None,
        };
        match sent {
            Ok(reply) => {
                s.health.answered();
                if let Some((seq, existed)) = fresh {
                    let state = if reply.is_ok() {
                        State::Delivered
                    } else {
                        State::Failed
                    };
                    let _ = s.store.settle(seq, existed, state, &reply.text);
                }
                Ok(reply)
            }
            Err(f) => s.unsent(&key, &mut out, fresh, f),
        }
    }

    /// The write-ahead of a direct push (`Store::begin`), run by the
    /// transport right before the push is written; what it found goes to
    /// `begun`. The push is held back when its urId is delivered (the
    /// stored answer is returned) or queued (that item is tried instead).
    /// An outbox that cannot be used never blocks a push: it is then sent
    /// without a record, and only stored if it must be.
    fn write_ahead(&self, key: &Key, stored: &str, begun: Rc<Cell<Option<Begun>>>) -> Hook {
        let (shared, key, stored) = (self.shared.clone(), key.clone(), stored.to_string());
        Box::new(move || {
            let until = now_ms() + shared.lease_for.as_millis() as i64;
            let found = shared.store.begin(&key, &stored, &shared.owner, until).ok();
            let send = match &found {
                Some(Begun::Delivered(Some(text))) => Reply::stored(text.clone()).is_none(),
                Some(Begun::Queued(_)) => false,
                _ => true,
            };
            begun.set(found);
            send
        })
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
                let _ = s.pass(None, false, INLINE_BATCH, &s.sender.transport);
            }
        }
    }

    /// `ywx_outbox_list`.
    pub fn list(&self, request: &Value) -> Result<Reply> {
        self.shared.list(request)
    }

    /// `ywx_outbox_flush`.
    pub fn flush(&self, request: &Value) -> Result<Reply> {
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

impl Shared {
    fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.settings.retry_interval_ms.max(1))
    }

    /// A push of a urId already queued: no second entry; that item is
    /// tried now (reconciled first if need be). When another thread or
    /// process is delivering it at this moment, its outcome is awaited.
    fn retry_queued(&self, key: &Key, seq: i64) -> Result<Reply> {
        let deadline = std::time::Instant::now() + self.lease_for;
        loop {
            match self.try_now(seq)? {
                Some(Outcome::Delivered(r) | Outcome::Failed(r)) => return Ok(r),
                Some(Outcome::Waiting(_)) => break,
                None if std::time::Instant::now() < deadline && self.is_leased(seq)? => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                None => break,
            }
        }
        match self.store.answer_of(seq)? {
            Some(text) => Reply::stored(text).ok_or_else(|| self.queued_error(key, None)),
            None => Err(self.queued_error(key, None)),
        }
    }

    /// A direct push got no usable answer: queued (its written-ahead row
    /// made durable) or reported.
    fn unsent(
        &self,
        key: &Key,
        out: &mut Outgoing,
        fresh: Option<(i64, bool)>,
        f: Failure,
    ) -> Result<Reply> {
        let unknown = match disposition(&f) {
            Disposition::Refuse => {
                if let Some((seq, existed)) = fresh {
                    let _ = self.store.withdraw(seq, existed, &f.error.message);
                }
                return Err(f.error);
            }
            Disposition::Queue { unknown } => unknown,
        };
        self.health.failed(&f.error);
        let why = f.error.message.clone();
        let streamed = !out.body.files.is_empty();
        let whole = match out.stored_whole() {
            Ok(whole) => whole,
            Err(e) => {
                if let Some((seq, existed)) = fresh {
                    let _ = self.store.withdraw(seq, existed, &e.message);
                }
                return Err(unavailable(key, &why, &e));
            }
        };
        let Some((seq, _)) = fresh else {
            return self.enqueue(key, &whole, &why, Some(f.error), unknown);
        };
        // The row written ahead holds placeholders for documents: stored whole now.
        let request = streamed.then_some(&*whole);
        match self.store.park(seq, &why, unknown, request) {
            Ok(()) => {
                // No wake-up: the gateway is down; the thread's timer retries.
                self.maybe_queued.store(true, Ordering::SeqCst);
                Err(self.queued_error(key, Some(&why)))
            }
            Err(db) => Err(unavailable(key, &why, &db)),
        }
    }

    /// Commits a push that was not sent (or not written ahead) to the file
    /// durably and answers QUEUED_OFFLINE; when even that fails, the caller
    /// learns that nothing was sent and nothing stored (OUTBOX_UNAVAILABLE).
    fn enqueue(
        &self,
        key: &Key,
        request: &str,
        why: &str,
        network_error: Option<Error>,
        unknown: bool,
    ) -> Result<Reply> {
        match self.store.enqueue(key, request, why, unknown) {
            Ok(Some(text)) => Reply::stored(text).ok_or_else(|| self.queued_error(key, Some(why))),
            Ok(None) => {
                // No wake-up: the gateway is down; the thread's timer retries.
                self.maybe_queued.store(true, Ordering::SeqCst);
                Err(self.queued_error(key, Some(why)))
            }
            Err(db) => {
                let gateway = network_error.map_or(why.to_string(), |e| e.message);
                Err(unavailable(key, &gateway, &db))
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

/// Neither sent nor stored.
fn unavailable(key: &Key, gateway: &str, db: &Error) -> Error {
    Error::new(
        &codes::OUTBOX_UNAVAILABLE,
        format!(
            "网关无法连接（{gateway}），而{}。签名请求 urId={} 没有发出，也没有存入离线缓存：请修复后重新推送",
            db.message, key.ur_id
        ),
    )
}

/// The request as stored: without the clientSecret (taken out of the
/// request, which has been sent, or serialised for it, already).
fn stored(request: &mut Value) -> String {
    if let Some(head) = request
        .pointer_mut("/msg/head")
        .and_then(Value::as_object_mut)
    {
        head.remove("clientSecret");
    }
    to_json(request)
}
