//! The control API (`/sim/...`): the world around the gateway.

use crate::fields::*;
use crate::world::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

pub enum Reply {
    Json(Value),
    Text(String),
    NotFound,
}

fn ok(data: Value) -> Value {
    json!({"status": "0", "message": "success", "data": data})
}

pub fn handle(sh: &Arc<Shared>, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
    let r = match (method, path) {
        ("GET", "/sim/ca") => return Reply::Text(sh.pki.ca_pem.clone()),
        // GET views answer bare JSON (no envelope), for easy use from tests
        ("GET", "/sim/state") => return Reply::Json(state(sh)),
        ("GET", "/sim/orders") => return Reply::Json(orders(sh, &parse_query(query))),
        ("GET", "/sim/doctors") => {
            return Reply::Json(Value::Array(
                sh.lock().doctors.iter().map(|d| d.json()).collect(),
            ));
        }
        ("POST", p) => match parse_body(body) {
            Err(e) => Err(e),
            Ok(v) => {
                let m = v.as_object().cloned().unwrap_or_default();
                match p {
                    "/sim/doctors" => doctors(sh, &m),
                    "/sim/scan" => scan(sh, &m),
                    "/sim/sign" => sign(sh, &m),
                    "/sim/clock" => clock(sh, &m),
                    "/sim/faults" => faults(sh, &m),
                    _ => return Reply::NotFound,
                }
            }
        },
        _ => return Reply::NotFound,
    };
    Reply::Json(match r {
        Ok(d) => ok(d),
        Err(e) => json!({"status": e.code, "message": e.msg, "data": null}),
    })
}

fn state(sh: &Arc<Shared>) -> Value {
    let mut w = sh.lock();
    sh.refresh_all(&mut w);
    // Orders (of any state) per "clientId/urId", and per
    // "clientId/urId/recipe|business": a gateway that keys by urId has 1.
    let mut by_ur: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_ur_kind: BTreeMap<String, u64> = BTreeMap::new();
    for o in &w.orders {
        let k = format!("{}/{}", o.client_id, o.ur_id);
        *by_ur_kind
            .entry(format!("{k}/{}", o.push_kind()))
            .or_insert(0) += 1;
        *by_ur.entry(k).or_insert(0) += 1;
    }
    let mut by = Map::new();
    for s in ALL_STATES {
        by.insert(s.to_string(), json!(0));
    }
    for o in &w.orders {
        let e = by.entry(o.state.to_string()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "status": "0",
        "ordersByState": by,
        "orders": w.orders.len(),
        "ordersByUrId": by_ur,
        "ordersByUrIdKind": by_ur_kind,
        "calls": w.calls,
        "pushes": w.pushes,
        "faultsPending": w.fault.as_ref().map(|f| f.remaining).unwrap_or(0),
        "connections": sh.connections.load(Ordering::Relaxed),
        "doctors": w.doctors.len(),
        "now": sh.now_str(),
        "clockOffsetSeconds": sh.clock_offset_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        "timeZone": sh.tz().describe(),
        "signAlg": sh.pki.opts.alg.name(),
        "p7Profile": sh.pki.opts.profile.name(),
    })
}

fn orders(sh: &Arc<Shared>, q: &Map<String, Value>) -> Value {
    let mut w = sh.lock();
    sh.refresh_all(&mut w);
    let ur = q
        .get("urId")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    let cid = q
        .get("clientId")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    let uid = q
        .get("uniqueId")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    Value::Array(
        w.orders
            .iter()
            .filter(|o| ur.is_none_or(|u| o.ur_id == u))
            .filter(|o| cid.is_none_or(|c| o.client_id == c))
            .filter(|o| uid.is_none_or(|c| o.unique_id == c))
            .map(|o| o.summary(sh.tz()))
            .collect(),
    )
}

