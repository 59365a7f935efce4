//! What counts as the gateway's answer. An HTTP 2xx whose body is a JSON
//! object with a string or integer `status` is the gateway's answer (its
//! `status` made a string); anything else is a failure from the code table:
//! another HTTP status is never the gateway's answer, whatever its body
//! says (a Spring Boot or nginx error page carries `"status": 503` too).

use encoding_rs::GB18030;
use serde_json::{Value, json};

use super::Reply;
use super::peek::{Peeked, Status, peek};
use crate::codes;
use crate::encoding;
use crate::error::Error;
use crate::transport::{Failure, Reached, Response};

/// How much of a non-gateway body goes into `data.body`.
const BODY_SHOWN: usize = 2048;

/// HTTP statuses that mean "not now": queries are retried, pushes queued.
pub fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// A server answered, with something that is not the gateway's answer.
fn answered(error: Error, transient: bool) -> Failure {
    Failure::new(error, transient, Reached::Maybe)
}

/// Classifies an HTTP response to a request of `url` (as messages show
/// it; made only for a message).
pub fn classify(answer: Response, url: impl Fn() -> String) -> Result<Reply, Failure> {
    let status = answer.status;
    let gbk = declares_gbk(answer.content_type.as_ref().map(|v| v.as_bytes()));
    if (300..400).contains(&status) {
        return Err(redirect(&answer, &url()));
    }
    if !(200..300).contains(&status) {
        let url = url();
        let body = shown_body(&answer.body, gbk);
        let error = Error::new(
            &codes::GATEWAY_HTTP,
            format!(
                "网关 {url} 返回 HTTP {status}（内容开头：{}）。{}",
                snippet(&body),
                http_hint(status)
            ),
        )
        .with_data(json!({"httpStatus": status, "body": body}));
        return Err(answered(error, is_transient(status)));
    }
    let text = decode(answer.body, gbk).map_err(|why| bad_reply(&url(), status, &why))?;
    let not_json = |text: &str| {
        bad_reply(
            &url(),
            status,
            &format!("不是 JSON（开头是：{}）", snippet(text)),
        )
    };
    let (status_is, unique_id) = match peek(&text).map_err(|_| not_json(&text))? {
        Peeked::NotObject => return Err(bad_reply(&url(), status, "不是 JSON 对象")),
        Peeked::Object { status, unique_id } => (status, unique_id),
    };
    let what = match status_is {
        // Passed on unchanged, never parsed whole here.
        Status::Text(s) => {
            return Ok(Reply {
                text,
                status: s,
                unique_id,
                json: Default::default(),
            });
        }
        // "status": 0 → "0", so that HIS code compares strings.
        Status::Integer => {
            let mut json: Value = serde_json::from_str(&text).map_err(|_| not_json(&text))?;
            let n = json.get("status").and_then(crate::value::as_text);
            json["status"] = Value::String(n.unwrap_or_default());
            return Ok(Reply::local(json));
        }
        Status::Missing => "其中没有 status 字段",
        Status::Null => "其中的 status 是null",
        Status::Object => "其中的 status 是一个对象",
        Status::Array => "其中的 status 是一个数组",
        Status::Other => "其中的 status 是不是字符串或整数",
    };
    Err(bad_reply(&url(), status, what))
}

/// Whether the Content-Type declares GBK (or its relatives): a parameter
/// `charset=` naming one, quoted or not. Read as bytes (every answer has
/// one: `str::split` and Unicode trimming cost more than the rest of it).
fn declares_gbk(content_type: Option<&[u8]>) -> bool {
    let Some(ct) = content_type else { return false };
    ct.split(|&b| b == b';').any(|p| {
        let p = p.trim_ascii();
        p.len() > 8
            && p[..8].eq_ignore_ascii_case(b"charset=")
            && encoding::is_gbk_name_bytes(trim_quotes(&p[8..]))
    })
}

/// `name` without quotes at either end (as `trim_matches('"')`).
fn trim_quotes(mut name: &[u8]) -> &[u8] {
    while let [b'"', rest @ ..] = name {
        name = rest;
    }
    while let [rest @ .., b'"'] = name {
        name = rest;
    }
    name
}

/// The body as text: a UTF-8 BOM skipped, a declared GBK decoded, invalid
/// UTF-8 refused (never silently replaced characters).
fn decode(mut body: Vec<u8>, gbk: bool) -> Result<String, String> {
    if body.starts_with(b"\xEF\xBB\xBF") {
        body.drain(..3);
    }
    if gbk {
        return GB18030
            .decode_without_bom_handling_and_without_replacement(&body)
            .map(|s| s.into_owned())
            .ok_or_else(|| "声明为 GBK，但不是合法的 GBK 文本".to_string());
    }
    String::from_utf8(body).map_err(|e| {
        format!(
            "不是合法的 UTF-8 文本（第 {} 个字节起无效），也没有声明 charset=GBK",
            e.utf8_error().valid_up_to() + 1
        )
    })
}

/// The first 2 KiB of a body as text, for `data.body`.
fn shown_body(body: &[u8], gbk: bool) -> String {
    let mut end = body.len().min(BODY_SHOWN);
    if gbk {
        return GB18030.decode(&body[..end]).0.into_owned();
    }
    while end > 0 && end < body.len() && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    String::from_utf8_lossy(&body[..end]).into_owned()
}

