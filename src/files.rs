//! `fileDir`: base64 images and PDFs in replies also written as files, for
//! languages that cannot decode base64 (the config key fileDir).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use crate::value::as_text;

/// Base64 fields of `data` and the file each becomes: (field, added field, extension).
const FIELDS: &[(&str, &str, &str)] = &[
    ("imgBase64", "imgFile", "png"),
    ("stamp", "stampFile", "png"),
    ("authSignQRCode", "authSignQRCodeFile", "png"),
    ("selfSignQRCode", "selfSignQRCodeFile", "png"),
    ("signedPdfBase64", "signedPdfFile", "pdf"),
];

/// Writes the reply's base64 payloads under `dir` and adds their paths.
/// Returns whether the reply changed.
pub fn save(dir: &Path, method: &str, reply: &mut Value) -> bool {
    let key = ["uniqueId", "requestId", "openId"]
        .iter()
        .find_map(|k| reply.pointer(&format!("/data/{k}")).and_then(as_text))
        .unwrap_or_else(|| crate::clock::now().format("%Y%m%d%H%M%S%3f").to_string());
    let key: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let mut changed = false;
    match reply.get_mut("data") {
        Some(Value::Object(data)) => {
            for (field, file_field, ext) in FIELDS {
                let Some(b64) = data.get(*field).and_then(Value::as_str) else {
                    continue;
                };
                if let Some(path) = write(dir, &format!("{method}_{key}_{field}.{ext}"), b64) {
                    data.insert((*file_field).into(), Value::String(path));
                    changed = true;
                }
            }
        }
        // selfSign/request answers the QR code image as `data` itself.
        Some(Value::String(b64)) if method == "selfsign_request" => {
            if let Some(path) = write(dir, &format!("{method}_{key}_qrcode.png"), b64) {
                reply["dataFile"] = Value::String(path);
                changed = true;
            }
        }
        _ => {}
    }
    changed
}

fn write(dir: &Path, name: &str, b64: &str) -> Option<String> {
    let b64 = b64.trim();
    let b64 = b64.find("base64,").map(|i| &b64[i + 7..]).unwrap_or(b64);
    let bytes = B64.decode(b64).ok()?;
    std::fs::create_dir_all(dir).ok()?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).ok()?;
    Some(path.display().to_string())
}
