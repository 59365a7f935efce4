//! From the caller's JSON to the gateway's request: the seed's layout
//! checked, conveniences applied (originData, pdfFile...), defaults and
//! credentials filled, every rule of the endpoint checked.

use std::path::Path;

use serde_json::{Map, Value};

use crate::config::Config;
use crate::digest::{self, Alg};
use crate::endpoints::{Creds, DefaultValue, Endpoint, Shape, SysTag, family};
use crate::error::{Error, Result};
use crate::rules::{self, MAX_PDF_BYTES, Need, as_text};

/// The JSON object `path` (`head`, `body`, `msg.head`...) names in `root`.
fn object_at<'a>(root: &'a mut Value, path: &str) -> Option<&'a mut Map<String, Value>> {
    let mut v = root;
    for key in path.split('.') {
        v = v.get_mut(key)?;
    }
    v.as_object_mut()
}

/// Where a rule's field lives: `head.x`/`body.x` are under `msg` for
/// sign pushes; `signType` and query parameters at the top.
fn locate<'a>(shape: Shape, root: &'a Value, field: &str) -> Option<&'a Value> {
    let mut v = root;
    if shape == Shape::Msg && (field.starts_with("head.") || field.starts_with("body.")) {
        v = v.get("msg")?;
    }
    for key in field.split('.') {
        v = v.get(key)?;
    }
    Some(v)
}

/// The path of `head`/`body` objects for a shape.
fn part(shape: Shape, which: &str) -> String {
    match shape {
        Shape::Msg => format!("msg.{which}"),
        _ => which.to_string(),
    }
}

/// Checks the layout and applies every local step that needs no config:
/// conveniences, the document's defaults, the rules. Returns the request
/// ready for [`fill_credentials`].
pub fn prepare(ep: &Endpoint, mut root: Value) -> Result<Value> {
    if !root.is_object() {
        return Err(Error::arg("request", "请求必须是一个 JSON 对象 {...}"));
    }
    match ep.shape {
        Shape::Query => {}
        Shape::HeadBody => ensure_parts(&mut root, "")?,
        Shape::Msg => {
            match root.get("msg") {
                Some(Value::Object(_)) => {}
                Some(Value::String(s)) => {
                    // Some callers send msg as a JSON string; accept it.
                    let parsed: Value = serde_json::from_str(s).map_err(|_| {
                        Error::arg("msg", "必须是 JSON 对象 {\"head\":{...},\"body\":{...}}")
                    })?;
                    root["msg"] = parsed;
                }
                Some(_) => {
                    return Err(Error::arg(
                        "msg",
                        "必须是 JSON 对象 {\"head\":{...},\"body\":{...}}",
                    ));
                }
                None => return Err(Error::arg("msg", "不能为空（签名数据信息 msg 为必填）")),
            }
            ensure_parts(&mut root, "msg")?;
        }
    }
    if ep.shape != Shape::Query {
        apply_conveniences(ep.shape, &mut root)?;
    }
    for (field, value) in ep.defaults {
        set_default(ep.shape, &mut root, field, *value);
    }
    validate(ep, &root)?;
    Ok(root)
}

fn ensure_parts(root: &mut Value, prefix: &str) -> Result<()> {
    let obj = if prefix.is_empty() {
        root.as_object_mut()
    } else {
        object_at(root, prefix)
    }
    .ok_or_else(|| Error::arg(prefix, "必须是 JSON 对象"))?;
    let at = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        }
    };
    match obj.get("head") {
        None | Some(Value::Null) => {
            obj.insert("head".into(), Value::Object(Map::new()));
        }
        Some(Value::Object(_)) => {}
        Some(_) => {
            return Err(Error::arg(
                at("head"),
                "必须是 JSON 对象（也可以省略，由 ywx 填写）",
            ));
        }
    }
    match obj.get("body") {
        Some(Value::Object(_)) => Ok(()),
        None | Some(Value::Null) => Err(Error::arg("body", "不能为空（内容体信息 body 为必填）")),
        Some(_) => Err(Error::arg("body", "必须是 JSON 对象")),
    }
}

fn set_default(shape: Shape, root: &mut Value, field: &str, value: DefaultValue) {
    let (parent, key) = match field.rsplit_once('.') {
        Some((p, k)) => (Some(part(shape, p)), k),
        None => (None, field),
    };
    let obj = match parent {
        Some(p) => object_at(root, &p),
        None => root.as_object_mut(),
    };
    if let Some(obj) = obj
        && obj.get(key).is_none_or(|v| v.is_null() || v == "")
    {
        let v = match value {
            DefaultValue::Str(s) => Value::String(s.into()),
            DefaultValue::Int(n) => Value::from(n),
        };
        obj.insert(key.into(), v);
    }
}

/// Checks every rule of the endpoint, in table order; the first failure wins.
pub fn validate(ep: &Endpoint, root: &Value) -> Result<()> {
    let sign_type_4 = root
        .get("signType")
        .and_then(as_text)
        .is_some_and(|s| s.trim() == "4");
    let template = locate(ep.shape, root, "head.templateId").and_then(as_text);
    let fam = template.as_deref().map(family);
    for rule in ep.rules.iter().flat_map(|group| group.iter()) {
        if let Some(only) = rule.only
            && fam != Some(only)
        {
            continue;
        }
        let value = locate(ep.shape, root, rule.field);
        debug_assert!(rule.need != Need::UnlessSignType4 || ep.shape == Shape::Msg);
        rules::check(rule, value, sign_type_4)?;
    }
    Ok(())
}

