//! The gateway's answer: what counts as one (`classify.rs`), the few fields
//! ywx reads from it without parsing it whole (`peek.rs`), and getting one
//! over the transport — once for a push, or again after a transient
//! failure for a request that may be sent twice, always within the call's
//! budget (`timeoutMs` + `connectTimeoutMs`).

mod classify;
mod peek;

use std::borrow::Cow;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::Retry;
use crate::error::Error;
use crate::transport::{Body, Failure, Http, Request, Transport};
use crate::value::as_text;

/// The gateway's answer: its text, passed on unchanged (but for `status`
/// made a string), its `status`, and the same parsed when asked for (most
/// callers only pass the text on: it is not parsed whole for them).
#[derive(Debug)]
pub struct Reply {
    pub text: String,
    /// `status`, as a string ("0" without an allocation: most are).
    pub status: Cow<'static, str>,
    /// `data.uniqueId`, as text, when the answer has one.
    pub unique_id: Option<String>,
    json: std::cell::OnceCell<Value>,
}

impl Reply {
    /// An answer made by the library itself.
    pub fn local(json: Value) -> Reply {
        let status = status_text(json.get("status").and_then(as_text).unwrap_or_default());
        let unique_id = json.pointer("/data/uniqueId").and_then(as_text);
        Reply {
            text: json.to_string(),
            status,
            unique_id,
            json: json.into(),
        }
    }

    /// An answer the library wrote itself as text, with its `status`.
    pub fn made(text: String, status: &str) -> Reply {
        Reply {
            text,
            status: status_text(status),
            unique_id: None,
            json: Default::default(),
        }
    }

    /// A stored answer (of the outbox): None when it is not a JSON object.
    pub fn stored(text: String) -> Option<Reply> {
        let json: Value = serde_json::from_str(&text).ok()?;
        json.is_object().then_some(())?;
        let mut reply = Reply::local(json);
        reply.text = text;
        Some(reply)
    }

    /// The answer parsed (on first use).
    pub fn json(&self) -> &Value {
        self.json
            .get_or_init(|| serde_json::from_str(&self.text).unwrap_or_default())
    }

    /// The answer parsed, to change it (then `text` is made anew from it).
    pub fn json_mut(&mut self) -> &mut Value {
        self.json();
        self.json.get_mut().expect("parsed above")
    }

    pub fn into_json(mut self) -> Value {
        self.json();
        self.json.take().unwrap_or_default()
    }

    /// Whether the gateway said "0" (success).
    pub fn is_ok(&self) -> bool {
        self.status == "0"
    }

    /// `message`, as text ("" when absent).
    pub fn message(&self) -> String {
        self.json()
            .get("message")
            .and_then(as_text)
            .unwrap_or_default()
    }
}

/// A status as [`Reply`] keeps it: "0" borrowed.
pub fn status_text<'a>(status: impl Into<Cow<'a, str>>) -> Cow<'static, str> {
    match status.into() {
        s if s == "0" => Cow::Borrowed("0"),
        s => Cow::Owned(s.into_owned()),
    }
}

/// One exchange and the gateway's answer in it, or the failure.
pub fn fetch(via: &Transport, req: Request) -> Result<Reply, Failure> {
    let path = req.path;
    let response = via.exchange(req)?;
    classify::classify(response, || via.shown_url(path))
}

/// A request that may be sent again: its parts, borrowed.
#[derive(Clone, Copy)]
pub struct Call<'a> {
    pub method: Http,
    pub path: &'static str,
    pub query: &'a [(String, String)],
    pub body: Option<&'a str>,
}

impl Call<'_> {
    fn request(&self, deadline: Instant, fresh_connection: bool) -> Request<'_> {
        Request {
            method: self.method,
            path: self.path,
            query: self.query,
            body: self.body.map_or(Body::Empty, Body::Json),
            deadline: Some(deadline),
            fresh_connection,
        }
    }
}

/// Sends `call` until the gateway answers, a failure that is not
/// transient, `retry.attempts` tries, or `deadline`. After a pooled
/// connection turned out closed, the next try is on a new connection.
pub fn send(via: &Transport, call: Call, retry: &Retry, deadline: Instant) -> Result<Reply, Error> {
    let attempts = retry.attempts.max(1);
    let mut attempt = 1;
    let mut fresh = false;
    loop {
        match fetch(via, call.request(deadline, fresh)) {
            Ok(reply) => return Ok(reply),
            Err(f) if f.transient && attempt < attempts => {
                // A closed pooled connection is tried again at once.
                let pause = match f.stale {
                    true => Duration::ZERO,
                    false => backoff(retry.backoff_ms, attempt),
                };
                if Instant::now() + pause >= deadline {
                    return Err(f.error);
                }
                std::thread::sleep(pause);
                attempt += 1;
                fresh = f.stale;
            }
            Err(f) => return Err(f.error),
        }
    }
}

/// Exponential backoff with jitter: base·2^(n-1) plus up to half of it.
fn backoff(base_ms: u64, attempt: u32) -> Duration {
    let exp = base_ms.saturating_mul(1 << (attempt - 1).min(10));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let jitter = if exp > 1 { nanos % (exp / 2 + 1) } else { 0 };
    Duration::from_millis(exp + jitter)
}
