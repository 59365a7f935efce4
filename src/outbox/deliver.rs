//! Delivery: the uncertain items reconciled first (one walk of 5.1.1 for
//! all of them), then queued items claimed, sent and recorded a batch at a
//! time; and the gateway's health as the outbox sees it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Shared;
use super::reconcile::{Uncertain, reconciled_reply};
use super::store::{Among, Claim, Claimed, Record, State};
use crate::clock::now_ms;
use crate::codes;
use crate::error::Error;
use crate::reply::{self, Reply};
use crate::transport::{Failure, Reached, Request, Transport};
use crate::value::{object_at_mut, to_json};

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
    /// A claim by this process now, of `among`, for `lease`.
    fn claim_of<'a>(&'a self, among: Among<'a>, lease: Duration) -> Claim<'a> {
        let now = now_ms();
        Claim {
            me: &self.owner,
            until: now + lease.as_millis() as i64,
            among,
        }
    }

    /// Claims queued item `seq` and tries it once, on the caller's thread,
    /// within `deadline`; None when it cannot be claimed now.
    pub(super) fn try_now(
        &self,
        seq: i64,
        deadline: Instant,
    ) -> crate::error::Result<Option<Outcome>> {
        let only = [seq];
        let claim = self.claim_of(Among::Only(&only), self.lease_for);
        let Some(item) = self.store.claim(&claim, 1)?.pop() else {
            return Ok(None);
        };
        let mut records = Vec::with_capacity(1);
        let outcome = self.deliver(&item, &self.sender.transport, deadline, &mut records);
        self.store.record(&records)?;
        Ok(Some(outcome))
    }

    /// The stored request, with the secret of the config in force.
    fn request_of(&self, item: &Claimed) -> Option<(&'static str, String)> {
        let ep = self.sender.route(&item.method)?;
        let queue = ep.queue()?;
        let mut value: Value = serde_json::from_str(&item.request).ok()?;
        let head = object_at_mut(&mut value, queue.head)?;
        let blank = head
            .get("clientSecret")
            .is_none_or(|v| v.is_null() || v == "");
        if blank {
            head.insert(
                "clientSecret".into(),
                Value::String(self.sender.config.client_secret.clone()),
            );
        }
        Some((ep.path, to_json(&value)))
    }

    /// Delivers one claimed item through `via` within `deadline`; what to
    /// write of it goes to `records` (written by the caller, a batch in one
    /// transaction).
    pub(super) fn deliver(
        &self,
        item: &Claimed,
        via: &Transport,
        deadline: Instant,
        records: &mut Vec<Record>,
    ) -> Outcome {
        let started = Instant::now();
        let (outcome, record) = self.attempt(item, via, deadline);
        records.push(record);
        let (status, message) = match &outcome {
            // The message is logged only for a failure.
            Outcome::Delivered(r) | Outcome::Failed(r) if r.is_ok() => {
                (r.status.to_string(), String::new())
            }
            Outcome::Delivered(r) | Outcome::Failed(r) => (r.status.to_string(), r.message()),
            Outcome::Waiting(e) => (e.code.status(), e.message.clone()),
        };
        self.log_item(item, started, &status, &message);
        outcome
    }

    fn log_item(&self, item: &Claimed, started: Instant, status: &str, message: &str) {
        let logger = &self.sender.logger;
        if logger.enabled() {
            let key = format!("urId={}", item.ur_id);
            logger.call("outbox_deliver", started.elapsed(), status, message, &key);
        }
    }

    /// Reconciles (when the outcome of an earlier attempt is unknown), then
    /// sends; what became of the item, and what to write of it.
    fn attempt(&self, item: &Claimed, via: &Transport, deadline: Instant) -> (Outcome, Record) {
        let Some((path, body)) = self.request_of(item) else {
            let e = Error::internal(format!(
                "离线缓存中的条目 {} 无法读取（方法 {}）",
                item.seq, item.method
            ));
            return failed(item, e, "离线缓存中的条目无法读取".into());
        };
        if item.unknown {
            match self.walk(&[Uncertain::claimed(item)], via, Some(deadline), false) {
                Ok(found) => {
                    if let Some(Some(unique_id)) = found.first() {
                        self.health.answered();
                        return found_at_gateway(item, unique_id);
                    }
                }
                Err(e) => return self.unanswered(item, Failure::new(e, true, Reached::Maybe)),
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
        let mut request = Request::post(path, &body);
        request.deadline = Some(deadline);
        match reply::fetch(via, request) {
            Ok(reply) => {
                self.health.answered();
                let id = reply.unique_id.clone();
                if reply.is_ok() {
                    let record = finish(item, State::Delivered, &reply, None, id);
                    return (Outcome::Delivered(reply), record);
                }
                let why = format!("网关拒绝（status {}）：{}", reply.status, reply.message());
                let record = finish(item, State::Failed, &reply, Some(why), None);
                (Outcome::Failed(reply), record)
            }
            Err(f) => self.unanswered(item, f),
        }
    }

    /// No usable answer: the item stays queued — for good while the gateway
    /// is unreachable or says "not now", else up to `outbox.maxAttempts`.
    fn unanswered(&self, item: &Claimed, f: Failure) -> (Outcome, Record) {
        self.health.failed(&f.error);
        let unknown = f.reached == Reached::Maybe || item.unknown;
        if !f.transient && item.attempts >= i64::from(self.settings.max_attempts) {
            let why = format!("尝试 {} 次后放弃：{}", item.attempts, f.error.message);
            let mut e = f.error;
            e.message = why.clone();
            return failed(item, e, why);
        }
        let record = Record::Release {
            seq: item.seq,
            last_error: Some(f.error.message.clone()),
            unknown,
        };
        (Outcome::Waiting(f.error), record)
    }

    /// Reconciles every queued item (of `among`) whose outcome is unknown,
    /// in one walk of 5.1.1 for all: found ones end delivered, the others
    /// may be sent. Why the gateway could not be asked, if it could not.
    fn reconcile_uncertain(
        &self,
        among: Among,
        via: &Transport,
        pass: &mut Pass,
    ) -> crate::error::Result<Option<String>> {
        // Leased long: a walk of a long window takes a page per hundred
        // orders (should it outlast the lease, another process reconciles
        // the items again before it sends any).
        let claim = self.claim_of(among, self.lease_for * 6);
        let items = self.store.claim_uncertain(&claim)?;
        if items.is_empty() {
            return Ok(None);
        }
        let started = Instant::now();
        let uncertain: Vec<Uncertain> = items.iter().map(Uncertain::claimed).collect();
        let walked = self.walk(&uncertain, via, None, false);
        let mut records = Vec::with_capacity(items.len());
        let unreachable = match walked {
            Ok(found) => {
                for (item, found) in items.iter().zip(found) {
                    match found {
                        Some(unique_id) => {
                            self.log_item(item, started, "0", "");
                            records.push(found_at_gateway(item, &unique_id).1);
                            pass.delivered += 1;
                            pass.touched.push(item.seq);
                        }
                        // Not at the gateway: it may be sent.
                        None => records.push(Record::Release {
                            seq: item.seq,
                            last_error: None,
                            unknown: false,
                        }),
                    }
                }
                None
            }
            Err(e) => {
                for item in &items {
                    records.push(Record::Release {
                        seq: item.seq,
                        last_error: Some(e.message.clone()),
                        unknown: true,
                    });
                }
                Some(e.message)
            }
        };
        self.store.record(&records)?;
        Ok(unreachable)
    }

    /// Delivers queued items through `via`, in order, until none is left,
    /// the gateway cannot be reached, or `limit` items were tried. `wait`
    /// also waits for items another thread or process is delivering.
    ///
    /// The items whose outcome is unknown are reconciled first, all in one
    /// walk. Then items are claimed a batch at a time, in one transaction,
    /// sent by [`SENDERS`] threads at once, each over its own keep-alive
    /// connection, each within a call's budget, and what became of them
    /// written in one transaction per batch. Until then they stay leased:
    /// should the process die in between, their outcome is unknown and
    /// they are reconciled before any re-send.
    pub fn pass(
        &self,
        ur_id: Option<&str>,
        wait: bool,
        limit: usize,
        via: &Transport,
    ) -> crate::error::Result<Pass> {
        let mut pass = Pass::default();
        if !self.store.exists() {
            self.maybe_queued.store(false, Ordering::SeqCst);
            return Ok(pass);
        }
        let only = ur_id.map(|u| self.store.queued_seqs(u)).transpose()?;
        let among = || only.as_deref().map_or(Among::Oldest, Among::Only);
        if let Some(why) = self.reconcile_uncertain(among(), via, &mut pass)? {
            pass.unreachable = Some(why);
            return Ok(pass);
        }
        let deadline = Instant::now() + self.lease_for;
        let mut records = Vec::with_capacity(BATCH);
        while pass.touched.len() < limit {
            let max = match only {
                Some(_) => 1,
                None => BATCH.min(limit - pass.touched.len()),
            };
            let batch = self
                .store
                .claim(&self.claim_of(among(), self.lease_for * 2), max)?;
            if batch.is_empty() {
                if wait && Instant::now() < deadline && self.store.leased(ur_id, None)? {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                if ur_id.is_none() && !self.store.leased(None, None)? {
                    self.maybe_queued.store(false, Ordering::SeqCst);
                }
                break;
            }
            records.clear();
            self.send_batch(&batch, via, &mut records, &mut pass);
            self.store.record(&records)?;
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
    /// while the batch is younger than a lease and within a call's budget;
    /// stops taking new ones once the gateway cannot be reached. What to
    /// write goes to `records`, the items not sent among them (released).
    fn send_batch(
        &self,
        batch: &[Claimed],
        via: &Transport,
        records: &mut Vec<Record>,
        pass: &mut Pass,
    ) {
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
                let deadline = self.item_deadline(via);
                let outcome = self.deliver(item, via, deadline, &mut records);
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
                // any re-send.
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
        records.extend(
            batch[taken..]
                .iter()
                .map(|item| Record::Unsent { seq: item.seq }),
        );
    }
}

/// What to write of an item the gateway answered.
fn finish(
    item: &Claimed,
    state: State,
    reply: &Reply,
    last_error: Option<String>,
    unique_id: Option<String>,
) -> Record {
    Record::Finish {
        seq: item.seq,
        state,
        response: reply.text.clone(),
        last_error,
        unique_id,
    }
}

/// An item reconciliation found at the gateway: delivered.
fn found_at_gateway(item: &Claimed, unique_id: &str) -> (Outcome, Record) {
    let reply = reconciled_reply(unique_id);
    let record = finish(item, State::Delivered, &reply, None, Some(unique_id.into()));
    (Outcome::Delivered(reply), record)
}

/// An item that ends failed, with `e` as its answer.
fn failed(item: &Claimed, e: Error, why: String) -> (Outcome, Record) {
    let reply = Reply::local(e.envelope());
    let record = Record::Finish {
        seq: item.seq,
        state: State::Failed,
        response: "null".into(),
        last_error: Some(why),
        unique_id: None,
    };
    (Outcome::Failed(reply), record)
}
