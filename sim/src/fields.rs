//! Reading request fields the way the gateway does: strings may come as
//! numbers, numbers as strings, booleans as "true"/"false"; anything else is a
//! gateway-style error naming the field.

use serde_json::{Map, Value};

/// A gateway error: a non-"0" status code and a Chinese message.
#[derive(Debug, Clone)]
pub struct ApiErr {
    pub code: &'static str,
    pub msg: String,
    /// Answered without a `data` key, as the real gateway does for some
    /// refusals (tokeninfo before the scan).
    pub bare: bool,
}

pub type R<T> = Result<T, ApiErr>;

pub const E_PARAM: &str = "1001";
pub const E_AUTH: &str = "1002";
pub const E_NOT_FOUND_PATH: &str = "1004";
pub const E_METHOD: &str = "1005";
pub const E_DOCTOR_MISSING: &str = "2001";
pub const E_DOCTOR_STATE: &str = "2002";
pub const E_ORDER_MISSING: &str = "3001";
pub const E_ORDER_STATE: &str = "3002";
pub const E_EXPIRED: &str = "4001";
/// tokeninfo before the doctor scanned: the real gateway's
/// `{"status":"1","message":"未授权"}`, without `data`.
pub const E_NOT_SCANNED: &str = "1";
pub const E_REFUSED: &str = "4003";
pub const E_REQUEST_MISSING: &str = "4004";

pub fn err(code: &'static str, msg: impl Into<String>) -> ApiErr {
    ApiErr {
        code,
        msg: msg.into(),
        bare: false,
    }
}

/// A refusal answered with `status` and `message` only, no `data`.
pub fn err_bare(code: &'static str, msg: impl Into<String>) -> ApiErr {
    ApiErr {
        bare: true,
        ..err(code, msg)
    }
}

pub fn bad(msg: impl Into<String>) -> ApiErr {
    err(E_PARAM, msg)
}

/// Parse a request body as a JSON object.
pub fn parse_body(body: &[u8]) -> R<Value> {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body); // tolerate a UTF-8 BOM
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad("参数错误：请求体为空，需要 JSON 对象"));
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("参数错误：请求体不是合法的 UTF-8 JSON（{e}）")))?;
    if !v.is_object() {
        return Err(bad("参数错误：请求体必须是 JSON 对象"));
    }
    Ok(v)
}

/// A required JSON object member.
pub fn obj<'a>(m: &'a Map<String, Value>, name: &str, path: &str) -> R<&'a Map<String, Value>> {
    match m.get(name) {
        Some(Value::Object(o)) => Ok(o),
        None | Some(Value::Null) => Err(bad(format!("参数错误：缺少 {path}{name}"))),
        Some(_) => Err(bad(format!("参数错误：{path}{name} 必须是 JSON 对象"))),
    }
}

/// Optional string (numbers accepted and rendered as text).
pub fn s_opt(m: &Map<String, Value>, name: &str, path: &str) -> R<Option<String>> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(bad(format!("参数错误：{path}{name} 必须是字符串"))),
    }
}

/// Optional string, empty treated as absent.
pub fn s_nonempty(m: &Map<String, Value>, name: &str, path: &str) -> R<Option<String>> {
    Ok(s_opt(m, name, path)?.filter(|s| !s.trim().is_empty()))
}

/// Required, non-empty string.
pub fn s_req(m: &Map<String, Value>, name: &str, path: &str) -> R<String> {
    s_nonempty(m, name, path)?.ok_or_else(|| bad(format!("参数错误：缺少 {path}{name}")))
}

/// Optional integer (a JSON number or a string of digits).
pub fn int_opt(m: &Map<String, Value>, name: &str, path: &str) -> R<Option<i64>> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| bad(format!("参数错误：{path}{name} 必须是整数"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| bad(format!("参数错误：{path}{name} 必须是整数，收到 \"{s}\""))),
        Some(_) => Err(bad(format!("参数错误：{path}{name} 必须是整数"))),
    }
}

/// Optional float (number or numeric string).
pub fn float_opt(m: &Map<String, Value>, name: &str, path: &str) -> R<Option<f64>> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| bad(format!("参数错误：{path}{name} 必须是数字，收到 \"{s}\""))),
        Some(_) => Err(bad(format!("参数错误：{path}{name} 必须是数字"))),
    }
}

/// Optional boolean (true/false or "true"/"false").
pub fn bool_opt(m: &Map<String, Value>, name: &str, path: &str) -> R<Option<bool>> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => parse_bool(s).map_err(|_| {
            bad(format!(
                "参数错误：{path}{name} 必须是 true 或 false，收到 \"{s}\""
            ))
        }),
        Some(_) => Err(bad(format!("参数错误：{path}{name} 必须是 true 或 false"))),
    }
}

pub fn parse_bool(s: &str) -> Result<Option<bool>, ()> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        _ => Err(()),
    }
}

/// Parse `a=b&c=d` with percent-decoding and `+` as space.
pub fn parse_query(q: &str) -> Map<String, Value> {
    let mut m = Map::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        m.insert(pct_decode(k), Value::String(pct_decode(v)));
    }
    m
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Normalise a digest algorithm name: SHA1 / SHA256 / SM3.
pub fn norm_alg(s: &str) -> Option<&'static str> {
    match s
        .trim()
        .to_ascii_uppercase()
        .replace(['-', '_'], "")
        .as_str()
    {
        "SHA1" => Some("SHA1"),
        "SHA256" => Some("SHA256"),
        "SM3" => Some("SM3"),
        _ => None,
    }
}

pub fn digest(alg: &str, data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    match alg {
        "SHA1" => sha1::Sha1::digest(data).to_vec(),
        "SHA256" => sha2::Sha256::digest(data).to_vec(),
        _ => sm3::Sm3::digest(data).to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query() {
        let m = parse_query("a=1&b=%E5%BC%A0+x&c&d=%zz%4");
        assert_eq!(m["a"], "1");
        assert_eq!(m["b"], "张 x");
        assert_eq!(m["c"], "");
        assert_eq!(m["d"], "%zz%4");
    }
}
