//! One call of a gateway endpoint: the request checked and completed, sent
//! (or, for a signature push, handed to the outbox), the answer returned.

use serde_json::Value;

use crate::attach::Document;
use crate::client::Client;
use crate::endpoints::{Delivery, Endpoint, Shape};
use crate::error::Result;
use crate::outbox::Push;
use crate::request::{self, Prepared};
use crate::transport::{Reply, Request};
use crate::value::to_json;

/// Checks `value` against the endpoint's rules, fills what the config
/// knows, sends it and returns the gateway's answer.
pub fn call(client: &Client, ep: &'static Endpoint, value: Value) -> Result<Reply> {
    let Prepared { mut value, files } = request::prepare(ep, value)?;
    request::fill_from_config(ep, &client.config, &mut value);
    let mut reply = if ep.delivery == Delivery::Outbox && client.outbox.enabled() {
        client.outbox.push(Push {
            method: ep.name,
            path: ep.path,
            request: &mut value,
            files,
        })?
    } else if !files.is_empty() {
        // Serialised once; the documents streamed into the body.
        let mut doc = Document {
            text: to_json(&value),
            files,
        };
        client
            .transport
            .post_document(ep.path, &mut doc)
            .map_err(|f| f.error)?
    } else {
        send(client, ep, &value)?
    };
    client.outbox.after_success();
    if client.config.verify.auto {
        attach_local_verify(client, ep, &value, &mut reply);
    }
    if let Some(dir) = &client.config.file_dir
        && crate::files::save(dir, ep.name, reply.json_mut())
    {
        reply.text = reply.json().to_string();
    }
    Ok(reply)
}

/// `verify.auto`: 4.3.5's and 5.1.2's replies carry `data.localVerify`.
/// The content of a detached P7 (5.1.2) would come from the push the
/// outbox keeps; until the outbox offers that lookup, none is given.
fn attach_local_verify(client: &Client, ep: &Endpoint, request: &Value, reply: &mut Reply) {
    let lookup = crate::verify::NoPushLookup;
    let local = crate::verify::local_verify(ep.name, request, reply.json(), &client.trust, &lookup);
    if let (Some(local), Some(data)) = (local, reply.json_mut().get_mut("data")) {
        data["localVerify"] = local;
        reply.text = reply.json().to_string();
    }
}

/// Sends a prepared request (credentials filled) to its endpoint.
pub fn send(client: &Client, ep: &Endpoint, value: &Value) -> Result<Reply> {
    let query = match ep.shape {
        Shape::Query => request::query_pairs(value)?,
        _ => Vec::new(),
    };
    let body = (ep.shape != Shape::Query).then(|| to_json(value));
    client.transport.send(&Request {
        method: ep.http,
        path: ep.path,
        query: &query,
        body: body.as_deref(),
        retry: ep.delivery == Delivery::Retry,
    })
}
