//! Delivery: sending claimed items to the gateway and recording what came
//! back; and the gateway's health as the outbox sees it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Shared;
use super::lease::{self, Claimed};
use super::store::{State, now_ms};
use crate::codes;
use crate::error::{Error, Result};
use crate::log::Logger;
use crate::transport::{Http, Reply, Request, Transport};
use crate::value::as_text;

/// What the outbox sends with: the transport, the secret filled in at
/// delivery (never stored), the log, and the path of each method it takes.
pub struct Sender {
    pub transport: Arc<Transport>,
    pub client_secret: String,
    pub logger: Arc<Logger>,
    /// (method, path): `sign_data` → `/gateway/recipe/synRecipeInfo`.
    pub routes: Vec<(&'static str, &'static str)>,
}

impl Sender {
    pub fn path(&self, method: &str) -> Option<&'static str> {
        self.routes
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, p)| *p)
    }

    /// One POST, never retried here (a push is not sent twice blindly).
    pub fn post(&self, path: &str, body: &str) -> Result<Reply> {
        self.transport.send(&Request {
            method: Http::Post,
            path,
            query: &[],
            body: Some(body),
            retry: false,
        })
    }
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
    /// The gateway answered "0": the order exists.
    Delivered(Reply),
    /// The gateway answered with a business error: the item is failed.
    Failed(Reply),
    /// No answer (unreachable, timeout, not the gateway's JSON): still queued.
    Unreachable(Error),
}

/// What a delivery pass did, for `ywx_outbox_flush`.
#[derive(Default)]
pub struct Pass {
    pub delivered: usize,
    pub failed: usize,
    pub touched: Vec<i64>,
    pub unreachable: Option<String>,
}

/// Whether an item that got `e` stays queued however often it is tried:
/// the gateway could not be reached, or answered that it is temporarily
/// unavailable. Other failures end it `failed` after `outbox.maxAttempts`.
fn worth_waiting(e: &Error) -> bool {
    let n = e.code.number;
    n == codes::NETWORK_UNREACHABLE.number
        || n == codes::TIMEOUT.number
        || (n == codes::GATEWAY_HTTP.number
            && e.data
                .get("httpStatus")
                .and_then(Value::as_u64)
                .is_some_and(|s| matches!(s, 408 | 429 | 502 | 503 | 504)))
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

    /// Claims queued item `seq` and tries it once.
    pub fn try_now(&self, seq: i64) -> Result<Option<Outcome>> {
        match self.claim(Some(seq))? {
            Some(item) => self.deliver(item).map(Some),
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

    /// Sends one claimed item and records the outcome.
    fn deliver(&self, item: Claimed) -> Result<Outcome> {
        let started = Instant::now();
        let outcome = match self.request_of(&item) {
            Some((path, body)) => match self.sender.post(path, &body) {
                Ok(reply) if is_ok(&reply) => Outcome::Delivered(reply),
                Ok(reply) => Outcome::Failed(reply),
                Err(e) => Outcome::Unreachable(e),
            },
            None => Outcome::Unreachable(Error::internal(format!(
                "离线缓存中的条目 {} 无法读取（方法 {}）",
                item.seq, item.method
            ))),
        };
        let (status, message) = self.record(&item, &outcome)?;
        self.sender.logger.call(
            "outbox_deliver",
            started.elapsed(),
            &status,
            &message,
            &format!("urId={}", item.ur_id),
        );
        Ok(outcome)
    }

    /// Writes the outcome of a delivery; returns (status, message) for the log.
    fn record(&self, item: &Claimed, outcome: &Outcome) -> Result<(String, String)> {
        match outcome {
            Outcome::Delivered(r) | Outcome::Failed(r) => {
                self.health.answered();
                let status = r.json.get("status").and_then(as_text).unwrap_or_default();
                let message = r.json.get("message").and_then(as_text).unwrap_or_default();
                let (state, last_error) = if is_ok(r) {
                    (State::Delivered, None)
                } else {
                    let why = format!("网关拒绝（status {status}）：{message}");
                    (State::Failed, Some(why))
                };
                self.store
                    .finish(item.seq, state, &r.text, last_error.as_deref())?;
                Ok((status, message))
            }
            Outcome::Unreachable(e) => {
                self.health.failed(e);
                if item.attempts >= i64::from(self.settings.max_attempts) && !worth_waiting(e) {
                    let why = format!("尝试 {} 次后放弃：{}", item.attempts, e.message);
                    self.store
                        .finish(item.seq, State::Failed, "null", Some(&why))?;
                } else {
                    self.store.release(item.seq, &e.message)?;
                }
                Ok((e.code.status(), e.message.clone()))
            }
        }
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

    /// Delivers queued items in order until none is left, the gateway
    /// cannot be reached, or `limit` items were tried. `wait` also waits
    /// for items another thread or process is delivering.
    pub fn pass(&self, ur_id: Option<&str>, wait: bool, limit: usize) -> Result<Pass> {
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
            match self.deliver(item)? {
                Outcome::Delivered(_) => pass.delivered += 1,
                Outcome::Failed(_) => pass.failed += 1,
                Outcome::Unreachable(e) => {
                    pass.unreachable = Some(e.message);
                    break;
                }
            }
        }
        Ok(pass)
    }
}
