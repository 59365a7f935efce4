//! A push on the caller's thread: written ahead (right before its first
//! byte goes out), sent, and kept with the gateway's answer; stored when
//! the gateway cannot be reached; checked with 5.1.1 and sent again on a
//! new connection when the pooled one it went out on turned out closed.
//! Every answer says where the push truly is (README: 断网容灾): YWX-4001 only
//! when it is in the outbox, YWX-4003 only when it certainly never left,
//! YWX-4004 when it may have reached the gateway and cannot be kept.

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::reconcile::{Uncertain, reconciled_reply};
use super::store::{Begun, OrderKey, State};
use super::{Outbox, Push, Shared};
use crate::attach::{Document, inline_text};
use crate::clock::now_ms;
use crate::codes;
use crate::endpoints::{Endpoint, Queue};
use crate::error::{Error, Result};
use crate::reply::{self, Reply};
use crate::transport::{BeforeSend, Body, Failure, Hook, Http, Reached, Request, Transport};
use crate::value::{as_text, at, object_at_mut, to_json};

/// A push as sent and as stored.
struct Outgoing {
    path: &'static str,
    /// The body sent, the clientSecret in it.
    body: Document,
    /// The request as stored (no clientSecret), documents as placeholders.
    stored: String,
}

impl Outgoing {
    fn send(
        &mut self,
        via: &Transport,
        deadline: Instant,
        fresh_connection: bool,
    ) -> std::result::Result<Reply, Failure> {
        let request = |body| Request {
            method: Http::Post,
            path: self.path,
            query: &[],
            body,
            deadline: Some(deadline),
            fresh_connection,
        };
        if self.body.files.is_empty() {
            return reply::fetch(via, request(Body::Json(&self.body.text)));
        }
        let len = self.body.len();
        let not_sent = |e| Failure::new(e, false, Reached::No);
        let mut reader = self.body.reader().map_err(not_sent)?;
        let sent = reply::fetch(
            via,
            Request {
                body: Body::Stream {
                    reader: &mut reader,
                    len,
                },
                ..request(Body::Empty)
            },
        );
        match reader.failed.take() {
            Some(e) => Err(not_sent(e)),
            None => sent,
        }
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
    /// Keep it for delivery; `unknown`: it may have reached the gateway.
    Keep { unknown: bool },
    /// Report the error: a configuration problem, or the gateway (or a
    /// proxy) refused the request, or it never got through whole.
    Refuse,
}

fn disposition(f: &Failure) -> Disposition {
    let http = f.error.data.get("httpStatus").and_then(Value::as_u64);
    match (f.reached, http) {
        (Reached::No, _) if f.transient => Disposition::Keep { unknown: false },
        (Reached::No, _) => Disposition::Refuse,
        (Reached::Maybe, Some(s)) if (300..500).contains(&s) && !f.transient => Disposition::Refuse,
        (Reached::Maybe, _) => Disposition::Keep { unknown: true },
    }
}

/// The order key of a push, where its endpoint's entry says it is.
pub fn key_of(ep: &Endpoint, queue: &Queue, request: &Value) -> Result<OrderKey> {
    let text = |path: &str| at(request, path).and_then(as_text);
    let ur_id = text(queue.ur_id).ok_or_else(|| Error::arg(queue.ur_id, "不能为空"))?;
    Ok(OrderKey {
        method: ep.name.to_string(),
        client_id: text(&format!("{}.clientId", queue.head)).unwrap_or_default(),
        ur_id,
    })
}

/// The request as stored: without the clientSecret (taken out of the
/// request, which has been serialised for sending already).
fn stored(queue: &Queue, request: &mut Value) -> String {
    if let Some(head) = object_at_mut(request, queue.head) {
        head.remove("clientSecret");
    }
    to_json(request)
}

impl Outbox {
    /// A sign push, written ahead and sent at once; kept when the gateway
    /// cannot be reached. Returns the gateway's reply (the first one, for a
    /// urId pushed before), or QUEUED_OFFLINE naming the urId.
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
        let ep = push.endpoint;
        let queue = ep
            .queue()
            .ok_or_else(|| Error::internal(format!("{} 不是签名推送", ep.name)))?;
        let key = key_of(ep, queue, push.request)?;
        let mut out = Outgoing {
            path: ep.path,
            body: Document {
                text: to_json(push.request),
                files: push.files,
            },
            stored: stored(queue, push.request),
        };
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
        let mut waited = false;
        let (sent, fresh, started) = loop {
            let begun = Rc::new(Cell::new(None));
            let started = now_ms();
            let armed = BeforeSend::arm(self.write_ahead(&key, &out.stored, begun.clone()));
            let sent = out.send(&s.sender.transport, push.deadline, false);
            drop(armed);
            match begun.take() {
                // The urId was delivered or is queued: the push was held back.
                Some(Begun::Delivered(Some(text))) => match Reply::stored(text) {
                    Some(reply) => return Ok(reply),
                    None => break (sent, None, started),
                },
                Some(Begun::Queued(seq)) => match s.await_item(&key, seq, push.deadline)? {
                    Some(reply) => return Ok(reply),
                    // The other push of the urId was withdrawn (it never
                    // left): this one goes, once.
                    None if !waited => waited = true,
                    None => return Err(s.queued_error(&key, None)),
                },
                Some(Begun::Fresh { seq, existed }) => break (sent, Some((seq, existed)), started),
                Some(Begun::Delivered(None)) | None => break (sent, None, started),
            }
        };
        let sent = match sent {
            Err(f) if f.stale => s.resend(&key, &mut out, fresh, started, push.deadline, f),
            sent => sent,
        };
        match sent {
            Ok(reply) => {
                s.health.answered();
                if let Some((seq, _)) = fresh {
                    let state = match reply.is_ok() {
                        true => State::Delivered,
                        false => State::Failed,
                    };
                    let id = reply.unique_id.as_deref();
                    let _ = s.store.finish(seq, state, &reply.text, None, id);
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
    fn write_ahead(&self, key: &OrderKey, stored: &str, begun: Rc<Cell<Option<Begun>>>) -> Hook {
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
}

impl Shared {
    /// A pooled connection turned out closed before any answer: the push
    /// was most likely never read. The gateway is asked (5.1.1) whether it
    /// has the order; if not, the push goes again on a new connection,
    /// within the same call.
    fn resend(
        &self,
        key: &OrderKey,
        out: &mut Outgoing,
        fresh: Option<(i64, bool)>,
        started: i64,
        deadline: Instant,
        f: Failure,
    ) -> std::result::Result<Reply, Failure> {
        let via = &self.sender.transport;
        if f.reached == Reached::Maybe {
            let item = Uncertain::of(key, started, now_ms());
            match self.walk(&[item], via, Some(deadline), true) {
                Ok(found) => {
                    if let Some(Some(unique_id)) = found.first() {
                        return Ok(reconciled_reply(unique_id));
                    }
                }
                // Not known: its outcome stays unknown (kept, reconciled later).
                Err(_) => return Err(f),
            }
        }
        if let Some((seq, _)) = fresh {
            let _ = self.store.sent_again(seq);
        }
        out.send(via, deadline, true)
    }

    /// A push of a urId already queued, or in flight on another thread or
    /// process: no second entry. Its outcome is awaited (until `deadline`),
    /// or the item is tried now (reconciled first if need be). None when
    /// the item is gone: the other push was withdrawn, never sent.
    fn await_item(&self, key: &OrderKey, seq: i64, deadline: Instant) -> Result<Option<Reply>> {
        loop {
            if let Some(text) = self.store.answer_of(seq)? {
                if let Some(reply) = Reply::stored(text) {
                    return Ok(Some(reply));
                }
                break;
            }
            if !self.store.holds(seq)? {
                return Ok(None);
            }
            if Instant::now() >= deadline {
                break;
            }
            if !self.store.leased(None, Some(seq))? {
                match self.try_now(seq, deadline)? {
                    Some(super::deliver::Outcome::Delivered(r))
                    | Some(super::deliver::Outcome::Failed(r)) => return Ok(Some(r)),
                    Some(super::deliver::Outcome::Waiting(_)) => break,
                    None => {}
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        match self.store.count_queued(Some(&key.ur_id))? {
            0 => Err(self.outcome_unknown(key, "另一个线程正在推送同一 urId，尚未得到网关应答")),
            _ => Err(self.queued_error(key, None)),
        }
    }

    /// A direct push got no usable answer: kept (its written-ahead row made
    /// durable) or reported.
    fn unsent(
        &self,
        key: &OrderKey,
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
            Disposition::Keep { unknown } => unknown,
        };
        self.health.failed(&f.error);
        let why = f.error.message.clone();
        let streamed = !out.body.files.is_empty();
        let whole = match out.stored_whole() {
            Ok(whole) => whole,
            Err(e) => {
                if let Some((seq, existed)) = fresh
                    && !unknown
                {
                    let _ = self.store.withdraw(seq, existed, &e.message);
                }
                return Err(self.not_kept(key, &why, &e, unknown));
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
            Err(db) => Err(self.not_kept(key, &why, &db, unknown)),
        }
    }

    /// Commits a push that was not sent (or not written ahead) to the file
    /// durably and answers QUEUED_OFFLINE; when even that fails, the caller
    /// learns whether it may have reached the gateway (OUTCOME_UNKNOWN) or
    /// certainly not (OUTBOX_UNAVAILABLE).
    pub(super) fn enqueue(
        &self,
        key: &OrderKey,
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
                Err(self.not_kept(key, &gateway, &db, unknown))
            }
        }
    }

    fn queued_error(&self, key: &OrderKey, why: Option<&str>) -> Error {
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

    /// Neither answered nor kept: OUTCOME_UNKNOWN when it may have reached
    /// the gateway, OUTBOX_UNAVAILABLE when it certainly did not.
    fn not_kept(&self, key: &OrderKey, gateway: &str, db: &Error, unknown: bool) -> Error {
        if unknown {
            return self.outcome_unknown(key, &format!("{gateway}；而{}", db.message));
        }
        Error::new(
            &codes::OUTBOX_UNAVAILABLE,
            format!(
                "网关无法连接（{gateway}），而{}。签名请求 urId={} 没有发出，也没有存入离线缓存：请修复后重新推送",
                db.message, key.ur_id
            ),
        )
        .with_data(json!({"urId": key.ur_id, "method": key.method}))
    }

    fn outcome_unknown(&self, key: &OrderKey, why: &str) -> Error {
        outcome_unknown(&key.ur_id, &key.method, why)
    }
}

/// OUTCOME_UNKNOWN: the push may be at the gateway; pushing it again could
/// make a second order.
pub fn outcome_unknown(ur_id: &str, method: &str, why: &str) -> Error {
    Error::new(
        &codes::OUTCOME_UNKNOWN,
        format!(
            "签名请求 urId={ur_id} 可能已送达网关，但没有收到应答（{why}），也无法存入离线缓存核对。请不要重复推送：稍后用 ywx_sign_list（按时间查询，5.1.1）查找该 urId 的 uniqueId"
        ),
    )
    .with_data(json!({"urId": ur_id, "method": method}))
}
