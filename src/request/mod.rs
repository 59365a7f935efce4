//! From the caller's JSON to the gateway's request: the document's layout
//! checked, conveniences applied (originData, pdfFile...), defaults and
//! credentials filled, every rule of the endpoint checked.

mod convenience;
mod ready;

use std::borrow::Cow;

use serde_json::{Number, Value};

use crate::attach::{Attachment, Document};
use crate::config::Config;
use crate::endpoints::{Creds, DefaultValue, Endpoint, Shape, SysTag, family};
use crate::error::{Error, Result};
use crate::json::{Json, Object};
use crate::rules::{self, Need};
pub use ready::ready;

/// Where a rule's field lives: `head.x`/`body.x` are under `msg` for
/// sign pushes; `signType` and query parameters at the top.
fn locate<'j, 'a>(shape: Shape, root: &'j Json<'a>, field: &str) -> Option<&'j Json<'a>> {
    let mut v = root;
    if shape == Shape::Msg && (field.starts_with("head.") || field.starts_with("body.")) {
        v = v.get("msg")?;
    }
    v.at(field)
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
pub struct Prepared<'a> {
    pub value: Json<'a>,
    /// `pdfFile`/`appendixFile`: their placeholders are in `value`.
    pub files: Vec<Attachment>,
}

impl Prepared<'_> {
    /// The request with each file's base64 in place (for `ywx prepare`).
    pub fn inline(self) -> Result<Value> {
        if self.files.is_empty() {
            return Ok(self.value.into_value());
        }
        let mut doc = Document {
            text: self.value.to_json(),
            files: self.files,
        };
        let text = doc.inline()?;
        serde_json::from_str(&text).map_err(|e| crate::error::invalid_json("请求", &e))
    }
}

/// Checks the layout and applies every local step that needs no config:
/// conveniences, the document's defaults, the rules. Returns the request
/// ready for [`fill_from_config`].
pub fn prepare<'a>(ep: &Endpoint, mut root: Json<'a>) -> Result<Prepared<'a>> {
    if !root.is_object() {
        return Err(Error::arg("request", "请求必须是一个 JSON 对象 {...}"));
    }
    match ep.shape {
        Shape::Query | Shape::Flat => {}
        Shape::HeadBody => ensure_parts(&mut root, "")?,
        Shape::Msg => {
            match root.get("msg") {
                Some(Json::Object(_)) => {}
                Some(Json::String(s)) => {
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
                    let top = root.as_object_mut().expect("checked above");
                    top.insert("msg", Json::from(parsed));
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

fn ensure_parts(root: &mut Json, prefix: &str) -> Result<()> {
    let obj = if prefix.is_empty() {
        root.as_object_mut()
    } else {
        root.object_at_mut(prefix)
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
        None | Some(Json::Null) => obj.insert("head", Json::Object(Object::new())),
        Some(Json::Object(_)) => {}
        Some(_) => {
            return Err(Error::arg(
                at("head"),
                "必须是 JSON 对象（也可以省略，由 ywx 填写）",
            ));
        }
    }
    match obj.get("body") {
        Some(Json::Object(_)) => Ok(()),
        None | Some(Json::Null) => Err(Error::arg("body", "不能为空（内容体信息 body 为必填）")),
        Some(_) => Err(Error::arg("body", "必须是 JSON 对象")),
    }
}

fn set_default(shape: Shape, root: &mut Json, field: &'static str, value: DefaultValue) {
    let (parent, key) = match field.rsplit_once('.') {
        Some((p, k)) => (Some(part(shape, p)), k),
        None => (None, field),
    };
    let obj = match parent {
        Some(p) => root.object_at_mut(p),
        None => root.as_object_mut(),
    };
    if let Some(obj) = obj
        && obj.get(key).is_none_or(Json::is_null_or_empty)
    {
        let v = match value {
            DefaultValue::Str(s) => Json::String(Cow::Borrowed(s)),
            DefaultValue::Int(n) => Json::Number(Number::from(n)),
        };
        obj.insert(key, v);
    }
}

/// Checks every rule of the endpoint, in table order; the first failure wins.
pub fn validate(ep: &Endpoint, root: &Json) -> Result<()> {
    check_rules(ep, |field| locate(ep.shape, root, field).map(Cow::Borrowed))
}

/// [`validate`], the values of the fields found by `lookup` (a dotted
/// path; `head.`/`body.` under `msg` for sign pushes, as [`locate`]).
fn check_rules<'j, 'a: 'j>(
    ep: &Endpoint,
    lookup: impl Fn(&str) -> Option<Cow<'j, Json<'a>>>,
) -> Result<()> {
    // Only sign pushes (`msg`) have a rule that signType 4 relaxes.
    let sign_type_4 = ep.shape == Shape::Msg
        && lookup("signType")
            .as_deref()
            .and_then(Json::text)
            .is_some_and(|s| s.trim() == "4");
    // The template's family, looked up for the first rule that asks.
    let mut fam = None;
    for rule in ep.rules.iter().flat_map(|group| group.iter()) {
        if let Some(only) = rule.only {
            let fam = fam.get_or_insert_with(|| {
                let template = lookup("head.templateId");
                template
                    .as_deref()
                    .and_then(Json::text)
                    .as_deref()
                    .map(family)
            });
            if *fam != Some(only) {
                continue;
            }
        }
        let value = lookup(rule.field);
        debug_assert!(rule.need != Need::UnlessSignType4 || ep.shape == Shape::Msg);
        rules::check(rule, value.as_deref(), sign_type_4)?;
    }
    Ok(())
}

/// Fills what the caller may leave out and the config knows: clientId,
/// clientSecret where the endpoint needs it, and sysTag (borrowed from the
/// config, which outlives the request).
pub fn fill_from_config<'a>(ep: &Endpoint, config: &'a Config, root: &mut Json<'a>) {
    let head = match ep.shape {
        Shape::Query => None,
        shape => Some(part(shape, "head")),
    };
    if ep.creds != Creds::None {
        fill_blank(root, head, "clientId", &config.client_id);
    }
    if ep.creds == Creds::ClientIdAndSecret {
        fill_blank(root, head, "clientSecret", &config.client_secret);
    }
    if let Some(tag) = &config.sys_tag {
        let at = match ep.sys_tag {
            SysTag::None => return,
            SysTag::Query => None,
            SysTag::Head => Some(part(ep.shape, "head")),
            SysTag::Body => Some(part(ep.shape, "body")),
        };
        fill_blank(root, at, "sysTag", tag);
    }
}

/// Sets `key` of the object at `path` (the top when None) to `value` when
/// it is absent, null or "" there. Looked at first and changed only then:
/// what did not change is written from the caller's text (`json::Object`).
fn fill_blank<'a>(root: &mut Json<'a>, path: Option<&str>, key: &'static str, value: &'a str) {
    let object = match path {
        Some(path) => root.at(path),
        None => Some(&*root),
    };
    let blank = |o: &Object| o.get(key).is_none_or(Json::is_null_or_empty);
    if !object.and_then(Json::as_object).is_some_and(blank) {
        return;
    }
    let object = match path {
        Some(path) => root.object_at_mut(path),
        None => root.as_object_mut(),
    };
    if let Some(object) = object {
        object.insert(key, Json::String(Cow::Borrowed(value)));
    }
}

/// A GET request's query parameters, in the caller's order.
pub fn query_pairs(root: &Json) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    for (k, v) in root.as_object().into_iter().flat_map(Object::iter) {
        match v {
            Json::Null => {}
            Json::Object(_) | Json::Array(_) => {
                return Err(Error::arg(k, "GET 接口的参数必须是字符串、数字或布尔值"));
            }
            v => pairs.push((k.to_string(), v.text().unwrap_or_default().into_owned())),
        }
    }
    Ok(pairs)
}

