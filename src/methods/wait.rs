//! The polling helpers (`ywx_sign_wait`, `ywx_selfsign_wait`,
//! `ywx_oauth_wait`): they block until a final state or their timeout, so
//! that synchronous HIS code needs no loop of its own.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::Session;
use crate::codes;
use crate::consts::{
    YWX_GRANT_STEP_ALLOWED, YWX_GRANT_STEP_REFUSED, YWX_SIGN_STATUS_PENDING,
    YWX_SIGN_STATUS_UNCLAIMED,
};
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, Result};
use crate::gateway;
use crate::reply::Reply;
use crate::value::as_text;

/// `timeoutSeconds` (default 60) and `intervalMs` (default 1000).
fn limits(value: &Value) -> Result<(Duration, Duration)> {
    let get = |name: &str, default: u64, lo: u64, hi: u64| -> Result<u64> {
        match value.get(name).filter(|v| !v.is_null()) {
            None => Ok(default),
            Some(v) => as_text(v)
                .and_then(|s| s.trim().parse::<f64>().ok())
                .map(|n| n as u64)
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| Error::arg(name, format!("必须是 {lo} 到 {hi} 之间的数"))),
        }
    };
    Ok((
        Duration::from_secs(get("timeoutSeconds", 60, 1, 86_400)?),
        Duration::from_millis(get("intervalMs", 1000, 50, 60_000)?),
    ))
}

fn required(value: &Value, name: &str) -> Result<String> {
    value
        .get(name)
        .and_then(as_text)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Error::arg(name, "不能为空"))
}

/// Whether a value (a status, a step) is one of these numbers.
fn is_one_of(v: Option<&Value>, numbers: &[i32]) -> bool {
    let n = v
        .and_then(as_text)
        .and_then(|t| t.trim().parse::<i32>().ok());
    n.is_some_and(|n| numbers.contains(&n))
}

/// Polls `ep` with `request` until `done` says so, or the deadline: the
/// helper's budget is its `timeoutSeconds`, each poll's what is left of it.
fn poll(
    session: &Session,
    ep: &'static Endpoint,
    request: Value,
    value: &Value,
    what: &str,
    done: impl Fn(&Reply) -> bool,
) -> Result<Reply> {
    let (timeout, interval) = limits(value)?;
    let client = session.client()?;
    let deadline = Instant::now() + timeout;
    let timed_out = |last: Option<Reply>| {
        Error::new(
            &codes::WAIT_TIMEOUT,
            format!(
                "等待{what}超时（{} 秒）。data 为最后一次查询的结果",
                timeout.as_secs()
            ),
        )
        .with_data(last.map_or(Value::Null, Reply::into_json))
    };
    let mut last = None;
    loop {
        let until = (Instant::now() + client.transport.budget()).min(deadline);
        let reply = match gateway::call_until(client, ep, request.clone().into(), until) {
            Ok(reply) => reply,
            // The helper's own time ran out during the poll.
            Err(e) if e.code.number == codes::TIMEOUT.number && Instant::now() >= deadline => {
                return Err(timed_out(last));
            }
            Err(e) => return Err(e),
        };
        if done(&reply) {
            return Ok(reply);
        }
        if Instant::now() + interval > deadline {
            return Err(timed_out(Some(reply)));
        }
        last = Some(reply);
        std::thread::sleep(interval);
    }
}

/// `ywx_sign_wait`: until the order leaves state 0 (待处理) or 10 (未领取).
pub fn sign(session: &Session, value: Value) -> Result<Reply> {
    let unique_id = required(&value, "uniqueId")?;
    let request = json!({"body": {"uniqueId": unique_id}});
    poll(
        session,
        &endpoints::SIGN_STATUS,
        request,
        &value,
        "医师签名",
        |r| {
            if !r.is_ok() {
                return true;
            }
            let state = r.json().pointer("/data/status");
            state.is_some()
                && !is_one_of(state, &[YWX_SIGN_STATUS_PENDING, YWX_SIGN_STATUS_UNCLAIMED])
        },
    )
}

/// `ywx_selfsign_wait`: until the doctor allowed (grantStep 1) or refused
/// (2) self-signing.
pub fn selfsign(session: &Session, value: Value) -> Result<Reply> {
    let open_id = required(&value, "openId")?;
    let mut body = json!({"openId": open_id});
    if let Some(tag) = value.get("sysTag").filter(|v| !v.is_null()) {
        body["sysTag"] = tag.clone();
    }
    poll(
        session,
        &endpoints::SELFSIGN_RESULT,
        json!({"body": body}),
        &value,
        "自动签授权",
        |r| {
            if !r.is_ok() {
                return true;
            }
            let step = r.json().pointer("/data/grantStep");
            is_one_of(step, &[YWX_GRANT_STEP_ALLOWED, YWX_GRANT_STEP_REFUSED])
        },
    )
}

/// What tokeninfo (3.3.2) answers until the doctor scans, on the real
/// gateway: `{"status":"1","message":"未授权"}`, without `data`.
const NOT_SCANNED_STATUS: &str = "1";
const NOT_SCANNED_MESSAGE: &str = "未授权";

/// Whether tokeninfo says "not yet scanned".
fn not_scanned_yet(r: &Reply) -> bool {
    r.status == NOT_SCANNED_STATUS && r.message().contains(NOT_SCANNED_MESSAGE)
}

/// `ywx_oauth_wait`: while tokeninfo says "not yet scanned", and no longer:
/// the user who scanned, a refusal or an unknown requestId end it at once.
pub fn oauth(session: &Session, value: Value) -> Result<Reply> {
    let request_id = required(&value, "requestId")?;
    let mut request = json!({"requestId": request_id});
    if let Some(id) = value.get("clientId").filter(|v| !v.is_null()) {
        request["clientId"] = id.clone();
    }
    poll(
        session,
        &endpoints::OAUTH_TOKENINFO,
        request,
        &value,
        "医师扫码登录",
        |r| !not_scanned_yet(r),
    )
}
