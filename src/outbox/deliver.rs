//! Delivery: sending claimed items to the gateway — reconciled first when
//! an earlier attempt may have reached it — and recording what came back;
//! and the gateway's health as the outbox sees it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Shared;
use super::lease::{self, Claimed};
use super::reconcile::reconciled_reply;
use super::store::{State, now_ms};
use crate::codes;
use crate::error::{Error, Result};
use crate::log::Logger;
use crate::transport::{Failure, Http, Reached, Reply, Request, Transport};
use crate::value::as_text;

/// What the outbox sends with: the transports, the secret filled in at
/// delivery (never stored), the log, and the paths it needs.
pub struct Sender {
    /// For pushes and flushes, on the caller's thread.
    pub transport: Arc<Transport>,
    /// The delivery thread's own, aborted when the thread must stop.
    pub background: Arc<Transport>,
    pub client_secret: String,
    pub logger: Arc<Logger>,
    /// (method, path): `sign_data` → `/gateway/recipe/synRecipeInfo`.
    pub routes: Vec<(&'static str, &'static str)>,
    /// 5.1.1, for reconciliation.
    pub list_path: &'static str,
}

impl Sender {
    pub fn path(&self, method: &str) -> Option<&'static str> {
        self.routes
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, p)| *p)
    }
}

/// One POST, never retried here (a push is not sent twice blindly).
pub fn post(via: &Transport, path: &str, body: &str) -> std::result::Result<Reply, Failure> {
    via.exchange(&Request {
        method: Http::Post,
        path,
        query: &[],
        body: Some(body),
        retry: false,
    })
}

/// The gateway as the outbox last saw it.
#[derive(Default)]
pub struct Health {
    /// When the gateway last timed out (cleared by any answer).
    down_since: Mutex<Option<Instant>>,
}

impl Health {
    /// While the gateway timed out less than `interval` ago, pushes go
    /// straight to the outbox instead of each waiting for its own timeout.
    /// (A refused connection or a DNS failure answers at once: such pushes
    /// keep trying the gateway, so the first one after it is back goes
    /// straight through.)
    pub fn recently_down(&self, interval: Duration) -> bool {
        let since = *self.down_since.lock().unwrap_or_else(|p| p.into_inner());
        since.is_some_and(|t| t.elapsed() < interval)
    }

    pub fn failed(&self, e: &Error) {
        if e.code.number == codes::TIMEOUT.number {
            *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        }
    }

