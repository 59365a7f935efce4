//! From the caller's JSON to the gateway's request: the document's layout
//! checked, conveniences applied (originData, pdfFile...), defaults and
//! credentials filled, every rule of the endpoint checked.

mod convenience;

use serde_json::{Map, Value};

use crate::attach::{Attachment, Document};
use crate::config::Config;
use crate::endpoints::{Creds, DefaultValue, Endpoint, Shape, SysTag, family};
use crate::error::{Error, Result};
use crate::rules::{self, Need};
use crate::value::as_text;

use crate::value::object_at_mut as object_at;

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
fn part(shape: Shape, which: &str) -> &str {
    match (shape, which) {
        (Shape::Msg, "head") => "msg.head",
        (Shape::Msg, "body") => "msg.body",
        _ => which,
    }
}

/// A request checked and completed, and the files it sends.
#[derive(Debug)]
pub struct Prepared {
    pub value: Value,
    /// `pdfFile`/`appendixFile`: their placeholders are in `value`.
    pub files: Vec<Attachment>,
}

impl Prepared {
    /// The request with each file's base64 in place (for `ywx prepare`).
    pub fn inline(self) -> Result<Value> {
        if self.files.is_empty() {
            return Ok(self.value);
        }
        let mut doc = Document {
            text: self.value.to_string(),
            files: self.files,
        };
        let text = doc.inline()?;
        serde_json::from_str(&text).map_err(|e| crate::error::invalid_json("请求", &e))
    }
}

/// Checks the layout and applies every local step that needs no config:
/// conveniences, the document's defaults, the rules. Returns the request
/// ready for [`fill_from_config`].
pub fn prepare(ep: &Endpoint, mut root: Value) -> Result<Prepared> {
    if !root.is_object() {
        return Err(Error::arg("request", "请求必须是一个 JSON 对象 {...}"));
    }
    match ep.shape {
        Shape::Query | Shape::Flat => {}
        Shape::HeadBody => ensure_parts(&mut root, "")?,
        Shape::Msg => {
            match root.get("msg") {
                Some(Value::Object(_)) => {}
                Some(Value::String(s)) => {
                    // Some callers send msg as a JSON string; accept it,
                    // nested no deeper than a request may be (it sits one
                    // level down), so that it cannot exhaust a small stack.
                    if crate::value::too_deep(s.as_bytes(), crate::value::MAX_DEPTH - 1).is_some() {
                        return Err(Error::new(
                            &crate::codes::INVALID_JSON,
                            format!(
                                "msg 中的 JSON 嵌套超过 {} 层，接口文档中的请求最多几层，请检查 JSON",
                                crate::value::MAX_DEPTH
                            ),
                        ));
                    }
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
    let mut files = Vec::new();
    if matches!(ep.shape, Shape::HeadBody | Shape::Msg) {
        convenience::apply(ep.shape, &mut root, &mut files)?;
    }
    for (field, value) in ep.defaults {
        set_default(ep.shape, &mut root, field, *value);
    }
    validate(ep, &root)?;
    Ok(Prepared { value: root, files })
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
        Some(p) => object_at(root, p),
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

/// Fills what the caller may leave out and the config knows: clientId,
/// clientSecret where the endpoint needs it, and sysTag.
pub fn fill_from_config(ep: &Endpoint, config: &Config, root: &mut Value) {
    let blank = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v == "");
    let target = match ep.shape {
        Shape::Query => root.as_object_mut(),
        shape => object_at(root, part(shape, "head")),
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
            SysTag::Head => object_at(root, part(ep.shape, "head")),
            SysTag::Body => object_at(root, part(ep.shape, "body")),
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

/// The order key a call is about, for the log: urId / uniqueId / requestId
/// (never a patient's data). A value that does not look like such a key
/// (a patient's name typed into urId, say) is logged as its length only.
///
/// Looked for on every logged call: the fields are found by scanning the
/// few keys of each object, which costs less than hashing each name
/// (serde_json's maps hash with SipHash), and only the text written is
/// copied.
pub fn log_key(root: &Value) -> String {
    fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
        v.as_object()?
            .iter()
            .find_map(|(k, v)| (k == name).then_some(v))
    }
    // Room for two keys and the uniqueId the reply may add (api.rs).
    let mut key = String::with_capacity(112);
    for path in [
        &["msg", "body", "urId"][..],
        &["body", "urId"],
        &["body", "uniqueId"],
        &["head", "uniqueId"],
        &["requestId"],
        &["uniqueId"],
        &["urId"],
    ] {
        let text: std::borrow::Cow<'_, str> = match path.iter().try_fold(root, |v, k| field(v, k)) {
            Some(Value::String(s)) => s.as_str().into(),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => as_text(v).unwrap_or_default().into(),
            _ => continue,
        };
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(path[path.len() - 1]);
        key.push('=');
        if crate::rules::looks_like_key(&text) {
            key.push_str(&text);
        } else {
            key.push_str(&format!("<{} 个字符>", text.chars().count()));
        }
    }
    key
}

#[cfg(test)]
mod log_key_tests {
    use serde_json::json;

    #[test]
    fn names_each_key_in_order_and_masks_what_is_not_a_key() {
        let key = super::log_key(&json!({
            "urId": 7,
            "head": {"clientId": "c", "uniqueId": "h1"},
            "body": {"patientName": "张三", "uniqueId": "u-1", "urId": "张三李四"},
            "msg": {"body": {"urId": "AB12"}},
        }));
        assert_eq!(
            key,
            "urId=AB12 urId=<4 个字符> uniqueId=u-1 uniqueId=h1 urId=7"
        );
        assert_eq!(super::log_key(&json!({"body": {"uniqueId": null}})), "");
        assert_eq!(super::log_key(&json!([1, 2])), "");
    }
}