fn redirect(answer: &Response, url: &str) -> Failure {
    let status = answer.status;
    let location = answer
        .location
        .as_deref()
        .unwrap_or("（没有给出 Location）");
    let hint = if location.to_ascii_lowercase().starts_with("https://")
        && url.to_ascii_lowercase().starts_with("http://")
    {
        "网关要求 https：把配置项 baseUrl 的 http:// 改成 https://"
    } else {
        "请把配置项 baseUrl 改成网关真正的地址（只写到域名和端口）"
    };
    let error = Error::new(
        &codes::GATEWAY_HTTP,
        format!("网关 {url} 返回 HTTP {status}，要求转到 {location}。ywx 不跟随跳转：{hint}"),
    )
    .with_data(json!({
        "httpStatus": status,
        "location": answer.location,
        "body": shown_body(&answer.body, false),
    }));
    answered(error, false)
}

fn bad_reply(url: &str, status: u16, why: &str) -> Failure {
    let error = Error::new(
        &codes::GATEWAY_BAD_REPLY,
        format!(
            "网关 {url} 返回了 HTTP {status}，但应答不是网关的 JSON：{why}。请确认 baseUrl 指向的是医网信网关，而不是其他网站或代理页面"
        ),
    );
    answered(error, false)
}

pub fn http_hint(status: u16) -> &'static str {
    match status {
        404 => "请确认 baseUrl 只写到域名（和端口），不要带 /gateway 等路径",
        401 | 403 => "网关拒绝访问，请检查 clientId / clientSecret 与网关的访问控制",
        413 => {
            "请求体超过了网关或其前面的代理允许的大小（如 nginx 的 client_max_body_size）：请缩小 PDF/附件，或请网关运维调大限制"
        }
        408 | 429 | 502..=504 => {
            "网关或其前面的代理暂时不可用（维护、过载）：查询会自动重试，签名推送存入离线发件箱稍后送达"
        }
        _ => "请联系网关运维人员",
    }
}

/// A body's start, on one line, for a message.
pub fn snippet(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut s: String = flat.chars().take(120).collect();
    if flat.chars().count() > 120 {
        s.push('…');
    }
    if s.is_empty() { "（空）".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, ct: &str, body: &[u8]) -> Result<Reply, Failure> {
        classify(
            Response {
                status,
                content_type: ureq::http::HeaderValue::from_str(ct).ok(),
                location: None,
                body: body.to_vec(),
            },
            || "http://gw/x".into(),
        )
    }

    #[test]
    fn the_gateways_answer_and_what_is_not() {
        let r = answer(200, "application/json", br#"{"status":0,"message":"ok"}"#).unwrap();
        assert_eq!(r.json()["status"], "0");
        assert!(r.text.contains(r#""status":"0""#), "{}", r.text);
        let r = answer(200, "application/json", br#"{"status":"1","message":"x"}"#).unwrap();
        assert_eq!(
            r.text, r#"{"status":"1","message":"x"}"#,
            "passed through unchanged"
        );
        for body in [
            &br#"{"status":null}"#[..],
            br#"{"status":{"a":1}}"#,
            br#"{"status":[0]}"#,
            br#"{"status":1.5}"#,
            br#"{"message":"no status"}"#,
            br#"[1,2]"#,
            b"<html>",
        ] {
            let e = answer(200, "application/json", body).unwrap_err();
            assert_eq!(
                e.error.code.number,
                3002,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let e = answer(
            503,
            "application/json",
            br#"{"status":503,"error":"Service Unavailable"}"#,
        )
        .unwrap_err();
        assert_eq!(e.error.code.number, 3001);
        assert!(e.transient);
        assert_eq!(e.error.data["httpStatus"], 503);
        assert!(
            e.error.data["body"]
                .as_str()
                .unwrap()
                .contains("Service Unavailable")
        );
        let e = answer(500, "text/plain", b"oops").unwrap_err();
        assert!(!e.transient);
    }

    #[test]
    fn encodings_of_the_reply() {
        let gbk = GB18030
            .encode(r#"{"status":"1","message":"未授权"}"#)
            .0
            .into_owned();
        let r = answer(200, "application/json;charset=GBK", &gbk).unwrap();
        assert_eq!(r.json()["message"], "未授权");
        let e = answer(200, "application/json", &gbk).unwrap_err();
        assert_eq!(e.error.code.number, 3002);
        let r = answer(200, "application/json", b"\xEF\xBB\xBF{\"status\":\"0\"}").unwrap();
        assert_eq!(r.json()["status"], "0");
        let long = vec![b'x'; 10_000];
        let e = answer(502, "text/html", &long).unwrap_err();
        assert_eq!(e.error.data["body"].as_str().unwrap().len(), BODY_SHOWN);
    }

    #[test]
    fn a_charset_parameter_naming_gbk() {
        for gbk in [
            "application/json;charset=GBK",
            "application/json; charset=gb2312",
            "application/json;CHARSET=\"GB18030\"",
            "text/plain ; Charset=cp936 ;q=1",
            "charset=gbk",
        ] {
            assert!(declares_gbk(Some(gbk.as_bytes())), "{gbk}");
        }
        for not in [
            "application/json;charset=UTF-8",
            "application/json",
            "application/json;charset=",
            "application/json;charset=gbk2",
            "application/json;xcharset=gbk",
            "application/gbk",
            "",
        ] {
            assert!(!declares_gbk(Some(not.as_bytes())), "{not}");
        }
        assert!(!declares_gbk(None));
    }
}
