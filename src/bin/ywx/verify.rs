//! `ywx verify [--ca PEMFILE] [--json] FILE...`: each file verified
//! offline by `ywx_verify_local`, for implementers and auditors. A file is
//! a P7 (DER, PEM or base64) or a saved 5.1.2 / 4.3.5 reply (JSON).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use crate::console::{err, out};

/// Largest file read.
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// Verifies every file; 0 only when every one verified.
pub fn run(files: &[&str], ca: Option<&str>, json_out: bool) -> u8 {
    let ca_text = match ca.map(std::fs::read_to_string).transpose() {
        Ok(t) => t,
        Err(e) => {
            err!("ywx: 无法读取 --ca 指定的文件：{e}");
            return 64;
        }
    };
    let mut verified = 0;
    for file in files {
        let (status, message, data) = match request_of(file) {
            Ok(mut request) => {
                if let Some(ca) = &ca_text {
                    request.insert("caCerts".into(), json!([ca]));
                }
                let answer = ywx::call("verify_local", &Value::Object(request).to_string());
                let v: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
                let status = v["status"].as_str().unwrap_or("?").to_string();
                (
                    status,
                    v["message"].as_str().unwrap_or("").to_string(),
                    v["data"].clone(),
                )
            }
            Err(why) => ("YWX-5001".to_string(), why, Value::Null),
        };
        let ok = status == "0" && data["verified"] == true;
        verified += usize::from(ok);
        if json_out {
            out!(
                "{}",
                json!({"file": file, "status": status, "message": message, "data": data})
            );
        } else {
            out!("{}", line(file, ok, &status, &message, &data));
        }
    }
    let failed = files.len() - verified;
    if json_out {
        out!(
            "{}",
            json!({"summary": {"files": files.len(), "verified": verified, "failed": failed}})
        );
    } else {
        out!(
            "共 {} 个文件：验签通过 {verified}，未通过 {failed}",
            files.len()
        );
    }
    if failed == 0 { 0 } else { 1 }
}

/// One file's line: ✓ / ✗, the file, the verdict.
fn line(file: &str, ok: bool, status: &str, message: &str, data: &Value) -> String {
    if status != "0" {
        return format!("✗ {file}：{status} {message}");
    }
    let who = data["signer"]["commonName"]
        .as_str()
        .or(data["signer"]["subject"].as_str())
        .unwrap_or("?");
    let what = format!(
        "{}，{}，签名者 {who}",
        data["format"].as_str().unwrap_or("?"),
        data["algorithm"].as_str().unwrap_or("?")
    );
    if ok {
        format!("✓ {file}：验签通过（{what}）")
    } else {
        format!("✗ {file}：{message}（{what}）")
    }
}

/// The verify_local request a file stands for.
fn request_of(file: &str) -> Result<Map<String, Value>, String> {
    let bytes = read(file)?;
    let mut request = Map::new();
    let text = std::str::from_utf8(&bytes).map(str::trim);
    match text {
        Ok(t) if t.starts_with('{') => {
            let v: Value = serde_json::from_str(t)
                .map_err(|_| "不是合法的 JSON（应为保存的 5.1.2 或 4.3.5 应答）".to_string())?;
            let data = v.get("data").filter(|d| d.is_object()).unwrap_or(&v);
            for key in [
                "signedData",
                "p1",
                "cert",
                "timeStampSignData",
                "hashValue",
                "hashType",
                "originData",
            ] {
                if let Some(s) = data
                    .get(key)
                    .filter(|s| s.as_str().is_some_and(|s| !s.is_empty()))
                {
                    request.insert(key.into(), s.clone());
                }
            }
            if !["signedData", "p1", "timeStampSignData"]
                .iter()
                .any(|k| request.contains_key(*k))
            {
                return Err(
                    "应答里没有 signedData、p1 或 timeStampSignData（订单还没有签名？）".into(),
                );
            }
        }
        // PEM or base64 text.
        Ok(t) if t.contains("-----BEGIN") || (!t.is_empty() && t.bytes().all(is_b64)) => {
            request.insert("signedData".into(), json!(t));
        }
        // DER.
        _ => {
            request.insert("signedData".into(), json!(B64.encode(&bytes)));
        }
    }
    Ok(request)
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'\r' | b'\n' | b' ')
}

fn read(file: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(file).map_err(|e| format!("无法打开：{e}"))?;
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Err("不是普通文件".into());
    }
    let mut bytes = Vec::new();
    f.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("无法读取：{e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err("超过 64 MiB，不像签名文件".into());
    }
    Ok(bytes)
}
