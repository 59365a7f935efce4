//! Delivery: sending claimed items to the gateway — reconciled first when
//! an earlier attempt may have reached it — and recording what came back;
//! and the gateway's health as the outbox sees it.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Shared;
use super::lease::{self, Claimed};
use super::reconcile::reconciled_reply;
use super::records::Record;
use super::store::{State, now_ms};
use crate::codes;
use crate::error::{Error, Result};
use crate::log::Logger;
use crate::transport::{Failure, Http, Reached, Reply, Request, Transport};

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

/// Items claimed, sent and recorded together in a delivery pass.
const BATCH: usize = 32;

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
        let Some(item) = self.claim(Some(seq))? else {
            return Ok(None);
        };
        let mut records = Vec::with_capacity(1);
        let outcome = self.deliver(&item, &self.sender.transport, &mut records);
        self.store.record(&records, &[])?;
        Ok(Some(outcome))
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
        Some((path, crate::value::to_json(&value)))
    }

    /// Delivers one claimed item through `via`; what to write of it goes
    /// to `records` (written by the caller, a batch in one transaction).
    pub(super) fn deliver(
        &self,
        item: &Claimed,
        via: &Transport,
        records: &mut Vec<Record>,
    ) -> Outcome {
        let started = Instant::now();
        let (outcome, record) = self.attempt(item, via);
        records.push(record);
        if self.sender.logger.enabled() {
            let (status, message) = match &outcome {
                // The message is logged only for a failure.
                Outcome::Delivered(r) | Outcome::Failed(r) if r.status == "0" => {
                    (r.status.clone(), String::new())
                }
                Outcome::Delivered(r) | Outcome::Failed(r) => (r.status.clone(), r.message()),
                Outcome::Waiting(e) => (e.code.status(), e.message.clone()),
            };
            self.sender.logger.call(
                "outbox_deliver",
                started.elapsed(),
                &status,
                &message,
                &format!("urId={}", item.ur_id),
            );
        }
        outcome
    }

    /// Reconciles (when the outcome of an earlier attempt is unknown), then
    /// sends; what became of the item, and what to write of it.
    fn attempt(&self, item: &Claimed, via: &Transport) -> (Outcome, Record) {
        let Some((path, body)) = self.request_of(item) else {
            let e = Error::internal(format!(
                "离线缓存中的条目 {} 无法读取（方法 {}）",
                item.seq, item.method
            ));
            return failed(item, e, "离线缓存中的条目无法读取".into());
        };
        if item.unknown {
            match self.reconcile(item, via) {
                Ok(Some(unique_id)) => {
                    self.health.answered();
                    let reply = reconciled_reply(&unique_id);
                    let record = Record::finish(item.seq, State::Delivered, &reply.text, None);
                    return (Outcome::Delivered(reply), record);
                }
                Ok(None) => {}
                Err(f) => return self.unanswered(item, f),
            }
        }
        if crate::attach::holds_placeholder(&body) {
            // Written ahead of a streamed push whose process died, and the
            // gateway has no such order: its document was never stored.
            let e = Error::new(
                &codes::OUTBOX_UNAVAILABLE,
                format!(
                    "签名请求 urId={} 推送时进程被终止，网关没有收到；其中的 PDF 没有存入离线缓存，无法补发：请重新推送",
                    item.ur_id
                ),
            );
            let why = e.message.clone();
            return failed(item, e, why);
        }
        match post(via, path, &body) {
            Ok(reply) => {
                self.health.answered();
                if reply.is_ok() {
                    let record = Record::finish(item.seq, State::Delivered, &reply.text, None);
                    return (Outcome::Delivered(reply), record);
                }
                let why = format!("网关拒绝（status {}）：{}", reply.status, reply.message());
                let record = Record::finish(item.seq, State::Failed, &reply.text, Some(why));
                (Outcome::Failed(reply), record)
            }
            Err(f) => self.unanswered(item, f),
        }
    }

    /// No usable answer: the item stays queued — for good while the gateway
    /// is unreachable or says "not now", else up to `outbox.maxAttempts`.
    fn unanswered(&self, item: &Claimed, f: Failure) -> (Outcome, Record) {
        self.health.failed(&f.error);
        let unknown = f.reached == Reached::Maybe;
        if !f.transient && item.attempts >= i64::from(self.settings.max_attempts) {
            let why = format!("尝试 {} 次后放弃：{}", item.attempts, f.error.message);
            let mut e = f.error;
            e.message = why.clone();
            return failed(item, e, why);
        }
        let record = Record::Release {
            seq: item.seq,
            last_error: f.error.message.clone(),
            unknown,
        };
        (Outcome::Waiting(f.error), record)
    }

    /// Claims up to `max` deliverable items, oldest first, in one
    /// transaction.
    fn claim_batch(&self, max: usize) -> Result<Vec<Claimed>> {
        let now = now_ms();
        // Items are sent only while the batch is younger than one lease
        // (see `pass`), each taking at most a lease: two cover them all.
        let until = now + 2 * self.lease_for.as_millis() as i64;
        self.store.with_db(|c| {
            lease::claim_batch(
                c,
                max,
                &self.owner,
                now,
                until,
                crate::platform::process_alive,
            )
        })
    }

    /// The next of the items `seqs` that can be claimed.
    fn next(&self, seqs: &[i64]) -> Result<Option<Claimed>> {
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
    ///
    /// Items are claimed a batch at a time, in one transaction, sent by
    /// [`SENDERS`] threads at once, each over its own keep-alive
    /// connection, and what became of them written in one transaction per
    /// batch. Until then they stay leased: should the process die in
    /// between, their outcome is unknown and they are reconciled before any
    /// re-send.
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
        let mut records = Vec::with_capacity(BATCH);
        while pass.touched.len() < limit {
            let batch = match only.as_deref() {
                Some(seqs) => self.next(seqs)?.into_iter().collect(),
                None => self.claim_batch(BATCH.min(limit - pass.touched.len()))?,
            };
            if batch.is_empty() {
                if wait && Instant::now() < deadline && self.leased_elsewhere(ur_id)? {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                if ur_id.is_none() && !self.leased_elsewhere(None)? {
                    self.maybe_queued.store(false, Ordering::SeqCst);
                }
                break;
            }
            records.clear();
            let unsent = self.send_batch(&batch, via, &mut records, &mut pass);
            self.store.record(&records, &unsent)?;
            if pass.unreachable.is_some() {
                break;
            }
        }
        Ok(pass)
    }
}