/// `originData`/`originFile` → `hashValue`/`hashType` (hashed here, so the
/// medical text never leaves the hospital); `pdfFile` → `pdfBase64`;
/// `appendixFile` → `head.appendixFileBase64`.
fn apply_conveniences(shape: Shape, root: &mut Value) -> Result<()> {
    let body_path = part(shape, "body");
    let head_path = part(shape, "head");
    let body = object_at(root, &body_path).expect("body checked");
    let origin_data = body.remove("originData");
    let origin_file = body.remove("originFile");
    let hash_alg = body.remove("hashAlg");
    if origin_data.is_some() || origin_file.is_some() {
        if body.get("hashValue").is_some_and(|v| !v.is_null()) {
            return Err(Error::arg(
                "body.originData",
                "与 hashValue 只能给一个：给 originData/originFile 时由 ywx 计算 hashValue",
            ));
        }
        let alg = match &hash_alg {
            None | Some(Value::Null) => Alg::Sm3,
            Some(v) => as_text(v)
                .as_deref()
                .and_then(Alg::parse)
                .ok_or_else(|| Error::arg("body.hashAlg", "只能是 SHA1、SHA256 或 SM3"))?,
        };
        let hash = match (origin_data, origin_file) {
            (Some(data), None) => {
                let text =
                    as_text(&data).ok_or_else(|| Error::arg("body.originData", "必须是字符串"))?;
                digest::digest(alg, text.as_bytes())
            }
            (None, Some(file)) => {
                let path = as_text(&file)
                    .ok_or_else(|| Error::arg("body.originFile", "必须是文件路径字符串"))?;
                digest::digest_file(alg, Path::new(&path), "body.originFile")?
            }
            _ => {
                return Err(Error::arg("body.originData", "与 originFile 只能给一个"));
            }
        };
        body.insert("hashValue".into(), Value::String(digest::base64(&hash)));
        body.insert("hashType".into(), Value::String(alg.name().into()));
    }
    if let Some(file) = body.remove("pdfFile") {
        let b64 = read_pdf_base64(&file, "body.pdfFile")?;
        body.insert("pdfBase64".into(), Value::String(b64));
    }
    let appendix = body.remove("appendixFile");
    let head = object_at(root, &head_path).expect("head ensured");
    if let Some(file) = appendix.or_else(|| head.remove("appendixFile")) {
        let b64 = read_pdf_base64(&file, "head.appendixFile")?;
        head.insert("appendixFileBase64".into(), Value::String(b64));
    }
    Ok(())
}

fn read_pdf_base64(file: &Value, field: &str) -> Result<String> {
    let path = as_text(file).ok_or_else(|| Error::arg(field, "必须是文件路径字符串"))?;
    let meta = std::fs::metadata(&path)
        .map_err(|e| Error::arg(field, format!("文件 {path} 无法打开：{e}")))?;
    if meta.len() > MAX_PDF_BYTES as u64 {
        return Err(Error::arg(
            field,
            format!(
                "文件 {path} 有 {} 字节，超过 2 MiB（接口文档：最大不超过2M）",
                meta.len()
            ),
        ));
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| Error::arg(field, format!("文件 {path} 读取失败：{e}")))?;
    if !bytes.starts_with(b"%PDF-") {
        return Err(Error::arg(
            field,
            format!("文件 {path} 不是 PDF（应以 %PDF- 开头）"),
        ));
    }
    Ok(digest::base64(&bytes))
}

/// Fills what the caller may leave out and the config knows: clientId,
/// clientSecret where the endpoint needs it, and sysTag.
pub fn fill_from_config(ep: &Endpoint, config: &Config, root: &mut Value) {
    let blank = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v == "");
    let target = match ep.shape {
        Shape::Query => root.as_object_mut(),
        shape => object_at(root, &part(shape, "head")),
    };
    if let Some(obj) = target {
        if ep.creds != Creds::None && blank(obj.get("clientId")) {
            obj.insert("clientId".into(), Value::String(config.client_id.clone()));
        }
        if ep.creds == Creds::ClientIdAndSecret && blank(obj.get("clientSecret")) {
            obj.insert(
                "clientSecret".into(),
                Value::String(config.client_secret.clone()),
            );
        }
    }
    if let Some(tag) = &config.sys_tag {
        let obj = match ep.sys_tag {
            SysTag::None => None,
            SysTag::Query => root.as_object_mut(),
            SysTag::Head => object_at(root, &part(ep.shape, "head")),
            SysTag::Body => object_at(root, &part(ep.shape, "body")),
        };
        if let Some(obj) = obj
            && blank(obj.get("sysTag"))
        {
            obj.insert("sysTag".into(), Value::String(tag.clone()));
        }
    }
}

/// A GET request's query parameters, in the caller's order.
pub fn query_pairs(root: &Value) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (k, v) in root.as_object().into_iter().flatten() {
        match v {
            Value::Null => {}
            Value::Object(_) | Value::Array(_) => {
                return Err(Error::arg(k, "GET 接口的参数必须是字符串、数字或布尔值"));
            }
            v => pairs.push((k.clone(), as_text(v).unwrap_or_default())),
        }
    }
    Ok(pairs)
}

/// The order key a call is about, for the log: urId / uniqueId / requestId.
pub fn log_key(shape: Shape, root: &Value) -> String {
    let mut parts = Vec::new();
    for field in [
        "body.urId",
        "body.uniqueId",
        "head.uniqueId",
        "requestId",
        "uniqueId",
        "urId",
    ] {
        if let Some(v) = locate(shape, root, field).and_then(as_text) {
            let name = field.rsplit('.').next().unwrap_or(field);
            parts.push(format!("{name}={v}"));
        }
    }
    parts.join(" ")
}