/// The order key a call is about, for the log: urId / uniqueId / requestId
/// (never a patient's data). A value that does not look like such a key
/// (a patient's name typed into urId, say) is logged as its length only.
///
/// Looked for on every logged call, in the request as read (its objects
/// are short lists of entries): only the text written is copied.
pub fn log_key(root: &Json) -> String {
    log_key_by(|keys| {
        keys.iter()
            .try_fold(root, |v, k| v.get(k))
            .map(Cow::Borrowed)
    })
}

/// Where an order key is looked for, in the order the log names them.
const LOG_KEYS: [&[&str]; 7] = [
    &["msg", "body", "urId"],
    &["body", "urId"],
    &["body", "uniqueId"],
    &["head", "uniqueId"],
    &["requestId"],
    &["uniqueId"],
    &["urId"],
];

/// [`log_key`], the value at each of [`LOG_KEYS`] found by `lookup`.
fn log_key_by<'j, 'a: 'j>(lookup: impl Fn(&[&str]) -> Option<Cow<'j, Json<'a>>>) -> String {
    // Room for two keys and the uniqueId the reply may add (api.rs).
    let mut key = String::with_capacity(112);
    for path in LOG_KEYS {
        let value = lookup(path);
        let text = match value.as_deref() {
            Some(v @ (Json::String(_) | Json::Number(_) | Json::Bool(_))) => v.text(),
            _ => continue,
        };
        let text = text.unwrap_or_default();
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
    use crate::json::Json;
    use serde_json::json;

    fn log_key(v: serde_json::Value) -> String {
        super::log_key(&Json::from(v))
    }

    #[test]
    fn names_each_key_in_order_and_masks_what_is_not_a_key() {
        let key = log_key(json!({
            "urId": 7,
            "head": {"clientId": "c", "uniqueId": "h1"},
            "body": {"patientName": "张三", "uniqueId": "u-1", "urId": "张三李四"},
            "msg": {"body": {"urId": "AB12"}},
        }));
        assert_eq!(
            key,
            "urId=AB12 urId=<4 个字符> uniqueId=u-1 uniqueId=h1 urId=7"
        );
        assert_eq!(log_key(json!({"body": {"uniqueId": null}})), "");
        assert_eq!(log_key(json!([1, 2])), "");
    }
}