fn doctors(sh: &Arc<Shared>, m: &Map<String, Value>) -> R<Value> {
    let open_id = s_req(m, "openId", "")?;
    let mut fields = Vec::new();
    for k in [
        "userName",
        "phone",
        "phoneNum",
        "userIdcardNum",
        "employeeNumber",
        "department",
        "title",
        "userAge",
        "process",
        "stampStatus",
        "note",
        "failReason",
    ] {
        if let Some(v) = s_opt(m, k, "")? {
            fields.push((k, v));
        }
    }
    if let Some((_, p)) = fields.iter().find(|(k, _)| *k == "process") {
        if !["0", "1", "2", "3", "4", "5"].contains(&p.as_str()) {
            return Err(bad("参数错误：process 只能是 0-5"));
        }
    }
    if let Some((_, s)) = fields.iter().find(|(k, _)| *k == "stampStatus") {
        if !["10", "11", ""].contains(&s.as_str()) {
            return Err(bad("参数错误：stampStatus 只能是 10 或 11"));
        }
    }
    let exists = sh.lock().doctors.iter().any(|d| d.open_id == open_id);
    let fresh = if exists {
        None
    } else {
        let name = fields
            .iter()
            .find(|(k, _)| *k == "userName")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| "模拟医师".into());
        Some(sh.new_doctor(&open_id, &name))
    };
    let mut w = sh.lock();
    if let Some(d) = fresh {
        if !w.doctors.iter().any(|d| d.open_id == open_id) {
            w.doctors.push(d);
        }
    }
    let now_ms = sh.now_ms();
    let now = sh.fmt_time(now_ms);
    let d = w
        .doctors
        .iter_mut()
        .find(|d| d.open_id == open_id)
        .expect("doctor present");
    for (k, v) in fields {
        match k {
            "userName" => d.user_name = v,
            "phone" | "phoneNum" => d.phone = v,
            "userIdcardNum" => d.idcard = v,
            "employeeNumber" => d.employee_number = v,
            "department" => d.department = v,
            "title" => d.title = v,
            "userAge" => d.user_age = v,
            "process" => d.process = v,
            "stampStatus" => d.stamp_status = v,
            "note" => d.note = v,
            _ => d.fail_reason = v,
        }
    }
    d.time = now;
    let mut j = d.json();
    let cert = &d.signer.get(&sh.pki, now_ms).cert_der;
    j["cert"] = Value::String(base64::Engine::encode(&B64, cert));
    Ok(j)
}

