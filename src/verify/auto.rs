//! `verify.auto`: 4.3.5's reply (its timestamp, against the content just
//! pushed) and 5.1.2's reply (its P7 or P1) carry `data.localVerify`, the
//! same object as `ywx_verify_local`'s `data`.

use serde_json::{Map, Value, json};

use super::Trust;

/// Where 5.1.2's auto-verification finds the content of a detached P7 or
/// a P1: the request pushed for this uniqueId (4.3.5's, as the outbox
/// keeps it), if known.
pub trait PushLookup {
    fn pushed_request(&self, unique_id: &str) -> Option<Value>;
}

/// `data.localVerify` for the reply of `method` to `request`, or None when
/// the reply carries no evidence (not status "0", not signed yet).
pub fn local_verify(
    method: &str,
    request: &Value,
    reply: &Value,
    trust: &Trust,
    lookup: &dyn PushLookup,
) -> Option<Value> {
    if reply["status"] != "0" {
        return None;
    }
    let data = reply.get("data")?.as_object()?;
    let mut ask = Map::new();
    match method {
        "sign_data" => {
            ask.insert(
                "timeStampSignData".into(),
                evidence(data, "timeStampSignData")?,
            );
            copy_content(&mut ask, body_of(request));
        }
        "sign_result" => {
            if let Some(p7) = evidence(data, "signedData") {
                ask.insert("signedData".into(), p7);
            } else {
                ask.insert("p1".into(), evidence(data, "p1")?);
                ask.insert("cert".into(), evidence(data, "cert")?);
            }
            let pushed = data
                .get("uniqueId")
                .and_then(Value::as_str)
                .and_then(|id| lookup.pushed_request(id));
            if let Some(pushed) = &pushed {
                copy_content(&mut ask, body_of(pushed));
            }
        }
        _ => return None,
    }
    Some(
        match super::verify_local(&Value::Object(ask), Some(trust)) {
            Ok(envelope) => envelope["data"].clone(),
            Err(e) => json!({
                "verified": false,
                "error": {"status": e.code.status(), "code": e.code.name, "message": e.message},
            }),
        },
    )
}

/// A non-blank string field of the reply's data.
fn evidence(data: &Map<String, Value>, key: &str) -> Option<Value> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(|s| Value::String(s.to_string()))
}

/// The body of a push as sent (`msg.body`) or as given (`body`).
fn body_of(request: &Value) -> Option<&Map<String, Value>> {
    request
        .pointer("/msg/body")
        .or_else(|| request.get("body"))
        .and_then(Value::as_object)
}

/// The pushed content: hashValue + hashType (what 4.3.5 sends), else originData.
fn copy_content(ask: &mut Map<String, Value>, body: Option<&Map<String, Value>>) {
    let Some(body) = body else {
        return;
    };
    for key in ["hashValue", "hashType"] {
        if let Some(v) = body.get(key).filter(|v| v.is_string()) {
            ask.insert(key.into(), v.clone());
        }
    }
    if !ask.contains_key("hashValue")
        && let Some(v) = body.get("originData").filter(|v| v.is_string())
    {
        ask.insert("originData".into(), v.clone());
        if let Some(alg) = body.get("hashAlg").filter(|v| v.is_string()) {
            ask.insert("hashType".into(), alg.clone());
        }
    }
}