    /// Any answer from the gateway: it is reachable again.
    pub fn answered(&self) {
        *self.down_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// What became of one delivery attempt.
pub enum Outcome {
    /// The gateway has the order: it answered "0", or reconciliation
    /// found it.
    Delivered(Reply),
    /// The gateway refused it, or it failed `maxAttempts` times: failed.
    Failed(Reply),
    /// No usable answer: still queued.
    Waiting(Error),
}

/// What a delivery pass did, for `ywx_outbox_flush`.
#[derive(Default)]
pub struct Pass {
    pub delivered: usize,
    pub failed: usize,
    pub touched: Vec<i64>,
    pub unreachable: Option<String>,
}

pub fn is_ok(reply: &Reply) -> bool {
    reply.json.get("status").and_then(as_text).as_deref() == Some("0")
}

impl Shared {
    /// Claims the next deliverable item (or item `only`).
    fn claim(&self, only: Option<i64>) -> Result<Option<Claimed>> {
        let now = now_ms();
        let until = now + self.lease_for.as_millis() as i64;
        self.store.with_db(|c| {
            lease::claim(
                c,
                only,
                &self.owner,
                now,
                until,
                crate::platform::process_alive,
            )
        })
    }

    /// Whether queued items (of `ur_id`) are being delivered by someone.
    fn leased_elsewhere(&self, ur_id: Option<&str>) -> Result<bool> {
        self.store
            .with_db(|c| lease::leased_elsewhere(c, ur_id, now_ms()))
    }

    /// Whether item `seq` is queued and leased (being delivered) now.
    pub(super) fn is_leased(&self, seq: i64) -> Result<bool> {
        let now = now_ms();
        self.store.with_db(|c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM outbox WHERE seq = ?1 AND state = 'queued'
                    AND lease_token IS NOT NULL AND lease_until >= ?2)",
                rusqlite::params![seq, now],
                |r| r.get(0),
            )
        })
    }

    /// Claims queued item `seq` and tries it once, on the caller's thread.
    pub fn try_now(&self, seq: i64) -> Result<Option<Outcome>> {
        match self.claim(Some(seq))? {
            Some(item) => self.deliver(item, &self.sender.transport).map(Some),
            None => Ok(None),
        }
    }

    /// The stored request, with the secret of the config in force.
    fn request_of(&self, item: &Claimed) -> Option<(&'static str, String)> {
        let path = self.sender.path(&item.method)?;
        let mut value: Value = serde_json::from_str(&item.request).ok()?;
        let head = value.pointer_mut("/msg/head")?.as_object_mut()?;
        let blank = head
            .get("clientSecret")
            .is_none_or(|v| v.is_null() || v == "");
        if blank {
            head.insert(
                "clientSecret".into(),
                Value::String(self.sender.client_secret.clone()),
            );
        }
        Some((path, value.to_string()))
    }

    /// Delivers one claimed item through `via` and records the outcome.
    pub(super) fn deliver(&self, item: Claimed, via: &Transport) -> Result<Outcome> {
        let started = Instant::now();
        let outcome = self.attempt(&item, via)?;
        let (status, message) = match &outcome {
            Outcome::Delivered(r) | Outcome::Failed(r) => (
                r.json.get("status").and_then(as_text).unwrap_or_default(),
                r.json.get("message").and_then(as_text).unwrap_or_default(),
            ),
            Outcome::Waiting(e) => (e.code.status(), e.message.clone()),
        };
        self.sender.logger.call(
            "outbox_deliver",
            started.elapsed(),
            &status,
            &message,
            &format!("urId={}", item.ur_id),
        );
        Ok(outcome)
    }

    /// Reconciles (when the outcome of an earlier attempt is unknown), then
    /// sends; writes what became of the item.
    fn attempt(&self, item: &Claimed, via: &Transport) -> Result<Outcome> {
        let Some((path, body)) = self.request_of(item) else {
            let e = Error::internal(format!(
                "离线缓存中的条目 {} 无法读取（方法 {}）",
                item.seq, item.method
            ));
            self.store
                .finish(item.seq, State::Failed, "null", Some(&e.message))?;
            return Ok(Outcome::Failed(Reply::local(e.envelope())));
        };
        if item.unknown {
            match self.reconcile(item, via) {
                Ok(Some(unique_id)) => {
                    self.health.answered();
                    let reply = reconciled_reply(&unique_id);
                    self.store
                        .finish(item.seq, State::Delivered, &reply.text, None)?;
                    return Ok(Outcome::Delivered(reply));
                }
                Ok(None) => {}
                Err(f) => return self.unanswered(item, f),
            }
        }
        match post(via, path, &body) {
            Ok(reply) => {
                self.health.answered();
                if is_ok(&reply) {
                    self.store
                        .finish(item.seq, State::Delivered, &reply.text, None)?;
                    return Ok(Outcome::Delivered(reply));
                }
                let status = reply
                    .json
                    .get("status")
                    .and_then(as_text)
                    .unwrap_or_default();
                let message = reply
                    .json
                    .get("message")
                    .and_then(as_text)
                    .unwrap_or_default();
                let why = format!("网关拒绝（status {status}）：{message}");
                self.store
                    .finish(item.seq, State::Failed, &reply.text, Some(&why))?;
                Ok(Outcome::Failed(reply))
            }
            Err(f) => self.unanswered(item, f),
        }
    }

    /// No usable answer: the item stays queued — for good while the gateway
    /// is unreachable or says "not now", else up to `outbox.maxAttempts`.
    fn unanswered(&self, item: &Claimed, f: Failure) -> Result<Outcome> {
        self.health.failed(&f.error);
        let unknown = f.reached == Reached::Maybe;
        if !f.transient && item.attempts >= i64::from(self.settings.max_attempts) {
            let why = format!("尝试 {} 次后放弃：{}", item.attempts, f.error.message);
            self.store
                .finish(item.seq, State::Failed, "null", Some(&why))?;
            let mut e = f.error;
            e.message = why;
            return Ok(Outcome::Failed(Reply::local(e.envelope())));
        }
        self.store.release(item.seq, &f.error.message, unknown)?;
        Ok(Outcome::Waiting(f.error))
    }

    /// The next item of a pass: any queued one, or one of `only`.
    fn next(&self, only: Option<&[i64]>) -> Result<Option<Claimed>> {
        let Some(seqs) = only else {
            return self.claim(None);
        };
        for seq in seqs {
            if let Some(c) = self.claim(Some(*seq))? {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    /// Delivers queued items through `via`, in order, until none is left,
    /// the gateway cannot be reached, or `limit` items were tried. `wait`
    /// also waits for items another thread or process is delivering.
    pub fn pass(
        &self,
        ur_id: Option<&str>,
        wait: bool,
        limit: usize,
        via: &Transport,
    ) -> Result<Pass> {
        let mut pass = Pass::default();
        if !self.store.exists() {
            self.maybe_queued.store(false, Ordering::SeqCst);
            return Ok(pass);
        }
        let only = ur_id.map(|u| self.store.queued_seqs(u)).transpose()?;
        let deadline = Instant::now() + self.lease_for;
        while pass.touched.len() < limit {
            let Some(item) = self.next(only.as_deref())? else {
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
            match self.deliver(item, via)? {
                Outcome::Delivered(_) => pass.delivered += 1,
                Outcome::Failed(_) => pass.failed += 1,
                Outcome::Waiting(e) => {
                    pass.unreachable = Some(e.message);
                    break;
                }
            }
        }
        Ok(pass)
    }
}