fn scan(sh: &Arc<Shared>, m: &Map<String, Value>) -> R<Value> {
    let approve = bool_opt(m, "approve", "")?.unwrap_or(true);
    let now = sh.now_ms();
    let mut w = sh.lock();
    if let Some(rid) = s_nonempty(m, "requestId", "")? {
        let open_id = s_nonempty(m, "openId", "")?.unwrap_or_else(|| crate::SIGNING_DOCTOR.into());
        let d = w
            .doctors
            .iter()
            .find(|d| d.open_id == open_id)
            .ok_or_else(|| err(E_DOCTOR_MISSING, format!("医师不存在：openId={open_id}")))?;
        if !["1", "2"].contains(&d.process.as_str()) {
            return Err(err(
                E_DOCTOR_STATE,
                format!("医师没有可用证书（process={}），无法扫码登录", d.process),
            ));
        }
        let r = w.oauth.get_mut(&rid).ok_or_else(|| {
            err(
                E_REQUEST_MISSING,
                format!("认证请求不存在：requestId={rid}"),
            )
        })?;
        if now - r.created_ms > QR_TTL_SECS * 1000 {
            return Err(err(E_EXPIRED, "二维码已过期（120 秒）"));
        }
        r.status = if approve {
            Scan::Approved
        } else {
            Scan::Refused
        };
        r.open_id = open_id.clone();
        if approve && r.self_sign {
            let key = (r.client_id.clone(), open_id, r.sys_tag.clone());
            let exp = now + r.session_hours * 3600 * 1000;
            w.sessions.insert(key, exp);
        }
        return Ok(json!({"requestId": rid, "approved": approve}));
    }
    if let Some(uid) = s_nonempty(m, "uniqueId", "")? {
        let open_id = s_req(m, "openId", "")?;
        let i = *w
            .by_unique
            .get(&uid)
            .ok_or_else(|| err(E_ORDER_MISSING, format!("签名数据不存在：uniqueId={uid}")))?;
        sh.refresh(&mut w.orders[i], now);
        if w.orders[i].state != ST_UNCLAIMED {
            return Err(err(
                E_ORDER_STATE,
                format!("订单状态为 {}，不是未领取（10）", w.orders[i].state),
            ));
        }
        let d = w
            .doctors
            .iter()
            .find(|d| d.open_id == open_id)
            .ok_or_else(|| err(E_DOCTOR_MISSING, format!("医师不存在：openId={open_id}")))?;
        if let Some(why) = d.cannot_sign() {
            return Err(err(E_DOCTOR_STATE, why));
        }
        if approve {
            w.orders[i].open_id = open_id;
            w.orders[i].state = ST_PENDING;
            sh.after_pending(&mut w, i);
        }
        return Ok(w.orders[i].summary(sh.tz()));
    }
    if let Some(open_id) = s_nonempty(m, "openId", "")? {
        let tag = s_nonempty(m, "sysTag", "")?.unwrap_or_else(|| "NULL".into());
        let cid = s_nonempty(m, "clientId", "")?;
        let key = w
            .self_reqs
            .iter()
            .filter(|((c, o, t), _)| {
                *o == open_id && *t == tag && cid.as_ref().is_none_or(|x| x == c)
            })
            .max_by_key(|(_, r)| r.created_ms)
            .map(|(k, _)| k.clone())
            .ok_or_else(|| {
                err(
                    E_REQUEST_MISSING,
                    format!("没有待扫码的自动签名授权请求：openId={open_id} sysTag={tag}"),
                )
            })?;
        let r = w.self_reqs.get_mut(&key).expect("present");
        if r.grant_step == 0 && now - r.created_ms > QR_TTL_SECS * 1000 {
            return Err(err(E_EXPIRED, "自动签名授权二维码已过期（120 秒）"));
        }
        r.grant_step = if approve { 1 } else { 2 };
        let hours = r.session_hours;
        if approve {
            w.sessions.insert(key.clone(), now + hours * 3600 * 1000);
        } else {
            w.sessions.remove(&key);
        }
        return Ok(
            json!({"clientId": key.0, "openId": key.1, "sysTag": key.2, "grantStep": if approve {1} else {2}, "sessionHours": hours}),
        );
    }
    Err(bad(
        "参数错误：/sim/scan 需要 requestId、uniqueId+openId，或 openId(+sysTag)",
    ))
}

fn sign(sh: &Arc<Shared>, m: &Map<String, Value>) -> R<Value> {
    let uid = s_req(m, "uniqueId", "")?;
    let action = s_nonempty(m, "action", "")?.unwrap_or_else(|| "sign".into());
    let reason = s_nonempty(m, "reason", "")?;
    let mut w = sh.lock();
    let i = *w
        .by_unique
        .get(&uid)
        .ok_or_else(|| err(E_ORDER_MISSING, format!("签名数据不存在：uniqueId={uid}")))?;
    let now = sh.now_ms();
    sh.refresh(&mut w.orders[i], now);
    let st = w.orders[i].state;
    let wrong = |need: i64| {
        err(
            E_ORDER_STATE,
            format!(
                "订单状态为 {st}（{}），{action} 需要状态 {need}",
                state_name(st)
            ),
        )
    };
    match action.as_str() {
        "sign" => {
            if st != ST_PENDING {
                return Err(wrong(ST_PENDING));
            }
            sh.sign_order(&mut w, i, false);
        }
        "refuse" => {
            if st != ST_PENDING {
                return Err(wrong(ST_PENDING));
            }
            let o = &mut w.orders[i];
            o.state = ST_REFUSED;
            o.fail_reason = reason.unwrap_or_else(|| "医师拒绝签名".into());
        }
        "void" => {
            if st != ST_SIGNED {
                return Err(wrong(ST_SIGNED));
            }
            let o = &mut w.orders[i];
            o.state = ST_VOID;
            o.fail_reason = reason.unwrap_or_else(|| "签名后作废".into());
        }
        a => {
            return Err(bad(format!(
                "参数错误：action 只能是 sign、refuse、void，收到 {a}"
            )));
        }
    }
    Ok(w.orders[i].summary(sh.tz()))
}

