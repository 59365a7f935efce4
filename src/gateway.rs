//! One call of a gateway endpoint: the request checked and completed, sent
//! (or, for a signature push, handed to the outbox), the answer returned —
//! all within the call's budget, `timeoutMs` + `connectTimeoutMs`,
//! retries and reconciliation included.

use std::time::Instant;

use serde_json::Value;

use crate::attach::{Attachment, Document};
use crate::client::Client;
use crate::endpoints::{Delivery, Endpoint, Shape};
use crate::error::Result;
use crate::json::Json;
use crate::outbox::{Push, outcome_unknown};
use crate::reply::{self, Call, Reply};
use crate::request::{self, Prepared};
use crate::transport::{Body, Reached, Request};

/// Checks `value` against the endpoint's rules, fills what the config
/// knows, sends it and returns the gateway's answer.
pub fn call(client: &Client, ep: &'static Endpoint, value: Json) -> Result<Reply> {
    call_until(
        client,
        ep,
        value,
        Instant::now() + client.transport.budget(),
    )
}

/// [`call`], over by `deadline` (sooner than the call's own budget for a
/// `*_wait` helper near its end).
pub fn call_until(
    client: &Client,
    ep: &'static Endpoint,
    value: Json,
    deadline: Instant,
) -> Result<Reply> {
    let Prepared { mut value, files } = request::prepare(ep, value)?;
    request::fill_from_config(ep, &client.config, &mut value);
    // A push goes through the outbox as a serde_json `Value` (which it
    // keeps); auto-verification reads the request as pushed.
    let (reply, pushed) = match ep.delivery {
        Delivery::Outbox(_) if client.outbox.enabled() => {
            let mut request = std::mem::replace(&mut value, Json::Null).into_value();
            let reply = client.outbox.push(Push {
                endpoint: ep,
                request: &mut request,
                files,
                deadline,
            })?;
            (reply, Some(request))
        }
        Delivery::Outbox(_) => (push_unkept(client, ep, &value, files, deadline)?, None),
        Delivery::Retry if !files.is_empty() => {
            let reply = post_document(client, ep, &value, files, deadline).map_err(|f| f.error)?;
            (reply, None)
        }
        Delivery::Retry => (send(client, ep, &value, deadline)?, None),
    };
    Ok(finish(
        client,
        ep,
        || pushed.unwrap_or_else(|| value.into_value()),
        reply,
    ))
}

/// Sends a request that needs nothing done to it ([`request::ready`], its
/// rules checked) as the caller wrote it, and returns the gateway's answer.
pub fn call_ready(client: &Client, ep: &'static Endpoint, text: &str) -> Result<Reply> {
    let deadline = Instant::now() + client.transport.budget();
    let reply = send_text(client, ep, &[], Some(text), deadline)?;
    let request = || serde_json::from_str(text).unwrap_or_default();
    Ok(finish(client, ep, request, reply))
}

/// What follows every answer: the outbox told the gateway answers, the
/// reply verified locally (`verify.auto`, with the `request` as sent) and
/// its files saved (`fileDir`).
fn finish(
    client: &Client,
    ep: &Endpoint,
    request: impl FnOnce() -> Value,
    mut reply: Reply,
) -> Reply {
    client.outbox.after_success();
    if client.config.verify.auto {
        attach_local_verify(client, ep, &request(), &mut reply);
    }
    if let Some(dir) = &client.config.file_dir
        && crate::files::save(dir, ep.name, reply.json_mut())
    {
        reply.text = reply.json().to_string();
    }
    reply
}

/// `verify.auto`: 4.3.5's and 5.1.2's replies carry `data.localVerify`.
/// The content of a detached P7 or a P1 (5.1.2) is the push the outbox
/// keeps for its uniqueId.
fn attach_local_verify(client: &Client, ep: &Endpoint, request: &Value, reply: &mut Reply) {
    let lookup = Kept(&client.outbox);
    let local = crate::verify::local_verify(ep.name, request, reply.json(), &client.trust, &lookup);
    if let (Some(local), Some(data)) = (local, reply.json_mut().get_mut("data")) {
        data["localVerify"] = local;
        reply.text = reply.json().to_string();
    }
}

/// The pushes the outbox keeps, as auto-verification looks them up.
struct Kept<'a>(&'a crate::outbox::Outbox);

impl crate::verify::PushLookup for Kept<'_> {
    fn pushed_request(&self, unique_id: &str) -> Option<Value> {
        self.0.pushed_request(unique_id)
    }
}

/// Sends a prepared request (credentials filled) to its endpoint; a
/// request that may be sent twice is tried again after a transient failure.
fn send(client: &Client, ep: &Endpoint, value: &Json, deadline: Instant) -> Result<Reply> {
    let query = match ep.shape {
        Shape::Query => request::query_pairs(value)?,
        _ => Vec::new(),
    };
    let body = (ep.shape != Shape::Query).then(|| value.to_json());
    send_text(client, ep, &query, body.as_deref(), deadline)
}

/// Sends a request's query or JSON text to its endpoint, again after a
/// transient failure.
fn send_text(
    client: &Client,
    ep: &Endpoint,
    query: &[(String, String)],
    body: Option<&str>,
    deadline: Instant,
) -> Result<Reply> {
    let call = Call {
        method: ep.http,
        path: ep.path,
        query,
        body,
    };
    reply::send(&client.transport, call, &client.config.retry, deadline)
}

/// A request with documents, streamed (never sent twice).
fn post_document(
    client: &Client,
    ep: &Endpoint,
    value: &Json,
    files: Vec<Attachment>,
    deadline: Instant,
) -> std::result::Result<Reply, crate::transport::Failure> {
    // Serialised once; the documents streamed into the body.
    let mut doc = Document {
        text: value.to_json(),
        files,
    };
    let len = doc.len();
    let not_sent = |e| crate::transport::Failure::new(e, false, Reached::No);
    let mut reader = doc.reader().map_err(not_sent)?;
    let sent = reply::fetch(
        &client.transport,
        Request {
            method: ep.http,
            path: ep.path,
            query: &[],
            body: Body::Stream {
                reader: &mut reader,
                len,
            },
            deadline: Some(deadline),
            fresh_connection: false,
        },
    );
    match reader.failed.take() {
        Some(e) => Err(not_sent(e)),
        None => sent,
    }
}

/// A push with the outbox off (`outbox.enabled` false): sent once; when
/// its answer is lost, nothing can reconcile it: OUTCOME_UNKNOWN says not
/// to push it again.
fn push_unkept(
    client: &Client,
    ep: &'static Endpoint,
    value: &Json,
    files: Vec<Attachment>,
    deadline: Instant,
) -> Result<Reply> {
    let sent = post_document(client, ep, value, files, deadline);
    sent.map_err(|f| match f.reached {
        Reached::Maybe if f.transient || f.error.data.get("httpStatus").is_none() => {
            let ur_id = ep
                .queue()
                .and_then(|q| value.at(q.ur_id))
                .and_then(Json::text)
                .unwrap_or_default();
            let why = format!(
                "{}；离线缓存已关闭（outbox.enabled 为 false）",
                f.error.message
            );
            outcome_unknown(&ur_id, ep.name, &why)
        }
        _ => f.error,
    })
}