/// How many items of a batch are in flight at once.
///
/// One connection leaves the gateway idle while ywx records an answer and
/// prepares the next request, and ywx idle while the gateway works; two or
/// more overlap the two (after an outage, 0.63 of raw keep-alive POSTs with
/// one, `cargo bench --bench ywx -- outbox`). Each item is leased and its
/// (method, client, urId) queued once, so no order is sent twice at once.
const SENDERS: usize = 4;

impl Shared {
    /// Sends the items of a claimed batch, [`SENDERS`] at a time, each
    /// while the batch is younger than a lease; stops taking new ones once
    /// the gateway cannot be reached. What to write goes to `records`;
    /// returns the items not sent (released by the caller).
    fn send_batch(
        &self,
        batch: &[Claimed],
        via: &Transport,
        records: &mut Vec<Record>,
        pass: &mut Pass,
    ) -> Vec<i64> {
        let claimed = Instant::now();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        // One sender's share: the items it took, what became of them.
        let send = || {
            let mut done: Vec<(usize, Outcome)> = Vec::new();
            let mut records = Vec::new();
            while !stop.load(Ordering::SeqCst) && claimed.elapsed() < self.lease_for {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = batch.get(i) else { break };
                let outcome = self.deliver(item, via, &mut records);
                if matches!(outcome, Outcome::Waiting(_)) {
                    stop.store(true, Ordering::SeqCst);
                }
                done.push((i, outcome));
            }
            (done, records)
        };
        let senders = SENDERS.min(batch.len());
        let results = std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..senders).map(|_| scope.spawn(send)).collect();
            let mut results = vec![send()];
            for h in helpers {
                // A sender that panicked took what became of its items
                // with it: they stay leased, and so are reconciled before
                // any re-send (`lease::claim`).
                results.extend(h.join().ok());
            }
            results
        });
        let mut outcomes = Vec::with_capacity(batch.len());
        for (done, recs) in results {
            records.extend(recs);
            outcomes.extend(done);
        }
        outcomes.sort_by_key(|(i, _)| *i);
        for (i, outcome) in outcomes {
            pass.touched.push(batch[i].seq);
            match outcome {
                Outcome::Delivered(_) => pass.delivered += 1,
                Outcome::Failed(_) => pass.failed += 1,
                Outcome::Waiting(e) => {
                    pass.unreachable.get_or_insert(e.message);
                }
            }
        }
        // Items are taken in order, and each taken one was sent: those
        // after the last taken were not.
        let taken = next.load(Ordering::SeqCst).min(batch.len());
        batch[taken..].iter().map(|item| item.seq).collect()
    }
}

/// An item that ends failed, with `e` as its answer.
fn failed(item: &Claimed, e: Error, why: String) -> (Outcome, Record) {
    let reply = Reply::local(e.envelope());
    let record = Record::finish(item.seq, State::Failed, "null", Some(why));
    (Outcome::Failed(reply), record)
}
