//! Dispatch, in Rust terms: a method name and a JSON text in, a JSON
//! envelope text out. The C boundary (`ffi/`) and the `ywx` command are
//! thin layers over this module; the methods are in `methods.rs`.

use std::time::Instant;

use serde_json::Value;

use crate::client::{self, Session};
use crate::codes;
use crate::error::{Error, Result};
use crate::json::{self, Json};
use crate::methods::{self, Method, Run};
use crate::reply::Reply;
use crate::request;

pub use crate::client::{VERSION, init, init_config, shutdown};
use crate::config::Config;
/// A parsed URL, as the transport reads `baseUrl`.
pub use ureq::http::Uri;

use crate::value::{MAX_DEPTH, too_deep};

/// The session a call runs in, loading the config file (and so opening
/// the outbox and starting its thread) when no config is in force yet:
/// see [`client::session_loading_config`]. The boundary takes the encoding
/// and size limit from it, then calls [`call_in`].
pub fn session_loading_config() -> Session {
    client::session_loading_config()
}

/// Calls `method` (an export's name without `ywx_`) with a JSON text;
/// returns the envelope text.
pub fn call(method: &str, request: &str) -> String {
    call_in(&session_loading_config(), method, request)
}

/// [`call`] in a session the caller already has.
pub fn call_in(session: &Session, name: &str, request: &str) -> String {
    call_found(session, methods::find(name).ok_or(name), request)
}

/// [`call_in`] with the method already found (the exports find theirs at
/// compile time); `Err`: the name the caller gave, which is no method's.
pub fn call_found(
    session: &Session,
    method: std::result::Result<&'static Method, &str>,
    request: &str,
) -> String {
    let started = Instant::now();
    // What the call was about, for the log: looked for only when logged.
    let logged = session.client().is_ok_and(|c| c.logger.enabled());
    let mut key = logged.then(String::new);
    let outcome = match method {
        Ok(method) => dispatch(session, method, request, key.as_mut()),
        Err(name) => Err(unknown_method(name)),
    };
    let (text, status, message) = match outcome {
        Ok(reply) => {
            // The message is logged only for a failure: not looked for otherwise.
            let message = match &*reply.status {
                "0" => String::new(),
                _ => reply.message(),
            };
            (reply.text, reply.status, message)
        }
        Err(e) => (
            e.envelope().to_string(),
            e.code.status().into(),
            e.message.clone(),
        ),
    };
    if let Ok(c) = session.client() {
        // The caller's method name only when it is one (it is their text).
        let name = method.map_or("(unknown method)", |m| m.name);
        c.logger.call(
            name,
            started.elapsed(),
            &status,
            &message,
            key.as_deref().unwrap_or(""),
        );
    }
    text
}

/// Runs a method; `key`, when given, receives what the call was about,
/// for the log.
fn dispatch(
    session: &Session,
    method: &Method,
    request: &str,
    mut key: Option<&mut String>,
) -> Result<Reply> {
    let handler = match method.run {
        Run::Lifecycle(f) => {
            let text = (!request.trim().is_empty()).then_some(request);
            return Ok(Reply::local(f(text)));
        }
        Run::Boundary => {
            return Err(Error::arg(
                "method",
                "last_result 只用于 ywx_call_buf：缓冲区太小时取回本线程保留的结果",
            ));
        }
        Run::Local(handler) => Some(handler),
        Run::Gateway => None,
    };
    session.usable()?;
    // A request that needs nothing done to it is checked and sent as it is.
    let ready = match (handler, method.endpoint) {
        (None, Some(ep)) => {
            let client = session.client()?;
            request::ready(ep, &client.config, request).map(|ready| (client, ep, ready))
        }
        _ => None,
    };
    let reply = match ready {
        Some((client, ep, ready)) => {
            if let Some(key) = key.as_deref_mut() {
                *key = ready.log_key();
            }
            ready.check(ep)?;
            crate::gateway::call_ready(client, ep, request)?
        }
        None => {
            let value = parse(request)?;
            if let Some(key) = key.as_deref_mut() {
                *key = request::log_key(&value);
            }
            match (handler, method.endpoint) {
                (Some(handler), _) => handler(session, value.into_value())?,
                (None, Some(ep)) => crate::gateway::call(session.client()?, ep, value)?,
                (None, None) => unreachable!("a gateway method names its endpoint"),
            }
        }
    };
    if let (Some(id), Some(key)) = (&reply.unique_id, key)
        && !key.contains(id.as_str())
    {
        key.push_str(" uniqueId=");
        key.push_str(id);
    }
    Ok(reply)
}

fn unknown_method(name: &str) -> Error {
    Error::new(
        &codes::UNKNOWN_METHOD,
        format!(
            "没有名为 {} 的方法。可用的方法：{}",
            quoted_name(name),
            methods::names().join("、")
        ),
    )
}

/// A method name as messages quote it: only when it looks like one (it
/// is the caller's text, and could be anything).
fn quoted_name(name: &str) -> String {
    let name = name.trim();
    if crate::rules::looks_like_key(name) {
        format!("\"{name}\"")
    } else {
        format!("这样的（{} 个字符）", name.chars().count())
    }
}

/// The request parsed, refusing empty text and nesting deeper than
/// [`MAX_DEPTH`] before serde_json recurses into it. A plain request
/// ([`json::parse_plain`]: valid, not too deep, nothing serde_json could
/// read in another way) is read without serde_json, borrowing its strings.
fn parse(request: &str) -> Result<Json<'_>> {
    if let Some(json) = json::parse_plain(request) {
        return Ok(json);
    }
    if request.trim().is_empty() {
        return Err(Error::new(
            &codes::INVALID_JSON,
            "请求是空字符串：请传入 JSON 对象，例如 {\"head\":{},\"body\":{...}}",
        ));
    }
    if let Some(at) = too_deep(request.as_bytes(), MAX_DEPTH) {
        return Err(Error::new(
            &codes::INVALID_JSON,
            format!(
                "请求嵌套超过 {MAX_DEPTH} 层（第 {at} 个字节处），接口文档中的请求最多几层，请检查 JSON"
            ),
        ));
    }
    match serde_json::from_str::<Value>(request) {
        Ok(value) => Ok(Json::from(value)),
        Err(e) => Err(crate::error::invalid_json("请求", &e)),
    }
}

/// `ywx check`'s HTTP step: one GET of `/` on the gateway of `config`
/// with a transport of its own. Any HTTP answer proves that TCP, TLS and
/// HTTP work; the error says which of them does not.
pub fn probe(config: &Config) -> Result<()> {
    let clock = std::sync::Arc::new(crate::clock::GatewayClock::default());
    let transport = crate::transport::Transport::new(config, clock)?;
    transport.probe("/")
}

/// Checks a request of `method` against its rules and returns it as it
/// would be sent (without the config's credentials), or the error.
pub fn prepare(method: &str, request: &str) -> Result<Value> {
    let ep = methods::find(method)
        .and_then(|m| m.endpoint.filter(|_| matches!(m.run, Run::Gateway)))
        .ok_or_else(|| Error::arg("method", format!("{} 不是网关接口", quoted_name(method))))?;
    request::prepare(ep, parse(request)?)?.inline()
}