/// `{"advanceSeconds": N}` moves the clock forward; `{"offsetSeconds": N}`
/// sets the clock to the system clock + N (N may be negative: the clock
/// may go back); `{"timeZone": "+08:00" | "local"}` sets the zone of the
/// simulator's times. Any of them, at least one; offset before advance.
fn clock(sh: &Arc<Shared>, m: &Map<String, Value>) -> R<Value> {
    let advance = float_opt(m, "advanceSeconds", "")?;
    let offset = float_opt(m, "offsetSeconds", "")?;
    let tz = match s_nonempty(m, "timeZone", "")? {
        None => None,
        Some(t) => Some(Tz::parse(&t).ok_or_else(|| {
            bad(format!(
                "参数错误：timeZone 应为 +08:00、-05:30、UTC 或 local 这样的时区，收到 {t}"
            ))
        })?),
    };
    if advance.is_none() && offset.is_none() && tz.is_none() {
        return Err(bad(
            "参数错误：需要 advanceSeconds、offsetSeconds 或 timeZone（至少一个）",
        ));
    }
    if advance.is_some_and(|s| s < 0.0) {
        return Err(bad(
            "参数错误：advanceSeconds 不能为负（时钟只能前进；回拨请用 offsetSeconds）",
        ));
    }
    for (name, v) in [("advanceSeconds", advance), ("offsetSeconds", offset)] {
        if v.is_some_and(|s| !s.is_finite() || s.abs() > 100.0 * 365.0 * 86400.0) {
            return Err(bad(format!("参数错误：{name} 超出范围（±100 年）")));
        }
    }
    if let Some(z) = tz {
        sh.tz_offset_secs.store(z.to_secs(), Ordering::Relaxed);
    }
    if let Some(o) = offset {
        sh.clock_offset_ms
            .store((o * 1000.0) as i64, Ordering::Relaxed);
    }
    if let Some(a) = advance {
        sh.clock_offset_ms
            .fetch_add((a * 1000.0) as i64, Ordering::Relaxed);
    }
    Ok(json!({
        "now": sh.now_str(),
        "offsetSeconds": sh.clock_offset_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        "timeZone": sh.tz().describe(),
    }))
}

fn faults(sh: &Arc<Shared>, m: &Map<String, Value>) -> R<Value> {
    let mode = s_req(m, "mode", "")?;
    let count = int_opt(m, "count", "")?.unwrap_or(1).max(0) as u64;
    let latency_ms = int_opt(m, "latencyMs", "")?.unwrap_or(1000).max(0) as u64;
    let mode = match mode.as_str() {
        "none" => {
            sh.lock().fault = None;
            return Ok(json!({"mode": "none", "count": 0}));
        }
        "latency" => FaultMode::Latency,
        "http500" => FaultMode::Http500,
        "http502html" => FaultMode::Http502Html,
        "drop" => FaultMode::Drop,
        "garbage" => FaultMode::Garbage,
        m => {
            return Err(bad(format!(
                "参数错误：mode 只能是 latency、http500、http502html、drop、garbage、none，收到 {m}"
            )));
        }
    };
    sh.lock().fault = if count == 0 {
        None
    } else {
        Some(Fault {
            mode,
            remaining: count,
            latency_ms,
        })
    };
    Ok(json!({"mode": format!("{mode:?}").to_lowercase(), "count": count, "latencyMs": latency_ms}))
}
