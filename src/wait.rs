//! The polling helpers (`ywx_sign_wait`, `ywx_selfsign_wait`,
//! `ywx_oauth_wait`): they block until a final state or their timeout, so
//! that synchronous HIS code needs no loop of its own.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::Session;
use crate::codes;
use crate::endpoints::{self, Endpoint};
use crate::error::{Error, Result};
use crate::gateway;
use crate::transport::Reply;
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

/// Polls `ep` with `request` until `done` says so, or the deadline.
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
    loop {
        let reply = gateway::call(client, ep, request.clone())?;
        if done(&reply) {
            return Ok(reply);
        }
        if Instant::now() + interval > deadline {
            return Err(Error::new(
                &codes::WAIT_TIMEOUT,
                format!(
                    "等待{what}超时（{} 秒）。data 为最后一次查询的结果",
                    timeout.as_secs()
                ),
            )
            .with_data(reply.into_json()));
        }
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
            let state = r.json().pointer("/data/status").and_then(as_text);
            !matches!(state.as_deref(), Some("0") | Some("10") | None)
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
            let step = r.json().pointer("/data/grantStep").and_then(as_text);
            matches!(step.as_deref(), Some("1") | Some("2"))
        },
    )
}

/// Whether tokeninfo says "not yet scanned": the real gateway answers
/// `{"status":"1","message":"未授权"}` without `data` until the doctor scans.
fn not_scanned_yet(r: &Reply) -> bool {
    r.status == "1" && r.message().contains("未授权")
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
