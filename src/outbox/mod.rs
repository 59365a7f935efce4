//! The offline outbox (断网容灾) and the memory of every push: a sign push
//! is written ahead of sending and kept with the gateway's answer, so that
//! a re-push of its urId gets that answer instead of a second order; one
//! that cannot reach the gateway is committed to the local SQLite file
//! before the call returns, and delivered later — by a background thread
//! with backoff, on the next successful call, or by `ywx_outbox_flush`.
//!
//! An item is keyed by (method, clientId, urId): the order's kind, its
//! client and its urId, read where the push endpoint's entry says they are
//! (`endpoints::Queue`). A push whose outcome is unknown (written, answer
//! lost; or its process killed) is reconciled through 5.1.1 before any
//! re-send, so exactly-once does not rest on the gateway ignoring a second
//! push. Leases in the file keep several threads or processes from sending
//! one item at once. The clientSecret is never stored: it is filled in at
//! delivery.
//!
//! The outbox depends on the transport, the config, the log and the
//! request shaping of its endpoints, never on the client that owns it:
//! `store/` (the file and all its SQL), `push.rs` (a push on the caller's
//! thread), `deliver.rs` (delivery passes), `reconcile.rs` (asking the
//! gateway first), `worker.rs` (the thread), `report.rs` (list and flush).

mod deliver;
mod push;
mod reconcile;
mod report;
mod store;
mod worker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::attach::Attachment;
use crate::clock::GatewayClock;
use crate::config::{Config, OutboxSettings};
use crate::endpoints::Endpoint;
use crate::error::Result;
use crate::log::Logger;
use crate::reply::Reply;
use crate::transport::Transport;
use deliver::Health;
use store::{Owner, Store};
use worker::Worker;

pub use push::outcome_unknown;

/// Items delivered inline by a successful call when there is no thread.
const INLINE_BATCH: usize = 16;

/// One outbox per configured client.
pub struct Outbox {
    shared: Arc<Shared>,
    worker: Mutex<Option<Worker>>,
}

/// What the outbox sends with: the transports, the config (its secret is
/// filled in at delivery, never stored), the log, the gateway's clock, and
/// the endpoints it sends to.
pub struct Sender {
    /// For pushes and flushes, on the caller's thread.
    pub transport: Arc<Transport>,
    /// The delivery thread's own, aborted when the thread must stop.
    pub background: Arc<Transport>,
    pub config: Config,
    pub logger: Arc<Logger>,
    /// The gateway's clock, as the transports learn it.
    pub clock: Arc<GatewayClock>,
    /// The endpoints whose pushes are kept (`Delivery::Outbox`).
    pub routes: Vec<&'static Endpoint>,
    /// 5.1.1, which reconciliation asks.
    pub list: &'static Endpoint,
}

impl Sender {
    fn route(&self, method: &str) -> Option<&'static Endpoint> {
        self.routes.iter().copied().find(|e| e.name == method)
    }
}

/// What the outbox and its thread share.
pub(crate) struct Shared {
    settings: OutboxSettings,
    store: Store,
    sender: Sender,
    health: Health,
    owner: Owner,
    /// Longest time a delivery may take before its lease is taken over.
    lease_for: Duration,
    /// Whether this process may have something queued (a hint, never
    /// trusted to skip the thread's periodic look at the file).
    maybe_queued: AtomicBool,
}

/// A push the outbox takes: its endpoint, the request (prepared,
/// credentials filled), the documents it sends, and when the call must
/// have answered.
pub struct Push<'a> {
    pub endpoint: &'static Endpoint,
    pub request: &'a mut Value,
    pub files: Vec<Attachment>,
    pub deadline: Instant,
}

impl Outbox {
    pub fn new(sender: Sender) -> Outbox {
        let config = &sender.config;
        let lease_for = sender.transport.budget() + Duration::from_secs(10);
        let shared = Arc::new(Shared {
            settings: config.outbox.clone(),
            store: Store::new(&config.outbox),
            health: Health::default(),
            owner: Owner::this_process(),
            lease_for,
            maybe_queued: AtomicBool::new(config.outbox.path.exists()),
            sender,
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

    /// The request of the push that made the order `unique_id`, as kept
    /// (without the clientSecret), if the outbox still holds it.
    pub fn pushed_request(&self, unique_id: &str) -> Option<Value> {
        let s = &self.shared;
        if !s.settings.enabled || !s.store.exists() {
            return None;
        }
        let text = s.store.request_of_order(unique_id).ok()??;
        serde_json::from_str(&text).ok()
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn retry_interval(&self) -> Duration {
        Duration::from_millis(self.settings.retry_interval_ms.max(1))
    }

    /// The deadline of one item's delivery begun now.
    fn item_deadline(&self, via: &Transport) -> Instant {
        Instant::now() + via.budget()
    }
}
